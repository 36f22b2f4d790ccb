#include "cbtest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sys/utsname.h>

#include "cleanup.h"
#include "fsutil.h"
#include "kernel-abi.h"
#include "xalloc.h"

/* Set by skip() in the case being run (one process runs one case under CTest). */
static volatile int skipped;
/* Set by cb_test_not_applicable_exit(): the case does not apply on this machine. */
static volatile int not_applicable;
/* unit.<binary>.<case> (or unit.<binary> when it runs all its cases), for the N/A log. */
static char test_name[256];

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

	snprintf(test_name, sizeof(test_name), "unit.%s", name);
	if (argc < 2)
		return run_in_tempdir(name, tests, n) ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		const char *must = getenv("CB_TESTS_MUST_WORK");

		if (strcmp(tests[i].name, argv[1]))
			continue;
		snprintf(test_name, sizeof(test_name), "unit.%s.%s", name, argv[1]);
		if (run_in_tempdir(name, &tests[i], 1))
			return 1;
		if (not_applicable)
			return 77; /* the machine lacks what the case tests: never a failure */
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
	cleanup_free char *p = xasprintf("shared/testdata/%s", rel);

	return cb_test_data_path(p);
}

/* Print the reason and append "TEST: REASON" to $CB_NA_LOG in one write. */
static void record_not_applicable(const char *fmt, va_list ap)
{
	const char *log = getenv("CB_NA_LOG");
	cleanup_free char *reason = NULL;
	cleanup_free char *line = NULL;
	cleanup_close int fd = -1;

	if (vasprintf(&reason, fmt, ap) < 0)
		abort();
	for (char *p = reason; *p; p++)
		if (*p == '\n')
			*p = ' ';
	fprintf(stderr, "NOT APPLICABLE: %s\n", reason);
	if (!log || !*log)
		return;
	line = xasprintf("%s: %s\n", test_name, reason);
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		fail_msg("cannot record a not-applicable check in `%s`: %s", log, strerror(errno));
}

void cb_test_not_applicable(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_not_applicable(fmt, ap);
	va_end(ap);
}

void cb_test_not_applicable_exit_(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_not_applicable(fmt, ap);
	va_end(ap);
	not_applicable = 1;
	_skip(file, line);
	abort(); /* _skip() does not return */
}

bool cb_test_kernel_ia32(char *why, size_t len)
{
	int rc = kabi_ia32(why, len);

	if (rc < 0)
		fail_msg("%s", why);
	return rc == 1;
}

/* The first number in a /proc/sys file, or -1 when it is absent. */
static long sysctl_number(const char *path)
{
	cleanup_file FILE *f = fopen(path, "re");
	long v;

	if (!f || fscanf(f, "%ld", &v) != 1)
		return -1;
	return v;
}

bool cb_test_kernel_userns(bool unprivileged, char *why, size_t len)
{
	const char *assume = getenv("CB_TEST_ASSUME_NO_USERNS");

	if (assume && *assume && strcmp(assume, "0")) {
		snprintf(why, len,
			 "CB_TEST_ASSUME_NO_USERNS=%s: the probe reports user namespaces "
			 "as absent",
			 assume);
		return false;
	}
	if (access("/proc/self/ns/user", F_OK) < 0) {
		snprintf(why, len, "the kernel has no user namespaces (CONFIG_USER_NS is off)");
		return false;
	}
	if (sysctl_number("/proc/sys/user/max_user_namespaces") == 0) {
		snprintf(why, len, "user namespaces are disabled (user.max_user_namespaces=0)");
		return false;
	}
	if (!unprivileged)
		return true;
	if (sysctl_number("/proc/sys/kernel/unprivileged_userns_clone") == 0) {
		snprintf(why, len,
			 "unprivileged user namespaces are disabled "
			 "(kernel.unprivileged_userns_clone=0)");
		return false;
	}
	if (sysctl_number("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1) {
		snprintf(why, len,
			 "unprivileged user namespaces are restricted by AppArmor "
			 "(kernel.apparmor_restrict_unprivileged_userns=1)");
		return false;
	}
	return true;
}

/* Does file (a text file) hold needle?  Absent or unreadable: no. */
static bool file_has(const char *path, const char *needle)
{
	struct cb_error *err = NULL;
	cleanup_free char *buf = NULL;

	if (cb_read_file(path, 0, &buf, NULL, &err) < 0) {
		cb_error_free(&err);
		return false;
	}
	return strstr(buf, needle) != NULL;
}

bool cb_test_kernel_fs(const char *fstype, char *why, size_t len)
{
	cleanup_free char *want = xasprintf("\t%s\n", fstype);
	cleanup_free char *mod = xasprintf("/%s.ko", fstype);
	cleanup_free char *dep = NULL;
	struct utsname u;

	if (!file_has("/proc/filesystems", want)) {
		/* not loaded yet: a module the first mount would load counts */
		if (uname(&u) == 0) {
			dep = xasprintf("/lib/modules/%s/modules.dep", u.release);
			if (file_has(dep, mod))
				return true;
		}
		snprintf(why, len,
			 "the kernel has no `%s` file system (not in /proc/filesystems, "
			 "no module)",
			 fstype);
		return false;
	}
	return true;
}

enum cb_test_cgroups cb_test_host_cgroups(void)
{
	static const char *const controllers[] = {
		"cpu",	"cpuacct", "cpuset",   "memory",     "devices", "freezer", "blkio",
		"pids", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma",	   "misc"};
	cleanup_file FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool v2 = false;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), *type, *src, *opts, *save = NULL;

		if (!sep || !(type = strtok_r(sep + 3, " ", &save)) ||
		    !(src = strtok_r(NULL, " ", &save)) || !(opts = strtok_r(NULL, " \n", &save)))
			continue;
		if (!strcmp(type, "cgroup2")) {
			v2 = true;
			continue;
		}
		if (strcmp(type, "cgroup"))
			continue;
		for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
			for (size_t i = 0; i < sizeof(controllers) / sizeof(controllers[0]); i++)
				if (!strcmp(o, controllers[i]))
					return CB_TEST_CGROUPS_V1;
	}
	return v2 ? CB_TEST_CGROUPS_V2ONLY : CB_TEST_CGROUPS_NONE;
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

bool cb_test_mapped(const char *needle)
{
	cleanup_free char *maps = cb_test_read_file("/proc/self/maps", NULL);

	return strstr(maps, needle) != NULL;
}

void cb_test_in_child(int (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int cb_test_listen_loopback(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

int cb_test_connect_loopback(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	(void)!connect(fd, (struct sockaddr *)&a, sizeof(a));
	return fd;
}
