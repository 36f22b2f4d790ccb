/*
 * flags.c - instruction flags (BuildKit's BFlags) and "did you mean"
 * suggestions.
 *
 * An instruction declares the flags it accepts, then parses the node's
 * "--name[=value]" words against them: unknown flags (with a suggestion),
 * repeated single-valued flags, missing values and bad booleans are errors.
 */
#include <string.h>
#include <strings.h>

#include "flags.h"
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
		cb_error_set(err, 0, "unknown flag: %s (did you mean %s?)", n, match);
	else
		cb_error_set(err, 0, "unknown flag: %s", n);
	free(n);
	return -1;
}

static int set_bool(struct df_flag *fl, const char *value, bool has_value, struct cb_error **err)
{
	if (has_value && !*value)
		return cb_error_set(err, 0, "missing a value on flag: %s", fl->name);
	if (!*value || !strcasecmp(value, "true"))
		fl->value = "true";
	else if (!strcasecmp(value, "false"))
		fl->value = "false";
	else
		return cb_error_set(err, 0, "expecting boolean value for flag %s, not: %s",
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
			return cb_error_set(err, 0, "duplicate flag specified: %s", fl->name);
		fl->used = true;
		switch (fl->type) {
		case DF_FLAG_BOOL:
			if (set_bool(fl, value, eq != NULL, err) < 0)
				return -1;
			break;
		case DF_FLAG_STRING:
			if (!eq)
				return cb_error_set(err, 0, "missing a value on flag: %s", fl->name);
			fl->value = value;
			break;
		case DF_FLAG_STRINGS:
			if (!eq)
				return cb_error_set(err, 0, "missing a value on flag: %s", fl->name);
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

/* Levenshtein distance with unit costs, on bytes; n and m are short words. */
static size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = xcalloc(lb + 1, sizeof(*row));
	size_t d;

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
	return d;
}

static void case_copy(char *dst, size_t sz, const char *s, int mode)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < sz; i++) {
		char c = s[i];

		if (mode < 0 && c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		else if (mode > 0 && c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		dst[i] = c;
	}
	dst[i] = '\0';
}

/*
 * suggest.WrapError's search: the option with the smallest distance below
 * 3; none when val equals an option.  Case-insensitive matching returns the
 * option in val's case (all lower or all upper), as matchCase does.
 */
const char *df_suggest(const char *val, const char *const *options, size_t n,
		       bool case_sensitive, char *buf, size_t bufsz)
{
	char v[128], o[128];
	size_t best = 3;
	const char *match = NULL;

	case_copy(v, sizeof(v), val, case_sensitive ? 0 : -1);
	for (size_t i = 0; i < n; i++) {
		size_t d;

		case_copy(o, sizeof(o), options[i], case_sensitive ? 0 : -1);
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
	if (case_sensitive) {
		case_copy(buf, bufsz, match, 0);
	} else {
		char lo[128], up[128];

		case_copy(lo, sizeof(lo), val, -1);
		case_copy(up, sizeof(up), val, 1);
		case_copy(buf, bufsz, match, !strcmp(val, lo) ? -1 : !strcmp(val, up) ? 1 : -1);
	}
	return buf;
}
