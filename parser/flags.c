/*
 * flags.c - instruction flags (BuildKit's BFlags) and "did you mean"
 * suggestions.
 *
 * An instruction declares the flags it accepts, then parses the node's
 * "--name[=value]" words against them: unknown flags (with a suggestion),
 * repeated single-valued flags, missing values and bad booleans are errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "flags.h"
#include "utf8.h"
#include "xalloc.h"

static struct df_flag *find(struct df_flags *f, const char *name, size_t len)
{
	for (size_t i = 0; i < f->n; i++)
		if (strlen(f->defs[i].name) == len && !memcmp(f->defs[i].name, name, len))
			return &f->defs[i];
	return NULL;
}

static struct df_flag *add(struct df_flags *f, const char *name, enum df_flag_type type,
			   const char *def)
{
	struct df_flag *fl;

	if (f->n == DF_MAX_FLAGS) {
		fprintf(stderr, "cbuild: internal error: too many flags\n");
		abort();
	}
	fl = &f->defs[f->n++];
	memset(fl, 0, sizeof(*fl));
	fl->name = name;
	fl->type = type;
	fl->value = def;
	return fl;
}

struct df_flag *df_flags_add_string(struct df_flags *f, const char *name, const char *def)
{
	return add(f, name, DF_FLAG_STRING, def);
}

struct df_flag *df_flags_add_bool(struct df_flags *f, const char *name)
{
	return add(f, name, DF_FLAG_BOOL, "false");
}

struct df_flag *df_flags_add_strings(struct df_flags *f, const char *name)
{
	return add(f, name, DF_FLAG_STRINGS, NULL);
}

/* BuildKit's messages name the flag as written, "--name" (strings.Cut(a, "=")). */
static int unknown_flag(struct df_flags *f, const char *name, size_t len, struct cb_error **err)
{
	const char *options[DF_MAX_FLAGS];
	char *n = xstrndup(name, len);
	char buf[64];
	const char *match;

	for (size_t i = 0; i < f->n; i++)
		options[i] = f->defs[i].name;
	match = df_suggest(n, options, f->n, true, buf, sizeof(buf));
	if (match)
		cb_error_set(err, 0, "unknown flag: --%s (did you mean %s?)", n, match);
	else
		cb_error_set(err, 0, "unknown flag: --%s", n);
	free(n);
	return -1;
}

static int set_bool(struct df_flag *fl, const char *value, bool has_value, struct cb_error **err)
{
	if (has_value && !*value)
		return cb_error_set(err, 0, "missing a value on flag: --%s", fl->name);
	if (!*value || !strcasecmp(value, "true"))
		fl->value = "true";
	else if (!strcasecmp(value, "false"))
		fl->value = "false";
	else
		return cb_error_set(err, 0, "expecting boolean value for flag --%s, not: %s",
				    fl->name, value);
	return 0;
}

int df_flags_parse(struct df_flags *f, const struct cb_strvec *args, struct cb_error **err)
{
	for (size_t i = 0; i < args->n; i++) {
		const char *a = args->v[i], *name, *eq, *value;
		struct df_flag *fl;
		size_t nlen;

		if (!strcmp(a, "--"))
			break; /* POSIX: the first "--" ends the options */
		if (strncmp(a, "--", 2))
			return cb_error_set(err, 0, "arg should start with -- : %s", a);
		name = a + 2;
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		value = eq ? eq + 1 : "";
		fl = find(f, name, nlen);
		if (!fl)
			return unknown_flag(f, name, nlen, err);
		if (fl->used && fl->type != DF_FLAG_STRINGS)
			return cb_error_set(err, 0, "duplicate flag specified: --%s", fl->name);
		fl->used = true;
		switch (fl->type) {
		case DF_FLAG_BOOL:
			if (set_bool(fl, value, eq != NULL, err) < 0)
				return -1;
			break;
		case DF_FLAG_STRING:
			if (!eq)
				return cb_error_set(err, 0, "missing a value on flag: --%s",
						    fl->name);
			fl->value = value;
			break;
		case DF_FLAG_STRINGS:
			if (!eq)
				return cb_error_set(err, 0, "missing a value on flag: --%s",
						    fl->name);
			cb_strvec_push(&fl->values, value);
			break;
		}
	}
	return 0;
}

bool df_flag_true(const struct df_flag *fl)
{
	return fl->value && !strcmp(fl->value, "true");
}

char *df_flag_dup(const struct df_flag *fl)
{
	return fl->value && *fl->value ? xstrdup(fl->value) : NULL;
}

void df_flags_release(struct df_flags *f)
{
	for (size_t i = 0; i < f->n; i++)
		cb_strvec_clear(&f->defs[i].values);
	f->n = 0;
}

/* The runes of s, for agext/levenshtein, which compares runes; *n gets the count. */
static uint32_t *runes(const char *s, size_t *n)
{
	size_t len = strlen(s);
	uint32_t *r = xcalloc(len + 1, sizeof(*r));

	*n = 0;
	for (size_t i = 0; i < len;)
		i += cb_utf8_decode(s + i, len - i, &r[(*n)++]);
	return r;
}

/* Levenshtein distance with unit costs, over runes; the words are short. */
static size_t levenshtein(const char *sa, const char *sb)
{
	size_t la, lb, d;
	uint32_t *a = runes(sa, &la), *b = runes(sb, &lb);
	size_t *row = xcalloc(lb + 1, sizeof(*row));

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	d = row[lb];
	free(row);
	free(a);
	free(b);
	return d;
}

/* suggest's matchCase: the (lowercased) option in orig's case, into buf. */
static const char *match_case(const char *opt, const char *orig, char *buf, size_t bufsz)
{
	cleanup_free char *lo = df_lower(orig);
	cleanup_free char *up = df_upper(orig);
	cleanup_free char *m = NULL;

	if (strcmp(orig, lo) && !strcmp(orig, up))
		m = df_upper(opt);
	else
		m = df_lower(opt);
	snprintf(buf, bufsz, "%s", m);
	return buf;
}

/*
 * suggest.WrapError's search: the first option with the smallest distance
 * below 3; none when val equals an option.  Case-insensitive matching
 * compares lowercased words and answers in val's case (matchCase).
 */
const char *df_suggest(const char *val, const char *const *options, size_t n, bool case_sensitive,
		       char *buf, size_t bufsz)
{
	cleanup_free char *v = case_sensitive ? xstrdup(val) : df_lower(val);
	size_t best = 3;
	const char *match = NULL;

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *o = case_sensitive ? xstrdup(options[i]) : df_lower(options[i]);
		size_t d;

		if (!strcmp(v, o))
			return NULL;
		d = levenshtein(v, o);
		if (d < best) {
			best = d;
			match = options[i];
		}
	}
	if (!match)
		return NULL;
	if (!case_sensitive)
		return match_case(match, val, buf, bufsz);
	snprintf(buf, bufsz, "%s", match);
	return buf;
}
