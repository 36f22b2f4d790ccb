/*
 * backed.c - snapshot-backed layers: a build step's layer kept as its
 * snapshot alone.
 *
 * A RUN or COPY step makes a tree, which becomes a snapshot (the lowerdir of
 * the steps after it); the step's layer is the uncompressed tar of that
 * tree.  layer_store_layer_commit() hashes that tar as it would write it but
 * writes nothing, and records which snapshot makes it and how:
 *
 *   layers/<diff id hex>   {"chain":"sha256:<chain>","epoch":-1,"links":true,
 *                           "overlay":true,"size":N}
 *
 * The blob sha256:<diff id> then exists for layer_store_blob_exists(), and
 * layer_store_blob_open() writes the tar again from the snapshot into an
 * unlinked file of tmp/, checking digest and size: a snapshot that no longer
 * makes its digest is an error that names fsck, never wrong bytes.  The tar
 * writer is deterministic (tardiff.c: entries in byte order, no atime or
 * ctime), and the snapshot is the very tree that was hashed, renamed.
 *
 * Why: a layer of 750 MB in 60k files costs its tree (which later steps and
 * `cbuild run` need anyway) plus, written as a compressed blob, about as much
 * CPU again and a quarter of its size more on disk.  Compression happens
 * when a layer leaves the store (an OCI export, a push), as in Docker's own
 * store.  The image ID (the config digest, over diff IDs) does not depend on
 * it.
 *
 * Prune keeps a record while a kept manifest, config or cache record names
 * its digest, and the record keeps its snapshot (gc.c); fsck writes every
 * record's tar again and checks it (fsck.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "layerstore-internal.h"
#include "xalloc.h"

#define BACKED_RECORD_MAX 4096

void store_backed_path(const struct cb_digest *d, char out[STORE_PATH_MAX])
{
	snprintf(out, STORE_PATH_MAX, "layers/%s", cb_digest_hex(d));
}

int store_sink_discard(void *ctx, const void *buf, size_t len, struct cb_error **err)
{
	(void)ctx;
	(void)buf;
	(void)len;
	(void)err;
	return 0;
}

int store_backed_get(struct layer_store *s, const struct cb_digest *d, struct backed_layer *b,
		     struct cb_error **err)
{
	char path[STORE_PATH_MAX], fs[STORE_PATH_MAX + 8];
	cleanup_free char *buf = NULL;
	struct cb_error *rerr = NULL;
	json_auto_t *rec = NULL;
	struct stat st;
	const char *chain = NULL;
	json_int_t size = -1, epoch = -1;
	int overlay = 0, links = 1;
	size_t len = 0;

	store_backed_path(d, path);
	if (store_read_file(s, path, BACKED_RECORD_MAX, &buf, &len, &rerr) < 0) {
		if (rerr->code == ENOENT) {
			cb_error_free(&rerr);
			return 0;
		}
		*err = rerr;
		return -1;
	}
	rec = json_loadb(buf, len, 0, NULL);
	if (!rec ||
	    json_unpack(rec, "{s:s, s:I, s?b, s:b, s:I}", "chain", &chain, "epoch", &epoch, "links",
			&links, "overlay", &overlay, "size", &size) < 0 ||
	    !cb_digest_valid(chain) || size < 0 || epoch < -1)
		return cb_error_set(err, 0, "`%s/%s` is not a layer record; run `cbuild fsck`",
				    s->root, path);
	memcpy(b->chain.str, chain, CB_DIGEST_LEN + 1);
	b->size = size;
	b->epoch = epoch;
	b->overlay = overlay;
	b->links = links;
	/* without its snapshot (pruned, or lost with a power failure) the blob is not there */
	snprintf(fs, sizeof(fs), "snapshots/%s/fs", cb_digest_hex(&b->chain));
	if (store_stat(s, fs, &st) < 0) {
		if (errno == ELOOP) /* a symlink planted at snapshots/<hex>: never followed */
			return store_path_error(s, err, errno, "stat", fs);
		return 0;
	}
	return S_ISDIR(st.st_mode) ? 1 : 0;
}

int store_backed_only(struct layer_store *s, const struct cb_digest *d, struct backed_layer *b,
		      struct cb_error **err)
{
	char path[STORE_PATH_MAX];
	struct stat st;
	int ret;

	store_blob_path(d, path);
	if (store_stat(s, path, &st) == 0)
		return 0;
	if (errno != ENOENT)
		return store_path_error(s, err, errno, "stat", path);
	ret = store_backed_get(s, d, b, err);
	return ret == 0 ? cb_error_set(err, 0, "blob `%s` is not in the store", d->str) : ret;
}

int store_backed_write(struct layer_store *s, const struct cb_digest *d,
		       const struct backed_layer *b, const struct layer_sink *sink,
		       struct cb_error **err)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	char path[STORE_PATH_MAX + 8];
	cleanup_close int fd = -1;
	struct layer_desc got;

	/* the lease first: a prune sees it or has removed the snapshot already */
	if (layer_store_lease_add(s, &b->chain, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "snapshots/%s/fs", cb_digest_hex(&b->chain));
	fd = store_openat(s, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return cb_error_set(err, errno == ENOENT ? 0 : errno,
				    "layer `%s`: its snapshot `%s` is gone; run `cbuild fsck`",
				    d->str, b->chain.str);
	o.compression = LAYER_UNCOMPRESSED;
	o.overlay = b->overlay;
	o.source_date_epoch = b->epoch;
	o.no_hardlinks = !b->links;
	if (layer_diff_write(fd, &o, sink, &got, err) < 0)
		return cb_error_wrap(err, "layer `%s` from snapshot `%s`", d->str, b->chain.str);
	if (!cb_digest_equal(&got.diff_id, d) || got.size != b->size)
		return cb_error_set(err, 0,
				    "layer `%s`: its snapshot `%s` now makes `%s` (%lld bytes, "
				    "want %lld); run `cbuild fsck`",
				    d->str, b->chain.str, got.diff_id.str, (long long)got.size,
				    (long long)b->size);
	return 0;
}

int store_backed_open(struct layer_store *s, const struct cb_digest *d,
		      const struct backed_layer *b, struct cb_error **err)
{
	struct layer_sink sink = {layer_sink_fd_write, NULL};
	int fd = store_openat(s, "tmp", O_TMPFILE | O_RDWR, 0600);

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* no O_TMPFILE on this file system: a named file, unlinked at once */
		cleanup_free char *tmp = store_tmp_name(s, "layer");

		fd = store_openat(s, tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0)
			store_unlink(s, tmp, 0);
	}
	if (fd < 0)
		return cb_error_set(err, errno, "create a file in `%s/tmp`", s->root);
	sink.ctx = &fd;
	if (store_backed_write(s, d, b, &sink, err) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int layer_store_layer_commit(struct layer_store *s, const struct cb_digest *parent_chain,
			     const char *dir, const struct layer_diff_opts *opts,
			     struct layer_desc *out, struct cb_digest *chain_out,
			     struct cb_error **err)
{
	struct layer_diff_opts o = *opts;
	struct layer_sink discard = {store_sink_discard, NULL};
	char path[STORE_PATH_MAX];
	cleanup_free char *text = NULL;
	cleanup_close int fd = -1;
	json_auto_t *rec = NULL;
	struct layer_desc d;
	int ret;

	if (!store_scratch_rel(s, dir))
		return cb_error_set(err, EINVAL, "`%s` is not inside a scratch directory", dir);
	fd = store_openat(s, store_scratch_rel(s, dir), O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return store_path_error(s, err, errno, "open", store_scratch_rel(s, dir));
	o.compression = LAYER_UNCOMPRESSED;
	if (layer_diff_write(fd, &o, &discard, &d, err) < 0)
		return cb_error_wrap(err, "hash the layer of `%s`", dir);
	if (layer_store_snapshot_commit(s, parent_chain, dir, &d.diff_id, chain_out, err) < 0)
		return -1;
	*out = d;
	/* a real blob of these bytes needs no record */
	ret = layer_store_blob_exists(s, &d.digest, NULL, err);
	if (ret != 0)
		return ret < 0 ? -1 : 0;
	rec = json_pack("{s:s, s:I, s:b, s:b, s:I}", "chain", chain_out->str, "epoch",
			(json_int_t)o.source_date_epoch, "links", !o.no_hardlinks, "overlay",
			o.overlay, "size", (json_int_t)d.size);
	text = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!text)
		return cb_error_set(err, ENOMEM, "encode a layer record");
	if (layer_store_lease_add(s, &d.digest, err) < 0)
		return -1;
	store_backed_path(&d.digest, path);
	/* not fsynced, as the snapshot it names is not (docs/STORE.md) */
	return store_write_file(s, path, text, strlen(text), false, err);
}

/* ------------------------------------------------------------------------ */
/* Leaving the store: a gzip blob of a snapshot-backed layer                 */
/* ------------------------------------------------------------------------ */

struct gzip_feed {
	struct layer_writer *w;
	struct store_progress *sp;
	uint64_t done;
};

static int writer_sink(void *ctx, const void *buf, size_t len, struct cb_error **err)
{
	struct gzip_feed *f = ctx;

	f->done += len;
	store_progress_tick(f->sp, f->done);
	return layer_writer_write(f->w, buf, len, err);
}

/* The cache key of the gzip form of diff: the codec is part of it (its bytes are). */
static void gzip_key(const struct cb_digest *diff, struct cb_digest *key)
{
	const struct layer_codec *c = layer_codec_for(LAYER_GZIP);
	cleanup_free char *text = xasprintf("cbuild gzip-of-layer v1 %s %s %d", diff->str,
					    c->library, c->default_level);

	cb_sha256_buf(text, strlen(text), key);
}

/* A remembered gzip form: 1 and *out when its record and blob are there. */
static int gzip_known(struct layer_store *s, const struct cb_digest *key,
		      const struct cb_digest *diff, struct layer_desc *out, struct cb_error **err)
{
	cleanup_free char *json = NULL;
	json_auto_t *rec = NULL;
	const char *digest = NULL, *diff_id = NULL;
	json_int_t size = -1;
	struct cb_error *perr = NULL;
	int ret = layer_store_cache_get(s, key, &json, err);

	if (ret <= 0)
		return ret;
	rec = json_loads(json, 0, NULL);
	if (!rec ||
	    json_unpack(rec, "{s:{s:s, s:s, s:I}}", "layer", "digest", &digest, "diffID", &diff_id,
			"size", &size) < 0 ||
	    size < 0 || strcmp(diff_id, diff->str) ||
	    cb_digest_parse(digest, &out->digest, &perr) < 0) {
		cb_error_free(&perr);
		return 0;
	}
	out->diff_id = *diff;
	out->size = size;
	out->compression = LAYER_GZIP;
	return layer_store_blob_exists(s, &out->digest, NULL, err);
}

int layer_store_layer_gzip(struct layer_store *s, const struct oci_descriptor *in,
			   struct oci_descriptor *out, struct cb_error **err)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_sink blob_sink, tar_sink;
	struct blob_writer *bw = NULL;
	struct layer_writer w;
	struct backed_layer b;
	struct layer_desc d;
	struct cb_digest key;
	cleanup_free char *rec = NULL;
	int ret;

	ret = store_backed_only(s, &in->digest, &b, err);
	if (ret < 0)
		return -1;
	if (ret == 0) { /* bytes of its own in the store: it leaves as it is */
		out->media_type = xstrdup(in->media_type);
		out->digest = in->digest;
		out->size = in->size;
		return 0;
	}
	gzip_key(&in->digest, &key);
	ret = gzip_known(s, &key, &in->digest, &d, err);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		bw = store_layer_blob_create(s, &blob_sink, err);
		if (!bw || layer_writer_init(&w, &o, &blob_sink, err) < 0) {
			blob_writer_abort(bw);
			return -1;
		}
		{
			struct store_progress sp;
			struct gzip_feed feed = {&w, &sp, 0};

			store_progress_start(&sp, s, "compressing", &in->digest, b.size);
			tar_sink = (struct layer_sink){writer_sink, &feed};
			ret = store_backed_write(s, &in->digest, &b, &tar_sink, err) < 0 ||
					      layer_writer_finish(&w, &d, err) < 0
				      ? -1
				      : 0;
			store_progress_finish(&sp, ret == 0);
		}
		layer_writer_release(&w);
		if (ret < 0) {
			blob_writer_abort(bw);
			return cb_error_wrap(err, "compress layer `%s`", in->digest.str);
		}
		if (!cb_digest_equal(&d.diff_id, &in->digest)) {
			blob_writer_abort(bw);
			return cb_error_set(err, 0, "layer `%s` changed while it was compressed",
					    in->digest.str);
		}
		if (blob_writer_commit(bw, &d.digest, d.size, NULL, err) < 0)
			return cb_error_wrap(err, "store the gzip form of `%s`", in->digest.str);
		rec = xasprintf("{\"layer\":{\"diffID\":\"%s\",\"digest\":\"%s\",\"size\":%lld}}",
				in->digest.str, d.digest.str, (long long)d.size);
		/* remembered, so the next export or push gives the same digest at no cost */
		if (layer_store_cache_put(s, &key, rec, err) < 0)
			return -1;
	}
	out->media_type = xstrdup(layer_compression_media_type(LAYER_GZIP));
	out->digest = d.digest;
	out->size = d.size;
	return 0;
}

int layer_store_manifest_gzip(struct layer_store *s, struct image_manifest *m,
			      struct cb_digest *digest, int64_t *size, struct cb_error **err)
{
	cleanup_free char *json = NULL;
	bool changed = false;

	for (size_t j = 0; j < m->nlayers; j++) {
		struct oci_descriptor g;

		memset(&g, 0, sizeof(g));
		if (layer_store_layer_gzip(s, &m->layers[j], &g, err) < 0)
			return -1;
		if (!cb_digest_equal(&g.digest, &m->layers[j].digest)) {
			free(m->layers[j].media_type);
			m->layers[j].media_type = steal_pointer(&g.media_type);
			m->layers[j].digest = g.digest;
			m->layers[j].size = g.size;
			changed = true;
		}
		oci_descriptor_release(&g);
	}
	if (!changed)
		return 0;
	json = image_manifest_to_json(m);
	if (layer_store_blob_put(s, json, strlen(json), digest, err) < 0)
		return -1;
	*size = (int64_t)strlen(json);
	return 1;
}
