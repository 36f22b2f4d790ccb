/*
 * mount.c - RUN --mount=... values (BuildKit's parseMount): CSV fields of
 * key=value pairs (or bare ro/rw/required), typed and checked.  Values may
 * still contain ${VAR}; the builder expands them when it dispatches RUN.
 * Also RUN --device=NAME[,required] (BuildKit's ParseDevice).
 *
 * BuildKit parses a mount twice: at parse time, where only `from` is looked
 * at (it may not hold a variable), and at dispatch time with every value
 * expanded.  We do both here in that order, checking each value as written;
 * mode/uid/gid/size values holding a `$` wait for the builder.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "parser-internal.h"
#include "units.h"
#include "utf8.h"
#include "xalloc.h"

static const char *const mount_types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
static const char *const sharing_modes[] = {"shared", "private", "locked"};
static const char *const mount_keys[] = {"type", "from",    "source",	 "target", "readonly",
					 "id",	 "sharing", "required",	 "size",   "mode",
					 "uid",	 "gid",	    "src",	 "dst",	   "destination",
					 "ro",	 "rw",	    "readwrite", "env"};
static const char *const device_keys[] = {"name", "required"};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int csv_error(size_t pos, const char *why, struct cb_error **err)
{
	/* encoding/csv's ParseError for a one-line record; columns count bytes from 1 */
	return cb_error_set(err, 0, "parse error on line 1, column %zu: %s", pos + 1, why);
}

/* One "quoted" field starting at line[*pos] == '"'; "" is an escaped quote. */
static int csv_quoted(const char *line, size_t len, size_t *pos, struct cb_strvec *out,
		      struct cb_error **err)
{
	struct cb_strbuf f = CB_STRBUF_INIT;
	size_t p = *pos + 1;

	for (;;) {
		const char *q = memchr(line + p, '"', len - p);

		if (!q) {
			cb_strbuf_release(&f);
			return csv_error(p, "extraneous or missing \" in quoted-field", err);
		}
		cb_strbuf_add(&f, line + p, (size_t)(q - (line + p)));
		p = (size_t)(q - line) + 1;
		if (p < len && line[p] == '"') {
			cb_strbuf_addch(&f, '"');
			p++;
			continue;
		}
		if (p < len && line[p] != ',') {
			cb_strbuf_release(&f);
			return csv_error(p - 1, "extraneous or missing \" in quoted-field", err);
		}
		cb_strvec_push_take(out, cb_strbuf_detach(&f, NULL));
		*pos = p;
		return 0;
	}
}

/*
 * go-csvvalue's Fields (encoding/csv on one record): fields split on ',',
 * "quoted" fields, a bare '"' elsewhere is an error, one trailing newline is
 * ignored and an empty value is io.EOF.
 */
static int csv_fields(const char *line, struct cb_strvec *out, struct cb_error **err)
{
	size_t len = strlen(line), pos = 0;

	if (len && line[len - 1] == '\n')
		len -= len > 1 && line[len - 2] == '\r' ? 2 : 1;
	if (!len)
		return cb_error_set(err, 0, "EOF");
	for (;;) {
		const char *comma, *quote;
		size_t end;

		if (pos < len && line[pos] == '"') {
			if (csv_quoted(line, len, &pos, out, err) < 0)
				return -1;
			if (pos == len)
				return 0;
			pos++; /* the comma */
			continue;
		}
		comma = memchr(line + pos, ',', len - pos);
		end = comma ? (size_t)(comma - line) : len;
		quote = memchr(line + pos, '"', end - pos);
		if (quote)
			return csv_error((size_t)(quote - line), "bare \" in non-quoted-field",
					 err);
		cb_strvec_pushn(out, line + pos, end - pos);
		if (!comma)
			return 0;
		pos = end + 1;
	}
}

static int parse_bool(const char *key, const char *v, bool *out, struct cb_error **err)
{
	/* strconv.ParseBool */
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		if (!strcmp(v, t[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(v, f[i])) {
			*out = false;
			return 0;
		}
	}
	return cb_error_set(err, 0, "invalid value for %s: %s", key, v);
}

/*
 * strconv.ParseUint(v, base, 32) for mode (base 8) and uid/gid (base 10):
 * digits of the base only, no sign, no space, no underscore.  Values with
 * a variable wait for the builder.
 */
static int parse_u32(const char *key, const char *v, unsigned base, long long *out,
		     struct cb_error **err)
{
	unsigned long long n = 0;

	if (strchr(v, '$'))
		return 0;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p >= (char)('0' + base))
			return cb_error_set(err, 0, "invalid value %s for %s", v, key);
		n = n * base + (unsigned)(*p - '0');
		if (n > 0xFFFFFFFFull)
			return cb_error_set(err, 0, "invalid value %s for %s", v, key);
	}
	if (!*v)
		return cb_error_set(err, 0, "invalid value %s for %s", v, key);
	*out = (long long)n;
	return 0;
}

static bool type_is(const struct df_mount *m, enum df_mount_type t)
{
	return m->type == t;
}

static const char *type_name(enum df_mount_type t)
{
	return mount_types[t];
}

/* errors.Errorf("... %q", value) wrapped by suggest.WrapError(..., caseSensitive=true). */
static int suggest_error(const char *what, const char *v, const char *const *options, size_t n,
			 struct cb_error **err)
{
	struct cb_strbuf q = CB_STRBUF_INIT;
	char buf[64];
	const char *match = df_suggest(v, options, n, true, buf, sizeof(buf));

	cb_strbuf_add_goquote(&q, v, strlen(v));
	if (match)
		cb_error_set(err, 0, "%s %s (did you mean %s?)", what, q.buf, match);
	else
		cb_error_set(err, 0, "%s %s", what, q.buf);
	cb_strbuf_release(&q);
	return -1;
}

static int set_type(struct df_mount *m, const char *v, struct cb_error **err)
{
	cleanup_free char *lower = df_lower(v);

	for (size_t i = 0; i < ARRAY_LEN(mount_types); i++) {
		if (!strcmp(lower, mount_types[i])) {
			m->type = (enum df_mount_type)i;
			return 0;
		}
	}
	return suggest_error("unsupported mount type", v, mount_types, ARRAY_LEN(mount_types), err);
}

static int set_sharing(struct df_mount *m, const char *v, bool *sharing_set, struct cb_error **err)
{
	cleanup_free char *lower = df_lower(v);

	for (size_t i = 0; i < ARRAY_LEN(sharing_modes); i++) {
		if (!strcmp(lower, sharing_modes[i])) {
			m->sharing = (enum df_cache_sharing)i;
			*sharing_set = true;
			return 0;
		}
	}
	return suggest_error("unsupported sharing value", v, sharing_modes,
			     ARRAY_LEN(sharing_modes), err);
}

static int wrong_type(const struct df_mount *m, const char *key, struct cb_error **err)
{
	return cb_error_set(err, 0, "unexpected key '%s' for mount type '%s'", key,
			    type_name(m->type));
}

static int bare_field(struct df_mount *m, const char *key, const char *field, bool *ro_auto,
		      struct cb_error **err)
{
	if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
		m->readonly = true;
		*ro_auto = false;
	} else if (!strcmp(key, "readwrite") || !strcmp(key, "rw")) {
		m->readonly = false;
		*ro_auto = false;
	} else if (!strcmp(key, "required")) {
		if (!type_is(m, DF_MOUNT_SECRET) && !type_is(m, DF_MOUNT_SSH))
			return wrong_type(m, key, err);
		m->required = true;
	} else {
		return cb_error_set(err, 0, "invalid field '%s' must be a key=value pair", field);
	}
	return 0;
}

/* A string value; Go's zero value "" means unset, so an empty value stores NULL. */
static void set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = *v ? xstrdup(v) : NULL;
}

static int unknown_key(const char *key, const char *field, const char *const *keys, size_t n,
		       struct cb_error **err)
{
	char buf[64];
	const char *match = df_suggest(key, keys, n, true, buf, sizeof(buf));

	if (match)
		return cb_error_set(err, 0, "unexpected key '%s' in '%s' (did you mean %s?)", key,
				    field, match);
	return cb_error_set(err, 0, "unexpected key '%s' in '%s'", key, field);
}

static int set_readonly(struct df_mount *m, const char *key, const char *v, bool *ro_auto,
			struct cb_error **err)
{
	bool b = false;

	if (parse_bool(key, v, &b, err) < 0)
		return -1;
	m->readonly = (!strcmp(key, "readwrite") || !strcmp(key, "rw")) ? !b : b;
	*ro_auto = false;
	return 0;
}

static int set_size(struct df_mount *m, const char *key, const char *v, struct cb_error **err)
{
	cleanup_error struct cb_error *size_err = NULL;
	int64_t size;

	if (!type_is(m, DF_MOUNT_TMPFS))
		return wrong_type(m, key, err);
	if (strchr(v, '$'))
		return 0;
	if (cb_ram_in_bytes(v, &size, &size_err) < 0)
		return cb_error_set(err, 0, "invalid value for %s: %s", key, v);
	m->size = size;
	return 0;
}

struct mount_state {
	bool ro_auto, sharing_set;
};

static int key_field(struct df_mount *m, const char *key, const char *v, const char *field,
		     struct mount_state *st, struct cb_error **err)
{
	if (!strcmp(key, "type"))
		return set_type(m, v, err);
	if (!strcmp(key, "from"))
		set_str(&m->from, v);
	else if (!strcmp(key, "source") || !strcmp(key, "src"))
		set_str(&m->source, v);
	else if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination"))
		set_str(&m->target, v);
	else if (!strcmp(key, "id"))
		set_str(&m->id, v);
	else if (!strcmp(key, "env")) {
		/* env= (empty) is still set: the secret's default variable name */
		free(m->env);
		m->env = xstrdup(v);
	} else if (!strcmp(key, "readonly") || !strcmp(key, "ro") || !strcmp(key, "readwrite") ||
		   !strcmp(key, "rw"))
		return set_readonly(m, key, v, &st->ro_auto, err);
	else if (!strcmp(key, "required")) {
		if (!type_is(m, DF_MOUNT_SECRET) && !type_is(m, DF_MOUNT_SSH))
			return wrong_type(m, key, err);
		return parse_bool(key, v, &m->required, err);
	} else if (!strcmp(key, "size"))
		return set_size(m, key, v, err);
	else if (!strcmp(key, "sharing"))
		return set_sharing(m, v, &st->sharing_set, err);
	else if (!strcmp(key, "mode"))
		return parse_u32("mode", v, 8, &m->mode, err);
	else if (!strcmp(key, "uid"))
		return parse_u32("uid", v, 10, &m->uid, err);
	else if (!strcmp(key, "gid"))
		return parse_u32("gid", v, 10, &m->gid, err);
	else
		return unknown_key(key, field, mount_keys, ARRAY_LEN(mount_keys), err);
	return 0;
}

/* Cross-field rules, applied once every field is read, in BuildKit's order. */
static int check_mount(struct df_mount *m, const struct mount_state *st, struct cb_error **err)
{
	bool file_info = type_is(m, DF_MOUNT_SECRET) || type_is(m, DF_MOUNT_SSH) ||
			 type_is(m, DF_MOUNT_CACHE);
	const char *t = type_name(m->type);

	if (!file_info && m->mode >= 0)
		return cb_error_set(err, 0, "mode not allowed for \"%s\" type mounts", t);
	if (!file_info && m->uid >= 0)
		return cb_error_set(err, 0, "uid not allowed for \"%s\" type mounts", t);
	if (!file_info && m->gid >= 0)
		return cb_error_set(err, 0, "gid not allowed for \"%s\" type mounts", t);
	if (st->ro_auto)
		m->readonly = !(type_is(m, DF_MOUNT_CACHE) || type_is(m, DF_MOUNT_TMPFS));
	if (type_is(m, DF_MOUNT_SECRET)) {
		if (m->from)
			return cb_error_set(err, 0, "secret mount should not have a from");
		if (st->sharing_set)
			return cb_error_set(err, 0, "secret mount should not define sharing");
		if (!m->source && !m->target && !m->id)
			return cb_error_set(err, 0,
					    "invalid secret mount. one of source, target required");
		if (m->source && m->id)
			return cb_error_set(err, 0, "both source and id can't be set");
	}
	if (st->sharing_set && !type_is(m, DF_MOUNT_CACHE))
		return cb_error_set(err, 0, "invalid cache sharing set for %s mount", t);
	/*
	 * Not a BuildKit parse error (it mounts at the working directory and
	 * fails later for "/"), but the builder relies on a target for these.
	 */
	if (!m->target &&
	    (type_is(m, DF_MOUNT_BIND) || type_is(m, DF_MOUNT_CACHE) || type_is(m, DF_MOUNT_TMPFS)))
		return cb_error_set(err, 0, "mount target is required for \"%s\" type mounts", t);
	return 0;
}

/* BuildKit's `\$.`: a '$' followed by anything; a trailing '$' is literal. */
static bool holds_variable(const char *v)
{
	for (const char *d = strchr(v, '$'); d; d = strchr(d + 1, '$'))
		if (d[1])
			return true;
	return false;
}

/* The parse-time pass: `from` names a stage or image and cannot be a variable. */
static int check_from(const struct cb_strvec *fields, struct cb_error **err)
{
	for (size_t i = 0; i < fields->n; i++) {
		const char *f = fields->v[i], *eq = strchr(f, '=');
		cleanup_free char *key = eq ? xstrndup(f, (size_t)(eq - f)) : NULL;
		cleanup_free char *lower = key ? df_lower(key) : NULL;
		if (lower && !strcmp(lower, "from") && holds_variable(eq + 1))
			return cb_error_set(err, 0,
					    "'from' doesn't support variable expansion, define "
					    "alias stage instead");
	}
	return 0;
}

static int mount_fields(struct df_mount *m, const struct cb_strvec *fields, struct mount_state *st,
			struct cb_error **err)
{
	for (size_t i = 0; i < fields->n; i++) {
		const char *field = fields->v[i], *eq = strchr(field, '=');
		cleanup_free char *raw = eq ? xstrndup(field, (size_t)(eq - field)) : NULL;
		cleanup_free char *key = df_lower(raw ? raw : field);
		int rc = eq ? key_field(m, key, eq + 1, field, st, err)
			    : bare_field(m, key, field, &st->ro_auto, err);

		if (rc < 0)
			return -1;
	}
	return 0;
}

int df_mount_parse(const char *value, struct df_mount *m, struct cb_error **err)
{
	struct cb_strvec fields = CB_STRVEC_INIT;
	struct mount_state st = {.ro_auto = true};
	int rc;

	memset(m, 0, sizeof(*m));
	m->type = DF_MOUNT_BIND;
	m->mode = m->uid = m->gid = -1;
	if (csv_fields(value, &fields, err) < 0) {
		cb_strvec_clear(&fields);
		return cb_error_wrap(err, "failed to parse csv mounts");
	}
	rc = mount_fields(m, &fields, &st, err);
	cb_strvec_clear(&fields);
	if (rc == 0)
		rc = check_mount(m, &st, err);
	if (rc < 0) {
		df_mount_release(m);
		return rc;
	}
	m->raw = xstrdup(value);
	return 0;
}

int df_mount_parse_deferred(const char *value, struct df_mount *m, struct cb_error **err)
{
	struct cb_strvec fields = CB_STRVEC_INIT;
	int rc;

	if (csv_fields(value, &fields, err) < 0) {
		cb_strvec_clear(&fields);
		return cb_error_wrap(err, "failed to parse csv mounts");
	}
	rc = check_from(&fields, err);
	cb_strvec_clear(&fields);
	if (rc < 0)
		return -1;
	/* no variables and nothing wrong: the typed fields now */
	if (!holds_variable(value) && df_mount_parse(value, m, NULL) == 0)
		return 0;
	memset(m, 0, sizeof(*m));
	m->type = DF_MOUNT_BIND;
	m->mode = m->uid = m->gid = -1;
	m->raw = xstrdup(value);
	m->deferred = true;
	return 0;
}

void df_mount_release(struct df_mount *m)
{
	free(m->from);
	free(m->source);
	free(m->target);
	free(m->id);
	free(m->env);
	free(m->raw);
	m->from = m->source = m->target = m->id = m->env = m->raw = NULL;
}

/* One field of --device; the first bare or unknown word is the CDI name. */
static int device_field(struct df_device *d, const char *field, struct cb_error **err)
{
	const char *eq = strchr(field, '=');
	cleanup_free char *raw = eq ? xstrndup(field, (size_t)(eq - field)) : NULL;
	cleanup_free char *key = df_lower(raw ? raw : field);

	if (!eq && !strcmp(key, "required")) {
		d->required = true;
		return 0;
	}
	if (eq && !strcmp(key, "name")) {
		if (d->name && *d->name)
			return cb_error_set(err, 0, "device name already set to %s", d->name);
		free(d->name);
		d->name = xstrdup(eq + 1);
		return 0;
	}
	if (eq && !strcmp(key, "required"))
		return parse_bool(key, eq + 1, &d->required, err);
	if (!d->name || !*d->name) {
		/* "vendor.com/class=dev" is a name, '=' and all */
		free(d->name);
		d->name = xstrdup(field);
		return 0;
	}
	if (!eq)
		return cb_error_set(err, 0, "invalid field '%s' must be a key=value pair", field);
	return unknown_key(key, field, device_keys, ARRAY_LEN(device_keys), err);
}

int df_device_parse(const char *value, struct df_device *d, struct cb_error **err)
{
	struct cb_strvec fields = CB_STRVEC_INIT;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	if (csv_fields(value, &fields, err) < 0) {
		cb_strvec_clear(&fields);
		return cb_error_wrap(err, "failed to parse csv devices");
	}
	for (size_t i = 0; i < fields.n && rc == 0; i++)
		rc = device_field(d, fields.v[i], err);
	cb_strvec_clear(&fields);
	/* no name (`--device=required`) parses, as in BuildKit: the build reports it */
	if (rc < 0)
		df_device_release(d);
	return rc;
}

void df_device_release(struct df_device *d)
{
	free(d->name);
	d->name = NULL;
}
