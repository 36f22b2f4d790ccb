/*
 * fsutil.h - file helpers with the error contract: whole-file reads with a
 * size cap, crash-safe writes (temp file, fsync, rename, fsync of the
 * directory), mkdir -p and rm -rf that do not follow symlinks, and paths
 * confined to a tree (open and mkdir -p inside a root directory).
 */
#ifndef CB_COMMON_FSUTIL_H
#define CB_COMMON_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "error.h"

/*
 * Read all of fd (from its current offset) into a new NUL-terminated buffer
 * (*out, caller frees; *len its length without the NUL).  Fails with EFBIG
 * when the data exceeds max bytes (0 = no limit).
 */
int cb_read_fd(int fd, size_t max, char **out, size_t *len, struct cb_error **err);

/* Like cb_read_fd() on `path` opened relative to dirfd (AT_FDCWD for the cwd). */
int cb_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		    struct cb_error **err);
static inline int cb_read_file(const char *path, size_t max, char **out, size_t *len,
			       struct cb_error **err)
{
	return cb_read_file_at(-100 /* AT_FDCWD */, path, max, out, len, err);
}

/*
 * Write data to `path` under dirfd atomically: a temp file in the same
 * directory is written, fsynced and renamed over path, then the directory is
 * fsynced.  On failure the temp file is removed and path is untouched.
 */
int cb_write_file_atomic(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
			 struct cb_error **err);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int cb_write_all(int fd, const void *buf, size_t len, struct cb_error **err);

/* mkdir -p relative to dirfd; existing directories are fine. */
int cb_mkdir_p(int dirfd, const char *path, mode_t mode, struct cb_error **err);

/*
 * overlayfs's markers in a layer directory: a whiteout is a 0/0 character
 * device; a directory whose trusted.overlay.opaque or user.overlay.opaque
 * (userxattr, rootless) is "y" hides the layers below it.
 * cb_overlay_opaque: 1 or 0, or -errno when the attribute could not be
 * read for another reason than its absence or the file system's lack of
 * xattrs (or of the right to read trusted.*).
 */
static inline bool cb_overlay_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}
int cb_overlay_opaque(int dirfd);

/* rm -rf relative to dirfd without following symlinks; a missing path is fine. */
int cb_rm_rf(int dirfd, const char *path, struct cb_error **err);

/*
 * Paths confined to a tree: path is resolved under the directory rootfd as
 * if rootfd were "/" (a chroot without chroot).  An absolute path or
 * symlink starts again at rootfd, and `..` at rootfd stays there, as with
 * openat2's RESOLVE_IN_ROOT, so no symlink in the tree (a hostile image's
 * `x -> ../../etc`, `y -> /etc`) can lead outside it.  Magic links
 * (/proc/self/fd/N) are never followed into another tree.
 *
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) does the work on Linux
 * 5.6 and later.  Where it is missing (ENOSYS, or EPERM from a seccomp
 * filter older than the syscall) a walk gives the same answers: one
 * component at a time with O_PATH | O_NOFOLLOW fds, symlink targets read and
 * resolved from the root, at most 40 of them (then ELOOP), `..` by walking
 * down again from the root, never by opening "..".
 *
 *	cleanup_close int dir = cb_mkdir_in_root(layer, "/usr/share/doc", NULL, err);
 *	fd = openat(dir, "x", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
 */
enum {
	/* `..` above the root fails with EXDEV instead of staying at the root */
	CB_ROOT_NO_CLIMB = 1 << 0,
	/* any symlink on the way fails with ELOOP (RESOLVE_NO_SYMLINKS) */
	CB_ROOT_NO_SYMLINKS = 1 << 1,
	/* cb_mkdir_in_root: the last component may be something other than a directory */
	CB_ROOT_LAST_ANY = 1 << 2,
	/* never openat2, always the walk: for tests, and to compare the two */
	CB_ROOT_WALK = 1 << 3,
};

struct cb_root_opts {
	unsigned flags; /* CB_ROOT_* */
	mode_t mode;	/* cb_mkdir_in_root's new directories, before the umask; 0: 0755 */
	/*
	 * When set, cb_mkdir_in_root calls this instead of mkdirat(dirfd, name,
	 * mode) for each missing component (last: the path's final one, which
	 * with CB_ROOT_LAST_ANY may be made a file), e.g. to chown and set the
	 * times of what COPY creates.  Returns 0 or -errno (-EEXIST is fine:
	 * what is there is used).  Runs in the sandbox child too: allocate
	 * nothing there.
	 */
	int (*create)(int dirfd, const char *name, bool last, void *ctx);
	void *ctx;
};

/*
 * openat(rootfd, path, flags, mode) confined to rootfd: an fd (O_CLOEXEC
 * added), or -1 with *err set.  Symlinks are followed (inside the tree)
 * except a last one with O_NOFOLLOW, or with O_CREAT | O_EXCL; a dangling
 * last symlink with O_CREAT creates its target.  o may be NULL.
 */
int cb_open_in_root(int rootfd, const char *path, int flags, mode_t mode,
		    const struct cb_root_opts *o, struct cb_error **err);

/*
 * mkdir -p confined to rootfd: every missing component is created (through
 * a dangling symlink: where it points, inside the tree), and an O_PATH fd
 * of the directory is returned (with CB_ROOT_LAST_ANY, of whatever the last
 * component is).  A component that exists and is not a directory (or a
 * symlink to one) fails with ENOTDIR.  o may be NULL.
 */
int cb_mkdir_in_root(int rootfd, const char *path, const struct cb_root_opts *o,
		     struct cb_error **err);

/*
 * The same without cb_error and without allocating: safe between clone and
 * exec (runtime/mounts.c).  An fd, or -errno.  where, when not NULL, is a
 * CB_ROOT_WHERE_MAX buffer that gets the component the resolution stopped
 * at ("" if none); asking for it may resolve a failing path twice.
 */
#define CB_ROOT_WHERE_MAX 256
int cb_open_in_root_raw(int rootfd, const char *path, int flags, mode_t mode,
			const struct cb_root_opts *o, char *where);
int cb_mkdir_in_root_raw(int rootfd, const char *path, const struct cb_root_opts *o, char *where);

/* What follows the last '/' of path ("" if path ends in '/'); borrowed from path. */
const char *cb_basename(const char *path);

/* The directory part of path ("." when there is none); caller frees. */
char *cb_dirname(const char *path);

/* Join two path components with exactly one '/'; caller frees. */
char *cb_path_join(const char *a, const char *b);

/*
 * Real root: euid 0 in the initial user namespace (/proc/self/uid_map maps
 * the whole range to itself).  Root in a user namespace (`unshare -r`, a
 * rootless container) is not: it cannot create device nodes, set trusted.*
 * xattrs or mount sysfs.  The layer store (which opaque xattr snapshots
 * get) and the runtime (whether overlays read user.* xattrs) must agree on
 * this, hence one definition.
 */
bool cb_is_real_root(void);

#endif
