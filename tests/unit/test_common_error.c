/*
 * test_common_error.c - the error contract (common/error.h): set once,
 * strerror suffix, wrap adds context first, line numbers, report/free are
 * NULL-safe and consume the error.
 */
#include "cbtest.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "utf8.h"

static int fails_with(struct cb_error **err, const char *what)
{
	return cb_error_set(err, 0, "cannot %s `%s`", what, "x");
}

static void test_set_formats_and_returns_minus_one(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	assert_int_equal(fails_with(&err, "open"), -1);
	assert_non_null(err);
	assert_string_equal(cb_error_msg(err), "cannot open `x`");
	assert_int_equal(err->code, 0);
	assert_int_equal(err->line, 0);
	cb_error_free(&err);
	assert_null(err);
}

static void test_set_with_errno_appends_strerror(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	char expected[256];

	snprintf(expected, sizeof(expected), "open `a`: %s", strerror(ENOENT));
	assert_int_equal(cb_error_set(&err, ENOENT, "open `%s`", "a"), -1);
	assert_string_equal(cb_error_msg(err), expected);
	assert_int_equal(err->code, ENOENT);
	cb_error_free(&err);
}

/*
 * A second set is a bug in the caller.  A debug build (no NDEBUG: what the
 * test suite and the sanitizer CI build run) aborts, naming both messages,
 * so the double set is found; a release build keeps the first (the cause).
 */
static void test_set_twice(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	int pipefd[2], status;
	char buf[256] = "";
	ssize_t n;
	pid_t pid;

	cb_error_set(&err, 0, "first");
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		cb_error_set(&err, EIO, "second");
		_exit(cb_error_msg(err) && strcmp(cb_error_msg(err), "first") == 0 ? 0 : 1);
	}
	close(pipefd[1]);
	n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
#ifdef NDEBUG
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(n, 0);
#else
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "error set twice: first `first`, then `second"));
#endif
	assert_string_equal(cb_error_msg(err), "first");
	cb_error_free(&err);
}

static void test_set_null_err_drops(void **state)
{
	(void)state;
	/* a NULL err means "I do not care": still -1, nothing leaks */
	assert_int_equal(cb_error_set(NULL, 0, "ignored %d", 1), -1);
	assert_int_equal(cb_error_set_line(NULL, 3, "ignored"), -1);
	assert_int_equal(cb_error_wrap(NULL, "ctx"), -1);
}

static void test_wrap_prefixes_context(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	cb_error_set(&err, ECONNREFUSED, "fetch blob %s", "y");
	assert_int_equal(cb_error_wrap(&err, "pull %s", "x"), -1);
	cb_error_wrap(&err, "build");
	assert_true(strncmp(cb_error_msg(err), "build: pull x: fetch blob y: ", 29) == 0);
	/* the code and line survive wrapping */
	assert_int_equal(err->code, ECONNREFUSED);
	cb_error_free(&err);
}

static void test_wrap_without_error_is_still_an_error(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	assert_int_equal(cb_error_wrap(&err, "load `%s`", "f"), -1);
	assert_non_null(err);
	assert_string_equal(cb_error_msg(err),
			    "load `f`: unknown error (callee failed without setting one)");
	cb_error_free(&err);
}

static void test_set_line(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	assert_int_equal(cb_error_set_line(&err, 42, "bad %s", "thing"), -1);
	assert_string_equal(cb_error_msg(err), "bad thing");
	assert_int_equal(err->line, 42);
	assert_int_equal(err->code, 0);
	cb_error_wrap(&err, "Dockerfile");
	assert_int_equal(err->line, 42);
	cb_error_free(&err);
}

static void test_msg_and_free_null_safe(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	assert_string_equal(cb_error_msg(NULL), "");
	cb_error_free(&err);
	cb_error_free(NULL);
	cb_error_report(&err);
	cb_error_report(NULL);
	cb_error_report_prefix(NULL, "x");
}

/* Run fn with stderr sent to a file; returns what it printed (caller frees). */
static char *capture_stderr(void (*fn)(struct cb_error **), struct cb_error **err)
{
	int saved = dup(STDERR_FILENO);
	int fd = open("stderr.txt", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char *out = NULL;
	size_t len = 0;

	assert_true(saved >= 0 && fd >= 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	fn(err);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	out = cb_test_read_file("stderr.txt", &len);
	return out;
}

static void report_default(struct cb_error **err)
{
	cb_error_report(err);
}

static void report_plain(struct cb_error **err)
{
	cb_error_report_prefix(err, NULL);
}

static void test_report_prints_and_consumes(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	cleanup_free char *out1 = NULL, *out2 = NULL;

	cb_error_set(&err, 0, "it broke");
	out1 = capture_stderr(report_default, &err);
	assert_string_equal(out1, "cbuild: it broke\n");
	assert_null(err);
	cb_error_set(&err, 0, "Dockerfile:3: bad");
	out2 = capture_stderr(report_plain, &err);
	assert_string_equal(out2, "Dockerfile:3: bad\n");
	assert_null(err);
}

/*
 * Issue 11, finding 9: names from archives, images and the command line
 * reached stderr raw.  Control characters are escaped `\x1b`-style; newline
 * and tab stay (messages span lines); printable UTF-8 and other bytes stay.
 */
static void test_escape_harden_controls(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain `name`", "plain `name`"},
		{"\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07"},
		{"a\rb\bc\x7f", "a\\x0db\\x08c\\x7f"},
		{"two\nlines\tand tab", "two\nlines\tand tab"},
		{"caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93"},
		{"c1 \xc2\x9b"
		 "31m",
		 "c1 \\xc2\\x9b31m"}, /* U+009B, CSI */
		{"raw \x9b"
		 "31m \xff",
		 "raw \\x9b31m \xff"}, /* 8-bit CSI; 0xff kept */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_free char *got = cb_escape_controls(cases[i].in);

		assert_string_equal(got, cases[i].out);
	}
}

static const char *hostile_arg;

static void eprintf_escaped(struct cb_error **err)
{
	(void)err;
	cb_eprintf("cbuild: unknown command `%s`\n", hostile_arg);
}

static void test_report_harden_escapes(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	cleanup_free char *out1 = NULL, *out2 = NULL;

	cb_error_set(&err, 0, "entry `%s`: bad", "\x1b[31mred\a");
	cb_error_wrap(&err, "import `%s`", "x\x1b");
	out1 = capture_stderr(report_default, &err);
	assert_string_equal(out1, "cbuild: import `x\\x1b`: entry `\\x1b[31mred\\x07`: bad\n");
	assert_null(err);
	hostile_arg = "\x1b]8;;http://x\x1b\\";
	out2 = capture_stderr(eprintf_escaped, NULL);
	assert_string_equal(out2, "cbuild: unknown command `\\x1b]8;;http://x\\x1b\\`\n");
}

static void test_cleanup_error_frees(void **state)
{
	(void)state;
	/* under ASan a leak here fails the test */
	cleanup_error struct cb_error *err = NULL;

	cb_error_set(&err, 0, "scoped");
	assert_string_equal(cb_error_msg(err), "scoped");
}

CB_TEST_MAIN(cmocka_unit_test(test_set_formats_and_returns_minus_one),
	     cmocka_unit_test(test_set_with_errno_appends_strerror),
	     cmocka_unit_test(test_set_twice), cmocka_unit_test(test_set_null_err_drops),
	     cmocka_unit_test(test_wrap_prefixes_context),
	     cmocka_unit_test(test_wrap_without_error_is_still_an_error),
	     cmocka_unit_test(test_set_line), cmocka_unit_test(test_msg_and_free_null_safe),
	     cmocka_unit_test(test_report_prints_and_consumes),
	     cmocka_unit_test(test_cleanup_error_frees),
	     cmocka_unit_test(test_escape_harden_controls),
	     cmocka_unit_test(test_report_harden_escapes))
