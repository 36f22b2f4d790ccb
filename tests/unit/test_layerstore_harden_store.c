/*
 * test_layerstore_harden_store.c - issue 11, finding 3: a store trusts
 * nothing it did not make.  A root owned by someone else or writable by
 * others is refused untouched; a new root is 0700; a symlink where the
 * layout has its own directory or file refuses the open (its target
 * untouched) and fsck's open sets the link aside; a symlinked snapshot,
 * lease or cache entry is never followed; a snapshot directory handed out
 * as a path is checked to lead to the store's own.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "layerstore_testutil.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* layer_store_open must fail naming want, and leave *s NULL. */
static void open_fails(const char *root, const char *want)
{
	struct cb_error *err = NULL;
	struct layer_store *s = layer_store_open(root, &err);

	if (s)
		fail_msg("open `%s` succeeded; want an error with `%s`", root, want);
	if (!strstr(cb_error_msg(err), want))
		fail_msg("open `%s`: `%s` lacks `%s`", root, cb_error_msg(err), want);
	cb_error_free(&err);
}

static void make_host_dir(void)
{
	assert_int_equal(mkdir("host", 0755), 0);
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "host/precious", "keep\n", 5, 0644, NULL),
			 0);
	/* named as a dead lease's temp file would be: the cleaner's first victim */
	assert_int_equal(
		cb_write_file_atomic(AT_FDCWD, "host/123-abc.1.blob", "keep\n", 5, 0644, NULL), 0);
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "host/" HEX_A, "keep\n", 5, 0644, NULL), 0);
}

static void host_dir_intact(void)
{
	assert_int_equal(count_entries("host"), 3);
	assert_int_equal(access("host/precious", F_OK), 0);
	assert_int_equal(access("host/123-abc.1.blob", F_OK), 0);
	assert_int_equal(access("host/" HEX_A, F_OK), 0);
}

static int fsck_repair(const char *root, struct cb_strvec *report)
{
	struct cb_error *err = NULL;
	struct layer_store *s = layer_store_open_repair(root, &err);
	int n;

	if (!s)
		fail_msg("open for fsck: %s", cb_error_msg(err));
	n = fsck_ok(s, false, report);
	layer_store_close(s);
	return n;
}

/* The only entry of quarantine/ starts with prefix and is a symlink (the link, not its target). */
static void quarantined_link(const char *prefix)
{
	cleanup_dir DIR *d = opendir("store/quarantine");
	struct dirent *de;
	int found = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[512];
		struct stat st;

		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			snprintf(path, sizeof(path), "store/quarantine/%s", de->d_name);
			assert_int_equal(lstat(path, &st), 0);
			assert_true(S_ISLNK(st.st_mode));
			found++;
		}
	}
	assert_int_equal(found, 1);
}

static void test_harden_store_root_not_owned(void **state)
{
	struct stat st;
	char want[64];

	(void)state;
	if (geteuid() == 0) {
		assert_int_equal(mkdir("theirs", 0755), 0);
		assert_int_equal(chown("theirs", 1000, 1000), 0);
		open_fails("theirs",
			   "store root `theirs` is owned by uid 1000, not by you (uid 0)");
		assert_int_equal(count_entries("theirs"), 0); /* left as it was */
		assert_int_equal(stat("theirs", &st), 0);
		assert_int_equal(st.st_uid, 1000);
		assert_int_equal(st.st_mode & 07777, 0755);
	} else {
		/* root's own directory, which an ordinary user may not take */
		snprintf(want, sizeof(want), "not by you (uid %u)", (unsigned)geteuid());
		open_fails("/", "store root `/` is owned by uid 0");
		open_fails("/", want);
	}
}

static void test_harden_store_root_writable(void **state)
{
	static const mode_t bad[] = {0777, 0775, 0757, 01777};
	struct layer_store *s;
	struct stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[80];

		assert_int_equal(mkdir("r", 0700), 0);
		assert_int_equal(chmod("r", bad[i]), 0);
		snprintf(want, sizeof(want), "store root `r` is writable by others (mode %04o)",
			 (unsigned)bad[i]);
		open_fails("r", want);
		assert_int_equal(count_entries("r"), 0);
		assert_int_equal(rmdir("r"), 0);
	}
	/* an older cbuild's 0755 root stays usable, and stays 0755 */
	assert_int_equal(mkdir("r", 0700), 0);
	assert_int_equal(chmod("r", 0755), 0);
	s = open_store("r");
	layer_store_close(s);
	assert_int_equal(stat("r", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
}

static void test_harden_store_new_root_0700(void **state)
{
	struct layer_store *s;
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	s = open_store("a/b/store");
	umask(old);
	layer_store_close(s);
	assert_int_equal(stat("a/b/store", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat("a/b", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* a umask that would leave the owner without rights does not matter either */
	old = umask(0777);
	s = open_store("c");
	umask(old);
	layer_store_close(s);
	assert_int_equal(stat("c", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

/* A symlink where the layout has a directory: refused, target untouched; fsck sets it aside. */
static void layout_link(const char *entry, const char *flat)
{
	struct cb_strvec r = CB_STRVEC_INIT;
	char path[128], want[128], host[PATH_MAX];

	layer_store_close(open_store("store"));
	make_host_dir();
	assert_non_null(realpath("host", host));
	snprintf(path, sizeof(path), "store/%s", entry);
	assert_int_equal(cb_rm_rf(AT_FDCWD, path, NULL), 0);
	assert_int_equal(symlink(host, path), 0);
	snprintf(want, sizeof(want), "`%s` is a symlink to `", entry);
	open_fails("store", want);
	host_dir_intact();
	assert_true(fsck_repair("store", &r) > 0);
	snprintf(want, sizeof(want), "`%s` was a symlink to `", entry);
	assert_true(report_has(&r, want));
	cb_strvec_clear(&r);
	quarantined_link(flat);
	host_dir_intact();
	layer_store_close(open_store("store")); /* repaired */
	host_dir_intact();
}

static void test_harden_store_tmp_symlink(void **state)
{
	(void)state;
	layout_link("tmp", "tmp.");
}

static void test_harden_store_blobs_symlink(void **state)
{
	(void)state;
	layout_link("blobs/sha256", "blobs-sha256.");
}

static void test_harden_store_quarantine_symlink(void **state)
{
	(void)state;
	layout_link("quarantine", "quarantine.");
}

static void test_harden_store_tags_symlink(void **state)
{
	struct cb_strvec r = CB_STRVEC_INIT;

	(void)state;
	layer_store_close(open_store("store"));
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "victim", "{\"tags\":{}}", 11, 0644, NULL),
			 0);
	assert_int_equal(symlink("../victim", "store/tags.json"), 0);
	open_fails("store", "`tags.json` is a symlink to `../victim`, not the store's file");
	assert_true(fsck_repair("store", &r) > 0);
	assert_true(report_has(&r, "`tags.json` was a symlink"));
	cb_strvec_clear(&r);
	quarantined_link("tags.json.");
	assert_int_equal(access("victim", F_OK), 0);
}

/* snapshots/<chain> a symlink to a tree elsewhere: never used as a lowerdir; fsck quarantines it.
 */
static void test_harden_store_snapshot_symlink(void **state)
{
	struct cb_strvec dirs = CB_STRVEC_INIT, r = CB_STRVEC_INIT;
	struct layer_store *s = open_store("store");
	struct cb_digest chain;
	char path[200];

	(void)state;
	cb_sha256_buf("c", 1, &chain);
	assert_int_equal(mkdir("elsewhere", 0755), 0);
	assert_int_equal(mkdir("elsewhere/fs", 0755), 0);
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "elsewhere/fs/f", "x", 1, 0644, NULL), 0);
	snprintf(path, sizeof(path), "store/snapshots/%s", cb_digest_hex(&chain));
	assert_int_equal(symlink("../../elsewhere", path), 0);
	CHECK_FAILS(layer_store_snapshot_lowerdirs(s, &chain, &dirs, E),
		    "is not a directory the store made (a symlink)");
	assert_int_equal(dirs.n, 0);
	/* what the builder reads a snapshot's files through (COPY's reuse) */
	CHECK_FAILS(layer_store_snapshot_open(s, &chain, E), "a symlink is on the way");
	layer_store_close(s);
	assert_int_equal(fsck_repair("store", &r), 1);
	assert_true(report_has(&r, "is a symlink, not a snapshot directory; moved it to"));
	cb_strvec_clear(&r);
	quarantined_link(cb_digest_hex(&chain));
	assert_int_equal(access("elsewhere/fs/f", F_OK), 0);
}

/* A lease or cache index entry that is a symlink: never read through, removed as a link. */
static void test_harden_store_lease_and_cache_symlink(void **state)
{
	struct layer_store *s;
	struct cb_digest key;
	char path[200], *json = NULL;

	(void)state;
	layer_store_close(open_store("store"));
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "victim", "x\n", 2, 0644, NULL), 0);
	assert_int_equal(symlink("../../victim", "store/leases/1-0123456789abcdef"), 0);
	s = open_store("store"); /* a lease no one can lock: dead, cleaned */
	assert_int_equal(access("store/leases/1-0123456789abcdef", F_OK), -1);
	cb_sha256_buf("k", 1, &key);
	snprintf(path, sizeof(path), "store/cache/%s", cb_digest_hex(&key));
	assert_int_equal(symlink("../../victim", path), 0);
	CHECK_OK(layer_store_cache_get(s, &key, &json, E)); /* a miss, not an error */
	assert_null(json);
	assert_int_equal(faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW), -1);
	layer_store_close(s);
	assert_int_equal(access("victim", F_OK), 0);
}

/*
 * A root reached through a symlink that is repointed after the open: the
 * lowerdir handed out as a path would lead to the other tree; refused.
 */
static void test_harden_store_handout_checked(void **state)
{
	struct cb_strvec dirs = CB_STRVEC_INIT;
	struct layer_store *s;
	struct cb_digest chain;
	char path[200];

	(void)state;
	layer_store_close(open_store("real"));
	cb_sha256_buf("c", 1, &chain);
	snprintf(path, sizeof(path), "real/snapshots/%s", cb_digest_hex(&chain));
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "real/snapshots/%s/fs", cb_digest_hex(&chain));
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "other/snapshots/%s/fs", cb_digest_hex(&chain));
	assert_int_equal(cb_mkdir_p(AT_FDCWD, path, 0755, NULL), 0);
	assert_int_equal(symlink("real", "link"), 0);
	s = open_store("link");
	CHECK_OK(layer_store_snapshot_lowerdirs(s, &chain, &dirs, E));
	assert_int_equal(dirs.n, 1);
	cb_strvec_clear(&dirs);
	assert_int_equal(unlink("link"), 0);
	assert_int_equal(symlink("other", "link"), 0);
	CHECK_FAILS(layer_store_snapshot_lowerdirs(s, &chain, &dirs, E),
		    "does not lead to the store's");
	cb_strvec_clear(&dirs);
	layer_store_close(s);
}

CB_TEST_MAIN(cmocka_unit_test(test_harden_store_root_not_owned),
	     cmocka_unit_test(test_harden_store_root_writable),
	     cmocka_unit_test(test_harden_store_new_root_0700),
	     cmocka_unit_test(test_harden_store_tmp_symlink),
	     cmocka_unit_test(test_harden_store_blobs_symlink),
	     cmocka_unit_test(test_harden_store_quarantine_symlink),
	     cmocka_unit_test(test_harden_store_tags_symlink),
	     cmocka_unit_test(test_harden_store_snapshot_symlink),
	     cmocka_unit_test(test_harden_store_lease_and_cache_symlink),
	     cmocka_unit_test(test_harden_store_handout_checked))
