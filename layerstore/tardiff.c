/*
 * tardiff.c - layer_diff_write(): a directory (an overlay upperdir or a
 * plain tree of new files) becomes an OCI layer tar in one streaming pass;
 * and the deterministic tar writer (tar_out, layer_tar) that save and
 * import write their tars with.
 *
 * Order: depth first, each directory's entries sorted by byte order, the
 * way Go's filepath.Walk (and so BuildKit and containerd) visit a tree; an
 * opaque directory's `.wh..wh..opq` follows the directory right away, as
 * Docker writes it.  Only one directory's names are held at each level, so
 * memory follows the widest directory and the depth, never the layer size.
 *
 * Determinism: libarchive's restricted PAX writer (ustar headers, a PAX
 * header only for long names, big ids and xattrs, named "PaxHeader" without
 * a PID), SCHILY xattrs only, numeric owners without uname/gname, no atime
 * or ctime, mtimes truncated to seconds and clamped by SOURCE_DATE_EPOCH,
 * no block padding after the end-of-archive marker.
 *
 * Everything is read through directory fds with O_NOFOLLOW and fstatat(...,
 * AT_SYMLINK_NOFOLLOW): a symlink in the tree is recorded, never followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "fsutil.h"
#include "layerstore-internal.h"
#include "strbuf.h"
#include "xalloc.h"

#define READ_BUF (256 * 1024)
#define XATTR_LIST_MAX_ (64 * 1024)

struct hardlink {
	dev_t dev;
	ino_t ino;
	char *path; /* the first name the layer gave this inode; NULL = free slot */
};

struct differ {
	const struct layer_diff_opts *o;
	struct layer_tar lt;
	struct cb_strbuf path;	/* the current entry's name */
	struct hardlink *links; /* open addressing on the inode number */
	size_t nlinks, caplinks;
	unsigned char *buf;
};

/* ------------------------------------------------------------------------ */
/* A deterministic tar written to a layer_sink (shared with save and import) */
/* ------------------------------------------------------------------------ */

static la_ssize_t tar_out_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct tar_out *t = ctx;

	(void)a;
	if (t->discard)
		return -1;
	if (t->err || t->sink->write(t->sink->ctx, buf, len, &t->err) < 0)
		return -1;
	return (la_ssize_t)len;
}

/* libarchive's failure (or one of ours from inside its callback) as *err. */
static int tar_out_fail(struct tar_out *t, const char *what, struct cb_error **err)
{
	if (t->err) {
		*err = steal_pointer(&t->err);
		return cb_error_wrap(err, "%s", what);
	}
	return cb_error_set(err, 0, "%s: %s", what,
			    t->a && archive_error_string(t->a) ? archive_error_string(t->a)
							       : "tar error");
}

/* "start the <kind>", "finish the <kind>": what a failure of the whole tar says. */
static int tar_out_fail_kind(struct tar_out *t, const char *verb, struct cb_error **err)
{
	char what[64];

	snprintf(what, sizeof(what), "%s the %s", verb, t->kind);
	return tar_out_fail(t, what, err);
}

int tar_out_open(struct tar_out *t, const struct layer_sink *sink, const char *kind,
		 struct cb_error **err)
{
	memset(t, 0, sizeof(*t));
	t->sink = sink;
	t->kind = kind;
	if (layer_libarchive_load(err) < 0)
		return -1;
	t->a = archive_write_new();
	t->e = archive_entry_new();
	if (!t->a || !t->e)
		return cb_error_set(err, ENOMEM, "libarchive: allocate a writer");
	/*
	 * Restricted PAX: plain ustar unless an entry needs more.  SCHILY xattr
	 * records are the ones Go's archive/tar (containerd, BuildKit) reads.
	 * No blocking: the stream ends right after the two zero blocks.
	 */
	if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_set_format_option(t->a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(t->a, 0) != ARCHIVE_OK ||
	    archive_write_open2(t->a, t, NULL, tar_out_write, NULL, NULL) != ARCHIVE_OK)
		return tar_out_fail_kind(t, "start", err);
	return 0;
}

int tar_out_header(struct tar_out *t, struct cb_error **err)
{
	int rc = archive_write_header(t->a, t->e);

	/*
	 * WARN: a name is not ASCII.  Names are bytes and cbuild runs in the C
	 * locale, so libarchive cannot convert them to UTF-8 and writes them
	 * as they are, marked `hdrcharset=BINARY` (only those entries), which
	 * Go's archive/tar ignores and reads as the same bytes.
	 */
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
		return tar_out_fail(t, archive_entry_pathname(t->e), err);
	return 0;
}

int tar_out_data(struct tar_out *t, const void *buf, size_t len, struct cb_error **err)
{
	if (archive_write_data(t->a, buf, len) != (la_ssize_t)len)
		return tar_out_fail(t, archive_entry_pathname(t->e), err);
	return 0;
}

int tar_out_close(struct tar_out *t, struct cb_error **err)
{
	if (archive_write_close(t->a) != ARCHIVE_OK)
		return tar_out_fail_kind(t, "finish", err);
	return 0;
}

void tar_out_release(struct tar_out *t)
{
	/* archive_write_free closes an open tar: make the close write nothing */
	t->discard = true;
	if (t->a)
		archive_write_free(t->a);
	if (t->e)
		archive_entry_free(t->e);
	t->a = NULL;
	t->e = NULL;
	cb_error_free(&t->err);
}

static int writer_sink_write(void *ctx, const void *buf, size_t len, struct cb_error **err)
{
	return layer_writer_write(ctx, buf, len, err);
}

int layer_tar_open(struct layer_tar *lt, const struct layer_diff_opts *o,
		   const struct layer_sink *sink, const char *kind, struct cb_error **err)
{
	memset(lt, 0, sizeof(*lt));
	/* Before the writer's worker thread starts, which would only be stopped again. */
	if (layer_libarchive_load(err) < 0 || layer_writer_init(&lt->w, o, sink, err) < 0)
		return -1;
	lt->wsink = (struct layer_sink){writer_sink_write, &lt->w};
	return tar_out_open(&lt->out, &lt->wsink, kind, err);
}

int layer_tar_finish(struct layer_tar *lt, struct layer_desc *out, struct cb_error **err)
{
	if (tar_out_close(&lt->out, err) < 0)
		return -1;
	return layer_writer_finish(&lt->w, out, err);
}

void layer_tar_release(struct layer_tar *lt)
{
	tar_out_release(&lt->out);
	layer_writer_release(&lt->w);
}

/* ------------------------------------------------------------------------ */
/* Entry headers                                                             */
/* ------------------------------------------------------------------------ */

static time_t clamp_mtime(const struct differ *df, time_t t)
{
	if (df->o->source_date_epoch >= 0 && t > df->o->source_date_epoch)
		return (time_t)df->o->source_date_epoch;
	return t;
}

static void header_from_stat(struct differ *df, const struct stat *st)
{
	struct archive_entry *e = df->lt.out.e;

	archive_entry_clear(e);
	archive_entry_copy_pathname(e, df->path.buf);
	archive_entry_set_mode(e, st->st_mode & (S_IFMT | 07777));
	archive_entry_set_uid(e, st->st_uid);
	archive_entry_set_gid(e, st->st_gid);
	archive_entry_set_mtime(e, clamp_mtime(df, st->st_mtim.tv_sec), 0);
	archive_entry_set_size(e, 0);
}

/* Which xattrs a layer carries: file capabilities and user data, never overlay's. */
static bool xattr_wanted(const char *name)
{
	if (!strcmp(name, "security.capability"))
		return true;
	return cb_str_starts_with(name, "user.") && !cb_str_starts_with(name, "user.overlay.");
}

/*
 * Add fd's wanted xattrs to the header (names sorted, for determinism) and
 * report whether it carries an overlay opaque marker.
 */
static int add_xattrs(struct differ *df, int fd, bool *opaque, struct cb_error **err)
{
	char list[XATTR_LIST_MAX_];
	ssize_t n = flistxattr(fd, list, sizeof(list));
	struct cb_strvec names = CB_STRVEC_INIT;

	if (n < 0) {
		if (errno == ENOTSUP)
			return 0;
		return cb_error_set(err, errno, "`%s`: list xattrs", df->path.buf);
	}
	for (char *p = list; p < list + n; p += strlen(p) + 1) {
		if (opaque &&
		    (!strcmp(p, "trusted.overlay.opaque") || !strcmp(p, "user.overlay.opaque"))) {
			char v[4];
			ssize_t vn = fgetxattr(fd, p, v, sizeof(v));

			if (vn == 1 && v[0] == 'y')
				*opaque = true;
		}
		if (xattr_wanted(p))
			cb_strvec_push(&names, p);
	}
	cb_strvec_sort(&names);
	for (size_t i = 0; i < names.n; i++) {
		ssize_t vn = fgetxattr(fd, names.v[i], df->buf, READ_BUF);

		if (vn < 0 && errno != ENODATA) {
			int e = errno;

			cb_strvec_clear(&names);
			return cb_error_set(err, e, "`%s`: read xattr", df->path.buf);
		}
		if (vn >= 0)
			archive_entry_xattr_add_entry(df->lt.out.e, names.v[i], df->buf,
						      (size_t)vn);
	}
	cb_strvec_clear(&names);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Entries                                                                   */
/* ------------------------------------------------------------------------ */

static int copy_data(struct differ *df, int fd, off_t size, struct cb_error **err)
{
	off_t left = size;

	while (left > 0) {
		size_t want = left < READ_BUF ? (size_t)left : READ_BUF;
		ssize_t n = read(fd, df->buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cb_error_set(err, errno, "read `%s`", df->path.buf);
		if (n == 0)
			return cb_error_set(err, 0, "`%s` shrank while it was read", df->path.buf);
		if (tar_out_data(&df->lt.out, df->buf, (size_t)n, err) < 0)
			return -1;
		left -= n;
	}
	return 0;
}

static struct hardlink *link_slot(struct hardlink *links, size_t cap, dev_t dev, ino_t ino)
{
	size_t i = (size_t)((ino * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);

	while (links[i].path && !(links[i].ino == ino && links[i].dev == dev))
		i = (i + 1) & (cap - 1);
	return &links[i];
}

static void links_grow(struct differ *df)
{
	size_t cap = df->caplinks ? df->caplinks * 2 : 64;
	struct hardlink *links = xcalloc(cap, sizeof(*links));

	for (size_t i = 0; i < df->caplinks; i++)
		if (df->links[i].path)
			*link_slot(links, cap, df->links[i].dev, df->links[i].ino) = df->links[i];
	free(df->links);
	df->links = links;
	df->caplinks = cap;
}

/*
 * Files with several names: the first name is written with its data, the
 * next ones as hardlinks to it.  Only multiply-linked inodes are remembered.
 * Returns 1 when the entry became a hardlink.
 */
static int as_hardlink(struct differ *df, const struct stat *st)
{
	struct hardlink *l;

	if (S_ISDIR(st->st_mode) || st->st_nlink < 2 || df->o->no_hardlinks)
		return 0;
	if ((df->nlinks + 1) * 2 > df->caplinks)
		links_grow(df);
	l = link_slot(df->links, df->caplinks, st->st_dev, st->st_ino);
	if (l->path) {
		archive_entry_set_filetype(df->lt.out.e, AE_IFREG);
		archive_entry_set_perm(df->lt.out.e, st->st_mode & 07777);
		archive_entry_copy_hardlink(df->lt.out.e, l->path);
		archive_entry_set_size(df->lt.out.e, 0);
		return 1;
	}
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	l->path = xstrdup(df->path.buf);
	df->nlinks++;
	return 0;
}

static int open_noatime(int dirfd, const char *name, int flags)
{
	int fd = openat(dirfd, name, flags | O_NOATIME | O_NOFOLLOW | O_CLOEXEC);

	/* O_NOATIME needs ownership or CAP_FOWNER. */
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* A regular file open as fd, st its stat: header, xattrs, data. */
static int diff_file_fd(struct differ *df, int fd, const struct stat *st, struct cb_error **err)
{
	header_from_stat(df, st);
	if (as_hardlink(df, st))
		return tar_out_header(&df->lt.out, err);
	archive_entry_set_size(df->lt.out.e, st->st_size);
	if (add_xattrs(df, fd, NULL, err) < 0 || tar_out_header(&df->lt.out, err) < 0)
		return -1;
	return copy_data(df, fd, st->st_size, err);
}

static int diff_file(struct differ *df, int dirfd, const char *name, const struct stat *st,
		     struct cb_error **err)
{
	cleanup_close int fd = -1;
	struct stat now;

	fd = open_noatime(dirfd, name, O_RDONLY);
	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", df->path.buf);
	/* What we opened must be what we listed (no swap in between). */
	if (fstat(fd, &now) < 0)
		return cb_error_set(err, errno, "stat `%s`", df->path.buf);
	if (now.st_ino != st->st_ino || !S_ISREG(now.st_mode))
		return cb_error_set(err, 0, "`%s` changed while the layer was written",
				    df->path.buf);
	return diff_file_fd(df, fd, st, err);
}

static int diff_special(struct differ *df, int dirfd, const char *name, const struct stat *st,
			struct cb_error **err)
{
	header_from_stat(df, st);
	if (as_hardlink(df, st))
		return tar_out_header(&df->lt.out, err);
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

		if (n < 0)
			return cb_error_set(err, errno, "read link `%s`", df->path.buf);
		target[n] = '\0';
		archive_entry_copy_symlink(df->lt.out.e, target);
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		archive_entry_set_rdevmajor(df->lt.out.e, major(st->st_rdev));
		archive_entry_set_rdevminor(df->lt.out.e, minor(st->st_rdev));
	} else if (S_ISSOCK(st->st_mode)) {
		return 0; /* tar cannot hold sockets; Docker and BuildKit skip them too */
	}
	return tar_out_header(&df->lt.out, err);
}

/* An overlay whiteout (0/0 character device) becomes an empty `.wh.NAME`. */
static int diff_whiteout(struct differ *df, const char *name, const struct stat *st,
			 struct cb_error **err)
{
	size_t keep = df->path.len - strlen(name);

	cb_strbuf_setlen(&df->path, keep);
	cb_strbuf_addf(&df->path, ".wh.%s", name);
	header_from_stat(df, st);
	archive_entry_set_filetype(df->lt.out.e, AE_IFREG);
	archive_entry_set_perm(df->lt.out.e, 0600);
	return tar_out_header(&df->lt.out, err);
}

static int diff_tree(struct differ *df, int dirfd, struct cb_error **err);

static int diff_opaque_marker(struct differ *df, const struct stat *st, struct cb_error **err)
{
	size_t keep = df->path.len;
	int ret;

	cb_strbuf_addstr(&df->path, df->path.len ? "/.wh..wh..opq" : ".wh..wh..opq");
	header_from_stat(df, st);
	archive_entry_set_filetype(df->lt.out.e, AE_IFREG);
	archive_entry_set_perm(df->lt.out.e, st->st_mode & 0777);
	ret = tar_out_header(&df->lt.out, err);
	cb_strbuf_setlen(&df->path, keep);
	return ret;
}

static int diff_dir(struct differ *df, int dirfd, const char *name, const struct stat *st,
		    struct cb_error **err)
{
	cleanup_close int fd = open_noatime(dirfd, name, O_RDONLY | O_DIRECTORY);
	bool opaque = false;

	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", df->path.buf);
	header_from_stat(df, st);
	if (add_xattrs(df, fd, df->o->overlay ? &opaque : NULL, err) < 0 ||
	    tar_out_header(&df->lt.out, err) < 0)
		return -1;
	if (opaque && diff_opaque_marker(df, st, err) < 0)
		return -1;
	return diff_tree(df, fd, err);
}

static int diff_one(struct differ *df, int dirfd, const char *name, unsigned char type,
		    struct cb_error **err)
{
	struct stat st;

	if (type == DT_REG) {
		/*
		 * Listed as a file: opened first and stat'ed through the fd, one
		 * call fewer (O_NOFOLLOW and O_NONBLOCK: a swapped-in symlink or
		 * FIFO is neither followed nor waited for, and is looked at again).
		 */
		cleanup_close int fd = open_noatime(dirfd, name, O_RDONLY | O_NONBLOCK);

		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			return diff_file_fd(df, fd, &st, err);
	}
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cb_error_set(err, errno, "stat `%s`", df->path.buf);
	if (df->o->overlay && cb_overlay_whiteout(&st))
		return diff_whiteout(df, name, &st, err);
	if (S_ISDIR(st.st_mode))
		return diff_dir(df, dirfd, name, &st, err);
	if (S_ISREG(st.st_mode))
		return diff_file(df, dirfd, name, &st, err);
	return diff_special(df, dirfd, name, &st, err);
}

/* A directory's entries: their names one after the other, and types. */
struct listing {
	char *names;
	size_t len, cap;
	struct list_ent {
		size_t off;
		unsigned char type; /* d_type */
	} * ents;
	size_t n, capents;
};

static void listing_release(struct listing *l)
{
	free(l->names);
	free(l->ents);
}

static int ent_cmp(const void *a, const void *b, void *names)
{
	return strcmp((const char *)names + ((const struct list_ent *)a)->off,
		      (const char *)names + ((const struct list_ent *)b)->off);
}

/* The names in dirfd, sorted by byte order (two allocations, not one per name). */
static int list_sorted(int dirfd, const char *what, struct listing *l, struct cb_error **err)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", what);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return cb_error_set(err, errno, "open `%s`", what);
	}
	while ((errno = 0, de = readdir(d))) {
		size_t nl = strlen(de->d_name) + 1;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (l->len + nl > l->cap) {
			l->cap = (l->len + nl) * 2 + 256;
			l->names = xrealloc(l->names, l->cap);
		}
		if (l->n == l->capents) {
			l->capents = l->capents ? 2 * l->capents : 32;
			l->ents = xrealloc(l->ents, l->capents * sizeof(*l->ents));
		}
		memcpy(l->names + l->len, de->d_name, nl);
		l->ents[l->n++] = (struct list_ent){l->len, de->d_type};
		l->len += nl;
	}
	if (errno)
		return cb_error_set(err, errno, "read directory `%s`", what);
	if (l->n)
		qsort_r(l->ents, l->n, sizeof(*l->ents), ent_cmp, l->names);
	return 0;
}

static int diff_tree(struct differ *df, int dirfd, struct cb_error **err)
{
	struct listing l = {0};
	size_t keep = df->path.len;
	int ret = list_sorted(dirfd, keep ? df->path.buf : ".", &l, err);

	for (size_t i = 0; ret == 0 && i < l.n; i++) {
		const char *name = l.names + l.ents[i].off;

		cb_strbuf_setlen(&df->path, keep);
		if (keep)
			cb_strbuf_addch(&df->path, '/');
		cb_strbuf_addstr(&df->path, name);
		ret = diff_one(df, dirfd, name, l.ents[i].type, err);
	}
	cb_strbuf_setlen(&df->path, keep);
	listing_release(&l);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                              */
/* ------------------------------------------------------------------------ */

static void differ_release(struct differ *df)
{
	layer_tar_release(&df->lt);
	for (size_t i = 0; i < df->caplinks; i++)
		free(df->links[i].path);
	free(df->links);
	free(df->buf);
	cb_strbuf_release(&df->path);
}

/*
 * An upper dir whose root carries the opaque marker (overlayfs never sets
 * one, but a snapshot applied from a layer with `./.wh..wh..opq` does):
 * the marker comes first, so the layer hides all lower content again.
 */
static int diff_root_opaque(struct differ *df, int dirfd, struct cb_error **err)
{
	struct stat st;
	int r;

	if (!df->o->overlay)
		return 0;
	r = cb_overlay_opaque(dirfd);
	if (r < 0)
		return cb_error_set(err, -r, "read the root's opaque marker");
	if (!r)
		return 0;
	if (fstat(dirfd, &st) < 0)
		return cb_error_set(err, errno, "stat the root");
	return diff_opaque_marker(df, &st, err);
}

int layer_diff_write(int dirfd, const struct layer_diff_opts *o, const struct layer_sink *sink,
		     struct layer_desc *out, struct cb_error **err)
{
	struct differ df = {.o = o, .path = CB_STRBUF_INIT};
	struct layer_desc d;
	int ret = -1;

	df.buf = xmalloc(READ_BUF);
	if (layer_tar_open(&df.lt, o, sink, "layer tar", err) < 0 ||
	    diff_root_opaque(&df, dirfd, err) < 0 || diff_tree(&df, dirfd, err) < 0 ||
	    layer_tar_finish(&df.lt, &d, err) < 0)
		goto out;
	*out = d;
	ret = 0;
out:
	if (ret < 0)
		cb_error_wrap(err, "write layer");
	differ_release(&df);
	return ret;
}

int layer_store_diff(struct layer_store *s, int dirfd, const struct layer_diff_opts *o,
		     struct layer_desc *out, struct cb_error **err)
{
	struct layer_sink sink;
	struct blob_writer *bw = store_layer_blob_create(s, &sink, err);
	struct layer_desc d;

	if (!bw)
		return -1;
	if (layer_diff_write(dirfd, o, &sink, &d, err) < 0) {
		blob_writer_abort(bw);
		return -1;
	}
	if (blob_writer_commit(bw, &d.digest, d.size, NULL, err) < 0)
		return cb_error_wrap(err, "store layer");
	*out = d;
	return 0;
}
