/*
 * test_common_fsutil.c - file helpers: whole-file reads with a cap, atomic
 * writes (no temp file left behind, target untouched on failure), mkdir -p,
 * rm -rf that does not follow symlinks, and the path string helpers.  Each
 * case runs in its own temporary directory (the harness chdirs there).
 */
#include "cbtest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

/*
 * Run the case in a new directory of its own: when the binary runs all
 * cases at once they share the harness's temporary directory.
 */
static int enter_case_dir(void **state)
{
	char tmpl[] = "case-XXXXXX";

	(void)state;
	return mkdtemp(tmpl) && chdir(tmpl) == 0 ? 0 : -1;
}

static int leave_case_dir(void **state)
{
	(void)state;
	return chdir("..");
}

static void write_plain(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Entries in dir other than . and .. */
static int count_entries(const char *dir)
{
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	return n;
}

static void expect_errno_msg(struct cb_error *err, int code, const char *prefix)
{
	cleanup_free char *msg = xasprintf("%s: %s", prefix, strerror(code));

	assert_non_null(err);
	assert_int_equal(err->code, code);
	assert_string_equal(cb_error_msg(err), msg);
}

static void test_write_atomic_creates_with_mode(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t len = 0;
	mode_t old = umask(077);

	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "f", "a\0b", 3, 0644, &err), 0);
	umask(old);
	assert_null(err);
	assert_int_equal(stat("f", &st), 0);
	/* the mode is exact, whatever the umask */
	assert_int_equal(st.st_mode & 07777, 0644);
	buf = cb_test_read_file("f", &len);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "a\0b", 3);
	assert_int_equal(count_entries("."), 1);
}

static void test_write_atomic_replaces(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	cleanup_free char *buf = NULL;
	size_t len = 0;
	int dfd;

	assert_int_equal(mkdir("d", 0755), 0);
	write_plain("d/f", "old content that is longer");
	dfd = open("d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(cb_write_file_atomic(dfd, "f", "new", 3, 0600, &err), 0);
	close(dfd);
	buf = cb_test_read_file("d/f", &len);
	assert_string_equal(buf, "new");
	/* no temp file is left next to it */
	assert_int_equal(count_entries("d"), 1);
	/* an empty file is fine too */
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "d/empty", "", 0, 0600, &err), 0);
	assert_int_equal(count_entries("d"), 2);
}

static void test_write_atomic_failures(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "nope/f", "x", 1, 0644, &err), -1);
	expect_errno_msg(err, ENOENT, "create temp file for `nope/f`");
	cb_error_free(&err);
	/* a directory in the way: the temp file is removed, the directory kept */
	assert_int_equal(mkdir("dir", 0755), 0);
	write_plain("dir/inside", "keep");
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "dir", "x", 1, 0644, &err), -1);
	assert_non_null(err);
	assert_true(strncmp(cb_error_msg(err), "rename into `dir`: ", 19) == 0);
	cb_error_free(&err);
	assert_int_equal(count_entries("."), 1);
	assert_true(exists("dir/inside"));
}

static void test_read_file(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	char *buf = (char *)"untouched";
	size_t len = 42;

	write_plain("f", "hello");
	assert_int_equal(cb_read_file("f", 0, &buf, &len, &err), 0);
	assert_string_equal(buf, "hello");
	assert_int_equal(len, 5);
	free(buf);
	assert_int_equal(cb_read_file("f", 5, &buf, &len, &err), 0);
	free(buf);
	buf = (char *)"untouched";
	len = 42;
	assert_int_equal(cb_read_file("f", 4, &buf, &len, &err), -1);
	expect_errno_msg(err, EFBIG, "read `f`: larger than 4 bytes");
	/* a failure leaves the out-parameters alone */
	assert_string_equal(buf, "untouched");
	assert_int_equal(len, 42);
	cb_error_free(&err);
	assert_int_equal(cb_read_file("missing", 0, &buf, &len, &err), -1);
	expect_errno_msg(err, ENOENT, "open `missing`");
	cb_error_free(&err);
	assert_int_equal(cb_read_file(".", 0, &buf, &len, &err), -1);
	expect_errno_msg(err, EISDIR, "read `.`");
	cb_error_free(&err);
}

static void test_read_fd_and_write_all(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	cleanup_free char *big = xmalloc(200000);
	char *out = NULL;
	size_t len = 0;
	int fd = open("big", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	for (size_t i = 0; i < 200000; i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(cb_write_all(fd, big, 200000, &err), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(cb_read_fd(fd, 0, &out, &len, &err), 0);
	assert_int_equal(len, 200000);
	assert_memory_equal(out, big, 200000);
	assert_int_equal(out[len], '\0');
	free(out);
	close(fd);
	assert_int_equal(cb_write_all(-1, "x", 1, &err), -1);
	expect_errno_msg(err, EBADF, "write");
	cb_error_free(&err);
}

static void test_mkdir_p(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	struct stat st;
	char cwd[4096];
	cleanup_free char *abs = NULL;

	assert_int_equal(cb_mkdir_p(AT_FDCWD, "a/b/c", 0755, &err), 0);
	assert_int_equal(stat("a/b/c", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* existing directories, doubled and trailing slashes, empty path */
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "a/b/c", 0755, &err), 0);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "a//b/./d/", 0755, &err), 0);
	assert_true(exists("a/b/d"));
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "", 0755, &err), 0);
	assert_null(err);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	abs = xasprintf("%s/x/y", cwd);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, abs, 0700, &err), 0);
	assert_true(exists("x/y"));
}

static void test_mkdir_p_file_in_the_way(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	write_plain("file", "x");
	/* as the last component: mkdir -p says "File exists", not success */
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "file", 0755, &err), -1);
	expect_errno_msg(err, ENOTDIR, "mkdir `file`");
	cb_error_free(&err);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "file/sub", 0755, &err), -1);
	expect_errno_msg(err, ENOTDIR, "mkdir `file`");
	cb_error_free(&err);
}

static void test_mkdir_p_relative_to_dirfd(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	int dfd;

	assert_int_equal(mkdir("root", 0755), 0);
	dfd = open("root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(cb_mkdir_p(dfd, "p/q", 0755, &err), 0);
	close(dfd);
	assert_true(exists("root/p/q"));
	assert_false(exists("p"));
}

static void test_rm_rf(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	assert_int_equal(cb_mkdir_p(AT_FDCWD, "t/a/b/c", 0755, &err), 0);
	write_plain("t/a/f1", "1");
	write_plain("t/a/b/c/f2", "2");
	assert_int_equal(mkdir("t/empty", 0755), 0);
	assert_int_equal(cb_rm_rf(AT_FDCWD, "t", &err), 0);
	assert_null(err);
	assert_false(exists("t"));
	/* missing paths and plain files are fine */
	assert_int_equal(cb_rm_rf(AT_FDCWD, "t", &err), 0);
	write_plain("plain", "x");
	assert_int_equal(cb_rm_rf(AT_FDCWD, "plain", &err), 0);
	assert_false(exists("plain"));
}

static void test_rm_rf_does_not_follow_symlinks(void **state)
{
	(void)state;
	struct cb_error *err = NULL;

	assert_int_equal(cb_mkdir_p(AT_FDCWD, "outside/keep", 0755, &err), 0);
	write_plain("outside/keep/file", "precious");
	assert_int_equal(mkdir("victim", 0755), 0);
	assert_int_equal(symlink("../outside", "victim/link"), 0);
	assert_int_equal(symlink("../outside/keep/file", "victim/flink"), 0);
	assert_int_equal(cb_rm_rf(AT_FDCWD, "victim", &err), 0);
	assert_false(exists("victim"));
	assert_true(exists("outside/keep/file"));
	/* a symlink given directly is removed, not its target */
	assert_int_equal(symlink("outside", "top"), 0);
	assert_int_equal(cb_rm_rf(AT_FDCWD, "top", &err), 0);
	assert_false(exists("top"));
	assert_true(exists("outside/keep/file"));
}

/*
 * A rootless overlay leaves its workdir's work/ at mode 000, and a tree may
 * hold read-only (0500) directories: as their owner, removal makes them
 * 0700 and goes on (a rootless build left its scratch directory behind,
 * and every later open of the store failed); one owned by someone else is
 * left alone and the removal fails.  Run as uid 1000 in a child.
 */
static int rm_rf_as_owner(void)
{
	struct cb_error *err = NULL;
	struct stat st;

	CB_CHILD_CHECK(setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0);
	CB_CHILD_CHECK(mkdir("mine", 0755) == 0 && mkdir("mine/work", 0755) == 0);
	CB_CHILD_CHECK(mkdir("mine/work/work", 0755) == 0 && mkdir("mine/ro", 0755) == 0);
	write_plain("mine/ro/file", "x");
	CB_CHILD_CHECK(mkdir("mine/ro/sub", 0755) == 0);
	CB_CHILD_CHECK(chmod("mine/work/work", 0) == 0 && chmod("mine/ro", 0500) == 0);
	CB_CHILD_CHECK(cb_rm_rf(AT_FDCWD, "mine", &err) == 0);
	CB_CHILD_CHECK(!err && !exists("mine"));
	/* a top-level directory of mode 000 too */
	CB_CHILD_CHECK(mkdir("top", 0755) == 0 && mkdir("top/d", 0755) == 0 &&
		       chmod("top", 0) == 0);
	CB_CHILD_CHECK(cb_rm_rf(AT_FDCWD, "top", &err) == 0 && !exists("top"));
	/* root's 000 directory inside ours: not ours to open up */
	CB_CHILD_CHECK(cb_rm_rf(AT_FDCWD, "theirs", &err) < 0 && err);
	CB_CHILD_CHECK(strstr(cb_error_msg(err), "Permission denied"));
	cb_error_free(&err);
	CB_CHILD_CHECK(stat("theirs/locked", &st) == 0 && (st.st_mode & 07777) == 0);
	return 0;
}

static void test_rm_rf_owner_mode_000(void **state)
{
	(void)state;
	if (geteuid() != 0)
		cb_test_not_applicable_exit("switching to uid 1000 needs root");
	assert_int_equal(chmod(".", 0777), 0);
	assert_int_equal(mkdir("theirs", 0755), 0);
	assert_int_equal(chown("theirs", 1000, 1000), 0);
	assert_int_equal(mkdir("theirs/locked", 0), 0);
	cb_test_in_child(rm_rf_as_owner);
	assert_int_equal(chmod("theirs/locked", 0700), 0);
}

/*
 * Finding 5 of issue 11: a layer's symlinks can build a tree thousands of
 * levels deep; removal must work at any depth (the old recursion gave up past
 * 4096), with files and several subdirectories at levels deep enough that the
 * walk reopens parents through `..`.
 */
static void test_rm_rf_harden_deep_tree(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	int fd, next, i;

	assert_int_equal(mkdir("deep", 0755), 0);
	fd = open("deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (i = 0; i < 6000; i++) {
		if (i % 97 == 0) {
			assert_int_equal(mkdirat(fd, "side", 0755), 0);
			assert_int_equal(mkdirat(fd, "side2", 0700), 0);
			next = openat(fd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			assert_true(next >= 0);
			close(next);
			assert_int_equal(symlinkat("/", fd, "root-link"), 0);
		}
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	close(fd);
	assert_int_equal(cb_rm_rf(AT_FDCWD, "deep", &err), 0);
	assert_null(err);
	assert_false(exists("deep"));
}

static void test_basename(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"a/b/c", "c"}, {"c", "c"}, {"/c", "c"},   {"a/b/", ""},
		{"", ""},	{"/", ""},  {"a//b", "b"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(cb_basename(cases[i].in), cases[i].out);
	/* borrowed from the argument */
	static const char p[] = "x/y";
	assert_ptr_equal(cb_basename(p), p + 2);
}

static void test_dirname(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"a/b/c", "a/b"}, {"c", "."},	 {"", "."},    {"/c", "/"},
		{"/", "/"},	  {"a//b", "a"}, {"//a", "/"}, {"a/b/", "a/b"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_free char *d = cb_dirname(cases[i].in);

		if (strcmp(d, cases[i].out))
			fail_msg("dirname(%s) = %s, expected %s", cases[i].in, d, cases[i].out);
	}
}

static void test_path_join(void **state)
{
	(void)state;
	static const struct {
		const char *a, *b, *out;
	} cases[] = {
		{"a", "b", "a/b"},     {"a/", "b", "a/b"}, {"a", "/b", "a/b"},
		{"a//", "//b", "a/b"}, {"", "b", "b"},	   {"", "/b", "b"},
		{"/", "b", "/b"},      {"a", "", "a/"},	   {"a/b", "c/d", "a/b/c/d"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_free char *j = cb_path_join(cases[i].a, cases[i].b);

		if (strcmp(j, cases[i].out))
			fail_msg("join(%s, %s) = %s, expected %s", cases[i].a, cases[i].b, j,
				 cases[i].out);
	}
}

/* ------------------------------------------------------------------------ */
/* Paths confined to a tree: every case runs with openat2 and with the walk  */
/* (CB_ROOT_WALK, what a kernel without openat2 gets); both must agree.      */
/* ------------------------------------------------------------------------ */

static const unsigned modes[] = {0, CB_ROOT_WALK};

/* A tree "root" and, beside it, "outside" holding a sentinel nothing may reach. */
static int make_tree(void)
{
	assert_int_equal(mkdir("root", 0755), 0);
	assert_int_equal(mkdir("outside", 0755), 0);
	write_plain("outside/sentinel", "host\n");
	assert_int_equal(mkdir("root/etc", 0755), 0);
	write_plain("root/etc/passwd", "inside\n");
	return open("root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void same_file(int fd, const char *want)
{
	struct stat a, b;

	assert_int_equal(fstat(fd, &a), 0);
	if (lstat(want, &b) < 0)
		fail_msg("`%s` does not exist", want);
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		fail_msg("resolved to another file than `%s`", want);
}

/*
 * Open path in root (flags, rflags) both ways: the file `want` (relative to
 * the case directory), or -want_errno; where must name the component.
 */
static void expect_open(int root, const char *path, int flags, unsigned rflags, const char *want,
			int want_errno, const char *want_where)
{
	for (size_t m = 0; m < 2; m++) {
		struct cb_root_opts o = {rflags | modes[m], 0, NULL, NULL};
		char where[CB_ROOT_WHERE_MAX];
		int fd = cb_open_in_root_raw(root, path, flags, 0644, &o, where);

		if (want && fd < 0)
			fail_msg("%s `%s`: %s (at `%s`)", m ? "walk" : "openat2", path,
				 strerror(-fd), where);
		if (!want && fd != -want_errno)
			fail_msg("%s `%s`: got %d (%s), want %s", m ? "walk" : "openat2", path, fd,
				 fd < 0 ? strerror(-fd) : "an fd", strerror(want_errno));
		if (want) {
			same_file(fd, want);
			close(fd);
		} else if (want_where && strcmp(where, want_where)) {
			fail_msg("%s `%s`: stopped at `%s`, want `%s`", m ? "walk" : "openat2",
				 path, where, want_where);
		}
	}
}

static char *read_fd_text(int fd)
{
	struct cb_error *err = NULL;
	char *buf = NULL;

	assert_int_equal(cb_read_fd(fd, 4096, &buf, NULL, &err), 0);
	return buf;
}

static void test_in_root_plain(void **state)
{
	(void)state;
	cleanup_close int root = make_tree();

	expect_open(root, "etc/passwd", O_RDONLY, 0, "root/etc/passwd", 0, NULL);
	expect_open(root, "/etc/passwd", O_RDONLY, 0, "root/etc/passwd", 0, NULL);
	expect_open(root, "//etc//./passwd", O_RDONLY, 0, "root/etc/passwd", 0, NULL);
	expect_open(root, "", O_RDONLY, 0, "root", 0, NULL);
	expect_open(root, "/", O_PATH, 0, "root", 0, NULL);
	expect_open(root, "etc/", O_RDONLY | O_DIRECTORY, 0, "root/etc", 0, NULL);
	expect_open(root, "etc/nope", O_RDONLY, 0, NULL, ENOENT, "nope");
	expect_open(root, "nope/passwd", O_RDONLY, 0, NULL, ENOENT, "nope");
	expect_open(root, "etc/passwd/", O_RDONLY, 0, NULL, ENOTDIR, "passwd");
	expect_open(root, "etc", O_WRONLY, 0, NULL, EISDIR, "etc");
}

/* `..` stops at the root, as RESOLVE_IN_ROOT; with CB_ROOT_NO_CLIMB it is refused. */
static void test_in_root_dotdot(void **state)
{
	(void)state;
	cleanup_close int root = make_tree();

	assert_int_equal(mkdir("root/outside", 0755), 0);
	write_plain("root/outside/sentinel", "inside\n");
	expect_open(root, "../outside/sentinel", O_RDONLY, 0, "root/outside/sentinel", 0, NULL);
	expect_open(root, "etc/../../../outside/sentinel", O_RDONLY, 0, "root/outside/sentinel", 0,
		    NULL);
	expect_open(root, "../outside/sentinel", O_RDONLY, CB_ROOT_NO_CLIMB, NULL, EXDEV, "..");
	expect_open(root, "etc/../etc/passwd", O_RDONLY, CB_ROOT_NO_CLIMB, "root/etc/passwd", 0,
		    NULL);
	/* `..` goes to the parent of where a symlink led, as in the kernel */
	assert_int_equal(mkdir("root/a", 0755), 0);
	assert_int_equal(mkdir("root/a/b", 0755), 0);
	write_plain("root/a/x", "x\n");
	assert_int_equal(symlink("a/b", "root/l"), 0);
	expect_open(root, "l/../x", O_RDONLY, 0, "root/a/x", 0, NULL);
	expect_open(root, "l/../x", O_RDONLY, CB_ROOT_NO_CLIMB, "root/a/x", 0, NULL);
}

/* Relative links that climb and absolute links both land inside the tree. */
static void test_in_root_symlink_escapes(void **state)
{
	(void)state;
	cleanup_close int root = make_tree();
	cleanup_free char *cwd = getcwd(NULL, 0);
	cleanup_free char *abs = xasprintf("%s/outside", cwd);
	cleanup_free char *inside = xasprintf("root%s", abs);
	cleanup_free char *text = NULL;
	int fd;

	assert_int_equal(symlink("../../outside", "root/up"), 0);
	assert_int_equal(symlink("/etc", "root/abs"), 0);
	assert_int_equal(symlink(abs, "root/host"), 0);
	assert_int_equal(symlink("../../outside/sentinel", "root/etc/file"), 0);
	/* clamped: root/outside does not exist, the host's is never reached */
	expect_open(root, "up/sentinel", O_RDONLY, 0, NULL, ENOENT, "outside");
	expect_open(root, "etc/file", O_RDONLY, 0, NULL, ENOENT, "outside");
	expect_open(root, "abs/passwd", O_RDONLY, 0, "root/etc/passwd", 0, NULL);
	assert_int_equal(symlink("/etc", "root/etc/self"), 0);
	expect_open(root, "etc/self/self/passwd", O_RDONLY, 0, "root/etc/passwd", 0, NULL);
	expect_open(root, "host/sentinel", O_RDONLY, 0, NULL, ENOENT, NULL);
	/* with the same names inside, they are what is read */
	assert_int_equal(cb_mkdir_p(AT_FDCWD, inside, 0755, NULL), 0);
	assert_int_equal(mkdir("root/outside", 0755), 0);
	write_plain("root/outside/sentinel", "inside\n");
	cleanup_free char *inside_file = xasprintf("%s/sentinel", inside);
	write_plain(inside_file, "inside too\n");
	expect_open(root, "up/sentinel", O_RDONLY, 0, "root/outside/sentinel", 0, NULL);
	expect_open(root, "etc/file", O_RDONLY, 0, "root/outside/sentinel", 0, NULL);
	expect_open(root, "host/sentinel", O_RDONLY, 0, inside_file, 0, NULL);
	/* no climbing: refused; absolute links are fine */
	expect_open(root, "up/sentinel", O_RDONLY, CB_ROOT_NO_CLIMB, NULL, EXDEV, "..");
	expect_open(root, "abs/passwd", O_RDONLY, CB_ROOT_NO_CLIMB, "root/etc/passwd", 0, NULL);
	/* a write through a link creates inside, and the host is untouched */
	for (size_t m = 0; m < 2; m++) {
		struct cb_root_opts o = {modes[m], 0, NULL, NULL};

		fd = cb_open_in_root_raw(root, "up/new", O_WRONLY | O_CREAT, 0600, &o, NULL);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(unlink("root/outside/new"), 0);
	}
	fd = open("outside/sentinel", O_RDONLY | O_CLOEXEC);
	text = read_fd_text(fd);
	close(fd);
	assert_string_equal(text, "host\n");
	assert_false(exists("outside/new"));
}

static void test_in_root_symlink_loops(void **state)
{
	(void)state;
	cleanup_close int root = make_tree();
	char name[16], target[16];

	assert_int_equal(symlink("b", "root/a"), 0);
	assert_int_equal(symlink("a", "root/b"), 0);
	assert_int_equal(symlink("self/x", "root/self"), 0);
	expect_open(root, "a", O_RDONLY, 0, NULL, ELOOP, NULL);
	expect_open(root, "a/x", O_RDONLY, 0, NULL, ELOOP, NULL);
	expect_open(root, "self", O_RDONLY, 0, NULL, ELOOP, "self");
	/* 40 links are followed, the 41st is one too many (the kernel's MAXSYMLINKS) */
	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "root/l%d", i);
		snprintf(target, sizeof(target), i == 40 ? "etc" : "l%d", i + 1);
		assert_int_equal(symlink(target, name), 0);
	}
	expect_open(root, "l1/passwd", O_RDONLY, 0, "root/etc/passwd", 0, NULL);
	expect_open(root, "l0/passwd", O_RDONLY, 0, NULL, ELOOP, NULL);
	/* ...and any symlink at all with CB_ROOT_NO_SYMLINKS */
	expect_open(root, "l40/passwd", O_RDONLY, CB_ROOT_NO_SYMLINKS, NULL, ELOOP, "l40");
	expect_open(root, "l40", O_PATH | O_NOFOLLOW, CB_ROOT_NO_SYMLINKS, "root/l40", 0, NULL);
}

static void test_in_root_dangling_symlinks(void **state)
{
	(void)state;
	cleanup_close int root = make_tree();

	assert_int_equal(symlink("/made/file", "root/dangling"), 0);
	expect_open(root, "dangling", O_RDONLY, 0, NULL, ENOENT, "made");
	/* O_NOFOLLOW, or O_EXCL, stop at the link itself */
	expect_open(root, "dangling", O_RDONLY | O_NOFOLLOW, 0, NULL, ELOOP, "dangling");
	expect_open(root, "dangling", O_PATH | O_NOFOLLOW, 0, "root/dangling", 0, NULL);
	expect_open(root, "dangling", O_WRONLY | O_CREAT | O_EXCL, 0, NULL, EEXIST, "dangling");
	expect_open(root, "dangling", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0, NULL, EEXIST,
		    "dangling");
	/* O_CREAT creates the target where it exists a directory for it */
	expect_open(root, "dangling", O_WRONLY | O_CREAT, 0, NULL, ENOENT, "made");
	assert_int_equal(mkdir("root/made", 0755), 0);
	for (size_t m = 0; m < 2; m++) {
		struct cb_root_opts o = {modes[m], 0, NULL, NULL};
		int fd = cb_open_in_root_raw(root, "dangling", O_WRONLY | O_CREAT, 0600, &o, NULL);

		assert_true(fd >= 0);
		same_file(fd, "root/made/file");
		close(fd);
		assert_int_equal(unlink("root/made/file"), 0);
	}
}

static void test_in_root_file_in_the_way(void **state)
{
	(void)state;
	cleanup_close int root = make_tree();

	assert_int_equal(symlink("etc/passwd", "root/tofile"), 0);
	expect_open(root, "etc/passwd/x", O_RDONLY, 0, NULL, ENOTDIR, "passwd");
	expect_open(root, "tofile/x", O_RDONLY, 0, NULL, ENOTDIR, "passwd");
	expect_open(root, "tofile", O_RDONLY, 0, "root/etc/passwd", 0, NULL);
	for (size_t m = 0; m < 2; m++) {
		struct cb_root_opts o = {modes[m], 0, NULL, NULL};
		char where[CB_ROOT_WHERE_MAX];

		assert_int_equal(cb_mkdir_in_root_raw(root, "etc/passwd/x", &o, where), -ENOTDIR);
		assert_string_equal(where, "passwd");
		assert_int_equal(cb_mkdir_in_root_raw(root, "tofile", &o, where), -ENOTDIR);
		assert_false(exists("root/etc/passwd/x"));
	}
}

static void test_in_root_mkdir(void **state)
{
	(void)state;
	cleanup_close int root = make_tree();
	cleanup_free char *cwd = getcwd(NULL, 0);
	cleanup_free char *abs = xasprintf("%s/outside/made", cwd);
	cleanup_free char *abs_b = xasprintf("root%s/b", abs);
	cleanup_free char *top = xstrndup(cwd, strcspn(cwd + 1, "/") + 1);
	cleanup_free char *inside_top = xasprintf("root%s", top);

	umask(022);
	assert_int_equal(symlink("/usr/lib", "root/lib"), 0);
	assert_int_equal(symlink("../../outside/made", "root/up"), 0);
	assert_int_equal(symlink(abs, "root/host"), 0);
	for (size_t m = 0; m < 2; m++) {
		struct cb_root_opts o = {modes[m], 0700, NULL, NULL};
		struct stat st;
		int fd;

		/* missing parents, through a dangling link: made inside */
		fd = cb_mkdir_in_root_raw(root, "lib/x/y", &o, NULL);
		assert_true(fd >= 0);
		same_file(fd, "root/usr/lib/x/y");
		close(fd);
		assert_int_equal(stat("root/usr/lib/x", &st), 0);
		assert_int_equal(st.st_mode & 07777, 0700);
		fd = cb_mkdir_in_root_raw(root, "up/a", &o, NULL);
		assert_true(fd >= 0);
		same_file(fd, "root/outside/made/a");
		close(fd);
		fd = cb_mkdir_in_root_raw(root, "host/b", &o, NULL);
		assert_true(fd >= 0);
		close(fd);
		assert_true(exists(abs_b));
		/* existing: the same directory again; the root itself */
		fd = cb_mkdir_in_root_raw(root, "/lib/x/", &o, NULL);
		assert_true(fd >= 0);
		same_file(fd, "root/usr/lib/x");
		close(fd);
		fd = cb_mkdir_in_root_raw(root, "/", &o, NULL);
		assert_true(fd >= 0);
		same_file(fd, "root");
		close(fd);
		o.flags |= CB_ROOT_NO_CLIMB;
		assert_int_equal(cb_mkdir_in_root_raw(root, "up/c", &o, NULL), -EXDEV);
		assert_int_equal(cb_rm_rf(AT_FDCWD, "root/usr", NULL), 0);
		assert_int_equal(cb_rm_rf(AT_FDCWD, "root/outside", NULL), 0);
		assert_int_equal(cb_rm_rf(AT_FDCWD, inside_top, NULL), 0);
	}
	assert_false(exists("outside/made"));
}

struct made {
	int calls, last;
	char names[8][32];
};

/* A create callback as COPY would write one: mkdir, then set what it wants. */
static int record_create(int dirfd, const char *name, bool last, void *ctx)
{
	struct made *m = ctx;

	snprintf(m->names[m->calls++ % 8], 32, "%s", name);
	m->last += last;
	if (last && !strcmp(name, "file")) {
		int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	if (mkdirat(dirfd, name, 0755) < 0)
		return -errno;
	return fchmodat(dirfd, name, 0711, 0) < 0 ? -errno : 0;
}

static int refuse_create(int dirfd, const char *name, bool last, void *ctx)
{
	(void)dirfd;
	(void)name;
	(void)last;
	(void)ctx;
	return -EROFS;
}

static void test_in_root_mkdir_callback(void **state)
{
	(void)state;
	cleanup_close int root = make_tree();

	for (size_t m = 0; m < 2; m++) {
		struct made made = {0};
		struct cb_root_opts o = {modes[m], 0, record_create, &made};
		char where[CB_ROOT_WHERE_MAX];
		struct stat st;
		int fd = cb_mkdir_in_root_raw(root, "etc/a/b", &o, NULL);

		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(made.calls, 2);
		assert_int_equal(made.last, 1);
		assert_string_equal(made.names[0], "a");
		assert_string_equal(made.names[1], "b");
		assert_int_equal(stat("root/etc/a/b", &st), 0);
		assert_int_equal(st.st_mode & 07777, 0711);
		/* CB_ROOT_LAST_ANY: the last one may be a file, made by the callback */
		o.flags |= CB_ROOT_LAST_ANY;
		fd = cb_mkdir_in_root_raw(root, "etc/a/file", &o, NULL);
		assert_true(fd >= 0);
		same_file(fd, "root/etc/a/file");
		close(fd);
		fd = cb_mkdir_in_root_raw(root, "etc/passwd", &o, NULL);
		assert_true(fd >= 0);
		same_file(fd, "root/etc/passwd");
		close(fd);
		/* a failing callback's error comes back with where it happened */
		o.create = refuse_create;
		assert_int_equal(cb_mkdir_in_root_raw(root, "etc/a/c/d", &o, where), -EROFS);
		assert_string_equal(where, "c");
		assert_int_equal(cb_rm_rf(AT_FDCWD, "root/etc/a", NULL), 0);
	}
}

/* The cb_error wrappers: messages name the path and where it stopped. */
static void test_in_root_errors(void **state)
{
	(void)state;
	cleanup_close int root = make_tree();
	struct cb_root_opts o = {CB_ROOT_NO_CLIMB, 0, NULL, NULL};
	cleanup_error struct cb_error *err = NULL;
	cleanup_close int fd = -1;

	assert_int_equal(symlink("../x", "root/up"), 0);
	assert_int_equal(cb_open_in_root(root, "etc/passwd/x", O_RDONLY, 0, NULL, &err), -1);
	expect_errno_msg(err, ENOTDIR, "open `etc/passwd/x` (at `passwd`)");
	cb_error_free(&err);
	assert_int_equal(cb_mkdir_in_root(root, "up/a", &o, &err), -1);
	assert_int_equal(err->code, EXDEV);
	assert_string_equal(cb_error_msg(err),
			    "mkdir `up/a`: a symlink or `..` on the way leads outside the root");
	cb_error_free(&err);
	fd = cb_open_in_root(root, "/etc/passwd", O_RDONLY, 0, NULL, &err);
	assert_true(fd >= 0);
	assert_null(err);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

CB_TEST_MAIN(
	cmocka_unit_test_setup_teardown(test_write_atomic_creates_with_mode, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_write_atomic_replaces, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_write_atomic_failures, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_read_file, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_read_fd_and_write_all, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_mkdir_p, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_mkdir_p_file_in_the_way, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_mkdir_p_relative_to_dirfd, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_rm_rf, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_rm_rf_does_not_follow_symlinks, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_rm_rf_harden_deep_tree, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_rm_rf_owner_mode_000, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_basename, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_dirname, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_path_join, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_in_root_plain, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_in_root_dotdot, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_in_root_symlink_escapes, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_in_root_symlink_loops, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_in_root_dangling_symlinks, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_in_root_file_in_the_way, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_in_root_mkdir, enter_case_dir, leave_case_dir),
	cmocka_unit_test_setup_teardown(test_in_root_mkdir_callback, enter_case_dir,
					leave_case_dir),
	cmocka_unit_test_setup_teardown(test_in_root_errors, enter_case_dir, leave_case_dir))
