/*
 * devices.c - Docker's device policy for every sandbox (issue 11): which
 * device nodes a step may create (mknod) and open.
 *
 * The list is the one a `docker run` container gets: moby's default spec
 * (daemon/pkg/oci/defaults.go: deny everything, allow zero, null, urandom,
 * random, tty, console, deny fuse), with runc's AllowedDevices appended
 * (libcontainer/specconv: mknod of any character or block device, null,
 * random, full, tty, zero, urandom, the pts slaves 136:*, ptmx 5:2 and
 * net/tun 10:200).  dev_effective() reduces it with the kernel's v1
 * semantics to a default-deny allow list, which
 *
 *   - v1 (and hybrid) hosts write to the step's devices cgroup: "a" to
 *     devices.deny, each allow rule to devices.allow (dev_v1_apply);
 *   - v2 hosts get as a BPF_PROG_TYPE_CGROUP_DEVICE program, loaded once
 *     and attached to each step's cgroup (dev_bpf_program, dev_bpf_load,
 *     dev_bpf_attach), the program runc (after crun) generates.
 *
 * Where neither can be had (rootless, no cgroups, no devices hierarchy),
 * the runtime mounts the step's filesystems nodev instead (mounts.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime-internal.h"
#include "xalloc.h"

#define RWM (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)
#define MKNOD BPF_DEVCG_ACC_MKNOD

const struct dev_rule dev_docker_rules[] = {
	/* moby: DefaultLinuxSpec().Linux.Resources.Devices */
	{'a', DEV_ANY, DEV_ANY, RWM, false},
	{'c', 1, 5, RWM, true},	    /* /dev/zero */
	{'c', 1, 3, RWM, true},	    /* /dev/null */
	{'c', 1, 9, RWM, true},	    /* /dev/urandom */
	{'c', 1, 8, RWM, true},	    /* /dev/random */
	{'c', 5, 0, RWM, true},	    /* /dev/tty */
	{'c', 5, 1, RWM, true},	    /* /dev/console */
	{'c', 10, 229, RWM, false}, /* /dev/fuse */
	/* runc: specconv.AllowedDevices, appended to every container's rules */
	{'c', DEV_ANY, DEV_ANY, MKNOD, true},
	{'b', DEV_ANY, DEV_ANY, MKNOD, true},
	{'c', 1, 3, RWM, true},		/* /dev/null */
	{'c', 1, 8, RWM, true},		/* /dev/random */
	{'c', 1, 7, RWM, true},		/* /dev/full */
	{'c', 5, 0, RWM, true},		/* /dev/tty */
	{'c', 1, 5, RWM, true},		/* /dev/zero */
	{'c', 1, 9, RWM, true},		/* /dev/urandom */
	{'c', 136, DEV_ANY, RWM, true}, /* /dev/pts/N */
	{'c', 5, 2, RWM, true},		/* /dev/ptmx */
	{'c', 10, 200, RWM, true},	/* /dev/net/tun */
};
const size_t dev_docker_nrules = sizeof(dev_docker_rules) / sizeof(dev_docker_rules[0]);

static bool same_device(const struct dev_rule *a, const struct dev_rule *b)
{
	return a->type == b->type && a->major == b->major && a->minor == b->minor;
}

/*
 * The kernel's v1 rules (security/device_cgroup.c): "a" denied empties the
 * exception list and denies by default; an allow adds its access to the
 * exception for exactly that type, major and minor (or makes one); a deny
 * takes its access away from exactly that exception.  Only default-deny
 * lists (Docker's) are supported: anything else is a programming error.
 */
int dev_effective(const struct dev_rule *rules, size_t n, struct dev_rule *out, size_t max,
		  size_t *nout, struct cb_error **err)
{
	size_t k = 0;

	if (!n || rules[0].type != 'a' || rules[0].allow)
		return cb_error_set(err, EINVAL, "a device rule list must start by denying all");
	for (size_t i = 1; i < n; i++) {
		const struct dev_rule *r = &rules[i];
		size_t j = 0;

		if (r->type == 'a')
			return cb_error_set(err, EINVAL, "an `a` device rule after the first");
		while (j < k && !same_device(&out[j], r))
			j++;
		if (!r->allow) {
			if (j < k && !(out[j].access &= ~r->access))
				memmove(&out[j], &out[j + 1], (--k - j) * sizeof(out[0]));
			continue;
		}
		if (j == k) {
			if (k == max)
				return cb_error_set(err, E2BIG, "more than %zu device rules", max);
			out[k] = *r;
			out[k++].access = 0;
		}
		out[j].access |= r->access;
	}
	*nout = k;
	return 0;
}

static void format_num(char *buf, size_t len, int64_t v)
{
	if (v == DEV_ANY)
		snprintf(buf, len, "*");
	else
		snprintf(buf, len, "%lld", (long long)v);
}

void dev_rule_format(const struct dev_rule *r, char *buf, size_t len)
{
	char major[24], minor[24];

	format_num(major, sizeof(major), r->major);
	format_num(minor, sizeof(minor), r->minor);
	snprintf(buf, len, "%c %s:%s %s%s%s", r->type, major, minor,
		 r->access & BPF_DEVCG_ACC_READ ? "r" : "",
		 r->access & BPF_DEVCG_ACC_WRITE ? "w" : "",
		 r->access & BPF_DEVCG_ACC_MKNOD ? "m" : "");
}

/* Docker's list, reduced once (it is static) */
static int docker_allow_list(struct dev_rule *out, size_t *n, struct cb_error **err)
{
	return dev_effective(dev_docker_rules, dev_docker_nrules, out, DEV_MAX_RULES, n, err);
}

static int write_rule(int fd, const char *path, const char *rule, struct cb_error **err)
{
	size_t len = strlen(rule);

	if (write(fd, rule, len) == (ssize_t)len)
		return 0;
	/*
	 * The parent cgroup denies it (cbuild itself runs in a restricted
	 * devices cgroup): the child cannot have it either, and it stays
	 * denied, which is stricter, not looser.
	 */
	if (errno == EPERM && strcmp(rule, "a"))
		return 0;
	return cb_error_set(err, errno, "write `%s` to `%s`", rule, path);
}

int dev_v1_apply(const char *dir, struct cb_error **err)
{
	struct dev_rule allow[DEV_MAX_RULES];
	cleanup_free char *deny_path = xasprintf("%s/devices.deny", dir);
	cleanup_free char *allow_path = xasprintf("%s/devices.allow", dir);
	cleanup_close int deny = -1;
	cleanup_close int fd = -1;
	size_t n;

	if (docker_allow_list(allow, &n, err) < 0)
		return -1;
	deny = open(deny_path, O_WRONLY | O_CLOEXEC);
	if (deny < 0)
		return cb_error_set(err, errno, "open `%s`", deny_path);
	if (write_rule(deny, deny_path, "a", err) < 0)
		return -1;
	fd = open(allow_path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", allow_path);
	/* one rule per write(2): the kernel parses a single rule from each */
	for (size_t i = 0; i < n; i++) {
		char line[64];

		dev_rule_format(&allow[i], line, sizeof(line));
		if (write_rule(fd, allow_path, line, err) < 0)
			return -1;
	}
	return 0;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};

	return i;
}

struct prog {
	struct bpf_insn *insns;
	size_t n, max;
	bool overflow;
};

static size_t emit(struct prog *p, struct bpf_insn i)
{
	if (p->n == p->max) {
		p->overflow = true;
		return p->n;
	}
	p->insns[p->n] = i;
	return p->n++;
}

/* "if (dst != imm/src) goto next": its offset is patched once the block's end is known */
static void emit_jne(struct prog *p, uint8_t src_mode, uint8_t dst, uint8_t src, int32_t imm,
		     size_t *jumps, size_t *nj)
{
	jumps[(*nj)++] = emit(p, insn(BPF_JMP | BPF_JNE | src_mode, dst, src, 0, imm));
}

/* One allow rule: fall through to "return 1" when every check matches. */
static void emit_rule(struct prog *p, const struct dev_rule *r)
{
	size_t jumps[4], nj = 0;

	emit_jne(p, BPF_K, BPF_REG_2, 0, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
		 jumps, &nj);
	if ((r->access & RWM) != RWM) {
		/* the access asked for must be a subset of the rule's: (r3 & access) == r3 */
		emit(p, insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
		emit(p, insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t)r->access));
		emit_jne(p, BPF_X, BPF_REG_1, BPF_REG_3, 0, jumps, &nj);
	}
	if (r->major != DEV_ANY)
		emit_jne(p, BPF_K, BPF_REG_4, 0, (int32_t)r->major, jumps, &nj);
	if (r->minor != DEV_ANY)
		emit_jne(p, BPF_K, BPF_REG_5, 0, (int32_t)r->minor, jumps, &nj);
	emit(p, insn(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1));
	emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	for (size_t i = 0; i < nj && !p->overflow; i++)
		p->insns[jumps[i]].off = (int16_t)(p->n - jumps[i] - 1);
}

size_t dev_bpf_program(const struct dev_rule *allow, size_t n, struct bpf_insn *out, size_t max)
{
	struct prog p = {out, 0, max, false};

	/* struct bpf_cgroup_dev_ctx: u32 access_type (type | access << 16), major, minor */
	emit(&p, insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0));
	emit(&p, insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
	emit(&p, insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0));
	emit(&p, insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
	emit(&p, insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0));
	emit(&p, insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0));
	for (size_t i = 0; i < n; i++)
		if (allow[i].allow && allow[i].type != 'a')
			emit_rule(&p, &allow[i]);
	/* no rule matched: denied */
	emit(&p, insn(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
	emit(&p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	return p.overflow ? 0 : p.n;
}

int dev_bpf_load(struct cb_error **err)
{
	struct dev_rule allow[DEV_MAX_RULES];
	struct bpf_insn insns[DEV_BPF_MAX];
	union bpf_attr attr;
	size_t n, len;
	int fd;

	if (docker_allow_list(allow, &n, err) < 0)
		return -1;
	len = dev_bpf_program(allow, n, insns, DEV_BPF_MAX);
	if (!len)
		return cb_error_set(err, E2BIG, "the device cgroup program is too long");
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)len;
	/* it calls no helper, GPL-only or not: the kernel only records the string */
	attr.license = (uint64_t)(uintptr_t) "Apache";
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		return cb_error_set(err, errno, "load the device cgroup program (BPF_PROG_LOAD)");
	return fd;
}

int dev_bpf_attach(int prog_fd, int cgroup_fd, const char *path, struct cb_error **err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	/* as runc: a nested runtime in the step may add programs of its own below */
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
		return cb_error_set(err, errno, "attach the device cgroup program to `%s`", path);
	return 0;
}
