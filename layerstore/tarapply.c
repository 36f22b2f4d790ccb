/*
 * tarapply.c - layer_apply(): extract a layer tar (gzip, zstd or plain,
 * detected by content) into a directory, confined to it; and the tar_in
 * reader it shares with load and import.
 *
 * Confinement does not rely on libarchive's SECURE flags, which refuse
 * legitimate in-root links such as `lib -> usr/lib`.  Instead:
 *  - every name is cleaned (layer_clean_name: no absolute names, no "..");
 *  - the parent directory of an entry is resolved under the root by
 *    layer_resolve_dir (openat2 RESOLVE_BENEATH, or a walk that follows
 *    symlinks with the root as "/" and refuses links climbing above it);
 *  - the entry itself is created with *at() calls relative to that parent
 *    fd and O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, so a symlink at the final
 *    component is replaced, never followed;
 *  - hardlink targets are cleaned and resolved the same way, so they can
 *    only name files inside the root.
 * Directory modes and times are applied last (children change a
 * directory's mtime, and a read-only directory must still receive its
 * children), in reverse order of creation.
 */
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
#include "xalloc.h"

CB_DEFINE_CLEANUP(struct archive, archive_read_free)

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"
#define WH_META ".wh..wh." /* AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs): skipped */

/* ------------------------------------------------------------------------ */
/* Reading a tar from a layer (shared with load and import)                  */
/* ------------------------------------------------------------------------ */

/* A read callback for libarchive: decoded tar chunks from the layer reader. */
static la_ssize_t tar_in_read(struct archive *a, void *ctx, const void **buf)
{
	struct tar_in *t = ctx;
	ssize_t n;

	(void)a;
	if (t->err)
		return -1;
	n = layer_reader_next(&t->r, buf, &t->err);
	return n < 0 ? -1 : n;
}

/* Translate libarchive's failure, preferring one of ours that caused it. */
int tar_in_fail(struct tar_in *t, const char *what, struct cb_error **err)
{
	if (t->err) {
		*err = steal_pointer(&t->err);
		return t->bare_reader_errors ? -1 : cb_error_wrap(err, "%s", what);
	}
	return cb_error_set(err, 0, "%s: %s", what,
			    archive_error_string(t->a) ? archive_error_string(t->a)
						       : "invalid tar");
}

int tar_in_open(struct tar_in *t, int fd, uint64_t limit, bool binary_names, const char *what,
		struct cb_error **err)
{
	if (layer_libarchive_load(err) < 0 ||
	    layer_reader_open_any(&t->r, fd, limit, t->any_compression, &t->progress, err) < 0)
		return -1;
	t->a = archive_read_new();
	if (!t->a)
		return cb_error_set(err, ENOMEM, "libarchive: allocate a reader");
	archive_read_support_format_tar(t->a);
	if (binary_names)
		archive_read_set_options(t->a, "hdrcharset=BINARY");
	if (archive_read_open(t->a, t, NULL, tar_in_read, NULL) != ARCHIVE_OK)
		return tar_in_fail(t, what, err);
	return 0;
}

void tar_in_release(struct tar_in *t)
{
	if (t->a)
		archive_read_free(t->a);
	t->a = NULL;
	layer_reader_release(&t->r);
	cb_error_free(&t->err);
}

/* ------------------------------------------------------------------------ */
/* Parent directories                                                        */
/* ------------------------------------------------------------------------ */

/* The parent fd of cleaned name `path`; *base points into path. */
static int parent_of(struct applier *ap, const char *path, const char **base, bool create,
		     struct cb_error **err)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	int fd;

	*base = slash ? slash + 1 : path;
	if (ap->cache_fd >= 0 && ap->cache_dir && strlen(ap->cache_dir) == dlen &&
	    !memcmp(ap->cache_dir, path, dlen))
		return ap->cache_fd;
	/* The previous entry is done: its retired fd may go now. */
	if (ap->retired_fd >= 0)
		close(ap->retired_fd);
	ap->retired_fd = -1;
	{
		cleanup_free char *dir = xstrndup(path, dlen);

		fd = layer_resolve_dir(ap->rootfd, dir, create, err);
		if (fd < 0)
			return -1;
		if (applier_check_depth(ap, fd, dir, err) < 0) {
			close(fd);
			return -1;
		}
		applier_uncache(ap);
		ap->cache_dir = steal_pointer(&dir);
		ap->cache_fd = fd;
	}
	return fd;
}

/*
 * Forget the cached parent (something under the root was removed, so the
 * path may now resolve elsewhere).  Its fd may still be in use by the
 * current entry: it is retired, and closed when the next entry resolves.
 */
void applier_uncache(struct applier *ap)
{
	if (ap->cache_fd >= 0) {
		if (ap->retired_fd >= 0)
			close(ap->retired_fd);
		ap->retired_fd = ap->cache_fd;
	}
	ap->cache_fd = -1;
	free(ap->cache_dir);
	ap->cache_dir = NULL;
}

/*
 * Make room for a new entry called base in dirfd: nothing there is fine; a
 * directory stays when the new entry is a directory too (a later entry
 * updates it); anything else is removed.  Returns 1 when a directory was
 * kept.
 */
static int clear_slot(struct applier *ap, int dirfd, const char *base, bool keep_dir,
		      const char *name, struct cb_error **err)
{
	struct stat st;

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return cb_error_set(err, errno, "entry `%s`: stat", name);
	}
	if (S_ISDIR(st.st_mode) && keep_dir)
		return 1;
	applier_uncache(ap); /* the cached directory may be what goes */
	if (S_ISDIR(st.st_mode)) {
		if (cb_rm_rf(dirfd, base, err) < 0)
			return cb_error_wrap(err, "entry `%s`: replace directory", name);
		applier_depths_forget(ap); /* its inode numbers may come back elsewhere */
	} else if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT) {
		return cb_error_set(err, errno, "entry `%s`: replace", name);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Whiteouts                                                                 */
/* ------------------------------------------------------------------------ */

static int apply_opaque(struct applier *ap, const char *dir, struct cb_error **err)
{
	cleanup_close int fd = layer_resolve_dir(ap->rootfd, dir, true, err);

	if (fd < 0)
		return -1;
	if (ap->o.overlay)
		return applier_set_opaque(ap, fd, dir, err);
	return applier_clear_dir(ap, fd, dir, err);
}

static int apply_whiteout(struct applier *ap, const char *name, const char *base,
			  struct cb_error **err)
{
	const char *target = base + strlen(WH_PREFIX);
	size_t dlen = (size_t)(base - name);
	cleanup_free char *dir = xstrndup(name, dlen ? dlen - 1 : 0);
	const char *b;
	int dirfd;

	if (!strcmp(base, WH_OPAQUE))
		return apply_opaque(ap, dir, err);
	if (cb_str_starts_with(base, WH_META))
		return 0;
	if (!target[0] || !strcmp(target, ".") || !strcmp(target, ".."))
		return cb_error_set(err, 0, "entry `%s`: invalid whiteout", name);
	{
		cleanup_free char *victim =
			dlen ? xasprintf("%s/%s", dir, target) : xstrdup(target);

		dirfd = parent_of(ap, victim, &b, ap->o.overlay, err);
		if (dirfd < 0) {
			/* Deleting below a directory that does not exist deletes nothing. */
			if (!ap->o.overlay && (*err)->code == ENOENT) {
				cb_error_free(err);
				return 0;
			}
			return -1;
		}
		if (clear_slot(ap, dirfd, target, false, name, err) < 0)
			return -1;
		if (!ap->o.overlay)
			return 0;
		if (mknodat(dirfd, target, S_IFCHR | 0, makedev(0, 0)) < 0)
			return cb_error_set(err, errno, "entry `%s`: create whiteout", name);
		return applier_record(ap, victim, err);
	}
}

/* ------------------------------------------------------------------------ */
/* Entries                                                                   */
/* ------------------------------------------------------------------------ */

static int write_data(struct applier *ap, int fd, const char *name, struct cb_error **err)
{
	int64_t size = archive_entry_size(ap->entry);
	int64_t end = 0;

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int rc = archive_read_data_block(ap->in.a, &buf, &len, &off);

		if (rc == ARCHIVE_EOF)
			break;
		if (rc != ARCHIVE_OK)
			return tar_in_fail(&ap->in, name, err);
		while (len) {
			ssize_t n = pwrite(fd, buf, len, off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return cb_error_set(err, errno, "entry `%s`: write", name);
			buf = (const char *)buf + n;
			len -= (size_t)n;
			off += n;
		}
		if (off > end)
			end = off;
	}
	/* A sparse file may end in a hole. */
	if (end < size && ftruncate(fd, size) < 0)
		return cb_error_set(err, errno, "entry `%s`: truncate", name);
	return 0;
}

static int make_file(struct applier *ap, int fd, const char *name, struct cb_error **err)
{
	mode_t perm = archive_entry_perm(ap->entry);

	if (write_data(ap, fd, name, err) < 0)
		return -1;
	if (applier_set_owner_fd(ap, fd, name, err) < 0 ||
	    applier_set_xattrs(ap, fd, name, err) < 0)
		return -1;
	/* After chown, which clears set-id bits. */
	if (applier_create_mode(ap, perm) != perm && fchmod(fd, perm) < 0)
		return cb_error_set(err, errno, "entry `%s`: chmod", name);
	return applier_set_times(ap, fd, NULL, 0, name, err);
}

static int make_hardlink(struct applier *ap, int dirfd, const char *base, const char *name,
			 const char *link, struct cb_error **err)
{
	cleanup_free char *target = NULL;
	cleanup_close int tdir = -1;
	const char *tslash, *tbase;

	if (layer_clean_name(link, &target, err) < 0)
		return cb_error_wrap(err, "entry `%s`: hardlink target", name);
	if (!target[0])
		return cb_error_set(err, 0, "entry `%s`: hardlink to the root", name);
	tslash = strrchr(target, '/');
	tbase = tslash ? tslash + 1 : target;
	if (tslash) {
		cleanup_free char *tdirname = xstrndup(target, (size_t)(tslash - target));

		tdir = layer_resolve_dir(ap->rootfd, tdirname, false, err);
		if (tdir < 0)
			return cb_error_wrap(err, "entry `%s`: hardlink target `%s`", name, link);
	} else {
		tdir = fcntl(ap->rootfd, F_DUPFD_CLOEXEC, 0);
		if (tdir < 0)
			return cb_error_set(err, errno, "dup");
	}
	if (linkat(tdir, tbase, dirfd, base, 0) == 0)
		return 0;
	if (errno != EEXIST)
		return cb_error_set(err, errno, "entry `%s`: hardlink to `%s`", name, link);
	if (clear_slot(ap, dirfd, base, false, name, err) < 0)
		return -1;
	if (linkat(tdir, tbase, dirfd, base, 0) < 0)
		return cb_error_set(err, errno, "entry `%s`: hardlink to `%s`", name, link);
	return 0;
}

/* Create the node for the current entry once; -errno on failure (fd for files). */
static int create_node(struct applier *ap, int dirfd, const char *base, mode_t type, int *fd)
{
	mode_t perm = archive_entry_perm(ap->entry);
	int rc = 0;

	switch (type) {
	case AE_IFREG:
		*fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			     applier_create_mode(ap, perm));
		rc = *fd < 0 ? -1 : 0;
		break;
	case AE_IFDIR:
		rc = mkdirat(dirfd, base, 0700);
		break;
	case AE_IFLNK:
		rc = symlinkat(archive_entry_symlink(ap->entry), dirfd, base);
		break;
	case AE_IFIFO:
		rc = mkfifoat(dirfd, base, applier_create_mode(ap, perm));
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		rc = mknodat(dirfd, base,
			     (type == AE_IFCHR ? S_IFCHR : S_IFBLK) | applier_create_mode(ap, perm),
			     makedev(archive_entry_rdevmajor(ap->entry),
				     archive_entry_rdevminor(ap->entry)));
		break;
	default:
		errno = EINVAL;
		rc = -1;
	}
	return rc < 0 ? -errno : 0;
}

static const char *type_name(mode_t type)
{
	switch (type) {
	case AE_IFREG:
		return "file";
	case AE_IFDIR:
		return "directory";
	case AE_IFLNK:
		return "symlink";
	case AE_IFIFO:
		return "fifo";
	case AE_IFCHR:
		return "character device";
	case AE_IFBLK:
		return "block device";
	}
	return "node";
}

/* Metadata of a new non-file, non-directory node. */
static int finish_node(struct applier *ap, int dirfd, const char *base, const char *name,
		       mode_t type, struct cb_error **err)
{
	mode_t perm = archive_entry_perm(ap->entry);

	if (applier_set_owner_at(ap, dirfd, base, name, err) < 0)
		return -1;
	if (type != AE_IFLNK && applier_create_mode(ap, perm) != perm &&
	    fchmodat(dirfd, base, perm, 0) < 0)
		return cb_error_set(err, errno, "entry `%s`: chmod", name);
	return applier_set_times(ap, dirfd, base, AT_SYMLINK_NOFOLLOW, name, err);
}

/*
 * Create the entry.  The create call comes first: only when something is
 * in the way (EEXIST, rare in a layer) is it looked at and removed, so the
 * common case costs no stat.
 */
static int make_entry(struct applier *ap, const char *name, const char *base, int dirfd,
		      struct cb_error **err)
{
	mode_t type = archive_entry_filetype(ap->entry);
	const char *hardlink = archive_entry_hardlink(ap->entry);
	cleanup_close int fd = -1;
	int rc;

	if (hardlink)
		return make_hardlink(ap, dirfd, base, name, hardlink, err);
	if (type == AE_IFLNK &&
	    !(archive_entry_symlink(ap->entry) && archive_entry_symlink(ap->entry)[0]))
		return cb_error_set(err, 0, "entry `%s`: symlink without a target", name);
	if ((type == AE_IFCHR || type == AE_IFBLK) && !ap->devices)
		return cb_error_set(err, EPERM, "entry `%s`: refusing to create a %s without root",
				    name, type_name(type));
	if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFIFO &&
	    type != AE_IFCHR && type != AE_IFBLK)
		return cb_error_set(err, 0, "entry `%s`: unsupported file type 0%o", name,
				    (unsigned)type);
	rc = create_node(ap, dirfd, base, type, &fd);
	if (rc == -EEXIST) {
		int kept = clear_slot(ap, dirfd, base, type == AE_IFDIR, name, err);

		if (kept < 0)
			return -1;
		rc = kept ? 0 : create_node(ap, dirfd, base, type, &fd);
	}
	if (rc < 0)
		return cb_error_set(err, -rc, "entry `%s`: create %s", name, type_name(type));
	if (type == AE_IFREG)
		return make_file(ap, fd, name, err);
	if (type == AE_IFDIR)
		return applier_dir_later(ap, dirfd, base, name, err);
	return finish_node(ap, dirfd, base, name, type, err);
}

static int apply_entry(struct applier *ap, struct cb_error **err)
{
	cleanup_free char *name = NULL;
	const char *raw = archive_entry_pathname(ap->entry);
	const char *base;
	int64_t size = archive_entry_size(ap->entry);
	int dirfd;

	if (!raw)
		return cb_error_set(err, 0, "entry without a name");
	if (layer_clean_name(raw, &name, err) < 0)
		return -1;
	if (++ap->entries > ap->o.max_entries)
		return cb_error_set(err, EFBIG, "layer has more than %llu entries",
				    (unsigned long long)ap->o.max_entries);
	if (size < 0 || (uint64_t)size > ap->o.max_bytes - ap->bytes)
		return cb_error_set(
			err, EFBIG,
			"entry `%s`: declared size %lld exceeds the layer limit of %llu "
			"bytes",
			name, (long long)size, (unsigned long long)ap->o.max_bytes);
	ap->bytes += (uint64_t)size;
	if (!name[0])
		return 0; /* the root itself: its metadata belongs to the snapshot */
	base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	if (cb_str_starts_with(base, WH_PREFIX))
		return apply_whiteout(ap, name, base, err);
	dirfd = parent_of(ap, name, &base, true, err);
	if (dirfd < 0)
		return cb_error_wrap(err, "entry `%s`", name);
	if (make_entry(ap, name, base, dirfd, err) < 0)
		return -1;
	return applier_record(ap, name, err);
}

static int apply_all(struct applier *ap, struct cb_error **err)
{
	int rc;

	while ((rc = archive_read_next_header(ap->in.a, &ap->entry)) == ARCHIVE_OK ||
	       rc == ARCHIVE_WARN) {
		if (apply_entry(ap, err) < 0)
			return -1;
	}
	if (rc != ARCHIVE_EOF)
		return tar_in_fail(&ap->in, "read tar", err);
	return applier_finish_dirs(ap, err);
}

int layer_apply(int rootfd, int fd, const struct layer_apply_opts *o, struct cb_digest *diff_id,
		struct cb_error **err)
{
	struct applier ap;
	struct cb_digest d;
	int ret = -1;

	applier_init(&ap, rootfd, o);
	/* The reader's errors (limits, corrupt compression) speak for themselves. */
	ap.in.bare_reader_errors = true;
	ap.in.any_compression = ap.o.any_compression;
	ap.in.progress = ap.o.progress;
	/* Names are bytes: no charset conversion in either direction. */
	if (tar_in_open(&ap.in, fd, ap.o.max_bytes, true, "read tar", err) < 0 ||
	    apply_all(&ap, err) < 0 || layer_reader_finish(&ap.in.r, &d, err) < 0)
		goto out;
	*diff_id = d;
	ret = 0;
out:
	if (ret < 0)
		cb_error_wrap(err, "apply layer");
	applier_release(&ap);
	return ret;
}

/* A tar header: its checksum (the field counted as spaces) matches, as Go's tar reader checks. */
static bool tar_header_ok(const unsigned char *h)
{
	unsigned long sum = 0, want = 0;
	int i;

	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	for (i = 148; i < 156 && (h[i] == ' ' || h[i] == '\0'); i++)
		;
	if (i == 156)
		return false;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		want = want * 8 + (unsigned long)(h[i] - '0');
	return sum == want && sum != 8 * ' ';
}

int layer_is_tar(int fd, struct cb_error **err)
{
	struct layer_reader r;
	unsigned char head[512];
	size_t have = 0;
	int ret = 0;

	if (layer_reader_open_any(&r, fd, 0, true, NULL, err) < 0)
		return -1;
	while (have < sizeof(head)) {
		const void *p;
		struct cb_error *rerr = NULL;
		ssize_t n = layer_reader_next(&r, &p, &rerr);

		if (n <= 0) {
			cb_error_free(&rerr); /* not decodable: not an archive */
			break;
		}
		if ((size_t)n > sizeof(head) - have)
			n = (ssize_t)(sizeof(head) - have);
		memcpy(head + have, p, (size_t)n);
		have += (size_t)n;
	}
	if (have == sizeof(head))
		ret = tar_header_ok(head);
	layer_reader_release(&r);
	return ret;
}
