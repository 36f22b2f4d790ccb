/*
 * compress-zstd.c - the zstd codec (libzstd).
 *
 * --compression-level is zstd's own scale, 1 to 19 (default 3, as zstd(1)
 * and BuildKit); the "ultra" levels 20-22 are refused because their windows
 * (up to 128 MiB) break the memory bound of layer creation and of whoever
 * pulls the layer.  Negative "fast" levels are not offered: -1 means the
 * default everywhere in cbuild.
 *
 * Compression always runs in libzstd's multithreaded mode (nbWorkers >= 1),
 * whose output does not depend on the number of workers, so a layer's
 * digest is the same on a 2-core CI runner and a 64-core workstation.
 * Frames carry a content checksum, as zstd(1) writes them.
 */
#include <errno.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "layerstore-internal.h"
#include "xalloc.h"

#define ZSTD_OUT_BUF (256 * 1024)
/* The largest window a layer may need to decompress: zstd --long=27. */
#define ZSTD_WINDOW_LOG_MAX 27
#define ZSTD_JOB_SIZE (4 << 20)

struct zstd_enc {
	ZSTD_CCtx *c;
	const struct layer_sink *out;
	unsigned char buf[ZSTD_OUT_BUF];
};

static int zstd_fail(struct cb_error **err, const char *what, size_t rc)
{
	return cb_error_set(err, 0, "zstd: %s: %s", what, ZSTD_getErrorName(rc));
}

static int zstd_workers(int threads)
{
	long n = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > 64 ? 64 : (int)n;
}

static struct layer_encoder *zstd_encoder_new(int level, int threads, const struct layer_sink *out,
					      struct cb_error **err)
{
	struct zstd_enc *e = xcalloc(1, sizeof(*e));
	size_t rc;

	e->c = ZSTD_createCCtx();
	if (!e->c) {
		free(e);
		cb_error_set(err, ENOMEM, "zstd: create context");
		return NULL;
	}
	e->out = out;
	rc = ZSTD_CCtx_setParameter(e->c, ZSTD_c_compressionLevel, level);
	if (!ZSTD_isError(rc))
		rc = ZSTD_CCtx_setParameter(e->c, ZSTD_c_checksumFlag, 1);
	if (ZSTD_isError(rc)) {
		zstd_fail(err, "set parameters", rc);
		goto fail;
	}
	/*
	 * A libzstd built without threads refuses workers: compress inline then.
	 * The job size is fixed (not left to the level's default, 8 MiB at level
	 * 3) to keep peak memory under 64 MiB with a few workers; it also fixes
	 * the output, which depends on the job size but not on the workers.
	 */
	if (!ZSTD_isError(ZSTD_CCtx_setParameter(e->c, ZSTD_c_nbWorkers, zstd_workers(threads))))
		(void)ZSTD_CCtx_setParameter(e->c, ZSTD_c_jobSize, ZSTD_JOB_SIZE);
	return (struct layer_encoder *)e;
fail:
	ZSTD_freeCCtx(e->c);
	free(e);
	return NULL;
}

static int zstd_run(struct zstd_enc *e, ZSTD_inBuffer *in, ZSTD_EndDirective mode,
		    struct cb_error **err)
{
	for (;;) {
		ZSTD_outBuffer out = {e->buf, sizeof(e->buf), 0};
		size_t rc = ZSTD_compressStream2(e->c, &out, in, mode);

		if (ZSTD_isError(rc))
			return zstd_fail(err, "compress", rc);
		if (out.pos && e->out->write(e->out->ctx, e->buf, out.pos, err) < 0)
			return -1;
		if (mode == ZSTD_e_end ? rc == 0 : in->pos == in->size)
			return 0;
	}
}

static int zstd_encode(struct layer_encoder *enc, const void *buf, size_t len,
		       struct cb_error **err)
{
	ZSTD_inBuffer in = {buf, len, 0};

	return zstd_run((struct zstd_enc *)enc, &in, ZSTD_e_continue, err);
}

static int zstd_finish(struct layer_encoder *enc, struct cb_error **err)
{
	ZSTD_inBuffer in = {NULL, 0, 0};

	return zstd_run((struct zstd_enc *)enc, &in, ZSTD_e_end, err);
}

static void zstd_encoder_free(struct layer_encoder *enc)
{
	struct zstd_enc *e = (struct zstd_enc *)enc;

	ZSTD_freeCCtx(e->c);
	free(e);
}

struct zstd_dec {
	ZSTD_DCtx *d;
	struct layer_source *in;
	bool in_frame; /* a frame is open: the end of input now is truncation */
};

static struct layer_decoder *zstd_decoder_new(struct layer_source *in, struct cb_error **err)
{
	struct zstd_dec *d = xcalloc(1, sizeof(*d));
	size_t rc;

	d->d = ZSTD_createDCtx();
	if (!d->d) {
		free(d);
		cb_error_set(err, ENOMEM, "zstd: create context");
		return NULL;
	}
	rc = ZSTD_DCtx_setParameter(d->d, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
	if (ZSTD_isError(rc)) {
		zstd_fail(err, "set parameters", rc);
		ZSTD_freeDCtx(d->d);
		free(d);
		return NULL;
	}
	d->in = in;
	return (struct layer_decoder *)d;
}

static ssize_t zstd_decode(struct layer_decoder *dec, void *buf, size_t len, struct cb_error **err)
{
	struct zstd_dec *d = (struct zstd_dec *)dec;
	struct layer_source *src = d->in;
	ZSTD_outBuffer out = {buf, len, 0};

	while (out.pos < out.size) {
		ssize_t have = layer_source_fill(src, 1, err);
		ZSTD_inBuffer in;
		size_t rc;

		if (have < 0)
			return -1;
		if (have == 0) {
			if (d->in_frame)
				return cb_error_set(err, 0, "zstd: unexpected end of data");
			break;
		}
		in.src = src->buf + src->pos;
		in.size = (size_t)have;
		in.pos = 0;
		rc = ZSTD_decompressStream(d->d, &out, &in);
		src->pos += in.pos;
		if (ZSTD_isError(rc)) {
			if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge)
				return cb_error_set(err, 0,
						    "zstd: the layer needs a window over %u MiB",
						    1U << (ZSTD_WINDOW_LOG_MAX - 20));
			return zstd_fail(err, "decompress", rc);
		}
		d->in_frame = rc != 0;
		if (out.pos && in.pos == in.size)
			break;
	}
	return (ssize_t)out.pos;
}

static void zstd_decoder_free(struct layer_decoder *dec)
{
	struct zstd_dec *d = (struct zstd_dec *)dec;

	ZSTD_freeDCtx(d->d);
	free(d);
}

const struct layer_codec layer_codec_zstd = {
	.kind = LAYER_ZSTD,
	.name = "zstd",
	.library = "libzstd",
	.min_level = 1,
	.max_level = 19,
	.default_level = 3,
	.encoder_new = zstd_encoder_new,
	.encode = zstd_encode,
	.encoder_finish = zstd_finish,
	.encoder_free = zstd_encoder_free,
	.decoder_new = zstd_decoder_new,
	.decode = zstd_decode,
	.decoder_free = zstd_decoder_free,
};
