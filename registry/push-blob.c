/*
 * push-blob.c - one blob of `cbuild push` (push.c runs REGISTRY_PUSH_WORKERS
 * of them at once, each on its worker's own HTTP client).  Layers leave in
 * their exported form (a built layer as its gzip blob, made once and
 * remembered by the store).  For each blob the registry lacks (HEAD):
 * a cross-repository mount when the store knows another repository of the
 * same registry that has it (layer_store_blob_sources), else an upload
 * streamed from the store, one PUT up to the chunk size, PATCH chunks
 * beyond it.  Calls into the store go through p->store_mu, the options'
 * report and progress through p->report_mu, mounts one at a time through
 * p->mount_mu (the client's mount_from says a token's extra scope).  The
 * manifest's PUT (registry_push_manifest, push.c's last step) is here too:
 * it shares the retry helpers.
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

#define REPLY_MAX (64u << 10) /* bodies of upload answers, dropped */
#define PUSH_ATTEMPTS 5	      /* failures in a row per blob before giving up */
#define MOUNT_CANDIDATES 3    /* repositories a blob is asked to be mounted from */

static const char octet[] = "Content-Type: application/octet-stream";

/* A blob's bytes sent so far, for opts' progress: base is where a request's body starts. */
struct push_progress {
	const struct registry_pusher *p;
	const struct cb_digest *d;
	int64_t base, total;
};

static void push_sent(void *arg, uint64_t pos)
{
	struct push_progress *pp = arg;
	const struct registry_push_opts *o = pp->p->o;

	pthread_mutex_lock(pp->p->report_mu); /* the workers' calls, one at a time */
	o->progress(o->ctx, pp->d, pp->base + (int64_t)pos, pp->total);
	pthread_mutex_unlock(pp->p->report_mu);
}

/* One blob's upload, through its failures. */
struct upload {
	const struct registry_pusher *p;
	struct http_client *http; /* the worker's */
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

/* A line about d's upload (a retry, a resume), as it happens. */
static void report_line(const struct registry_pusher *p, const struct cb_digest *d, const char *fmt,
			...) __attribute__((format(printf, 3, 4)));
static void report_line(const struct registry_pusher *p, const struct cb_digest *d, const char *fmt,
			...)
{
	const struct registry_push_opts *o = p->o;
	char line[512];
	int n;
	va_list ap;

	if (!o || !o->report)
		return;
	n = snprintf(line, sizeof(line), "%.12s: ", cb_digest_hex(d));
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(p->report_mu);
	o->report(o->ctx, line);
	pthread_mutex_unlock(p->report_mu);
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
	u->prog = (struct push_progress){u->p, &u->d->digest, base, u->d->size};
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
	struct registry_send_req rq = {.method = "POST", .url = uploads, .fd = -1, .http = u->http};
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
	struct registry_send_req rq = {
		.method = "PUT", .url = url, .headers = hdrs, .fd = -1, .http = u->http};
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
	struct registry_send_req rq = {
		.method = "PATCH", .url = u->loc, .headers = hdrs, .http = u->http};
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
	struct registry_send_req rq = {.method = "GET", .url = u->loc, .fd = -1, .http = u->http};
	struct registry_send_req head = {.method = "HEAD", .fd = -1, .http = u->http};
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
	report_line(u->p, &u->d->digest, "Retrying in %ld ms: %s", ms, cb_error_msg(u->last));
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
			report_line(u->p, &u->d->digest, "Restarting the upload");
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
		report_line(u->p, &u->d->digest, "Resuming the upload at byte %lld",
			    (long long)u->off);
		return 0;
	}
	report_line(u->p, &u->d->digest, "Restarting the upload");
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
static void note_source(const struct registry_pusher *p, const struct cb_digest *d)
{
	struct cb_error *e = NULL;
	int ret;

	pthread_mutex_lock(p->store_mu);
	ret = layer_store_blob_source_add(p->s, d, p->source, &e);
	pthread_mutex_unlock(p->store_mu);
	if (ret < 0)
		cb_error_free(&e); /* an accelerator: a lost record only costs a mount */
}

/* One POST asking to mount u's blob from repo: 1 mounted, 0 not (u->loc: an upload opened). */
static int mount_from(struct upload *u, const char *repo)
{
	struct registry_client *c = u->p->c;
	cleanup_free char *url = xasprintf("%s/v2/%s/blobs/uploads/?mount=%s&from=%s", c->origin,
					   c->repo, u->d->digest.str, repo);
	struct registry_send_req rq = {.method = "POST", .url = url, .fd = -1, .http = u->http};
	struct cb_error *e = NULL;
	struct http_response r;
	int ret = 0, rc;

	rq.max_size = REPLY_MAX;
	/* a token for this request also asks to pull there (read under c->lock) */
	pthread_mutex_lock(&c->lock);
	c->mount_from = repo;
	pthread_mutex_unlock(&c->lock);
	rc = registry_send(c, &rq, &r, &e);
	pthread_mutex_lock(&c->lock);
	c->mount_from = NULL;
	pthread_mutex_unlock(&c->lock);
	if (rc < 0) {
		cb_error_free(&e); /* refused, unreachable: an upload will tell */
		return 0;
	}
	if (r.status == 201)
		ret = 1;
	else if (r.status == 202 && take_location(u, &r, url, "mount", &e) < 0)
		cb_error_free(&e); /* no usable upload: a POST opens one */
	http_response_release(&r);
	return ret;
}

/*
 * Try to mount d from the repositories of the same registry the store
 * knows hold it (newest first, at most MOUNT_CANDIDATES): 1 when mounted
 * (*from names the repository), 0 when not, u->loc then holding the
 * upload the registry opened instead, if any (the first 202 ends the
 * tries: http.c has no DELETE to cancel it with).  Failures are not the
 * push's: they only mean an upload.  One blob's tries at a time
 * (p->mount_mu): the client's mount_from is one for all workers.
 */
static int try_mount(struct upload *u, char **from)
{
	const struct registry_pusher *p = u->p;
	struct cb_strvec srcs = CB_STRVEC_INIT;
	struct cb_error *e = NULL;
	size_t dl = strlen(p->c->domain);
	int tried = 0, ret = 0, rc;

	pthread_mutex_lock(p->store_mu);
	rc = layer_store_blob_sources(p->s, &u->d->digest, &srcs, &e);
	pthread_mutex_unlock(p->store_mu);
	if (rc < 0)
		cb_error_free(&e);
	pthread_mutex_lock(p->mount_mu);
	for (size_t i = 0; i < srcs.n && tried < MOUNT_CANDIDATES && ret == 0 && !u->loc; i++) {
		/* the same host, another repository */
		if (strncmp(srcs.v[i], p->c->domain, dl) || srcs.v[i][dl] != '/' ||
		    !strcmp(srcs.v[i] + dl + 1, p->c->repo))
			continue;
		tried++;
		if (mount_from(u, srcs.v[i] + dl + 1) > 0) {
			*from = xstrdup(srcs.v[i] + dl + 1);
			ret = 1;
		}
	}
	pthread_mutex_unlock(p->mount_mu);
	cb_strvec_clear(&srcs);
	return ret;
}

/* Is d in the repository?  1 yes, 0 no, -1 error. */
static int blob_present(struct registry_client *c, struct http_client *http,
			const struct cb_digest *d, struct cb_error **err)
{
	cleanup_free char *path = xasprintf("/v2/%s/blobs/%s", c->repo, d->str);
	struct registry_send_req rq = {.method = "HEAD", .url = path, .fd = -1, .http = http};
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

/* d's blob from the store, its size checked against the descriptor's: an fd, or -1. */
static int blob_open(const struct registry_pusher *p, const struct oci_descriptor *d,
		     struct cb_error **err)
{
	cleanup_close int fd = -1;
	struct stat st;

	pthread_mutex_lock(p->store_mu);
	fd = layer_store_blob_open(p->s, &d->digest, err);
	pthread_mutex_unlock(p->store_mu);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return cb_error_set(err, errno, "stat blob %s", d->digest.str);
	if (st.st_size != d->size)
		return cb_error_set(err, 0,
				    "blob %s: %lld bytes in the store, %lld in the manifest",
				    d->digest.str, (long long)st.st_size, (long long)d->size);
	return steal_fd(&fd);
}

int registry_push_blob(const struct registry_pusher *p, struct http_client *http,
		       const struct oci_descriptor *d, enum registry_blob_fate *fate, char **from,
		       struct cb_error **err)
{
	struct upload u = {.p = p, .http = http, .d = d, .fd = -1};
	cleanup_close int fd = -1;
	int ret;

	ret = blob_present(p->c, http, &d->digest, err);
	if (ret < 0)
		return -1;
	if (ret > 0) {
		*fate = REGISTRY_BLOB_PRESENT;
		note_source(p, &d->digest);
		return 0;
	}
	fd = blob_open(p, d, err);
	if (fd < 0)
		return -1;
	u.fd = fd;
	if (try_mount(&u, from) > 0) {
		*fate = REGISTRY_BLOB_MOUNTED;
	} else {
		ret = upload(&u, err);
		free(u.loc);
		cb_error_free(&u.last);
		if (ret < 0)
			return -1;
		*fate = REGISTRY_BLOB_PUSHED;
	}
	note_source(p, &d->digest);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The manifest                                                              */
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

int registry_push_manifest(const struct registry_pusher *p, const char *ref, const char *media,
			   const char *buf, size_t len, struct cb_digest *digest,
			   struct cb_error **err)
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
