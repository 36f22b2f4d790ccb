/*
 * test_builder_mountfacts.c - the mount facts of a stack of layers
 * (builder/mountfacts.c): what is at /etc, /proc, /dev, /sys, /etc/hosts,
 * /etc/resolv.conf and /etc/hostname.
 *
 * Every stack is answered three ways, which must agree: mount_facts_of
 * over the whole stack, mount_facts_over applied one layer at a time from
 * the empty stack (in place and into another struct), and the merged view
 * of stackfs.c (stackfs_lookup without following the last symlink) as the
 * oracle.  Named cases then check where each answer comes from; a
 * randomized case checks the agreement over a few hundred generated
 * stacks.
 *
 * Layers are built by hand in the test's temp dir, L0 being the top one.
 * Whiteouts are 0/0 character devices (root needed: skipped otherwise),
 * opaque directories carry trusted.overlay.opaque or user.overlay.opaque.
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

static void mkparent(const char *path)
{
	cleanup_free char *dir = cb_dirname(path);

	mkdirs(dir);
}

static void put_file(const char *path)
{
	cleanup_close int fd = -1;

	mkparent(path);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("create %s: %s", path, strerror(errno));
}

static void put_link(const char *target, const char *path)
{
	mkparent(path);
	if (symlink(target, path) < 0)
		fail_msg("symlink %s -> %s: %s", path, target, strerror(errno));
}

/* put_file and mkdirs of rel in layer dir. */
static void put_file_in(const char *dir, const char *rel)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, rel);

	put_file(p);
}

static void mkdirs_in(const char *dir, const char *rel)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, rel);

	mkdirs(p);
}

/* A whiteout: the 0/0 character device overlayfs uses. */
static void put_whiteout(const char *path)
{
	mkparent(path);
	if (mknod(path, S_IFCHR | 0600, makedev(0, 0)) < 0) {
		if (errno == EPERM)
			skip(); /* whiteouts need root (CI runs the suite as root) */
		fail_msg("mknod %s: %s", path, strerror(errno));
	}
}

static void put_xattr(const char *path, const char *name, const char *value)
{
	if (setxattr(path, name, value, strlen(value), 0) == 0)
		return;
	if (errno == ENOTSUP)
		cb_test_not_applicable_exit("the temp dir's file system has no xattrs");
	fail_msg("setxattr %s %s: %s", path, name, strerror(errno));
}

/* An opaque directory; ns: "trusted" or "user". */
static void put_opaque_dir(const char *path, const char *ns)
{
	cleanup_free char *name = xasprintf("%s.overlay.opaque", ns);

	mkdirs(path);
	put_xattr(path, name, "y");
}

/* ---- the three answers -------------------------------------------------- */

static const char *const kind_names[] = {"missing", "dir", "file", "odd"};

static const char *kind_name(enum mount_fact_kind k)
{
	return (unsigned)k < 4 ? kind_names[k] : "garbage";
}

static void facts_of(const char *const *dirs, size_t n, struct mount_facts *out)
{
	struct cb_strvec lowers = CB_STRVEC_INIT;
	struct cb_error *err = NULL;

	for (size_t i = 0; i < n; i++)
		cb_strvec_push(&lowers, dirs[i]);
	memset(out, 0xa5, sizeof(*out)); /* what it leaves unset shows */
	if (mount_facts_of(&lowers, out, &err) < 0)
		fail_msg("mount_facts_of: %s", cb_error_msg(err));
	assert_null(err);
	cb_strvec_clear(&lowers);
}

/* From the empty stack's facts, a layer at a time (bottom first), alternately in place. */
static void facts_layered(const char *const *dirs, size_t n, struct mount_facts *out)
{
	struct mount_facts mf, next;
	struct cb_error *err = NULL;

	facts_of(NULL, 0, &mf);
	for (size_t i = n; i-- > 0;) {
		int ret;

		if (i % 2) {
			ret = mount_facts_over(&mf, dirs[i], &mf, &err);
		} else {
			memset(&next, 0x5a, sizeof(next));
			ret = mount_facts_over(&mf, dirs[i], &next, &err);
			mf = next;
		}
		if (ret < 0)
			fail_msg("mount_facts_over `%s`: %s", dirs[i], cb_error_msg(err));
		assert_null(err);
	}
	*out = mf;
}

/* Extended attributes of path other than overlayfs's own. */
static bool has_foreign_xattrs(const char *path)
{
	static char names[65536];
	ssize_t len = llistxattr(path, names, sizeof(names));

	if (len < 0)
		fail_msg("llistxattr %s: %s", path, strerror(errno));
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(names + off) + 1)
		if (strncmp(names + off, "trusted.overlay.", 16) &&
		    strncmp(names + off, "user.overlay.", 13))
			return true;
	return false;
}

/* The oracle's fact of path; *layer: the layer of its topmost entry. */
static void oracle_fact(const struct stackfs *fs, const char *path, struct mount_fact *f,
			int *layer)
{
	struct stackfs_entry e;
	struct cb_error *err = NULL;
	int ret = stackfs_lookup(fs, path, false, &e, &err);

	memset(f, 0, sizeof(*f));
	if (ret < 0)
		fail_msg("stackfs_lookup %s: %s", path, cb_error_msg(err));
	if (ret == 0)
		return; /* MF_MISSING */
	if (S_ISLNK(e.st.st_mode))
		f->kind = MF_ODD;
	else
		f->kind = S_ISDIR(e.st.st_mode) ? MF_DIR : MF_FILE;
	f->st.st_mode = e.st.st_mode;
	f->st.st_uid = e.st.st_uid;
	f->st.st_gid = e.st.st_gid;
	f->st.st_dev = e.st.st_dev;
	f->st.st_ino = e.st.st_ino;
	f->st.st_mtim = e.st.st_mtim;
	*layer = e.layer;
	stackfs_entry_release(&e);
}

static void oracle(const char *const *dirs, size_t n, struct mount_facts *out)
{
	struct stackfs fs;
	struct cb_error *err = NULL;

	if (stackfs_open(&fs, dirs, n, &err) < 0)
		fail_msg("stackfs_open: %s", cb_error_msg(err));
	memset(out, 0, sizeof(*out));
	out->known = true;
	for (int i = 0; i < MOUNT_FACTS; i++) {
		int layer = -1;

		/* stackfs would follow a symlinked /etc: the facts only say "ask" */
		if (i >= MF_HOSTS && out->f[MF_ETC].kind == MF_ODD) {
			out->f[i].kind = MF_ODD;
			continue;
		}
		oracle_fact(&fs, mount_fact_paths[i], &out->f[i], &layer);
		if (i == MF_ETC && out->f[i].kind == MF_DIR) {
			cleanup_free char *p = xasprintf("%s/etc", dirs[layer]);

			out->f[i].foreign_xattrs = has_foreign_xattrs(p);
		}
	}
	stackfs_release(&fs);
}

/* got (what: which answer) agrees with want (the oracle's) on stack (for messages). */
static void expect_same(const struct mount_facts *want, const struct mount_facts *got,
			const char *what, const char *stack)
{
	if (got->known != want->known)
		fail_msg("%s: known %d, want %d [%s]", what, got->known, want->known, stack);
	for (int i = 0; i < MOUNT_FACTS; i++) {
		const struct mount_fact *w = &want->f[i], *g = &got->f[i];
		const char *p = mount_fact_paths[i];

		if (g->kind != w->kind)
			fail_msg("%s: `%s` is %s, want %s [%s]", what, p, kind_name(g->kind),
				 kind_name(w->kind), stack);
		if (w->kind != MF_DIR && w->kind != MF_FILE)
			continue;
		if (g->st.st_ino != w->st.st_ino || g->st.st_dev != w->st.st_dev ||
		    g->st.st_mode != w->st.st_mode || g->st.st_uid != w->st.st_uid ||
		    g->st.st_gid != w->st.st_gid || g->st.st_mtim.tv_sec != w->st.st_mtim.tv_sec ||
		    g->st.st_mtim.tv_nsec != w->st.st_mtim.tv_nsec)
			fail_msg("%s: `%s` has the stat of inode %lu mode %o, want inode %lu "
				 "mode %o [%s]",
				 what, p, (unsigned long)g->st.st_ino, (unsigned)g->st.st_mode,
				 (unsigned long)w->st.st_ino, (unsigned)w->st.st_mode, stack);
		if (i == MF_ETC && w->kind == MF_DIR && g->foreign_xattrs != w->foreign_xattrs)
			fail_msg("%s: `/etc` foreign_xattrs %d, want %d [%s]", what,
				 g->foreign_xattrs, w->foreign_xattrs, stack);
	}
}

/* All three answers for the stack dirs agree: *out, the whole stack's. */
static void check_stack(const char *const *dirs, size_t n, const char *stack,
			struct mount_facts *out)
{
	struct mount_facts whole, layered, want;

	facts_of(dirs, n, &whole);
	facts_layered(dirs, n, &layered);
	oracle(dirs, n, &want);
	expect_same(&want, &whole, "mount_facts_of", stack);
	expect_same(&want, &layered, "mount_facts_over layer by layer", stack);
	*out = whole;
}

/* ---- named expectations ------------------------------------------------- */

static void expect_kind(const struct mount_facts *mf, int i, enum mount_fact_kind kind)
{
	if (mf->f[i].kind != kind)
		fail_msg("`%s` is %s, want %s", mount_fact_paths[i], kind_name(mf->f[i].kind),
			 kind_name(kind));
}

/* Fact i is of the entry at path (a directory or file of some layer). */
static void expect_from(const struct mount_facts *mf, int i, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("lstat %s: %s", path, strerror(errno));
	expect_kind(mf, i, S_ISDIR(st.st_mode) ? MF_DIR : MF_FILE);
	if (mf->f[i].st.st_ino != st.st_ino || mf->f[i].st.st_dev != st.st_dev)
		fail_msg("`%s` is not `%s`", mount_fact_paths[i], path);
	assert_int_equal(mf->f[i].st.st_mode, st.st_mode);
	assert_int_equal(mf->f[i].st.st_mtim.tv_sec, st.st_mtim.tv_sec);
	assert_int_equal(mf->f[i].st.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
}

/* The children of /etc are all `kind`. */
static void expect_etc_children(const struct mount_facts *mf, enum mount_fact_kind kind)
{
	expect_kind(mf, MF_HOSTS, kind);
	expect_kind(mf, MF_RESOLV, kind);
	expect_kind(mf, MF_HOSTNAME, kind);
}

/* ---- cases -------------------------------------------------------------- */

static void test_empty_stack(void **state)
{
	struct mount_facts mf;

	(void)state;
	check_stack(NULL, 0, "empty", &mf);
	assert_true(mf.known);
	for (int i = 0; i < MOUNT_FACTS; i++)
		expect_kind(&mf, i, MF_MISSING);
}

/* /etc in the lower layer; a layer without /etc on top changes nothing. */
static void test_etc_in_lower(void **state)
{
	static const char *const one[] = {"L1"}, *const two[] = {"L0", "L1"};
	struct mount_facts a, b;

	(void)state;
	put_file("L1/etc/hosts");
	put_file("L1/etc/resolv.conf");
	mkdirs("L1/proc");
	mkdirs("L1/dev");
	mkdirs("L1/sys");
	put_file("L0/bin/sh");
	check_stack(one, 1, "etc below", &a);
	check_stack(two, 2, "etc below, none on top", &b);
	for (const struct mount_facts *mf = &a; mf; mf = mf == &a ? &b : NULL) {
		expect_from(mf, MF_ETC, "L1/etc");
		expect_from(mf, MF_HOSTS, "L1/etc/hosts");
		expect_from(mf, MF_RESOLV, "L1/etc/resolv.conf");
		expect_kind(mf, MF_HOSTNAME, MF_MISSING);
		expect_from(mf, MF_PROC, "L1/proc");
		expect_from(mf, MF_DEV, "L1/dev");
		expect_from(mf, MF_SYS, "L1/sys");
		assert_false(mf->f[MF_ETC].foreign_xattrs);
	}
}

/* A layer with its own /etc: its metadata, the children of both. */
static void test_etc_on_top(void **state)
{
	static const char *const two[] = {"L0", "L1"};
	struct mount_facts mf;

	(void)state;
	put_file("L1/etc/hosts");
	put_file("L1/etc/hostname");
	put_file("L0/etc/resolv.conf");
	put_file("L0/etc/hostname");
	check_stack(two, 2, "etc on etc", &mf);
	expect_from(&mf, MF_ETC, "L0/etc");
	expect_from(&mf, MF_HOSTS, "L1/etc/hosts");
	expect_from(&mf, MF_RESOLV, "L0/etc/resolv.conf");
	expect_from(&mf, MF_HOSTNAME, "L0/etc/hostname");
}

/* An opaque /etc on top hides the children below (either namespace). */
static void test_opaque_etc(void **state)
{
	static const char *const ns[] = {"trusted", "user"};

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		cleanup_free char *l0 = xasprintf("%s/L0", ns[k]);
		cleanup_free char *l1 = xasprintf("%s/L1", ns[k]);
		cleanup_free char *etc = xasprintf("%s/etc", l0);
		cleanup_free char *hostname = xasprintf("%s/etc/hostname", l0);
		const char *const two[] = {l0, l1};
		struct mount_facts mf;

		put_file_in(l1, "etc/hosts");
		put_file_in(l1, "etc/resolv.conf");
		put_opaque_dir(etc, ns[k]);
		put_file(hostname);
		check_stack(two, 2, ns[k], &mf);
		expect_from(&mf, MF_ETC, etc);
		expect_kind(&mf, MF_HOSTS, MF_MISSING);
		expect_kind(&mf, MF_RESOLV, MF_MISSING);
		expect_from(&mf, MF_HOSTNAME, hostname);
		assert_false(mf.f[MF_ETC].foreign_xattrs); /* the opaque mark is overlayfs's */
	}
}

static void test_whiteout_hosts(void **state)
{
	static const char *const two[] = {"L0", "L1"};
	struct mount_facts mf;

	(void)state;
	put_file("L1/etc/hosts");
	put_file("L1/etc/resolv.conf");
	put_whiteout("L0/etc/hosts");
	put_whiteout("L0/etc/hostname"); /* nothing below to hide */
	check_stack(two, 2, "hosts whited out", &mf);
	expect_from(&mf, MF_ETC, "L0/etc");
	expect_kind(&mf, MF_HOSTS, MF_MISSING);
	expect_from(&mf, MF_RESOLV, "L1/etc/resolv.conf");
	expect_kind(&mf, MF_HOSTNAME, MF_MISSING);
}

/* /etc whited out; then a new /etc over the whiteout shows nothing from below. */
static void test_whiteout_etc(void **state)
{
	static const char *const two[] = {"L1", "L2"}, *const three[] = {"L0", "L1", "L2"};
	struct mount_facts mf;

	(void)state;
	put_file("L2/etc/hosts");
	put_file("L2/etc/resolv.conf");
	mkdirs("L2/proc");
	put_whiteout("L1/etc");
	put_file("L0/etc/hostname");
	check_stack(two, 2, "etc whited out", &mf);
	expect_kind(&mf, MF_ETC, MF_MISSING);
	expect_etc_children(&mf, MF_MISSING);
	expect_from(&mf, MF_PROC, "L2/proc");
	check_stack(three, 3, "etc over a whiteout", &mf);
	expect_from(&mf, MF_ETC, "L0/etc");
	expect_kind(&mf, MF_HOSTS, MF_MISSING);
	expect_kind(&mf, MF_RESOLV, MF_MISSING);
	expect_from(&mf, MF_HOSTNAME, "L0/etc/hostname");
	expect_from(&mf, MF_PROC, "L2/proc");
}

static void test_opaque_root(void **state)
{
	static const char *const ns[] = {"trusted", "user"};

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		cleanup_free char *l0 = xasprintf("%s/L0", ns[k]);
		cleanup_free char *l1 = xasprintf("%s/L1", ns[k]);
		cleanup_free char *dev = xasprintf("%s/dev", l0);
		const char *const two[] = {l0, l1};
		struct mount_facts mf;

		put_file_in(l1, "etc/hosts");
		mkdirs_in(l1, "proc");
		mkdirs_in(l1, "sys");
		put_opaque_dir(l0, ns[k]);
		mkdirs(dev);
		check_stack(two, 2, ns[k], &mf);
		expect_kind(&mf, MF_ETC, MF_MISSING);
		expect_etc_children(&mf, MF_MISSING);
		expect_kind(&mf, MF_PROC, MF_MISSING);
		expect_kind(&mf, MF_SYS, MF_MISSING);
		expect_from(&mf, MF_DEV, dev);
	}
}

/* /etc a symlink: odd, and so its children (stackfs would follow it); a dir over it hides it. */
static void test_etc_symlink(void **state)
{
	static const char *const one[] = {"L1"}, *const two[] = {"L1", "L2"};
	static const char *const three[] = {"L0", "L1", "L2"};
	struct mount_facts mf;

	(void)state;
	put_file("L2/etc/hosts");
	put_file("L2/usr/etc/hosts");
	put_file("L2/usr/etc/hostname");
	put_link("usr/etc", "L1/etc");
	check_stack(one, 1, "etc a symlink", &mf);
	expect_kind(&mf, MF_ETC, MF_ODD);
	expect_etc_children(&mf, MF_ODD);
	check_stack(two, 2, "etc a symlink over etc", &mf);
	expect_kind(&mf, MF_ETC, MF_ODD);
	expect_etc_children(&mf, MF_ODD);
	put_file("L0/etc/resolv.conf");
	check_stack(three, 3, "etc over a symlink", &mf);
	expect_from(&mf, MF_ETC, "L0/etc");
	expect_kind(&mf, MF_HOSTS, MF_MISSING);
	expect_from(&mf, MF_RESOLV, "L0/etc/resolv.conf");
	expect_kind(&mf, MF_HOSTNAME, MF_MISSING);
}

static void test_resolv_symlink(void **state)
{
	static const char *const two[] = {"L0", "L1"};
	struct mount_facts mf;

	(void)state;
	put_file("L1/etc/resolv.conf");
	put_file("L1/run/systemd/resolve/stub-resolv.conf");
	put_link("../run/systemd/resolve/stub-resolv.conf", "L0/etc/resolv.conf");
	put_file("L0/etc/hosts");
	check_stack(two, 2, "resolv.conf a symlink", &mf);
	expect_from(&mf, MF_ETC, "L0/etc");
	expect_kind(&mf, MF_RESOLV, MF_ODD);
	expect_from(&mf, MF_HOSTS, "L0/etc/hosts");
	expect_kind(&mf, MF_HOSTNAME, MF_MISSING);
}

/* /etc a regular file: nothing below it. */
static void test_etc_file(void **state)
{
	static const char *const two[] = {"L0", "L1"};
	struct mount_facts mf;

	(void)state;
	put_file("L1/etc/hosts");
	put_file("L1/etc/hostname");
	put_file("L0/etc");
	check_stack(two, 2, "etc a file", &mf);
	expect_from(&mf, MF_ETC, "L0/etc");
	expect_etc_children(&mf, MF_MISSING);
}

/* foreign_xattrs: of the topmost /etc; overlayfs's own attributes do not count. */
static void test_foreign_xattrs(void **state)
{
	static const char *const one[] = {"L2"}, *const two[] = {"L1", "L2"};
	static const char *const three[] = {"L0", "L1", "L2"};
	struct mount_facts mf;

	(void)state;
	put_file("L2/etc/hosts");
	put_xattr("L2/etc", "user.test", "1");
	put_file("L1/bin/sh");
	mkdirs("L0/etc");
	put_xattr("L0/etc", "user.overlay.impure", "y");
	put_xattr("L0/etc", "trusted.overlay.origin", "x");
	check_stack(one, 1, "user.test on etc", &mf);
	assert_true(mf.f[MF_ETC].foreign_xattrs);
	check_stack(two, 2, "user.test on etc below", &mf);
	expect_from(&mf, MF_ETC, "L2/etc");
	assert_true(mf.f[MF_ETC].foreign_xattrs);
	check_stack(three, 3, "overlay-only xattrs on etc on top", &mf);
	expect_from(&mf, MF_ETC, "L0/etc");
	assert_false(mf.f[MF_ETC].foreign_xattrs);
	expect_from(&mf, MF_HOSTS, "L2/etc/hosts");
}

static void test_proc_whiteout(void **state)
{
	static const char *const one[] = {"L2"}, *const two[] = {"L1", "L2"};
	static const char *const three[] = {"L0", "L1", "L2"};
	struct mount_facts mf;

	(void)state;
	mkdirs("L2/proc");
	put_whiteout("L1/proc");
	mkdirs("L0/proc");
	check_stack(one, 1, "proc", &mf);
	expect_from(&mf, MF_PROC, "L2/proc");
	check_stack(two, 2, "proc whited out", &mf);
	expect_kind(&mf, MF_PROC, MF_MISSING);
	check_stack(three, 3, "proc again", &mf);
	expect_from(&mf, MF_PROC, "L0/proc");
}

/* A layer that cannot be read: an error naming it, *out untouched. */
static void test_errors(void **state)
{
	static const char *const bad[] = {"L0", "nope"};
	struct cb_strvec lowers = CB_STRVEC_INIT;
	struct mount_facts mf, below, before;
	struct cb_error *err = NULL;

	(void)state;
	mkdirs("L0/etc");
	put_file("f");
	memset(&mf, 0x33, sizeof(mf));
	before = mf;
	cb_strvec_push(&lowers, bad[0]);
	cb_strvec_push(&lowers, bad[1]);
	assert_int_equal(mount_facts_of(&lowers, &mf, &err), -1);
	assert_string_equal(cb_error_msg(err), "open `nope`: No such file or directory");
	assert_memory_equal(&mf, &before, sizeof(mf));
	cb_error_free(&err);
	cb_strvec_clear(&lowers);
	facts_of(NULL, 0, &below);
	assert_int_equal(mount_facts_over(&below, "f", &mf, &err), -1);
	assert_int_equal(err->code, ENOTDIR);
	assert_memory_equal(&mf, &before, sizeof(mf));
	cb_error_free(&err);
}

/* ---- randomized --------------------------------------------------------- */

static uint64_t next_random(uint64_t *s)
{
	/* xorshift64*: the same stacks on every run */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static unsigned pick(uint64_t *s, unsigned n)
{
	return (unsigned)((next_random(s) >> 32) % n);
}

/* One of /etc's children in the layer's /etc (a directory): absent, file, dir, symlink, whiteout.
 */
static void random_child(uint64_t *s, const char *etc, int i, struct cb_strbuf *desc)
{
	static const char *const names[] = {"-", "file", "dir", "link", "wh"};
	cleanup_free char *p = xasprintf("%s/%s", etc, mount_fact_paths[i] + 5);
	unsigned c = pick(s, 5);

	if (c == 1)
		put_file(p);
	else if (c == 2)
		mkdirs(p);
	else if (c == 3)
		put_link(i == MF_RESOLV ? "../run/resolv.conf" : "/etc/other", p);
	else if (c == 4)
		put_whiteout(p);
	cb_strbuf_addf(desc, " %s=%s", mount_fact_paths[i] + 5, names[c]);
}

/* The layer's /etc directory: perhaps extended attributes, and children. */
static void random_etc(uint64_t *s, const char *etc, struct cb_strbuf *desc)
{
	unsigned x = pick(s, 3);

	if (x == 1)
		put_xattr(etc, "user.test", "1");
	else if (x == 2)
		put_xattr(etc, "user.overlay.impure", "y");
	cb_strbuf_addstr(desc, x == 1 ? "(user.test)" : x == 2 ? "(overlay xattr)" : "");
	for (int i = MF_HOSTS; i < MOUNT_FACTS; i++)
		random_child(s, etc, i, desc);
}

/* A layer in dir: per mount point absent (twice as likely), dir, file, symlink, whiteout, opaque.
 */
static void random_layer(uint64_t *s, const char *dir, struct cb_strbuf *desc)
{
	static const char *const names[] = {"-", "dir", "file", "link", "wh", "opaque"};
	static const char *const ns[] = {"trusted", "user"};

	mkdirs(dir);
	cb_strbuf_addf(desc, "%s:", dir);
	if (pick(s, 10) == 0) {
		put_opaque_dir(dir, ns[pick(s, 2)]);
		cb_strbuf_addstr(desc, " opaque-root");
	}
	for (int i = MF_ETC; i < MF_HOSTS; i++) {
		cleanup_free char *p = xasprintf("%s%s", dir, mount_fact_paths[i]);
		unsigned c = pick(s, 7);

		c = c ? c - 1 : 0;
		if (c == 1)
			mkdirs(p);
		else if (c == 2)
			put_file(p);
		else if (c == 3)
			put_link(i == MF_ETC ? "usr/etc" : "/dev/null", p);
		else if (c == 4)
			put_whiteout(p);
		else if (c == 5)
			put_opaque_dir(p, ns[pick(s, 2)]);
		cb_strbuf_addf(desc, " %s=%s", mount_fact_paths[i] + 1, names[c]);
		if (i == MF_ETC && (c == 1 || c == 5))
			random_etc(s, p, desc);
	}
	cb_strbuf_addstr(desc, "; ");
}

static void test_random_stacks(void **state)
{
	uint64_t s = 0x6d6f756e74666163ULL;
	struct cb_error *err = NULL;

	(void)state;
	for (unsigned iter = 0; iter < 400; iter++) {
		struct cb_strbuf desc = CB_STRBUF_INIT;
		struct cb_strvec dirs = CB_STRVEC_INIT;
		cleanup_free char *root = xasprintf("r%u", iter);
		size_t n = 2 + pick(&s, 4);

		for (size_t k = 0; k < n; k++)
			cb_strvec_pushf(&dirs, "%s/L%zu", root, k);
		for (size_t k = n; k-- > 0;) /* bottom first: the description reads upwards */
			random_layer(&s, dirs.v[k], &desc);
		/* the whole stack and each of its tops (the stacks below a layer) */
		for (size_t k = 0; k < n; k++) {
			cleanup_free char *what = xasprintf("from L%zu down; %s", k, desc.buf);
			struct mount_facts mf;

			check_stack((const char *const *)dirs.v + k, n - k, what, &mf);
		}
		cb_strbuf_release(&desc);
		cb_strvec_clear(&dirs);
		if (cb_rm_rf(AT_FDCWD, root, &err) < 0)
			fail_msg("remove %s: %s", root, cb_error_msg(err));
	}
}

CB_TEST_MAIN(cmocka_unit_test(test_empty_stack), cmocka_unit_test(test_etc_in_lower),
	     cmocka_unit_test(test_etc_on_top), cmocka_unit_test(test_opaque_etc),
	     cmocka_unit_test(test_whiteout_hosts), cmocka_unit_test(test_whiteout_etc),
	     cmocka_unit_test(test_opaque_root), cmocka_unit_test(test_etc_symlink),
	     cmocka_unit_test(test_resolv_symlink), cmocka_unit_test(test_etc_file),
	     cmocka_unit_test(test_foreign_xattrs), cmocka_unit_test(test_proc_whiteout),
	     cmocka_unit_test(test_errors), cmocka_unit_test(test_random_stacks))
