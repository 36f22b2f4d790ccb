/*
 * layerstore_testutil.h - helpers for the test_layerstore_* store-core
 * tests: open a store in the test's temp dir, make fake layers and images,
 * run a step in a child process and synchronise with it through a pipe.
 */
#ifndef CB_TESTS_LAYERSTORE_TESTUTIL_H
#define CB_TESTS_LAYERSTORE_TESTUTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbtest.h"
#include "cleanup.h"
#include "fsutil.h"
#include "layerstore.h"
#include "xalloc.h"

#define UNUSED __attribute__((unused))

/* Fail the test with the error's message when ret < 0. */
#define CHECK_OK(call)                                                                             \
	do {                                                                                       \
		struct cb_error *e_ = NULL;                                                        \
		struct cb_error **E = &e_;                                                         \
		if ((call) < 0)                                                                    \
			fail_msg("%s: %s", #call, cb_error_msg(e_));                               \
		(void)E;                                                                           \
	} while (0)

static UNUSED struct layer_store *open_store(const char *root)
{
	struct cb_error *err = NULL;
	struct layer_store *s = layer_store_open(root, &err);

	if (!s)
		fail_msg("open %s: %s", root, cb_error_msg(err));
	return s;
}

/* Expect call to fail with a message containing want. */
#define CHECK_FAILS(call, want)                                                                    \
	do {                                                                                       \
		struct cb_error *e_ = NULL;                                                        \
		struct cb_error **E = &e_;                                                         \
		if ((call) >= 0)                                                                   \
			fail_msg("%s succeeded; want an error with `%s`", #call, want);            \
		if (!e_ || !strstr(e_->msg, want))                                                 \
			fail_msg("%s: error `%s` lacks `%s`", #call, cb_error_msg(e_), want);      \
		cb_error_free(&e_);                                                                \
	} while (0)

/* A fake "layer": any bytes will do for the store core. */
static UNUSED void put_layer(struct layer_store *s, const char *content, struct layer_desc *l)
{
	struct cb_error *err = NULL;

	memset(l, 0, sizeof(*l));
	if (layer_store_blob_put(s, content, strlen(content), &l->digest, &err) < 0)
		fail_msg("put layer: %s", cb_error_msg(err));
	cb_sha256_buf(content, strlen(content) + 1, &l->diff_id); /* any distinct digest */
	l->size = (int64_t)strlen(content);
	l->compression = LAYER_GZIP;
}

/* Store an image of n fake layers named by contents[], tagged name (may be NULL). */
static UNUSED void put_image(struct layer_store *s, const char *name, const char *const *contents,
			     size_t n, const char *created, struct cb_digest *manifest)
{
	struct image_config c;
	struct layer_desc *layers = xcalloc(n + 1, sizeof(*layers));
	struct cb_error *err = NULL;

	memset(&c, 0, sizeof(c));
	c.created = xstrdup(created ? created : "2024-01-02T03:04:05Z");
	c.platform.os = xstrdup("linux");
	c.platform.architecture = xstrdup("amd64");
	cb_strvec_push(&c.env, "PATH=/usr/bin");
	for (size_t i = 0; i < n; i++) {
		put_layer(s, contents[i], &layers[i]);
		cb_strvec_push(&c.diff_ids, layers[i].diff_id.str);
	}
	if (layer_store_image_put(s, &c, layers, n, name, manifest, &err) < 0)
		fail_msg("put image: %s", cb_error_msg(err));
	image_config_release(&c);
	free(layers);
}

static UNUSED bool blob_present(struct layer_store *s, const struct cb_digest *d)
{
	struct cb_error *err = NULL;
	int ret = layer_store_blob_exists(s, d, NULL, &err);

	if (ret < 0)
		fail_msg("exists: %s", cb_error_msg(err));
	return ret == 1;
}

static UNUSED size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/*
 * fork() for tests: the child dies with the test process, so a failed
 * assertion never leaves a paused child holding CTest's output pipe.
 */
static UNUSED pid_t test_fork(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
		_exit(9);
	return pid;
}

/* Wait for the n children of pids (test_fork); each must have exited 0. */
static UNUSED void wait_children_ok(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++) {
		int status = 0;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

/* A child that signals readiness by writing one byte to the pipe. */
struct child {
	pid_t pid;
	int ready; /* read end */
};

static UNUSED void child_wait_ready(struct child *c)
{
	char b;

	assert_int_equal(read(c->ready, &b, 1), 1);
}

/*
 * Fork a child that runs step (0, or the status to exit with when it
 * failed), says "ready" through a pipe and then waits to be killed.
 */
static UNUSED struct child child_start(int (*step)(void *ctx), void *ctx)
{
	struct child c;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	c.pid = test_fork();
	if (c.pid == 0) {
		int rc = step(ctx);

		if (rc)
			_exit(rc);
		if (write(p[1], "r", 1) != 1)
			_exit(9);
		for (;;)
			pause();
	}
	close(p[1]);
	c.ready = p[0];
	return c;
}

static UNUSED int child_reap(struct child *c)
{
	int status = 0;

	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	close(c->ready);
	return status;
}

/* layer_store_fsck, or the case fails with its error: the number of problems. */
static UNUSED int fsck_ok(struct layer_store *s, bool rebuild, struct cb_strvec *report)
{
	struct cb_error *err = NULL;
	int n = layer_store_fsck(s, rebuild, report, &err);

	if (n < 0)
		fail_msg("fsck: %s", cb_error_msg(err));
	return n;
}

/* Whether a line of fsck's report contains want. */
static UNUSED bool report_has(const struct cb_strvec *r, const char *want)
{
	for (size_t i = 0; i < r->n; i++)
		if (strstr(r->v[i], want))
			return true;
	return false;
}

#endif
