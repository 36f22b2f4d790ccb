/*
 * runtime.h - run one build step (or `cbuild run`) in an isolated sandbox:
 * new mount, pid, uts, ipc and cgroup namespaces (a net namespace unless
 * network "host", a user namespace when not root), pivot_root into an
 * overlay or a plain directory, fresh /proc /dev /sys, cgroup limits (v1 or
 * v2, chosen at run time), Docker's default capabilities and seccomp
 * profile.  docs/RUNTIME.md describes the design.
 *
 * Calling sequence:
 *
 *	struct runtime *rt = runtime_new(NULL, &err);	// once per process or build
 *	struct runtime_spec spec;
 *	runtime_spec_init(&spec);			// Docker's defaults
 *	spec.lowerdirs = lowers; spec.nlowerdirs = n;	// top layer first
 *	spec.upperdir = up; spec.workdir = work;
 *	spec.argv = argv; spec.env = env; spec.cwd = "/src";
 *	spec.limits.memory = 256 << 20;
 *	struct runtime_result res;
 *	if (runtime_run(rt, &spec, &res, &err) < 0)	// the sandbox could not start
 *		return cb_error_wrap(&err, "RUN %s", line);
 *	if (res.exit_code != 0) ... res.message ...
 *	runtime_result_release(&res);
 *	runtime_free(rt);
 *
 * Ownership: a spec only borrows its strings and arrays, for the duration of
 * runtime_run(); nothing in it is kept.  A struct runtime is read-only after
 * runtime_new() (but for an atomic counter), so several threads may call
 * runtime_run() on it at once (parallel stages).  runtime_run() blocks
 * until the step has ended and everything it created (mounts, cgroups,
 * processes) is gone, but for a private network's pasta, killed and left
 * to a detached thread to reap.  It must be called from a thread that lives until it
 * returns (the sandbox dies with that thread: PR_SET_PDEATHSIG).  The
 * sandbox's processes are created with no exit signal, so a SIGCHLD handler
 * or waitpid(-1) elsewhere in the program never reaps them.
 */
#ifndef CB_RUNTIME_H
#define CB_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct runtime;

enum runtime_cgroup_driver {
	RUNTIME_CGROUP_AUTO = 0, /* v1 when v1 controllers are mounted (hybrid), else v2 */
	RUNTIME_CGROUP_V1,
	RUNTIME_CGROUP_V2,
	RUNTIME_CGROUP_NONE, /* no cgroups: limits are refused */
};

struct runtime_options {
	enum runtime_cgroup_driver cgroup_driver;
	/*
	 * v2 only: the mount point of the cgroup2 hierarchy to use instead of
	 * the one in /proc/self/mountinfo (tests use a private mount).
	 */
	const char *cgroup_root;
	/*
	 * Name of the parent cgroup of the steps ("cbuild" by default).  On v1
	 * it is created under the caller's own cgroup of each hierarchy; on v2
	 * under the root of the hierarchy (a v2 cgroup holding processes cannot
	 * give controllers to children).  It is left in place; each step's own
	 * cgroup below it is always removed.
	 */
	const char *cgroup_parent;
};

/*
 * Detect the cgroup layout and the host's capabilities.  opts may be NULL
 * (defaults).  Fails when the requested cgroup driver is unavailable.
 * Returns a new runtime, freed with runtime_free().
 */
struct runtime *runtime_new(const struct runtime_options *opts, struct cb_error **err);
void runtime_free(struct runtime *rt); /* NULL is a no-op */

/* "v1", "v2" or "none": the cgroup manager runtime_new() chose.  Static string. */
const char *runtime_cgroup_driver_name(const struct runtime *rt);

/*
 * True when cbuild runs rootless: not real root (an ordinary user, or root
 * in a user namespace), so a new user namespace maps it to root and
 * overlays read user.overlay.* xattrs (`userxattr`), as the layer store
 * writes them there.
 */
bool runtime_is_rootless(const struct runtime *rt);

enum runtime_network {
	RUNTIME_NETWORK_HOST = 0, /* share the host's network namespace (--network host) */
	RUNTIME_NETWORK_NONE,	  /* a new network namespace with only lo, up */
	/*
	 * The default (docker's bridge, BuildKit's "default"): a new network
	 * namespace with lo and one interface whose traffic pasta (Debian's
	 * passt) carries to the host's network as ordinary sockets, so
	 * outbound connections and DNS work while the host's loopback
	 * (127.0.0.1, the gateway address, abstract UNIX sockets) stays out
	 * of reach.  docs/RUNTIME.md, "Network".
	 */
	RUNTIME_NETWORK_PRIVATE,
};

/* ---- a network shared by several steps (net.c; issue 11) ---- */

struct runtime_net;

/*
 * A network namespace of mode (NONE or PRIVATE) for the steps of a build
 * to share (runtime_spec.net), set up once: lo up, and for PRIVATE a pasta
 * process attached to it, started now; the first runtime_run() that joins
 * it waits until pasta has configured the interface (~10 ms, overlapping
 * whatever the caller does meanwhile).  Where pasta cannot give outbound
 * access (runtime_net_limit() says why), PRIVATE stays lo only.
 *
 * NULL with *err set on failure (no pasta installed: the message says how
 * to get it); NULL without an error when steps cannot join a namespace
 * made here (rootless: a step's user namespace would not own it), so each
 * step makes its own, with its own pasta.  pasta dies with the thread
 * that called this (PR_SET_PDEATHSIG): call it from one that lives until
 * runtime_net_free().  Several threads may run steps on one at once.
 */
struct runtime_net *runtime_net_new(struct runtime *rt, enum runtime_network mode,
				    struct cb_error **err);
/* Stop pasta (SIGKILL; a detached thread reaps it), close the namespace; NULL: no-op. */
void runtime_net_free(struct runtime_net *net);
/*
 * Why a private network would have no outbound access here (no default
 * route; rootless without access to /dev/net/tun): a static string for a
 * warning, NULL when pasta can carry it.  Steps still run, lo only.
 */
const char *runtime_net_limit(const struct runtime *rt);

enum runtime_seccomp {
	RUNTIME_SECCOMP_DEFAULT = 0, /* Docker's default profile */
	RUNTIME_SECCOMP_PROFILE,     /* spec->seccomp_profile (Docker or OCI JSON) */
	RUNTIME_SECCOMP_UNCONFINED,  /* no filter */
};

enum runtime_mount_type {
	RUNTIME_MOUNT_BIND = 0, /* source: a host file or directory */
	RUNTIME_MOUNT_TMPFS,
};

/*
 * An extra mount (RUN --mount bind/cache/tmpfs/secret: the builder prepares
 * the source; a secret is a bind of a file it wrote).  A target that does
 * not exist is created, never in the step's upperdir (see docs/RUNTIME.md).
 */
struct runtime_mount {
	enum runtime_mount_type type;
	const char *source; /* host path, BIND only */
	const char *target; /* absolute path in the sandbox */
	bool readonly;
	uint64_t tmpfs_size; /* bytes, 0 = the kernel's default; TMPFS only */
	mode_t tmpfs_mode;   /* 0 = 01777; TMPFS only */
};

/* 0 means "no limit" for every field. */
struct runtime_limits {
	int64_t memory;	     /* bytes */
	int64_t memory_swap; /* memory + swap, bytes; -1 unlimited swap; 0 = Docker's 2 x memory */
	int64_t pids;	     /* processes and threads */
	int64_t cpu_quota;   /* microseconds of CPU per period */
	uint64_t cpu_period; /* microseconds; 0 = 100000 */
	uint64_t cpu_shares; /* Docker's relative weight (2..262144); v2 maps it to cpu.weight */
};

/* Docker's 14 default capabilities: CapEff 00000000a80425fb for uid 0. */
#define RUNTIME_DEFAULT_CAPS 0x00000000a80425fbULL

/* "CAP_SYS_ADMIN", "sys_admin" -> 21; -1 when unknown. */
int runtime_cap_from_name(const char *name);

/*
 * The mount points of every sandbox, in the order they are mounted: /proc,
 * /dev and /sys (directories), /etc/hosts, /etc/resolv.conf and
 * /etc/hostname (files).  Nothing is mounted below /proc, /dev or /sys
 * from elsewhere, so a path below them needs no mount point.
 */
struct runtime_mount_point {
	const char *path;
	bool dir;
};
#define RUNTIME_MOUNT_POINTS 6
extern const struct runtime_mount_point runtime_mount_points[RUNTIME_MOUNT_POINTS];

struct runtime_spec {
	/*
	 * The root filesystem: either rootfs (a plain directory, used in
	 * place) or an overlay of lowerdirs (top layer first) with upperdir
	 * and workdir.  With lowerdirs but no upperdir, writes go to a
	 * throwaway upper layer on tmpfs (`cbuild run --rm`).
	 */
	const char *rootfs;
	const char *const *lowerdirs;
	size_t nlowerdirs;
	const char *upperdir;
	const char *workdir;
	bool readonly_rootfs;
	/*
	 * The caller vouches that every mount point (runtime_mount_points,
	 * the extra mounts' targets) exists in the lowerdirs, symlinks
	 * aside, typically through a stubs directory of its own stacked on
	 * top (the builder makes one per stage): the overlay root is mounted
	 * once, without the probe and the stubs layer the runtime otherwise
	 * makes for every sandbox.  A mount point missing after all fails
	 * the sandbox's setup ("mount point `/x` is missing from the
	 * layers"); nothing is created in the upperdir.
	 */
	bool mount_points_ready;

	const char *const *argv; /* argv[0] is looked up in the step's PATH */
	const char *const *env;	 /* "KEY=VALUE", NULL-terminated; PATH and HOME get defaults */
	const char *cwd;	 /* absolute; NULL = "/" */
	/*
	 * Create cwd when missing (mkdir -p, mode 0755, owned by the sandbox's
	 * root, in the step's root: the upperdir, or the rootfs in place), as
	 * Docker does for -w and WorkingDir; `cbuild run` sets it.  Off: a
	 * missing cwd fails the step's setup ("chdir to `/x`: ...").
	 */
	bool create_cwd;
	/*
	 * "", NULL, "user", "uid", "user:group" or "uid:gid"; names are looked
	 * up in the rootfs's /etc/passwd and /etc/group, and the user's
	 * supplementary groups come from /etc/group.
	 */
	const char *user;
	const gid_t *extra_groups; /* added to the supplementary groups */
	size_t nextra_groups;
	/*
	 * List the primary gid among the supplementary groups too, as
	 * `docker run` does (id: groups=1000(user),29(audio)).  BuildKit's RUN
	 * steps leave it out, so the builder does not set it.  Ignored in
	 * rootless mode without subuid ranges, where groups cannot be set.
	 */
	bool groups_include_gid;
	const char *hostname; /* NULL = "cbuild" */
	/* /etc/hosts and /etc/resolv.conf read-only (BuildKit's RUN steps; docker run: no) */
	bool etc_readonly;
	enum runtime_network network;
	/*
	 * A namespace of the same mode to join instead of making one
	 * (runtime_net_new), so the steps of a build share one set up once;
	 * NULL = a new one for this step (PRIVATE: with a pasta of its own,
	 * stopped when the step ends).
	 */
	struct runtime_net *net;
	struct runtime_limits limits;
	const struct runtime_mount *mounts; /* at most 128 */
	size_t nmounts;

	uint64_t caps; /* bounding set, and effective set for uid 0; default RUNTIME_DEFAULT_CAPS */
	enum runtime_seccomp seccomp;
	const char *seccomp_profile; /* JSON text, for RUNTIME_SECCOMP_PROFILE */
	bool no_new_privileges;	     /* off by default, as in BuildKit, so sudo works */

	int stdio[3]; /* fds for the step's 0, 1, 2; -1 = cbuild's own */
	/*
	 * When this fd becomes readable the step is killed (through its
	 * cgroup) and res->cancelled is set.  The runtime never reads it: an
	 * eventfd written once, a pipe whose write end was closed, or a
	 * signalfd for SIGINT/SIGTERM all work, and one fd can cancel many
	 * parallel steps.  -1 = none.
	 */
	int cancel_fd;
};

/* Fill *spec with the defaults above (all pointers NULL, fds -1). */
void runtime_spec_init(struct runtime_spec *spec);

struct runtime_result {
	int exit_code;	   /* 0..255, or 128+N when killed by signal N (Docker's convention) */
	int signal;	   /* the signal that killed the step's process, 0 if it exited */
	bool oom_killed;   /* the memory limit was hit and the kernel killed a process */
	bool pids_limited; /* fork failed at least once because of the pids limit */
	bool cancelled;	   /* killed because cancel_fd became readable */
	bool exec_failed;  /* the command could not be executed (exit code 127 or 126) */
	/*
	 * Why the step failed, for the user; NULL when it exited 0.  E.g.
	 * "killed: out of memory (limit 256 MiB)".  Owned by the result.
	 */
	char *message;
};

/*
 * Run spec in a new sandbox and wait for it.  Returns 0 when the step ran,
 * whatever its exit status (filled into *res; a command that cannot be
 * executed is a step that failed with 127 or 126 and res->exec_failed).
 * Returns -1 when the sandbox could not be set up: a bad spec, a mount or
 * cgroup failure, an unknown user, a missing cwd (unless create_cwd) or
 * one that cannot be created.  On failure *res is untouched; on success
 * release it with runtime_result_release().
 */
int runtime_run(struct runtime *rt, const struct runtime_spec *spec, struct runtime_result *res,
		struct cb_error **err);
void runtime_result_release(struct runtime_result *res);

/* Resolved user: what runtime_resolve_user() returns. */
#define RUNTIME_MAX_GROUPS 64
struct runtime_ids {
	uid_t uid;
	gid_t gid;
	gid_t groups[RUNTIME_MAX_GROUPS]; /* supplementary groups */
	size_t ngroups;
	char home[256]; /* from /etc/passwd; "/" when unknown */
};

/*
 * Resolve user (as spec->user) against the /etc/passwd and /etc/group of
 * the directory tree at rootfs_dirfd (symlinks resolved inside it), e.g.
 * for COPY --chown.  Fails when a name is unknown or a file is malformed.
 */
int runtime_resolve_user(int rootfs_dirfd, const char *user, struct runtime_ids *ids,
			 struct cb_error **err);
/*
 * The same over the contents of /etc/passwd and /etc/group (either NULL
 * when the file is absent), for a root that is a stack of layers.
 */
int runtime_resolve_user_buf(const char *user, const char *passwd, const char *group,
			     struct runtime_ids *ids, struct cb_error **err);

#endif
