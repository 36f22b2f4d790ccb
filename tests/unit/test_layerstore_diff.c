/*
 * Layer diff (tardiff.c) and the round trip diff -> apply: every entry
 * type, long and non-ASCII names, hardlinks, xattrs, set-id bits, owners;
 * deterministic output (order, no uname/gname/atime/ctime, mtimes clamped
 * by SOURCE_DATE_EPOCH); overlay whiteouts and opaque directories.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <sys/time.h>

#include "layertest.h"

static bool have_user_xattrs(const char *path)
{
	if (setxattr(path, "user.cbtest", "1", 1, 0) < 0)
		return false;
	removexattr(path, "user.cbtest");
	return true;
}

/* A tree with one of everything a layer can hold. */
static void make_tree(const char *root, bool devices)
{
	char longdir[300];
	cleanup_free char *p = NULL;

	lt_mkdirs(root);
	p = xasprintf("%s/usr/lib", root);
	lt_mkdirs(p);
	free(p);
	p = xasprintf("%s/usr/lib/libc.so", root);
	lt_write(p, "ELF pretend\n");
	free(p);
	p = xasprintf("%s/lib", root);
	assert_int_equal(symlink("usr/lib", p), 0);
	free(p);
	p = xasprintf("%s/abs", root);
	assert_int_equal(symlink("/usr/lib/libc.so", p), 0);
	free(p);
	p = xasprintf("%s/dangling", root);
	assert_int_equal(symlink("nowhere/at/all", p), 0);
	free(p);
	p = xasprintf("%s/empty", root);
	lt_write(p, "");
	free(p);
	p = xasprintf("%s/suid", root);
	lt_write(p, "#!/bin/sh\n");
	assert_int_equal(chmod(p, 04755), 0);
	free(p);
	p = xasprintf("%s/tmp", root);
	lt_mkdirs(p);
	assert_int_equal(chmod(p, 01777), 0);
	free(p);
	p = xasprintf("%s/sgid", root);
	lt_mkdirs(p);
	assert_int_equal(chmod(p, 02775), 0);
	free(p);
	p = xasprintf("%s/owned", root);
	lt_write(p, "owned by 1234:5678\n");
	assert_int_equal(lchown(p, 1234, 5678), 0);
	free(p);
	p = xasprintf("%s/hard1", root);
	lt_write(p, "one inode, two names\n");
	{
		cleanup_free char *q = xasprintf("%s/usr/hard2", root);

		assert_int_equal(link(p, q), 0);
	}
	free(p);
	p = xasprintf("%s/fifo", root);
	assert_int_equal(mkfifo(p, 0640), 0);
	free(p);
	if (devices) {
		p = xasprintf("%s/null", root);
		assert_int_equal(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0);
		free(p);
		p = xasprintf("%s/loop9", root);
		assert_int_equal(mknod(p, S_IFBLK | 0660, makedev(7, 9)), 0);
		free(p);
	}
	p = xasprintf("%s/caf\xc3\xa9 \xff", root); /* UTF-8 and a byte that is not */
	lt_write(p, "names are bytes\n");
	free(p);
	memset(longdir, 'd', 150);
	longdir[150] = '\0';
	p = xasprintf("%s/%s/%s", root, longdir, longdir);
	lt_mkdirs(p);
	free(p);
	p = xasprintf("%s/%s/%s/long-file-name-%s", root, longdir, longdir, longdir);
	lt_write(p, "path over 255 bytes\n");
	free(p);
	p = xasprintf("%s/hard1", root);
	if (have_user_xattrs(p))
		assert_int_equal(setxattr(p, "user.note", "kept", 4, 0), 0);
	/* cap_net_bind_service=ep, as setcap writes it (VFS_CAP_REVISION_2) */
	{
		static const unsigned char cap[20] = {0x01, 0, 0, 0x02, 0x00, 0x04};
		cleanup_free char *q = xasprintf("%s/suid", root);

		assert_int_equal(setxattr(q, "security.capability", cap, sizeof(cap), 0), 0);
	}
}

static void test_roundtrip_every_type(void **state)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_apply_opts a = LAYER_APPLY_OPTS_INIT;
	struct layer_desc d1, d2;
	struct cb_digest applied;
	cleanup_free char *before = NULL, *after = NULL;

	(void)state;
	if (geteuid() != 0)
		skip();
	make_tree("src", true);
	LT_OK(lt_diff("src", &o, "layer.tgz", &d1, err_));
	LT_OK(lt_apply("layer.tgz", "dst", &a, &applied, err_));
	assert_string_equal(applied.str, d1.diff_id.str);
	before = lt_dump("src");
	after = lt_dump("dst");
	assert_string_equal(before, after);
	/* And the extracted tree makes the very same layer. */
	LT_OK(lt_diff("dst", &o, "again.tgz", &d2, err_));
	assert_string_equal(d1.digest.str, d2.digest.str);
	assert_string_equal(d1.diff_id.str, d2.diff_id.str);
}

struct tar_entry {
	char *name;
	mode_t type;
	bool has_uname, has_atime, has_ctime;
	time_t mtime;
	char *hardlink;
	int xattrs;
};

/*
 * A libarchive function that cbuild does not call, so archive-dl.c has no
 * forwarder for it: from the library the layer store loaded.
 */
#define LA_EXTRA(h, name) ((__typeof__(name) *)la_extra(h, #name))
static void *la_extra(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p)
		fail_msg("dlsym %s: %s", name, dlerror());
	return p;
}

/*
 * Read the entries of a layer with libarchive, decompressing with its own
 * filters rather than cbuild's codecs.
 */
static size_t read_entries(const char *path, struct tar_entry *out, size_t max)
{
	struct archive *a;
	struct archive_entry *e;
	size_t n = 0;
	void *h;
	int rc;

	LT_OK(layer_libarchive_load(err_));
	h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(h);
	a = archive_read_new();
	assert_non_null(a);
	LA_EXTRA(h, archive_read_support_filter_all)(a);
	archive_read_support_format_tar(a);
	assert_int_equal(LA_EXTRA(h, archive_read_open_filename)(a, path, 65536), ARCHIVE_OK);
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
		const char *uname = LA_EXTRA(h, archive_entry_uname)(e);
		const char *gname = LA_EXTRA(h, archive_entry_gname)(e);

		assert_true(n < max);
		out[n].name = xstrdup(archive_entry_pathname(e));
		out[n].type = archive_entry_filetype(e);
		out[n].has_uname = (uname && uname[0]) || (gname && gname[0]);
		out[n].has_atime = archive_entry_atime_is_set(e);
		out[n].has_ctime = LA_EXTRA(h, archive_entry_ctime_is_set)(e);
		out[n].mtime = archive_entry_mtime(e);
		out[n].hardlink =
			archive_entry_hardlink(e) ? xstrdup(archive_entry_hardlink(e)) : NULL;
		out[n].xattrs = archive_entry_xattr_count(e);
		n++;
	}
	archive_read_free(a);
	dlclose(h);
	return n;
}

static void free_entries(struct tar_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].hardlink);
	}
}

static void test_deterministic(void **state)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_desc d1, d2, d3;
	struct tar_entry e[64];
	struct timespec ts[2] = {{1000, 0}, {0, UTIME_OMIT}};
	size_t n;

	(void)state;
	make_tree("src", false);
	LT_OK(lt_diff("src", &o, "a.tgz", &d1, err_));
	/* atime and ctime changes (and a different inode order) change nothing. */
	assert_int_equal(utimensat(AT_FDCWD, "src/empty", ts, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(chmod("src/empty", 0644), 0);
	LT_OK(lt_diff("src", &o, "b.tgz", &d2, err_));
	assert_string_equal(d1.digest.str, d2.digest.str);

	n = read_entries("a.tgz", e, 64);
	{
		/* depth first, each directory's names in byte order */
		char d150[151];
		cleanup_free char *l1 = NULL, *l2 = NULL, *l3 = NULL;
		const char *want[20];
		size_t k = 0;

		memset(d150, 'd', 150);
		d150[150] = '\0';
		l1 = xasprintf("%s/", d150);
		l2 = xasprintf("%s/%s/", d150, d150);
		l3 = xasprintf("%s/%s/long-file-name-%s", d150, d150, d150);
		want[k++] = "abs";
		want[k++] = "caf\xc3\xa9 \xff";
		want[k++] = "dangling";
		want[k++] = l1;
		want[k++] = l2;
		want[k++] = l3;
		want[k++] = "empty";
		want[k++] = "fifo";
		want[k++] = "hard1";
		want[k++] = "lib";
		want[k++] = "owned";
		want[k++] = "sgid/";
		want[k++] = "suid";
		want[k++] = "tmp/";
		want[k++] = "usr/";
		want[k++] = "usr/hard2";
		want[k++] = "usr/lib/";
		want[k++] = "usr/lib/libc.so";
		assert_int_equal(n, k);
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(e[i].name, want[i]);
			assert_false(e[i].has_uname);
			assert_false(e[i].has_atime);
			assert_false(e[i].has_ctime);
		}
	}
	/* the second name of an inode is a hardlink to the first */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].name, "usr/hard2"))
			assert_string_equal(e[i].hardlink, "hard1");
	free_entries(e, n);

	/* SOURCE_DATE_EPOCH clamps every mtime later than it. */
	o.source_date_epoch = 86400;
	LT_OK(lt_diff("src", &o, "c.tgz", &d3, err_));
	assert_string_not_equal(d1.digest.str, d3.digest.str);
	n = read_entries("c.tgz", e, 64);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(e[i].mtime, 86400);
	free_entries(e, n);
}

/* The same layer whatever the compression; and the tar has no block padding. */
static void test_same_diff_id_any_compression(void **state)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_desc g, z, u;
	struct stat st;

	(void)state;
	make_tree("src", false);
	LT_OK(lt_diff("src", &o, "l.gz", &g, err_));
	o.compression = LAYER_ZSTD;
	LT_OK(lt_diff("src", &o, "l.zst", &z, err_));
	o.compression = LAYER_UNCOMPRESSED;
	LT_OK(lt_diff("src", &o, "l.tar", &u, err_));
	assert_string_equal(g.diff_id.str, z.diff_id.str);
	assert_string_equal(g.diff_id.str, u.diff_id.str);
	assert_string_equal(u.digest.str, u.diff_id.str);
	assert_int_equal(stat("l.tar", &st), 0);
	assert_int_equal(st.st_size, u.size);
	assert_int_equal(st.st_size % 512, 0);
	assert_int_equal(g.compression, LAYER_GZIP);
	assert_int_equal(z.compression, LAYER_ZSTD);
}

/* An overlay upperdir: 0/0 char devices and the opaque xattr. */
static void make_upper(const char *root)
{
	cleanup_free char *p = NULL;

	lt_mkdirs(root);
	p = xasprintf("%s/etc", root);
	lt_mkdirs(p);
	free(p);
	p = xasprintf("%s/etc/gone.conf", root);
	assert_int_equal(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0);
	free(p);
	p = xasprintf("%s/etc/new.conf", root);
	lt_write(p, "new\n");
	free(p);
	p = xasprintf("%s/var", root);
	lt_mkdirs(p);
	assert_int_equal(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
	free(p);
	p = xasprintf("%s/var/only", root);
	lt_write(p, "only this survives\n");
}

static void test_overlay_whiteouts(void **state)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_apply_opts a = LAYER_APPLY_OPTS_INIT;
	struct layer_desc d;
	struct cb_digest got;
	struct tar_entry e[16];
	struct stat st;
	char v[4];
	size_t n;

	(void)state;
	if (geteuid() != 0)
		skip();
	make_upper("upper");
	o.overlay = true;
	LT_OK(lt_diff("upper", &o, "l.tgz", &d, err_));
	n = read_entries("l.tgz", e, 16);
	assert_int_equal(n, 6);
	assert_string_equal(e[0].name, "etc/");
	assert_string_equal(e[1].name, "etc/.wh.gone.conf");
	assert_int_equal(e[1].type, AE_IFREG);
	assert_string_equal(e[2].name, "etc/new.conf");
	assert_string_equal(e[3].name, "var/");
	assert_int_equal(e[3].xattrs, 0); /* overlay's own xattrs never leak */
	assert_string_equal(e[4].name, "var/.wh..wh..opq");
	assert_string_equal(e[5].name, "var/only");
	free_entries(e, n);

	/* Overlay form again on apply: a lowerdir that means the same. */
	LT_OK(lt_apply("l.tgz", "snap", &a, &got, err_));
	assert_int_equal(lstat("snap/etc/gone.conf", &st), 0);
	assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	assert_int_equal(lgetxattr("snap/var", "trusted.overlay.opaque", v, sizeof(v)), 1);
	assert_int_equal(lstat("snap/var/.wh..wh..opq", &st), -1);

	/* Without overlay (a plain rootfs): whiteouts delete, opaque empties. */
	lt_mkdirs("rootfs/etc");
	lt_mkdirs("rootfs/var/lib/old");
	lt_write("rootfs/etc/gone.conf", "old\n");
	lt_write("rootfs/etc/kept.conf", "kept\n");
	lt_write("rootfs/var/lib/old/x", "old\n");
	lt_write("rootfs/var/y", "old\n");
	a.overlay = false;
	LT_OK(lt_apply("l.tgz", "rootfs", &a, &got, err_));
	assert_int_equal(lstat("rootfs/etc/gone.conf", &st), -1);
	assert_int_equal(lstat("rootfs/etc/kept.conf", &st), 0);
	assert_int_equal(lstat("rootfs/etc/new.conf", &st), 0);
	assert_int_equal(lstat("rootfs/var/lib", &st), -1);
	assert_int_equal(lstat("rootfs/var/y", &st), -1);
	assert_int_equal(lstat("rootfs/var/only", &st), 0);
	assert_string_equal(got.str, d.diff_id.str);
}

/* In delete mode an opaque marker keeps what the same layer put there first. */
static void test_opaque_keeps_own_entries(void **state)
{
	struct layer_apply_opts a = LAYER_APPLY_OPTS_INIT;
	struct lt_tar t = {CB_STRBUF_INIT};
	struct cb_digest got;
	struct stat st;

	(void)state;
	lt_mkdirs("rootfs/d");
	lt_write("rootfs/d/lower", "from below\n");
	lt_tar_add(&t, "d/", '5', 0755, NULL, 0, NULL, -1);
	lt_tar_file(&t, "d/-early", "sorted before the marker\n");
	lt_tar_add(&t, "d/.wh..wh..opq", '0', 0644, NULL, 0, NULL, -1);
	lt_tar_file(&t, "d/late", "after the marker\n");
	lt_tar_save(&t, "l.tar");
	a.overlay = false;
	LT_OK(lt_apply("l.tar", "rootfs", &a, &got, err_));
	assert_int_equal(lstat("rootfs/d/lower", &st), -1);
	assert_int_equal(lstat("rootfs/d/-early", &st), 0);
	assert_int_equal(lstat("rootfs/d/late", &st), 0);
}

/* Memory does not grow with the layer: many files, bounded RSS growth. */
static void test_many_files_bounded_memory(void **state)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_desc d;
	char path[64];

	(void)state;
	lt_mkdirs("src");
	for (int i = 0; i < 3000; i++) {
		if (i % 300 == 0) {
			snprintf(path, sizeof(path), "src/d%d", i / 300);
			lt_mkdirs(path);
		}
		snprintf(path, sizeof(path), "src/d%d/f%d", i / 300, i);
		lt_write(path, "x");
	}
	o.compression = LAYER_UNCOMPRESSED;
	LT_OK(lt_diff("src", &o, "l.tar", &d, err_));
	/* 3000 files + 10 dirs, 1 KiB each (header + one data block) + the end */
	assert_int_equal(d.size, (3000 * 2 + 10) * 512 + 1024);
}

CB_TEST_MAIN(cmocka_unit_test(test_roundtrip_every_type), cmocka_unit_test(test_deterministic),
	     cmocka_unit_test(test_same_diff_id_any_compression),
	     cmocka_unit_test(test_overlay_whiteouts),
	     cmocka_unit_test(test_opaque_keeps_own_entries),
	     cmocka_unit_test(test_many_files_bounded_memory))
