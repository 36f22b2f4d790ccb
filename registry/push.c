/*
 * push.c - `cbuild push`: an image of the store to a registry.  Layers
 * leave in their exported form (a built layer as its gzip blob, made once
 * and remembered by the store).  For each blob the registry lacks (HEAD):
 * a cross-repository mount when the store knows another repository of the
 * same registry that has it (layer_store_blob_sources), else an upload
 * streamed from the store, one PUT up to the chunk size, PATCH chunks
 * beyond it.  The manifest goes last, its digest confirmed by the registry.
 *
 * Uploads survive failures (a dropped connection, a 5xx, 408, 429, a 416
 * or 404 on a chunk): after a delay (doubled each time) a chunked upload
 * asks the registry how much it holds (GET <upload> -> 204, Range: 0-N)
 * and goes on from byte N+1, re-read from the store; one the registry lost
 * (404), or whose offset it cannot tell, starts anew, as does a failed
 * monolithic upload.  The registry's offset is trusted only up to what was
 * sent: more is an error (a broken or hostile registry), less is resent.
 * At most PUSH_ATTEMPTS failures in a row per blob, counted from the
 * furthest offset the registry confirmed (so a registry that keeps losing
 * data cannot keep us busy forever); the waits are registry_send's
 * (registry_backoff_ms of $CBUILD_REGISTRY_RETRY_MS, 200 ms by default).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "layerstore.h"
#include "registry-internal.h"
#include "registry.h"
#include "xalloc.h"

#define MANIFEST_MAX (4u << 20)
#define REPLY_MAX (64u << 10) /* bodies of upload answers, dropped */
#define PUSH_ATTEMPTS 5	      /* failures in a row per blob before giving up */
#define MOUNT_CANDIDATES 3    /* repositories a blob is asked to be mounted from */

static const char octet[] = "Content-Type: application/octet-stream";

struct pusher {
	struct registry_client *c;
	struct layer_store *s;
	const struct registry_push_opts *o;
	char *source; /* "domain/repo" of the destination, as blob sources name it */
	uint64_t chunk;
	struct registry_push_result *out;
};

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

/* One blob's upload, through its failures. */
struct upload {
	struct pusher *p;
	const struct oci_descriptor *d;
	struct push_progress prog; /* when the options want progress */
	int fd;			   /* the blob, from the store */
	char *loc;		   /* the upload's URL; NULL: none open */
	int64_t off;		   /* bytes the registry holds */
	int64_t sent;		   /* the furthest byte sent in this upload, plus one */
	int64_t best;		   /* the furthest offset confirmed (failures count from there) */
	int failures;		   /* in a row */
	bool resynced;		   /* off came from asking the registry; nothing sent since */
	bool restart;		   /* the registry refused the offset it gave (416): start anew */
	struct cb_error *last;	   /* the last failure, reported when giving up */
};

/* A step of an upload: done, or failed in a way worth another try, or failed for good. */
enum { STEP_OK = 0, STEP_RETRY = 1 };

static int status_error(const struct http_response *r, const char *what, struct cb_error **err)
{
	return cb_error_set(err, 0, "%s: %ld %s", what, r->status, http_status_text(r->status));
}

static void report_line(const struct registry_push_opts *o, const struct cb_digest *d,
			const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report_line(const struct registry_push_opts *o, const struct cb_digest *d,
			const char *fmt, ...)
{
	char line[512];
	int n;
	va_list ap;

	if (!o || !o->report)
		return;
	n = snprintf(line, sizeof(line), "%.12s: ", cb_digest_hex(d));
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	o->report(o->ctx, line);
}

/* Statuses a later try may not get: the registry is busy, down or timed out. */
static bool transient_status(long status)
{
	return status == 408 || status == 429 || status >= 500;
}

/* Transport failures worth another try: not ours (cancelled, too big, bad request). */
static bool transient_error(const struct cb_error *e)
{
	return e && e->code != ECANCELED && e->code != EFBIG && e->code != EINVAL &&
	       e->code != ENOMEM;
}

/* Hand e (owned) to the caller as its error: -1. */
static int pass_error(struct cb_error **err, struct cb_error *e)
{
	if (err)
		*err = e;
	else
		cb_error_free(&e);
	return -1;
}

/* Keep e (owned) as the upload's last failure: STEP_RETRY. */
static int soft_fail(struct upload *u, struct cb_error *e)
{
	cb_error_free(&u->last);
	u->last = e;
	return STEP_RETRY;
}

/* A failed request: its error kept for a retry (STEP_RETRY) or passed on (-1). */
static int request_failed(struct upload *u, struct cb_error **rerr, const char *what,
			  struct cb_error **err)
{
	cb_error_wrap(rerr, "%s", what);
	if (transient_error(*rerr))
		return soft_fail(u, steal_pointer(rerr));
	return pass_error(err, steal_pointer(rerr));
}

/* A status other than the one wanted: retry when retry says so, else fail. */
static int bad_status(struct upload *u, const struct http_response *r, bool retry, const char *what,
		      struct cb_error **err)
{
	struct cb_error *e = NULL;

	status_error(r, what, &e);
	return retry ? soft_fail(u, e) : pass_error(err, e);
}

/*
 * The bytes a Range header ("0-<last>", also "bytes=0-<last>") says the
 * registry holds, or -1 when it is not one.  "0-0" is 1 byte, or 0 bytes
 * when zero_empty: docker-registry says "0-0" for an empty upload too.
 */
static int64_t range_bytes(const char *h, bool zero_empty)
{
	unsigned long long last;
	char *end;

	if (!h)
		return -1;
	if (!strncmp(h, "bytes=", 6))
		h += 6;
	if (h[0] != '0' || h[1] != '-' || h[2] < '0' || h[2] > '9')
		return -1;
	errno = 0;
	last = strtoull(h + 2, &end, 10);
	if (errno || *end || last >= (unsigned long long)INT64_MAX)
		return -1;
	return last == 0 && zero_empty ? 0 : (int64_t)last + 1;
}

/* The failure of a chunk the registry answered 202 but took none of. */
static struct cb_error *none_taken(const char *what)
{
	struct cb_error *e = NULL;

	cb_error_set(&e, 0, "%s: the registry took none of the chunk", what);
	return e;
}

/* Take r's Location (resolved against the current URL) as the upload's URL. */
static int take_location(struct upload *u, const struct http_response *r, const char *base,
			 const char *what, struct cb_error **err)
{
	char *next = r->location ? registry_resolve_location(base, r->location) : NULL;

	if (!next)
		return cb_error_set(err, 0, "%s: the registry gave no usable Location", what);
	free(u->loc);
	u->loc = next;
	return 0;
}

/* url with "digest=<d>" added to its query string (kept). */
static char *with_digest(const char *url, const struct cb_digest *d)
{
	return xasprintf("%s%cdigest=sha256%%3A%s", url, strchr(url, '?') ? '&' : '?',
			 cb_digest_hex(d));
}

/* Report rq's body as u's bytes from base on, when the options want progress. */
static void track(struct upload *u, struct registry_send_req *rq, int64_t base)
{
	const struct registry_push_opts *o = u->p->o;

	if (!o || !o->progress)
		return;
	u->prog = (struct push_progress){o, &u->d->digest, base, u->d->size};
	rq->sent = push_sent;
	rq->sent_arg = &u->prog;
}

/* ------------------------------------------------------------------------ */
/* Upload steps: each STEP_OK, STEP_RETRY (u->last set) or -1 (*err set)     */
/* ------------------------------------------------------------------------ */

/* POST a new upload. */
static int open_upload(struct upload *u, struct cb_error **err)
{
	struct registry_client *c = u->p->c;
	cleanup_free char *uploads = xasprintf("%s/v2/%s/blobs/uploads/", c->origin, c->repo);
	struct registry_send_req rq = {.method = "POST", .url = uploads, .fd = -1};
	struct cb_error *rerr = NULL;
	struct http_response r;
	int ret = STEP_OK;

	rq.max_size = REPLY_MAX;
	if (registry_send(c, &rq, &r, &rerr) < 0)
		return request_failed(u, &rerr, "POST blob upload", err);
	if (r.status != 202)
		ret = bad_status(u, &r, transient_status(r.status), "POST blob upload", err);
	else if (take_location(u, &r, uploads, "POST blob upload", err) < 0)
		ret = -1;
	http_response_release(&r);
	u->off = u->sent = 0;
	u->resynced = u->restart = false;
	return ret;
}

/* PUT the upload's end: the whole blob (monolithic) or nothing (after the chunks). */
static int put_upload(struct upload *u, bool whole, struct cb_error **err)
{
	const struct oci_descriptor *d = u->d;
	cleanup_free char *url = with_digest(u->loc, &d->digest);
	cleanup_free char *what = xasprintf("PUT blob %s", d->digest.str);
	const char *hdrs[2] = {octet, NULL};
	struct registry_send_req rq = {.method = "PUT", .url = url, .headers = hdrs, .fd = -1};
	struct cb_error *rerr = NULL;
	struct http_response r;
	int ret = STEP_OK;

	if (whole) {
		rq.fd = u->fd;
		rq.len = (uint64_t)d->size;
		u->sent = d->size;
		track(u, &rq, 0);
	}
	rq.max_size = REPLY_MAX;
	if (registry_send(u->p->c, &rq, &r, &rerr) < 0)
		return request_failed(u, &rerr, what, err);
	if (r.status != 201) {
		u->restart = u->resynced && r.status == 416;
		ret = bad_status(u, &r,
				 transient_status(r.status) ||
					 (!whole && (r.status == 404 || r.status == 416)),
				 what, err);
	}
	http_response_release(&r);
	return ret;
}

/* PATCH the next chunk, from u->off; u->off becomes what the registry says it holds. */
static int patch_chunk(struct upload *u, struct cb_error **err)
{
	const struct oci_descriptor *d = u->d;
	uint64_t left = (uint64_t)(d->size - u->off);
	uint64_t n = left < u->p->chunk ? left : u->p->chunk;
	cleanup_free char *what =
		xasprintf("PATCH blob %s at %lld", d->digest.str, (long long)u->off);
	char range[64];
	const char *hdrs[3] = {octet, range, NULL};
	struct registry_send_req rq = {.method = "PATCH", .url = u->loc, .headers = hdrs};
	struct cb_error *rerr = NULL;
	struct http_response r;
	int64_t end = u->off + (int64_t)n, got;
	int ret = STEP_OK;

	snprintf(range, sizeof(range), "Content-Range: %lld-%lld", (long long)u->off,
		 (long long)(end - 1));
	rq.fd = u->fd;
	rq.off = u->off;
	rq.len = n;
	rq.max_size = REPLY_MAX;
	track(u, &rq, u->off);
	if (end > u->sent)
		u->sent = end;
	if (registry_send(u->p->c, &rq, &r, &rerr) < 0)
		return request_failed(u, &rerr, what, err);
	if (r.status != 202) {
		u->restart = u->resynced && r.status == 416;
		ret = bad_status(u, &r,
				 transient_status(r.status) || r.status == 404 || r.status == 416,
				 what, err);
		http_response_release(&r);
		return ret;
	}
	got = range_bytes(http_response_header(&r, "range"), false);
	if (got < 0)
		got = end; /* no Range: what was sent */
	if (got > end)
		ret = cb_error_set(err, 0, "%s: the registry claims %lld bytes, %lld were sent",
				   what, (long long)got, (long long)end);
	else if (got <= u->off) /* 202, and nothing taken: try again */
		ret = soft_fail(u, none_taken(what));
	else if (take_location(u, &r, u->loc, what, err) < 0)
		ret = -1;
	else
		u->off = got, u->resynced = false;
	http_response_release(&r);
	return ret;
}

/*
 * After a failure: ask the registry how much of the upload it holds.
 * 1 and u->off set when it said; 0 when the upload is lost or its state
 * unknown (start anew); 2 when it is gone because the blob is complete
 * (the last PUT went through); -1 when the answer is not to be trusted.
 */
static int resync(struct upload *u, struct cb_error **err)
{
	struct registry_send_req rq = {.method = "GET", .url = u->loc, .fd = -1};
	struct registry_send_req head = {.method = "HEAD", .fd = -1};
	cleanup_free char *path = NULL;
	struct cb_error *rerr = NULL;
	struct http_response r;
	int64_t got;
	int ret = 0;

	rq.max_size = REPLY_MAX;
	if (registry_send(u->p->c, &rq, &r, &rerr) < 0) {
		cb_error_free(&rerr); /* the upload's state is unknown: start anew */
		return 0;
	}
	got = range_bytes(http_response_header(&r, "range"), true);
	if (r.status == 204 && got >= 0 && got <= u->sent) {
		if (!r.location || take_location(u, &r, u->loc, "GET blob upload", &rerr) == 0) {
			u->off = got;
			u->resynced = true;
			ret = 1;
		}
		cb_error_free(&rerr); /* an unusable Location: start anew */
	} else if (r.status == 204 && got > u->sent) {
		ret = cb_error_set(err, 0,
				   "GET blob upload: the registry claims %lld bytes of blob %s, "
				   "%lld were sent",
				   (long long)got, u->d->digest.str, (long long)u->sent);
	}
	http_response_release(&r);
	if (ret != 0 || u->sent < u->d->size)
		return ret;
	/* all of it was sent and the upload is gone: did the final PUT make the blob? */
	path = xasprintf("/v2/%s/blobs/%s", u->p->c->repo, u->d->digest.str);
	head.url = path;
	if (registry_send(u->p->c, &head, &r, &rerr) < 0) {
		cb_error_free(&rerr);
		return 0;
	}
	ret = r.status == 200 ? 2 : 0;
	http_response_release(&r);
	return ret;
}

/*
 * The wait before retry attempt (1, 2, ...): registry_backoff_ms of the
 * client's base ($CBUILD_REGISTRY_RETRY_MS), jittered.
 */
static long backoff_ms(const struct registry_client *c, int attempt)
{
	uint32_t rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)time(NULL);
	return registry_backoff_ms(c->retry_base_ms, attempt, rnd);
}

/* Sleep ms, or less when the client's cancel fd turns readable (-1, ECANCELED). */
static int backoff_sleep(const struct registry_client *c, long ms, struct cb_error **err)
{
	struct pollfd pfd = {.fd = c->cancel_fd, .events = POLLIN};
	struct timespec t0, t;
	long left = ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0) {
		if (poll(&pfd, 1, (int)left) > 0 && (pfd.revents & POLLIN))
			return cb_error_set(err, ECANCELED, "cancelled");
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - (long)(t.tv_sec - t0.tv_sec) * 1000 -
		       (t.tv_nsec - t0.tv_nsec) / 1000000L;
	}
	return 0;
}

/* Wait before the next try, or give up with the last failure after PUSH_ATTEMPTS. */
static int wait_retry(struct upload *u, struct cb_error **err)
{
	long ms;

	if (u->off > u->best) { /* progress since the last failure */
		u->best = u->off;
		u->failures = 0;
	}
	if (++u->failures >= PUSH_ATTEMPTS) {
		cb_error_wrap(&u->last, "%d attempts failed, the last", PUSH_ATTEMPTS);
		return pass_error(err, steal_pointer(&u->last));
	}
	ms = backoff_ms(u->p->c, u->failures);
	report_line(u->p->o, &u->d->digest, "Retrying in %ld ms: %s", ms, cb_error_msg(u->last));
	return backoff_sleep(u->p->c, ms, err);
}

/* After a soft failure of a chunked upload: resume where the registry is, or start anew. */
static int recover(struct upload *u, bool chunked, bool *done, struct cb_error **err)
{
	int rc;

	if (wait_retry(u, err) < 0)
		return -1;
	if (!chunked || !u->loc || u->restart) {
		free(u->loc);
		u->loc = NULL;
		if (chunked && u->restart)
			report_line(u->p->o, &u->d->digest, "Restarting the upload");
		return 0;
	}
	rc = resync(u, err);
	if (rc < 0)
		return -1;
	if (rc == 2) {
		*done = true;
		return 0;
	}
	if (rc == 1) {
		report_line(u->p->o, &u->d->digest, "Resuming the upload at byte %lld",
			    (long long)u->off);
		return 0;
	}
	report_line(u->p->o, &u->d->digest, "Restarting the upload");
	free(u->loc);
	u->loc = NULL;
	return 0;
}

/* Upload u's blob, from the upload u->loc (a mount's fallback) when open. */
static int upload(struct upload *u, struct cb_error **err)
{
	bool chunked = (uint64_t)u->d->size > u->p->chunk, done = false;
	int rc;

	while (!done) {
		if (!u->loc)
			rc = open_upload(u, err);
		else if (chunked && u->off < u->d->size)
			rc = patch_chunk(u, err);
		else if ((rc = put_upload(u, !chunked, err)) == STEP_OK)
			return 0;
		if (rc < 0)
			return -1;
		if (rc == STEP_RETRY && recover(u, chunked, &done, err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Blobs                                                                     */
/* ------------------------------------------------------------------------ */

/* Remember that the destination holds d: a later push elsewhere may mount it. */
static void note_source(struct pusher *p, const struct cb_digest *d)
{
	struct cb_error *e = NULL;

	if (layer_store_blob_source_add(p->s, d, p->source, &e) < 0)
		cb_error_free(&e); /* an accelerator: a lost record only costs a mount */
}

/*
 * Try to mount d from the repositories of the same registry the store
 * knows hold it (newest first, at most MOUNT_CANDIDATES): 1 when mounted
 * (*from names the repository), 0 when not, u->loc then holding the
 * upload the registry opened instead, if any (the first 202 ends the
 * tries: http.c has no DELETE to cancel it with).  Failures are not the
 * push's: they only mean an upload.
 */
static int try_mount(struct upload *u, char **from)
{
	struct registry_client *c = u->p->c;
	struct cb_strvec srcs = CB_STRVEC_INIT;
	struct cb_error *e = NULL;
	size_t dl = strlen(c->domain);
	int tried = 0, ret = 0;

	if (layer_store_blob_sources(u->p->s, &u->d->digest, &srcs, &e) < 0)
		cb_error_free(&e);
	for (size_t i = 0; i < srcs.n && tried < MOUNT_CANDIDATES && ret == 0 && !u->loc; i++) {
		const char *repo;
		cleanup_free char *url = NULL;
		struct registry_send_req rq = {.method = "POST", .fd = -1};
		struct http_response r;

		/* the same host, another repository */
		if (strncmp(srcs.v[i], c->domain, dl) || srcs.v[i][dl] != '/' ||
		    !strcmp(srcs.v[i] + dl + 1, c->repo))
			continue;
		repo = srcs.v[i] + dl + 1;
		tried++;
		url = xasprintf("%s/v2/%s/blobs/uploads/?mount=%s&from=%s", c->origin, c->repo,
				u->d->digest.str, repo);
		rq.url = url;
		rq.max_size = REPLY_MAX;
		c->mount_from = repo; /* a token for this request also asks to pull there */
		if (registry_send(c, &rq, &r, &e) < 0) {
			c->mount_from = NULL;
			cb_error_free(&e); /* refused, unreachable: an upload will tell */
			continue;
		}
		c->mount_from = NULL;
		if (r.status == 201) {
			*from = xstrdup(repo);
			ret = 1;
		} else if (r.status == 202 && take_location(u, &r, url, "mount", &e) < 0) {
			cb_error_free(&e); /* no usable upload: a POST opens one */
		}
		http_response_release(&r);
	}
	cb_strvec_clear(&srcs);
	return ret;
}

/* Is d in the repository?  1 yes, 0 no, -1 error. */
static int blob_present(struct registry_client *c, const struct cb_digest *d, struct cb_error **err)
{
	cleanup_free char *path = xasprintf("/v2/%s/blobs/%s", c->repo, d->str);
	struct registry_send_req rq = {.method = "HEAD", .url = path, .fd = -1};
	struct http_response r;
	int ret;

	if (registry_send(c, &rq, &r, err) < 0)
		return cb_error_wrap(err, "HEAD blob %s", d->str);
	ret = r.status == 200 ? 1 : r.status == 404 ? 0 : -1;
	if (ret < 0) {
		cleanup_free char *what = xasprintf("HEAD blob %s", d->str);

		status_error(&r, what, err);
	}
	http_response_release(&r);
	return ret;
}

/* The blob d into the destination (unless there), and a report line for a layer. */
static int push_blob(struct pusher *p, const struct oci_descriptor *d, bool layer,
		     struct cb_error **err)
{
	struct upload u = {.p = p, .d = d, .fd = -1};
	cleanup_free char *from = NULL;
	cleanup_close int fd = -1;
	struct stat st;
	int ret;

	ret = blob_present(p->c, &d->digest, err);
	if (ret < 0)
		return -1;
	if (ret > 0) {
		p->out->blobs_present++;
		if (layer)
			report_line(p->o, &d->digest, "Layer already exists");
		note_source(p, &d->digest);
		return 0;
	}
	fd = layer_store_blob_open(p->s, &d->digest, err);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return cb_error_set(err, errno, "stat blob %s", d->digest.str);
	if (st.st_size != d->size)
		return cb_error_set(err, 0,
				    "blob %s: %lld bytes in the store, %lld in the manifest",
				    d->digest.str, (long long)st.st_size, (long long)d->size);
	u.fd = fd;
	if (try_mount(&u, &from) > 0) {
		p->out->blobs_mounted++;
		if (layer)
			report_line(p->o, &d->digest, "Mounted from %s", from);
	} else {
		ret = upload(&u, err);
		free(u.loc);
		cb_error_free(&u.last);
		if (ret < 0)
			return -1;
		p->out->blobs_pushed++;
		if (layer)
			report_line(p->o, &d->digest, "Pushed");
	}
	note_source(p, &d->digest);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Manifest and image                                                        */
/* ------------------------------------------------------------------------ */

/* One PUT of the manifest: 0, 1 to retry (*err set), -1. */
static int put_manifest_once(struct registry_client *c, const char *path, const char *what,
			     const char *const *hdrs, const char *buf, size_t len,
			     const struct cb_digest *digest, struct cb_error **err)
{
	struct registry_send_req rq = {.method = "PUT", .url = path, .headers = hdrs, .fd = -1};
	struct http_response r;
	const char *got;
	int ret = 0;

	rq.buf = buf;
	rq.len = len;
	rq.max_size = REPLY_MAX;
	if (registry_send(c, &rq, &r, err) < 0) {
		cb_error_wrap(err, "%s", what);
		return transient_error(*err) ? 1 : -1;
	}
	got = http_response_header(&r, "docker-content-digest");
	if (r.status != 201 && r.status != 200) {
		status_error(&r, what, err);
		ret = transient_status(r.status) ? 1 : -1;
	} else if (!got) {
		ret = cb_error_set(err, 0, "%s: the registry sent no Docker-Content-Digest", what);
	} else if (strcmp(got, digest->str)) {
		ret = cb_error_set(err, 0, "%s: the registry has digest `%.80s`, not %s", what, got,
				   digest->str);
	}
	http_response_release(&r);
	return ret;
}

/* PUT the manifest (bytes as stored) under ref; the registry must confirm its digest. */
static int push_manifest(struct pusher *p, const char *ref, const char *media, const char *buf,
			 size_t len, struct cb_digest *digest, struct cb_error **err)
{
	cleanup_free char *path = xasprintf("/v2/%s/manifests/%s", p->c->repo, ref);
	cleanup_free char *what = xasprintf("PUT manifest `%s`", ref);
	cleanup_free char *ct = xasprintf("Content-Type: %s", media);
	const char *hdrs[2] = {ct, NULL};

	cb_sha256_buf(buf, len, digest);
	for (int attempt = 0;; attempt++) {
		struct cb_error *e = NULL;
		int rc = put_manifest_once(p->c, path, what, hdrs, buf, len, digest, &e);

		if (rc == 0)
			return 0;
		if (rc < 0)
			return pass_error(err, e);
		if (attempt + 1 >= PUSH_ATTEMPTS) {
			cb_error_wrap(&e, "%d attempts failed, the last", PUSH_ATTEMPTS);
			return pass_error(err, e);
		}
		cb_error_free(&e);
		if (backoff_sleep(p->c, backoff_ms(p->c, attempt + 1), err) < 0)
			return -1;
	}
}

static int push_image(struct pusher *p, struct store_image *img, const char *ref,
		      struct cb_error **err)
{
	struct image_manifest *m = &img->manifest;
	cleanup_free char *buf = NULL;
	int64_t msize = 0;
	size_t len = 0;

	if (layer_store_manifest_gzip(p->s, m, &img->manifest_digest, &msize, err) < 0)
		return -1;
	for (size_t i = 0; i < m->nlayers; i++)
		if (push_blob(p, &m->layers[i], true, err) < 0)
			return -1;
	if (push_blob(p, &m->config, false, err) < 0)
		return -1;
	if (layer_store_blob_read(p->s, &img->manifest_digest, MANIFEST_MAX, &buf, &len, err) < 0)
		return cb_error_wrap(err, "manifest %s", img->manifest_digest.str);
	if (push_manifest(p, ref, m->media_type ? m->media_type : MEDIA_OCI_MANIFEST, buf, len,
			  &p->out->digest, err) < 0)
		return -1;
	p->out->size = (int64_t)len;
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
	struct pusher p = {.c = &c, .s = s, .o = o, .out = &res};
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
	p.source = image_ref_name(&r);
	p.chunk = o && o->chunk_size ? o->chunk_size : REGISTRY_CHUNK_DEFAULT;
	res.tag = xstrdup(r.tag ? r.tag : r.digest);
	ret = push_image(&p, img, res.tag, err);
	registry_client_release(&c);
	free(p.source);
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

void registry_note_sources(struct layer_store *s, const char *name, const struct cb_digest *m)
{
	cleanup_free char *buf = NULL;
	struct image_manifest man;
	struct cb_error *e = NULL;
	size_t len = 0;

	/* an accelerator: whatever fails here only costs a later mount */
	if (layer_store_blob_read(s, m, MANIFEST_MAX, &buf, &len, &e) < 0 ||
	    image_manifest_parse(buf, len, &man, &e) < 0) {
		cb_error_free(&e);
		return;
	}
	for (size_t i = 0; i <= man.nlayers; i++) {
		const struct cb_digest *d =
			i < man.nlayers ? &man.layers[i].digest : &man.config.digest;

		if (layer_store_blob_source_add(s, d, name, &e) < 0)
			cb_error_free(&e);
	}
	image_manifest_release(&man);
}
