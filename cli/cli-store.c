/*
 * cli-store.c - what the store commands share: opening the store, turning
 * what users type into the store's names, resolving IMAGE arguments, and
 * Docker's formats for sizes and ages.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "builder.h"
#include "cli.h"
#include "layerstore.h"
#include "registry.h"
#include "xalloc.h"

struct layer_store *cli_store_open(const char *root_flag)
{
	struct cb_error *err = NULL;
	char *root = layer_store_default_root(root_flag);
	struct layer_store *s = layer_store_open(root, &err);

	if (!s)
		cb_error_report(&err);
	free(root);
	return s;
}

char *cli_store_normalize(const char *name, struct cb_error **err)
{
	return registry_ref_normalize(name, err);
}

char *cli_store_familiar(const char *name, char **tag)
{
	struct registry_ref r;
	struct cb_error *err = NULL;
	char *out;

	if (registry_ref_parse(name, &r, &err) < 0) {
		/* Not a reference (a tag made by another tool): show it whole. */
		cb_error_free(&err);
		*tag = xstrdup("<none>");
		return xstrdup(name);
	}
	out = registry_ref_familiar_name(&r);
	*tag = xstrdup(r.tag ? r.tag : "<none>");
	registry_ref_release(&r);
	return out;
}

int cli_store_resolve(struct layer_store *s, const char *arg, struct store_image *img,
		      char **tag_out, struct cb_error **err)
{
	/* the builder's rules, so `cbuild run IMAGE` and RUN's images resolve alike */
	return build_image_resolve(s, arg, img, tag_out, err);
}

/* ------------------------------------------------------------------------ */
/* Sizes and times, as Docker prints them                                    */
/* ------------------------------------------------------------------------ */

void cli_format_size_digits(uint64_t n, int digits, char out[16])
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	double v = (double)n;
	size_t i = 0;

	/* go-units' HumanSizeWithPrecision: decimal units, DIGITS significant digits. */
	while (v >= 1000 && i + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		i++;
	}
	snprintf(out, 16, "%.*g%s", digits, v, units[i]);
}

void cli_format_size(uint64_t n, char out[16])
{
	cli_format_size_digits(n, 4, out);
}

static bool parse_rfc3339(const char *s, time_t *t)
{
	struct tm tm;
	const char *p;
	long off = 0;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return false;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':')
		off = (*p == '-' ? -1 : 1) * (atol(p + 1) * 3600 + atol(p + 4) * 60);
	else if (strcmp(p, "Z") && strcmp(p, "z"))
		return false;
	*t = timegm(&tm) - off;
	return true;
}

void cli_format_ago(const char *rfc3339, char out[32])
{
	time_t t;
	double secs;
	long h;

	if (!rfc3339 || !parse_rfc3339(rfc3339, &t)) {
		snprintf(out, 32, "N/A");
		return;
	}
	/* go-units' HumanDuration, then " ago", as `docker images` prints CREATED. */
	secs = difftime(time(NULL), t);
	h = (long)(secs / 3600 + 0.5); /* Go rounds the hours */
	if (secs < 1)
		snprintf(out, 32, "Less than a second ago");
	else if (secs < 2)
		snprintf(out, 32, "1 second ago");
	else if (secs < 60)
		snprintf(out, 32, "%d seconds ago", (int)secs);
	else if (secs < 120)
		snprintf(out, 32, "About a minute ago");
	else if (secs < 3600)
		snprintf(out, 32, "%d minutes ago", (int)(secs / 60));
	else if (h == 1)
		snprintf(out, 32, "About an hour ago");
	else if (h < 48)
		snprintf(out, 32, "%ld hours ago", h);
	else if (h < 24 * 7 * 2)
		snprintf(out, 32, "%ld days ago", h / 24);
	else if (h < 24 * 30 * 2)
		snprintf(out, 32, "%ld weeks ago", h / 24 / 7);
	else if (h < 24 * 365 * 2)
		snprintf(out, 32, "%ld months ago", h / 24 / 30);
	else
		snprintf(out, 32, "%ld years ago", (long)(secs / 3600) / 24 / 365);
}
