/*
 * init.c - the sandbox's child until it execs cbuild-init: a copy of the
 * parent made by a fork-like clone, so no malloc, no stdio, no locks (see
 * runtime-internal.h).
 *
 * It joins the step's cgroups itself (struct cgroup_join), waits for the
 * parent's go (ID maps written, rootless), enters a new cgroup namespace,
 * sets the hostname, joins the build's network namespace or brings lo up
 * in its own (pasta configures the rest before the go), builds the filesystem (mounts.c),
 * starts a session, resolves the user in the new root, opens the cwd
 * inside it, writes the payload's description (initproto.h) to a memfd,
 * and execs cbuild-init from its sealed memfd as PID 1.  From then on no
 * process in the sandbox is a copy of cbuild.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime-internal.h"

#define ETC_FILE_MAX (4u << 20)

void child_die(const struct sandbox *sb, int code, const char *fmt, ...)
{
	struct sbx_msg msg = {.type = SBX_MSG_ERROR, .code = code};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg.text, sizeof(msg.text), fmt, ap);
	va_end(ap);
	(void)!send(sb->sock, &msg, offsetof(struct sbx_msg, text) + strlen(msg.text) + 1,
		    MSG_NOSIGNAL);
	_exit(127);
}

/* Read a small file of the new root into buf; NULL when it does not exist. */
static const char *read_etc(const struct sandbox *sb, const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	size_t n = 0;

	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return NULL;
	if (fd < 0 || fstat(fd, &st) < 0)
		child_die(sb, errno, "open `%s`", path);
	if (!S_ISREG(st.st_mode))
		child_die(sb, 0, "`%s` is not a regular file", path);
	for (;;) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			child_die(sb, errno, "read `%s`", path);
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == len - 1)
			child_die(sb, EFBIG, "read `%s`", path);
	}
	close(fd);
	buf[n] = '\0';
	return buf;
}

static void resolve_user(const struct sandbox *sb, struct runtime_ids *ids)
{
	char msg[512];
	char *buf = mmap(NULL, 2 * ETC_FILE_MAX, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const char *passwd, *group;

	if (buf == MAP_FAILED)
		child_die(sb, errno, "mmap");
	passwd = read_etc(sb, "/etc/passwd", buf, ETC_FILE_MAX);
	group = read_etc(sb, "/etc/group", buf + ETC_FILE_MAX, ETC_FILE_MAX);
	if (user_resolve_buf(sb->spec->user, passwd, group, ids, msg, sizeof(msg)) < 0)
		child_die(sb, 0, "%s", msg);
	munmap(buf, 2 * ETC_FILE_MAX);
	for (size_t i = 0; i < sb->spec->nextra_groups; i++) {
		if (ids->ngroups == RUNTIME_MAX_GROUPS)
			child_die(sb, E2BIG, "supplementary groups");
		ids->groups[ids->ngroups++] = sb->spec->extra_groups[i];
	}
	if (sb->spec->groups_include_gid && !sb->single_id) {
		bool listed = false;

		for (size_t i = 0; i < ids->ngroups; i++)
			listed = listed || ids->groups[i] == ids->gid;
		if (!listed && ids->ngroups == RUNTIME_MAX_GROUPS)
			child_die(sb, E2BIG, "supplementary groups");
		if (!listed)
			ids->groups[ids->ngroups++] = ids->gid;
	}
	/* setgroups(2) is denied there: the groups are not set */
	if (sb->single_id && (ids->uid || ids->gid || sb->spec->nextra_groups))
		child_die(sb, 0,
			  "user %u:%u: rootless mode without /etc/subuid ranges maps only root",
			  ids->uid, ids->gid);
}

/* The cwd, resolved inside the new root; a magic link (/proc/self/fd/N) is refused. */
static int open_cwd(const struct sandbox *sb)
{
	const char *cwd = sb->spec->cwd && *sb->spec->cwd ? sb->spec->cwd : "/";
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, cwd, &how, sizeof(how));

	if (fd < 0)
		child_die(sb, errno, "chdir to `%s`", cwd);
	return fd;
}

/* An fd that survives the exec of cbuild-init; -1 stays -1. */
static int keep_fd(const struct sandbox *sb, int fd)
{
	int kept;

	if (fd < 0)
		return -1;
	kept = fcntl(fd, F_DUPFD, 3);
	if (kept < 0)
		child_die(sb, errno, "dup fd %d", fd);
	return kept;
}

static void put(const struct sandbox *sb, int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = write(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			child_die(sb, errno, "write the payload description");
		c += n;
		len -= (size_t)n;
	}
}

static void put_strings(const struct sandbox *sb, int fd, char *const *v, uint32_t *count,
			uint32_t *size)
{
	for (*count = 0; v[*count]; (*count)++) {
		size_t len = strlen(v[*count]) + 1;

		put(sb, fd, v[*count], len);
		*size += (uint32_t)len;
	}
}

/* Describe the payload in a memfd for cbuild-init (initproto.h); its fd. */
static int write_blob(struct sandbox *sb, const struct runtime_ids *ids, int cwd_fd)
{
	struct cbinit_header h = {.magic = CBINIT_MAGIC, .version = CBINIT_VERSION};
	int fd = memfd_create("cbuild-init-args", 0);
	uint32_t gids[RUNTIME_MAX_GROUPS], size = sizeof(h);

	if (fd < 0)
		child_die(sb, errno, "memfd_create");
	h.sock = keep_fd(sb, sb->sock);
	h.cwd_fd = keep_fd(sb, cwd_fd);
	for (int i = 0; i < 3; i++)
		h.stdio[i] = keep_fd(sb, sb->spec->stdio[i]);
	h.uid = ids->uid;
	h.gid = ids->gid;
	h.set_groups = !sb->single_id;
	h.ngroups = (uint32_t)ids->ngroups;
	h.caps = sb->caps;
	h.last_cap = sb->last_cap;
	h.no_new_privs = sb->spec->no_new_privileges;
	h.nbpf = sb->filter.len;
	/* the header is rewritten once the sizes are known */
	put(sb, fd, &h, sizeof(h));
	for (size_t i = 0; i < ids->ngroups; i++)
		gids[i] = ids->groups[i];
	put(sb, fd, gids, ids->ngroups * sizeof(gids[0]));
	put(sb, fd, sb->filter.insns, sb->filter.len * sizeof(*sb->filter.insns));
	size += (uint32_t)(ids->ngroups * sizeof(gids[0]) +
			   sb->filter.len * sizeof(*sb->filter.insns));
	put_strings(sb, fd, sb->argv, &h.argc, &size);
	put_strings(sb, fd, sb->envp, &h.envc, &size);
	put(sb, fd, sb->path, strlen(sb->path) + 1);
	h.size = size + (uint32_t)strlen(sb->path) + 1;
	if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		child_die(sb, errno, "write the payload description");
	return fd;
}

/* After pivot_root: the user, the cwd, the description, and exec cbuild-init. */
__attribute__((noreturn)) static void exec_init(struct sandbox *sb)
{
	struct runtime_ids ids;
	char home[300], fdstr[16];
	char *argv[] = {(char *)"cbuild-init", fdstr, NULL};
	char *envp[] = {NULL};
	int cwd, blob;

	resolve_user(sb, &ids);
	if (sb->home_slot >= 0) {
		snprintf(home, sizeof(home), "HOME=%s", ids.home);
		sb->envp[sb->home_slot] = home;
	}
	cwd = open_cwd(sb);
	/* everything but what cbuild-init gets below is closed by the exec */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		child_die(sb, errno, "close_range");
	blob = write_blob(sb, &ids, cwd);
	snprintf(fdstr, sizeof(fdstr), "%d", blob);
	syscall(SYS_execveat, sb->init_fd, "", argv, envp, AT_EMPTY_PATH);
	child_die(sb, errno, "exec cbuild-init");
}

void sandbox_child(struct sandbox *sb)
{
	const char *hostname = sb->spec->hostname ? sb->spec->hostname : RT_DEFAULT_HOSTNAME;
	char go;
	int rc;

	umask(0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		child_die(sb, errno, "PR_SET_PDEATHSIG");
	/* join the step's cgroups first, so that everything after is accounted */
	for (size_t i = 0; i < sb->join.nfds; i++) {
		if (write(sb->join.fds[i], "0", 1) != 1)
			child_die(sb, errno, "join the step's cgroup");
		close(sb->join.fds[i]);
	}
	if (sb->join.clone_fd >= 0)
		close(sb->join.clone_fd);
	/* the go byte, or EOF when the parent gave up (or died before PDEATHSIG was set) */
	if (recv(sb->sock, &go, 1, 0) != 1)
		_exit(126);
	if (sb->cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		child_die(sb, errno, "new cgroup namespace");
	if (sethostname(hostname, strlen(hostname)) < 0)
		child_die(sb, errno, "sethostname");
	if (sb->netns_fd >= 0) {
		/* the build's own namespace, lo up and pasta ready already (net.c) */
		if (setns(sb->netns_fd, CLONE_NEWNET) < 0)
			child_die(sb, errno, "join the build's network namespace");
	} else if (sb->spec->network != RUNTIME_NETWORK_HOST && (rc = ns_lo_up()) < 0) {
		/* a namespace of the step's own; pasta, if any, adds its interface later */
		child_die(sb, -rc, "bring lo up");
	}
	mounts_setup(sb);
	if (setsid() < 0)
		child_die(sb, errno, "setsid");
	exec_init(sb);
}
