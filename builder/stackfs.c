/*
 * stackfs.c - a read-only view of a stack of snapshot directories as
 * overlayfs shows them, without mounting anything: lookups that resolve
 * symlinks inside the stack's root, whiteouts (0/0 character devices) and
 * opaque directories hiding what is below, and merged directory listings.
 *
 * COPY uses it to resolve its destination and read /etc/passwd for
 * --chown; COPY --from reads its sources through it.  Snapshots never
 * change once made, so no lookup races with a writer.  Each layer's path
 * is only ever used for components that are directories in that layer
 * (the lookup keeps, per level, the layers in which the path is a
 * directory), so a symlink inside one layer is never followed by the
 * kernel: symlinks are resolved here, against the merged view.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

#define STACKFS_MAX_LINKS 40

int stackfs_open(struct stackfs *fs, const char *const *dirs, size_t n, struct cb_error **err)
{
	fs->fds = xcalloc(n ? n : 1, sizeof(*fs->fds));
	fs->n = 0;
	fs->plain = false;
	for (size_t i = 0; i < n; i++) {
		int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			int e = errno;

			stackfs_release(fs);
			return cb_error_set(err, e, "open layer `%s`", dirs[i]);
		}
		fs->fds[fs->n++] = fd;
	}
	return 0;
}

void stackfs_release(struct stackfs *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		close(fs->fds[i]);
	free(fs->fds);
	fs->fds = NULL;
	fs->n = 0;
}

void stackfs_entry_release(struct stackfs_entry *e)
{
	free(e->path);
	free(e->dirs);
	memset(e, 0, sizeof(*e));
}

static bool is_opaque(const struct stackfs *fs, int layer_fd, const char *rel)
{
	cleanup_close int fd =
		openat(layer_fd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	(void)fs;
	return fd >= 0 && cb_overlay_opaque(fd) > 0;
}

/* The root: every layer, down to the first opaque root. */
static void root_entry(const struct stackfs *fs, struct stackfs_entry *e)
{
	e->path = xstrdup("/");
	e->dirs = xcalloc(fs->n ? fs->n : 1, sizeof(*e->dirs));
	e->ndirs = 0;
	e->layer = fs->n ? 0 : -1;
	memset(&e->st, 0, sizeof(e->st));
	e->st.st_mode = S_IFDIR | 0755;
	for (size_t i = 0; i < fs->n; i++) {
		struct stat st;

		e->dirs[e->ndirs++] = i;
		if (e->ndirs == 1 && fstat(fs->fds[i], &st) == 0)
			stackfs_stat_from(&e->st, &st);
		if (is_opaque(fs, fs->fds[i], ""))
			break;
	}
}

/* path relative to a layer root, from an absolute canonical path. */
static const char *rel_of(const char *path)
{
	while (*path == '/')
		path++;
	return path;
}

/*
 * The child of a directory as the layers below it show it: in layer
 * layers[k], fstatat(fds[k], name) (a layer root and a relative path, or
 * the directory itself and a name).  1 and *out (path NULL) when it exists
 * in the merged view, 0 when not.  what names it in errors.
 */
static int merge_child(const struct stackfs *fs, const int *fds, const size_t *layers, size_t n,
		       const char *name, const char *what, struct stackfs_entry *out,
		       struct cb_error **err)
{
	memset(out, 0, sizeof(*out));
	out->layer = -1;
	for (size_t k = 0; k < n; k++) {
		size_t i = layers[k];
		struct stat st;

		if (fstatat(fds[k], name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			int e = errno;

			stackfs_entry_release(out);
			return cb_error_set(err, e, "stat `%s` in layer %zu", what, i);
		}
		if (!fs->plain && cb_overlay_whiteout(&st))
			break;
		if (!S_ISDIR(st.st_mode)) {
			if (out->layer < 0) {
				out->layer = (int)i;
				stackfs_stat_from(&out->st, &st);
			}
			break; /* a non-directory hides what is below */
		}
		if (out->layer < 0) {
			out->layer = (int)i;
			stackfs_stat_from(&out->st, &st);
		} else if (!S_ISDIR(out->st.st_mode)) {
			break;
		}
		if (!out->dirs)
			out->dirs = xcalloc(n, sizeof(*out->dirs));
		out->dirs[out->ndirs++] = i;
		/* an opaque directory hides the layers below (none below the last) */
		if (k + 1 < n && !fs->plain && is_opaque(fs, fds[k], name))
			break;
	}
	if (out->layer < 0) {
		stackfs_entry_release(out);
		return 0;
	}
	return 1;
}

/*
 * One step: the child `name` of the directory `dir`.  1 and *out when it
 * exists in the merged view, 0 when not.
 */
static int child(const struct stackfs *fs, const struct stackfs_entry *dir, const char *name,
		 struct stackfs_entry *out, struct cb_error **err)
{
	cleanup_free char *path = strcmp(dir->path, "/") ? xasprintf("%s/%s", dir->path, name)
							 : xasprintf("/%s", name);
	cleanup_free int *fds = xcalloc(dir->ndirs ? dir->ndirs : 1, sizeof(*fds));
	int r;

	for (size_t k = 0; k < dir->ndirs; k++)
		fds[k] = fs->fds[dir->dirs[k]];
	r = merge_child(fs, fds, dir->dirs, dir->ndirs, rel_of(path), path, out, err);
	if (r > 0)
		out->path = steal_pointer(&path);
	return r;
}

int stackfs_child(const struct stackfs *fs, const struct stackfs_entry *dir, const char *name,
		  struct stackfs_entry *out, struct cb_error **err)
{
	return child(fs, dir, name, out, err);
}

/* readlink of a symlink entry; caller frees. */
static char *entry_readlink(const struct stackfs *fs, const struct stackfs_entry *e,
			    struct cb_error **err)
{
	char buf[4096];
	ssize_t n = readlinkat(fs->fds[e->layer], rel_of(e->path), buf, sizeof(buf));

	if (n < 0 || n >= (ssize_t)sizeof(buf))
		return cb_error_set(err, n < 0 ? errno : ENAMETOOLONG, "readlink `%s`", e->path),
		       NULL;
	return xstrndup(buf, (size_t)n);
}

int stackfs_lookup(const struct stackfs *fs, const char *path, bool follow,
		   struct stackfs_entry *out, struct cb_error **err)
{
	struct cb_strbuf rest = CB_STRBUF_INIT;
	struct stackfs_entry cur;
	int links = 0, ret = 0;

	root_entry(fs, &cur);
	cb_strbuf_addstr(&rest, path);
	for (;;) {
		struct stackfs_entry next;
		char *p = rest.buf, *slash;
		cleanup_free char *name = NULL;
		bool last;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		slash = strchr(p, '/');
		name = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
		memmove(rest.buf, p + strlen(name), strlen(p + strlen(name)) + 1);
		cb_strbuf_setlen(&rest, strlen(rest.buf));
		last = strspn(rest.buf, "/") == rest.len;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			cleanup_free char *up = cb_dirname(cur.path);

			stackfs_entry_release(&cur);
			/* re-walk the parent: canonical, so no symlinks on the way */
			ret = stackfs_lookup(fs, up, false, &cur, err);
			if (ret <= 0) {
				if (ret == 0)
					ret = cb_error_set(err, ENOENT, "`%s` vanished", up);
				goto out;
			}
			continue;
		}
		if (!S_ISDIR(cur.st.st_mode)) {
			ret = 0; /* a path through a non-directory */
			stackfs_entry_release(&cur);
			goto out_missing;
		}
		ret = child(fs, &cur, name, &next, err);
		if (ret <= 0) {
			stackfs_entry_release(&cur);
			if (ret == 0)
				goto out_missing;
			goto out;
		}
		if (S_ISLNK(next.st.st_mode) && (!last || follow)) {
			cleanup_free char *target = entry_readlink(fs, &next, err);
			struct cb_strbuf nr = CB_STRBUF_INIT;

			stackfs_entry_release(&next);
			if (!target || ++links > STACKFS_MAX_LINKS) {
				stackfs_entry_release(&cur);
				ret = target ? cb_error_set(err, ELOOP,
							    "too many levels of "
							    "symbolic links in `%s`",
							    path)
					     : -1;
				goto out;
			}
			if (target[0] == '/') {
				stackfs_entry_release(&cur);
				root_entry(fs, &cur);
			}
			cb_strbuf_addstr(&nr, target);
			cb_strbuf_addch(&nr, '/');
			cb_strbuf_addstr(&nr, rest.buf);
			cb_strbuf_release(&rest);
			rest = nr;
			continue;
		}
		stackfs_entry_release(&cur);
		cur = next;
	}
	*out = cur;
	ret = 1;
	goto out;
out_missing:
	ret = 0;
out:
	cb_strbuf_release(&rest);
	return ret;
}

int stackfs_open_entry(const struct stackfs *fs, const struct stackfs_entry *e, int flags,
		       struct cb_error **err)
{
	int fd;

	if (e->layer < 0)
		return cb_error_set(err, ENOENT, "`%s` has no layer", e->path);
	fd = openat(fs->fds[e->layer], *rel_of(e->path) ? rel_of(e->path) : ".",
		    flags | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", e->path);
	return fd;
}

char *stackfs_entry_readlink(const struct stackfs *fs, const struct stackfs_entry *e,
			     struct cb_error **err)
{
	return entry_readlink(fs, e, err);
}

int stackfs_read_file(const struct stackfs *fs, const char *path, size_t max, char **buf,
		      size_t *len, struct cb_error **err)
{
	struct stackfs_entry e;
	cleanup_close int fd = -1;
	int ret = stackfs_lookup(fs, path, true, &e, err);

	if (ret <= 0)
		return ret;
	if (!S_ISREG(e.st.st_mode)) {
		stackfs_entry_release(&e);
		return 0;
	}
	fd = stackfs_open_entry(fs, &e, O_RDONLY, err);
	stackfs_entry_release(&e);
	if (fd < 0 || cb_read_fd(fd, max, buf, len, err) < 0)
		return cb_error_wrap(err, "read `%s`", path);
	return 1;
}

/* A name of a layer's directory, for the merged listing. */
struct dir_name {
	size_t off; /* in the names buffer */
	size_t k;   /* the layer's rank in the directory's layers (top first) */
	bool whiteout;
};

static int cmp_name(const void *a, const void *b, void *names)
{
	const struct dir_name *x = a, *y = b;
	int c = strcmp((const char *)names + x->off, (const char *)names + y->off);

	if (c)
		return c;
	return x->k < y->k ? -1 : x->k > y->k;
}

/* Append the names of directory fd (layer rank k) to *v, their text to *names. */
static int read_names(const struct stackfs *fs, int fd, size_t k, const char *what,
		      struct cb_strbuf *names, struct dir_name **v, size_t *n, size_t *alloc,
		      struct cb_error **err)
{
	/* getdents64 on the directory's own fd: no DIR stream (a dup, a close) per directory */
	char buf[32768] __attribute__((aligned(8)));

	for (;;) {
		ssize_t got = getdents64(fd, buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return cb_error_set(err, errno, "read `%s`", what);
		if (got == 0)
			return 0;
		for (ssize_t pos = 0; pos < got;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + pos);
			struct dir_name *dn;
			struct stat st;

			pos += de->d_reclen;
			if (de->d_name[0] == '.' &&
			    (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
				continue;
			CB_ALLOC_GROW(*v, *n + 1, *alloc);
			dn = &(*v)[(*n)++];
			dn->off = names->len;
			dn->k = k;
			dn->whiteout = !fs->plain &&
				       (de->d_type == DT_CHR || de->d_type == DT_UNKNOWN) &&
				       fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				       cb_overlay_whiteout(&st);
			cb_strbuf_add(names, de->d_name, strlen(de->d_name) + 1);
		}
	}
}

/*
 * The merged listing: each name as the topmost layer that has it decides
 * (a whiteout there hides it), sorted.
 */
static int list_dir(const struct stackfs *fs, struct stackfs_dir *d, const char *what,
		    struct cb_error **err)
{
	struct cb_strbuf names = CB_STRBUF_INIT;
	cleanup_free struct dir_name *v = NULL;
	size_t n = 0, alloc = 0;

	for (size_t k = 0; k < d->nfds; k++) {
		if (read_names(fs, d->fds[k], k, what, &names, &v, &n, &alloc, err) < 0) {
			cb_strbuf_release(&names);
			return -1;
		}
	}
	if (n) /* qsort's array may not be NULL, even for no elements */
		qsort_r(v, n, sizeof(*v), cmp_name, names.buf);
	d->off = xcalloc(n ? n : 1, sizeof(*d->off));
	d->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && !strcmp(names.buf + v[i].off, names.buf + v[i - 1].off))
			continue; /* decided by an upper layer */
		if (!v[i].whiteout)
			d->off[d->n++] = v[i].off;
	}
	d->names = cb_strbuf_detach(&names, NULL);
	return 0;
}

int stackfs_dir_open(const struct stackfs *fs, const struct stackfs_entry *dir,
		     struct stackfs_dir *d, struct cb_error **err)
{
	const char *rel = rel_of(dir->path);

	memset(d, 0, sizeof(*d));
	d->fds = xcalloc(dir->ndirs ? dir->ndirs : 1, sizeof(*d->fds));
	d->layers = xcalloc(dir->ndirs ? dir->ndirs : 1, sizeof(*d->layers));
	for (size_t k = 0; k < dir->ndirs; k++) {
		size_t i = dir->dirs[k];
		int fd = openat(fs->fds[i], *rel ? rel : ".",
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0) {
			int e = errno;

			stackfs_dir_release(d);
			return cb_error_set(err, e, "open `%s` in layer %zu", dir->path, i);
		}
		d->fds[d->nfds] = fd;
		d->layers[d->nfds++] = i;
	}
	if (list_dir(fs, d, dir->path, err) < 0) {
		stackfs_dir_release(d);
		return -1;
	}
	return 0;
}

int stackfs_dir_child(const struct stackfs *fs, const struct stackfs_dir *d, size_t i,
		      struct stackfs_entry *out, struct cb_error **err)
{
	const char *name = stackfs_dir_name(d, i);

	return merge_child(fs, d->fds, d->layers, d->nfds, name, name, out, err);
}

void stackfs_dir_close(struct stackfs_dir *d)
{
	for (size_t k = 0; k < d->nfds; k++) {
		if (d->fds[k] >= 0)
			close(d->fds[k]);
		d->fds[k] = -1;
	}
}

void stackfs_dir_release(struct stackfs_dir *d)
{
	if (d->fds)
		stackfs_dir_close(d);
	free(d->fds);
	free(d->layers);
	free(d->names);
	free(d->off);
	memset(d, 0, sizeof(*d));
}

int stackfs_list(const struct stackfs *fs, const struct stackfs_entry *dir, struct cb_strvec *names,
		 struct cb_error **err)
{
	struct stackfs_dir d;

	if (stackfs_dir_open(fs, dir, &d, err) < 0)
		return -1;
	for (size_t i = 0; i < d.n; i++)
		cb_strvec_push(names, stackfs_dir_name(&d, i));
	stackfs_dir_release(&d);
	return 0;
}
