/*
 * layerstore.h - the content-addressed store of images: blobs, snapshots
 * (extracted layers ready to be overlay lowerdirs), tags, the build cache
 * index, and the layer tar diff/apply that moves files between them.
 *
 * On-disk layout and crash/concurrency rules: docs/STORE.md.
 *
 * Calling sequence for a build step:
 *
 *	struct layer_store *s = layer_store_open(root, &err);
 *	// a base image's layers become snapshots
 *	layer_store_snapshot_prepare(s, parent_chain, &layer, &chain, &err);
 *	layer_store_snapshot_lowerdirs(s, &chain, &dirs, &err);
 *	// ... the runtime mounts dirs + an upperdir, the step writes ...
 *	struct layer_desc d;
 *	layer_store_diff(s, upper_fd, &opts, &d, &err);	// a new layer blob
 *	layer_store_close(s);
 *
 * Every object a handle creates or names with layer_store_lease_add() is
 * protected from prune until the handle is closed (or its process dies), so
 * builds, loads and prunes may run in parallel processes on one store.
 * A handle is not thread-safe; parallel stages in one process each open
 * their own handle (cheap) or serialise on one.
 */
#ifndef CB_LAYERSTORE_LAYERSTORE_H
#define CB_LAYERSTORE_LAYERSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "error.h"
#include "strbuf.h"

/* ------------------------------------------------------------------------ */
/* The store                                                                 */
/* ------------------------------------------------------------------------ */

struct layer_store;

/*
 * The root to use: `flag` (--root) if non-NULL, else $CBUILD_ROOT, else
 * /var/lib/cbuild for root, else $XDG_DATA_HOME/cbuild (~/.local/share/cbuild).
 * Caller frees.
 */
char *layer_store_default_root(const char *flag);

/*
 * Open (creating it with mode 0700 if needed) the store at root, take a
 * lease, and clean up what crashed processes left half-written (temp files
 * and unfinished snapshots whose owner is gone).
 *
 * The root must be owned by the caller (euid) and not group- or
 * world-writable, and the store's own directories and files must not be
 * symlinks (or anything but what the store makes there): otherwise the
 * open is refused, naming what is wrong, and nothing is written.
 */
struct layer_store *layer_store_open(const char *root, struct cb_error **err);
/*
 * The same for `cbuild fsck`: a directory or file of the store's layout
 * that is a symlink (or of the wrong type) is moved into quarantine/ (the
 * link itself, never its target), a new directory made in its place, and
 * layer_store_fsck reports each as a problem.  The root checks still refuse.
 */
struct layer_store *layer_store_open_repair(const char *root, struct cb_error **err);
void layer_store_close(struct layer_store *s);

/*
 * The root directory (borrowed for the handle's life) and an fd on it.
 * Paths built from the root string stay the store's because the root is
 * the caller's and 0700 (nobody else can swap anything inside); open
 * checked that at open time.
 */
const char *layer_store_root(const struct layer_store *s);
int layer_store_root_fd(const struct layer_store *s);

/* Protect digest (a blob) or a snapshot's chain ID from prune while s is open. */
int layer_store_lease_add(struct layer_store *s, const struct cb_digest *d, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Blobs: blobs/sha256/<hex>, read-only files                                */
/* ------------------------------------------------------------------------ */

struct blob_writer;

/* Start a blob: a temp file inside the store. */
struct blob_writer *layer_store_blob_create(struct layer_store *s, struct cb_error **err);
int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct cb_error **err);
/* Bytes written so far. */
int64_t blob_writer_size(const struct blob_writer *w);
/*
 * Finish: check the digest (against `expect` when non-NULL) and the size
 * (against `expect_size` when >= 0), fsync, rename into place (an existing
 * identical blob is fine), fsync the directory, and add it to the lease.
 * Frees w whatever happens; on a mismatch nothing enters the store.
 */
int blob_writer_commit(struct blob_writer *w, const struct cb_digest *expect, int64_t expect_size,
		       struct cb_digest *out, struct cb_error **err);
/* Discard an unfinished blob and free w.  NULL-safe. */
void blob_writer_abort(struct blob_writer *w);

/* Store a small blob (JSON) in one call. */
int layer_store_blob_put(struct layer_store *s, const void *buf, size_t len, struct cb_digest *out,
			 struct cb_error **err);
/* 1 when the blob exists (and *size set if non-NULL), 0 when not, -1 on error. */
int layer_store_blob_exists(struct layer_store *s, const struct cb_digest *d, int64_t *size,
			    struct cb_error **err);
/* An O_RDONLY|O_CLOEXEC fd on the blob (caller closes). */
int layer_store_blob_open(struct layer_store *s, const struct cb_digest *d, struct cb_error **err);
/* Read a whole blob of at most max bytes (caller frees *buf). */
int layer_store_blob_read(struct layer_store *s, const struct cb_digest *d, size_t max, char **buf,
			  size_t *len, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Layer tar: diff (directory -> OCI layer) and apply (layer -> directory)   */
/* ------------------------------------------------------------------------ */

enum layer_compression { LAYER_GZIP, LAYER_ZSTD, LAYER_UNCOMPRESSED };

/* "gzip", "zstd", "none" <-> enum; -1 / NULL for unknown. */
int layer_compression_parse(const char *name);
const char *layer_compression_name(enum layer_compression c);
/* The OCI media type of a layer with this compression. */
const char *layer_compression_media_type(enum layer_compression c);

/*
 * Where a layer's bytes go: the store's blob writer, a file, a pipe.
 * write() returns < 0 with *err set on failure.
 */
struct layer_sink {
	int (*write)(void *ctx, const void *buf, size_t len, struct cb_error **err);
	void *ctx;
};
/* The write of a layer_sink into an fd: ctx points at the int fd (not owned). */
int layer_sink_fd_write(void *ctx, const void *buf, size_t len, struct cb_error **err);

struct layer_diff_opts {
	enum layer_compression compression;
	int level;		   /* compression level; -1 = the compressor's default */
	int64_t source_date_epoch; /* clamp mtimes to this; -1 = keep them */
	bool overlay;		   /* the dir is an overlay upperdir: whiteouts are
				      0/0 char devices and the opaque xattr */
	int threads;		   /* zstd workers; 0 = one per core */
	bool no_hardlinks;	   /* the tree has no hardlinks among its own files (a
				      COPY's, whose files may be links into other
				      snapshots): every file is written whole and
				      no inode is remembered */
};
#define LAYER_DIFF_OPTS_INIT                                                                       \
	{                                                                                          \
		LAYER_GZIP, -1, -1, false, 0, false                                                \
	}

struct layer_desc {
	struct cb_digest digest;  /* of the compressed blob */
	struct cb_digest diff_id; /* of the uncompressed tar */
	int64_t size;		  /* of the compressed blob */
	enum layer_compression compression;
};

/*
 * Write the directory dirfd as an OCI layer tar to sink in one streaming
 * pass: entries in byte order, whiteouts as .wh.NAME / .wh..wh..opq, PAX for
 * long names and xattrs, no uname/gname/atime/ctime, hardlinks within the
 * layer.  Fills *out (digest, diff_id, size) as it goes.  Memory use does
 * not grow with the layer size.
 */
int layer_diff_write(int dirfd, const struct layer_diff_opts *o, const struct layer_sink *sink,
		     struct layer_desc *out, struct cb_error **err);

/* layer_diff_write() into a new blob of the store. */
int layer_store_diff(struct layer_store *s, int dirfd, const struct layer_diff_opts *o,
		     struct layer_desc *out, struct cb_error **err);

/* Bytes of a layer read so far, reported by the thread reading it. */
struct layer_progress_hook {
	void (*fn)(void *ctx, uint64_t done);
	void *ctx;
};

struct layer_apply_opts {
	uint64_t max_bytes;   /* total uncompressed size limit; 0 = default (64 GiB) */
	uint64_t max_entries; /* entry count limit; 0 = default (10 million) */
	bool devices;	      /* create device nodes even when not real root (euid 0 in
				 the initial user namespace, who always may) */
	bool overlay;	      /* whiteouts in overlay form (else: delete on apply) */
	bool any_compression; /* also bzip2 and xz, as Docker reads ADD's archives */
	struct layer_progress_hook progress; /* bytes of fd read (fn NULL: none) */
};
#define LAYER_APPLY_OPTS_INIT                                                                      \
	{                                                                                          \
		0, 0, false, true, false,                                                          \
		{                                                                                  \
			NULL, NULL                                                                 \
		}                                                                                  \
	}

/*
 * Extract the layer read from fd (gzip, zstd or plain tar, detected by
 * content) into rootfd, confined to it: names are cleaned, absolute names
 * and ".." never escape, symlinks resolve inside the root, hardlinks only
 * target files inside it.  Whiteouts become overlay whiteouts (opts->overlay)
 * or deletions.  *diff_id gets the uncompressed tar's digest.  On error
 * the root may hold part of the layer: callers extract into a fresh
 * directory and discard it on failure.
 */
int layer_apply(int rootfd, int fd, const struct layer_apply_opts *o, struct cb_digest *diff_id,
		struct cb_error **err);

/*
 * Does fd (from its current offset) hold a tar, plain or compressed with
 * gzip, zstd, bzip2 or xz?  1 when its first header is a valid tar header
 * (Docker's IsArchive: a tar reader's first Next() succeeds), 0 when not
 * (or the compression is not one of those), -1 on an I/O error.
 */
int layer_is_tar(int fd, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Snapshots: snapshots/<chain-id hex>/, extracted layers for overlay         */
/* ------------------------------------------------------------------------ */

/* ChainID(parent, diff_id) per the OCI image spec; parent NULL for the first layer. */
void layer_chain_id(const struct cb_digest *parent, const struct cb_digest *diff_id,
		    struct cb_digest *out);

/*
 * Make sure the snapshot of (parent chain, layer) exists, extracting the
 * layer blob if needed (into a marked temp dir, renamed into place when
 * complete; concurrent preparers of the same snapshot both succeed).
 * Checks that the extracted tar's digest equals `diff_id` when non-NULL.
 */
int layer_store_snapshot_prepare(struct layer_store *s, const struct cb_digest *parent_chain,
				 const struct cb_digest *layer_blob,
				 const struct cb_digest *diff_id, struct cb_digest *chain_out,
				 struct cb_error **err);

/*
 * A fresh scratch directory inside the store (tmp/<lease>.<n>.scratch,
 * mode 0700) for a step's overlay upper and work dirs or a tree being
 * built: on the store's filesystem, so a finished tree becomes a snapshot
 * by a rename.  What a dead process leaves there is removed by the next
 * open.  Returns its absolute path (caller frees).
 */
char *layer_store_scratch_create(struct layer_store *s, struct cb_error **err);
/* Remove a scratch directory (or anything below one) of s. */
int layer_store_scratch_remove(struct layer_store *s, const char *dir, struct cb_error **err);

/*
 * Make dir, a directory inside a scratch directory of s holding one
 * layer's files in overlay form (an overlay upperdir, or a copied tree),
 * the snapshot of (parent_chain, diff_id) without extracting anything: it
 * is renamed into place.  diff_id is the caller's (layer_store_diff() of
 * the same dir).  dir is gone afterwards, also when an identical snapshot
 * was there already.  On failure dir may be gone too.
 */
int layer_store_snapshot_commit(struct layer_store *s, const struct cb_digest *parent_chain,
				const char *dir, const struct cb_digest *diff_id,
				struct cb_digest *chain_out, struct cb_error **err);

/*
 * Commit a build step's finished tree dir (inside a scratch directory; an
 * overlay upperdir when opts->overlay) as the snapshot on top of
 * parent_chain, and its layer as a snapshot-backed blob (backed.c): the
 * uncompressed tar of the tree is hashed, not written.  *out gets
 * digest == diff_id, the tar's size and LAYER_UNCOMPRESSED; the blob reads
 * back (layer_store_blob_open) as that tar, made again from the snapshot
 * and checked.  opts->compression is ignored.
 */
int layer_store_layer_commit(struct layer_store *s, const struct cb_digest *parent_chain,
			     const char *dir, const struct layer_diff_opts *opts,
			     struct layer_desc *out, struct cb_digest *chain_out,
			     struct cb_error **err);

/*
 * The snapshot's directory (its own layer only, overlay whiteouts); caller
 * frees.  A path: what keeps it leading to the store's snapshot is the
 * root's owner and 0700 mode (docs/STORE.md); to read the tree, prefer
 * layer_store_snapshot_open.
 */
char *layer_store_snapshot_dir(struct layer_store *s, const struct cb_digest *chain);
/*
 * An O_RDONLY directory fd of the snapshot's tree, resolved inside the
 * store without following a symlink (a planted snapshots/<id> link is an
 * error naming fsck); the caller closes it.  -1 and *err when missing.
 */
int layer_store_snapshot_open(struct layer_store *s, const struct cb_digest *chain,
			      struct cb_error **err);

/*
 * Progress of a handle's long work on a layer: "extracting" (a blob into a
 * snapshot) and "compressing" (a snapshot-backed layer leaving the store).
 * fn gets the layer, the bytes done and the total: once with done 0, at
 * most every 100 ms while it runs, and once with done == total when it
 * finished.  It runs in whatever thread does the work (the handle's user,
 * or a worker of it).  Per handle; none by default.
 */
struct layer_store_progress {
	void (*fn)(void *ctx, const char *what, const struct cb_digest *layer, int64_t done,
		   int64_t total);
	void *ctx;
};
void layer_store_set_progress(struct layer_store *s, const struct layer_store_progress *p);

/*
 * Append the lowerdirs for the stack ending at chain, topmost first; the
 * stack ends at a layer whose root is opaque (a root `.wh..wh..opq`).
 */
int layer_store_snapshot_lowerdirs(struct layer_store *s, const struct cb_digest *chain,
				   struct cb_strvec *dirs, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Image model: OCI config (with Docker's extensions), manifest, index       */
/* ------------------------------------------------------------------------ */

#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define MEDIA_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct oci_platform {
	char *os, *architecture, *variant; /* NULL when absent */
};

struct oci_descriptor {
	char *media_type;
	struct cb_digest digest;
	int64_t size;
	struct oci_platform platform; /* index entries only */
	struct cb_strmap annotations;
};

struct oci_healthcheck {
	struct cb_strvec test; /* ["NONE"] / ["CMD", ...] / ["CMD-SHELL", cmd]; empty = unset */
	int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns;
	int retries;
};

struct oci_history {
	char *created; /* RFC 3339, NULL when absent */
	char *created_by;
	char *comment;
	bool empty_layer;
};

/* The image config (application/vnd.oci.image.config.v1+json plus Docker's fields). */
struct image_config {
	char *created; /* RFC 3339 */
	char *author;
	/*
	 * Docker's V1 image fields (`comment`, `docker_version`), NULL when
	 * absent: docker inspect shows them; BuildKit writes neither.
	 */
	char *comment;
	char *docker_version;
	struct oci_platform platform;
	/* config */
	char *user;
	struct cb_strvec exposed_ports; /* "80/tcp", sorted */
	struct cb_strvec env;		/* "K=V" in order */
	struct cb_strvec entrypoint;
	bool has_entrypoint; /* distinguishes unset from [] */
	struct cb_strvec cmd;
	bool has_cmd;
	struct cb_strvec volumes; /* sorted */
	char *working_dir;
	struct cb_strmap labels;
	char *stop_signal;
	struct oci_healthcheck healthcheck; /* Docker extension */
	struct cb_strvec onbuild;	    /* Docker extension: trigger expressions */
	struct cb_strvec shell;		    /* Docker extension: SHELL */
	bool args_escaped;		    /* Docker extension, Windows only; kept */
	/* rootfs and history */
	struct cb_strvec diff_ids; /* "sha256:..." */
	struct oci_history *history;
	size_t nhistory;
};

struct image_manifest {
	char *media_type; /* OCI or Docker schema2 */
	struct oci_descriptor config;
	struct oci_descriptor *layers;
	size_t nlayers;
	struct cb_strmap annotations;
};

struct image_index {
	char *media_type; /* OCI index or Docker manifest list */
	struct oci_descriptor *manifests;
	size_t nmanifests;
	struct cb_strmap annotations;
};

/* Parse JSON (OCI or Docker schema2 forms); unknown fields are ignored. */
int image_config_parse(const char *json, size_t len, struct image_config *c, struct cb_error **err);
int image_manifest_parse(const char *json, size_t len, struct image_manifest *m,
			 struct cb_error **err);
int image_index_parse(const char *json, size_t len, struct image_index *ix, struct cb_error **err);

/* Canonical JSON (fields in a fixed order, no insignificant space); caller frees. */
char *image_config_to_json(const struct image_config *c);
char *image_manifest_to_json(const struct image_manifest *m);
char *image_index_to_json(const struct image_index *ix);

void image_config_release(struct image_config *c);
void image_manifest_release(struct image_manifest *m);
void image_index_release(struct image_index *ix);
void oci_descriptor_release(struct oci_descriptor *d);

/*
 * The form of a layer that leaves the store compressed (an OCI export, a
 * push): for a snapshot-backed layer its gzip blob, made once and
 * remembered (a cache record), so every export gives the same digest; any
 * other layer as it is.  *out is the caller's (oci_descriptor_release).
 */
int layer_store_layer_gzip(struct layer_store *s, const struct oci_descriptor *in,
			   struct oci_descriptor *out, struct cb_error **err);

/*
 * A manifest in the form that leaves the store: each layer of m replaced
 * by layer_store_layer_gzip's descriptor.  When any layer changed, the
 * manifest m now is (image_manifest_to_json) is stored too and 1 is
 * returned with its digest and size in *digest and *size; 0 when nothing
 * changed (m, *digest and *size untouched).
 */
int layer_store_manifest_gzip(struct layer_store *s, struct image_manifest *m,
			      struct cb_digest *digest, int64_t *size, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Images in the store                                                       */
/* ------------------------------------------------------------------------ */

struct store_image {
	struct cb_digest manifest_digest;
	struct image_manifest manifest;
	struct image_config config;
};

/*
 * This machine as image platforms name it: Go's GOARCH for uname's machine
 * ("amd64", "arm64") and its variant ("" for none, "v8" for arm64).
 */
#define LAYER_ARCH_MAX 32
#define LAYER_VARIANT_MAX 8
void layer_store_host_platform(char arch[LAYER_ARCH_MAX], char variant[LAYER_VARIANT_MAX]);

/*
 * Resolve ref to an image of the store: a tag name (normalised by the
 * caller), a full manifest digest, or a unique prefix (>= 4 hex digits) of
 * an image ID (the config digest, as `cbuild images` shows).  An index is
 * resolved to its manifest for linux/<host arch>.
 */
int layer_store_image_get(struct layer_store *s, const char *ref, struct store_image *img,
			  struct cb_error **err);
void store_image_release(struct store_image *img);

/*
 * Store an image: config and manifest blobs (layers must be in the store
 * already), then tag it as name when name is non-NULL.
 */
int layer_store_image_put(struct layer_store *s, const struct image_config *config,
			  const struct layer_desc *layers, size_t nlayers, const char *name,
			  struct cb_digest *manifest_out, struct cb_error **err);

enum image_archive_format {
	IMAGE_ARCHIVE_OCI,
	IMAGE_ARCHIVE_DOCKER,
	/*
	 * OCI whose org.opencontainers.image.ref.name is the tag alone, as
	 * BuildKit's `-o type=oci` writes it (io.containerd.image.name keeps
	 * the full name)
	 */
	IMAGE_ARCHIVE_OCI_TAG,
};

/*
 * `cbuild save`: write the named images as an OCI archive (an OCI layout in
 * a tar, `org.opencontainers.image.ref.name` annotations) or a
 * docker-archive (manifest.json, repositories) to out_fd.
 */
int layer_store_save(struct layer_store *s, const char *const *names, size_t n,
		     enum image_archive_format f, int out_fd, struct cb_error **err);
/*
 * `cbuild load`: either format (also compressed as a whole), any layer
 * compression; every blob is verified and each image checked whole before
 * it is tagged.  The archive's names go through normalize first
 * ("busybox:latest" -> "docker.io/library/busybox:latest": the registry
 * module knows those rules and the store may not depend on it; NULL keeps
 * them as written).  Appends the tags set, and the manifest digest of each
 * unnamed image, to loaded.
 */
int layer_store_load(struct layer_store *s, int in_fd,
		     char *(*normalize)(const char *name, struct cb_error **err),
		     struct cb_strvec *loaded, struct cb_error **err);
/* `cbuild import`: one rootfs tarball becomes a single-layer base image tagged name. */
int layer_store_import(struct layer_store *s, int tar_fd, const char *name,
		       const struct layer_diff_opts *o, struct cb_digest *manifest_out,
		       struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Tags: name -> manifest (or index) digest                                  */
/* ------------------------------------------------------------------------ */

/*
 * Names are normalised image references ("docker.io/library/busybox:latest",
 * "cbuild.local/app:1"); the caller normalises.  Setting replaces.
 */
int layer_store_tag_set(struct layer_store *s, const char *name, const struct cb_digest *d,
			struct cb_error **err);
/* 1 and *d when the tag exists, 0 when not, -1 on error. */
int layer_store_tag_get(struct layer_store *s, const char *name, struct cb_digest *d,
			struct cb_error **err);
/* 1 when removed, 0 when it did not exist. */
int layer_store_tag_delete(struct layer_store *s, const char *name, struct cb_error **err);

struct layer_store_tag {
	char *name;
	struct cb_digest digest;
};
/* Every tag, sorted by name (free with layer_store_tags_free). */
int layer_store_tag_list(struct layer_store *s, struct layer_store_tag **tags, size_t *n,
			 struct cb_error **err);
void layer_store_tags_free(struct layer_store_tag *tags, size_t n);

/* ------------------------------------------------------------------------ */
/* Build cache index: key -> result, rebuildable from blobs                  */
/* ------------------------------------------------------------------------ */

/*
 * A cache record is a small JSON blob (media type
 * application/vnd.cbuild.cache.record.v1+json) naming its key and result;
 * cache/<key hex> points at it.  The index is an accelerator: cbuild fsck
 * --rebuild-cache recreates it by scanning blobs for records.
 */
int layer_store_cache_put(struct layer_store *s, const struct cb_digest *key,
			  const char *record_json, struct cb_error **err);
/* 1 and *record_json (caller frees) on a hit, 0 on a miss. */
int layer_store_cache_get(struct layer_store *s, const struct cb_digest *key, char **record_json,
			  struct cb_error **err);

/*
 * Accelerator files, aux/<name> (name: [a-z0-9.-], at most 80 bytes): data
 * a user of the store keeps to go faster (the builder's stat cache of a
 * build context).  Never trusted for content: readers check what they
 * use.  Read: 1 and *buf (caller frees), 0 when absent or unreadable.
 * Write: replaced atomically, not fsynced (a crash may leave the old file,
 * or an empty one, which readers reject like any other bad content).
 */
int layer_store_aux_read(struct layer_store *s, const char *name, size_t max, char **buf,
			 size_t *len, struct cb_error **err);
int layer_store_aux_write(struct layer_store *s, const char *name, const void *buf, size_t len,
			  struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Blob sources: the registry repositories a blob is known to be in (sources.c) */
/* ------------------------------------------------------------------------ */

/*
 * Like containerd's distribution source labels: for each blob, the
 * repositories ("host/path": "docker.io/library/busybox",
 * "127.0.0.1:5000/app") it was pulled from or pushed to, so that a push to
 * another repository of the same registry can mount it instead of
 * uploading it.  At most LAYER_STORE_SOURCES_MAX per blob (the oldest
 * go); records go with their blob at prune.  An accelerator: a lost
 * record only costs a mount.
 */
#define LAYER_STORE_SOURCES_MAX 16
#define LAYER_STORE_SOURCE_NAME_MAX 255

/*
 * True when name is "host/path": host of [A-Za-z0-9.:[]-], path of
 * components [a-z0-9][a-z0-9._-]* joined by single slashes, at most
 * LAYER_STORE_SOURCE_NAME_MAX bytes (no space, control, '%', '?', '&' or
 * '#': a name goes into a URL's query as it is).
 */
bool layer_store_source_name_valid(const char *name);
/*
 * Record name as the newest source of the blob d, which must be in the
 * store ("blob X is not in the store" otherwise; EINVAL for an invalid
 * name).  Safe against concurrent adds and prunes.
 */
int layer_store_blob_source_add(struct layer_store *s, const struct cb_digest *d, const char *name,
				struct cb_error **err);
/*
 * Append the recorded sources of d to out, newest first, each once (none
 * when there is no record).  Every name read is checked with
 * layer_store_source_name_valid: garbled lines are skipped.
 */
int layer_store_blob_sources(struct layer_store *s, const struct cb_digest *d,
			     struct cb_strvec *out, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Maintenance                                                               */
/* ------------------------------------------------------------------------ */

struct layer_store_usage {
	uint64_t blobs, blob_bytes;
	uint64_t snapshots, snapshot_bytes;
	uint64_t cache_records, cache_bytes; /* records and what only they keep alive */
	uint64_t images;		     /* tags */
};
int layer_store_usage(struct layer_store *s, struct layer_store_usage *u, struct cb_error **err);

struct layer_store_prune_opts {
	bool all;	       /* also drop the build cache, not only unreferenced objects */
	uint64_t keep_storage; /* with the cache: keep the newest cache up to this many bytes */
};
/* Mark from tags, cache records and live leases; sweep the rest.  Reports what went. */
int layer_store_prune(struct layer_store *s, const struct layer_store_prune_opts *o,
		      struct layer_store_usage *removed, struct cb_error **err);

/*
 * Verify every blob against its name (and every snapshot's completeness);
 * bad blobs move to quarantine/.  Returns the number of problems (> 0 means
 * the store was not clean), or -1 with *err on an I/O error.
 */
int layer_store_fsck(struct layer_store *s, bool rebuild_cache, struct cb_strvec *report,
		     struct cb_error **err);

#endif
