/*
 * builder.h - the builder: a Dockerfile and a build context in, an image
 * out.  This module owns everything that touches the context directory,
 * and turns images of the store into processes in the sandbox (what
 * `cbuild run IMAGE` and RUN steps share).
 *
 * Calling sequence (today: the context and its ignore rules):
 *
 *	struct build_context ctx;
 *	if (build_context_open(&ctx, "path/to/ctx", NULL, &err) < 0) ...
 *	if (build_context_excluded(&ctx, "node_modules/x", &err) > 0) ...
 *	build_context_release(&ctx);
 *
 * and running an image (docs/RUNTIME.md, "Running images"):
 *
 *	struct layer_store *s = layer_store_open(root, &err);
 *	struct runtime *rt = runtime_new(NULL, &err);
 *	struct runtime_spec tmpl;
 *	runtime_spec_init(&tmpl);		// limits, network, mounts, security
 *	struct build_image_overrides o = {.cmd = argv, .ncmd = argc};
 *	if (build_image_run(s, rt, "busybox", &o, &tmpl, &res, &err) < 0) ...
 *	... res.exit_code ...
 *	runtime_result_release(&res);
 *	layer_store_close(s);		// only now may prune take the snapshots
 */
#ifndef CB_BUILDER_BUILDER_H
#define CB_BUILDER_BUILDER_H

#include <stdbool.h>
#include <stdio.h>

#include "dockerfile.h"
#include "error.h"
#include "layerstore.h"
#include "runtime.h"
#include "strbuf.h"

/* Ignore files larger than this are refused (they are pattern lists). */
#define BUILD_MAX_IGNORE_FILE (16u << 20)

struct build_context {
	char *dir;	   /* the context directory */
	char *dockerfile;  /* the Dockerfile's path */
	char *ignore_file; /* the ignore file in use, NULL when none */
	struct cb_strvec ignore_patterns;
	struct ignore_matcher *ignore; /* NULL when there are no patterns */
};

/*
 * Open the build context `dir` for the Dockerfile at `dockerfile` (NULL
 * means <dir>/Dockerfile).  The ignore rules come from
 * <dockerfile>.dockerignore when that file exists next to the Dockerfile,
 * else from <dir>/.dockerignore, else there are none.  On failure (an
 * unreadable ignore file, a bad pattern) *err names the file.
 */
int build_context_open(struct build_context *ctx, const char *dir, const char *dockerfile,
		       struct cb_error **err);
void build_context_release(struct build_context *ctx);

/*
 * Is relpath (slash-separated, relative to the context) left out of the
 * build?  1 or 0; -1 with *err (naming the ignore file) when the match used
 * a pattern Go's regexp cannot compile, which fails the build in BuildKit.
 */
int build_context_excluded(const struct build_context *ctx, const char *relpath,
			   struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Running an image (imagerun.c)                                             */
/* ------------------------------------------------------------------------ */

/*
 * IMAGE as users type it: a name ("busybox" is
 * docker.io/library/busybox:latest), name@digest of an image held under
 * another name, a manifest digest, or a unique prefix of an image ID.
 * *tag_out (when non-NULL) gets the normalised tag when IMAGE named one,
 * else NULL; caller frees.  Fails with "image `busybox` not found in the
 * store" when nothing matches.  Release *img with store_image_release().
 */
int build_image_resolve(struct layer_store *s, const char *ref, struct store_image *img,
			char **tag_out, struct cb_error **err);

/*
 * Make every layer of img a snapshot (extracting the missing ones, each
 * checked against its diff ID) and append their directories, topmost
 * first, to *lowerdirs.  The chain IDs go into s's lease, so a concurrent
 * prune leaves them alone until s is closed.  When cancel_fd (-1: none) is
 * readable before a layer, fails with code ECANCELED (as runtime_spec's
 * cancel_fd, it is never read).  *lowerdirs may hold part of the stack on
 * failure (the caller clears it).
 */
int build_image_rootfs(struct layer_store *s, const struct store_image *img, int cancel_fd,
		       struct cb_strvec *lowerdirs, struct cb_error **err);

/* What `docker run` options change of an image's process; NULL / 0 keeps the image's. */
struct build_image_overrides {
	const char *const *cmd; /* the arguments after IMAGE; ncmd 0 = the config's Cmd */
	size_t ncmd;
	/*
	 * --entrypoint: NULL keeps the config's Entrypoint; otherwise it
	 * replaces it ("" = none) and, as in Docker, the config's Cmd is
	 * dropped too.
	 */
	const char *entrypoint;
	/*
	 * -e in order: "K=V" sets K; a bare "K" removes K from the image's
	 * environment (docker's CLI turns `-e K` into "K=<value>" when K is set
	 * in its own environment, and passes "K" when it is not: cli/ does the
	 * same).
	 */
	const char *const *env;
	size_t nenv;
	const char *workdir; /* -w: NULL or "" = the config's WorkingDir, else "/" */
	const char *user;    /* --user: NULL = the config's User (root when empty) */
};

/* An image's process: what goes into a struct runtime_spec.  All owned. */
struct build_image_process {
	struct cb_strvec argv; /* Entrypoint + Cmd */
	struct cb_strvec env;  /* "K=V", Docker's order (see build_image_env) */
	char *cwd;	       /* absolute */
	char *user;	       /* NULL: root */
	char *hostname;
};

/*
 * Docker's container environment: PATH (Docker's default unless set) and
 * HOSTNAME first, then `overrides` (later entries of a key win, a bare "K"
 * removes K), then the entries of `image` whose key the overrides do not
 * name.  image and overrides may be NULL when their count is 0.  Appends
 * to *out.
 */
void build_image_env(const char *const *image, size_t nimage, const char *const *overrides,
		     size_t noverrides, const char *hostname, struct cb_strvec *out);

/*
 * The process of config c under overrides o, as `docker run` makes it:
 * argv = Entrypoint + (the given CMD, else the config's Cmd), env by
 * build_image_env(), cwd = -w or WorkingDir or "/", user = --user or User.
 * hostname NULL gets a Docker-like one (12 random hex digits).  Fails with
 * "no command specified" when argv would be empty, and on a relative
 * working directory.  On success release *p with build_image_process_release().
 */
int build_image_process(const struct image_config *c, const struct build_image_overrides *o,
			const char *hostname, struct build_image_process *p, struct cb_error **err);
void build_image_process_release(struct build_image_process *p);

/*
 * `docker run` from the store: resolve ref, prepare its snapshots, build its
 * process, and run it in the sandbox tmpl describes (limits, network,
 * mounts, security options, stdio, cancel_fd, hostname: everything but the
 * root filesystem and the process, which build_image_run fills).  Writes go to a
 * throwaway upper layer that goes with the sandbox.  s stays open (its lease
 * holds the snapshots) until the sandbox is gone: a prune running meanwhile
 * cannot take them.  Returns 0 when the process ran, whatever its status
 * (*res as runtime_run() fills it; release it with
 * runtime_result_release()); -1 when it could not: an unknown image, no
 * command, a layer that does not match its diff ID, a sandbox that could
 * not be set up, or tmpl->cancel_fd readable while the layers were
 * prepared (code ECANCELED).
 */
int build_image_run(struct layer_store *s, struct runtime *rt, const char *ref,
		    const struct build_image_overrides *o, const struct runtime_spec *tmpl,
		    struct runtime_result *res, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Building (build.c and the steps)                                          */
/* ------------------------------------------------------------------------ */

/* --pull: when a FROM image is fetched from its registry (from-pull.c). */
enum build_pull {
	BUILD_PULL_MISSING = 0, /* only when the store lacks it (docker's default) */
	BUILD_PULL_ALWAYS,	/* resolve the tag every build; blobs held are not fetched */
	BUILD_PULL_NEVER,	/* the store's or an error */
};

struct registry_pull_opts;

enum build_progress_mode {
	BUILD_PROGRESS_AUTO = 0, /* tty when the progress stream is a terminal, else plain */
	BUILD_PROGRESS_PLAIN,	 /* every line of every step, prefixed by its step */
	BUILD_PROGRESS_TTY,
	BUILD_PROGRESS_QUIET, /* nothing but errors */
};

/* What `docker build` flags ask of one build.  Borrowed for build_run()'s duration. */
struct build_options {
	const char *context_dir; /* the build context directory */
	/* the Dockerfile: its path (NULL = <context_dir>/Dockerfile) ... */
	const char *dockerfile;
	/* ... or its text (`-f -`), with dockerfile naming it for the ignore file */
	const char *dockerfile_text;
	size_t dockerfile_len;
	const char *const *tags; /* normalised names; the first gets the manifest */
	size_t ntags;
	const char *const *build_args; /* "K=V"; a bare "K" means K unset */
	size_t nbuild_args;
	const char *const *labels; /* "K=V", added to the final image's labels */
	size_t nlabels;
	const char *target; /* NULL: the last stage */
	bool no_cache;
	const char *const *no_cache_filter; /* stage names whose steps are never cached */
	size_t nno_cache_filter;
	enum runtime_network network; /* RUN steps without --network */
	struct runtime_limits limits;
	enum runtime_seccomp seccomp;
	const char *seccomp_profile;
	bool no_new_privileges;
	int64_t source_date_epoch; /* -1: none (the environment's is read by the caller) */
	FILE *progress;		   /* NULL: stderr */
	enum build_progress_mode progress_mode;
	int cancel_fd;	    /* readable: stop the running steps and fail (ECANCELED); -1 none */
	int jobs;	    /* stages run at once; 0 = one per CPU */
	bool explain_cache; /* say why each step missed the cache (always in plain progress) */
	/* FROM images from registries (from-pull.c) */
	enum build_pull pull;
	/*
	 * NULL, or the command line's registry options (TLS, mirrors,
	 * credentials, ...): copied for each pull, its platform and report
	 * replaced by the build's own.
	 */
	const struct registry_pull_opts *pull_opts;
};

void build_options_init(struct build_options *o);

struct build_result {
	struct cb_digest manifest; /* in the store, tagged with every tag */
	struct cb_digest config;   /* the image ID */
	struct cb_strvec warnings; /* e.g. build args nothing used */
};

/*
 * Build the Dockerfile's target stage in the store: the stages it needs
 * (only those), every instruction as BuildKit runs it, RUN in the
 * sandbox, layers cached by content.  On success *res is filled (release
 * with build_result_release()).  A failing step fails with
 * "Dockerfile:LINE: ..." and the step's last output lines in the message;
 * nothing half-made is left in the store.  FROM images come from the store
 * or their registry as o->pull says (registry_pull with o->pull_opts).
 */
int build_run(struct layer_store *s, struct runtime *rt, const struct build_options *o,
	      struct build_result *res, struct cb_error **err);
void build_result_release(struct build_result *res);

/*
 * Write the image's merged root filesystem into the directory dest_fd
 * (`-o type=local`), whiteouts applied.
 */
int build_export_rootfs(struct layer_store *s, const struct cb_digest *manifest, int dest_fd,
			struct cb_error **err);

#endif
