/*
 * mountfacts.c - what a RUN step needs to know of its stack about the
 * sandbox's mount points (/proc, /dev, /sys, /etc and its hosts,
 * resolv.conf, hostname), kept per stage and brought up to date one layer
 * at a time.
 *
 * Before a step, the stubs directory (stubs.c) needs which of them the
 * layers lack and the metadata of /etc; after it, runc's leftovers
 * (step-run.c) need the same over the step's upperdir.  Looked up through
 * a merged view (stackfs.c), each question walks every layer of the
 * stack: with twenty layers, some 1,700 system calls a step.  Instead the
 * answers for a stack are kept, and a layer put on top changes them only
 * where it has an entry on those paths: about a dozen calls a step.
 *
 * A layer's entries are read as overlayfs reads them: a 0/0 character
 * device is a whiteout, a directory with trusted.overlay.opaque or
 * user.overlay.opaque = "y" hides the layers below.  Anything the answers
 * cannot say simply (a symlink on one of the paths) is MF_ODD, and the
 * callers then ask stackfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "fsutil.h"

const char *const mount_fact_paths[MOUNT_FACTS] = {
	"/etc", "/proc", "/dev", "/sys", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname",
};

/* The children of /etc among the facts: MF_HOSTS and after. */
#define FIRST_ETC_CHILD MF_HOSTS

/* Extended attributes other than overlayfs's own (which copy-up drops). */
static int foreign_xattrs(int fd, bool *foreign, struct cb_error **err)
{
	char names[1024];
	ssize_t len = flistxattr(fd, names, sizeof(names));

	*foreign = false;
	if (len < 0 && errno == ENOTSUP)
		return 0;
	if (len < 0 && errno == ERANGE) {
		*foreign = true;
		return 0;
	}
	if (len < 0)
		return cb_error_set(err, errno, "list extended attributes");
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(names + off) + 1)
		if (strncmp(names + off, "trusted.overlay.", 16) &&
		    strncmp(names + off, "user.overlay.", 13))
			*foreign = true;
	return 0;
}

static void fact_from_stat(struct mount_fact *f, const struct stat *st)
{
	memset(f, 0, sizeof(*f));
	if (cb_overlay_whiteout(st))
		f->kind = MF_MISSING; /* a whiteout */
	else if (S_ISLNK(st->st_mode))
		f->kind = MF_ODD;
	else
		f->kind = S_ISDIR(st->st_mode) ? MF_DIR : MF_FILE;
	if (f->kind == MF_DIR || f->kind == MF_FILE)
		f->st = *st;
}

/* /etc's children in the layer: etc (an fd of the layer's /etc) over base. */
static void etc_children(int etc, const struct mount_facts *base, struct mount_facts *out)
{
	for (int i = FIRST_ETC_CHILD; i < MOUNT_FACTS; i++) {
		struct stat st;

		if (fstatat(etc, mount_fact_paths[i] + 5, &st, AT_SYMLINK_NOFOLLOW) == 0)
			fact_from_stat(&out->f[i], &st);
		else
			out->f[i] = base->f[i];
	}
}

/* The layer's /etc (a directory): its metadata, and its children over below's. */
static int over_etc(int root, const struct mount_facts *below, struct mount_facts *out,
		    struct cb_error **err)
{
	cleanup_close int etc =
		openat(root, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	static const struct mount_facts none; /* all MF_MISSING */
	bool foreign;

	if (etc < 0)
		return cb_error_set(err, errno, "open `etc`");
	if (foreign_xattrs(etc, &foreign, err) < 0)
		return -1;
	out->f[MF_ETC].foreign_xattrs = foreign;
	/* what /etc holds below shows through unless this one is opaque or replaces a non-directory
	 */
	etc_children(etc,
		     below->f[MF_ETC].kind == MF_DIR && cb_overlay_opaque(etc) <= 0 ? below : &none,
		     out);
	return 0;
}

int mount_facts_over(const struct mount_facts *below, const char *dir, struct mount_facts *out,
		     struct cb_error **err)
{
	static const struct mount_facts none;
	cleanup_close int root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	const struct mount_facts *base = below;
	struct mount_facts r;

	if (root < 0)
		return cb_error_set(err, errno, "open `%s`", dir);
	if (cb_overlay_opaque(root) > 0)
		base = &none;
	r = *base;
	for (int i = 0; i < FIRST_ETC_CHILD; i++) {
		struct stat st;

		if (fstatat(root, mount_fact_paths[i] + 1, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				return cb_error_set(err, errno, "stat `%s/%s`", dir,
						    mount_fact_paths[i] + 1);
			continue; /* not in this layer: as below */
		}
		fact_from_stat(&r.f[i], &st);
		if (i != MF_ETC)
			continue;
		if (r.f[MF_ETC].kind == MF_DIR) {
			if (over_etc(root, base, &r, err) < 0)
				return cb_error_wrap(err, "`%s`", dir);
		} else {
			/* no /etc directory: nothing below it (a symlink: ODD all the way) */
			for (int k = FIRST_ETC_CHILD; k < MOUNT_FACTS; k++)
				r.f[k].kind = r.f[MF_ETC].kind == MF_ODD ? MF_ODD : MF_MISSING;
		}
	}
	r.known = true;
	*out = r;
	return 0;
}

int mount_facts_of(const struct cb_strvec *lowers, struct mount_facts *out, struct cb_error **err)
{
	struct mount_facts mf = {0};

	/* the empty stack lacks everything; each layer from the bottom goes on top */
	for (size_t i = lowers->n; i-- > 0;)
		if (mount_facts_over(&mf, lowers->v[i], &mf, err) < 0)
			return -1;
	mf.known = true;
	*out = mf;
	return 0;
}
