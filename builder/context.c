/*
 * context.c - the build context directory and its ignore rules.
 *
 * Which ignore file applies follows Docker: a file named after the
 * Dockerfile plus ".dockerignore", next to it, wins over the context's
 * .dockerignore, so several Dockerfiles can share one context with
 * different rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "builder.h"
#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

/* 1 when path is a regular file (following symlinks), 0 when absent, -1 on error. */
static int is_file(const char *path, struct cb_error **err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return cb_error_set(err, errno, "stat `%s`", path);
	}
	return S_ISREG(st.st_mode) ? 1 : 0;
}

static int pick_ignore_file(struct build_context *ctx, struct cb_error **err)
{
	cleanup_free char *specific = xasprintf("%s.dockerignore", ctx->dockerfile);
	cleanup_free char *common = cb_path_join(ctx->dir, ".dockerignore");
	int r;

	r = is_file(specific, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		ctx->ignore_file = steal_pointer(&specific);
		return 0;
	}
	r = is_file(common, err);
	if (r < 0)
		return -1;
	if (r > 0)
		ctx->ignore_file = steal_pointer(&common);
	return 0;
}

static int load_ignore(struct build_context *ctx, struct cb_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (!ctx->ignore_file)
		return 0;
	if (cb_read_file(ctx->ignore_file, BUILD_MAX_IGNORE_FILE, &buf, &len, err) < 0)
		return -1;
	if (dockerignore_read(buf, len, &ctx->ignore_patterns, err) < 0)
		return cb_error_wrap(err, "%s", ctx->ignore_file);
	if (!ctx->ignore_patterns.n)
		return 0;
	ctx->ignore = ignore_matcher_new(&ctx->ignore_patterns, err);
	if (!ctx->ignore)
		return cb_error_wrap(err, "%s", ctx->ignore_file);
	return 0;
}

int build_context_open(struct build_context *ctx, const char *dir, const char *dockerfile,
		       struct cb_error **err)
{
	struct stat st;

	memset(ctx, 0, sizeof(*ctx));
	if (stat(dir, &st) < 0)
		return cb_error_set(err, errno, "build context `%s`", dir);
	if (!S_ISDIR(st.st_mode))
		return cb_error_set(err, ENOTDIR, "build context `%s`", dir);
	ctx->dir = xstrdup(dir);
	ctx->dockerfile = dockerfile ? xstrdup(dockerfile) : cb_path_join(dir, "Dockerfile");
	if (pick_ignore_file(ctx, err) < 0 || load_ignore(ctx, err) < 0) {
		build_context_release(ctx);
		return -1;
	}
	return 0;
}

void build_context_release(struct build_context *ctx)
{
	free(ctx->dir);
	free(ctx->dockerfile);
	free(ctx->ignore_file);
	cb_strvec_clear(&ctx->ignore_patterns);
	ignore_matcher_free(ctx->ignore);
	memset(ctx, 0, sizeof(*ctx));
}

int build_context_excluded(const struct build_context *ctx, const char *relpath,
			   struct cb_error **err)
{
	int r = ctx->ignore ? ignore_matcher_matches(ctx->ignore, relpath, err) : 0;

	if (r < 0)
		cb_error_wrap(err, "%s", ctx->ignore_file);
	return r;
}
