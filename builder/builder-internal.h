/*
 * builder-internal.h - shared inside builder/ only: the merged view of a
 * snapshot stack, the state of a build and of its stages, and the steps.
 */
#ifndef CB_BUILDER_INTERNAL_H
#define CB_BUILDER_INTERNAL_H

#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>

#include "builder.h"

/* ------------------------------------------------------------------------ */
/* A stack of snapshot directories as overlayfs shows it (stackfs.c)         */
/* ------------------------------------------------------------------------ */

struct stackfs {
	int *fds; /* layer roots, top first */
	size_t n;
	bool plain; /* one ordinary tree (the build context): no whiteouts */
};

/*
 * What the view keeps of an entry's stat: the fields a copy and its cache
 * key use, under struct stat's names (half its size: a COPY plans one per
 * context entry).
 */
struct stackfs_stat {
	mode_t st_mode;
	uid_t st_uid;
	gid_t st_gid;
	off_t st_size;
	dev_t st_dev;
	ino_t st_ino;
	struct timespec st_mtim;
	struct timespec st_ctim;
};

static inline void stackfs_stat_from(struct stackfs_stat *out, const struct stat *st)
{
	out->st_mode = st->st_mode;
	out->st_uid = st->st_uid;
	out->st_gid = st->st_gid;
	out->st_size = st->st_size;
	out->st_dev = st->st_dev;
	out->st_ino = st->st_ino;
	out->st_mtim = st->st_mtim;
	out->st_ctim = st->st_ctim;
}

/* One entry of the merged view. */
struct stackfs_entry {
	char *path;		/* canonical absolute path: no symlinks, no . or .. */
	struct stackfs_stat st; /* of the topmost layer's entry */
	int layer;		/* index of that layer */
	size_t *dirs;		/* directories: the layers merged into it, top first */
	size_t ndirs;
};

/*
 * A directory of the view read for a walk: its merged listing, and the
 * directory open in each of its layers, so that its children are looked
 * up relative to it instead of by a path walked from the root each time.
 */
struct stackfs_dir {
	int *fds;	/* the directory in layer dirs[k] of its entry, or -1 once closed */
	size_t *layers; /* those layer indexes */
	size_t nfds;
	char *names; /* the listing, NUL-terminated names one after the other */
	size_t *off; /* name i is names + off[i]; sorted (strcmp) */
	size_t n;
};

/* dirs: the lowerdirs, top first (an empty stack is an empty root). */
int stackfs_open(struct stackfs *fs, const char *const *dirs, size_t n, struct cb_error **err);
void stackfs_release(struct stackfs *fs);
/*
 * Look path up (absolute, or relative to the root), resolving symlinks in
 * the merged view and inside its root (`..` and absolute targets never
 * leave it); the last component is followed when follow is set.  1 and
 * *out (release it) when it exists, 0 when not, -1 on an I/O error or a
 * symlink loop.
 */
int stackfs_lookup(const struct stackfs *fs, const char *path, bool follow,
		   struct stackfs_entry *out, struct cb_error **err);
void stackfs_entry_release(struct stackfs_entry *e);
/* The child `name` of directory entry dir, not following a symlink: 1, 0 absent, -1. */
int stackfs_child(const struct stackfs *fs, const struct stackfs_entry *dir, const char *name,
		  struct stackfs_entry *out, struct cb_error **err);
/* Open an entry (O_NOFOLLOW | O_CLOEXEC added); caller closes. */
int stackfs_open_entry(const struct stackfs *fs, const struct stackfs_entry *e, int flags,
		       struct cb_error **err);
char *stackfs_entry_readlink(const struct stackfs *fs, const struct stackfs_entry *e,
			     struct cb_error **err);
/* A regular file's content: 1 and *buf (caller frees), 0 when absent or not a file. */
int stackfs_read_file(const struct stackfs *fs, const char *path, size_t max, char **buf,
		      size_t *len, struct cb_error **err);
/* The names in directory entry dir (merged, whiteouts applied), sorted. */
int stackfs_list(const struct stackfs *fs, const struct stackfs_entry *dir, struct cb_strvec *names,
		 struct cb_error **err);
/*
 * Open directory entry dir for a walk: *d holds its listing (as
 * stackfs_list) and the directory open in its layers; release it.
 */
int stackfs_dir_open(const struct stackfs *fs, const struct stackfs_entry *dir,
		     struct stackfs_dir *d, struct cb_error **err);
static inline const char *stackfs_dir_name(const struct stackfs_dir *d, size_t i)
{
	return d->names + d->off[i];
}
/*
 * Child i of an open directory, not following a symlink: 1 and *out with
 * out->path NULL (the walker knows where it is; release *out), 0 when it
 * went away (or is whited out), -1 on an I/O error.
 */
int stackfs_dir_child(const struct stackfs *fs, const struct stackfs_dir *d, size_t i,
		      struct stackfs_entry *out, struct cb_error **err);
/* Close the directory's fds (the listing stays): before descending, to bound open fds. */
void stackfs_dir_close(struct stackfs_dir *d);
void stackfs_dir_release(struct stackfs_dir *d);

/* ------------------------------------------------------------------------ */
/* Context file digests remembered by stat (statcache.c)                     */
/* ------------------------------------------------------------------------ */

struct stat_cache;
/* Never fails: a missing or bad cache file is an empty cache. */
struct stat_cache *stat_cache_load(struct layer_store *s, const char *context_dir);
/* true and *out when path was hashed with exactly this stat. */
bool stat_cache_get(struct stat_cache *c, const char *path, const struct stackfs_stat *st,
		    struct cb_digest *out);
void stat_cache_set(struct stat_cache *c, const char *path, const struct stackfs_stat *st,
		    const struct cb_digest *digest);
/* path was remembered with another size: its content is not the remembered one. */
bool stat_cache_resized(struct stat_cache *c, const char *path, const struct stackfs_stat *st);
/* Nothing remembered (a context not built before). */
bool stat_cache_empty(const struct stat_cache *c);
/* Write it back when it changed (best effort). */
void stat_cache_save(struct stat_cache *c, struct layer_store *s);
void stat_cache_free(struct stat_cache *c);

/* ------------------------------------------------------------------------ */
/* A build                                                                   */
/* ------------------------------------------------------------------------ */

enum stage_status { STAGE_PENDING, STAGE_RUNNING, STAGE_DONE, STAGE_FAILED };

/*
 * mountfacts.c: what a stack of snapshots holds at the sandbox's mount
 * points, kept per stage and brought up to date a layer at a time.
 */
enum { MF_ETC, MF_PROC, MF_DEV, MF_SYS, MF_HOSTS, MF_RESOLV, MF_HOSTNAME, MOUNT_FACTS };
extern const char *const mount_fact_paths[MOUNT_FACTS];
enum mount_fact_kind { MF_MISSING, MF_DIR, MF_FILE, MF_ODD /* a symlink: ask stackfs */ };
struct mount_fact {
	enum mount_fact_kind kind;
	bool foreign_xattrs; /* MF_ETC: extended attributes besides overlayfs's */
	struct stat st;	     /* MF_DIR, MF_FILE: the topmost entry's (lstat) */
};
struct mount_facts {
	bool known;
	struct mount_fact f[MOUNT_FACTS];
};
/* Of the stack lowers (top first, every layer read). */
int mount_facts_of(const struct cb_strvec *lowers, struct mount_facts *out, struct cb_error **err);
/* Of dir (a layer, overlay whiteouts) on top of the stack below describes; out may be below. */
int mount_facts_over(const struct mount_facts *below, const char *dir, struct mount_facts *out,
		     struct cb_error **err);

struct stage {
	size_t index;
	struct layer_store *s; /* this stage's own handle (handles are not thread-safe) */
	struct build *b;       /* for the store's progress reports (build_store_progress) */
	unsigned step;	       /* the progress step of FROM, which the store's work reports to */
	/*
	 * A store scratch directory the stage's RUN steps share, made at the
	 * first: the overlay workdir stays (removing a directory frees its
	 * block, and on a filesystem mounted with discard that waits for the
	 * disk), each step's upperdir is upper.N in it.  NULL before.
	 */
	char *run_scratch;
	unsigned run_seq;
	/* the mount points the layers lack, made in run_scratch (stubs.c); NULL none yet */
	char *stubs_dir, *stubs_shape;
	/*
	 * The lowerdirs of the snapshot stack ending at lowers_chain (when
	 * lowers_known), kept so that a step does not walk the whole chain
	 * again: a committed layer puts its snapshot on top (layer.c).
	 */
	struct cb_strvec lowers;
	struct cb_digest lowers_chain;
	bool lowers_known;
	/* the mount facts of the stack ending at facts_chain (none: the empty stack) */
	struct mount_facts facts;
	struct cb_digest facts_chain;
	bool facts_has_chain;
	size_t *deps; /* stages it needs (FROM, COPY --from), indexes */
	size_t ndeps;
	char *name;  /* `AS name`, NULL if none */
	bool needed; /* the target depends on it */
	enum stage_status status;
	struct image_config config;
	struct layer_desc *layers; /* the image's layers, base first */
	size_t nlayers;
	struct cb_digest chain; /* snapshot of the top layer */
	bool has_chain;
	struct cb_digest key;	    /* cache key of the state so far */
	struct cb_strvec env;	    /* the step environment: ENV and ARG values, "K=V",
				       ordered by last assignment (BuildKit's llb.EnvList) */
	struct cb_strvec args;	    /* ARGs declared in the stage: "K=V", or "K" when unset */
	bool cmd_set;		    /* CMD seen in this stage (ENTRYPOINT keeps it then) */
	struct cb_strvec used_args; /* build args a step of the stage referenced */
	char *base_name;	    /* FROM as resolved (for ONBUILD and errors) */
	bool from_stage;	    /* FROM another stage */
	bool no_cache;		    /* --no-cache, or named by --no-cache-filter */
	size_t nbase_history;	    /* history entries of the base image (kept as they are) */
};

struct build {
	const struct build_options *o;
	struct layer_store *s;
	struct runtime *rt;
	struct dockerfile *df;
	struct build_context ctx;
	struct stage *stages;
	size_t nstages;
	size_t target;
	struct cb_strvec meta_args;  /* global ARGs with their values: "K=V" or "K" */
	struct cb_strvec build_args; /* --build-arg K=V, resolved */
	struct cb_strvec consumed;   /* build args some ARG declared */
	char *os, *arch, *variant;   /* the platform built for */
	char *created;		     /* RFC 3339: the image's and the history's times */
	int64_t epoch;		     /* SOURCE_DATE_EPOCH, -1 none */
	unsigned step;		     /* progress numbering */
	FILE *out;		     /* progress stream, NULL = quiet */
	struct tty_view *tty;	     /* the redrawn display (progress.c), NULL in plain mode */
	pthread_mutex_t mu;	     /* guards what stage threads share: below, consumed,
					step, and the progress stream */
	pthread_cond_t cv;	     /* a stage finished */
	bool failed;		     /* a stage failed: the others stop */
	struct cb_error *first_err;
	unsigned running;
	struct stat_cache *stats; /* the context's, loaded on first use (under mu) */
	struct explain *explain;  /* the steps' key inputs, for --explain-cache (under mu) */
	unsigned workers;	  /* stage threads still running */
	int cancel_efd;		  /* eventfd: readable = stop every step (the steps'
				     cancel fd: a failed stage or the user's cancel) */
	int done_efd;		  /* eventfd: the last stage thread has ended */
	bool plain;
	bool out_terminal; /* out is a terminal: a step's output is escaped in plain mode too */
	struct timespec t0;
	/* FROM images pulled by this build (from-pull.c; under mu) */
	struct cb_strvec pulled;  /* "NAME\tMANIFEST-DIGEST": each name pulled once a build */
	struct cb_strvec pulling; /* names a stage is pulling now */
	pthread_cond_t pull_cv;	  /* a pull ended */
	/*
	 * The network namespaces every stage's RUN steps share (issue 11;
	 * network.c): [0] private, [1] none, made by build_run()'s thread when
	 * a step first needs one (under mu); NULL made: rootless (a namespace
	 * per step).
	 */
	struct runtime_net *nets[2];
	struct cb_error *net_err[2]; /* why one could not be made: every step's error */
	bool net_made[2], net_wanted[2];
	int net_efd;		    /* eventfd: a step wants a network made */
	pthread_cond_t net_cv;	    /* a network was made */
	pthread_t main_thread;	    /* build_run()'s */
	struct cb_strvec net_notes; /* runtime_net_limit()s, for the build's warnings */
};

/*
 * network.c: the build's namespace of mode for a step (*out NULL for host,
 * or rootless: the step makes its own), made on first use by build_run()'s
 * thread; a stage thread waits for it.
 */
int build_network(struct build *b, enum runtime_network mode, struct runtime_net **out,
		  struct cb_error **err);
/* In build_run()'s thread, when net_efd is readable: make what steps wait for. */
void build_networks_serve(struct build *b);
/* After the stage threads: stop pasta, free the namespaces. */
void build_networks_release(struct build *b);

/* step-run.c: the network a RUN step runs with (its --network, else the build's). */
enum runtime_network build_step_network(const struct build *b, const struct df_run *r);

/*
 * stubs.c: the mount points a RUN step's sandbox needs that lowers (the
 * stage's snapshots, top first) lack, in the stage's stubs directory for
 * the runtime to stack on top (runtime_spec.mount_points_ready).  1 and
 * *dir (NULL when nothing is missing; the stage's, valid until the next
 * call) when that is done; 0 when a path is out of the ordinary (a
 * symlink on the way, extended attributes, an extra mount outside /dev)
 * and the runtime must find and make them itself; -1 on an error.
 */
struct runtime_mount;
/* The stage's mount facts (st->facts) for lowers, its current stack: kept, or read whole. */
int build_stage_facts(struct stage *st, const struct cb_strvec *lowers, struct cb_error **err);
int build_stubs_prepare(struct stage *st, const struct cb_strvec *lowers,
			const struct runtime_mount *mounts, size_t nmounts, const char **dir,
			struct cb_error **err);

/* Prefix the set *err with "Dockerfile:LINE" and record the line.  Returns -1. */
static inline int build_line_error(int line, struct cb_error **err)
{
	cb_error_wrap(err, "Dockerfile:%d", line);
	(*err)->line = line;
	return -1;
}

/* build.c */
#define BUILD_NPROXY 5
extern const char *const build_proxy_args[BUILD_NPROXY][2];
/* Is "K" or "K=V" one of the proxy build args (either spelling)? */
bool build_is_proxy_arg(const char *kv);
const char *build_arg_value(const struct build *b, const char *key, bool *given);
void build_mark_consumed(struct build *b, const char *key);
void build_platform_args(const struct build *b, struct cb_strvec *out);
char *build_expand_meta(struct build *b, const char *word, int line, struct cb_error **err);
long build_find_stage(const struct build *b, const char *ref, size_t before);
bool build_cancelled(const struct build *b);

/* dispatch.c: one instruction of a stage, and FROM */
int build_stage_from(struct build *b, struct stage *st, struct cb_error **err);
int build_dispatch(struct build *b, struct stage *st, const struct df_instruction *in,
		   struct cb_error **err);
/* The step environment (ENV and ARG values, BuildKit's order), appended to env. */
void build_stage_env(const struct stage *st, struct cb_strvec *env);
/* CMD/ENTRYPOINT/RUN argv: exec form as is, shell form through SHELL. */
void build_with_shell(const struct stage *st, const struct df_cmdline *c, struct cb_strvec *out);
/* Append a history entry to the stage's config. */
void build_history_add(struct build *b, struct stage *st, const char *created_by, bool empty);

/*
 * env.c: "K=V" lists.  An env_index maps keys to index + 1 in a strvec
 * (0: absent), so merging n entries takes linear time.
 */
size_t build_env_key_len(const char *e); /* the bytes before '=' */
/* The index of key (n bytes) among the "K=V" entries of v, or -1 (a linear search). */
long build_env_find(const struct cb_strvec *v, const char *key, size_t n);
struct env_index {
	const struct cb_strvec *v;
	size_t *slot;
	size_t mask;
};
/* An empty index over v, for at most max keys. */
void env_index_init(struct env_index *x, const struct cb_strvec *v, size_t max);
void env_index_release(struct env_index *x);
/* The slot of e's key: holding its index + 1, or 0 where it would go. */
size_t *env_index_find(const struct env_index *x, const char *e);
/* Set or replace e's key in v (in place, so first-seen order stays). */
void env_index_set(struct env_index *x, struct cb_strvec *v, const char *e);
/* llb.EnvList.AddOrReplace of each of add[] in turn ("K" is "K="), in linear time. */
void build_env_add_all(struct cb_strvec *v, char *const *add, size_t n);

/*
 * from-pull.c: FROM's image as the build's --pull asks (the store's,
 * pulled when missing, or resolved against its registry every build),
 * into *img (release it).  Two stages wanting the same name share one
 * pull.  Errors name the image; the caller prefixes "Dockerfile:LINE".
 */
int build_from_resolve(struct build *b, struct stage *st, const char *ref, struct store_image *img,
		       struct cb_error **err);
void build_pulls_release(struct build *b);

/* step-run.c */
int build_step_run(struct build *b, struct stage *st, const struct df_instruction *in,
		   struct cb_error **err);
/* step-copy.c: COPY and ADD */
int build_step_copy(struct build *b, struct stage *st, const struct df_instruction *in,
		    struct cb_error **err);
/* step-add-url.c: ADD <http(s) url>, a one-file source for step-copy.c */
struct url_source {
	struct layer_store *s; /* the stage's */
	char *url;
	char *name;		 /* the file's name (never holding '/', never "." or "..") */
	char *scratch;		 /* the download's store scratch directory, NULL before */
	struct stackfs fs;	 /* that directory as a one-layer stack, once downloaded */
	struct stat st;		 /* the file: 0600, 0:0, mtime from Last-Modified (else 0) */
	struct cb_digest digest; /* the content's, or the one it must have (expected) */
	bool expected;		 /* digest known before the download (--checksum, a 304) */
	bool fetched;		 /* the file is in fs, st and digest are its own */
	bool archive;		 /* ADD --unpack=true and the file is a tar */
};
/* BuildKit's isHTTPSource: "http://" or "https://". */
bool url_source_is_url(const char *src);
/* ADD --checksum: expanded, one source, an http(s) one, a valid digest. */
int url_source_check(struct build *b, struct stage *st, const struct df_instruction *in,
		     const struct cb_strvec *srcs, struct cb_error **err);
/*
 * A URL source planned: its name, and the digest of its content: from
 * --checksum, from a 304 to the remembered ETag, or downloaded now (into
 * a store scratch dir).  NULL on failure (HTTP, a bad status, a checksum
 * mismatch); the step prefixes "Dockerfile:LINE".
 */
struct url_source *url_source_new(struct build *b, struct stage *st,
				  const struct df_instruction *in, const char *url,
				  struct cb_error **err);
/* Download it if only its digest is known (and check that digest). */
int url_source_fetch(struct build *b, struct url_source *u, struct cb_error **err);
/* Remove the download; NULL-safe. */
void url_source_free(struct url_source *u);

/* step-copy.c: WORKDIR's directory */
int build_step_mkdir(struct build *b, struct stage *st, const char *dir, struct cb_error **err);

/* reuse.c: a COPY's unchanged files hard-linked from its previous snapshot */
struct copy_reuse;
/* aux/<name> of this COPY instruction (out: at least 80 bytes); b->ctx.dir must be set. */
void copy_reuse_name(const struct build *b, const struct stage *st, const struct df_instruction *in,
		     char *out, size_t len);
/* The previous result of the instruction, leased; NULL when there is none usable. */
struct copy_reuse *copy_reuse_open(struct layer_store *s, const char *name);
/*
 * Link the file dst of the previous snapshot as dfd/name when the record
 * gives it this digest and it has exactly this size, mode, owner and mtime:
 * 1 linked, 0 not (then copy it).  r may be NULL.
 */
/* Does the last result hold dst with this digest (so a link will likely do)? */
bool copy_reuse_has(const struct copy_reuse *r, const char *dst, const struct cb_digest *digest);
int copy_reuse_link(struct copy_reuse *r, const char *dst, const struct cb_digest *digest,
		    off_t size, mode_t mode, uid_t uid, gid_t gid, const struct timespec *mtime,
		    int dfd, const char *name);
void copy_reuse_close(struct copy_reuse *r);
/* A second handle on the same record for another thread (its own lookup cache); r may be NULL. */
struct copy_reuse *copy_reuse_dup(const struct copy_reuse *r);
/* What a COPY's new snapshot holds: files and their digests, in one buffer. */
struct copy_reuse_list {
	struct cb_strbuf buf;
	uint32_t *offs;
	size_t n, alloc;
};
void copy_reuse_list_add(struct copy_reuse_list *l, const char *dst,
			 const struct cb_digest *digest);
void copy_reuse_list_release(struct copy_reuse_list *l);
/* Append from's entries to into (after into's: a later write of a path wins) and empty from. */
void copy_reuse_list_merge(struct copy_reuse_list *into, struct copy_reuse_list *from);
/* Remember what the snapshot chain holds (the list is sorted here). */
void copy_reuse_save(struct layer_store *s, const char *name, const struct cb_digest *chain,
		     struct copy_reuse_list *l);

/* ------------------------------------------------------------------------ */
/* COPY and ADD, shared by step-copy.c, copy-plan.c, copy-source.c,          */
/* copy-key.c and copy-write.c                                               */
/* ------------------------------------------------------------------------ */

enum item_kind { ITEM_DIR, ITEM_FILE, ITEM_LINK, ITEM_DATA, ITEM_ARCHIVE };

/*
 * One thing the step makes.  A COPY of a big context plans one per entry,
 * so it stays small: the paths live in the plan's string arena (the source
 * path is usually the tail of the destination), the entry keeps no list of
 * layers and only stackfs's short stat.
 */
struct copy_item {
	enum item_kind kind;
	bool keep_existing;	    /* a directory that may exist already: keep its metadata */
	bool hashed;		    /* digest is the content's (known from the stat cache or
				       computed while the file was copied) */
	char *dst;		    /* absolute, canonical parent */
	const struct stackfs *src;  /* NULL for ITEM_DATA */
	struct stackfs_entry entry; /* the source entry */
	char *link;		    /* ITEM_LINK target */
	char *data;		    /* ITEM_DATA content (the item's own) */
	mode_t mode;		    /* final permission bits (after --chmod) */
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	struct cb_digest digest;
	struct url_source *url; /* ADD <url>: the download (step-add-url.c), owned */
};

/* Strings that live as long as the plan, in big chunks. */
struct str_arena {
	char **chunks;
	size_t n, alloc;
	size_t size0; /* of the first chunk, kept by arena_rewind */
	char *cur;
	size_t left;
};

struct key_stream;

struct copy_plan {
	struct copy_item *items; /* mmap'd, grown by mremap: never copied */
	size_t n, alloc;
	struct str_arena strings;
	/*
	 * Streaming the key (stream_key): items go into the key as soon as
	 * they are final and are dropped, so the plan stays a few items long.
	 */
	struct key_stream *ks; /* NULL: the plan keeps every item */
	size_t base;	       /* items already dropped (indexes count from the first) */
	size_t final;	       /* items before this index can no longer be dropped */
	struct cb_strvec dirs; /* the destinations of dropped directories (planned_dir) */
};

struct copy_op {
	struct build *b;
	struct stage *st;
	const struct df_instruction *in;
	bool is_add;
	struct stackfs dest; /* the stage's rootfs */
	struct stackfs ctx;  /* the context, or the --from rootfs */
	bool from_context;
	struct ignore_matcher *excl; /* --exclude */
	bool chown;
	uid_t uid;
	gid_t gid;
	const char *chmod;
	struct timespec now;
	struct copy_plan plan;
	struct cb_strvec copied_up; /* dirs recreated from the rootfs: "mtime-ns path" */
	bool link;		    /* --link: onto an empty tree, the key without the parent */
	int pfd;		    /* the tree directory of the last item written, and its path */
	char *pdir;
	struct copy_reuse *reuse;	   /* the previous result of this COPY (reuse.c), or NULL */
	struct copy_reuse_list reuse_list; /* what this one's snapshot will hold, for the next */
	bool remember;			   /* fill reuse_list */
};

/* step-copy.c: --chmod's octal or symbolic ("u+x,go-w", "a=rX") spec applied to mode. */
int copy_apply_chmod(const char *spec, mode_t mode, bool dir, mode_t *out, struct cb_error **err);

/* copy-plan.c: the items and their strings */
/* Forget every string (the first chunk is kept for the next ones). */
void copy_arena_rewind(struct str_arena *a);
/* A string of an item, in the arena (lives as long as the plan). */
char *copy_plan_str(struct copy_plan *p, const char *s);
/* The source path of an item: the tail of its destination when it is one. */
char *copy_plan_src_path(struct copy_plan *p, const struct copy_item *it, const char *path);
/* What an item owns (its copy_plan_str strings are the arena's). */
void copy_item_release(struct copy_item *it);
/*
 * A new item at dst.  lazy: a directory that goes again unless something
 * is planned after it, so it is not final yet.  NULL when streaming the
 * key failed.
 */
struct copy_item *copy_new_item(struct copy_op *op, enum item_kind kind, const char *dst, bool lazy,
				struct cb_error **err);
/* Items planned so far, dropped ones included. */
size_t copy_plan_count(const struct copy_op *op);
void copy_plan_release(struct copy_plan *p);
/* dir/name, the caller's. */
char *copy_join(const char *dir, const char *name);
/* Is a context path (relative, no leading '/') left out?  1 yes, 0 no, -1 error. */
int copy_excluded(struct copy_op *op, const char *abs, const char *rel_to_src,
		  struct cb_error **err);
/* The item's mode (--chmod), owner (--chown or the source's) and mtime from st. */
int copy_set_meta(struct copy_op *op, struct copy_item *it, const struct stackfs_stat *st,
		  struct cb_error **err);
/* Plan entry e (path e->path) at dst, the root of a source, recursing into directories. */
int copy_plan_root(struct copy_op *op, const struct stackfs_entry *e, const char *dst,
		   struct cb_error **err);

/* copy-source.c: the sources and the destination */
/*
 * The destination resolved in the stage's rootfs: symlinks on the way (and
 * at the end) followed inside it; *isdir when it is an existing directory.
 * *out is the caller's.
 */
int copy_resolve_dest(struct copy_op *op, const char *path, char **out, bool *isdir,
		      struct cb_error **err);
/* Plan every source of the step, and its heredocs, into dest_raw (relative to WORKDIR). */
int copy_plan_step(struct copy_op *op, const struct cb_strvec *srcs, const char *dest_raw,
		   struct cb_error **err);

/* copy-key.c: the cache key */
/* The context's stat cache, shared by the build's COPY steps. */
struct stat_cache *copy_context_stats(struct copy_op *op);
/*
 * Fill the digests the stat cache knows; true when the files it does not
 * know are most of the bytes to copy (then copy first, hashing on the way).
 */
bool copy_first(struct copy_op *op);
/* The step's key, from the plan. */
int copy_key(struct copy_op *op, const struct cb_strvec *head, struct cb_digest *key,
	     struct cb_error **err);
/* Streaming: the final items go into the key and out of the plan. */
int copy_plan_flush(struct copy_op *op, struct cb_error **err);
/*
 * The key without keeping a plan: 1 and *key; 0 when it gave up (the
 * caller plans, and copies first).
 */
int copy_stream_key(struct copy_op *op, const struct cb_strvec *srcs, const char *dest,
		    const struct cb_strvec *head, struct cb_digest *key, struct cb_error **err);
/* A step that missed: what its key was made from, for the next build's explanation. */
void copy_explain(struct copy_op *op, const struct cb_strvec *head, unsigned step);

/* copy-write.c: the tree */
/*
 * Open (creating as needed) the directory abs inside the tree at tfd,
 * never following a symlink; missing directories are recreated from the
 * stage's rootfs (copy-up) or made new (0755, --chown owner).
 */
int copy_tree_mkdir_p(struct copy_op *op, int tfd, const char *abs, struct cb_error **err);
/* Does the plan extract an archive (ADD of a tar)? */
bool copy_plan_has_archive(const struct copy_op *op);
/* Write the plan into a new directory at tree. */
int copy_write_tree(struct copy_op *op, const char *tree, struct cb_error **err);

/* layer.c: a finished tree (an upperdir or a copied tree) as the stage's next layer */
int build_commit_tree(struct build *b, struct stage *st, const char *dir, bool own_links,
		      const char *created_by, const struct cb_digest *key, struct cb_error **err);
/* A cache hit: the recorded layer (or none) as the stage's next layer; 1 hit, 0 miss. */
int build_cache_apply(struct build *b, struct stage *st, const struct cb_digest *key,
		      const char *created_by, struct cb_error **err);
/* The lowerdirs of the stage's current rootfs, top first. */
int build_stage_lowerdirs(const struct stage *st, struct cb_strvec *dirs, struct cb_error **err);
/* Keep dirs (just made by build_stage_lowerdirs) as the stage's stack for the next steps. */
void build_stage_lowerdirs_keep(struct stage *st, const struct cb_strvec *dirs);
/* key = sha256(parent key, parts...) */
void build_key(const struct cb_digest *parent, const struct cb_strvec *parts,
	       struct cb_digest *out);
/* The same, a part at a time: init, add each part, cb_sha256_final. */
void build_key_init(struct cb_sha256 *h, const struct cb_digest *parent);
void build_key_add(struct cb_sha256 *h, const char *part, size_t len);

/* explain.c: why a step missed the cache */
struct explain;
/*
 * The inputs of a step's key as explain.c keeps them: text parts, and
 * file parts (a COPY item: its destination and a hash of the rest of its
 * part of the key), encoded compactly.
 */
struct explain_parts {
	struct cb_strbuf enc;
	struct cb_strbuf last; /* the last file part's path */
};
#define EXPLAIN_PARTS_INIT                                                                         \
	{                                                                                          \
		CB_STRBUF_INIT, CB_STRBUF_INIT                                                     \
	}
void explain_parts_text(struct explain_parts *p, const char *text);
void explain_parts_file(struct explain_parts *p, const char *path, const void *what, size_t len);
void explain_parts_release(struct explain_parts *p);
/*
 * A step missed the cache: keep its key's inputs (parent NULL: none) for
 * the next build, and say what differs from the last build of this step
 * (plain progress or --explain-cache).
 */
void build_explain_miss_parts(struct build *b, const struct stage *st,
			      const struct df_instruction *in, unsigned step,
			      const struct cb_digest *parent, const struct explain_parts *parts);
/* The same with text parts. */
void build_explain_miss(struct build *b, const struct stage *st, const struct df_instruction *in,
			unsigned step, const struct cb_digest *parent,
			const struct cb_strvec *parts);
void build_explain_save(struct build *b);
void build_explain_free(struct build *b);

/* progress.c */
void build_progress_init(struct build *b);
void build_progress_finish(struct build *b, const struct build_result *res);
/* A line kept under a step on the tty display (plain mode prints its own). */
void build_progress_note(struct build *b, unsigned step, const char *text);
/* The last drawing of the tty display (steps still running shown as failed when !ok). */
void build_progress_end(struct build *b, bool ok);
unsigned build_progress_step(struct build *b, const struct stage *st, const char *what);
void build_progress_line(struct build *b, unsigned step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void build_progress_done(struct build *b, unsigned step, const struct timespec *start, bool cached);
/* A layer_store_progress fn for a stage's handle (ctx: the stage): lines under st->step. */
void build_store_progress(void *ctx, const char *what, const struct cb_digest *layer, int64_t done,
			  int64_t total);
/* A sink for a step's output: a pipe whose lines become progress lines. */
struct build_output_pump;
struct build_output_pump *build_pump_start(struct build *b, unsigned step, struct cb_error **err);
/* The fd the step writes to (for stdout and stderr). */
int build_pump_fd(const struct build_output_pump *p);
/* Stop, and append the last lines of output to *tail. */
void build_pump_finish(struct build_output_pump *p, struct cb_strbuf *tail);

#endif
