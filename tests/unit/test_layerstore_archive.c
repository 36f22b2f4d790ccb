/*
 * Save, load and import (archive-*.c): round trips through both archive
 * formats, reproducible saves, refusal of corrupt archives (nothing tagged,
 * the store clean), and rootfs tarballs turned into base images.
 */
#include "layertest.h"

/* A one-layer image "docker.io/library/t:1" in the store at path. */
static struct layer_store *store_with_image(const char *path, struct cb_digest *manifest)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_store *s;
	struct lt_tar t = {CB_STRBUF_INIT};
	int fd;

	lt_tar_add(&t, "etc/", '5', 0755, NULL, 0, NULL, -1);
	lt_tar_file(&t, "etc/os-release", "ID=test\n");
	lt_tar_add(&t, "bin/", '5', 0755, NULL, 0, NULL, -1);
	lt_tar_add(&t, "bin/sh", '2', 0777, NULL, 0, "busybox", -1);
	lt_tar_save(&t, "rootfs.tar");
	LT_OK((s = layer_store_open(path, err_)) ? 0 : -1);
	fd = open("rootfs.tar", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	o.source_date_epoch = 0;
	LT_OK(layer_store_import(s, fd, "docker.io/library/t:1", &o, manifest, err_));
	close(fd);
	return s;
}

static void save_to(struct layer_store *s, const char *name, enum image_archive_format f,
		    const char *path)
{
	const char *names[] = {name};
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	LT_OK(layer_store_save(s, names, 1, f, fd, err_));
	close(fd);
}

static int load_from(struct layer_store *s, const char *path, struct cb_strvec *loaded,
		     struct cb_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	assert_true(fd >= 0);
	ret = layer_store_load(s, fd, NULL, loaded, err);
	close(fd);
	return ret;
}

static void assert_clean(struct layer_store *s)
{
	struct cb_strvec report = CB_STRVEC_INIT;
	int problems;

	LT_OK(problems = layer_store_fsck(s, false, &report, err_));
	if (problems)
		fail_msg("fsck: %s", report.n ? report.v[0] : "?");
	cb_strvec_clear(&report);
}

static void test_import(void **state)
{
	struct cb_digest md;
	struct store_image img;
	struct layer_store *s = store_with_image("store", &md);

	(void)state;
	LT_OK(layer_store_image_get(s, "docker.io/library/t:1", &img, err_));
	assert_string_equal(img.manifest_digest.str, md.str);
	assert_int_equal(img.manifest.nlayers, 1);
	assert_string_equal(img.manifest.layers[0].media_type, MEDIA_OCI_LAYER_GZIP);
	assert_string_equal(img.config.platform.os, "linux");
	assert_non_null(img.config.platform.architecture);
	assert_string_equal(img.config.created, "1970-01-01T00:00:00Z");
	assert_int_equal(img.config.diff_ids.n, 1);
	store_image_release(&img);
	/* The same tarball, the same time: the same image. */
	{
		struct cb_digest again;
		struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
		int fd = open("rootfs.tar", O_RDONLY | O_CLOEXEC);

		o.source_date_epoch = 0;
		LT_OK(layer_store_import(s, fd, "docker.io/library/t:2", &o, &again, err_));
		close(fd);
		assert_string_equal(again.str, md.str);
	}
	assert_clean(s);
	layer_store_close(s);
}

static void test_import_refuses_escapes(void **state)
{
	struct layer_store *s;
	struct lt_tar t = {CB_STRBUF_INIT};
	struct cb_digest md;
	struct cb_error *err = NULL;
	int fd;

	(void)state;
	lt_tar_file(&t, "etc/ok", "fine\n");
	lt_tar_add(&t, "etc/passwd", '1', 0644, NULL, 0, "../../etc/passwd", -1);
	lt_tar_save(&t, "bad.tar");
	LT_OK((s = layer_store_open("store", err_)) ? 0 : -1);
	fd = open("bad.tar", O_RDONLY | O_CLOEXEC);
	assert_int_equal(layer_store_import(s, fd, "docker.io/library/bad:1", NULL, &md, &err), -1);
	close(fd);
	assert_non_null(strstr(cb_error_msg(err), "`..` is not allowed"));
	cb_error_free(&err);
	assert_int_equal(layer_store_tag_get(s, "docker.io/library/bad:1", &md, &err), 0);
	assert_clean(s);
	layer_store_close(s);
}

static void round_trip(enum image_archive_format f)
{
	struct cb_digest md, got;
	struct layer_store *a = store_with_image("a", &md), *b;
	struct cb_strvec loaded = CB_STRVEC_INIT;
	struct store_image ia, ib;

	save_to(a, "docker.io/library/t:1", f, "out.tar");
	LT_OK((b = layer_store_open("b", err_)) ? 0 : -1);
	LT_OK(load_from(b, "out.tar", &loaded, err_));
	assert_int_equal(loaded.n, 1);
	assert_string_equal(loaded.v[0], f == IMAGE_ARCHIVE_OCI ? "docker.io/library/t:1" : "t:1");
	LT_OK(layer_store_image_get(a, "docker.io/library/t:1", &ia, err_));
	LT_OK(layer_store_image_get(b, loaded.v[0], &ib, err_));
	/* The same image: the same config (image ID) and diff IDs. */
	assert_string_equal(ia.manifest.config.digest.str, ib.manifest.config.digest.str);
	assert_string_equal(ia.config.diff_ids.v[0], ib.config.diff_ids.v[0]);
	if (f == IMAGE_ARCHIVE_OCI) {
		assert_int_equal(layer_store_tag_get(b, loaded.v[0], &got, NULL), 1);
		assert_string_equal(got.str, md.str); /* the very same manifest */
	} else {
		/* docker-archive layers are plain tars: the blob is the diff ID */
		assert_string_equal(ib.manifest.layers[0].digest.str, ib.config.diff_ids.v[0]);
	}
	store_image_release(&ia);
	store_image_release(&ib);
	assert_clean(b);
	cb_strvec_clear(&loaded);
	layer_store_close(a);
	layer_store_close(b);
}

static void test_roundtrip_oci(void **state)
{
	(void)state;
	round_trip(IMAGE_ARCHIVE_OCI);
}

static void test_roundtrip_docker(void **state)
{
	(void)state;
	round_trip(IMAGE_ARCHIVE_DOCKER);
}

static void test_save_reproducible(void **state)
{
	struct cb_digest md, d1, d2;
	struct layer_store *s = store_with_image("store", &md);

	(void)state;
	save_to(s, "docker.io/library/t:1", IMAGE_ARCHIVE_OCI, "a.tar");
	save_to(s, "docker.io/library/t:1", IMAGE_ARCHIVE_OCI, "b.tar");
	lt_file_digest("a.tar", &d1);
	lt_file_digest("b.tar", &d2);
	assert_string_equal(d1.str, d2.str);
	save_to(s, "docker.io/library/t:1", IMAGE_ARCHIVE_DOCKER, "a.tar");
	save_to(s, "docker.io/library/t:1", IMAGE_ARCHIVE_DOCKER, "b.tar");
	lt_file_digest("a.tar", &d1);
	lt_file_digest("b.tar", &d2);
	assert_string_equal(d1.str, d2.str);
	layer_store_close(s);
}

/* Flip one byte of the last blob of an OCI archive: the load fails, nothing is tagged. */
static void test_corrupt_archive_refused(void **state)
{
	struct cb_digest md, got;
	struct layer_store *a = store_with_image("a", &md), *b;
	struct cb_strvec loaded = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	size_t len;
	cleanup_free char *buf = NULL;
	int fd;

	(void)state;
	save_to(a, "docker.io/library/t:1", IMAGE_ARCHIVE_OCI, "out.tar");
	buf = cb_test_read_file("out.tar", &len);
	{
		struct store_image img;
		cleanup_free char *member = NULL;
		char *hdr;

		LT_OK(layer_store_image_get(a, "docker.io/library/t:1", &img, err_));
		member =
			xasprintf("blobs/sha256/%s", cb_digest_hex(&img.manifest.layers[0].digest));
		store_image_release(&img);
		hdr = memmem(buf, len, member, strlen(member));
		assert_non_null(hdr);
		hdr[512 + 20] ^= 0x01; /* inside the layer's data */
	}
	fd = open("bad.tar", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_int_equal(cb_write_all(fd, buf, len, &err), 0);
	close(fd);
	LT_OK((b = layer_store_open("b", err_)) ? 0 : -1);
	assert_int_equal(load_from(b, "bad.tar", &loaded, &err), -1);
	if (!strstr(cb_error_msg(err), "blob digest mismatch"))
		fail_msg("%s", cb_error_msg(err));
	cb_error_free(&err);
	assert_int_equal(loaded.n, 0);
	assert_int_equal(layer_store_tag_get(b, "docker.io/library/t:1", &got, &err), 0);
	assert_clean(b);
	layer_store_close(a);
	layer_store_close(b);
}

static void test_not_an_archive(void **state)
{
	struct layer_store *s;
	struct cb_strvec loaded = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	lt_tar_file(&t, "hello.txt", "just a tar\n");
	lt_tar_save(&t, "x.tar");
	LT_OK((s = layer_store_open("store", err_)) ? 0 : -1);
	assert_int_equal(load_from(s, "x.tar", &loaded, &err), -1);
	assert_string_equal(cb_error_msg(err), "load: neither an OCI archive (index.json) nor a "
					       "docker-archive (manifest.json)");
	cb_error_free(&err);
	layer_store_close(s);
}

CB_TEST_MAIN(cmocka_unit_test(test_import), cmocka_unit_test(test_import_refuses_escapes),
	     cmocka_unit_test(test_roundtrip_oci), cmocka_unit_test(test_roundtrip_docker),
	     cmocka_unit_test(test_save_reproducible),
	     cmocka_unit_test(test_corrupt_archive_refused), cmocka_unit_test(test_not_an_archive))
