/*
 * cgroup-v1.c - the cgroup v1 manager: one cgroup per step in each of the
 * memory, pids, cpu, cpuacct, freezer and devices hierarchies (co-mounted
 * ones share a directory).  The devices cgroup gets Docker's device policy
 * (devices.c) before anything joins.  Limits: memory.limit_in_bytes and
 * memory.memsw.limit_in_bytes (when swap accounting is on), pids.max,
 * cpu.cfs_period_us/cpu.cfs_quota_us, cpu.shares.  OOM kills are counted
 * in memory.oom_control ("oom_kill", Linux 4.13+), refused forks in
 * pids.events.  Killing freezes the step first so that nothing can fork
 * while the pids are being read.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime-internal.h"
#include "xalloc.h"

static const char *const controller_names[] = {"memory",  "pids",    "cpu",
					       "cpuacct", "freezer", "devices"};

static const char *controller_name(unsigned bit)
{
	for (unsigned i = 0; i < sizeof(controller_names) / sizeof(controller_names[0]); i++)
		if (bit == 1u << i)
			return controller_names[i];
	return "?";
}

static void add(struct cgroup_write *w, size_t *n, unsigned ctl, const char *file, int64_t v)
{
	w[*n].controller = ctl;
	w[*n].file = file;
	snprintf(w[*n].value, sizeof(w[*n].value), "%lld", (long long)v);
	(*n)++;
}

size_t cgroup_v1_writes(const struct runtime_limits *lim, bool have_memsw,
			struct cgroup_write out[CG_MAX_WRITES])
{
	size_t n = 0;

	if (lim->memory > 0) {
		/* limit_in_bytes first: the kernel wants memsw >= limit at every moment */
		add(out, &n, CG_MEMORY, "memory.limit_in_bytes", lim->memory);
		if (have_memsw) {
			int64_t memsw = lim->memory_swap ? lim->memory_swap : 2 * lim->memory;

			add(out, &n, CG_MEMORY, "memory.memsw.limit_in_bytes", memsw);
		}
	}
	if (lim->pids > 0)
		add(out, &n, CG_PIDS, "pids.max", lim->pids);
	if (lim->cpu_quota > 0) {
		add(out, &n, CG_CPU, "cpu.cfs_period_us",
		    (int64_t)(lim->cpu_period ? lim->cpu_period : 100000));
		add(out, &n, CG_CPU, "cpu.cfs_quota_us", lim->cpu_quota);
	}
	if (lim->cpu_shares)
		add(out, &n, CG_CPU, "cpu.shares", (int64_t)lim->cpu_shares);
	return n;
}

/* The step's directory in the hierarchy carrying ctl, or NULL. */
static const char *path_for(const struct cgroup_step *cg, unsigned ctl)
{
	for (size_t i = 0; i < cg->mgr->nhier; i++)
		if ((cg->mgr->hier[i].controllers & ctl) && cg->paths[i])
			return cg->paths[i];
	return NULL;
}

static int v1_destroy(struct cgroup_step *cg, struct cb_error **err);

static int apply_limits(struct cgroup_step *cg, const struct runtime_limits *lim,
			struct cb_error **err)
{
	struct cgroup_write w[CG_MAX_WRITES];
	const char *mem = path_for(cg, CG_MEMORY);
	cleanup_free char *memsw = mem ? xasprintf("%s/memory.memsw.limit_in_bytes", mem) : NULL;
	size_t n = cgroup_v1_writes(lim, memsw && access(memsw, F_OK) == 0, w);

	for (size_t i = 0; i < n; i++) {
		const char *dir = path_for(cg, w[i].controller);

		if (!dir)
			return cb_error_set(err, 0, "the cgroup v1 `%s` controller is not mounted",
					    controller_name(w[i].controller));
		if (cg_write(dir, w[i].file, w[i].value, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_create(const struct cgroup_manager *m, const char *name,
		     const struct runtime_limits *lim, struct cgroup_step *cg,
		     struct cb_error **err)
{
	unsigned need = cgroup_needed_controllers(lim), have = 0;

	memset(cg, 0, sizeof(*cg));
	cg->mgr = m;
	for (size_t i = 0; i < m->nhier; i++)
		have |= m->hier[i].controllers;
	if (need & ~have) {
		unsigned missing = need & ~have;

		return cb_error_set(err, 0, "the cgroup v1 `%s` controller is not mounted",
				    controller_name(missing & -missing));
	}
	for (size_t i = 0; i < m->nhier; i++) {
		if (cg_mkdir_p(m->hier[i].base, err) < 0)
			goto fail;
		cg->paths[i] = xasprintf("%s/%s", m->hier[i].base, name);
		if (mkdir(cg->paths[i], 0755) < 0) {
			cb_error_set(err, errno, "create cgroup `%s`", cg->paths[i]);
			free(cg->paths[i]);
			cg->paths[i] = NULL;
			goto fail;
		}
	}
	if (apply_limits(cg, lim, err) < 0)
		goto fail;
	/* issue 11: Docker's device policy, before anything joins the cgroup */
	if (path_for(cg, CG_DEVICES) && dev_v1_apply(path_for(cg, CG_DEVICES), err) < 0)
		goto fail;
	return 0;
fail:
	v1_destroy(cg, NULL);
	return -1;
}

static int v1_attach(const struct cgroup_step *cg, pid_t pid, struct cb_error **err)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < cg->mgr->nhier; i++)
		if (cg->paths[i] && cg_write(cg->paths[i], "cgroup.procs", buf, err) < 0)
			return -1;
	return 0;
}

static int v1_prepare_join(const struct cgroup_step *cg, struct cgroup_join *j,
			   struct cb_error **err)
{
	for (size_t i = 0; i < cg->mgr->nhier; i++) {
		cleanup_free char *path = NULL;

		if (!cg->paths[i])
			continue;
		path = xasprintf("%s/tasks", cg->paths[i]);
		j->fds[j->nfds] = open(path, O_WRONLY | O_CLOEXEC);
		if (j->fds[j->nfds] < 0)
			return cb_error_set(err, errno, "open `%s`", path);
		j->nfds++;
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};

	nanosleep(&ts, NULL);
}

/* Freeze, so that a fork bomb cannot outrun the kill, then kill and thaw. */
static int freeze_and_kill(const char *dir, struct cb_error **err)
{
	char state[32] = "";

	if (cg_write(dir, "freezer.state", "FROZEN", err) < 0)
		return -1;
	for (int i = 0; i < 1000; i++) {
		if (cg_read(dir, "freezer.state", state, sizeof(state), err) < 0)
			return -1;
		if (!strncmp(state, "FROZEN", 6))
			break;
		sleep_ms(1);
	}
	{
		char buf[16384];

		if (cg_read(dir, "cgroup.procs", buf, sizeof(buf), err) < 0)
			return -1;
		for (char *p = buf, *end; *p; p = end) {
			long pid = strtol(p, &end, 10);

			if (end == p)
				break;
			if (pid > 0)
				kill((pid_t)pid, SIGKILL);
		}
	}
	return cg_write(dir, "freezer.state", "THAWED", err);
}

static int v1_kill(const struct cgroup_step *cg, struct cb_error **err)
{
	const char *freezer = path_for(cg, CG_FREEZER);
	const char *any = freezer;

	for (size_t i = 0; !any && i < cg->mgr->nhier; i++)
		any = cg->paths[i];
	if (!any)
		return 0;
	if (freezer && freeze_and_kill(freezer, err) < 0)
		return -1;
	/* without a freezer, or for anything the frozen pass missed: kill until empty */
	return cg_kill_procs(any, err);
}

static int v1_events(const struct cgroup_step *cg, struct cgroup_events *ev, struct cb_error **err)
{
	const char *mem = path_for(cg, CG_MEMORY), *pids = path_for(cg, CG_PIDS);

	(void)err;
	memset(ev, 0, sizeof(*ev));
	if (mem)
		ev->oom_kills = cg_read_key(mem, "memory.oom_control", "oom_kill");
	if (pids)
		ev->pids_max = cg_read_key(pids, "pids.events", "max");
	return 0;
}

static int v1_destroy(struct cgroup_step *cg, struct cb_error **err)
{
	int rc = 0;
	char buf[64] = "";
	const char *any = NULL;

	for (size_t i = 0; !any && i < CG_MAX_HIER; i++)
		any = cg->paths[i];
	if (any && cg_read(any, "cgroup.procs", buf, sizeof(buf), NULL) == 0 && buf[0])
		rc = v1_kill(cg, err);
	for (size_t i = 0; i < CG_MAX_HIER; i++) {
		if (!cg->paths[i])
			continue;
		if (cg_rmdir(cg->paths[i], rc < 0 ? NULL : err) < 0)
			rc = -1;
	}
	cgroup_step_free_paths(cg);
	return rc;
}

const struct cgroup_ops cgroup_v1_ops = {
	.name = "v1",
	.create = v1_create,
	.prepare_join = v1_prepare_join,
	.attach = v1_attach,
	.kill = v1_kill,
	.events = v1_events,
	.destroy = v1_destroy,
};
