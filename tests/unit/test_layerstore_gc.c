/*
 * test_layerstore_gc.c - prune and usage: what tags, cache records and
 * live leases keep; leases across processes (a live process's objects
 * survive a prune, a killed one's do not); --all and --keep-storage; and 4
 * parallel writers of overlapping blobs and tags beside a pruner.
 */
#include "layerstore_testutil.h"

#include <errno.h>
#include <time.h>

static struct layer_store_usage prune(struct layer_store *s, bool all, uint64_t keep)
{
	struct layer_store_prune_opts o = {all, keep};
	struct layer_store_usage r;
	struct cb_error *err = NULL;

	if (layer_store_prune(s, &o, &r, &err) < 0)
		fail_msg("prune: %s", cb_error_msg(err));
	return r;
}

static void test_prune_unreferenced(void **state)
{
	const char *layers[] = {"layer one", "layer two"};
	struct layer_store *s = open_store("store");
	struct layer_store_usage r;
	struct cb_digest m, loose;
	struct store_image img;
	struct cb_error *err = NULL;

	(void)state;
	put_image(s, "docker.io/library/app:1", layers, 2, NULL, &m);
	CHECK_OK(layer_store_blob_put(s, "loose", 5, &loose, E));
	layer_store_close(s);
	s = open_store("store");
	/* The image (manifest, config, 2 layers) stays; the loose blob goes. */
	r = prune(s, false, 0);
	assert_int_equal(r.blobs, 1);
	assert_int_equal(r.blob_bytes, 5);
	assert_false(blob_present(s, &loose));
	assert_int_equal(count_entries("store/blobs/sha256"), 4);
	CHECK_OK(layer_store_image_get(s, "docker.io/library/app:1", &img, E));
	store_image_release(&img);
	/* Untagged, it all goes. */
	assert_int_equal(layer_store_tag_delete(s, "docker.io/library/app:1", &err), 1);
	layer_store_close(s);
	s = open_store("store");
	r = prune(s, false, 0);
	assert_int_equal(r.blobs, 4);
	assert_int_equal(count_entries("store/blobs/sha256"), 0);
	layer_store_close(s);
}

struct holder {
	const char *content;
	bool lease_only;
};

/* Child step: open the store, put blob `content` (or lease an existing one). */
static int holder_step(void *ctx)
{
	const struct holder *h = ctx;
	struct cb_error *err = NULL;
	struct layer_store *s = layer_store_open("store", &err);
	struct cb_digest d;

	cb_sha256_buf(h->content, strlen(h->content), &d);
	if (!s ||
	    (h->lease_only ? layer_store_lease_add(s, &d, &err)
			   : layer_store_blob_put(s, h->content, strlen(h->content), &d, &err)) < 0)
		return 3;
	return 0;
}

/* Child: open the store, put blob `content` (or lease an existing one), report, wait. */
static struct child start_holder(const char *content, bool lease_only)
{
	struct holder h = {content, lease_only};

	return child_start(holder_step, &h);
}

static void test_lease_protects_across_processes(void **state)
{
	struct child c = start_holder("in use by a build", false);
	struct layer_store *s;
	struct cb_digest d;

	(void)state;
	child_wait_ready(&c);
	cb_sha256_buf("in use by a build", 17, &d);
	s = open_store("store");
	assert_int_equal(prune(s, true, 0).blobs, 0);
	assert_true(blob_present(s, &d));
	/* The owner dies without closing: its lease no longer counts. */
	kill(c.pid, SIGKILL);
	child_reap(&c);
	assert_int_equal(prune(s, true, 0).blobs, 1);
	assert_false(blob_present(s, &d));
	assert_int_equal(count_entries("store/leases"), 1);
	layer_store_close(s);
}

static void test_lease_add_existing(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_digest d;
	struct child c;

	(void)state;
	CHECK_OK(layer_store_blob_put(s, "base layer", 10, &d, E));
	layer_store_close(s);
	c = start_holder("base layer", true);
	child_wait_ready(&c);
	s = open_store("store");
	prune(s, false, 0);
	assert_true(blob_present(s, &d));
	kill(c.pid, SIGKILL);
	child_reap(&c);
	prune(s, false, 0);
	assert_false(blob_present(s, &d));
	layer_store_close(s);
}

static void put_record(struct layer_store *s, const char *key_text, const char *layer,
		       struct cb_digest *key, struct cb_digest *blob)
{
	char json[256];

	cb_sha256_buf(key_text, strlen(key_text), key);
	CHECK_OK(layer_store_blob_put(s, layer, strlen(layer), blob, E));
	snprintf(json, sizeof(json), "{\"layer\":\"%s\",\"note\":\"x\"}", blob->str);
	CHECK_OK(layer_store_cache_put(s, key, json, E));
}

static void test_cache_records(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_digest key, blob, miss;
	struct cb_error *err = NULL;
	struct layer_store_usage r;
	char *json = NULL;

	(void)state;
	put_record(s, "RUN make", "built layer", &key, &blob);
	assert_int_equal(layer_store_cache_get(s, &key, &json, &err), 1);
	assert_non_null(strstr(json, blob.str));
	assert_non_null(strstr(json, "\"note\":\"x\""));
	free(json);
	cb_sha256_buf("other", 5, &miss);
	assert_int_equal(layer_store_cache_get(s, &miss, &json, &err), 0);
	CHECK_FAILS(layer_store_cache_put(s, &miss, "[1,2]", E), "not a JSON object");
	CHECK_FAILS(layer_store_cache_put(s, &miss, "{nope", E), "invalid JSON");
	layer_store_close(s);

	s = open_store("store");
	/* Without --all the cache keeps its layer. */
	r = prune(s, false, 0);
	assert_int_equal(r.blobs, 0);
	assert_true(blob_present(s, &blob));
	assert_int_equal(count_entries("store/cache"), 1);
	/* --all drops the record and what only it kept. */
	r = prune(s, true, 0);
	assert_int_equal(r.cache_records, 1);
	assert_int_equal(r.blobs, 2); /* the layer and the record */
	assert_true(r.cache_bytes > 11);
	assert_false(blob_present(s, &blob));
	assert_int_equal(layer_store_cache_get(s, &key, &json, &err), 0);
	layer_store_close(s);
}

static void set_used(const struct cb_digest *key, time_t t)
{
	char path[200];
	struct timespec ts[2] = {{t, 0}, {t, 0}};

	snprintf(path, sizeof(path), "store/cache/%s", cb_digest_hex(key));
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void test_keep_storage(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_digest key[3], blob[3];
	char *big = xcalloc(1, 1001), name[16];
	struct layer_store_usage u, r;
	struct cb_error *err = NULL;

	(void)state;
	for (int i = 0; i < 3; i++) {
		memset(big, 'a' + i, 1000);
		snprintf(name, sizeof(name), "step %d", i);
		put_record(s, name, big, &key[i], &blob[i]);
		set_used(&key[i], 1000000 + i * 1000); /* 2 is the most recent */
	}
	free(big);
	/* Our own lease holds everything we wrote: nothing is the cache's alone yet. */
	CHECK_OK(layer_store_usage(s, &u, E));
	assert_int_equal(u.cache_records, 3);
	assert_int_equal(u.cache_bytes, 0);
	layer_store_close(s);
	s = open_store("store");
	CHECK_OK(layer_store_usage(s, &u, E));
	assert_true(u.cache_bytes > 3000);
	/* Room for two records (1000 bytes of layer and a small record blob each). */
	r = prune(s, false, 2600);
	assert_int_equal(r.cache_records, 1);
	assert_false(blob_present(s, &blob[0]));
	assert_true(blob_present(s, &blob[1]));
	assert_true(blob_present(s, &blob[2]));
	assert_int_equal(layer_store_cache_get(s, &key[0], &big, &err), 0);
	layer_store_close(s);
}

static void test_usage(void **state)
{
	const char *layers[] = {"aaaa", "bbbbbbbb"};
	struct layer_store *s = open_store("store");
	struct layer_store_usage u;
	struct cb_digest m;

	(void)state;
	put_image(s, "docker.io/library/x:1", layers, 2, NULL, &m);
	CHECK_OK(layer_store_tag_set(s, "docker.io/library/x:2", &m, E));
	assert_int_equal(
		mkdir("store/snapshots/0000000000000000000000000000000000000000000000000000"
		      "000000000000",
		      0700),
		0);
	CHECK_OK(layer_store_usage(s, &u, E));
	assert_int_equal(u.images, 2);
	assert_int_equal(u.blobs, 4);
	assert_true(u.blob_bytes > 12);
	assert_int_equal(u.snapshots, 1);
	assert_int_equal(u.cache_records, 0);
	layer_store_close(s);
}

/* Chain IDs computed here independently of the store (OCI image spec). */
static void chain_of(const char *const *contents, size_t n, struct cb_digest *out)
{
	for (size_t i = 0; i < n; i++) {
		struct cb_digest diff;
		char buf[200];

		cb_sha256_buf(contents[i], strlen(contents[i]) + 1, &diff); /* as put_layer */
		if (i == 0) {
			*out = diff;
			continue;
		}
		snprintf(buf, sizeof(buf), "%s %s", out->str, diff.str);
		cb_sha256_buf(buf, strlen(buf), out);
	}
}

/* A snapshot as snapshot.c lays it out: fs/ and, above a base layer, parent. */
static void make_snapshot(const struct cb_digest *chain, const struct cb_digest *parent)
{
	char path[200], line[80];

	snprintf(path, sizeof(path), "store/snapshots/%s", cb_digest_hex(chain));
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "store/snapshots/%s/fs", cb_digest_hex(chain));
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "store/snapshots/%s/fs/file", cb_digest_hex(chain));
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
	if (parent) {
		snprintf(path, sizeof(path), "store/snapshots/%s/parent", cb_digest_hex(chain));
		snprintf(line, sizeof(line), "%s\n", parent->str);
		assert_int_equal(
			cb_write_file_atomic(AT_FDCWD, path, line, strlen(line), 0644, NULL), 0);
	}
}

static void test_prune_snapshots(void **state)
{
	const char *layers[] = {"base", "top"};
	struct layer_store *s = open_store("store");
	struct cb_digest m, c1, c2, orphan;
	struct layer_store_usage r;

	(void)state;
	put_image(s, "docker.io/library/two:1", layers, 2, NULL, &m);
	chain_of(layers, 1, &c1);
	chain_of(layers, 2, &c2);
	cb_sha256_buf("orphan", 6, &orphan);
	make_snapshot(&c1, NULL);
	make_snapshot(&c2, &c1);
	make_snapshot(&orphan, NULL);
	layer_store_close(s);
	s = open_store("store");
	r = prune(s, false, 0);
	assert_int_equal(r.snapshots, 1);
	assert_int_equal(count_entries("store/snapshots"), 2);
	assert_int_equal(count_entries("store/tmp"), 0); /* the trash is gone too */
	layer_store_close(s);
}

/* A build holds the top of a stack: the layers below stay, though untagged. */
static void test_leased_snapshot_keeps_parents(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_digest c1, c2;
	struct child c;
	char hex[80];

	(void)state;
	cb_sha256_buf("base", 4, &c1);
	cb_sha256_buf("lease me", 8, &c2); /* start_holder leases sha256("lease me") */
	make_snapshot(&c1, NULL);
	make_snapshot(&c2, &c1);
	layer_store_close(s);
	c = start_holder("lease me", true);
	child_wait_ready(&c);
	s = open_store("store");
	assert_int_equal(prune(s, true, 0).snapshots, 0);
	kill(c.pid, SIGKILL);
	child_reap(&c);
	assert_int_equal(prune(s, true, 0).snapshots, 2);
	snprintf(hex, sizeof(hex), "store/snapshots/%s", cb_digest_hex(&c1));
	assert_int_equal(access(hex, F_OK), -1);
	layer_store_close(s);
}

/* Writer i: 20 images over 10 shared layers, tags shared between writers. */
static void writer(int i)
{
	struct cb_error *err = NULL;
	struct layer_store *s = layer_store_open("store", &err);

	if (!s)
		_exit(3);
	for (int k = 0; k < 20; k++) {
		char l1[32], l2[32], name[64];
		const char *layers[] = {l1, l2};

		snprintf(l1, sizeof(l1), "shared layer %d", k % 10);
		snprintf(l2, sizeof(l2), "layer %d of %d", k, i);
		snprintf(name, sizeof(name), "localhost:5000/w%d/img:%d", i, k);
		put_image(s, name, layers, 2, NULL, NULL);
		snprintf(name, sizeof(name), "docker.io/library/shared:%d", k);
		put_image(s, name, layers, 1, NULL, NULL);
	}
	layer_store_close(s);
	_exit(0);
}

static void test_parallel_writers_and_pruner(void **state)
{
	struct layer_store *s = open_store("store");
	struct layer_store_tag *tags = NULL;
	struct cb_strvec report = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	pid_t pids[5];
	size_t n = 0;

	(void)state;
	layer_store_close(s);
	for (int i = 0; i < 5; i++) {
		pids[i] = test_fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0 && i < 4)
			writer(i);
		if (pids[i] == 0) {
			/* The pruner runs throughout: it must never take a writer's objects. */
			struct layer_store *p = layer_store_open("store", &err);

			for (int k = 0; p && k < 30; k++)
				if (prune(p, true, 0).blobs > 1000)
					_exit(5);
			layer_store_close(p);
			_exit(p ? 0 : 3);
		}
	}
	wait_children_ok(pids, 5);
	s = open_store("store");
	CHECK_OK(layer_store_tag_list(s, &tags, &n, E));
	assert_int_equal(n, 4 * 20 + 20);
	for (size_t i = 0; i < n; i++) {
		struct store_image img;

		CHECK_OK(layer_store_image_get(s, tags[i].name, &img, E));
		store_image_release(&img);
	}
	layer_store_tags_free(tags, n);
	assert_int_equal(layer_store_fsck(s, false, &report, &err), 0);
	cb_strvec_clear(&report);
	prune(s, true, 0);
	assert_int_equal(layer_store_fsck(s, false, &report, &err), 0);
	cb_strvec_clear(&report);
	layer_store_close(s);
}

CB_TEST_MAIN(cmocka_unit_test(test_prune_unreferenced),
	     cmocka_unit_test(test_lease_protects_across_processes),
	     cmocka_unit_test(test_lease_add_existing), cmocka_unit_test(test_cache_records),
	     cmocka_unit_test(test_keep_storage), cmocka_unit_test(test_usage),
	     cmocka_unit_test(test_prune_snapshots),
	     cmocka_unit_test(test_leased_snapshot_keeps_parents),
	     cmocka_unit_test(test_parallel_writers_and_pruner))
