/*
 * mount.c - RUN --mount=... values (BuildKit's ParseMount): CSV fields of
 * key=value pairs (or bare ro/rw/required), typed and checked.  Values may
 * still contain ${VAR}; the builder expands them when it dispatches RUN.
 * Also RUN --device=NAME[,required] (BuildKit's ParseDevice).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "parser-internal.h"
#include "xalloc.h"

static const char *const mount_types[] = { "bind", "cache", "tmpfs", "secret", "ssh" };
static const char *const mount_keys[] = { "type",   "from",     "source",   "target", "readonly",
					  "id",     "sharing",  "required", "size",   "mode",
					  "uid",    "gid",      "src",      "dst",    "destination",
					  "ro",     "rw",       "readwrite", "env" };

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* encoding/csv, one record: fields split on ',', "quoted" fields with "" escapes. */
static int csv_fields(const char *s, struct cb_strvec *out, struct cb_error **err)
{
	struct cb_strbuf f = CB_STRBUF_INIT;

	for (;;) {
		cb_strbuf_reset(&f);
		if (*s == '"') {
			s++;
			for (;;) {
				if (!*s) {
					cb_strbuf_release(&f);
					return cb_error_set(err, 0, "extraneous or missing \" in quoted-field");
				}
				if (*s == '"' && s[1] == '"') {
					cb_strbuf_addch(&f, '"');
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else {
					cb_strbuf_addch(&f, *s++);
				}
			}
			if (*s && *s != ',') {
				cb_strbuf_release(&f);
				return cb_error_set(err, 0, "extraneous or missing \" in quoted-field");
			}
		} else {
			while (*s && *s != ',') {
				if (*s == '"') {
					cb_strbuf_release(&f);
					return cb_error_set(err, 0, "bare \" in non-quoted-field");
				}
				cb_strbuf_addch(&f, *s++);
			}
		}
		cb_strvec_push(out, f.buf);
		if (!*s)
			break;
		s++; /* the comma */
	}
	cb_strbuf_release(&f);
	return 0;
}

static int parse_bool(const char *key, const char *v, bool *out, struct cb_error **err)
{
	/* strconv.ParseBool */
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };

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

/* strconv.ParseUint(v, base, 32) for mode/uid/gid; values with variables wait for the builder. */
static int parse_u32(const char *key, const char *v, int base, long long *out,
		     struct cb_error **err)
{
	char *end = NULL;
	unsigned long long n;

	if (strchr(v, '$'))
		return 0;
	errno = 0;
	n = strtoull(v, &end, base);
	if (!*v || *end || errno || n > 0xFFFFFFFFull || *v == '-' || *v == '+' || *v == ' ')
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

static int set_type(struct df_mount *m, const char *v, struct cb_error **err)
{
	char buf[64];
	const char *match;

	for (size_t i = 0; i < ARRAY_LEN(mount_types); i++) {
		if (!strcasecmp(v, mount_types[i])) {
			m->type = (enum df_mount_type)i;
			return 0;
		}
	}
	match = df_suggest(v, mount_types, ARRAY_LEN(mount_types), true, buf, sizeof(buf));
	if (match)
		return cb_error_set(err, 0, "unsupported mount type \"%s\" (did you mean %s?)", v,
				    match);
	return cb_error_set(err, 0, "unsupported mount type \"%s\"", v);
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
			return cb_error_set(err, 0, "unexpected key '%s' for mount type '%s'", key,
					    type_name(m->type));
		m->required = true;
	} else {
		return cb_error_set(err, 0, "invalid field '%s' must be a key=value pair", field);
	}
	return 0;
}

static void set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

static int unknown_key(const char *key, const char *field, struct cb_error **err)
{
	char buf[64];
	const char *match = df_suggest(key, mount_keys, ARRAY_LEN(mount_keys), true, buf, sizeof(buf));

	if (match)
		return cb_error_set(err, 0, "unexpected key '%s' in '%s' (did you mean %s?)", key,
				    field, match);
	return cb_error_set(err, 0, "unexpected key '%s' in '%s'", key, field);
}

static int key_field(struct df_mount *m, const char *key, const char *v, const char *field,
		     bool *ro_auto, bool *sharing_set, struct cb_error **err)
{
	bool b;

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
	else if (!strcmp(key, "env"))
		set_str(&m->env, v);
	else if (!strcmp(key, "readonly") || !strcmp(key, "ro") || !strcmp(key, "readwrite") ||
		 !strcmp(key, "rw")) {
		if (parse_bool(key, v, &b, err) < 0)
			return -1;
		bool rw = !strcmp(key, "readwrite") || !strcmp(key, "rw");

		m->readonly = rw ? !b : b;
		*ro_auto = false;
	} else if (!strcmp(key, "required")) {
		if (!type_is(m, DF_MOUNT_SECRET) && !type_is(m, DF_MOUNT_SSH))
			return cb_error_set(err, 0, "unexpected key '%s' for mount type '%s'", key,
					    type_name(m->type));
		return parse_bool(key, v, &m->required, err);
	} else if (!strcmp(key, "size")) {
		if (!type_is(m, DF_MOUNT_TMPFS))
			return cb_error_set(err, 0, "unexpected key '%s' for mount type '%s'", key,
					    type_name(m->type));
		cleanup_error struct cb_error *size_err = NULL;

		if (!strchr(v, '$') && df_parse_ram_bytes(v, &m->size, &size_err) < 0)
			return cb_error_set(err, 0, "invalid value for %s: %s", key, v);
	} else if (!strcmp(key, "sharing")) {
		if (!*v)
			return 0;
		*sharing_set = true;
		if (!strcasecmp(v, "shared"))
			m->sharing = DF_SHARING_SHARED;
		else if (!strcasecmp(v, "private"))
			m->sharing = DF_SHARING_PRIVATE;
		else if (!strcasecmp(v, "locked"))
			m->sharing = DF_SHARING_LOCKED;
		else
			return cb_error_set(err, 0, "unsupported sharing value \"%s\"", v);
	} else if (!strcmp(key, "mode")) {
		return parse_u32("mode", v, 8, &m->mode, err);
	} else if (!strcmp(key, "uid")) {
		return parse_u32("uid", v, 10, &m->uid, err);
	} else if (!strcmp(key, "gid")) {
		return parse_u32("gid", v, 10, &m->gid, err);
	} else {
		return unknown_key(key, field, err);
	}
	return 0;
}

/* Cross-field rules, applied once every field is read. */
static int check_mount(struct df_mount *m, bool ro_auto, bool sharing_set, struct cb_error **err)
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
	if (ro_auto)
		m->readonly = !(type_is(m, DF_MOUNT_CACHE) || type_is(m, DF_MOUNT_TMPFS));
	if (sharing_set && !type_is(m, DF_MOUNT_CACHE))
		return cb_error_set(err, 0, "invalid cache sharing set for %s mount", t);
	if (type_is(m, DF_MOUNT_SECRET)) {
		if (m->from)
			return cb_error_set(err, 0, "secret mount should not have a from");
		if (!m->source && !m->target && !m->id && !m->env)
			return cb_error_set(err, 0,
					    "invalid secret mount. one of source, target required");
		if (m->source && m->id)
			return cb_error_set(err, 0, "both source and id can't be set");
	}
	if (!m->target && (type_is(m, DF_MOUNT_BIND) || type_is(m, DF_MOUNT_CACHE) ||
			   type_is(m, DF_MOUNT_TMPFS)))
		return cb_error_set(err, 0, "mount target is required for \"%s\" type mounts", t);
	return 0;
}

int df_mount_parse(const char *value, struct df_mount *m, struct cb_error **err)
{
	struct cb_strvec fields = CB_STRVEC_INIT;
	bool ro_auto = true, sharing_set = false;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	m->type = DF_MOUNT_BIND;
	m->mode = m->uid = m->gid = -1;
	if (csv_fields(value, &fields, err) < 0) {
		cb_error_wrap(err, "failed to parse csv mounts");
		return -1;
	}
	for (size_t i = 0; i < fields.n && rc == 0; i++) {
		const char *field = fields.v[i], *eq = strchr(field, '=');
		cleanup_free char *key = df_lower(field);

		if (!eq) {
			rc = bare_field(m, key, field, &ro_auto, err);
			continue;
		}
		key[eq - field] = '\0';
		rc = key_field(m, key, eq + 1, field, &ro_auto, &sharing_set, err);
	}
	cb_strvec_clear(&fields);
	if (rc == 0)
		rc = check_mount(m, ro_auto, sharing_set, err);
	if (rc < 0)
		df_mount_release(m);
	return rc;
}

void df_mount_release(struct df_mount *m)
{
	free(m->from);
	free(m->source);
	free(m->target);
	free(m->id);
	free(m->env);
	m->from = m->source = m->target = m->id = m->env = NULL;
}

int df_device_parse(const char *value, struct df_device *d, struct cb_error **err)
{
	struct cb_strvec fields = CB_STRVEC_INIT;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	if (csv_fields(value, &fields, err) < 0) {
		cb_error_wrap(err, "failed to parse csv devices");
		return -1;
	}
	for (size_t i = 0; i < fields.n && rc == 0; i++) {
		const char *field = fields.v[i], *eq = strchr(field, '=');
		cleanup_free char *key = df_lower(field);

		/* the first field is the CDI name, which may hold '=' (vendor/class=dev) */
		if (i == 0) {
			d->name = xstrdup(field);
			continue;
		}
		if (eq)
			key[eq - field] = '\0';
		if (strcmp(key, "required"))
			rc = cb_error_set(err, 0, "unexpected key '%s' in '%s'", key, field);
		else if (!eq)
			d->required = true;
		else
			rc = parse_bool(key, eq + 1, &d->required, err);
	}
	cb_strvec_clear(&fields);
	if (rc == 0 && (!d->name || !*d->name))
		rc = cb_error_set(err, 0, "device name is required");
	if (rc < 0)
		df_device_release(d);
	return rc;
}

void df_device_release(struct df_device *d)
{
	free(d->name);
	d->name = NULL;
}
