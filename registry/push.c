/*
 * push.c - `cbuild push`: an image of the store to a registry.  Layers
 * leave in their exported form (a built layer as its gzip blob, made once
 * and remembered by the store), each blob the registry lacks is streamed
 * from the store (one PUT up to the chunk size, PATCH chunks beyond it),
 * and the manifest goes last, its digest confirmed by the registry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "layerstore.h"
#include "registry-internal.h"
#include "registry.h"
#include "xalloc.h"

#define MANIFEST_MAX (4u << 20)
#define REPLY_MAX (64u << 10) /* error bodies of upload requests, dropped */

static int status_error(const struct http_response *r, const char *what, struct cb_error **err)
{
	return cb_error_set(err, 0, "%s: %ld %s", what, r->status, http_status_text(r->status));
}

static void report(const struct registry_push_opts *o, const struct cb_digest *d, const char *what)
{
	char line[128];

	if (!o || !o->report)
		return;
	snprintf(line, sizeof(line), "%.12s: %s", cb_digest_hex(d), what);
	o->report(o->ctx, line);
}

/* The upload's next URL from r's Location, resolved against base; NULL with *err set. */
static char *upload_location(const char *base, const struct http_response *r, const char *what,
			     struct cb_error **err)
{
	char *next = r->location ? registry_resolve_location(base, r->location) : NULL;

	if (!next)
		cb_error_set(err, 0, "%s: the registry gave no usable Location", what);
	return next;
}

/* url with "digest=<d>" added to its query string (kept). */
static char *with_digest(const char *url, const struct cb_digest *d)
{
	return xasprintf("%s%cdigest=sha256%%3A%s", url, strchr(url, '?') ? '&' : '?',
			 cb_digest_hex(d));
}

/* A blob's bytes sent so far, for opts' progress: base is where a request's body starts. */
struct push_progress {
	const struct registry_push_opts *o;
	const struct cb_digest *d;
	int64_t base, total;
};

static void push_sent(void *arg, uint64_t pos)
{
	struct push_progress *p = arg;

	p->o->progress(p->o->ctx, p->d, p->base + (int64_t)pos, p->total);
}

/* The progress callback of rq when pp is non-NULL, its body starting at base. */
static void track(struct registry_send_req *rq, struct push_progress *pp, int64_t base)
{
	if (!pp)
		return;
	pp->base = base;
	rq->sent = push_sent;
	rq->sent_arg = pp;
}

/* The upload of fd's size bytes: PATCH chunks following each Location, then the PUT. */
static int upload_chunks(struct registry_client *c, int fd, const struct cb_digest *d, int64_t size,
			 uint64_t chunk, struct push_progress *pp, char **loc,
			 struct cb_error **err)
{
	static const char octet[] = "Content-Type: application/octet-stream";
	int64_t off = 0;

	while (off < size) {
		uint64_t n = (uint64_t)(size - off) < chunk ? (uint64_t)(size - off) : chunk;
		char range[64];
		const char *hdrs[3] = {octet, range, NULL};
		struct registry_send_req rq = {.method = "PATCH", .url = *loc, .headers = hdrs};
		struct http_response r;
		char *next;

		snprintf(range, sizeof(range), "Content-Range: %lld-%lld", (long long)off,
			 (long long)(off + (int64_t)n - 1));
		rq.fd = fd;
		rq.off = off;
		rq.len = n;
		rq.max_size = REPLY_MAX;
		track(&rq, pp, off);
		if (registry_send(c, &rq, &r, err) < 0)
			return cb_error_wrap(err, "PATCH blob %s at %lld", d->str, (long long)off);
		if (r.status != 202) {
			cleanup_free char *what =
				xasprintf("PATCH blob %s at %lld", d->str, (long long)off);

			status_error(&r, what, err);
			http_response_release(&r);
			return -1;
		}
		next = upload_location(*loc, &r, "PATCH blob", err);
		http_response_release(&r);
		if (!next)
			return -1;
		free(*loc);
		*loc = next;
		off += (int64_t)n;
	}
	return 0;
}

/* Upload the blob d (size bytes of the store) unless the registry has it. */
static int push_blob(struct registry_client *c, struct layer_store *s,
		     const struct oci_descriptor *d, uint64_t chunk,
		     const struct registry_push_opts *o, bool *pushed, struct cb_error **err)
{
	struct push_progress prog = {o, &d->digest, 0, d->size};
	struct push_progress *pp = o && o->progress ? &prog : NULL;
	static const char octet[] = "Content-Type: application/octet-stream";
	cleanup_free char *path = xasprintf("/v2/%s/blobs/%s", c->repo, d->digest.str);
	cleanup_free char *uploads = xasprintf("%s/v2/%s/blobs/uploads/", c->origin, c->repo);
	cleanup_free char *loc = NULL, *final = NULL;
	cleanup_close int fd = -1;
	struct registry_send_req rq = {.method = "HEAD", .url = path, .fd = -1};
	const char *hdrs[2] = {octet, NULL};
	struct http_response r;
	struct stat st;

	*pushed = false;
	if (registry_send(c, &rq, &r, err) < 0)
		return cb_error_wrap(err, "HEAD blob %s", d->digest.str);
	if (r.status == 200) {
		http_response_release(&r);
		return 0;
	}
	if (r.status != 404) {
		cleanup_free char *what = xasprintf("HEAD blob %s", d->digest.str);

		status_error(&r, what, err);
		http_response_release(&r);
		return -1;
	}
	http_response_release(&r);

	fd = layer_store_blob_open(s, &d->digest, err);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return cb_error_set(err, errno, "stat blob %s", d->digest.str);
	if (st.st_size != d->size)
		return cb_error_set(err, 0,
				    "blob %s: %lld bytes in the store, %lld in the manifest",
				    d->digest.str, (long long)st.st_size, (long long)d->size);

	rq = (struct registry_send_req){.method = "POST", .url = uploads, .fd = -1};
	rq.max_size = REPLY_MAX;
	if (registry_send(c, &rq, &r, err) < 0)
		return cb_error_wrap(err, "POST blob upload");
	if (r.status != 202) {
		status_error(&r, "POST blob upload", err);
		http_response_release(&r);
		return -1;
	}
	loc = upload_location(uploads, &r, "POST blob upload", err);
	http_response_release(&r);
	if (!loc)
		return -1;

	rq = (struct registry_send_req){.method = "PUT", .headers = hdrs, .fd = fd};
	if ((uint64_t)d->size <= chunk) {
		rq.len = (uint64_t)d->size;
		track(&rq, pp, 0);
	} else {
		if (upload_chunks(c, fd, &d->digest, d->size, chunk, pp, &loc, err) < 0)
			return -1;
		rq.fd = -1; /* an empty PUT ends the upload */
	}
	final = with_digest(loc, &d->digest);
	rq.url = final;
	rq.max_size = REPLY_MAX;
	if (registry_send(c, &rq, &r, err) < 0)
		return cb_error_wrap(err, "PUT blob %s", d->digest.str);
	if (r.status != 201) {
		cleanup_free char *what = xasprintf("PUT blob %s", d->digest.str);

		status_error(&r, what, err);
		http_response_release(&r);
		return -1;
	}
	http_response_release(&r);
	*pushed = true;
	return 0;
}

/* PUT the manifest (bytes as stored) under ref; the registry must confirm its digest. */
static int push_manifest(struct registry_client *c, const char *ref, const char *media,
			 const char *buf, size_t len, struct cb_digest *digest,
			 struct cb_error **err)
{
	cleanup_free char *path = xasprintf("/v2/%s/manifests/%s", c->repo, ref);
	cleanup_free char *what = xasprintf("PUT manifest `%s`", ref);
	cleanup_free char *ct = xasprintf("Content-Type: %s", media);
	const char *hdrs[2] = {ct, NULL};
	struct registry_send_req rq = {.method = "PUT", .url = path, .headers = hdrs, .fd = -1};
	struct http_response r;
	const char *got;
	int ret = 0;

	cb_sha256_buf(buf, len, digest);
	rq.buf = buf;
	rq.len = len;
	rq.max_size = REPLY_MAX;
	if (registry_send(c, &rq, &r, err) < 0)
		return cb_error_wrap(err, "%s", what);
	got = http_response_header(&r, "docker-content-digest");
	if (r.status != 201 && r.status != 200)
		ret = status_error(&r, what, err);
	else if (!got)
		ret = cb_error_set(err, 0, "%s: the registry sent no Docker-Content-Digest", what);
	else if (strcmp(got, digest->str))
		ret = cb_error_set(err, 0, "%s: the registry has digest `%.80s`, not %s", what, got,
				   digest->str);
	http_response_release(&r);
	return ret;
}

static int push_image(struct registry_client *c, struct layer_store *s, struct store_image *img,
		      const char *ref, const struct registry_push_opts *o,
		      struct registry_push_result *out, struct cb_error **err)
{
	struct image_manifest *m = &img->manifest;
	uint64_t chunk = o && o->chunk_size ? o->chunk_size : REGISTRY_CHUNK_DEFAULT;
	cleanup_free char *buf = NULL;
	int64_t msize = 0;
	size_t len = 0;
	bool pushed;

	if (layer_store_manifest_gzip(s, m, &img->manifest_digest, &msize, err) < 0)
		return -1;
	for (size_t i = 0; i < m->nlayers; i++) {
		if (push_blob(c, s, &m->layers[i], chunk, o, &pushed, err) < 0)
			return -1;
		out->blobs_pushed += pushed;
		out->blobs_present += !pushed;
		report(o, &m->layers[i].digest, pushed ? "Pushed" : "Layer already exists");
	}
	if (push_blob(c, s, &m->config, chunk, o, &pushed, err) < 0)
		return -1;
	out->blobs_pushed += pushed;
	out->blobs_present += !pushed;
	if (layer_store_blob_read(s, &img->manifest_digest, MANIFEST_MAX, &buf, &len, err) < 0)
		return cb_error_wrap(err, "manifest %s", img->manifest_digest.str);
	if (push_manifest(c, ref, m->media_type ? m->media_type : MEDIA_OCI_MANIFEST, buf, len,
			  &out->digest, err) < 0)
		return -1;
	out->size = (int64_t)len;
	return 0;
}

int registry_push(struct layer_store *s, struct store_image *img, const char *dest,
		  const struct registry_push_opts *o, struct registry_push_result *out,
		  struct cb_error **err)
{
	struct image_ref r;
	struct registry_client c;
	struct registry_endpoint *ep = NULL; /* one: pushes go to the registry itself */
	size_t nep = 0;
	struct registry_push_result res = {0};
	cleanup_free char *full = NULL;
	int ret;

	if (image_ref_parse_normalized(dest, &r, err) < 0)
		return cb_error_wrap(err, "push `%s`", dest);
	image_ref_default_tag(&r);
	full = image_ref_string(&r);
	if (registry_endpoints(r.domain, o ? &o->conn : NULL, false, &ep, &nep, err) < 0 ||
	    registry_client_init(&c, r.domain, r.path, ep, err) < 0) {
		registry_endpoints_free(ep, nep);
		image_ref_release(&r);
		return cb_error_wrap(err, "push `%s`", full);
	}
	c.push = true;
	res.tag = xstrdup(r.tag ? r.tag : r.digest);
	ret = push_image(&c, s, img, res.tag, o, &res, err);
	registry_client_release(&c);
	registry_endpoints_free(ep, nep);
	if (ret == 0 && r.digest && strcmp(r.digest, res.digest.str))
		ret = cb_error_set(err, 0, "the image's manifest is %s, not the digest named",
				   res.digest.str);
	image_ref_release(&r);
	if (ret < 0) {
		free(res.tag);
		return cb_error_wrap(err, "push `%s`", full);
	}
	res.name = steal_pointer(&full);
	*out = res;
	return 0;
}

void registry_push_result_release(struct registry_push_result *r)
{
	free(r->name);
	free(r->tag);
	r->name = r->tag = NULL;
}
