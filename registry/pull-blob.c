/*
 * pull-blob.c - a manifest's config and layers into the store, four at a
 * time, each verified as it streams and resumed when cut short.
 *
 * Threads, not one curl multi handle: http.c's API is a blocking request
 * with a sink called as the body arrives, which the registry client's
 * redirects, auth and retries are built on; a thread per transfer reuses
 * all of it unchanged, and the work per byte (hash, write) is spread over
 * cores.  Each worker has its own http_client (a client is not
 * thread-safe); the registry client's credentials are shared under its
 * lock.  The store handle is not thread-safe either: every call into it
 * (create, commit, abort) goes through store_mu, while blob_writer_write
 * touches only its own writer (its fd and its SHA-256) and runs unlocked.
 *
 * Nothing unverified enters the store: a body longer than its descriptor
 * stops at once, and blob_writer_commit renames the temp file into place
 * only when digest and size match.  A download cut short (a dropped
 * connection, fewer bytes than the descriptor's size) goes on with
 * `Range: bytes=N-` into the same writer, whose running SHA-256 carries on;
 * a 206 must start at N, a 200 starts again from zero in a fresh writer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "layerstore.h"
#include "registry-internal.h"
#include "registry.h"
#include "xalloc.h"

/* Resumes of one blob, each after a transfer that brought at least a byte. */
#define RESUMES_MAX 10
/*
 * The bytes of a body go to the blob file in writes of this size: curl
 * hands them on in pieces of up to 16 KiB whose sum soon leaves page
 * alignment, and unaligned writes of new pages cost the kernel a zeroing
 * and a second copy per page (several times the pull's system time while
 * other work writes to the disk).
 */
#define DL_BUF (256u << 10)

enum job_state { JOB_TODO, JOB_RUNNING, JOB_FETCHED, JOB_PRESENT };

struct job {
	const struct oci_descriptor *d;
	enum job_state state;
	bool layer; /* reported (the config is not) */
};

/* One pull's blobs and its workers. */
struct blob_set {
	struct registry_client *c;
	struct layer_store *s;
	pthread_mutex_t mu;	  /* jobs, next, running, first */
	pthread_cond_t changed;	  /* a job finished, or a worker ended */
	pthread_mutex_t store_mu; /* every call into the store handle */
	struct job *jobs;
	size_t njobs, next;
	unsigned running;
	struct cb_error *first;		    /* the first failure: the one reported */
	int cancel_fd;			    /* eventfd written on the first failure */
	const struct registry_pull_opts *o; /* its progress is called under mu */
};

/* Decimal digits at *p (1 to 18 of them) into *out, *p moved past them. */
static bool number_at(const char **p, uint64_t *out)
{
	size_t n = strspn(*p, "0123456789");

	if (!n || n > 18)
		return false;
	*out = strtoull(*p, NULL, 10);
	*p += n;
	return true;
}

int registry_content_range_parse(const char *v, uint64_t *first, uint64_t *last, int64_t *total)
{
	uint64_t a, b, t;

	if (!v || strncasecmp(v, "bytes ", 6))
		return -1;
	v += 6;
	if (!number_at(&v, &a) || *v++ != '-' || !number_at(&v, &b) || *v++ != '/' || b < a)
		return -1;
	if (!strcmp(v, "*")) {
		*total = -1;
	} else {
		if (!number_at(&v, &t) || *v || b >= t)
			return -1;
		*total = (int64_t)t;
	}
	*first = a;
	*last = b;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* One blob                                                                  */
/* ------------------------------------------------------------------------ */

/* The download of one blob, across its resumed transfers. */
struct blob_dl {
	struct blob_set *bs;
	const struct oci_descriptor *d;
	struct blob_writer *w;
	int64_t start;	/* this transfer's first byte (its Range) */
	int64_t got;	/* bytes this transfer brought */
	bool checked;	/* this transfer's status and Content-Range are accepted */
	bool no_resume; /* refused, or an answer that is not a body: no resume */
	char *buf;	/* DL_BUF bytes: the body's next bytes for w, nbuf of them */
	size_t nbuf;	/* empty between transfers */
};

/* The bytes the blob has: written, and waiting in the buffer. */
static int64_t dl_size(const struct blob_dl *b)
{
	return blob_writer_size(b->w) + (int64_t)b->nbuf;
}

static int dl_flush(struct blob_dl *b, struct cb_error **err)
{
	size_t n = b->nbuf;

	b->nbuf = 0;
	return n ? blob_writer_write(b->w, b->buf, n, err) : 0;
}

static struct blob_writer *writer_new(struct blob_set *bs, struct cb_error **err)
{
	struct blob_writer *w;

	pthread_mutex_lock(&bs->store_mu);
	w = layer_store_blob_create(bs->s, err);
	pthread_mutex_unlock(&bs->store_mu);
	return w;
}

static void writer_abort(struct blob_set *bs, struct blob_writer *w)
{
	pthread_mutex_lock(&bs->store_mu);
	blob_writer_abort(w);
	pthread_mutex_unlock(&bs->store_mu);
}

/* The first bytes of a 200 or 206: does it go on where the writer is? */
static int dl_accept(struct blob_dl *b, const struct http_response *r, struct cb_error **err)
{
	const char *cr = http_response_header(r, "content-range");
	uint64_t first, last;
	int64_t total;

	if (r->status == 200) {
		if (blob_writer_size(b->w) == 0)
			return 0;
		/* the server ignored the Range: start again from zero */
		writer_abort(b->bs, b->w);
		b->w = writer_new(b->bs, err);
		b->start = 0;
		return b->w ? 0 : -1;
	}
	if (registry_content_range_parse(cr, &first, &last, &total) < 0)
		return cb_error_set(err, 0, "206 with a bad Content-Range `%.80s`", cr ? cr : "");
	if (first != (uint64_t)b->start)
		return cb_error_set(err, 0, "206 starts at byte %" PRIu64 ", not %lld", first,
				    (long long)b->start);
	if ((total >= 0 && total != b->d->size) || last >= (uint64_t)b->d->size)
		return cb_error_set(err, EFBIG, "206 range `%.80s` is not within the %lld bytes",
				    cr, (long long)b->d->size);
	return 0;
}

static int dl_sink(void *arg, const struct http_response *r, const void *buf, size_t len,
		   struct cb_error **err)
{
	struct blob_dl *b = arg;

	if (r->status != 200 && r->status != 206)
		return 0;
	if (!b->checked && dl_accept(b, r, err) < 0)
		goto refuse;
	b->checked = true;
	if (dl_size(b) + (int64_t)len > b->d->size) {
		cb_error_set(err, EFBIG, "the body is longer than the descriptor's %lld bytes",
			     (long long)b->d->size);
		goto refuse;
	}
	b->got += (int64_t)len;
	while (len) {
		size_t n = len < DL_BUF - b->nbuf ? len : DL_BUF - b->nbuf;

		memcpy(b->buf + b->nbuf, buf, n);
		b->nbuf += n;
		buf = (const char *)buf + n;
		len -= n;
		if (b->nbuf == DL_BUF && dl_flush(b, err) < 0)
			goto refuse;
	}
	if (b->bs->o && b->bs->o->progress) { /* the workers' calls, one at a time */
		pthread_mutex_lock(&b->bs->mu);
		b->bs->o->progress(b->bs->o->ctx, &b->d->digest, dl_size(b), b->d->size);
		pthread_mutex_unlock(&b->bs->mu);
	}
	return 0;
refuse:
	b->no_resume = true;
	return -1;
}

/*
 * One transfer from the writer's size on: 0 when it ended with a 200 or
 * 206 (whether the blob is whole is the caller's question), -1 with *err.
 */
static int dl_transfer(struct blob_dl *b, struct http_client *http, struct cb_error **err)
{
	cleanup_free char *path = xasprintf("/v2/%s/blobs/%s", b->bs->c->repo, b->d->digest.str);
	char range[48];
	const char *hdrs[2] = {NULL, NULL};
	struct registry_send_req rq = {.url = path, .headers = hdrs, .fd = -1, .http = http};
	struct http_response r;
	int ret = 0;

	b->start = blob_writer_size(b->w);
	b->got = 0;
	b->checked = false;
	if (b->start > 0) {
		snprintf(range, sizeof(range), "Range: bytes=%lld-", (long long)b->start);
		hdrs[0] = range;
	}
	rq.max_size = b->d->size ? (uint64_t)b->d->size : 1;
	rq.on_body = dl_sink;
	rq.arg = b;
	ret = registry_send(b->bs->c, &rq, &r, err);
	/* what a cut transfer brought is kept (it was checked): a resume goes on after it */
	if (b->nbuf && dl_flush(b, ret < 0 ? NULL : err) < 0) {
		b->no_resume = true;
		if (ret == 0)
			http_response_release(&r);
		return -1;
	}
	if (ret < 0)
		return -1;
	if (r.status != 200 && r.status != 206) {
		b->no_resume = true; /* an answer, not a dropped connection */
		ret = cb_error_set(err, 0, "%ld %s", r.status, http_status_text(r.status));
	}
	http_response_release(&r);
	return ret;
}

/* The blob of d into the store, resumed while transfers bring bytes. */
static int download(struct blob_set *bs, struct http_client *http, const struct oci_descriptor *d,
		    struct cb_error **err)
{
	struct blob_dl b = {bs, d, NULL};
	cleanup_free char *buf = xmalloc(DL_BUF);
	int resumes = 0, ret;

	b.buf = buf;
	b.w = writer_new(bs, err);
	if (!b.w)
		return -1;
	for (;;) {
		cleanup_error struct cb_error *e = NULL;

		ret = dl_transfer(&b, http, &e);
		if (ret == 0 && blob_writer_size(b.w) == d->size)
			break;
		if (ret == 0)
			cb_error_set(&e, ECONNRESET, "the body ended after %lld of %lld bytes",
				     (long long)blob_writer_size(b.w), (long long)d->size);
		if (b.no_resume || e->code == ECANCELED || b.got == 0 || ++resumes > RESUMES_MAX) {
			writer_abort(bs, b.w);
			*err = steal_pointer(&e);
			return cb_error_wrap(err, "GET blob %s", d->digest.str);
		}
	}
	pthread_mutex_lock(&bs->store_mu);
	ret = blob_writer_commit(b.w, &d->digest, d->size, NULL, err);
	pthread_mutex_unlock(&bs->store_mu);
	return ret < 0 ? cb_error_wrap(err, "blob %s", d->digest.str) : 0;
}

/* ------------------------------------------------------------------------ */
/* Workers                                                                   */
/* ------------------------------------------------------------------------ */

/* Record how job j (NULL: none) ended (e NULL: fetched); the first failure stops the rest. */
static void job_done(struct blob_set *bs, struct job *j, struct cb_error *e)
{
	pthread_mutex_lock(&bs->mu);
	if (!e) {
		if (j)
			j->state = JOB_FETCHED;
	} else if (!bs->first) {
		uint64_t one = 1;

		bs->first = e;
		if (write(bs->cancel_fd, &one, sizeof(one)) < 0) {
			/* an eventfd write fails only on overflow: it is readable already */
		}
	} else {
		cb_error_free(&e); /* most likely "cancelled", caused by the first */
	}
	pthread_cond_broadcast(&bs->changed);
	pthread_mutex_unlock(&bs->mu);
}

/* The next job to fetch, NULL when none is left or a blob failed. */
static struct job *job_next(struct blob_set *bs)
{
	struct job *j = NULL;

	pthread_mutex_lock(&bs->mu);
	while (!bs->first && bs->next < bs->njobs && !j) {
		if (bs->jobs[bs->next].state == JOB_TODO) {
			j = &bs->jobs[bs->next];
			j->state = JOB_RUNNING;
		}
		bs->next++;
	}
	pthread_mutex_unlock(&bs->mu);
	return j;
}

static void *worker(void *arg)
{
	struct blob_set *bs = arg;
	struct cb_error *e = NULL;
	struct http_client *http = registry_client_http_new(bs->c, &e);
	struct job *j;

	if (!http)
		job_done(bs, NULL, e);
	while (http && (j = job_next(bs))) {
		e = NULL;
		download(bs, http, j->d, &e);
		job_done(bs, j, e);
	}
	http_client_free(http);
	pthread_mutex_lock(&bs->mu);
	bs->running--;
	pthread_cond_broadcast(&bs->changed);
	pthread_mutex_unlock(&bs->mu);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* The set                                                                   */
/* ------------------------------------------------------------------------ */

/* The jobs of m: the store's blobs leased and marked present, a digest fetched once. */
static int jobs_plan(struct blob_set *bs, const struct image_manifest *m, struct cb_error **err)
{
	bs->njobs = m->nlayers + 1;
	bs->jobs = xcalloc(bs->njobs, sizeof(*bs->jobs));
	for (size_t i = 0; i < bs->njobs; i++) {
		struct job *j = &bs->jobs[i];
		int64_t have = 0;
		int e;

		j->d = i ? &m->layers[i - 1] : &m->config;
		j->layer = i > 0;
		if (j->d->size < 0)
			return cb_error_set(err, 0, "blob %s: negative size", j->d->digest.str);
		for (size_t k = 0; k < i && j->state == JOB_TODO; k++)
			if (cb_digest_equal(&bs->jobs[k].d->digest, &j->d->digest))
				j->state = JOB_PRESENT; /* fetched (or found) for job k */
		if (j->state != JOB_TODO)
			continue;
		e = layer_store_blob_exists(bs->s, &j->d->digest, &have, err);
		if (e < 0)
			return -1;
		if (e > 0 && have == j->d->size) {
			if (layer_store_lease_add(bs->s, &j->d->digest, err) < 0)
				return -1;
			j->state = JOB_PRESENT;
		}
	}
	return 0;
}

/* Is job i finished?  A repeated digest is when its first job is. */
static bool job_finished(const struct blob_set *bs, size_t i)
{
	const struct job *j = &bs->jobs[i];

	if (j->state == JOB_FETCHED)
		return true;
	if (j->state != JOB_PRESENT)
		return false;
	for (size_t k = 0; k < i; k++)
		if (cb_digest_equal(&bs->jobs[k].d->digest, &j->d->digest))
			return job_finished(bs, k);
	return true;
}

/* Report the layers finished in an unbroken run from *next on (bs->mu held). */
static void report_ready(struct blob_set *bs, const struct registry_pull_opts *o, size_t *next)
{
	char line[128];

	for (; *next < bs->njobs && job_finished(bs, *next); (*next)++) {
		const struct job *j = &bs->jobs[*next];

		if (!j->layer || !o || !o->report)
			continue;
		snprintf(line, sizeof(line), "%.12s: %s", cb_digest_hex(&j->d->digest),
			 j->state == JOB_FETCHED ? "Pull complete" : "Already exists");
		o->report(o->ctx, line);
	}
}

/* Start the workers (at most one per blob to fetch); at least one, or -1. */
static int workers_start(struct blob_set *bs, pthread_t *th, unsigned *n, struct cb_error **err)
{
	size_t todo = 0;

	for (size_t i = 0; i < bs->njobs; i++)
		todo += bs->jobs[i].state == JOB_TODO;
	*n = 0;
	for (unsigned i = 0; i < REGISTRY_PULL_WORKERS && i < todo; i++) {
		int e;

		pthread_mutex_lock(&bs->mu);
		bs->running++;
		pthread_mutex_unlock(&bs->mu);
		e = pthread_create(&th[i], NULL, worker, bs);
		if (e) {
			pthread_mutex_lock(&bs->mu);
			bs->running--;
			pthread_mutex_unlock(&bs->mu);
			if (i == 0)
				return cb_error_set(err, e, "start a download thread");
			break; /* fewer threads do the same work */
		}
		(*n)++;
	}
	return 0;
}

static int blobs_run(struct blob_set *bs, const struct registry_pull_opts *o, struct cb_error **err)
{
	pthread_t th[REGISTRY_PULL_WORKERS];
	unsigned n = 0;
	size_t reported = 0;

	if (workers_start(bs, th, &n, err) < 0)
		return -1;
	pthread_mutex_lock(&bs->mu);
	for (;;) {
		if (!bs->first)
			report_ready(bs, o, &reported);
		if (!bs->running)
			break;
		pthread_cond_wait(&bs->changed, &bs->mu);
	}
	pthread_mutex_unlock(&bs->mu);
	for (unsigned i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (bs->first) {
		*err = steal_pointer(&bs->first);
		return -1;
	}
	return 0;
}

int registry_pull_blobs(struct registry_client *c, struct layer_store *s,
			const struct image_manifest *m, const struct registry_pull_opts *o,
			unsigned *fetched, unsigned *present, struct cb_error **err)
{
	struct blob_set bs = {.c = c, .s = s, .cancel_fd = -1, .o = o};
	int ret = -1;

	pthread_mutex_init(&bs.mu, NULL);
	pthread_mutex_init(&bs.store_mu, NULL);
	pthread_cond_init(&bs.changed, NULL);
	bs.cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bs.cancel_fd < 0) {
		cb_error_set(err, errno, "eventfd");
		goto out;
	}
	if (jobs_plan(&bs, m, err) < 0)
		goto out;
	c->cancel_fd = bs.cancel_fd; /* also ends the workers' retry waits */
	ret = blobs_run(&bs, o, err);
	c->cancel_fd = -1;
	for (size_t i = 0; ret == 0 && i < bs.njobs; i++) {
		*fetched += bs.jobs[i].state == JOB_FETCHED;
		*present += bs.jobs[i].state == JOB_PRESENT;
	}
out:
	if (bs.cancel_fd >= 0)
		close(bs.cancel_fd);
	free(bs.jobs);
	pthread_cond_destroy(&bs.changed);
	pthread_mutex_destroy(&bs.store_mu);
	pthread_mutex_destroy(&bs.mu);
	return ret;
}
