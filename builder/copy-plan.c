/*
 * copy-plan.c - a COPY's plan (step-copy.c): the items, their string arena,
 * and the walk of a source's tree into items.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "xalloc.h"

/* ------------------------------------------------------------------------ */
/* Planning                                                                  */
/* ------------------------------------------------------------------------ */

#define ARENA_CHUNK (256u << 10)

static char *arena_dup(struct str_arena *a, const char *s, size_t len)
{
	char *p;

	if (len + 1 > a->left) {
		size_t size = len + 1 > ARENA_CHUNK ? len + 1 : ARENA_CHUNK;

		CB_ALLOC_GROW(a->chunks, a->n + 1, a->alloc);
		a->chunks[a->n++] = a->cur = xmalloc(size);
		a->left = size;
		if (a->n == 1)
			a->size0 = size;
	}
	p = a->cur;
	memcpy(p, s, len);
	p[len] = '\0';
	a->cur += len + 1;
	a->left -= len + 1;
	return p;
}

/* Forget every string (the first chunk is kept for the next ones). */
void copy_arena_rewind(struct str_arena *a)
{
	if (!a->n)
		return;
	for (size_t i = 1; i < a->n; i++)
		free(a->chunks[i]);
	a->n = 1;
	a->cur = a->chunks[0];
	a->left = a->size0;
}

static void arena_release(struct str_arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->chunks[i]);
	free(a->chunks);
	memset(a, 0, sizeof(*a));
}

/* A string of an item, in the arena. */
char *copy_plan_str(struct copy_plan *p, const char *s)
{
	return arena_dup(&p->strings, s, strlen(s));
}

/* The source path of an item: the tail of its destination when it is one. */
char *copy_plan_src_path(struct copy_plan *p, const struct copy_item *it, const char *path)
{
	size_t dl = strlen(it->dst), pl = strlen(path);

	if (pl <= dl && !memcmp(it->dst + dl - pl, path, pl))
		return it->dst + dl - pl;
	return copy_plan_str(p, path);
}

/* What an item owns (its copy_plan_str strings are the arena's). */
void copy_item_release(struct copy_item *it)
{
	free(it->data);
	url_source_free(it->url);
}

/* Room for one more item: the array grows by mremap, so it is never copied. */
static void plan_grow(struct copy_plan *p)
{
	size_t alloc = p->alloc ? p->alloc * 2 : 1024;
	size_t size = cb_st_mult(alloc, sizeof(*p->items));
	void *m = p->alloc ? mremap(p->items, p->alloc * sizeof(*p->items), size, MREMAP_MAYMOVE)
			   : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);

	if (m == MAP_FAILED) {
		fprintf(stderr, "cbuild: out of memory allocating %zu bytes\n", size);
		abort();
	}
	p->items = m;
	p->alloc = alloc;
}

/*
 * A new item at dst.  lazy: a directory that goes again unless something
 * is planned after it (plan_entry), so it is not final yet.  NULL when
 * streaming the key failed.
 */
struct copy_item *copy_new_item(struct copy_op *op, enum item_kind kind, const char *dst, bool lazy,
				struct cb_error **err)
{
	struct copy_plan *p = &op->plan;
	struct copy_item *it;

	if (p->ks && copy_plan_flush(op, err) < 0)
		return NULL;
	if (p->n == p->alloc)
		plan_grow(p);
	it = &p->items[p->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->dst = copy_plan_str(p, dst);
	if (!lazy)
		p->final = p->base + p->n;
	return it;
}

/* Items planned so far, dropped ones included. */
size_t copy_plan_count(const struct copy_op *op)
{
	return op->plan.base + op->plan.n;
}

void copy_plan_release(struct copy_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		copy_item_release(&p->items[i]);
	if (p->items)
		munmap(p->items, p->alloc * sizeof(*p->items));
	arena_release(&p->strings);
	cb_strvec_clear(&p->dirs);
	memset(p, 0, sizeof(*p));
}

char *copy_join(const char *dir, const char *name)
{
	if (!*name)
		return xstrdup(dir);
	return !strcmp(dir, "/") ? xasprintf("/%s", name) : xasprintf("%s/%s", dir, name);
}

/* Is a context path (relative, no leading '/') left out? */
int copy_excluded(struct copy_op *op, const char *abs, const char *rel_to_src,
		  struct cb_error **err)
{
	int r = 0;

	if (op->from_context && abs[1])
		r = build_context_excluded(&op->b->ctx, abs + 1, err);
	if (r == 0 && op->excl && *rel_to_src)
		r = ignore_matcher_matches(op->excl, rel_to_src, err);
	return r;
}

int copy_set_meta(struct copy_op *op, struct copy_item *it, const struct stackfs_stat *st,
		  struct cb_error **err)
{
	mode_t mode = st->st_mode & 07777;

	it->uid = op->chown ? op->uid : op->from_context ? 0 : st->st_uid;
	it->gid = op->chown ? op->gid : op->from_context ? 0 : st->st_gid;
	it->mtime = st->st_mtim;
	if (op->chmod && it->kind != ITEM_LINK &&
	    copy_apply_chmod(op->chmod, mode, it->kind == ITEM_DIR, &mode, err) < 0)
		return -1;
	it->mode = mode;
	return 0;
}

/* Where a walk is: the entry's source path, destination, and path below the source. */
struct walk {
	struct cb_strbuf src, dst, rel;
};

/* Append /name to a path ("/" + name at the root); the length before. */
static size_t path_push(struct cb_strbuf *sb, const char *name)
{
	size_t len = sb->len;

	if (sb->len != 1 || sb->buf[0] != '/')
		cb_strbuf_addch(sb, '/');
	cb_strbuf_addstr(sb, name);
	return len;
}

/* Append name to a relative path. */
static size_t rel_push(struct cb_strbuf *sb, const char *name)
{
	size_t len = sb->len;

	if (sb->len)
		cb_strbuf_addch(sb, '/');
	cb_strbuf_addstr(sb, name);
	return len;
}

static int plan_entry(struct copy_op *op, struct walk *w, const struct stackfs_entry *e, bool lazy,
		      struct cb_error **err);

/*
 * The children of directory e (at w), in name order: looked up relative to
 * the directory, all of them before descending, so a walk holds one
 * directory's fds at a time however deep it goes.
 */
static int plan_children(struct copy_op *op, struct walk *w, const struct stackfs_entry *e,
			 struct cb_error **err)
{
	const struct stackfs *fs = &op->ctx;
	bool reinclude = op->from_context && op->b->ctx.ignore &&
			 ignore_matcher_has_exclusions(op->b->ctx.ignore);
	struct stackfs_entry here = *e, *kids = NULL;
	struct stackfs_dir d;
	unsigned char *state = NULL; /* 0 absent or left out, 1 planned, 2 lazy */
	int ret = 0;

	here.path = w->src.buf;
	if (stackfs_dir_open(fs, &here, &d, err) < 0)
		return -1;
	kids = xcalloc(d.n ? d.n : 1, sizeof(*kids));
	state = xcalloc(d.n ? d.n : 1, 1);
	for (size_t i = 0; ret == 0 && i < d.n; i++) {
		const char *name = stackfs_dir_name(&d, i);
		size_t sl = path_push(&w->src, name), rl = rel_push(&w->rel, name);
		int x = copy_excluded(op, w->src.buf, w->rel.buf, err);

		cb_strbuf_setlen(&w->src, sl);
		cb_strbuf_setlen(&w->rel, rl);
		if (x < 0) {
			ret = -1;
			break;
		}
		/* a `!` pattern may bring back files in an excluded directory */
		if (x > 0 && !reinclude)
			continue;
		ret = stackfs_dir_child(fs, &d, i, &kids[i], err);
		if (ret <= 0)
			continue;
		ret = 0;
		if (x > 0 && !S_ISDIR(kids[i].st.st_mode)) {
			stackfs_entry_release(&kids[i]);
			continue;
		}
		state[i] = x > 0 ? 2 : 1;
	}
	stackfs_dir_close(&d);
	for (size_t i = 0; ret == 0 && i < d.n; i++) {
		const char *name = stackfs_dir_name(&d, i);
		size_t sl, dl, rl;

		if (!state[i])
			continue;
		sl = path_push(&w->src, name);
		dl = path_push(&w->dst, name);
		rl = rel_push(&w->rel, name);
		ret = plan_entry(op, w, &kids[i], state[i] == 2, err);
		cb_strbuf_setlen(&w->src, sl);
		cb_strbuf_setlen(&w->dst, dl);
		cb_strbuf_setlen(&w->rel, rl);
	}
	for (size_t i = 0; i < d.n; i++)
		free(kids[i].dirs);
	free(kids);
	free(state);
	stackfs_dir_release(&d);
	return ret;
}

/* Plan entry e (a source match) at w, recursing into directories. */
static int plan_entry(struct copy_op *op, struct walk *w, const struct stackfs_entry *e, bool lazy,
		      struct cb_error **err)
{
	const struct stackfs *fs = &op->ctx;
	struct copy_item *it;
	enum item_kind kind;
	size_t mine;
	int ret;

	if (S_ISDIR(e->st.st_mode))
		kind = ITEM_DIR;
	else if (S_ISLNK(e->st.st_mode))
		kind = ITEM_LINK;
	else if (S_ISREG(e->st.st_mode))
		kind = ITEM_FILE;
	else
		return 0; /* devices, fifos and sockets are not copied */
	mine = copy_plan_count(op);
	it = copy_new_item(op, kind, w->dst.buf, lazy && kind == ITEM_DIR, err);
	if (!it)
		return -1;
	it->src = fs;
	it->entry.path = copy_plan_src_path(&op->plan, it, w->src.buf);
	it->entry.st = e->st;
	it->entry.layer = e->layer;
	if (copy_set_meta(op, it, &e->st, err) < 0)
		return -1;
	if (kind == ITEM_LINK) {
		struct stackfs_entry at = *e;
		cleanup_free char *target = NULL;

		at.path = w->src.buf;
		target = stackfs_entry_readlink(fs, &at, err);
		if (!target)
			return -1;
		it->link = copy_plan_str(&op->plan, target);
		return 0;
	}
	if (kind != ITEM_DIR)
		return 0;
	it->keep_existing = !w->rel.len; /* the destination directory itself */
	if (!w->rel.len) { /* made fresh when missing: 0755, the --chown owner, no --chmod */
		it->mode = 0755;
		it->uid = op->chown ? op->uid : 0;
		it->gid = op->chown ? op->gid : 0;
	}
	ret = plan_children(op, w, e, err);
	/*
	 * An excluded directory searched for re-included files (a `!`
	 * pattern) is sent only as the parent of one (fsutil's walk).
	 */
	if (ret == 0 && lazy && copy_plan_count(op) == mine + 1) {
		op->plan.n--;
		copy_item_release(&op->plan.items[op->plan.n]);
	}
	return ret;
}

/* Plan entry e (path e->path) at dst, the root of a source. */
int copy_plan_root(struct copy_op *op, const struct stackfs_entry *e, const char *dst,
		   struct cb_error **err)
{
	struct walk w = {CB_STRBUF_INIT, CB_STRBUF_INIT, CB_STRBUF_INIT};
	int ret;

	cb_strbuf_addstr(&w.src, e->path);
	cb_strbuf_addstr(&w.dst, dst);
	cb_strbuf_addstr(&w.rel, "");
	ret = plan_entry(op, &w, e, false, err);
	cb_strbuf_release(&w.src);
	cb_strbuf_release(&w.dst);
	cb_strbuf_release(&w.rel);
	return ret;
}
