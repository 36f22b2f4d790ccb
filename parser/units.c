/*
 * units.c - Go's time.ParseDuration (HEALTHCHECK intervals) and docker's
 * units.RAMInBytes (tmpfs mount sizes), with the same accepted syntax.
 */
#include <stdint.h>
#include <string.h>

#include "parser-internal.h"

static const struct {
	const char *name;
	uint64_t ns;
} duration_units[] = {
	{ "ns", 1ULL },
	{ "us", 1000ULL },
	{ "\xC2\xB5s", 1000ULL }, /* U+00B5 micro sign */
	{ "\xCE\xBCs", 1000ULL }, /* U+03BC Greek mu */
	{ "ms", 1000000ULL },
	{ "s", 1000000000ULL },
	{ "m", 60000000000ULL },
	{ "h", 3600000000000ULL },
};

static int bad_duration(const char *s, struct cb_error **err)
{
	return cb_error_set(err, 0, "time: invalid duration \"%s\"", s);
}

/* One "<number><unit>" element; adds its nanoseconds to *total. */
static int duration_element(const char *orig, const char **pp, uint64_t *total,
			    struct cb_error **err)
{
	const char *p = *pp, *u;
	uint64_t whole = 0, frac = 0, scale = 1, unit = 0;
	bool digits = false, overflow = false;
	size_t ulen;

	while (*p >= '0' && *p <= '9') {
		if (whole > (UINT64_MAX - 9) / 10)
			overflow = true;
		whole = whole * 10 + (uint64_t)(*p++ - '0');
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (scale < 1000000000000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
			p++;
			digits = true;
		}
	}
	if (!digits || overflow)
		return bad_duration(orig, err);
	u = p;
	while (*p && *p != '.' && !(*p >= '0' && *p <= '9'))
		p++;
	ulen = (size_t)(p - u);
	if (!ulen)
		return cb_error_set(err, 0, "time: missing unit in duration \"%s\"", orig);
	for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
		if (strlen(duration_units[i].name) == ulen && !memcmp(u, duration_units[i].name, ulen))
			unit = duration_units[i].ns;
	if (!unit)
		return cb_error_set(err, 0, "time: unknown unit \"%.*s\" in duration \"%s\"",
				    (int)ulen, u, orig);
	if (whole > (UINT64_MAX / 2) / unit)
		return bad_duration(orig, err);
	whole = whole * unit + (uint64_t)((long double)frac * (long double)unit / (long double)scale);
	if (whole > (1ULL << 63) || *total > (1ULL << 63) - whole)
		return bad_duration(orig, err);
	*total += whole;
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
	if (!neg && total > (uint64_t)INT64_MAX)
		return bad_duration(s, err);
	*ns = neg ? (int64_t)(0 - total) : (int64_t)total;
	return 0;
}

/*
 * units.RAMInBytes: ^(\d+(\.\d+)?) ?([kmgtp])?i?b?$ case-insensitive, binary
 * multiples (docker's regexp also allows "1.2.3", which its ParseFloat then
 * rejects; so do we).
 */
int df_parse_ram_bytes(const char *s, long long *out, struct cb_error **err)
{
	static const char units[] = "kmgtp";
	const char *p = s, *u;
	long double v = 0, frac = 0.1L;
	bool digits = false;
	int shift = 0;

	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		digits = true;
	}
	if (digits && *p == '.' && p[1] >= '0' && p[1] <= '9') {
		p++;
		while (*p >= '0' && *p <= '9') {
			v += (*p++ - '0') * frac;
			frac /= 10;
		}
	}
	if (!digits)
		return cb_error_set(err, 0, "invalid size: '%s'", s);
	if (*p == ' ')
		p++;
	if (*p && (u = strchr(units, *p | 0x20)) != NULL && *u) {
		shift = (int)(u - units + 1) * 10;
		p++;
	}
	if ((*p | 0x20) == 'i')
		p++;
	if ((*p | 0x20) == 'b')
		p++;
	if (*p)
		return cb_error_set(err, 0, "invalid size: '%s'", s);
	v *= (long double)(1ULL << shift);
	if (v >= 9.2e18L)
		return cb_error_set(err, 0, "invalid size: '%s'", s);
	*out = (long long)v;
	return 0;
}
