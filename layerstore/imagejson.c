/*
 * imagejson.c - canonical JSON of the image model.
 *
 * Canonical means: one byte string per value, so the same image always has
 * the same digest.  Fields come in a fixed order, with no insignificant
 * space.  The order is the one BuildKit's images have: the config's top
 * level sorted by key (BuildKit re-marshals it through a map), the run
 * config, descriptors, manifests and indexes in the Go structs' field order;
 * map keys sorted; strings escaped as Go's encoding/json does.  Empty
 * optional fields are left out (Go's omitempty).
 */
#include <string.h>

#include "store-internal.h"
#include "utf8.h"
#include "xalloc.h"

void json_put_string(struct cb_strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(s);

	cb_strbuf_addch(sb, '"');
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t r;
		size_t w;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' &&
		    c != '&') {
			cb_strbuf_addch(sb, c);
			i++;
			continue;
		}
		if (c < 0x80) {
			i++;
			if (c == '"' || c == '\\') {
				cb_strbuf_addch(sb, '\\');
				cb_strbuf_addch(sb, c);
			} else if (c == '\n') {
				cb_strbuf_addstr(sb, "\\n");
			} else if (c == '\r') {
				cb_strbuf_addstr(sb, "\\r");
			} else if (c == '\t') {
				cb_strbuf_addstr(sb, "\\t");
			} else {
				cb_strbuf_addf(sb, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
			}
			continue;
		}
		w = cb_utf8_decode(s + i, len - i, &r);
		if (r == CB_RUNE_ERROR && w == 1)
			cb_strbuf_addstr(sb, "\\ufffd"); /* as Go writes invalid UTF-8 */
		else if (r == 0x2028 || r == 0x2029)
			cb_strbuf_addf(sb, "\\u%04x", (unsigned)r);
		else
			cb_strbuf_add(sb, s + i, w);
		i += w;
	}
	cb_strbuf_addch(sb, '"');
}

static void json_each_digest_rec(json_t *v, void (*fn)(void *, const struct cb_digest *), void *ctx,
				 int depth)
{
	const char *k;
	json_t *e;
	size_t i;

	if (depth > 64)
		return;
	if (json_is_string(v) && cb_digest_valid(json_string_value(v))) {
		struct cb_digest d;

		memcpy(d.str, json_string_value(v), CB_DIGEST_LEN + 1);
		fn(ctx, &d);
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, e)
			json_each_digest_rec(e, fn, ctx, depth + 1);
	} else if (json_is_object(v)) {
		json_object_foreach (v, k, e)
			json_each_digest_rec(e, fn, ctx, depth + 1);
	}
}

void json_each_digest(json_t *v, void (*fn)(void *ctx, const struct cb_digest *d), void *ctx)
{
	json_each_digest_rec(v, fn, ctx, 0);
}

/* ------------------------------------------------------------------------ */
/* A tiny writer that handles the commas                                     */
/* ------------------------------------------------------------------------ */

struct jw {
	struct cb_strbuf sb;
	bool first; /* no comma before the next member */
};

static void jw_open(struct jw *w, char c)
{
	cb_strbuf_addch(&w->sb, c);
	w->first = true;
}

static void jw_close(struct jw *w, char c)
{
	cb_strbuf_addch(&w->sb, c);
	w->first = false;
}

static void jw_key(struct jw *w, const char *key)
{
	if (!w->first)
		cb_strbuf_addch(&w->sb, ',');
	w->first = false;
	if (key) {
		json_put_string(&w->sb, key);
		cb_strbuf_addch(&w->sb, ':');
	}
}

static void jw_str(struct jw *w, const char *key, const char *val)
{
	jw_key(w, key);
	json_put_string(&w->sb, val);
}

static void jw_opt_str(struct jw *w, const char *key, const char *val)
{
	if (val && *val)
		jw_str(w, key, val);
}

static void jw_int(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	cb_strbuf_addf(&w->sb, "%lld", (long long)v);
}

static void jw_opt_int(struct jw *w, const char *key, int64_t v)
{
	if (v)
		jw_int(w, key, v);
}

static void jw_str_array(struct jw *w, const char *key, const struct cb_strvec *v)
{
	jw_key(w, key);
	jw_open(w, '[');
	for (size_t i = 0; i < v->n; i++)
		jw_str(w, NULL, v->v[i]);
	jw_close(w, ']');
}

/* {"k":{}} for a sorted key set (ExposedPorts, Volumes). */
static void jw_opt_key_set(struct jw *w, const char *key, const struct cb_strvec *v)
{
	if (!v->n)
		return;
	jw_key(w, key);
	jw_open(w, '{');
	for (size_t i = 0; i < v->n; i++) {
		jw_key(w, v->v[i]);
		cb_strbuf_addstr(&w->sb, "{}");
	}
	jw_close(w, '}');
}

/* {"k":"v"} from a cb_strmap, in its (sorted) key order. */
static void jw_opt_map(struct jw *w, const char *key, const struct cb_strmap *m)
{
	if (!m->keys.n)
		return;
	jw_key(w, key);
	jw_open(w, '{');
	for (size_t i = 0; i < m->keys.n; i++)
		jw_str(w, m->keys.v[i], m->values.v[i]);
	jw_close(w, '}');
}

/* ------------------------------------------------------------------------ */
/* Config                                                                    */
/* ------------------------------------------------------------------------ */

static void jw_healthcheck(struct jw *w, const struct oci_healthcheck *h)
{
	if (!h->test.n)
		return;
	jw_key(w, "Healthcheck");
	jw_open(w, '{');
	jw_str_array(w, "Test", &h->test);
	jw_opt_int(w, "Interval", h->interval_ns);
	jw_opt_int(w, "Timeout", h->timeout_ns);
	jw_opt_int(w, "StartPeriod", h->start_period_ns);
	jw_opt_int(w, "StartInterval", h->start_interval_ns);
	jw_opt_int(w, "Retries", h->retries);
	jw_close(w, '}');
}

/* ocispec.ImageConfig's field order, then BuildKit's DockerOCIImageConfigExt. */
static void jw_runconfig(struct jw *w, const struct image_config *c)
{
	jw_key(w, "config");
	jw_open(w, '{');
	jw_opt_str(w, "User", c->user);
	jw_opt_key_set(w, "ExposedPorts", &c->exposed_ports);
	if (c->env.n)
		jw_str_array(w, "Env", &c->env);
	if (c->has_entrypoint || c->entrypoint.n)
		jw_str_array(w, "Entrypoint", &c->entrypoint);
	if (c->has_cmd || c->cmd.n)
		jw_str_array(w, "Cmd", &c->cmd);
	jw_opt_key_set(w, "Volumes", &c->volumes);
	jw_opt_str(w, "WorkingDir", c->working_dir);
	jw_opt_map(w, "Labels", &c->labels);
	jw_opt_str(w, "StopSignal", c->stop_signal);
	if (c->args_escaped) {
		jw_key(w, "ArgsEscaped");
		cb_strbuf_addstr(&w->sb, "true");
	}
	jw_healthcheck(w, &c->healthcheck);
	if (c->onbuild.n)
		jw_str_array(w, "OnBuild", &c->onbuild);
	if (c->shell.n)
		jw_str_array(w, "Shell", &c->shell);
	jw_close(w, '}');
}

static void jw_history(struct jw *w, const struct image_config *c)
{
	if (!c->nhistory)
		return;
	jw_key(w, "history");
	jw_open(w, '[');
	for (size_t i = 0; i < c->nhistory; i++) {
		const struct oci_history *h = &c->history[i];

		jw_key(w, NULL);
		jw_open(w, '{');
		jw_opt_str(w, "created", h->created);
		jw_opt_str(w, "created_by", h->created_by);
		jw_opt_str(w, "comment", h->comment);
		if (h->empty_layer) {
			jw_key(w, "empty_layer");
			cb_strbuf_addstr(&w->sb, "true");
		}
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

char *image_config_to_json(const struct image_config *c)
{
	struct jw w = {CB_STRBUF_INIT, true};
	const struct oci_platform *p = &c->platform;

	/* Top-level keys in sorted order. */
	jw_open(&w, '{');
	jw_str(&w, "architecture", p->architecture ? p->architecture : "");
	jw_opt_str(&w, "author", c->author);
	jw_opt_str(&w, "comment", c->comment);
	jw_runconfig(&w, c);
	jw_opt_str(&w, "created", c->created);
	jw_opt_str(&w, "docker_version", c->docker_version);
	jw_history(&w, c);
	jw_str(&w, "os", p->os ? p->os : "");
	jw_key(&w, "rootfs");
	jw_open(&w, '{');
	jw_str(&w, "type", "layers");
	jw_str_array(&w, "diff_ids", &c->diff_ids);
	jw_close(&w, '}');
	jw_opt_str(&w, "variant", p->variant);
	jw_close(&w, '}');
	return cb_strbuf_detach(&w.sb, NULL);
}

/* ------------------------------------------------------------------------ */
/* Descriptors, manifest, index                                              */
/* ------------------------------------------------------------------------ */

static void jw_descriptor(struct jw *w, const char *key, const struct oci_descriptor *d)
{
	const struct oci_platform *p = &d->platform;

	jw_key(w, key);
	jw_open(w, '{');
	jw_str(w, "mediaType", d->media_type ? d->media_type : "");
	jw_str(w, "digest", d->digest.str);
	jw_int(w, "size", d->size);
	jw_opt_map(w, "annotations", &d->annotations);
	if (p->os || p->architecture) {
		jw_key(w, "platform");
		jw_open(w, '{');
		jw_str(w, "architecture", p->architecture ? p->architecture : "");
		jw_str(w, "os", p->os ? p->os : "");
		jw_opt_str(w, "variant", p->variant);
		jw_close(w, '}');
	}
	jw_close(w, '}');
}

char *image_manifest_to_json(const struct image_manifest *m)
{
	struct jw w = {CB_STRBUF_INIT, true};

	jw_open(&w, '{');
	jw_int(&w, "schemaVersion", 2);
	jw_opt_str(&w, "mediaType", m->media_type);
	jw_descriptor(&w, "config", &m->config);
	jw_key(&w, "layers");
	jw_open(&w, '[');
	for (size_t i = 0; i < m->nlayers; i++)
		jw_descriptor(&w, NULL, &m->layers[i]);
	jw_close(&w, ']');
	jw_opt_map(&w, "annotations", &m->annotations);
	jw_close(&w, '}');
	return cb_strbuf_detach(&w.sb, NULL);
}

char *image_index_to_json(const struct image_index *ix)
{
	struct jw w = {CB_STRBUF_INIT, true};

	jw_open(&w, '{');
	jw_int(&w, "schemaVersion", 2);
	jw_opt_str(&w, "mediaType", ix->media_type);
	jw_key(&w, "manifests");
	jw_open(&w, '[');
	for (size_t i = 0; i < ix->nmanifests; i++)
		jw_descriptor(&w, NULL, &ix->manifests[i]);
	jw_close(&w, ']');
	jw_opt_map(&w, "annotations", &ix->annotations);
	jw_close(&w, '}');
	return cb_strbuf_detach(&w.sb, NULL);
}
