/*
 * stubs.c - the mount points a RUN step's sandbox needs that the stage's
 * layers lack (/proc, /dev, /sys, /etc/hosts, ... of a minimal image),
 * made by the builder in a directory stacked on top of the layers
 * (runtime_spec.mount_points_ready).
 *
 * The runtime can find and make them itself, but for every sandbox: a
 * read-only overlay to probe the layers, an overlay of a stubs layer to
 * create them, then the root, with two unmounts between (each waits for
 * an RCU grace period).  Here the layers are looked at without a mount
 * (stackfs.c), and the stubs directory of a stage is made once and kept
 * while the steps need the same mount points: a later step only has its
 * directories' metadata brought up to date.
 *
 * The stubs directory holds what overlayfs's copy-up would have put in the
 * runtime's stubs layer: each existing directory on the way (mode, owner
 * and times of the layers' topmost one; created entries inside do not
 * change them) and the missing entries (directories 0755, empty files
 * 0644).  When a path is out of the ordinary (a symlink on the way or at
 * the end, a directory with extended attributes) the runtime's own way is
 * used for the step instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "xalloc.h"

struct stub_node {
	char *path; /* absolute, canonical */
	bool dir;
	bool existing;	/* a directory of the layers (its metadata copied) */
	struct stat st; /* existing: the layers' */
};

struct stub_plan {
	struct stub_node *v;
	size_t n;
	bool unusual; /* the runtime's way, for this step */
};

static void plan_release(struct stub_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].path);
	free(p->v);
}

static bool plan_has(const struct stub_plan *p, const char *path)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].path, path))
			return true;
	return false;
}

static void plan_add(struct stub_plan *p, const char *path, bool dir, bool existing,
		     const struct stat *st)
{
	p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	p->v[p->n] = (struct stub_node){xstrdup(path), dir, existing, {0}};
	if (st)
		p->v[p->n].st = *st;
	p->n++;
}

/* Only overlayfs's own attributes (opaque markers), which copy-up drops too. */
static int plain_xattrs(int fd, bool *plain, struct cb_error **err)
{
	char names[1024];
	ssize_t len = flistxattr(fd, names, sizeof(names));

	if (len < 0 && (errno == ENOTSUP || errno == ERANGE)) {
		*plain = errno == ENOTSUP;
		return 0;
	}
	if (len < 0)
		return cb_error_set(err, errno, "list extended attributes");
	*plain = true;
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(names + off) + 1)
		if (strncmp(names + off, "trusted.overlay.", 16) &&
		    strncmp(names + off, "user.overlay.", 13))
			*plain = false;
	return 0;
}

/* An existing directory on the way to a missing mount point. */
static int plan_ancestor(const struct stackfs *fs, struct stub_plan *p,
			 const struct stackfs_entry *e, struct cb_error **err)
{
	cleanup_close int fd = -1;
	struct stat st;
	bool plain = false;

	if (plan_has(p, e->path))
		return 0;
	fd = stackfs_open_entry(fs, e, O_RDONLY | O_DIRECTORY, err);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return cb_error_set(err, errno, "stat `%s`", e->path);
	if (plain_xattrs(fd, &plain, err) < 0)
		return cb_error_wrap(err, "`%s`", e->path);
	if (!plain)
		p->unusual = true;
	else
		plan_add(p, e->path, true, true, &st);
	return 0;
}

/*
 * Mount point path of kind dir: nothing when it exists, else its missing
 * components and the existing directories above them.
 */
static int plan_target(const struct stackfs *fs, struct stub_plan *p, const char *path, bool dir,
		       struct cb_error **err)
{
	cleanup_free char *prefix = xstrdup(path);
	struct stackfs_entry e;
	bool missing = false;
	int r = stackfs_lookup(fs, path, false, &e, err);

	if (r < 0)
		return -1;
	if (r > 0) {
		if (S_ISLNK(e.st.st_mode) || strcmp(e.path, path))
			p->unusual = true;
		stackfs_entry_release(&e);
		return 0;
	}
	/* each component in turn: existing directories, then what is missing */
	for (char *slash = strchr(prefix + 1, '/'); !p->unusual; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (!missing) {
			r = stackfs_lookup(fs, prefix, false, &e, err);
			if (r < 0)
				return -1;
			missing = r == 0;
		}
		if (!missing) {
			if (!S_ISDIR(e.st.st_mode) || strcmp(e.path, prefix))
				p->unusual = true;
			else if (slash && plan_ancestor(fs, p, &e, err) < 0)
				r = -1;
			stackfs_entry_release(&e);
			if (r < 0)
				return -1;
		} else if (!plan_has(p, prefix)) {
			plan_add(p, prefix, slash || dir, false, NULL);
		}
		if (!slash)
			break;
		*slash = '/';
	}
	return 0;
}

/* The shape of a plan (paths and kinds), to tell whether a stubs directory fits it. */
static char *plan_shape(const struct stub_plan *p)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	for (size_t i = 0; i < p->n; i++)
		cb_strbuf_addf(&sb, "%c%c%s\n", p->v[i].dir ? 'd' : 'f',
			       p->v[i].existing ? 'e' : 'n', p->v[i].path);
	return cb_strbuf_detach(&sb, NULL);
}

/* Make the plan's entries in dir (a new, empty directory). */
static int plan_create(const struct stub_plan *p, int dir, struct cb_error **err)
{
	for (size_t i = 0; i < p->n; i++) {
		const char *rel = p->v[i].path + 1;
		int fd;

		if (p->v[i].dir) {
			if (mkdirat(dir, rel, 0755) < 0)
				return cb_error_set(err, errno, "create `%s`", p->v[i].path);
			continue;
		}
		fd = openat(dir, rel, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0)
			return cb_error_set(err, errno, "create `%s`", p->v[i].path);
		close(fd);
	}
	return 0;
}

/* The existing directories' metadata, deepest first (children made already). */
static int plan_apply(const struct stub_plan *p, int dir, struct cb_error **err)
{
	for (size_t i = p->n; i-- > 0;) {
		const struct stub_node *n = &p->v[i];
		const char *rel = n->path + 1;
		struct timespec t[2] = {n->st.st_atim, n->st.st_mtim};

		if (!n->existing)
			continue;
		if (fchownat(dir, rel, n->st.st_uid, n->st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dir, rel, n->st.st_mode & 07777, 0) < 0 ||
		    utimensat(dir, rel, t, AT_SYMLINK_NOFOLLOW) < 0)
			return cb_error_set(err, errno, "copy the metadata of `%s`", n->path);
	}
	return 0;
}

/* The stage's stubs directory for plan p: the current one when it fits, else a new one. */
static int stubs_dir_for(struct stage *st, const struct stub_plan *p, struct cb_error **err)
{
	cleanup_free char *shape = plan_shape(p);
	cleanup_close int dfd = -1;

	if (!st->stubs_shape || strcmp(st->stubs_shape, shape)) {
		free(st->stubs_dir);
		free(st->stubs_shape);
		st->stubs_shape = NULL;
		st->stubs_dir = xasprintf("%s/stubs.%u", st->run_scratch, st->run_seq);
		if (mkdir(st->stubs_dir, 0755) < 0)
			return cb_error_set(err, errno, "create `%s`", st->stubs_dir);
		dfd = open(st->stubs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || plan_create(p, dfd, err) < 0)
			return dfd < 0 ? cb_error_set(err, errno, "open `%s`", st->stubs_dir) : -1;
		st->stubs_shape = cb_steal_pointer(&shape);
	} else {
		dfd = open(st->stubs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return cb_error_set(err, errno, "open `%s`", st->stubs_dir);
	}
	return plan_apply(p, dfd, err);
}

int build_stubs_prepare(struct stage *st, const struct cb_strvec *lowers,
			const struct runtime_mount *mounts, size_t nmounts, const char **dir,
			struct cb_error **err)
{
	struct stub_plan p = {0};
	struct stackfs fs;
	int ret = 0;

	*dir = NULL;
	if (stackfs_open(&fs, (const char *const *)lowers->v, lowers->n, err) < 0)
		return -1;
	for (size_t i = 0; i < RUNTIME_MOUNT_POINTS && ret == 0 && !p.unusual; i++)
		ret = plan_target(&fs, &p, runtime_mount_points[i].path,
				  runtime_mount_points[i].dir, err);
	for (size_t i = 0; i < nmounts && ret == 0 && !p.unusual; i++) {
		const char *t = mounts[i].target;

		/* nothing lives below /proc, /dev and /sys but what the runtime mounts */
		if (!strncmp(t, "/proc/", 6) || !strncmp(t, "/dev/", 5) || !strncmp(t, "/sys/", 5))
			continue;
		p.unusual = true; /* extra mounts elsewhere: left to the runtime for now */
	}
	stackfs_release(&fs);
	if (ret == 0 && !p.unusual && p.n) {
		ret = stubs_dir_for(st, &p, err);
		if (ret == 0)
			*dir = st->stubs_dir;
	}
	plan_release(&p);
	if (ret < 0)
		return -1;
	return p.unusual ? 0 : 1;
}
