#include "utf8.h"

#include <string.h>

bool cb_rune_in_ranges(const struct cb_rune_range *t, size_t n, uint32_t r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r < t[mid].lo)
			hi = mid;
		else if (r > t[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool is_cont(unsigned char c)
{
	return c >= 0x80 && c <= 0xBF;
}

size_t cb_utf8_decode(const char *str, size_t len, uint32_t *r)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;

	if (c < 0x80) {
		*r = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		if (len >= 2 && is_cont(s[1])) {
			*r = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
			return 2;
		}
	} else if (c >= 0xE0 && c <= 0xEF) {
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F; /* no surrogates */
		if (len >= 3 && s[1] >= lo && s[1] <= hi && is_cont(s[2])) {
			*r = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
			     (s[2] & 0x3F);
			return 3;
		}
	} else if (c >= 0xF0 && c <= 0xF4) {
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F; /* nothing above U+10FFFF */
		if (len >= 4 && s[1] >= lo && s[1] <= hi && is_cont(s[2]) && is_cont(s[3])) {
			*r = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
			     ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
			return 4;
		}
	}
	*r = CB_RUNE_ERROR;
	return 1;
}

void cb_strbuf_add_rune(struct cb_strbuf *sb, uint32_t r)
{
	char b[4];

	if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		r = CB_RUNE_ERROR;
	if (r < 0x80) {
		cb_strbuf_addch(sb, (int)r);
		return;
	}
	if (r < 0x800) {
		b[0] = (char)(0xC0 | (r >> 6));
		b[1] = (char)(0x80 | (r & 0x3F));
		cb_strbuf_add(sb, b, 2);
	} else if (r < 0x10000) {
		b[0] = (char)(0xE0 | (r >> 12));
		b[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		b[2] = (char)(0x80 | (r & 0x3F));
		cb_strbuf_add(sb, b, 3);
	} else {
		b[0] = (char)(0xF0 | (r >> 18));
		b[1] = (char)(0x80 | ((r >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((r >> 6) & 0x3F));
		b[3] = (char)(0x80 | (r & 0x3F));
		cb_strbuf_add(sb, b, 4);
	}
}

bool cb_rune_is_space(uint32_t r)
{
	if (r < 0x80)
		return r == ' ' || (r >= '\t' && r <= '\r');
	return cb_rune_in_ranges(cb_unicode_space, cb_unicode_space_len, r);
}

bool cb_rune_is_letter(uint32_t r)
{
	if (r < 0x80)
		return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
	return cb_rune_in_ranges(cb_unicode_letter, cb_unicode_letter_len, r);
}

bool cb_rune_is_digit(uint32_t r)
{
	if (r < 0x80)
		return r >= '0' && r <= '9';
	return cb_rune_in_ranges(cb_unicode_digit, cb_unicode_digit_len, r);
}

bool cb_rune_is_print(uint32_t r)
{
	if (r < 0x80)
		return r >= 0x20 && r < 0x7F;
	return cb_rune_in_ranges(cb_unicode_print, cb_unicode_print_len, r);
}

/* Apply the case range holding r, if any (the ranges are sorted and disjoint). */
static uint32_t map_case(const struct cb_case_range *t, size_t n, uint32_t r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r < t[mid].lo) {
			hi = mid;
		} else if (r > t[mid].hi) {
			lo = mid + 1;
		} else {
			/* a stride-2 range skips the letters of the other case */
			if ((r - t[mid].lo) % t[mid].stride)
				return r;
			return (uint32_t)((int64_t)r + t[mid].delta);
		}
	}
	return r;
}

uint32_t cb_rune_to_lower(uint32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + 32 : r;
	return map_case(cb_unicode_to_lower, cb_unicode_to_lower_len, r);
}

uint32_t cb_rune_to_upper(uint32_t r)
{
	if (r < 0x80)
		return r >= 'a' && r <= 'z' ? r - 32 : r;
	return map_case(cb_unicode_to_upper, cb_unicode_to_upper_len, r);
}

void cb_strbuf_add_goquote(struct cb_strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	cb_strbuf_addch(sb, '"');
	while (i < len) {
		uint32_t r;
		size_t w = cb_utf8_decode(s + i, len - i, &r);

		if (r == CB_RUNE_ERROR && w == 1) {
			unsigned char c = (unsigned char)s[i];

			cb_strbuf_addstr(sb, "\\x");
			cb_strbuf_addch(sb, hex[c >> 4]);
			cb_strbuf_addch(sb, hex[c & 15]);
			i++;
			continue;
		}
		i += w;
		if (r == '"' || r == '\\') {
			cb_strbuf_addch(sb, '\\');
			cb_strbuf_addch(sb, (int)r);
		} else if (cb_rune_is_print(r)) {
			cb_strbuf_add_rune(sb, r);
		} else if (r == '\a') {
			cb_strbuf_addstr(sb, "\\a");
		} else if (r == '\b') {
			cb_strbuf_addstr(sb, "\\b");
		} else if (r == '\f') {
			cb_strbuf_addstr(sb, "\\f");
		} else if (r == '\n') {
			cb_strbuf_addstr(sb, "\\n");
		} else if (r == '\r') {
			cb_strbuf_addstr(sb, "\\r");
		} else if (r == '\t') {
			cb_strbuf_addstr(sb, "\\t");
		} else if (r == '\v') {
			cb_strbuf_addstr(sb, "\\v");
		} else if (r < 0x20 || r == 0x7F) {
			cb_strbuf_addf(sb, "\\x%02x", r);
		} else if (r < 0x10000) {
			cb_strbuf_addf(sb, "\\u%04x", r);
		} else {
			cb_strbuf_addf(sb, "\\U%08x", r);
		}
	}
	cb_strbuf_addch(sb, '"');
}

static void add_hex_bytes(struct cb_strbuf *sb, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char e[4] = {'\\', 'x', hex[p[i] >> 4], hex[p[i] & 15]};

		cb_strbuf_add(sb, e, sizeof(e));
	}
}

void cb_strbuf_add_escaped(struct cb_strbuf *sb, const char *s, size_t len)
{
	size_t i = 0, plain = 0;

	while (i < len) {
		const unsigned char *p = (const unsigned char *)s + i;
		uint32_t r;
		size_t w = cb_utf8_decode(s + i, len - i, &r);
		bool esc;

		if (r == CB_RUNE_ERROR && w == 1)
			esc = *p >= 0x80 && *p <= 0x9f; /* a raw C1 byte */
		else
			esc = (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f);
		if (esc) {
			cb_strbuf_add(sb, s + plain, i - plain);
			add_hex_bytes(sb, p, w);
			plain = i + w;
		}
		i += w;
	}
	cb_strbuf_add(sb, s + plain, len - plain);
}

char *cb_escape_controls(const char *s)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	cb_strbuf_add_escaped(&sb, s, strlen(s));
	return cb_strbuf_detach(&sb, NULL);
}
