/*
 * store-path.c - the store's root and its own paths, never through a
 * symlink.
 *
 * The store's layout (blobs/sha256/<hex>, snapshots/<id>, tmp/, leases/,
 * tags.json, ...) is made by the store and by nothing else, so a symlink
 * anywhere in it was planted: following one let `cbuild images` empty a host
 * directory through `tmp` and `cbuild fsck` move a host directory's files
 * into quarantine through `blobs/sha256` (issue 11, finding 3).  Hence:
 *
 *  - the root must be owned by the caller and not writable by anyone else
 *    (a new root is made 0700), so nobody else can plant or swap anything
 *    in it, also after the checks below;
 *  - at open, every directory and file of the layout is checked to be what
 *    the store makes (a directory, a regular file), never a symlink;
 *  - every path inside the store is resolved from the root's fd, one
 *    component at a time without following symlinks (openat2
 *    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or fsutil's walk), and the last
 *    component with O_NOFOLLOW: a planted symlink is ELOOP, never a way
 *    out.  Each operation resolves again (no directory fd is kept): a
 *    directory the owner removes and makes again is simply used.
 *
 * A symlink the store wrote inside a snapshot's tree is content, not a store
 * path: trees are walked with the tree functions (tardiff.c, tarapply.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "store-internal.h"
#include "xalloc.h"

/* In the order they are checked: quarantine/ first (repairs move into it), blobs/ before
 * blobs/sha256. */
static const char *const store_dirs[STORE_NDIRS] = {
	[STORE_DIR_QUARANTINE] = "quarantine",
	[STORE_DIR_BLOBS] = "blobs",
	[STORE_DIR_BLOBS_SHA256] = "blobs/sha256",
	[STORE_DIR_SNAPSHOTS] = "snapshots",
	[STORE_DIR_LAYERS] = "layers",
	[STORE_DIR_TMP] = "tmp",
	[STORE_DIR_LEASES] = "leases",
	[STORE_DIR_CACHE] = "cache",
	[STORE_DIR_AUX] = "aux",
	[STORE_DIR_SOURCES] = "sources",
};

/* The regular files of the root (layout.tmp-* are cb_write_file_atomic's temp files). */
static const char *const store_files[] = {"layout", "lock", "tags.json", "tags.lock"};

/* ------------------------------------------------------------------------ */
/* Paths without symlinks                                                    */
/* ------------------------------------------------------------------------ */

/* The directory holding a path's last component, and that component. */
struct store_at {
	int fd;
	bool owned; /* else the root's fd, borrowed */
	const char *name;
};

static int layout_dir_index(const char *dir, size_t len)
{
	for (int i = 0; i < STORE_NDIRS; i++)
		if (strlen(store_dirs[i]) == len && !strncmp(store_dirs[i], dir, len))
			return i;
	return -1;
}

/* -1 and errno (ELOOP: a symlink on the way) like the syscalls it serves. */
static int at_resolve(struct layer_store *s, const char *path, struct store_at *at)
{
	const struct cb_root_opts o = {CB_ROOT_NO_CLIMB | CB_ROOT_NO_SYMLINKS, 0, NULL, NULL};
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd;

	at->owned = false;
	at->fd = s->root_fd;
	if (!*path || !strcmp(path, ".")) { /* the root */
		at->name = ".";
		return 0;
	}
	at->name = slash ? slash + 1 : path;
	if (!*at->name || !strcmp(at->name, ".") || !strcmp(at->name, "..")) {
		errno = EINVAL;
		return -1;
	}
	if (!slash)
		return 0;
	if ((size_t)(slash - path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	fd = cb_open_in_root_raw(s->root_fd, dir, O_PATH | O_DIRECTORY, 0, &o, NULL);
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	at->fd = fd;
	at->owned = true;
	return 0;
}

static void at_release(struct store_at *at)
{
	int saved = errno;

	if (at->owned)
		close(at->fd);
	errno = saved;
}

int store_openat(struct layer_store *s, const char *path, int flags, mode_t mode)
{
	struct store_at at;
	struct stat st;
	int fd;

	if (at_resolve(s, path, &at) < 0)
		return -1;
	fd = openat(at.fd, at.name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	/* O_PATH | O_NOFOLLOW opens a symlink itself: not what a caller asks for */
	if (fd >= 0 && (flags & O_PATH) && (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode))) {
		close(fd);
		errno = ELOOP;
		fd = -1;
	}
	at_release(&at);
	return fd;
}

int store_stat(struct layer_store *s, const char *path, struct stat *st)
{
	struct store_at at;
	int ret;

	if (at_resolve(s, path, &at) < 0)
		return -1;
	ret = fstatat(at.fd, at.name, st, AT_SYMLINK_NOFOLLOW);
	at_release(&at);
	return ret;
}

int store_unlink(struct layer_store *s, const char *path, int flags)
{
	struct store_at at;
	int ret;

	if (at_resolve(s, path, &at) < 0)
		return -1;
	ret = unlinkat(at.fd, at.name, flags);
	at_release(&at);
	return ret;
}

int store_mkdir(struct layer_store *s, const char *path, mode_t mode)
{
	struct store_at at;
	int ret;

	if (at_resolve(s, path, &at) < 0)
		return -1;
	ret = mkdirat(at.fd, at.name, mode);
	at_release(&at);
	return ret;
}

int store_rename(struct layer_store *s, const char *from, const char *to, unsigned flags)
{
	struct store_at a, b;
	int ret;

	if (at_resolve(s, from, &a) < 0)
		return -1;
	if (at_resolve(s, to, &b) < 0) {
		at_release(&a);
		return -1;
	}
	ret = flags ? renameat2(a.fd, a.name, b.fd, b.name, flags)
		    : renameat(a.fd, a.name, b.fd, b.name);
	at_release(&a);
	at_release(&b);
	return ret;
}

int store_utimens(struct layer_store *s, const char *path, const struct timespec ts[2])
{
	struct store_at at;
	int ret;

	if (at_resolve(s, path, &at) < 0)
		return -1;
	ret = utimensat(at.fd, at.name, ts, AT_SYMLINK_NOFOLLOW);
	at_release(&at);
	return ret;
}

int store_rm_rf(struct layer_store *s, const char *path, struct cb_error **err)
{
	struct store_at at;
	int ret;

	if (at_resolve(s, path, &at) < 0)
		return store_path_error(s, err, errno, "remove", path);
	ret = cb_rm_rf(at.fd, at.name, err);
	at_release(&at);
	return ret;
}

/* An error that is ours, not the system's (no ": strerror" appended), with code kept for callers.
 */
static int error_coded(struct cb_error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int error_coded(struct cb_error **err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cb_error_setv(err, 0, fmt, ap);
	va_end(ap);
	if (err && *err)
		(*err)->code = code;
	return -1;
}

int store_path_error(struct layer_store *s, struct cb_error **err, int code, const char *verb,
		     const char *path)
{
	if (code != ELOOP)
		return cb_error_set(err, code, "%s `%s/%s`", verb, s->root, path);
	return error_coded(err, code,
			   "%s `%s/%s`: a symlink is on the way, where the store never makes "
			   "one; run `cbuild fsck`",
			   verb, s->root, path);
}

int store_read_file(struct layer_store *s, const char *path, size_t max, char **out, size_t *len,
		    struct cb_error **err)
{
	cleanup_close int fd = store_openat(s, path, O_RDONLY | O_NONBLOCK, 0);
	struct stat st;

	if (fd < 0)
		return store_path_error(s, err, errno, "open", path);
	if (fstat(fd, &st) < 0)
		return cb_error_set(err, errno, "stat `%s/%s`", s->root, path);
	if (!S_ISREG(st.st_mode))
		return error_coded(err, EINVAL, "`%s/%s` is not a regular file; run `cbuild fsck`",
				   s->root, path);
	if (cb_read_fd(fd, max, out, len, err) < 0)
		return cb_error_wrap(err, "read `%s/%s`", s->root, path);
	return 0;
}

int store_open_handout(struct layer_store *s, const char *rel, const char *abs,
		       struct cb_error **err)
{
	cleanup_close int fd = store_openat(s, rel, O_RDONLY | O_DIRECTORY, 0);
	cleanup_close int other = -1;
	struct stat a, b;

	if (fd < 0)
		return store_path_error(s, err, errno, "open", rel);
	other = open(abs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (other < 0 || fstat(fd, &a) < 0 || fstat(other, &b) < 0)
		return cb_error_set(err, errno, "open `%s`", abs);
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return error_coded(err, EXDEV,
				   "`%s` does not lead to the store's `%s` (was the store root "
				   "moved or replaced?)",
				   abs, rel);
	return steal_fd(&fd);
}

/* ------------------------------------------------------------------------ */
/* The root                                                                  */
/* ------------------------------------------------------------------------ */

/* mkdir -p: the parents 0755 (before the umask), the root itself 0700. */
static int root_make(const char *root, bool *made, struct cb_error **err)
{
	cleanup_free char *parent = cb_dirname(root);

	*made = false;
	if (cb_mkdir_p(AT_FDCWD, parent, 0755, err) < 0)
		return -1;
	if (mkdir(root, 0700) == 0) {
		*made = true;
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	return cb_error_set(err, errno, "mkdir `%s`", root);
}

/*
 * Open the root.  A root that is a symlink is followed (the user's
 * choice), but only one the caller or root owns; one that is not is
 * opened without following anything and must still be what lstat saw, so
 * a directory swapped for a symlink in between (in a shared /tmp) is
 * refused, not followed.
 */
static int root_open(const char *root, struct cb_error **err)
{
	unsigned me = (unsigned)geteuid();
	cleanup_close int fd = -1;
	struct stat l, st;

	if (lstat(root, &l) < 0)
		return cb_error_set(err, errno, "open store `%s`", root);
	if (S_ISLNK(l.st_mode) && l.st_uid != me && l.st_uid != 0)
		return error_coded(err, EPERM,
				   "store root `%s` is a symlink owned by uid %u, not by you "
				   "(uid %u) or root",
				   root, (unsigned)l.st_uid, me);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (S_ISLNK(l.st_mode) ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return cb_error_set(err, errno, "open store `%s`", root);
	if (!S_ISLNK(l.st_mode) &&
	    (fstat(fd, &st) < 0 || st.st_dev != l.st_dev || st.st_ino != l.st_ino))
		return error_coded(err, EXDEV, "store root `%s` changed while it was opened", root);
	return steal_fd(&fd);
}

/* Only the caller may write to the root: owned by the caller (euid), no group or other write bit.
 */
static int root_trusted(const char *root, int fd, struct cb_error **err)
{
	unsigned me = (unsigned)geteuid();
	struct stat st;

	if (fstat(fd, &st) < 0)
		return cb_error_set(err, errno, "stat store root `%s`", root);
	if (st.st_uid != me)
		return error_coded(err, EPERM,
				   "store root `%s` is owned by uid %u, not by you (uid %u)", root,
				   (unsigned)st.st_uid, me);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return error_coded(err, EPERM, "store root `%s` is writable by others (mode %04o)",
				   root, (unsigned)(st.st_mode & 07777));
	return 0;
}

int store_root_open(const char *root, struct cb_error **err)
{
	cleanup_close int fd = -1;
	bool made;

	if (root_make(root, &made, err) < 0)
		return cb_error_wrap(err, "create store `%s`", root);
	fd = root_open(root, err);
	if (fd < 0)
		return -1;
	/* ours and new: 0700 whatever the umask left */
	if (made && fchmod(fd, 0700) < 0)
		return cb_error_set(err, errno, "chmod store `%s`", root);
	if (root_trusted(root, fd, err) < 0)
		return -1;
	return steal_fd(&fd);
}

/* ------------------------------------------------------------------------ */
/* The layout                                                                */
/* ------------------------------------------------------------------------ */

bool store_entry_known(const char *name)
{
	for (size_t i = 0; i < sizeof(store_files) / sizeof(store_files[0]); i++)
		if (!strcmp(name, store_files[i]) || cb_str_starts_with(name, "layout.tmp-"))
			return true;
	return layout_dir_index(name, strlen(name)) >= 0;
}

/* "a symlink to `x`", "a regular file", ...: what stands where the layout wants something else. */
static char *describe(struct layer_store *s, const char *path, const struct stat *st)
{
	char target[PATH_MAX];
	struct store_at at;
	ssize_t n = -1;

	if (S_ISLNK(st->st_mode)) {
		if (at_resolve(s, path, &at) == 0) {
			n = readlinkat(at.fd, at.name, target, sizeof(target) - 1);
			at_release(&at);
		}
		if (n < 0)
			return xstrdup("a symlink");
		target[n] = '\0';
		return xasprintf("a symlink to `%s`", target);
	}
	return xstrdup(S_ISDIR(st->st_mode)   ? "a directory"
		       : S_ISREG(st->st_mode) ? "a regular file"
					      : "a special file");
}

/* Move the damaged layout entry path (the link itself, never its target) into quarantine/. */
static char *layout_quarantine(struct layer_store *s, const char *path)
{
	cleanup_free char *flat = xstrdup(path);
	long now = (long)time(NULL);

	for (char *p = flat; *p; p++)
		if (*p == '/')
			*p = '-';
	for (int n = 0; n < 1000; n++) {
		char *to = n ? xasprintf("quarantine/%s.%ld.%d", flat, now, n)
			     : xasprintf("quarantine/%s.%ld", flat, now);

		if (store_rename(s, path, to, RENAME_NOREPLACE) == 0)
			return to;
		free(to);
		if (errno != EEXIST)
			return NULL;
	}
	return NULL;
}

/* quarantine/ itself is damaged: aside under a temp name, a new one made, then moved into it. */
static int repair_quarantine(struct layer_store *s, char **moved)
{
	char aside[64];

	snprintf(aside, sizeof(aside), "quarantine.%ld.aside", (long)getpid());
	if (renameat2(s->root_fd, "quarantine", s->root_fd, aside, RENAME_NOREPLACE) < 0 ||
	    mkdirat(s->root_fd, "quarantine", 0700) < 0)
		return -1;
	*moved = layout_quarantine(s, aside);
	return *moved ? 0 : -1;
}

/*
 * path is not what the layout wants there (kind: "directory", "file"):
 * refused, or with s->repair moved to quarantine/ (a directory made anew)
 * and the repair reported for fsck.
 */
static int layout_damaged(struct layer_store *s, const char *path, const char *kind,
			  const struct stat *st, struct cb_error **err)
{
	cleanup_free char *what = describe(s, path, st);
	cleanup_free char *moved = NULL;
	int rc;

	if (!s->repair)
		return error_coded(err, ENOTDIR,
				   "`%s` is %s, not the store's %s; `cbuild fsck` moves it to "
				   "`quarantine/`",
				   path, what, kind);
	rc = !strcmp(path, "quarantine") ? repair_quarantine(s, &moved)
					 : ((moved = layout_quarantine(s, path)) ? 0 : -1);
	if (rc < 0)
		return cb_error_set(err, errno, "move `%s/%s` (%s) to `quarantine/`", s->root, path,
				    what);
	if (!strcmp(kind, "directory") && strcmp(path, "quarantine") &&
	    store_mkdir(s, path, 0700) < 0)
		return cb_error_set(err, errno, "mkdir `%s/%s`", s->root, path);
	cb_strvec_pushf(&s->repairs, "`%s` was %s, not the store's %s; moved it to `%s`", path,
			what, kind, moved);
	return 0;
}

/* A directory of the layout: made when missing, else checked. */
static int layout_dir(struct layer_store *s, int i, struct cb_error **err)
{
	const char *path = store_dirs[i];
	struct stat st;

	if (store_stat(s, path, &st) < 0) {
		if (errno != ENOENT)
			return store_path_error(s, err, errno, "stat", path);
		if (store_mkdir(s, path, 0700) < 0 && errno != EEXIST)
			return cb_error_set(err, errno, "mkdir `%s/%s`", s->root, path);
	} else if (!S_ISDIR(st.st_mode) && layout_damaged(s, path, "directory", &st, err) < 0) {
		return -1;
	}
	return 0;
}

int store_layout_open(struct layer_store *s, struct cb_error **err)
{
	for (int i = 0; i < STORE_NDIRS; i++)
		if (layout_dir(s, i, err) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(store_files) / sizeof(store_files[0]); i++) {
		struct stat st;

		if (store_stat(s, store_files[i], &st) < 0) {
			if (errno != ENOENT)
				return store_path_error(s, err, errno, "stat", store_files[i]);
		} else if (!S_ISREG(st.st_mode) &&
			   layout_damaged(s, store_files[i], "file", &st, err) < 0) {
			return -1;
		}
	}
	return 0;
}
