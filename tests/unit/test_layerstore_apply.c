/*
 * Layer apply (tarapply.c, pathwalk.c) against hostile layers: each is
 * refused with a clear error and leaves the sentinel outside the root
 * alone.  And the legitimate cases hostile-layer defences tend to break:
 * in-root symlinks such as lib -> usr/lib, "./" names, replaced entries.
 */
#include <sched.h>
#include <sys/wait.h>

#include "layertest.h"

/* Apply the tar in l.tar into root/; 0 or -1 with *msg (caller frees). */
static int apply(const struct layer_apply_opts *o, char **msg)
{
	struct cb_error *err = NULL;
	struct cb_digest d;
	int ret = lt_apply("l.tar", "root", o, &d, &err);

	*msg = ret < 0 ? xstrdup(cb_error_msg(err)) : NULL;
	cb_error_free(&err);
	return ret;
}

/* The tar in t must be refused with a message containing want. */
static void refused(struct lt_tar *t, const char *want)
{
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	cleanup_free char *msg = NULL;

	lt_sentinel();
	lt_tar_save(t, "l.tar");
	assert_int_equal(apply(&o, &msg), -1);
	if (!strstr(msg, want))
		fail_msg("error `%s` lacks `%s`", msg, want);
	lt_sentinel_ok();
}

static void test_dotdot_name(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	lt_tar_file(&t, "../outside/sentinel", "pwned\n");
	refused(&t, "entry `../outside/sentinel`: `..` is not allowed in names");
}

static void test_dotdot_inside_name(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	lt_tar_file(&t, "a/../../outside/x", "pwned\n");
	refused(&t, "`..` is not allowed");
}

static void test_absolute_name(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};
	cleanup_free char *cwd = getcwd(NULL, 0);
	cleanup_free char *abs = xasprintf("%s/outside/sentinel", cwd);

	(void)state;
	if (strlen(abs) >= 100)
		skip();
	lt_tar_file(&t, abs, "pwned\n");
	refused(&t, "absolute names are not allowed");
}

/* A symlink out of the root, then a file written through it. */
static void test_symlink_then_write_through(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	lt_tar_add(&t, "evil", '2', 0777, NULL, 0, "../outside", -1);
	lt_tar_file(&t, "evil/sentinel", "pwned\n");
	refused(&t, "`evil`: a symlink on the way points outside the root");
}

/* Deeper: the escaping link is a directory component further down. */
static void test_symlink_nested_escape(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	lt_tar_add(&t, "a/", '5', 0755, NULL, 0, NULL, -1);
	lt_tar_add(&t, "a/b", '2', 0777, NULL, 0, "../../outside", -1);
	lt_tar_file(&t, "a/b/new", "pwned\n");
	refused(&t, "points outside the root");
}

/* An absolute link is read with the root as "/": the write stays inside. */
static void test_absolute_symlink_confined(void **state)
{
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	struct lt_tar t = {CB_STRBUF_INIT};
	cleanup_free char *msg = NULL;
	cleanup_free char *cwd = getcwd(NULL, 0);
	cleanup_free char *target = xasprintf("%s/outside", cwd);
	cleanup_free char *inside = NULL;

	(void)state;
	if (strlen(target) >= 100)
		skip();
	lt_sentinel();
	lt_tar_add(&t, "evil", '2', 0777, NULL, 0, target, -1);
	lt_tar_file(&t, "evil/sentinel", "stays in the root\n");
	lt_tar_save(&t, "l.tar");
	assert_int_equal(apply(&o, &msg), 0);
	lt_sentinel_ok();
	inside = xasprintf("root%s/sentinel", target);
	cleanup_free char *got = lt_read(inside);
	assert_non_null(got);
	assert_string_equal(got, "stays in the root\n");
}

/* Symlink loops and long chains end with ELOOP, not a hang or a crash. */
static void test_symlink_loop(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	lt_tar_add(&t, "a", '2', 0777, NULL, 0, "b", -1);
	lt_tar_add(&t, "b", '2', 0777, NULL, 0, "a", -1);
	lt_tar_file(&t, "a/x", "loop\n");
	refused(&t, "symlink chain through");
}

static void test_symlink_chain(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};
	char name[16], target[16];

	(void)state;
	/* l0 -> l1 -> ... -> l59 -> ../outside: refused long before the end */
	for (int i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		snprintf(target, sizeof(target), "l%d", i + 1);
		lt_tar_add(&t, name, '2', 0777, NULL, 0, i == 59 ? "../outside" : target, -1);
	}
	lt_tar_file(&t, "l0/sentinel", "pwned\n");
	refused(&t, "Too many levels of symbolic links");
}

/* A short chain ending outside is refused at the escape. */
static void test_symlink_chain_escape(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	lt_tar_add(&t, "a", '2', 0777, NULL, 0, "b", -1);
	lt_tar_add(&t, "b", '2', 0777, NULL, 0, "c/..", -1);
	lt_tar_add(&t, "c/", '5', 0755, NULL, 0, NULL, -1);
	lt_tar_add(&t, "d", '2', 0777, NULL, 0, "a/../outside", -1);
	lt_tar_file(&t, "d/sentinel", "pwned\n");
	refused(&t, "points outside the root");
}

static void test_hardlink_to_host_file(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	lt_tar_add(&t, "passwd", '1', 0644, NULL, 0, "../outside/sentinel", -1);
	refused(&t, "entry `passwd`: hardlink target: entry `../outside/sentinel`: `..` is not "
		    "allowed");
}

static void test_hardlink_absolute(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	lt_tar_add(&t, "shadow", '1', 0644, NULL, 0, "/etc/shadow", -1);
	refused(&t, "hardlink target: entry `/etc/shadow`: absolute names are not allowed");
}

/* Through a symlinked directory: the link target's escape is caught too. */
static void test_hardlink_through_symlink(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	lt_tar_add(&t, "out", '2', 0777, NULL, 0, "../outside", -1);
	lt_tar_add(&t, "grab", '1', 0644, NULL, 0, "out/sentinel", -1);
	refused(&t, "hardlink target `out/sentinel`: `out`: a symlink on the way points outside");
}

static void test_huge_declared_size(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	/* 1 TiB announced, nothing behind it */
	lt_tar_add(&t, "big", '0', 0644, NULL, 0, NULL, 1LL << 40);
	refused(&t, "entry `big`: declared size 1099511627776 exceeds the layer limit");
}

static void test_size_limit(void **state)
{
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	struct lt_tar t = {CB_STRBUF_INIT};
	cleanup_free char *msg = NULL;
	char data[4096];

	(void)state;
	memset(data, 'x', sizeof(data));
	for (int i = 0; i < 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "f%d", i);
		lt_tar_add(&t, name, '0', 0644, data, sizeof(data), NULL, -1);
	}
	lt_tar_save(&t, "l.tar");
	o.max_bytes = 10000;
	assert_int_equal(apply(&o, &msg), -1);
	/* the declared sizes or the tar stream, whichever check trips first */
	assert_non_null(strstr(msg, "exceeds the layer limit of 10000"));
}

static void test_entry_count_limit(void **state)
{
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	struct lt_tar t = {CB_STRBUF_INIT};
	cleanup_free char *msg = NULL;

	(void)state;
	for (int i = 0; i < 20; i++) {
		char name[8];

		snprintf(name, sizeof(name), "e%d", i);
		lt_tar_file(&t, name, "");
	}
	lt_tar_save(&t, "l.tar");
	o.max_entries = 10;
	assert_int_equal(apply(&o, &msg), -1);
	assert_non_null(strstr(msg, "layer has more than 10 entries"));
	o.max_entries = 20;
	free(msg);
	msg = NULL;
	assert_int_equal(apply(&o, &msg), 0);
}

/* A gzip bomb: a few KiB that inflate to more than the limit. */
static void test_compression_bomb(void **state)
{
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	struct layer_diff_opts d = LAYER_DIFF_OPTS_INIT;
	struct layer_desc desc;
	cleanup_free char *msg = NULL;
	struct cb_error *err = NULL;
	int fd;

	(void)state;
	lt_mkdirs("src");
	fd = open("src/zeros", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 256 << 20), 0); /* sparse: cheap to make */
	close(fd);
	LT_OK(lt_diff("src", &d, "l.tar", &desc, err_));
	assert_true(desc.size < (2 << 20));
	o.max_bytes = 16 << 20;
	assert_int_equal(apply(&o, &msg), -1);
	assert_non_null(strstr(msg, "exceeds the layer limit"));
	(void)err;
}

/* Devices need real root; root in a user namespace is not. */
static void test_device_refused_without_root(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};
	char why[256];
	pid_t pid;
	int status;

	(void)state;
	if (!cb_test_kernel_userns(geteuid() != 0, why, sizeof(why)))
		cb_test_not_applicable_exit("root in a user namespace: %s", why);
	lt_sentinel();
	lt_tar_add(&t, "dev/", '5', 0755, NULL, 0, NULL, -1);
	lt_tar_add(&t, "dev/null", '3', 0666, NULL, 0, NULL, -1);
	lt_tar_save(&t, "l.tar");
	mkdir("root", 0755);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
		cleanup_free char *msg = NULL;
		char map[64];
		int fd, n;
		uid_t uid = geteuid();
		gid_t gid = getegid();

		/* the kernel has user namespaces (probed above): failing here is a bug */
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(3);
		n = snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
		fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, map, (size_t)n) != n)
			_exit(4);
		close(fd);
		fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, "deny", 4) != 4)
			_exit(5);
		if (fd >= 0)
			close(fd);
		n = snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
		fd = open("/proc/self/gid_map", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, map, (size_t)n) != n)
			_exit(6);
		close(fd);
		if (apply(&o, &msg) == 0)
			_exit(1);
		fprintf(stderr, "%s\n", msg);
		_exit(strstr(msg, "entry `dev/null`: refusing to create a character device without "
				  "root")
			      ? 0
			      : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	lt_sentinel_ok();
	assert_int_equal(access("root/dev/null", F_OK), -1);
}

/* What defences must not break: in-root links, "./" names, replacements. */
static void test_legitimate_layers(void **state)
{
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	struct lt_tar t = {CB_STRBUF_INIT};
	cleanup_free char *msg = NULL;
	cleanup_free char *a = NULL, *b = NULL, *c = NULL, *e = NULL;
	struct stat st;

	(void)state;
	lt_tar_add(&t, "./", '5', 0755, NULL, 0, NULL, -1);
	lt_tar_add(&t, "./usr/", '5', 0755, NULL, 0, NULL, -1);
	lt_tar_add(&t, "./usr/lib/", '5', 0755, NULL, 0, NULL, -1);
	lt_tar_add(&t, "./lib", '2', 0777, NULL, 0, "usr/lib", -1);
	lt_tar_add(&t, "./lib64", '2', 0777, NULL, 0, "/usr/lib", -1);
	lt_tar_add(&t, "./usr/lib64", '2', 0777, NULL, 0, "../usr/./lib", -1);
	lt_tar_file(&t, "./lib/libc.so.6", "via lib -> usr/lib\n");
	lt_tar_file(&t, "lib64/ld.so", "via lib64 -> /usr/lib\n");
	lt_tar_file(&t, "usr/lib64/x", "via ../usr/./lib\n");
	lt_tar_add(&t, "usr/lib/hard", '1', 0644, NULL, 0, "lib/libc.so.6", -1);
	lt_tar_file(&t, "twice", "first\n");
	lt_tar_file(&t, "twice", "second\n");
	lt_tar_add(&t, "was-dir/", '5', 0755, NULL, 0, NULL, -1);
	lt_tar_file(&t, "was-dir/child", "\n");
	lt_tar_file(&t, "was-dir", "now a file\n");
	lt_tar_add(&t, "ro/", '5', 0555, NULL, 0, NULL, -1);
	lt_tar_file(&t, "ro/inside", "a read-only dir still gets its children\n");
	lt_tar_save(&t, "l.tar");
	assert_int_equal(apply(&o, &msg), 0);
	a = lt_read("root/usr/lib/libc.so.6");
	b = lt_read("root/usr/lib/ld.so");
	c = lt_read("root/usr/lib/x");
	e = lt_read("root/twice");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_string_equal(e, "second\n");
	assert_int_equal(lstat("root/usr/lib/hard", &st), 0);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(lstat("root/was-dir", &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(lstat("root/ro", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0555);
	assert_int_equal(lstat("root/ro/inside", &st), 0);
}

/* Whiteouts name their victim with the same rules as any entry. */
static void test_whiteout_escape(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	lt_tar_add(&t, "out", '2', 0777, NULL, 0, "../outside", -1);
	lt_tar_add(&t, "out/.wh.sentinel", '0', 0644, NULL, 0, NULL, -1);
	refused(&t, "points outside the root");
}

static void test_not_a_tar(void **state)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	(void)state;
	cb_strbuf_addstr(&t.sb, "this is not a tar archive at all, just some text\n");
	while (t.sb.len < 2048)
		cb_strbuf_addch(&t.sb, 'x');
	refused(&t, "apply layer: read tar:");
}

CB_TEST_MAIN(cmocka_unit_test(test_dotdot_name), cmocka_unit_test(test_dotdot_inside_name),
	     cmocka_unit_test(test_absolute_name),
	     cmocka_unit_test(test_symlink_then_write_through),
	     cmocka_unit_test(test_symlink_nested_escape),
	     cmocka_unit_test(test_absolute_symlink_confined), cmocka_unit_test(test_symlink_loop),
	     cmocka_unit_test(test_symlink_chain), cmocka_unit_test(test_symlink_chain_escape),
	     cmocka_unit_test(test_hardlink_to_host_file), cmocka_unit_test(test_hardlink_absolute),
	     cmocka_unit_test(test_hardlink_through_symlink),
	     cmocka_unit_test(test_huge_declared_size), cmocka_unit_test(test_size_limit),
	     cmocka_unit_test(test_entry_count_limit), cmocka_unit_test(test_compression_bomb),
	     cmocka_unit_test(test_device_refused_without_root),
	     cmocka_unit_test(test_legitimate_layers), cmocka_unit_test(test_whiteout_escape),
	     cmocka_unit_test(test_not_a_tar))
