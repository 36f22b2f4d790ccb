/*
 * test_builder_imagerun.c - an image as a process (builder/imagerun.c):
 * argv, env, cwd, user and hostname as docker run makes them; IMAGE
 * resolution; layers as leased snapshots; and one real run in the sandbox.
 */
#include <ctype.h>
#include <elf.h>
#include <sys/eventfd.h>
#include <time.h>

#include "builder.h"
#include "layerstore_testutil.h"

/* A config with the given fields; NULL-terminated lists, NULL = unset. */
struct cfg_spec {
	const char *const *entrypoint, *const *cmd, *const *env;
	const char *workdir, *user;
};

static void config_init(struct image_config *c, const struct cfg_spec *f)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; f->entrypoint && f->entrypoint[i]; i++)
		cb_strvec_push(&c->entrypoint, f->entrypoint[i]);
	for (size_t i = 0; f->cmd && f->cmd[i]; i++)
		cb_strvec_push(&c->cmd, f->cmd[i]);
	for (size_t i = 0; f->env && f->env[i]; i++)
		cb_strvec_push(&c->env, f->env[i]);
	c->has_entrypoint = f->entrypoint != NULL;
	c->has_cmd = f->cmd != NULL;
	c->working_dir = f->workdir ? xstrdup(f->workdir) : NULL;
	c->user = f->user ? xstrdup(f->user) : NULL;
}

/* The vector joined with '|', for one comparison per case. */
static char *joined(const struct cb_strvec *v)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	for (size_t i = 0; i < v->n; i++)
		cb_strbuf_addf(&sb, "%s%s", i ? "|" : "", v->v[i]);
	return cb_strbuf_detach(&sb, NULL);
}

/* Build the process of f under o (hostname "h") and compare argv, or the error. */
static void expect_argv(const struct cfg_spec *f, const struct build_image_overrides *o,
			const char *want)
{
	struct image_config c;
	struct build_image_process p;
	struct cb_error *err = NULL;
	cleanup_free char *got = NULL;

	config_init(&c, f);
	if (build_image_process(&c, o, "h", &p, &err) < 0) {
		assert_string_equal(cb_error_msg(err), want);
		cb_error_free(&err);
	} else {
		got = joined(&p.argv);
		assert_string_equal(got, want);
		build_image_process_release(&p);
	}
	image_config_release(&c);
}

static void test_argv(void **state)
{
	static const char *const ep[] = {"/bin/ep", "-x", NULL};
	static const char *const cmd[] = {"a", "b", NULL};
	static const char *const mine[] = {"c", "d"};
	struct cfg_spec both = {.entrypoint = ep, .cmd = cmd};
	struct cfg_spec only_cmd = {.cmd = cmd};
	struct cfg_spec only_ep = {.entrypoint = ep};
	struct cfg_spec nothing = {0};
	struct build_image_overrides o = {0};

	(void)state;
	expect_argv(&both, NULL, "/bin/ep|-x|a|b");
	expect_argv(&both, &o, "/bin/ep|-x|a|b");
	expect_argv(&only_cmd, &o, "a|b");
	expect_argv(&only_ep, &o, "/bin/ep|-x");
	/* a CMD given replaces the config's Cmd, never the Entrypoint */
	o.cmd = mine;
	o.ncmd = 2;
	expect_argv(&both, &o, "/bin/ep|-x|c|d");
	expect_argv(&nothing, &o, "c|d");
	/* --entrypoint replaces the Entrypoint and drops the config's Cmd */
	o.entrypoint = "/bin/other";
	expect_argv(&both, &o, "/bin/other|c|d");
	o.ncmd = 0;
	expect_argv(&both, &o, "/bin/other");
	o.entrypoint = "";
	expect_argv(&both, &o, "no command specified");
	o.ncmd = 2;
	expect_argv(&both, &o, "c|d");
}

static void test_no_command(void **state)
{
	static const char *const empty[] = {NULL};
	struct cfg_spec nothing = {0};
	struct cfg_spec empty_lists = {.entrypoint = empty, .cmd = empty};

	(void)state;
	expect_argv(&nothing, NULL, "no command specified");
	expect_argv(&empty_lists, NULL, "no command specified");
}

/* The environment of image env + -e entries (hostname "h"). */
static char *env_of(const char *const *image, size_t ni, const char *const *ov, size_t no)
{
	struct cb_strvec out = CB_STRVEC_INIT;
	char *s;

	build_image_env(image, ni, ov, no, "h", &out);
	s = joined(&out);
	cb_strvec_clear(&out);
	return s;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define DEFPATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void test_env_defaults(void **state)
{
	static const char *const img[] = {"PATH=/x", "FOO=1"};
	static const char *const ov[] = {"BAR=2"};
	cleanup_free char *none = env_of(NULL, 0, NULL, 0);
	cleanup_free char *docker = env_of(img, N(img), ov, N(ov));
	struct cb_strvec no_host = CB_STRVEC_INIT;

	(void)state;
	/* Docker's default PATH when the image sets none, and HOSTNAME */
	assert_string_equal(none, DEFPATH "|HOSTNAME=h");
	/* the image's PATH takes the default's place; -e entries come before the image's */
	assert_string_equal(docker, "PATH=/x|HOSTNAME=h|BAR=2|FOO=1");
	build_image_env(NULL, 0, NULL, 0, NULL, &no_host);
	assert_int_equal(no_host.n, 1);
	cb_strvec_clear(&no_host);
}

static void test_env_overrides(void **state)
{
	static const char *const img[] = {"FOO=1", "KEEP=k", "BARE", "=x", "EMPTY="};
	static const char *const set[] = {"FOO=2", "HOSTNAME=mine"};
	static const char *const unset[] = {"FOO", "PATH", "NOSUCH"};
	static const char *const twice[] = {"A=1", "B=1", "A=2"};
	static const char *const unset_then_set[] = {"FOO", "FOO=3", "B=1", "B"};
	cleanup_free char *a = env_of(img, N(img), set, N(set));
	cleanup_free char *b = env_of(img, N(img), unset, N(unset));
	cleanup_free char *c = env_of(NULL, 0, twice, N(twice));
	cleanup_free char *d = env_of(img, N(img), unset_then_set, N(unset_then_set));

	(void)state;
	/* K=V replaces the image's K; entries without a key or `=` are dropped */
	assert_string_equal(a, DEFPATH "|HOSTNAME=mine|FOO=2|KEEP=k|EMPTY=");
	/* a bare K (-e K with K unset here) removes K, even PATH */
	assert_string_equal(b, "HOSTNAME=h|KEEP=k|EMPTY=");
	/* the last -e of a key wins, where the key first appeared */
	assert_string_equal(c, DEFPATH "|HOSTNAME=h|A=2|B=1");
	assert_string_equal(d, DEFPATH "|HOSTNAME=h|FOO=3|KEEP=k|EMPTY=");
}

/*
 * Issue 11, finding 7: `run` was super-linear in the config's Env (100k
 * entries: 49 s, in the pairwise key search).  200k image entries and 100k
 * -e entries, half of them replacing the image's, every tenth a bare K that
 * removes one: linear, so well under a second (the bound is 100 times that,
 * for loaded and sanitized runs; the quadratic merge takes minutes).
 */
static void test_env_harden_linear(void **state)
{
	enum { NI = 200000, NO = 100000 };
	struct cb_strvec img = CB_STRVEC_INIT, ov = CB_STRVEC_INIT, out = CB_STRVEC_INIT;
	struct timespec t0, t1;
	double secs;

	(void)state;
	for (size_t i = 0; i < NI; i++)
		cb_strvec_pushf(&img, "K%zu=image", i);
	cb_strvec_push(&img, "K0=second-of-a-key");
	for (size_t i = 0; i < NO; i++) {
		if (i % 10 == 9)
			cb_strvec_pushf(&ov, "K%zu", 2 * i);
		else
			cb_strvec_pushf(&ov, "K%zu=user", 2 * i);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	build_image_env((const char *const *)img.v, img.n, (const char *const *)ov.v, ov.n, "h",
			&out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (secs > 30)
		fail_msg("merging %d + %d Env entries took %.1f s", NI, NO, secs);
	/* PATH, HOSTNAME, the -e entries (less the bare ones), the image's rest */
	assert_int_equal(out.n, 2 + (NO - NO / 10) + (NI - NO));
	assert_string_equal(out.v[0], DEFPATH);
	assert_string_equal(out.v[1], "HOSTNAME=h");
	assert_string_equal(out.v[2], "K0=user");
	assert_string_equal(out.v[3], "K2=user");
	assert_string_equal(out.v[2 + 9], "K20=user"); /* K18 was removed */
	assert_string_equal(out.v[2 + (NO - NO / 10)], "K1=image");
	assert_string_equal(out.v[out.n - 1], "K199999=image");
	cb_strvec_clear(&img);
	cb_strvec_clear(&ov);
	cb_strvec_clear(&out);
}

/* cwd, user and hostname of config f under o. */
static void build(const struct cfg_spec *f, const struct build_image_overrides *o,
		  const char *hostname, struct build_image_process *p)
{
	struct image_config c;
	struct cb_error *err = NULL;

	config_init(&c, f);
	if (build_image_process(&c, o, hostname, p, &err) < 0)
		fail_msg("build: %s", cb_error_msg(err));
	image_config_release(&c);
}

static void test_cwd(void **state)
{
	static const char *const cmd[] = {"true", NULL};
	struct cfg_spec plain = {.cmd = cmd}, srv = {.cmd = cmd, .workdir = "/srv"};
	struct cfg_spec empty = {.cmd = cmd, .workdir = ""}, rel = {.cmd = cmd, .workdir = "srv"};
	struct build_image_overrides o = {0};
	struct build_image_process p;
	struct image_config c;
	struct cb_error *err = NULL;

	(void)state;
	build(&plain, NULL, "h", &p);
	assert_string_equal(p.cwd, "/");
	build_image_process_release(&p);
	build(&empty, NULL, "h", &p);
	assert_string_equal(p.cwd, "/");
	build_image_process_release(&p);
	build(&srv, NULL, "h", &p);
	assert_string_equal(p.cwd, "/srv");
	build_image_process_release(&p);
	o.workdir = "/tmp/w";
	build(&srv, &o, "h", &p);
	assert_string_equal(p.cwd, "/tmp/w");
	build_image_process_release(&p);
	o.workdir = "";
	build(&srv, &o, "h", &p);
	assert_string_equal(p.cwd, "/srv");
	build_image_process_release(&p);
	/* Docker's check, on -w and on the config alike */
	o.workdir = "w";
	config_init(&c, &srv);
	assert_int_equal(build_image_process(&c, &o, "h", &p, &err), -1);
	assert_string_equal(
		cb_error_msg(err),
		"the working directory `w` is invalid, it needs to be an absolute path");
	cb_error_free(&err);
	image_config_release(&c);
	config_init(&c, &rel);
	assert_int_equal(build_image_process(&c, NULL, "h", &p, &err), -1);
	cb_error_free(&err);
	image_config_release(&c);
}

static void test_user(void **state)
{
	static const char *const cmd[] = {"true", NULL};
	struct cfg_spec root = {.cmd = cmd}, app = {.cmd = cmd, .user = "app:staff"};
	struct cfg_spec blank = {.cmd = cmd, .user = ""};
	struct build_image_overrides o = {0};
	struct build_image_process p;

	(void)state;
	build(&root, NULL, "h", &p);
	assert_null(p.user);
	build_image_process_release(&p);
	build(&blank, NULL, "h", &p);
	assert_null(p.user);
	build_image_process_release(&p);
	build(&app, NULL, "h", &p);
	assert_string_equal(p.user, "app:staff");
	build_image_process_release(&p);
	o.user = "1000:1000";
	build(&app, &o, "h", &p);
	assert_string_equal(p.user, "1000:1000");
	build_image_process_release(&p);
	/* --user "" is root, whatever the image says */
	o.user = "";
	build(&app, &o, "h", &p);
	assert_null(p.user);
	build_image_process_release(&p);
}

static void test_hostname(void **state)
{
	static const char *const cmd[] = {"true", NULL};
	struct cfg_spec f = {.cmd = cmd};
	struct build_image_process p, q;

	(void)state;
	build(&f, NULL, "box", &p);
	assert_string_equal(p.hostname, "box");
	assert_int_not_equal(cb_strvec_find(&p.env, "HOSTNAME=box"), -1);
	build_image_process_release(&p);
	/* like Docker's: 12 hex digits, a new one each time */
	build(&f, NULL, NULL, &p);
	build(&f, NULL, NULL, &q);
	assert_int_equal(strlen(p.hostname), 12);
	for (size_t i = 0; i < 12; i++)
		assert_true(isxdigit((unsigned char)p.hostname[i]));
	assert_string_not_equal(p.hostname, q.hostname);
	build_image_process_release(&p);
	build_image_process_release(&q);
}

/* ------------------------------------------------------------------------ */
/* Images in a store                                                         */
/* ------------------------------------------------------------------------ */

static void write_file(const char *path, const char *content)
{
	struct cb_error *err = NULL;

	if (cb_write_file_atomic(AT_FDCWD, path, content, strlen(content), 0755, &err) < 0)
		fail_msg("write %s: %s", path, cb_error_msg(err));
}

/* The directory dir as a layer of s. */
static void diff_dir(struct layer_store *s, const char *dir, struct layer_desc *l)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	CHECK_OK(layer_store_diff(s, fd, &o, l, E));
}

/* Tag name as an image of the layers made from dirs (one each), with config f. */
static void put_dirs_image(struct layer_store *s, const char *name, const char *const *dirs,
			   size_t n, const struct cfg_spec *f, struct cb_digest *manifest)
{
	struct layer_desc layers[8];
	struct image_config c;

	assert_true(n <= 8);
	config_init(&c, f);
	c.platform.os = xstrdup("linux");
	c.platform.architecture = xstrdup("amd64");
	for (size_t i = 0; i < n; i++) {
		diff_dir(s, dirs[i], &layers[i]);
		cb_strvec_push(&c.diff_ids, layers[i].diff_id.str);
	}
	CHECK_OK(layer_store_image_put(s, &c, layers, n, name, manifest, E));
	image_config_release(&c);
}

/* Two layers: l1 has etc/a and etc/b; l2 replaces etc/b. */
static void two_layer_image(struct layer_store *s, struct cb_digest *manifest)
{
	static const char *const dirs[] = {"l1", "l2"};
	static const char *const cmd[] = {"sh", NULL};
	struct cfg_spec f = {.cmd = cmd};
	struct cb_error *err = NULL;

	assert_int_equal(cb_mkdir_p(AT_FDCWD, "l1/etc", 0755, &err), 0);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "l2/etc", 0755, &err), 0);
	write_file("l1/etc/a", "a1\n");
	write_file("l1/etc/b", "b1\n");
	write_file("l2/etc/b", "b2\n");
	put_dirs_image(s, "docker.io/library/img:latest", dirs, 2, &f, manifest);
}

static void test_resolve(void **state)
{
	struct layer_store *s = open_store("store");
	struct store_image img;
	struct cb_digest m;
	cleanup_free char *tag = NULL;
	cleanup_free char *at = NULL;
	char prefix[16];

	(void)state;
	two_layer_image(s, &m);
	CHECK_OK(build_image_resolve(s, "img", &img, &tag, E));
	assert_string_equal(tag, "docker.io/library/img:latest");
	assert_string_equal(img.manifest_digest.str, m.str);
	store_image_release(&img);
	/* by manifest digest, by name@digest of another name, by an ID prefix */
	CHECK_OK(build_image_resolve(s, m.str, &img, NULL, E));
	store_image_release(&img);
	at = xasprintf("other@%s", m.str);
	CHECK_OK(build_image_resolve(s, at, &img, NULL, E));
	snprintf(prefix, sizeof(prefix), "%.8s", cb_digest_hex(&img.manifest.config.digest));
	store_image_release(&img);
	CHECK_OK(build_image_resolve(s, prefix, &img, NULL, E));
	assert_string_equal(img.manifest_digest.str, m.str);
	store_image_release(&img);
	CHECK_FAILS(build_image_resolve(s, "busybox", &img, NULL, E),
		    "image `busybox` not found in the store");
	layer_store_close(s);
}

static char *read_all(const char *path)
{
	struct cb_error *err = NULL;
	char *buf = NULL;

	if (cb_read_file(path, 0, &buf, NULL, &err) < 0)
		fail_msg("read %s: %s", path, cb_error_msg(err));
	return buf;
}

static void test_prepare_rootfs(void **state)
{
	struct layer_store *s = open_store("store");
	struct store_image img;
	struct cb_digest m;
	struct cb_strvec dirs = CB_STRVEC_INIT, again = CB_STRVEC_INIT;
	cleanup_free char *top_b = NULL, *base_a = NULL, *b = NULL;
	cleanup_free char *first = NULL, *second = NULL;

	(void)state;
	two_layer_image(s, &m);
	CHECK_OK(build_image_resolve(s, "img", &img, NULL, E));
	CHECK_OK(build_image_rootfs(s, &img, -1, &dirs, E));
	assert_int_equal(dirs.n, 2);
	/* topmost first: the second layer's etc/b is what overlay shows */
	top_b = xasprintf("%s/etc/b", dirs.v[0]);
	base_a = xasprintf("%s/etc/a", dirs.v[1]);
	b = read_all(top_b);
	assert_string_equal(b, "b2\n");
	assert_int_equal(access(base_a, F_OK), 0);
	/* once more: nothing to extract, the same stack */
	CHECK_OK(build_image_rootfs(s, &img, -1, &again, E));
	first = joined(&dirs);
	second = joined(&again);
	assert_string_equal(first, second);
	assert_int_equal(count_entries("store/tmp"), 0);
	cb_strvec_clear(&dirs);
	cb_strvec_clear(&again);
	store_image_release(&img);
	layer_store_close(s);
}

/* A config that does not match its layers is refused, and nothing is extracted. */
static void test_prepare_rootfs_checks(void **state)
{
	struct layer_store *s = open_store("store");
	struct store_image img;
	struct cb_digest m;
	struct cb_strvec dirs = CB_STRVEC_INIT;
	char *saved;

	(void)state;
	two_layer_image(s, &m);
	CHECK_OK(build_image_resolve(s, "img", &img, NULL, E));
	/* the diff IDs swapped: the first layer's tar is not what the config says */
	saved = img.config.diff_ids.v[0];
	img.config.diff_ids.v[0] = img.config.diff_ids.v[1];
	img.config.diff_ids.v[1] = saved;
	CHECK_FAILS(build_image_rootfs(s, &img, -1, &dirs, E), "has diff ID");
	assert_int_equal(count_entries("store/snapshots"), 0);
	assert_int_equal(count_entries("store/tmp"), 0);
	/* one diff ID short */
	free(img.config.diff_ids.v[1]);
	img.config.diff_ids.v[1] = NULL;
	img.config.diff_ids.n = 1;
	CHECK_FAILS(build_image_rootfs(s, &img, -1, &dirs, E),
		    "the image has 2 layers but its config lists 1 diff IDs");
	assert_int_equal(dirs.n, 0);
	store_image_release(&img);
	layer_store_close(s);
}

/* A readable cancel fd stops before the next layer, with ECANCELED. */
static void test_prepare_rootfs_cancel(void **state)
{
	struct layer_store *s = open_store("store");
	struct store_image img;
	struct cb_digest m;
	struct cb_strvec dirs = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	cleanup_close int cancel = eventfd(1, EFD_CLOEXEC);

	(void)state;
	assert_true(cancel >= 0);
	two_layer_image(s, &m);
	CHECK_OK(build_image_resolve(s, "img", &img, NULL, E));
	assert_int_equal(build_image_rootfs(s, &img, cancel, &dirs, &err), -1);
	assert_int_equal(err->code, ECANCELED);
	cb_error_free(&err);
	assert_int_equal(count_entries("store/snapshots"), 0);
	store_image_release(&img);
	layer_store_close(s);
}

/*
 * The snapshots stay in s's lease: a prune by another handle after the
 * image lost its tag leaves them; once s is closed they go.
 */
static void test_prepare_rootfs_leased(void **state)
{
	struct layer_store *s = open_store("store"), *pruner;
	struct layer_store_prune_opts po = {.all = true};
	struct layer_store_usage gone;
	struct store_image img;
	struct cb_digest m;
	struct cb_strvec dirs = CB_STRVEC_INIT;
	cleanup_free char *top = NULL;

	(void)state;
	two_layer_image(s, &m);
	CHECK_OK(build_image_resolve(s, "img", &img, NULL, E));
	CHECK_OK(build_image_rootfs(s, &img, -1, &dirs, E));
	top = xstrdup(dirs.v[0]);
	store_image_release(&img);
	layer_store_close(s);
	/* a fresh handle that only prepared (as cbuild run does) */
	s = open_store("store");
	CHECK_OK(build_image_resolve(s, "img", &img, NULL, E));
	cb_strvec_clear(&dirs);
	CHECK_OK(build_image_rootfs(s, &img, -1, &dirs, E));
	pruner = open_store("store");
	CHECK_OK(layer_store_tag_delete(pruner, "docker.io/library/img:latest", E));
	CHECK_OK(layer_store_prune(pruner, &po, &gone, E));
	assert_int_equal(gone.snapshots, 0);
	assert_int_equal(access(top, F_OK), 0);
	layer_store_close(s);
	CHECK_OK(layer_store_prune(pruner, &po, &gone, E));
	assert_int_equal(gone.snapshots, 2);
	assert_int_not_equal(access(top, F_OK), 0);
	layer_store_close(pruner);
	cb_strvec_clear(&dirs);
	store_image_release(&img);
}

/* ------------------------------------------------------------------------ */
/* A real run (root, a static busybox)                                       */
/* ------------------------------------------------------------------------ */

/* An ELF64 executable without a PT_INTERP (a loader) needs nothing from the rootfs. */
static bool elf_is_static(const char *bin, size_t len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)bin;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phoff > len ||
	    eh->e_phnum > (len - eh->e_phoff) / sizeof(Elf64_Phdr))
		return false;
	for (size_t i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, bin + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP)
			return false;
	}
	return true;
}

/* A busybox that needs nothing from the rootfs (busybox-static), or NULL. */
static const char *static_busybox(void)
{
	static const char *const candidates[] = {"/usr/bin/busybox", "/bin/busybox"};

	for (size_t i = 0; i < N(candidates); i++) {
		struct cb_error *err = NULL;
		cleanup_free char *bin = NULL;
		size_t len = 0;

		if (cb_read_file(candidates[i], 64u << 20, &bin, &len, &err) < 0) {
			cb_error_free(&err);
			continue;
		}
		if (elf_is_static(bin, len))
			return candidates[i];
	}
	return NULL;
}

/* rootfs/: busybox and the applets the test uses. */
static void make_busybox_rootfs(const char *bb)
{
	static const char *const applets[] = {"sh", "echo", "pwd", "id", "touch", "test"};
	struct cb_error *err = NULL;
	cleanup_free char *data = NULL;
	size_t len = 0;

	assert_int_equal(cb_mkdir_p(AT_FDCWD, "rootfs/bin", 0755, &err), 0);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "rootfs/etc", 0755, &err), 0);
	assert_int_equal(cb_read_file(bb, 0, &data, &len, &err), 0);
	assert_int_equal(
		cb_write_file_atomic(AT_FDCWD, "rootfs/bin/busybox", data, len, 0755, &err), 0);
	for (size_t i = 0; i < N(applets); i++) {
		cleanup_free char *l = xasprintf("rootfs/bin/%s", applets[i]);

		assert_int_equal(symlink("busybox", l), 0);
	}
}

/* An image of busybox with an entrypoint, env, workdir and user; run it. */
static void test_image_run(void **state)
{
	static const char *const ep[] = {"/bin/sh", "-c", NULL};
	static const char *const cmd[] = {"echo $FOO $HOSTNAME; pwd; id -u", NULL};
	static const char *const env[] = {"FOO=img", NULL};
	static const char *const dirs[] = {"rootfs"};
	static const char *const mine[] = {"echo $FOO:$BAR; touch /written; pwd"};
	static const char *const look[] = {"test -e /written && echo kept || echo gone"};
	static const char *const ov_env[] = {"BAR=mine"};
	struct cfg_spec f = {
		.entrypoint = ep, .cmd = cmd, .env = env, .workdir = "/etc", .user = "1000"};
	const char *bb = static_busybox();
	struct cb_error *err = NULL;
	struct layer_store *s;
	struct runtime *rt;
	struct runtime_spec tmpl;
	struct runtime_result res;
	struct build_image_overrides o = {0};
	struct cb_digest m;
	cleanup_free char *out = NULL;
	cleanup_close int fd = -1;
	char why[256];

	(void)state;
	if (geteuid() != 0 || !bb)
		skip(); /* the runtime's own tests cover rootless; this needs a static shell */
	if (!cb_test_kernel_fs("overlay", why, sizeof(why)))
		cb_test_not_applicable_exit("image runs (overlay): %s", why);
	make_busybox_rootfs(bb);
	s = open_store("store");
	put_dirs_image(s, "docker.io/library/bb:latest", dirs, 1, &f, &m);
	rt = runtime_new(NULL, &err);
	if (!rt)
		fail_msg("runtime: %s", cb_error_msg(err));
	fd = open("out", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	runtime_spec_init(&tmpl);
	tmpl.stdio[1] = fd;
	tmpl.hostname = "box";
	CHECK_OK(build_image_run(s, rt, "bb", &o, &tmpl, &res, E));
	assert_int_equal(res.exit_code, 0);
	runtime_result_release(&res);
	out = read_all("out");
	assert_string_equal(out, "img box\n/etc\n1000\n");
	free(steal_pointer(&out));

	/* CMD, -e, -w and --user given; the write goes with the sandbox */
	assert_int_equal(ftruncate(fd, 0), 0);
	o.cmd = mine;
	o.ncmd = 1;
	o.env = ov_env;
	o.nenv = 1;
	o.workdir = "/bin";
	o.user = "0";
	CHECK_OK(build_image_run(s, rt, "bb", &o, &tmpl, &res, E));
	assert_int_equal(res.exit_code, 0);
	runtime_result_release(&res);
	o.cmd = look;
	CHECK_OK(build_image_run(s, rt, "bb", &o, &tmpl, &res, E));
	runtime_result_release(&res);
	out = read_all("out");
	assert_string_equal(out, "img:mine\n/bin\ngone\n");

	CHECK_FAILS(build_image_run(s, rt, "nosuch", &o, &tmpl, &res, E),
		    "image `nosuch` not found");
	o.entrypoint = "";
	o.ncmd = 0;
	CHECK_FAILS(build_image_run(s, rt, "bb", &o, &tmpl, &res, E), "no command specified");
	runtime_free(rt);
	layer_store_close(s);
}

CB_TEST_MAIN(cmocka_unit_test(test_argv), cmocka_unit_test(test_no_command),
	     cmocka_unit_test(test_env_defaults), cmocka_unit_test(test_env_overrides),
	     cmocka_unit_test(test_env_harden_linear), cmocka_unit_test(test_cwd),
	     cmocka_unit_test(test_user), cmocka_unit_test(test_hostname),
	     cmocka_unit_test(test_resolve), cmocka_unit_test(test_prepare_rootfs),
	     cmocka_unit_test(test_prepare_rootfs_checks),
	     cmocka_unit_test(test_prepare_rootfs_cancel),
	     cmocka_unit_test(test_prepare_rootfs_leased), cmocka_unit_test(test_image_run))
