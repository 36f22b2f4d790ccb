/*
 * runtime-internal.h - shared inside runtime/ only.
 *
 * Who runs what (docs/RUNTIME.md has the picture):
 *   parent   cbuild: sandbox.c prepares a struct sandbox, creates the
 *            step's cgroups, clones the child, waits, cleans up.
 *   child    PID 1 of the sandbox, a copy of cbuild (init.c): joins the
 *            cgroups, mounts (mounts.c), hostname, lo, resolves the user,
 *            then execs cbuild-init (helper/cbinit.c) from a sealed memfd.
 *   init     cbuild-init as PID 1: forks the payload, reaps, forwards
 *            signals, reports the exit status.
 *   payload  PID 2: stdio, capabilities and seccomp (privs.c), user, cwd,
 *            exec.
 * The child is a copy of the parent made by clone(): it must not call
 * malloc, stdio or anything that takes a lock another thread of the parent
 * may have held.  Everything it needs is prepared by the parent in struct
 * sandbox.  All report failures over a SOCK_SEQPACKET socket with
 * fixed-size messages (initproto.h).
 */
#ifndef CB_RUNTIME_INTERNAL_H
#define CB_RUNTIME_INTERNAL_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "initproto.h"
#include "runtime.h"

#define RT_DEFAULT_HOSTNAME "cbuild"
#define RT_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define RT_DEFAULT_CGROUP_PARENT "cbuild"

/* Format a byte count as "256 MiB", "1 GiB", "1000 bytes" into buf. */
void rt_format_bytes(char *buf, size_t len, int64_t bytes);

/* ---- cgroups: cgroup.c (detection, helpers), cgroup-v1.c, cgroup-v2.c ---- */

enum {
	CG_MEMORY = 1 << 0,
	CG_PIDS = 1 << 1,
	CG_CPU = 1 << 2,
	CG_CPUACCT = 1 << 3,
	CG_FREEZER = 1 << 4,
	CG_DEVICES = 1 << 5, /* issue 11: Docker's device policy (devices.c) */
};
#define CG_MAX_HIER 8

/* A hierarchy the steps' cgroups go into (v1: one per mount; v2: one). */
struct cgroup_hier {
	unsigned controllers; /* CG_*: mounted here (v1) or available (v2) */
	char *base;	      /* absolute dir holding the steps: <mount>/<own>/<parent> */
	char *name;	      /* v1: the mount point's last part ("memory", "cpu,cpuacct") */
};

struct cgroup_manager {
	const struct cgroup_ops *ops;
	struct cgroup_hier hier[CG_MAX_HIER];
	size_t nhier;
	char *mount; /* v2: the hierarchy's mount point (controllers are enabled from here down) */
	/*
	 * Issue 11, Docker's device policy (devices.c), when the step's cgroup
	 * can enforce it (cbuild is real root): v1, the hierarchy with
	 * CG_DEVICES; v2, this BPF_PROG_TYPE_CGROUP_DEVICE program, loaded by
	 * cgroup_manager_detect() and attached to each step's cgroup.  -1:
	 * none (cgroup_devices_enforced() says whether the policy is on).
	 */
	int dev_prog_fd;
};

/*
 * True when every step's cgroup enforces Docker's device policy; false
 * (m NULL, rootless, no devices hierarchy, no BPF) means the sandbox must
 * mount its filesystems nodev instead (mounts.c).
 */
bool cgroup_devices_enforced(const struct cgroup_manager *m);

/* One step's cgroups.  paths[i] belongs to mgr->hier[i]; NULL when not created. */
struct cgroup_step {
	const struct cgroup_manager *mgr;
	char *paths[CG_MAX_HIER];
};

/*
 * How the init joins its cgroups without the parent writing its pid to
 * cgroup.procs, which takes the kernel's global threadgroup lock: an RCU
 * grace period, about 10 ms per step.  v1: the init writes "0" to each fd
 * (the step's "tasks" files), which moves just the calling thread and skips
 * that lock.  v2: clone3(CLONE_INTO_CGROUP) with clone_fd.
 */
struct cgroup_join {
	int fds[CG_MAX_HIER];
	size_t nfds;
	int clone_fd; /* -1: none */
	bool had_fds; /* the parent's note that the init joined through fds */
};

struct cgroup_events {
	uint64_t oom_kills; /* processes the OOM killer killed in the step */
	uint64_t pids_max;  /* forks refused by pids.max */
};

/* The manager interface, one implementation per cgroup version (as crun has). */
struct cgroup_ops {
	const char *name;
	/* mkdir the step's cgroup(s) and apply lim; on failure nothing is left */
	int (*create)(const struct cgroup_manager *m, const char *name,
		      const struct runtime_limits *lim, struct cgroup_step *cg,
		      struct cb_error **err);
	/* fill j (see struct cgroup_join); the caller closes its fds */
	int (*prepare_join)(const struct cgroup_step *cg, struct cgroup_join *j,
			    struct cb_error **err);
	/* the slow way, from the parent: when clone3 is unavailable */
	int (*attach)(const struct cgroup_step *cg, pid_t pid, struct cb_error **err);
	/* SIGKILL every process in the step */
	int (*kill)(const struct cgroup_step *cg, struct cb_error **err);
	int (*events)(const struct cgroup_step *cg, struct cgroup_events *ev,
		      struct cb_error **err);
	/* kill what is left, wait for it, rmdir, free paths; always frees */
	int (*destroy)(struct cgroup_step *cg, struct cb_error **err);
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* A file write that applies a limit (pure functions, unit-tested). */
struct cgroup_write {
	unsigned controller; /* CG_* whose hierarchy holds the file */
	const char *file;
	char value[48];
};
#define CG_MAX_WRITES 8
size_t cgroup_v1_writes(const struct runtime_limits *lim, bool have_memsw,
			struct cgroup_write out[CG_MAX_WRITES]);
size_t cgroup_v2_writes(const struct runtime_limits *lim, struct cgroup_write out[CG_MAX_WRITES]);
/* The controllers lim needs (CG_*). */
unsigned cgroup_needed_controllers(const struct runtime_limits *lim);

/*
 * Choose and set up a manager from the text of /proc/self/mountinfo and
 * /proc/self/cgroup.  *out = NULL means "no cgroups" (driver NONE, or AUTO
 * with nothing usable).
 */
int cgroup_manager_detect(const struct runtime_options *opts, const char *mountinfo,
			  const char *proc_cgroup, struct cgroup_manager **out,
			  struct cb_error **err);
void cgroup_manager_free(struct cgroup_manager *m);
/*
 * Remove the step cgroups ("<pid>-<n>") left by cbuild processes that no
 * longer exist (killed with SIGKILL, say).  Best effort.
 */
void cgroup_manager_reap_stale(const struct cgroup_manager *m);

/* Helpers shared by the backends (cgroup.c). */
int cg_write(const char *dir, const char *file, const char *value, struct cb_error **err);
int cg_read(const char *dir, const char *file, char *buf, size_t len, struct cb_error **err);
/* Value of "key N" in a flat-keyed file such as memory.events; 0 when absent. */
uint64_t cg_read_key(const char *dir, const char *file, const char *key);
int cg_mkdir_p(const char *path, struct cb_error **err);
/* rmdir path, retrying while the kernel still sees exiting tasks in it. */
int cg_rmdir(const char *path, struct cb_error **err);
/* SIGKILL every pid in <dir>/cgroup.procs until it reads empty (bounded wait). */
int cg_kill_procs(const char *dir, struct cb_error **err);
void cgroup_step_free_paths(struct cgroup_step *cg);

/* ---- devices: devices.c (issue 11: Docker's device cgroup policy) ---- */

struct bpf_insn;

#define DEV_ANY (-1) /* a wildcard major or minor ("*") */
#define DEV_MAX_RULES 32
#define DEV_BPF_MAX 512

/* One device cgroup rule, as in the OCI spec: "c 1:3 rwm" allowed. */
struct dev_rule {
	char type;	      /* 'a' (all), 'b' (block), 'c' (character) */
	int64_t major, minor; /* DEV_ANY = any */
	unsigned access;      /* BPF_DEVCG_ACC_READ | _WRITE | _MKNOD (linux/bpf.h) */
	bool allow;
};

/* moby's default rules followed by runc's AllowedDevices, in that order (static). */
extern const struct dev_rule dev_docker_rules[];
extern const size_t dev_docker_nrules;

/*
 * Reduce rules (starting with "deny a") with the kernel's v1 semantics to
 * the allow list it leaves: at most max rules into out, *nout of them.
 */
int dev_effective(const struct dev_rule *rules, size_t n, struct dev_rule *out, size_t max,
		  size_t *nout, struct cb_error **err);
/* "c 1:3 rwm", "b *:* m": the devices.allow / devices.list form. */
void dev_rule_format(const struct dev_rule *r, char *buf, size_t len);
/* v1: deny all, then allow Docker's list, in the cgroup directory dir. */
int dev_v1_apply(const char *dir, struct cb_error **err);
/*
 * The BPF_PROG_TYPE_CGROUP_DEVICE program allowing exactly the allow rules
 * (default deny), into out; its length, or 0 when max is too small.
 */
size_t dev_bpf_program(const struct dev_rule *allow, size_t n, struct bpf_insn *out, size_t max);
/* Load the program for Docker's list: an O_CLOEXEC fd, or -1. */
int dev_bpf_load(struct cb_error **err);
/* Attach it to a v2 cgroup (BPF_F_ALLOW_MULTI); path names it in messages. */
int dev_bpf_attach(int prog_fd, int cgroup_fd, const char *path, struct cb_error **err);

/* ---- seccomp: seccomp.c (compile, install), seccomp-default.c, seccomp-json.c ---- */

enum sc_action {
	SC_ALLOW = 0,
	SC_ERRNO,
	SC_KILL_THREAD,
	SC_KILL_PROCESS,
	SC_TRAP,
	SC_TRACE,
	SC_LOG,
};

/* Docker's architecture names, for includes/excludes "arches". */
enum {
	SC_ARCH_AMD64 = 1 << 0,
	SC_ARCH_X86 = 1 << 1,
	SC_ARCH_X32 = 1 << 2,
	SC_ARCH_ARM = 1 << 3,
	SC_ARCH_ARM64 = 1 << 4,
	SC_ARCH_PPC64LE = 1 << 5,
	SC_ARCH_S390 = 1 << 6,
	SC_ARCH_S390X = 1 << 7,
	SC_ARCH_RISCV64 = 1 << 8,
	SC_ARCH_OTHER = 1 << 15,
};

struct sc_arg {
	unsigned index; /* 0..5 */
	int op;		/* enum scmp_compare */
	uint64_t value, value2;
};

struct sc_rule {
	const char *const *names;
	size_t nnames;
	enum sc_action action;
	int errno_ret; /* SC_ERRNO; -1 = the profile's default errno */
	struct sc_arg args[6];
	size_t nargs;
	uint64_t caps_incl;   /* used only when all of these are granted */
	uint64_t caps_excl;   /* skipped when any of these is granted */
	unsigned arches_incl; /* SC_ARCH_*: used only on these; 0 = all */
	unsigned arches_excl;
	int min_kernel; /* major * 1000 + minor; 0 = any */
};

struct sc_profile {
	enum sc_action default_action;
	int default_errno;   /* for SC_ERRNO */
	uint32_t arches[16]; /* SCMP_ARCH_* to add besides the native one */
	size_t narches;
	const struct sc_rule *rules;
	size_t nrules;
	void *owned; /* parsed profiles: storage freed by sc_profile_free() */
};

/* Docker's default profile (with AF_ALG also denied); static. */
const struct sc_profile *sc_default_profile(void);
/* Parse a Docker (archMap, includes/excludes) or OCI seccomp JSON profile. */
int sc_profile_parse(const char *json, struct sc_profile **out, struct cb_error **err);
void sc_profile_free(struct sc_profile *p);

struct rt_bpf {
	struct sock_filter *insns; /* NULL = no filter */
	unsigned short len;
};
/* Compile p for a process holding caps; out->insns is the caller's (rt_bpf_release). */
int sc_compile(const struct sc_profile *p, uint64_t caps, struct rt_bpf *out,
	       struct cb_error **err);
/* The same for a kernel of version kernel (major * 1000 + minor). */
int sc_compile_for(const struct sc_profile *p, uint64_t caps, int kernel, struct rt_bpf *out,
		   struct cb_error **err);
/* The running kernel as major * 1000 + minor; 0 when unknown. */
int sc_kernel_version(void);

/*
 * seccomp-enosys.c (issue 11): put runc's stub before bpf, so that a call
 * numbered above the highest one p names, per architecture, gets ENOSYS
 * instead of p's default errno.  No stub when p's default action allows or
 * is ENOSYS.  bpf's program is replaced (the old one freed); on error it is
 * left as it was.
 */
int sc_enosys_patch(const struct sc_profile *p, struct rt_bpf *bpf, struct cb_error **err);

/*
 * Docker's default profile for RUNTIME_DEFAULT_CAPS on a kernel of at least
 * sc_default_bpf_min_kernel, compiled with libseccomp when cbuild was built
 * (gen/seccomp-gen.c): libseccomp takes ~15 ms for it, more than the rest of
 * a step's start.  test_runtime_seccomp checks it matches a fresh compile.
 */
extern const struct sock_filter sc_default_bpf[];
extern const unsigned short sc_default_bpf_len;
extern const int sc_default_bpf_min_kernel;
void rt_bpf_release(struct rt_bpf *bpf);
/* privs.c: load bpf into the calling thread; child-safe.  Returns 0 or -errno. */
int sc_install(const struct rt_bpf *bpf);
/* The native Docker arch (SC_ARCH_AMD64 on x86_64). */
unsigned sc_native_arch(void);

/* ---- capabilities: caps.c ---- */

int caps_last_cap(void);
int cap_from_name(const char *name); /* "CAP_SYS_ADMIN" or "SYS_ADMIN" -> 21; -1 if unknown */
const char *cap_name(int cap);	     /* "CAP_SYS_ADMIN"; NULL if unknown */
/* privs.c, child-safe: drop every cap not in keep from the bounding set.  0 or -errno. */
int caps_drop_bounding(uint64_t keep, int last_cap);
/* privs.c, child-safe: set permitted = effective = caps, inheritable and ambient empty. */
int caps_set(uint64_t caps);

/* ---- users: user.c ---- */

/*
 * Resolve user against the contents of /etc/passwd and /etc/group (either
 * may be NULL: file absent).  No allocation, so the payload can call it.
 * On failure writes a message to errbuf and returns -1.
 */
int user_resolve_buf(const char *user, const char *passwd, const char *group,
		     struct runtime_ids *ids, char *errbuf, size_t errlen);

/* ---- the sandbox: sandbox.c (parent), init.c, mounts.c, ns.c (children) ---- */

#define RT_MAX_MOUNTS 128

struct sbx_mount {
	enum runtime_mount_type type;
	const char *source; /* BIND: absolute host path */
	int src_fd;	    /* BIND: O_PATH fd of the source, opened by the init */
	bool src_is_dir;    /* BIND: the target to create is a directory */
	const char *target; /* absolute, normalised */
	bool readonly;
	char data[80]; /* TMPFS: mount options */
};

struct sandbox {
	const struct runtime_spec *spec;
	int sock; /* the children's end of the socketpair */
	bool userns;
	bool cgroupns;
	bool mount_cgroup2; /* v2: a read-only cgroup2 at /sys/fs/cgroup */
	/* v1: the step's cgroup in each hierarchy, bound read-only at /sys/fs/cgroup/<name> */
	const char *cg1_dirs[CG_MAX_HIER], *cg1_names[CG_MAX_HIER];
	size_t ncg1;

	/* rootfs (paths prepared here; fds opened by the child in its namespace) */
	char *rootfs_path; /* plain directory (absolute), or NULL */
	int rootfs_fd;
	char **layer_paths; /* overlay: lowers (top first), then upper and work */
	int *layer_fds;
	size_t nlayer_fds;
	bool ephemeral_upper; /* overlay upper on the sandbox's tmpfs */
	char *ovl_opts;	      /* buffer for overlay options, ovl_opts_len bytes */
	size_t ovl_opts_len;
	const char *base;	  /* where the sandbox's private tmpfs is mounted */
	struct sbx_mount *mounts; /* the extra mounts, parents first */
	size_t nmounts;
	char *etc_hosts, *etc_resolv, *etc_hostname;

	int init_fd; /* cbuild-init, in a sealed memfd (exe.c) */

	/* payload */
	char **argv;
	char **envp; /* with a free slot for HOME at home_slot, or home_slot = -1 */
	long home_slot;
	const char *path; /* the PATH to search argv[0] in */
	struct rt_bpf filter;
	uint64_t caps;
	int last_cap;
	bool single_id;		 /* rootless without ranges: only uid/gid 0 exist, no setgroups */
	struct cgroup_join join; /* the child writes "0" to join.fds */

	/*
	 * Issue 11: no device cgroup enforces Docker's device policy (rootless,
	 * no cgroups, no devices hierarchy): the root, /dev and the extra
	 * mounts are nodev, and /dev's nodes are binds of the host's.
	 */
	bool nodev;
	/* network (issue 11; net.c) */
	int netns_fd;	 /* a shared namespace to join (runtime_spec.net), -1: none */
	int step_family; /* PRIVATE without a shared one: what this step's pasta carries, 0 none */
};

/*
 * spec.c: check spec and fill *sb (everything but the filter, sock and
 * flags).  net_family: what pasta carries in the step's namespace
 * (AF_INET gives resolv.conf pasta's DNS forwarder), AF_UNSPEC none.
 */
int sandbox_prepare(const struct runtime_spec *spec, int net_family, struct sandbox *sb,
		    struct cb_error **err);
void sandbox_release(struct sandbox *sb);

/* init.c: the child's main; never returns. */
__attribute__((noreturn)) void sandbox_child(struct sandbox *sb);

/*
 * exe.c: cbuild-init (embedded at build time) in a memfd sealed against
 * writes; the caller owns the fd.
 */
int exe_sealed_init(struct cb_error **err);
/* init.c: report "what: strerror(code)" to the parent and _exit(). */
__attribute__((noreturn, format(printf, 3, 4))) void child_die(const struct sandbox *sb, int code,
							       const char *fmt, ...);

/* mounts.c: build the root, pivot_root into it.  Runs in the init. */
void mounts_setup(struct sandbox *sb);

/* ns.c */
struct rt_idmap {
	uid_t uid; /* the caller, mapped to root */
	gid_t gid;
	bool ranges; /* /etc/subuid and /etc/subgid ranges, through newuidmap/newgidmap */
	unsigned long subuid, nsubuid, subgid, nsubgid;
};
void ns_idmap_detect(struct rt_idmap *map);
/*
 * Fork-like clone with flags (no exit signal) and a pidfd; into the cgroup
 * cgroup_fd when >= 0 and clone3 is available (*into_cgroup says so).
 */
pid_t ns_clone(unsigned long flags, int cgroup_fd, int *pidfd, bool *into_cgroup);
int ns_lo_up(void); /* child-safe: 0 or -errno */
int ns_write_id_maps(pid_t pid, const struct rt_idmap *map, struct cb_error **err);

/* ---- network (issue 11): net.c, and ns_netns_new in ns.c ---- */

/* Where pasta answers DNS in the namespace (--dns-forward), from the host's resolver. */
#define RT_NET_DNS4 "169.254.1.1"

/*
 * A network namespace with lo up, made in a thread of its own; its fd.
 * With route_fd, also the namespace's route table of family (AF_INET:
 * /proc/net/route, AF_INET6: ipv6_route), opened inside it.
 */
int ns_netns_new(int family, int *route_fd, struct cb_error **err);

/* pasta, attached to a namespace; pid -1 when none runs. */
struct net_helper {
	pid_t pid;
	int pidfd;
	int log_fd;   /* pasta's stdout and stderr, a memfd */
	int route_fd; /* the namespace's route table (owned), for the wait */
	int family;   /* AF_INET or AF_INET6: what pasta carries */
};

/* AF_INET, else AF_INET6, for the host's default route; AF_UNSPEC without one. */
int net_host_family(void);
/* The same, AF_UNSPEC also when rootless pasta cannot work (*why: runtime_net_limit). */
int net_outbound_family(const struct runtime *rt, const char **why);
/* Does a /proc/net/route (AF_INET) or ipv6_route (AF_INET6) text hold a default route? */
bool net_route_has_default(const char *table, int family);
/*
 * The sandbox's /etc/resolv.conf from the host's text (NULL: none): with
 * dns (pasta's forwarder) it is the one nameserver; without, BuildKit's
 * rules: loopback nameservers dropped, 8.8.8.8 and 8.8.4.4 when none is
 * left.  Other lines kept.  Caller frees.
 */
char *net_resolv_conf(const char *host, const char *dns);
/*
 * Start pasta for the namespace netns_fd (root), or at the path netns with
 * the user namespace at userns (rootless), carrying family; takes route_fd
 * (closed by net_helper_stop() even on failure).  Stopped with
 * net_helper_stop(); dies with the calling thread.
 */
int net_helper_start(int family, int netns_fd, const char *netns, const char *userns, int route_fd,
		     struct net_helper *h, struct cb_error **err);
/* Wait until pasta has configured the namespace (its default route); cancel_fd may be -1. */
int net_helper_wait(struct net_helper *h, int cancel_fd, struct cb_error **err);
/* SIGKILL pasta, reap it, close the fds.  Safe on a helper that never started. */
void net_helper_stop(struct net_helper *h);
/*
 * For a step of mode joining net: wait (once, for every step) until its
 * pasta is ready; *netns_fd to setns() to (borrowed), *family what pasta
 * carries there (AF_UNSPEC: no pasta, lo only), for resolv.conf.
 */
int net_join(struct runtime_net *net, enum runtime_network mode, int cancel_fd, int *netns_fd,
	     int *family, struct cb_error **err);

#endif
