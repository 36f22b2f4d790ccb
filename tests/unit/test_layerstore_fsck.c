/*
 * test_layerstore_fsck.c - fsck: a clean store is clean; a corrupted blob
 * is reported and quarantined (and the image that needs it reported too);
 * junk in blobs/ and bad cache entries are found; the cache index is
 * rebuilt from the record blobs.
 */
#include "layerstore_testutil.h"

/* "store/snapshots/<hex><suffix>" in buf. */
static const char *snap_path(char buf[256], const char *hex, const char *suffix)
{
	snprintf(buf, 256, "store/snapshots/%s%s", hex, suffix);
	return buf;
}

static void test_clean(void **state)
{
	const char *layers[] = {"one"};
	struct layer_store *s = open_store("store");
	struct cb_strvec r = CB_STRVEC_INIT;

	(void)state;
	put_image(s, "docker.io/library/a:1", layers, 1, NULL, NULL);
	assert_int_equal(fsck_ok(s, false, &r), 0);
	assert_true(report_has(&r, "checked 3 blobs and 0 snapshots: 0 problems"));
	cb_strvec_clear(&r);
	layer_store_close(s);
}

static void test_corrupt_blob_quarantined(void **state)
{
	const char *layers[] = {"a good layer"};
	struct layer_store *s = open_store("store");
	struct cb_strvec r = CB_STRVEC_INIT;
	struct layer_desc l;
	char path[200];
	int fd;

	(void)state;
	put_image(s, "docker.io/library/a:1", layers, 1, NULL, NULL);
	put_layer(s, "a good layer", &l);
	snprintf(path, sizeof(path), "store/blobs/sha256/%s", cb_digest_hex(&l.digest));
	assert_int_equal(chmod(path, 0644), 0);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_int_equal(pwrite(fd, "A", 1, 0), 1);
	close(fd);
	assert_int_equal(fsck_ok(s, false, &r), 2);
	assert_true(report_has(&r, "is corrupt"));
	assert_true(report_has(&r, "moved to `quarantine/"));
	assert_true(report_has(&r, "tag `docker.io/library/a:1`: layer"));
	cb_strvec_clear(&r);
	assert_false(blob_present(s, &l.digest));
	assert_int_equal(count_entries("store/quarantine"), 1);
	/* The image is still broken, but nothing else is quarantined. */
	assert_int_equal(fsck_ok(s, false, &r), 1);
	cb_strvec_clear(&r);
	assert_int_equal(count_entries("store/quarantine"), 1);
	/* Writing the layer again repairs the store. */
	put_layer(s, "a good layer", &l);
	assert_int_equal(fsck_ok(s, false, &r), 0);
	cb_strvec_clear(&r);
	layer_store_close(s);
}

static void test_junk_and_bad_cache(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_strvec r = CB_STRVEC_INIT;
	char hex[65], p[256];

	(void)state;
	assert_int_equal(
		cb_write_file_atomic(AT_FDCWD, "store/blobs/sha256/notahash", "x", 1, 0444, NULL),
		0);
	memset(hex, 'a', 64);
	hex[64] = '\0';
	assert_int_equal(cb_write_file_atomic(AT_FDCWD,
					      "store/cache/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
					      "garbage\n", 8, 0644, NULL),
			 0);
	assert_int_equal(mkdir("store/snapshots/.half", 0700), 0);
	memset(hex, 'c', 64);
	assert_int_equal(mkdir(snap_path(p, hex, ""), 0700), 0); /* no fs/ */
	memset(hex, 'd', 64);
	assert_int_equal(mkdir(snap_path(p, hex, ""), 0700), 0);
	assert_int_equal(mkdir(snap_path(p, hex, "/fs"), 0700), 0);
	assert_int_equal(
		cb_write_file_atomic(AT_FDCWD, snap_path(p, hex, "/parent"),
				     "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
				     "eeeeeeeeeeee\n",
				     72, 0644, NULL),
		0);
	assert_int_equal(fsck_ok(s, false, &r), 5);
	assert_true(report_has(&r, "is incomplete: no `fs` directory"));
	assert_true(report_has(&r, "its parent `sha256:eeee"));
	assert_true(report_has(&r, "`blobs/sha256/notahash` is not a blob"));
	assert_true(report_has(&r, "does not hold a digest; removed"));
	assert_true(report_has(&r, "is not a snapshot"));
	cb_strvec_clear(&r);
	assert_int_equal(count_entries("store/cache"), 0);
	assert_int_equal(count_entries("store/blobs/sha256"), 0);
	layer_store_close(s);
}

static void test_rebuild_cache(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_strvec r = CB_STRVEC_INIT;
	struct cb_digest key[2];
	struct cb_error *err = NULL;
	char *json = NULL;

	(void)state;
	cb_sha256_buf("k0", 2, &key[0]);
	cb_sha256_buf("k1", 2, &key[1]);
	CHECK_OK(layer_store_cache_put(s, &key[0], "{\"result\":\"zero\"}", E));
	CHECK_OK(layer_store_cache_put(s, &key[1], "{\"result\":\"one\"}", E));
	/* Lose the index. */
	assert_int_equal(cb_rm_rf(AT_FDCWD, "store/cache", NULL), 0);
	assert_int_equal(mkdir("store/cache", 0700), 0);
	assert_int_equal(layer_store_cache_get(s, &key[0], &json, &err), 0);
	assert_int_equal(fsck_ok(s, true, &r), 0);
	assert_true(report_has(&r, "rebuilt the cache index: 2 records"));
	cb_strvec_clear(&r);
	assert_int_equal(layer_store_cache_get(s, &key[1], &json, &err), 1);
	assert_string_equal(json, "{\"result\":\"one\"}");
	free(json);
	layer_store_close(s);
}

/*
 * Cache records and index entries are not fsynced: what a power loss tore
 * (an emptied entry, a record blob that no longer matches its name) reads
 * as a miss and goes, never as an error that would fail a build.
 */
static void test_torn_cache_is_a_miss(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_digest key[2], rec;
	struct cb_error *err = NULL;
	char path[256], *json = NULL, *entry = NULL;
	size_t len;
	int fd;

	(void)state;
	cb_sha256_buf("k0", 2, &key[0]);
	cb_sha256_buf("k1", 2, &key[1]);
	CHECK_OK(layer_store_cache_put(s, &key[0], "{\"result\":\"zero\"}", E));
	CHECK_OK(layer_store_cache_put(s, &key[1], "{\"result\":\"one\"}", E));
	/* an emptied index entry */
	snprintf(path, sizeof(path), "store/cache/%s", cb_digest_hex(&key[0]));
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(layer_store_cache_get(s, &key[0], &json, &err), 0);
	assert_null(err);
	assert_int_equal(access(path, F_OK), -1);
	/* a record blob that does not match its digest any more */
	snprintf(path, sizeof(path), "store/cache/%s", cb_digest_hex(&key[1]));
	assert_int_equal(cb_read_file(path, 256, &entry, &len, &err), 0);
	entry[strcspn(entry, "\n")] = '\0';
	assert_int_equal(cb_digest_parse(entry, &rec, &err), 0);
	free(entry);
	snprintf(path, sizeof(path), "store/blobs/sha256/%s", cb_digest_hex(&rec));
	assert_int_equal(chmod(path, 0644), 0);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{}", 2), 2);
	close(fd);
	assert_int_equal(layer_store_cache_get(s, &key[1], &json, &err), 0);
	assert_null(err);
	layer_store_close(s);
}

CB_TEST_MAIN(cmocka_unit_test(test_clean), cmocka_unit_test(test_corrupt_blob_quarantined),
	     cmocka_unit_test(test_junk_and_bad_cache), cmocka_unit_test(test_rebuild_cache),
	     cmocka_unit_test(test_torn_cache_is_a_miss))
