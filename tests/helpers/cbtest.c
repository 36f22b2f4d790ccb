#include "cbtest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

/* Set by skip() in the case being run (one process runs one case under CTest). */
static volatile int skipped;

void cb_test_skip_(const char *file, int line)
{
	skipped = 1;
	_skip(file, line);
	abort(); /* _skip() does not return */
}

static int run_in_tempdir(const char *name, const struct CMUnitTest *tests, size_t n)
{
	char tmpl[] = "/tmp/cbtest-XXXXXX";
	char cwd[PATH_MAX];
	struct cb_error *err = NULL;
	int rc;

	if (!getcwd(cwd, sizeof(cwd)) || !mkdtemp(tmpl) || chdir(tmpl) < 0) {
		fprintf(stderr, "cbtest: cannot make a temp dir: %s\n", strerror(errno));
		return 1;
	}
	rc = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
	if (chdir(cwd) < 0)
		fprintf(stderr, "cbtest: chdir back: %s\n", strerror(errno));
	if (cb_rm_rf(AT_FDCWD, tmpl, &err) < 0)
		cb_error_report_prefix(&err, "cbtest: cleanup");
	return rc;
}

int cb_test_main(int argc, char **argv, const struct CMUnitTest *tests, size_t n)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (argc < 2)
		return run_in_tempdir(name, tests, n) ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		const char *must = getenv("CB_TESTS_MUST_WORK");

		if (strcmp(tests[i].name, argv[1]))
			continue;
		if (run_in_tempdir(name, &tests[i], 1))
			return 1;
		if (!skipped)
			return 0;
		if (must && !strcmp(must, "1")) {
			fprintf(stderr, "cbtest: %s skipped, and CB_TESTS_MUST_WORK=1\n", argv[1]);
			return 1;
		}
		return 77;
	}
	fprintf(stderr, "cbtest: %s has no test case `%s`\n", name, argv[1]);
	return 1;
}

char *cb_test_data_path(const char *rel)
{
	const char *dir = getenv("CB_TEST_DATA");

	return xasprintf("%s/%s", dir ? dir : CB_TEST_DATA_DIR, rel);
}

char *cb_test_shared_path(const char *rel)
{
	const char *dir = getenv("CB_SHARED_TESTDATA");
	struct stat st;
	char *p;

	if (!dir)
		dir = CB_SHARED_TESTDATA_DIR;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	p = xasprintf("%s/%s", dir, rel);
	return p;
}

char *cb_test_read_file(const char *path, size_t *len)
{
	struct cb_error *err = NULL;
	char *buf = NULL;

	if (cb_read_file(path, 0, &buf, len, &err) < 0) {
		fprintf(stderr, "%s\n", cb_error_msg(err));
		cb_error_free(&err);
		fail_msg("cannot read %s", path);
	}
	return buf;
}
