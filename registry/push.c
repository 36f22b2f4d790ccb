/*
 * push.c - `cbuild push`: an image of the store to a registry.  Its blobs
 * (the layers, then the config) go REGISTRY_PUSH_WORKERS at a time, each
 * by registry_push_blob (push-blob.c: HEAD, a cross-repository mount, an
 * upload resumed through failures); the manifest goes last, once every
 * blob is there.
 *
 * Why at once: a registry hashes what it receives (docker-registry spends
 * some 0.9 s of CPU on the ~195 MB bench image, cbuild 0.1 s sending it),
 * so one upload at a time leaves the registry one core; several let it use
 * more and overlap the round trips.  Threads, as pull-blob.c has them:
 * each worker brings its own http_client (registry_client_http_new), the
 * client's credentials are shared under its lock, the store handle (not
 * thread-safe) is called under store_mu, the options' report and progress
 * under mu.  The first failure writes the eventfd c->cancel_fd, which ends
 * the other workers' requests and retry waits; it is the error reported,
 * and no manifest is sent.  One line per layer, in the manifest's order,
 * whatever order they finish in; a digest named twice is pushed once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "layerstore.h"
#include "registry-internal.h"
#include "registry.h"
#include "xalloc.h"

#define MANIFEST_MAX (4u << 20)

/* JOB_SAME: the digest of an earlier job (pushed by that one). */
enum job_state { JOB_TODO, JOB_RUNNING, JOB_DONE, JOB_SAME };

struct job {
	const struct oci_descriptor *d;
	enum job_state state;
	enum registry_blob_fate fate; /* when JOB_DONE */
	char *from;		      /* the repository mounted from */
	bool layer;		      /* reported (the config is not) */
};

/* One push's blobs and its workers. */
struct push_set {
	struct registry_pusher p;
	pthread_mutex_t mu;	/* jobs, next, running, first; the options' report and progress */
	pthread_cond_t changed; /* a job finished, or a worker ended */
	pthread_mutex_t store_mu, mount_mu;
	struct job *jobs;
	size_t njobs, next;
	unsigned running;
	struct cb_error *first; /* the first failure: the one reported */
	int cancel_fd;		/* eventfd written on the first failure */
};

/* ------------------------------------------------------------------------ */
/* Workers                                                                   */
/* ------------------------------------------------------------------------ */

/* Record how job j (NULL: none) ended (e NULL: done); the first failure stops the rest. */
static void job_done(struct push_set *ps, struct job *j, struct cb_error *e)
{
	pthread_mutex_lock(&ps->mu);
	if (!e) {
		if (j)
			j->state = JOB_DONE;
	} else if (!ps->first) {
		uint64_t one = 1;

		ps->first = e;
		if (write(ps->cancel_fd, &one, sizeof(one)) < 0) {
			/* an eventfd write fails only on overflow: it is readable already */
		}
	} else {
		cb_error_free(&e); /* most likely "cancelled", caused by the first */
	}
	pthread_cond_broadcast(&ps->changed);
	pthread_mutex_unlock(&ps->mu);
}

/* The next job to push, NULL when none is left or a blob failed. */
static struct job *job_next(struct push_set *ps)
{
	struct job *j = NULL;

	pthread_mutex_lock(&ps->mu);
	while (!ps->first && ps->next < ps->njobs && !j) {
		if (ps->jobs[ps->next].state == JOB_TODO) {
			j = &ps->jobs[ps->next];
			j->state = JOB_RUNNING;
		}
		ps->next++;
	}
	pthread_mutex_unlock(&ps->mu);
	return j;
}

static void *worker(void *arg)
{
	struct push_set *ps = arg;
	struct cb_error *e = NULL;
	struct http_client *http = registry_client_http_new(ps->p.c, &e);
	struct job *j;

	if (!http)
		job_done(ps, NULL, e);
	while (http && (j = job_next(ps))) {
		enum registry_blob_fate fate = REGISTRY_BLOB_PUSHED;
		char *from = NULL;

		e = NULL;
		if (registry_push_blob(&ps->p, http, j->d, &fate, &from, &e) == 0) {
			j->fate = fate; /* read by others only once job_done says so */
			j->from = from;
		}
		job_done(ps, j, e);
	}
	http_client_free(http);
	pthread_mutex_lock(&ps->mu);
	ps->running--;
	pthread_cond_broadcast(&ps->changed);
	pthread_mutex_unlock(&ps->mu);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* The set                                                                   */
/* ------------------------------------------------------------------------ */

/* The jobs of m: its layers in order, then its config; a digest pushed once. */
static void jobs_plan(struct push_set *ps, const struct image_manifest *m)
{
	ps->njobs = m->nlayers + 1;
	ps->jobs = xcalloc(ps->njobs, sizeof(*ps->jobs));
	for (size_t i = 0; i < ps->njobs; i++) {
		struct job *j = &ps->jobs[i];

		j->layer = i < m->nlayers;
		j->d = j->layer ? &m->layers[i] : &m->config;
		for (size_t k = 0; k < i && j->state == JOB_TODO; k++)
			if (cb_digest_equal(&ps->jobs[k].d->digest, &j->d->digest))
				j->state = JOB_SAME;
	}
}

/* The job that pushes job i's digest: i itself, or the first with its digest. */
static const struct job *job_owner(const struct push_set *ps, size_t i)
{
	if (ps->jobs[i].state == JOB_SAME)
		for (size_t k = 0; k < i; k++)
			if (cb_digest_equal(&ps->jobs[k].d->digest, &ps->jobs[i].d->digest))
				return &ps->jobs[k];
	return &ps->jobs[i];
}

/* Report the layers finished in an unbroken run from *next on (ps->mu held). */
static void report_ready(struct push_set *ps, size_t *next)
{
	const struct registry_push_opts *o = ps->p.o;
	char line[512];

	for (; *next < ps->njobs && job_owner(ps, *next)->state == JOB_DONE; (*next)++) {
		const struct job *j = &ps->jobs[*next];

		if (!j->layer || !o || !o->report)
			continue;
		if (j->state == JOB_SAME || j->fate == REGISTRY_BLOB_PRESENT)
			snprintf(line, sizeof(line), "%.12s: Layer already exists",
				 cb_digest_hex(&j->d->digest));
		else if (j->fate == REGISTRY_BLOB_MOUNTED)
			snprintf(line, sizeof(line), "%.12s: Mounted from %s",
				 cb_digest_hex(&j->d->digest), j->from);
		else
			snprintf(line, sizeof(line), "%.12s: Pushed", cb_digest_hex(&j->d->digest));
		o->report(o->ctx, line);
	}
}

/* Start the workers (at most one per blob to push); at least one, or -1. */
static int workers_start(struct push_set *ps, pthread_t *th, unsigned *n, struct cb_error **err)
{
	size_t todo = 0;

	for (size_t i = 0; i < ps->njobs; i++)
		todo += ps->jobs[i].state == JOB_TODO;
	*n = 0;
	for (unsigned i = 0; i < REGISTRY_PUSH_WORKERS && i < todo; i++) {
		int e;

		pthread_mutex_lock(&ps->mu);
		ps->running++;
		pthread_mutex_unlock(&ps->mu);
		e = pthread_create(&th[i], NULL, worker, ps);
		if (e) {
			pthread_mutex_lock(&ps->mu);
			ps->running--;
			pthread_mutex_unlock(&ps->mu);
			if (i == 0)
				return cb_error_set(err, e, "start an upload thread");
			break; /* fewer threads do the same work */
		}
		(*n)++;
	}
	return 0;
}

static int blobs_run(struct push_set *ps, struct cb_error **err)
{
	pthread_t th[REGISTRY_PUSH_WORKERS];
	unsigned n = 0;
	size_t reported = 0;

	if (workers_start(ps, th, &n, err) < 0)
		return -1;
	pthread_mutex_lock(&ps->mu);
	for (;;) {
		if (!ps->first)
			report_ready(ps, &reported);
		if (!ps->running)
			break;
		pthread_cond_wait(&ps->changed, &ps->mu);
	}
	pthread_mutex_unlock(&ps->mu);
	for (unsigned i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (ps->first) {
		*err = steal_pointer(&ps->first);
		return -1;
	}
	return 0;
}

/* The blobs of m into the destination, counted into out. */
static int push_blobs(struct push_set *ps, const struct image_manifest *m,
		      struct registry_push_result *out, struct cb_error **err)
{
	int ret;

	ps->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ps->cancel_fd < 0)
		return cb_error_set(err, errno, "eventfd");
	jobs_plan(ps, m);
	ps->p.c->cancel_fd = ps->cancel_fd; /* also ends the workers' retry waits */
	ret = blobs_run(ps, err);
	ps->p.c->cancel_fd = -1;
	for (size_t i = 0; i < ps->njobs; i++) {
		const struct job *j = &ps->jobs[i];

		if (ret == 0 && j->state == JOB_SAME)
			out->blobs_present++;
		else if (ret == 0)
			*(j->fate == REGISTRY_BLOB_PRESENT   ? &out->blobs_present
			  : j->fate == REGISTRY_BLOB_MOUNTED ? &out->blobs_mounted
							     : &out->blobs_pushed) += 1;
		free(j->from);
	}
	free(ps->jobs);
	ps->jobs = NULL;
	close(ps->cancel_fd);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* The image                                                                 */
/* ------------------------------------------------------------------------ */

static int push_image(struct push_set *ps, struct store_image *img, const char *ref,
		      struct registry_push_result *out, struct cb_error **err)
{
	struct image_manifest *m = &img->manifest;
	cleanup_free char *buf = NULL;
	int64_t msize = 0;
	size_t len = 0;

	if (layer_store_manifest_gzip(ps->p.s, m, &img->manifest_digest, &msize, err) < 0)
		return -1;
	if (push_blobs(ps, m, out, err) < 0)
		return -1;
	if (layer_store_blob_read(ps->p.s, &img->manifest_digest, MANIFEST_MAX, &buf, &len, err) <
	    0)
		return cb_error_wrap(err, "manifest %s", img->manifest_digest.str);
	if (registry_push_manifest(&ps->p, ref, m->media_type ? m->media_type : MEDIA_OCI_MANIFEST,
				   buf, len, &out->digest, err) < 0)
		return -1;
	out->size = (int64_t)len;
	return 0;
}

/* Push img to the client's repository as ref, with the set's locks made and unmade here. */
static int push_with_set(struct registry_client *c, struct layer_store *s,
			 const struct registry_push_opts *o, const char *source,
			 struct store_image *img, struct registry_push_result *res,
			 struct cb_error **err)
{
	struct push_set ps = {.cancel_fd = -1};
	int ret;

	pthread_mutex_init(&ps.mu, NULL);
	pthread_mutex_init(&ps.store_mu, NULL);
	pthread_mutex_init(&ps.mount_mu, NULL);
	pthread_cond_init(&ps.changed, NULL);
	ps.p = (struct registry_pusher){
		.c = c,
		.s = s,
		.o = o,
		.source = source,
		.chunk = o && o->chunk_size ? o->chunk_size : REGISTRY_CHUNK_DEFAULT,
		.report_mu = &ps.mu,
		.store_mu = &ps.store_mu,
		.mount_mu = &ps.mount_mu,
	};
	ret = push_image(&ps, img, res->tag, res, err);
	pthread_cond_destroy(&ps.changed);
	pthread_mutex_destroy(&ps.mount_mu);
	pthread_mutex_destroy(&ps.store_mu);
	pthread_mutex_destroy(&ps.mu);
	return ret;
}

int registry_push(struct layer_store *s, struct store_image *img, const char *dest,
		  const struct registry_push_opts *o, struct registry_push_result *out,
		  struct cb_error **err)
{
	struct registry_ref r;
	struct registry_client c;
	struct registry_endpoint *ep = NULL; /* one: pushes go to the registry itself */
	size_t nep = 0;
	struct registry_push_result res = {0};
	cleanup_free char *full = NULL, *source = NULL;
	int ret;

	if (registry_ref_parse_normalized(dest, &r, err) < 0)
		return cb_error_wrap(err, "push `%s`", dest);
	registry_ref_default_tag(&r);
	full = registry_ref_string(&r);
	if (registry_endpoints(r.domain, o ? &o->conn : NULL, false, &ep, &nep, err) < 0 ||
	    registry_client_init(&c, r.domain, r.path, ep, err) < 0) {
		registry_endpoints_free(ep, nep);
		registry_ref_release(&r);
		return cb_error_wrap(err, "push `%s`", full);
	}
	c.push = true;
	source = registry_ref_name(&r);
	res.tag = xstrdup(r.tag ? r.tag : r.digest);
	ret = push_with_set(&c, s, o, source, img, &res, err);
	registry_client_release(&c);
	registry_endpoints_free(ep, nep);
	if (ret == 0 && r.digest && strcmp(r.digest, res.digest.str))
		ret = cb_error_set(err, 0, "the image's manifest is %s, not the digest named",
				   res.digest.str);
	registry_ref_release(&r);
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
