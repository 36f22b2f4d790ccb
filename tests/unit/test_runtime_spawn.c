/*
 * test_runtime_spawn.c - runtime_run() through its API, as the builder will
 * call it: stdio, exit status, signals, setup errors, cancellation, parallel
 * steps, OOM, overlay roots without stubs in the upperdir, a missing cwd
 * created on request, and that nothing (mounts, cgroups) is left behind.
 * Needs root; skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cbtest.h"
#include "cleanup.h"
#include "fsutil.h"
#include "runtime.h"
#include "strbuf.h"
#include "xalloc.h"

static char cgparent[64];

static void write_file(const char *path, const char *text)
{
	struct cb_error *err = NULL;

	if (cb_write_file_atomic(AT_FDCWD, path, text, strlen(text), 0644, &err) < 0)
		fail_msg("%s", cb_error_msg(err));
}

static void copy_exec(const char *from, const char *to)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	struct cb_error *err = NULL;

	if (cb_read_file(from, 0, &buf, &len, &err) < 0 ||
	    cb_write_file_atomic(AT_FDCWD, to, buf, len, 0755, &err) < 0)
		fail_msg("%s", cb_error_msg(err));
}

/* A busybox rootfs with the probe; with_mountpoints = false leaves out /proc /dev /sys. */
static void make_rootfs(const char *dir, bool with_mountpoints)
{
	static const char *const applets[] = {"sh", "cat",  "echo", "sleep",
					      "id", "kill", "ls",   "pwd"};
	struct cb_error *err = NULL;
	char p[512];

	snprintf(p, sizeof(p), "%s/bin", dir);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, p, 0755, &err), 0);
	snprintf(p, sizeof(p), "%s/etc", dir);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, p, 0755, &err), 0);
	for (int i = 0; with_mountpoints && i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, (const char *[]){"proc", "dev", "sys"}[i]);
		assert_int_equal(cb_mkdir_p(AT_FDCWD, p, 0755, &err), 0);
	}
	snprintf(p, sizeof(p), "%s/bin/busybox", dir);
	copy_exec("/bin/busybox", p);
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
		snprintf(p, sizeof(p), "%s/bin/%s", dir, applets[i]);
		assert_int_equal(symlink("busybox", p), 0);
	}
	snprintf(p, sizeof(p), "%s/probe", dir);
	copy_exec(CB_PROBE_PATH, p);
	snprintf(p, sizeof(p), "%s/etc/passwd", dir);
	write_file(p, "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n");
	snprintf(p, sizeof(p), "%s/etc/group", dir);
	write_file(p, "root:x:0:\nwheel:x:10:user\nuser:x:1000:\n");
}

static struct runtime *new_runtime(void)
{
	struct runtime_options o = {.cgroup_parent = cgparent};
	struct cb_error *err = NULL;
	struct runtime *rt;

	if (geteuid() != 0 || access("/bin/busybox", X_OK) < 0)
		skip();
	rt = runtime_new(&o, &err);
	if (!rt)
		fail_msg("runtime_new: %s", cb_error_msg(err));
	return rt;
}

/*
 * Mounts a run could leak into the host's namespace outside the test's
 * directory (check_clean looks for that one by name): those on the
 * directories the runtime mounts its private tmpfs on.  Not all of the
 * host's mounts: tests running in parallel mount and unmount their own.
 */
static int count_mounts(void)
{
	static const char *const bases[] = {"/tmp", "/var/tmp", "/run", "/mnt"};
	cleanup_free char *mi = NULL;
	struct cb_error *err = NULL;
	int n = 0;

	assert_int_equal(cb_read_file("/proc/self/mountinfo", 0, &mi, NULL, &err), 0);
	for (char *line = mi, *nl; *line; line = nl + 1) {
		char point[4096];

		nl = strchr(line, '\n');
		assert_non_null(nl);
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
			n += !strcmp(point, bases[i]);
	}
	return n;
}

/* No mount and no step cgroup may outlive a run; then drop the test's cgroup parent. */
static void check_clean(struct runtime *rt, int mounts_before)
{
	cleanup_free char *mi = NULL;
	struct cb_error *err = NULL;
	char cwd[512];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(cb_read_file("/proc/self/mountinfo", 0, &mi, NULL, &err), 0);
	assert_null(strstr(mi, cwd));
	assert_true(count_mounts() <= mounts_before);
	runtime_free(rt);
	/* rmdir fails with EBUSY if a step's cgroup were left below the parent */
	static const char *const roots[] = {"/sys/fs/cgroup/pids",    "/sys/fs/cgroup/cpu",
					    "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/cpuacct",
					    "/sys/fs/cgroup/unified", "/sys/fs/cgroup/devices",
					    "/sys/fs/cgroup"};
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		cleanup_free char *p = xasprintf("%s/%s", roots[i], cgparent);

		if (rmdir(p) < 0 && errno != ENOENT && errno != ENOTDIR && errno != EROFS)
			fail_msg("rmdir %s: %s", p, strerror(errno));
	}
	{
		/* the memory hierarchy nests under our own cgroup */
		cleanup_free char *self = NULL;
		char *m;

		assert_int_equal(cb_read_file("/proc/self/cgroup", 0, &self, NULL, &err), 0);
		m = strstr(self, ":memory:");
		if (m) {
			cleanup_free char *path = xstrndup(m + 8, strcspn(m + 8, "\n"));
			cleanup_free char *p =
				xasprintf("/sys/fs/cgroup/memory%s/%s", path, cgparent);

			if (rmdir(p) < 0 && errno != ENOENT)
				fail_msg("rmdir %s: %s", p, strerror(errno));
		}
	}
}

/* Run argv in rootfs with stdout/stderr captured into *out (caller frees). */
static int run_capture(struct runtime *rt, struct runtime_spec *spec, struct runtime_result *res,
		       char **out, struct cb_error **err)
{
	int fds[2];
	int rc;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	spec->stdio[1] = fds[1];
	spec->stdio[2] = fds[1];
	rc = runtime_run(rt, spec, res, err);
	close(fds[1]);
	assert_int_equal(cb_read_fd(fds[0], 0, out, NULL, err), 0);
	close(fds[0]);
	return rc;
}

static void test_exit_status_and_stdio(void **state)
{
	struct runtime *rt = new_runtime();
	int mounts = count_mounts();
	const char *argv[] = {"sh", "-c", "echo out; echo err >&2; cat; exit 7", NULL};
	struct runtime_spec spec;
	struct runtime_result res;
	struct cb_error *err = NULL;
	cleanup_free char *out = NULL;
	int in[2];

	(void)state;
	make_rootfs("rootfs", true);
	runtime_spec_init(&spec);
	spec.rootfs = "rootfs";
	spec.argv = argv;
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(write(in[1], "in\n", 3), 3);
	close(in[1]);
	spec.stdio[0] = in[0];
	assert_int_equal(run_capture(rt, &spec, &res, &out, &err), 0);
	close(in[0]);
	assert_string_equal(out, "out\nerr\nin\n");
	assert_int_equal(res.exit_code, 7);
	assert_int_equal(res.signal, 0);
	assert_false(res.oom_killed || res.pids_limited || res.cancelled || res.exec_failed);
	assert_string_equal(res.message, "exit code: 7");
	runtime_result_release(&res);
	check_clean(rt, mounts);
}

static void test_env_cwd_user(void **state)
{
	struct runtime *rt = new_runtime();
	int mounts = count_mounts();
	const char *argv[] = {"sh", "-c", "echo \"$A|$HOME|$PATH\"; pwd; id", NULL};
	const char *env[] = {"A=1", NULL};
	const gid_t extra[] = {4242};
	struct runtime_spec spec;
	struct runtime_result res;
	struct cb_error *err = NULL;
	cleanup_free char *out = NULL;

	(void)state;
	make_rootfs("rootfs", true);
	assert_int_equal(mkdir("rootfs/work", 0755), 0);
	runtime_spec_init(&spec);
	spec.rootfs = "rootfs";
	spec.argv = argv;
	spec.env = env;
	spec.cwd = "/work";
	spec.user = "user";
	spec.extra_groups = extra;
	spec.nextra_groups = 1;
	assert_int_equal(run_capture(rt, &spec, &res, &out, &err), 0);
	assert_int_equal(res.exit_code, 0);
	assert_null(res.message);
	assert_string_equal(out, "1|/home/user|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
				 "/sbin:/bin\n/work\nuid=1000(user) gid=1000(user) "
				 "groups=10(wheel),4242\n");
	check_clean(rt, mounts);
}

static void expect_setup_error(struct runtime *rt, struct runtime_spec *spec, const char *want)
{
	struct runtime_result res = {.exit_code = 99};
	struct cb_error *err = NULL;

	assert_int_equal(runtime_run(rt, spec, &res, &err), -1);
	if (!strstr(cb_error_msg(err), want))
		fail_msg("error `%s` lacks `%s`", cb_error_msg(err), want);
	assert_int_equal(res.exit_code, 99); /* untouched */
	cb_error_free(&err);
}

static void test_setup_errors(void **state)
{
	struct runtime *rt = new_runtime();
	int mounts = count_mounts();
	const char *argv[] = {"true", NULL};
	const char *lowers[] = {"rootfs", NULL};
	struct runtime_mount bad = {.type = RUNTIME_MOUNT_BIND, .source = "/", .target = "x"};
	struct runtime_spec spec;

	(void)state;
	make_rootfs("rootfs", true);
	runtime_spec_init(&spec);
	spec.argv = argv;
	expect_setup_error(rt, &spec, "a step needs either a rootfs or overlay lowerdirs");
	spec.rootfs = "missing";
	expect_setup_error(rt, &spec, "rootfs `");
	spec.rootfs = "rootfs";
	spec.lowerdirs = lowers;
	spec.nlowerdirs = 1;
	expect_setup_error(rt, &spec, "either a rootfs or overlay lowerdirs");
	spec.lowerdirs = NULL;
	spec.nlowerdirs = 0;
	spec.user = "ghost";
	expect_setup_error(rt, &spec,
			   "unable to find user ghost: no matching entries in passwd file");
	spec.user = NULL;
	spec.cwd = "/nope";
	expect_setup_error(rt, &spec, "chdir to `/nope`: No such file or directory");
	spec.cwd = NULL;
	spec.mounts = &bad;
	spec.nmounts = 1;
	expect_setup_error(rt, &spec, "mount target `x` must be an absolute path below /");
	spec.nmounts = 0;
	spec.hostname = "a/b";
	expect_setup_error(rt, &spec, "invalid hostname");
	spec.hostname = NULL;
	spec.argv = NULL;
	expect_setup_error(rt, &spec, "no command to run");
	check_clean(rt, mounts);
}

static void test_exec_failure_and_signal(void **state)
{
	struct runtime *rt = new_runtime();
	int mounts = count_mounts();
	const char *nocmd[] = {"no-such-command", NULL};
	const char *killed[] = {"sh", "-c", "kill -TERM $$", NULL};
	struct runtime_spec spec;
	struct runtime_result res;
	struct cb_error *err = NULL;

	(void)state;
	make_rootfs("rootfs", true);
	runtime_spec_init(&spec);
	spec.rootfs = "rootfs";
	spec.argv = nocmd;
	assert_int_equal(runtime_run(rt, &spec, &res, &err), 0);
	assert_true(res.exec_failed);
	assert_int_equal(res.exit_code, 127);
	assert_string_equal(res.message,
			    "exec: \"no-such-command\": executable file not found in $PATH");
	runtime_result_release(&res);
	spec.argv = killed;
	assert_int_equal(runtime_run(rt, &spec, &res, &err), 0);
	assert_int_equal(res.signal, 15);
	assert_int_equal(res.exit_code, 143);
	assert_string_equal(res.message, "killed by signal 15 (SIGTERM)");
	runtime_result_release(&res);
	check_clean(rt, mounts);
}

static void test_oom(void **state)
{
	struct runtime *rt = new_runtime();
	int mounts = count_mounts();
	const char *argv[] = {"/probe", "alloc", "200", NULL};
	struct runtime_spec spec;
	struct runtime_result res;
	struct cb_error *err = NULL;

	(void)state;
	if (cb_test_host_cgroups() == CB_TEST_CGROUPS_NONE)
		cb_test_not_applicable_exit("memory limits: no cgroup hierarchy on this host");
	/* this host has cgroups, and the tests run as root: the runtime must use them */
	assert_string_not_equal(runtime_cgroup_driver_name(rt), "none");
	make_rootfs("rootfs", true);
	runtime_spec_init(&spec);
	spec.rootfs = "rootfs";
	spec.argv = argv;
	spec.limits.memory = 32 << 20;
	if (runtime_run(rt, &spec, &res, &err) < 0) {
		/* a v2 hierarchy without the memory controller: the machine has no memory limits */
		assert_non_null(strstr(cb_error_msg(err), "controller is not available"));
		cb_error_free(&err);
		check_clean(rt, mounts);
		cb_test_not_applicable_exit("memory limits: the cgroup v2 hierarchy lacks the "
					    "memory controller on this host");
	}
	assert_true(res.oom_killed);
	assert_int_equal(res.exit_code, 137);
	assert_string_equal(res.message, "killed: out of memory (limit 32 MiB)");
	runtime_result_release(&res);
	check_clean(rt, mounts);
}

static void *cancel_later(void *arg)
{
	struct timespec ts = {0, 200 * 1000 * 1000};
	uint64_t one = 1;

	nanosleep(&ts, NULL);
	if (write(*(int *)arg, &one, sizeof(one)) != sizeof(one))
		abort();
	return NULL;
}

static void test_cancel(void **state)
{
	struct runtime *rt = new_runtime();
	int mounts = count_mounts();
	const char *argv[] = {"sh", "-c", "trap '' TERM INT; sleep 30 & sleep 30", NULL};
	struct runtime_spec spec;
	struct runtime_result res;
	struct cb_error *err = NULL;
	int efd = eventfd(0, EFD_CLOEXEC);
	struct timespec t0, t1;
	pthread_t th;

	(void)state;
	make_rootfs("rootfs", true);
	runtime_spec_init(&spec);
	spec.rootfs = "rootfs";
	spec.argv = argv;
	spec.cancel_fd = efd;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&th, NULL, cancel_later, &efd), 0);
	assert_int_equal(runtime_run(rt, &spec, &res, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	assert_true(res.cancelled);
	assert_int_equal(res.exit_code, 137);
	assert_string_equal(res.message, "cancelled");
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	runtime_result_release(&res);
	/* the same, already readable, fd cancels the next step at once */
	assert_int_equal(runtime_run(rt, &spec, &res, &err), 0);
	assert_true(res.cancelled);
	runtime_result_release(&res);
	close(efd);
	check_clean(rt, mounts);
}

struct par {
	struct runtime *rt;
	int n;
	int rc;
	char *out;
};

static void *par_run(void *arg)
{
	struct par *p = arg;
	char script[64];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct runtime_spec spec;
	struct runtime_result res;
	struct cb_error *err = NULL;

	snprintf(script, sizeof(script), "sleep 0.2; echo step-%d; hostname", p->n);
	runtime_spec_init(&spec);
	spec.rootfs = "rootfs";
	spec.argv = argv;
	spec.hostname = p->n % 2 ? "odd" : "even";
	spec.limits.pids = 50;
	p->rc = run_capture(p->rt, &spec, &res, &p->out, &err);
	if (p->rc == 0 && res.exit_code)
		p->rc = res.exit_code;
	if (p->rc < 0)
		cb_error_report(&err);
	runtime_result_release(&res);
	return NULL;
}

/* Parallel stages: one struct runtime, several threads, independent steps. */
static void test_parallel(void **state)
{
	struct runtime *rt = new_runtime();
	int mounts = count_mounts();
	struct par p[6];
	pthread_t th[6];

	(void)state;
	make_rootfs("rootfs", true);
	for (int i = 0; i < 6; i++) {
		p[i] = (struct par){.rt = rt, .n = i};
		assert_int_equal(pthread_create(&th[i], NULL, par_run, &p[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		char want[64];

		pthread_join(th[i], NULL);
		assert_int_equal(p[i].rc, 0);
		snprintf(want, sizeof(want), "step-%d\n%s\n", i, i % 2 ? "odd" : "even");
		assert_string_equal(p[i].out, want);
		free(p[i].out);
	}
	check_clean(rt, mounts);
}

static bool dir_empty(const char *path)
{
	cleanup_dir DIR *d = opendir(path);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			return false;
	return true;
}

/* Overlay roots need the kernel's overlay file system; without it they do not apply. */
static void need_overlay(void)
{
	char why[256];

	if (!cb_test_kernel_fs("overlay", why, sizeof(why)))
		cb_test_not_applicable_exit("overlay roots: %s", why);
}

/*
 * An overlay step's set-up (the case does not apply without the kernel's
 * overlay): the rootfs "layer" (its mount points too with mount_points),
 * empty "upper" and "work", and spec on them with lowers (n of them) as
 * its lowerdirs.
 */
static void overlay_spec(struct runtime_spec *spec, const char *const *lowers, size_t n,
			 bool mount_points)
{
	need_overlay();
	make_rootfs("layer", mount_points);
	assert_int_equal(mkdir("upper", 0755), 0);
	assert_int_equal(mkdir("work", 0755), 0);
	runtime_spec_init(spec);
	spec->lowerdirs = lowers;
	spec->nlowerdirs = n;
	spec->upperdir = "upper";
	spec->workdir = "work";
}

/* An overlay step whose mount points are all missing leaves nothing in the upperdir. */
static void test_overlay_no_stubs(void **state)
{
	struct runtime *rt = new_runtime();
	int mounts = count_mounts();
	const char *argv[] = {"sh", "-c",
			      "ls /proc/self/fd >/dev/null && ls /cache && ls -d /tmp/t", NULL};
	const char *lowers[] = {"layer", NULL};
	struct runtime_mount m[] = {
		{.type = RUNTIME_MOUNT_BIND,
		 .source = "cache",
		 .target = "/cache",
		 .readonly = true},
		{.type = RUNTIME_MOUNT_TMPFS, .target = "/tmp/t"},
	};
	struct runtime_spec spec;
	struct runtime_result res;
	struct cb_error *err = NULL;
	cleanup_free char *out = NULL;

	(void)state;
	overlay_spec(&spec, lowers, 1, false);
	assert_int_equal(mkdir("cache", 0755), 0);
	write_file("cache/hit", "x");
	spec.mounts = m;
	spec.nmounts = 2;
	spec.argv = argv;
	assert_int_equal(run_capture(rt, &spec, &res, &out, &err), 0);
	assert_int_equal(res.exit_code, 0);
	assert_string_equal(out, "hit\n/tmp/t\n");
	assert_true(dir_empty("upper"));
	assert_int_equal(access("layer/proc", F_OK), -1);
	assert_int_equal(access("layer/etc/hosts", F_OK), -1);
	check_clean(rt, mounts);
}

/*
 * spec.mount_points_ready: the caller's stubs directory, stacked on top
 * of the layers, holds the mount points; the root is mounted once and
 * nothing lands in the upperdir.  Without the stubs the setup fails and
 * names the missing mount point instead of creating it in the upperdir.
 */
static void test_mount_points_ready(void **state)
{
	struct runtime *rt = new_runtime();
	int mounts = count_mounts();
	const char *argv[] = {"sh", "-c", "ls /proc/self/fd >/dev/null && cat /etc/hostname", NULL};
	const char *with_stubs[] = {"stubs", "layer", NULL};
	const char *without[] = {"layer", NULL};
	struct runtime_spec spec;
	struct runtime_result res;
	struct cb_error *err = NULL;
	cleanup_free char *out = NULL;

	(void)state;
	overlay_spec(&spec, with_stubs, 2, false);
	assert_int_equal(mkdir("stubs", 0755), 0);
	assert_int_equal(mkdir("stubs/etc", 0755), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(
			mkdir((const char *[]){"stubs/proc", "stubs/dev", "stubs/sys"}[i], 0755),
			0);
	write_file("stubs/etc/hosts", "");
	write_file("stubs/etc/resolv.conf", "");
	write_file("stubs/etc/hostname", "");
	spec.mount_points_ready = true;
	spec.hostname = "ready";
	spec.argv = argv;
	assert_int_equal(run_capture(rt, &spec, &res, &out, &err), 0);
	assert_int_equal(res.exit_code, 0);
	assert_string_equal(out, "ready\n");
	assert_true(dir_empty("upper"));
	runtime_result_release(&res);

	spec.lowerdirs = without;
	spec.nlowerdirs = 1;
	spec.stdio[1] = spec.stdio[2] = -1;
	assert_int_equal(runtime_run(rt, &spec, &res, &err), -1);
	assert_non_null(
		strstr(cb_error_msg(err), "mount point `/proc` is missing from the layers"));
	cb_error_free(&err);
	assert_true(dir_empty("upper"));
	check_clean(rt, mounts);
}

/* A directory of the upperdir as the host sees it: mode 0755, owned by root. */
static void expect_root_dir(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("%s: %s", path, strerror(errno));
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 0);
}

/*
 * spec.create_cwd: a missing cwd is made (mkdir -p, 0755, root's) in the
 * step's root, so in the upperdir of an overlay, also for another user and
 * a read-only root; symlinks resolve inside the root.  Without it a missing
 * cwd is a setup error that leaves the upperdir empty.
 */
static void test_create_cwd(void **state)
{
	struct runtime *rt = new_runtime();
	int mounts = count_mounts();
	const char *argv[] = {"pwd", NULL};
	const char *lowers[] = {"layer", NULL};
	struct runtime_spec spec;
	struct runtime_result res;
	struct cb_error *err = NULL;
	char *out = NULL;

	(void)state;
	overlay_spec(&spec, lowers, 1, true);
	assert_int_equal(symlink("/../../escaped", "layer/link"), 0);
	spec.argv = argv;
	spec.cwd = "/a/b/c";
	expect_setup_error(rt, &spec, "chdir to `/a/b/c`: No such file or directory");
	assert_true(dir_empty("upper"));

	spec.create_cwd = true;
	spec.user = "user";
	spec.readonly_rootfs = true;
	assert_int_equal(run_capture(rt, &spec, &res, &out, &err), 0);
	assert_int_equal(res.exit_code, 0);
	assert_string_equal(out, "/a/b/c\n");
	free(out);
	expect_root_dir("upper/a");
	expect_root_dir("upper/a/b");
	expect_root_dir("upper/a/b/c");
	assert_int_equal(access("layer/a", F_OK), -1);

	/* Through a dangling symlink climbing out: created where it points, in the root. */
	spec.cwd = "/link/d";
	assert_int_equal(run_capture(rt, &spec, &res, &out, &err), 0);
	assert_int_equal(res.exit_code, 0);
	assert_string_equal(out, "/escaped/d\n");
	free(out);
	expect_root_dir("upper/escaped/d");
	assert_int_equal(access("escaped", F_OK), -1);
	assert_int_equal(access("/escaped", F_OK), -1);

	spec.cwd = "/etc/passwd/x";
	expect_setup_error(rt, &spec, "working directory `/etc/passwd/x`: Not a directory");
	check_clean(rt, mounts);
}

/* cbuild-init, not cbuild, is PID 1: the step cannot reach cbuild's executable. */
static void test_init_is_not_cbuild(void **state)
{
	struct runtime *rt = new_runtime();
	int mounts = count_mounts();
	const char *argv[] = {"sh", "-c", "tr '\\0' ' ' </proc/1/cmdline; echo; ls -l /proc/1/exe",
			      NULL};
	struct runtime_spec spec;
	struct runtime_result res;
	struct cb_error *err = NULL;
	cleanup_free char *out = NULL;

	(void)state;
	make_rootfs("rootfs", true);
	runtime_spec_init(&spec);
	spec.rootfs = "rootfs";
	spec.argv = argv;
	assert_int_equal(run_capture(rt, &spec, &res, &out, &err), 0);
	/* busybox's /proc/self/exe is busybox; /proc/1/exe is closed to the step */
	assert_non_null(strstr(out, "cbuild-init"));
	if (!strstr(out, "Permission denied"))
		fail_msg("output: %s", out);
	check_clean(rt, mounts);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status_and_stdio),
		cmocka_unit_test(test_env_cwd_user),
		cmocka_unit_test(test_setup_errors),
		cmocka_unit_test(test_exec_failure_and_signal),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_overlay_no_stubs),
		cmocka_unit_test(test_mount_points_ready),
		cmocka_unit_test(test_create_cwd),
		cmocka_unit_test(test_init_is_not_cbuild),
	};

	snprintf(cgparent, sizeof(cgparent), "cbuild-unit-spawn-%d", (int)getpid());
	return cb_test_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
