/*
 * seccomp-enosys.c - runc's answer for system calls newer than a profile:
 * ENOSYS, not the profile's default errno.
 *
 * A profile lists the calls it knows; a call the kernel added later gets
 * the default action (EPERM in Docker's profile), and a C library that
 * tries the new call first (clone3, faccessat2, ...) takes EPERM as a real
 * refusal instead of falling back to the old one.  runc (libcontainer's
 * seccomp/patchbpf) puts a stub before libseccomp's program: per
 * architecture, a syscall number greater than the highest one the profile
 * names returns ENOSYS.  Calls the profile names, or that sit below the
 * highest named one, keep the profile's action: a known but denied call is
 * still EPERM.
 *
 * As in runc, there is no stub when the default action already lets the
 * call through (allow, log) or already is ENOSYS.  On x86_64, x32 calls
 * (X32_SYSCALL_BIT set, same audit arch) are compared with the highest x32
 * number when the profile has x32, else left to libseccomp's program.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "runtime-internal.h"
#include "xalloc.h"

#define X32_SYSCALL_BIT 0x40000000u
/*
 * Jump targets resolved once the stub's length is known: a stub is a few
 * instructions, so real offsets never reach these values.
 */
#define TO_ENOSYS 0xfe
#define TO_FILTER 0xff
/* the load, 5 per architecture (the native one and up to 16 more), ja, ret */
#define STUB_MAX (1 + 17 * 5 + 2)

_Static_assert(STUB_MAX < TO_ENOSYS, "a stub's jumps must stay below the markers");

struct stub {
	struct sock_filter insns[STUB_MAX];
	unsigned len;
};

static void emit(struct stub *s, unsigned short code, unsigned char jt, unsigned char jf,
		 uint32_t k)
{
	s->insns[s->len++] = (struct sock_filter){code, jt, jf, k};
}

static unsigned char resolve(unsigned char off, unsigned at, unsigned enosys, unsigned filter)
{
	if (off == TO_ENOSYS)
		return (unsigned char)(enosys - at - 1);
	if (off == TO_FILTER)
		return (unsigned char)(filter - at - 1);
	return off;
}

/* The highest number, on arch, of a call the profile names; -1 if none. */
static long highest_named(const struct sc_profile *p, uint32_t arch)
{
	long max = -1;

	for (size_t i = 0; i < p->nrules; i++)
		for (size_t n = 0; n < p->rules[i].nnames; n++) {
			int nr = seccomp_syscall_resolve_name_arch(arch, p->rules[i].names[n]);

			/* negative: unknown, or a pseudo number for another arch's call */
			if (nr >= 0 && nr > max)
				max = nr;
		}
	return max;
}

static bool profile_has_arch(const struct sc_profile *p, uint32_t arch)
{
	for (size_t i = 0; i < p->narches; i++)
		if (p->arches[i] == arch)
			return true;
	return false;
}

/* One architecture's check: A holds the audit arch on entry. */
static void emit_arch(struct stub *s, const struct sc_profile *p, uint32_t arch)
{
	long max = highest_named(p, arch), x32 = -1;
	bool amd64 = arch == SCMP_ARCH_X86_64;
	unsigned body;

	if (max < 0)
		return;
	if (amd64 && profile_has_arch(p, SCMP_ARCH_X32))
		x32 = highest_named(p, SCMP_ARCH_X32);
	body = amd64 ? (x32 >= 0 ? 4 : 3) : 2; /* instructions after the jeq */
	emit(s, BPF_JMP | BPF_JEQ | BPF_K, 0, (unsigned char)body, arch);
	emit(s, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)offsetof(struct seccomp_data, nr));
	if (amd64)
		emit(s, BPF_JMP | BPF_JGE | BPF_K, x32 >= 0 ? 1 : TO_FILTER, 0, X32_SYSCALL_BIT);
	emit(s, BPF_JMP | BPF_JGT | BPF_K, TO_ENOSYS, TO_FILTER, (uint32_t)max);
	if (x32 >= 0)
		emit(s, BPF_JMP | BPF_JGT | BPF_K, TO_ENOSYS, TO_FILTER, (uint32_t)x32);
}

static bool wants_stub(const struct sc_profile *p)
{
	if (p->default_action == SC_ALLOW || p->default_action == SC_LOG)
		return false;
	return !(p->default_action == SC_ERRNO && p->default_errno == ENOSYS);
}

int sc_enosys_patch(const struct sc_profile *p, struct rt_bpf *bpf, struct cb_error **err)
{
	uint32_t native = seccomp_arch_native();
	struct stub s = {.len = 0};
	struct sock_filter *out;
	size_t total;

	if (!wants_stub(p))
		return 0;
	emit(&s, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)offsetof(struct seccomp_data, arch));
	emit_arch(&s, p, native);
	for (size_t i = 0; i < p->narches; i++)
		if (p->arches[i] != native && p->arches[i] != SCMP_ARCH_X32)
			emit_arch(&s, p, p->arches[i]);
	if (s.len == 1)
		return 0; /* the profile names no call libseccomp knows */
	emit(&s, BPF_JMP | BPF_JA, 0, 0, 1);
	emit(&s, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
	for (unsigned i = 0; i < s.len; i++) {
		if (BPF_CLASS(s.insns[i].code) != BPF_JMP || BPF_OP(s.insns[i].code) == BPF_JA)
			continue;
		s.insns[i].jt = resolve(s.insns[i].jt, i, s.len - 1, s.len);
		s.insns[i].jf = resolve(s.insns[i].jf, i, s.len - 1, s.len);
	}
	total = (size_t)s.len + bpf->len;
	if (total > BPF_MAXINSNS)
		return cb_error_set(err, E2BIG,
				    "seccomp filter of %zu instructions with its "
				    "ENOSYS stub exceeds the kernel's %d",
				    total, BPF_MAXINSNS);
	out = xmalloc(total * sizeof(*out));
	memcpy(out, s.insns, s.len * sizeof(*out));
	memcpy(out + s.len, bpf->insns, bpf->len * sizeof(*out));
	free(bpf->insns);
	bpf->insns = out;
	bpf->len = (unsigned short)total;
	return 0;
}
