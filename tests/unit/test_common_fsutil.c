/*
 * test_common_fsutil.c - file helpers: whole-file reads with a cap, atomic
 * writes (no temp file left behind, target untouched on failure), mkdir -p,
 * rm -rf that does not follow symlinks, and the path string helpers.  Each
 * case runs in its own temporary directory (the harness chdirs there).
 */
#include "cbtest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

/*
 * Run the case in a new directory of its own: when the binary runs all
 * cases at once they share the harness's temporary directory.
 */
static int enter_case_dir(void **state)
{
	char tmpl[] = "case-XXXXXX";

	(void)state;
	return mkdtemp(tmpl) && chdir(tmpl) == 0 ? 0 : -1;
}

static int leave_case_dir(void **state)
{
	(void)state;
	return chdir("..");
}

static void write_plain(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Entries in dir other than . and .. */
static int count_entries(const char *dir)
{
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	return n;
}

static void expect_errno_msg(struct cb_error *err, int code, const char *prefix)
{
	cleanup_free char *msg = xasprintf("%s: %s", prefix, strerror(code));

	assert_non_null(err);
	assert_int_equal(err->code, code);
	assert_string_equal(cb_error_msg(err), msg);
}

static void test_write_atomic_creates_with_mode(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t len = 0;
	mode_t old = umask(077);

	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "f", "a\0b", 3, 0644, &err), 0);
	umask(old);
	assert_null(err);
	assert_int_equal(stat("f", &st), 0);
	/* the mode is exact, whatever the umask */
	assert_int_equal(st.st_mode & 07777, 0644);
	buf = cb_test_read_file("f", &len);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "a\0b", 3);
	assert_int_equal(count_entries("."), 1);
}

static void test_write_atomic_replaces(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	cleanup_free char *buf = NULL;
	size_t len = 0;
	int dfd;

	assert_int_equal(mkdir("d", 0755), 0);
	write_plain("d/f", "old content that is longer");
	dfd = open("d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(cb_write_file_atomic(dfd, "f", "new", 3, 0600, &err), 0);
	close(dfd);
	buf = cb_test_read_file("d/f", &len);
	assert_string_equal(buf, "new");
	/* no temp file is left next to it */
	assert_int_equal(count_entries("d"), 1);
	/* an empty file is fine too */
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "d/empty", "", 0, 0600, &err), 0);
	assert_int_equal(count_entries("d"), 2);
}

static void test_write_atomic_failures(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "nope/f", "x", 1, 0644, &err), -1);
	expect_errno_msg(err, ENOENT, "create temp file for `nope/f`");
	cb_error_free(&err);
	/* a directory in the way: the temp file is removed, the directory kept */
	assert_int_equal(mkdir("dir", 0755), 0);
	write_plain("dir/inside", "keep");
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "dir", "x", 1, 0644, &err), -1);
	assert_non_null(err);
	assert_true(strncmp(cb_error_msg(err), "rename into `dir`: ", 19) == 0);
	cb_error_free(&err);
	assert_int_equal(count_entries("."), 1);
	assert_true(exists("dir/inside"));
}

static void test_read_file(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	char *buf = (char *)"untouched";
	size_t len = 42;

	write_plain("f", "hello");
	assert_int_equal(cb_read_file("f", 0, &buf, &len, &err), 0);
	assert_string_equal(buf, "hello");
	assert_int_equal(len, 5);
	free(buf);
	assert_int_equal(cb_read_file("f", 5, &buf, &len, &err), 0);
	free(buf);
	buf = (char *)"untouched";
	len = 42;
	assert_int_equal(cb_read_file("f", 4, &buf, &len, &err), -1);
	expect_errno_msg(err, EFBIG, "read `f`: larger than 4 bytes");
	/* a failure leaves the out-parameters alone */
	assert_string_equal(buf, "untouched");
	assert_int_equal(len, 42);
	cb_error_free(&err);
	assert_int_equal(cb_read_file("missing", 0, &buf, &len, &err), -1);
	expect_errno_msg(err, ENOENT, "open `missing`");
	cb_error_free(&err);
	assert_int_equal(cb_read_file(".", 0, &buf, &len, &err), -1);
	expect_errno_msg(err, EISDIR, "read `.`");
	cb_error_free(&err);
}

static void test_read_fd_and_write_all(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	cleanup_free char *big = xmalloc(200000);
	char *out = NULL;
	size_t len = 0;
	int fd = open("big", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	for (size_t i = 0; i < 200000; i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(cb_write_all(fd, big, 200000, &err), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(cb_read_fd(fd, 0, &out, &len, &err), 0);
	assert_int_equal(len, 200000);
	assert_memory_equal(out, big, 200000);
	assert_int_equal(out[len], '\0');
	free(out);
	close(fd);
	assert_int_equal(cb_write_all(-1, "x", 1, &err), -1);
	expect_errno_msg(err, EBADF, "write");
	cb_error_free(&err);
}

static void test_mkdir_p(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	struct stat st;
	char cwd[4096];
	cleanup_free char *abs = NULL;

	assert_int_equal(cb_mkdir_p(AT_FDCWD, "a/b/c", 0755, &err), 0);
	assert_int_equal(stat("a/b/c", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* existing directories, doubled and trailing slashes, empty path */
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "a/b/c", 0755, &err), 0);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "a//b/./d/", 0755, &err), 0);
	assert_true(exists("a/b/d"));
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "", 0755, &err), 0);
	assert_null(err);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	abs = xasprintf("%s/x/y", cwd);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, abs, 0700, &err), 0);
	assert_true(exists("x/y"));
}

static void test_mkdir_p_file_in_the_way(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	write_plain("file", "x");
	/* as the last component: mkdir -p says "File exists", not success */
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "file", 0755, &err), -1);
	expect_errno_msg(err, ENOTDIR, "mkdir `file`");
	cb_error_free(&err);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "file/sub", 0755, &err), -1);
	expect_errno_msg(err, ENOTDIR, "mkdir `file`");
	cb_error_free(&err);
}

static void test_mkdir_p_relative_to_dirfd(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	int dfd;

	assert_int_equal(mkdir("root", 0755), 0);
	dfd = open("root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(cb_mkdir_p(dfd, "p/q", 0755, &err), 0);
	close(dfd);
	assert_true(exists("root/p/q"));
	assert_false(exists("p"));
}

static void test_rm_rf(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	assert_int_equal(cb_mkdir_p(AT_FDCWD, "t/a/b/c", 0755, &err), 0);
	write_plain("t/a/f1", "1");
	write_plain("t/a/b/c/f2", "2");
	assert_int_equal(mkdir("t/empty", 0755), 0);
	assert_int_equal(cb_rm_rf(AT_FDCWD, "t", &err), 0);
	assert_null(err);
	assert_false(exists("t"));
	/* missing paths and plain files are fine */
	assert_int_equal(cb_rm_rf(AT_FDCWD, "t", &err), 0);
	write_plain("plain", "x");
	assert_int_equal(cb_rm_rf(AT_FDCWD, "plain", &err), 0);
	assert_false(exists("plain"));
}

static void test_rm_rf_does_not_follow_symlinks(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	assert_int_equal(cb_mkdir_p(AT_FDCWD, "outside/keep", 0755, &err), 0);
	write_plain("outside/keep/file", "precious");
	assert_int_equal(mkdir("victim", 0755), 0);
	assert_int_equal(symlink("../outside", "victim/link"), 0);
	assert_int_equal(symlink("../outside/keep/file", "victim/flink"), 0);
	assert_int_equal(cb_rm_rf(AT_FDCWD, "victim", &err), 0);
	assert_false(exists("victim"));
	assert_true(exists("outside/keep/file"));
	/* a symlink given directly is removed, not its target */
	assert_int_equal(symlink("outside", "top"), 0);
	assert_int_equal(cb_rm_rf(AT_FDCWD, "top", &err), 0);
	assert_false(exists("top"));
	assert_true(exists("outside/keep/file"));
}

static void test_basename(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"a/b/c", "c"}, {"c", "c"}, {"/c", "c"},   {"a/b/", ""},
		{"", ""},	{"/", ""},  {"a//b", "b"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(cb_basename(cases[i].in), cases[i].out);
	/* borrowed from the argument */
	static const char p[] = "x/y";
	assert_ptr_equal(cb_basename(p), p + 2);
}

static void test_dirname(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"a/b/c", "a/b"}, {"c", "."},	 {"", "."},    {"/c", "/"},
		{"/", "/"},	  {"a//b", "a"}, {"//a", "/"}, {"a/b/", "a/b"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_free char *d = cb_dirname(cases[i].in);

		if (strcmp(d, cases[i].out))
			fail_msg("dirname(%s) = %s, expected %s", cases[i].in, d, cases[i].out);
	}
}

static void test_path_join(void **state)
{
	(void)state;
	static const struct {
		const char *a, *b, *out;
	} cases[] = {
		{"a", "b", "a/b"},     {"a/", "b", "a/b"}, {"a", "/b", "a/b"},
		{"a//", "//b", "a/b"}, {"", "b", "b"},	   {"", "/b", "b"},
		{"/", "b", "/b"},      {"a", "", "a/"},	   {"a/b", "c/d", "a/b/c/d"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_free char *j = cb_path_join(cases[i].a, cases[i].b);

		if (strcmp(j, cases[i].out))
			fail_msg("join(%s, %s) = %s, expected %s", cases[i].a, cases[i].b, j,
				 cases[i].out);
	}
}

CB_TEST_MAIN(
	cmocka_unit_test_setup_teardown(test_write_atomic_creates_with_mode, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_write_atomic_replaces, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_write_atomic_failures, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_read_file, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_read_fd_and_write_all, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_mkdir_p, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_mkdir_p_file_in_the_way, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_mkdir_p_relative_to_dirfd, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_rm_rf, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_rm_rf_does_not_follow_symlinks, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_basename, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_dirname, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_path_join, enter_case_dir, leave_case_dir))
