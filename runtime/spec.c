/*
 * spec.c - check a struct runtime_spec and turn it into a struct sandbox:
 * everything the sandbox's child will need, allocated now, because
 * they cannot allocate (runtime-internal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "runtime-internal.h"
#include "strbuf.h"
#include "xalloc.h"

void runtime_spec_init(struct runtime_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->caps = RUNTIME_DEFAULT_CAPS;
	spec->network = RUNTIME_NETWORK_PRIVATE;
	spec->seccomp = RUNTIME_SECCOMP_DEFAULT;
	spec->stdio[0] = spec->stdio[1] = spec->stdio[2] = -1;
	spec->cancel_fd = -1;
}

/* path made absolute against the cwd; caller frees. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(path);
	return cb_path_join(cwd, path);
}

static int need_dir(const char *what, const char *path, struct cb_error **err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return cb_error_set(err, errno, "%s `%s`", what, path);
	if (!S_ISDIR(st.st_mode))
		return cb_error_set(err, ENOTDIR, "%s `%s`", what, path);
	return 0;
}

/* "/a//b/./c/" -> "/a/b/c"; NULL when relative or when it has "..". */
static char *clean_target(const char *t)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	if (!t || t[0] != '/')
		return NULL;
	for (const char *p = t; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 2 && !strncmp(p, "..", 2)) {
			cb_strbuf_release(&sb);
			return NULL;
		}
		if (n && !(n == 1 && *p == '.')) {
			cb_strbuf_addch(&sb, '/');
			cb_strbuf_add(&sb, p, n);
		}
		p += n;
	}
	if (!sb.len)
		cb_strbuf_addch(&sb, '/');
	return cb_strbuf_detach(&sb, NULL);
}

static size_t depth(const char *path)
{
	size_t d = 0;

	for (; *path; path++)
		d += *path == '/';
	return d;
}

static int prepare_mounts(const struct runtime_spec *spec, struct sandbox *sb,
			  struct cb_error **err)
{
	if (spec->nmounts > RT_MAX_MOUNTS)
		return cb_error_set(err, E2BIG, "more than %d mounts", RT_MAX_MOUNTS);
	sb->mounts = xcalloc(spec->nmounts + 1, sizeof(*sb->mounts));
	for (size_t i = 0; i < spec->nmounts; i++) {
		const struct runtime_mount *m = &spec->mounts[i];
		struct sbx_mount *o = &sb->mounts[sb->nmounts];
		char *target = clean_target(m->target);

		if (!target || !strcmp(target, "/")) {
			free(target);
			return cb_error_set(err, 0,
					    "mount target `%s` must be an absolute path below /",
					    m->target ? m->target : "");
		}
		sb->nmounts++;
		o->type = m->type;
		o->target = target;
		o->readonly = m->readonly;
		o->src_fd = -1;
		if (m->type == RUNTIME_MOUNT_BIND) {
			if (!m->source || !*m->source)
				return cb_error_set(err, 0, "bind mount on `%s` has no source",
						    target);
			o->source = absolute(m->source);
			if (access(o->source, F_OK) < 0)
				return cb_error_set(err, errno, "bind source `%s`", m->source);
		} else {
			int n = snprintf(o->data, sizeof(o->data), "mode=%o",
					 m->tmpfs_mode ? (unsigned)m->tmpfs_mode : 01777u);

			if (m->tmpfs_size)
				snprintf(o->data + n, sizeof(o->data) - (size_t)n, ",size=%llu",
					 (unsigned long long)m->tmpfs_size);
		}
	}
	/* parents before children (stable), so /a is mounted before /a/b */
	for (size_t i = 1; i < sb->nmounts; i++) {
		struct sbx_mount tmp = sb->mounts[i];
		size_t j = i;

		for (; j > 0 && depth(sb->mounts[j - 1].target) > depth(tmp.target); j--)
			sb->mounts[j] = sb->mounts[j - 1];
		sb->mounts[j] = tmp;
	}
	return 0;
}

static int prepare_rootfs(const struct runtime_spec *spec, struct sandbox *sb,
			  struct cb_error **err)
{
	size_t nl = spec->nlowerdirs, n;

	sb->rootfs_fd = -1;
	if (!!spec->rootfs == !!nl)
		return cb_error_set(err, 0, "a step needs either a rootfs or overlay lowerdirs");
	if (spec->rootfs) {
		sb->rootfs_path = absolute(spec->rootfs);
		return need_dir("rootfs", sb->rootfs_path, err);
	}
	if (!!spec->upperdir != !!spec->workdir)
		return cb_error_set(err, 0, "an overlay upperdir needs a workdir, and back");
	sb->ephemeral_upper = !spec->upperdir;
	n = nl + (spec->upperdir ? 2 : 0);
	sb->layer_paths = xcalloc(n + 1, sizeof(*sb->layer_paths));
	sb->layer_fds = xcalloc(n + 1, sizeof(*sb->layer_fds));
	for (size_t i = 0; i < n; i++) {
		const char *p = i < nl	  ? spec->lowerdirs[i]
				: i == nl ? spec->upperdir
					  : spec->workdir;

		sb->layer_fds[i] = -1;
		sb->layer_paths[i] = absolute(p);
		sb->nlayer_fds++;
		if (need_dir(i < nl    ? "lowerdir"
			     : i == nl ? "upperdir"
				       : "workdir",
			     sb->layer_paths[i], err) < 0)
			return -1;
	}
	/* "lowerdir=" + stubs + n x "/proc/self/fd/NNNNNNNNNN:" + upper/work + options */
	sb->ovl_opts_len = 512 + 32 * (n + 1);
	sb->ovl_opts = xmalloc(sb->ovl_opts_len);
	return 0;
}

static void prepare_env(const struct runtime_spec *spec, struct sandbox *sb)
{
	size_t n = 0;
	bool has_path = false, has_home = false;

	for (; spec->env && spec->env[n]; n++) {
		if (!strncmp(spec->env[n], "PATH=", 5)) {
			has_path = true;
			sb->path = spec->env[n] + 5;
		}
		has_home |= !strncmp(spec->env[n], "HOME=", 5);
	}
	sb->envp = xcalloc(n + 3, sizeof(*sb->envp));
	for (size_t i = 0; i < n; i++)
		sb->envp[i] = (char *)spec->env[i];
	/* Docker adds a default PATH; runc adds HOME from /etc/passwd */
	if (!has_path) {
		sb->envp[n++] = (char *)"PATH=" RT_DEFAULT_PATH;
		sb->path = RT_DEFAULT_PATH;
	}
	sb->home_slot = has_home ? -1 : (long)n;
	sb->argv = (char **)spec->argv;
}

static void prepare_etc(const struct runtime_spec *spec, int net_family, struct sandbox *sb)
{
	const char *h = spec->hostname ? spec->hostname : RT_DEFAULT_HOSTNAME;
	struct cb_error *err = NULL;
	char *resolv = NULL;

	sb->etc_hosts = xasprintf("127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost "
				  "ip6-loopback\n",
				  h);
	sb->etc_hostname = xasprintf("%s\n", h);
	if (cb_read_file("/etc/resolv.conf", 64u << 10, &resolv, NULL, &err) < 0) {
		cb_error_free(&err);
		resolv = xstrdup("");
	}
	/* the private network's loopback is not the host's (net.c) */
	if (spec->network == RUNTIME_NETWORK_PRIVATE) {
		char *mine = net_resolv_conf(resolv, net_family == AF_INET ? RT_NET_DNS4 : NULL);

		free(resolv);
		resolv = mine;
	}
	sb->etc_resolv = resolv;
}

static int check_spec(const struct runtime_spec *spec, struct cb_error **err)
{
	const struct runtime_limits *l = &spec->limits;
	const char *h = spec->hostname;

	if (!spec->argv || !spec->argv[0] || !*spec->argv[0])
		return cb_error_set(err, 0, "no command to run");
	if (spec->cwd && *spec->cwd && spec->cwd[0] != '/')
		return cb_error_set(err, 0, "working directory `%s` is not absolute", spec->cwd);
	if (h && (!*h || strlen(h) > 64 || strchr(h, '/')))
		return cb_error_set(err, 0, "invalid hostname `%s`", h);
	if (l->memory < 0 || l->pids < 0 || l->cpu_quota < 0 || l->memory_swap < -1)
		return cb_error_set(err, 0, "negative resource limit");
	if (l->memory && l->memory < (6 << 20))
		return cb_error_set(err, 0, "minimum memory limit allowed is 6MB");
	if (l->memory_swap && !l->memory)
		return cb_error_set(err, 0, "a memory+swap limit needs a memory limit");
	if (l->memory_swap > 0 && l->memory_swap < l->memory)
		return cb_error_set(err, 0,
				    "the memory+swap limit must be at least the memory limit");
	if (l->cpu_period && (l->cpu_period < 1000 || l->cpu_period > 1000000))
		return cb_error_set(err, 0, "CPU period must be 1000..1000000 microseconds");
	if (l->cpu_quota && l->cpu_quota < 1000)
		return cb_error_set(err, 0, "CPU quota must be at least 1000 microseconds");
	if ((unsigned)spec->network > RUNTIME_NETWORK_PRIVATE)
		return cb_error_set(err, 0, "unknown network mode %d", (int)spec->network);
	if (spec->seccomp == RUNTIME_SECCOMP_PROFILE && !spec->seccomp_profile)
		return cb_error_set(err, 0, "no seccomp profile given");
	return 0;
}

int sandbox_prepare(const struct runtime_spec *spec, int net_family, struct sandbox *sb,
		    struct cb_error **err)
{
	memset(sb, 0, sizeof(*sb));
	sb->spec = spec;
	sb->sock = -1;
	sb->home_slot = -1;
	sb->rootfs_fd = -1;
	sb->netns_fd = -1;
	if (check_spec(spec, err) < 0 || prepare_rootfs(spec, sb, err) < 0 ||
	    prepare_mounts(spec, sb, err) < 0)
		return -1;
	prepare_env(spec, sb);
	prepare_etc(spec, net_family, sb);
	sb->caps = spec->caps;
	return 0;
}

void sandbox_release(struct sandbox *sb)
{
	for (size_t i = 0; i < sb->nlayer_fds; i++)
		free(sb->layer_paths[i]);
	for (size_t i = 0; i < sb->nmounts; i++) {
		free((char *)sb->mounts[i].target);
		free((char *)sb->mounts[i].source);
	}
	free(sb->layer_paths);
	free(sb->layer_fds);
	free(sb->rootfs_path);
	free(sb->ovl_opts);
	free(sb->mounts);
	free(sb->envp);
	free(sb->etc_hosts);
	free(sb->etc_resolv);
	free(sb->etc_hostname);
	rt_bpf_release(&sb->filter);
	memset(sb, 0, sizeof(*sb));
}
