/*
 * step-copy.c - COPY and ADD (local sources), and WORKDIR's directory.
 *
 * Sources come from a merged view (stackfs.c): the build context as a
 * one-layer stack (its ignore file applied), or a stage's or an image's
 * snapshots for --from.  The step is planned first, as a list of items
 * (destination path, source entry, metadata), which is hashed into the
 * cache key (paths, modes, owners, sizes, contents and link targets,
 * never mtimes); on a miss the items are written into a fresh tree in a
 * store scratch directory, which becomes the layer.  The destination is
 * resolved against the stage's own merged view, so a symlink on the way
 * resolves inside the image; parent directories that exist there are
 * recreated in the tree with their metadata, as overlayfs copies them up.
 *
 * The rules are fsutil's copy (BuildKit's FileOp): a directory source
 * copies its contents; a file goes into an existing directory, into a
 * destination ending in '/', or becomes the destination; new directories
 * take --chown and the build's timestamp; files keep their mode and mtime,
 * and their owner (0:0 from the context) unless --chown.
 *
 * The step is in four more files: copy-plan.c (the items and the walk),
 * copy-source.c (sources and destination), copy-key.c (the cache key) and
 * copy-write.c (the tree); their shared state, struct copy_op, is in
 * builder-internal.h.
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
#include "xalloc.h"

#define PASSWD_MAX (4u << 20)

/* ------------------------------------------------------------------------ */
/* --chown and --chmod                                                       */
/* ------------------------------------------------------------------------ */

/* An /etc/passwd or /etc/group line's fields 0 and 2 (name, id) for name. */
static bool lookup_id(const char *file, const char *name, unsigned *id, unsigned *gid)
{
	size_t n = strlen(name);

	for (const char *p = file; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		cleanup_free char *line = xstrndup(p, len);
		char *f[4] = {0};
		char *save = NULL, *t = line;

		for (int i = 0; i < 4; i++) {
			f[i] = t;
			t = t ? strchr(t, ':') : NULL;
			if (t)
				*t++ = '\0';
		}
		(void)save;
		if (f[0] && strlen(f[0]) == n && !strcmp(f[0], name) && f[2]) {
			*id = (unsigned)strtoul(f[2], NULL, 10);
			if (gid && f[3])
				*gid = (unsigned)strtoul(f[3], NULL, 10);
			return true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

/* name's ids from the destination's file (/etc/passwd or /etc/group), when both are there. */
static int lookup_in(struct copy_op *op, const char *path, const char *name, unsigned *id,
		     unsigned *gid, struct cb_error **err)
{
	cleanup_free char *text = NULL;
	size_t len;
	int r = stackfs_read_file(&op->dest, path, PASSWD_MAX, &text, &len, err);

	if (r > 0)
		lookup_id(text, name, id, gid);
	return r < 0 ? -1 : 0;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* BuildKit's readUser: names from the destination's files; unknown names are 0. */
static int resolve_chown(struct copy_op *op, const char *spec, struct cb_error **err)
{
	cleanup_free char *user = xstrdup(spec);
	char *group = strchr(user, ':');
	unsigned uid = 0, gid = 0;

	if (group)
		*group++ = '\0';
	if (all_digits(user)) {
		uid = gid = (unsigned)strtoul(user, NULL, 10);
	} else if (*user && lookup_in(op, "/etc/passwd", user, &uid, &gid, err) < 0) {
		return -1;
	}
	if (group && all_digits(group)) {
		gid = (unsigned)strtoul(group, NULL, 10);
	} else if (group && *group && lookup_in(op, "/etc/group", group, &gid, NULL, err) < 0) {
		return -1;
	}
	op->chown = true;
	op->uid = uid;
	op->gid = gid;
	return 0;
}

/* Octal, or symbolic ("u+x,go-w", "a=rX") applied to mode. */
int copy_apply_chmod(const char *spec, mode_t mode, bool dir, mode_t *out, struct cb_error **err)
{
	char *end;
	unsigned long v;
	cleanup_free char *s = xstrdup(spec);
	char *save = NULL;

	errno = 0;
	v = strtoul(spec, &end, 8);
	if (*spec && !*end && !errno) {
		if (v > 07777)
			return cb_error_set(err, EINVAL,
					    "invalid chmod parameter: '%s'. it should be octal "
					    "string and between 0 and 07777",
					    spec);
		*out = (mode_t)v;
		return 0;
	}
	mode &= 07777;
	for (char *clause = strtok_r(s, ",", &save); clause; clause = strtok_r(NULL, ",", &save)) {
		mode_t who = 0;
		char *p = clause;

		for (; *p && strchr("ugoa", *p); p++)
			who |= *p == 'u' ? 04700 : *p == 'g' ? 02070 : *p == 'o' ? 01007 : 07777;
		if (!who)
			who = 07777;
		if (!*p)
			goto bad;
		while (*p) {
			char op = *p++;
			mode_t bits = 0;

			if (!strchr("+-=", op))
				goto bad;
			for (; *p && strchr("rwxXst", *p); p++) {
				switch (*p) {
				case 'r':
					bits |= 0444;
					break;
				case 'w':
					bits |= 0222;
					break;
				case 'x':
					bits |= 0111;
					break;
				case 'X':
					if (dir || (mode & 0111))
						bits |= 0111;
					break;
				case 's':
					bits |= 06000;
					break;
				case 't':
					bits |= 01000;
					break;
				}
			}
			bits &= who;
			if (op == '+')
				mode |= bits;
			else if (op == '-')
				mode &= ~bits;
			else
				mode = (mode & ~(who & 07777)) | bits;
		}
	}
	*out = mode;
	return 0;
bad:
	return cb_error_set(err, EINVAL, "invalid chmod parameter: '%s'", spec);
}

/* ------------------------------------------------------------------------ */
/* The step                                                                  */
/* ------------------------------------------------------------------------ */

static int open_source(struct copy_op *op, const char *from, struct cb_strvec *lowers,
		       struct cb_error **err)
{
	struct build *b = op->b;
	long idx;

	if (!from) {
		const char *dir = b->ctx.dir;

		op->from_context = true;
		if (stackfs_open(&op->ctx, &dir, 1, err) < 0)
			return -1;
		op->ctx.plain = true;
		return 0;
	}
	idx = build_find_stage(b, from, b->nstages);
	if (idx >= 0) {
		const struct stage *src = &b->stages[idx];

		if (src->status != STAGE_DONE)
			return cb_error_set(err, EINVAL,
					    "cannot copy from stage \"%s\", it needs to be defined "
					    "before current stage",
					    from);
		if (build_stage_lowerdirs(src, lowers, err) < 0)
			return -1;
	} else {
		struct store_image img;

		if (build_from_resolve(b, op->st, from, &img, err) < 0)
			return -1;
		if (img.manifest.nlayers &&
		    build_image_rootfs(op->st->s, &img, -1, lowers, err) < 0) {
			store_image_release(&img);
			return -1;
		}
		store_image_release(&img);
	}
	return stackfs_open(&op->ctx, (const char *const *)lowers->v, lowers->n, err);
}

/* URL sources known by their digest alone (--checksum, an unchanged ETag): download now */
static int fetch_urls(struct copy_op *op, struct cb_error **err)
{
	for (size_t i = 0; i < op->plan.n; i++) {
		struct copy_item *it = &op->plan.items[i];

		if (it->url && url_source_fetch(op->b, it->url, err) < 0)
			return -1;
		if (it->url) {
			stackfs_stat_from(&it->entry.st, &it->url->st);
			it->mtime = it->url->st.st_mtim;
		}
	}
	return 0;
}

static void copy_op_release(struct copy_op *op)
{
	stackfs_release(&op->dest);
	stackfs_release(&op->ctx);
	ignore_matcher_free(op->excl);
	copy_plan_release(&op->plan);
	cb_strvec_clear(&op->copied_up);
	if (op->pfd >= 0)
		close(op->pfd);
	free(op->pdir);
	copy_reuse_close(op->reuse);
	copy_reuse_list_release(&op->reuse_list);
}

/* The sources and destination, expanded; the history text. */
static int expand_args(struct copy_op *op, struct cb_strvec *srcs, char **dest, char **from,
		       char **chown, char **created_by, struct cb_error **err)
{
	const struct df_copy *c = &op->in->u.copy;
	struct shell_lex lex = SHELL_LEX_INIT;
	struct cb_strbuf msg = CB_STRBUF_INIT;

	lex.escape = op->b->df->ast->escape;
	for (size_t i = 0; i < c->sources.n; i++) {
		char *s = shell_expand_word(&lex, c->sources.v[i], &op->st->env, err);

		if (!s)
			return -1;
		cb_strvec_push_take(srcs, s);
	}
	*dest = shell_expand_word(&lex, c->dest, &op->st->env, err);
	if (!*dest)
		return -1;
	if (c->chown) {
		*chown = shell_expand_word(&lex, c->chown, &op->st->env, err);
		if (!*chown)
			return -1;
	}
	if (c->from) {
		*from = build_expand_meta(op->b, c->from, op->in->start_line, err);
		if (!*from)
			return -1;
	}
	/* Docker's BuildKit writes no flags into the history: "COPY src dst" */
	cb_strbuf_addstr(&msg, op->is_add ? "ADD" : "COPY");
	for (size_t i = 0; i < srcs->n; i++)
		cb_strbuf_addf(&msg, " %s", srcs->v[i]);
	for (size_t i = 0; i < c->ncontents; i++)
		cb_strbuf_addf(&msg, " <<%s", c->contents[i].path);
	cb_strbuf_addf(&msg, " %s # buildkit", *dest);
	*created_by = cb_strbuf_detach(&msg, NULL);
	return 0;
}

int build_step_copy(struct build *b, struct stage *st, const struct df_instruction *in,
		    struct cb_error **err)
{
	struct copy_op op = {.b = b, .st = st, .in = in, .is_add = in->kind == DF_ADD, .pfd = -1};
	struct cb_strvec srcs = CB_STRVEC_INIT, lowers = CB_STRVEC_INIT, slowers = CB_STRVEC_INIT;
	struct cb_strvec head = CB_STRVEC_INIT;
	cleanup_free char *dest = NULL, *from = NULL, *chown = NULL, *created_by = NULL;
	cleanup_free char *scratch = NULL, *tree = NULL;
	struct cb_digest key;
	struct timespec t;
	char reuse_name[96];
	bool speculative;
	unsigned step;
	int ret = -1;

	clock_gettime(CLOCK_MONOTONIC, &t);
	op.now.tv_sec = b->epoch >= 0 ? b->epoch : time(NULL);
	step = build_progress_step(b, st, in->code);
	if (expand_args(&op, &srcs, &dest, &from, &chown, &created_by, err) < 0 ||
	    url_source_check(b, st, in, &srcs, err) < 0)
		goto out;
	op.chmod = in->u.copy.chmod;
	if (in->u.copy.excludes.n) {
		op.excl = ignore_matcher_new(&in->u.copy.excludes, err);
		if (!op.excl)
			goto out;
	}
	if (build_stage_lowerdirs(st, &lowers, err) < 0 ||
	    stackfs_open(&op.dest, (const char *const *)lowers.v, lowers.n, err) < 0 ||
	    open_source(&op, from, &slowers, err) < 0)
		goto out;
	if (chown && resolve_chown(&op, chown, err) < 0)
		goto out;
	/*
	 * --link (without --chmod, as BuildKit): the files are copied onto an
	 * empty tree and the layer merged on top, so nothing of the rootfs is
	 * seen (no symlinks followed, parents made fresh) and the cache key
	 * does not depend on the layers below: it survives a changed base.
	 */
	op.link = in->u.copy.link && !op.chmod;
	if (op.link) {
		stackfs_release(&op.dest);
		if (stackfs_open(&op.dest, NULL, 0, err) < 0)
			goto out;
	}
	cb_strvec_push(&head, op.is_add ? "ADD" : "COPY");
	if (op.link)
		cb_strvec_pushf(&head, "link platform=%s/%s/%s", b->os, b->arch, b->variant);
	cb_strvec_pushf(&head, "dest=%s chown=%s chmod=%s", dest, chown ? chown : "",
			op.chmod ? op.chmod : "");
	cb_strvec_pushf(&head, "workdir=%s", st->config.working_dir ? st->config.working_dir : "");
	/* an unchanged source is checked without keeping a plan (copy_stream_key) */
	ret = copy_stream_key(&op, &srcs, dest, &head, &key, err);
	if (ret < 0)
		goto out;
	if (ret > 0) {
		ret = build_cache_apply(b, st, &key, created_by, err);
		if (ret != 0)
			goto cached;
	}
	ret = -1;
	if (copy_plan_step(&op, &srcs, dest, err) < 0)
		goto out;
	speculative = copy_first(&op);
	if (!speculative) {
		if (copy_key(&op, &head, &key, err) < 0)
			goto out;
		ret = build_cache_apply(b, st, &key, created_by, err);
		if (ret != 0)
			goto cached;
	}
	ret = -1;
	if (fetch_urls(&op, err) < 0)
		goto out;
	/*
	 * Files unchanged since this COPY's last result are linked from its
	 * snapshot (reuse.c).  Not under SOURCE_DATE_EPOCH: the tree's times are
	 * clamped in place.  Not with archives: extracting may write in place.
	 */
	op.remember = b->ctx.dir && b->epoch < 0 && !copy_plan_has_archive(&op);
	if (op.remember) {
		copy_reuse_name(b, st, in, reuse_name, sizeof(reuse_name));
		if (!speculative)
			op.reuse = copy_reuse_open(st->s, reuse_name);
	}
	scratch = layer_store_scratch_create(st->s, err);
	if (!scratch)
		goto out;
	tree = xasprintf("%s/tree", scratch);
	if (copy_write_tree(&op, tree, err) < 0)
		goto out;
	copy_reuse_close(op.reuse); /* the last result's record is done with: its memory too */
	op.reuse = NULL;
	if (speculative) {
		if (copy_key(&op, &head, &key, err) < 0)
			goto out;
		ret = build_cache_apply(b, st, &key, created_by, err);
		if (ret != 0)
			goto cached; /* the tree goes with the scratch directory */
		ret = -1;
	}
	copy_explain(&op, &head, step);
	/* a copied tree has hardlinks of its own only from an extracted archive */
	if (build_commit_tree(b, st, tree, copy_plan_has_archive(&op), created_by, &key, err) < 0)
		goto out;
	if (op.remember)
		copy_reuse_save(st->s, reuse_name, &st->chain, &op.reuse_list);
	st->key = key;
	build_progress_done(b, step, &t, false);
	ret = 0;
	goto out;
cached:
	if (ret > 0) {
		st->key = key;
		build_progress_done(b, step, &t, true);
		ret = 0;
	}
out:
	if (scratch) {
		struct cb_error *e = NULL;

		if (layer_store_scratch_remove(st->s, scratch, &e) < 0)
			cb_error_free(&e);
	}
	copy_op_release(&op);
	cb_strvec_clear(&srcs);
	cb_strvec_clear(&lowers);
	cb_strvec_clear(&slowers);
	cb_strvec_clear(&head);
	return ret < 0 ? build_line_error(in->start_line, err) : 0;
}

int build_step_mkdir(struct build *b, struct stage *st, const char *dir, struct cb_error **err)
{
	struct copy_op op = {.b = b, .st = st, .pfd = -1};
	struct cb_strvec lowers = CB_STRVEC_INIT, parts = CB_STRVEC_INIT;
	cleanup_free char *scratch = NULL, *tree = NULL;
	cleanup_free char *created_by = xasprintf("WORKDIR %s", dir);
	struct stackfs_entry e;
	struct cb_digest key;
	bool exists;
	int ret = -1, r;

	op.now.tv_sec = b->epoch >= 0 ? b->epoch : time(NULL);
	if (build_stage_lowerdirs(st, &lowers, err) < 0 ||
	    stackfs_open(&op.dest, (const char *const *)lowers.v, lowers.n, err) < 0)
		goto out;
	r = stackfs_lookup(&op.dest, dir, true, &e, err);
	if (r < 0)
		goto out;
	exists = r > 0; /* there already: an empty layer (Docker's BuildKit still makes one) */
	if (exists)
		stackfs_entry_release(&e);
	if (st->config.user && *st->config.user && resolve_chown(&op, st->config.user, err) < 0)
		goto out;
	cb_strvec_pushf(&parts, "MKDIR %s user=%s", dir, st->config.user ? st->config.user : "");
	build_key(&st->key, &parts, &key);
	r = build_cache_apply(b, st, &key, created_by, err);
	if (r != 0) {
		if (r > 0)
			st->key = key;
		ret = r > 0 ? 0 : -1;
		goto out;
	}
	scratch = layer_store_scratch_create(st->s, err);
	if (!scratch)
		goto out;
	tree = xasprintf("%s/tree", scratch);
	if (mkdir(tree, 0755) < 0) {
		cb_error_set(err, errno, "create `%s`", tree);
		goto out;
	}
	{
		cleanup_close int tfd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cleanup_free char *canon = NULL;
		bool isdir;
		int fd;

		if (tfd < 0) {
			cb_error_set(err, errno, "open `%s`", tree);
			goto out;
		}
		if (copy_resolve_dest(&op, dir, &canon, &isdir, err) < 0)
			goto out;
		/* there already: the layer is empty (see above) */
		if (!exists) {
			fd = copy_tree_mkdir_p(&op, tfd, canon, err);
			if (fd < 0)
				goto out;
			close(fd);
		}
	}
	if (build_commit_tree(b, st, tree, false, created_by, &key, err) < 0)
		goto out;
	st->key = key;
	ret = 0;
out:
	if (scratch) {
		struct cb_error *e2 = NULL;

		if (layer_store_scratch_remove(st->s, scratch, &e2) < 0)
			cb_error_free(&e2);
	}
	copy_op_release(&op);
	cb_strvec_clear(&lowers);
	cb_strvec_clear(&parts);
	return ret;
}
