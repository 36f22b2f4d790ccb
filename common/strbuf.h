/*
 * strbuf.h - growable byte strings (always NUL-terminated, may hold NULs)
 * and string vectors.
 *
 *	struct cb_strbuf sb = CB_STRBUF_INIT;
 *	cb_strbuf_addf(&sb, "%d", n);
 *	char *s = cb_strbuf_detach(&sb, NULL);	// caller frees s
 *
 * Appending never fails (allocation aborts on OOM).  A released or detached
 * strbuf is back in the CB_STRBUF_INIT state and may be reused.
 */
#ifndef CB_COMMON_STRBUF_H
#define CB_COMMON_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct cb_strbuf {
	char *buf;    /* never NULL: points at a shared "" until the first append */
	size_t len;   /* bytes used, excluding the terminating NUL */
	size_t alloc; /* bytes allocated; 0 while buf is the shared "" */
};

extern char cb_strbuf_empty[];
#define CB_STRBUF_INIT                                                                             \
	{                                                                                          \
		cb_strbuf_empty, 0, 0                                                              \
	}

void cb_strbuf_init(struct cb_strbuf *sb);
void cb_strbuf_release(struct cb_strbuf *sb);
/* Ensure room for `extra` more bytes plus the NUL. */
void cb_strbuf_grow(struct cb_strbuf *sb, size_t extra);
void cb_strbuf_add(struct cb_strbuf *sb, const void *data, size_t len);
void cb_strbuf_addstr(struct cb_strbuf *sb, const char *s);
void cb_strbuf_addch(struct cb_strbuf *sb, int c);
void cb_strbuf_addf(struct cb_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cb_strbuf_addvf(struct cb_strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Truncate (or, with grow first, extend) to len bytes. */
void cb_strbuf_setlen(struct cb_strbuf *sb, size_t len);
static inline void cb_strbuf_reset(struct cb_strbuf *sb)
{
	cb_strbuf_setlen(sb, 0);
}
/* Return the heap string (caller frees) and reset sb; *len gets its length if non-NULL. */
char *cb_strbuf_detach(struct cb_strbuf *sb, size_t *len);
/* Remove trailing bytes in `set`. */
void cb_strbuf_rtrim(struct cb_strbuf *sb, const char *set);

/* A NULL-terminated vector of owned strings. */
struct cb_strvec {
	char **v; /* v[n] == NULL when n > 0; may be NULL when empty */
	size_t n;
	size_t alloc;
};
#define CB_STRVEC_INIT                                                                             \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void cb_strvec_push(struct cb_strvec *sv, const char *s);
void cb_strvec_pushn(struct cb_strvec *sv, const char *s, size_t len);
/* Append s, taking ownership of it. */
void cb_strvec_push_take(struct cb_strvec *sv, char *s);
void cb_strvec_pushf(struct cb_strvec *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cb_strvec_clear(struct cb_strvec *sv);
/* Sort sv in byte order (strcmp), as Go's sort.Strings. */
void cb_strvec_sort(struct cb_strvec *sv);
/* Index of s in sv, or -1. */
long cb_strvec_find(const struct cb_strvec *sv, const char *s);
/* The element at i; NULL when out of range. Borrowed. */
static inline const char *cb_strvec_get(const struct cb_strvec *sv, size_t i)
{
	return i < sv->n ? sv->v[i] : NULL;
}

/*
 * A map of strings, kept sorted by key in byte order (the order Go's
 * encoding/json writes a map in): keys.v[i] maps to values.v[i].  A key
 * may hold any byte but NUL, "=" included, which "k=v" strings can't.
 */
struct cb_strmap {
	struct cb_strvec keys, values;
};
#define CB_STRMAP_INIT                                                                             \
	{                                                                                          \
		CB_STRVEC_INIT, CB_STRVEC_INIT                                                     \
	}

/* Add key, or replace its value. */
void cb_strmap_set(struct cb_strmap *m, const char *key, const char *value);
/* The value of key, borrowed; NULL when absent. */
const char *cb_strmap_get(const struct cb_strmap *m, const char *key);
void cb_strmap_clear(struct cb_strmap *m);

bool cb_str_starts_with(const char *s, const char *prefix);
bool cb_str_ends_with(const char *s, const char *suffix);

#endif
