/*
 * tarapply-depth.c - the depth bound of an applied layer (issue 11,
 * finding 5).  Entries are resolved under the root through the layer's
 * own symlinks (`l -> d0/x/.../x`, then `l/x/...`), so a 40 KB layer can
 * build a tree thousands of levels deep although no path in it is long.
 * Removal copes with any depth (cb_rm_rf walks with fds), but the store's
 * other walkers (disk usage, layer diffs, COPY --from) recurse, so apply
 * refuses an entry more than LAYER_DEPTH_MAX directories below the root:
 * the most a path within PATH_MAX can name ("x/" 2048 times).
 *
 * The real depth of an entry's parent is counted on the tree, not on its
 * name: up through `..` to the root or to a directory already counted,
 * every directory met is remembered (device and inode -> depth), so each
 * directory is counted once however the layer reaches it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "layerstore-internal.h"
#include "xalloc.h"

struct depth_slot {
	dev_t dev;
	ino_t ino;
	unsigned depth; /* 0: empty slot (the root is never stored) */
};

struct depth_map {
	struct depth_slot *slots;
	size_t n, cap; /* cap a power of two */
	dev_t root_dev;
	ino_t root_ino;
};

static size_t slot_of(const struct depth_map *m, dev_t dev, ino_t ino)
{
	size_t i = (size_t)((ino * 0x9e3779b97f4a7c15ULL) ^ dev) & (m->cap - 1);

	while (m->slots[i].depth && (m->slots[i].dev != dev || m->slots[i].ino != ino))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void depth_put(struct depth_map *m, dev_t dev, ino_t ino, unsigned depth)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct depth_map bigger = *m;

		bigger.cap = m->cap * 2;
		bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
		bigger.n = 0;
		for (size_t k = 0; k < m->cap; k++)
			if (m->slots[k].depth)
				bigger.slots[slot_of(&bigger, m->slots[k].dev, m->slots[k].ino)] =
					m->slots[k];
		bigger.n = m->n;
		free(m->slots);
		*m = bigger;
	}
	i = slot_of(m, dev, ino);
	if (!m->slots[i].depth)
		m->n++;
	m->slots[i] = (struct depth_slot){dev, ino, depth};
}

/* The depth of (dev, ino): 0 for the root, -1 when not counted yet. */
static long depth_get(const struct depth_map *m, dev_t dev, ino_t ino)
{
	size_t i;

	if (dev == m->root_dev && ino == m->root_ino)
		return 0;
	i = slot_of(m, dev, ino);
	return m->slots[i].depth ? (long)m->slots[i].depth : -1;
}

static int depth_map_new(struct applier *ap, struct cb_error **err)
{
	struct stat st;

	if (fstat(ap->rootfd, &st) < 0)
		return cb_error_set(err, errno, "stat the layer's root");
	ap->depths = xcalloc(1, sizeof(*ap->depths));
	ap->depths->cap = 256;
	ap->depths->slots = xcalloc(ap->depths->cap, sizeof(*ap->depths->slots));
	ap->depths->root_dev = st.st_dev;
	ap->depths->root_ino = st.st_ino;
	return 0;
}

void applier_depths_forget(struct applier *ap)
{
	struct depth_map *m = ap->depths;

	if (m && m->n) {
		memset(m->slots, 0, m->cap * sizeof(*m->slots));
		m->n = 0;
	}
}

void applier_depths_free(struct applier *ap)
{
	if (ap->depths)
		free(ap->depths->slots);
	free(ap->depths);
	ap->depths = NULL;
}

/*
 * How deep dirfd (the directory `dir`, resolved under the root) is: walk
 * up until the root or a counted directory, at most LAYER_DEPTH_MAX steps
 * (then it is too deep), and remember every directory on the way.
 */
static long dir_depth(struct applier *ap, int dirfd, const char *dir, struct cb_error **err)
{
	struct depth_map *m = ap->depths;
	struct stat chain[64];
	cleanup_close int cur = -1;
	struct stat st, prev;
	long base, steps = 0;
	size_t n = 0;

	if (fstat(dirfd, &st) < 0)
		return cb_error_set(err, errno, "stat `%s`", dir);
	base = depth_get(m, st.st_dev, st.st_ino);
	if (base >= 0)
		return base;
	cur = openat(dirfd, "..", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	chain[n++] = prev = st;
	for (;;) {
		if (cur < 0 || fstat(cur, &st) < 0)
			return cb_error_set(err, errno, "`%s`: open its parent", dir);
		steps++;
		base = depth_get(m, st.st_dev, st.st_ino);
		if (base >= 0)
			break;
		/* `..` of `/` is itself: the walk left the root (moved meanwhile) */
		if (st.st_dev == prev.st_dev && st.st_ino == prev.st_ino)
			return cb_error_set(err, EXDEV, "`%s` is not under the layer's root", dir);
		prev = st;
		if (steps > LAYER_DEPTH_MAX)
			return cb_error_set(
				err, 0,
				"`%s` is more than %d directories below the layer's root "
				"(through its symlinks)",
				dir, LAYER_DEPTH_MAX);
		/* the directories nearest the start are remembered; the rest are met again */
		if (n < sizeof(chain) / sizeof(chain[0]))
			chain[n++] = st;
		{
			int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			close(cur);
			cur = up;
		}
	}
	/* chain[i] is steps - i levels below the directory found at depth base */
	for (size_t i = 0; i < n; i++)
		depth_put(m, chain[i].st_dev, chain[i].st_ino, (unsigned)(base + steps - (long)i));
	return base + steps;
}

int applier_check_depth(struct applier *ap, int dirfd, const char *dir, struct cb_error **err)
{
	long d;

	if (!ap->depths && depth_map_new(ap, err) < 0)
		return -1;
	d = dir_depth(ap, dirfd, dir, err);
	if (d < 0)
		return -1;
	if (d + 1 > LAYER_DEPTH_MAX)
		return cb_error_set(err, 0,
				    "`%s` is more than %d directories below the layer's root "
				    "(through its symlinks)",
				    dir, LAYER_DEPTH_MAX);
	return 0;
}
