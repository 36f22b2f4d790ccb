/*
 * store-internal.h - shared inside layerstore/ only (never included
 * from another module): the store handle, its lock and lease, temp names,
 * a set of digests, and the JSON helpers of the image model.
 *
 * The rules that make parallel processes safe on one store (docs/STORE.md):
 *
 *  - An object enters the store by a rename from tmp/ into blobs/ or
 *    snapshots/.  Around that rename the writer holds the store lock shared
 *    and records the object in its lease first:
 *
 *	char *tmp = store_tmp_name(s, "snap");	// tmp/<lease>.<n>.snap
 *	... fill tmp ...
 *	store_lock(s, STORE_LOCK_SHARED, &err);
 *	store_lease_locked(s, &chain, &err);
 *	renameat(rootfd, tmp, rootfd, "snapshots/<hex>");  + fsync snapshots/
 *	store_unlock(s);
 *
 *  - prune holds the lock exclusive while it marks and sweeps, so it sees
 *    either the lease entry or no object at all.
 *  - Everything under tmp/ is named after the lease of the handle that made
 *    it; the next open (or prune) removes the entries of leases whose owner
 *    is gone.  That is how half-written blobs and snapshots are marked.
 */
#ifndef CB_LAYERSTORE_STORE_INTERNAL_H
#define CB_LAYERSTORE_STORE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "layerstore.h"

/* A set of digests (open addressing); used for leases and for prune's marks. */
struct digest_set {
	struct cb_digest *slots; /* slots[i].str[0] == '\0' when free */
	size_t n, cap;
};
void digest_set_init(struct digest_set *set);
void digest_set_release(struct digest_set *set);
/* Add d; true when it was not there yet. */
bool digest_set_add(struct digest_set *set, const struct cb_digest *d);
bool digest_set_has(const struct digest_set *set, const struct cb_digest *d);

/* "<pid>-<16 hex>": unique among live and dead handles. */
#define STORE_LEASE_ID_MAX 48

/* The store's own directories, in the order store_layout_open checks them. */
enum store_dir {
	STORE_DIR_QUARANTINE,
	STORE_DIR_BLOBS,
	STORE_DIR_BLOBS_SHA256,
	STORE_DIR_SNAPSHOTS,
	STORE_DIR_LAYERS,
	STORE_DIR_TMP,
	STORE_DIR_LEASES,
	STORE_DIR_CACHE,
	STORE_DIR_AUX,
	STORE_DIR_SOURCES,
	STORE_NDIRS
};

struct layer_store {
	char *root;
	int root_fd;
	int lock_fd; /* <root>/lock: flock shared to add objects, exclusive to sweep */
	int lock_depth;
	bool lock_exclusive;
	int lease_fd; /* leases/<id>: flock LOCK_EX for the handle's whole life */
	char lease_id[STORE_LEASE_ID_MAX];
	unsigned long tmp_seq;
	struct digest_set leased; /* what the lease file already lists */
	struct layer_store_progress progress;
	bool repair;		  /* opened for fsck: a damaged layout is set aside */
	struct cb_strvec repairs; /* what that did, for fsck to report */
};

/*
 * Reporting one piece of long work through s->progress (layer_store_set_progress):
 * start, tick (rate-limited, any thread), finish.
 */
struct store_progress {
	const struct layer_store_progress *p;
	const char *what;
	struct cb_digest layer;
	int64_t total;
	int64_t last_ns; /* when the last tick was reported */
	pthread_mutex_t mu;
};
void store_progress_start(struct store_progress *sp, struct layer_store *s, const char *what,
			  const struct cb_digest *layer, int64_t total);
/* A layer_progress_hook fn: ctx is the store_progress. */
void store_progress_tick(void *ctx, uint64_t done);
void store_progress_finish(struct store_progress *sp, bool ok);

enum store_lock_mode { STORE_LOCK_SHARED, STORE_LOCK_EXCLUSIVE };

/*
 * Take the store lock (nestable: an inner call while held is a no-op; an
 * exclusive request while holding it shared is a bug and fails).
 */
int store_lock(struct layer_store *s, enum store_lock_mode mode, struct cb_error **err);
void store_unlock(struct layer_store *s);

/* Record d in the lease; the caller holds the store lock. */
int store_lease_locked(struct layer_store *s, const struct cb_digest *d, struct cb_error **err);

/*
 * A fresh path relative to the root, "tmp/<lease id>.<n>.<kind>" (kind:
 * letters only), that nothing else uses; caller frees.  What is left there
 * when the handle's process dies is removed by the next open or prune.
 */
char *store_tmp_name(struct layer_store *s, const char *kind);

/* ------------------------------------------------------------------------ */
/* The root and the store's own paths, never through a symlink (store-path.c) */
/* ------------------------------------------------------------------------ */

/*
 * The root made if missing (parents 0755, the root 0700) and opened; it
 * must be owned by the caller and not group- or world-writable.  An fd.
 */
int store_root_open(const char *root, struct cb_error **err);
/* name is one of the store's own entries at the root (the layout, not a user's file). */
bool store_entry_known(const char *name);
/*
 * Check the layout: every directory made when missing, every one a
 * directory and every root file a regular file.
 * Anything else (a symlink above all) is refused, or with s->repair moved
 * into quarantine/ (the link itself) and listed in s->repairs.
 */
int store_layout_open(struct layer_store *s, struct cb_error **err);

/*
 * The syscalls on a path relative to the root, resolved without following
 * a symlink in any component (the last one included): -1 and errno as the
 * syscall, ELOOP for a symlink on the way.  store_stat is an lstat;
 * store_rename is renameat2 (flags 0: renameat).
 */
int store_openat(struct layer_store *s, const char *path, int flags, mode_t mode);
int store_stat(struct layer_store *s, const char *path, struct stat *st);
int store_unlink(struct layer_store *s, const char *path, int flags);
int store_mkdir(struct layer_store *s, const char *path, mode_t mode);
int store_rename(struct layer_store *s, const char *from, const char *to, unsigned flags);
int store_utimens(struct layer_store *s, const char *path, const struct timespec ts[2]);
/* rm -rf of path (cb_rm_rf, its parent resolved as above). */
int store_rm_rf(struct layer_store *s, const char *path, struct cb_error **err);
/* cb_read_file_at for a regular file at path (a FIFO is not waited on); errors name root/path. */
int store_read_file(struct layer_store *s, const char *path, size_t max, char **out, size_t *len,
		    struct cb_error **err);
/* "<verb> `<root>/<path>`: <errno>", ELOOP said as a planted symlink naming fsck; returns -1. */
int store_path_error(struct layer_store *s, struct cb_error **err, int code, const char *verb,
		     const char *path);
/*
 * Before the store hands out abs, an absolute path to the directory rel
 * (a snapshot's tree for overlay, a scratch directory): check that abs,
 * opened as a string, leads to the directory the store resolves rel to
 * (same st_dev/st_ino).  An O_RDONLY fd of it, or -1.  What keeps abs
 * pointing there later is the root's owner and 0700 mode.
 */
int store_open_handout(struct layer_store *s, const char *rel, const char *abs,
		       struct cb_error **err);

/* dir (an absolute path) relative to the root when it is inside the store's tmp/, else NULL. */
const char *store_scratch_rel(struct layer_store *s, const char *dir);

/* The names in the directory `dir` under the root, without "." and "..", appended to names. */
int store_list_dir(struct layer_store *s, const char *dir, struct cb_strvec *names,
		   struct cb_error **err);

/* fsync the directory `dir` under the root ("blobs/sha256", "snapshots"). */
int store_fsync_dir(struct layer_store *s, const char *dir, struct cb_error **err);

/*
 * Replace the file `path` under the root: a tmp/ file renamed over it; with
 * durable, fsynced before and its directory after (without: an accelerator,
 * whole or absent after a crash, maybe empty after a power loss).
 */
int store_write_file(struct layer_store *s, const char *path, const void *data, size_t len,
		     bool durable, struct cb_error **err);
/* Replace the file `path` under the root: tmp/ file, fsync, rename, fsync its directory. */
int store_write_atomic(struct layer_store *s, const char *path, const void *data, size_t len,
		       struct cb_error **err);

/*
 * Open path (under the store's root) for reading if it is a regular file:
 * no symlink followed, a FIFO not waited on (O_NONBLOCK).  1 and *fd (the
 * caller closes it); 0 when a symlink or anything but a regular file stands
 * there, and with missing_ok when nothing does (ENOENT, ENOTDIR); -1 and
 * *err naming the path otherwise.
 */
int store_open_regular(struct layer_store *s, const char *path, bool missing_ok, int *fd,
		       struct cb_error **err);

/* "blobs/sha256/<hex>" and "snapshots/<hex>" for d. */
#define STORE_PATH_MAX 96
void store_blob_path(const struct cb_digest *d, char out[STORE_PATH_MAX]);
void store_snapshot_path(const struct cb_digest *d, char out[STORE_PATH_MAX]);

/* The ids of the leases whose owner is gone (lock not held); used by cleanup and prune. */
bool store_lease_is_dead(struct layer_store *s, const char *id);
/* Remove dead leases and their tmp/ entries (caller holds the lock exclusive). */
int store_cleanup_dead(struct layer_store *s, struct cb_error **err);
/* Read the digests of every live lease (including s's own) into set. */
int store_live_leases(struct layer_store *s, struct digest_set *set, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Blobs (blob.c)                                                            */
/* ------------------------------------------------------------------------ */

/* Biggest JSON blob (manifest, config, index, cache record) we read. */
#define STORE_JSON_MAX (16u << 20)

/*
 * A new blob for a layer that the layer pipeline (layer_writer) writes
 * through *sink.  The pipeline already hashes the blob, so this writer does
 * not: commit it with blob_writer_commit(w, &desc.digest, desc.size, ...),
 * which trusts that digest.
 */
struct blob_writer *store_layer_blob_create(struct layer_store *s, struct layer_sink *sink,
					    struct cb_error **err);

/* layer_store_blob_put, without any fsync when lazy (cache records). */
int store_blob_put_lazy(struct layer_store *s, const void *buf, size_t len, struct cb_digest *out,
			bool lazy, struct cb_error **err);

/* Read and parse a JSON blob (digest verified); *out is the caller's. */
int store_blob_read_json(struct layer_store *s, const struct cb_digest *d, json_t **out,
			 struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Snapshot-backed layers (backed.c)                                         */
/* ------------------------------------------------------------------------ */

/* layers/<diff id hex>: the snapshot whose tree, written as a tar, is the blob. */
struct backed_layer {
	struct cb_digest chain; /* the snapshot */
	int64_t size;		/* of the tar */
	int64_t epoch;		/* the SOURCE_DATE_EPOCH it was written with; -1 none */
	bool overlay;		/* the tree has overlay whiteouts */
	bool links;		/* hardlinks inside the tree are looked for (not no_hardlinks) */
};
/* A layer_sink write that keeps nothing (hashing a tar, checking one). */
int store_sink_discard(void *ctx, const void *buf, size_t len, struct cb_error **err);
/* "layers/<hex>" for d. */
void store_backed_path(const struct cb_digest *d, char out[STORE_PATH_MAX]);
/*
 * The record of d: 1 and *b, 0 when there is none or its snapshot is gone,
 * -1 when unreadable or malformed.
 */
int store_backed_get(struct layer_store *s, const struct cb_digest *d, struct backed_layer *b,
		     struct cb_error **err);
/*
 * 1 and *b when d has no blob file but a record (a build's layer), 0 when
 * it has a file, -1 (with "not in the store") when it has neither.
 */
int store_backed_only(struct layer_store *s, const struct cb_digest *d, struct backed_layer *b,
		      struct cb_error **err);
/* Write the tar of d from its snapshot to sink, checking digest and size at the end. */
int store_backed_write(struct layer_store *s, const struct cb_digest *d,
		       const struct backed_layer *b, const struct layer_sink *sink,
		       struct cb_error **err);
/* The tar of d in an unlinked file of tmp/, checked, at offset 0. */
int store_backed_open(struct layer_store *s, const struct cb_digest *d,
		      const struct backed_layer *b, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* JSON (image.c, imagejson.c)                                               */
/* ------------------------------------------------------------------------ */

/* Parse buf as JSON; errors read "`what`: invalid JSON: <jansson's text> at line L column C". */
json_t *store_json_parse(const char *buf, size_t len, const char *what, struct cb_error **err);

/* Append s as a JSON string the way Go's encoding/json writes it (<, >, & escaped). */
void json_put_string(struct cb_strbuf *sb, const char *s);

/* Call fn for every string in v (recursively) that is a valid sha256 digest. */
void json_each_digest(json_t *v, void (*fn)(void *ctx, const struct cb_digest *d), void *ctx);

/* ------------------------------------------------------------------------ */
/* Images (images.c)                                                         */
/* ------------------------------------------------------------------------ */

/*
 * This machine as image platforms name it: Go's GOARCH for uname's machine
 * (the machine itself when unknown, "unknown" when uname fails) and the
 * variant an index entry must match ("" for none; "v8" for arm64).
 */
#define STORE_ARCH_MAX 32
#define STORE_VARIANT_MAX 8
void store_host_platform(char arch[STORE_ARCH_MAX], char variant[STORE_VARIANT_MAX]);

/* ------------------------------------------------------------------------ */
/* Cache index (cache.c), used by gc.c and fsck.c                            */
/* ------------------------------------------------------------------------ */

#define MEDIA_CBUILD_CACHE_RECORD "application/vnd.cbuild.cache.record.v1+json"

struct cache_entry {
	struct cb_digest key;
	struct cb_digest record; /* the record blob */
	int64_t used;		 /* last use (mtime of cache/<key>), seconds */
};
/* Every entry of the index (unreadable entries are skipped); caller frees *out. */
int store_cache_list(struct layer_store *s, struct cache_entry **out, size_t *n,
		     struct cb_error **err);
int store_cache_remove(struct layer_store *s, const struct cb_digest *key, struct cb_error **err);
/* Recreate cache/ from the record blobs; *found gets how many. */
int store_cache_rebuild(struct layer_store *s, size_t *found, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Tags (refs.c)                                                             */
/* ------------------------------------------------------------------------ */

/* Every tag, read without the tags lock (tags.json is replaced atomically). */
int store_tags_read(struct layer_store *s, struct layer_store_tag **tags, size_t *n,
		    struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Blob sources (sources.c), used by gc.c                                    */
/* ------------------------------------------------------------------------ */

/* Remove the source records (sources/<hex>) of every digest not in kept. */
int store_sources_sweep(struct layer_store *s, const struct digest_set *kept,
			struct cb_error **err);

#endif
