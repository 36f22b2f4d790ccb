/*
 * cmd-run.c - `cbuild run`: run a command in the same sandbox RUN steps
 * use: an image of the store as `docker run` runs it (the builder's
 * build_image_run() turns its config and snapshots into the runtime's spec), or
 * a plain directory, or an overlay of layer directories.
 *
 * SIGINT, SIGTERM and SIGHUP are routed to the runtime through a signalfd
 * (its cancel_fd): the step is killed through its cgroup, cleaned up, and
 * cbuild exits 128 + the signal.  Exit codes, as docker run's: the step's
 * own, or 125 when cbuild could not run it (no such image, no command, the
 * sandbox could not be set up), 126/127 when the command could not be
 * executed, 2 for usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder.h"
#include "cleanup.h"
#include "cli.h"
#include "fsutil.h"
#include "runtime.h"
#include "strbuf.h"
#include "units.h"
#include "xalloc.h"

const char cmd_run_usage[] =
	"usage: cbuild run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	"       cbuild run [OPTIONS] --rootfs DIR [--] COMMAND [ARG...]\n"
	"       cbuild run [OPTIONS] --overlay-lower DIR... [--overlay-upper DIR\n"
	"                  --overlay-work DIR] [--] COMMAND [ARG...]\n"
	"\n"
	"Run a command in the sandbox RUN steps use: new mount, PID, UTS, IPC and\n"
	"cgroup namespaces, Docker's default capabilities and seccomp profile.\n"
	"IMAGE (a name, digest or image ID of the store) runs as docker run runs it:\n"
	"its entrypoint and command (COMMAND replaces the command), environment,\n"
	"working directory and user, over its layers; what it writes is thrown away.\n"
	"Exit status: the command's, or 125 when it could not be run.\n"
	"\n"
	"Image:\n"
	"  --root DIR              the store (default $CBUILD_ROOT, see docs/STORE.md)\n"
	"  --entrypoint CMD        replace the image's entrypoint (\"\" for none) and\n"
	"                          drop its command\n"
	"Root filesystem (instead of IMAGE):\n"
	"  --rootfs DIR            a plain directory, used in place\n"
	"  --rm                    with --rootfs: DIR is a read-only layer and writes go\n"
	"                          to a throwaway upper layer (IMAGE: always so)\n"
	"  --overlay-lower DIR     an overlay layer, top first (repeatable)\n"
	"  --overlay-upper DIR     the overlay's upper layer (default: a throwaway one)\n"
	"  --overlay-work DIR      the overlay's work directory, with --overlay-upper\n"
	"  --read-only             mount the root filesystem read-only\n"
	"Process:\n"
	"  -i, --interactive       keep cbuild's stdin open for the command (else it\n"
	"                          reads /dev/null, as docker run does); a directory\n"
	"                          as stdin is refused\n"
	"  -e, --env KEY=VALUE     set an environment variable (KEY alone: from cbuild's,\n"
	"                          or unset when cbuild has none)\n"
	"  -w, --workdir DIR       working directory (default: the image's, or /); with\n"
	"                          IMAGE created when missing\n"
	"  -u, --user USER[:GROUP] names from the rootfs's /etc/passwd and /etc/group\n"
	"                          (default: the image's, or root)\n"
	"  --group-add GID         an extra supplementary group\n"
	"  --hostname NAME         (default: 12 random hex digits for IMAGE, else cbuild)\n"
	"  --network bridge|host|none\n"
	"                          a private network with outbound access through\n"
	"                          pasta (bridge, the default), the host's, or only lo\n"
	"Mounts:\n"
	"  -v, --volume SRC:DST[:ro]\n"
	"  --mount type=bind,source=SRC,target=DST[,readonly]\n"
	"  --mount type=tmpfs,target=DST[,tmpfs-size=BYTES][,tmpfs-mode=OCTAL]\n"
	"  --tmpfs DST\n"
	"Limits:\n"
	"  -m, --memory BYTES      memory limit (\"64m\", \"1g\")\n"
	"  --memory-swap BYTES     memory + swap limit; -1 unlimited (default 2 x memory)\n"
	"  --pids-limit N          processes and threads\n"
	"  --cpus N                CPUs (\"0.5\"), as a CFS quota over a 100ms period\n"
	"  --cpu-period US, --cpu-quota US, -c, --cpu-shares N\n"
	"Security:\n"
	"  --security-opt seccomp=PROFILE.json|unconfined\n"
	"  --security-opt no-new-privileges[=true|false]\n"
	"  --cap-add CAP, --cap-drop CAP   (CAP_ prefix optional; ALL)\n"
	"Cgroups:\n"
	"  --cgroup-manager auto|v1|v2|none   (default auto: v1 on hybrid hosts)\n"
	"  --cgroup-parent NAME    parent cgroup of the step (default cbuild)\n"
	"  --cgroup-root DIR       v2: use the cgroup2 hierarchy mounted at DIR\n";

enum {
	OPT_ROOTFS = CLI_OPT_OWN,
	OPT_RM,
	OPT_LOWER,
	OPT_UPPER,
	OPT_WORK,
	OPT_READ_ONLY,
	OPT_GROUP_ADD,
	OPT_HOSTNAME,
	OPT_NETWORK,
	OPT_MOUNT,
	OPT_TMPFS,
	OPT_MEMORY_SWAP,
	OPT_PIDS,
	OPT_CPUS,
	OPT_CPU_PERIOD,
	OPT_CPU_QUOTA,
	OPT_SECURITY,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_CG_MANAGER,
	OPT_CG_PARENT,
	OPT_CG_ROOT,
	OPT_ENTRYPOINT,
};

static const struct option long_options[] = {
	{"rootfs", required_argument, NULL, OPT_ROOTFS},
	{"rm", no_argument, NULL, OPT_RM},
	{"overlay-lower", required_argument, NULL, OPT_LOWER},
	{"overlay-upper", required_argument, NULL, OPT_UPPER},
	{"overlay-work", required_argument, NULL, OPT_WORK},
	{"read-only", no_argument, NULL, OPT_READ_ONLY},
	{"interactive", no_argument, NULL, 'i'},
	{"env", required_argument, NULL, 'e'},
	{"workdir", required_argument, NULL, 'w'},
	{"user", required_argument, NULL, 'u'},
	{"group-add", required_argument, NULL, OPT_GROUP_ADD},
	{"hostname", required_argument, NULL, OPT_HOSTNAME},
	{"network", required_argument, NULL, OPT_NETWORK},
	{"volume", required_argument, NULL, 'v'},
	{"mount", required_argument, NULL, OPT_MOUNT},
	{"tmpfs", required_argument, NULL, OPT_TMPFS},
	{"memory", required_argument, NULL, 'm'},
	{"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
	{"pids-limit", required_argument, NULL, OPT_PIDS},
	{"cpus", required_argument, NULL, OPT_CPUS},
	{"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
	{"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
	{"cpu-shares", required_argument, NULL, 'c'},
	{"security-opt", required_argument, NULL, OPT_SECURITY},
	{"cap-add", required_argument, NULL, OPT_CAP_ADD},
	{"cap-drop", required_argument, NULL, OPT_CAP_DROP},
	{"cgroup-manager", required_argument, NULL, OPT_CG_MANAGER},
	{"cgroup-parent", required_argument, NULL, OPT_CG_PARENT},
	{"cgroup-root", required_argument, NULL, OPT_CG_ROOT},
	{"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
	CLI_OPTION_ROOT,
	CLI_OPTIONS_END,
};

/* Everything the options build; released by run_opts_release(). */
struct run_opts {
	struct runtime_spec spec;
	struct runtime_options rt;
	struct cb_strvec lowers, env;
	struct runtime_mount *mounts;
	size_t nmounts, alloc_mounts;
	struct cb_strvec strings; /* owned strings the spec points into */
	gid_t *groups;
	size_t ngroups;
	char *profile;
	bool rm;
	bool interactive; /* -i: cbuild's stdin is the command's */
	int devnull;	  /* the command's stdin without -i; -1 until opened */
	/* the image form */
	const char *image; /* NULL: --rootfs or --overlay-lower */
	const char *root;  /* --root */
	struct build_image_overrides ov;
	struct cb_strvec rootfs_env; /* the --rootfs form's: -e entries with a value */
};

static void run_opts_release(struct run_opts *o)
{
	cb_strvec_clear(&o->lowers);
	cb_strvec_clear(&o->env);
	cb_strvec_clear(&o->rootfs_env);
	cb_strvec_clear(&o->strings);
	free(o->mounts);
	free(o->groups);
	free(o->profile);
	if (o->devnull >= 0)
		close(o->devnull);
}

static const char *keep(struct run_opts *o, char *s)
{
	cb_strvec_push_take(&o->strings, s);
	return s;
}

static int parse_u64(const char *s, uint64_t *out)
{
	return cli_parse_u64(s, out) ? 0 : -1;
}

/* "0.5" -> quota in microseconds over the 100 ms period, without floating point drift. */
static struct runtime_mount *new_mount(struct run_opts *o)
{
	CB_ALLOC_GROW(o->mounts, o->nmounts + 1, o->alloc_mounts);
	memset(&o->mounts[o->nmounts], 0, sizeof(o->mounts[0]));
	return &o->mounts[o->nmounts++];
}

/* -v SRC:DST[:ro|:rw] */
static int parse_volume(struct run_opts *o, const char *arg)
{
	char *s = xstrdup(arg), *dst = strchr(s, ':'), *mode;
	struct runtime_mount *m;

	keep(o, s);
	if (!dst || dst == s)
		return -1;
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") && strcmp(mode, "rw"))
			return -1;
	}
	m = new_mount(o);
	m->type = RUNTIME_MOUNT_BIND;
	m->source = s;
	m->target = dst;
	m->readonly = mode && !strcmp(mode, "ro");
	return *dst == '/' ? 0 : -1;
}

/* One key=value of --mount; -1 when bad (the reason in *err, when there is one). */
static int mount_field(struct run_opts *o, struct runtime_mount *m, char *kv, struct cb_error **err)
{
	char *v = strchr(kv, '=');
	int64_t n;

	if (v)
		*v++ = '\0';
	if (!strcmp(kv, "type") && v)
		m->type = !strcmp(v, "tmpfs") ? RUNTIME_MOUNT_TMPFS : RUNTIME_MOUNT_BIND;
	else if ((!strcmp(kv, "source") || !strcmp(kv, "src")) && v)
		m->source = keep(o, xstrdup(v));
	else if ((!strcmp(kv, "target") || !strcmp(kv, "dst") || !strcmp(kv, "destination")) && v)
		m->target = keep(o, xstrdup(v));
	else if (!strcmp(kv, "readonly") || !strcmp(kv, "ro"))
		m->readonly = !v || !strcmp(v, "true") || !strcmp(v, "1");
	else if (!strcmp(kv, "tmpfs-size") && v && cb_ram_in_bytes(v, &n, err) == 0)
		m->tmpfs_size = (uint64_t)n; /* 0: the kernel's default, as docker's */
	else if (!strcmp(kv, "tmpfs-mode") && v)
		m->tmpfs_mode = (mode_t)strtoul(v, NULL, 8);
	else
		return -1;
	return 0;
}

/* --mount type=bind,source=S,target=T,readonly | type=tmpfs,target=T,tmpfs-size=N */
static int parse_mount(struct run_opts *o, const char *arg, struct cb_error **err)
{
	cleanup_free char *s = xstrdup(arg);
	struct runtime_mount *m = new_mount(o);
	char *save = NULL;

	m->type = RUNTIME_MOUNT_BIND;
	for (char *kv = strtok_r(s, ",", &save); kv; kv = strtok_r(NULL, ",", &save))
		if (mount_field(o, m, kv, err) < 0)
			return -1;
	if (!m->target || (m->type == RUNTIME_MOUNT_BIND && !m->source))
		return -1;
	return 0;
}

static int cap_bit(const char *name, uint64_t *bit)
{
	int cap;

	if (!strcasecmp(name, "ALL") || !strcasecmp(name, "CAP_ALL")) {
		*bit = ~0ULL;
		return 0;
	}
	cap = runtime_cap_from_name(name);
	if (cap < 0)
		return -1;
	*bit = 1ULL << cap;
	return 0;
}

static int parse_security(struct run_opts *o, const char *arg, struct cb_error **err)
{
	struct cli_security sec = {o->spec.seccomp, o->profile, o->spec.no_new_privileges};
	int r = cli_parse_security_opt(arg, &sec, err);

	o->profile = sec.profile;
	o->spec.seccomp = sec.seccomp;
	o->spec.seccomp_profile = o->profile;
	o->spec.no_new_privileges = sec.no_new_privileges;
	return r;
}

/*
 * docker's CLI: `-e K` takes K's value from our environment, and is passed
 * on bare (which removes K from the image's environment) when we have none.
 */
static int parse_env(struct run_opts *o, const char *arg)
{
	const char *v;

	if (!*arg || *arg == '=')
		return -1;
	if (!strchr(arg, '=') && (v = getenv(arg)))
		cb_strvec_pushf(&o->env, "%s=%s", arg, v);
	else
		cb_strvec_push(&o->env, arg);
	return 0;
}

static int parse_driver(const char *s, enum runtime_cgroup_driver *d)
{
	static const char *const names[] = {"auto", "v1", "v2", "none"};

	for (int i = 0; i < 4; i++) {
		if (!strcmp(s, names[i])) {
			*d = (enum runtime_cgroup_driver)i;
			return 0;
		}
	}
	return -1;
}

/* One limit (but the sizes, parse_options' own): 0, or -1 for a bad value. */
static int apply_limit(struct run_opts *o, int c, const char *arg)
{
	struct runtime_limits *l = &o->spec.limits;
	uint64_t u;

	switch (c) {
	case OPT_PIDS:
		if (parse_u64(arg, &u) < 0 || u > INT64_MAX)
			return -1;
		l->pids = (int64_t)u;
		return 0;
	case OPT_CPUS:
		return cli_parse_cpus(arg, l);
	case OPT_CPU_PERIOD:
		return parse_u64(arg, &l->cpu_period);
	case OPT_CPU_QUOTA:
		if (parse_u64(arg, &u) < 0 || u > INT64_MAX)
			return -1;
		l->cpu_quota = (int64_t)u;
		return 0;
	case 'c':
		return parse_u64(arg, &l->cpu_shares);
	}
	return -1;
}

static int apply_option(struct run_opts *o, int c, const char *arg, struct cb_error **err)
{
	uint64_t bit, u;

	switch (c) {
	case OPT_ROOTFS:
		o->spec.rootfs = arg;
		return 0;
	case OPT_RM:
		o->rm = true;
		return 0;
	case OPT_LOWER:
		cb_strvec_push(&o->lowers, arg);
		return 0;
	case OPT_UPPER:
		o->spec.upperdir = arg;
		return 0;
	case OPT_WORK:
		o->spec.workdir = arg;
		return 0;
	case OPT_READ_ONLY:
		o->spec.readonly_rootfs = true;
		return 0;
	case 'i':
		o->interactive = true;
		return 0;
	case 'e':
		return parse_env(o, arg);
	case 'w':
		o->spec.cwd = arg;
		return 0;
	case 'u':
		o->spec.user = arg;
		return 0;
	case OPT_GROUP_ADD:
		if (parse_u64(arg, &u) < 0 || u >= 0xffffffffULL)
			return -1;
		o->groups = xrealloc(o->groups, (o->ngroups + 1) * sizeof(*o->groups));
		o->groups[o->ngroups++] = (gid_t)u;
		return 0;
	case OPT_HOSTNAME:
		o->spec.hostname = arg;
		return 0;
	case OPT_NETWORK:
		/* docker run's names: bridge (its default; "default" says the same), host, none */
		return cli_network(arg, true, &o->spec.network);
	case 'v':
		return parse_volume(o, arg);
	case OPT_MOUNT:
		return parse_mount(o, arg, err);
	case OPT_TMPFS: {
		struct runtime_mount *m = new_mount(o);

		m->type = RUNTIME_MOUNT_TMPFS;
		m->target = arg;
		return 0;
	}
	case OPT_SECURITY:
		return parse_security(o, arg, err) < 0 ? -2 : 0;
	case OPT_CAP_ADD:
	case OPT_CAP_DROP:
		if (cap_bit(arg, &bit) < 0)
			return -1;
		o->spec.caps = c == OPT_CAP_ADD ? o->spec.caps | bit : o->spec.caps & ~bit;
		return 0;
	case OPT_CG_MANAGER:
		return parse_driver(arg, &o->rt.cgroup_driver);
	case OPT_CG_PARENT:
		o->rt.cgroup_parent = arg;
		return 0;
	case OPT_CG_ROOT:
		o->rt.cgroup_root = arg;
		return 0;
	case OPT_ENTRYPOINT:
		o->ov.entrypoint = arg;
		return 0;
	}
	return apply_limit(o, c, arg);
}

/* IMAGE [COMMAND [ARG...]]: the command may be empty (the image's is used). */
static int parse_image_args(const struct cli_command *cmd, struct run_opts *o, int argc,
			    char **argv)
{
	if (argc < 1)
		return cli_usage_error(cmd, "give IMAGE, --rootfs or --overlay-lower");
	o->image = argv[0];
	o->ov.cmd = (const char *const *)argv + 1;
	o->ov.ncmd = (size_t)argc - 1;
	o->ov.env = (const char *const *)o->env.v;
	o->ov.nenv = o->env.n;
	o->ov.workdir = o->spec.cwd;
	o->ov.user = o->spec.user;
	return CLI_CONTINUE;
}

/* The options: CLI_CONTINUE with *first_arg at IMAGE or COMMAND, or the exit status. */
static int parse_options(const struct cli_command *cmd, struct run_opts *o, int argc, char **argv,
			 int *first_arg)
{
	struct cli_getopt g;
	int c;

	/* '+': what follows IMAGE (or the first argument) is the command's own */
	cli_getopt_init(&g, cmd, argc, argv, "+ie:w:u:v:m:c:", long_options);
	while ((c = cli_getopt_next(&g)) != -1) {
		struct cb_error *err = NULL;
		int rc;

		if (c == CLI_OPT_EXIT)
			return g.status;
		if (c == CLI_OPT_ROOT) {
			if ((rc = cli_opt_root(&g, &o->root)))
				return rc;
			continue;
		}
		/* docker run's sizes: RAMInBytes, 0 for no limit, a swap of -1 for no swap limit */
		if (c == OPT_MEMORY_SWAP && !strcmp(g.arg, "-1")) {
			o->spec.limits.memory_swap = -1;
			continue;
		}
		if (c == 'm' || c == OPT_MEMORY_SWAP) {
			rc = cli_opt_size(&g, c == 'm' ? &o->spec.limits.memory
						       : &o->spec.limits.memory_swap);
			if (rc)
				return rc;
			continue;
		}
		rc = apply_option(o, c, g.arg, &err);
		if (rc == -2) {
			cb_error_report_prefix(&err, "cbuild run");
			return 125;
		}
		if (rc < 0) {
			rc = cli_bad_value(&g, err ? cb_error_msg(err) : NULL);
			cb_error_free(&err);
			return rc;
		}
	}
	*first_arg = g.first_arg;
	return CLI_CONTINUE;
}

/* Options and arguments: CLI_CONTINUE, or the exit status. */
static int parse_args(const struct cli_command *cmd, struct run_opts *o, int argc, char **argv)
{
	int first = 0;
	int rc = parse_options(cmd, o, argc, argv, &first);

	if (rc != CLI_CONTINUE)
		return rc;
	if (!o->spec.rootfs && !o->lowers.n && !o->spec.upperdir && !o->spec.workdir)
		return parse_image_args(cmd, o, argc - first, argv + first);
	if (o->root || o->ov.entrypoint)
		return cli_usage_error(cmd, "--root and --entrypoint go with IMAGE, not --rootfs "
					    "or --overlay-*");
	if (first >= argc)
		return cli_usage_error(cmd, "no command given");
	if (!o->spec.rootfs == !o->lowers.n)
		return cli_usage_error(cmd, "give either --rootfs or --overlay-lower");
	if (o->rm && o->spec.upperdir)
		return cli_usage_error(cmd,
				       "--rm throws the upper layer away; drop --overlay-upper");
	o->spec.argv = (const char *const *)argv + first;
	return CLI_CONTINUE;
}

/* Wire the parsed options into the spec. */
static void finish_spec(struct run_opts *o)
{
	if (o->rm && o->spec.rootfs) {
		/* the directory becomes the only layer; writes go to a throwaway upper */
		cb_strvec_push(&o->lowers, o->spec.rootfs);
		o->spec.rootfs = NULL;
	}
	o->spec.lowerdirs = (const char *const *)o->lowers.v;
	o->spec.nlowerdirs = o->lowers.n;
	/* no image environment to take a bare KEY out of: it is just not set */
	for (size_t i = 0; i < o->env.n; i++)
		if (strchr(o->env.v[i], '='))
			cb_strvec_push(&o->rootfs_env, o->env.v[i]);
	o->spec.env = (const char *const *)o->rootfs_env.v;
	o->spec.mounts = o->mounts;
	o->spec.nmounts = o->nmounts;
	o->spec.extra_groups = o->groups;
	o->spec.nextra_groups = o->ngroups;
	/* docker run lists the primary group in `id -G` too (RUN steps do not) */
	o->spec.groups_include_gid = true;
	/*
	 * IMAGE: a missing -w or WorkingDir is created, as docker run does (in
	 * the throwaway upper).  --rootfs and --overlay-* are the bare runtime:
	 * the directory must exist, and a plain rootfs is never written to for it.
	 */
	o->spec.create_cwd = o->image != NULL;
}

/* The signal that cancelled the step (read from the signalfd), as an exit status. */
static int cancelled_status(int sigfd)
{
	struct signalfd_siginfo si;

	if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		return 128 + (int)si.ssi_signo;
	return 130;
}

static int exit_code(const struct runtime_result *res, int sigfd)
{
	if (res->cancelled)
		return cancelled_status(sigfd);
	/* a SIGPIPE death is what `cbuild run ... | head` looks like: not worth a line */
	if (res->message && ((res->signal && res->signal != SIGPIPE) || res->oom_killed ||
			     res->pids_limited || res->exec_failed))
		cb_eprintf("cbuild run: %s\n", res->message);
	return res->exit_code;
}

/*
 * The step, in the image form with the store open for the whole run: the
 * store's lease is what keeps a concurrent prune off the image's snapshots.
 */
static int run_with(struct run_opts *o, struct runtime *rt, struct layer_store *s, int sigfd)
{
	struct cb_error *err = NULL;
	struct runtime_result res;
	int ret;

	if (s)
		ret = build_image_run(s, rt, o->image, &o->ov, &o->spec, &res, &err);
	else
		ret = runtime_run(rt, &o->spec, &res, &err);
	if (ret < 0 && err && err->code == ECANCELED) {
		/* interrupted while the layers were prepared: like a cancelled step */
		cb_error_free(&err);
		return cancelled_status(sigfd);
	}
	if (ret < 0) {
		cb_error_report_prefix(&err, "cbuild run");
		return 125;
	}
	ret = exit_code(&res, sigfd);
	runtime_result_release(&res);
	return ret;
}

/*
 * The command's stdio (issue 11, finding 10).  An inherited directory fd
 * would hand the payload a handle on a host directory it can walk (openat,
 * fchdir) out of the sandbox: stdin is /dev/null unless -i, as in docker run,
 * and a directory on 0, 1 or 2 is refused.
 */
static int setup_stdio(struct run_opts *o, struct cb_error **err)
{
	static const char *const names[] = {"stdin", "stdout", "stderr"};
	struct stat st;

	for (int i = 0; i < 3; i++) {
		if (i == 0 && !o->interactive)
			continue;
		if (fstat(i, &st) == 0 && S_ISDIR(st.st_mode))
			return cb_error_set(err, EISDIR,
					    "%s is a directory: refusing to pass it "
					    "to the command",
					    names[i]);
	}
	if (o->interactive)
		return 0;
	o->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (o->devnull < 0)
		return cb_error_set(err, errno, "open `/dev/null`");
	o->spec.stdio[0] = o->devnull;
	return 0;
}

static int run_step(struct run_opts *o)
{
	struct cb_error *err = NULL;
	struct layer_store *s = NULL;
	struct runtime *rt;
	sigset_t mask;
	int sigfd, rc;

	if (setup_stdio(o, &err) < 0) {
		cb_error_report_prefix(&err, "cbuild run");
		return 125;
	}
	if (o->image && !(s = cli_store_open(o->root)))
		return 125;
	rt = runtime_new(&o->rt, &err);
	if (!rt) {
		cb_error_report_prefix(&err, "cbuild run");
		layer_store_close(s);
		return 125;
	}
	/* the private network stays lo only where pasta cannot work: say so */
	if (o->spec.network == RUNTIME_NETWORK_PRIVATE && runtime_net_limit(rt))
		cb_eprintf("cbuild run: warning: no outbound network: %s\n", runtime_net_limit(rt));
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	o->spec.cancel_fd = sigfd;
	rc = run_with(o, rt, s, sigfd);
	if (sigfd >= 0)
		close(sigfd);
	runtime_free(rt);
	layer_store_close(s);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	const struct cli_command *cmd = cli_find_command("run");
	struct run_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.devnull = -1;
	runtime_spec_init(&o.spec);
	rc = parse_args(cmd, &o, argc, argv);
	if (rc == CLI_CONTINUE) {
		finish_spec(&o);
		rc = run_step(&o);
	}
	run_opts_release(&o);
	return rc;
}
