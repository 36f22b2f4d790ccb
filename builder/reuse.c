/*
 * reuse.c - a COPY that missed the cache borrows the unchanged files of its
 * previous result.
 *
 * When a COPY of a big context misses because one file changed, every other
 * file it would write is already in the snapshot the same COPY made last
 * time, with the same content.  Snapshots are immutable (overlay lowerdirs,
 * never written), so such a file is hard-linked from there instead of
 * copied: 60k links instead of 750 MB of copies.
 *
 * After a COPY commits, aux/reuse-<sha256 of context, stage, instruction>
 * remembers what the snapshot holds, compactly (4.5 MB for 54k files):
 *
 *	"cbuild-reuse-v2\n" "sha256:<chain of the snapshot>\n"
 *	then per file, sorted by path (bytewise), each path once:
 *	    32 bytes  the content's SHA-256
 *	    2 bytes   the path's length, little-endian (1..4095)
 *	    the absolute destination path
 *
 * A later miss of the same instruction links a file from that snapshot when
 * the record gives the content digest the plan wants and the file there has
 * exactly the size, mode, owner and mtime the copy would give it; anything
 * else is copied.  The record is an accelerator: a torn or malformed one is
 * ignored, a path is looked up beneath the snapshot's root without
 * following any symlink, and the snapshot is leased before use.  Nothing is
 * linked under SOURCE_DATE_EPOCH (the tree's times are clamped in place
 * afterwards, which would reach the old snapshot through the link).
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

#define REUSE_MAGIC "cbuild-reuse-v2\n"
#define REUSE_MAX (256u << 20)
#define RAW_LEN 32
#define PATH_LEN_MAX 4095

struct copy_reuse {
	char *buf; /* the record */
	size_t len;
	uint32_t *entries; /* offsets of the entries in buf, sorted by path */
	size_t n;
	bool dup;   /* a copy_reuse_dup(): buf and entries are the original's */
	int rootfd; /* the snapshot's fs/ */
	int pfd;    /* the last parent directory looked up, and its path */
	char *pdir;
};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The 32 bytes of a digest's hex. */
static void digest_raw(const struct cb_digest *d, unsigned char out[RAW_LEN])
{
	const char *h = cb_digest_hex(d);

	for (int i = 0; i < RAW_LEN; i++)
		out[i] = (unsigned char)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
}

static size_t entry_path_len(const char *e)
{
	return (size_t)(unsigned char)e[RAW_LEN] | (size_t)(unsigned char)e[RAW_LEN + 1] << 8;
}

static const char *entry_path(const char *e)
{
	return e + RAW_LEN + 2;
}

/* Bytewise order of two paths of known lengths. */
static int cmp_path(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

void copy_reuse_name(const struct build *b, const struct stage *st, const struct df_instruction *in,
		     char *out, size_t len)
{
	char real[PATH_MAX], idx[32];
	struct cb_sha256 h;
	struct cb_digest d;

	if (!realpath(b->ctx.dir, real))
		snprintf(real, sizeof(real), "%s", b->ctx.dir);
	snprintf(idx, sizeof(idx), "%zu", st->index);
	cb_sha256_init(&h);
	build_key_add(&h, real, strlen(real));
	build_key_add(&h, idx, strlen(idx));
	build_key_add(&h, in->code ? in->code : "", in->code ? strlen(in->code) : 0);
	cb_sha256_final(&h, &d);
	cb_sha256_release(&h);
	snprintf(out, len, "reuse-%s", cb_digest_hex(&d));
}

void copy_reuse_close(struct copy_reuse *r)
{
	if (!r)
		return;
	if (r->rootfd >= 0)
		close(r->rootfd);
	if (r->pfd >= 0)
		close(r->pfd);
	free(r->pdir);
	if (!r->dup) {
		free(r->entries);
		free(r->buf);
	}
	free(r);
}

struct copy_reuse *copy_reuse_dup(const struct copy_reuse *r)
{
	struct copy_reuse *d;

	if (!r)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	*d = *r;
	d->dup = true;
	d->pfd = -1;
	d->pdir = NULL;
	d->rootfd = fcntl(r->rootfd, F_DUPFD_CLOEXEC, 3);
	if (d->rootfd < 0) {
		free(d);
		return NULL;
	}
	return d;
}

/* Index and check the entries from off: in bounds, paths absolute and strictly increasing. */
static bool parse(struct copy_reuse *r, size_t off)
{
	size_t alloc = 0;

	while (off < r->len) {
		const char *e = r->buf + off;
		size_t pl;

		if (r->len - off < RAW_LEN + 2)
			return false;
		pl = entry_path_len(e);
		if (pl == 0 || pl > PATH_LEN_MAX || r->len - off - RAW_LEN - 2 < pl ||
		    entry_path(e)[0] != '/' || memchr(entry_path(e), '\0', pl) || off > UINT32_MAX)
			return false;
		if (r->n) {
			const char *p = r->buf + r->entries[r->n - 1];

			if (cmp_path(entry_path(p), entry_path_len(p), entry_path(e), pl) >= 0)
				return false;
		}
		CB_ALLOC_GROW(r->entries, r->n + 1, alloc);
		r->entries[r->n++] = (uint32_t)off;
		off += RAW_LEN + 2 + pl;
	}
	return true;
}

struct copy_reuse *copy_reuse_open(struct layer_store *s, const char *name)
{
	struct copy_reuse *r = xcalloc(1, sizeof(*r));
	struct cb_error *err = NULL;
	char chain_str[CB_DIGEST_LEN + 1];
	struct cb_digest chain;
	size_t head = sizeof(REUSE_MAGIC) - 1 + CB_DIGEST_LEN + 1;

	r->rootfd = r->pfd = -1;
	if (layer_store_aux_read(s, name, REUSE_MAX, &r->buf, &r->len, &err) <= 0)
		goto none;
	if (r->len < head || memcmp(r->buf, REUSE_MAGIC, sizeof(REUSE_MAGIC) - 1) ||
	    r->buf[head - 1] != '\n')
		goto none;
	memcpy(chain_str, r->buf + sizeof(REUSE_MAGIC) - 1, CB_DIGEST_LEN);
	chain_str[CB_DIGEST_LEN] = '\0';
	if (cb_digest_parse(chain_str, &chain, &err) < 0 || !parse(r, head))
		goto none;
	/* leased first, so a prune cannot take it while files are linked from it */
	if (layer_store_lease_add(s, &chain, &err) < 0)
		goto none;
	r->rootfd = layer_store_snapshot_open(s, &chain, &err);
	if (r->rootfd < 0)
		goto none;
	return r;
none:
	cb_error_free(&err);
	copy_reuse_close(r);
	return NULL;
}

/* The entry of path, or NULL. */
static const char *find(const struct copy_reuse *r, const char *path)
{
	size_t lo = 0, hi = r->n, pl = strlen(path);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *e = r->buf + r->entries[mid];
		int c = cmp_path(path, pl, entry_path(e), entry_path_len(e));

		if (c == 0)
			return e;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The snapshot's directory parent, found without following symlinks (cached). */
static int parent_dir(struct copy_reuse *r, const char *parent)
{
	struct cb_root_opts o = {CB_ROOT_NO_SYMLINKS | CB_ROOT_NO_CLIMB, 0, NULL, NULL};
	struct cb_error *err = NULL;

	if (r->pdir && !strcmp(r->pdir, parent))
		return r->pfd;
	if (r->pfd >= 0)
		close(r->pfd);
	free(r->pdir);
	r->pdir = xstrdup(parent);
	r->pfd = cb_open_in_root(r->rootfd, parent, O_RDONLY | O_DIRECTORY, 0, &o, &err);
	cb_error_free(&err);
	return r->pfd;
}

bool copy_reuse_has(const struct copy_reuse *r, const char *dst, const struct cb_digest *digest)
{
	unsigned char raw[RAW_LEN];
	const char *e;

	if (!r || dst[0] != '/')
		return false;
	e = find(r, dst);
	digest_raw(digest, raw);
	return e && !memcmp(e, raw, RAW_LEN);
}

int copy_reuse_link(struct copy_reuse *r, const char *dst, const struct cb_digest *digest,
		    off_t size, mode_t mode, uid_t uid, gid_t gid, const struct timespec *mtime,
		    int dfd, const char *name)
{
	unsigned char raw[RAW_LEN];
	cleanup_free char *parent = NULL;
	const char *e, *base;
	struct stat st;
	int pfd;

	if (!r || dst[0] != '/')
		return 0;
	e = find(r, dst);
	digest_raw(digest, raw);
	if (!e || memcmp(e, raw, RAW_LEN))
		return 0;
	parent = cb_dirname(dst);
	base = cb_basename(dst);
	pfd = parent_dir(r, parent);
	if (pfd < 0 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != size || (st.st_mode & 07777) != mode || st.st_uid != uid ||
	    st.st_gid != gid || st.st_mtim.tv_sec != mtime->tv_sec ||
	    st.st_mtim.tv_nsec != mtime->tv_nsec)
		return 0;
	return linkat(pfd, base, dfd, name, 0) == 0 ? 1 : 0;
}

/* ------------------------------------------------------------------------ */
/* What a COPY's snapshot holds, collected as it is written                  */
/* ------------------------------------------------------------------------ */

void copy_reuse_list_add(struct copy_reuse_list *l, const char *dst, const struct cb_digest *digest)
{
	size_t pl = strlen(dst);
	unsigned char raw[RAW_LEN], len[2];

	if (pl == 0 || pl > PATH_LEN_MAX || dst[0] != '/' || l->buf.len > UINT32_MAX)
		return; /* not remembered: the next build copies it */
	digest_raw(digest, raw);
	len[0] = (unsigned char)(pl & 0xff);
	len[1] = (unsigned char)(pl >> 8);
	CB_ALLOC_GROW(l->offs, l->n + 1, l->alloc);
	l->offs[l->n++] = (uint32_t)l->buf.len;
	cb_strbuf_add(&l->buf, raw, RAW_LEN);
	cb_strbuf_add(&l->buf, len, 2);
	cb_strbuf_add(&l->buf, dst, pl);
}

void copy_reuse_list_merge(struct copy_reuse_list *into, struct copy_reuse_list *from)
{
	if (!into->n) { /* taken over whole: no copy */
		copy_reuse_list_release(into);
		*into = *from;
		memset(from, 0, sizeof(*from));
		return;
	}
	for (size_t i = 0; i < from->n; i++) {
		const char *e = from->buf.buf + from->offs[i];
		size_t len = RAW_LEN + 2 + entry_path_len(e);

		if (into->buf.len > UINT32_MAX)
			break;
		CB_ALLOC_GROW(into->offs, into->n + 1, into->alloc);
		into->offs[into->n++] = (uint32_t)into->buf.len;
		cb_strbuf_add(&into->buf, e, len);
	}
	copy_reuse_list_release(from);
}

void copy_reuse_list_release(struct copy_reuse_list *l)
{
	cb_strbuf_release(&l->buf);
	free(l->offs);
	memset(l, 0, sizeof(*l));
}

static int cmp_entry(const void *a, const void *b, void *ctx)
{
	const char *buf = ctx;
	const char *x = buf + *(const uint32_t *)a, *y = buf + *(const uint32_t *)b;
	int c = cmp_path(entry_path(x), entry_path_len(x), entry_path(y), entry_path_len(y));

	/* equal paths: keep the order they were written in */
	return c ? c
		 : (*(const uint32_t *)a > *(const uint32_t *)b) -
			       (*(const uint32_t *)a < *(const uint32_t *)b);
}

void copy_reuse_save(struct layer_store *s, const char *name, const struct cb_digest *chain,
		     struct copy_reuse_list *l)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct cb_error *err = NULL;
	const char *buf = l->buf.buf;

	if (l->n)
		qsort_r(l->offs, l->n, sizeof(*l->offs), cmp_entry, (void *)buf);
	cb_strbuf_grow(&sb, sizeof(REUSE_MAGIC) + CB_DIGEST_LEN + l->buf.len); /* no doubling */
	cb_strbuf_addf(&sb, "%s%s\n", REUSE_MAGIC, chain->str);
	for (size_t i = 0; i < l->n; i++) {
		const char *e = buf + l->offs[i];
		size_t k = i;

		/* a path written twice (a later source replaced it): skip it */
		while (k + 1 < l->n &&
		       !cmp_path(entry_path(e), entry_path_len(e), entry_path(buf + l->offs[k + 1]),
				 entry_path_len(buf + l->offs[k + 1])))
			k++;
		if (k == i)
			cb_strbuf_add(&sb, e, RAW_LEN + 2 + entry_path_len(e));
		i = k;
	}
	if (layer_store_aux_write(s, name, sb.buf, sb.len, &err) < 0)
		cb_error_free(&err); /* an accelerator: the build goes on without it */
	cb_strbuf_release(&sb);
}
