/*
 * compress.c - the codec table, compression detection, the buffered source
 * decoders read from, and the plain ("none") codec.  The gzip and zstd
 * codecs live in compress-gzip.c and compress-zstd.c; the pipelines that
 * drive them in layerio.c.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "layerstore-internal.h"
#include "xalloc.h"

/* Large enough that codecs and SHA-256 run on long buffers. */
#define SOURCE_BUF (256 * 1024)

int layer_compression_parse(const char *name)
{
	if (!strcmp(name, "gzip"))
		return LAYER_GZIP;
	if (!strcmp(name, "zstd"))
		return LAYER_ZSTD;
	if (!strcmp(name, "none") || !strcmp(name, "uncompressed"))
		return LAYER_UNCOMPRESSED;
	return -1;
}

const char *layer_compression_name(enum layer_compression c)
{
	switch (c) {
	case LAYER_GZIP:
		return "gzip";
	case LAYER_ZSTD:
		return "zstd";
	case LAYER_UNCOMPRESSED:
		return "none";
	}
	return NULL;
}

const char *layer_compression_media_type(enum layer_compression c)
{
	switch (c) {
	case LAYER_GZIP:
		return MEDIA_OCI_LAYER_GZIP;
	case LAYER_ZSTD:
		return MEDIA_OCI_LAYER_ZSTD;
	case LAYER_UNCOMPRESSED:
		return MEDIA_OCI_LAYER;
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Sources                                                                   */
/* ------------------------------------------------------------------------ */

static ssize_t fd_read(void *ctx, void *buf, size_t len, struct cb_error **err)
{
	struct layer_source *s = ctx;

	for (;;) {
		ssize_t n = read(s->fd, buf, len);

		if (n >= 0)
			return n;
		if (errno != EINTR)
			return cb_error_set(err, errno, "read layer");
	}
}

void layer_source_init_fd(struct layer_source *s, int fd, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->read = fd_read;
	s->ctx = s;
	s->fd = fd;
	s->cap = cap ? cap : SOURCE_BUF;
	s->buf = xmalloc(s->cap);
}

void layer_source_release(struct layer_source *s)
{
	free(s->buf);
	s->buf = NULL;
	s->pos = s->len = 0;
}

ssize_t layer_source_fill(struct layer_source *s, size_t want, struct cb_error **err)
{
	if (want > s->cap)
		want = s->cap;
	if (s->len - s->pos >= want || s->eof)
		return (ssize_t)(s->len - s->pos);
	if (s->pos) {
		memmove(s->buf, s->buf + s->pos, s->len - s->pos);
		s->len -= s->pos;
		s->pos = 0;
	}
	while (s->len < want && !s->eof) {
		ssize_t n = s->read(s->ctx, s->buf + s->len, s->cap - s->len, err);

		if (n < 0)
			return -1;
		if (n == 0)
			s->eof = true;
		s->len += (size_t)n;
		s->consumed += (uint64_t)n;
	}
	return (ssize_t)(s->len - s->pos);
}

ssize_t layer_source_read(struct layer_source *s, void *buf, size_t len, struct cb_error **err)
{
	size_t have = s->len - s->pos;
	ssize_t n;

	if (have) {
		if (have > len)
			have = len;
		memcpy(buf, s->buf + s->pos, have);
		s->pos += have;
		return (ssize_t)have;
	}
	if (s->eof || !len)
		return 0;
	if (len < s->cap / 4) {
		n = layer_source_fill(s, 1, err);
		return n <= 0 ? n : layer_source_read(s, buf, len, err);
	}
	n = s->read(s->ctx, buf, len, err);
	if (n == 0)
		s->eof = true;
	if (n > 0)
		s->consumed += (uint64_t)n;
	return n;
}

/* ------------------------------------------------------------------------ */
/* The plain codec                                                           */
/* ------------------------------------------------------------------------ */

struct plain_enc {
	const struct layer_sink *out;
};

static struct layer_encoder *plain_encoder_new(int level, int threads, const struct layer_sink *out,
					       struct cb_error **err)
{
	struct plain_enc *e = xcalloc(1, sizeof(*e));

	(void)level;
	(void)threads;
	(void)err;
	e->out = out;
	return (struct layer_encoder *)e;
}

static int plain_encode(struct layer_encoder *e, const void *buf, size_t len, struct cb_error **err)
{
	const struct layer_sink *out = ((struct plain_enc *)e)->out;

	return out->write(out->ctx, buf, len, err);
}

static int plain_finish(struct layer_encoder *e, struct cb_error **err)
{
	(void)e;
	(void)err;
	return 0;
}

static void plain_encoder_free(struct layer_encoder *e)
{
	free(e);
}

static struct layer_decoder *plain_decoder_new(struct layer_source *in, struct cb_error **err)
{
	(void)err;
	return (struct layer_decoder *)in;
}

static ssize_t plain_decode(struct layer_decoder *d, void *buf, size_t len, struct cb_error **err)
{
	return layer_source_read((struct layer_source *)d, buf, len, err);
}

static void plain_decoder_free(struct layer_decoder *d)
{
	(void)d;
}

const struct layer_codec layer_codec_none = {
	.kind = LAYER_UNCOMPRESSED,
	.name = "none",
	.library = "",
	.min_level = 0,
	.max_level = 0,
	.default_level = 0,
	.encoder_new = plain_encoder_new,
	.encode = plain_encode,
	.encoder_finish = plain_finish,
	.encoder_free = plain_encoder_free,
	.decoder_new = plain_decoder_new,
	.decode = plain_decode,
	.decoder_free = plain_decoder_free,
};

/* ------------------------------------------------------------------------ */
/* Choosing a codec                                                          */
/* ------------------------------------------------------------------------ */

const struct layer_codec *layer_codec_for(enum layer_compression c)
{
	switch (c) {
	case LAYER_GZIP:
#ifdef CB_HAVE_ISAL
		return &layer_codec_gzip_isal;
#else
		return &layer_codec_gzip_zlib;
#endif
	case LAYER_ZSTD:
		return &layer_codec_zstd;
	case LAYER_UNCOMPRESSED:
		return &layer_codec_none;
	}
	return NULL;
}

int layer_codec_level(const struct layer_codec *c, int level, struct cb_error **err)
{
	if (level == -1)
		return c->default_level;
	if (c->kind == LAYER_UNCOMPRESSED)
		return 0; /* a level means nothing without compression: accept any */
	if (level < c->min_level || level > c->max_level)
		return cb_error_set(err, 0, "%s compression level %d out of range %d..%d", c->name,
				    level, c->min_level, c->max_level);
	return level;
}

const struct layer_codec *layer_codec_detect(struct layer_source *s, struct cb_error **err)
{
	return layer_codec_detect_any(s, false, err);
}

const struct layer_codec *layer_codec_detect_any(struct layer_source *s, bool any,
						 struct cb_error **err)
{
	static const unsigned char xz[] = {0xfd, '7', 'z', 'X', 'Z', 0};
	ssize_t n = layer_source_fill(s, 6, err);
	const unsigned char *b = s->buf + s->pos;

	if (n < 0)
		return NULL;
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return layer_codec_for(LAYER_GZIP);
	/* A zstd frame, or a skippable frame (0x184D2A5?) as zstd:chunked writes. */
	if (n >= 4 && ((b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) ||
		       ((b[0] & 0xf0) == 0x50 && b[1] == 0x2a && b[2] == 0x4d && b[3] == 0x18)))
		return &layer_codec_zstd;
	if (n >= 6 && !memcmp(b, xz, 6)) {
		if (any)
			return &layer_codec_xz;
		cb_error_set(err, 0, "xz-compressed layers are not supported");
		return NULL;
	}
	if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') {
		if (any)
			return &layer_codec_bzip2;
		cb_error_set(err, 0, "bzip2-compressed layers are not supported");
		return NULL;
	}
	return &layer_codec_none;
}
