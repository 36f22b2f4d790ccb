/*
 * test_runtime_harden_seccomp.c - issue 11, finding 4, at the BPF level:
 * the built-in filter denies io_uring (EPERM) and answers calls newer than
 * the profile with ENOSYS (runc's stub, seccomp-enosys.c), native and x32;
 * known but denied calls keep EPERM; a JSON profile over several
 * architectures gets the stub too; an allowing profile gets none.  The i386
 * side is integration 0500's (it probes the kernel's IA-32 support).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/syscall.h>

#include "cbtest.h"
#include "kernel-abi.h"
#include "runtime-internal.h"
#include "seccomp-test.h"

#define X32_BIT 0x40000000L

/* A native call (number nr, first argument a) under bpf, in a child: its errno. */
static int errno_under(const struct rt_bpf *bpf, long nr, long a)
{
	return sc_test_errno_under(bpf, (struct sc_call){nr, false, a});
}

static void test_harden_default_io_uring_and_unknown(void **state)
{
	struct rt_bpf b = {.len = sc_default_bpf_len,
			   .insns = (struct sock_filter *)sc_default_bpf};

	(void)state;
	assert_int_equal(errno_under(&b, 425 /* io_uring_setup */, 1), EPERM);
	assert_int_equal(errno_under(&b, 426 /* io_uring_enter */, -1), EPERM);
	assert_int_equal(errno_under(&b, 427 /* io_uring_register */, -1), EPERM);
	assert_int_equal(errno_under(&b, SYS_keyctl, 0), EPERM);
	assert_int_equal(errno_under(&b, 999, 0), ENOSYS);
	assert_int_equal(errno_under(&b, 0xffff, 0), ENOSYS);
	assert_int_equal(errno_under(&b, SYS_getpid, 0), 0);
#if defined(__x86_64__)
	/* x32: the same numbers with the x32 bit, same audit arch */
	assert_int_equal(errno_under(&b, X32_BIT | 999, 0), ENOSYS);
	assert_int_equal(errno_under(&b, X32_BIT | SYS_keyctl, 0), EPERM);
#endif
}

static bool has_enosys_return(const struct rt_bpf *b)
{
	for (unsigned i = 0; i < b->len; i++)
		if (b->insns[i].code == (BPF_RET | BPF_K) &&
		    b->insns[i].k == (SECCOMP_RET_ERRNO | ENOSYS))
			return true;
	return false;
}

static void test_harden_json_profiles(void **state)
{
	static const char eacces[] =
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 13,"
		" \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\","
		"  \"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_ARM\", \"SCMP_ARCH_RISCV64\"],"
		/* what a sanitizer's run-time may call on the way out, too */
		" \"syscalls\": [{\"names\": [\"getpid\", \"exit\", \"exit_group\", "
		"\"close_range\","
		"  \"read\", \"write\", \"openat\", \"close\", \"mmap\", \"munmap\", \"madvise\","
		"  \"mprotect\", \"brk\", \"rt_sigaction\", \"rt_sigprocmask\", \"sigaltstack\","
		"  \"futex\", \"sched_yield\", \"prctl\", \"readlink\", \"newfstatat\","
		"  \"fstat\", \"gettid\", \"getppid\", \"getrandom\", \"ptrace\", \"clone\","
		"  \"wait4\", \"kill\", \"tgkill\", \"pipe2\", \"dup2\"],"
		"  \"action\": \"SCMP_ACT_ALLOW\"}]}";
	static const char allow[] =
		"{\"defaultAction\": \"SCMP_ACT_ALLOW\","
		" \"syscalls\": [{\"names\": [\"keyctl\"], \"action\": \"SCMP_ACT_ERRNO\"}]}";
	struct sc_profile *p = sc_test_parse_ok(eacces);
	struct cb_error *err = NULL;
	struct rt_bpf b = {0};

	(void)state;
	assert_int_equal(sc_compile(p, RUNTIME_DEFAULT_CAPS, &b, &err), 0);
	assert_true(has_enosys_return(&b));
	assert_int_equal(errno_under(&b, SYS_getpid, 0), 0);
	assert_int_equal(errno_under(&b, SYS_keyctl, 0), EACCES); /* below close_range */
	assert_int_equal(errno_under(&b, 999, 0), ENOSYS);
	rt_bpf_release(&b);
	sc_profile_free(p);

	/* an allowing default: no stub (the kernel answers unknown calls itself) */
	p = sc_test_parse_ok(allow);
	assert_int_equal(sc_compile(p, RUNTIME_DEFAULT_CAPS, &b, &err), 0);
	assert_false(has_enosys_return(&b));
	assert_int_equal(errno_under(&b, SYS_keyctl, 0), EPERM);
	assert_int_equal(errno_under(&b, 999, 0), ENOSYS);
	rt_bpf_release(&b);
	sc_profile_free(p);
}

CB_TEST_MAIN(cmocka_unit_test(test_harden_default_io_uring_and_unknown),
	     cmocka_unit_test(test_harden_json_profiles))
