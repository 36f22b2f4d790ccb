/*
 * layerio.c - the two pipelines every layer goes through, each split over
 * two threads so that a 2-core machine overlaps file-system work with
 * hashing and (de)compression:
 *
 *   layer_writer: the caller's thread produces tar bytes (reading files,
 *     libarchive headers); a worker hashes them (the diff ID), compresses,
 *     hashes and counts the blob and writes it to the sink.
 *   layer_reader: a worker reads the fd, decompresses, hashes the tar and
 *     enforces the size limit; the caller's thread extracts.
 *
 * Between them is a chunk_pipe: a ring of CHUNK_SLOTS fixed buffers, so
 * memory stays at CHUNK_SLOTS * CHUNK_SIZE whatever the layer size.  An error
 * on either side is kept in the pipe and reported to the other side on its
 * next call; the writer's sink and the blob writer are only touched by the
 * worker between init and finish.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "cleanup.h"
#include "fsutil.h"
#include "layerstore-internal.h"
#include "xalloc.h"

/* ------------------------------------------------------------------------ */
/* chunk_pipe                                                                */
/* ------------------------------------------------------------------------ */

static void pipe_init(struct chunk_pipe *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (int i = 0; i < CHUNK_SLOTS; i++)
		p->buf[i] = xmalloc(CHUNK_SIZE);
	p->nfree = CHUNK_SLOTS;
}

static void pipe_release(struct chunk_pipe *p)
{
	for (int i = 0; i < CHUNK_SLOTS; i++)
		free(p->buf[i]);
	cb_error_free(&p->err);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

/* Stop both sides; the first error wins (err may be NULL for a plain cancel). */
static void pipe_fail(struct chunk_pipe *p, struct cb_error **err)
{
	pthread_mutex_lock(&p->mu);
	if (!p->err && err && *err)
		p->err = steal_pointer(err);
	cb_error_free(err);
	p->failed = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/*
 * The failure as the caller's error (a copy: the pipe keeps its own).  Read
 * without the lock: err is set before `failed`, under the lock, and never
 * changes after; the caller has seen `failed` under the lock or joined.
 */
static int pipe_error(struct chunk_pipe *p, struct cb_error **err)
{
	if (!p->err)
		return cb_error_set(err, ECANCELED, "layer pipeline stopped");
	cb_error_set(err, 0, "%s", p->err->msg);
	if (err && *err)
		(*err)->code = p->err->code;
	return -1;
}

/* Producer: a free buffer to fill, or NULL when the pipe failed. */
static unsigned char *pipe_produce_begin(struct chunk_pipe *p)
{
	unsigned char *b = NULL;

	pthread_mutex_lock(&p->mu);
	while (!p->nfree && !p->failed)
		pthread_cond_wait(&p->cv, &p->mu);
	if (!p->failed) {
		p->nfree--;
		b = p->buf[p->prod];
	}
	pthread_mutex_unlock(&p->mu);
	return b;
}

static void pipe_produce_end(struct chunk_pipe *p, size_t len)
{
	pthread_mutex_lock(&p->mu);
	p->len[p->prod] = len;
	p->prod = (p->prod + 1) % CHUNK_SLOTS;
	p->nfilled++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void pipe_close(struct chunk_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->closed = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Consumer: 1 and the next chunk, 0 at the end, -1 when the pipe failed. */
static int pipe_consume_begin(struct chunk_pipe *p, unsigned char **b, size_t *len)
{
	int ret;

	pthread_mutex_lock(&p->mu);
	while (!p->nfilled && !p->closed && !p->failed)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->failed) {
		ret = -1;
	} else if (!p->nfilled) {
		ret = 0;
	} else {
		p->nfilled--;
		*b = p->buf[p->cons];
		*len = p->len[p->cons];
		ret = 1;
	}
	pthread_mutex_unlock(&p->mu);
	return ret;
}

static void pipe_consume_end(struct chunk_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->cons = (p->cons + 1) % CHUNK_SLOTS;
	p->nfree++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* ------------------------------------------------------------------------ */
/* layer_writer                                                              */
/* ------------------------------------------------------------------------ */

int layer_sink_fd_write(void *ctx, const void *buf, size_t len, struct cb_error **err)
{
	return cb_write_all(*(int *)ctx, buf, len, err);
}

static int counted_write(void *ctx, const void *buf, size_t len, struct cb_error **err)
{
	struct layer_writer *w = ctx;

	/* uncompressed, the blob is the tar: its digest is the diff ID, hashed once */
	if (w->codec->kind != LAYER_UNCOMPRESSED)
		cb_sha256_update(&w->blob_sha, buf, len);
	w->blob_size += (int64_t)len;
	return w->user->write(w->user->ctx, buf, len, err);
}

/* The worker: hash the tar, compress, and finish the codec at the end. */
static void *writer_main(void *arg)
{
	struct layer_writer *w = arg;
	struct cb_error *err = NULL;
	unsigned char *b;
	size_t len;
	int rc;

	while ((rc = pipe_consume_begin(&w->pipe, &b, &len)) > 0) {
		cb_sha256_update(&w->tar_sha, b, len);
		w->tar_size += len;
		if (w->codec->encode(w->enc, b, len, &err) < 0)
			goto fail;
		pipe_consume_end(&w->pipe);
	}
	if (rc == 0 && w->codec->encoder_finish(w->enc, &err) < 0)
		goto fail;
	return NULL;
fail:
	pipe_fail(&w->pipe, &err);
	return NULL;
}

int layer_writer_init(struct layer_writer *w, const struct layer_diff_opts *o,
		      const struct layer_sink *sink, struct cb_error **err)
{
	const struct layer_codec *c = layer_codec_for(o->compression);
	int level, rc;

	memset(w, 0, sizeof(*w));
	if (!c)
		return cb_error_set(err, 0, "unknown layer compression %d", (int)o->compression);
	level = layer_codec_level(c, o->level, err);
	if (level < 0)
		return -1;
	w->codec = c;
	w->user = sink;
	w->counted.write = counted_write;
	w->counted.ctx = w;
	w->enc = c->encoder_new(level, o->threads, &w->counted, err);
	if (!w->enc)
		return -1;
	cb_sha256_init(&w->tar_sha);
	cb_sha256_init(&w->blob_sha);
	w->hashing = true;
	pipe_init(&w->pipe);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc) {
		layer_writer_release(w);
		return cb_error_set(err, rc, "start the compression thread");
	}
	w->running = true;
	return 0;
}

int layer_writer_write(struct layer_writer *w, const void *buf, size_t len, struct cb_error **err)
{
	const unsigned char *p = buf;

	while (len) {
		size_t n;

		if (!w->cur) {
			w->cur = pipe_produce_begin(&w->pipe);
			w->cur_len = 0;
			if (!w->cur)
				return pipe_error(&w->pipe, err);
		}
		n = CHUNK_SIZE - w->cur_len < len ? CHUNK_SIZE - w->cur_len : len;
		memcpy(w->cur + w->cur_len, p, n);
		w->cur_len += n;
		p += n;
		len -= n;
		if (w->cur_len == CHUNK_SIZE) {
			pipe_produce_end(&w->pipe, w->cur_len);
			w->cur = NULL;
		}
	}
	return 0;
}

static void writer_join(struct layer_writer *w)
{
	if (w->running)
		pthread_join(w->thread, NULL);
	w->running = false;
}

int layer_writer_finish(struct layer_writer *w, struct layer_desc *out, struct cb_error **err)
{
	if (w->cur && w->cur_len)
		pipe_produce_end(&w->pipe, w->cur_len);
	w->cur = NULL;
	pipe_close(&w->pipe);
	writer_join(w);
	if (w->pipe.failed)
		return pipe_error(&w->pipe, err);
	cb_sha256_final(&w->tar_sha, &out->diff_id);
	cb_sha256_final(&w->blob_sha, &out->digest);
	if (w->codec->kind == LAYER_UNCOMPRESSED)
		out->digest = out->diff_id;
	w->hashing = false;
	out->size = w->blob_size;
	out->compression = w->codec->kind;
	return 0;
}

void layer_writer_release(struct layer_writer *w)
{
	if (!w->codec)
		return; /* init failed before anything was set up */
	if (w->running) {
		pipe_fail(&w->pipe, NULL);
		writer_join(w);
	}
	if (w->enc)
		w->codec->encoder_free(w->enc);
	w->enc = NULL;
	if (w->hashing) {
		cb_sha256_release(&w->tar_sha);
		cb_sha256_release(&w->blob_sha);
		w->hashing = false;
	}
	if (w->pipe.buf[0])
		pipe_release(&w->pipe);
	w->codec = NULL;
}

/* ------------------------------------------------------------------------ */
/* layer_reader                                                              */
/* ------------------------------------------------------------------------ */

/* Fill b as far as the decoder goes; 0 at the end. */
static ssize_t reader_fill(struct layer_reader *r, unsigned char *b, struct cb_error **err)
{
	size_t len = 0;

	while (len < CHUNK_SIZE) {
		ssize_t n = r->codec->decode(r->dec, b + len, CHUNK_SIZE - len, err);

		if (n < 0) {
			if (r->codec->kind != LAYER_UNCOMPRESSED)
				cb_error_wrap(err, "%s layer", r->codec->name);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

/* The worker: read, decompress, hash, count. */
static void *reader_main(void *arg)
{
	struct layer_reader *r = arg;
	struct cb_error *err = NULL;

	for (;;) {
		unsigned char *b = pipe_produce_begin(&r->pipe);
		ssize_t n;

		if (!b)
			return NULL;
		n = reader_fill(r, b, &err);
		if (n < 0)
			goto fail;
		r->total += (uint64_t)n;
		if (r->limit && r->total > r->limit) {
			cb_error_set(&err, EFBIG,
				     "uncompressed layer exceeds the layer limit of %llu bytes",
				     (unsigned long long)r->limit);
			goto fail;
		}
		cb_sha256_update(&r->sha, b, (size_t)n);
		if (r->progress.fn)
			r->progress.fn(r->progress.ctx, r->src.consumed);
		if (n == 0) {
			pipe_close(&r->pipe);
			return NULL;
		}
		pipe_produce_end(&r->pipe, (size_t)n);
	}
fail:
	pipe_fail(&r->pipe, &err);
	return NULL;
}

int layer_reader_open(struct layer_reader *r, int fd, uint64_t limit, struct cb_error **err)
{
	return layer_reader_open_any(r, fd, limit, false, NULL, err);
}

int layer_reader_open_any(struct layer_reader *r, int fd, uint64_t limit, bool any,
			  const struct layer_progress_hook *progress, struct cb_error **err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if (progress)
		r->progress = *progress;
	layer_source_init_fd(&r->src, fd, 0);
	r->codec = layer_codec_detect_any(&r->src, any, err);
	if (!r->codec)
		goto fail;
	r->dec = r->codec->decoder_new(&r->src, err);
	if (!r->dec)
		goto fail;
	r->limit = limit;
	cb_sha256_init(&r->sha);
	r->hashing = true;
	pipe_init(&r->pipe);
	r->piped = true;
	rc = pthread_create(&r->thread, NULL, reader_main, r);
	if (rc) {
		cb_error_set(err, rc, "start the decompression thread");
		goto fail;
	}
	r->running = true;
	return 0;
fail:
	layer_reader_release(r);
	return -1;
}

ssize_t layer_reader_next(struct layer_reader *r, const void **p, struct cb_error **err)
{
	unsigned char *b;
	size_t len;
	int rc;

	if (r->holding)
		pipe_consume_end(&r->pipe);
	r->holding = false;
	rc = pipe_consume_begin(&r->pipe, &b, &len);
	if (rc < 0)
		return pipe_error(&r->pipe, err);
	if (rc == 0)
		return 0;
	r->holding = true;
	*p = b;
	return (ssize_t)len;
}

static void reader_join(struct layer_reader *r)
{
	if (r->running)
		pthread_join(r->thread, NULL);
	r->running = false;
}

int layer_reader_finish(struct layer_reader *r, struct cb_digest *diff_id, struct cb_error **err)
{
	const void *p;
	ssize_t n;

	while ((n = layer_reader_next(r, &p, err)) > 0)
		;
	if (n < 0)
		return -1;
	reader_join(r);
	cb_sha256_final(&r->sha, diff_id);
	r->hashing = false;
	return 0;
}

void layer_reader_release(struct layer_reader *r)
{
	if (r->running) {
		pipe_fail(&r->pipe, NULL);
		reader_join(r);
	}
	if (r->dec)
		r->codec->decoder_free(r->dec);
	r->dec = NULL;
	if (r->hashing)
		cb_sha256_release(&r->sha);
	r->hashing = false;
	if (r->piped)
		pipe_release(&r->pipe);
	r->piped = false;
	layer_source_release(&r->src);
}
