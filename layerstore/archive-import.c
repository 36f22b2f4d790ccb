/*
 * archive-import.c - `cbuild import`: a rootfs tarball (plain, gzip or
 * zstd) becomes a single-layer base image.
 *
 * The tarball is not stored as it is: each entry is rewritten the way
 * tardiff.c writes layers (cleaned name, numeric owner, no uname/gname,
 * atime or ctime, mtime clamped by SOURCE_DATE_EPOCH, overlay xattrs
 * dropped) in one streaming pass into a compressed blob, so an imported
 * image follows the same rules as a built one and a hostile tarball (`..`
 * or absolute names, hardlinks out of it) is refused here, before any
 * build extracts it.  Entries keep the tarball's order.
 *
 * The config says os=linux and this machine's architecture, created at
 * SOURCE_DATE_EPOCH (or now), with one history entry.  The layer's
 * snapshot is made at once (as `docker import` extracts), so the first
 * build on the base does not wait for it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "layerstore-internal.h"
#include "xalloc.h"

struct importer {
	const struct layer_diff_opts *o;
	struct tar_in in;
	struct layer_tar lt; /* what the entries are rewritten into */
	uint64_t bytes;	     /* declared sizes so far */
	uint64_t entries;
	char zeros[4096];
};

/*
 * The limits `layer apply` puts on a layer, checked on each header before
 * anything of the entry is written: a 1.5 KB tarball whose header claims
 * 1 TiB is refused at once, not after the claimed size was filled in.
 */
static int check_limits(struct importer *im, struct archive_entry *e, const char *name,
			struct cb_error **err)
{
	int64_t size = archive_entry_size(e);

	if (++im->entries > LAYER_IMPORT_MAX_ENTRIES)
		return cb_error_set(err, EFBIG, "the tarball has more than %llu entries",
				    (unsigned long long)LAYER_IMPORT_MAX_ENTRIES);
	if (size < 0 || (uint64_t)size > LAYER_IMPORT_MAX_BYTES - im->bytes)
		return cb_error_set(
			err, EFBIG,
			"entry `%s`: declared size %lld exceeds the layer limit of %llu "
			"bytes",
			name, (long long)size, (unsigned long long)LAYER_IMPORT_MAX_BYTES);
	im->bytes += (uint64_t)size;
	return 0;
}

/* The header of the rewritten entry, from the tarball's entry e. */
static int rewrite_header(struct importer *im, struct archive_entry *e, const char *name,
			  struct cb_error **err)
{
	struct archive_entry *o = im->lt.out.e;
	const char *link = archive_entry_hardlink(e);
	time_t mtime = archive_entry_mtime(e);
	const char *key;
	const void *value;
	size_t size;

	archive_entry_clear(o);
	archive_entry_copy_pathname(o, name);
	archive_entry_set_filetype(o, archive_entry_filetype(e));
	archive_entry_set_perm(o, archive_entry_perm(e));
	archive_entry_set_uid(o, archive_entry_uid(e));
	archive_entry_set_gid(o, archive_entry_gid(e));
	if (im->o->source_date_epoch >= 0 && mtime > im->o->source_date_epoch)
		mtime = (time_t)im->o->source_date_epoch;
	archive_entry_set_mtime(o, mtime, 0);
	if (link) {
		cleanup_free char *target = NULL;

		if (layer_clean_name(link, &target, err) < 0)
			return cb_error_wrap(err, "entry `%s`: hardlink target", name);
		archive_entry_copy_hardlink(o, target);
		archive_entry_set_size(o, 0);
		return 0;
	}
	if (archive_entry_filetype(e) == AE_IFLNK)
		archive_entry_copy_symlink(o, archive_entry_symlink(e));
	if (archive_entry_filetype(e) == AE_IFCHR || archive_entry_filetype(e) == AE_IFBLK) {
		archive_entry_set_rdevmajor(o, archive_entry_rdevmajor(e));
		archive_entry_set_rdevminor(o, archive_entry_rdevminor(e));
	}
	archive_entry_set_size(o,
			       archive_entry_filetype(e) == AE_IFREG ? archive_entry_size(e) : 0);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK)
		if (!cb_str_starts_with(key, "trusted.overlay.") &&
		    !cb_str_starts_with(key, "user.overlay."))
			archive_entry_xattr_add_entry(o, key, value, size);
	return 0;
}

/* Zeros for the holes of a sparse member. */
static int put_zeros(struct importer *im, int64_t n, struct cb_error **err)
{
	while (n > 0) {
		size_t k = n < (int64_t)sizeof(im->zeros) ? (size_t)n : sizeof(im->zeros);

		if (tar_out_data(&im->lt.out, im->zeros, k, err) < 0)
			return -1;
		n -= (int64_t)k;
	}
	return 0;
}

static int copy_data(struct importer *im, const char *name, int64_t size, struct cb_error **err)
{
	int64_t pos = 0;

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int rc = archive_read_data_block(im->in.a, &buf, &len, &off);

		if (rc == ARCHIVE_EOF)
			break;
		if (rc != ARCHIVE_OK)
			return tar_in_fail(&im->in, name, err);
		if (off < pos || off + (int64_t)len > size)
			return cb_error_set(err, 0, "entry `%s`: data outside the file", name);
		if (put_zeros(im, off - pos, err) < 0 ||
		    tar_out_data(&im->lt.out, buf, len, err) < 0)
			return -1;
		pos = off + (int64_t)len;
	}
	return put_zeros(im, size - pos, err);
}

static int import_entries(struct importer *im, struct cb_error **err)
{
	struct archive_entry *e;
	int rc;

	while ((rc = archive_read_next_header(im->in.a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
		cleanup_free char *name = NULL;
		const char *raw = archive_entry_pathname(e);

		if (layer_clean_name(raw ? raw : "", &name, err) < 0 ||
		    check_limits(im, e, name, err) < 0)
			return -1;
		if (!name[0])
			continue; /* the root itself */
		if (rewrite_header(im, e, name, err) < 0 || tar_out_header(&im->lt.out, err) < 0)
			return -1;
		if (archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e) &&
		    copy_data(im, name, archive_entry_size(e), err) < 0)
			return -1;
	}
	if (rc != ARCHIVE_EOF)
		return tar_in_fail(&im->in, "read the tarball", err);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The image                                                                 */
/* ------------------------------------------------------------------------ */

/* linux and this machine's architecture (store_host_platform). */
static void host_arch(struct oci_platform *p)
{
	char arch[STORE_ARCH_MAX], variant[STORE_VARIANT_MAX];

	store_host_platform(arch, variant);
	p->os = xstrdup("linux");
	p->architecture = xstrdup(arch);
	/* arm64's variant is its default (v8): imported configs have always left it out. */
	p->variant = variant[0] && strcmp(arch, "arm64") ? xstrdup(variant) : NULL;
}

static char *rfc3339(int64_t epoch)
{
	time_t t = epoch >= 0 ? (time_t)epoch : time(NULL);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

static int put_image(struct layer_store *s, const struct layer_desc *d, const char *name,
		     const struct layer_diff_opts *o, struct cb_digest *manifest_out,
		     struct cb_error **err)
{
	struct image_config c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.created = rfc3339(o->source_date_epoch);
	host_arch(&c.platform);
	cb_strvec_push(&c.diff_ids, d->diff_id.str);
	c.history = xcalloc(1, sizeof(*c.history));
	c.nhistory = 1;
	c.history[0].created = xstrdup(c.created);
	c.history[0].created_by = xstrdup("cbuild import");
	c.history[0].comment = xstrdup("imported from a rootfs tarball");
	ret = layer_store_image_put(s, &c, d, 1, name, manifest_out, err);
	image_config_release(&c);
	return ret;
}

/* The tarball as a layer blob of the store; *d describes it. */
static int import_layer(struct layer_store *s, int tar_fd, const struct layer_diff_opts *o,
			struct layer_desc *d, struct cb_error **err)
{
	struct layer_sink bsink;
	struct blob_writer *bw = store_layer_blob_create(s, &bsink, err);
	struct importer im = {.o = o};
	int ret = -1;

	if (!bw)
		return -1;
	if (layer_tar_open(&im.lt, o, &bsink, "tar", err) < 0 ||
	    tar_in_open(&im.in, tar_fd, LAYER_IMPORT_MAX_BYTES, false, "read the tarball", err) <
		    0 ||
	    import_entries(&im, err) < 0 || layer_tar_finish(&im.lt, d, err) < 0)
		goto out;
	ret = blob_writer_commit(bw, &d->digest, d->size, NULL, err);
	bw = NULL;
out:
	tar_in_release(&im.in);
	/* The layer writer's worker writes to bw: stop it before bw goes. */
	layer_tar_release(&im.lt);
	if (bw)
		blob_writer_abort(bw);
	return ret;
}

int layer_store_import(struct layer_store *s, int tar_fd, const char *name,
		       const struct layer_diff_opts *o, struct cb_digest *manifest_out,
		       struct cb_error **err)
{
	struct layer_diff_opts defaults = LAYER_DIFF_OPTS_INIT;
	struct layer_desc d;
	struct cb_digest chain;

	if (!o)
		o = &defaults;
	/*
	 * The snapshot is made now, as `docker import` extracts into its store:
	 * an imported base is there to be built on or run.
	 */
	if (import_layer(s, tar_fd, o, &d, err) < 0 ||
	    put_image(s, &d, name, o, manifest_out, err) < 0 ||
	    layer_store_snapshot_prepare(s, NULL, &d.digest, &d.diff_id, &chain, err) < 0)
		return cb_error_wrap(err, "import");
	return 0;
}
