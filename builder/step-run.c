/*
 * step-run.c - RUN: the command line as BuildKit makes it (SHELL for the
 * shell form, heredocs run as scripts or handed to the shell), the step
 * environment, USER and WORKDIR, run in the sandbox over the stage's
 * snapshots with an upperdir in a store scratch directory, which then
 * becomes the layer (layer.c).
 *
 * The cache key covers what the step sees: the parent key, argv, the
 * environment (proxy variables aside, as BuildKit keeps them out),
 * WORKDIR, USER, the network mode and the platform.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

/*
 * Proxy build args (llb.WithProxy): --build-arg HTTP_PROXY or http_proxy
 * reaches every RUN as both spellings without an ARG, and stays out of the
 * history and the cache key.
 */
static void add_proxy_env(const struct build *b, struct cb_strvec *env)
{
	const char *const(*names)[2] = build_proxy_args;

	for (size_t i = 0; i < BUILD_NPROXY; i++) {
		const char *v = NULL;

		for (int k = 0; k < 2 && !v; k++) {
			bool given;

			v = build_arg_value(b, names[i][k], &given);
		}
		if (!v)
			continue;
		for (int k = 0; k < 2; k++)
			if (build_env_find(env, names[i][k], strlen(names[i][k])) < 0)
				cb_strvec_pushf(env, "%s=%s", names[i][k], v);
	}
}

/* BuildKit's ChompHeredocContent: leading tabs off every line. */
static char *chomp(const char *s)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	bool bol = true;

	for (; *s; s++) {
		if (bol && *s == '\t')
			continue;
		bol = *s == '\n';
		cb_strbuf_addch(&sb, *s);
	}
	return cb_strbuf_detach(&sb, NULL);
}

/*
 * argv for the step (dispatchRun): a lone heredoc is the script itself,
 * other heredocs are appended to the command for the shell to read.
 * *script gets a shebang script's text, to be run from a file.
 */
static int run_argv(const struct stage *st, const struct df_run *r, struct cb_strvec *argv,
		    char **script, struct cb_error **err)
{
	struct df_cmdline c = r->cmdline;
	struct cb_strvec one = CB_STRVEC_INIT;

	*script = NULL;
	if (!r->cmdline.nfiles) {
		build_with_shell(st, &r->cmdline, argv);
		return 0;
	}
	if (r->cmdline.args.n != 1 || !r->cmdline.prepend_shell)
		return cb_error_set(err, EINVAL, "parsing produced an invalid run command");
	{
		const char *a = r->cmdline.args.v[0];
		const char *p = a + strspn(a, " \t");
		const struct df_inline_file *f = &r->cmdline.files[0];
		bool lone = r->cmdline.nfiles == 1 && p[0] == '<' && p[1] == '<';

		if (lone) { /* "<<EOF" or "<<-EOF", nothing else */
			const char *q = p + 2 + (p[2] == '-');

			q += strspn(q, "\"'");
			q += strlen(f->name);
			q += strspn(q, "\"'");
			lone = *(q + strspn(q, " \t")) == '\0';
		}
		if (lone) {
			char *data = f->chomp ? chomp(f->data) : xstrdup(f->data);

			if (!strncmp(data, "#!", 2)) {
				/* run from a file, still through SHELL (dispatchRun) */
				*script = data;
				cb_strvec_pushf(&one, "/dev/pipes/%s", f->name);
			} else {
				cb_strvec_push_take(&one, data);
			}
		} else {
			struct cb_strbuf sb = CB_STRBUF_INIT;

			cb_strbuf_addstr(&sb, a);
			for (size_t i = 0; i < r->cmdline.nfiles; i++) {
				cb_strbuf_addch(&sb, '\n');
				cb_strbuf_addstr(&sb, r->cmdline.files[i].data);
				cb_strbuf_addstr(&sb, r->cmdline.files[i].name);
			}
			cb_strvec_push_take(&one, cb_strbuf_detach(&sb, NULL));
		}
	}
	c.args = one;
	c.nfiles = 0;
	build_with_shell(st, &c, argv);
	cb_strvec_clear(&one);
	return 0;
}

/* runCommandString: "|N K=V ... argv" when the stage declared ARGs. */
static char *history_text(const struct stage *st, const struct cb_strvec *argv)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct cb_strvec vals = CB_STRVEC_INIT;

	for (size_t i = 0; i < st->args.n; i++) {
		size_t n = strcspn(st->args.v[i], "=");
		cleanup_free char *k = xstrndup(st->args.v[i], n);
		const char *v = st->args.v[i][n] ? st->args.v[i] + n + 1 : "";

		long e = build_env_find(&st->env, k, n);

		if (e >= 0 && st->env.v[e][n] == '=')
			v = st->env.v[e] + n + 1;
		/* Docker's BuildKit lists a redeclared ARG again (newer ones do not) */
		cb_strvec_pushf(&vals, "%s=%s", k, v);
	}
	cb_strbuf_addstr(&sb, "RUN ");
	if (vals.n) {
		cb_strbuf_addf(&sb, "|%zu", vals.n);
		for (size_t i = 0; i < vals.n; i++)
			cb_strbuf_addf(&sb, " %s", vals.v[i]);
		cb_strbuf_addch(&sb, ' ');
	}
	for (size_t i = 0; i < argv->n; i++) {
		if (i)
			cb_strbuf_addch(&sb, ' ');
		cb_strbuf_addstr(&sb, argv->v[i]);
	}
	cb_strbuf_addstr(&sb, " # buildkit");
	cb_strvec_clear(&vals);
	return cb_strbuf_detach(&sb, NULL);
}

enum runtime_network build_step_network(const struct build *b, const struct df_run *r)
{
	if (r->network == DF_NET_NONE)
		return RUNTIME_NETWORK_NONE;
	if (r->network == DF_NET_HOST)
		return RUNTIME_NETWORK_HOST;
	return b->o->network;
}

/* The key and, in *parts (the caller's), what it was made from. */
static void run_key(const struct build *b, const struct stage *st, const struct cb_strvec *argv,
		    const char *script, enum runtime_network net, struct cb_strvec *parts,
		    struct cb_digest *key)
{
	cb_strvec_push(parts, "RUN");
	cb_strvec_pushf(parts, "platform=%s/%s/%s", b->os, b->arch, b->variant);
	cb_strvec_pushf(parts, "argc=%zu", argv->n);
	for (size_t i = 0; i < argv->n; i++)
		cb_strvec_push(parts, argv->v[i]);
	if (script)
		cb_strvec_pushf(parts, "script=%s", script);
	for (size_t i = 0; i < st->env.n; i++)
		if (!build_is_proxy_arg(st->env.v[i]))
			cb_strvec_pushf(parts, "env=%s", st->env.v[i]);
	cb_strvec_pushf(parts, "cwd=%s", st->config.working_dir ? st->config.working_dir : "/");
	cb_strvec_pushf(parts, "user=%s", st->config.user ? st->config.user : "");
	cb_strvec_pushf(parts, "network=%d", (int)net);
	build_key(&st->key, parts, key);
}

/* A directory holding the shebang script, bound read-only at /dev/pipes. */
static int write_script(const char *dir, const char *name, const char *script,
			struct cb_error **err)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, name);
	cleanup_close int fd = -1;

	if (strchr(name, '/') || !strcmp(name, "..") || !strcmp(name, "."))
		return cb_error_set(err, EINVAL, "bad heredoc name `%s`", name);
	if (mkdir(dir, 0755) < 0)
		return cb_error_set(err, errno, "create `%s`", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0)
		return cb_error_set(err, errno, "create `%s`", path);
	return cb_write_all(fd, script, strlen(script), err);
}

struct run_ctx {
	char *upper;		  /* the step's upperdir, in the stage's run scratch directory */
	char *pdir;		  /* the heredoc's directory there, or NULL */
	const char **spec_lowers; /* the sandbox's: the stubs directory, then lowers */
	struct cb_strvec lowers;
	struct cb_strvec env;
	const char **envp;
	struct build_output_pump *pump;
};

/*
 * runc's leftovers for one step: which of /dev, /proc, /sys to make, and
 * whether /etc is touched (made, copied up with the metadata of the /etc
 * below when there is one).
 */
struct leftovers {
	bool mkdir[3]; /* dev, proc, sys */
	bool etc;
	bool etc_below; /* /etc is a directory below: its owner and mode */
	uid_t uid;
	gid_t gid;
	mode_t mode;
};
static const char *const leftover_points[] = {"dev", "proc", "sys"};

static int leftovers_apply(const char *upper, const struct leftovers *l, struct cb_error **err)
{
	cleanup_close int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (ufd < 0)
		return cb_error_set(err, errno, "open `%s`", upper);
	for (size_t i = 0; i < 3; i++)
		if (l->mkdir[i] && mkdirat(ufd, leftover_points[i], 0755) < 0)
			return cb_error_set(err, errno, "create `/%s`", leftover_points[i]);
	if (!l->etc)
		return 0;
	if (fstatat(ufd, "etc", &st, AT_SYMLINK_NOFOLLOW) == 0)
		return utimensat(ufd, "etc", NULL, AT_SYMLINK_NOFOLLOW) < 0
			       ? cb_error_set(err, errno, "touch `/etc`")
			       : 0;
	/* copy /etc up from below, or make it */
	if (mkdirat(ufd, "etc", 0755) < 0 ||
	    (l->etc_below && (fchownat(ufd, "etc", l->uid, l->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
			      fchmodat(ufd, "etc", l->mode & 07777, 0) < 0)))
		return cb_error_set(err, errno, "create `/etc`");
	return 0;
}

/*
 * The leftovers through the merged view of upper and the lowers: what
 * runc_leftovers falls back on when a symlink stands on one of the paths
 * (hosts and resolv.conf are followed).
 */
static int leftovers_stackfs(const struct run_ctx *c, const char *upper, struct leftovers *l,
			     struct cb_error **err)
{
	const char **dirs = xcalloc(c->lowers.n + 1, sizeof(*dirs));
	struct stackfs fs;
	struct stackfs_entry e;
	int ret, r;

	dirs[0] = upper;
	for (size_t i = 0; i < c->lowers.n; i++)
		dirs[i + 1] = c->lowers.v[i];
	ret = stackfs_open(&fs, dirs, c->lowers.n + 1, err);
	free(dirs);
	if (ret < 0)
		return -1;
	for (size_t i = 0; i < 3 && ret == 0; i++) {
		r = stackfs_lookup(&fs, leftover_points[i], false, &e, err);
		if (r > 0)
			stackfs_entry_release(&e);
		l->mkdir[i] = r == 0;
		ret = r < 0 ? -1 : 0;
	}
	for (int k = 0; k < 2 && ret == 0 && !l->etc; k++) {
		r = stackfs_lookup(&fs, k ? "/etc/resolv.conf" : "/etc/hosts", true, &e, err);
		if (r > 0)
			stackfs_entry_release(&e);
		l->etc = r == 0;
		ret = r < 0 ? -1 : 0;
	}
	if (ret == 0 && l->etc) {
		r = stackfs_lookup(&fs, "/etc", false, &e, err);
		if (r > 0) {
			l->etc = S_ISDIR(e.st.st_mode); /* not a directory: left alone */
			l->etc_below = l->etc;
			l->uid = e.st.st_uid;
			l->gid = e.st.st_gid;
			l->mode = e.st.st_mode;
			stackfs_entry_release(&e);
		}
		ret = r < 0 ? -1 : 0;
	}
	stackfs_release(&fs);
	return ret;
}

/*
 * What runc leaves in a step's layer, so the layer is BuildKit's: the
 * mount points /dev, /proc and /sys when the image lacks them, and /etc
 * (its mtime changed: stub hosts and resolv.conf files were made in it
 * and removed) when the image lacks either file.  The sandbox itself
 * keeps its mount points out of the upper layer.
 *
 * Found from the stage's mount facts brought over the upper
 * (mountfacts.c): a handful of calls, where the merged view walks every
 * layer.  *after: the facts of the upper (leftovers included) on the
 * stack, for the steps after.
 */
static int runc_leftovers(struct stage *st, const struct run_ctx *c, const char *upper,
			  struct mount_facts *after, struct cb_error **err)
{
	static const int points[] = {MF_DEV, MF_PROC, MF_SYS};
	struct leftovers l = {0};
	struct mount_facts mf;
	const struct mount_fact *etc = &mf.f[MF_ETC];
	bool odd = false;

	if (build_stage_facts(st, &c->lowers, err) < 0 ||
	    mount_facts_over(&st->facts, upper, &mf, err) < 0)
		return -1;
	for (int i = 0; i < MOUNT_FACTS; i++)
		odd = odd || (mf.f[i].kind == MF_ODD && i != MF_HOSTNAME);
	if (odd) {
		if (leftovers_stackfs(c, upper, &l, err) < 0)
			return -1;
	} else {
		for (size_t i = 0; i < 3; i++)
			l.mkdir[i] = mf.f[points[i]].kind == MF_MISSING;
		l.etc = (mf.f[MF_HOSTS].kind == MF_MISSING || mf.f[MF_RESOLV].kind == MF_MISSING) &&
			etc->kind != MF_FILE;
		l.etc_below = etc->kind == MF_DIR;
		l.uid = etc->st.st_uid;
		l.gid = etc->st.st_gid;
		l.mode = etc->st.st_mode;
	}
	if (leftovers_apply(upper, &l, err) < 0)
		return -1;
	return mount_facts_over(&st->facts, upper, after, err);
}

static void run_ctx_release(struct stage *st, struct run_ctx *c)
{
	struct cb_error *e = NULL;

	build_pump_finish(c->pump, NULL);
	/* a committed upper was renamed away; the stage's end removes the rest */
	if (c->upper && access(c->upper, F_OK) == 0 &&
	    layer_store_scratch_remove(st->s, c->upper, &e) < 0)
		cb_error_free(&e);
	if (c->pdir && layer_store_scratch_remove(st->s, c->pdir, &e) < 0)
		cb_error_free(&e);
	free(c->upper);
	free(c->pdir);
	free(c->spec_lowers);
	cb_strvec_clear(&c->lowers);
	cb_strvec_clear(&c->env);
	free(c->envp);
}

/*
 * The stage's run scratch directory (made at its first RUN) and the
 * overlay workdir in it (*work), which every step of the stage mounts in
 * turn: the steps of a stage run one after another, and a step's overlay
 * is gone with its mount namespace before runtime_run returns.
 */
static int run_scratch(struct stage *st, char **work, struct cb_error **err)
{
	if (!st->run_scratch) {
		st->run_scratch = layer_store_scratch_create(st->s, err);
		if (!st->run_scratch)
			return -1;
		*work = xasprintf("%s/work", st->run_scratch);
		if (mkdir(*work, 0700) < 0)
			return cb_error_set(err, errno, "create `%s`", *work);
		return 0;
	}
	*work = xasprintf("%s/work", st->run_scratch);
	return 0;
}

/* The sandbox's lowerdirs: the stage's stubs directory on top when one is needed. */
static int sandbox_lowers(struct stage *st, struct run_ctx *c, struct runtime_spec *spec,
			  struct cb_error **err)
{
	const char *stubs = NULL;
	int r = build_stubs_prepare(st, &c->lowers, spec->mounts, spec->nmounts, &stubs, err);
	size_t n = 0;

	if (r < 0)
		return -1;
	c->spec_lowers = xcalloc(c->lowers.n + 1, sizeof(*c->spec_lowers));
	if (stubs)
		c->spec_lowers[n++] = stubs;
	for (size_t i = 0; i < c->lowers.n; i++)
		c->spec_lowers[n++] = c->lowers.v[i];
	spec->lowerdirs = c->spec_lowers;
	spec->nlowerdirs = n;
	spec->mount_points_ready = r > 0;
	return 0;
}

static int execute(struct build *b, struct stage *st, const struct df_instruction *in,
		   const struct cb_strvec *argv, const char *script, enum runtime_network net,
		   unsigned step, struct run_ctx *c, struct cb_error **err)
{
	struct runtime_spec spec;
	struct runtime_result res;
	struct runtime_mount pipes = {0};
	cleanup_free char *work = NULL, *empty = NULL;
	cleanup_close int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct cb_strbuf tail = CB_STRBUF_INIT;
	int ret;

	if (run_scratch(st, &work, err) < 0)
		return -1;
	c->upper = xasprintf("%s/upper.%u", st->run_scratch, ++st->run_seq);
	if (mkdir(c->upper, 0755) < 0)
		return cb_error_set(err, errno, "create `%s`", c->upper);
	if (build_stage_lowerdirs(st, &c->lowers, err) < 0)
		return -1;
	build_stage_lowerdirs_keep(st, &c->lowers);
	if (!c->lowers.n) { /* FROM scratch: overlay needs a lower layer */
		empty = xasprintf("%s/empty", st->run_scratch);
		if (mkdir(empty, 0755) < 0 && errno != EEXIST)
			return cb_error_set(err, errno, "create `%s`", empty);
		cb_strvec_push(&c->lowers, empty);
	}
	build_stage_env(st, &c->env);
	add_proxy_env(b, &c->env);
	c->envp = xcalloc(c->env.n + 1, sizeof(*c->envp));
	for (size_t i = 0; i < c->env.n; i++)
		c->envp[i] = c->env.v[i];
	runtime_spec_init(&spec);
	spec.upperdir = c->upper;
	spec.workdir = work;
	spec.argv = (const char *const *)argv->v;
	spec.env = c->envp;
	spec.cwd = st->config.working_dir && *st->config.working_dir ? st->config.working_dir : "/";
	spec.create_cwd = true;
	spec.user = st->config.user;
	spec.hostname = "buildkitsandbox";
	spec.etc_readonly = true;
	spec.network = net;
	/* the build's namespace of that mode; NULL (host, rootless): the step's own */
	if (build_network(b, net, &spec.net, err) < 0)
		return -1;
	spec.limits = b->o->limits;
	spec.seccomp = b->o->seccomp;
	spec.seccomp_profile = b->o->seccomp_profile;
	spec.no_new_privileges = b->o->no_new_privileges;
	spec.cancel_fd = b->cancel_efd;
	if (script) {
		c->pdir = xasprintf("%s/pipes.%u", st->run_scratch, st->run_seq);
		if (write_script(c->pdir, in->u.run.cmdline.files[0].name, script, err) < 0)
			return -1;
		pipes.type = RUNTIME_MOUNT_BIND;
		pipes.source = c->pdir;
		pipes.target = "/dev/pipes";
		pipes.readonly = true;
		spec.mounts = &pipes;
		spec.nmounts = 1;
	}
	if (sandbox_lowers(st, c, &spec, err) < 0)
		return -1;
	c->pump = build_pump_start(b, step, err);
	if (!c->pump)
		return -1;
	spec.stdio[0] = devnull;
	spec.stdio[1] = build_pump_fd(c->pump);
	spec.stdio[2] = build_pump_fd(c->pump);
	ret = runtime_run(b->rt, &spec, &res, err);
	build_pump_finish(c->pump, &tail);
	c->pump = NULL;
	if (ret < 0) {
		cb_strbuf_release(&tail);
		return -1;
	}
	if (res.exit_code != 0 || res.cancelled) {
		struct cb_strbuf cmd = CB_STRBUF_INIT;
		/* the runtime's message adds to the exit code only for kills */
		const char *detail =
			res.signal || res.oom_killed || res.pids_limited ? res.message : NULL;

		for (size_t i = 0; i < argv->n; i++)
			cb_strbuf_addf(&cmd, "%s%s", i ? " " : "", argv->v[i]);
		if (res.cancelled)
			cb_error_set(err, ECANCELED, "process \"%s\" was cancelled", cmd.buf);
		else
			cb_error_set(err, 0,
				     "process \"%s\" did not complete successfully: exit code: "
				     "%d%s%s%s%s%s",
				     cmd.buf, res.exit_code, detail ? " (" : "",
				     detail ? detail : "", detail ? ")" : "",
				     tail.len ? "\nlast output:" : "", tail.len ? tail.buf : "");
		cb_strbuf_release(&cmd);
		runtime_result_release(&res);
		cb_strbuf_release(&tail);
		return -1;
	}
	runtime_result_release(&res);
	cb_strbuf_release(&tail);
	return 0;
}

int build_step_run(struct build *b, struct stage *st, const struct df_instruction *in,
		   struct cb_error **err)
{
	const struct df_run *r = &in->u.run;
	struct cb_strvec argv = CB_STRVEC_INIT, parts = CB_STRVEC_INIT;
	cleanup_free char *script = NULL, *created_by = NULL;
	struct run_ctx c = {0};
	struct mount_facts after;
	enum runtime_network net = build_step_network(b, r);
	struct cb_digest key;
	struct timespec t;
	unsigned step;
	int ret = -1;

	clock_gettime(CLOCK_MONOTONIC, &t);
	step = build_progress_step(b, st, in->code);
	if (r->nmounts || r->ndevices || r->security != DF_SECURITY_SANDBOX) {
		cb_error_set(err, ENOTSUP, "RUN %s is not supported yet",
			     r->nmounts	   ? "--mount"
			     : r->ndevices ? "--device"
					   : "--security");
		goto out;
	}
	if (run_argv(st, r, &argv, &script, err) < 0)
		goto out;
	created_by = history_text(st, &argv);
	run_key(b, st, &argv, script, net, &parts, &key);
	ret = build_cache_apply(b, st, &key, created_by, err);
	if (ret != 0) {
		if (ret > 0) {
			build_progress_done(b, step, &t, true);
			st->key = key;
			ret = 0;
		}
		goto out;
	}
	build_explain_miss(b, st, in, step, &st->key, &parts);
	ret = execute(b, st, in, &argv, script, net, step, &c, err);
	if (ret == 0)
		ret = runc_leftovers(st, &c, c.upper, &after, err);
	if (ret == 0)
		ret = build_commit_tree(b, st, c.upper, true, created_by, &key, err);
	if (ret == 0) { /* the facts of the new stack, for the next step */
		st->facts = after;
		st->facts_chain = st->chain;
		st->facts_has_chain = st->has_chain;
	}
	if (ret == 0) {
		st->key = key;
		build_progress_done(b, step, &t, false);
	}
out:
	run_ctx_release(st, &c);
	cb_strvec_clear(&argv);
	cb_strvec_clear(&parts);
	return ret < 0 ? build_line_error(in->start_line, err) : 0;
}
