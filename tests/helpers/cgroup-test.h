/*
 * cgroup-test.h - what the unit tests that run the cgroup managers against
 * the kernel (test_runtime_cgroup.c, test_runtime_harden_devices.c) share:
 * the host's real manager under a parent private to the test, its removal,
 * a child that joins a step's cgroup the way the sandbox's init does, and
 * the v2 manager on a private cgroup2 mount, in a child with its own mount
 * namespace.
 * Header-only, as seccomp-test.h: it needs runtime-internal.h, which only
 * the runtime's tests can include.
 */
#ifndef CB_TESTS_CGROUP_TEST_H
#define CB_TESTS_CGROUP_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbtest.h"
#include "cleanup.h"
#include "fsutil.h"
#include "runtime-internal.h"

/*
 * The host's manager for driver (on root when not NULL), with the parent
 * "<name>-<pid>", private to this test; NULL, the reason on stderr, when
 * the manager cannot be had.  The caller is root.
 */
static inline struct cgroup_manager *cgt_real_manager(enum runtime_cgroup_driver driver,
						      const char *root, const char *name)
{
	cleanup_free char *mi = NULL;
	cleanup_free char *self = NULL;
	char parent[64];
	struct runtime_options o = {
		.cgroup_driver = driver, .cgroup_root = root, .cgroup_parent = parent};
	struct cb_error *err = NULL;
	struct cgroup_manager *m = NULL;

	snprintf(parent, sizeof(parent), "%s-%d", name, (int)getpid());
	assert_int_equal(cb_read_file("/proc/self/mountinfo", 0, &mi, NULL, &err), 0);
	assert_int_equal(cb_read_file("/proc/self/cgroup", 0, &self, NULL, &err), 0);
	if (cgroup_manager_detect(&o, mi, self, &m, &err) < 0) {
		cb_error_report_prefix(&err, "cgroup manager");
		return NULL;
	}
	return m;
}

/* Remove the test's parent cgroups (empty by now) and free m. */
static inline void cgt_remove_parents(struct cgroup_manager *m)
{
	for (size_t i = 0; i < m->nhier; i++)
		if (rmdir(m->hier[i].base) < 0 && errno != ENOENT)
			fail_msg("rmdir %s: %s", m->hier[i].base, strerror(errno));
	cgroup_manager_free(m);
}

/*
 * In a child that joins cg as the sandbox's init does (clone3 into the v2
 * cgroup, or "0" written to each v1 hierarchy's cgroup.procs), run fn and
 * exit with what it returns.  Returns the child's pid once it has joined,
 * or -1 with the reason on stderr (the child, if any, reaped).
 */
static inline pid_t cgt_spawn_in(const struct cgroup_step *cg, int (*fn)(void))
{
	struct cgroup_join j = {.clone_fd = -1};
	struct cb_error *err = NULL;
	int pidfd = -1, sync[2], status = 0;
	bool into = false;
	char c;
	pid_t pid;

	if (cg->mgr->ops->prepare_join(cg, &j, &err) < 0) {
		cb_error_report_prefix(&err, "prepare_join");
		return -1;
	}
	if (pipe2(sync, O_CLOEXEC) < 0)
		fail_msg("pipe2: %s", strerror(errno));
	pid = ns_clone(0, j.clone_fd, &pidfd, &into);
	if (pid == 0) {
		for (size_t i = 0; i < j.nfds; i++)
			if (write(j.fds[i], "0", 1) != 1)
				_exit(3);
		if (!into && !j.nfds)
			_exit(4);
		if (write(sync[1], "j", 1) != 1)
			_exit(5);
		_exit(fn());
	}
	close(sync[1]);
	for (size_t i = 0; i < j.nfds; i++)
		close(j.fds[i]);
	if (j.clone_fd >= 0)
		close(j.clone_fd);
	if (pid < 0) {
		fprintf(stderr, "clone: %s\n", strerror(errno));
		close(sync[0]);
		return -1;
	}
	close(pidfd);
	if (read(sync[0], &c, 1) != 1) {
		waitpid(pid, &status, __WALL);
		fprintf(stderr, "the child did not join its cgroup (status %#x)\n", status);
		pid = -1;
	}
	close(sync[0]);
	return pid;
}

/* The child of cgt_v2_on_private_mount(): 0, or the number of what failed. */
static inline int cgt_v2_child(const char *dir, const char *name,
			       int (*fn)(struct cgroup_manager *m, const char *dir))
{
	struct cgroup_manager *m;
	int rc;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", dir, "cgroup2", 0, NULL) < 0) {
		fprintf(stderr, "a private cgroup2 mount: %s\n", strerror(errno));
		return 9;
	}
	m = cgt_real_manager(RUNTIME_CGROUP_V2, dir, name);
	if (!m)
		return 10;
	rc = fn(m, dir);
	/* the mount shows the host's unified hierarchy: leave nothing in it */
	for (size_t i = 0; i < m->nhier; i++)
		if (rmdir(m->hier[i].base) < 0 && errno != ENOENT && rc == 0) {
			fprintf(stderr, "rmdir %s: %s\n", m->hier[i].base, strerror(errno));
			rc = 8;
		}
	cgroup_manager_free(m);
	umount(dir);
	return rc;
}

/*
 * In a child with its own mount namespace, cgroup2 mounted on "cg2" (made
 * here, in the case's temp dir): fn(m, dir), m the v2 manager on that
 * mount with the parent "<name>-<pid>".  fn returns 0 or the number of the
 * check that failed, having destroyed the steps it made; the parents are
 * removed afterwards.  The case fails unless the child exits 0.  The caller
 * is root and has asked cb_test_kernel_fs("cgroup2").
 */
static inline void cgt_v2_on_private_mount(const char *name,
					   int (*fn)(struct cgroup_manager *m, const char *dir))
{
	static const char dir[] = "cg2";
	int status;
	pid_t pid;

	assert_int_equal(mkdir(dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(cgt_v2_child(dir, name, fn));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#endif
