/*
 * test_runtime_harden_devices.c - issue 11, finding 1 (host devices): the
 * device policy every sandbox gets.  Docker's rule list reduced to the
 * allow list a `docker run` container shows in devices.list; the BPF
 * program run through a small interpreter against that list; both cgroup
 * backends against the kernel (v1 on the host's devices hierarchy, v2 on a
 * private cgroup2 mount): mknod allowed, a host block device, fuse and
 * tty0 denied, the standard character devices open; and when the runtime
 * falls back to nodev mounts.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbtest.h"
#include "cgroup-test.h"
#include "cleanup.h"
#include "fsutil.h"
#include "kernel-bpf.h"
#include "runtime-internal.h"
#include "xalloc.h"

#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define MK BPF_DEVCG_ACC_MKNOD

/* What /sys/fs/cgroup/devices/devices.list shows in a `docker run` container (runc, v1). */
static const char docker_list[] = "c 1:5 rwm\n"
				  "c 1:3 rwm\n"
				  "c 1:9 rwm\n"
				  "c 1:8 rwm\n"
				  "c 5:0 rwm\n"
				  "c 5:1 rwm\n"
				  "c *:* m\n"
				  "b *:* m\n"
				  "c 1:7 rwm\n"
				  "c 136:* rwm\n"
				  "c 5:2 rwm\n"
				  "c 10:200 rwm\n";

static size_t docker_allow(struct dev_rule *out)
{
	struct cb_error *err = NULL;
	size_t n = 0;

	if (dev_effective(dev_docker_rules, dev_docker_nrules, out, DEV_MAX_RULES, &n, &err) < 0)
		fail_msg("dev_effective: %s", cb_error_msg(err));
	return n;
}

static void test_docker_rule_list(void **state)
{
	struct dev_rule allow[DEV_MAX_RULES];
	char text[1024] = "", line[64];
	size_t n, len = 0;

	(void)state;
	n = docker_allow(allow);
	for (size_t i = 0; i < n; i++) {
		dev_rule_format(&allow[i], line, sizeof(line));
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", line);
		assert_true(len < sizeof(text));
		assert_true(allow[i].allow);
	}
	assert_string_equal(text, docker_list);
	/* moby's "deny c 10:229 rwm" is the only deny after "a": fuse is not in the list */
	for (size_t i = 0; i < n; i++)
		assert_false(allow[i].major == 10 && allow[i].minor == 229);
}

static void test_effective_semantics(void **state)
{
	static const struct dev_rule rules[] = {
		{'a', DEV_ANY, DEV_ANY, R | W | MK, false},
		{'c', 1, 3, R, true},
		{'c', 1, 3, W, true},
		{'c', 4, 0, R | W, true},
		{'c', 1, 3, R, false},
		{'c', 4, 0, R | W | MK, false},
		{'c', DEV_ANY, DEV_ANY, R, false},
	};
	static const struct dev_rule allow_first[] = {{'a', DEV_ANY, DEV_ANY, R | W | MK, true}};
	static const struct dev_rule late_a[] = {{'a', DEV_ANY, DEV_ANY, R | W | MK, false},
						 {'a', DEV_ANY, DEV_ANY, R, false}};
	struct dev_rule out[DEV_MAX_RULES];
	struct cb_error *err = NULL;
	size_t n = 99;

	(void)state;
	/* allows merge per exact device; a deny takes access from exactly that device only */
	assert_int_equal(dev_effective(rules, 7, out, DEV_MAX_RULES, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].major, 1);
	assert_int_equal(out[0].minor, 3);
	assert_int_equal(out[0].access, W);
	/* only default-deny lists, and "a" only first */
	assert_int_equal(dev_effective(allow_first, 1, out, DEV_MAX_RULES, &n, &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "must start by denying all"));
	cb_error_free(&err);
	assert_int_equal(dev_effective(late_a, 2, out, DEV_MAX_RULES, &n, &err), -1);
	cb_error_free(&err);
	/* too many for out */
	assert_int_equal(dev_effective(dev_docker_rules, dev_docker_nrules, out, 3, &n, &err), -1);
	assert_int_equal(err->code, E2BIG);
	cb_error_free(&err);
}

/* The subset of eBPF the generator emits; anything else fails the test. */
static int run_bpf(const struct bpf_insn *p, size_t len, uint32_t ctx[3])
{
	uint64_t r[11] = {0};

	for (size_t pc = 0; pc < len; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint64_t src =
			BPF_SRC(i->code) == BPF_X ? r[i->src_reg] : (uint64_t)(int64_t)i->imm;

		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			assert_int_equal(i->src_reg, BPF_REG_1);
			assert_true(i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			r[i->dst_reg] = (uint32_t)(r[i->dst_reg] & (uint32_t)i->imm);
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
		case BPF_ALU | BPF_MOV | BPF_K:
			r[i->dst_reg] = (uint32_t)src;
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
		case BPF_JMP | BPF_JNE | BPF_X:
			if (r[i->dst_reg] != src)
				pc += (size_t)i->off;
			assert_true(pc < len);
			break;
		case BPF_JMP | BPF_EXIT:
			return (int)r[0];
		default:
			fail_msg("unexpected opcode %#x at %zu", i->code, pc);
		}
	}
	fail_msg("the program runs off its end");
	return -1;
}

/* The reference: allowed when an allow rule covers the device and every access bit asked. */
static bool reference(const struct dev_rule *allow, size_t n, char type, uint32_t major,
		      uint32_t minor, unsigned access)
{
	for (size_t i = 0; i < n; i++)
		if (allow[i].type == type &&
		    (allow[i].major == DEV_ANY || allow[i].major == major) &&
		    (allow[i].minor == DEV_ANY || allow[i].minor == minor) &&
		    !(access & ~allow[i].access))
			return true;
	return false;
}

static int verdict(const struct bpf_insn *p, size_t len, char type, uint32_t major, uint32_t minor,
		   unsigned access)
{
	uint32_t ctx[3] = {(type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR) | access << 16,
			   major, minor};

	return run_bpf(p, len, ctx);
}

static void test_bpf_program(void **state)
{
	static const uint32_t majors[] = {0, 1, 4, 5, 7, 8, 10, 136, 137, 254, 259};
	static const uint32_t minors[] = {0, 1, 2, 3, 5, 7, 8, 9, 183, 200, 229, 1000};
	struct dev_rule allow[DEV_MAX_RULES];
	struct bpf_insn prog[DEV_BPF_MAX];
	size_t n = docker_allow(allow), len = dev_bpf_program(allow, n, prog, DEV_BPF_MAX);

	(void)state;
	assert_true(len > 0);
	assert_int_equal(dev_bpf_program(allow, n, prog, 10), 0); /* too small: refused */
	len = dev_bpf_program(allow, n, prog, DEV_BPF_MAX);
	/* the findings of the issue */
	assert_int_equal(verdict(prog, len, 'b', 7, 0, R), 0);	      /* open a loop device */
	assert_int_equal(verdict(prog, len, 'b', 7, 0, R | W), 0);    /* ... read-write */
	assert_int_equal(verdict(prog, len, 'b', 8, 0, R), 0);	      /* /dev/sda */
	assert_int_equal(verdict(prog, len, 'b', 7, 0, MK), 1);	      /* mknod it: allowed */
	assert_int_equal(verdict(prog, len, 'c', 10, 229, R | W), 0); /* /dev/fuse */
	assert_int_equal(verdict(prog, len, 'c', 10, 229, MK), 1);
	assert_int_equal(verdict(prog, len, 'c', 4, 0, W), 0);	      /* /dev/tty0 */
	assert_int_equal(verdict(prog, len, 'c', 10, 183, R), 0);     /* /dev/hwrng */
	assert_int_equal(verdict(prog, len, 'c', 1, 3, R | W), 1);    /* /dev/null */
	assert_int_equal(verdict(prog, len, 'c', 1, 7, W), 1);	      /* /dev/full */
	assert_int_equal(verdict(prog, len, 'c', 136, 9, R | W), 1);  /* /dev/pts/9 */
	assert_int_equal(verdict(prog, len, 'c', 5, 2, R | W), 1);    /* /dev/ptmx */
	assert_int_equal(verdict(prog, len, 'c', 10, 200, R | W), 1); /* /dev/net/tun */
	/* and everything else exactly as the list says */
	for (size_t a = 0; a < sizeof(majors) / sizeof(majors[0]); a++)
		for (size_t b = 0; b < sizeof(minors) / sizeof(minors[0]); b++)
			for (unsigned acc = 1; acc <= 7; acc++)
				for (int t = 0; t < 2; t++) {
					char type = t ? 'b' : 'c';
					int want = reference(allow, n, type, majors[a], minors[b],
							     acc);

					if (verdict(prog, len, type, majors[a], minors[b], acc) !=
					    want)
						fail_msg("%c %u:%u access %u: want %d", type,
							 majors[a], minors[b], acc, want);
				}
}

/*
 * In a process inside the step's cgroup: mknod is allowed for any device,
 * opening only what Docker allows.  Returns 0 or the number of the check
 * that failed (printed).
 */
static int device_checks(void)
{
	static const struct {
		const char *name;
		mode_t type;
		unsigned major, minor;
		int open_errno; /* 0 = opens */
	} nodes[] = {
		{"loop0", S_IFBLK, 7, 0, EPERM}, {"fuse", S_IFCHR, 10, 229, EPERM},
		{"tty0", S_IFCHR, 4, 0, EPERM},	 {"hwrng", S_IFCHR, 10, 183, EPERM},
		{"null", S_IFCHR, 1, 3, 0},	 {"zero", S_IFCHR, 1, 5, 0},
		{"full", S_IFCHR, 1, 7, 0},	 {"urandom", S_IFCHR, 1, 9, 0},
		{"random", S_IFCHR, 1, 8, 0},	 {"tun", S_IFCHR, 10, 200, 0},
	};

	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "in-cgroup-%s", nodes[i].name);
		if (mknod(path, nodes[i].type | 0666, makedev(nodes[i].major, nodes[i].minor)) <
		    0) {
			fprintf(stderr, "mknod %s: %s\n", path, strerror(errno));
			return 20 + (int)i;
		}
		fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		/* a driver may refuse a node that passed the cgroup (tun, no module): not EPERM */
		if (nodes[i].open_errno ? fd >= 0 || errno != nodes[i].open_errno
					: fd < 0 && (errno == EPERM || errno == EACCES)) {
			fprintf(stderr, "open %s: %s\n", path, fd < 0 ? strerror(errno) : "opened");
			return 40 + (int)i;
		}
	}
	return 0;
}

/* A device node here opens outside any device cgroup (the temp dir is not nodev). */
static void require_devices_here(void)
{
	int fd;

	assert_int_equal(mknod("control-loop0", S_IFBLK | 0600, makedev(7, 0)), 0);
	fd = open("control-loop0", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == EACCES)
		cb_test_not_applicable_exit("the test's temp dir is on a nodev mount");
	if (fd < 0 && errno == ENXIO)
		cb_test_not_applicable_exit("no loop driver: /dev/loop0's number opens nothing");
	assert_true(fd >= 0);
	close(fd);
}

/* Run device_checks() in a child that joins cg as the sandbox's init does. */
static int checks_in(const struct cgroup_step *cg)
{
	int status = 0;
	pid_t pid = cgt_spawn_in(cg, device_checks);

	if (pid < 0)
		return 2;
	if (waitpid(pid, &status, __WALL) != pid)
		return 5;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 6;
}

static const char *devices_dir(const struct cgroup_step *cg)
{
	for (size_t i = 0; i < cg->mgr->nhier; i++)
		if (cg->mgr->hier[i].controllers & CG_DEVICES)
			return cg->paths[i];
	return NULL;
}

static void test_v1_devices_cgroup(void **state)
{
	struct cgroup_manager *m;
	struct cgroup_step cg;
	struct cb_error *err = NULL;
	char list[1024];

	(void)state;
	if (geteuid() != 0)
		skip();
	if (cb_test_host_cgroups() != CB_TEST_CGROUPS_V1)
		cb_test_not_applicable_exit("the v1 devices controller: no v1 hierarchies here");
	m = cgt_real_manager(RUNTIME_CGROUP_V1, NULL, "cbuild-unit-devices");
	if (!m)
		fail_msg("no cgroup v1 manager on a host with v1 hierarchies");
	if (!cgroup_devices_enforced(m)) {
		cgt_remove_parents(m);
		cb_test_not_applicable_exit(
			"the v1 devices controller is not mounted on this host");
	}
	require_devices_here();
	assert_int_equal(m->ops->create(m, "unit-dev", &(struct runtime_limits){0}, &cg, &err), 0);
	assert_non_null(devices_dir(&cg));
	assert_int_equal(cg_read(devices_dir(&cg), "devices.list", list, sizeof(list), &err), 0);
	assert_string_equal(list, docker_list);
	assert_int_equal(checks_in(&cg), 0);
	assert_int_equal(m->ops->destroy(&cg, &err), 0);
	cgt_remove_parents(m);
}

/* In a child with its own mount namespace: the v2 manager's program, on a private mount. */
static int v2_devices(struct cgroup_manager *m, const char *dir)
{
	struct cgroup_step cg;
	struct cb_error *err = NULL;
	int rc;

	(void)dir;
	if (!cgroup_devices_enforced(m) || m->dev_prog_fd < 0)
		return 10;
	if (m->ops->create(m, "unit-dev", &(struct runtime_limits){0}, &cg, &err) < 0) {
		fprintf(stderr, "create: %s\n", cb_error_msg(err));
		return 11;
	}
	rc = checks_in(&cg);
	if (m->ops->destroy(&cg, &err) < 0)
		return 12;
	return rc;
}

/* Root, cgroup2 and a kernel that loads cgroup device programs, else skip or not applicable. */
static void require_v2_bpf(const char *what)
{
	char why[256];

	if (geteuid() != 0)
		skip();
	if (!cb_test_kernel_fs("cgroup2", why, sizeof(why)))
		cb_test_not_applicable_exit("%s: %s", what, why);
	if (!kbpf_cgroup_device(why, sizeof(why)))
		cb_test_not_applicable_exit("%s: %s", what, why);
}

static void test_v2_bpf_program(void **state)
{
	(void)state;
	require_v2_bpf("the cgroup v2 device program");
	require_devices_here();
	cgt_v2_on_private_mount("cbuild-unit-devices", v2_devices);
}

/*
 * The child of test_v2_exclusive_ancestor, on its own cgroup2 mount: the
 * manager's parent cgroup made first and given a device program attached
 * without BPF_F_ALLOW_MULTI (as an older runtime's container has), so no
 * step could attach one below it: the manager must not enforce (nodev
 * instead), where every step used to fail with EPERM.  0 or what failed.
 */
static int exclusive_child(void)
{
	static const char dir[] = "cg2x";
	char base[128];
	struct cb_error *err = NULL;
	struct cgroup_manager *m;
	union bpf_attr attr;
	int prog, fd, rc = 0;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", dir, "cgroup2", 0, NULL) < 0)
		return 9;
	snprintf(base, sizeof(base), "%s/cbuild-unit-excl-%d", dir, (int)getpid());
	prog = dev_bpf_load(&err);
	if (prog < 0 || mkdir(base, 0755) < 0 || (fd = open(base, O_RDONLY | O_DIRECTORY)) < 0)
		return 1;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)fd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE; /* no flags: exclusive */
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
		rc = 2;
	close(fd);
	close(prog);
	m = rc ? NULL : cgt_real_manager(RUNTIME_CGROUP_V2, dir, "cbuild-unit-excl");
	if (!rc && !m)
		rc = 3;
	if (m && cgroup_devices_enforced(m))
		rc = 4;
	if (m)
		cgroup_manager_free(m);
	if (rmdir(base) < 0 && !rc)
		rc = 5;
	umount(dir);
	return rc;
}

static void test_v2_exclusive_ancestor(void **state)
{
	(void)state;
	require_v2_bpf("an exclusive device program above");
	assert_int_equal(mkdir("cg2x", 0755), 0);
	cb_test_in_child(exclusive_child);
}

/* When no cgroup enforces the policy, the sandbox must fall back to nodev mounts. */
static bool enforced_v1(const char *mountinfo)
{
	struct runtime_options o = {.cgroup_driver = RUNTIME_CGROUP_V1};
	struct cgroup_manager *m = NULL;
	struct cb_error *err = NULL;
	bool on;

	if (cgroup_manager_detect(&o, mountinfo, "4:memory:/\n5:devices:/\n", &m, &err) < 0)
		fail_msg("detect: %s", cb_error_msg(err));
	on = cgroup_devices_enforced(m);
	/* the memory hierarchy always, devices only when it enforces */
	assert_int_equal(m->nhier, on ? 2 : 1);
	cgroup_manager_free(m);
	return on;
}

static void test_enforced_or_nodev(void **state)
{
	cleanup_free char *cwd = getcwd(NULL, 0);
	cleanup_free char *no_devices =
		xasprintf("35 31 0:32 / %s/memory rw - cgroup cgroup rw,memory\n", cwd);
	cleanup_free char *devices = xasprintf("%s36 31 0:33 / %s/devices rw - cgroup cgroup "
					       "rw,devices\n",
					       no_devices, cwd);
	cleanup_free char *ro_devices = xasprintf("%s36 31 0:33 / %s/absent rw - cgroup cgroup "
						  "rw,devices\n",
						  no_devices, cwd);

	(void)state;
	assert_int_equal(mkdir("memory", 0755), 0);
	assert_int_equal(mkdir("devices", 0755), 0);
	assert_false(cgroup_devices_enforced(NULL)); /* no cgroups at all */
	assert_false(enforced_v1(no_devices));
	/* not real root: devices.deny is out of reach, the hierarchy is left out */
	assert_int_equal(enforced_v1(devices), cb_is_real_root());
	/* a devices hierarchy cbuild cannot write to (read-only, gone): left out too */
	assert_false(enforced_v1(ro_devices));
}

CB_TEST_MAIN(cmocka_unit_test(test_docker_rule_list), cmocka_unit_test(test_effective_semantics),
	     cmocka_unit_test(test_bpf_program), cmocka_unit_test(test_v1_devices_cgroup),
	     cmocka_unit_test(test_v2_bpf_program), cmocka_unit_test(test_v2_exclusive_ancestor),
	     cmocka_unit_test(test_enforced_or_nodev))
