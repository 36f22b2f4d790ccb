/*
 * builder.h - the builder: a Dockerfile and a build context in, an image
 * out.  This module owns everything that touches the context directory.
 *
 * Calling sequence (today: the context and its ignore rules):
 *
 *	struct build_context ctx;
 *	if (build_context_open(&ctx, "path/to/ctx", NULL, &err) < 0) ...
 *	if (build_context_excluded(&ctx, "node_modules/x")) ...
 *	build_context_release(&ctx);
 */
#ifndef CB_BUILDER_BUILDER_H
#define CB_BUILDER_BUILDER_H

#include <stdbool.h>

#include "dockerfile.h"
#include "error.h"
#include "strbuf.h"

/* Ignore files larger than this are refused (they are pattern lists). */
#define BUILD_MAX_IGNORE_FILE (16u << 20)

struct build_context {
	char *dir;	   /* the context directory */
	char *dockerfile;  /* the Dockerfile's path */
	char *ignore_file; /* the ignore file in use, NULL when none */
	struct cb_strvec ignore_patterns;
	struct ignore_matcher *ignore; /* NULL when there are no patterns */
};

/*
 * Open the build context `dir` for the Dockerfile at `dockerfile` (NULL
 * means <dir>/Dockerfile).  The ignore rules come from
 * <dockerfile>.dockerignore when that file exists next to the Dockerfile,
 * else from <dir>/.dockerignore, else there are none.  On failure (an
 * unreadable ignore file, a bad pattern) *err names the file.
 */
int build_context_open(struct build_context *ctx, const char *dir, const char *dockerfile,
		       struct cb_error **err);
void build_context_release(struct build_context *ctx);

/* Is relpath (slash-separated, relative to the context) left out of the build? */
bool build_context_excluded(const struct build_context *ctx, const char *relpath);

#endif
