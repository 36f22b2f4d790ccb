/*
 * test_layerstore_sources.c - the blob sources record (sources.c): newest
 * first, each once, bounded, kept across handles; names checked on add
 * and on read (a hand-made record with garbage, control characters, a
 * torn last line, a name too long, a symlink or a directory in its place,
 * a huge file); a blob not in the store refused; prune drops the records
 * of the blobs it sweeps and keeps the others; 4 processes adding at once
 * lose nothing.
 */
#include "layerstore_testutil.h"

static struct cb_strvec list(struct layer_store *s, const struct cb_digest *d)
{
	struct cb_strvec v = CB_STRVEC_INIT;

	CHECK_OK(layer_store_blob_sources(s, d, &v, E));
	return v;
}

static void record_path(const struct cb_digest *d, char *out, size_t len)
{
	snprintf(out, len, "store/sources/%s", cb_digest_hex(d));
}

static void write_record(const struct cb_digest *d, const char *text, size_t len)
{
	char path[256];

	record_path(d, path, sizeof(path));
	mkdir("store/sources", 0700);
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, path, text, len, 0644, NULL), 0);
}

static void test_round_trip(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_strvec v;
	struct cb_digest d, other;

	(void)state;
	CHECK_OK(layer_store_blob_put(s, "{\"b\":1}", 7, &d, E));
	CHECK_OK(layer_store_blob_put(s, "{\"b\":2}", 7, &other, E));
	v = list(s, &d);
	assert_int_equal(v.n, 0);
	CHECK_OK(layer_store_blob_source_add(s, &d, "docker.io/library/busybox", E));
	CHECK_OK(layer_store_blob_source_add(s, &d, "127.0.0.1:5000/a", E));
	CHECK_OK(layer_store_blob_source_add(s, &d, "[::1]:5000/ns/app.x_y-z", E));
	/* again: moves to the front, not listed twice; the newest again: unchanged */
	CHECK_OK(layer_store_blob_source_add(s, &d, "127.0.0.1:5000/a", E));
	CHECK_OK(layer_store_blob_source_add(s, &d, "127.0.0.1:5000/a", E));
	layer_store_close(s);
	s = open_store("store");
	v = list(s, &d);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.v[0], "127.0.0.1:5000/a");
	assert_string_equal(v.v[1], "[::1]:5000/ns/app.x_y-z");
	assert_string_equal(v.v[2], "docker.io/library/busybox");
	cb_strvec_clear(&v);
	/* records are per blob; appending keeps what out held */
	cb_strvec_push(&v, "kept");
	CHECK_OK(layer_store_blob_sources(s, &other, &v, E));
	assert_int_equal(v.n, 1);
	assert_string_equal(v.v[0], "kept");
	cb_strvec_clear(&v);
	layer_store_close(s);
}

static void test_bounded(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_strvec v;
	struct cb_digest d;

	(void)state;
	CHECK_OK(layer_store_blob_put(s, "{}", 2, &d, E));
	for (int i = 0; i < LAYER_STORE_SOURCES_MAX + 9; i++) {
		char name[64];

		snprintf(name, sizeof(name), "reg.example:5000/r%d", i);
		CHECK_OK(layer_store_blob_source_add(s, &d, name, E));
	}
	v = list(s, &d);
	assert_int_equal(v.n, LAYER_STORE_SOURCES_MAX);
	for (size_t i = 0; i < v.n; i++) {
		char name[64];

		snprintf(name, sizeof(name), "reg.example:5000/r%zu",
			 (size_t)LAYER_STORE_SOURCES_MAX + 8 - i);
		assert_string_equal(v.v[i], name);
	}
	cb_strvec_clear(&v);
	layer_store_close(s);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"busybox",
		"/library/busybox",
		"docker.io/",
		"docker.io/Library/busybox",
		"docker.io/library//busybox",
		"docker.io/library/busybox/",
		"docker.io/a b",
		"docker.io/a\n127.0.0.1/b",
		"docker.io/a?mount=x",
		"docker.io/a&from=b",
		"docker.io/a%2fb",
		"docker.io/../etc",
		"docker.io/.hidden",
		"docker.io/-x",
		"host name/x",
		"-host/x",
		"docker.io/x\xc3\xa9",
	};
	char path[256], longname[LAYER_STORE_SOURCE_NAME_MAX + 2];
	struct layer_store *s = open_store("store");
	struct cb_digest d, missing;
	struct stat st;

	(void)state;
	CHECK_OK(layer_store_blob_put(s, "{}", 2, &d, E));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(layer_store_source_name_valid(bad[i]));
		CHECK_FAILS(layer_store_blob_source_add(s, &d, bad[i], E), "invalid source name");
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[1] = '/';
	CHECK_FAILS(layer_store_blob_source_add(s, &d, longname, E), "invalid source name");
	longname[LAYER_STORE_SOURCE_NAME_MAX] = '\0'; /* exactly the bound: fine */
	assert_true(layer_store_source_name_valid(longname));
	record_path(&d, path, sizeof(path));
	assert_int_equal(stat(path, &st), -1); /* nothing written */
	cb_sha256_buf("not stored", 10, &missing);
	CHECK_FAILS(layer_store_blob_source_add(s, &missing, "docker.io/library/x", E),
		    "is not in the store");
	record_path(&missing, path, sizeof(path));
	assert_int_equal(stat(path, &st), -1);
	layer_store_close(s);
}

static void test_hostile_records(void **state)
{
	static const char garbled[] = "docker.io/ok/one\n"
				      "\x01\x02\xff garbage\n"
				      "docker.io/a b\n"
				      "\n"
				      "docker.io/ok/two\r\n"
				      "docker.io/ok/one\n"
				      "docker.io/nul\0hidden\n"
				      "127.0.0.1:5000/ok/three\n"
				      "docker.io/torn-last-line";
	struct layer_store *s = open_store("store");
	char path[256], target[300];
	cleanup_free char *huge = NULL;
	struct cb_digest d;
	struct cb_strvec v;
	size_t hlen = 1u << 20, at = 0;

	(void)state;
	CHECK_OK(layer_store_blob_put(s, "{}", 2, &d, E));
	record_path(&d, path, sizeof(path));
	write_record(&d, garbled, sizeof(garbled) - 1);
	v = list(s, &d);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.v[0], "127.0.0.1:5000/ok/three");
	assert_string_equal(v.v[1], "docker.io/ok/one");
	cb_strvec_clear(&v);
	/* an add rewrites the record with its valid names only */
	CHECK_OK(layer_store_blob_source_add(s, &d, "docker.io/ok/four", E));
	v = list(s, &d);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.v[0], "docker.io/ok/four");
	cb_strvec_clear(&v);
	{
		cleanup_free char *text = cb_test_read_file(path, NULL);

		assert_string_equal(text, "docker.io/ok/one\n127.0.0.1:5000/ok/three\n"
					  "docker.io/ok/four\n");
	}
	/* a huge record: read up to its bound, never the rest */
	huge = xmalloc(hlen);
	while (at + 32 < hlen)
		at += (size_t)snprintf(huge + at, 32, "docker.io/x/n%zu\n", at);
	memset(huge + at, '\n', hlen - at);
	write_record(&d, huge, hlen);
	v = list(s, &d);
	assert_int_equal(v.n, LAYER_STORE_SOURCES_MAX);
	assert_string_not_equal(v.v[v.n - 1], "docker.io/x/n0"); /* the newest kept */
	cb_strvec_clear(&v);
	CHECK_OK(layer_store_blob_source_add(s, &d, "docker.io/ok/five", E));
	v = list(s, &d);
	assert_int_equal(v.n, LAYER_STORE_SOURCES_MAX);
	assert_string_equal(v.v[0], "docker.io/ok/five");
	cb_strvec_clear(&v);
	/* a symlink in its place is not followed; a directory is no record */
	assert_int_equal(unlink(path), 0);
	write_record(&d, "docker.io/ok/elsewhere\n", 23);
	snprintf(target, sizeof(target), "%s.target", path);
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(target, path), 0);
	v = list(s, &d);
	assert_int_equal(v.n, 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	v = list(s, &d);
	assert_int_equal(v.n, 0);
	CHECK_FAILS(layer_store_blob_source_add(s, &d, "docker.io/ok/six", E), "record");
	layer_store_close(s);
}

static void test_prune_drops_records(void **state)
{
	struct layer_store *s = open_store("store");
	struct layer_store_prune_opts o = {false, 0};
	struct layer_store_usage r;
	struct cb_digest gone, kept, m;
	const char *const layers[] = {"layer-a"};
	char path[256];
	struct stat st;
	struct cb_strvec v;

	(void)state;
	CHECK_OK(layer_store_blob_put(s, "{\"unreferenced\":1}", 18, &gone, E));
	put_image(s, "cbuild.local/app:1", layers, 1, NULL, &m);
	CHECK_OK(layer_store_blob_put(s, "layer-a", 7, &kept, E));
	CHECK_OK(layer_store_blob_source_add(s, &gone, "docker.io/x/gone", E));
	CHECK_OK(layer_store_blob_source_add(s, &kept, "docker.io/x/kept", E));
	layer_store_close(s); /* its lease no longer keeps `gone` */
	s = open_store("store");
	/* a stray name in sources/ is left alone */
	write_record(&kept, "", 0);
	CHECK_OK(layer_store_blob_source_add(s, &kept, "docker.io/x/kept", E));
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "store/sources/README", "x", 1, 0644, NULL),
			 0);
	CHECK_OK(layer_store_prune(s, &o, &r, E));
	assert_true(r.blobs >= 1);
	record_path(&gone, path, sizeof(path));
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(stat("store/sources/README", &st), 0);
	v = list(s, &kept);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.v[0], "docker.io/x/kept");
	cb_strvec_clear(&v);
	/* a store where no source was ever recorded prunes as before */
	layer_store_close(s);
	assert_int_equal(cb_rm_rf(AT_FDCWD, "store/sources", NULL), 0);
	s = open_store("store");
	CHECK_OK(layer_store_prune(s, &o, &r, E));
	layer_store_close(s);
}

static void test_parallel_adds(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_digest d;
	struct cb_strvec v;
	pid_t pids[4];

	(void)state;
	CHECK_OK(layer_store_blob_put(s, "{\"shared\":1}", 12, &d, E));
	CHECK_OK(layer_store_tag_set(s, "cbuild.local/keep:1", &d, E));
	layer_store_close(s);
	for (int i = 0; i < 4; i++) {
		pids[i] = test_fork();
		if (pids[i] == 0) {
			struct cb_error *err = NULL;
			struct layer_store *c = layer_store_open("store", &err);

			for (int k = 0; c && k < 3; k++) {
				char name[64];

				snprintf(name, sizeof(name), "127.0.0.1:5000/w%d/k%d", i, k);
				if (layer_store_blob_source_add(c, &d, name, &err) < 0)
					_exit(4);
			}
			layer_store_close(c);
			_exit(c ? 0 : 3);
		}
	}
	wait_children_ok(pids, 4);
	s = open_store("store");
	v = list(s, &d);
	assert_int_equal(v.n, 12);
	cb_strvec_clear(&v);
	layer_store_close(s);
}

CB_TEST_MAIN(cmocka_unit_test(test_round_trip), cmocka_unit_test(test_bounded),
	     cmocka_unit_test(test_refused), cmocka_unit_test(test_hostile_records),
	     cmocka_unit_test(test_prune_drops_records), cmocka_unit_test(test_parallel_adds))
