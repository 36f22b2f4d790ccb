/*
 * units.c - docker/go-units v0.5.0's parseSize (RAMInBytes, FromHumanSize)
 * with Go's strconv.ParseFloat for the number: the same accepted syntax,
 * the same truncation and the same error messages (units.h).
 */
#include "units.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"
#include "utf8.h"

static bool is_digit(char c, bool hex)
{
	return (c >= '0' && c <= '9') || (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* A run of digits (base 10 or 16), Go's '_' allowed between two digits; returns its length. */
static size_t go_digits(const char *s, size_t n, bool hex, struct cb_strbuf *out)
{
	size_t i = 0;

	for (; i < n; i++) {
		if (s[i] == '_' && i > 0 && i + 1 < n && is_digit(s[i + 1], hex))
			continue;
		if (!is_digit(s[i], hex))
			break;
		cb_strbuf_addch(out, s[i]);
	}
	return i;
}

/* The optional exponent at s[*i]: e (decimal) or p (hex, where it is required). */
static bool go_exponent(const char *s, size_t n, size_t *i, bool hex, struct cb_strbuf *num)
{
	size_t before;

	if (*i >= n || (s[*i] | 0x20) != (hex ? 'p' : 'e'))
		return !hex;
	cb_strbuf_addch(num, s[(*i)++]);
	if (*i < n && (s[*i] == '+' || s[*i] == '-'))
		cb_strbuf_addch(num, s[(*i)++]);
	before = num->len;
	*i += go_digits(s + *i, n - *i, false, num);
	return num->len != before;
}

/* strconv's special(): [+-]inf, [+-]infinity, nan (any case), the whole of s[0:n]. */
static bool go_special(const char *s, size_t n, double *out)
{
	size_t i = 0;
	bool neg = false;

	if (n == 3 && !strncasecmp(s, "nan", 3)) {
		*out = NAN;
		return true;
	}
	if (n && (s[0] == '+' || s[0] == '-'))
		neg = s[i++] == '-';
	if ((n - i == 3 && !strncasecmp(s + i, "inf", 3)) ||
	    (n - i == 8 && !strncasecmp(s + i, "infinity", 8))) {
		*out = neg ? -INFINITY : INFINITY;
		return true;
	}
	return false;
}

enum { FLOAT_OK, FLOAT_SYNTAX, FLOAT_RANGE };

/*
 * strconv.ParseFloat(s[0:n], 64): [+-], then decimal digits with an optional
 * '.' and exponent, or 0x hex digits with a mandatory p exponent, or a
 * special value.  The text is checked against Go's grammar, then converted
 * by strtod.
 */
static int go_parse_float(const char *s, size_t n, double *out)
{
	struct cb_strbuf num = CB_STRBUF_INIT;
	size_t i = 0, mant;
	bool hex;
	int rc = FLOAT_SYNTAX;

	if (go_special(s, n, out))
		return FLOAT_OK;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		cb_strbuf_addch(&num, s[i++]);
	hex = n - i > 2 && s[i] == '0' && (s[i + 1] | 0x20) == 'x';
	if (hex) {
		cb_strbuf_add(&num, s + i, 2);
		i += 2;
		if (i + 1 < n && s[i] == '_' && is_digit(s[i + 1], true)) /* "0x_1p4" */
			i++;
	}
	mant = num.len;
	i += go_digits(s + i, n - i, hex, &num);
	if (i < n && s[i] == '.') {
		cb_strbuf_addch(&num, s[i++]);
		i += go_digits(s + i, n - i, hex, &num);
		mant++; /* the '.' is not a digit */
	}
	if (num.len == mant || !go_exponent(s, n, &i, hex, &num) || i != n)
		goto out;
	*out = strtod(num.buf, NULL);
	rc = isinf(*out) ? FLOAT_RANGE : FLOAT_OK;
out:
	cb_strbuf_release(&num);
	return rc;
}

/* Go's strings.ToLower: each rune through unicode.ToLower, bad UTF-8 as U+FFFD. */
static void go_lower(const char *s, struct cb_strbuf *out)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		uint32_t r;
		size_t w = cb_utf8_decode(s + i, len - i, &r);

		cb_strbuf_add_rune(out, cb_rune_to_lower(r));
		i += w;
	}
}

static int float_error(const char *num, size_t len, int kind, struct cb_error **err)
{
	struct cb_strbuf q = CB_STRBUF_INIT;

	cb_strbuf_add_goquote(&q, num, len);
	cb_error_set(err, 0, "strconv.ParseFloat: parsing %s: %s", q.buf,
		     kind == FLOAT_RANGE ? "value out of range" : "invalid syntax");
	cb_strbuf_release(&q);
	return -1;
}

/* The multiplier of a suffix already lowered; 0 when it is not one. */
static double suffix_mult(const char *sfx, size_t len, double base)
{
	static const char units[] = "kmgtp";
	const char *u = sfx[0] ? strchr(units, sfx[0]) : NULL;
	double mult = base;

	if (sfx[0] == 'b')
		return len == 1 ? 1 : 0;
	if (!u || (len == 2 && sfx[1] != 'b') || (len == 3 && strcmp(sfx + 1, "ib")))
		return 0;
	for (; u > units; u--)
		mult *= base; /* exact: powers of 1000 and 1024 up to 2^50 */
	return mult;
}

/*
 * parseSize: the number runs to the last digit, '.' or space; a space
 * there is dropped (so "1 g" and "1 " read, "1  g" does not); the suffix
 * is at most 3 bytes before it is lowered.
 */
static int parse_size(const char *s, double base, int64_t *out, struct cb_error **err)
{
	struct cb_strbuf sfx = CB_STRBUF_INIT;
	size_t len = strlen(s), sep = len, num;
	double v, mult = 1;
	int kind;

	while (sep > 0 && !strchr("0123456789. ", s[sep - 1]))
		sep--;
	if (sep == 0)
		return cb_error_set(err, 0, "invalid size: '%s'", s);
	num = s[sep - 1] == ' ' ? sep - 1 : sep;
	kind = go_parse_float(s, num, &v);
	if (kind != FLOAT_OK)
		return float_error(s, num, kind, err);
	if (v < 0)
		return cb_error_set(err, 0, "invalid size: '%s'", s);
	if (s[sep]) {
		if (strlen(s + sep) > 3)
			return cb_error_set(err, 0, "invalid suffix: '%s'", s + sep);
		go_lower(s + sep, &sfx);
		mult = suffix_mult(sfx.buf, sfx.len, base);
		if (mult == 0) {
			cb_error_set(err, 0, "invalid suffix: '%s'", sfx.buf);
			cb_strbuf_release(&sfx);
			return -1;
		}
		cb_strbuf_release(&sfx);
	}
	v *= mult;
	/* int64(size): NaN, infinity and 2^63 or more give garbage in Go; refuse instead */
	if (isnan(v) || v >= 9223372036854775808.0)
		return cb_error_set(err, 0, "size out of range: '%s'", s);
	*out = (int64_t)v;
	return 0;
}

int cb_ram_in_bytes(const char *s, int64_t *out, struct cb_error **err)
{
	return parse_size(s, 1024, out, err);
}

int cb_from_human_size(const char *s, int64_t *out, struct cb_error **err)
{
	return parse_size(s, 1000, out, err);
}
