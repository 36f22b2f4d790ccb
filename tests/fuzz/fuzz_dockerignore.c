/*
 * fuzz_dockerignore.c - .dockerignore reading and matching.  Input: a
 * .dockerignore file, then after a NUL a path to match (directly and by a
 * parent-results walk, which must agree).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int walk(const struct ignore_matcher *m, const char *path)
{
	struct ignore_parent_info parent, next;
	char *p = xstrdup(path);
	int matched = 0;

	ignore_parent_init(&parent);
	for (char *slash = p;; slash++) {
		char saved;

		slash = strchr(slash, '/');
		saved = slash ? *slash : '\0';
		if (slash)
			*slash = '\0';
		ignore_parent_init(&next);
		matched = ignore_matcher_matches_parent(m, p, &parent, &next, NULL);
		ignore_parent_release(&parent);
		parent = next;
		if (!slash || matched < 0)
			break;
		*slash = saved;
	}
	ignore_parent_release(&parent);
	free(p);
	return matched;
}

/* A relative path with no empty, "." or ".." component: both APIs see it alike. */
static bool is_clean(const char *path)
{
	const char *p = path;

	if (!*p)
		return false;
	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cb_strvec patterns = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	struct ignore_matcher *m;
	const char *nul = memchr(data, '\0', size);
	size_t flen = nul ? (size_t)(nul - (const char *)data) : size;
	char *path = nul ? xstrndup(nul + 1, size - flen - 1) : xstrdup("a/b");

	if (dockerignore_read((const char *)data, flen, &patterns, &err) == 0) {
		m = ignore_matcher_new(&patterns, &err);
		if (m) {
			struct cb_error *merr = NULL;
			int direct = ignore_matcher_matches(m, path, &merr), walked;

			/* -1 comes with an error, 0 and 1 without */
			if ((direct < 0) != (merr != NULL))
				abort();
			cb_error_free(&merr);
			/* without exclusions, the walk must agree with the direct match */
			if (is_clean(path) && !ignore_matcher_has_exclusions(m)) {
				walked = walk(m, path);
				if (direct >= 0 && walked >= 0 && direct != walked)
					abort();
			}
			ignore_matcher_free(m);
		}
	}
	cb_error_free(&err);
	cb_strvec_clear(&patterns);
	free(path);
	return 0;
}
