/*
 * fsutil.h - file helpers with the error contract: whole-file reads with a
 * size cap, crash-safe writes (temp file, fsync, rename, fsync of the
 * directory), mkdir -p and rm -rf that do not follow symlinks.
 */
#ifndef CB_COMMON_FSUTIL_H
#define CB_COMMON_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
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

/* rm -rf relative to dirfd without following symlinks; a missing path is fine. */
int cb_rm_rf(int dirfd, const char *path, struct cb_error **err);

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
