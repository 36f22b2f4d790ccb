/*
 * compress-legacy.c - decoders for bzip2 and xz, the other compressions
 * Docker's archive.DecompressStream reads: ADD extracts local tar archives
 * compressed with any of them.  Decode only, and only where the caller
 * asks for them (layer_apply_opts.any_compression): no image layer is
 * written with these.
 */
#include <bzlib.h>
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>

#include "layerstore-internal.h"
#include "xalloc.h"

/* xz -9 needs 65 MiB; this bound refuses a hostile dictionary size. */
#define XZ_MEMLIMIT (256u << 20)

struct xz_dec {
	lzma_stream s;
	struct layer_source *in;
	bool done;
};

static struct layer_decoder *xz_decoder_new(struct layer_source *in, struct cb_error **err)
{
	struct xz_dec *d = xcalloc(1, sizeof(*d));
	lzma_stream init = LZMA_STREAM_INIT;

	d->s = init;
	if (lzma_stream_decoder(&d->s, XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK) {
		free(d);
		cb_error_set(err, ENOMEM, "xz: create a decoder");
		return NULL;
	}
	d->in = in;
	return (struct layer_decoder *)d;
}

static ssize_t xz_decode(struct layer_decoder *dec, void *buf, size_t len, struct cb_error **err)
{
	struct xz_dec *d = (struct xz_dec *)dec;
	struct layer_source *src = d->in;

	d->s.next_out = buf;
	d->s.avail_out = len;
	while (!d->done && d->s.avail_out == len) {
		ssize_t have = layer_source_fill(src, 1, err);
		lzma_ret rc;

		if (have < 0)
			return -1;
		d->s.next_in = src->buf + src->pos;
		d->s.avail_in = (size_t)have;
		rc = lzma_code(&d->s, have ? LZMA_RUN : LZMA_FINISH);
		src->pos += (size_t)have - d->s.avail_in;
		if (rc == LZMA_STREAM_END)
			d->done = true;
		else if (rc == LZMA_MEMLIMIT_ERROR)
			return cb_error_set(err, 0, "xz: needs more than %u MiB to decompress",
					    XZ_MEMLIMIT >> 20);
		else if (rc != LZMA_OK || (have == 0 && d->s.avail_out == len))
			return cb_error_set(err, 0, "xz: corrupt or truncated data");
	}
	return (ssize_t)(len - d->s.avail_out);
}

static void xz_decoder_free(struct layer_decoder *dec)
{
	struct xz_dec *d = (struct xz_dec *)dec;

	lzma_end(&d->s);
	free(d);
}

const struct layer_codec layer_codec_xz = {
	.kind = LAYER_UNCOMPRESSED, /* never a layer's: see above */
	.name = "xz",
	.library = "liblzma",
	.decoder_new = xz_decoder_new,
	.decode = xz_decode,
	.decoder_free = xz_decoder_free,
};

struct bz_dec {
	bz_stream s;
	struct layer_source *in;
	bool open, done;
};

static struct layer_decoder *bz_decoder_new(struct layer_source *in, struct cb_error **err)
{
	struct bz_dec *d = xcalloc(1, sizeof(*d));

	if (BZ2_bzDecompressInit(&d->s, 0, 0) != BZ_OK) {
		free(d);
		cb_error_set(err, ENOMEM, "bzip2: create a decoder");
		return NULL;
	}
	d->open = true;
	d->in = in;
	return (struct layer_decoder *)d;
}

static ssize_t bz_decode(struct layer_decoder *dec, void *buf, size_t len, struct cb_error **err)
{
	struct bz_dec *d = (struct bz_dec *)dec;
	struct layer_source *src = d->in;
	unsigned room = len > (1u << 30) ? 1u << 30 : (unsigned)len;

	d->s.next_out = buf;
	d->s.avail_out = room;
	while (!d->done && d->s.avail_out == room) {
		ssize_t have = layer_source_fill(src, 1, err);
		size_t chunk;
		int rc;

		if (have < 0)
			return -1;
		if (have == 0)
			return cb_error_set(err, 0, "bzip2: truncated data");
		chunk = (size_t)have > (1u << 30) ? 1u << 30 : (size_t)have;
		d->s.next_in = (char *)src->buf + src->pos;
		d->s.avail_in = (unsigned)chunk;
		rc = BZ2_bzDecompress(&d->s);
		src->pos += chunk - d->s.avail_in;
		if (rc == BZ_STREAM_END) {
			/* pbzip2 and friends write several streams back to back */
			have = layer_source_fill(src, 1, err);
			if (have < 0)
				return -1;
			BZ2_bzDecompressEnd(&d->s);
			d->open = false;
			if (have == 0) {
				d->done = true;
			} else {
				unsigned left = d->s.avail_out;
				char *out = d->s.next_out;

				memset(&d->s, 0, sizeof(d->s));
				if (BZ2_bzDecompressInit(&d->s, 0, 0) != BZ_OK)
					return cb_error_set(err, ENOMEM, "bzip2: create a decoder");
				d->open = true;
				d->s.next_out = out;
				d->s.avail_out = left;
			}
		} else if (rc != BZ_OK) {
			return cb_error_set(err, 0, "bzip2: corrupt data");
		}
	}
	return (ssize_t)(room - d->s.avail_out);
}

static void bz_decoder_free(struct layer_decoder *dec)
{
	struct bz_dec *d = (struct bz_dec *)dec;

	if (d->open)
		BZ2_bzDecompressEnd(&d->s);
	free(d);
}

const struct layer_codec layer_codec_bzip2 = {
	.kind = LAYER_UNCOMPRESSED, /* never a layer's: see above */
	.name = "bzip2",
	.library = "libbz2",
	.decoder_new = bz_decoder_new,
	.decode = bz_decode,
	.decoder_free = bz_decoder_free,
};
