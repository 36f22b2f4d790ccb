/*
 * xalloc.h - allocation that never fails: on out-of-memory the process
 * prints a message and aborts, as git's x* wrappers do.  Everything returned
 * is the caller's to free().
 */
#ifndef CB_COMMON_XALLOC_H
#define CB_COMMON_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t nmemb, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));
void *xmemdup(const void *p, size_t n) __attribute__((malloc, returns_nonnull));
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), returns_nonnull));

/* n * size, aborting on overflow. */
size_t cb_st_mult(size_t n, size_t size);

/*
 * Grow the array `p` (with `alloc` slots) so that it holds at least `nr`
 * elements.  Amortised O(1) per element.
 */
#define CB_ALLOC_GROW(p, nr, alloc)                                                                \
	do {                                                                                       \
		if ((nr) > (alloc)) {                                                              \
			size_t cb_new_ = (alloc) < 8 ? 8 : (alloc) + (alloc) / 2;                  \
			if (cb_new_ < (nr))                                                        \
				cb_new_ = (nr);                                                    \
			(p) = xrealloc((p), cb_st_mult(cb_new_, sizeof(*(p))));                    \
			(alloc) = cb_new_;                                                         \
		}                                                                                  \
	} while (0)

#endif
