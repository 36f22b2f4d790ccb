/*
 * stubs.c - the mount points a RUN step's sandbox needs that the stage's
 * layers lack (/proc, /dev, /sys, /etc/hosts, ... of a minimal image),
 * made by the builder in a directory stacked on top of the layers
 * (runtime_spec.mount_points_ready).
 *
 * The runtime can find and make them itself, but for every sandbox: a
 * read-only overlay to probe the layers, an overlay of a stubs layer to
 * create them, then the root, with two unmounts between (each waits for
 * an RCU grace period).  Here the layers are looked at without a mount,
 * through the stage's mount facts (mountfacts.c: read once, then brought
 * up to date by each layer put on top), and the stubs directory of a
 * stage is made once and kept while the steps need the same mount points:
 * a later step only has /etc's metadata brought up to date.
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

int build_stage_facts(struct stage *st, const struct cb_strvec *lowers, struct cb_error **err)
{
	if (st->facts.known && st->facts_has_chain == st->has_chain &&
	    (!st->has_chain || cb_digest_equal(&st->facts_chain, &st->chain)))
		return 0;
	if (mount_facts_of(lowers, &st->facts, err) < 0)
		return -1;
	st->facts_chain = st->chain;
	st->facts_has_chain = st->has_chain;
	return 0;
}

/*
 * The plan from the facts: nothing for a mount point that exists; for a
 * missing one, /etc (copied from the layers' or new) and the entry.
 */
static void plan_from_facts(const struct mount_facts *mf, struct stub_plan *p)
{
	for (size_t i = 0; i < RUNTIME_MOUNT_POINTS && !p->unusual; i++) {
		const char *path = runtime_mount_points[i].path;
		int k = 0;

		while (k < MOUNT_FACTS && strcmp(mount_fact_paths[k], path))
			k++;
		if (k == MOUNT_FACTS || mf->f[k].kind == MF_ODD) {
			p->unusual = true;
			break;
		}
		if (mf->f[k].kind != MF_MISSING)
			continue; /* there (of the wrong kind: the runtime says so) */
		if (!strncmp(path, "/etc/", 5) && !plan_has(p, "/etc")) {
			const struct mount_fact *etc = &mf->f[MF_ETC];

			if (etc->kind == MF_DIR && !etc->foreign_xattrs)
				plan_add(p, "/etc", true, true, &etc->st);
			else if (etc->kind == MF_MISSING)
				plan_add(p, "/etc", true, false, NULL);
			else
				p->unusual = true; /* a file, or attributes copy-up would keep */
		}
		if (!p->unusual)
			plan_add(p, path, runtime_mount_points[i].dir, false, NULL);
	}
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
	int ret = 0;

	*dir = NULL;
	for (size_t i = 0; i < nmounts; i++) {
		const char *t = mounts[i].target;

		/* nothing lives below /proc, /dev and /sys but what the runtime mounts */
		if (strncmp(t, "/proc/", 6) && strncmp(t, "/dev/", 5) && strncmp(t, "/sys/", 5))
			return 0; /* extra mounts elsewhere: left to the runtime for now */
	}
	if (build_stage_facts(st, lowers, err) < 0)
		return -1;
	plan_from_facts(&st->facts, &p);
	if (!p.unusual && p.n) {
		ret = stubs_dir_for(st, &p, err);
		if (ret == 0)
			*dir = st->stubs_dir;
	}
	plan_release(&p);
	if (ret < 0)
		return -1;
	return p.unusual ? 0 : 1;
}
