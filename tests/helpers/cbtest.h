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
 * CB_TESTS_MUST_WORK=1 (CI) a skip is a failure.
 */
#ifndef CB_TESTS_CBTEST_H
#define CB_TESTS_CBTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

int cb_test_main(int argc, char **argv, const struct CMUnitTest *tests, size_t n);

/* cmocka's skip(), which also records that the running case was skipped. */
void cb_test_skip_(const char *file, int line) __attribute__((noreturn));
#undef skip
#define skip() cb_test_skip_(__FILE__, __LINE__)

/* Path of a file under the repository's tests/data directory; caller frees. */
char *cb_test_data_path(const char *rel);

/*
 * Path of a file under ../shared/testdata (the peer test vectors); caller
 * frees.  Returns NULL when that directory is absent.
 */
char *cb_test_shared_path(const char *rel);

/* Read a whole file (aborts the test on failure); caller frees. */
char *cb_test_read_file(const char *path, size_t *len);

#define CB_TEST_MAIN(...)                                                                          \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		const struct CMUnitTest cb_tests_[] = {__VA_ARGS__};                               \
		return cb_test_main(argc, argv, cb_tests_,                                         \
				    sizeof(cb_tests_) / sizeof(cb_tests_[0]));                     \
	}

#endif
