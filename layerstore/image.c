/*
 * image.c - parse the image model: the image config (OCI with Docker's
 * extension fields), manifests (OCI and Docker schema2) and indexes (OCI
 * index and Docker manifest list).  Unknown fields are ignored, as the
 * specs require; fields of the wrong type are errors that name the field.
 * jansson stays inside this file and imagejson.c.
 */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "store-internal.h"
#include "xalloc.h"

json_t *store_json_parse(const char *buf, size_t len, const char *what, struct cb_error **err)
{
	json_error_t jerr;
	json_t *v = json_loadb(buf, len, 0, &jerr);

	if (!v)
		cb_error_set(err, 0, "%s: invalid JSON: %s (line %d, column %d)", what, jerr.text,
			     jerr.line, jerr.column);
	return v;
}

/* ------------------------------------------------------------------------ */
/* Field readers: absent and null mean "unset"; a wrong type is an error.    */
/* ------------------------------------------------------------------------ */

/*
 * obj[key] in *out when it has type t (JSON_TRUE standing for true or
 * false); NULL when absent or null; else "what: `key` must be <want>".
 */
static int get_member(json_t *obj, const char *key, json_type t, const char *want, json_t **out,
		      const char *what, struct cb_error **err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if ((json_is_boolean(v) ? JSON_TRUE : json_typeof(v)) != t)
		return cb_error_set(err, 0, "%s: `%s` must be %s", what, key, want);
	*out = v;
	return 0;
}

static int get_string(json_t *obj, const char *key, char **out, const char *what,
		      struct cb_error **err)
{
	json_t *v;

	if (get_member(obj, key, JSON_STRING, "a string", &v, what, err) < 0)
		return -1;
	if (v)
		*out = xstrdup(json_string_value(v));
	return 0;
}

/* An array of strings; *present (when non-NULL) tells [] from absent/null. */
static int get_string_array(json_t *obj, const char *key, struct cb_strvec *out, bool *present,
			    const char *what, struct cb_error **err)
{
	json_t *v, *e;
	size_t i;

	if (get_member(obj, key, JSON_ARRAY, "an array of strings", &v, what, err) < 0)
		return -1;
	if (!v)
		return 0;
	json_array_foreach (v, i, e) {
		if (!json_is_string(e))
			return cb_error_set(err, 0, "%s: `%s[%zu]` must be a string", what, key, i);
		cb_strvec_push(out, json_string_value(e));
	}
	if (present)
		*present = true;
	return 0;
}

/* The keys of an object ({"80/tcp": {}}), sorted. */
static int get_key_set(json_t *obj, const char *key, struct cb_strvec *out, const char *what,
		       struct cb_error **err)
{
	json_t *v, *e;
	const char *k;

	if (get_member(obj, key, JSON_OBJECT, "an object", &v, what, err) < 0)
		return -1;
	if (!v)
		return 0;
	json_object_foreach (v, k, e)
		cb_strvec_push(out, k);
	cb_strvec_sort(out);
	return 0;
}

/* A string map ({"k": "v"}) into *out (kept sorted by key; a later duplicate replaces). */
static int get_string_map(json_t *obj, const char *key, struct cb_strmap *out, const char *what,
			  struct cb_error **err)
{
	json_t *v, *e;
	const char *k;

	if (get_member(obj, key, JSON_OBJECT, "an object", &v, what, err) < 0)
		return -1;
	if (!v)
		return 0;
	json_object_foreach (v, k, e) {
		if (!json_is_string(e))
			return cb_error_set(err, 0, "%s: `%s.%s` must be a string", what, key, k);
		cb_strmap_set(out, k, json_string_value(e));
	}
	return 0;
}

static int get_int(json_t *obj, const char *key, int64_t *out, const char *what,
		   struct cb_error **err)
{
	json_t *v;

	if (get_member(obj, key, JSON_INTEGER, "an integer", &v, what, err) < 0)
		return -1;
	if (v)
		*out = (int64_t)json_integer_value(v);
	return 0;
}

static int get_bool(json_t *obj, const char *key, bool *out, const char *what,
		    struct cb_error **err)
{
	json_t *v;

	if (get_member(obj, key, JSON_TRUE, "true or false", &v, what, err) < 0)
		return -1;
	if (v)
		*out = json_is_true(v);
	return 0;
}

static int get_object(json_t *obj, const char *key, json_t **out, const char *what,
		      struct cb_error **err)
{
	return get_member(obj, key, JSON_OBJECT, "an object", out, what, err);
}

/* ------------------------------------------------------------------------ */
/* Image config                                                              */
/* ------------------------------------------------------------------------ */

static int parse_platform(json_t *o, struct oci_platform *p, const char *what,
			  struct cb_error **err)
{
	if (get_string(o, "os", &p->os, what, err) < 0 ||
	    get_string(o, "architecture", &p->architecture, what, err) < 0 ||
	    get_string(o, "variant", &p->variant, what, err) < 0)
		return -1;
	return 0;
}

static int parse_healthcheck(json_t *cfg, struct oci_healthcheck *h, struct cb_error **err)
{
	static const char what[] = "image config: config.Healthcheck";
	json_t *o;
	int64_t retries = 0;

	if (get_object(cfg, "Healthcheck", &o, "image config: config", err) < 0)
		return -1;
	if (!o)
		return 0;
	if (get_string_array(o, "Test", &h->test, NULL, what, err) < 0 ||
	    get_int(o, "Interval", &h->interval_ns, what, err) < 0 ||
	    get_int(o, "Timeout", &h->timeout_ns, what, err) < 0 ||
	    get_int(o, "StartPeriod", &h->start_period_ns, what, err) < 0 ||
	    get_int(o, "StartInterval", &h->start_interval_ns, what, err) < 0 ||
	    get_int(o, "Retries", &retries, what, err) < 0)
		return -1;
	h->retries = (int)retries;
	return 0;
}

static int parse_runconfig(json_t *root, struct image_config *c, struct cb_error **err)
{
	static const char what[] = "image config: config";
	json_t *cfg;

	if (get_object(root, "config", &cfg, "image config", err) < 0)
		return -1;
	if (!cfg)
		return 0;
	if (get_string(cfg, "User", &c->user, what, err) < 0 ||
	    get_key_set(cfg, "ExposedPorts", &c->exposed_ports, what, err) < 0 ||
	    get_string_array(cfg, "Env", &c->env, NULL, what, err) < 0 ||
	    get_string_array(cfg, "Entrypoint", &c->entrypoint, &c->has_entrypoint, what, err) <
		    0 ||
	    get_string_array(cfg, "Cmd", &c->cmd, &c->has_cmd, what, err) < 0 ||
	    get_key_set(cfg, "Volumes", &c->volumes, what, err) < 0 ||
	    get_string(cfg, "WorkingDir", &c->working_dir, what, err) < 0 ||
	    get_string_map(cfg, "Labels", &c->labels, what, err) < 0 ||
	    get_string(cfg, "StopSignal", &c->stop_signal, what, err) < 0 ||
	    get_bool(cfg, "ArgsEscaped", &c->args_escaped, what, err) < 0 ||
	    parse_healthcheck(cfg, &c->healthcheck, err) < 0 ||
	    get_string_array(cfg, "OnBuild", &c->onbuild, NULL, what, err) < 0 ||
	    get_string_array(cfg, "Shell", &c->shell, NULL, what, err) < 0)
		return -1;
	return 0;
}

static int parse_rootfs(json_t *root, struct image_config *c, struct cb_error **err)
{
	json_t *rootfs, *ids, *e;
	const char *type;
	size_t i;

	if (get_object(root, "rootfs", &rootfs, "image config", err) < 0)
		return -1;
	if (!rootfs)
		return 0;
	type = json_string_value(json_object_get(rootfs, "type"));
	if (type && strcmp(type, "layers"))
		return cb_error_set(err, 0, "image config: rootfs.type `%s` is not `layers`", type);
	ids = json_object_get(rootfs, "diff_ids");
	if (!ids || json_is_null(ids))
		return 0;
	if (!json_is_array(ids))
		return cb_error_set(err, 0, "image config: `rootfs.diff_ids` must be an array");
	json_array_foreach (ids, i, e) {
		struct cb_digest d;

		if (!json_is_string(e))
			return cb_error_set(err, 0,
					    "image config: `rootfs.diff_ids[%zu]` must be a "
					    "string",
					    i);
		if (cb_digest_parse(json_string_value(e), &d, err) < 0)
			return cb_error_wrap(err, "image config: rootfs.diff_ids[%zu]", i);
		cb_strvec_push(&c->diff_ids, d.str);
	}
	return 0;
}

static int parse_history(json_t *root, struct image_config *c, struct cb_error **err)
{
	json_t *hist, *e;
	size_t i;

	if (get_member(root, "history", JSON_ARRAY, "an array", &hist, "image config", err) < 0)
		return -1;
	if (!hist)
		return 0;
	c->history = xcalloc(json_array_size(hist) + 1, sizeof(*c->history));
	json_array_foreach (hist, i, e) {
		struct oci_history *h = &c->history[i];
		char what[64];

		snprintf(what, sizeof(what), "image config: history[%zu]", i);
		if (!json_is_object(e))
			return cb_error_set(err, 0, "%s must be an object", what);
		c->nhistory = i + 1;
		if (get_string(e, "created", &h->created, what, err) < 0 ||
		    get_string(e, "created_by", &h->created_by, what, err) < 0 ||
		    get_string(e, "comment", &h->comment, what, err) < 0 ||
		    get_bool(e, "empty_layer", &h->empty_layer, what, err) < 0)
			return -1;
	}
	return 0;
}

int image_config_parse(const char *json, size_t len, struct image_config *c, struct cb_error **err)
{
	json_auto_t *root = store_json_parse(json, len, "image config", err);
	struct image_config tmp;

	if (!root)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	if (!json_is_object(root)) {
		cb_error_set(err, 0, "image config: not a JSON object");
		return -1;
	}
	if (get_string(root, "created", &tmp.created, "image config", err) < 0 ||
	    get_string(root, "author", &tmp.author, "image config", err) < 0 ||
	    get_string(root, "comment", &tmp.comment, "image config", err) < 0 ||
	    get_string(root, "docker_version", &tmp.docker_version, "image config", err) < 0 ||
	    parse_platform(root, &tmp.platform, "image config", err) < 0 ||
	    parse_runconfig(root, &tmp, err) < 0 || parse_rootfs(root, &tmp, err) < 0 ||
	    parse_history(root, &tmp, err) < 0) {
		image_config_release(&tmp);
		return -1;
	}
	*c = tmp;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Descriptors, manifests, indexes                                           */
/* ------------------------------------------------------------------------ */

static int parse_descriptor(json_t *o, struct oci_descriptor *d, bool platform, const char *what,
			    struct cb_error **err)
{
	json_t *digest, *size, *p;

	if (!json_is_object(o))
		return cb_error_set(err, 0, "%s must be an object", what);
	if (get_string(o, "mediaType", &d->media_type, what, err) < 0)
		return -1;
	if (!d->media_type)
		return cb_error_set(err, 0, "%s: `mediaType` is missing", what);
	digest = json_object_get(o, "digest");
	if (!json_is_string(digest))
		return cb_error_set(err, 0, "%s: `digest` must be a string", what);
	if (cb_digest_parse(json_string_value(digest), &d->digest, err) < 0)
		return cb_error_wrap(err, "%s", what);
	size = json_object_get(o, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return cb_error_set(err, 0, "%s: `size` must be a non-negative integer", what);
	d->size = (int64_t)json_integer_value(size);
	if (get_string_map(o, "annotations", &d->annotations, what, err) < 0)
		return -1;
	if (!platform)
		return 0;
	if (get_object(o, "platform", &p, what, err) < 0)
		return -1;
	return p ? parse_platform(p, &d->platform, what, err) : 0;
}

static bool is_manifest_type(const char *mt)
{
	return !strcmp(mt, MEDIA_OCI_MANIFEST) || !strcmp(mt, MEDIA_DOCKER_MANIFEST);
}

static bool is_index_type(const char *mt)
{
	return !strcmp(mt, MEDIA_OCI_INDEX) || !strcmp(mt, MEDIA_DOCKER_LIST);
}

/* schemaVersion 2 and the media type; *mt is borrowed from root. */
static int check_header(json_t *root, const char *what, const char **mt, struct cb_error **err)
{
	json_t *v = json_object_get(root, "schemaVersion");

	if (!json_is_object(root))
		return cb_error_set(err, 0, "%s: not a JSON object", what);
	if (!json_is_integer(v))
		return cb_error_set(err, 0, "%s: `schemaVersion` is missing", what);
	if (json_integer_value(v) == 1)
		return cb_error_set(err, 0, "%s: Docker schema 1 manifests are not supported",
				    what);
	if (json_integer_value(v) != 2)
		return cb_error_set(err, 0, "%s: schemaVersion %lld is not supported (want 2)",
				    what, (long long)json_integer_value(v));
	v = json_object_get(root, "mediaType");
	if (v && !json_is_null(v) && !json_is_string(v))
		return cb_error_set(err, 0, "%s: `mediaType` must be a string", what);
	*mt = json_string_value(v);
	return 0;
}

/*
 * An ambiguous document (CVE-2021-41190): a manifest that also has an
 * index's `manifests`, or an index that also has a manifest's `config` or
 * `layers`.  The image-spec gives each type its own fields; a registry or
 * client that reads the other type's fields from the same bytes would see
 * another image under the same digest.  containerd and distribution refuse
 * them too.
 */
static int check_unambiguous(json_t *root, const char *what, bool index, struct cb_error **err)
{
	static const char *const manifest_keys[] = {"config", "layers"};

	if (!index && json_object_get(root, "manifests"))
		return cb_error_set(err, 0,
				    "%s: ambiguous: it has an index's `manifests` as well as "
				    "a manifest's fields",
				    what);
	for (size_t i = 0; index && i < sizeof(manifest_keys) / sizeof(manifest_keys[0]); i++)
		if (json_object_get(root, manifest_keys[i]))
			return cb_error_set(err, 0,
					    "%s: ambiguous: it has a manifest's `%s` as well as "
					    "an index's fields",
					    what, manifest_keys[i]);
	return 0;
}

/* The descriptors of the array root[key] (required); errors name "what: key[i]". */
static int parse_descriptors(json_t *root, const char *key, bool platform, const char *what,
			     struct oci_descriptor **out, size_t *n, struct cb_error **err)
{
	json_t *list = json_object_get(root, key), *e;
	size_t i;

	if (!json_is_array(list))
		return cb_error_set(err, 0, "%s: `%s` must be an array", what, key);
	*out = xcalloc(json_array_size(list) + 1, sizeof(**out));
	json_array_foreach (list, i, e) {
		char where[64];

		snprintf(where, sizeof(where), "%s: %s[%zu]", what, key, i);
		*n = i + 1;
		if (parse_descriptor(e, &(*out)[i], platform, where, err) < 0)
			return -1;
	}
	return 0;
}

int image_manifest_parse(const char *json, size_t len, struct image_manifest *m,
			 struct cb_error **err)
{
	json_auto_t *root = store_json_parse(json, len, "image manifest", err);
	struct image_manifest tmp;
	const char *mt = NULL;

	if (!root)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	if (check_header(root, "image manifest", &mt, err) < 0)
		return -1;
	if ((mt && is_index_type(mt)) || (!mt && json_object_get(root, "manifests")))
		return cb_error_set(err, 0,
				    "image manifest: this is an image index (`%s`), not a "
				    "manifest",
				    mt ? mt : MEDIA_OCI_INDEX);
	if (mt && !is_manifest_type(mt))
		return cb_error_set(err, 0, "image manifest: unsupported media type `%s`", mt);
	if (check_unambiguous(root, "image manifest", false, err) < 0)
		return -1;
	tmp.media_type = mt ? xstrdup(mt) : NULL;
	if (parse_descriptor(json_object_get(root, "config"), &tmp.config, false,
			     "image manifest: config", err) < 0 ||
	    parse_descriptors(root, "layers", false, "image manifest", &tmp.layers, &tmp.nlayers,
			      err) < 0 ||
	    get_string_map(root, "annotations", &tmp.annotations, "image manifest", err) < 0) {
		image_manifest_release(&tmp);
		return -1;
	}
	*m = tmp;
	return 0;
}

int image_index_parse(const char *json, size_t len, struct image_index *ix, struct cb_error **err)
{
	json_auto_t *root = store_json_parse(json, len, "image index", err);
	struct image_index tmp;
	const char *mt = NULL;

	if (!root)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	if (check_header(root, "image index", &mt, err) < 0)
		return -1;
	if (mt && !is_index_type(mt))
		return cb_error_set(err, 0, "image index: `%s` is not an index media type", mt);
	if (check_unambiguous(root, "image index", true, err) < 0)
		return -1;
	tmp.media_type = mt ? xstrdup(mt) : NULL;
	if (parse_descriptors(root, "manifests", true, "image index", &tmp.manifests,
			      &tmp.nmanifests, err) < 0 ||
	    get_string_map(root, "annotations", &tmp.annotations, "image index", err) < 0) {
		image_index_release(&tmp);
		return -1;
	}
	*ix = tmp;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Release                                                                   */
/* ------------------------------------------------------------------------ */

static void platform_release(struct oci_platform *p)
{
	free(p->os);
	free(p->architecture);
	free(p->variant);
	memset(p, 0, sizeof(*p));
}

void oci_descriptor_release(struct oci_descriptor *d)
{
	free(d->media_type);
	platform_release(&d->platform);
	cb_strmap_clear(&d->annotations);
	memset(d, 0, sizeof(*d));
}

void image_config_release(struct image_config *c)
{
	free(c->created);
	free(c->author);
	free(c->comment);
	free(c->docker_version);
	platform_release(&c->platform);
	free(c->user);
	cb_strvec_clear(&c->exposed_ports);
	cb_strvec_clear(&c->env);
	cb_strvec_clear(&c->entrypoint);
	cb_strvec_clear(&c->cmd);
	cb_strvec_clear(&c->volumes);
	free(c->working_dir);
	cb_strmap_clear(&c->labels);
	free(c->stop_signal);
	cb_strvec_clear(&c->healthcheck.test);
	cb_strvec_clear(&c->onbuild);
	cb_strvec_clear(&c->shell);
	cb_strvec_clear(&c->diff_ids);
	for (size_t i = 0; i < c->nhistory; i++) {
		free(c->history[i].created);
		free(c->history[i].created_by);
		free(c->history[i].comment);
	}
	free(c->history);
	memset(c, 0, sizeof(*c));
}

void image_manifest_release(struct image_manifest *m)
{
	free(m->media_type);
	oci_descriptor_release(&m->config);
	for (size_t i = 0; i < m->nlayers; i++)
		oci_descriptor_release(&m->layers[i]);
	free(m->layers);
	cb_strmap_clear(&m->annotations);
	memset(m, 0, sizeof(*m));
}

void image_index_release(struct image_index *ix)
{
	free(ix->media_type);
	for (size_t i = 0; i < ix->nmanifests; i++)
		oci_descriptor_release(&ix->manifests[i]);
	free(ix->manifests);
	cb_strmap_clear(&ix->annotations);
	memset(ix, 0, sizeof(*ix));
}
