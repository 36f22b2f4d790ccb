/*
 * images.c - images in the store: resolve a tag, a digest or an image ID
 * prefix to a manifest and its config (an index resolves to the manifest
 * for linux/<host arch>), and store a new image.
 */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "store-internal.h"
#include "xalloc.h"

/* Indexes may nest; real ones are one level deep. */
#define INDEX_DEPTH_MAX 4

void layer_store_host_platform(char arch[LAYER_ARCH_MAX], char variant[LAYER_VARIANT_MAX])
{
	store_host_platform(arch, variant);
}

void store_host_platform(char arch[STORE_ARCH_MAX], char variant[STORE_VARIANT_MAX])
{
	static const struct {
		const char *machine, *arch, *variant;
	} map[] = {
		{"x86_64", "amd64", ""},
		{"aarch64", "arm64", "v8"},
		{"arm64", "arm64", "v8"},
		{"armv7l", "arm", "v7"},
		{"armv6l", "arm", "v6"},
		{"i686", "386", ""},
		{"i386", "386", ""},
		{"ppc64le", "ppc64le", ""},
		{"s390x", "s390x", ""},
		{"riscv64", "riscv64", ""},
		{"loongarch64", "loong64", ""},
	};
	struct utsname u;

	snprintf(arch, STORE_ARCH_MAX, "unknown");
	variant[0] = '\0';
	if (uname(&u) < 0)
		return;
	snprintf(arch, STORE_ARCH_MAX, "%.*s", STORE_ARCH_MAX - 1, u.machine);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (!strcmp(u.machine, map[i].machine)) {
			snprintf(arch, STORE_ARCH_MAX, "%s", map[i].arch);
			snprintf(variant, STORE_VARIANT_MAX, "%s", map[i].variant);
		}
	}
}

static bool is_attestation(const struct oci_descriptor *d)
{
	const char *t = cb_strmap_get(&d->annotations, "vnd.docker.reference.type");

	return t && !strcmp(t, "attestation-manifest");
}

/* The entry of ix for linux/<host arch>: an exact variant beats none. */
static const struct oci_descriptor *pick_platform(const struct image_index *ix, const char *arch,
						  const char *variant)
{
	const struct oci_descriptor *best = NULL;
	int best_score = 0;

	for (size_t i = 0; i < ix->nmanifests; i++) {
		const struct oci_descriptor *d = &ix->manifests[i];
		const struct oci_platform *p = &d->platform;
		int score;

		if (is_attestation(d) || !p->os || strcmp(p->os, "linux") || !p->architecture ||
		    strcmp(p->architecture, arch))
			continue;
		if (!p->variant || !*p->variant)
			score = 1;
		else if (!strcmp(p->variant, variant))
			score = 2;
		else
			continue;
		if (score > best_score) {
			best = d;
			best_score = score;
		}
	}
	return best;
}

static int load_image(struct layer_store *s, const struct cb_digest *d, int depth,
		      struct store_image *img, struct cb_error **err);

static int load_from_index(struct layer_store *s, const struct cb_digest *d, const char *json,
			   size_t len, int depth, struct store_image *img, struct cb_error **err)
{
	struct image_index ix;
	const struct oci_descriptor *pick;
	char arch[STORE_ARCH_MAX], variant[STORE_VARIANT_MAX];
	struct cb_digest child;

	if (depth >= INDEX_DEPTH_MAX)
		return cb_error_set(err, 0, "index `%s`: nested too deeply", d->str);
	if (image_index_parse(json, len, &ix, err) < 0)
		return -1;
	store_host_platform(arch, variant);
	pick = pick_platform(&ix, arch, variant);
	if (!pick) {
		image_index_release(&ix);
		return cb_error_set(err, 0, "index `%s` has no image for linux/%s", d->str, arch);
	}
	child = pick->digest;
	image_index_release(&ix);
	if (layer_store_blob_exists(s, &child, NULL, err) <= 0) {
		if (err && *err)
			return -1;
		return cb_error_set(err, 0,
				    "index `%s`: the image for linux/%s (`%s`) is not in "
				    "the store",
				    d->str, arch, child.str);
	}
	return load_image(s, &child, depth + 1, img, err);
}

static bool json_is_index(const char *json, size_t len)
{
	json_auto_t *v = json_loadb(json, len, 0, NULL);
	const char *mt = json_string_value(json_object_get(v, "mediaType"));

	if (mt)
		return !strcmp(mt, MEDIA_OCI_INDEX) || !strcmp(mt, MEDIA_DOCKER_LIST);
	return json_object_get(v, "manifests") && !json_object_get(v, "config");
}

static int load_image(struct layer_store *s, const struct cb_digest *d, int depth,
		      struct store_image *img, struct cb_error **err)
{
	cleanup_free char *json = NULL, *cjson = NULL;
	struct store_image tmp;
	size_t len = 0, clen = 0;

	if (layer_store_blob_read(s, d, STORE_JSON_MAX, &json, &len, err) < 0)
		return -1;
	if (json_is_index(json, len))
		return load_from_index(s, d, json, len, depth, img, err);
	memset(&tmp, 0, sizeof(tmp));
	tmp.manifest_digest = *d;
	if (image_manifest_parse(json, len, &tmp.manifest, err) < 0)
		return cb_error_wrap(err, "manifest `%s`", d->str);
	if (layer_store_blob_read(s, &tmp.manifest.config.digest, STORE_JSON_MAX, &cjson, &clen,
				  err) < 0 ||
	    image_config_parse(cjson, clen, &tmp.config, err) < 0) {
		store_image_release(&tmp);
		return cb_error_wrap(err, "manifest `%s`", d->str);
	}
	*img = tmp;
	return 0;
}

void store_image_release(struct store_image *img)
{
	image_manifest_release(&img->manifest);
	image_config_release(&img->config);
}

/* "abcd", "sha256:abcd": 4 to 64 lowercase hex digits; the hex part or NULL. */
static const char *id_prefix(const char *ref)
{
	const char *hex = cb_str_starts_with(ref, "sha256:") ? ref + 7 : ref;
	size_t n = strlen(hex);

	if (n < 4 || n > CB_DIGEST_HEX || strspn(hex, "0123456789abcdef") != n)
		return NULL;
	return hex;
}

/* Find the tagged image whose ID (config digest) starts with hex. 0 when none. */
static int find_by_id(struct layer_store *s, const char *ref, const char *hex,
		      struct store_image *img, struct cb_error **err)
{
	struct layer_store_tag *tags = NULL;
	struct store_image found;
	size_t ntags = 0, nhex = strlen(hex);
	bool have = false;

	if (store_tags_read(s, &tags, &ntags, err) < 0)
		return -1;
	for (size_t i = 0; i < ntags; i++) {
		struct store_image cand;
		struct cb_error *ignored = NULL;

		if (load_image(s, &tags[i].digest, 0, &cand, &ignored) < 0) {
			cb_error_free(&ignored); /* a broken tag cannot match; fsck reports it */
			continue;
		}
		if (strncmp(cb_digest_hex(&cand.manifest.config.digest), hex, nhex) ||
		    (have && cb_digest_equal(&cand.manifest_digest, &found.manifest_digest))) {
			store_image_release(&cand);
			continue;
		}
		if (have) {
			store_image_release(&cand);
			store_image_release(&found);
			layer_store_tags_free(tags, ntags);
			return cb_error_set(err, 0,
					    "image ID prefix `%s` is ambiguous: it matches "
					    "several images",
					    ref);
		}
		found = cand;
		have = true;
	}
	layer_store_tags_free(tags, ntags);
	if (!have)
		return 0;
	*img = found;
	return 1;
}

int layer_store_image_get(struct layer_store *s, const char *ref, struct store_image *img,
			  struct cb_error **err)
{
	struct cb_digest d;
	const char *hex;
	int ret;

	if (cb_digest_valid(ref)) {
		memcpy(d.str, ref, CB_DIGEST_LEN + 1);
		ret = layer_store_blob_exists(s, &d, NULL, err);
		if (ret < 0)
			return -1;
		if (ret > 0 && load_image(s, &d, 0, img, err) == 0)
			return 0;
		if (ret > 0 && err && *err) {
			/* A config digest is a blob too: try it as an image ID below. */
			cb_error_free(err);
		}
	} else {
		ret = layer_store_tag_get(s, ref, &d, err);
		if (ret < 0)
			return -1;
		if (ret > 0)
			return load_image(s, &d, 0, img, err) < 0
				       ? cb_error_wrap(err, "image `%s`", ref)
				       : 0;
	}
	hex = id_prefix(ref);
	if (hex) {
		ret = find_by_id(s, ref, hex, img, err);
		if (ret != 0)
			return ret < 0 ? -1 : 0;
	}
	return cb_error_set(err, 0, "image `%s` not found in the store", ref);
}

/* ------------------------------------------------------------------------ */
/* Storing an image                                                          */
/* ------------------------------------------------------------------------ */

static int check_layers(struct layer_store *s, const struct image_config *c,
			const struct layer_desc *layers, size_t n, struct cb_error **err)
{
	if (c->diff_ids.n != n)
		return cb_error_set(err, 0,
				    "the image config lists %zu diff IDs but the image has "
				    "%zu layers",
				    c->diff_ids.n, n);
	for (size_t i = 0; i < n; i++) {
		int64_t size = -1;
		int ret;

		if (strcmp(c->diff_ids.v[i], layers[i].diff_id.str))
			return cb_error_set(err, 0,
					    "layer %zu: diff ID `%s` is not `%s` of the "
					    "image config",
					    i, layers[i].diff_id.str, c->diff_ids.v[i]);
		if (store_lock(s, STORE_LOCK_SHARED, err) < 0)
			return -1;
		ret = store_lease_locked(s, &layers[i].digest, err) < 0
			      ? -1
			      : layer_store_blob_exists(s, &layers[i].digest, &size, err);
		store_unlock(s);
		if (ret < 0)
			return -1;
		if (!ret)
			return cb_error_set(err, 0, "layer `%s` is not in the store",
					    layers[i].digest.str);
		if (size != layers[i].size)
			return cb_error_set(err, 0, "layer `%s` has %lld bytes, not %lld",
					    layers[i].digest.str, (long long)size,
					    (long long)layers[i].size);
	}
	return 0;
}

static char *manifest_json(const struct cb_digest *config, size_t config_size,
			   const struct layer_desc *layers, size_t n)
{
	struct image_manifest m;
	char *json;

	memset(&m, 0, sizeof(m));
	m.media_type = xstrdup(MEDIA_OCI_MANIFEST);
	m.config.media_type = xstrdup(MEDIA_OCI_CONFIG);
	m.config.digest = *config;
	m.config.size = (int64_t)config_size;
	m.layers = xcalloc(n + 1, sizeof(*m.layers));
	m.nlayers = n;
	for (size_t i = 0; i < n; i++) {
		const char *mt = layer_compression_media_type(layers[i].compression);

		m.layers[i].media_type = xstrdup(mt ? mt : MEDIA_OCI_LAYER);
		m.layers[i].digest = layers[i].digest;
		m.layers[i].size = layers[i].size;
	}
	json = image_manifest_to_json(&m);
	image_manifest_release(&m);
	return json;
}

int layer_store_image_put(struct layer_store *s, const struct image_config *config,
			  const struct layer_desc *layers, size_t nlayers, const char *name,
			  struct cb_digest *manifest_out, struct cb_error **err)
{
	cleanup_free char *cjson = NULL, *mjson = NULL;
	struct cb_digest cd, md;

	if (check_layers(s, config, layers, nlayers, err) < 0)
		return cb_error_wrap(err, "store image");
	cjson = image_config_to_json(config);
	if (layer_store_blob_put(s, cjson, strlen(cjson), &cd, err) < 0)
		return cb_error_wrap(err, "store image config");
	mjson = manifest_json(&cd, strlen(cjson), layers, nlayers);
	if (layer_store_blob_put(s, mjson, strlen(mjson), &md, err) < 0)
		return cb_error_wrap(err, "store image manifest");
	if (name && layer_store_tag_set(s, name, &md, err) < 0)
		return -1;
	if (manifest_out)
		*manifest_out = md;
	return 0;
}
