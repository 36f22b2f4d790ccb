/*
 * test_runtime_cgroup.c - choosing the cgroup manager from mountinfo, the
 * files limits write on v1 and v2, and both backends against the kernel:
 * v1 on the host's hierarchies, v2 on a private cgroup2 mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbtest.h"
#include "cgroup-test.h"
#include "cleanup.h"
#include "fsutil.h"
#include "runtime-internal.h"
#include "xalloc.h"

/* This machine's layout: v1 controllers and an empty v2 tree (hybrid). */
static const char hybrid_mountinfo[] =
	"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
	"39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char hybrid_self[] =
	"9:name=systemd:/\n8:pids:/\n6:freezer:/\n"
	"4:memory:/process_api/abc\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

static struct cgroup_manager *detect_ok(const struct runtime_options *o, const char *mi,
					const char *self)
{
	struct cgroup_manager *m = NULL;
	struct cb_error *err = NULL;

	if (cgroup_manager_detect(o, mi, self, &m, &err) < 0)
		fail_msg("detect: %s", cb_error_msg(err));
	return m;
}

static const struct cgroup_hier *hier_with(const struct cgroup_manager *m, unsigned bit)
{
	static const struct cgroup_hier none = {0, (char *)"(no such hierarchy)"};

	for (size_t i = 0; i < m->nhier; i++)
		if (m->hier[i].controllers & bit)
			return &m->hier[i];
	fail_msg("no hierarchy with controller %#x", bit);
	return &none;
}

static void test_detect_hybrid(void **state)
{
	struct cgroup_manager *m = detect_ok(NULL, hybrid_mountinfo, hybrid_self);

	(void)state;
	assert_non_null(m);
	assert_ptr_equal(m->ops, &cgroup_v1_ops);
	assert_int_equal(m->nhier, 5); /* cpu, cpuacct, memory, freezer, pids; not cpuset */
	assert_string_equal(hier_with(m, CG_MEMORY)->base,
			    "/sys/fs/cgroup/memory/process_api/abc/cbuild");
	assert_string_equal(hier_with(m, CG_PIDS)->base, "/sys/fs/cgroup/pids/cbuild");
	assert_string_equal(hier_with(m, CG_CPU)->base, "/sys/fs/cgroup/cpu/cbuild");
	assert_string_equal(hier_with(m, CG_FREEZER)->base, "/sys/fs/cgroup/freezer/cbuild");
	cgroup_manager_free(m);
}

static void test_detect_v2(void **state)
{
	const char *mi = "27 1 254:0 / / rw - ext4 /dev/vda rw\n"
			 "30 27 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
	struct runtime_options o = {.cgroup_parent = "ci/cbuild"};
	struct cgroup_manager *m = detect_ok(&o, mi, "0::/user.slice/session-2.scope\n");

	(void)state;
	assert_ptr_equal(m->ops, &cgroup_v2_ops);
	assert_int_equal(m->nhier, 1);
	/* v2 steps go under the root: a cgroup with processes cannot delegate controllers */
	assert_string_equal(m->hier[0].base, "/sys/fs/cgroup/ci/cbuild");
	assert_string_equal(m->mount, "/sys/fs/cgroup");
	cgroup_manager_free(m);
}

static void test_detect_comounted_and_escaped(void **state)
{
	const char *mi =
		"40 31 0:30 /docker/c1 /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup "
		"rw,cpu,cpuacct\n"
		"41 31 0:31 /docker/c1 /sys/fs/cgroup/my\\040mem rw - cgroup cgroup rw,memory\n";
	const char *self = "3:cpu,cpuacct:/docker/c1/inner\n2:memory:/docker/c1\n";
	struct cgroup_manager *m = detect_ok(NULL, mi, self);

	(void)state;
	assert_int_equal(m->nhier, 2);
	assert_int_equal(hier_with(m, CG_CPU)->controllers, CG_CPU | CG_CPUACCT);
	/* our path is relative to the mount's root (a container's view) */
	assert_string_equal(hier_with(m, CG_CPU)->base, "/sys/fs/cgroup/cpu,cpuacct/inner/cbuild");
	assert_string_equal(hier_with(m, CG_MEMORY)->base, "/sys/fs/cgroup/my mem/cbuild");
	cgroup_manager_free(m);
}

static void test_detect_choices(void **state)
{
	struct runtime_options o = {0};
	struct cgroup_manager *m = (struct cgroup_manager *)0x1;
	struct cb_error *err = NULL;
	const char *v1only = "32 31 0:29 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";

	(void)state;
	o.cgroup_driver = RUNTIME_CGROUP_NONE;
	assert_int_equal(cgroup_manager_detect(&o, hybrid_mountinfo, hybrid_self, &m, &err), 0);
	assert_null(m);
	/* nothing mounted: no manager, not an error */
	o.cgroup_driver = RUNTIME_CGROUP_AUTO;
	assert_int_equal(cgroup_manager_detect(&o, "", "", &m, &err), 0);
	assert_null(m);
	/* v2 asked for where only v1 exists */
	o.cgroup_driver = RUNTIME_CGROUP_V2;
	assert_int_equal(cgroup_manager_detect(&o, v1only, "", &m, &err), -1);
	assert_string_equal(cb_error_msg(err), "no cgroup v2 hierarchy is mounted");
	cb_error_free(&err);
	o.cgroup_driver = RUNTIME_CGROUP_V1;
	assert_int_equal(cgroup_manager_detect(&o, "", "", &m, &err), -1);
	assert_string_equal(cb_error_msg(err), "no cgroup v1 controllers are mounted");
	cb_error_free(&err);
	/* a cgroup_root selects v2 on it */
	o.cgroup_driver = RUNTIME_CGROUP_AUTO;
	o.cgroup_root = "/tmp/private-cg2";
	m = detect_ok(&o, hybrid_mountinfo, hybrid_self);
	assert_ptr_equal(m->ops, &cgroup_v2_ops);
	assert_string_equal(m->hier[0].base, "/tmp/private-cg2/cbuild");
	cgroup_manager_free(m);
	o.cgroup_parent = "../escape";
	assert_int_equal(cgroup_manager_detect(&o, hybrid_mountinfo, hybrid_self, &m, &err), -1);
	assert_string_equal(cb_error_msg(err), "invalid cgroup parent `../escape`");
	cb_error_free(&err);
}

static const char *write_value(const struct cgroup_write *w, size_t n, const char *file)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(w[i].file, file))
			return w[i].value;
	return NULL;
}

static void test_limit_files(void **state)
{
	struct runtime_limits l = {
		.memory = 256 << 20, .pids = 64, .cpu_quota = 50000, .cpu_shares = 512};
	struct cgroup_write w[CG_MAX_WRITES];
	size_t n;

	(void)state;
	n = cgroup_v2_writes(&l, w);
	assert_string_equal(write_value(w, n, "memory.max"), "268435456");
	assert_string_equal(write_value(w, n, "memory.swap.max"), "268435456");
	assert_string_equal(write_value(w, n, "pids.max"), "64");
	assert_string_equal(write_value(w, n, "cpu.max"), "50000 100000");
	assert_string_equal(write_value(w, n, "cpu.weight"), "20");
	n = cgroup_v1_writes(&l, true, w);
	assert_string_equal(w[0].file, "memory.limit_in_bytes"); /* before memsw */
	assert_string_equal(write_value(w, n, "memory.memsw.limit_in_bytes"), "536870912");
	assert_string_equal(write_value(w, n, "pids.max"), "64");
	assert_string_equal(write_value(w, n, "cpu.cfs_period_us"), "100000");
	assert_string_equal(write_value(w, n, "cpu.cfs_quota_us"), "50000");
	assert_string_equal(write_value(w, n, "cpu.shares"), "512");
	l.memory_swap = -1;
	l.cpu_period = 20000;
	n = cgroup_v2_writes(&l, w);
	assert_string_equal(write_value(w, n, "memory.swap.max"), "max");
	assert_string_equal(write_value(w, n, "cpu.max"), "50000 20000");
	n = cgroup_v1_writes(&l, false, w);
	assert_null(write_value(w, n, "memory.memsw.limit_in_bytes"));
	l.memory_swap = 300 << 20;
	n = cgroup_v2_writes(&l, w);
	assert_string_equal(write_value(w, n, "memory.swap.max"), "46137344");
	memset(&l, 0, sizeof(l));
	assert_int_equal(cgroup_v2_writes(&l, w), 0);
	assert_int_equal(cgroup_v1_writes(&l, true, w), 0);
	assert_int_equal(cgroup_needed_controllers(&l), 0);
	l.cpu_shares = 2;
	n = cgroup_v2_writes(&l, w);
	assert_string_equal(write_value(w, n, "cpu.weight"), "1");
	l.cpu_shares = 262144;
	n = cgroup_v2_writes(&l, w);
	assert_string_equal(write_value(w, n, "cpu.weight"), "10000");
}

static void test_format_bytes(void **state)
{
	char buf[48];

	(void)state;
	rt_format_bytes(buf, sizeof(buf), 256 << 20);
	assert_string_equal(buf, "256 MiB");
	rt_format_bytes(buf, sizeof(buf), 1LL << 30);
	assert_string_equal(buf, "1 GiB");
	rt_format_bytes(buf, sizeof(buf), 1536LL << 20);
	assert_string_equal(buf, "1536 MiB");
	rt_format_bytes(buf, sizeof(buf), 4096);
	assert_string_equal(buf, "4 KiB");
	rt_format_bytes(buf, sizeof(buf), 1000);
	assert_string_equal(buf, "1000 bytes");
}

/*
 * The manager a case runs against: the tests run as root (skip otherwise);
 * a host without the hierarchies it needs (v1 controllers for the v1
 * manager, any cgroups for auto) makes the case not applicable; on a host
 * that has them, the manager must come up.
 */
static struct cgroup_manager *host_manager(enum runtime_cgroup_driver driver)
{
	enum cb_test_cgroups host = cb_test_host_cgroups();
	struct cgroup_manager *m;

	if (geteuid() != 0)
		skip();
	if (host == CB_TEST_CGROUPS_NONE)
		cb_test_not_applicable_exit("no cgroup hierarchy is mounted on this host");
	if (driver == RUNTIME_CGROUP_V1 && host != CB_TEST_CGROUPS_V1)
		cb_test_not_applicable_exit("the cgroup v1 manager: a cgroup v2-only host has no "
					    "v1 controller hierarchies");
	m = cgt_real_manager(driver, NULL, "cbuild-unit");
	if (!m)
		fail_msg("no cgroup manager on a host with cgroup hierarchies");
	return m;
}

/* fork a child that joins cg the way the init does, then runs fn; returns once it joined */
static pid_t child_in(const struct cgroup_step *cg, int (*fn)(void))
{
	pid_t pid = cgt_spawn_in(cg, fn);

	assert_true(pid > 0);
	return pid;
}

static int sleep_forever(void)
{
	for (;;)
		pause();
	return 0;
}

static int eat_memory(void)
{
	for (int i = 0; i < 200; i++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p != MAP_FAILED)
			memset(p, 1, 1 << 20);
	}
	return 0;
}

static int count_procs(const char *dir)
{
	char buf[4096];
	int n = 0;

	if (cg_read(dir, "cgroup.procs", buf, sizeof(buf), NULL) < 0)
		return -1;
	for (char *p = buf; *p; p++)
		n += *p == '\n';
	return n;
}

static void test_v1_lifecycle(void **state)
{
	struct cgroup_manager *m = host_manager(RUNTIME_CGROUP_V1);
	struct runtime_limits l = {.memory = 64 << 20, .pids = 10, .cpu_quota = 25000};
	struct cgroup_step cg;
	struct cgroup_events ev;
	struct cb_error *err = NULL;
	char buf[64];
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(m->ops->create(m, "unit-0", &l, &cg, &err), 0);
	assert_int_equal(
		cg_read(hier_with(m, CG_PIDS)->base, "unit-0/pids.max", buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "10\n");
	assert_int_equal(cg_read(hier_with(m, CG_CPU)->base, "unit-0/cpu.cfs_quota_us", buf,
				 sizeof(buf), &err),
			 0);
	assert_string_equal(buf, "25000\n");
	pid = child_in(&cg, sleep_forever);
	for (size_t i = 0; i < m->nhier; i++)
		assert_int_equal(count_procs(cg.paths[i]), 1);
	assert_int_equal(m->ops->events(&cg, &ev, &err), 0);
	assert_int_equal(ev.oom_kills, 0);
	assert_int_equal(m->ops->kill(&cg, &err), 0);
	assert_int_equal(waitpid(pid, &status, __WALL), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(m->ops->destroy(&cg, &err), 0);
	for (size_t i = 0; i < m->nhier; i++) {
		cleanup_free char *p = xasprintf("%s/unit-0", m->hier[i].base);

		assert_int_equal(access(p, F_OK), -1);
	}
	cgt_remove_parents(m);
}

static void test_v1_oom_and_destroy_with_tasks(void **state)
{
	struct cgroup_manager *m = host_manager(RUNTIME_CGROUP_V1);
	struct runtime_limits l = {.memory = 32 << 20};
	struct cgroup_step cg;
	struct cgroup_events ev;
	struct cb_error *err = NULL;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(m->ops->create(m, "unit-1", &l, &cg, &err), 0);
	pid = child_in(&cg, eat_memory);
	assert_int_equal(waitpid(pid, &status, __WALL), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(m->ops->events(&cg, &ev, &err), 0);
	assert_true(ev.oom_kills >= 1);
	assert_int_equal(m->ops->destroy(&cg, &err), 0);
	/* destroy kills what is still running */
	assert_int_equal(m->ops->create(m, "unit-2", &(struct runtime_limits){0}, &cg, &err), 0);
	pid = child_in(&cg, sleep_forever);
	assert_int_equal(m->ops->destroy(&cg, &err), 0);
	assert_int_equal(waitpid(pid, &status, __WALL), pid);
	assert_true(WIFSIGNALED(status));
	cgt_remove_parents(m);
}

static void test_reap_stale(void **state)
{
	struct cgroup_manager *m = host_manager(RUNTIME_CGROUP_AUTO);
	struct cgroup_step live, dead;
	struct cb_error *err = NULL;
	char live_name[32], dead_name[32];
	pid_t gone = fork();

	(void)state;
	if (gone == 0)
		_exit(0);
	waitpid(gone, NULL, 0);
	snprintf(live_name, sizeof(live_name), "%d-7", (int)getpid());
	snprintf(dead_name, sizeof(dead_name), "%d-0", (int)gone);
	assert_int_equal(m->ops->create(m, live_name, &(struct runtime_limits){0}, &live, &err), 0);
	assert_int_equal(m->ops->create(m, dead_name, &(struct runtime_limits){0}, &dead, &err), 0);
	cgroup_manager_reap_stale(m);
	assert_int_equal(access(dead.paths[0], F_OK), -1);
	assert_int_equal(access(live.paths[0], F_OK), 0);
	cgroup_step_free_paths(&dead);
	assert_int_equal(m->ops->destroy(&live, &err), 0);
	cgt_remove_parents(m);
}

/* In a child with its own mount namespace: the v2 manager on a private cgroup2 mount at dir. */
static int v2_on_private_mount(struct cgroup_manager *m, const char *dir)
{
	struct cgroup_step cg;
	struct cb_error *err = NULL;
	char avail[256] = "", path[512];
	pid_t pid;
	int status;

	if (m->ops->create(m, "unit-v2", &(struct runtime_limits){0}, &cg, &err) < 0)
		return 10;
	pid = child_in(&cg, sleep_forever); /* joins through clone3(CLONE_INTO_CGROUP) */
	if (count_procs(cg.paths[0]) != 1)
		return 11;
	if (m->ops->kill(&cg, &err) < 0 || waitpid(pid, &status, __WALL) != pid ||
	    !WIFSIGNALED(status))
		return 12;
	snprintf(path, sizeof(path), "%s", cg.paths[0]);
	if (m->ops->destroy(&cg, &err) < 0 || access(path, F_OK) == 0)
		return 13;
	/* limits need controllers; on a hybrid host they belong to v1 */
	cg_read(dir, "cgroup.controllers", avail, sizeof(avail), NULL);
	if (!strstr(avail, "memory")) {
		if (m->ops->create(m, "unit-v2", &(struct runtime_limits){.memory = 64 << 20}, &cg,
				   &err) == 0 ||
		    !strstr(cb_error_msg(err), "the `memory` controller is not available"))
			return 14;
		cb_error_free(&err);
	} else if (m->ops->create(m, "unit-v2", &(struct runtime_limits){.memory = 64 << 20}, &cg,
				  &err) < 0 ||
		   m->ops->destroy(&cg, &err) < 0) {
		return 15;
	}
	return 0;
}

static void test_v2_private_mount(void **state)
{
	char why[256];

	(void)state;
	if (geteuid() != 0)
		skip();
	if (!cb_test_kernel_fs("cgroup2", why, sizeof(why)))
		cb_test_not_applicable_exit("the cgroup v2 manager: %s", why);
	cgt_v2_on_private_mount("cbuild-unit", v2_on_private_mount);
}

CB_TEST_MAIN(cmocka_unit_test(test_detect_hybrid), cmocka_unit_test(test_detect_v2),
	     cmocka_unit_test(test_detect_comounted_and_escaped),
	     cmocka_unit_test(test_detect_choices), cmocka_unit_test(test_limit_files),
	     cmocka_unit_test(test_format_bytes), cmocka_unit_test(test_v1_lifecycle),
	     cmocka_unit_test(test_v1_oom_and_destroy_with_tasks),
	     cmocka_unit_test(test_reap_stale), cmocka_unit_test(test_v2_private_mount))
