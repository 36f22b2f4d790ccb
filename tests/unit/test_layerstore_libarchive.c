/*
 * libarchive loaded on first use (archive-dl.c): cbuild is not linked with
 * it, so a process that never touches a tar never maps it (nor libxml2,
 * ICU, ...); the first layer operation loads it, privately (RTLD_LOCAL: its
 * symbols stay out of the global scope) and without exporting cbuild's
 * forwarders; a library that cannot be loaded, or lacks a function, makes
 * every layer operation fail with "load `...`: ..." instead of crashing.
 *
 * The load happens once per process, so each case runs its checks in a
 * forked child: the cases hold when the binary runs them all in one
 * process too.  The child reports with messages on stderr and its exit
 * status (cmocka's asserts belong to the parent).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <sys/wait.h>

#include "layertest.h"

/* A layer of directory dir into file out, without cmocka (for children). */
static int diff_to(const char *dir, const char *out, struct cb_error **err)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_desc d;
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct layer_sink sink = {layer_sink_fd_write, &ofd};

	if (dfd < 0 || ofd < 0)
		return cb_error_set(err, errno, "open");
	return layer_diff_write(dfd, &o, &sink, &d, err);
}

/* Apply the layer in file in to directory root. */
static int apply_from(const char *in, const char *root, struct cb_error **err)
{
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	struct cb_digest id;
	cleanup_close int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int ifd = open(in, O_RDONLY | O_CLOEXEC);

	if (rfd < 0 || ifd < 0)
		return cb_error_set(err, errno, "open");
	return layer_apply(rfd, ifd, &o, &id, err);
}

/*
 * In a new directory `dir` (the cases share one when the binary runs them
 * all), a tree and a tar of it written by hand (no libarchive needed).
 */
static void make_inputs(const char *dir)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	lt_mkdirs(dir);
	assert_int_equal(chdir(dir), 0);
	lt_mkdirs("src/etc");
	lt_write("src/etc/hostname", "box\n");
	lt_mkdirs("dst");
	lt_tar_add(&t, "etc/", '5', 0755, NULL, 0, NULL, -1);
	lt_tar_file(&t, "etc/hostname", "box\n");
	lt_tar_save(&t, "layer.tar");
}

static int loaded_on_first_use(void)
{
	struct cb_error *err = NULL;

	/* Not linked: nothing of libarchive or of its dependencies at start. */
	CB_CHILD_CHECK(!cb_test_mapped("libarchive.so"));
	CB_CHILD_CHECK(!cb_test_mapped("libxml2.so"));
	/* Nor exported by this executable: libarchive could call into it. */
	CB_CHILD_CHECK(dlsym(RTLD_DEFAULT, "archive_read_new") == NULL);
	CB_CHILD_CHECK(dlsym(RTLD_DEFAULT, "archive_entry_pathname") == NULL);

	CB_CHILD_CHECK(diff_to("src", "out.tar", &err) == 0);
	CB_CHILD_CHECK(cb_test_mapped("libarchive.so"));
	CB_CHILD_CHECK(apply_from("layer.tar", "dst", &err) == 0);
	CB_CHILD_CHECK(faccessat(AT_FDCWD, "dst/etc/hostname", F_OK, 0) == 0);
	/* Loaded privately: still nothing of it in the global scope. */
	CB_CHILD_CHECK(dlsym(RTLD_DEFAULT, "archive_read_new") == NULL);
	return 0;
}

static void test_loaded_on_first_use(void **state)
{
	(void)state;
	make_inputs("lazy");
	cb_test_in_child(loaded_on_first_use);
}

/* err says "<context>load `<lib>`: <dlerror's reason containing why>", then is freed. */
static int says_load_failed(struct cb_error **err, const char *lib, const char *why)
{
	cleanup_free char *want = xasprintf("load `%s`: ", lib);
	bool ok = *err && strstr((*err)->msg, want) && strstr((*err)->msg, why);

	if (!ok)
		fprintf(stderr, "unexpected error: %s\n", cb_error_msg(*err));
	cb_error_free(err);
	return ok;
}

static const char *inject_lib, *inject_why;

/* Every way into libarchive fails cleanly when CB_LIBARCHIVE cannot be used. */
static int fails_cleanly(void)
{
	struct cb_error *err = NULL;
	struct layer_store *s = NULL;
	struct cb_strvec loaded = {0};
	struct stat st;
	int fd;

	setenv("CB_LIBARCHIVE", inject_lib, 1);
	CB_CHILD_CHECK(diff_to("src", "out.tar", &err) < 0);
	CB_CHILD_CHECK(says_load_failed(&err, inject_lib, inject_why));
	CB_CHILD_CHECK(apply_from("layer.tar", "dst", &err) < 0);
	CB_CHILD_CHECK(strncmp(cb_error_msg(err), "apply layer: ", 13) == 0);
	CB_CHILD_CHECK(says_load_failed(&err, inject_lib, inject_why));
	/* The constructors, for code that did not ask first. */
	CB_CHILD_CHECK(archive_read_new() == NULL);
	CB_CHILD_CHECK(archive_write_new() == NULL);
	CB_CHILD_CHECK(archive_entry_new() == NULL);

	/* The store's users: import (tar in and tar out) and load. */
	s = layer_store_open("store", &err);
	CB_CHILD_CHECK(s != NULL);
	fd = open("layer.tar", O_RDONLY | O_CLOEXEC);
	CB_CHILD_CHECK(fd >= 0);
	CB_CHILD_CHECK(layer_store_import(s, fd, "imported:latest", NULL, NULL, &err) < 0);
	CB_CHILD_CHECK(says_load_failed(&err, inject_lib, inject_why));
	CB_CHILD_CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CB_CHILD_CHECK(layer_store_load(s, fd, NULL, &loaded, &err) < 0);
	CB_CHILD_CHECK(says_load_failed(&err, inject_lib, inject_why));
	CB_CHILD_CHECK(loaded.n == 0);
	close(fd);
	layer_store_close(s);
	/* Nothing was written: no layer bytes, nothing extracted. */
	CB_CHILD_CHECK(stat("out.tar", &st) == 0 && st.st_size == 0);
	CB_CHILD_CHECK(faccessat(AT_FDCWD, "dst/etc", F_OK, 0) < 0 && errno == ENOENT);
	return 0;
}

static void test_load_failure(void **state)
{
	(void)state;
	make_inputs("missing");
	inject_lib = "/nonexistent/libarchive.so.13";
	inject_why = "No such file or directory";
	cb_test_in_child(fails_cleanly);
}

/* A library that loads but is not libarchive: refused whole, not half used. */
static void test_load_missing_functions(void **state)
{
	(void)state;
	make_inputs("not-libarchive");
	inject_lib = "libz.so.1";
	inject_why = "undefined symbol: archive_";
	cb_test_in_child(fails_cleanly);
}

CB_TEST_MAIN(cmocka_unit_test(test_loaded_on_first_use), cmocka_unit_test(test_load_failure),
	     cmocka_unit_test(test_load_missing_functions))
