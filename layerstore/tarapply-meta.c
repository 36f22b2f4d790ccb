/*
 * tarapply-meta.c - the metadata half of layer_apply(): owners, modes,
 * times, xattrs, deferred directory metadata, opaque directories, and the
 * limits and privileges an apply runs with.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "fsutil.h"
#include "layerstore-internal.h"
#include "xalloc.h"

#define DEFAULT_MAX_BYTES (64ULL << 30)
#define DEFAULT_MAX_ENTRIES 10000000ULL

/* ------------------------------------------------------------------------ */
/* A set of strings: names this layer created, for opaque dirs in delete mode */
/* ------------------------------------------------------------------------ */

struct strset {
	char **slots;
	size_t n, cap; /* cap is a power of two */
};

static uint64_t strhash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static char **strset_slot(const struct strset *set, const char *s)
{
	size_t i = (size_t)strhash(s) & (set->cap - 1);

	while (set->slots[i] && strcmp(set->slots[i], s))
		i = (i + 1) & (set->cap - 1);
	return &set->slots[i];
}

static void strset_add(struct strset *set, const char *s)
{
	char **slot;

	if ((set->n + 1) * 2 > set->cap) {
		struct strset bigger = {xcalloc(set->cap * 2, sizeof(char *)), 0, set->cap * 2};

		for (size_t i = 0; i < set->cap; i++)
			if (set->slots[i])
				*strset_slot(&bigger, set->slots[i]) = set->slots[i];
		free(set->slots);
		set->slots = bigger.slots;
		set->cap = bigger.cap;
	}
	slot = strset_slot(set, s);
	if (!*slot) {
		*slot = xstrdup(s);
		set->n++;
	}
}

static bool strset_has(const struct strset *set, const char *s)
{
	return *strset_slot(set, s) != NULL;
}

static void strset_free(struct strset *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	free(set);
}

/* ------------------------------------------------------------------------ */
/* Setup                                                                     */
/* ------------------------------------------------------------------------ */

/* The umask, read without changing it (umask(2) would race other threads). */
static mode_t read_umask(void)
{
	struct cb_error *err = NULL;
	cleanup_free char *status = NULL;
	const char *p;

	if (cb_read_file("/proc/self/status", 1 << 16, &status, NULL, &err) < 0) {
		cb_error_free(&err);
		return 07777; /* unknown: chmod everything */
	}
	p = strstr(status, "\nUmask:");
	return p ? (mode_t)strtoul(p + 7, NULL, 8) : 07777;
}

/*
 * A fresh root (empty, not set-gid) means every directory below is ours
 * and still mode 0700 while entries are created, so a new node's owner is
 * exactly our euid/egid and chown can be skipped when the entry wants it.
 */
static bool root_is_fresh(int rootfd)
{
	int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	struct stat st;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || (st.st_mode & S_ISGID)) {
		close(fd);
		return false;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return false;
	return true;
}

mode_t applier_create_mode(const struct applier *ap, mode_t perm)
{
	/* Created with its final mode when the umask leaves it alone and no set-id bit. */
	if (!(perm & 07000) && !(perm & ap->umask))
		return perm;
	return 0600;
}

void applier_init(struct applier *ap, int rootfd, const struct layer_apply_opts *o)
{
	static const struct layer_apply_opts defaults = LAYER_APPLY_OPTS_INIT;

	memset(ap, 0, sizeof(*ap));
	ap->rootfd = rootfd;
	ap->o = o ? *o : defaults;
	if (!ap->o.max_bytes)
		ap->o.max_bytes = DEFAULT_MAX_BYTES;
	if (!ap->o.max_entries)
		ap->o.max_entries = DEFAULT_MAX_ENTRIES;
	ap->euid = geteuid();
	ap->egid = getegid();
	ap->real_root = cb_is_real_root();
	ap->devices = ap->o.devices || ap->real_root;
	/* Overlay reads trusted.* as root, user.* when mounted with userxattr (rootless). */
	ap->opaque_xattr = ap->real_root ? "trusted.overlay.opaque" : "user.overlay.opaque";
	ap->cache_fd = -1;
	ap->retired_fd = -1;
	ap->umask = read_umask();
	ap->fresh = root_is_fresh(rootfd);
	if (!ap->o.overlay) {
		ap->created = xcalloc(1, sizeof(*ap->created));
		ap->created->cap = 1024;
		ap->created->slots = xcalloc(ap->created->cap, sizeof(char *));
	}
}

void applier_release(struct applier *ap)
{
	applier_uncache(ap);
	if (ap->retired_fd >= 0)
		close(ap->retired_fd);
	ap->retired_fd = -1;
	tar_in_release(&ap->in);
	for (size_t i = 0; i < ap->ndirs; i++)
		free(ap->dirs[i].path);
	free(ap->dirs);
	ap->dirs = NULL;
	ap->ndirs = ap->adirs = 0;
	strset_free(ap->created);
	ap->created = NULL;
	applier_depths_free(ap);
}

int applier_record(struct applier *ap, const char *name, struct cb_error **err)
{
	(void)err;
	if (ap->created)
		strset_add(ap->created, name);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Owners, xattrs, times                                                     */
/* ------------------------------------------------------------------------ */

/* A failure a process without full root must shrug off: it cannot represent the id. */
static bool unprivileged_failure(const struct applier *ap, int e)
{
	return !ap->real_root && (e == EPERM || e == EINVAL);
}

/* Whether the current entry needs a chown. */
static bool needs_chown(const struct applier *ap)
{
	if (ap->euid != 0)
		return false; /* rootless: everything belongs to us */
	return !(ap->fresh && (uid_t)archive_entry_uid(ap->entry) == ap->euid &&
		 (gid_t)archive_entry_gid(ap->entry) == ap->egid);
}

int applier_set_owner_fd(struct applier *ap, int fd, const char *name, struct cb_error **err)
{
	if (!needs_chown(ap))
		return 0;
	if (fchown(fd, (uid_t)archive_entry_uid(ap->entry), (gid_t)archive_entry_gid(ap->entry)) <
		    0 &&
	    !unprivileged_failure(ap, errno))
		return cb_error_set(err, errno, "entry `%s`: chown", name);
	return 0;
}

int applier_set_owner_at(struct applier *ap, int dirfd, const char *base, const char *name,
			 struct cb_error **err)
{
	if (!needs_chown(ap))
		return 0;
	if (fchownat(dirfd, base, (uid_t)archive_entry_uid(ap->entry),
		     (gid_t)archive_entry_gid(ap->entry), AT_SYMLINK_NOFOLLOW) < 0 &&
	    !unprivileged_failure(ap, errno))
		return cb_error_set(err, errno, "entry `%s`: chown", name);
	return 0;
}

int applier_set_xattrs(struct applier *ap, int fd, const char *name, struct cb_error **err)
{
	const char *key;
	const void *value;
	size_t size;

	if (!archive_entry_xattr_reset(ap->entry))
		return 0;
	while (archive_entry_xattr_next(ap->entry, &key, &value, &size) == ARCHIVE_OK) {
		/* Overlay's own attributes would change how the stack is merged. */
		if (cb_str_starts_with(key, "trusted.overlay.") ||
		    cb_str_starts_with(key, "user.overlay."))
			continue;
		if (fsetxattr(fd, key, value, size, 0) < 0 && errno != ENOTSUP &&
		    !unprivileged_failure(ap, errno))
			return cb_error_set(err, errno, "entry `%s`: set xattr `%s`", name, key);
	}
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
}

int applier_set_times(struct applier *ap, int dirfd, const char *base, int flags, const char *name,
		      struct cb_error **err)
{
	struct timespec ts[2];

	entry_times(ap->entry, ts);
	if (base ? utimensat(dirfd, base, ts, flags) : futimens(dirfd, ts))
		return cb_error_set(err, errno, "entry `%s`: set times", name);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Directories                                                               */
/* ------------------------------------------------------------------------ */

int applier_dir_later(struct applier *ap, int dirfd, const char *base, const char *name,
		      struct cb_error **err)
{
	struct applier_dir *d;

	if (needs_chown(ap) || archive_entry_xattr_count(ap->entry)) {
		cleanup_close int fd =
			openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0)
			return cb_error_set(err, errno, "entry `%s`: open directory", name);
		if (applier_set_owner_fd(ap, fd, name, err) < 0 ||
		    applier_set_xattrs(ap, fd, name, err) < 0)
			return -1;
	}
	CB_ALLOC_GROW(ap->dirs, ap->ndirs + 1, ap->adirs);
	d = &ap->dirs[ap->ndirs++];
	d->path = xstrdup(name);
	d->mode = archive_entry_perm(ap->entry);
	entry_times(ap->entry, d->atime_mtime);
	return 0;
}

static int finish_dir(struct applier *ap, const struct applier_dir *d, struct cb_error **err)
{
	const char *slash = strrchr(d->path, '/');
	cleanup_free char *parent = xstrndup(d->path, slash ? (size_t)(slash - d->path) : 0);
	cleanup_close int pfd = -1;
	cleanup_close int fd = -1;

	pfd = layer_resolve_dir(ap->rootfd, parent, false, err);
	if (pfd < 0) {
		/* A later entry removed it: nothing to do. */
		if ((*err)->code == ENOENT || (*err)->code == ENOTDIR) {
			cb_error_free(err);
			return 0;
		}
		return -1;
	}
	fd = openat(pfd, slash ? slash + 1 : d->path,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return 0;
		return cb_error_set(err, errno, "entry `%s`: open directory", d->path);
	}
	if (fchmod(fd, d->mode) < 0)
		return cb_error_set(err, errno, "entry `%s`: chmod", d->path);
	if (futimens(fd, d->atime_mtime) < 0)
		return cb_error_set(err, errno, "entry `%s`: set times", d->path);
	return 0;
}

int applier_finish_dirs(struct applier *ap, struct cb_error **err)
{
	applier_uncache(ap);
	for (size_t i = ap->ndirs; i-- > 0;)
		if (finish_dir(ap, &ap->dirs[i], err) < 0)
			return -1;
	return 0;
}

int applier_set_opaque(struct applier *ap, int dirfd, const char *dir, struct cb_error **err)
{
	cleanup_close int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return cb_error_set(err, errno, "opaque directory `%s`: open", dir);
	if (fsetxattr(fd, ap->opaque_xattr, "y", 1, 0) < 0)
		return cb_error_set(err, errno, "opaque directory `%s`: set `%s`", dir,
				    ap->opaque_xattr);
	return 0;
}

int applier_clear_dir(struct applier *ap, int dfd, const char *dir, struct cb_error **err)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	if (fd < 0)
		return cb_error_set(err, errno, "opaque directory `%s`: open", dir);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return cb_error_set(err, errno, "opaque directory `%s`: open", dir);
	}
	applier_uncache(ap);
	while ((errno = 0, de = readdir(d))) {
		cleanup_free char *path = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = dir[0] ? xasprintf("%s/%s", dir, de->d_name) : xstrdup(de->d_name);
		if (strset_has(ap->created, path))
			continue;
		if (cb_rm_rf(dirfd(d), de->d_name, err) < 0)
			return cb_error_wrap(err, "opaque directory `%s`", dir);
		applier_depths_forget(ap);
	}
	if (errno)
		return cb_error_set(err, errno, "opaque directory `%s`: read", dir);
	return 0;
}
