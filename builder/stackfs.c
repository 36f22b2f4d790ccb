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

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

static bool is_opaque(const struct stackfs *fs, int layer_fd, const char *rel)
{
	cleanup_close int fd =
		openat(layer_fd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char v[2];

	if (fd < 0)
		return false;
	(void)fs;
	if (fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y')
		return true;
	return fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
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
		e->dirs[e->ndirs++] = i;
		if (e->ndirs == 1 && fstat(fs->fds[i], &e->st) < 0)
			e->st.st_mode = S_IFDIR | 0755;
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
 * One step: the child `name` of the directory `dir`.  1 and *out when it
 * exists in the merged view, 0 when not.
 */
static int child(const struct stackfs *fs, const struct stackfs_entry *dir, const char *name,
		 struct stackfs_entry *out, struct cb_error **err)
{
	cleanup_free char *path = strcmp(dir->path, "/") ? xasprintf("%s/%s", dir->path, name)
							 : xasprintf("/%s", name);
	const char *rel = rel_of(path);

	memset(out, 0, sizeof(*out));
	out->layer = -1;
	out->dirs = xcalloc(dir->ndirs ? dir->ndirs : 1, sizeof(*out->dirs));
	for (size_t k = 0; k < dir->ndirs; k++) {
		size_t i = dir->dirs[k];
		struct stat st;

		if (fstatat(fs->fds[i], rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			int e = errno;

			stackfs_entry_release(out);
			return cb_error_set(err, e, "stat `%s` in layer %zu", path, i);
		}
		if (!fs->plain && is_whiteout(&st))
			break;
		if (!S_ISDIR(st.st_mode)) {
			if (out->layer < 0) {
				out->layer = (int)i;
				out->st = st;
			}
			break; /* a non-directory hides what is below */
		}
		if (out->layer < 0) {
			out->layer = (int)i;
			out->st = st;
		} else if (!S_ISDIR(out->st.st_mode)) {
			break;
		}
		out->dirs[out->ndirs++] = i;
		if (is_opaque(fs, fs->fds[i], rel))
			break;
	}
	if (out->layer < 0) {
		stackfs_entry_release(out);
		return 0;
	}
	out->path = steal_pointer(&path);
	return 1;
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int stackfs_list(const struct stackfs *fs, const struct stackfs_entry *dir, struct cb_strvec *names,
		 struct cb_error **err)
{
	struct cb_strvec seen = CB_STRVEC_INIT; /* names decided (shown or whited out) */
	const char *rel = rel_of(dir->path);

	for (size_t k = 0; k < dir->ndirs; k++) {
		size_t i = dir->dirs[k];
		int fd = openat(fs->fds[i], *rel ? rel : ".",
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		cleanup_dir DIR *d = NULL;
		struct dirent *de;
		size_t before = seen.n;

		if (fd < 0) {
			cb_strvec_clear(&seen);
			return cb_error_set(err, errno, "open `%s` in layer %zu", dir->path, i);
		}
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			cb_strvec_clear(&seen);
			return cb_error_set(err, errno, "read `%s`", dir->path);
		}
		while ((errno = 0, de = readdir(d))) {
			struct stat st;
			bool known = false;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			for (size_t j = 0; j < before && !known; j++)
				known = !strcmp(seen.v[j], de->d_name);
			if (known)
				continue;
			cb_strvec_push(&seen, de->d_name);
			if (!fs->plain && (de->d_type == DT_CHR || de->d_type == DT_UNKNOWN) &&
			    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    is_whiteout(&st))
				continue;
			cb_strvec_push(names, de->d_name);
		}
	}
	cb_strvec_clear(&seen);
	if (names->n) /* qsort's array may not be NULL, even for no elements */
		qsort(names->v, names->n, sizeof(*names->v), cmp_str);
	return 0;
}
