/*
 * kernel-abi.h - does this kernel run IA-32 system calls?  Shared by the
 * static probe (tests/helpers/probe.c, `probe abi`) and the unit-test
 * harness (cbtest.c), so that both ask the same question the same way,
 * outside any sandbox.
 *
 * A kernel built without CONFIG_IA32_EMULATION, or booted with
 * ia32_emulation=0 (Linux 6.7 and later), kills a process doing
 * `int $0x80` with SIGSEGV; one that runs the call returns the pid.  What
 * the sandbox's seccomp filter does to an i386 call only matters where the
 * kernel runs that ABI, so a test asserting it first calls kabi_ia32(); a
 * "no" makes those assertions not applicable (the attack surface is absent).
 *
 * CB_TEST_ASSUME_NO_IA32=1 makes the answer "no" on any kernel, so that the
 * not-applicable path can be tested where the ABI exists.
 */
#ifndef CB_TESTS_KERNEL_ABI_H
#define CB_TESTS_KERNEL_ABI_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* An i386 system call through int 0x80 (arguments are 32-bit); -errno on failure. */
static inline long kabi_int80(long nr, long a, long b, long c, long d, long e)
{
#if defined(__x86_64__)
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15");
	return ret;
#else
	(void)nr, (void)a, (void)b, (void)c, (void)d, (void)e;
	return -ENOSYS;
#endif
}

/*
 * In a child about to make a call that may fault: the default action for
 * the fault signals, set with the raw system call, and no core dump.  A
 * sanitizer's handler (ASan installs one for SIGSEGV) would otherwise
 * report the fault, or spin on it under a seccomp filter, instead of
 * letting the child die with it.
 */
static inline void kabi_default_fault_signals(void)
{
	struct rlimit no_core = {0, 0};

	/* the kernel's struct sigaction: handler, flags, restorer, mask; SIG_DFL is 0 */
	struct {
		unsigned long handler, flags, restorer, mask;
	} dfl = {0, 0, 0, 0};
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGSYS};

	setrlimit(RLIMIT_CORE, &no_core);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		syscall(SYS_rt_sigaction, sigs[i], &dfl, NULL, sizeof(dfl.mask));
}

/*
 * 1 when the kernel runs IA-32 syscalls; 0 when it refuses them, with the
 * reason in why; -1 when the probe itself failed (why says how: a test
 * failure, not a missing feature).
 */
static inline int kabi_ia32(char *why, size_t len)
{
	const char *assume = getenv("CB_TEST_ASSUME_NO_IA32");
	int status;
	pid_t pid;

	if (assume && *assume && strcmp(assume, "0")) {
		snprintf(why, len,
			 "CB_TEST_ASSUME_NO_IA32=%s: the probe reports IA-32 syscalls as absent",
			 assume);
		return 0;
	}
#if !defined(__x86_64__)
	snprintf(why, len, "not an x86_64 machine: no IA-32 syscalls to filter");
	return 0;
#else
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "IA-32 probe: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		long r;

		kabi_default_fault_signals();
		alarm(10);
		r = kabi_int80(20 /* i386 getpid */, 0, 0, 0, 0, 0);
		_exit(r == syscall(SYS_getpid) ? 0 : r == -ENOSYS ? 2 : 3);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, len, "IA-32 probe: waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		snprintf(why, len,
			 "the kernel refuses IA-32 syscalls (int $0x80 getpid outside "
			 "the sandbox returns ENOSYS)");
		return 0;
	}
	if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGKILL)) {
		snprintf(why, len,
			 "the kernel refuses IA-32 syscalls (int $0x80 getpid outside the sandbox "
			 "dies of %s: no CONFIG_IA32_EMULATION, or ia32_emulation=0)",
			 WTERMSIG(status) == SIGSEGV ? "SIGSEGV" : "SIGKILL");
		return 0;
	}
	if (WIFSIGNALED(status))
		snprintf(why, len, "IA-32 probe: int $0x80 getpid died of signal %d",
			 WTERMSIG(status));
	else
		snprintf(why, len, "IA-32 probe: int $0x80 getpid returned a wrong pid");
	return -1;
#endif
}

#endif
