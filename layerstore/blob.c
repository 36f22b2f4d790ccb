/*
 * blob.c - content-addressed blobs: blobs/sha256/<hex>, read-only files.
 *
 * A blob is written to tmp/<lease>.<n>.blob while its SHA-256 is computed,
 * checked against what the caller expects, fsynced, and renamed into place
 * (never over an existing blob), and then blobs/sha256 is fsynced.  A crash
 * at any point leaves either the whole blob or a temp file that the next
 * open removes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "store-internal.h"
#include "xalloc.h"

struct blob_writer {
	struct layer_store *s;
	int fd;
	char *tmp;
	bool hashing; /* false: the caller hashes, commit trusts its digest */
	bool lazy;    /* no fsync: an accelerator (a cache record), useless torn, harmless lost */
	struct cb_sha256 h;
	int64_t size;
	int64_t started; /* bytes whose writeback was started (sync_file_range) */
};

/*
 * Start writing back every WRITEBACK_STEP bytes as they come, so that the
 * fsync at commit waits for the last piece only, not for the whole blob
 * (a 50 MB layer pulled into the page cache took up to 0.3 s to fsync
 * here, when the disk was busy).
 */
#define WRITEBACK_STEP (8 << 20)

static struct blob_writer *blob_create(struct layer_store *s, bool hashing, struct cb_error **err)
{
	struct blob_writer *w;
	char *tmp = store_tmp_name(s, "blob");
	int fd = store_openat(s, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);

	if (fd < 0) {
		store_path_error(s, err, errno, "create", tmp);
		free(tmp);
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->fd = fd;
	w->tmp = tmp;
	w->hashing = hashing;
	if (hashing)
		cb_sha256_init(&w->h);
	return w;
}

struct blob_writer *layer_store_blob_create(struct layer_store *s, struct cb_error **err)
{
	return blob_create(s, true, err);
}

int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct cb_error **err)
{
	if (cb_write_all(w->fd, buf, len, err) < 0)
		return cb_error_wrap(err, "write blob `%s/%s`", w->s->root, w->tmp);
	if (w->hashing)
		cb_sha256_update(&w->h, buf, len);
	w->size += (int64_t)len;
	if (!w->lazy && w->size - w->started >= WRITEBACK_STEP) {
		/* a hint: a failure here shows up at the fsync */
		(void)sync_file_range(w->fd, w->started, w->size - w->started,
				      SYNC_FILE_RANGE_WRITE);
		w->started = w->size;
	}
	return 0;
}

static int blob_sink_write(void *ctx, const void *buf, size_t len, struct cb_error **err)
{
	return blob_writer_write(ctx, buf, len, err);
}

struct blob_writer *store_layer_blob_create(struct layer_store *s, struct layer_sink *sink,
					    struct cb_error **err)
{
	struct blob_writer *w = blob_create(s, false, err);

	if (w)
		*sink = (struct layer_sink){blob_sink_write, w};
	return w;
}

int64_t blob_writer_size(const struct blob_writer *w)
{
	return w->size;
}

static void blob_writer_free(struct blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		store_unlink(w->s, w->tmp, 0);
	if (w->hashing)
		cb_sha256_release(&w->h);
	free(w->tmp);
	free(w);
}

void blob_writer_abort(struct blob_writer *w)
{
	if (w)
		blob_writer_free(w);
}

/* rename(2) that keeps an existing blob: readers holding it open see no change. */
static int rename_noreplace(struct layer_store *s, const char *from, const char *to)
{
	struct stat st;

	if (store_rename(s, from, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* Filesystems without RENAME_NOREPLACE: the content is the same either way. */
	if (store_stat(s, to, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return store_rename(s, from, to, 0);
}

/* Move the finished temp file into place; the caller holds the store lock. */
static int blob_install(struct blob_writer *w, const struct cb_digest *d, struct cb_error **err)
{
	struct layer_store *s = w->s;
	char path[STORE_PATH_MAX];
	struct stat st;

	store_blob_path(d, path);
	/* Lease first: once the name is visible, a prune must already see it leased. */
	if (store_lease_locked(s, d, err) < 0)
		return -1;
	if (store_stat(s, path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == w->size)
		return 0; /* already there (a parallel writer): ours is dropped */
	if ((!w->lazy && fsync(w->fd) < 0) || fchmod(w->fd, 0444) < 0)
		return cb_error_set(err, errno, "fsync blob `%s/%s`", s->root, w->tmp);
	if (rename_noreplace(s, w->tmp, path) < 0) {
		if (errno != EEXIST)
			return store_path_error(s, err, errno, "rename blob into", path);
		return 0;
	}
	free(w->tmp);
	w->tmp = NULL; /* nothing left to unlink */
	return w->lazy ? 0 : store_fsync_dir(s, "blobs/sha256", err);
}

int blob_writer_commit(struct blob_writer *w, const struct cb_digest *expect, int64_t expect_size,
		       struct cb_digest *out, struct cb_error **err)
{
	struct layer_store *s = w->s;
	struct cb_digest d;
	int ret;

	if (w->hashing) {
		cb_sha256_final(&w->h, &d);
		w->hashing = false;
	} else if (expect) {
		d = *expect; /* the caller's pipeline hashed what it wrote here */
	} else {
		cb_error_set(err, EINVAL, "blob `%s/%s`: no digest to commit it under", s->root,
			     w->tmp);
		blob_writer_free(w);
		return -1;
	}
	if (expect_size >= 0 && expect_size != w->size) {
		cb_error_set(err, 0, "blob size mismatch: expected %lld bytes, got %lld",
			     (long long)expect_size, (long long)w->size);
		blob_writer_free(w);
		return -1;
	}
	if (expect && !cb_digest_equal(expect, &d)) {
		cb_error_set(err, 0, "blob digest mismatch: expected `%s`, got `%s`", expect->str,
			     d.str);
		blob_writer_free(w);
		return -1;
	}
	if (store_lock(s, STORE_LOCK_SHARED, err) < 0) {
		blob_writer_free(w);
		return -1;
	}
	ret = blob_install(w, &d, err);
	store_unlock(s);
	blob_writer_free(w);
	if (ret < 0)
		return -1;
	if (out)
		*out = d;
	return 0;
}

int store_blob_put_lazy(struct layer_store *s, const void *buf, size_t len, struct cb_digest *out,
			bool lazy, struct cb_error **err)
{
	struct blob_writer *w = layer_store_blob_create(s, err);

	if (!w)
		return -1;
	w->lazy = lazy;
	if (blob_writer_write(w, buf, len, err) < 0) {
		blob_writer_abort(w);
		return -1;
	}
	return blob_writer_commit(w, NULL, (int64_t)len, out, err);
}

int layer_store_blob_put(struct layer_store *s, const void *buf, size_t len, struct cb_digest *out,
			 struct cb_error **err)
{
	struct blob_writer *w = layer_store_blob_create(s, err);

	if (!w)
		return -1;
	if (blob_writer_write(w, buf, len, err) < 0) {
		blob_writer_abort(w);
		return -1;
	}
	return blob_writer_commit(w, NULL, (int64_t)len, out, err);
}

int layer_store_blob_exists(struct layer_store *s, const struct cb_digest *d, int64_t *size,
			    struct cb_error **err)
{
	char path[STORE_PATH_MAX];
	struct stat st;

	store_blob_path(d, path);
	if (store_stat(s, path, &st) < 0) {
		struct backed_layer b;
		int ret;

		if (errno != ENOENT)
			return store_path_error(s, err, errno, "stat", path);
		/* a build step's layer, made from its snapshot when read (backed.c) */
		ret = store_backed_get(s, d, &b, err);
		if (ret > 0 && size)
			*size = b.size;
		return ret;
	}
	if (!S_ISREG(st.st_mode))
		return cb_error_set(err, 0, "`%s/%s` is not a regular file; run `cbuild fsck`",
				    s->root, path);
	if (size)
		*size = (int64_t)st.st_size;
	return 1;
}

int layer_store_blob_open(struct layer_store *s, const struct cb_digest *d, struct cb_error **err)
{
	char path[STORE_PATH_MAX];
	struct stat st;
	int fd;

	store_blob_path(d, path);
	/* O_NONBLOCK: a FIFO planted there is refused below, not waited on */
	fd = store_openat(s, path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0) {
		struct backed_layer b;
		int ret;

		if (errno != ENOENT)
			return store_path_error(s, err, errno, "open", path);
		ret = store_backed_get(s, d, &b, err);
		if (ret == 0)
			return cb_error_set(err, 0, "blob `%s` is not in the store", d->str);
		return ret < 0 ? -1 : store_backed_open(s, d, &b, err);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cb_error_set(err, 0, "`%s/%s` is not a regular file; run `cbuild fsck`",
				    s->root, path);
	}
	return fd;
}

int layer_store_blob_read(struct layer_store *s, const struct cb_digest *d, size_t max, char **buf,
			  size_t *len, struct cb_error **err)
{
	cleanup_close int fd = layer_store_blob_open(s, d, err);
	cleanup_free char *data = NULL;
	struct cb_digest got;
	size_t n = 0;

	if (fd < 0)
		return -1;
	if (cb_read_fd(fd, max, &data, &n, err) < 0)
		return cb_error_wrap(err, "read blob `%s`", d->str);
	/* Small blobs are cheap to check, and a bad manifest must not be trusted. */
	cb_sha256_buf(data, n, &got);
	if (!cb_digest_equal(&got, d))
		return cb_error_set(err, 0,
				    "blob `%s` is corrupt (its content hashes to `%s`); "
				    "run `cbuild fsck`",
				    d->str, got.str);
	*buf = steal_pointer(&data);
	if (len)
		*len = n;
	return 0;
}

int store_blob_read_json(struct layer_store *s, const struct cb_digest *d, json_t **out,
			 struct cb_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	json_t *v;

	if (layer_store_blob_read(s, d, STORE_JSON_MAX, &buf, &len, err) < 0)
		return -1;
	v = store_json_parse(buf, len, d->str, err);
	if (!v)
		return -1;
	*out = v;
	return 0;
}
