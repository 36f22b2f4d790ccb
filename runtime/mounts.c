/*
 * mounts.c - the sandbox's filesystem, built by its child in its new mount
 * namespace and entered with pivot_root.  Child code: no allocation (see
 * runtime-internal.h); every failure ends in child_die().
 *
 *   1. "/" becomes rslave, so nothing we mount propagates to the host.
 *   2. The host paths (layers, rootfs, bind sources) are opened now, in
 *      our namespace: a bind or overlay layer must come from a mount of
 *      the caller's own namespace, so the parent's fds would not do.
 *   3. A private tmpfs ("base") is mounted on sb->base (normally /tmp,
 *      shadowed in this namespace only; everything needed from the host is
 *      an fd by now).  It holds root/ (the mount point of the new root),
 *      the generated /etc files, a throwaway upper layer for `--rm`, and
 *      the stubs layer.
 *   4. The root: an overlay of the layers, or a bind of the plain rootfs.
 *      Mount points missing from an overlay rootfs are created in a
 *      separate stubs layer (an overlay upper on the base tmpfs, stacked
 *      as the top lower layer), never in the step's upperdir; the parent
 *      directory's times are restored, and overlayfs copies parents up
 *      with their metadata, so the step sees the image's directories
 *      unchanged.  For a plain rootfs they are created in place.
 *      Without a device cgroup (sb->nodev: rootless, no cgroups) the root,
 *      /dev and the extra mounts are nodev (issue 11, docs/RUNTIME.md
 *      "Devices").
 *   5. /proc, /dev (+ pts, shm, mqueue), /sys (read-only), /etc/hosts,
 *      /etc/resolv.conf, /etc/hostname, the extra mounts, Docker's masked
 *      and read-only paths.  Every target is resolved inside the root
 *      (common/fsutil.h: openat2 RESOLVE_IN_ROOT, or its walk on kernels
 *      without it) and mounted through its fd, so a symlink in the image
 *      cannot send a mount outside it.
 *   6. pivot_root(".", ".") and a lazy unmount of the old root, which
 *      also drops the base tmpfs from view; the working directory when
 *      missing and spec->create_cwd; the root read-only when asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsutil.h"
#include "runtime-internal.h"

#define FDPATH_LEN 32

struct fdpath {
	char s[FDPATH_LEN];
};

static struct fdpath fdpath(int fd)
{
	struct fdpath p;

	snprintf(p.s, sizeof(p.s), "/proc/self/fd/%d", fd);
	return p;
}

/*
 * path inside root, symlinks resolved in it (common/fsutil.h, the
 * allocation-free core); rflags CB_ROOT_*.  An fd, or -1 with errno set.
 */
static int open_in(int root, const char *path, int flags, unsigned rflags)
{
	struct cb_root_opts o = {rflags, 0, NULL, NULL};
	int fd = cb_open_in_root_raw(root, path, flags, 0, &o, NULL);

	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

/* Does path resolve to something inside root (symlinks followed)? */
static bool exists_in(int root, const char *path)
{
	int fd = open_in(root, path, O_PATH, 0);

	if (fd < 0)
		return errno != ENOENT && errno != ENOTDIR;
	close(fd);
	return true;
}

struct mkpath {
	const struct sandbox *sb;
	const char *what, *path; /* for messages: "mount point `/x`" */
	bool dir, soft;
	bool restored;	    /* the times of the deepest existing directory are back */
	bool create_failed; /* soft: what could not be created */
};

/*
 * Create name in parent (a directory, or an empty file for the last
 * component when !dir), keeping parent's times: only the deepest existing
 * directory changes, and overlayfs copy-up keeps the others.  Dies unless
 * soft.
 */
static int create_in(int parent, const char *name, bool last, void *arg)
{
	struct mkpath *m = arg;
	struct stat st;
	int rc;

	if (fstat(parent, &st) < 0)
		child_die(m->sb, errno, "%s `%s`", m->what, m->path);
	if (m->dir || !last) {
		rc = mkdirat(parent, name, 0755);
	} else {
		rc = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (rc >= 0)
			close(rc);
	}
	if (rc < 0 && m->soft) {
		m->create_failed = true;
		return -errno;
	}
	if (rc < 0)
		child_die(m->sb, errno, "create %s `%s`", m->what, m->path);
	if (!m->restored) {
		struct timespec t[2] = {st.st_atim, st.st_mtim};

		m->restored = true;
		if (utimensat(AT_FDCWD, fdpath(parent).s, t, 0) < 0 && !m->sb->userns)
			child_die(m->sb, errno, "restore the times of the parent of `%s`", m->path);
	}
	return 0;
}

/*
 * mkdir -p path inside root, following symlinks inside it (a dangling one
 * leads to where it points); the last component is a directory or, when
 * !dir, an empty file.  The times of the deepest directory that existed are
 * put back, so the stubs layer does not change them.  When soft, returns
 * false instead of dying when an entry cannot be created (a read-only or
 * foreign-owned rootfs, in rootless mode).  what names path in messages
 * ("mount point", "working directory").
 */
static bool mkpath_in(const struct sandbox *sb, int root, const char *path, bool dir, bool soft,
		      const char *what)
{
	struct mkpath m = {sb, what, path, dir, soft, false, false};
	/* whatever the last component turns out to be: open_target checks it */
	struct cb_root_opts o = {CB_ROOT_LAST_ANY, 0755, create_in, &m};
	int fd = cb_mkdir_in_root_raw(root, path, &o, NULL);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	if (m.create_failed)
		return false;
	child_die(sb, -fd, "%s `%s`", what, path);
}

const struct runtime_mount_point runtime_mount_points[RUNTIME_MOUNT_POINTS] = {
	{"/proc", true},
	{"/dev", true},
	{"/sys", true},
	{"/etc/hosts", false},
	{"/etc/resolv.conf", false},
	{"/etc/hostname", false},
};

/* Is path at or below one of the first n extra mounts, or /proc, /dev, /sys? */
static bool under_mount(const struct sandbox *sb, size_t n, const char *path)
{
	for (size_t i = 0; i < RUNTIME_MOUNT_POINTS + n; i++) {
		const char *t = i < RUNTIME_MOUNT_POINTS
					? runtime_mount_points[i].path
					: sb->mounts[i - RUNTIME_MOUNT_POINTS].target;
		size_t tl = strlen(t);

		if (i >= 3 && i < RUNTIME_MOUNT_POINTS)
			continue; /* files: nothing lives below them */
		if (!strncmp(path, t, tl) && path[tl] == '/')
			return true;
	}
	return false;
}

/*
 * Open a mount target inside root, creating it (or what a dangling symlink
 * points to) when missing.  An optional target that cannot be used (a
 * directory where a file is wanted) gives -1; anything else wrong dies.
 */
static int open_target(const struct sandbox *sb, int root, const char *path, bool dir,
		       bool nosymlinks, bool optional)
{
	unsigned rflags = nosymlinks ? CB_ROOT_NO_SYMLINKS : 0;
	int flags = O_PATH | (dir ? O_DIRECTORY : 0);
	int fd = open_in(root, path, flags, rflags);
	struct stat st;

	/* below /proc, /dev, /sys or another mount, it is made in that mount */
	bool layers = sb->spec->mount_points_ready && !under_mount(sb, sb->nmounts, path);

	if (fd < 0 && errno == ENOENT && layers)
		child_die(sb, ENOENT, "mount point `%s` is missing from the layers", path);
	if (fd < 0 && errno == ENOENT) {
		if (!mkpath_in(sb, root, path, dir, optional, "mount point"))
			return -1;
		fd = open_in(root, path, flags, rflags);
	}
	if (fd < 0 && optional)
		return -1;
	if (fd < 0 && errno == ELOOP)
		child_die(sb, 0, "`%s` in the rootfs must be a directory, not a symlink", path);
	if (fd < 0)
		child_die(sb, errno, "mount target `%s`", path);
	if (fstat(fd, &st) < 0)
		child_die(sb, errno, "stat mount target `%s`", path);
	if (!dir && S_ISDIR(st.st_mode)) {
		close(fd);
		if (optional)
			return -1;
		child_die(sb, EISDIR, "mount target `%s`", path);
	}
	return fd;
}

static void do_mount(const struct sandbox *sb, const char *src, int target, const char *type,
		     unsigned long flags, const char *data, const char *what)
{
	if (mount(src, fdpath(target).s, type, flags, data) < 0)
		child_die(sb, errno, "mount %s", what);
}

/* Bind src_fd's tree onto dst_fd with attrs (MOUNT_ATTR_*), recursively. */
static void bind_fd(const struct sandbox *sb, int src_fd, int dst_fd, uint64_t attrs,
		    const char *what)
{
	struct mount_attr attr = {.attr_set = attrs};
	int tree = open_tree(src_fd, "",
			     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);

	if (tree < 0)
		child_die(sb, errno, "bind %s", what);
	if (attrs && mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		child_die(sb, errno, "set the mount attributes of %s", what); /* ro, nodev */
	if (move_mount(tree, "", dst_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		child_die(sb, errno, "attach %s", what);
	close(tree);
}

/* Step 2: the layers and bind sources, opened in our namespace. */
static void open_host_paths(struct sandbox *sb)
{
	if (sb->rootfs_path) {
		sb->rootfs_fd = open(sb->rootfs_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (sb->rootfs_fd < 0)
			child_die(sb, errno, "open rootfs `%s`", sb->rootfs_path);
	}
	for (size_t i = 0; i < sb->nlayer_fds; i++) {
		sb->layer_fds[i] = open(sb->layer_paths[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (sb->layer_fds[i] < 0)
			child_die(sb, errno, "open layer `%s`", sb->layer_paths[i]);
	}
	for (size_t i = 0; i < sb->nmounts; i++) {
		struct sbx_mount *m = &sb->mounts[i];
		struct stat st;

		if (m->type != RUNTIME_MOUNT_BIND)
			continue;
		m->src_fd = open(m->source, O_PATH | O_CLOEXEC);
		if (m->src_fd < 0 || fstat(m->src_fd, &st) < 0)
			child_die(sb, errno, "bind source `%s`", m->source);
		m->src_is_dir = S_ISDIR(st.st_mode);
	}
}

/* "lowerdir=/proc/self/fd/A:...,upperdir=...,workdir=..." into sb->ovl_opts. */
static void overlay_opts(struct sandbox *sb, char *out, size_t len, const char *top,
			 const char *upper, const char *work)
{
	size_t n = 0, nl = sb->spec->nlowerdirs;

	n += (size_t)snprintf(out + n, len - n, "lowerdir=");
	if (top)
		n += (size_t)snprintf(out + n, len - n, "%s:", top);
	for (size_t i = 0; i < nl && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", fdpath(sb->layer_fds[i]).s,
				      i + 1 < nl ? ":" : "");
	if (upper && n < len)
		n += (size_t)snprintf(out + n, len - n, ",upperdir=%s,workdir=%s", upper, work);
	/*
	 * Not real root: the layer store marked opaque directories with
	 * user.overlay.opaque (trusted.* is out of reach), and overlay in a
	 * user namespace can only read and write user.overlay.* anyway.
	 */
	if (sb->userns && n < len)
		n += (size_t)snprintf(out + n, len - n, ",userxattr");
	if (n >= len)
		child_die(sb, E2BIG, "overlay options");
}

static void mount_overlay(struct sandbox *sb, const char *target, const char *top,
			  const char *upper, const char *work)
{
	overlay_opts(sb, sb->ovl_opts, sb->ovl_opts_len, top, upper, work);
	if (mount("overlay", target, "overlay", sb->nodev ? MS_NODEV : 0, sb->ovl_opts) < 0)
		child_die(sb, errno, "mount the overlay rootfs");
}

/* The mount points missing from the rootfs that must be stubbed in it. */
static size_t missing_targets(const struct sandbox *sb, int root, struct runtime_mount_point *out)
{
	size_t n = 0;

	for (size_t i = 0; i < RUNTIME_MOUNT_POINTS; i++)
		if (!exists_in(root, runtime_mount_points[i].path))
			out[n++] = runtime_mount_points[i];
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct sbx_mount *m = &sb->mounts[i];

		if (under_mount(sb, i, m->target) || exists_in(root, m->target))
			continue;
		out[n].path = m->target;
		out[n].dir = m->type == RUNTIME_MOUNT_TMPFS || m->src_is_dir;
		n++;
	}
	return n;
}

static void base_path(const struct sandbox *sb, char *buf, size_t len, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", sb->base, name) >= len)
		child_die(sb, ENAMETOOLONG, "path under `%s`", sb->base);
}

static void base_mkdir(const struct sandbox *sb, const char *name)
{
	char p[128];

	base_path(sb, p, sizeof(p), name);
	if (mkdir(p, 0755) < 0)
		child_die(sb, errno, "mkdir `%s`", p);
}

/*
 * root holds a read-only probe of the layers (upper on top): create the
 * missing mount points in a stubs layer, then mount the writable root with
 * it on top (or without one when nothing is missing).
 */
static void add_stubs_layer(struct sandbox *sb, const char *root, const char *up, const char *wk)
{
	struct runtime_mount_point stubs[RUNTIME_MOUNT_POINTS + RT_MAX_MOUNTS];
	char merged[128], supper[128], swork[128];
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	size_t n;

	if (fd < 0)
		child_die(sb, errno, "open the rootfs");
	n = missing_targets(sb, fd, stubs);
	close(fd);
	/*
	 * The probe is read-only (the upper layer on top of the lowers): its
	 * unmount costs nothing, where unmounting a writable overlay syncs
	 * the upper layer's filesystem (~7 ms a step here).
	 */
	if (umount2(root, 0) < 0)
		child_die(sb, errno, "unmount the rootfs");
	if (!n) {
		mount_overlay(sb, root, NULL, up, wk);
		return;
	}
	base_mkdir(sb, "stubs");
	base_mkdir(sb, "stubs/upper");
	base_mkdir(sb, "stubs/work");
	base_mkdir(sb, "stubs/merged");
	base_path(sb, merged, sizeof(merged), "stubs/merged");
	base_path(sb, supper, sizeof(supper), "stubs/upper");
	base_path(sb, swork, sizeof(swork), "stubs/work");
	mount_overlay(sb, merged, NULL, supper, swork);
	fd = open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		child_die(sb, errno, "open the stubs layer");
	for (size_t i = 0; i < n; i++)
		mkpath_in(sb, fd, stubs[i].path, stubs[i].dir, false, "mount point");
	close(fd);
	if (umount2(merged, 0) < 0)
		child_die(sb, errno, "unmount the stubs layer");
	mount_overlay(sb, root, supper, up, wk);
}

/* Step 4: the root at <base>/root. */
static void setup_root(struct sandbox *sb, const char *root)
{
	size_t nl = sb->spec->nlowerdirs;
	char up[128], wk[128];

	if (sb->rootfs_fd >= 0) {
		int dst = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (dst < 0)
			child_die(sb, errno, "open `%s`", root);
		bind_fd(sb, sb->rootfs_fd, dst, sb->nodev ? MOUNT_ATTR_NODEV : 0, "the rootfs");
		close(dst);
		return;
	}
	if (sb->ephemeral_upper) {
		base_mkdir(sb, "upper");
		base_mkdir(sb, "work");
		base_path(sb, up, sizeof(up), "upper");
		base_path(sb, wk, sizeof(wk), "work");
		/* a throwaway upper may take stubs: they vanish with it */
		mount_overlay(sb, root, NULL, up, wk);
		return;
	}
	snprintf(up, sizeof(up), "%s", fdpath(sb->layer_fds[nl]).s);
	snprintf(wk, sizeof(wk), "%s", fdpath(sb->layer_fds[nl + 1]).s);
	if (sb->spec->mount_points_ready) { /* the caller's stubs are among the lowers */
		mount_overlay(sb, root, NULL, up, wk);
		return;
	}
	mount_overlay(sb, root, up, NULL, NULL); /* the read-only probe */
	add_stubs_layer(sb, root, up, wk);
}

static void mount_dev_nodes(const struct sandbox *sb, int dev)
{
	static const struct {
		const char *name;
		unsigned major, minor;
	} nodes[] = {{"null", 1, 3},   {"zero", 1, 5},	  {"full", 1, 7},
		     {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
	static const char *const links[][2] = {
		{"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
		{"pts/ptmx", "ptmx"},
	};

	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		char host[32];
		int src, dst;

		if (!sb->userns && !sb->nodev) {
			if (mknodat(dev, nodes[i].name, S_IFCHR | 0666,
				    makedev(nodes[i].major, nodes[i].minor)) < 0)
				child_die(sb, errno, "mknod /dev/%s", nodes[i].name);
			continue;
		}
		/* a user namespace cannot mknod, a nodev /dev cannot use them: bind the host's */
		snprintf(host, sizeof(host), "/dev/%s", nodes[i].name);
		src = open(host, O_PATH | O_CLOEXEC);
		dst = openat(dev, nodes[i].name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
		if (src < 0 || dst < 0)
			child_die(sb, errno, "create /dev/%s", nodes[i].name);
		bind_fd(sb, src, dst, 0, host);
		close(src);
		close(dst);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][0], dev, links[i][1]) < 0)
			child_die(sb, errno, "symlink /dev/%s", links[i][1]);
	if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0 ||
	    mkdirat(dev, "mqueue", 0755) < 0)
		child_die(sb, errno, "mkdir in /dev");
}

static void mount_dev(const struct sandbox *sb, int root)
{
	int fd = open_target(sb, root, "/dev", true, true, false);
	int dev;

	/* without a device cgroup, a node made in /dev (CAP_MKNOD) must be inert too */
	do_mount(sb, "tmpfs", fd, "tmpfs", MS_NOSUID | MS_STRICTATIME | (sb->nodev ? MS_NODEV : 0),
		 "mode=755,size=65536k", "/dev");
	close(fd);
	dev = open_in(root, "/dev", O_PATH | O_DIRECTORY, CB_ROOT_NO_SYMLINKS);
	if (dev < 0)
		child_die(sb, errno, "open /dev");
	mount_dev_nodes(sb, dev);
	fd = open_in(dev, "pts", O_PATH | O_DIRECTORY, CB_ROOT_NO_SYMLINKS);
	/* gid 5 is "tty" in every distribution; an unmapped gid (rootless) is refused */
	if (mount("devpts", fdpath(fd).s, "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0)
		do_mount(sb, "devpts", fd, "devpts", MS_NOSUID | MS_NOEXEC,
			 "newinstance,ptmxmode=0666,mode=0620", "/dev/pts");
	close(fd);
	fd = open_in(dev, "shm", O_PATH | O_DIRECTORY, CB_ROOT_NO_SYMLINKS);
	do_mount(sb, "shm", fd, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k",
		 "/dev/shm");
	close(fd);
	fd = open_in(dev, "mqueue", O_PATH | O_DIRECTORY, CB_ROOT_NO_SYMLINKS);
	do_mount(sb, "mqueue", fd, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "/dev/mqueue");
	close(fd);
	close(dev);
}

/*
 * v1: what runc gives a container, for tools that read their limits there
 * (JVMs, Go's automaxprocs, `nproc`-like scripts): a tmpfs at
 * /sys/fs/cgroup holding each hierarchy's step cgroup, bound read-only
 * under the host's name ("memory", "cpu,cpuacct" plus "cpu" and "cpuacct"
 * links).  The cgroup namespace makes each one's root "/" in
 * /proc/self/cgroup and mountinfo alike.
 */
static void mount_cgroup_v1(const struct sandbox *sb, int root)
{
	const uint64_t ro =
		MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	struct mount_attr attr = {.attr_set = ro};
	int fd = open_in(root, "/sys/fs/cgroup", O_PATH | O_DIRECTORY, CB_ROOT_NO_SYMLINKS);
	int dir;

	if (fd < 0)
		child_die(sb, errno, "open /sys/fs/cgroup");
	do_mount(sb, "tmpfs", fd, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k",
		 "/sys/fs/cgroup");
	close(fd);
	dir = open_in(root, "/sys/fs/cgroup", O_RDONLY | O_DIRECTORY, CB_ROOT_NO_SYMLINKS);
	if (dir < 0)
		child_die(sb, errno, "open /sys/fs/cgroup");
	for (size_t i = 0; i < sb->ncg1; i++) {
		const char *name = sb->cg1_names[i];
		int src = open(sb->cg1_dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		int dst;

		if (src < 0)
			child_die(sb, errno, "open cgroup `%s`", sb->cg1_dirs[i]);
		if (mkdirat(dir, name, 0755) < 0)
			child_die(sb, errno, "mkdir /sys/fs/cgroup/%s", name);
		dst = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dst < 0)
			child_die(sb, errno, "open /sys/fs/cgroup/%s", name);
		bind_fd(sb, src, dst, ro, "a cgroup hierarchy");
		close(src);
		close(dst);
		/* "cpu,cpuacct": links named after each controller, as hosts have */
		if (strchr(name, ',')) {
			char one[64];

			for (const char *p = name; *p;) {
				size_t len = strcspn(p, ",");

				if (len && len < sizeof(one)) {
					memcpy(one, p, len);
					one[len] = '\0';
					if (symlinkat(name, dir, one) < 0 && errno != EEXIST)
						child_die(sb, errno, "symlink /sys/fs/cgroup/%s",
							  one);
				}
				p += len;
				p += *p == ',';
			}
		}
	}
	if (mount_setattr(dir, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		child_die(sb, errno, "make /sys/fs/cgroup read-only");
	close(dir);
}

static void mount_proc_sys(const struct sandbox *sb, int root)
{
	int fd = open_target(sb, root, "/proc", true, true, false);

	do_mount(sb, "proc", fd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "/proc");
	close(fd);
	fd = open_target(sb, root, "/sys", true, true, false);
	if (!sb->userns || sb->spec->network != RUNTIME_NETWORK_HOST) {
		do_mount(sb, "sysfs", fd, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
			 NULL, "/sys");
	} else {
		/* sysfs needs a network namespace of our own user namespace: bind the host's */
		int host = open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (host < 0)
			child_die(sb, errno, "open /sys");
		bind_fd(sb, host, fd,
			MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				MOUNT_ATTR_NOEXEC,
			"/sys");
		close(host);
	}
	close(fd);
	if (sb->ncg1)
		mount_cgroup_v1(sb, root);
	if (sb->mount_cgroup2) {
		fd = open_in(root, "/sys/fs/cgroup", O_PATH | O_DIRECTORY, CB_ROOT_NO_SYMLINKS);
		if (fd < 0)
			child_die(sb, errno, "open /sys/fs/cgroup");
		do_mount(sb, "cgroup2", fd, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
			 NULL, "/sys/fs/cgroup");
		close(fd);
	}
}

static void mount_etc_files(const struct sandbox *sb, int root, int base)
{
	const char *const names[] = {"hosts", "resolv.conf", "hostname"};
	const char *const content[] = {sb->etc_hosts, sb->etc_resolv, sb->etc_hostname};

	for (size_t i = 0; i < 3; i++) {
		char target[32];
		size_t len = strlen(content[i]);
		int src = openat(base, names[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		int dst;

		if (src < 0 || write(src, content[i], len) != (ssize_t)len)
			child_die(sb, errno, "write /etc/%s", names[i]);
		close(src);
		snprintf(target, sizeof(target), "/etc/%s", names[i]);
		dst = open_target(sb, root, target, false, false, true);
		if (dst < 0)
			continue; /* a dangling symlink or a directory: leave it alone */
		src = openat(base, names[i], O_PATH | O_CLOEXEC);
		if (src < 0)
			child_die(sb, errno, "open /etc/%s", names[i]);
		/* a build step's hosts and resolv.conf are read-only, as BuildKit's */
		bind_fd(sb, src, dst, sb->spec->etc_readonly && i < 2 ? MOUNT_ATTR_RDONLY : 0,
			target);
		close(src);
		close(dst);
	}
}

static void mount_extras(const struct sandbox *sb, int root)
{
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct sbx_mount *m = &sb->mounts[i];
		bool dir = m->type == RUNTIME_MOUNT_TMPFS || m->src_is_dir;
		int fd = open_target(sb, root, m->target, dir, false, false);

		if (m->type == RUNTIME_MOUNT_TMPFS)
			do_mount(sb, "tmpfs", fd, "tmpfs",
				 MS_NOSUID | MS_NODEV | (m->readonly ? MS_RDONLY : 0), m->data,
				 m->target);
		else
			bind_fd(sb, m->src_fd, fd,
				(m->readonly ? MOUNT_ATTR_RDONLY : 0) |
					(sb->nodev ? MOUNT_ATTR_NODEV : 0),
				m->target);
		close(fd);
	}
}

/* Docker's masked paths (empty and read-only) and read-only paths. */
static void restrict_paths(const struct sandbox *sb, int root)
{
	static const char *const masked[] = {
		"/proc/asound",	    "/proc/acpi",	 "/proc/interrupts",
		"/proc/kcore",	    "/proc/keys",	 "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi",	    "/sys/firmware",	 "/sys/devices/virtual/powercap",
	};
	static const char *const readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
					       "/proc/sysrq-trigger"};
	const uint64_t ro =
		MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	int null = open_in(root, "/dev/null", O_PATH, CB_ROOT_NO_SYMLINKS);

	if (null < 0)
		child_die(sb, errno, "open /dev/null");
	for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
		int fd = open_in(root, masked[i], O_PATH | O_NOFOLLOW, CB_ROOT_NO_SYMLINKS);
		struct stat st;

		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0 || fstat(fd, &st) < 0)
			child_die(sb, errno, "mask `%s`", masked[i]);
		if (S_ISDIR(st.st_mode))
			do_mount(sb, "tmpfs", fd, "tmpfs",
				 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, masked[i]);
		else
			bind_fd(sb, null, fd, 0, masked[i]);
		close(fd);
	}
	for (size_t i = 0; i < sizeof(readonly) / sizeof(readonly[0]); i++) {
		int fd = open_in(root, readonly[i], O_PATH | O_NOFOLLOW, CB_ROOT_NO_SYMLINKS);

		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			child_die(sb, errno, "open `%s`", readonly[i]);
		bind_fd(sb, fd, fd, ro, readonly[i]);
		close(fd);
	}
	close(null);
}

static void pivot(const struct sandbox *sb, int root)
{
	if (fchdir(root) < 0)
		child_die(sb, errno, "chdir to the new root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		child_die(sb, errno, "pivot_root");
	/* the old root is stacked on "."; detach it, and the base tmpfs with it */
	if (umount2(".", MNT_DETACH) < 0)
		child_die(sb, errno, "unmount the old root");
	if (chdir("/") < 0)
		child_die(sb, errno, "chdir /");
	/*
	 * A missing working directory is created as Docker creates one (mkdir
	 * -p, 0755 with umask 0 here, owned by the sandbox's root), in the view
	 * the step will see: after every mount, so a cwd under a bind mount is
	 * made there, as runc does; with an overlay it lands in the upper layer
	 * (the throwaway one of `cbuild run`); before the root turns read-only,
	 * as Docker makes it before starting the container.
	 */
	if (sb->spec->create_cwd && sb->spec->cwd && *sb->spec->cwd &&
	    !exists_in(root, sb->spec->cwd))
		mkpath_in(sb, root, sb->spec->cwd, true, false, "working directory");
	if (sb->spec->readonly_rootfs) {
		struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};

		if (mount_setattr(AT_FDCWD, "/", 0, &a, sizeof(a)) < 0)
			child_die(sb, errno, "make the rootfs read-only");
	}
}

void mounts_setup(struct sandbox *sb)
{
	char root[128];
	int root_fd, base_fd;

	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		child_die(sb, errno, "make / a slave mount");
	open_host_paths(sb);
	if (mount("tmpfs", sb->base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
		child_die(sb, errno, "mount a tmpfs on `%s`", sb->base);
	base_mkdir(sb, "root");
	base_path(sb, root, sizeof(root), "root");
	setup_root(sb, root);
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	base_fd = open(sb->base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0 || base_fd < 0)
		child_die(sb, errno, "open the new root");
	mount_proc_sys(sb, root_fd);
	mount_dev(sb, root_fd);
	mount_etc_files(sb, root_fd, base_fd);
	mount_extras(sb, root_fd);
	restrict_paths(sb, root_fd);
	pivot(sb, root_fd);
	close(root_fd);
	close(base_fd);
}
