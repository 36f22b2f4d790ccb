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
 * remembers what the snapshot holds:
 *
 *	cbuild-reuse-v1\n
 *	sha256:<chain of the snapshot>\n
 *	<digest hex> <absolute destination path>\n	(sorted by path, bytewise)
 *	...
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
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

#define REUSE_MAGIC "cbuild-reuse-v1\n"
#define REUSE_MAX (256u << 20)
#define HEX_LEN 64

struct copy_reuse {
	char *buf;	  /* the record; lines are split in place */
	const char **lines; /* "<hex> <path>", sorted by path */
	size_t n;
	int rootfd;	  /* the snapshot's fs/ */
	int pfd;	  /* the last parent directory looked up, and its path */
	char *pdir;
};

static const char *line_path(const char *line)
{
	return line + HEX_LEN + 1;
}

void copy_reuse_name(const struct build *b, const struct stage *st,
		     const struct df_instruction *in, char *out, size_t len)
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
	free(r->lines);
	free(r->buf);
	free(r);
}

/* Split and check the record: every line "<64 hex> /path", paths strictly increasing. */
static bool parse(struct copy_reuse *r, char *p, char *end)
{
	size_t alloc = 0;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl || nl - p < HEX_LEN + 2 || p[HEX_LEN] != ' ' || p[HEX_LEN + 1] != '/')
			return false;
		*nl = '\0';
		for (int i = 0; i < HEX_LEN; i++)
			if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
				return false;
		if (r->n && strcmp(line_path(r->lines[r->n - 1]), line_path(p)) >= 0)
			return false;
		CB_ALLOC_GROW(r->lines, r->n + 1, alloc);
		r->lines[r->n++] = p;
		p = nl + 1;
	}
	return true;
}

struct copy_reuse *copy_reuse_open(struct layer_store *s, const char *name)
{
	struct copy_reuse *r = xcalloc(1, sizeof(*r));
	struct cb_error *err = NULL;
	cleanup_free char *dir = NULL;
	struct cb_digest chain;
	char *p, *nl;
	size_t len = 0;

	r->rootfd = r->pfd = -1;
	if (layer_store_aux_read(s, name, REUSE_MAX, &r->buf, &len, &err) <= 0)
		goto none;
	p = r->buf;
	if (len < sizeof(REUSE_MAGIC) - 1 + CB_DIGEST_LEN + 1 ||
	    memcmp(p, REUSE_MAGIC, sizeof(REUSE_MAGIC) - 1))
		goto none;
	p += sizeof(REUSE_MAGIC) - 1;
	nl = memchr(p, '\n', len - (size_t)(p - r->buf));
	if (!nl || nl - p != CB_DIGEST_LEN)
		goto none;
	*nl = '\0';
	if (cb_digest_parse(p, &chain, &err) < 0 || !parse(r, nl + 1, r->buf + len))
		goto none;
	/* leased first, so a prune cannot take it while files are linked from it */
	if (layer_store_lease_add(s, &chain, &err) < 0)
		goto none;
	dir = layer_store_snapshot_dir(s, &chain);
	r->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->rootfd < 0)
		goto none;
	return r;
none:
	cb_error_free(&err);
	copy_reuse_close(r);
	return NULL;
}

static int cmp_line(const void *key, const void *elem)
{
	return strcmp(key, line_path(*(const char *const *)elem));
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

int copy_reuse_link(struct copy_reuse *r, const char *dst, const struct cb_digest *digest,
		    off_t size, mode_t mode, uid_t uid, gid_t gid, const struct timespec *mtime,
		    int dfd, const char *name)
{
	const char *const *line;
	cleanup_free char *parent = NULL;
	const char *base;
	struct stat st;
	int pfd;

	if (!r || dst[0] != '/')
		return 0;
	line = bsearch(dst, r->lines, r->n, sizeof(*r->lines), cmp_line);
	if (!line || memcmp(*line, cb_digest_hex(digest), HEX_LEN))
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(line_path(*(const char *const *)a), line_path(*(const char *const *)b));
}

void copy_reuse_save(struct layer_store *s, const char *name, const struct cb_digest *chain,
		     struct cb_strvec *lines)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct cb_error *err = NULL;

	if (lines->n)
		qsort(lines->v, lines->n, sizeof(*lines->v), cmp_str);
	cb_strbuf_addf(&sb, "%s%s\n", REUSE_MAGIC, chain->str);
	for (size_t i = 0; i < lines->n; i++) {
		size_t k = i;

		/* a path written twice (a later source replaced it): which won is unknown, skip */
		while (k + 1 < lines->n && !cmp_str(&lines->v[k], &lines->v[k + 1]))
			k++;
		if (k == i)
			cb_strbuf_addf(&sb, "%s\n", lines->v[i]);
		i = k;
	}
	if (layer_store_aux_write(s, name, sb.buf, sb.len, &err) < 0)
		cb_error_free(&err); /* an accelerator: the build goes on without it */
	cb_strbuf_release(&sb);
}
