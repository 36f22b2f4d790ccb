/*
 * cbtest.h - the unit-test harness: cmocka, one CTest per test case, each
 * case run in a fresh temporary directory that is removed afterwards.
 *
 *	static void test_foo(void **state) { assert_int_equal(1, 1); }
 *	CB_TEST_MAIN(cmocka_unit_test(test_foo))
 *
 * tests/CMakeLists.txt finds every cmocka_unit_test(NAME) in
 * tests/unit/test_*.c and registers `unit.<file>.<NAME>`, which runs
 * `<binary> NAME`.  Without an argument the binary runs all of its cases.
 *
 * A case that calls skip() exits 77 when run alone (CTest's
 * SKIP_RETURN_CODE), so a skipped check is never counted as a pass; with
 * CB_TESTS_MUST_WORK=1 (CI) a skip is a failure.  skip() is for what the
 * suite should have installed or started (a tool, root).
 *
 * What the machine itself lacks (a kernel ABI, user namespaces, a file
 * system, a cgroup layout) is "not applicable" instead, never a failure:
 * probe the feature first (cb_test_kernel_*), then either
 * cb_test_not_applicable(), which records the reason and lets the case go
 * on without those checks, or cb_test_not_applicable_exit(), which ends
 * the whole case with 77 even under CB_TESTS_MUST_WORK=1.  Each N/A is
 * printed on stderr and appended, as one line "unit.<file>.<case>: REASON",
 * to the file named by $CB_NA_LOG (CTest sets it to
 * <build dir>/not-applicable.log; tools/test.sh prints those lines last).
 */
#ifndef CB_TESTS_CBTEST_H
#define CB_TESTS_CBTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

int cb_test_main(int argc, char **argv, const struct CMUnitTest *tests, size_t n);

/* cmocka's skip(), which also records that the running case was skipped. */
void cb_test_skip_(const char *file, int line) __attribute__((noreturn));
#undef skip
#define skip() cb_test_skip_(__FILE__, __LINE__)

/* Path of a file under the repository's tests/data directory; caller frees. */
char *cb_test_data_path(const char *rel);

/*
 * Path of a file of the peer test data (BuildKit's and patternmatcher's
 * vectors), which the project keeps in tests/data/shared/testdata; caller
 * frees.  Never NULL: the data is part of the clone.
 */
char *cb_test_shared_path(const char *rel);

/* Record (and print) that some checks of this case do not apply here; the case goes on. */
void cb_test_not_applicable(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The whole case does not apply here: record, print, end it with 77 (never a failure). */
void cb_test_not_applicable_exit_(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
#define cb_test_not_applicable_exit(...)                                                           \
	cb_test_not_applicable_exit_(__FILE__, __LINE__, __VA_ARGS__)

/*
 * Kernel features, probed outside any sandbox.  Each returns true when the
 * machine has the feature; otherwise false with the reason in why (for
 * cb_test_not_applicable).  A probe that cannot run fails the test.
 */
/* IA-32 syscalls (int $0x80); CB_TEST_ASSUME_NO_IA32=1 says no (kernel-abi.h). */
bool cb_test_kernel_ia32(char *why, size_t len);
/*
 * User namespaces, for root or (unprivileged) for an ordinary user too;
 * CB_TEST_ASSUME_NO_USERNS=1 says no.
 */
bool cb_test_kernel_userns(bool unprivileged, char *why, size_t len);
/* The file system type fstype (as /proc/filesystems names it, e.g. "overlay"). */
bool cb_test_kernel_fs(const char *fstype, char *why, size_t len);

/* The host's cgroup layout, from /proc/self/mountinfo. */
enum cb_test_cgroups {
	CB_TEST_CGROUPS_NONE,	/* no cgroup hierarchy mounted */
	CB_TEST_CGROUPS_V1,	/* v1 controller hierarchies (legacy or hybrid) */
	CB_TEST_CGROUPS_V2ONLY, /* the unified hierarchy only */
};
enum cb_test_cgroups cb_test_host_cgroups(void);

/* Read a whole file (aborts the test on failure); caller frees. */
char *cb_test_read_file(const char *path, size_t *len);

/* Whether a mapping of this process (/proc/self/maps) names a file containing needle. */
bool cb_test_mapped(const char *needle);

/* Run fn in a child process (state the parent must not share); the case fails unless it exits 0. */
void cb_test_in_child(int (*fn)(void));

/* In such a child, without cmocka: print the failed check and return 1 from fn. */
#define CB_CHILD_CHECK(cond)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

/*
 * Scripted servers on loopback (the registry tests): a TCP socket listening
 * on 127.0.0.1 at a port the kernel picks, *port (the case fails if it
 * cannot be made); and a connection to 127.0.0.1:port, made or refused,
 * to wake a server thread blocked in accept (its fd, or -1: close it).
 */
int cb_test_listen_loopback(int *port);
int cb_test_connect_loopback(int port);

#define CB_TEST_MAIN(...)                                                                          \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		const struct CMUnitTest cb_tests_[] = {__VA_ARGS__};                               \
		return cb_test_main(argc, argv, cb_tests_,                                         \
				    sizeof(cb_tests_) / sizeof(cb_tests_[0]));                     \
	}

#endif
