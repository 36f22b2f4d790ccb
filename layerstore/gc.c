/*
 * gc.c - disk usage and prune: mark from tags, cache records and live
 * leases, then sweep unmarked blobs and snapshots.
 *
 * Marking walks JSON blobs: every sha256 digest a marked manifest, index,
 * config or cache record names is marked too, and an image config's
 * rootfs.diff_ids mark the chain IDs of its snapshots.  Walking any JSON
 * (not only known fields) errs on the side of keeping things.
 *
 * prune holds the store lock exclusive from the first mark to the last
 * unlink; writers add objects under the shared lock after leasing them, so
 * an object prune did not see leased does not exist yet when it sweeps.
 * Snapshot trees are renamed into tmp/ under the lock and deleted after it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "store-internal.h"
#include "xalloc.h"

#define DU_DEPTH_MAX 4096

struct blob_info {
	struct cb_digest d;
	int64_t size;
};

struct snap_info {
	struct cb_digest chain;
	int64_t bytes; /* -1 until measured */
};

/* A snapshot-backed layer (backed.c): its digest and the snapshot that makes it. */
struct backed_info {
	struct cb_digest d, chain;
};

/* What the store holds, listed once per prune or usage run. */
struct gc {
	struct layer_store *s;
	struct blob_info *blobs; /* sorted by digest */
	size_t nblobs;
	struct snap_info *snaps; /* sorted by chain ID */
	size_t nsnaps;
	struct backed_info *backed; /* sorted by digest */
	size_t nbacked;
};

/* One marking pass: what is reachable and not already in base. */
struct mark {
	struct gc *gc;
	const struct digest_set *base;
	struct digest_set *set;
	struct cb_digest *queue;
	size_t nq, aq;
	uint64_t bytes; /* of the newly marked blobs and snapshots */
};

static int cmp_blob(const void *a, const void *b)
{
	return strcmp(((const struct blob_info *)a)->d.str, ((const struct blob_info *)b)->d.str);
}

static int cmp_snap(const void *a, const void *b)
{
	return strcmp(((const struct snap_info *)a)->chain.str,
		      ((const struct snap_info *)b)->chain.str);
}

static int cmp_backed(const void *a, const void *b)
{
	return strcmp(((const struct backed_info *)a)->d.str,
		      ((const struct backed_info *)b)->d.str);
}

static struct backed_info *find_backed(struct gc *gc, const struct cb_digest *d)
{
	struct backed_info key;

	key.d = *d;
	return gc->nbacked ? bsearch(&key, gc->backed, gc->nbacked, sizeof(key), cmp_backed) : NULL;
}

static struct blob_info *find_blob(struct gc *gc, const struct cb_digest *d)
{
	struct blob_info key = {*d, 0};

	return gc->nblobs ? bsearch(&key, gc->blobs, gc->nblobs, sizeof(key), cmp_blob) : NULL;
}

static struct snap_info *find_snap(struct gc *gc, const struct cb_digest *d)
{
	struct snap_info key = {*d, 0};

	return gc->nsnaps ? bsearch(&key, gc->snaps, gc->nsnaps, sizeof(key), cmp_snap) : NULL;
}

/* ------------------------------------------------------------------------ */
/* Sizes                                                                     */
/* ------------------------------------------------------------------------ */

struct inode_size {
	ino_t ino;
	off_t size;
};

struct du {
	uint64_t bytes;
	struct inode_size *links; /* files with several links: counted once */
	size_t nlinks, alinks;
};

static int du_dir(int parent, const char *name, int depth, struct du *du, struct cb_error **err)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return cb_error_set(err, errno, "open `%s`", name);
	}
	if (depth > DU_DEPTH_MAX)
		return cb_error_set(err, ELOOP, "measure `%s`: too deep", name);
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return cb_error_set(err, errno, "stat `%s/%s`", name, de->d_name);
		if (S_ISDIR(st.st_mode)) {
			if (du_dir(dirfd(d), de->d_name, depth + 1, du, err) < 0)
				return cb_error_wrap(err, "in `%s`", name);
		} else if (st.st_nlink > 1) {
			CB_ALLOC_GROW(du->links, du->nlinks + 1, du->alinks);
			du->links[du->nlinks++] = (struct inode_size){st.st_ino, st.st_size};
		} else {
			du->bytes += (uint64_t)st.st_size;
		}
	}
	return 0;
}

static int cmp_inode(const void *a, const void *b)
{
	ino_t x = ((const struct inode_size *)a)->ino, y = ((const struct inode_size *)b)->ino;

	return (x > y) - (x < y);
}

/* Apparent size of a tree, hardlinked files counted once. */
static int tree_bytes(int dirfd, const char *path, uint64_t *out, struct cb_error **err)
{
	struct du du = {0, NULL, 0, 0};
	int ret = du_dir(dirfd, path, 0, &du, err);

	if (du.nlinks)
		qsort(du.links, du.nlinks, sizeof(*du.links), cmp_inode);
	for (size_t i = 0; i < du.nlinks; i++)
		if (i == 0 || du.links[i].ino != du.links[i - 1].ino)
			du.bytes += (uint64_t)du.links[i].size;
	free(du.links);
	if (ret == 0)
		*out = du.bytes;
	return ret;
}

static uint64_t snap_bytes(struct gc *gc, struct snap_info *sn)
{
	if (sn->bytes < 0) {
		struct cb_error *ignored = NULL;
		cleanup_close int dir = store_openat(gc->s, "snapshots", O_PATH | O_DIRECTORY, 0);
		uint64_t n = 0;

		/* a symlink at snapshots/<hex> fails there (O_NOFOLLOW): never measured through */
		if (dir < 0 || tree_bytes(dir, cb_digest_hex(&sn->chain), &n, &ignored) < 0)
			cb_error_free(&ignored); /* a size is a report, not a reason to fail */
		sn->bytes = (int64_t)n;
	}
	return (uint64_t)sn->bytes;
}

/* ------------------------------------------------------------------------ */
/* Listing the store                                                         */
/* ------------------------------------------------------------------------ */

static int gc_list_blobs(struct gc *gc, struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	size_t alloc = 0;

	if (store_list_dir(gc->s, "blobs/sha256", &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
		char path[STORE_PATH_MAX];
		struct stat st;

		if (!cb_digest_hex_valid(names.v[i]))
			continue; /* not a blob: fsck's business */
		snprintf(path, sizeof(path), "blobs/sha256/%.64s", names.v[i]);
		if (store_stat(gc->s, path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		CB_ALLOC_GROW(gc->blobs, gc->nblobs + 1, alloc);
		snprintf(gc->blobs[gc->nblobs].d.str, sizeof(gc->blobs[0].d.str), "sha256:%.64s",
			 names.v[i]);
		gc->blobs[gc->nblobs++].size = (int64_t)st.st_size;
	}
	cb_strvec_clear(&names);
	if (gc->nblobs)
		qsort(gc->blobs, gc->nblobs, sizeof(*gc->blobs), cmp_blob);
	return 0;
}

static int gc_list_snapshots(struct gc *gc, struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	size_t alloc = 0;

	if (store_list_dir(gc->s, "snapshots", &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
		if (!cb_digest_hex_valid(names.v[i]))
			continue;
		CB_ALLOC_GROW(gc->snaps, gc->nsnaps + 1, alloc);
		snprintf(gc->snaps[gc->nsnaps].chain.str, sizeof(gc->snaps[0].chain.str),
			 "sha256:%.64s", names.v[i]);
		gc->snaps[gc->nsnaps++].bytes = -1;
	}
	cb_strvec_clear(&names);
	if (gc->nsnaps)
		qsort(gc->snaps, gc->nsnaps, sizeof(*gc->snaps), cmp_snap);
	return 0;
}

/* layers/: unreadable records are left to fsck (and kept). */
static int gc_list_backed(struct gc *gc, struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	size_t alloc = 0;

	if (store_list_dir(gc->s, "layers", &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
		struct backed_layer b;
		struct cb_digest d;
		struct cb_error *ignored = NULL;
		int rc;

		if (!cb_digest_hex_valid(names.v[i]))
			continue;
		snprintf(d.str, sizeof(d.str), "sha256:%.64s", names.v[i]);
		rc = store_backed_get(gc->s, &d, &b, &ignored);
		cb_error_free(&ignored);
		if (rc < 0)
			continue;
		if (rc == 0)
			b.chain.str[0] = '\0'; /* its snapshot is gone: nothing to keep for it */
		CB_ALLOC_GROW(gc->backed, gc->nbacked + 1, alloc);
		gc->backed[gc->nbacked].d = d;
		gc->backed[gc->nbacked++].chain = b.chain;
	}
	cb_strvec_clear(&names);
	if (gc->nbacked)
		qsort(gc->backed, gc->nbacked, sizeof(*gc->backed), cmp_backed);
	return 0;
}

static int gc_load(struct gc *gc, struct layer_store *s, struct cb_error **err)
{
	memset(gc, 0, sizeof(*gc));
	gc->s = s;
	return gc_list_blobs(gc, err) < 0 || gc_list_snapshots(gc, err) < 0 ||
			       gc_list_backed(gc, err) < 0
		       ? -1
		       : 0;
}

static void gc_release(struct gc *gc)
{
	free(gc->blobs);
	free(gc->snaps);
	free(gc->backed);
}

/* ------------------------------------------------------------------------ */
/* Marking                                                                   */
/* ------------------------------------------------------------------------ */

static void mark_init(struct mark *m, struct gc *gc, const struct digest_set *base,
		      struct digest_set *set)
{
	memset(m, 0, sizeof(*m));
	m->gc = gc;
	m->base = base;
	m->set = set;
}

/* snapshots/<hex>/parent (snapshot.c): the chain below; false for a base layer. */
static bool snap_parent(struct gc *gc, const struct cb_digest *chain, struct cb_digest *parent)
{
	char path[STORE_PATH_MAX], buf[CB_DIGEST_LEN + 2] = "";
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "snapshots/%s/parent", cb_digest_hex(chain));
	fd = store_openat(gc->s, path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < CB_DIGEST_LEN)
		return false;
	buf[CB_DIGEST_LEN] = '\0';
	if (!cb_digest_valid(buf))
		return false;
	memcpy(parent->str, buf, CB_DIGEST_LEN + 1);
	return true;
}

static void mark_add(void *ctx, const struct cb_digest *d)
{
	struct mark *m = ctx;
	struct blob_info *b;
	struct snap_info *sn;
	struct backed_info *bk;
	struct cb_digest parent;

	if ((m->base && digest_set_has(m->base, d)) || !digest_set_add(m->set, d))
		return;
	b = find_blob(m->gc, d);
	sn = find_snap(m->gc, d);
	bk = b ? NULL : find_backed(m->gc, d);
	if (bk && bk->chain.str[0]) /* a layer is its snapshot's tree */
		mark_add(m, &bk->chain);
	if (b) {
		m->bytes += (uint64_t)b->size;
		CB_ALLOC_GROW(m->queue, m->nq + 1, m->aq);
		m->queue[m->nq++] = *d;
	}
	if (sn) {
		m->bytes += snap_bytes(m->gc, sn);
		/* A snapshot is a lowerdir only with the stack below it. */
		if (snap_parent(m->gc, d, &parent))
			mark_add(m, &parent);
	}
}

/* An image config's layers: mark the chain ID of every prefix of diff_ids. */
static void mark_chain(struct mark *m, json_t *doc)
{
	json_t *ids = json_object_get(json_object_get(doc, "rootfs"), "diff_ids"), *e;
	struct cb_digest chain, diff;
	size_t i;

	json_array_foreach (ids, i, e) {
		const char *s = json_string_value(e);

		if (!s || !cb_digest_valid(s))
			return;
		memcpy(diff.str, s, CB_DIGEST_LEN + 1);
		layer_chain_id(i ? &chain : NULL, &diff, &chain);
		mark_add(m, &chain);
	}
}

/* Mark everything the queued blobs name, until nothing new turns up. */
static void mark_drain(struct mark *m)
{
	while (m->nq) {
		struct cb_digest d = m->queue[--m->nq];
		struct blob_info *b = find_blob(m->gc, &d);
		struct cb_error *ignored = NULL;
		char path[STORE_PATH_MAX], c = 0;
		cleanup_close int fd = -1;
		json_auto_t *doc = NULL;

		if (!b || b->size < 2 || b->size > (int64_t)STORE_JSON_MAX)
			continue;
		store_blob_path(&d, path);
		fd = store_openat(m->gc->s, path, O_RDONLY | O_NONBLOCK, 0);
		if (fd < 0 || read(fd, &c, 1) != 1 || c != '{')
			continue; /* a layer, not JSON */
		if (store_blob_read_json(m->gc->s, &d, &doc, &ignored) < 0) {
			cb_error_free(&ignored); /* corrupt: fsck quarantines it */
			continue;
		}
		json_each_digest(doc, mark_add, m);
		mark_chain(m, doc);
	}
	free(m->queue);
	m->queue = NULL;
	m->nq = m->aq = 0;
}

/* Mark from tags and live leases (prune's roots other than the cache). */
static int mark_roots(struct mark *m, size_t *ntags, struct cb_error **err)
{
	struct layer_store_tag *tags = NULL;
	struct digest_set leases;
	size_t n = 0;

	if (store_tags_read(m->gc->s, &tags, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		mark_add(m, &tags[i].digest);
	layer_store_tags_free(tags, n);
	if (ntags)
		*ntags = n;
	digest_set_init(&leases);
	if (store_live_leases(m->gc->s, &leases, err) < 0) {
		digest_set_release(&leases);
		return -1;
	}
	for (size_t i = 0; i < leases.cap; i++)
		if (leases.slots[i].str[0])
			mark_add(m, &leases.slots[i]);
	digest_set_release(&leases);
	mark_drain(m);
	return 0;
}

static void set_merge(struct digest_set *into, const struct digest_set *from)
{
	for (size_t i = 0; i < from->cap; i++)
		if (from->slots[i].str[0])
			digest_set_add(into, &from->slots[i]);
}

/* ------------------------------------------------------------------------ */
/* Usage                                                                     */
/* ------------------------------------------------------------------------ */

static int usage_locked(struct layer_store *s, struct layer_store_usage *u, struct cb_error **err)
{
	struct cache_entry *entries = NULL;
	struct digest_set live, cached;
	struct gc gc;
	struct mark m;
	size_t nentries = 0, ntags = 0;
	int ret = -1;

	digest_set_init(&live);
	digest_set_init(&cached);
	if (gc_load(&gc, s, err) < 0)
		goto out;
	memset(u, 0, sizeof(*u));
	u->blobs = gc.nblobs;
	for (size_t i = 0; i < gc.nblobs; i++)
		u->blob_bytes += (uint64_t)gc.blobs[i].size;
	u->snapshots = gc.nsnaps;
	for (size_t i = 0; i < gc.nsnaps; i++)
		u->snapshot_bytes += snap_bytes(&gc, &gc.snaps[i]);
	mark_init(&m, &gc, NULL, &live);
	if (mark_roots(&m, &ntags, err) < 0 || store_cache_list(s, &entries, &nentries, err) < 0)
		goto out;
	u->images = ntags;
	u->cache_records = nentries;
	mark_init(&m, &gc, &live, &cached);
	for (size_t i = 0; i < nentries; i++)
		mark_add(&m, &entries[i].record);
	mark_drain(&m);
	u->cache_bytes = m.bytes;
	ret = 0;
out:
	free(entries);
	gc_release(&gc);
	digest_set_release(&live);
	digest_set_release(&cached);
	return ret;
}

int layer_store_usage(struct layer_store *s, struct layer_store_usage *u, struct cb_error **err)
{
	int ret;

	/* Shared: no prune deletes what we measure; writers go on. */
	if (store_lock(s, STORE_LOCK_SHARED, err) < 0)
		return -1;
	ret = usage_locked(s, u, err);
	store_unlock(s);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Prune                                                                     */
/* ------------------------------------------------------------------------ */

static int cmp_newest(const void *a, const void *b)
{
	int64_t x = ((const struct cache_entry *)a)->used,
		y = ((const struct cache_entry *)b)->used;

	return (x < y) - (x > y);
}

/*
 * Decide which cache records stay: all of them (no --all, no
 * --keep-storage), none (--all alone), or the most recently used whose own
 * objects fit in keep_storage bytes.  Kept closures are merged into kept;
 * dropped[i] tells which entries go.
 */
static void choose_cache(struct gc *gc, const struct layer_store_prune_opts *o,
			 struct cache_entry *e, size_t n, struct digest_set *kept, bool *dropped)
{
	uint64_t total = 0;
	bool full = false;

	if (n)
		qsort(e, n, sizeof(*e), cmp_newest);
	for (size_t i = 0; i < n; i++) {
		struct digest_set scratch;
		struct mark m;

		dropped[i] = o->all && !o->keep_storage;
		if (dropped[i])
			continue;
		digest_set_init(&scratch);
		mark_init(&m, gc, kept, &scratch);
		mark_add(&m, &e[i].record);
		mark_drain(&m);
		if (o->keep_storage && (full || total + m.bytes > o->keep_storage)) {
			full = true; /* older records than one that does not fit go too */
			dropped[i] = true;
		} else {
			total += m.bytes;
			set_merge(kept, &scratch);
		}
		digest_set_release(&scratch);
	}
}

/* Remove unmarked blobs and their source records now; unmarked snapshots go to tmp/. */
static int sweep(struct gc *gc, const struct digest_set *kept, struct cb_strvec *trash,
		 struct layer_store_usage *r, struct cb_error **err)
{
	struct layer_store *s = gc->s;

	for (size_t i = 0; i < gc->nblobs; i++) {
		char path[STORE_PATH_MAX];

		if (digest_set_has(kept, &gc->blobs[i].d))
			continue;
		store_blob_path(&gc->blobs[i].d, path);
		if (store_unlink(s, path, 0) < 0 && errno != ENOENT)
			return store_path_error(s, err, errno, "remove", path);
		r->blobs++;
		r->blob_bytes += (uint64_t)gc->blobs[i].size;
	}
	for (size_t i = 0; i < gc->nbacked; i++) {
		char path[STORE_PATH_MAX];

		if (digest_set_has(kept, &gc->backed[i].d))
			continue;
		store_backed_path(&gc->backed[i].d, path);
		if (store_unlink(s, path, 0) < 0 && errno != ENOENT)
			return store_path_error(s, err, errno, "remove", path);
	}
	for (size_t i = 0; i < gc->nsnaps; i++) {
		char path[STORE_PATH_MAX];
		char *tmp;

		if (digest_set_has(kept, &gc->snaps[i].chain))
			continue;
		r->snapshot_bytes += snap_bytes(gc, &gc->snaps[i]);
		store_snapshot_path(&gc->snaps[i].chain, path);
		tmp = store_tmp_name(s, "trash");
		if (store_rename(s, path, tmp, 0) < 0) {
			int saved = errno;

			free(tmp);
			return store_path_error(s, err, saved, "remove", path);
		}
		cb_strvec_push_take(trash, tmp);
		r->snapshots++;
	}
	if (store_sources_sweep(s, kept, err) < 0)
		return -1;
	if (store_fsync_dir(s, "blobs/sha256", err) < 0 || store_fsync_dir(s, "snapshots", err) < 0)
		return -1;
	return 0;
}

static int prune_locked(struct layer_store *s, const struct layer_store_prune_opts *o,
			struct layer_store_usage *r, struct cb_strvec *trash, struct cb_error **err)
{
	struct cache_entry *entries = NULL;
	bool *dropped = NULL;
	struct digest_set kept, gone;
	struct gc gc;
	struct mark m;
	size_t n = 0;
	int ret = -1;

	memset(&gc, 0, sizeof(gc));
	digest_set_init(&kept);
	digest_set_init(&gone);
	if (store_cleanup_dead(s, err) < 0 || gc_load(&gc, s, err) < 0)
		goto out;
	mark_init(&m, &gc, NULL, &kept);
	if (mark_roots(&m, NULL, err) < 0 || store_cache_list(s, &entries, &n, err) < 0)
		goto out;
	dropped = xcalloc(n + 1, sizeof(*dropped));
	choose_cache(&gc, o, entries, n, &kept, dropped);
	/* What only the dropped records held: the cache's share of the reclaimed space. */
	mark_init(&m, &gc, &kept, &gone);
	for (size_t i = 0; i < n; i++) {
		if (!dropped[i])
			continue;
		if (store_cache_remove(s, &entries[i].key, err) < 0)
			goto out;
		r->cache_records++;
		mark_add(&m, &entries[i].record);
	}
	mark_drain(&m);
	r->cache_bytes = m.bytes;
	ret = sweep(&gc, &kept, trash, r, err);
out:
	free(dropped);
	free(entries);
	gc_release(&gc);
	digest_set_release(&kept);
	digest_set_release(&gone);
	return ret;
}

int layer_store_prune(struct layer_store *s, const struct layer_store_prune_opts *o,
		      struct layer_store_usage *removed, struct cb_error **err)
{
	struct layer_store_prune_opts none = {false, 0};
	struct cb_strvec trash = CB_STRVEC_INIT;
	struct layer_store_usage r;
	int ret;

	memset(&r, 0, sizeof(r));
	if (store_lock(s, STORE_LOCK_EXCLUSIVE, err) < 0)
		return -1;
	ret = prune_locked(s, o ? o : &none, &r, &trash, err);
	store_unlock(s);
	/* Out of the lock: the trash is ours (named after our lease) and unreachable. */
	for (size_t i = 0; i < trash.n; i++) {
		struct cb_error *e = NULL;

		if (store_rm_rf(s, trash.v[i], &e) < 0)
			cb_error_free(&e); /* what is left goes at the next open */
	}
	cb_strvec_clear(&trash);
	if (ret < 0)
		return cb_error_wrap(err, "prune `%s`", s->root);
	if (removed)
		*removed = r;
	return 0;
}
