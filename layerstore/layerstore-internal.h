/*
 * layerstore-internal.h - declarations shared inside layerstore/ only; never
 * included from another module.  The store core's internals (struct
 * layer_store, the store lock, leases, tmp names, digest sets, JSON
 * helpers) live in store-internal.h, included here; this file holds the
 * layer tar plumbing (compress*.c, tardiff.c, tarapply*.c, pathwalk.c,
 * snapshot.c, archive*.c):
 *
 *   diff:  tar_out (libarchive) -> layer_writer (sha256 of the tar,
 *          staging buffer) -> codec encoder -> sha256 + count of the blob
 *          -> layer_sink (a blob writer that leaves hashing to this pipeline)
 *   apply: fd -> layer_source (buffered, peekable) -> codec chosen by magic
 *          bytes -> decoder -> layer_reader (sha256 of the tar, limits)
 *          -> tar_in (libarchive's tar reader)
 *
 * libarchive is loaded on first use (archive-dl.c), not linked.
 *
 * A codec is a struct of function pointers, one per compression (gzip with
 * ISA-L or zlib, zstd, none), so callers never see a library's types.
 */
#ifndef CB_LAYERSTORE_INTERNAL_H
#define CB_LAYERSTORE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "layerstore.h"
#include "store-internal.h"

struct archive;
struct archive_entry;

/* ------------------------------------------------------------------------ */
/* Byte sources for decoders                                                 */
/* ------------------------------------------------------------------------ */

/*
 * A buffered reader over an fd (or any read function) that can peek at the
 * first bytes, so the codec can be chosen from the magic number before a
 * decoder consumes them.
 */
struct layer_source {
	/* Read up to len bytes; 0 at the end, < 0 with *err set on failure. */
	ssize_t (*read)(void *ctx, void *buf, size_t len, struct cb_error **err);
	void *ctx;
	unsigned char *buf;
	size_t cap, pos, len; /* unread bytes are buf[pos, len) */
	bool eof;
	uint64_t consumed; /* bytes read from the underlying source so far */
	int fd;		   /* for the fd reader */
};

/* An fd source with a buffer of cap bytes (0 = default).  Does not own fd. */
void layer_source_init_fd(struct layer_source *s, int fd, size_t cap);
void layer_source_release(struct layer_source *s);
/*
 * Refill when fewer than want bytes are buffered (moving the unread bytes to
 * the front), until want bytes are there or the source ends.  Returns the
 * number of buffered bytes (0 at the end).
 */
ssize_t layer_source_fill(struct layer_source *s, size_t want, struct cb_error **err);
/*
 * Read into buf, draining the buffer first and then reading the source
 * directly (no copy) for large requests.  0 at the end.
 */
ssize_t layer_source_read(struct layer_source *s, void *buf, size_t len, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Codecs                                                                    */
/* ------------------------------------------------------------------------ */

struct layer_encoder; /* a codec's compressor state */
struct layer_decoder; /* a codec's decompressor state */

struct layer_codec {
	enum layer_compression kind;
	const char *name;    /* "gzip", "zstd", "none" */
	const char *library; /* "isa-l", "zlib", "libzstd", "" (for messages and benchmarks) */
	/* --compression-level range and what -1 means (see docs/STORE.md). */
	int min_level, max_level, default_level;

	/*
	 * Compress to out; level is already within [min_level, max_level];
	 * threads 0 = one per core (codecs without threads ignore it).
	 */
	struct layer_encoder *(*encoder_new)(int level, int threads, const struct layer_sink *out,
					     struct cb_error **err);
	int (*encode)(struct layer_encoder *e, const void *buf, size_t len, struct cb_error **err);
	/* Flush everything and write the trailer. */
	int (*encoder_finish)(struct layer_encoder *e, struct cb_error **err);
	void (*encoder_free)(struct layer_encoder *e);

	/* Decompress what in delivers (borrowed until decoder_free). */
	struct layer_decoder *(*decoder_new)(struct layer_source *in, struct cb_error **err);
	/* Up to len decompressed bytes; 0 at the end of the stream. */
	ssize_t (*decode)(struct layer_decoder *d, void *buf, size_t len, struct cb_error **err);
	void (*decoder_free)(struct layer_decoder *d);
};

extern const struct layer_codec layer_codec_none;
extern const struct layer_codec layer_codec_gzip_zlib;
#ifdef CB_HAVE_ISAL
extern const struct layer_codec layer_codec_gzip_isal;
#endif
extern const struct layer_codec layer_codec_zstd;
/* Decode only, for ADD's archives (compress-legacy.c). */
extern const struct layer_codec layer_codec_xz;
extern const struct layer_codec layer_codec_bzip2;

/* The codec used to write layers of compression c (ISA-L for gzip when built with it). */
const struct layer_codec *layer_codec_for(enum layer_compression c);

/*
 * Choose the codec from the first bytes of s (gzip 1f 8b, zstd frame or
 * skippable frame, else plain tar).  xz and bzip2 are refused by name.
 */
const struct layer_codec *layer_codec_detect(struct layer_source *s, struct cb_error **err);
/* With any, bzip2 and xz are detected too (else they are errors). */
const struct layer_codec *layer_codec_detect_any(struct layer_source *s, bool any,
						 struct cb_error **err);

/* The codec's level for a --compression-level (-1 = default); error when out of range. */
int layer_codec_level(const struct layer_codec *c, int level, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* The pipelines (layerio.c)                                                 */
/* ------------------------------------------------------------------------ */

/* A ring of fixed buffers between a producer thread and a consumer thread. */
/*
 * Issue 11, finding 6: `import` refuses what `layer apply` would (the
 * snapshot of an imported image is made by apply, with its default limits).
 */
#define LAYER_IMPORT_MAX_BYTES (64ULL << 30)
#define LAYER_IMPORT_MAX_ENTRIES 10000000ULL

#define CHUNK_SLOTS 4
#define CHUNK_SIZE (1024 * 1024)
struct chunk_pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *buf[CHUNK_SLOTS];
	size_t len[CHUNK_SLOTS];
	unsigned prod, cons; /* next slot to fill / to drain */
	unsigned nfree, nfilled;
	bool closed; /* the producer is done */
	bool failed; /* either side gave up; err says why (if anyone said) */
	struct cb_error *err;
};

/* Writing a layer: tar bytes in, blob out (compression in a worker thread). */
struct layer_writer {
	const struct layer_codec *codec;
	struct layer_encoder *enc;
	struct cb_sha256 tar_sha, blob_sha; /* worker-owned until finish */
	uint64_t tar_size;
	int64_t blob_size;
	const struct layer_sink *user; /* where the blob goes (called by the worker) */
	struct layer_sink counted;     /* hashes and counts, then calls user */
	struct chunk_pipe pipe;
	unsigned char *cur; /* the buffer being filled by the caller */
	size_t cur_len;
	pthread_t thread;
	bool running, hashing;
};

int layer_writer_init(struct layer_writer *w, const struct layer_diff_opts *o,
		      const struct layer_sink *sink, struct cb_error **err);
int layer_writer_write(struct layer_writer *w, const void *buf, size_t len, struct cb_error **err);
/* Flush, finish the codec and fill out (digest, diff_id, size, compression). */
int layer_writer_finish(struct layer_writer *w, struct layer_desc *out, struct cb_error **err);
/* Stop the worker and free everything (safe after finish, after a failure, twice). */
void layer_writer_release(struct layer_writer *w);

/* Reading a layer: compressed bytes in, tar out (decompression in a worker thread). */
struct layer_reader {
	struct layer_source src;
	const struct layer_codec *codec;
	struct layer_decoder *dec;
	struct cb_sha256 sha; /* of the tar; worker-owned until the end */
	uint64_t total;	      /* tar bytes decoded */
	uint64_t limit;	      /* refuse more tar bytes than this (0 = none) */
	struct chunk_pipe pipe;
	pthread_t thread;
	bool running, hashing, piped;
	bool holding; /* the caller holds a chunk (released on its next call) */
	struct layer_progress_hook progress; /* called by the worker: bytes of fd read */
};

/* Detect the compression of fd and start decoding; limit as in layer_apply_opts. */
int layer_reader_open(struct layer_reader *r, int fd, uint64_t limit, struct cb_error **err);
/* The same, also reading bzip2 and xz when any is set (ADD's archives). */
int layer_reader_open_any(struct layer_reader *r, int fd, uint64_t limit, bool any,
			  const struct layer_progress_hook *progress, struct cb_error **err);
/* The next chunk of tar (*p borrowed until the next call); 0 at the end. */
ssize_t layer_reader_next(struct layer_reader *r, const void **p, struct cb_error **err);
/* Read to the end (so the digest covers the whole tar) and give the diff ID. */
int layer_reader_finish(struct layer_reader *r, struct cb_digest *diff_id, struct cb_error **err);
void layer_reader_release(struct layer_reader *r);

/* ------------------------------------------------------------------------ */
/* Confined paths under a root (pathwalk.c)                                  */
/* ------------------------------------------------------------------------ */

/*
 * Clean a tar entry name: strip "./" prefixes and repeated or trailing '/';
 * refuse absolute names, ".." components, and names of PATH_MAX bytes or
 * more.  "." (the root itself) becomes "".  Caller frees *out.
 */
int layer_clean_name(const char *name, char **out, struct cb_error **err);

/*
 * Resolve the directory `dir` (a cleaned name, "" for the root) under rootfd
 * and return an O_PATH fd on it.  Symlinks met on the way resolve inside the
 * root (absolute targets from the root); a relative target that climbs above
 * the root is refused, as are more than 40 links.  Missing components are
 * created (mode 0755) when create is true.
 */
int layer_resolve_dir(int rootfd, const char *dir, bool create, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Tars (tardiff.c, tarapply.c) and archives (archive-*.c)                   */
/* ------------------------------------------------------------------------ */

/*
 * Load libarchive (archive-dl.c) unless loaded: cbuild is not linked with it,
 * and tar_in_open/tar_out_open call this before they create libarchive
 * objects.  Thread-safe; the outcome is decided once per process.  Fails
 * with "load `libarchive.so.13`: <why>".
 */
int layer_libarchive_load(struct cb_error **err);

/*
 * A deterministic PAX-restricted tar written to a sink (tardiff.c): layers,
 * and the archives of save and import.
 */
struct tar_out {
	const struct layer_sink *sink;
	const char *kind; /* "tar", "layer tar": failures say "start the <kind>" */
	struct archive *a;
	struct archive_entry *e; /* the entry the caller fills before tar_out_header */
	struct cb_error *err;	 /* set inside libarchive's write callback */
	bool discard;		 /* released unfinished: write nothing more (no padding) */
};
int tar_out_open(struct tar_out *t, const struct layer_sink *sink, const char *kind,
		 struct cb_error **err);
/* Write t->e; failures name its path. */
int tar_out_header(struct tar_out *t, struct cb_error **err);
int tar_out_data(struct tar_out *t, const void *buf, size_t len, struct cb_error **err);
int tar_out_close(struct tar_out *t, struct cb_error **err);
/*
 * Frees t.  A tar not closed is abandoned, not finished: libarchive would pad
 * the open entry with zeros up to its declared size (a hostile tarball's
 * 1 TiB) and write the end blocks, to a sink whose output is thrown away.
 */
void tar_out_release(struct tar_out *t);

/*
 * A tar read by libarchive from a layer_reader (gzip, zstd or plain bytes
 * from an fd), as apply, load and import read theirs (tarapply.c).  A zeroed
 * tar_in may be released.
 */
struct tar_in {
	struct layer_reader r;
	struct archive *a;
	struct cb_error *err; /* set inside libarchive's read callback */
	/*
	 * tar_in_fail passes an error of the layer reader on as it is (apply's
	 * messages); else it is wrapped in `what` like libarchive's own.
	 */
	bool bare_reader_errors;
	bool any_compression;		     /* bzip2 and xz too (ADD's archives) */
	struct layer_progress_hook progress; /* bytes of the fd read (layer_reader) */
};
/*
 * Detect fd's compression and start reading the tar; limit as in
 * layer_reader_open; binary_names: names are bytes (no charset conversion).
 * Fails as tar_in_fail(t, what) when libarchive cannot start.
 */
int tar_in_open(struct tar_in *t, int fd, uint64_t limit, bool binary_names, const char *what,
		struct cb_error **err);
/* libarchive's failure, "what: <its message>", or the reader's that caused it, as *err. */
int tar_in_fail(struct tar_in *t, const char *what, struct cb_error **err);
void tar_in_release(struct tar_in *t);

/*
 * A layer's tar: entries written with tar_out (lt->out) go through a
 * layer_writer (diff ID, compression, blob digest and size) to sink, as
 * diff and import write theirs (tardiff.c).  Release after a failure too.
 */
struct layer_tar {
	struct layer_writer w;
	struct layer_sink wsink; /* into w */
	struct tar_out out;
};
int layer_tar_open(struct layer_tar *lt, const struct layer_diff_opts *o,
		   const struct layer_sink *sink, const char *kind, struct cb_error **err);
/* End the tar and finish the layer: *out describes the blob sink received. */
int layer_tar_finish(struct layer_tar *lt, struct layer_desc *out, struct cb_error **err);
void layer_tar_release(struct layer_tar *lt);

/* "docker.io/library/busybox:latest" -> "busybox:latest", as docker-archive writes; caller frees.
 */
char *archive_familiar_name(const char *name);

/* ------------------------------------------------------------------------ */
/* Layer apply state (tarapply.c, tarapply-meta.c)                           */
/* ------------------------------------------------------------------------ */

struct strset; /* a set of strings (tarapply-meta.c) */

struct applier_dir {
	char *path; /* cleaned name */
	mode_t mode;
	struct timespec atime_mtime[2];
};

struct applier {
	int rootfd;
	struct layer_apply_opts o; /* limits filled in */
	bool real_root;		   /* euid 0 in the initial user namespace */
	bool devices;		   /* may create device nodes */
	bool fresh;		   /* the root was empty: our new nodes need no chown */
	uid_t euid;
	gid_t egid;
	mode_t umask;
	const char *opaque_xattr; /* trusted.overlay.opaque or user.overlay.opaque */
	struct tar_in in;
	struct archive_entry *entry; /* the current entry (libarchive's) */
	uint64_t entries, bytes;
	char *cache_dir; /* the parent directory resolved last, and its fd */
	int cache_fd;
	int retired_fd;		  /* a cached fd dropped while the current entry uses it */
	struct applier_dir *dirs; /* directory metadata applied at the end */
	size_t ndirs, adirs;
	struct strset *created;	  /* names created by this layer (delete mode only) */
	struct depth_map *depths; /* directories' depths below the root (tarapply-depth.c) */
};

/*
 * tarapply-depth.c: an entry more than LAYER_DEPTH_MAX directories below
 * the root, counted on the tree (a layer's symlinks can make it far deeper
 * than its names), is refused.  dirfd is the entry's parent, `dir` its name.
 */
#define LAYER_DEPTH_MAX 2048
int applier_check_depth(struct applier *ap, int dirfd, const char *dir, struct cb_error **err);
/*
 * Forget the counted depths: apply removed directories, whose inode
 * numbers the file system may give to new ones anywhere.
 */
void applier_depths_forget(struct applier *ap);
void applier_depths_free(struct applier *ap);

void applier_init(struct applier *ap, int rootfd, const struct layer_apply_opts *o);
void applier_release(struct applier *ap);
void applier_uncache(struct applier *ap);
/* The mode to create a node with: perm when the umask keeps it, else 0600 (chmod later). */
mode_t applier_create_mode(const struct applier *ap, mode_t perm);
/* Remember that this layer created name (for opaque directories in delete mode). */
int applier_record(struct applier *ap, const char *name, struct cb_error **err);
/* Mark dirfd (the directory `dir`) opaque in overlay form. */
int applier_set_opaque(struct applier *ap, int dirfd, const char *dir, struct cb_error **err);
/* Delete mode: remove what dirfd holds that this layer did not create. */
int applier_clear_dir(struct applier *ap, int dirfd, const char *dir, struct cb_error **err);
int applier_set_owner_fd(struct applier *ap, int fd, const char *name, struct cb_error **err);
int applier_set_owner_at(struct applier *ap, int dirfd, const char *base, const char *name,
			 struct cb_error **err);
int applier_set_xattrs(struct applier *ap, int fd, const char *name, struct cb_error **err);
/* On base under dirfd with flags, or on the fd dirfd itself when base is NULL. */
int applier_set_times(struct applier *ap, int dirfd, const char *base, int flags, const char *name,
		      struct cb_error **err);
/* Queue the directory's mode and mtime for applier_finish_dirs. */
int applier_dir_later(struct applier *ap, int dirfd, const char *base, const char *name,
		      struct cb_error **err);
int applier_finish_dirs(struct applier *ap, struct cb_error **err);

#endif
