#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char cb_strbuf_empty[1];

void cb_strbuf_init(struct cb_strbuf *sb)
{
	sb->buf = cb_strbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
}

void cb_strbuf_release(struct cb_strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	cb_strbuf_init(sb);
}

void cb_strbuf_grow(struct cb_strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;

	if (need < sb->len) {
		fprintf(stderr, "cbuild: strbuf size overflow\n");
		abort();
	}
	if (need <= sb->alloc)
		return;
	if (!sb->alloc)
		sb->buf = NULL;
	{
		size_t alloc = sb->alloc;
		CB_ALLOC_GROW(sb->buf, need, alloc);
		sb->alloc = alloc;
	}
	if (sb->len == 0)
		sb->buf[0] = '\0';
}

void cb_strbuf_add(struct cb_strbuf *sb, const void *data, size_t len)
{
	if (!len)
		return;
	cb_strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void cb_strbuf_addstr(struct cb_strbuf *sb, const char *s)
{
	cb_strbuf_add(sb, s, strlen(s));
}

void cb_strbuf_addch(struct cb_strbuf *sb, int c)
{
	cb_strbuf_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}

void cb_strbuf_addvf(struct cb_strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(sb->len + 1 <= sb->alloc ? sb->buf + sb->len : NULL,
		      sb->alloc ? sb->alloc - sb->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		fprintf(stderr, "cbuild: invalid format string `%s`\n", fmt);
		abort();
	}
	if ((size_t)n + 1 > (sb->alloc ? sb->alloc - sb->len : 0)) {
		cb_strbuf_grow(sb, (size_t)n);
		vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	}
	sb->len += (size_t)n;
}

void cb_strbuf_addf(struct cb_strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cb_strbuf_addvf(sb, fmt, ap);
	va_end(ap);
}

void cb_strbuf_setlen(struct cb_strbuf *sb, size_t len)
{
	if (len > sb->len)
		cb_strbuf_grow(sb, len - sb->len);
	if (!sb->alloc)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
}

char *cb_strbuf_detach(struct cb_strbuf *sb, size_t *len)
{
	char *s;

	if (len)
		*len = sb->len;
	if (!sb->alloc)
		return xstrdup("");
	s = sb->buf;
	cb_strbuf_init(sb);
	return s;
}

void cb_strbuf_rtrim(struct cb_strbuf *sb, const char *set)
{
	size_t len = sb->len;

	/* strchr() finds the terminator for '\0': a NUL byte is content, never trimmed */
	while (len && sb->buf[len - 1] && strchr(set, sb->buf[len - 1]))
		len--;
	cb_strbuf_setlen(sb, len);
}

void cb_strvec_push_take(struct cb_strvec *sv, char *s)
{
	CB_ALLOC_GROW(sv->v, sv->n + 2, sv->alloc);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void cb_strvec_push(struct cb_strvec *sv, const char *s)
{
	cb_strvec_push_take(sv, xstrdup(s));
}

void cb_strvec_pushn(struct cb_strvec *sv, const char *s, size_t len)
{
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	cb_strvec_push_take(sv, p);
}

void cb_strvec_pushf(struct cb_strvec *sv, const char *fmt, ...)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	cb_strbuf_addvf(&sb, fmt, ap);
	va_end(ap);
	cb_strvec_push_take(sv, cb_strbuf_detach(&sb, NULL));
}

void cb_strvec_clear(struct cb_strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
	sv->alloc = 0;
}

long cb_strvec_find(const struct cb_strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return (long)i;
	return -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cb_strvec_sort(struct cb_strvec *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
}

/* Where key is, or would go: *found says which. */
static size_t strmap_slot(const struct cb_strmap *m, const char *key, bool *found)
{
	size_t lo = 0, hi = m->keys.n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->keys.v[mid], key);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Move the last element of sv to index at. */
static void strvec_sink(struct cb_strvec *sv, size_t at)
{
	char *last = sv->v[sv->n - 1];

	memmove(&sv->v[at + 1], &sv->v[at], (sv->n - 1 - at) * sizeof(*sv->v));
	sv->v[at] = last;
}

void cb_strmap_set(struct cb_strmap *m, const char *key, const char *value)
{
	bool found;
	size_t at = strmap_slot(m, key, &found);

	if (found) {
		free(m->values.v[at]);
		m->values.v[at] = xstrdup(value);
		return;
	}
	cb_strvec_push(&m->keys, key);
	cb_strvec_push(&m->values, value);
	strvec_sink(&m->keys, at);
	strvec_sink(&m->values, at);
}

const char *cb_strmap_get(const struct cb_strmap *m, const char *key)
{
	bool found;
	size_t at = strmap_slot(m, key, &found);

	return found ? m->values.v[at] : NULL;
}

void cb_strmap_clear(struct cb_strmap *m)
{
	cb_strvec_clear(&m->keys);
	cb_strvec_clear(&m->values);
}

bool cb_str_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool cb_str_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !memcmp(s + ls - lx, suffix, lx);
}
