/*
 * test_builder_context.c - the build context and which ignore file applies.
 */
#include "cbtest.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "builder.h"
#include "fsutil.h"

static void write_file(const char *path, const char *content)
{
	struct cb_error *err = NULL;

	if (cb_write_file_atomic(AT_FDCWD, path, content, strlen(content), 0644, &err) < 0)
		fail_msg("write %s: %s", path, cb_error_msg(err));
}

static void make_ctx(void)
{
	struct cb_error *err = NULL;

	assert_int_equal(cb_mkdir_p(AT_FDCWD, "ctx/sub", 0755, &err), 0);
	write_file("ctx/Dockerfile", "FROM scratch\n");
	write_file("ctx/sub/app.Dockerfile", "FROM scratch\n");
}

static void test_no_ignore_file(void **state)
{
	struct build_context ctx;
	struct cb_error *err = NULL;

	(void)state;
	make_ctx();
	assert_int_equal(build_context_open(&ctx, "ctx", NULL, &err), 0);
	assert_null(ctx.ignore_file);
	assert_null(ctx.ignore);
	assert_string_equal(ctx.dockerfile, "ctx/Dockerfile");
	assert_int_equal(build_context_excluded(&ctx, "anything", NULL), 0);
	build_context_release(&ctx);
}

static void test_context_ignore_file(void **state)
{
	struct build_context ctx;
	struct cb_error *err = NULL;

	(void)state;
	make_ctx();
	write_file("ctx/.dockerignore", "*.md\n!README.md\n");
	assert_int_equal(build_context_open(&ctx, "ctx", "ctx/sub/app.Dockerfile", &err), 0);
	assert_string_equal(ctx.ignore_file, "ctx/.dockerignore");
	assert_int_equal(ctx.ignore_patterns.n, 2);
	assert_int_equal(build_context_excluded(&ctx, "a.md", NULL), 1);
	assert_int_equal(build_context_excluded(&ctx, "README.md", NULL), 0);
	build_context_release(&ctx);
}

static void test_dockerfile_ignore_file_wins(void **state)
{
	struct build_context ctx;
	struct cb_error *err = NULL;

	(void)state;
	make_ctx();
	write_file("ctx/.dockerignore", "*.md\n");
	write_file("ctx/sub/app.Dockerfile.dockerignore", "*.c\n");
	assert_int_equal(build_context_open(&ctx, "ctx", "ctx/sub/app.Dockerfile", &err), 0);
	assert_string_equal(ctx.ignore_file, "ctx/sub/app.Dockerfile.dockerignore");
	assert_int_equal(build_context_excluded(&ctx, "a.md", NULL), 0);
	assert_int_equal(build_context_excluded(&ctx, "x.c", NULL), 1);
	/* as in Docker, `*` stays within one path component */
	assert_int_equal(build_context_excluded(&ctx, "src/x.c", NULL), 0);
	build_context_release(&ctx);
	/* only a regular file counts: a directory of that name is ignored */
	assert_int_equal(cb_rm_rf(AT_FDCWD, "ctx/sub/app.Dockerfile.dockerignore", &err), 0);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "ctx/sub/app.Dockerfile.dockerignore", 0755, &err),
			 0);
	assert_int_equal(build_context_open(&ctx, "ctx", "ctx/sub/app.Dockerfile", &err), 0);
	assert_string_equal(ctx.ignore_file, "ctx/.dockerignore");
	build_context_release(&ctx);
}

static void test_errors(void **state)
{
	struct build_context ctx;
	struct cb_error *err = NULL;

	(void)state;
	make_ctx();
	assert_int_equal(build_context_open(&ctx, "nope", NULL, &err), -1);
	assert_string_equal(cb_error_msg(err), "build context `nope`: No such file or directory");
	cb_error_free(&err);
	assert_int_equal(build_context_open(&ctx, "ctx/Dockerfile", NULL, &err), -1);
	assert_string_equal(cb_error_msg(err), "build context `ctx/Dockerfile`: Not a directory");
	cb_error_free(&err);
	write_file("ctx/Dockerfile.dockerignore", "ok\n[\n");
	assert_int_equal(build_context_open(&ctx, "ctx", NULL, &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "ctx/Dockerfile.dockerignore: "));
	assert_non_null(strstr(cb_error_msg(err), "`[`"));
	cb_error_free(&err);
}

CB_TEST_MAIN(cmocka_unit_test(test_no_ignore_file), cmocka_unit_test(test_context_ignore_file),
	     cmocka_unit_test(test_dockerfile_ignore_file_wins), cmocka_unit_test(test_errors))
