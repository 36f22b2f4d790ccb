/*
 * snapshot.c - extracted layers, ready to be overlay lowerdirs.
 *
 *   snapshots/<chain hex>/fs/      the layer's own files, whiteouts in overlay
 *                                  form (the lowerdir)
 *   snapshots/<chain hex>/parent   "sha256:<parent chain>\n", absent for a
 *                                  base layer: how lowerdirs finds the stack
 *
 * The tree lives one level down (as in containerd's overlay snapshotter) so
 * the bookkeeping never shows up in a container's root directory.
 *
 * A snapshot is extracted into tmp/<lease>.<n>.snap (marked as work in
 * progress of this handle's lease: the next open after a crash removes it),
 * its tar digest checked against the diff ID, and then renamed into place
 * with RENAME_NOREPLACE under the shared store lock after its chain ID went
 * into the lease (docs/STORE.md).  Of two processes preparing the same
 * snapshot, both extract, one rename wins, the other discards its copy and
 * uses the winner's: both succeed.
 *
 * Snapshot contents are not fsynced (neither does containerd): a process
 * crash cannot leave a partial snapshot in place, a power loss can; after
 * one, `cbuild prune --all` rebuilds snapshots from blobs on demand.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "layerstore-internal.h"
#include "xalloc.h"

/* Overlay takes at most 500 lowerdirs; a deeper "stack" is a loop or corruption. */
#define MAX_STACK 500

void layer_chain_id(const struct cb_digest *parent, const struct cb_digest *diff_id,
		    struct cb_digest *out)
{
	char buf[2 * CB_DIGEST_LEN + 2];
	int n;

	if (!parent) {
		*out = *diff_id;
		return;
	}
	/* OCI image spec: ChainID(L0|...|Ln) = SHA256(ChainID(L0|...|Ln-1) + " " + DiffID(Ln)). */
	n = snprintf(buf, sizeof(buf), "%s %s", parent->str, diff_id->str);
	cb_sha256_buf(buf, (size_t)n, out);
}

char *layer_store_snapshot_dir(struct layer_store *s, const struct cb_digest *chain)
{
	return xasprintf("%s/snapshots/%s/fs", layer_store_root(s), cb_digest_hex(chain));
}

int layer_store_snapshot_open(struct layer_store *s, const struct cb_digest *chain,
			      struct cb_error **err)
{
	char path[STORE_PATH_MAX + 8];
	int fd;

	snprintf(path, sizeof(path), "snapshots/%s/fs", cb_digest_hex(chain));
	fd = store_openat(s, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return store_path_error(s, err, errno, "open snapshot", path);
	return fd;
}

/*
 * Lease chain and report whether its snapshot is there (1), not (0).  The
 * lease goes first, under the shared store lock, so a prune either sees the
 * lease or has already removed the snapshot.
 */
static int snapshot_use(struct layer_store *s, const struct cb_digest *chain, struct cb_error **err)
{
	char path[STORE_PATH_MAX + 8];
	struct stat st;
	int ret;

	store_snapshot_path(chain, path);
	if (store_lock(s, STORE_LOCK_SHARED, err) < 0)
		return -1;
	ret = store_lease_locked(s, chain, err);
	/* the snapshot's own directory is one the store made, never a symlink to one */
	if (ret == 0 && store_stat(s, path, &st) == 0 && !S_ISDIR(st.st_mode))
		ret = cb_error_set(err, 0,
				   "snapshot %s: `%s/%s` is not a directory the store made (%s); "
				   "run `cbuild fsck`",
				   chain->str, layer_store_root(s), path,
				   S_ISLNK(st.st_mode) ? "a symlink" : "a file");
	if (ret == 0) {
		snprintf(path, sizeof(path), "snapshots/%s/fs", cb_digest_hex(chain));
		if (store_stat(s, path, &st) == 0)
			ret = S_ISDIR(st.st_mode);
		else if (errno == ENOENT)
			ret = 0;
		else
			ret = store_path_error(s, err, errno, "stat", path);
	}
	store_unlock(s);
	return ret;
}

/* The parent chain recorded for chain: 1 and *parent, 0 for a base layer. */
static int snapshot_parent(struct layer_store *s, const struct cb_digest *chain,
			   struct cb_digest *parent, struct cb_error **err)
{
	char path[STORE_PATH_MAX + 8];
	cleanup_free char *buf = NULL;
	struct cb_error *rerr = NULL;
	size_t len;

	snprintf(path, sizeof(path), "snapshots/%s/parent", cb_digest_hex(chain));
	if (store_read_file(s, path, 256, &buf, &len, &rerr) < 0) {
		if (rerr->code == ENOENT) {
			cb_error_free(&rerr);
			return 0;
		}
		*err = rerr;
		return cb_error_wrap(err, "snapshot %s", chain->str);
	}
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (cb_digest_parse(buf, parent, err) < 0)
		return cb_error_wrap(err, "snapshot %s: parent", chain->str);
	return 1;
}

/* Extract the blob into the new directory tmp/<...>.snap/fs; *got = its diff ID. */
static int extract(struct layer_store *s, const char *tmp, const struct cb_digest *blob,
		   struct cb_digest *got, struct cb_error **err)
{
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	cleanup_free char *fs = xasprintf("%s/fs", tmp);
	cleanup_close int fsfd = -1;
	cleanup_close int in = -1;

	if (store_mkdir(s, tmp, 0700) < 0 || store_mkdir(s, fs, 0755) < 0)
		return store_path_error(s, err, errno, "create", fs);
	fsfd = store_openat(s, fs, O_RDONLY | O_DIRECTORY, 0);
	if (fsfd < 0)
		return store_path_error(s, err, errno, "open", fs);
	if (layer_store_lease_add(s, blob, err) < 0)
		return -1;
	in = layer_store_blob_open(s, blob, err);
	if (in < 0)
		return -1;
	o.overlay = true;
	{
		struct store_progress sp;
		struct stat st;
		int ret;

		store_progress_start(&sp, s, "extracting", blob,
				     fstat(in, &st) == 0 ? (int64_t)st.st_size : -1);
		o.progress = (struct layer_progress_hook){store_progress_tick, &sp};
		ret = layer_apply(fsfd, in, &o, got, err);
		store_progress_finish(&sp, ret == 0);
		return ret;
	}
}

static int write_parent(struct layer_store *s, const char *tmp, const struct cb_digest *parent,
			struct cb_error **err)
{
	cleanup_free char *path = xasprintf("%s/parent", tmp);
	char line[CB_DIGEST_LEN + 2];
	cleanup_close int fd = -1;

	if (!parent)
		return 0;
	fd = store_openat(s, path, O_WRONLY | O_CREAT | O_EXCL, 0444);
	if (fd < 0)
		return store_path_error(s, err, errno, "create", path);
	snprintf(line, sizeof(line), "%s\n", parent->str);
	return cb_write_all(fd, line, CB_DIGEST_LEN + 1, err);
}

/* Rename tmp into snapshots/<chain>; losing a race to an identical snapshot is fine. */
static int install(struct layer_store *s, const char *tmp, const struct cb_digest *chain,
		   struct cb_error **err)
{
	char path[STORE_PATH_MAX];
	int ret = 0;

	store_snapshot_path(chain, path);
	if (store_lock(s, STORE_LOCK_SHARED, err) < 0)
		return -1;
	if (store_lease_locked(s, chain, err) < 0) {
		store_unlock(s);
		return -1;
	}
	if (store_rename(s, tmp, path, RENAME_NOREPLACE) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			ret = cb_error_set(err, errno, "rename `%s` to `%s`", tmp, path);
		else if (store_rm_rf(s, tmp, err) < 0)
			ret = -1;
	}
	/*
	 * snapshots/ is not fsynced either: snapshots are rebuilt from blobs,
	 * and their contents are not durable anyway (see the top of this file).
	 */
	store_unlock(s);
	return ret;
}

int layer_store_snapshot_prepare(struct layer_store *s, const struct cb_digest *parent_chain,
				 const struct cb_digest *layer_blob,
				 const struct cb_digest *diff_id, struct cb_digest *chain_out,
				 struct cb_error **err)
{
	cleanup_free char *tmp = NULL;
	struct cb_digest chain, got;
	int rc;

	if (parent_chain) {
		rc = snapshot_use(s, parent_chain, err);
		if (rc <= 0)
			return rc < 0 ? -1
				      : cb_error_set(err, ENOENT,
						     "snapshot %s: parent %s is missing",
						     layer_blob->str, parent_chain->str);
	}
	if (diff_id) {
		layer_chain_id(parent_chain, diff_id, &chain);
		rc = snapshot_use(s, &chain, err);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			*chain_out = chain;
			return 0;
		}
	}
	tmp = store_tmp_name(s, "snap");
	if (extract(s, tmp, layer_blob, &got, err) < 0 ||
	    write_parent(s, tmp, parent_chain, err) < 0)
		goto fail;
	if (diff_id && !cb_digest_equal(diff_id, &got)) {
		cb_error_set(err, 0, "layer %s has diff ID %s, want %s", layer_blob->str, got.str,
			     diff_id->str);
		goto fail;
	}
	layer_chain_id(parent_chain, &got, &chain);
	if (install(s, tmp, &chain, err) < 0)
		goto fail;
	*chain_out = chain;
	return 0;
fail : {
	struct cb_error *rmerr = NULL;

	if (store_rm_rf(s, tmp, &rmerr) < 0)
		cb_error_free(&rmerr); /* the next open removes what is left */
}
	return cb_error_wrap(err, "prepare snapshot of %s", layer_blob->str);
}

/*
 * Does the snapshot dir's root carry the overlay opaque marker, which the
 * layer's root `.wh..wh..opq` set (tarapply.c)?  overlayfs honours the
 * marker on directories inside a layer but not on a layer's root, so the
 * stack itself has to end there (issue 11, finding 11).
 */
static int root_is_opaque(int fd, const char *dir, struct cb_error **err)
{
	int r = cb_overlay_opaque(fd);

	if (r < 0)
		return cb_error_set(err, -r, "snapshot `%s`: read its opaque marker", dir);
	return r;
}

int layer_store_snapshot_lowerdirs(struct layer_store *s, const struct cb_digest *chain,
				   struct cb_strvec *dirs, struct cb_error **err)
{
	struct cb_digest cur = *chain;

	for (int depth = 0;; depth++) {
		char rel[STORE_PATH_MAX + 8];
		struct cb_digest parent;
		int rc, fd;

		if (depth == MAX_STACK)
			return cb_error_set(err, ELOOP, "snapshot %s: more than %d layers",
					    chain->str, MAX_STACK);
		rc = snapshot_use(s, &cur, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return cb_error_set(err, ENOENT, "snapshot %s is missing", cur.str);
		cb_strvec_push_take(dirs, layer_store_snapshot_dir(s, &cur));
		/* handed out as a path: check it leads to the snapshot the store made */
		snprintf(rel, sizeof(rel), "snapshots/%s/fs", cb_digest_hex(&cur));
		fd = store_open_handout(s, rel, dirs->v[dirs->n - 1], err);
		if (fd < 0)
			return cb_error_wrap(err, "snapshot %s", cur.str);
		rc = root_is_opaque(fd, dirs->v[dirs->n - 1], err);
		close(fd);
		if (rc != 0)
			return rc < 0 ? -1 : 0; /* opaque root: nothing below shows */
		rc = snapshot_parent(s, &cur, &parent, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
		cur = parent;
	}
}

char *layer_store_scratch_create(struct layer_store *s, struct cb_error **err)
{
	cleanup_free char *rel = store_tmp_name(s, "scratch");
	char *abs = NULL;
	int fd;

	if (store_mkdir(s, rel, 0700) < 0)
		return store_path_error(s, err, errno, "create", rel), NULL;
	/* handed out as a path: check it leads to the directory just made */
	abs = xasprintf("%s/%s", layer_store_root(s), rel);
	fd = store_open_handout(s, rel, abs, err);
	if (fd < 0) {
		free(abs);
		return NULL;
	}
	close(fd);
	return abs;
}

const char *store_scratch_rel(struct layer_store *s, const char *dir)
{
	const char *root = layer_store_root(s);
	size_t n = strlen(root);

	if (strncmp(dir, root, n) || strncmp(dir + n, "/tmp/", 5) || strstr(dir + n, "/.."))
		return NULL;
	return dir + n + 1;
}

int layer_store_scratch_remove(struct layer_store *s, const char *dir, struct cb_error **err)
{
	const char *rel = store_scratch_rel(s, dir);

	if (!rel)
		return cb_error_set(err, EINVAL, "`%s` is not a scratch directory of the store",
				    dir);
	return store_rm_rf(s, rel, err);
}

int layer_store_snapshot_commit(struct layer_store *s, const struct cb_digest *parent_chain,
				const char *dir, const struct cb_digest *diff_id,
				struct cb_digest *chain_out, struct cb_error **err)
{
	const char *rel = store_scratch_rel(s, dir);
	cleanup_free char *tmp = NULL;
	cleanup_free char *fs = NULL;
	struct cb_digest chain;
	int rc;

	if (!rel)
		return cb_error_set(err, EINVAL, "`%s` is not inside a scratch directory", dir);
	if (parent_chain) {
		rc = snapshot_use(s, parent_chain, err);
		if (rc <= 0)
			return rc < 0 ? -1
				      : cb_error_set(err, ENOENT, "snapshot: parent %s is missing",
						     parent_chain->str);
	}
	layer_chain_id(parent_chain, diff_id, &chain);
	rc = snapshot_use(s, &chain, err);
	if (rc < 0)
		return -1;
	if (rc > 0) { /* made already (a concurrent build, or a cache hit elsewhere) */
		*chain_out = chain;
		return store_rm_rf(s, rel, err);
	}
	tmp = store_tmp_name(s, "snap");
	fs = xasprintf("%s/fs", tmp);
	if (store_mkdir(s, tmp, 0700) < 0)
		return store_path_error(s, err, errno, "create", tmp);
	if (store_rename(s, rel, fs, 0) < 0) {
		rc = store_path_error(s, err, errno, "move into the snapshot", rel);
		goto fail;
	}
	if (write_parent(s, tmp, parent_chain, err) < 0 || install(s, tmp, &chain, err) < 0) {
		rc = -1;
		goto fail;
	}
	*chain_out = chain;
	return 0;
fail : {
	struct cb_error *rmerr = NULL;

	if (store_rm_rf(s, tmp, &rmerr) < 0)
		cb_error_free(&rmerr); /* the next open removes what is left */
}
	return cb_error_wrap(err, "commit snapshot of %s", diff_id->str);
}
