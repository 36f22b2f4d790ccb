/*
 * sandbox.c - the parent's side: struct runtime (detection done once), and
 * runtime_run(): prepare, create the step's cgroups, clone the init into
 * new namespaces, let it go once it is in its cgroups (and, rootless, has
 * its ID maps), wait for it while watching cancel_fd, then read the cgroup
 * events (OOM, pids) and remove the cgroups.  The mounts need no cleanup:
 * they live in the sandbox's mount namespace, which dies with its last
 * process, before the init's exit is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "runtime-internal.h"
#include "xalloc.h"

struct runtime {
	struct cgroup_manager *cg; /* NULL: no cgroups */
	bool rootless;
	struct rt_idmap idmap;
	int last_cap;
	const char *base;
	int init_fd;	     /* cbuild-init in a sealed memfd (exe.c) */
	atomic_uint counter; /* names the steps' cgroups: <pid>-<n> */
};

static const char *pick_base(void)
{
	static const char *const candidates[] = {"/tmp", "/var/tmp", "/run", "/mnt"};

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		struct stat st;

		if (lstat(candidates[i], &st) == 0 && S_ISDIR(st.st_mode))
			return candidates[i];
	}
	return NULL;
}

static int detect_cgroups(struct runtime *rt, const struct runtime_options *opts,
			  struct cb_error **err)
{
	cleanup_free char *mountinfo = NULL;
	cleanup_free char *self = NULL;

	if (cb_read_file("/proc/self/mountinfo", 16u << 20, &mountinfo, NULL, err) < 0 ||
	    cb_read_file("/proc/self/cgroup", 1u << 20, &self, NULL, err) < 0)
		return -1;
	if (cgroup_manager_detect(opts, mountinfo, self, &rt->cg, err) < 0)
		return -1;
	/* rootless without a delegated hierarchy: run without cgroups (limits are refused) */
	if (rt->cg && rt->rootless && (!opts || opts->cgroup_driver == RUNTIME_CGROUP_AUTO)) {
		cleanup_free char *dir = cb_dirname(rt->cg->hier[0].base);

		if (access(dir, W_OK) < 0) {
			cgroup_manager_free(rt->cg);
			rt->cg = NULL;
		}
	}
	if (rt->cg)
		cgroup_manager_reap_stale(rt->cg);
	return 0;
}

struct runtime *runtime_new(const struct runtime_options *opts, struct cb_error **err)
{
	struct runtime *rt;

	rt = xcalloc(1, sizeof(*rt));
	rt->init_fd = -1;
	/*
	 * Root in a user namespace (unshare -r, a rootless container) cannot
	 * mknod, mount sysfs or use trusted.* xattrs either, and the layer
	 * store extracted its snapshots with user.overlay.opaque there: it
	 * runs the same way as an ordinary user.
	 */
	rt->rootless = !cb_is_real_root();
	if (rt->rootless)
		ns_idmap_detect(&rt->idmap);
	rt->last_cap = caps_last_cap();
	rt->base = pick_base();
	if (!rt->base) {
		cb_error_set(err, ENOENT,
			     "no /tmp, /var/tmp, /run or /mnt to mount the sandbox's tmpfs on");
		runtime_free(rt);
		return NULL;
	}
	if (detect_cgroups(rt, opts, err) < 0 || (rt->init_fd = exe_sealed_init(err)) < 0) {
		runtime_free(rt);
		return NULL;
	}
	return rt;
}

void runtime_free(struct runtime *rt)
{
	if (!rt)
		return;
	cgroup_manager_free(rt->cg);
	if (rt->init_fd >= 0)
		close(rt->init_fd);
	free(rt);
}

const char *runtime_cgroup_driver_name(const struct runtime *rt)
{
	return rt->cg ? rt->cg->ops->name : "none";
}

bool runtime_is_rootless(const struct runtime *rt)
{
	return rt->rootless;
}

static int prepare_filter(const struct runtime_spec *spec, struct rt_bpf *out,
			  struct cb_error **err)
{
	struct sc_profile *p = NULL;
	int rc;

	switch (spec->seccomp) {
	case RUNTIME_SECCOMP_UNCONFINED:
		return 0;
	case RUNTIME_SECCOMP_PROFILE:
		if (sc_profile_parse(spec->seccomp_profile, &p, err) < 0)
			return -1;
		rc = sc_compile(p, spec->caps, out, err);
		sc_profile_free(p);
		return rc;
	case RUNTIME_SECCOMP_DEFAULT:
		break;
	}
	if (spec->caps != RUNTIME_DEFAULT_CAPS || sc_kernel_version() < sc_default_bpf_min_kernel)
		return sc_compile(sc_default_profile(), spec->caps, out, err);
	/* the common case, compiled at build time */
	out->len = sc_default_bpf_len;
	out->insns = xmemdup(sc_default_bpf, sc_default_bpf_len * sizeof(sc_default_bpf[0]));
	return 0;
}

/*
 * The step's network (net.c): the shared namespace to join, ready; or, for
 * a private one of its own, whether the host has a route for pasta to
 * carry (*family, AF_UNSPEC: lo only).
 */
static int prepare_net(const struct runtime *rt, const struct runtime_spec *spec, int *netns_fd,
		       int *family, struct cb_error **err)
{
	const char *why;

	*netns_fd = -1;
	*family = AF_UNSPEC;
	if (spec->network == RUNTIME_NETWORK_HOST) {
		if (spec->net)
			return cb_error_set(err, EINVAL, "a host network step joins no namespace");
		return 0;
	}
	if (!spec->net) {
		if (spec->network == RUNTIME_NETWORK_PRIVATE)
			*family = net_outbound_family(rt, &why);
		return 0;
	}
	if (net_join(spec->net, spec->network, spec->cancel_fd, netns_fd, family, err) < 0)
		return cb_error_wrap(err, "private network");
	return 0;
}

/* What the children need beyond what spec.c prepared. */
static int prepare(struct runtime *rt, const struct runtime_spec *spec, struct sandbox *sb,
		   struct cb_error **err)
{
	int netns_fd = -1, family = AF_UNSPEC;

	memset(sb, 0, sizeof(*sb));
	if (prepare_net(rt, spec, &netns_fd, &family, err) < 0)
		return -1;
	if (sandbox_prepare(spec, family, sb, err) < 0)
		return -1;
	sb->netns_fd = netns_fd;
	sb->step_family = netns_fd < 0 ? family : AF_UNSPEC;
	if (!rt->cg && cgroup_needed_controllers(&spec->limits))
		return cb_error_set(err, 0, "resource limits need cgroups, and none are usable%s",
				    rt->rootless ? " (rootless, no delegated cgroup)" : "");
	if (prepare_filter(spec, &sb->filter, err) < 0)
		return -1;
	sb->userns = rt->rootless;
	sb->single_id = rt->rootless && !rt->idmap.ranges;
	sb->cgroupns = rt->cg != NULL;
	sb->mount_cgroup2 = rt->cg && rt->cg->ops == &cgroup_v2_ops;
	sb->nodev = !cgroup_devices_enforced(rt->cg); /* issue 11: no device cgroup, nodev */
	sb->last_cap = rt->last_cap;
	sb->base = rt->base;
	sb->init_fd = rt->init_fd;
	return 0;
}

struct run_state {
	int pidfd, sock, cancel_fd;
	bool cancelled, have_status, sock_eof;
	int status;	     /* the payload's wait status, from the init */
	char *exec_error;    /* why the command could not be executed */
	siginfo_t init_info; /* how the init ended */
	struct cb_error *child_err;
};

static void read_messages(struct run_state *st, int flags)
{
	for (;;) {
		struct sbx_msg msg;
		ssize_t n = recv(st->sock, &msg, sizeof(msg), flags);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			st->sock_eof = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
			return;
		}
		msg.text[sizeof(msg.text) - 1] = '\0';
		if (msg.type == SBX_MSG_ERROR && !st->child_err)
			cb_error_set(&st->child_err, msg.code, "%s", msg.text);
		else if (msg.type == SBX_MSG_EXEC && !st->exec_error)
			st->exec_error = xstrdup(msg.text);
		else if (msg.type == SBX_MSG_STATUS) {
			st->status = msg.code;
			st->have_status = true;
		}
		flags |= MSG_DONTWAIT;
	}
}

static void kill_step(const struct cgroup_step *cg, int pidfd)
{
	struct cb_error *err = NULL;

	/* a cgroup that fails to kill is not fatal: PID 1's death kills its namespace */
	if (cg && cg->mgr && cg->mgr->ops->kill(cg, &err) < 0)
		cb_error_free(&err);
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

/*
 * Poll until the init has exited, then reap it; kill the step if cancel_fd
 * fires (or if poll fails: the step must not outlive this call).
 */
static int wait_init(struct run_state *st, const struct cgroup_step *cg, struct cb_error **err)
{
	int rc = 0;

	for (;;) {
		struct pollfd p[3] = {
			{.fd = st->pidfd, .events = POLLIN},
			{.fd = st->sock_eof ? -1 : st->sock, .events = POLLIN},
			{.fd = st->cancelled ? -1 : st->cancel_fd, .events = POLLIN},
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = cb_error_set(err, errno, "poll");
			kill_step(cg, st->pidfd);
			break;
		}
		if (p[1].revents)
			read_messages(st, MSG_DONTWAIT);
		if (p[2].revents) {
			st->cancelled = true;
			kill_step(cg, st->pidfd);
		}
		if (p[0].revents & POLLIN)
			break;
	}
	while (waitid(P_PIDFD, (id_t)st->pidfd, &st->init_info, WEXITED | __WALL) < 0)
		if (errno != EINTR)
			return rc < 0 ? rc : cb_error_set(err, errno, "wait for the sandbox");
	read_messages(st, MSG_DONTWAIT);
	return rc;
}

/*
 * A private network of the step's own: pasta attached to the init's
 * namespaces (rootless: its user namespace too), ready before the go.
 */
static int start_step_net(struct runtime *rt, const struct sandbox *sb, pid_t pid,
			  struct net_helper *h, struct cb_error **err)
{
	char netns[48], userns[48], route[48];
	cleanup_close int ns_fd = -1;
	int route_fd;

	snprintf(netns, sizeof(netns), "/proc/%d/ns/net", (int)pid);
	snprintf(userns, sizeof(userns), "/proc/%d/ns/user", (int)pid);
	snprintf(route, sizeof(route), "/proc/%d/net/%s", (int)pid,
		 sb->step_family == AF_INET ? "route" : "ipv6_route");
	/* root: pasta gets the namespace as an fd (net.c); rootless: it joins both by path */
	if (!rt->rootless && (ns_fd = open(netns, O_RDONLY | O_CLOEXEC)) < 0)
		return cb_error_set(err, errno, "open `%s`", netns);
	route_fd = open(route, O_RDONLY | O_CLOEXEC);
	if (route_fd < 0)
		return cb_error_set(err, errno, "open `%s`", route);
	if (net_helper_start(sb->step_family, ns_fd, netns, rt->rootless ? userns : NULL, route_fd,
			     h, err) < 0 ||
	    net_helper_wait(h, sb->spec->cancel_fd, err) < 0)
		return cb_error_wrap(err, "private network");
	return 0;
}

/* Start the init: (fallback) join it to its cgroups, map IDs, its network, the go byte. */
static int release_init(struct runtime *rt, const struct sandbox *sb, const struct cgroup_step *cg,
			pid_t pid, int sock, bool joined, struct net_helper *h,
			struct cb_error **err)
{
	if (cg->mgr && !joined && cg->mgr->ops->attach(cg, pid, err) < 0)
		return cb_error_wrap(err, "join the step's cgroup");
	if (rt->rootless && ns_write_id_maps(pid, &rt->idmap, err) < 0)
		return -1;
	if (sb->step_family != AF_UNSPEC) {
		struct cb_error *e = NULL;

		if (start_step_net(rt, sb, pid, h, &e) < 0 && e->code != ECANCELED) {
			if (err && !*err)
				*err = steal_pointer(&e);
			cb_error_free(&e);
			return -1;
		}
		/* cancelled while pasta started: no go; wait_init sees cancel_fd and kills */
		if (e) {
			cb_error_free(&e);
			return 0;
		}
	}
	if (send(sock, "g", 1, MSG_NOSIGNAL) != 1)
		return cb_error_set(err, errno, "start the sandbox");
	return 0;
}

static void close_join(struct cgroup_join *j)
{
	j->had_fds = j->nfds > 0;
	for (size_t i = 0; i < j->nfds; i++)
		close(j->fds[i]);
	j->nfds = 0;
	if (j->clone_fd >= 0)
		close(j->clone_fd);
	j->clone_fd = -1;
}

static unsigned long clone_flags(const struct runtime *rt, const struct runtime_spec *spec)
{
	unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;

	if (spec->network != RUNTIME_NETWORK_HOST && !spec->net)
		flags |= CLONE_NEWNET;
	if (rt->rootless)
		flags |= CLONE_NEWUSER;
	return flags;
}

/* Clone the init and run the step to its end; *st gets the outcome. */
static int run_sandbox(struct runtime *rt, struct sandbox *sb, const struct cgroup_step *cg,
		       struct run_state *st, struct cb_error **err)
{
	struct cgroup_join *j = &sb->join;
	struct net_helper h = {.pid = -1, .pidfd = -1, .log_fd = -1, .route_fd = -1};
	bool into_cgroup = false;
	int sv[2];
	pid_t pid;
	int rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cb_error_set(err, errno, "socketpair");
	sb->sock = sv[1];
	j->nfds = 0;
	j->clone_fd = -1;
	rc = cg->mgr ? cg->mgr->ops->prepare_join(cg, j, err) : 0;
	sb->ncg1 = 0;
	for (size_t i = 0; cg->mgr && cg->mgr->ops == &cgroup_v1_ops && i < cg->mgr->nhier; i++) {
		if (!cg->paths[i])
			continue;
		sb->cg1_dirs[sb->ncg1] = cg->paths[i];
		sb->cg1_names[sb->ncg1++] = cg->mgr->hier[i].name;
	}
	pid = rc < 0 ? -1
		     : ns_clone(clone_flags(rt, sb->spec), j->clone_fd, &st->pidfd, &into_cgroup);
	if (pid == 0) {
		close(sv[0]);
		sandbox_child(sb);
	}
	close(sv[1]);
	close_join(j);
	st->sock = sv[0];
	if (pid < 0) {
		close(sv[0]);
		return rc < 0 ? -1 : cb_error_set(err, errno, "create the sandbox's namespaces");
	}
	rc = release_init(rt, sb, cg, pid, sv[0], into_cgroup || j->had_fds, &h, err);
	if (rc < 0)
		kill_step(cg, st->pidfd);
	if (wait_init(st, cg, rc < 0 ? NULL : err) < 0)
		rc = -1;
	net_helper_stop(&h);
	close(sv[0]);
	close(st->pidfd);
	return rc;
}

static char *failure_message(const struct runtime_spec *spec, const struct runtime_result *r)
{
	char lim[48];

	if (r->cancelled)
		return xstrdup("cancelled");
	if (r->exit_code == 0)
		return NULL;
	if (r->oom_killed) {
		if (!spec->limits.memory)
			return xstrdup("killed: out of memory");
		rt_format_bytes(lim, sizeof(lim), spec->limits.memory);
		return xasprintf("killed: out of memory (limit %s)", lim);
	}
	if (r->pids_limited)
		return xasprintf("fork failed: process limit reached (pids limit %lld): "
				 "Resource temporarily unavailable",
				 (long long)spec->limits.pids);
	if (r->signal)
		return xasprintf("killed by signal %d (SIG%s)", r->signal,
				 sigabbrev_np(r->signal) ? sigabbrev_np(r->signal) : "?");
	return xasprintf("exit code: %d", r->exit_code);
}

static void fill_result(const struct runtime_spec *spec, const struct run_state *st,
			const struct cgroup_events *ev, struct runtime_result *res)
{
	memset(res, 0, sizeof(*res));
	if (st->have_status && WIFEXITED(st->status)) {
		res->exit_code = WEXITSTATUS(st->status);
	} else if (st->have_status && WIFSIGNALED(st->status)) {
		res->signal = WTERMSIG(st->status);
	} else if (st->init_info.si_code == CLD_EXITED) {
		res->exit_code = st->init_info.si_status;
	} else {
		/* the init itself was killed (cancel, OOM): its signal is the step's */
		res->signal = st->init_info.si_status;
	}
	if (res->signal)
		res->exit_code = 128 + res->signal;
	res->cancelled = st->cancelled;
	res->oom_killed = ev->oom_kills > 0;
	res->pids_limited = ev->pids_max > 0;
	res->exec_failed = st->exec_error != NULL;
	if (res->exec_failed && !res->cancelled)
		res->message = xstrdup(st->exec_error);
	else
		res->message = failure_message(spec, res);
}

int runtime_run(struct runtime *rt, const struct runtime_spec *spec, struct runtime_result *res,
		struct cb_error **err)
{
	struct sandbox sb;
	struct cgroup_step cg = {0};
	struct run_state st = {.pidfd = -1, .sock = -1, .cancel_fd = spec->cancel_fd};
	struct cgroup_events ev = {0};
	char name[48];
	int rc = -1;

	if (prepare(rt, spec, &sb, err) < 0)
		goto out;
	snprintf(name, sizeof(name), "%d-%u", (int)getpid(), atomic_fetch_add(&rt->counter, 1));
	if (rt->cg && rt->cg->ops->create(rt->cg, name, &spec->limits, &cg, err) < 0) {
		cb_error_wrap(err, "create the step's cgroup");
		goto out;
	}
	rc = run_sandbox(rt, &sb, &cg, &st, err);
	if (cg.mgr)
		cg.mgr->ops->events(&cg, &ev, NULL);
	if (cg.mgr && cg.mgr->ops->destroy(&cg, rc < 0 || st.child_err ? NULL : err) < 0 &&
	    rc == 0 && !st.child_err)
		rc = -1;
	if (rc == 0 && st.child_err) {
		if (err && !*err)
			*err = steal_pointer(&st.child_err);
		rc = -1;
	}
	if (rc == 0)
		fill_result(spec, &st, &ev, res);
out:
	cb_error_free(&st.child_err);
	free(st.exec_error);
	sandbox_release(&sb);
	return rc;
}

void runtime_result_release(struct runtime_result *res)
{
	free(res->message);
	res->message = NULL;
}
