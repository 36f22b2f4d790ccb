#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "strbuf.h"
#include "xalloc.h"

int cb_read_fd(int fd, size_t max, char **out, size_t *len, struct cb_error **err)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	for (;;) {
		ssize_t n;

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

static int rm_rf_fd(int parent, const char *name, int depth, struct cb_error **err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return cb_error_set(err, errno, "remove `%s`", name);
	if (depth > 4096)
		return cb_error_set(err, ELOOP, "remove `%s`: too deep", name);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", name);
	d = fdopendir(fd);
	if (!d) {
		int saved = errno;

		close(fd);
		return cb_error_set(err, saved, "opendir `%s`", name);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rm_rf_fd(dirfd(d), de->d_name, depth + 1, err) < 0)
			return cb_error_wrap(err, "in `%s`", name);
	}
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return cb_error_set(err, errno, "rmdir `%s`", name);
	return 0;
}

int cb_rm_rf(int dirfd, const char *path, struct cb_error **err)
{
	return rm_rf_fd(dirfd, path, 0, err);
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
