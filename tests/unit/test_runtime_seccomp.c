/*
 * test_runtime_seccomp.c - Docker's default profile and JSON profiles:
 * compiled with libseccomp, then loaded into a child process that tries
 * the calls (runtime/seccomp*.c).
 *
 * The i386 calls (int $0x80) are tried only where the kernel itself runs
 * IA-32 syscalls, probed outside any filter first (kernel-abi.h); on a
 * kernel that refuses them those checks are not applicable, and the x86_64
 * half of each case still runs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <seccomp.h>

#include "cbtest.h"
#include "kernel-abi.h"
#include "runtime-internal.h"
#include "seccomp-test.h"

/* 1 when this case probed the kernel and found IA-32 syscalls; i386 calls made. */
static int ia32_probed, ia32_present, i386_calls;

/*
 * Does the kernel run IA-32 syscalls?  When not, the checks named by what
 * are recorded as not applicable, with the reason.
 */
static bool ia32(const char *what)
{
	char why[256];

	ia32_probed = 1;
	ia32_present = cb_test_kernel_ia32(why, sizeof(why));
	if (!ia32_present)
		cb_test_not_applicable("%s: %s", what, why);
	return ia32_present;
}

/* After a case's i386 checks: how many calls ran (test 0111 reads this line). */
static void ia32_done(void)
{
	print_message("i386 checks: %d calls run\n", i386_calls);
}

/* The call under bpf in a child (seccomp-test.h), an i386 one only after ia32() said yes. */
static int errno_under(const struct rt_bpf *bpf, struct sc_call c)
{
	if (c.i386) {
		/* never an i386 call the kernel was not asked about first */
		assert_true(ia32_probed && ia32_present);
		i386_calls++;
	}
	return sc_test_errno_under(bpf, c);
}

static struct rt_bpf default_bpf(void)
{
	struct rt_bpf b = {.len = sc_default_bpf_len,
			   .insns = (struct sock_filter *)sc_default_bpf};

	return b;
}

/* The filter embedded at build time is what libseccomp makes of the table now. */
static void test_default_matches_embedded(void **state)
{
	struct cb_error *err = NULL;
	struct rt_bpf b = {0};

	(void)state;
	assert_int_equal(
		sc_compile_for(sc_default_profile(), RUNTIME_DEFAULT_CAPS, 1000000, &b, &err), 0);
	assert_int_equal(b.len, sc_default_bpf_len);
	assert_memory_equal(b.insns, sc_default_bpf, b.len * sizeof(*b.insns));
	assert_int_equal(sc_default_bpf_min_kernel, 4008);
	rt_bpf_release(&b);
}

/* All three x86 ABIs are covered: the filter checks AUDIT_ARCH_I386 and the x32 bit. */
static void test_default_covers_abis(void **state)
{
	bool i386 = false, x86_64 = false, x32 = false;

	(void)state;
	assert_int_equal(sc_default_profile()->narches, 2);
	assert_int_equal(sc_default_profile()->arches[0], SCMP_ARCH_X86);
	assert_int_equal(sc_default_profile()->arches[1], SCMP_ARCH_X32);
	for (unsigned i = 0; i < sc_default_bpf_len; i++) {
		i386 |= sc_default_bpf[i].k == 0x40000003;   /* AUDIT_ARCH_I386 */
		x86_64 |= sc_default_bpf[i].k == 0xc000003e; /* AUDIT_ARCH_X86_64 */
		x32 |= sc_default_bpf[i].k == 0x40000000;    /* __X32_SYSCALL_BIT */
	}
	assert_true(i386 && x86_64 && x32);
}

static void test_default_denies(void **state)
{
	struct rt_bpf b = default_bpf();

	(void)state;
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_keyctl, false, 0, -3, 0}), EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_unshare, false, 0x10000000}), EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_mount, false, 0, 0, 0}), EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_bpf, false, 0, 0, 0}), EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_socket, false, 38, SOCK_SEQPACKET}),
			 EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_socket, false, 40, SOCK_STREAM}),
			 EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_clone3, false, 0, 0}), ENOSYS);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_clone, false, 0x10000000 | SIGCHLD}),
			 EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_personality, false, 0x1234}), EPERM);
	if (!ia32("the default profile's i386 denials"))
		return;
	/* i386 through int 0x80: keyctl 288, unshare 310, mount 21, bpf 357, socket 359 */
	assert_int_equal(errno_under(&b, (struct sc_call){288, true, 0, -3, 0}), EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){310, true, 0x10000000}), EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){21, true, 0, 0, 0}), EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){357, true, 0, 0, 0}), EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){359, true, 38, SOCK_SEQPACKET}), EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){435, true, 0, 0}), ENOSYS);
	ia32_done();
}

static void test_default_allows(void **state)
{
	struct rt_bpf b = default_bpf();

	(void)state;
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_getpid, false}), 0);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_socket, false, AF_INET, SOCK_DGRAM}),
			 0);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_socket, false, AF_UNIX, SOCK_STREAM}),
			 0);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_personality, false, 0xffffffff}), 0);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_clone, false, SIGCHLD}), 0);
	if (!ia32("the default profile's i386 allowances"))
		return;
	assert_int_equal(errno_under(&b, (struct sc_call){20 /* getpid */, true}), 0);
	assert_int_equal(errno_under(&b, (struct sc_call){359, true, AF_INET, SOCK_DGRAM}), 0);
	ia32_done();
}

/* Rules follow the capabilities: with CAP_SYS_ADMIN, mount and clone3 are allowed. */
static void test_rules_follow_caps(void **state)
{
	struct cb_error *err = NULL;
	struct rt_bpf b = {0};

	(void)state;
	assert_int_equal(
		sc_compile(sc_default_profile(), RUNTIME_DEFAULT_CAPS | (1ULL << 21), &b, &err), 0);
	assert_int_not_equal(errno_under(&b, (struct sc_call){SYS_mount, false, 0, 0, 0}), EPERM);
	assert_int_not_equal(errno_under(&b, (struct sc_call){SYS_clone3, false, 0, 0}), ENOSYS);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_keyctl, false, 0, -3, 0}), EPERM);
	rt_bpf_release(&b);
}

static void test_json_docker(void **state)
{
	struct sc_profile *p = sc_test_parse_ok(
		"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": ["
		" {\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": "
		"[\"SCMP_ARCH_X86\"]},"
		" {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": "
		"[\"SCMP_ARCH_ARM\"]}],"
		" \"syscalls\": ["
		"  {\"names\": [\"getpid\", \"no_such_call\"], \"action\": \"SCMP_ACT_ERRNO\","
		"   \"errnoRet\": 38, \"comment\": \"ignored\"},"
		"  {\"name\": \"getppid\", \"action\": \"SCMP_ACT_ERRNO\","
		"   \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"], \"minKernel\": \"4.8\"}},"
		"  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": ["
		"   {\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},"
		"   {\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]}]}");
	struct cb_error *err = NULL;
	struct rt_bpf b = {0};

	(void)state;
	assert_int_equal(p->default_action, SC_ALLOW);
	assert_int_equal(p->narches, 2); /* x86_64 itself and x86; the aarch64 entry is not ours */
	assert_int_equal(p->nrules, 3);
	assert_int_equal(p->rules[0].nnames, 2);
	assert_int_equal(p->rules[0].errno_ret, 38);
	assert_string_equal(p->rules[1].names[0], "getppid");
	assert_int_equal(p->rules[1].caps_incl, 1ULL << 21);
	assert_int_equal(p->rules[1].min_kernel, 4008);
	assert_int_equal(sc_compile(p, RUNTIME_DEFAULT_CAPS, &b, &err), 0);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_getpid, false}), ENOSYS);
	if (ia32("a Docker profile's i386 subarchitecture")) {
		assert_int_equal(errno_under(&b, (struct sc_call){20, true}), ENOSYS);
		ia32_done();
	}
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_getppid, false}), 0);
	/* two conditions on one argument are ORed */
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_personality, false, 1}), EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_personality, false, 2}), EPERM);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_personality, false, 0xffffffff}), 0);
	rt_bpf_release(&b);
	assert_int_equal(sc_compile(p, RUNTIME_DEFAULT_CAPS | (1ULL << 21), &b, &err), 0);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_getppid, false}), EPERM);
	rt_bpf_release(&b);
	sc_profile_free(p);
}

/* The OCI form, and a whole config.json; an unlisted ABI is killed. */
static void test_json_oci(void **state)
{
	struct sc_profile *p = sc_test_parse_ok(
		"{\"ociVersion\": \"1.0.2\", \"linux\": {\"seccomp\": {"
		" \"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\"],"
		" \"syscalls\": [{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\","
		"  \"errnoRet\": 13}]}}}");
	struct cb_error *err = NULL;
	struct rt_bpf b = {0};

	(void)state;
	assert_int_equal(p->narches, 1);
	assert_int_equal(sc_compile(p, RUNTIME_DEFAULT_CAPS, &b, &err), 0);
	assert_int_equal(errno_under(&b, (struct sc_call){SYS_getpid, false}), EACCES);
	if (ia32("an OCI profile killing the unlisted i386 ABI")) {
		assert_int_equal(errno_under(&b, (struct sc_call){20, true}), 1000 + SIGSYS);
		ia32_done();
	}
	rt_bpf_release(&b);
	sc_profile_free(p);
}

static void expect_parse_error(const char *json, const char *want)
{
	struct cb_error *err = NULL;
	struct sc_profile *p = (struct sc_profile *)0x1;

	assert_int_equal(sc_profile_parse(json, &p, &err), -1);
	assert_ptr_equal(p, (struct sc_profile *)0x1);
	if (!strstr(cb_error_msg(err), want))
		fail_msg("error `%s` lacks `%s`", cb_error_msg(err), want);
	cb_error_free(&err);
}

static void test_json_errors(void **state)
{
	(void)state;
	expect_parse_error("{", "seccomp profile: line 1:");
	expect_parse_error("[]", "not a JSON object");
	expect_parse_error("{}", "no `defaultAction`");
	expect_parse_error("{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "unsupported action");
	expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}",
			   "`syscalls` must be an array");
	expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{}]}",
			   "syscall rule 1: a syscall rule has no `names`");
	expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
			   "[{\"names\": [\"read\"]}]}",
			   "no `action`");
	expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": "
			   "[\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
			   "`errnoRet` is only valid with SCMP_ACT_ERRNO");
	expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": "
			   "[\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, "
			   "\"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
			   "argument `index` must be 0..5");
	expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": "
			   "[\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, "
			   "\"value\": 1, \"op\": \"SCMP_CMP_ALMOST\"}]}]}",
			   "unsupported operator `SCMP_CMP_ALMOST`");
	expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": "
			   "[\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": "
			   "{\"minKernel\": \"four\"}}]}",
			   "invalid minKernel `four`");
	expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": "
			   "[\"SCMP_ARCH_X86_64\"], \"archMap\": [{\"architecture\": "
			   "\"SCMP_ARCH_X86_64\"}]}",
			   "both `architectures` and `archMap` are set");
	expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": "
			   "[\"SCMP_ARCH_PDP11\"]}",
			   "unknown architecture `SCMP_ARCH_PDP11`");
	expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultAction\": \"x\"}",
			   "duplicate");
}

CB_TEST_MAIN(cmocka_unit_test(test_default_matches_embedded),
	     cmocka_unit_test(test_default_covers_abis), cmocka_unit_test(test_default_denies),
	     cmocka_unit_test(test_default_allows), cmocka_unit_test(test_rules_follow_caps),
	     cmocka_unit_test(test_json_docker), cmocka_unit_test(test_json_oci),
	     cmocka_unit_test(test_json_errors))
