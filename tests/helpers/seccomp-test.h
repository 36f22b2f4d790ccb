/*
 * seccomp-test.h - what the seccomp unit tests (test_runtime_seccomp.c,
 * test_runtime_harden_seccomp.c) share: a system call made under a
 * compiled filter in a child process, and a profile parsed or the case
 * failed.  Header-only, as kernel-abi.h: it needs runtime-internal.h,
 * which only the runtime's tests can include.
 */
#ifndef CB_TESTS_SECCOMP_TEST_H
#define CB_TESTS_SECCOMP_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbtest.h"
#include "kernel-abi.h"
#include "runtime-internal.h"

struct sc_call {
	long nr; /* x86_64 number, or i386 number when i386 */
	bool i386;
	long a, b, c;
};

/*
 * In a child: load bpf, make the call, return its errno (0 when it
 * succeeded, 1000 + the signal when the child was killed).  Making an i386
 * call is the caller's decision: ask kabi_ia32() / cb_test_kernel_ia32()
 * first.
 */
static inline int sc_test_errno_under(const struct rt_bpf *bpf, struct sc_call c)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		long r;

		/* a fault kills the child, whatever handler a sanitizer set; nothing spins */
		kabi_default_fault_signals();
		alarm(20);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (sc_install(bpf) < 0)
			_exit(255);
		if (c.i386) {
			r = kabi_int80(c.nr, c.a, c.b, c.c, 0, 0);
			_exit(r < 0 && r > -4096 ? (int)-r : 0);
		}
		r = syscall(c.nr, c.a, c.b, c.c, 0, 0, 0);
		_exit(r < 0 ? errno : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	assert_int_not_equal(WEXITSTATUS(status), 255);
	return WEXITSTATUS(status);
}

/* The profile json parsed (the caller's), or the case fails with the parser's message. */
static inline struct sc_profile *sc_test_parse_ok(const char *json)
{
	struct cb_error *err = NULL;
	struct sc_profile *p = NULL;

	if (sc_profile_parse(json, &p, &err) < 0)
		fail_msg("parse: %s", cb_error_msg(err));
	return p;
}

#endif
