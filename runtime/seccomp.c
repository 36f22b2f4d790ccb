/*
 * seccomp.c - compile a profile (Docker's default, or a parsed JSON one) to
 * a BPF program with libseccomp, in the parent, and install it in the
 * payload with one seccomp(2) call (no libseccomp, no allocation there).
 *
 * Docker's semantics: rules are kept or dropped by the capabilities the
 * step will hold (includes/excludes "caps"), the native architecture
 * (includes/excludes "arches") and the running kernel ("minKernel");
 * unknown syscall names are skipped; several conditions on one argument
 * are ORed (one rule each), conditions on different arguments ANDed.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "runtime-internal.h"
#include "xalloc.h"

CB_DEFINE_CLEANUP(void, seccomp_release)

unsigned sc_native_arch(void)
{
#if defined(__x86_64__)
	return SC_ARCH_AMD64;
#elif defined(__aarch64__)
	return SC_ARCH_ARM64;
#elif defined(__i386__)
	return SC_ARCH_X86;
#else
	return SC_ARCH_OTHER;
#endif
}

static uint32_t action_value(enum sc_action a, int errno_ret, int default_errno)
{
	switch (a) {
	case SC_ALLOW:
		return SCMP_ACT_ALLOW;
	case SC_ERRNO:
		return SCMP_ACT_ERRNO((uint16_t)(errno_ret >= 0 ? errno_ret : default_errno));
	case SC_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case SC_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case SC_TRAP:
		return SCMP_ACT_TRAP;
	case SC_TRACE:
		return SCMP_ACT_TRACE((uint16_t)(errno_ret >= 0 ? errno_ret : EPERM));
	case SC_LOG:
		return SCMP_ACT_LOG;
	}
	return SCMP_ACT_KILL_PROCESS;
}

int sc_kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) < 1)
		return 0;
	return major * 1000 + minor;
}

static bool rule_applies(const struct sc_rule *r, uint64_t caps, int kernel)
{
	unsigned arch = sc_native_arch();

	if ((r->caps_incl & caps) != r->caps_incl)
		return false;
	if (r->caps_excl & caps)
		return false;
	if (r->arches_incl && !(r->arches_incl & arch))
		return false;
	if (r->arches_excl & arch)
		return false;
	if (r->min_kernel && kernel && kernel < r->min_kernel)
		return false;
	return true;
}

static bool has_repeated_index(const struct sc_rule *r)
{
	for (size_t i = 0; i < r->nargs; i++)
		for (size_t j = i + 1; j < r->nargs; j++)
			if (r->args[i].index == r->args[j].index)
				return true;
	return false;
}

static int add_one(scmp_filter_ctx ctx, uint32_t action, const char *name,
		   const struct sc_arg *args, size_t nargs, struct cb_error **err)
{
	struct scmp_arg_cmp cmp[6];
	int nr = seccomp_syscall_resolve_name(name);
	int rc;

	if (nr == __NR_SCMP_ERROR)
		return 0; /* unknown to this libseccomp or arch: Docker skips it too */
	for (size_t i = 0; i < nargs; i++) {
		cmp[i].arg = args[i].index;
		cmp[i].op = (enum scmp_compare)args[i].op;
		cmp[i].datum_a = args[i].value;
		cmp[i].datum_b = args[i].value2;
	}
	rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)nargs, cmp);
	if (rc < 0 && rc != -EEXIST)
		return cb_error_set(err, -rc, "seccomp rule for `%s`", name);
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct sc_profile *p, const struct sc_rule *r,
		    struct cb_error **err)
{
	uint32_t def = action_value(p->default_action, p->default_errno, p->default_errno);
	uint32_t action = action_value(r->action, r->errno_ret, p->default_errno);
	bool split = has_repeated_index(r);

	if (action == def)
		return 0; /* libseccomp refuses rules that repeat the default */
	for (size_t n = 0; n < r->nnames; n++) {
		if (!split) {
			if (add_one(ctx, action, r->names[n], r->args, r->nargs, err) < 0)
				return -1;
			continue;
		}
		for (size_t i = 0; i < r->nargs; i++)
			if (add_one(ctx, action, r->names[n], &r->args[i], 1, err) < 0)
				return -1;
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct rt_bpf *out, struct cb_error **err)
{
	cleanup_close int fd = memfd_create("cbuild-seccomp", MFD_CLOEXEC);
	cleanup_free char *buf = NULL;
	size_t len = 0;
	int rc;

	if (fd < 0)
		return cb_error_set(err, errno, "memfd_create");
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return cb_error_set(err, -rc, "export the seccomp filter");
	if (lseek(fd, 0, SEEK_SET) < 0)
		return cb_error_set(err, errno, "lseek");
	if (cb_read_fd(fd, 1u << 20, &buf, &len, err) < 0)
		return cb_error_wrap(err, "read the seccomp filter");
	if (len == 0 || len % sizeof(struct sock_filter) ||
	    len / sizeof(struct sock_filter) > 0xffff)
		return cb_error_set(err, 0, "seccomp filter of %zu bytes is not a BPF program",
				    len);
	out->len = (unsigned short)(len / sizeof(struct sock_filter));
	out->insns = (struct sock_filter *)steal_pointer(&buf);
	return 0;
}

int sc_compile(const struct sc_profile *p, uint64_t caps, struct rt_bpf *out, struct cb_error **err)
{
	return sc_compile_for(p, caps, sc_kernel_version(), out, err);
}

int sc_compile_for(const struct sc_profile *p, uint64_t caps, int kernel, struct rt_bpf *out,
		   struct cb_error **err)
{
	cleanup_fn(seccomp_release) void *ctx = NULL;
	int rc;

	ctx = seccomp_init(action_value(p->default_action, p->default_errno, p->default_errno));
	if (!ctx)
		return cb_error_set(err, 0, "seccomp: cannot create a filter context");
	/* We install the filter ourselves; no_new_privs is the spec's business. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
		return cb_error_set(err, -rc, "seccomp: clear the NNP attribute");
	/* A binary tree of syscalls instead of a list: ~400 rules stay fast. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; i < p->narches; i++) {
		rc = seccomp_arch_add(ctx, p->arches[i]);
		if (rc < 0 && rc != -EEXIST)
			return cb_error_set(err, -rc, "seccomp: add architecture %#x",
					    p->arches[i]);
	}
	for (size_t i = 0; i < p->nrules; i++) {
		if (!rule_applies(&p->rules[i], caps, kernel))
			continue;
		if (add_rule(ctx, p, &p->rules[i], err) < 0)
			return -1;
	}
	if (export_bpf(ctx, out, err) < 0)
		return -1;
	if (sc_enosys_patch(p, out, err) < 0) {
		rt_bpf_release(out);
		return -1;
	}
	return 0;
}

void rt_bpf_release(struct rt_bpf *bpf)
{
	free(bpf->insns);
	bpf->insns = NULL;
	bpf->len = 0;
}
