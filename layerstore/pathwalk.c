/*
 * pathwalk.c - names of tar entries, cleaned, and directories under an
 * extraction root resolved without ever leaving it.
 *
 * The fast path is one openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): the
 * common case of a path without symlinks costs one syscall and the kernel
 * guarantees it stays beneath the root.  When the path holds a symlink (or
 * a component is missing and must be created), a component-by-component
 * walk with O_PATH|O_NOFOLLOW fds takes over.  It follows symlinks the way
 * the container will see them, with the root as "/": `lib -> usr/lib` and
 * `lib -> /usr/lib` both work.  It differs from RESOLVE_IN_ROOT in one way,
 * on purpose: a relative target that climbs above the root (`x ->
 * ../../etc`) is refused with an error naming the link instead of being
 * clamped, because no legitimate layer writes through such a link and a
 * clear refusal is what a user debugging a hostile image needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "cleanup.h"
#include "layerstore-internal.h"
#include "strbuf.h"
#include "xalloc.h"

#define MAX_LINKS 40 /* as the kernel's MAXSYMLINKS */

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

static int openat2_beneath(int rootfd, const char *dir)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, dir, &how, sizeof(how));
}

/* The walk: a stack of O_PATH fds from the root (not owned) down. */
struct walk {
	int rootfd;
	int *fds;
	size_t n, alloc;
	int links;
	const char *name; /* for messages */
};

static int walk_top(const struct walk *w)
{
	return w->n ? w->fds[w->n - 1] : w->rootfd;
}

static void walk_reset(struct walk *w)
{
	while (w->n)
		close(w->fds[--w->n]);
}

static void walk_push(struct walk *w, int fd)
{
	CB_ALLOC_GROW(w->fds, w->n + 1, w->alloc);
	w->fds[w->n++] = fd;
}

/* Read the link `comp` in the current directory; caller frees. */
static char *walk_readlink(struct walk *w, int fd, const char *comp, struct cb_error **err)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(fd, "", buf, sizeof(buf));

	if (n < 0) {
		cb_error_set(err, errno, "`%s`: read link `%s`", w->name, comp);
		return NULL;
	}
	if ((size_t)n >= sizeof(buf)) {
		cb_error_set(err, ENAMETOOLONG, "`%s`: link `%s`", w->name, comp);
		return NULL;
	}
	return xstrndup(buf, (size_t)n);
}

/* Step into comp (not "." or ".."), following a symlink by rewriting rest. */
static int walk_step(struct walk *w, const char *comp, struct cb_strbuf *rest, bool create,
		     struct cb_error **err)
{
	cleanup_close int fd = -1;
	cleanup_free char *target = NULL;
	struct cb_strbuf next = CB_STRBUF_INIT;
	struct stat st;

	fd = openat(walk_top(w), comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(walk_top(w), comp, 0755) < 0 && errno != EEXIST)
			return cb_error_set(err, errno, "`%s`: create directory `%s`", w->name,
					    comp);
		fd = openat(walk_top(w), comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return cb_error_set(err, errno, "`%s`: open `%s`", w->name, comp);
	if (fstat(fd, &st) < 0)
		return cb_error_set(err, errno, "`%s`: stat `%s`", w->name, comp);
	if (S_ISDIR(st.st_mode)) {
		walk_push(w, steal_fd(&fd));
		return 0;
	}
	if (!S_ISLNK(st.st_mode))
		return cb_error_set(err, ENOTDIR, "`%s`: `%s` is not a directory", w->name, comp);
	if (++w->links > MAX_LINKS)
		return cb_error_set(err, ELOOP, "`%s`: symlink chain through `%s`", w->name, comp);
	target = walk_readlink(w, fd, comp, err);
	if (!target)
		return -1;
	if (target[0] == '/')
		walk_reset(w);
	/* What is left to walk becomes target + "/" + rest. */
	cb_strbuf_addstr(&next, target);
	if (rest->len) {
		cb_strbuf_addch(&next, '/');
		cb_strbuf_add(&next, rest->buf, rest->len);
	}
	cb_strbuf_release(rest);
	*rest = next;
	return 0;
}

static int walk_run(struct walk *w, const char *path, bool create, struct cb_error **err)
{
	struct cb_strbuf rest = CB_STRBUF_INIT;
	int ret = 0;

	cb_strbuf_addstr(&rest, path);
	while (rest.len && ret == 0) {
		char *slash = memchr(rest.buf, '/', rest.len);
		size_t n = slash ? (size_t)(slash - rest.buf) : rest.len;
		char *comp = xstrndup(rest.buf, n);
		size_t skip = slash ? n + 1 : n;

		memmove(rest.buf, rest.buf + skip, rest.len - skip);
		cb_strbuf_setlen(&rest, rest.len - skip);
		if (!n || !strcmp(comp, ".")) {
			/* nothing */
		} else if (!strcmp(comp, "..")) {
			if (!w->n)
				ret = cb_error_set(
					err, 0,
					"`%s`: a symlink on the way points outside the root",
					w->name);
			else
				close(w->fds[--w->n]);
		} else {
			ret = walk_step(w, comp, &rest, create, err);
		}
		free(comp);
	}
	cb_strbuf_release(&rest);
	return ret;
}

int layer_resolve_dir(int rootfd, const char *dir, bool create, struct cb_error **err)
{
	struct walk w = {.rootfd = rootfd, .name = dir};
	int fd;

	if (!dir[0])
		fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	else
		fd = openat2_beneath(rootfd, dir);
	if (fd >= 0)
		return fd;
	if (walk_run(&w, dir, create, err) < 0) {
		walk_reset(&w);
		free(w.fds);
		return -1;
	}
	fd = w.n ? w.fds[--w.n] : openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	walk_reset(&w);
	free(w.fds);
	if (fd < 0)
		return cb_error_set(err, errno, "open the root");
	return fd;
}
