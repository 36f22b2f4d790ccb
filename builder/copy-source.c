/*
 * copy-source.c - a COPY's sources and destination (step-copy.c): wildcards,
 * the destination resolved in the stage's rootfs, each source planned into
 * it (a file, a directory's contents, an archive, a URL, --parents).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

static bool has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Source matches of a pattern (per path component, as filepath.Match), sorted. */
static int glob_source(struct copy_op *op, const char *pattern, struct cb_strvec *out,
		       struct cb_error **err)
{
	cleanup_free char *dir = cb_dirname(pattern);
	const char *base = cb_basename(pattern);
	struct cb_strvec parents = CB_STRVEC_INIT;
	int ret = 0;

	if (has_wildcard(dir) && strcmp(dir, "/")) {
		if (glob_source(op, dir, &parents, err) < 0)
			return -1;
	} else {
		cb_strvec_push(&parents, dir);
	}
	for (size_t i = 0; i < parents.n && ret == 0; i++) {
		struct stackfs_entry d;
		struct cb_strvec names = CB_STRVEC_INIT;

		ret = stackfs_lookup(&op->ctx, parents.v[i], true, &d, err);
		if (ret <= 0)
			continue;
		if (S_ISDIR(d.st.st_mode))
			ret = stackfs_list(&op->ctx, &d, &names, err);
		for (size_t k = 0; ret >= 0 && k < names.n; k++)
			if (fnmatch(base, names.v[k], FNM_PATHNAME) == 0)
				cb_strvec_push_take(out, copy_join(d.path, names.v[k]));
		cb_strvec_clear(&names);
		stackfs_entry_release(&d);
		if (ret > 0)
			ret = 0;
	}
	cb_strvec_clear(&parents);
	return ret < 0 ? -1 : 0;
}

/* Clean an absolute path: no ".", "..", or repeated slashes. */
static char *clean_abs(const char *p)
{
	struct cb_strvec parts = CB_STRVEC_INIT;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	cleanup_free char *s = xstrdup(p);
	char *save = NULL;

	for (char *t = strtok_r(s, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, "."))
			continue;
		if (!strcmp(t, "..")) {
			if (parts.n) {
				free(parts.v[--parts.n]);
				parts.v[parts.n] = NULL;
			}
			continue;
		}
		cb_strvec_push(&parts, t);
	}
	for (size_t i = 0; i < parts.n; i++)
		cb_strbuf_addf(&sb, "/%s", parts.v[i]);
	if (!sb.len)
		cb_strbuf_addch(&sb, '/');
	cb_strvec_clear(&parts);
	return cb_strbuf_detach(&sb, NULL);
}

/*
 * The destination resolved in the stage's rootfs: symlinks on the way (and
 * at the end) followed inside it; *isdir when it is an existing directory.
 */
static int resolve_dest_n(struct copy_op *op, const char *path, char **out, bool *isdir, int depth,
			  struct cb_error **err)
{
	struct stackfs_entry e;
	int r = stackfs_lookup(&op->dest, path, true, &e, err);

	if (r < 0)
		return -1;
	if (r == 0 && depth < 40 && stackfs_lookup(&op->dest, path, false, &e, err) > 0) {
		/* a dangling symlink: the copy creates its target (fsutil follows it) */
		if (S_ISLNK(e.st.st_mode)) {
			cleanup_free char *target = stackfs_entry_readlink(&op->dest, &e, err);
			cleanup_free char *dir = cb_dirname(e.path);
			cleanup_free char *next = NULL;

			stackfs_entry_release(&e);
			if (!target)
				return -1;
			next = target[0] == '/' ? xstrdup(target) : copy_join(dir, target);
			return resolve_dest_n(op, next, out, isdir, depth + 1, err);
		}
		stackfs_entry_release(&e);
	}
	if (r > 0) {
		*out = xstrdup(e.path);
		*isdir = S_ISDIR(e.st.st_mode);
		stackfs_entry_release(&e);
		return 0;
	}
	*isdir = false;
	if (!strcmp(path, "/")) {
		*out = xstrdup("/");
		*isdir = true;
		return 0;
	}
	{
		cleanup_free char *dir = cb_dirname(path);
		cleanup_free char *pdir = NULL;
		bool pisdir;

		if (resolve_dest_n(op, dir, &pdir, &pisdir, depth + 1, err) < 0)
			return -1;
		*out = copy_join(pdir, cb_basename(path));
	}
	return 0;
}

int copy_resolve_dest(struct copy_op *op, const char *path, char **out, bool *isdir,
		      struct cb_error **err)
{
	return resolve_dest_n(op, path, out, isdir, 0, err);
}

/* Does a directory at abs exist in the plan so far? */
static bool planned_dir(const struct copy_op *op, const char *abs)
{
	for (size_t i = 0; i < op->plan.n; i++)
		if (op->plan.items[i].kind == ITEM_DIR && !strcmp(op->plan.items[i].dst, abs))
			return true;
	for (size_t i = 0; i < op->plan.dirs.n; i++)
		if (!strcmp(op->plan.dirs.v[i], abs))
			return true;
	return false;
}

/*
 * ADD extracts a local tar archive (plain, or gzip, bzip2, xz or zstd
 * compressed: Docker's DecompressStream) into the destination directory:
 * 1 when e is one, that is when it starts with a valid tar header once
 * decompressed (a gzipped text file is copied as it is).
 */
static int is_archive(struct copy_op *op, const struct stackfs_entry *e, struct cb_error **err)
{
	cleanup_close int fd = -1;

	if (!op->is_add || op->in->u.copy.unpack == 0 || !S_ISREG(e->st.st_mode))
		return 0;
	fd = stackfs_open_entry(&op->ctx, e, O_RDONLY, err);
	if (fd < 0)
		return -1;
	return layer_is_tar(fd, err);
}

static int plan_source(struct copy_op *op, const char *src_abs, const char *dest, bool dest_slash,
		       bool glob, struct cb_error **err)
{
	struct stackfs_entry e;
	cleanup_free char *dst = NULL;
	bool isdir = false;
	int r, x;

	x = copy_excluded(op, src_abs, "", err);
	if (x < 0)
		return -1;
	r = x ? 0 : stackfs_lookup(&op->ctx, src_abs, true, &e, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		if (glob)
			return 0;
		return cb_error_set(err, ENOENT, "\"%s\": not found%s", src_abs,
				    op->from_context ? " in the build context (or excluded by "
						       ".dockerignore)"
						     : "");
	}
	if (copy_resolve_dest(op, dest, &dst, &isdir, err) < 0) {
		stackfs_entry_release(&e);
		return -1;
	}
	isdir = isdir || dest_slash || planned_dir(op, dst);
	r = is_archive(op, &e, err);
	if (r != 0) {
		struct copy_item *it;

		if (r < 0) {
			stackfs_entry_release(&e);
			return -1;
		}
		it = copy_new_item(op, ITEM_ARCHIVE, dst, false, err);
		if (it) {
			it->src = &op->ctx;
			it->entry.path = copy_plan_src_path(&op->plan, it, e.path);
			it->entry.st = e.st;
			it->entry.layer = e.layer;
		}
		stackfs_entry_release(&e);
		return it ? 0 : -1;
	}
	if (!S_ISDIR(e.st.st_mode) && isdir) {
		char *d2 = copy_join(dst, cb_basename(src_abs));

		free(dst);
		dst = d2;
	}
	r = copy_plan_root(op, &e, dst, err);
	stackfs_entry_release(&e);
	return r;
}

/* ADD <url>: one file (an archive with --unpack=true) that step-add-url.c downloads */
static int plan_url(struct copy_op *op, const char *url, const char *dest, bool dest_slash,
		    struct cb_error **err)
{
	struct url_source *u = url_source_new(op->b, op->st, op->in, url, err);
	cleanup_free char *dst = NULL;
	struct copy_item *it;
	bool isdir;

	if (!u || copy_resolve_dest(op, dest, &dst, &isdir, err) < 0) {
		url_source_free(u);
		return -1;
	}
	if (!u->archive && (isdir || dest_slash || planned_dir(op, dst))) {
		char *d2 = copy_join(dst, u->name);

		free(dst);
		dst = d2;
	}
	it = copy_new_item(op, u->archive ? ITEM_ARCHIVE : ITEM_FILE, dst, false, err);
	if (!it) {
		url_source_free(u);
		return -1;
	}
	it->url = u;
	it->src = &u->fs;
	{
		cleanup_free char *path = xasprintf("/%s", u->name);

		it->entry.path = copy_plan_str(&op->plan, path);
	}
	stackfs_stat_from(&it->entry.st, &u->st);
	it->hashed = true;
	it->digest = u->digest;
	return copy_set_meta(op, it, &it->entry.st, err);
}

static int plan_contents(struct copy_op *op, const char *dest, bool dest_slash,
			 struct cb_error **err)
{
	const struct df_copy *c = &op->in->u.copy;

	for (size_t i = 0; i < c->ncontents; i++) {
		const struct df_source_content *sc = &c->contents[i];
		cleanup_free char *dst = NULL;
		struct copy_item *it;
		struct stackfs_stat st = {0};
		bool isdir;

		if (copy_resolve_dest(op, dest, &dst, &isdir, err) < 0)
			return -1;
		if (isdir || dest_slash || planned_dir(op, dst)) {
			char *d2 = copy_join(dst, cb_basename(sc->path));

			free(dst);
			dst = d2;
		}
		it = copy_new_item(op, ITEM_DATA, dst, false, err);
		if (!it)
			return -1;
		if (sc->expand) {
			struct shell_lex lex = SHELL_LEX_INIT;

			lex.escape = op->b->df->ast->escape;
			it->data = shell_expand_word(&lex, sc->data, &op->st->env, err);
			if (!it->data)
				return -1;
		} else {
			it->data = xstrdup(sc->data);
		}
		st.st_mode = S_IFREG | 0644;
		st.st_mtim = op->now;
		if (copy_set_meta(op, it, &st, err) < 0)
			return -1;
		it->uid = op->chown ? op->uid : 0;
		it->gid = op->chown ? op->gid : 0;
	}
	return 0;
}

/*
 * COPY --parents SRC: the matches of SRC keep their parent directories
 * under the destination, from the root of the source or from a `/./`
 * pivot in SRC (BuildKit's include patterns).  A path without wildcards
 * must exist.
 */
static int plan_parents(struct copy_op *op, const char *src, const char *dest,
			struct cb_error **err)
{
	const char *pivot = strstr(src, "/./");
	cleanup_free char *head = pivot ? xstrndup(src, (size_t)(pivot - src)) : xstrdup("/");
	cleanup_free char *root = clean_abs(head);
	cleanup_free char *full = xasprintf("%s/%s", root, pivot ? pivot + 3 : src);
	cleanup_free char *pat = clean_abs(full);
	struct cb_strvec m = CB_STRVEC_INIT;
	size_t rl = strcmp(root, "/") ? strlen(root) : 0;
	int ret = 0;

	if (has_wildcard(pat)) {
		if (glob_source(op, pat, &m, err) < 0)
			return -1;
	} else {
		cb_strvec_push(&m, pat);
	}
	for (size_t i = 0; i < m.n && ret == 0; i++) {
		const char *rel = m.v[i] + rl; /* "/a/b/c.txt" */
		struct cb_strbuf p = CB_STRBUF_INIT;
		struct stackfs_entry e;
		int r;

		if (strncmp(m.v[i], root, rl) || (rel[0] && rel[0] != '/'))
			continue; /* a match outside the pivot (cannot happen) */
		/* the parents, each with its source directory's metadata */
		for (const char *c = rel + 1; ret == 0 && (c = strchr(c, '/')); c++) {
			cleanup_free char *sp = NULL, *dp = NULL;

			cb_strbuf_reset(&p);
			cb_strbuf_add(&p, rel, (size_t)(c - rel));
			sp = xasprintf("%s%s", rl ? root : "", p.buf);
			dp = !strcmp(dest, "/") ? xstrdup(p.buf) : xasprintf("%s%s", dest, p.buf);
			if (planned_dir(op, dp))
				continue;
			r = stackfs_lookup(&op->ctx, sp, true, &e, err);
			if (r > 0 && S_ISDIR(e.st.st_mode)) {
				struct copy_item *it = copy_new_item(op, ITEM_DIR, dp, false, err);

				if (it)
					it->src = &op->ctx;
				ret = it ? copy_set_meta(op, it, &e.st, err) : -1;
			}
			if (r > 0)
				stackfs_entry_release(&e);
			if (r < 0)
				ret = -1;
		}
		cb_strbuf_release(&p);
		if (ret < 0)
			break;
		r = stackfs_lookup(&op->ctx, m.v[i], true, &e, err);
		if (r == 0 && !has_wildcard(pat))
			ret = cb_error_set(err, ENOENT, "\"%s\": not found", m.v[i]);
		if (r > 0) {
			cleanup_free char *dp =
				!strcmp(dest, "/") ? xstrdup(rel) : xasprintf("%s%s", dest, rel);

			ret = copy_plan_root(op, &e, dp, err);
			stackfs_entry_release(&e);
		}
		if (r < 0)
			ret = -1;
	}
	cb_strvec_clear(&m);
	return ret;
}

int copy_plan_step(struct copy_op *op, const struct cb_strvec *srcs, const char *dest_raw,
		   struct cb_error **err)
{
	const char *wd = op->st->config.working_dir && *op->st->config.working_dir
				 ? op->st->config.working_dir
				 : "/";
	cleanup_free char *full =
		dest_raw[0] == '/' ? xstrdup(dest_raw) : xasprintf("%s/%s", wd, dest_raw);
	cleanup_free char *dest = clean_abs(full);
	size_t dl = strlen(dest_raw);
	bool slash = (dl && dest_raw[dl - 1] == '/') || !strcmp(dest_raw, ".") ||
		     (dl >= 2 && !strcmp(dest_raw + dl - 2, "/."));

	/*
	 * Several sources and a destination without '/': Docker's BuildKit
	 * copies each to that path in turn (the last wins), so no error here.
	 */
	for (size_t i = 0; i < srcs->n; i++) {
		cleanup_free char *abs = NULL;

		if (url_source_is_url(srcs->v[i])) {
			if (plan_url(op, srcs->v[i], dest, slash, err) < 0)
				return -1;
			continue;
		}
		if (op->in->u.copy.parents) {
			if (plan_parents(op, srcs->v[i], dest, err) < 0)
				return -1;
			continue;
		}
		if (strstr(srcs->v[i], "://"))
			return cb_error_set(err, ENOTSUP,
					    "%s from a URL (`%s`) is not supported yet",
					    op->is_add ? "ADD" : "COPY", srcs->v[i]);
		abs = clean_abs(srcs->v[i]);
		if (has_wildcard(abs)) {
			struct cb_strvec m = CB_STRVEC_INIT;
			int r = glob_source(op, abs, &m, err);

			for (size_t k = 0; r == 0 && k < m.n; k++)
				r = plan_source(op, m.v[k], dest, slash, true, err);
			cb_strvec_clear(&m);
			if (r < 0)
				return -1;
		} else if (plan_source(op, abs, dest, slash, false, err) < 0) {
			return -1;
		}
	}
	return plan_contents(op, dest, slash, err);
}
