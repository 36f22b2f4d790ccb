/*
 * cgroup.c - choose a cgroup manager at run time and the helpers both
 * backends use.
 *
 * The layout comes from /proc/self/mountinfo (which hierarchies are
 * mounted where, v1 controllers possibly co-mounted as "cpu,cpuacct") and
 * /proc/self/cgroup (our own place in each).  AUTO picks v1 when v1
 * memory/pids/cpu controllers are mounted, which covers the hybrid layout
 * (v1 controllers plus an empty v2 tree, where crun 1.8 gives up), and v2
 * otherwise.
 *
 * Where steps go: on v1, <mount>/<our cgroup>/<parent>/<step>, so a step
 * stays inside the limits of whoever started cbuild; on v2,
 * <mount>/<parent>/<step>, because a v2 cgroup that holds processes (ours)
 * cannot hand domain controllers to children.
 */
#include <dirent.h>
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
#include "fsutil.h"
#include "runtime-internal.h"
#include "strbuf.h"
#include "xalloc.h"

static const struct {
	const char *name;
	unsigned bit;
} v1_controllers[] = {
	{"memory", CG_MEMORY},	 {"pids", CG_PIDS},	  {"cpu", CG_CPU},
	{"cpuacct", CG_CPUACCT}, {"freezer", CG_FREEZER}, {"devices", CG_DEVICES},
};
#define NV1 (sizeof(v1_controllers) / sizeof(v1_controllers[0]))

/* CG_* bits named in a comma- or space-separated list ("rw,cpu,cpuacct"). */
static unsigned controller_bits(const char *list, size_t len)
{
	unsigned bits = 0;
	const char *s = list, *end = list + len;

	while (s < end) {
		size_t n = strcspn(s, ", \n");

		if (s + n > end)
			n = (size_t)(end - s);
		for (size_t i = 0; i < NV1; i++)
			if (strlen(v1_controllers[i].name) == n &&
			    !strncmp(s, v1_controllers[i].name, n))
				bits |= v1_controllers[i].bit;
		s += n + 1;
	}
	return bits;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

struct cg_mount {
	unsigned controllers; /* v1 only */
	bool v2;
	char root[512];
	char point[512];
};

/* Parse one mountinfo line; false unless it is a cgroup or cgroup2 mount. */
static bool parse_mount_line(const char *line, size_t len, struct cg_mount *m)
{
	char buf[2048], *f[12], *sep, *save = NULL, *type, *opts;
	size_t n = 0;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	sep = strstr(buf, " - ");
	if (!sep)
		return false;
	*sep = '\0';
	type = strtok_r(sep + 3, " ", &save);
	strtok_r(NULL, " ", &save); /* source */
	opts = strtok_r(NULL, " ", &save);
	if (!type || !opts || (strcmp(type, "cgroup") && strcmp(type, "cgroup2")))
		return false;
	for (char *t = strtok_r(buf, " ", &save); t && n < 12; t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	if (n < 5 || strlen(f[3]) >= sizeof(m->root) || strlen(f[4]) >= sizeof(m->point))
		return false;
	memset(m, 0, sizeof(*m));
	m->v2 = !strcmp(type, "cgroup2");
	m->controllers = m->v2 ? 0 : controller_bits(opts, strlen(opts));
	snprintf(m->root, sizeof(m->root), "%s", f[3]);
	snprintf(m->point, sizeof(m->point), "%s", f[4]);
	unescape(m->root);
	unescape(m->point);
	return m->v2 || m->controllers;
}

/* Our path in the hierarchy with these controllers (v2: the "0::" line); "/" if not found. */
static char *own_path(const char *proc_cgroup, unsigned controllers, bool v2)
{
	const char *p = proc_cgroup;

	while (p && *p) {
		const char *end = strchr(p, '\n'), *c1 = strchr(p, ':'), *c2;

		if (!end)
			end = p + strlen(p);
		c2 = c1 && c1 < end ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		if (c2) {
			bool match =
				v2 ? c2 == c1 + 1 && !strncmp(p, "0:", 2)
				   : (controller_bits(c1 + 1, (size_t)(c2 - c1 - 1)) & controllers);

			if (match)
				return xstrndup(c2 + 1, (size_t)(end - c2 - 1));
		}
		p = *end ? end + 1 : end;
	}
	return xstrdup("/");
}

/* <point> + (own relative to the mount's root) + "/" + parent */
static char *hier_base(const struct cg_mount *m, const char *own, const char *parent)
{
	size_t rl = strlen(m->root);
	const char *rel = own;

	if (strcmp(m->root, "/") && !strncmp(own, m->root, rl) && (!own[rl] || own[rl] == '/'))
		rel = own + rl;
	while (*rel == '/')
		rel++;
	return *rel ? xasprintf("%s/%s/%s", m->point, rel, parent)
		    : xasprintf("%s/%s", m->point, parent);
}

/* The mount point's last part, the name the hierarchy has under /sys/fs/cgroup. */
static char *mount_name(const struct cg_mount *m)
{
	const char *slash = strrchr(m->point, '/');
	const char *name = slash ? slash + 1 : m->point;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return xasprintf("hierarchy-%u", m->controllers);
	return xstrdup(name);
}

/*
 * A devices hierarchy cbuild cannot write to (a read-only cgroupfs) would
 * fail every step: leave it out, and the sandbox falls back to nodev mounts.
 */
static void drop_unwritable_devices(struct cgroup_hier *h)
{
	cleanup_free char *dir = cb_dirname(h->base);

	if (access(dir, W_OK) < 0)
		h->controllers &= ~CG_DEVICES;
}

static int detect_v1(const struct cg_mount *mounts, size_t n, const char *proc_cgroup,
		     const char *parent, struct cgroup_manager *m, struct cb_error **err)
{
	/* only real root may write devices.deny/allow (CAP_SYS_ADMIN in the initial namespace) */
	unsigned unusable = cb_is_real_root() ? 0 : CG_DEVICES;

	for (size_t i = 0; i < n; i++) {
		unsigned bits = mounts[i].controllers & ~unusable;
		cleanup_free char *own = NULL;

		if (mounts[i].v2 || !bits || m->nhier == CG_MAX_HIER)
			continue;
		/* the same hierarchy mounted twice: keep the first */
		for (size_t j = 0; j < m->nhier; j++)
			bits &= ~m->hier[j].controllers;
		if (!bits)
			continue;
		own = own_path(proc_cgroup, bits, false);
		m->hier[m->nhier].controllers = bits;
		m->hier[m->nhier].base = hier_base(&mounts[i], own, parent);
		if (bits & CG_DEVICES)
			drop_unwritable_devices(&m->hier[m->nhier]);
		if (!m->hier[m->nhier].controllers) {
			free(m->hier[m->nhier].base);
			m->hier[m->nhier].base = NULL;
			continue;
		}
		m->hier[m->nhier].name = mount_name(&mounts[i]);
		m->nhier++;
	}
	if (!m->nhier)
		return cb_error_set(err, 0, "no cgroup v1 controllers are mounted");
	m->ops = &cgroup_v1_ops;
	return 0;
}

/* The controllers a v2 hierarchy offers, from <mount>/cgroup.controllers. */
static unsigned v2_available(const char *mount)
{
	char buf[512];

	if (cg_read(mount, "cgroup.controllers", buf, sizeof(buf), NULL) < 0)
		return 0;
	return controller_bits(buf, strlen(buf)) & (CG_MEMORY | CG_PIDS | CG_CPU);
}

/*
 * Can a device program be attached below the parent?  Not when an
 * ancestor holds one attached without BPF_F_ALLOW_MULTI (an older runtime's
 * container, say): then every step's attach would fail with EPERM, so the
 * sandbox falls back to nodev mounts instead, the ancestor's own policy
 * still in force.  One attach to a probe cgroup, made and removed here;
 * other failures are left to the steps, which report them.
 */
static bool v2_devices_attachable(const struct cgroup_manager *m)
{
	struct cb_error *lerr = NULL;
	cleanup_free char *probe = NULL;
	int fd, rc = 0;

	if (cg_mkdir_p(m->hier[0].base, &lerr) < 0) {
		cb_error_free(&lerr);
		return true;
	}
	probe = xasprintf("%s/devices-probe.%d", m->hier[0].base, (int)getpid());
	if (mkdir(probe, 0755) < 0)
		return true;
	fd = open(probe, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = dev_bpf_attach(m->dev_prog_fd, fd, probe, &lerr);
		close(fd);
	}
	rmdir(probe);
	if (rc < 0 && lerr->code == EPERM) {
		cb_error_free(&lerr);
		return false;
	}
	cb_error_free(&lerr);
	return true;
}

static int detect_v2(const struct cg_mount *mounts, size_t n, const char *root, const char *parent,
		     struct cgroup_manager *m, struct cb_error **err)
{
	const char *point = root;

	for (size_t i = 0; !point && i < n; i++)
		if (mounts[i].v2)
			point = mounts[i].point;
	if (!point)
		return cb_error_set(err, 0, "no cgroup v2 hierarchy is mounted");
	m->mount = xstrdup(point);
	m->hier[0].controllers = v2_available(point);
	m->hier[0].base = xasprintf("%s/%s", point, parent);
	m->nhier = 1;
	m->ops = &cgroup_v2_ops;
	/*
	 * Docker's device policy as a BPF program, loaded once here and
	 * attached to every step's cgroup.  Only real root may load it
	 * (CAP_BPF or CAP_SYS_ADMIN in the initial namespace); a kernel
	 * without cgroup BPF (CONFIG_CGROUP_BPF) refuses it: then, as for
	 * rootless, the sandbox mounts its filesystems nodev instead.
	 */
	if (cb_is_real_root()) {
		struct cb_error *lerr = NULL;

		m->dev_prog_fd = dev_bpf_load(&lerr);
		cb_error_free(&lerr);
	}
	if (m->dev_prog_fd >= 0 && !v2_devices_attachable(m)) {
		close(m->dev_prog_fd);
		m->dev_prog_fd = -1;
	}
	return 0;
}

static size_t parse_mounts(const char *mountinfo, struct cg_mount *out, size_t max)
{
	size_t n = 0;
	const char *p = mountinfo;

	while (p && *p && n < max) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (parse_mount_line(p, len, &out[n]))
			n++;
		p += len + (end ? 1 : 0);
	}
	return n;
}

int cgroup_manager_detect(const struct runtime_options *opts, const char *mountinfo,
			  const char *proc_cgroup, struct cgroup_manager **out,
			  struct cb_error **err)
{
	struct cg_mount mounts[32];
	size_t n = parse_mounts(mountinfo, mounts, 32);
	enum runtime_cgroup_driver driver = opts ? opts->cgroup_driver : RUNTIME_CGROUP_AUTO;
	const char *parent =
		opts && opts->cgroup_parent ? opts->cgroup_parent : RT_DEFAULT_CGROUP_PARENT;
	const char *root = opts ? opts->cgroup_root : NULL;
	struct cgroup_manager *m;
	int rc;

	if (!*parent || parent[0] == '/' || strstr(parent, ".."))
		return cb_error_set(err, 0, "invalid cgroup parent `%s`", parent);
	if (driver == RUNTIME_CGROUP_AUTO) {
		driver = RUNTIME_CGROUP_NONE;
		for (size_t i = 0; i < n; i++) {
			if (!mounts[i].v2 &&
			    (mounts[i].controllers & (CG_MEMORY | CG_PIDS | CG_CPU)))
				driver = RUNTIME_CGROUP_V1;
			else if (mounts[i].v2 && driver == RUNTIME_CGROUP_NONE)
				driver = RUNTIME_CGROUP_V2;
		}
		if (root)
			driver = RUNTIME_CGROUP_V2;
	}
	if (driver == RUNTIME_CGROUP_NONE) {
		*out = NULL;
		return 0;
	}
	m = xcalloc(1, sizeof(*m));
	m->dev_prog_fd = -1;
	if (driver == RUNTIME_CGROUP_V1)
		rc = detect_v1(mounts, n, proc_cgroup, parent, m, err);
	else
		rc = detect_v2(mounts, n, root, parent, m, err);
	if (rc < 0) {
		cgroup_manager_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void cgroup_manager_free(struct cgroup_manager *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nhier; i++) {
		free(m->hier[i].base);
		free(m->hier[i].name);
	}
	free(m->mount);
	if (m->dev_prog_fd >= 0)
		close(m->dev_prog_fd);
	free(m);
}

bool cgroup_devices_enforced(const struct cgroup_manager *m)
{
	if (!m)
		return false;
	if (m->ops == &cgroup_v2_ops)
		return m->dev_prog_fd >= 0;
	for (size_t i = 0; i < m->nhier; i++)
		if (m->hier[i].controllers & CG_DEVICES)
			return true;
	return false;
}

unsigned cgroup_needed_controllers(const struct runtime_limits *lim)
{
	unsigned bits = 0;

	if (lim->memory || lim->memory_swap)
		bits |= CG_MEMORY;
	if (lim->pids)
		bits |= CG_PIDS;
	if (lim->cpu_quota || lim->cpu_shares)
		bits |= CG_CPU;
	return bits;
}

void cgroup_step_free_paths(struct cgroup_step *cg)
{
	for (size_t i = 0; i < CG_MAX_HIER; i++) {
		free(cg->paths[i]);
		cg->paths[i] = NULL;
	}
}

int cg_write(const char *dir, const char *file, const char *value, struct cb_error **err)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, file);
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);

	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", path);
	if (write(fd, value, len) != (ssize_t)len)
		return cb_error_set(err, errno, "write `%s` to `%s`", value, path);
	return 0;
}

int cg_read(const char *dir, const char *file, char *buf, size_t len, struct cb_error **err)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, file);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", path);
	n = read(fd, buf, len - 1);
	if (n < 0)
		return cb_error_set(err, errno, "read `%s`", path);
	buf[n] = '\0';
	return 0;
}

uint64_t cg_read_key(const char *dir, const char *file, const char *key)
{
	char buf[4096];
	size_t klen = strlen(key);

	if (cg_read(dir, file, buf, sizeof(buf), NULL) < 0)
		return 0;
	for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtoull(p + klen + 1, NULL, 10);
	return 0;
}

int cg_mkdir_p(const char *path, struct cb_error **err)
{
	cleanup_free char *p = NULL;

	/* the parent usually exists already: one syscall */
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	p = xstrdup(path);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return cb_error_set(err, errno, "mkdir `%s`", p);
		if (!c)
			return 0;
		*s = c;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int cg_rmdir(const char *path, struct cb_error **err)
{
	/* A task that has exited but is not yet released keeps the cgroup busy briefly. */
	for (int i = 0; i < 2000; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		sleep_ms(1);
	}
	return cb_error_set(err, errno, "remove cgroup `%s`", path);
}

int cg_kill_procs(const char *dir, struct cb_error **err)
{
	for (int i = 0; i < 5000; i++) {
		char buf[8192];
		bool any = false;

		if (cg_read(dir, "cgroup.procs", buf, sizeof(buf), err) < 0)
			return -1;
		for (char *p = buf; *p;) {
			char *end;
			long pid = strtol(p, &end, 10);

			if (end == p)
				break;
			if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
				any = true;
			p = end;
			while (*p == '\n')
				p++;
		}
		if (!buf[0])
			return 0;
		sleep_ms(any ? 1 : 2);
	}
	return cb_error_set(err, EBUSY, "processes of cgroup `%s` do not die", dir);
}

void rt_format_bytes(char *buf, size_t len, int64_t bytes)
{
	static const char *const units[] = {"GiB", "MiB", "KiB"};
	static const int shifts[] = {30, 20, 10};

	for (size_t i = 0; i < 3; i++) {
		int64_t unit = (int64_t)1 << shifts[i];

		if (bytes >= unit && bytes % unit == 0) {
			snprintf(buf, len, "%lld %s", (long long)(bytes / unit), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%lld bytes", (long long)bytes);
}

/* "<pid>-<n>" names a step of cbuild process pid; true when that process is gone. */
static bool stale_name(const char *name)
{
	char *end;
	long pid = strtol(name, &end, 10);

	if (end == name || *end != '-' || pid <= 0)
		return false;
	strtoul(end + 1, &end, 10);
	if (*end)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

void cgroup_manager_reap_stale(const struct cgroup_manager *m)
{
	for (size_t h = 0; h < m->nhier; h++) {
		cleanup_dir DIR *d = opendir(m->hier[h].base);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			struct cgroup_step cg = {.mgr = m};
			struct cb_error *err = NULL;

			if (e->d_type != DT_DIR || !stale_name(e->d_name))
				continue;
			for (size_t i = 0; i < m->nhier; i++)
				cg.paths[i] = xasprintf("%s/%s", m->hier[i].base, e->d_name);
			if (m->ops->destroy(&cg, &err) < 0)
				cb_error_free(&err);
		}
	}
}
