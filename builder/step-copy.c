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
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

#define PASSWD_MAX (4u << 20)

enum item_kind { ITEM_DIR, ITEM_FILE, ITEM_LINK, ITEM_DATA, ITEM_ARCHIVE };

/*
 * One thing the step makes.  A COPY of a big context plans one per entry,
 * so it stays small: the paths live in the plan's string arena (the source
 * path is usually the tail of the destination), the entry keeps no list of
 * layers and only stackfs's short stat.
 */
struct copy_item {
	enum item_kind kind;
	bool keep_existing;	    /* a directory that may exist already: keep its metadata */
	bool hashed;		    /* digest is the content's (known from the stat cache or
				       computed while the file was copied) */
	char *dst;		    /* absolute, canonical parent */
	const struct stackfs *src;  /* NULL for ITEM_DATA */
	struct stackfs_entry entry; /* the source entry */
	char *link;		    /* ITEM_LINK target */
	char *data;		    /* ITEM_DATA content (the item's own) */
	mode_t mode;		    /* final permission bits (after --chmod) */
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	struct cb_digest digest;
	struct url_source *url; /* ADD <url>: the download (step-add-url.c), owned */
};

/* Strings that live as long as the plan, in big chunks. */
struct str_arena {
	char **chunks;
	size_t n, alloc;
	size_t size0; /* of the first chunk, kept by arena_rewind */
	char *cur;
	size_t left;
};

struct key_stream;

struct copy_plan {
	struct copy_item *items; /* mmap'd, grown by mremap: never copied */
	size_t n, alloc;
	struct str_arena strings;
	/*
	 * Streaming the key (stream_key): items go into the key as soon as
	 * they are final and are dropped, so the plan stays a few items long.
	 */
	struct key_stream *ks; /* NULL: the plan keeps every item */
	size_t base;	       /* items already dropped (indexes count from the first) */
	size_t final;	       /* items before this index can no longer be dropped */
	struct cb_strvec dirs; /* the destinations of dropped directories (planned_dir) */
};

struct copy_op {
	struct build *b;
	struct stage *st;
	const struct df_instruction *in;
	bool is_add;
	struct stackfs dest; /* the stage's rootfs */
	struct stackfs ctx;  /* the context, or the --from rootfs */
	bool from_context;
	struct ignore_matcher *excl; /* --exclude */
	bool chown;
	uid_t uid;
	gid_t gid;
	const char *chmod;
	struct timespec now;
	struct copy_plan plan;
	struct cb_strvec copied_up; /* dirs recreated from the rootfs: "mtime-ns path" */
	bool link;		    /* --link: onto an empty tree, the key without the parent */
	int pfd;		    /* the tree directory of the last item written, and its path */
	char *pdir;
	struct copy_reuse *reuse;    /* the previous result of this COPY (reuse.c), or NULL */
	struct copy_reuse_list reuse_list; /* what this one's snapshot will hold, for the next */
	bool remember;		     /* fill reuse_list */
};

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
	} else if (*user) {
		cleanup_free char *passwd = NULL;
		size_t len;
		int r = stackfs_read_file(&op->dest, "/etc/passwd", PASSWD_MAX, &passwd, &len, err);

		if (r < 0)
			return -1;
		if (r > 0)
			lookup_id(passwd, user, &uid, &gid);
	}
	if (group && all_digits(group)) {
		gid = (unsigned)strtoul(group, NULL, 10);
	} else if (group && *group) {
		cleanup_free char *groups = NULL;
		size_t len;
		int r = stackfs_read_file(&op->dest, "/etc/group", PASSWD_MAX, &groups, &len, err);

		if (r < 0)
			return -1;
		if (r > 0)
			lookup_id(groups, group, &gid, NULL);
	}
	op->chown = true;
	op->uid = uid;
	op->gid = gid;
	return 0;
}

/* Octal, or symbolic ("u+x,go-w", "a=rX") applied to mode. */
static int apply_chmod(const char *spec, mode_t mode, bool dir, mode_t *out, struct cb_error **err)
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
static void arena_rewind(struct str_arena *a)
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
static char *plan_str(struct copy_plan *p, const char *s)
{
	return arena_dup(&p->strings, s, strlen(s));
}

/* The source path of an item: the tail of its destination when it is one. */
static char *plan_src_path(struct copy_plan *p, const struct copy_item *it, const char *path)
{
	size_t dl = strlen(it->dst), pl = strlen(path);

	if (pl <= dl && !memcmp(it->dst + dl - pl, path, pl))
		return it->dst + dl - pl;
	return plan_str(p, path);
}

/* What an item owns (its plan_str strings are the arena's). */
static void item_release(struct copy_item *it)
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

static int plan_flush(struct copy_op *op, struct cb_error **err);

/*
 * A new item at dst.  lazy: a directory that goes again unless something
 * is planned after it (plan_entry), so it is not final yet.  NULL when
 * streaming the key failed.
 */
static struct copy_item *new_item(struct copy_op *op, enum item_kind kind, const char *dst,
				  bool lazy, struct cb_error **err)
{
	struct copy_plan *p = &op->plan;
	struct copy_item *it;

	if (p->ks && plan_flush(op, err) < 0)
		return NULL;
	if (p->n == p->alloc)
		plan_grow(p);
	it = &p->items[p->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->dst = plan_str(p, dst);
	if (!lazy)
		p->final = p->base + p->n;
	return it;
}

/* Items planned so far, dropped ones included. */
static size_t plan_count(const struct copy_op *op)
{
	return op->plan.base + op->plan.n;
}

static void plan_release(struct copy_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		item_release(&p->items[i]);
	if (p->items)
		munmap(p->items, p->alloc * sizeof(*p->items));
	arena_release(&p->strings);
	cb_strvec_clear(&p->dirs);
	memset(p, 0, sizeof(*p));
}

static char *join(const char *dir, const char *name)
{
	if (!*name)
		return xstrdup(dir);
	return !strcmp(dir, "/") ? xasprintf("/%s", name) : xasprintf("%s/%s", dir, name);
}

/* Is a context path (relative, no leading '/') left out? */
static int excluded(struct copy_op *op, const char *abs, const char *rel_to_src,
		    struct cb_error **err)
{
	int r = 0;

	if (op->from_context && abs[1])
		r = build_context_excluded(&op->b->ctx, abs + 1, err);
	if (r == 0 && op->excl && *rel_to_src)
		r = ignore_matcher_matches(op->excl, rel_to_src, err);
	return r;
}

static int set_meta(struct copy_op *op, struct copy_item *it, const struct stackfs_stat *st,
		    struct cb_error **err)
{
	mode_t mode = st->st_mode & 07777;

	it->uid = op->chown ? op->uid : op->from_context ? 0 : st->st_uid;
	it->gid = op->chown ? op->gid : op->from_context ? 0 : st->st_gid;
	it->mtime = st->st_mtim;
	if (op->chmod && it->kind != ITEM_LINK &&
	    apply_chmod(op->chmod, mode, it->kind == ITEM_DIR, &mode, err) < 0)
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
		int x = excluded(op, w->src.buf, w->rel.buf, err);

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
	mine = plan_count(op);
	it = new_item(op, kind, w->dst.buf, lazy && kind == ITEM_DIR, err);
	if (!it)
		return -1;
	it->src = fs;
	it->entry.path = plan_src_path(&op->plan, it, w->src.buf);
	it->entry.st = e->st;
	it->entry.layer = e->layer;
	if (set_meta(op, it, &e->st, err) < 0)
		return -1;
	if (kind == ITEM_LINK) {
		struct stackfs_entry at = *e;
		cleanup_free char *target = NULL;

		at.path = w->src.buf;
		target = stackfs_entry_readlink(fs, &at, err);
		if (!target)
			return -1;
		it->link = plan_str(&op->plan, target);
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
	if (ret == 0 && lazy && plan_count(op) == mine + 1) {
		op->plan.n--;
		item_release(&op->plan.items[op->plan.n]);
	}
	return ret;
}

/* Plan entry e (path e->path) at dst, the root of a source. */
static int plan_root(struct copy_op *op, const struct stackfs_entry *e, const char *dst,
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
				cb_strvec_push_take(out, join(d.path, names.v[k]));
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
			next = target[0] == '/' ? xstrdup(target) : join(dir, target);
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
		*out = join(pdir, cb_basename(path));
	}
	return 0;
}

static int resolve_dest(struct copy_op *op, const char *path, char **out, bool *isdir,
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

	x = excluded(op, src_abs, "", err);
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
	if (resolve_dest(op, dest, &dst, &isdir, err) < 0) {
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
		it = new_item(op, ITEM_ARCHIVE, dst, false, err);
		if (it) {
			it->src = &op->ctx;
			it->entry.path = plan_src_path(&op->plan, it, e.path);
			it->entry.st = e.st;
			it->entry.layer = e.layer;
		}
		stackfs_entry_release(&e);
		return it ? 0 : -1;
	}
	if (!S_ISDIR(e.st.st_mode) && isdir) {
		char *d2 = join(dst, cb_basename(src_abs));

		free(dst);
		dst = d2;
	}
	r = plan_root(op, &e, dst, err);
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

	if (!u || resolve_dest(op, dest, &dst, &isdir, err) < 0) {
		url_source_free(u);
		return -1;
	}
	if (!u->archive && (isdir || dest_slash || planned_dir(op, dst))) {
		char *d2 = join(dst, u->name);

		free(dst);
		dst = d2;
	}
	it = new_item(op, u->archive ? ITEM_ARCHIVE : ITEM_FILE, dst, false, err);
	if (!it) {
		url_source_free(u);
		return -1;
	}
	it->url = u;
	it->src = &u->fs;
	{
		cleanup_free char *path = xasprintf("/%s", u->name);

		it->entry.path = plan_str(&op->plan, path);
	}
	stackfs_stat_from(&it->entry.st, &u->st);
	it->hashed = true;
	it->digest = u->digest;
	return set_meta(op, it, &it->entry.st, err);
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

		if (resolve_dest(op, dest, &dst, &isdir, err) < 0)
			return -1;
		if (isdir || dest_slash || planned_dir(op, dst)) {
			char *d2 = join(dst, cb_basename(sc->path));

			free(dst);
			dst = d2;
		}
		it = new_item(op, ITEM_DATA, dst, false, err);
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
		if (set_meta(op, it, &st, err) < 0)
			return -1;
		it->uid = op->chown ? op->uid : 0;
		it->gid = op->chown ? op->gid : 0;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The cache key                                                             */
/* ------------------------------------------------------------------------ */

/* What stream_key may read to hash files the stat cache does not know. */
#define STREAM_HASH_BUDGET (32u << 20)

/* The key's bytes, handed to SHA-256 in blocks (a call per item costs more than the hashing). */
struct key_buf {
	struct cb_sha256 h;
	struct cb_strbuf buf;
};

struct key_stream {
	struct key_buf kb;
	uint64_t left; /* bytes it may still read */
	bool abandoned;
};

static int hash_file(const struct copy_item *it, struct cb_sha256 *h, struct cb_error **err)
{
	cleanup_close int fd = stackfs_open_entry(it->src, &it->entry, O_RDONLY, err);
	char buf[65536];

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cb_error_set(err, errno, "read `%s`", it->entry.path);
		if (n == 0)
			return 0;
		cb_sha256_update(h, buf, (size_t)n);
	}
}

/* The context's stat cache, shared by the build's COPY steps. */
static struct stat_cache *context_stats(struct copy_op *op)
{
	struct build *b = op->b;
	struct stat_cache *c;

	pthread_mutex_lock(&b->mu);
	if (!b->stats)
		b->stats = stat_cache_load(op->st->s, b->ctx.dir);
	c = b->stats;
	pthread_mutex_unlock(&b->mu);
	return c;
}

/*
 * Fill the digests the stat cache knows; true when the files it does not
 * know are most of the bytes to copy (a first build of this context).
 * Then the copy is done first and hashes those files as it reads them, so
 * they are read once, and the cache is asked afterwards (a hit then drops
 * the tree).  A context the cache mostly knows is hashed first, so that a
 * miss can link the unchanged files from the last result (reuse.c).
 */
static bool copy_first(struct copy_op *op)
{
	struct stat_cache *sc = op->from_context ? context_stats(op) : NULL;
	uint64_t total = 0, unknown = 0;

	if (!sc)
		return false;
	pthread_mutex_lock(&op->b->mu);
	for (size_t i = 0; i < op->plan.n; i++) {
		struct copy_item *it = &op->plan.items[i];
		uint64_t bytes = (uint64_t)it->entry.st.st_size + 4096;

		if (it->kind != ITEM_FILE)
			continue;
		total += bytes;
		if (it->url)
			continue; /* its digest came with the download */
		it->hashed = stat_cache_get(sc, it->entry.path, &it->entry.st, &it->digest);
		if (!it->hashed)
			unknown += bytes;
	}
	pthread_mutex_unlock(&op->b->mu);
	return unknown * 4 > total;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

/*
 * An item's part of the key: a 1 (the head parts before it are
 * length-prefixed text, a digit first), kind, mode, owner, the lengths of
 * the destination and the link target, the two, and the content digest of
 * files and data.  Lengths first, so no two item lists encode alike.
 */
static void item_bytes(const struct copy_item *it, struct cb_strbuf *out)
{
	size_t dl = strlen(it->dst);
	size_t ll = it->kind == ITEM_LINK && it->link ? strlen(it->link) : 0;
	unsigned char h[2 + 3 * 8 + 2 * 8];

	h[0] = 1;
	h[1] = (unsigned char)it->kind;
	put64(h + 2, (uint64_t)it->mode);
	put64(h + 10, (uint64_t)it->uid);
	put64(h + 18, (uint64_t)it->gid);
	put64(h + 26, (uint64_t)dl);
	put64(h + 34, (uint64_t)ll);
	cb_strbuf_add(out, h, sizeof(h));
	cb_strbuf_add(out, it->dst, dl);
	if (ll)
		cb_strbuf_add(out, it->link, ll);
	if (it->kind == ITEM_FILE || it->kind == ITEM_ARCHIVE || it->kind == ITEM_DATA)
		cb_strbuf_add(out, cb_digest_hex(&it->digest), CB_DIGEST_HEX);
}

/* The content digest of a file item: known, from the stat cache, or read now. */
static int item_digest(struct copy_op *op, struct copy_item *it, struct cb_error **err)
{
	struct stat_cache *sc = op->from_context ? context_stats(op) : NULL;
	struct key_stream *ks = op->plan.ks;
	struct cb_sha256 h;
	bool hit, resized;
	int ret;

	if (it->hashed)
		return 0;
	/* parallel stages share the cache */
	pthread_mutex_lock(&op->b->mu);
	hit = stat_cache_get(sc, it->entry.path, &it->entry.st, &it->digest);
	resized = !hit && ks && stat_cache_resized(sc, it->entry.path, &it->entry.st);
	pthread_mutex_unlock(&op->b->mu);
	if (hit) {
		it->hashed = true;
		return 0;
	}
	/*
	 * A file of another size than last time has other content: the key
	 * will miss, so the rest of this walk would be wasted (the copy walks
	 * again to plan).  A file only touched is hashed (within the budget).
	 */
	if (resized) {
		ks->abandoned = true;
		return cb_error_set(err, ECANCELED, "`%s` changed", it->entry.path);
	}
	if (ks && (uint64_t)it->entry.st.st_size > ks->left) {
		ks->abandoned = true; /* cheaper to hash while copying */
		return cb_error_set(err, ECANCELED, "`%s`: too big to hash before the copy",
				    it->entry.path);
	}
	if (ks)
		ks->left -= (uint64_t)it->entry.st.st_size;
	cb_sha256_init(&h);
	ret = hash_file(it, &h, err);
	cb_sha256_final(&h, &it->digest);
	cb_sha256_release(&h);
	if (ret < 0)
		return -1;
	it->hashed = true;
	pthread_mutex_lock(&op->b->mu);
	stat_cache_set(sc, it->entry.path, &it->entry.st, &it->digest);
	pthread_mutex_unlock(&op->b->mu);
	return 0;
}

/* The key so far: the parent's (none with --link), then the head parts. */
static void key_begin(struct copy_op *op, const struct cb_strvec *head, struct key_buf *kb)
{
	build_key_init(&kb->h, op->link ? NULL : &op->st->key);
	for (size_t i = 0; i < head->n; i++)
		build_key_add(&kb->h, head->v[i], strlen(head->v[i]));
	kb->buf = (struct cb_strbuf)CB_STRBUF_INIT;
}

/* Digest an item (reading a file the stat cache does not know) and add it to the key. */
static int key_item(struct copy_op *op, struct key_buf *kb, struct copy_item *it,
		    struct cb_error **err)
{
	if (it->kind == ITEM_FILE || it->kind == ITEM_ARCHIVE) {
		if (item_digest(op, it, err) < 0)
			return -1;
	} else if (it->kind == ITEM_DATA) {
		cb_sha256_buf(it->data, strlen(it->data), &it->digest);
	}
	item_bytes(it, &kb->buf);
	if (kb->buf.len >= 32768) {
		cb_sha256_update(&kb->h, kb->buf.buf, kb->buf.len);
		cb_strbuf_reset(&kb->buf);
	}
	return 0;
}

static void key_end(struct key_buf *kb, struct cb_digest *key)
{
	cb_sha256_update(&kb->h, kb->buf.buf, kb->buf.len);
	cb_sha256_final(&kb->h, key);
	cb_sha256_release(&kb->h);
	cb_strbuf_release(&kb->buf);
}

static void key_abort(struct key_buf *kb)
{
	cb_sha256_release(&kb->h);
	cb_strbuf_release(&kb->buf);
}

/* The step's key, from the plan. */
static int copy_key(struct copy_op *op, const struct cb_strvec *head, struct cb_digest *key,
		    struct cb_error **err)
{
	struct key_buf kb;

	key_begin(op, head, &kb);
	for (size_t i = 0; i < op->plan.n; i++) {
		if (key_item(op, &kb, &op->plan.items[i], err) < 0) {
			key_abort(&kb);
			return -1;
		}
	}
	key_end(&kb, key);
	return 0;
}

/* Streaming: the final items go into the key and out of the plan. */
static int plan_flush(struct copy_op *op, struct cb_error **err)
{
	struct copy_plan *p = &op->plan;
	size_t k = p->final - p->base, i;
	int ret = 0;

	for (i = 0; i < k && ret == 0; i++) {
		struct copy_item *it = &p->items[i];

		ret = key_item(op, &p->ks->kb, it, err);
		if (ret == 0 && it->kind == ITEM_DIR)
			cb_strvec_push(&p->dirs, it->dst);
		item_release(it);
	}
	if (i && p->n > i)
		memmove(p->items, p->items + i, (p->n - i) * sizeof(*p->items));
	p->n -= i;
	p->base += i;
	if (!p->n) /* no lazy directory waits: no string is in use */
		arena_rewind(&p->strings);
	return ret;
}

static int plan_copy(struct copy_op *op, const struct cb_strvec *srcs, const char *dest_raw,
		     struct cb_error **err);

/*
 * The key without keeping a plan: the walk hands each item to the key as
 * soon as it is final, so checking an unchanged context takes the same
 * little memory however big it is.  1 and *key; 0 when it gave up (the
 * stat cache knows nothing of the context yet, or a file it does not
 * know is too big to read twice): the caller plans, and copies first.
 */
static int stream_key(struct copy_op *op, const struct cb_strvec *srcs, const char *dest,
		      const struct cb_strvec *head, struct cb_digest *key, struct cb_error **err)
{
	struct key_stream ks = {.left = STREAM_HASH_BUDGET};
	bool cold = false;
	int ret;

	if (op->from_context) {
		struct stat_cache *sc = context_stats(op);

		pthread_mutex_lock(&op->b->mu);
		cold = stat_cache_empty(sc);
		pthread_mutex_unlock(&op->b->mu);
	}
	if (cold)
		return 0;
	key_begin(op, head, &ks.kb);
	op->plan.ks = &ks;
	ret = plan_copy(op, srcs, dest, err);
	if (ret == 0) {
		op->plan.final = plan_count(op);
		ret = plan_flush(op, err);
	}
	plan_release(&op->plan);
	if (ret < 0) {
		key_abort(&ks.kb);
		if (!ks.abandoned)
			return -1;
		cb_error_free(err);
		return 0;
	}
	key_end(&ks.kb, key);
	return 1;
}

/* A step that missed: what its key was made from, for the next build's explanation. */
static void copy_explain(struct copy_op *op, const struct cb_strvec *head, unsigned step)
{
	struct explain_parts parts = EXPLAIN_PARTS_INIT;
	struct cb_strbuf buf = CB_STRBUF_INIT;

	for (size_t i = 0; i < head->n; i++)
		explain_parts_text(&parts, head->v[i]);
	for (size_t i = 0; i < op->plan.n; i++) {
		const struct copy_item *it = &op->plan.items[i];

		cb_strbuf_reset(&buf);
		item_bytes(it, &buf);
		explain_parts_file(&parts, it->dst, buf.buf, buf.len);
	}
	build_explain_miss_parts(op->b, op->st, op->in, step, op->link ? NULL : &op->st->key,
				 &parts);
	explain_parts_release(&parts);
	cb_strbuf_release(&buf);
}

/* ------------------------------------------------------------------------ */
/* Writing the tree                                                          */
/* ------------------------------------------------------------------------ */

/*
 * Open (creating as needed) the directory abs inside the tree at tfd,
 * never following a symlink; missing directories are recreated from the
 * stage's rootfs (copy-up) or made new (0755, --chown owner).
 */
static int tree_mkdir_p(struct copy_op *op, int tfd, const char *abs, struct cb_error **err)
{
	cleanup_free char *path = xstrdup(abs);
	struct cb_strbuf cur = CB_STRBUF_INIT;
	int fd = fcntl(tfd, F_DUPFD_CLOEXEC, 3);
	char *save = NULL;

	if (fd < 0)
		return cb_error_set(err, errno, "dup");
	for (char *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		int next;

		cb_strbuf_addf(&cur, "/%s", t);
		next = openat(fd, t, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			struct stackfs_entry e;
			int r = stackfs_lookup(&op->dest, cur.buf, false, &e, err);
			mode_t mode = 0755;
			uid_t uid = op->chown ? op->uid : 0;
			gid_t gid = op->chown ? op->gid : 0;
			struct timespec ts[2] = {op->now, op->now};

			if (r < 0)
				goto fail;
			if (r > 0) {
				if (!S_ISDIR(e.st.st_mode)) {
					cb_error_set(err, ENOTDIR, "cannot copy to `%s`", cur.buf);
					stackfs_entry_release(&e);
					goto fail;
				}
				mode = e.st.st_mode & 07777;
				uid = e.st.st_uid;
				gid = e.st.st_gid;
				ts[0] = ts[1] = e.st.st_mtim;
				cb_strvec_pushf(&op->copied_up, "%lld.%09ld %s",
						(long long)e.st.st_mtim.tv_sec,
						e.st.st_mtim.tv_nsec, cur.buf);
				stackfs_entry_release(&e);
			}
			if (mkdirat(fd, t, 0700) < 0 && errno != EEXIST) {
				cb_error_set(err, errno, "mkdir `%s`", cur.buf);
				goto fail;
			}
			next = openat(fd, t, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0 && (fchown(next, uid, gid) < 0 || fchmod(next, mode) < 0 ||
					  futimens(next, ts) < 0)) {
				cb_error_set(err, errno, "set up `%s`", cur.buf);
				close(next);
				goto fail;
			}
		}
		if (next < 0) {
			cb_error_set(err, errno == ELOOP ? ENOTDIR : errno,
				     "open `%s` in the layer", cur.buf);
			goto fail;
		}
		close(fd);
		fd = next;
	}
	cb_strbuf_release(&cur);
	return fd;
fail:
	cb_strbuf_release(&cur);
	close(fd);
	return -1;
}

/* Copy in to out through a buffer, hashing the bytes on the way when h is set. */
static int copy_loop(int in, int out, const char *what, struct cb_sha256 *h, struct cb_error **err)
{
	static __thread char buf[1 << 17];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cb_error_set(err, errno, "read `%s`", what);
		if (n == 0)
			return 0;
		if (h)
			cb_sha256_update(h, buf, (size_t)n);
		if (cb_write_all(out, buf, (size_t)n, err) < 0)
			return -1;
	}
}

/* Copy in to out in the kernel where it can, else through a buffer. */
static int copy_data(int in, int out, const char *what, struct cb_error **err)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1u << 30, 0);

		if (n > 0)
			continue;
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return cb_error_set(err, errno, "copy `%s`", what);
		return copy_loop(in, out, what, NULL, err);
	}
}

/* Remove what the tree has at name (an earlier source's file), unless a directory to merge. */
static int clear_slot(int dfd, const char *name, bool want_dir, struct cb_error **err)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cb_error_set(err, errno, "stat `%s`", name);
	if (S_ISDIR(st.st_mode)) {
		if (want_dir)
			return 1;
		return cb_rm_rf(dfd, name, err) < 0 ? -1 : 2;
	}
	if (unlinkat(dfd, name, 0) < 0)
		return cb_error_set(err, errno, "replace `%s`", name);
	return 0;
}

/*
 * The tree directory for parent, borrowed (op keeps it open until another
 * is asked for): the last one is kept, as items come in walk order.
 */
static int parent_fd(struct copy_op *op, int tfd, const char *parent, struct cb_error **err)
{
	if (op->pfd >= 0 && op->pdir && !strcmp(op->pdir, parent))
		return op->pfd;
	if (op->pfd >= 0)
		close(op->pfd);
	free(op->pdir);
	op->pdir = NULL;
	op->pfd = tree_mkdir_p(op, tfd, parent, err);
	if (op->pfd < 0)
		return -1;
	op->pdir = xstrdup(parent);
	return op->pfd;
}

/* A digest computed during the copy goes into the stat cache if the file did not change. */
static void remember_digest(struct copy_op *op, const struct copy_item *it, int fd)
{
	struct stat st;
	struct stat_cache *sc;

	if (!op->from_context || fstat(fd, &st) < 0 || st.st_size != it->entry.st.st_size ||
	    st.st_mtim.tv_sec != it->entry.st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != it->entry.st.st_mtim.tv_nsec ||
	    st.st_ctim.tv_sec != it->entry.st.st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != it->entry.st.st_ctim.tv_nsec)
		return;
	sc = context_stats(op);
	pthread_mutex_lock(&op->b->mu);
	stat_cache_set(sc, it->entry.path, &it->entry.st, &it->digest);
	pthread_mutex_unlock(&op->b->mu);
}

static int write_item(struct copy_op *op, int tfd, struct copy_item *it, struct cb_error **err)
{
	cleanup_free char *parent = cb_dirname(it->dst);
	const char *name = cb_basename(it->dst);
	cleanup_close int adfd = -1;
	cleanup_close int out = -1;
	struct timespec ts[2] = {it->mtime, it->mtime};
	int dfd, r;

	if (it->kind == ITEM_ARCHIVE) {
		struct layer_apply_opts ao = LAYER_APPLY_OPTS_INIT;
		cleanup_close int in = stackfs_open_entry(it->src, &it->entry, O_RDONLY, err);
		struct cb_digest ignored;

		ao.overlay = false;
		ao.any_compression = true;
		if (op->pfd >= 0) { /* the archive may replace what the cached dir is in */
			close(op->pfd);
			op->pfd = -1;
			free(op->pdir);
			op->pdir = NULL;
		}
		adfd = in < 0 ? -1 : tree_mkdir_p(op, tfd, it->dst, err);
		if (adfd < 0 || layer_apply(adfd, in, &ao, &ignored, err) < 0)
			return cb_error_wrap(err, "extract `%s`", it->entry.path);
		return 0;
	}
	if (!strcmp(it->dst, "/")) { /* contents into the root: nothing to make */
		return 0;
	}
	dfd = parent_fd(op, tfd, parent, err);
	if (dfd < 0)
		return -1;
	/*
	 * Unchanged since the last build: linked from its immutable snapshot
	 * (reuse.c).  Tried first: the slot is nearly always free, and a link
	 * onto a taken one fails (then the slot is cleared and the file copied).
	 */
	if (it->kind == ITEM_FILE && it->hashed && op->reuse &&
	    copy_reuse_link(op->reuse, it->dst, &it->digest, it->entry.st.st_size, it->mode,
			    it->uid, it->gid, &it->mtime, dfd, name) > 0) {
		if (op->remember)
			copy_reuse_list_add(&op->reuse_list, it->dst, &it->digest);
		return 0;
	}
	r = clear_slot(dfd, name, it->kind == ITEM_DIR, err);
	if (r < 0)
		return -1;
	if (r == 2) { /* a directory went: the cached one may be below it (dfd stays open) */
		free(op->pdir);
		op->pdir = NULL;
	}
	switch (it->kind) {
	case ITEM_DIR:
		if (r == 1)
			return 0; /* made already: merge into it */
		if (it->keep_existing) {
			struct stackfs_entry e;
			int x = stackfs_lookup(&op->dest, it->dst, false, &e, err);

			if (x < 0)
				return -1;
			if (x > 0) {
				bool d = S_ISDIR(e.st.st_mode);

				stackfs_entry_release(&e);
				if (d) { /* copied up with its own metadata */
					out = tree_mkdir_p(op, tfd, it->dst, err);
					return out < 0 ? -1 : 0;
				}
			}
		}
		if (mkdirat(dfd, name, 0700) < 0)
			return cb_error_set(err, errno, "mkdir `%s`", it->dst);
		out = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		break;
	case ITEM_LINK:
		if (symlinkat(it->link, dfd, name) < 0 ||
		    fchownat(dfd, name, it->uid, it->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return cb_error_set(err, errno, "symlink `%s`", it->dst);
		return 0;
	case ITEM_ARCHIVE: /* handled above */
	case ITEM_FILE:
	case ITEM_DATA:
		if (it->kind == ITEM_FILE && it->hashed && op->remember)
			copy_reuse_list_add(&op->reuse_list, it->dst, &it->digest);
		out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0)
			return cb_error_set(err, errno, "create `%s`", it->dst);
		if (it->kind == ITEM_DATA) {
			if (cb_write_all(out, it->data, strlen(it->data), err) < 0)
				return -1;
		} else {
			cleanup_close int in =
				stackfs_open_entry(it->src, &it->entry, O_RDONLY, err);

			if (in < 0)
				return -1;
			if (!it->hashed) {
				struct cb_sha256 h;
				int rc;

				cb_sha256_init(&h);
				rc = copy_loop(in, out, it->entry.path, &h, err);
				cb_sha256_final(&h, &it->digest);
				cb_sha256_release(&h);
				if (rc < 0)
					return -1;
				it->hashed = true;
				remember_digest(op, it, in);
				if (it->kind == ITEM_FILE && op->remember)
					copy_reuse_list_add(&op->reuse_list, it->dst, &it->digest);
			} else if (copy_data(in, out, it->entry.path, err) < 0) {
				return -1;
			}
		}
		break;
	}
	if (out < 0)
		return cb_error_set(err, errno, "open `%s`", it->dst);
	/* owner first: chown clears the set-id bits */
	if (fchown(out, it->uid, it->gid) < 0 || fchmod(out, it->mode) < 0 || futimens(out, ts) < 0)
		return cb_error_set(err, errno, "set up `%s`", it->dst);
	return 0;
}

/* Directory times last: writing their children changed them. */
static int fix_dir_times(struct copy_op *op, int tfd, struct cb_error **err)
{
	for (size_t i = op->plan.n; i-- > 0;) {
		const struct copy_item *it = &op->plan.items[i];
		struct timespec ts[2] = {it->mtime, it->mtime};
		const char *rel = it->dst + 1;

		if (it->kind != ITEM_DIR || !*rel || it->keep_existing)
			continue;
		if (utimensat(tfd, rel, ts, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
			return cb_error_set(err, errno, "set times of `%s`", it->dst);
	}
	return 0;
}

/*
 * A directory copied up from the rootfs keeps its mtime unless the step
 * created something directly in it (overlayfs and BuildKit's layers agree).
 */
static int restore_copied_up(struct copy_op *op, int tfd, struct cb_error **err)
{
	for (size_t i = 0; i < op->copied_up.n; i++) {
		char *sp = strchr(op->copied_up.v[i], ' ');
		const char *path = sp + 1;
		struct timespec ts[2];
		bool touched = false;
		long long sec = 0;
		long nsec = 0;

		sscanf(op->copied_up.v[i], "%lld.%ld", &sec, &nsec);
		for (size_t k = 0; k < op->plan.n && !touched; k++) {
			const struct copy_item *it = &op->plan.items[k];
			cleanup_free char *parent = cb_dirname(it->dst);

			touched = !strcmp(parent, path) ||
				  (it->kind == ITEM_ARCHIVE && !strcmp(it->dst, path)) ||
				  (it->kind == ITEM_DIR && it->keep_existing &&
				   !strcmp(it->dst, path));
		}
		if (touched)
			continue;
		ts[0].tv_sec = ts[1].tv_sec = (time_t)sec;
		ts[0].tv_nsec = ts[1].tv_nsec = nsec;
		if (utimensat(tfd, path + 1, ts, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
			return cb_error_set(err, errno, "set times of `%s`", path);
	}
	return 0;
}

static bool plan_has_archive(const struct copy_op *op)
{
	for (size_t i = 0; i < op->plan.n; i++)
		if (op->plan.items[i].kind == ITEM_ARCHIVE)
			return true;
	return false;
}

/*
 * Writing a big tree on two cores.  The plan is in walk order (a directory
 * before what it holds, a directory's subtree contiguous), cut in two runs
 * of about equal work at item k; each run is written by a thread in its
 * own order, so parents come before children, with its own copy of the
 * op's per-writer state (the cached parent directory, the directories
 * recreated from the rootfs, the reuse lookup and list), merged back
 * after.  The only parents the second run needs from the first are the
 * directories containing item k (a later item whose parent comes before k
 * is in that parent's subtree, which spans k): those are made first.
 * Only when no two items share a destination (so their order does not
 * matter) and no archive is extracted (it may replace anything).
 */
#define PARALLEL_MIN_ITEMS 512
#define PARALLEL_MIN_BYTES (32u << 20)
#define DIR_WORK 16384 /* a mkdir weighs like this many bytes copied */
#define LINK_WORK 6144 /* a link from the last result (a stat and a link) */

struct tree_writer {
	struct copy_op op; /* a shallow copy: shared members are the real op's */
	int tfd;
	size_t from, to;
	const bool *done; /* items written before the threads started */
	struct cb_error *err;
	pthread_t thread;
};

static int cmp_dst(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An item's weight in the split: bytes copied, a mkdir, or a link from the last result. */
static uint64_t item_work(const struct copy_op *op, const struct copy_item *it)
{
	if (it->kind == ITEM_FILE && it->hashed && copy_reuse_has(op->reuse, it->dst, &it->digest))
		return LINK_WORK;
	return it->kind == ITEM_FILE ? (uint64_t)it->entry.st.st_size + 4096
	       : it->kind == ITEM_DIR ? DIR_WORK
				      : 4096;
}

/* The plan can be written in parallel (see above), and is big enough to gain from it. */
static bool parallel_ok(const struct copy_op *op, uint64_t *work)
{
	cleanup_free const char **dsts = NULL;
	uint64_t bytes = 0;
	bool ok = true;

	*work = 0;
	if (op->plan.n < PARALLEL_MIN_ITEMS || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return false;
	dsts = xcalloc(op->plan.n, sizeof(*dsts));
	for (size_t i = 0; i < op->plan.n; i++) {
		const struct copy_item *it = &op->plan.items[i];

		if (it->kind == ITEM_ARCHIVE || !strcmp(it->dst, "/"))
			return false;
		dsts[i] = it->dst;
		if (it->kind == ITEM_FILE)
			bytes += (uint64_t)it->entry.st.st_size;
		*work += item_work(op, it);
	}
	if (bytes < PARALLEL_MIN_BYTES)
		return false;
	qsort(dsts, op->plan.n, sizeof(*dsts), cmp_dst);
	for (size_t i = 1; i < op->plan.n && ok; i++)
		ok = strcmp(dsts[i - 1], dsts[i]) != 0;
	return ok;
}

static void *tree_worker_main(void *arg)
{
	struct tree_writer *w = arg;

	for (size_t i = w->from; i < w->to; i++) {
		struct copy_item *it = &w->op.plan.items[i];

		if (!w->done[i] && write_item(&w->op, w->tfd, it, &w->err) < 0)
			break;
	}
	return NULL;
}

/* dir is a proper ancestor of path ("/a" of "/a/b/c"). */
static bool is_ancestor(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	return !strncmp(dir, path, n) && path[n] == '/';
}

static int write_parallel(struct copy_op *op, int tfd, uint64_t work, struct cb_error **err)
{
	cleanup_free bool *done = xcalloc(op->plan.n, sizeof(*done));
	struct tree_writer w[2];
	uint64_t sum = 0;
	size_t k = op->plan.n;
	int ret = 0;

	for (size_t i = 0; i < op->plan.n && k == op->plan.n; i++) {
		sum += item_work(op, &op->plan.items[i]);
		if (sum >= work / 2)
			k = i + 1;
	}
	if (k >= op->plan.n)
		k = op->plan.n - 1;
	/* the directories holding item k: the second run's only parents in the first */
	for (size_t i = 0; i < k; i++) {
		struct copy_item *it = &op->plan.items[i];

		if (it->kind == ITEM_DIR && is_ancestor(it->dst, op->plan.items[k].dst)) {
			if (write_item(op, tfd, it, err) < 0)
				return -1;
			done[i] = true;
		}
	}
	for (int t = 0; t < 2; t++) {
		w[t].op = *op;
		w[t].op.pfd = -1;
		w[t].op.pdir = NULL;
		memset(&w[t].op.copied_up, 0, sizeof(w[t].op.copied_up));
		memset(&w[t].op.reuse_list, 0, sizeof(w[t].op.reuse_list));
		w[t].op.reuse = copy_reuse_dup(op->reuse);
		w[t].tfd = tfd;
		w[t].from = t ? k : 0;
		w[t].to = t ? op->plan.n : k;
		w[t].done = done;
		w[t].err = NULL;
	}
	if (pthread_create(&w[1].thread, NULL, tree_worker_main, &w[1]) != 0) {
		w[0].to = op->plan.n; /* no second thread: this one writes it all */
		w[1].from = w[1].to;
	}
	tree_worker_main(&w[0]);
	if (w[1].from < w[1].to)
		pthread_join(w[1].thread, NULL);
	for (int t = 0; t < 2; t++) {
		for (size_t i = 0; i < w[t].op.copied_up.n; i++)
			cb_strvec_push(&op->copied_up, w[t].op.copied_up.v[i]);
		cb_strvec_clear(&w[t].op.copied_up);
		copy_reuse_list_merge(&op->reuse_list, &w[t].op.reuse_list);
		copy_reuse_close(w[t].op.reuse);
		if (w[t].op.pfd >= 0)
			close(w[t].op.pfd);
		free(w[t].op.pdir);
		if (w[t].err && !ret) {
			*err = steal_pointer(&w[t].err);
			ret = -1;
		}
		cb_error_free(&w[t].err);
	}
	return ret;
}

static int write_tree(struct copy_op *op, const char *tree, struct cb_error **err)
{
	cleanup_close int tfd = -1;
	uint64_t work;

	if (mkdir(tree, 0755) < 0)
		return cb_error_set(err, errno, "create `%s`", tree);
	tfd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return cb_error_set(err, errno, "open `%s`", tree);
	if (parallel_ok(op, &work)) {
		if (write_parallel(op, tfd, work, err) < 0)
			return -1;
	} else {
		for (size_t i = 0; i < op->plan.n; i++)
			if (write_item(op, tfd, &op->plan.items[i], err) < 0)
				return -1;
	}
	if (fix_dir_times(op, tfd, err) < 0)
		return -1;
	return restore_copied_up(op, tfd, err);
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
		    image_prepare_rootfs(op->st->s, &img, -1, lowers, err) < 0) {
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
	plan_release(&op->plan);
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
				struct copy_item *it = new_item(op, ITEM_DIR, dp, false, err);

				if (it)
					it->src = &op->ctx;
				ret = it ? set_meta(op, it, &e.st, err) : -1;
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

			ret = plan_root(op, &e, dp, err);
			stackfs_entry_release(&e);
		}
		if (r < 0)
			ret = -1;
	}
	cb_strvec_clear(&m);
	return ret;
}

static int plan_copy(struct copy_op *op, const struct cb_strvec *srcs, const char *dest_raw,
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
	/* an unchanged source is checked without keeping a plan (stream_key) */
	ret = stream_key(&op, &srcs, dest, &head, &key, err);
	if (ret < 0)
		goto out;
	if (ret > 0) {
		ret = build_cache_apply(b, st, &key, created_by, err);
		if (ret != 0)
			goto cached;
	}
	ret = -1;
	if (plan_copy(&op, &srcs, dest, err) < 0)
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
	op.remember = b->ctx.dir && b->epoch < 0 && !plan_has_archive(&op);
	if (op.remember) {
		copy_reuse_name(b, st, in, reuse_name, sizeof(reuse_name));
		if (!speculative)
			op.reuse = copy_reuse_open(st->s, reuse_name);
	}
	scratch = layer_store_scratch_create(st->s, err);
	if (!scratch)
		goto out;
	tree = xasprintf("%s/tree", scratch);
	if (write_tree(&op, tree, err) < 0)
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
	if (build_commit_tree(b, st, tree, plan_has_archive(&op), created_by, &key, err) < 0)
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

		if (tfd < 0 || resolve_dest(&op, dir, &canon, &isdir, err) < 0)
			goto out;
		fd = exists ? fcntl(tfd, F_DUPFD_CLOEXEC, 3) : tree_mkdir_p(&op, tfd, canon, err);
		if (fd < 0)
			goto out;
		close(fd);
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
