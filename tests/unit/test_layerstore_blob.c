/*
 * test_layerstore_blob.c - the store's root and layout, leases, blob
 * writes (verify, mismatch, abort, dedup), reads that catch corruption, and
 * crash safety: a writer killed with SIGKILL leaves only a temp file, which
 * the next open removes while a live writer's temp file is left alone.
 */
#include "layerstore_testutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>

static void test_open_layout(void **state)
{
	struct layer_store *s;
	struct stat st;

	(void)state;
	s = open_store("store");
	assert_int_equal(stat("store", &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat("store/blobs/sha256", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(stat("store/snapshots", &st), 0);
	assert_int_equal(stat("store/layout", &st), 0);
	assert_int_equal(count_entries("store/leases"), 1);
	assert_string_equal(layer_store_root(s), "store");
	assert_true(layer_store_root_fd(s) >= 0);
	layer_store_close(s);
	assert_int_equal(count_entries("store/leases"), 0);
	layer_store_close(open_store("store")); /* reopen */
	layer_store_close(NULL);
}

static void test_open_refuses_foreign_dir(void **state)
{
	struct cb_error *err = NULL;

	(void)state;
	assert_int_equal(mkdir("home", 0755), 0);
	assert_int_equal(close(open("home/notes.txt", O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
	assert_null(layer_store_open("home", &err));
	assert_non_null(strstr(cb_error_msg(err), "not a cbuild store"));
	cb_error_free(&err);
	assert_int_equal(count_entries("home"), 1); /* untouched */

	assert_int_equal(mkdir("old", 0700), 0);
	assert_int_equal(
		cb_write_file_atomic(AT_FDCWD, "old/layout", "cbuild-store-v9\n", 16, 0644, &err),
		0);
	assert_null(layer_store_open("old", &err));
	assert_non_null(strstr(cb_error_msg(err), "another format"));
	cb_error_free(&err);
	assert_null(layer_store_open("", &err));
	cb_error_free(&err);
}

static void test_default_root(void **state)
{
	char *r;

	(void)state;
	setenv("CBUILD_ROOT", "/env/root", 1);
	r = layer_store_default_root("/flag/root");
	assert_string_equal(r, "/flag/root");
	free(r);
	r = layer_store_default_root(NULL);
	assert_string_equal(r, "/env/root");
	free(r);
	unsetenv("CBUILD_ROOT");
	setenv("XDG_DATA_HOME", "/xdg", 1);
	r = layer_store_default_root(NULL);
	assert_string_equal(r, geteuid() == 0 ? "/var/lib/cbuild" : "/xdg/cbuild");
	free(r);
}

static void test_blob_commit(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_error *err = NULL;
	struct blob_writer *w;
	struct cb_digest want, got;
	char *buf = NULL;
	size_t len = 0;
	int64_t size = 0;
	struct stat st;
	char path[200];

	(void)state;
	cb_sha256_buf("hello, world", 12, &want);
	w = layer_store_blob_create(s, &err);
	assert_non_null(w);
	CHECK_OK(blob_writer_write(w, "hello, ", 7, E));
	CHECK_OK(blob_writer_write(w, "world", 5, E));
	assert_int_equal(blob_writer_size(w), 12);
	assert_int_equal(count_entries("store/tmp"), 1);
	CHECK_OK(blob_writer_commit(w, &want, 12, &got, E));
	assert_string_equal(got.str, want.str);
	assert_int_equal(count_entries("store/tmp"), 0);
	assert_int_equal(layer_store_blob_exists(s, &want, &size, &err), 1);
	assert_int_equal(size, 12);
	CHECK_OK(layer_store_blob_read(s, &want, 100, &buf, &len, E));
	assert_int_equal(len, 12);
	assert_memory_equal(buf, "hello, world", 12);
	free(buf);
	snprintf(path, sizeof(path), "store/blobs/sha256/%s", cb_digest_hex(&want));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	/* The same content again: same name, one file, no temp left. */
	CHECK_OK(layer_store_blob_put(s, "hello, world", 12, &got, E));
	assert_string_equal(got.str, want.str);
	assert_int_equal(count_entries("store/blobs/sha256"), 1);
	assert_int_equal(count_entries("store/tmp"), 0);
	layer_store_close(s);
}

static void test_blob_mismatch(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_error *err = NULL;
	struct blob_writer *w;
	struct cb_digest other, got;

	(void)state;
	cb_sha256_buf("something else", 14, &other);
	w = layer_store_blob_create(s, &err);
	CHECK_OK(blob_writer_write(w, "data", 4, E));
	CHECK_FAILS(blob_writer_commit(w, &other, -1, &got, E), "blob digest mismatch");
	w = layer_store_blob_create(s, &err);
	CHECK_OK(blob_writer_write(w, "data", 4, E));
	CHECK_FAILS(blob_writer_commit(w, NULL, 5, &got, E), "expected 5 bytes, got 4");
	/* Nothing entered the store, nothing is left behind. */
	assert_int_equal(count_entries("store/blobs/sha256"), 0);
	assert_int_equal(count_entries("store/tmp"), 0);
	cb_sha256_buf("data", 4, &got);
	assert_false(blob_present(s, &got));
	w = layer_store_blob_create(s, &err);
	CHECK_OK(blob_writer_write(w, "data", 4, E));
	blob_writer_abort(w);
	blob_writer_abort(NULL);
	assert_int_equal(count_entries("store/tmp"), 0);
	assert_int_equal(count_entries("store/blobs/sha256"), 0);
	layer_store_close(s);
}

static void test_blob_read_errors(void **state)
{
	struct layer_store *s = open_store("store");
	struct cb_error *err = NULL;
	struct cb_digest d, missing;
	char *buf = NULL, path[200];
	size_t len = 0;
	int fd;

	(void)state;
	CHECK_OK(layer_store_blob_put(s, "0123456789", 10, &d, E));
	CHECK_FAILS(layer_store_blob_read(s, &d, 5, &buf, &len, E), "larger than 5 bytes");
	cb_sha256_buf("nope", 4, &missing);
	CHECK_FAILS(layer_store_blob_open(s, &missing, E), "is not in the store");
	assert_false(blob_present(s, &missing));
	/* Bit rot: reads notice, and say what to do. */
	snprintf(path, sizeof(path), "store/blobs/sha256/%s", cb_digest_hex(&d));
	assert_int_equal(chmod(path, 0644), 0);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_int_equal(write(fd, "X", 1), 1);
	close(fd);
	CHECK_FAILS(layer_store_blob_read(s, &d, 100, &buf, &len, E), "is corrupt");
	fd = layer_store_blob_open(s, &d, &err);
	assert_true(fd >= 0);
	close(fd);
	layer_store_close(s);
}

/* Child step: open the store and start a blob (after committing one, when asked). */
static int writer_step(void *ctx)
{
	bool commit_first = *(bool *)ctx;
	struct cb_error *err = NULL;
	struct layer_store *s = layer_store_open("store", &err);
	struct blob_writer *w = s ? layer_store_blob_create(s, &err) : NULL;
	char *big = xcalloc(1, 1 << 20);

	if (!w)
		return 3;
	if (commit_first && layer_store_blob_put(s, "kept", 4, NULL, &err) < 0)
		return 4;
	if (blob_writer_write(w, big, 1 << 20, &err) < 0)
		return 5;
	return 0;
}

/* Child: open the store, start a blob, say "ready", then wait forever. */
static struct child start_writer(bool commit_first)
{
	return child_start(writer_step, &commit_first);
}

static void test_crash_mid_write(void **state)
{
	struct child c = start_writer(false);
	struct layer_store *s;
	struct cb_strvec report = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	int status;

	(void)state;
	child_wait_ready(&c);
	assert_int_equal(count_entries("store/tmp"), 1);
	kill(c.pid, SIGKILL);
	status = child_reap(&c);
	assert_true(WIFSIGNALED(status));
	/* Only the temp file and the dead lease are left... */
	assert_int_equal(count_entries("store/tmp"), 1);
	assert_int_equal(count_entries("store/blobs/sha256"), 0);
	assert_int_equal(count_entries("store/leases"), 1);
	/* ...and the next open removes them. */
	s = open_store("store");
	assert_int_equal(count_entries("store/tmp"), 0);
	assert_int_equal(count_entries("store/leases"), 1); /* ours */
	assert_int_equal(layer_store_fsck(s, false, &report, &err), 0);
	cb_strvec_clear(&report);
	layer_store_close(s);
}

static void test_live_writer_untouched(void **state)
{
	struct child c = start_writer(true);
	struct layer_store *s;

	(void)state;
	child_wait_ready(&c);
	s = open_store("store");
	/* The child is alive: its temp file and lease stay. */
	assert_int_equal(count_entries("store/tmp"), 1);
	assert_int_equal(count_entries("store/leases"), 2);
	layer_store_close(s);
	kill(c.pid, SIGKILL);
	child_reap(&c);
	s = open_store("store");
	assert_int_equal(count_entries("store/tmp"), 0);
	assert_int_equal(count_entries("store/leases"), 1);
	/* What the child committed before dying is a whole blob. */
	assert_int_equal(count_entries("store/blobs/sha256"), 1);
	layer_store_close(s);
}

CB_TEST_MAIN(cmocka_unit_test(test_open_layout), cmocka_unit_test(test_open_refuses_foreign_dir),
	     cmocka_unit_test(test_default_root), cmocka_unit_test(test_blob_commit),
	     cmocka_unit_test(test_blob_mismatch), cmocka_unit_test(test_blob_read_errors),
	     cmocka_unit_test(test_crash_mid_write), cmocka_unit_test(test_live_writer_untouched))
