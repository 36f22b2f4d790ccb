/*
 * cgroup-v2.c - the cgroup v2 manager: one cgroup per step under
 * <mount>/<parent>, with the memory, pids and cpu controllers enabled in
 * cgroup.subtree_control from the mount down as the step needs them.
 * Limits: memory.max, memory.swap.max, pids.max, cpu.max, cpu.weight.
 * OOM kills are counted in memory.events, refused forks in pids.events;
 * killing writes cgroup.kill (Linux 5.14+), falling back to signalling
 * cgroup.procs until empty.  Docker's device policy is a BPF program
 * (devices.c) attached to the step's cgroup before anything joins.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime-internal.h"
#include "strbuf.h"
#include "xalloc.h"

static const struct {
	unsigned bit;
	const char *name;
} controllers[] = {{CG_MEMORY, "memory"}, {CG_PIDS, "pids"}, {CG_CPU, "cpu"}};
#define NCTL (sizeof(controllers) / sizeof(controllers[0]))

static void add(struct cgroup_write *w, size_t *n, unsigned ctl, const char *file,
		const char *value)
{
	w[*n].controller = ctl;
	w[*n].file = file;
	snprintf(w[*n].value, sizeof(w[*n].value), "%s", value);
	(*n)++;
}

static void addn(struct cgroup_write *w, size_t *n, unsigned ctl, const char *file, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	add(w, n, ctl, file, buf);
}

size_t cgroup_v2_writes(const struct runtime_limits *lim, struct cgroup_write out[CG_MAX_WRITES])
{
	size_t n = 0;
	char buf[48];

	if (lim->memory > 0) {
		addn(out, &n, CG_MEMORY, "memory.max", lim->memory);
		/* Docker: memory_swap is memory + swap; unset means as much swap as memory */
		if (lim->memory_swap < 0)
			add(out, &n, CG_MEMORY, "memory.swap.max", "max");
		else
			addn(out, &n, CG_MEMORY, "memory.swap.max",
			     lim->memory_swap ? lim->memory_swap - lim->memory : lim->memory);
	}
	if (lim->pids > 0)
		addn(out, &n, CG_PIDS, "pids.max", lim->pids);
	if (lim->cpu_quota > 0) {
		snprintf(buf, sizeof(buf), "%lld %llu", (long long)lim->cpu_quota,
			 (unsigned long long)(lim->cpu_period ? lim->cpu_period : 100000));
		add(out, &n, CG_CPU, "cpu.max", buf);
	}
	if (lim->cpu_shares) {
		/* crun's mapping of shares [2, 262144] onto weight [1, 10000] */
		uint64_t s = lim->cpu_shares < 2	? 2
			     : lim->cpu_shares > 262144 ? 262144
							: lim->cpu_shares;

		addn(out, &n, CG_CPU, "cpu.weight", (int64_t)(1 + ((s - 2) * 9999) / 262142));
	}
	return n;
}

/* "+memory +pids" for the controllers in need that dir does not yet give its children. */
static int enable_in(const char *dir, unsigned need, struct cb_error **err)
{
	char cur[512];
	unsigned have = 0;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	char *save = NULL;
	int rc = 0;

	if (cg_read(dir, "cgroup.subtree_control", cur, sizeof(cur), err) < 0)
		return -1;
	for (char *t = strtok_r(cur, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
		for (size_t i = 0; i < NCTL; i++)
			if (!strcmp(t, controllers[i].name))
				have |= controllers[i].bit;
	for (size_t i = 0; i < NCTL; i++)
		if (need & ~have & controllers[i].bit)
			cb_strbuf_addf(&sb, "%s+%s", sb.len ? " " : "", controllers[i].name);
	if (sb.len)
		rc = cg_write(dir, "cgroup.subtree_control", sb.buf, err);
	cb_strbuf_release(&sb);
	return rc;
}

/* Enable need from the mount down to (and including) base. */
static int enable_chain(const struct cgroup_manager *m, unsigned need, struct cb_error **err)
{
	const char *base = m->hier[0].base;
	size_t ml = strlen(m->mount);
	cleanup_free char *dir = xstrdup(base);

	if (!need)
		return 0;
	/* walk the prefixes of base that are at or below the mount */
	for (char *s = dir + ml;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;

		*s = '\0';
		if (enable_in(dir, need, err) < 0)
			return -1;
		if (!c)
			return 0;
		*s = c;
	}
}

static const char *missing_name(unsigned missing)
{
	for (size_t i = 0; i < NCTL; i++)
		if (missing & controllers[i].bit)
			return controllers[i].name;
	return "?";
}

/* issue 11: Docker's device policy, before anything joins the cgroup */
static int attach_devices(const struct cgroup_manager *m, const char *dir, struct cb_error **err)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", dir);
	return dev_bpf_attach(m->dev_prog_fd, fd, dir, err);
}

static int v2_create(const struct cgroup_manager *m, const char *name,
		     const struct runtime_limits *lim, struct cgroup_step *cg,
		     struct cb_error **err)
{
	unsigned need = cgroup_needed_controllers(lim);
	unsigned missing = need & ~m->hier[0].controllers;
	struct cgroup_write w[CG_MAX_WRITES];
	size_t n = cgroup_v2_writes(lim, w);

	memset(cg, 0, sizeof(*cg));
	cg->mgr = m;
	if (missing)
		return cb_error_set(err, 0,
				    "the `%s` controller is not available in the cgroup v2 "
				    "hierarchy at `%s` (cgroup.controllers; it may be bound to a "
				    "cgroup v1 hierarchy)",
				    missing_name(missing), m->mount);
	if (cg_mkdir_p(m->hier[0].base, err) < 0 || enable_chain(m, need, err) < 0)
		return -1;
	cg->paths[0] = xasprintf("%s/%s", m->hier[0].base, name);
	if (mkdir(cg->paths[0], 0755) < 0) {
		cb_error_set(err, errno, "create cgroup `%s`", cg->paths[0]);
		cgroup_step_free_paths(cg);
		return -1;
	}
	if (m->dev_prog_fd >= 0 && attach_devices(m, cg->paths[0], err) < 0) {
		rmdir(cg->paths[0]);
		cgroup_step_free_paths(cg);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (cg_write(cg->paths[0], w[i].file, w[i].value, err) < 0) {
			/* no swap accounting: Docker ignores the swap limit too */
			if (!strcmp(w[i].file, "memory.swap.max") && (*err)->code == ENOENT) {
				cb_error_free(err);
				continue;
			}
			rmdir(cg->paths[0]);
			cgroup_step_free_paths(cg);
			return -1;
		}
	}
	return 0;
}

static int v2_attach(const struct cgroup_step *cg, pid_t pid, struct cb_error **err)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return cg_write(cg->paths[0], "cgroup.procs", buf, err);
}

static int v2_prepare_join(const struct cgroup_step *cg, struct cgroup_join *j,
			   struct cb_error **err)
{
	j->clone_fd = open(cg->paths[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->clone_fd < 0)
		return cb_error_set(err, errno, "open `%s`", cg->paths[0]);
	return 0;
}

static bool populated(const char *dir)
{
	char buf[256];

	if (cg_read(dir, "cgroup.events", buf, sizeof(buf), NULL) < 0)
		return false;
	return !strstr(buf, "populated 0");
}

static int v2_kill(const struct cgroup_step *cg, struct cb_error **err)
{
	const char *dir = cg->paths[0];
	struct cb_error *kerr = NULL;

	if (!dir)
		return 0;
	if (cg_write(dir, "cgroup.kill", "1", &kerr) < 0) {
		int code = kerr->code;

		cb_error_free(&kerr);
		if (code != ENOENT)
			return cb_error_set(err, code, "write `%s/cgroup.kill`", dir);
	}
	/* wait for the kill to land; cg_kill_procs also covers kernels without cgroup.kill */
	return cg_kill_procs(dir, err);
}

static int v2_events(const struct cgroup_step *cg, struct cgroup_events *ev, struct cb_error **err)
{
	(void)err;
	memset(ev, 0, sizeof(*ev));
	if (!cg->paths[0])
		return 0;
	ev->oom_kills = cg_read_key(cg->paths[0], "memory.events", "oom_kill");
	ev->pids_max = cg_read_key(cg->paths[0], "pids.events", "max");
	return 0;
}

static int v2_destroy(struct cgroup_step *cg, struct cb_error **err)
{
	int rc = 0;

	if (!cg->paths[0])
		return 0;
	if (populated(cg->paths[0]))
		rc = v2_kill(cg, err);
	if (cg_rmdir(cg->paths[0], rc < 0 ? NULL : err) < 0)
		rc = -1;
	cgroup_step_free_paths(cg);
	return rc;
}

const struct cgroup_ops cgroup_v2_ops = {
	.name = "v2",
	.create = v2_create,
	.prepare_join = v2_prepare_join,
	.attach = v2_attach,
	.kill = v2_kill,
	.events = v2_events,
	.destroy = v2_destroy,
};
