/*
 * compress-gzip.c - the gzip codecs: Intel ISA-L's igzip (several times
 * faster than zlib both ways) when cbuild is built with it, zlib otherwise.
 *
 * --compression-level keeps gzip(1)'s scale, 1 (fastest) to 9 (smallest),
 * default 6 with zlib.  ISA-L has four levels of its own (0-3); the table
 * below maps gzip levels onto the ISA-L level whose ratio comes closest
 * without being worse, measured on a Python stdlib + /usr/include tree
 * (bench/RESULTS.md).  The default with ISA-L is its level 1: zlib -3's
 * ratio at several times pigz's speed.
 *
 * Both decoders accept multi-member gzip streams (pigz --independent,
 * concatenated files) and stop at anything after a member that is not
 * another gzip header, as Go's gzip reader does with trailing zeros.
 */
#include <errno.h>
#include <string.h>

#include <zlib.h>
#ifdef CB_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "layerstore-internal.h"
#include "xalloc.h"

#define OUT_BUF (256 * 1024)
#define GZ_IN_CHUNK (1U << 30) /* ISA-L and zlib count in 32 bits */

/* ------------------------------------------------------------------------ */
/* zlib                                                                      */
/* ------------------------------------------------------------------------ */

struct zlib_enc {
	z_stream z;
	const struct layer_sink *out;
	unsigned char buf[OUT_BUF];
};

static struct layer_encoder *zlib_encoder_new(int level, int threads, const struct layer_sink *out,
					      struct cb_error **err)
{
	struct zlib_enc *e = xcalloc(1, sizeof(*e));

	(void)threads;
	/* windowBits 15 + 16: a gzip wrapper with mtime 0, so output is reproducible. */
	if (deflateInit2(&e->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(e);
		cb_error_set(err, ENOMEM, "zlib: deflateInit2");
		return NULL;
	}
	e->out = out;
	return (struct layer_encoder *)e;
}

static int zlib_run(struct zlib_enc *e, int flush, struct cb_error **err)
{
	int rc;

	do {
		e->z.next_out = e->buf;
		e->z.avail_out = sizeof(e->buf);
		rc = deflate(&e->z, flush);
		if (rc == Z_STREAM_ERROR)
			return cb_error_set(err, 0, "zlib: deflate failed");
		if (e->z.avail_out < sizeof(e->buf) &&
		    e->out->write(e->out->ctx, e->buf, sizeof(e->buf) - e->z.avail_out, err) < 0)
			return -1;
	} while (e->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	return 0;
}

static int zlib_encode(struct layer_encoder *enc, const void *buf, size_t len,
		       struct cb_error **err)
{
	struct zlib_enc *e = (struct zlib_enc *)enc;
	const unsigned char *p = buf;

	while (len) {
		uInt n = len > GZ_IN_CHUNK ? GZ_IN_CHUNK : (uInt)len;

		e->z.next_in = (unsigned char *)p;
		e->z.avail_in = n;
		if (zlib_run(e, Z_NO_FLUSH, err) < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int zlib_finish(struct layer_encoder *enc, struct cb_error **err)
{
	struct zlib_enc *e = (struct zlib_enc *)enc;

	e->z.avail_in = 0;
	return zlib_run(e, Z_FINISH, err);
}

static void zlib_encoder_free(struct layer_encoder *enc)
{
	struct zlib_enc *e = (struct zlib_enc *)enc;

	deflateEnd(&e->z);
	free(e);
}

struct zlib_dec {
	z_stream z;
	struct layer_source *in;
	bool done;
};

static struct layer_decoder *zlib_decoder_new(struct layer_source *in, struct cb_error **err)
{
	struct zlib_dec *d = xcalloc(1, sizeof(*d));

	if (inflateInit2(&d->z, 15 + 16) != Z_OK) {
		free(d);
		cb_error_set(err, ENOMEM, "zlib: inflateInit2");
		return NULL;
	}
	d->in = in;
	return (struct layer_decoder *)d;
}

/* After a member's end: 1 when another gzip member follows, 0 at the end. */
static int next_member(struct layer_source *in, struct cb_error **err)
{
	ssize_t n = layer_source_fill(in, 2, err);

	if (n < 0)
		return -1;
	return n >= 2 && in->buf[in->pos] == 0x1f && in->buf[in->pos + 1] == 0x8b;
}

static ssize_t zlib_decode(struct layer_decoder *dec, void *buf, size_t len, struct cb_error **err)
{
	struct zlib_dec *d = (struct zlib_dec *)dec;
	struct layer_source *in = d->in;

	d->z.next_out = buf;
	d->z.avail_out = len > GZ_IN_CHUNK ? GZ_IN_CHUNK : (uInt)len;
	while (!d->done && d->z.avail_out) {
		ssize_t have = layer_source_fill(in, 1, err);
		size_t before;
		int rc;

		if (have < 0)
			return -1;
		if (have == 0)
			return cb_error_set(err, 0, "gzip: unexpected end of data");
		d->z.next_in = in->buf + in->pos;
		d->z.avail_in = (uInt)have;
		before = d->z.avail_in;
		rc = inflate(&d->z, Z_NO_FLUSH);
		in->pos += before - d->z.avail_in;
		if (rc == Z_STREAM_END) {
			int more = next_member(in, err);

			if (more < 0)
				return -1;
			if (more)
				inflateReset(&d->z);
			else
				d->done = true;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			return cb_error_set(err, 0, "gzip: %s",
					    d->z.msg ? d->z.msg : "invalid data");
		}
		if (d->z.avail_out < len && !d->z.avail_in)
			break; /* deliver what we have rather than block on more input */
	}
	return (ssize_t)(len - d->z.avail_out);
}

static void zlib_decoder_free(struct layer_decoder *dec)
{
	struct zlib_dec *d = (struct zlib_dec *)dec;

	inflateEnd(&d->z);
	free(d);
}

const struct layer_codec layer_codec_gzip_zlib = {
	.kind = LAYER_GZIP,
	.name = "gzip",
	.library = "zlib",
	.min_level = 1,
	.max_level = 9,
	.default_level = 6,
	.encoder_new = zlib_encoder_new,
	.encode = zlib_encode,
	.encoder_finish = zlib_finish,
	.encoder_free = zlib_encoder_free,
	.decoder_new = zlib_decoder_new,
	.decode = zlib_decode,
	.decoder_free = zlib_decoder_free,
};

/* ------------------------------------------------------------------------ */
/* ISA-L                                                                     */
/* ------------------------------------------------------------------------ */

#ifdef CB_HAVE_ISAL

/* gzip level (index) -> ISA-L level; see the comment at the top. */
static const int isal_levels[10] = {0, 1, 2, 2, 2, 2, 3, 3, 3, 3};

static const uint32_t isal_level_buf[4] = {0, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT,
					   ISAL_DEF_LVL3_DEFAULT};

struct isal_enc {
	struct isal_zstream z;
	const struct layer_sink *out;
	unsigned char *level_buf;
	unsigned char buf[OUT_BUF];
};

static struct layer_encoder *isal_encoder_new(int level, int threads, const struct layer_sink *out,
					      struct cb_error **err)
{
	struct isal_enc *e = xcalloc(1, sizeof(*e));
	int l = isal_levels[level];

	(void)threads;
	(void)err;
	isal_deflate_init(&e->z);
	e->z.level = (uint32_t)l;
	if (isal_level_buf[l]) {
		e->level_buf = xmalloc(isal_level_buf[l]);
		e->z.level_buf = e->level_buf;
		e->z.level_buf_size = isal_level_buf[l];
	}
	/* ISA-L's gzip header has mtime 0 and no name: reproducible. */
	e->z.gzip_flag = IGZIP_GZIP;
	e->z.flush = NO_FLUSH;
	e->out = out;
	return (struct layer_encoder *)e;
}

static int isal_run(struct isal_enc *e, struct cb_error **err)
{
	do {
		int rc;

		e->z.next_out = e->buf;
		e->z.avail_out = sizeof(e->buf);
		rc = isal_deflate(&e->z);
		if (rc != COMP_OK)
			return cb_error_set(err, 0, "isa-l: deflate failed (%d)", rc);
		if (e->z.avail_out < sizeof(e->buf) &&
		    e->out->write(e->out->ctx, e->buf, sizeof(e->buf) - e->z.avail_out, err) < 0)
			return -1;
	} while (e->z.avail_in || e->z.avail_out == 0 ||
		 (e->z.end_of_stream && e->z.internal_state.state != ZSTATE_END));
	return 0;
}

static int isal_encode(struct layer_encoder *enc, const void *buf, size_t len,
		       struct cb_error **err)
{
	struct isal_enc *e = (struct isal_enc *)enc;
	const unsigned char *p = buf;

	while (len) {
		uint32_t n = len > GZ_IN_CHUNK ? GZ_IN_CHUNK : (uint32_t)len;

		e->z.next_in = (uint8_t *)p;
		e->z.avail_in = n;
		if (isal_run(e, err) < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int isal_finish(struct layer_encoder *enc, struct cb_error **err)
{
	struct isal_enc *e = (struct isal_enc *)enc;

	e->z.next_in = NULL;
	e->z.avail_in = 0;
	e->z.end_of_stream = 1;
	return isal_run(e, err);
}

static void isal_encoder_free(struct layer_encoder *enc)
{
	struct isal_enc *e = (struct isal_enc *)enc;

	free(e->level_buf);
	free(e);
}

struct isal_dec {
	struct inflate_state st;
	struct layer_source *in;
	bool done;
};

static struct layer_decoder *isal_decoder_new(struct layer_source *in, struct cb_error **err)
{
	struct isal_dec *d = xcalloc(1, sizeof(*d));

	(void)err;
	isal_inflate_init(&d->st);
	d->st.crc_flag = ISAL_GZIP;
	d->in = in;
	return (struct layer_decoder *)d;
}

static const char *isal_inflate_msg(int rc)
{
	switch (rc) {
	case ISAL_INVALID_BLOCK:
		return "invalid deflate block";
	case ISAL_INVALID_SYMBOL:
		return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK:
		return "invalid lookback distance";
	case ISAL_INVALID_WRAPPER:
		return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unsupported compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "checksum mismatch";
	default:
		return "invalid data";
	}
}

static ssize_t isal_decode(struct layer_decoder *dec, void *buf, size_t len, struct cb_error **err)
{
	struct isal_dec *d = (struct isal_dec *)dec;
	struct layer_source *in = d->in;
	uint32_t want = len > GZ_IN_CHUNK ? GZ_IN_CHUNK : (uint32_t)len;

	d->st.next_out = buf;
	d->st.avail_out = want;
	while (!d->done && d->st.avail_out) {
		ssize_t have = layer_source_fill(in, 1, err);
		uint32_t before;
		int rc;

		if (have < 0)
			return -1;
		if (have == 0)
			return cb_error_set(err, 0, "gzip: unexpected end of data");
		d->st.next_in = in->buf + in->pos;
		d->st.avail_in = (uint32_t)have;
		before = d->st.avail_in;
		rc = isal_inflate(&d->st);
		in->pos += before - d->st.avail_in;
		if (rc < 0)
			return cb_error_set(err, 0, "gzip: %s", isal_inflate_msg(rc));
		if (d->st.block_state == ISAL_BLOCK_FINISH) {
			int more = next_member(in, err);

			if (more < 0)
				return -1;
			if (more) {
				isal_inflate_reset(&d->st);
				d->st.crc_flag = ISAL_GZIP;
			} else {
				d->done = true;
			}
		}
		if (d->st.avail_out < want && !d->st.avail_in)
			break;
	}
	return (ssize_t)(want - d->st.avail_out);
}

static void isal_decoder_free(struct layer_decoder *dec)
{
	free(dec);
}

const struct layer_codec layer_codec_gzip_isal = {
	.kind = LAYER_GZIP,
	.name = "gzip",
	.library = "isa-l",
	.min_level = 1,
	.max_level = 9,
	.default_level = 1,
	.encoder_new = isal_encoder_new,
	.encode = isal_encode,
	.encoder_finish = isal_finish,
	.encoder_free = isal_encoder_free,
	.decoder_new = isal_decoder_new,
	.decode = isal_decode,
	.decoder_free = isal_decoder_free,
};

#endif
