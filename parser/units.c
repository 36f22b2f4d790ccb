/*
 * units.c - Go's time.ParseDuration (HEALTHCHECK intervals), with the same
 * accepted syntax, the same rounding and the same error messages.  Sizes
 * (tmpfs mounts) are common/units.c's, shared with the CLI.
 */
#include <stdint.h>
#include <string.h>

#include "parser-internal.h"
#include "strbuf.h"

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
