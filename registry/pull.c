/*
 * pull.c - `cbuild pull`: a reference's image from a registry into the
 * store.  Nothing enters the store unverified: the manifest's bytes are
 * hashed (and must match a digest reference), every blob streams into a
 * blob writer that refuses more bytes than its descriptor's size and is
 * committed only when digest and size match.  Blobs the store has are not
 * fetched again.  The manifest is kept as the registry sent it, so its
 * digest is the registry's.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "layerstore.h"
#include "registry-internal.h"
#include "registry.h"
#include "xalloc.h"

#define MANIFEST_MAX (4u << 20)

#define MEDIA_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1"

static const char accept_all[] =
	MEDIA_OCI_INDEX ", " MEDIA_OCI_MANIFEST ", " MEDIA_DOCKER_LIST ", " MEDIA_DOCKER_MANIFEST;

struct platform {
	char os[32], arch[LAYER_ARCH_MAX], variant[LAYER_VARIANT_MAX];
};

static int platform_parse(const char *s, struct platform *p, struct cb_error **err)
{
	char arch[LAYER_ARCH_MAX], variant[LAYER_VARIANT_MAX];
	const char *a, *v;

	memset(p, 0, sizeof(*p));
	layer_store_host_platform(arch, variant);
	if (!s || !*s) {
		snprintf(p->os, sizeof(p->os), "linux");
		snprintf(p->arch, sizeof(p->arch), "%s", arch);
		snprintf(p->variant, sizeof(p->variant), "%s", variant);
		return 0;
	}
	a = strchr(s, '/');
	v = a ? strchr(a + 1, '/') : NULL;
	if (!a || a == s || !a[1] || a[1] == '/' || (v && (!v[1] || strchr(v + 1, '/'))) ||
	    (size_t)(a - s) >= sizeof(p->os) ||
	    (size_t)((v ? v : a + strlen(a)) - a - 1) >= sizeof(p->arch) ||
	    (v && strlen(v + 1) >= sizeof(p->variant)))
		return cb_error_set(err, 0, "invalid platform `%s`: want os/arch[/variant]", s);
	snprintf(p->os, sizeof(p->os), "%.*s", (int)(a - s), s);
	snprintf(p->arch, sizeof(p->arch), "%.*s", (int)((v ? v : a + strlen(a)) - a - 1), a + 1);
	if (v)
		snprintf(p->variant, sizeof(p->variant), "%s", v + 1);
	else if (!strcmp(p->arch, arch))
		snprintf(p->variant, sizeof(p->variant), "%s", variant);
	return 0;
}

/* Does an index entry's platform fit?  A missing variant fits any (arm64 images rarely say v8). */
static bool platform_fits(const struct oci_platform *e, const struct platform *want)
{
	if (!e->os || !e->architecture || strcmp(e->os, want->os) ||
	    strcmp(e->architecture, want->arch))
		return false;
	return !e->variant || !*e->variant || !*want->variant || !strcmp(e->variant, want->variant);
}

/* ------------------------------------------------------------------------ */
/* Manifests                                                                 */
/* ------------------------------------------------------------------------ */

static int buf_sink(void *arg, const struct http_response *r, const void *buf, size_t len,
		    struct cb_error **err)
{
	(void)err;
	if (r->status == 200)
		cb_strbuf_add(arg, buf, len);
	return 0;
}

static int status_error(const struct http_response *r, const char *what, struct cb_error **err)
{
	return cb_error_set(err, 0, "%s: %ld %s", what, r->status, http_status_text(r->status));
}

static int buf_restart(void *arg, struct cb_error **err)
{
	(void)err;
	cb_strbuf_reset(arg);
	return 0;
}

/*
 * GET manifests/<ref> into *body; *media its type (the header's, else the
 * JSON's mediaType).  When want (a digest) is non-NULL the bytes must hash
 * to it; when size >= 0 (a descriptor's) there must be that many.
 */
static int get_manifest(struct registry_client *c, const char *ref, const struct cb_digest *want,
			int64_t size, struct cb_strbuf *body, char **media, struct cb_digest *got,
			struct cb_error **err)
{
	cleanup_free char *path = xasprintf("/v2/%s/manifests/%s", c->repo, ref);
	cleanup_free char *what = xasprintf("GET manifest `%s`", ref);
	cleanup_free char *acc = xasprintf("Accept: %s", accept_all);
	const char *hdrs[2] = {acc, NULL};
	struct registry_send_req rq = {.url = path, .headers = hdrs, .fd = -1};
	struct http_response r;
	const char *ct;
	json_auto_t *j = NULL;

	if (size > (int64_t)MANIFEST_MAX)
		return cb_error_set(err, EFBIG, "%s: its descriptor's %lld bytes are over %u", what,
				    (long long)size, MANIFEST_MAX);
	cb_strbuf_reset(body);
	rq.max_size = size > 0 ? (uint64_t)size : MANIFEST_MAX;
	rq.on_body = buf_sink;
	rq.arg = body;
	rq.on_restart = buf_restart; /* a cut body comes again whole */
	if (registry_send(c, &rq, &r, err) < 0)
		return cb_error_wrap(err, "%s", what);
	if (r.status != 200) {
		status_error(&r, what, err);
		http_response_release(&r);
		return -1;
	}
	cb_sha256_buf(body->buf, body->len, got);
	if ((want && !cb_digest_equal(want, got)) || (size >= 0 && (int64_t)body->len != size)) {
		http_response_release(&r);
		if (want && !cb_digest_equal(want, got))
			return cb_error_set(err, 0, "%s: digest mismatch: got %s", what, got->str);
		return cb_error_set(err, 0, "%s: %zu bytes, its descriptor says %lld", what,
				    body->len, (long long)size);
	}
	ct = r.content_type;
	j = json_loadb(body->buf, body->len, 0, NULL);
	if (!json_is_object(j)) {
		http_response_release(&r);
		return cb_error_set(err, 0, "%s: not a JSON object", what);
	}
	if (json_string_value(json_object_get(j, "mediaType")))
		ct = json_string_value(json_object_get(j, "mediaType"));
	else if (!ct || !strncmp(ct, "application/json", 16) || !strncmp(ct, "text/plain", 10))
		ct = json_object_get(j, "manifests") ? MEDIA_OCI_INDEX : MEDIA_OCI_MANIFEST;
	*media = xstrndup(ct, strcspn(ct, "; "));
	http_response_release(&r);
	if (!strncmp(*media, MEDIA_DOCKER_V1, strlen(MEDIA_DOCKER_V1))) {
		free(*media);
		*media = NULL;
		return cb_error_set(err, 0, "%s: Docker schema 1 manifests are not supported",
				    what);
	}
	return 0;
}

static bool is_index(const char *media)
{
	return !strcmp(media, MEDIA_OCI_INDEX) || !strcmp(media, MEDIA_DOCKER_LIST);
}

/* ------------------------------------------------------------------------ */
/* Pull                                                                      */
/* ------------------------------------------------------------------------ */

/* The platform's manifest of the index in body: its digest in *pick, its size in *size. */
static int pick_manifest(const struct cb_strbuf *body, const struct platform *want,
			 struct cb_digest *pick, int64_t *size, struct cb_error **err)
{
	struct image_index ix;
	int ret = -1;

	if (image_index_parse(body->buf, body->len, &ix, err) < 0)
		return cb_error_wrap(err, "parse the index");
	for (size_t i = 0; i < ix.nmanifests; i++) {
		const struct oci_descriptor *m = &ix.manifests[i];

		if (platform_fits(&m->platform, want) &&
		    !is_index(m->media_type ? m->media_type : "") && m->size >= 0) {
			*pick = m->digest;
			*size = m->size;
			ret = 0;
			break;
		}
	}
	if (ret < 0)
		cb_error_set(err, 0, "no image for platform %s/%s%s%s in the index", want->os,
			     want->arch, *want->variant ? "/" : "", want->variant);
	image_index_release(&ix);
	return ret;
}

static int pull_image(struct registry_client *c, struct layer_store *s,
		      const struct registry_ref *r, const struct registry_pull_opts *o,
		      struct registry_pull_result *out, struct cb_error **err)
{
	struct cb_strbuf body = CB_STRBUF_INIT;
	struct image_manifest m;
	struct cb_digest want, stored;
	struct platform plat;
	cleanup_free char *media = NULL;
	int ret = -1;

	if (platform_parse(o ? o->platform : NULL, &plat, err) < 0)
		return -1;
	if (r->digest && cb_digest_parse(r->digest, &want, err) < 0)
		return -1;
	if (get_manifest(c, r->digest ? r->digest : r->tag, r->digest ? &want : NULL, -1, &body,
			 &media, &out->digest, err) < 0)
		goto out;
	out->manifest = out->digest;
	if (is_index(media)) {
		struct cb_digest pick;
		int64_t size = -1;

		if (pick_manifest(&body, &plat, &pick, &size, err) < 0)
			goto out;
		free(media);
		media = NULL;
		if (get_manifest(c, pick.str, &pick, size, &body, &media, &out->manifest, err) < 0)
			goto out;
		if (is_index(media)) {
			cb_error_set(err, 0, "manifest %s: an index inside an index", pick.str);
			goto out;
		}
	}
	if (image_manifest_parse(body.buf, body.len, &m, err) < 0) {
		cb_error_wrap(err, "manifest %s", out->manifest.str);
		goto out;
	}
	ret = registry_pull_blobs(c, s, &m, o, &out->blobs_fetched, &out->blobs_present, err);
	image_manifest_release(&m);
	if (ret < 0)
		goto out;
	ret = -1;
	if (layer_store_blob_put(s, body.buf, body.len, &stored, err) < 0)
		goto out;
	if (!cb_digest_equal(&stored, &out->manifest)) {
		cb_error_set(err, 0, "the store kept the manifest as %s", stored.str);
		goto out;
	}
	ret = 0;
out:
	cb_strbuf_release(&body);
	return ret;
}

/* Pull from each endpoint (docker.io's mirrors, then the registry) until one succeeds. */
static int pull_endpoints(struct registry_client *c, struct layer_store *s,
			  const struct registry_ref *r, const struct registry_pull_opts *o,
			  struct registry_pull_result *res, struct cb_error **err)
{
	struct registry_endpoint *ep = NULL;
	size_t n = 0;
	int ret = -1;

	if (registry_endpoints(r->domain, o ? &o->conn : NULL, true, &ep, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		ret = registry_client_init(c, r->domain, r->path, &ep[i], err);
		if (ret == 0) {
			ret = pull_image(c, s, r, o, res, err);
			registry_client_release(c);
		}
		if (ret == 0 || !ep[i].mirror)
			break;
		cb_error_free(err); /* as Docker: a mirror's failure falls back to the next */
		memset(res, 0, sizeof(*res));
	}
	registry_endpoints_free(ep, n);
	return ret;
}

int registry_pull(struct layer_store *s, const char *ref, const struct registry_pull_opts *o,
		  struct registry_pull_result *out, struct cb_error **err)
{
	struct registry_ref r;
	struct registry_client c;
	struct registry_pull_result res = {0};
	cleanup_free char *name = NULL, *full = NULL, *bydigest = NULL;
	int ret;

	if (registry_ref_parse_normalized(ref, &r, err) < 0)
		return cb_error_wrap(err, "pull `%s`", ref);
	registry_ref_default_tag(&r);
	name = registry_ref_name(&r);
	full = registry_ref_string(&r);
	ret = pull_endpoints(&c, s, &r, o, &res, err);
	if (ret == 0) {
		bydigest = xasprintf("%s@%s", name, res.digest.str);
		if (r.tag && !r.digest)
			ret = layer_store_tag_set(s, full, &res.manifest, err);
		if (ret == 0)
			ret = layer_store_tag_set(s, bydigest, &res.manifest, err);
		if (ret == 0) /* where its blobs came from: a push there mounts them */
			registry_note_sources(s, name, &res.manifest);
	}
	registry_ref_release(&r);
	if (ret < 0)
		return cb_error_wrap(err, "pull `%s`", full);
	res.name = steal_pointer(&full);
	*out = res;
	return 0;
}

void registry_pull_result_release(struct registry_pull_result *r)
{
	free(r->name);
	r->name = NULL;
}
