/*
 * units.c - Go's time.ParseDuration (HEALTHCHECK intervals) and docker's
 * units.RAMInBytes (tmpfs mount sizes), with the same accepted syntax, the
 * same rounding and the same error messages.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "parser-internal.h"
#include "xalloc.h"

#define NS_LIMIT (1ULL << 63)

static const struct {
	const char *name;
	uint64_t ns;
} duration_units[] = {
	{"ns", 1ULL},		{"us", 1000ULL},
	{"\xC2\xB5s", 1000ULL}, /* U+00B5 micro sign */
	{"\xCE\xBCs", 1000ULL}, /* U+03BC Greek mu */
	{"ms", 1000000ULL},	{"s", 1000000000ULL},
	{"m", 60000000000ULL},	{"h", 3600000000000ULL},
};

/* The time package's quote(): ASCII as is (with \" and \\), other bytes as \xNN. */
static void time_quote(struct cb_strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	cb_strbuf_addch(sb, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || c < ' ') {
			cb_strbuf_addstr(sb, "\\x");
			cb_strbuf_addch(sb, hex[c >> 4]);
			cb_strbuf_addch(sb, hex[c & 15]);
			continue;
		}
		if (c == '"' || c == '\\')
			cb_strbuf_addch(sb, '\\');
		cb_strbuf_addch(sb, c);
	}
	cb_strbuf_addch(sb, '"');
}

/* "time: <what> <quoted orig>" or, with a unit, "time: unknown unit U in duration D". */
static int duration_error(const char *what, const char *unit, size_t ulen, const char *orig,
			  struct cb_error **err)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	cb_strbuf_addstr(&sb, "time: ");
	cb_strbuf_addstr(&sb, what);
	if (unit) {
		time_quote(&sb, unit, ulen);
		cb_strbuf_addstr(&sb, " in duration ");
	}
	time_quote(&sb, orig, strlen(orig));
	cb_error_set(err, 0, "%s", sb.buf);
	cb_strbuf_release(&sb);
	return -1;
}

static int bad_duration(const char *orig, struct cb_error **err)
{
	return duration_error("invalid duration ", NULL, 0, orig, err);
}

/* leadingInt: [0-9]*, failing past 1<<63. */
static int leading_int(const char **pp, uint64_t *x)
{
	const char *p = *pp;

	*x = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (*x > NS_LIMIT / 10)
			return -1;
		*x = *x * 10 + (uint64_t)(*p - '0');
		if (*x > NS_LIMIT)
			return -1;
	}
	*pp = p;
	return 0;
}

/* leadingFraction: [0-9]*, keeping the precision that fits and skipping the rest. */
static void leading_fraction(const char **pp, uint64_t *x, double *scale)
{
	const char *p = *pp;
	bool overflow = false;

	*x = 0;
	*scale = 1;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t y;

		if (overflow)
			continue;
		if (*x > (NS_LIMIT - 1) / 10) {
			overflow = true;
			continue;
		}
		y = *x * 10 + (uint64_t)(*p - '0');
		if (y > NS_LIMIT) {
			overflow = true;
			continue;
		}
		*x = y;
		*scale *= 10;
	}
	*pp = p;
}

static uint64_t unit_ns(const char *u, size_t ulen)
{
	for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
		if (strlen(duration_units[i].name) == ulen &&
		    !memcmp(u, duration_units[i].name, ulen))
			return duration_units[i].ns;
	return 0;
}

/* One "<number><unit>" element; adds its nanoseconds to *total (wrapping as Go's uint64 does). */
static int duration_element(const char *orig, const char **pp, uint64_t *total,
			    struct cb_error **err)
{
	const char *p = *pp, *u, *before;
	uint64_t v, f = 0, unit;
	double scale = 1;
	bool pre, post = false;

	if (!(*p == '.' || (*p >= '0' && *p <= '9')))
		return bad_duration(orig, err);
	before = p;
	if (leading_int(&p, &v) < 0)
		return bad_duration(orig, err);
	pre = p != before;
	if (*p == '.') {
		before = ++p;
		leading_fraction(&p, &f, &scale);
		post = p != before;
	}
	if (!pre && !post)
		return bad_duration(orig, err);
	for (u = p; *p && *p != '.' && !(*p >= '0' && *p <= '9'); p++)
		;
	if (p == u)
		return duration_error("missing unit in duration ", NULL, 0, orig, err);
	unit = unit_ns(u, (size_t)(p - u));
	if (!unit)
		return duration_error("unknown unit ", u, (size_t)(p - u), orig, err);
	if (v > NS_LIMIT / unit)
		return bad_duration(orig, err);
	v *= unit;
	if (f > 0) {
		/* float64 keeps fractions of hours nanosecond-accurate, as in Go */
		v += (uint64_t)((double)f * ((double)unit / scale));
		if (v > NS_LIMIT)
			return bad_duration(orig, err);
	}
	*total += v;
	if (*total > NS_LIMIT)
		return bad_duration(orig, err);
	*pp = p;
	return 0;
}

int df_parse_duration(const char *s, int64_t *ns, struct cb_error **err)
{
	const char *p = s;
	uint64_t total = 0;
	bool neg = false;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!strcmp(p, "0")) {
		*ns = 0;
		return 0;
	}
	if (!*p)
		return bad_duration(s, err);
	while (*p)
		if (duration_element(s, &p, &total, err) < 0)
			return -1;
	if (!neg && total > NS_LIMIT - 1)
		return bad_duration(s, err);
	*ns = neg ? (int64_t)(0 - total) : (int64_t)total;
	return 0;
}

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

/*
 * strconv.ParseFloat(s[0:n], 64): [+-], then decimal digits with an optional
 * '.' and exponent, or 0x hex digits with a mandatory p exponent.  The text
 * is checked against Go's grammar, then converted by strtod.
 */
static int go_parse_float(const char *s, size_t n, double *out)
{
	struct cb_strbuf num = CB_STRBUF_INIT;
	size_t i = 0, mant;
	bool hex;
	int rc = -1;

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
	rc = isinf(*out) ? -1 : 0; /* Go: "value out of range" */
out:
	cb_strbuf_release(&num);
	return rc;
}

static int bad_size(const char *what, const char *s, struct cb_error **err)
{
	return cb_error_set(err, 0, "%s: '%s'", what, s);
}

/*
 * units.RAMInBytes (docker/go-units v0.5.0 parseSize): the number runs to
 * the last digit, '.' or space; one space before the suffix is dropped; the
 * suffix is b, or k/m/g/t/p with an optional b or ib, case-insensitive;
 * binary multiples; negative sizes are rejected.
 */
int df_parse_ram_bytes(const char *s, long long *out, struct cb_error **err)
{
	static const char units[] = "kmgtp";
	size_t len = strlen(s), sep = len, num;
	cleanup_free char *sfx = NULL;
	const char *u;
	double v;

	while (sep > 0 && !strchr("01234567890. ", s[sep - 1]))
		sep--;
	if (sep == 0)
		return bad_size("invalid size", s, err);
	num = s[sep - 1] == ' ' ? sep - 1 : sep;
	if (go_parse_float(s, num, &v) < 0)
		return bad_size("invalid size", s, err);
	if (v < 0)
		return bad_size("invalid size", s, err);
	sfx = df_lower(s + sep);
	if (strlen(s + sep) > 3)
		return bad_size("invalid suffix", sfx, err);
	if (*sfx && *sfx != 'b') {
		if (!(u = strchr(units, *sfx)))
			return bad_size("invalid suffix", sfx, err);
		if ((sfx[1] && strcmp(sfx + 1, "b") && strcmp(sfx + 1, "ib")))
			return bad_size("invalid suffix", sfx, err);
		v *= (double)(1ULL << ((u - units + 1) * 10));
	} else if (*sfx && sfx[1]) {
		return bad_size("invalid suffix", sfx, err);
	}
	/* int64(size): past the int64 range Go gives garbage; refuse instead */
	if (v >= 9223372036854775808.0)
		return bad_size("invalid size", s, err);
	*out = (long long)v;
	return 0;
}
