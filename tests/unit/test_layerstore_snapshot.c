/*
 * Snapshots (snapshot.c): OCI chain IDs, prepare (extract, verify the diff
 * ID, rename into place), the lowerdir stack, concurrent preparers, and
 * what a crash leaves behind.
 */
#include <signal.h>
#include <sys/wait.h>

#include "layertest.h"

static void test_chain_id(void **state)
{
	struct cb_digest a, b, c, c2, c3;
	struct cb_error *err = NULL;

	(void)state;
	assert_int_equal(
		cb_digest_parse("sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				"aaaaaaa",
				&a, &err),
		0);
	assert_int_equal(
		cb_digest_parse("sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
				"bbbbbbb",
				&b, &err),
		0);
	assert_int_equal(
		cb_digest_parse("sha256:ccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
				"ccccccc",
				&c, &err),
		0);
	layer_chain_id(NULL, &a, &c2);
	assert_string_equal(c2.str, a.str); /* the first layer's chain ID is its diff ID */
	layer_chain_id(&a, &b, &c2);
	assert_string_equal(
		c2.str, "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c");
	layer_chain_id(&c2, &c, &c3);
	assert_string_equal(
		c3.str, "sha256:c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588");
}

/* Two layers in a store at ./store: base (etc/a, etc/gone) and top (etc/b, whiteout). */
static struct layer_store *two_layers(struct layer_desc *l1, struct layer_desc *l2)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_store *s;
	int fd;

	lt_mkdirs("l1/etc");
	lt_write("l1/etc/a", "a\n");
	lt_write("l1/etc/gone", "to be deleted\n");
	lt_mkdirs("l2/etc");
	lt_write("l2/etc/b", "b\n");
	assert_int_equal(mknod("l2/etc/gone", S_IFCHR, makedev(0, 0)), 0);
	LT_OK((s = layer_store_open("store", err_)) ? 0 : -1);
	fd = lt_open_dir("l1");
	LT_OK(layer_store_diff(s, fd, &o, l1, err_));
	close(fd);
	o.overlay = true;
	o.compression = LAYER_ZSTD;
	fd = lt_open_dir("l2");
	LT_OK(layer_store_diff(s, fd, &o, l2, err_));
	close(fd);
	return s;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void test_prepare_and_lowerdirs(void **state)
{
	struct layer_desc l1, l2;
	struct layer_store *s;
	struct cb_digest c1, c2, again, want;
	struct cb_strvec dirs = CB_STRVEC_INIT;
	cleanup_free char *d1 = NULL, *d2 = NULL, *p = NULL, *q = NULL;
	struct stat st;
	int problems;

	(void)state;
	if (geteuid() != 0)
		skip();
	s = two_layers(&l1, &l2);
	LT_OK(layer_store_snapshot_prepare(s, NULL, &l1.digest, &l1.diff_id, &c1, err_));
	assert_string_equal(c1.str, l1.diff_id.str);
	LT_OK(layer_store_snapshot_prepare(s, &c1, &l2.digest, &l2.diff_id, &c2, err_));
	layer_chain_id(&c1, &l2.diff_id, &want);
	assert_string_equal(c2.str, want.str);
	/* Prepared already: no extraction, same answer; and without a diff ID too. */
	LT_OK(layer_store_snapshot_prepare(s, &c1, &l2.digest, &l2.diff_id, &again, err_));
	assert_string_equal(again.str, c2.str);
	LT_OK(layer_store_snapshot_prepare(s, &c1, &l2.digest, NULL, &again, err_));
	assert_string_equal(again.str, c2.str);

	LT_OK(layer_store_snapshot_lowerdirs(s, &c2, &dirs, err_));
	assert_int_equal(dirs.n, 2);
	d1 = layer_store_snapshot_dir(s, &c1);
	d2 = layer_store_snapshot_dir(s, &c2);
	assert_string_equal(dirs.v[0], d2); /* topmost first */
	assert_string_equal(dirs.v[1], d1);
	p = xasprintf("%s/etc/b", d2);
	assert_int_equal(lstat(p, &st), 0);
	q = xasprintf("%s/etc/gone", d2);
	assert_int_equal(lstat(q, &st), 0);
	assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	cb_strvec_clear(&dirs);
	/* Nothing left in tmp/, and fsck is happy with the snapshots. */
	assert_int_equal(count_entries("store/tmp"), 0);
	LT_OK(problems = layer_store_fsck(s, false, &dirs, err_));
	assert_int_equal(problems, 0);
	cb_strvec_clear(&dirs);
	layer_store_close(s);
}

/* What a layer_store_progress saw: calls, first and last done, what, the total. */
struct seen {
	int calls;
	int64_t first, last, total;
	char what[32];
	struct cb_digest layer;
};

static void record_progress(void *ctx, const char *what, const struct cb_digest *layer,
			    int64_t done, int64_t total)
{
	struct seen *s = ctx;

	if (!s->calls)
		s->first = done;
	s->calls++;
	s->last = done;
	s->total = total;
	snprintf(s->what, sizeof(s->what), "%s", what);
	s->layer = *layer;
}

/* Extracting a blob and compressing a snapshot-backed layer report start and end. */
static void test_progress(void **state)
{
	struct layer_store_progress p = {record_progress, NULL};
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct oci_descriptor in, out;
	struct layer_desc l1, l2, d;
	struct layer_store *s;
	struct cb_digest c1, c2;
	struct seen seen;
	cleanup_free char *scratch = NULL, *tree = NULL, *f = NULL, *blob = NULL;
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip();
	s = two_layers(&l1, &l2);
	memset(&seen, 0, sizeof(seen));
	p.ctx = &seen;
	layer_store_set_progress(s, &p);
	LT_OK(layer_store_snapshot_prepare(s, NULL, &l1.digest, &l1.diff_id, &c1, err_));
	assert_string_equal(seen.what, "extracting");
	assert_string_equal(seen.layer.str, l1.digest.str);
	assert_int_equal(seen.first, 0);
	assert_int_equal(seen.total, l1.size);
	assert_int_equal(seen.last, l1.size);
	assert_true(seen.calls >= 2);

	/* a build step's tree, committed snapshot-backed, then compressed to leave */
	LT_OK((scratch = layer_store_scratch_create(s, err_)) ? 0 : -1);
	tree = xasprintf("%s/t", scratch);
	assert_int_equal(mkdir(tree, 0755), 0);
	f = xasprintf("%s/f", tree);
	lt_write(f, "some file\n");
	o.overlay = true;
	LT_OK(layer_store_layer_commit(s, &c1, tree, &o, &d, &c2, err_));
	assert_string_equal(d.digest.str, d.diff_id.str);
	assert_int_equal(d.compression, LAYER_UNCOMPRESSED);
	memset(&seen, 0, sizeof(seen));
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.media_type = xstrdup(MEDIA_OCI_LAYER);
	in.digest = d.digest;
	in.size = d.size;
	LT_OK(layer_store_layer_gzip(s, &in, &out, err_));
	assert_string_equal(out.media_type, MEDIA_OCI_LAYER_GZIP);
	assert_string_equal(seen.what, "compressing");
	assert_int_equal(seen.first, 0);
	assert_int_equal(seen.last, d.size);
	assert_int_equal(seen.total, d.size);
	blob = xasprintf("store/blobs/sha256/%s", cb_digest_hex(&out.digest));
	assert_int_equal(lstat(blob, &st), 0);
	/* remembered: the second time compresses nothing */
	memset(&seen, 0, sizeof(seen));
	oci_descriptor_release(&out);
	LT_OK(layer_store_layer_gzip(s, &in, &out, err_));
	assert_int_equal(seen.calls, 0);
	oci_descriptor_release(&out);
	oci_descriptor_release(&in);
	layer_store_close(s);
}

static void test_diff_id_mismatch(void **state)
{
	struct layer_desc l1, l2;
	struct layer_store *s;
	struct cb_digest c;
	struct cb_error *err = NULL;

	(void)state;
	if (geteuid() != 0)
		skip();
	s = two_layers(&l1, &l2);
	/* the blob of layer 1 claimed to be layer 2 */
	assert_int_equal(layer_store_snapshot_prepare(s, NULL, &l1.digest, &l2.diff_id, &c, &err),
			 -1);
	assert_non_null(strstr(cb_error_msg(err), "has diff ID"));
	assert_non_null(strstr(cb_error_msg(err), l2.diff_id.str));
	cb_error_free(&err);
	assert_int_equal(count_entries("store/snapshots"), 0);
	assert_int_equal(count_entries("store/tmp"), 0);
	/* A parent that is not there is an error too. */
	assert_int_equal(layer_store_snapshot_prepare(s, &l2.diff_id, &l1.digest, NULL, &c, &err),
			 -1);
	assert_non_null(strstr(cb_error_msg(err), "is missing"));
	cb_error_free(&err);
	assert_int_equal(layer_store_snapshot_lowerdirs(s, &l1.diff_id,
							&(struct cb_strvec)CB_STRVEC_INIT, &err),
			 -1);
	cb_error_free(&err);
	layer_store_close(s);
}

/* Two processes prepare the same snapshot at once: both succeed, one copy stays. */
static void test_concurrent_prepare(void **state)
{
	struct layer_desc l1, l2;
	struct layer_store *s;
	pid_t pids[4];

	(void)state;
	if (geteuid() != 0)
		skip();
	s = two_layers(&l1, &l2);
	layer_store_close(s);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct cb_error *err = NULL;
			struct layer_store *cs = layer_store_open("store", &err);
			struct cb_digest c1, c2;

			if (!cs ||
			    layer_store_snapshot_prepare(cs, NULL, &l1.digest, &l1.diff_id, &c1,
							 &err) < 0 ||
			    layer_store_snapshot_prepare(cs, &c1, &l2.digest, &l2.diff_id, &c2,
							 &err) < 0) {
				fprintf(stderr, "child: %s\n", cb_error_msg(err));
				_exit(1);
			}
			layer_store_close(cs);
			_exit(0);
		}
	}
	for (int i = 0; i < 4; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(count_entries("store/snapshots"), 2);
	assert_int_equal(count_entries("store/tmp"), 0);
}

/* A preparer killed in the middle leaves a marked temp dir; the next open removes it. */
static void test_killed_preparer_cleaned(void **state)
{
	struct layer_desc l1, l2;
	struct layer_store *s;
	struct cb_strvec report = CB_STRVEC_INIT;
	pid_t pid;
	int status, problems;

	(void)state;
	if (geteuid() != 0)
		skip();
	/* a big layer, so that the kill lands during the extraction */
	lt_mkdirs("big");
	for (int i = 0; i < 2000; i++) {
		char p[32];

		snprintf(p, sizeof(p), "big/f%d", i);
		lt_write(p, "some content of a file in a big layer\n");
	}
	s = two_layers(&l1, &l2);
	{
		struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
		int fd = lt_open_dir("big");

		LT_OK(layer_store_diff(s, fd, &o, &l1, err_));
		close(fd);
	}
	layer_store_close(s);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct cb_error *err = NULL;
		struct layer_store *cs = layer_store_open("store", &err);
		struct cb_digest c;

		for (;;) /* until killed */
			if (!cs ||
			    layer_store_snapshot_prepare(cs, NULL, &l1.digest, NULL, &c, &err) < 0)
				_exit(1);
			else
				cb_rm_rf(AT_FDCWD, "store/snapshots", &err),
					mkdir("store/snapshots", 0700);
	}
	/*
	 * Until the preparer has a temp dir: a child that ends first (it failed)
	 * or a deadline ends the wait with a failure instead of spinning forever.
	 */
	for (int ms = 0; count_entries("store/tmp") == 0; ms++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail_msg("the preparer ended (status %#x) before it made a temp dir",
				 status);
		if (ms >= 30000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("no temp dir from the preparer after 30 s");
		}
		usleep(1000);
	}
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	LT_OK((s = layer_store_open("store", err_)) ? 0 : -1);
	assert_int_equal(count_entries("store/tmp"), 0);
	LT_OK(problems = layer_store_fsck(s, false, &report, err_));
	assert_int_equal(problems, 0);
	cb_strvec_clear(&report);
	layer_store_close(s);
}

/* A hostile layer in the store: prepare refuses it, nothing escapes, the store stays clean. */
static void test_hostile_layer_refused(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};
	struct layer_store *s;
	struct blob_writer *w;
	struct cb_digest blob, c;
	struct cb_strvec report = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	size_t len;
	cleanup_free char *buf = NULL;
	int problems;

	(void)state;
	lt_sentinel();
	lt_tar_add(&t, "evil", '2', 0777, NULL, 0, "../../../../../outside", -1);
	lt_tar_file(&t, "evil/sentinel", "pwned\n");
	lt_tar_save(&t, "evil.tar");
	buf = cb_test_read_file("evil.tar", &len);
	LT_OK((s = layer_store_open("store", err_)) ? 0 : -1);
	LT_OK((w = layer_store_blob_create(s, err_)) ? 0 : -1);
	LT_OK(blob_writer_write(w, buf, len, err_));
	LT_OK(blob_writer_commit(w, NULL, -1, &blob, err_));
	assert_int_equal(layer_store_snapshot_prepare(s, NULL, &blob, NULL, &c, &err), -1);
	if (!strstr(cb_error_msg(err), "`evil`: a symlink on the way points outside the root"))
		fail_msg("%s", cb_error_msg(err));
	cb_error_free(&err);
	lt_sentinel_ok();
	assert_int_equal(count_entries("store/snapshots"), 0);
	assert_int_equal(count_entries("store/tmp"), 0);
	LT_OK(problems = layer_store_fsck(s, false, &report, err_));
	assert_int_equal(problems, 0);
	cb_strvec_clear(&report);
	layer_store_close(s);
}

CB_TEST_MAIN(cmocka_unit_test(test_chain_id), cmocka_unit_test(test_hostile_layer_refused),
	     cmocka_unit_test(test_prepare_and_lowerdirs), cmocka_unit_test(test_diff_id_mismatch),
	     cmocka_unit_test(test_concurrent_prepare),
	     cmocka_unit_test(test_killed_preparer_cleaned), cmocka_unit_test(test_progress))
