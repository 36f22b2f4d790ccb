/*
 * test_layerstore_tags.c - tags: round trips of names holding '/', ':',
 * '@' and digests; replace, delete, sorted list; refused input leaves the
 * store as it was; 4 processes tagging at once lose nothing.
 */
#include "layerstore_testutil.h"

#include <sys/wait.h>

static const char *const names[] = {
	"docker.io/library/busybox:latest",
	"localhost:5000/a/b/c:v1.2",
	"[::1]:5000/x:y",
	"docker.io/library/"
	"busybox@sha256:7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa",
	"registry.example.com/ns/"
	"app:1@sha256:7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa",
	"cbuild.local/app:1",
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static void test_round_trip(void **state)
{
	struct layer_store *s = open_store("store");
	struct layer_store_tag *tags = NULL;
	struct cb_digest d1, d2, got;
	struct cb_error *err = NULL;
	size_t n = 0;

	(void)state;
	CHECK_OK(layer_store_blob_put(s, "{\"m\":1}", 7, &d1, E));
	CHECK_OK(layer_store_blob_put(s, "{\"m\":2}", 7, &d2, E));
	for (size_t i = 0; i < NNAMES; i++)
		CHECK_OK(layer_store_tag_set(s, names[i], i % 2 ? &d2 : &d1, E));
	layer_store_close(s);
	s = open_store("store");
	for (size_t i = 0; i < NNAMES; i++) {
		assert_int_equal(layer_store_tag_get(s, names[i], &got, &err), 1);
		assert_string_equal(got.str, (i % 2 ? &d2 : &d1)->str);
	}
	assert_int_equal(layer_store_tag_get(s, "docker.io/library/nope:1", &got, &err), 0);
	CHECK_OK(layer_store_tag_list(s, &tags, &n, E));
	assert_int_equal(n, NNAMES);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(tags[i - 1].name, tags[i].name) < 0);
	layer_store_tags_free(tags, n);
	/* Replace, then delete. */
	CHECK_OK(layer_store_tag_set(s, names[0], &d2, E));
	assert_int_equal(layer_store_tag_get(s, names[0], &got, &err), 1);
	assert_string_equal(got.str, d2.str);
	assert_int_equal(layer_store_tag_delete(s, names[0], &err), 1);
	assert_int_equal(layer_store_tag_delete(s, names[0], &err), 0);
	assert_int_equal(layer_store_tag_get(s, names[0], &got, &err), 0);
	layer_store_close(s);
}

static void test_bad_input(void **state)
{
	struct layer_store *s = open_store("store");
	static const char bad[] = "{\"tags\":{\"x\":\"sha256:12\"}}";
	struct cb_digest d, missing;
	struct stat st;

	(void)state;
	CHECK_OK(layer_store_blob_put(s, "{}", 2, &d, E));
	cb_sha256_buf("not stored", 10, &missing);
	CHECK_FAILS(layer_store_tag_set(s, "docker.io/library/x:1", &missing, E),
		    "is not in the store");
	CHECK_FAILS(layer_store_tag_set(s, "", &d, E), "invalid tag name");
	CHECK_FAILS(layer_store_tag_set(s, "a b", &d, E), "invalid tag name `a b`");
	CHECK_FAILS(layer_store_tag_set(s, "x\n", &d, E), "control character");
	CHECK_FAILS(layer_store_tag_set(s, "bad\xff", &d, E), "not UTF-8");
	/* Nothing was written. */
	assert_int_equal(stat("store/tags.json", &st), -1);
	/* A damaged tags file is reported, not silently taken as empty. */
	assert_int_equal(
		cb_write_file_atomic(AT_FDCWD, "store/tags.json", "{\"tags\":[", 9, 0644, NULL), 0);
	CHECK_FAILS(layer_store_tag_get(s, "x", &d, E), "invalid JSON");
	assert_int_equal(
		cb_write_file_atomic(AT_FDCWD, "store/tags.json", bad, strlen(bad), 0644, NULL), 0);
	CHECK_FAILS(layer_store_tag_get(s, "x", &d, E), "does not hold a sha256 digest");
	layer_store_close(s);
}

static void test_parallel_taggers(void **state)
{
	struct layer_store *s = open_store("store");
	struct layer_store_tag *tags = NULL;
	struct cb_digest d[4];
	pid_t pids[4];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		char buf[16];

		snprintf(buf, sizeof(buf), "{\"w\":%d}", i);
		CHECK_OK(layer_store_blob_put(s, buf, strlen(buf), &d[i], E));
	}
	layer_store_close(s);
	for (int i = 0; i < 4; i++) {
		pids[i] = test_fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct cb_error *err = NULL;
			struct layer_store *c = layer_store_open("store", &err);

			for (int k = 0; c && k < 25; k++) {
				char name[64];

				snprintf(name, sizeof(name), "localhost:5000/w%d:%d", i, k);
				if (layer_store_tag_set(c, name, &d[i], &err) < 0)
					_exit(4);
				snprintf(name, sizeof(name), "docker.io/library/shared:%d", k);
				if (layer_store_tag_set(c, name, &d[i], &err) < 0)
					_exit(5);
			}
			layer_store_close(c);
			_exit(c ? 0 : 3);
		}
	}
	wait_children_ok(pids, 4);
	s = open_store("store");
	CHECK_OK(layer_store_tag_list(s, &tags, &n, E));
	assert_int_equal(n, 4 * 25 + 25);
	layer_store_tags_free(tags, n);
	layer_store_close(s);
}

CB_TEST_MAIN(cmocka_unit_test(test_round_trip), cmocka_unit_test(test_bad_input),
	     cmocka_unit_test(test_parallel_taggers))
