/*
 * test_builder_stackfs.c - the mount-free overlayfs view of a stack of
 * layer directories (builder/stackfs.c): lookups through the stack,
 * whiteouts and opaque directories, merged listings, symlinks resolved in
 * the merged view and never outside its root, and the plain (context) mode.
 *
 * Layers are built by hand in the test's temp dir, L0 being the top one.
 * Whiteouts are 0/0 character devices (root needed: skipped otherwise),
 * opaque directories carry trusted.overlay.opaque="y" (user.overlay.opaque
 * where trusted.* is refused).
 */
#include "cbtest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "strbuf.h"
#include "xalloc.h"

/* ---- building layers ---------------------------------------------------- */

static void mkdirs(const char *path)
{
	struct cb_error *err = NULL;

	if (cb_mkdir_p(AT_FDCWD, path, 0755, &err) < 0)
		fail_msg("mkdir %s: %s", path, cb_error_msg(err));
}

/* A file (its parent directories made). */
static void put_file(const char *path, const char *content)
{
	cleanup_free char *dir = cb_dirname(path);
	struct cb_error *err = NULL;

	mkdirs(dir);
	if (cb_write_file_atomic(AT_FDCWD, path, content, strlen(content), 0644, &err) < 0)
		fail_msg("write %s: %s", path, cb_error_msg(err));
}

static void put_link(const char *target, const char *path)
{
	cleanup_free char *dir = cb_dirname(path);

	mkdirs(dir);
	if (symlink(target, path) < 0)
		fail_msg("symlink %s -> %s: %s", path, target, strerror(errno));
}

/* A whiteout: the 0/0 character device overlayfs uses. */
static void put_whiteout(const char *path)
{
	cleanup_free char *dir = cb_dirname(path);

	mkdirs(dir);
	if (mknod(path, S_IFCHR | 0600, makedev(0, 0)) < 0) {
		if (errno == EPERM)
			skip(); /* whiteouts need root (CI runs the suite as root) */
		fail_msg("mknod %s: %s", path, strerror(errno));
	}
}

/* An opaque directory: trusted.overlay.opaque, or user.* where that is refused. */
static void put_opaque_dir(const char *path)
{
	mkdirs(path);
	if (setxattr(path, "trusted.overlay.opaque", "y", 1, 0) == 0)
		return;
	if (setxattr(path, "user.overlay.opaque", "y", 1, 0) == 0)
		return;
	if (errno == ENOTSUP)
		cb_test_not_applicable_exit("the temp dir's file system has no xattrs");
	fail_msg("setxattr %s: %s", path, strerror(errno));
}

/* ---- the view ----------------------------------------------------------- */

static void open_fs(struct stackfs *fs, const char *const *dirs, size_t n)
{
	struct cb_error *err = NULL;

	if (stackfs_open(fs, dirs, n, &err) < 0)
		fail_msg("stackfs_open: %s", cb_error_msg(err));
}

/* Look path up, expecting it to exist: *e (release it). */
static void lookup_ok(const struct stackfs *fs, const char *path, bool follow,
		      struct stackfs_entry *e)
{
	struct cb_error *err = NULL;
	int ret = stackfs_lookup(fs, path, follow, e, &err);

	if (ret < 0)
		fail_msg("lookup %s: %s", path, cb_error_msg(err));
	if (ret == 0)
		fail_msg("lookup %s: not found", path);
	assert_null(err);
}

/* path resolves (following) to canonical path want in layer `layer`. */
static void expect_at(const struct stackfs *fs, const char *path, const char *want, int layer)
{
	struct stackfs_entry e;

	lookup_ok(fs, path, true, &e);
	assert_string_equal(e.path, want);
	assert_int_equal(e.layer, layer);
	stackfs_entry_release(&e);
}

static void expect_missing(const struct stackfs *fs, const char *path, bool follow)
{
	struct stackfs_entry e;
	struct cb_error *err = NULL;
	int ret = stackfs_lookup(fs, path, follow, &e, &err);

	if (ret < 0)
		fail_msg("lookup %s: %s", path, cb_error_msg(err));
	if (ret > 0) {
		fail_msg("lookup %s: found %s in layer %d, want absent", path, e.path, e.layer);
	}
	assert_null(err);
}

/* The listing of the directory at path, joined with '|'. */
static char *list_of(const struct stackfs *fs, const char *path)
{
	struct stackfs_entry e;
	struct cb_strvec names = CB_STRVEC_INIT;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct cb_error *err = NULL;

	lookup_ok(fs, path, true, &e);
	assert_true(S_ISDIR(e.st.st_mode));
	if (stackfs_list(fs, &e, &names, &err) < 0)
		fail_msg("list %s: %s", path, cb_error_msg(err));
	stackfs_entry_release(&e);
	for (size_t i = 0; i < names.n; i++)
		cb_strbuf_addf(&sb, "%s%s", i ? "|" : "", names.v[i]);
	cb_strvec_clear(&names);
	return cb_strbuf_detach(&sb, NULL);
}

static void expect_list(const struct stackfs *fs, const char *path, const char *want)
{
	cleanup_free char *got = list_of(fs, path);

	assert_string_equal(got, want);
}

/* The content of the file at path (must exist). */
static char *read_ok(const struct stackfs *fs, const char *path)
{
	struct cb_error *err = NULL;
	char *buf = NULL;
	size_t len = 0;
	int ret = stackfs_read_file(fs, path, 0, &buf, &len, &err);

	if (ret < 0)
		fail_msg("read %s: %s", path, cb_error_msg(err));
	if (ret == 0)
		fail_msg("read %s: not a file", path);
	assert_int_equal(strlen(buf), len);
	return buf;
}

static void expect_content(const struct stackfs *fs, const char *path, const char *want)
{
	cleanup_free char *got = read_ok(fs, path);

	assert_string_equal(got, want);
}

/* ---- cases -------------------------------------------------------------- */

static const char *const two[] = {"L0", "L1"};

static void test_lookup_lower_file(void **state)
{
	struct stackfs fs;
	struct stackfs_entry e;

	(void)state;
	put_file("L0/etc/hostname", "top\n");
	put_file("L1/etc/hostname", "bottom\n");
	put_file("L1/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	put_file("L1/bin/sh", "");
	open_fs(&fs, two, 2);

	/* only in the lower layer */
	lookup_ok(&fs, "/etc/passwd", true, &e);
	assert_string_equal(e.path, "/etc/passwd");
	assert_int_equal(e.layer, 1);
	assert_true(S_ISREG(e.st.st_mode));
	assert_int_equal(e.st.st_size, strlen("root:x:0:0::/root:/bin/sh\n"));
	stackfs_entry_release(&e);
	expect_at(&fs, "bin/sh", "/bin/sh", 1); /* relative to the root */
	expect_at(&fs, "//etc//passwd", "/etc/passwd", 1);
	expect_at(&fs, "/etc/./passwd", "/etc/passwd", 1);
	/* the upper file hides the lower one */
	expect_at(&fs, "/etc/hostname", "/etc/hostname", 0);
	expect_content(&fs, "/etc/hostname", "top\n");
	/* a directory in both layers: merged from both, top first */
	lookup_ok(&fs, "/etc", true, &e);
	assert_true(S_ISDIR(e.st.st_mode));
	assert_int_equal(e.layer, 0);
	assert_int_equal(e.ndirs, 2);
	assert_int_equal(e.dirs[0], 0);
	assert_int_equal(e.dirs[1], 1);
	stackfs_entry_release(&e);
	/* the root */
	lookup_ok(&fs, "/", true, &e);
	assert_string_equal(e.path, "/");
	assert_true(S_ISDIR(e.st.st_mode));
	assert_int_equal(e.ndirs, 2);
	stackfs_entry_release(&e);
	lookup_ok(&fs, "", true, &e);
	assert_string_equal(e.path, "/");
	stackfs_entry_release(&e);
	/* absent, and through a non-directory */
	expect_missing(&fs, "/etc/shadow", true);
	expect_missing(&fs, "/nope/passwd", true);
	expect_missing(&fs, "/etc/passwd/x", true);
	stackfs_release(&fs);
}

static void test_whiteout_hides_lower(void **state)
{
	static const char *const three[] = {"L0", "L1", "L2"};
	struct stackfs fs;

	(void)state;
	put_whiteout("L0/etc/passwd");
	put_whiteout("L0/opt");
	put_whiteout("L0/ghost"); /* whites out nothing */
	put_file("L1/etc/passwd", "hidden\n");
	put_file("L1/etc/group", "root:x:0:\n");
	put_file("L1/opt/app/run", "hidden\n");
	/* a file made again above a whiteout shows */
	put_file("L0/srv/data", "again\n");
	put_whiteout("L1/srv/data");
	put_file("L2/srv/data", "old\n");
	open_fs(&fs, three, 3);

	expect_missing(&fs, "/etc/passwd", true);
	expect_missing(&fs, "/etc/passwd", false);
	expect_at(&fs, "/etc/group", "/etc/group", 1);
	/* a whited-out directory hides everything in it */
	expect_missing(&fs, "/opt", true);
	expect_missing(&fs, "/opt/app/run", true);
	expect_missing(&fs, "/ghost", false);
	expect_at(&fs, "/srv/data", "/srv/data", 0);
	expect_content(&fs, "/srv/data", "again\n");
	expect_list(&fs, "/etc", "group");
	expect_list(&fs, "/", "etc|srv");
	stackfs_release(&fs);
}

static void test_merged_dir_list(void **state)
{
	static const char *const three[] = {"L0", "L1", "L2"};
	struct stackfs fs;
	struct stackfs_entry e;

	(void)state;
	put_file("L0/d/zeta", "");
	put_file("L0/d/beta", "upper\n");
	put_whiteout("L0/d/gamma");
	put_file("L1/d/alpha", "");
	put_file("L1/d/gamma", "hidden\n");
	mkdirs("L1/d/beta"); /* hidden by L0's file */
	put_file("L1/d/beta/x", "");
	put_file("L2/d/delta", "");
	put_file("L2/d/alpha", "bottom\n");
	put_file("L2/top", "");
	open_fs(&fs, three, 3);

	expect_list(&fs, "/d", "alpha|beta|delta|zeta");
	expect_list(&fs, "/", "d|top");
	lookup_ok(&fs, "/d", true, &e);
	assert_int_equal(e.ndirs, 3);
	stackfs_entry_release(&e);
	expect_at(&fs, "/d/beta", "/d/beta", 0);
	expect_missing(&fs, "/d/beta/x", true);
	expect_at(&fs, "/d/alpha", "/d/alpha", 1);
	expect_at(&fs, "/d/delta", "/d/delta", 2);
	expect_missing(&fs, "/d/gamma", true);
	stackfs_release(&fs);
}

static void test_dir_over_whiteout(void **state)
{
	static const char *const three[] = {"L0", "L1", "L2"};
	struct stackfs fs;
	struct stackfs_entry e;

	(void)state;
	/* rm -rf d; mkdir d: the new d does not show the old one's entries */
	put_file("L0/d/new", "");
	put_whiteout("L1/d");
	put_file("L2/d/old", "");
	open_fs(&fs, three, 3);

	expect_list(&fs, "/d", "new");
	expect_missing(&fs, "/d/old", true);
	lookup_ok(&fs, "/d", true, &e);
	assert_int_equal(e.ndirs, 1);
	stackfs_entry_release(&e);
	stackfs_release(&fs);
}

static void test_opaque_dir(void **state)
{
	struct stackfs fs;
	struct stackfs_entry e;

	(void)state;
	put_opaque_dir("L0/d");
	put_file("L0/d/new", "");
	put_file("L1/d/old", "");
	put_file("L1/d/sub/f", "");
	put_file("L1/other/f", "");
	open_fs(&fs, two, 2);

	expect_list(&fs, "/d", "new");
	expect_missing(&fs, "/d/old", true);
	expect_missing(&fs, "/d/sub/f", true);
	expect_at(&fs, "/d/new", "/d/new", 0);
	lookup_ok(&fs, "/d", true, &e);
	assert_int_equal(e.ndirs, 1);
	assert_int_equal(e.dirs[0], 0);
	stackfs_entry_release(&e);
	/* the root is not opaque: the rest of the lower layer shows */
	expect_list(&fs, "/", "d|other");
	expect_at(&fs, "/other/f", "/other/f", 1);
	stackfs_release(&fs);
}

static void test_nondir_hides_dir(void **state)
{
	struct stackfs fs;
	struct stackfs_entry e;

	(void)state;
	put_file("L0/d", "a file now\n");
	put_file("L1/d/x", "");
	/* and the other way round: a lower file under an upper directory */
	put_file("L0/e/y", "");
	put_file("L1/e", "a file then\n");
	open_fs(&fs, two, 2);

	lookup_ok(&fs, "/d", true, &e);
	assert_true(S_ISREG(e.st.st_mode));
	assert_int_equal(e.layer, 0);
	assert_int_equal(e.ndirs, 0);
	stackfs_entry_release(&e);
	expect_missing(&fs, "/d/x", true);
	expect_content(&fs, "/d", "a file now\n");
	lookup_ok(&fs, "/e", true, &e);
	assert_true(S_ISDIR(e.st.st_mode));
	assert_int_equal(e.ndirs, 1);
	stackfs_entry_release(&e);
	expect_list(&fs, "/e", "y");
	expect_list(&fs, "/", "d|e");
	stackfs_release(&fs);
}

static void test_symlinks_resolved(void **state)
{
	struct stackfs fs;
	struct stackfs_entry e;

	(void)state;
	put_file("L1/usr/lib/libfoo.so", "foo\n");
	put_link("usr/lib", "L1/lib");			 /* relative */
	put_link("/usr/lib", "L0/abs");			 /* absolute */
	put_link("../lib/libfoo.so", "L0/usr/bin/rel");	 /* relative, with .. */
	put_link("/abs/../lib/./libfoo.so", "L0/chain"); /* through other links */
	put_link("libfoo.so", "L0/usr/lib/libfoo.so.1");
	open_fs(&fs, two, 2);

	expect_at(&fs, "/lib/libfoo.so", "/usr/lib/libfoo.so", 1);
	expect_at(&fs, "/abs/libfoo.so", "/usr/lib/libfoo.so", 1);
	expect_at(&fs, "/usr/bin/rel", "/usr/lib/libfoo.so", 1);
	expect_at(&fs, "/chain", "/usr/lib/libfoo.so", 1);
	expect_at(&fs, "/lib/libfoo.so.1", "/usr/lib/libfoo.so", 1);
	expect_content(&fs, "/chain", "foo\n");
	/* a link to a directory: the directory, merged */
	lookup_ok(&fs, "/abs", true, &e);
	assert_string_equal(e.path, "/usr/lib");
	assert_true(S_ISDIR(e.st.st_mode));
	assert_int_equal(e.ndirs, 2);
	stackfs_entry_release(&e);
	expect_list(&fs, "/lib", "libfoo.so|libfoo.so.1");
	/* .. after a link is taken from where the link led */
	expect_at(&fs, "/lib/../bin/rel", "/usr/lib/libfoo.so", 1);
	/* a dangling link */
	put_link("/nowhere", "L0/dangling");
	expect_missing(&fs, "/dangling", true);
	expect_missing(&fs, "/dangling/x", false);
	stackfs_release(&fs);
}

static void test_symlink_upper_to_lower_dir(void **state)
{
	struct stackfs fs;
	struct stackfs_entry e;

	(void)state;
	/* the link's layer has no /srv at all */
	put_link("/srv/data", "L0/data");
	put_link("opt/app", "L0/app");
	put_file("L1/srv/data/f", "lower\n");
	put_file("L1/opt/app/run.sh", "#!/bin/sh\n");
	/* an upper link over a lower directory: the link wins */
	put_link("/real/etc", "L0/etc");
	put_file("L1/etc/passwd", "shadowed\n");
	put_file("L1/real/etc/passwd", "real\n");
	open_fs(&fs, two, 2);

	expect_at(&fs, "/data/f", "/srv/data/f", 1);
	expect_at(&fs, "/app/run.sh", "/opt/app/run.sh", 1);
	expect_content(&fs, "/data/f", "lower\n");
	expect_at(&fs, "/etc/passwd", "/real/etc/passwd", 1);
	expect_content(&fs, "/etc/passwd", "real\n");
	lookup_ok(&fs, "/etc", false, &e);
	assert_true(S_ISLNK(e.st.st_mode));
	assert_int_equal(e.layer, 0);
	stackfs_entry_release(&e);
	expect_list(&fs, "/etc", "passwd");
	stackfs_release(&fs);
}

static void test_dotdot_stays_at_root(void **state)
{
	struct stackfs fs;
	struct stackfs_entry e;

	(void)state;
	put_file("L0/etc/passwd", "layer\n");
	put_link("../../..", "L0/up");
	put_link("../../../../etc/passwd", "L0/etc/deep");
	open_fs(&fs, two + 0, 1);

	lookup_ok(&fs, "/..", true, &e);
	assert_string_equal(e.path, "/");
	stackfs_entry_release(&e);
	lookup_ok(&fs, "../../..", true, &e);
	assert_string_equal(e.path, "/");
	stackfs_entry_release(&e);
	expect_at(&fs, "../../etc/passwd", "/etc/passwd", 0);
	expect_at(&fs, "/etc/../../etc/./passwd", "/etc/passwd", 0);
	expect_at(&fs, "/up/etc/passwd", "/etc/passwd", 0);
	expect_at(&fs, "/etc/deep", "/etc/passwd", 0);
	expect_content(&fs, "/up/up/etc/passwd", "layer\n");
	stackfs_release(&fs);
}

static void test_absolute_link_stays_inside(void **state)
{
	struct stackfs fs;

	(void)state;
	put_file("L0/etc/passwd", "layer\n");
	put_link("/../../etc", "L0/esc");
	put_link("/etc", "L0/hostetc");
	put_link("/../../../etc/hostname", "L0/hostname");
	open_fs(&fs, two + 0, 1);

	expect_at(&fs, "/esc/passwd", "/etc/passwd", 0);
	expect_content(&fs, "/esc/passwd", "layer\n");
	/* the host's /etc is never reached (this layer has no hostname) */
	expect_missing(&fs, "/hostetc/hostname", true);
	expect_missing(&fs, "/esc/hostname", true);
	expect_missing(&fs, "/hostname", true);
	expect_list(&fs, "/esc", "passwd");
	stackfs_release(&fs);
}

static void expect_eloop(const struct stackfs *fs, const char *path)
{
	struct stackfs_entry e;
	struct cb_error *err = NULL;

	assert_int_equal(stackfs_lookup(fs, path, true, &e, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->code, ELOOP);
	assert_non_null(strstr(cb_error_msg(err), "symbolic links"));
	cb_error_free(&err);
}

static void test_symlink_loop(void **state)
{
	struct stackfs fs;
	struct stackfs_entry e;
	char name[32], target[32];

	(void)state;
	put_link("b", "L0/a");
	put_link("/a", "L0/b");
	put_link("self", "L0/self");
	put_link("loopdir/x", "L1/loopdir"); /* across layers, through a component */
	/* a chain of 40 links resolves (Linux's limit); 41 do not */
	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "L0/c%d", i);
		snprintf(target, sizeof(target), i < 40 ? "c%d" : "end", i + 1);
		put_link(target, name);
	}
	put_file("L0/end", "end\n");
	open_fs(&fs, two, 2);

	expect_eloop(&fs, "/a");
	expect_eloop(&fs, "/b");
	expect_eloop(&fs, "/self");
	expect_eloop(&fs, "/a/x");
	expect_eloop(&fs, "/loopdir");
	/* not followed: the link itself, no error */
	lookup_ok(&fs, "/self", false, &e);
	assert_true(S_ISLNK(e.st.st_mode));
	stackfs_entry_release(&e);
	expect_at(&fs, "/c1", "/end", 0);
	expect_eloop(&fs, "/c0");
	stackfs_release(&fs);
}

static void test_nofollow(void **state)
{
	struct stackfs fs;
	struct stackfs_entry e;
	struct cb_error *err = NULL;
	cleanup_free char *target = NULL;
	char buf[64];
	ssize_t n;
	int fd;

	(void)state;
	put_file("L1/usr/lib/libfoo.so", "foo\n");
	put_link("usr/lib", "L0/lib");
	put_link("libfoo.so", "L1/usr/lib/libfoo.so.1");
	put_link("/nowhere", "L0/dangling");
	open_fs(&fs, two, 2);

	lookup_ok(&fs, "/lib", false, &e);
	assert_string_equal(e.path, "/lib");
	assert_true(S_ISLNK(e.st.st_mode));
	assert_int_equal(e.layer, 0);
	target = stackfs_entry_readlink(&fs, &e, &err);
	assert_non_null(target);
	assert_string_equal(target, "usr/lib");
	/* opening a link entry opens the link, never its target */
	fd = stackfs_open_entry(&fs, &e, O_RDONLY, &err);
	assert_int_equal(fd, -1);
	assert_int_equal(err->code, ELOOP);
	cb_error_free(&err);
	stackfs_entry_release(&e);
	/* only the last component is left alone */
	lookup_ok(&fs, "/lib/libfoo.so.1", false, &e);
	assert_string_equal(e.path, "/usr/lib/libfoo.so.1");
	assert_true(S_ISLNK(e.st.st_mode));
	assert_int_equal(e.layer, 1);
	stackfs_entry_release(&e);
	lookup_ok(&fs, "/dangling", false, &e);
	assert_true(S_ISLNK(e.st.st_mode));
	stackfs_entry_release(&e);
	/* and a file entry opens to its content */
	lookup_ok(&fs, "/lib/libfoo.so", false, &e);
	fd = stackfs_open_entry(&fs, &e, O_RDONLY, &err);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "foo\n", 4);
	stackfs_entry_release(&e);
	stackfs_release(&fs);
}

static void test_read_file(void **state)
{
	struct stackfs fs;
	struct cb_error *err = NULL;
	char *buf = NULL;
	size_t len = 7;

	(void)state;
	put_file("L0/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	put_link("passwd", "L0/etc/pw");
	put_file("L1/etc/group", "root:x:0:\n");
	put_file("L1/empty", "");
	open_fs(&fs, two, 2);

	expect_content(&fs, "/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	expect_content(&fs, "/etc/pw", "root:x:0:0::/root:/bin/sh\n");
	expect_content(&fs, "etc/group", "root:x:0:\n");
	expect_content(&fs, "/empty", "");
	/* absent, or not a regular file: 0, outputs untouched */
	assert_int_equal(stackfs_read_file(&fs, "/etc/shadow", 0, &buf, &len, &err), 0);
	assert_int_equal(stackfs_read_file(&fs, "/nope/x", 0, &buf, &len, &err), 0);
	assert_int_equal(stackfs_read_file(&fs, "/etc", 0, &buf, &len, &err), 0);
	assert_null(buf);
	assert_int_equal(len, 7);
	assert_null(err);
	/* larger than max: an error naming the path */
	assert_int_equal(stackfs_read_file(&fs, "/etc/passwd", 4, &buf, &len, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->code, EFBIG);
	assert_non_null(strstr(cb_error_msg(err), "read `/etc/passwd`"));
	cb_error_free(&err);
	assert_null(buf);
	stackfs_release(&fs);
}

static void test_child(void **state)
{
	struct stackfs fs;
	struct stackfs_entry root, etc, e;
	struct cb_error *err = NULL;

	(void)state;
	put_file("L0/etc/hostname", "h\n");
	put_whiteout("L0/etc/shadow");
	put_link("/etc", "L0/link");
	put_file("L1/etc/passwd", "p\n");
	put_file("L1/etc/shadow", "s\n");
	open_fs(&fs, two, 2);

	lookup_ok(&fs, "/", true, &root);
	assert_int_equal(stackfs_child(&fs, &root, "etc", &etc, &err), 1);
	assert_string_equal(etc.path, "/etc");
	assert_true(S_ISDIR(etc.st.st_mode));
	assert_int_equal(etc.ndirs, 2);
	assert_int_equal(stackfs_child(&fs, &etc, "passwd", &e, &err), 1);
	assert_string_equal(e.path, "/etc/passwd");
	assert_int_equal(e.layer, 1);
	stackfs_entry_release(&e);
	assert_int_equal(stackfs_child(&fs, &etc, "hostname", &e, &err), 1);
	assert_int_equal(e.layer, 0);
	stackfs_entry_release(&e);
	assert_int_equal(stackfs_child(&fs, &etc, "shadow", &e, &err), 0);
	assert_int_equal(stackfs_child(&fs, &etc, "nope", &e, &err), 0);
	/* a symlink child is the link, not followed */
	assert_int_equal(stackfs_child(&fs, &root, "link", &e, &err), 1);
	assert_string_equal(e.path, "/link");
	assert_true(S_ISLNK(e.st.st_mode));
	assert_int_equal(e.ndirs, 0);
	stackfs_entry_release(&e);
	assert_null(err);
	stackfs_entry_release(&etc);
	stackfs_entry_release(&root);
	stackfs_release(&fs);
}

/* A directory read for a walk: the merged listing, children looked up relative to it. */
static void test_dir_walk(void **state)
{
	static const char *const three[] = {"L0", "L1", "L2"};
	struct stackfs fs;
	struct stackfs_entry d, e;
	struct stackfs_dir dir;
	struct cb_strbuf names = CB_STRBUF_INIT;
	struct cb_error *err = NULL;

	(void)state;
	put_file("L0/d/zeta", "");
	put_file("L0/d/beta", "upper\n");
	put_whiteout("L0/d/gamma");
	put_opaque_dir("L0/d/op");
	put_file("L0/d/op/new", "");
	mkdirs("L0/d/sub");
	put_file("L1/d/alpha", "");
	put_file("L1/d/gamma", "hidden\n");
	mkdirs("L1/d/beta"); /* hidden by L0's file */
	put_file("L1/d/op/old", "");
	put_file("L1/d/sub/x", "");
	put_link("../d", "L1/d/link");
	put_file("L2/d/delta", "");
	put_file("L2/d/alpha", "bottom\n");
	put_file("L2/d/sub/y", "");
	open_fs(&fs, three, 3);

	lookup_ok(&fs, "/d", true, &d);
	assert_int_equal(stackfs_dir_open(&fs, &d, &dir, &err), 0);
	for (size_t i = 0; i < dir.n; i++)
		cb_strbuf_addf(&names, "%s%s", i ? "|" : "", stackfs_dir_name(&dir, i));
	assert_string_equal(names.buf, "alpha|beta|delta|link|op|sub|zeta");
	assert_int_equal(dir.nfds, 3);
	for (size_t i = 0; i < dir.n; i++) {
		const char *name = stackfs_dir_name(&dir, i);

		assert_int_equal(stackfs_dir_child(&fs, &dir, i, &e, &err), 1);
		assert_null(e.path); /* the walker knows it */
		if (!strcmp(name, "alpha")) {
			assert_int_equal(e.layer, 1);
			assert_true(S_ISREG(e.st.st_mode));
		} else if (!strcmp(name, "beta")) {
			assert_int_equal(e.layer, 0);
			assert_int_equal(e.st.st_size, strlen("upper\n"));
			assert_int_equal(e.ndirs, 0);
		} else if (!strcmp(name, "delta")) {
			assert_int_equal(e.layer, 2);
		} else if (!strcmp(name, "link")) {
			assert_true(S_ISLNK(e.st.st_mode)); /* not followed */
		} else if (!strcmp(name, "op")) {
			assert_int_equal(e.ndirs, 1); /* opaque: the layers below do not merge */
		} else if (!strcmp(name, "sub")) {
			assert_int_equal(e.ndirs, 3);
			assert_int_equal(e.dirs[0], 0);
			assert_int_equal(e.dirs[2], 2);
		}
		stackfs_entry_release(&e);
	}
	/* closed: the listing stays, lookups fail cleanly */
	stackfs_dir_close(&dir);
	assert_string_equal(stackfs_dir_name(&dir, 0), "alpha");
	assert_int_equal(stackfs_dir_child(&fs, &dir, 0, &e, &err), -1);
	assert_int_equal(err->code, EBADF);
	cb_error_free(&err);
	stackfs_dir_release(&dir);
	stackfs_dir_release(&dir); /* twice: harmless */
	stackfs_entry_release(&d);
	cb_strbuf_release(&names);

	/* a child that went away after the listing is absent, not an error */
	lookup_ok(&fs, "/d", true, &d);
	assert_int_equal(stackfs_dir_open(&fs, &d, &dir, &err), 0);
	assert_int_equal(unlink("L2/d/delta"), 0);
	assert_string_equal(stackfs_dir_name(&dir, 2), "delta");
	assert_int_equal(stackfs_dir_child(&fs, &dir, 2, &e, &err), 0);
	assert_null(err);
	stackfs_dir_release(&dir);
	stackfs_entry_release(&d);
	stackfs_release(&fs);
}

/* A big plain directory: every name once, sorted as strcmp does. */
static void test_dir_walk_plain(void **state)
{
	static const char *const ctx[] = {"ctx"};
	struct stackfs fs;
	struct stackfs_entry root, e;
	struct stackfs_dir dir;
	struct cb_error *err = NULL;
	char path[64];

	(void)state;
	mkdirs("ctx");
	for (int i = 0; i < 3000; i++) {
		int fd;

		snprintf(path, sizeof(path), "ctx/f-%d-%s", i, i % 2 ? "\xc3\xa9" : "Z");
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	put_whiteout("ctx/dev");
	open_fs(&fs, ctx, 1);
	fs.plain = true;
	lookup_ok(&fs, "/", true, &root);
	assert_int_equal(stackfs_dir_open(&fs, &root, &dir, &err), 0);
	assert_int_equal(dir.n, 3001);
	for (size_t i = 1; i < dir.n; i++)
		assert_true(strcmp(stackfs_dir_name(&dir, i - 1), stackfs_dir_name(&dir, i)) < 0);
	assert_string_equal(stackfs_dir_name(&dir, 0), "dev");
	assert_int_equal(stackfs_dir_child(&fs, &dir, 0, &e, &err), 1);
	assert_true(S_ISCHR(e.st.st_mode)); /* a context: an ordinary entry */
	stackfs_entry_release(&e);
	stackfs_dir_release(&dir);
	stackfs_entry_release(&root);
	stackfs_release(&fs);
}

static void test_plain_context(void **state)
{
	static const char *const ctx[] = {"ctx"};
	struct stackfs fs;
	struct stackfs_entry e;

	(void)state;
	put_file("ctx/Dockerfile", "FROM scratch\n");
	put_whiteout("ctx/dev/null0");
	put_file("ctx/dev/tty", "");
	open_fs(&fs, ctx, 1);

	/* as a layer: the device is a whiteout */
	expect_missing(&fs, "/dev/null0", false);
	expect_list(&fs, "/dev", "tty");
	/* as a context: an ordinary entry */
	fs.plain = true;
	lookup_ok(&fs, "/dev/null0", false, &e);
	assert_true(S_ISCHR(e.st.st_mode));
	assert_int_equal(e.layer, 0);
	stackfs_entry_release(&e);
	expect_list(&fs, "/dev", "null0|tty");
	expect_list(&fs, "/", "Dockerfile|dev");
	expect_content(&fs, "Dockerfile", "FROM scratch\n");
	stackfs_release(&fs);
}

static void test_empty_stack(void **state)
{
	struct stackfs fs;
	struct stackfs_entry e;
	struct cb_error *err = NULL;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	open_fs(&fs, NULL, 0);
	assert_int_equal(fs.n, 0);
	lookup_ok(&fs, "/", true, &e);
	assert_string_equal(e.path, "/");
	assert_true(S_ISDIR(e.st.st_mode));
	assert_int_equal(e.ndirs, 0);
	/* the empty root has no layer to open */
	assert_int_equal(stackfs_open_entry(&fs, &e, O_RDONLY, &err), -1);
	assert_int_equal(err->code, ENOENT);
	cb_error_free(&err);
	stackfs_entry_release(&e);
	/* an empty directory lists as nothing (qsort is not handed a NULL array) */
	expect_list(&fs, "/", "");
	expect_missing(&fs, "/etc/passwd", true);
	expect_missing(&fs, "etc", false);
	lookup_ok(&fs, "/..", true, &e);
	assert_string_equal(e.path, "/");
	stackfs_entry_release(&e);
	assert_int_equal(stackfs_read_file(&fs, "/etc/passwd", 0, &buf, &len, &err), 0);
	assert_null(buf);
	assert_null(err);
	stackfs_release(&fs);
	stackfs_release(&fs); /* released twice: harmless */
}

static void test_open_errors(void **state)
{
	static const char *const bad[] = {"L0", "nope"};
	static const char *const file[] = {"L0", "f"};
	struct stackfs fs;
	struct cb_error *err = NULL;

	(void)state;
	mkdirs("L0");
	put_file("f", "");
	assert_int_equal(stackfs_open(&fs, bad, 2, &err), -1);
	assert_string_equal(cb_error_msg(err), "open layer `nope`: No such file or directory");
	assert_int_equal(err->code, ENOENT);
	cb_error_free(&err);
	assert_int_equal(stackfs_open(&fs, file, 2, &err), -1);
	assert_int_equal(err->code, ENOTDIR);
	cb_error_free(&err);
}

CB_TEST_MAIN(cmocka_unit_test(test_lookup_lower_file), cmocka_unit_test(test_whiteout_hides_lower),
	     cmocka_unit_test(test_merged_dir_list), cmocka_unit_test(test_dir_over_whiteout),
	     cmocka_unit_test(test_opaque_dir), cmocka_unit_test(test_nondir_hides_dir),
	     cmocka_unit_test(test_symlinks_resolved),
	     cmocka_unit_test(test_symlink_upper_to_lower_dir),
	     cmocka_unit_test(test_dotdot_stays_at_root),
	     cmocka_unit_test(test_absolute_link_stays_inside), cmocka_unit_test(test_symlink_loop),
	     cmocka_unit_test(test_nofollow), cmocka_unit_test(test_read_file),
	     cmocka_unit_test(test_child), cmocka_unit_test(test_dir_walk),
	     cmocka_unit_test(test_dir_walk_plain), cmocka_unit_test(test_plain_context),
	     cmocka_unit_test(test_empty_stack), cmocka_unit_test(test_open_errors))
