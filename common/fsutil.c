#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/xattr.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "strbuf.h"
#include "xalloc.h"

int cb_read_fd(int fd, size_t max, char **out, size_t *len, struct cb_error **err)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct stat st;

	/* a regular file's size is known: one buffer of that size (no doubling) */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (!max || (uint64_t)st.st_size <= max))
		cb_strbuf_grow(&sb, (size_t)st.st_size + 1);
	for (;;) {
		ssize_t n;

		if (sb.alloc - sb.len < 2) /* room for one more byte and the NUL at least */
			cb_strbuf_grow(&sb, 65536);
		n = read(fd, sb.buf + sb.len, sb.alloc - sb.len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			cb_strbuf_release(&sb);
			return cb_error_set(err, errno, "read");
		}
		if (n == 0)
			break;
		sb.len += (size_t)n;
		sb.buf[sb.len] = '\0';
		if (max && sb.len > max) {
			cb_strbuf_release(&sb);
			return cb_error_set(err, EFBIG, "larger than %zu bytes", max);
		}
	}
	*out = cb_strbuf_detach(&sb, len);
	return 0;
}

int cb_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		    struct cb_error **err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", path);
	if (fstat(fd, &st) < 0)
		return cb_error_set(err, errno, "stat `%s`", path);
	if (S_ISDIR(st.st_mode))
		return cb_error_set(err, EISDIR, "read `%s`", path);
	if (cb_read_fd(fd, max, out, len, err) < 0)
		return cb_error_wrap(err, "read `%s`", path);
	return 0;
}

int cb_write_all(int fd, const void *buf, size_t len, struct cb_error **err)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cb_error_set(err, errno, "write");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir_of(int dirfd, const char *path, struct cb_error **err)
{
	cleanup_free char *dir = cb_dirname(path);
	cleanup_close int fd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return cb_error_set(err, errno, "open directory `%s`", dir);
	if (fsync(fd) < 0)
		return cb_error_set(err, errno, "fsync directory `%s`", dir);
	return 0;
}

int cb_write_file_atomic(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
			 struct cb_error **err)
{
	cleanup_free char *tmp = xasprintf("%s.tmp-%ld-XXXXXX", path, (long)getpid());
	cleanup_close int fd = -1;
	size_t tlen = strlen(tmp);
	int tries;

	/* mkostemp only works relative to the cwd; make our own unique name. */
	for (tries = 0; tries < 100; tries++) {
		static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
		unsigned long r = (unsigned long)random() ^ ((unsigned long)getpid() << 8) ^
				  (unsigned long)tries;

		for (size_t i = tlen - 6; i < tlen; i++) {
			tmp[i] = chars[r % (sizeof(chars) - 1)];
			r /= sizeof(chars) - 1;
		}
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		return cb_error_set(err, errno, "create temp file for `%s`", path);
	if (cb_write_all(fd, data, len, err) < 0 || fsync(fd) < 0) {
		int saved = errno;

		unlinkat(dirfd, tmp, 0);
		if (err && *err)
			return cb_error_wrap(err, "write `%s`", path);
		return cb_error_set(err, saved, "fsync `%s`", path);
	}
	if (fchmod(fd, mode) < 0 || renameat(dirfd, tmp, dirfd, path) < 0) {
		int saved = errno;

		unlinkat(dirfd, tmp, 0);
		return cb_error_set(err, saved, "rename into `%s`", path);
	}
	return fsync_dir_of(dirfd, path, err);
}

/*
 * mkdir -p: each prefix of path is created unless it exists.  An existing
 * prefix must be a directory (or a symlink to one, as with mkdir -p: host
 * paths such as /var/run are symlinks), otherwise it is ENOTDIR, including
 * the last component.
 */
int cb_mkdir_p(int dirfd, const char *path, mode_t mode, struct cb_error **err)
{
	cleanup_free char *p = xstrdup(path);
	char *s = p;

	if (!*p)
		return 0;
	for (;;) {
		char *slash;
		struct stat st;

		while (*s == '/')
			s++;
		slash = strchr(s, '/');
		if (slash)
			*slash = '\0';
		if (*s && mkdirat(dirfd, p, mode) < 0) {
			if (errno != EEXIST)
				return cb_error_set(err, errno, "mkdir `%s`", p);
			if (fstatat(dirfd, p, &st, 0) < 0)
				return cb_error_set(err, errno, "stat `%s`", p);
			if (!S_ISDIR(st.st_mode))
				return cb_error_set(err, ENOTDIR, "mkdir `%s`", p);
		}
		if (!slash)
			break;
		*slash = '/';
		s = slash + 1;
	}
	return 0;
}

/*
 * rm -rf without recursion, so a tree of any depth can be removed (a hostile
 * layer can build one far deeper than any recursion limit).  The walk holds
 * one directory stream per level for the first RM_KEEP_OPEN levels and only
 * the current one below that: going back up reopens `..` and checks it is the
 * directory we came from (same st_dev/st_ino), so a directory moved during
 * the walk is an error, never a removal elsewhere.
 */
#define RM_KEEP_OPEN 64

struct rm_level {
	char *name; /* this directory's name in its parent */
	dev_t dev;
	ino_t ino;
	DIR *dir; /* kept open for the first RM_KEEP_OPEN levels, else NULL */
};

struct rm_walk {
	struct rm_level *lv;
	size_t n, alloc;
};

static void rm_walk_release(struct rm_walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->lv[i].name);
		if (w->lv[i].dir)
			closedir(w->lv[i].dir);
	}
	free(w->lv);
}

/* Push the directory fd (named name in its parent); takes fd. */
static int rm_push(struct rm_walk *w, int fd, const char *name, struct cb_error **err)
{
	struct rm_level *l;
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int saved = errno;

		close(fd);
		return cb_error_set(err, saved, "stat `%s`", name);
	}
	CB_ALLOC_GROW(w->lv, w->n + 1, w->alloc);
	l = &w->lv[w->n];
	l->dir = fdopendir(fd);
	if (!l->dir) {
		int saved = errno;

		close(fd);
		return cb_error_set(err, saved, "opendir `%s`", name);
	}
	l->name = xstrdup(name);
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	w->n++;
	/* the level we left stays open only near the top */
	if (w->n >= 2 && w->n - 2 >= RM_KEEP_OPEN) {
		closedir(w->lv[w->n - 2].dir);
		w->lv[w->n - 2].dir = NULL;
	}
	return 0;
}

/* Reopen the parent of the top level through `..` if its stream was closed. */
static int rm_reopen_parent(struct rm_walk *w, struct cb_error **err)
{
	struct rm_level *top = &w->lv[w->n - 1], *up = &w->lv[w->n - 2];
	struct stat st;
	int fd;

	if (up->dir)
		return 0;
	fd = openat(dirfd(top->dir), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cb_error_set(err, errno, "open `..` of `%s`", top->name);
	if (fstat(fd, &st) < 0 || st.st_dev != up->dev || st.st_ino != up->ino) {
		close(fd);
		return cb_error_set(err, ESTALE, "remove `%s`: moved during removal", up->name);
	}
	up->dir = fdopendir(fd);
	if (!up->dir) {
		int saved = errno;

		close(fd);
		return cb_error_set(err, saved, "opendir `%s`", up->name);
	}
	return 0;
}

/*
 * Open the directory name in parent for removal.  One that denies us
 * (EACCES: overlayfs leaves its workdir's work/ at mode 000 for a rootless
 * mount, and `rm -rf` as an ordinary user fails there too) is made 0700
 * first when it is ours (chmod refuses otherwise), never through a
 * symlink.
 */
static int rm_open_dir(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 || errno != EACCES)
		return fd;
	if (fchmodat(parent, name, 0700, AT_SYMLINK_NOFOLLOW) < 0) {
		errno = EACCES;
		return -1;
	}
	return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * unlinkat, and once more after making dir (a directory the walk opened,
 * never the caller's) writable when it denied us (ours only).  ENOENT is
 * success.
 */
static int rm_unlink(int dir, const char *name, int flags)
{
	if (unlinkat(dir, name, flags) == 0 || errno == ENOENT)
		return 0;
	if (errno != EACCES)
		return -1;
	if (fchmod(dir, 0700) < 0) {
		errno = EACCES;
		return -1;
	}
	return unlinkat(dir, name, flags) == 0 || errno == ENOENT ? 0 : -1;
}

/* Remove the top level's (now empty) directory and pop it. */
static int rm_pop(struct rm_walk *w, int rootfd, struct cb_error **err)
{
	struct rm_level *top = &w->lv[w->n - 1];
	int parent;

	if (w->n >= 2 && rm_reopen_parent(w, err) < 0)
		return -1;
	closedir(top->dir);
	top->dir = NULL;
	parent = w->n >= 2 ? dirfd(w->lv[w->n - 2].dir) : rootfd;
	if (w->n >= 2 ? rm_unlink(parent, top->name, AT_REMOVEDIR) < 0
		      : unlinkat(parent, top->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return cb_error_set(err, errno, "rmdir `%s`", top->name);
	free(top->name);
	w->n--;
	return 0;
}

/* Remove what the top level holds until a subdirectory is met (then descend). */
static int rm_step(struct rm_walk *w, struct cb_error **err)
{
	struct rm_level *top = &w->lv[w->n - 1];
	struct dirent *de;
	int fd;

	while ((errno = 0, de = readdir(top->dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rm_unlink(dirfd(top->dir), de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM)
			return cb_error_set(err, errno, "remove `%s` in `%s`", de->d_name,
					    top->name);
		fd = rm_open_dir(dirfd(top->dir), de->d_name);
		if (fd < 0)
			return cb_error_set(err, errno, "open `%s` in `%s`", de->d_name, top->name);
		return rm_push(w, fd, de->d_name, err);
	}
	if (errno)
		return cb_error_set(err, errno, "read directory `%s`", top->name);
	return 0;
}

int cb_rm_rf(int dirfd, const char *path, struct cb_error **err)
{
	struct rm_walk w = {0};
	int fd, ret = 0;

	if (unlinkat(dirfd, path, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return cb_error_set(err, errno, "remove `%s`", path);
	fd = rm_open_dir(dirfd, path);
	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", path);
	if (rm_push(&w, fd, path, err) < 0)
		return -1;
	while (w.n > 0) {
		size_t before = w.n;

		ret = rm_step(&w, err);
		if (ret < 0)
			break;
		if (w.n == before) {
			ret = rm_pop(&w, dirfd, err);
			if (ret < 0)
				break;
		}
	}
	if (ret < 0 && w.n > 1)
		cb_error_wrap(err, "remove `%s` (%zu levels down)", path, w.n - 1);
	rm_walk_release(&w);
	return ret;
}

const char *cb_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

char *cb_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *cb_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	while (la && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (!*a)
		return xstrdup(b);
	return xasprintf("%.*s/%s", (int)la, a, b);
}

bool cb_is_real_root(void)
{
	struct cb_error *err = NULL;
	cleanup_free char *map = NULL;
	unsigned long inside, outside, count;

	if (geteuid() != 0)
		return false;
	if (cb_read_file("/proc/self/uid_map", 4096, &map, NULL, &err) < 0) {
		cb_error_free(&err);
		return false;
	}
	if (sscanf(map, "%lu %lu %lu", &inside, &outside, &count) != 3)
		return false;
	return inside == 0 && outside == 0 && count == 4294967295UL;
}

/* ------------------------------------------------------------------------ */
/* Paths confined to a tree                                                  */
/* ------------------------------------------------------------------------ */

#define ROOT_MAX_LINKS 40 /* as the kernel's MAXSYMLINKS */

/*
 * One walk.  Everything is in fixed buffers (no allocation: the sandbox
 * child uses it).  cur is rootfd or an O_PATH fd owned by the walk; done
 * is cur's path from the root, through directories only, for `..`.
 */
struct root_walk {
	int rootfd, cur;
	int fd; /* the result, when a step returns 1 */
	unsigned flags;
	mode_t mode;
	const struct cb_root_opts *o;
	char *where;
	int links;
	size_t pos, donelen;
	char rest[PATH_MAX]; /* what is left to resolve, from rest + pos */
	char done[PATH_MAX];
	char link[PATH_MAX];
};

static void walk_where(struct root_walk *w, const char *name)
{
	if (w->where)
		snprintf(w->where, CB_ROOT_WHERE_MAX, "%s", name);
}

static void walk_set_cur(struct root_walk *w, int fd)
{
	if (w->cur != w->rootfd)
		close(w->cur);
	w->cur = fd;
}

/* `..`: cur's parent, found by walking down done again from the root. */
static int walk_up(struct root_walk *w)
{
	char *p = w->done;
	int fd = w->rootfd;

	if (!w->donelen) {
		if (!(w->flags & CB_ROOT_NO_CLIMB))
			return 0; /* `..` of the root is the root */
		walk_where(w, "..");
		return -EXDEV;
	}
	while (w->donelen && w->done[w->donelen - 1] != '/')
		w->donelen--;
	if (w->donelen)
		w->donelen--;
	w->done[w->donelen] = '\0';
	while (*p) {
		char *slash = strchr(p, '/');
		int next;

		if (slash)
			*slash = '\0';
		next = openat(fd, p, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (next < 0)
			walk_where(w, p);
		if (slash)
			*slash = '/';
		if (fd != w->rootfd)
			close(fd);
		if (next < 0)
			return -errno;
		fd = next;
		p = slash ? slash + 1 : p + strlen(p);
	}
	walk_set_cur(w, fd);
	return 0;
}

/* Step into the directory fd, called name. */
static int walk_enter(struct root_walk *w, int fd, const char *name)
{
	size_t len = strlen(name);

	if (w->donelen + 1 + len >= sizeof(w->done)) {
		close(fd);
		walk_where(w, name);
		return -ENAMETOOLONG;
	}
	if (w->donelen)
		w->done[w->donelen++] = '/';
	memcpy(w->done + w->donelen, name, len + 1);
	w->donelen += len;
	walk_set_cur(w, fd);
	return 0;
}

/* The symlink fd (called name): what is left becomes its target + the rest. */
static int walk_follow(struct root_walk *w, int fd, const char *name)
{
	size_t tail = strlen(w->rest + w->pos);
	ssize_t n;

	walk_where(w, name);
	if (w->flags & CB_ROOT_NO_SYMLINKS)
		return -ELOOP;
	if (++w->links > ROOT_MAX_LINKS)
		return -ELOOP;
	n = readlinkat(fd, "", w->link, sizeof(w->link));
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENOENT; /* as the kernel treats an empty target */
	if ((size_t)n + tail >= sizeof(w->link))
		return -ENAMETOOLONG;
	memcpy(w->link + n, w->rest + w->pos, tail + 1);
	memcpy(w->rest, w->link, (size_t)n + tail + 1);
	w->pos = 0;
	if (w->rest[0] == '/') {
		walk_set_cur(w, w->rootfd);
		w->donelen = 0;
		w->done[0] = '\0';
	}
	return 0;
}

static int walk_create(struct root_walk *w, const char *name, bool last)
{
	if (w->o && w->o->create)
		return w->o->create(w->cur, name, last, w->o->ctx);
	return mkdirat(w->cur, name, w->mode) < 0 ? -errno : 0;
}

/*
 * One component that must be a directory (or, with mkdir and last, may be
 * anything when CB_ROOT_LAST_ANY): enter it, follow it, or create it.
 * Returns 0 to go on, 1 when the walk ends here (w->fd), or -errno.
 */
static int walk_step(struct root_walk *w, const char *name, bool last, bool mkdir)
{
	struct stat st;
	int fd = openat(w->cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC), rc;

	if (fd < 0 && errno == ENOENT && mkdir) {
		rc = walk_create(w, name, last);
		if (rc < 0 && rc != -EEXIST) {
			walk_where(w, name);
			return rc;
		}
		fd = openat(w->cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		walk_where(w, name);
		return rc;
	}
	if (S_ISDIR(st.st_mode))
		return walk_enter(w, fd, name);
	if (S_ISLNK(st.st_mode)) {
		rc = walk_follow(w, fd, name);
		close(fd);
		return rc;
	}
	if (last && mkdir && (w->flags & CB_ROOT_LAST_ANY)) {
		w->fd = fd;
		return 1;
	}
	close(fd);
	walk_where(w, name);
	return -ENOTDIR;
}

/* The last component of an open: follow a symlink there unless told not to; as walk_step. */
static int walk_open_last(struct root_walk *w, const char *name, int flags, mode_t mode)
{
	bool excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
	int fd;

	if (!(flags & O_NOFOLLOW) && !excl) {
		struct stat st;

		if (fstatat(w->cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
			int lfd = openat(w->cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			int rc = lfd < 0 ? -errno : walk_follow(w, lfd, name);

			if (lfd >= 0)
				close(lfd);
			return rc < 0 ? rc : 0;
		}
	}
	/* not a symlink when looked at: O_NOFOLLOW turns a swap into ELOOP */
	walk_where(w, name);
	fd = openat(w->cur, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	w->fd = fd;
	return 1;
}

/* The path ended on the directory cur ("", "/", "a/..", "a/"); as walk_step. */
static int walk_finish(struct root_walk *w, bool mkdir, int flags, mode_t mode)
{
	if (mkdir && w->cur != w->rootfd) {
		w->fd = w->cur;
		w->cur = w->rootfd;
		return 1;
	}
	w->fd = openat(w->cur, ".", mkdir ? O_PATH | O_DIRECTORY | O_CLOEXEC : flags | O_CLOEXEC,
		       mode);
	return w->fd < 0 ? -errno : 1;
}

/* Copy the component at rest + pos into name; false when it is too long. */
static bool walk_next(struct root_walk *w, char name[NAME_MAX + 1], bool *last, bool *slash)
{
	const char *c = w->rest + w->pos;
	size_t len = strcspn(c, "/"), after;

	after = len + strspn(c + len, "/");
	*last = !c[after];
	*slash = *last && after > len;
	w->pos += len;
	if (len > NAME_MAX)
		return false;
	memcpy(name, c, len);
	name[len] = '\0';
	return true;
}

static int walk_run(struct root_walk *w, bool mkdir, int flags, mode_t mode)
{
	char name[NAME_MAX + 1];

	for (;;) {
		bool last, slash;
		int rc;

		while (w->rest[w->pos] == '/')
			w->pos++;
		if (!w->rest[w->pos])
			return walk_finish(w, mkdir, flags, mode);
		if (!walk_next(w, name, &last, &slash))
			return -ENAMETOOLONG;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, ".."))
			rc = walk_up(w);
		else if (last && !slash && !mkdir)
			rc = walk_open_last(w, name, flags, mode);
		else
			rc = walk_step(w, name, last, mkdir);
		if (rc != 0)
			return rc;
	}
}

static int walk(int rootfd, const char *path, bool mkdir, int flags, mode_t mode,
		const struct cb_root_opts *o, char *where)
{
	struct root_walk w;
	int rc;

	w.rootfd = w.cur = rootfd;
	w.flags = o ? o->flags : 0;
	w.mode = o && o->mode ? o->mode : 0755;
	w.o = o;
	w.where = where;
	w.links = 0;
	w.pos = w.donelen = 0;
	w.done[0] = '\0';
	if (strlen(path) >= sizeof(w.rest))
		return -ENAMETOOLONG;
	memcpy(w.rest, path, strlen(path) + 1);
	w.fd = -1;
	rc = walk_run(&w, mkdir, flags, mode);
	walk_set_cur(&w, rootfd);
	return rc < 0 ? rc : w.fd;
}

/* openat2 in the root; -errno, with EAGAIN (a rename raced `..`) retried. */
static int openat2_in_root(int rootfd, const char *path, int flags, mode_t mode, unsigned rflags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_NO_MAGICLINKS |
			   (rflags & CB_ROOT_NO_CLIMB ? RESOLVE_BENEATH : RESOLVE_IN_ROOT) |
			   (rflags & CB_ROOT_NO_SYMLINKS ? RESOLVE_NO_SYMLINKS : 0),
	};
	int fd = -1;

	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode;
	while (*path == '/')
		path++;
	for (int tries = 0; tries < 8; tries++) {
		fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd < 0 ? -errno : fd;
}

/*
 * Is a failed openat2 undecided, so that the walk must answer?  Without
 * the syscall, yes; with CB_ROOT_NO_CLIMB, EXDEV may be an absolute symlink
 * (fine inside the tree), which RESOLVE_BENEATH refuses.
 */
static bool kernel_undecided(int rc, unsigned rflags)
{
	return rc == -ENOSYS || rc == -EPERM || (rc == -EXDEV && (rflags & CB_ROOT_NO_CLIMB));
}

/*
 * openat2 failed with its own verdict; only where it stopped is missing.
 * A lookup (O_PATH: nothing is created) finds it; the verdict stays.
 */
static void find_where(int rootfd, const char *path, int lookup, const struct cb_root_opts *o,
		       char *where)
{
	int fd = walk(rootfd, path, false, O_PATH | lookup, 0, o, where);

	if (fd >= 0)
		close(fd);
}

int cb_open_in_root_raw(int rootfd, const char *path, int flags, mode_t mode,
			const struct cb_root_opts *o, char *where)
{
	unsigned rflags = o ? o->flags : 0;
	bool excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
	int fd;

	if (where)
		where[0] = '\0';
	if (!(rflags & CB_ROOT_WALK)) {
		fd = openat2_in_root(rootfd, path, flags, mode, rflags);
		if (fd >= 0)
			return fd;
		if (!kernel_undecided(fd, rflags)) {
			if (where)
				find_where(rootfd, path,
					   (flags & (O_NOFOLLOW | O_DIRECTORY)) |
						   (excl ? O_NOFOLLOW : 0),
					   o, where);
			return fd;
		}
	}
	return walk(rootfd, path, false, flags, mode, o, where);
}

int cb_mkdir_in_root_raw(int rootfd, const char *path, const struct cb_root_opts *o, char *where)
{
	unsigned rflags = o ? o->flags : 0;
	int dir = rflags & CB_ROOT_LAST_ANY ? 0 : O_DIRECTORY;
	int fd;

	if (where)
		where[0] = '\0';
	if (!(rflags & CB_ROOT_WALK)) {
		/* the common case: it is all there */
		fd = openat2_in_root(rootfd, path, O_PATH | dir, 0, rflags);
		if (fd >= 0)
			return fd;
		if (fd != -ENOENT && !kernel_undecided(fd, rflags)) {
			if (where)
				find_where(rootfd, path, dir, o, where);
			return fd;
		}
	}
	return walk(rootfd, path, true, 0, 0, o, where);
}

static int in_root_error(int rc, const char *verb, const char *path, const char *where,
			 struct cb_error **err)
{
	const char *sep = *where ? " (at `" : "", *end = *where ? "`)" : "";

	if (rc != -EXDEV)
		return cb_error_set(err, -rc, "%s `%s`%s%s%s", verb, path, sep, where, end);
	cb_error_set(err, 0, "%s `%s`: a symlink or `..` on the way leads outside the root", verb,
		     path);
	if (err && *err)
		(*err)->code = EXDEV;
	return -1;
}

int cb_open_in_root(int rootfd, const char *path, int flags, mode_t mode,
		    const struct cb_root_opts *o, struct cb_error **err)
{
	char where[CB_ROOT_WHERE_MAX];
	int fd = cb_open_in_root_raw(rootfd, path, flags, mode, o, where);

	return fd >= 0 ? fd : in_root_error(fd, "open", path, where, err);
}

int cb_mkdir_in_root(int rootfd, const char *path, const struct cb_root_opts *o,
		     struct cb_error **err)
{
	char where[CB_ROOT_WHERE_MAX];
	int fd = cb_mkdir_in_root_raw(rootfd, path, o, where);

	return fd >= 0 ? fd : in_root_error(fd, "mkdir", path, where, err);
}

int cb_overlay_opaque(int dirfd)
{
	static const char *const names[] = {"trusted.overlay.opaque", "user.overlay.opaque"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char v[2];
		ssize_t n = fgetxattr(dirfd, names[i], v, sizeof(v));

		if (n == 1 && v[0] == 'y')
			return 1;
		if (n < 0 && errno != ENODATA && errno != ENOTSUP && errno != ERANGE &&
		    errno != EPERM && errno != EACCES)
			return -errno;
	}
	return 0;
}
