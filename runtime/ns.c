/*
 * ns.c - namespaces: the fork-like clone of the sandbox's init, bringing
 * lo up in a new network namespace (or one made for a build's steps to
 * share, net.c), and the ID maps of rootless mode.
 *
 * Rootless mode maps the caller to root in a new user namespace.  With a
 * range for the caller in /etc/subuid and /etc/subgid and the setuid
 * helpers newuidmap/newgidmap installed, the map is "0 -> caller, 1.. ->
 * the range", so other users exist in the sandbox; otherwise it is the
 * single line "0 -> caller" and setgroups(2) is denied, as the kernel
 * requires for an unprivileged gid_map.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <net/if.h>
#include <pthread.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "runtime-internal.h"
#include "xalloc.h"

/* struct clone_args of Linux 5.5, spelled out to stay clear of libc header clashes. */
struct rt_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

pid_t ns_clone(unsigned long flags, int cgroup_fd, int *pidfd, bool *into_cgroup)
{
	struct rt_clone_args args = {.flags = flags | CLONE_PIDFD, .pidfd = (uintptr_t)pidfd};
	long pid;

	*into_cgroup = false;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}

	/*
	 * No exit signal: the init is a "clone child" that only __WALL waits
	 * see, so a SIGCHLD handler or waitpid(-1) elsewhere in cbuild cannot
	 * reap it.  clone3 first; clone when a parent sandbox's seccomp
	 * profile turns clone3 into ENOSYS (Docker's does).
	 */
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid >= 0) {
		*into_cgroup = cgroup_fd >= 0;
		return (pid_t)pid;
	}
	if (errno == ENOSYS)
		pid = syscall(SYS_clone, flags | CLONE_PIDFD, NULL, pidfd, NULL, NULL);
	return (pid_t)pid;
}

int ns_lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		rc = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			rc = -errno;
	}
	close(fd);
	return rc;
}

/* First range of /etc/subuid or /etc/subgid for name or id: "name:start:count". */
static bool find_range(const char *file, const char *name, unsigned long id, unsigned long *start,
		       unsigned long *count)
{
	cleanup_free char *buf = NULL;
	char idstr[24];
	struct cb_error *err = NULL;

	if (cb_read_file(file, 1u << 20, &buf, NULL, &err) < 0) {
		cb_error_free(&err);
		return false;
	}
	snprintf(idstr, sizeof(idstr), "%lu", id);
	for (char *line = buf, *next; line && *line; line = next) {
		char *c1, *c2;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		c1 = strchr(line, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = '\0';
		if (strcmp(line, name) && strcmp(line, idstr))
			continue;
		*start = strtoul(c1 + 1, NULL, 10);
		*count = strtoul(c2 + 1, NULL, 10);
		if (*count)
			return true;
	}
	return false;
}

static bool on_path(const char *prog)
{
	static const char *const dirs[] = {"/usr/bin", "/bin", "/usr/sbin", "/sbin"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[64];

		snprintf(p, sizeof(p), "%s/%s", dirs[i], prog);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

void ns_idmap_detect(struct rt_idmap *map)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	const char *name = "";

	memset(map, 0, sizeof(*map));
	map->uid = getuid();
	map->gid = getgid();
	if (getpwuid_r(map->uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		name = res->pw_name;
	/* root in a user namespace maps itself: newuidmap is for ordinary users */
	map->ranges = map->uid != 0 && on_path("newuidmap") && on_path("newgidmap") &&
		      find_range("/etc/subuid", name, map->uid, &map->subuid, &map->nsubuid) &&
		      find_range("/etc/subgid", name, map->gid, &map->subgid, &map->nsubgid);
}

static int run_helper(const char *prog, pid_t pid, unsigned long id, unsigned long sub,
		      unsigned long nsub, struct cb_error **err)
{
	char a[5][24];
	char *argv[9];
	pid_t child;
	int status, rc;

	snprintf(a[0], sizeof(a[0]), "%d", (int)pid);
	snprintf(a[1], sizeof(a[1]), "%lu", id);
	snprintf(a[2], sizeof(a[2]), "%lu", sub);
	snprintf(a[3], sizeof(a[3]), "%lu", nsub);
	argv[0] = (char *)prog;
	argv[1] = a[0];
	argv[2] = (char *)"0";
	argv[3] = a[1];
	argv[4] = (char *)"1";
	argv[5] = (char *)"1";
	argv[6] = a[2];
	argv[7] = a[3];
	argv[8] = NULL;
	rc = posix_spawnp(&child, prog, NULL, NULL, argv, environ);
	if (rc)
		return cb_error_set(err, rc, "run `%s`", prog);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return cb_error_set(err, errno, "wait for `%s`", prog);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return cb_error_set(err, 0, "`%s` failed (status %d)", prog, status);
	return 0;
}

static int write_proc(pid_t pid, const char *file, const char *text, struct cb_error **err)
{
	char path[64];
	cleanup_close int fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", path);
	if (write(fd, text, strlen(text)) < 0)
		return cb_error_set(err, errno, "write `%s`", path);
	return 0;
}

int ns_write_id_maps(pid_t pid, const struct rt_idmap *map, struct cb_error **err)
{
	char line[64];

	if (map->ranges) {
		if (run_helper("newuidmap", pid, map->uid, map->subuid, map->nsubuid, err) < 0 ||
		    run_helper("newgidmap", pid, map->gid, map->subgid, map->nsubgid, err) < 0)
			return cb_error_wrap(err, "map IDs from /etc/subuid and /etc/subgid");
		return 0;
	}
	snprintf(line, sizeof(line), "0 %lu 1\n", (unsigned long)map->uid);
	if (write_proc(pid, "uid_map", line, err) < 0)
		return -1;
	if (write_proc(pid, "setgroups", "deny", err) < 0)
		return -1;
	snprintf(line, sizeof(line), "0 %lu 1\n", (unsigned long)map->gid);
	return write_proc(pid, "gid_map", line, err);
}

/* ------------------------------------------------------------------------ */
/* A network namespace shared by a build's steps                             */
/* ------------------------------------------------------------------------ */

struct netns_job {
	int fd, route_fd;
	int family; /* whose route table to open: AF_INET, AF_INET6, or AF_UNSPEC for none */
	int err;
	const char *what;
};

/* In a thread of its own: unshare moves only this thread into the new namespace. */
static void *netns_thread(void *arg)
{
	struct netns_job *j = arg;
	int rc;

	if (unshare(CLONE_NEWNET) < 0) {
		j->err = errno;
		j->what = "new network namespace";
		return NULL;
	}
	rc = ns_lo_up();
	if (rc < 0) {
		j->err = -rc;
		j->what = "bring lo up";
		return NULL;
	}
	/* a proc net file opened here keeps showing this namespace, for pasta's readiness */
	if (j->family != AF_UNSPEC) {
		j->route_fd = open(j->family == AF_INET ? "/proc/thread-self/net/route"
							: "/proc/thread-self/net/ipv6_route",
				   O_RDONLY | O_CLOEXEC);
		if (j->route_fd < 0) {
			j->err = errno;
			j->what = "open the new namespace's route table";
			return NULL;
		}
	}
	j->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (j->fd < 0) {
		j->err = errno;
		j->what = "open the new network namespace";
	}
	return NULL;
}

int ns_netns_new(int family, int *route_fd, struct cb_error **err)
{
	struct netns_job j = {-1, -1, route_fd ? family : AF_UNSPEC, 0, NULL};
	pthread_t t;
	int rc;

	rc = pthread_create(&t, NULL, netns_thread, &j);
	if (rc)
		return cb_error_set(err, rc, "start a thread for the network namespace");
	pthread_join(t, NULL);
	if (j.fd < 0) {
		if (j.route_fd >= 0)
			close(j.route_fd);
		return cb_error_set(err, j.err, "%s", j.what);
	}
	if (route_fd)
		*route_fd = j.route_fd;
	return j.fd;
}
