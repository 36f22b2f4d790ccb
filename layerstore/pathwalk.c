/*
 * pathwalk.c - names of tar entries, cleaned, and directories under an
 * extraction root resolved without ever leaving it.
 *
 * Resolution is common/fsutil.h's confined paths (openat2, or its walk):
 * symlinks are followed the way the container will see them, with the root
 * as "/", so `lib -> usr/lib` and `lib -> /usr/lib` both work.  With one
 * difference from RESOLVE_IN_ROOT, on purpose (CB_ROOT_NO_CLIMB): a target
 * that climbs above the root (`x -> ../../etc`) is refused with an error
 * naming the path instead of being clamped, because no legitimate layer
 * writes through such a link and a clear refusal is what a user debugging
 * a hostile image needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "layerstore-internal.h"
#include "strbuf.h"

int layer_clean_name(const char *name, char **out, struct cb_error **err)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	const char *p = name;

	if (name[0] == '/')
		return cb_error_set(err, 0, "entry `%s`: absolute names are not allowed", name);
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			cb_strbuf_release(&sb);
			return cb_error_set(err, 0, "entry `%s`: `..` is not allowed in names",
					    name);
		}
		if (n && !(n == 1 && p[0] == '.')) {
			if (sb.len)
				cb_strbuf_addch(&sb, '/');
			cb_strbuf_add(&sb, p, n);
		}
		p = *end ? end + 1 : end;
	}
	if (sb.len >= PATH_MAX) {
		cb_strbuf_release(&sb);
		return cb_error_set(err, ENAMETOOLONG, "entry `%.64s...`", name);
	}
	*out = cb_strbuf_detach(&sb, NULL);
	return 0;
}

struct resolve {
	bool create_failed;
};

static int create_dir(int dirfd, const char *name, bool last, void *arg)
{
	struct resolve *r = arg;

	(void)last;
	if (mkdirat(dirfd, name, 0755) == 0 || errno == EEXIST)
		return 0;
	r->create_failed = true;
	return -errno;
}

int layer_resolve_dir(int rootfd, const char *dir, bool create, struct cb_error **err)
{
	struct resolve r = {false};
	struct cb_root_opts o = {CB_ROOT_NO_CLIMB, 0755, create_dir, &r};
	char where[CB_ROOT_WHERE_MAX];
	int fd = create ? cb_mkdir_in_root_raw(rootfd, dir, &o, where)
			: cb_open_in_root_raw(rootfd, dir, O_PATH | O_DIRECTORY, 0, &o, where);

	if (fd >= 0)
		return fd;
	switch (-fd) {
	case EXDEV:
		return cb_error_set(err, 0, "`%s`: a symlink on the way points outside the root",
				    dir);
	case ELOOP:
		return cb_error_set(err, ELOOP, "`%s`: symlink chain through `%s`", dir, where);
	case ENOTDIR:
		return cb_error_set(err, ENOTDIR, "`%s`: `%s` is not a directory", dir, where);
	}
	if (r.create_failed)
		return cb_error_set(err, -fd, "`%s`: create directory `%s`", dir, where);
	return cb_error_set(err, -fd, "`%s`: open `%s`", dir, where);
}
