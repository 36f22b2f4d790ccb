/*
 * copy-write.c - a COPY's tree (step-copy.c): the plan's items written into
 * a fresh directory, parents copied up from the rootfs, on two threads when
 * the plan is big.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

/* ------------------------------------------------------------------------ */
/* Writing the tree                                                          */
/* ------------------------------------------------------------------------ */

/*
 * Open (creating as needed) the directory abs inside the tree at tfd,
 * never following a symlink; missing directories are recreated from the
 * stage's rootfs (copy-up) or made new (0755, --chown owner).
 */
int copy_tree_mkdir_p(struct copy_op *op, int tfd, const char *abs, struct cb_error **err)
{
	cleanup_free char *path = xstrdup(abs);
	struct cb_strbuf cur = CB_STRBUF_INIT;
	int fd = fcntl(tfd, F_DUPFD_CLOEXEC, 3);
	char *save = NULL;

	if (fd < 0)
		return cb_error_set(err, errno, "dup");
	for (char *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		int next;

		cb_strbuf_addf(&cur, "/%s", t);
		next = openat(fd, t, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			struct stackfs_entry e;
			int r = stackfs_lookup(&op->dest, cur.buf, false, &e, err);
			mode_t mode = 0755;
			uid_t uid = op->chown ? op->uid : 0;
			gid_t gid = op->chown ? op->gid : 0;
			struct timespec ts[2] = {op->now, op->now};

			if (r < 0)
				goto fail;
			if (r > 0) {
				if (!S_ISDIR(e.st.st_mode)) {
					cb_error_set(err, ENOTDIR, "cannot copy to `%s`", cur.buf);
					stackfs_entry_release(&e);
					goto fail;
				}
				mode = e.st.st_mode & 07777;
				uid = e.st.st_uid;
				gid = e.st.st_gid;
				ts[0] = ts[1] = e.st.st_mtim;
				cb_strvec_pushf(&op->copied_up, "%lld.%09ld %s",
						(long long)e.st.st_mtim.tv_sec,
						e.st.st_mtim.tv_nsec, cur.buf);
				stackfs_entry_release(&e);
			}
			if (mkdirat(fd, t, 0700) < 0 && errno != EEXIST) {
				cb_error_set(err, errno, "mkdir `%s`", cur.buf);
				goto fail;
			}
			next = openat(fd, t, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0 && (fchown(next, uid, gid) < 0 || fchmod(next, mode) < 0 ||
					  futimens(next, ts) < 0)) {
				cb_error_set(err, errno, "set up `%s`", cur.buf);
				close(next);
				goto fail;
			}
		}
		if (next < 0) {
			cb_error_set(err, errno == ELOOP ? ENOTDIR : errno,
				     "open `%s` in the layer", cur.buf);
			goto fail;
		}
		close(fd);
		fd = next;
	}
	cb_strbuf_release(&cur);
	return fd;
fail:
	cb_strbuf_release(&cur);
	close(fd);
	return -1;
}

/* Copy in to out through a buffer, hashing the bytes on the way when h is set. */
static int copy_loop(int in, int out, const char *what, struct cb_sha256 *h, struct cb_error **err)
{
	static __thread char buf[1 << 17];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cb_error_set(err, errno, "read `%s`", what);
		if (n == 0)
			return 0;
		if (h)
			cb_sha256_update(h, buf, (size_t)n);
		if (cb_write_all(out, buf, (size_t)n, err) < 0)
			return -1;
	}
}

/* Copy in to out in the kernel where it can, else through a buffer. */
static int copy_data(int in, int out, const char *what, struct cb_error **err)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1u << 30, 0);

		if (n > 0)
			continue;
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return cb_error_set(err, errno, "copy `%s`", what);
		return copy_loop(in, out, what, NULL, err);
	}
}

/* Remove what the tree has at name (an earlier source's file), unless a directory to merge. */
static int clear_slot(int dfd, const char *name, bool want_dir, struct cb_error **err)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cb_error_set(err, errno, "stat `%s`", name);
	if (S_ISDIR(st.st_mode)) {
		if (want_dir)
			return 1;
		return cb_rm_rf(dfd, name, err) < 0 ? -1 : 2;
	}
	if (unlinkat(dfd, name, 0) < 0)
		return cb_error_set(err, errno, "replace `%s`", name);
	return 0;
}

/*
 * The tree directory for parent, borrowed (op keeps it open until another
 * is asked for): the last one is kept, as items come in walk order.
 */
static int parent_fd(struct copy_op *op, int tfd, const char *parent, struct cb_error **err)
{
	if (op->pfd >= 0 && op->pdir && !strcmp(op->pdir, parent))
		return op->pfd;
	if (op->pfd >= 0)
		close(op->pfd);
	free(op->pdir);
	op->pdir = NULL;
	op->pfd = copy_tree_mkdir_p(op, tfd, parent, err);
	if (op->pfd < 0)
		return -1;
	op->pdir = xstrdup(parent);
	return op->pfd;
}

/* A digest computed during the copy goes into the stat cache if the file did not change. */
static void remember_digest(struct copy_op *op, const struct copy_item *it, int fd)
{
	struct stat st;
	struct stat_cache *sc;

	if (!op->from_context || fstat(fd, &st) < 0 || st.st_size != it->entry.st.st_size ||
	    st.st_mtim.tv_sec != it->entry.st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != it->entry.st.st_mtim.tv_nsec ||
	    st.st_ctim.tv_sec != it->entry.st.st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != it->entry.st.st_ctim.tv_nsec)
		return;
	sc = copy_context_stats(op);
	pthread_mutex_lock(&op->b->mu);
	stat_cache_set(sc, it->entry.path, &it->entry.st, &it->digest);
	pthread_mutex_unlock(&op->b->mu);
}

static int write_item(struct copy_op *op, int tfd, struct copy_item *it, struct cb_error **err)
{
	cleanup_free char *parent = cb_dirname(it->dst);
	const char *name = cb_basename(it->dst);
	cleanup_close int adfd = -1;
	cleanup_close int out = -1;
	struct timespec ts[2] = {it->mtime, it->mtime};
	int dfd, r;

	if (it->kind == ITEM_ARCHIVE) {
		struct layer_apply_opts ao = LAYER_APPLY_OPTS_INIT;
		cleanup_close int in = stackfs_open_entry(it->src, &it->entry, O_RDONLY, err);
		struct cb_digest ignored;

		ao.overlay = false;
		ao.any_compression = true;
		if (op->pfd >= 0) { /* the archive may replace what the cached dir is in */
			close(op->pfd);
			op->pfd = -1;
			free(op->pdir);
			op->pdir = NULL;
		}
		adfd = in < 0 ? -1 : copy_tree_mkdir_p(op, tfd, it->dst, err);
		if (adfd < 0 || layer_apply(adfd, in, &ao, &ignored, err) < 0)
			return cb_error_wrap(err, "extract `%s`", it->entry.path);
		return 0;
	}
	if (!strcmp(it->dst, "/")) { /* contents into the root: nothing to make */
		return 0;
	}
	dfd = parent_fd(op, tfd, parent, err);
	if (dfd < 0)
		return -1;
	/*
	 * Unchanged since the last build: linked from its immutable snapshot
	 * (reuse.c).  Tried first: the slot is nearly always free, and a link
	 * onto a taken one fails (then the slot is cleared and the file copied).
	 */
	if (it->kind == ITEM_FILE && it->hashed && op->reuse &&
	    copy_reuse_link(op->reuse, it->dst, &it->digest, it->entry.st.st_size, it->mode,
			    it->uid, it->gid, &it->mtime, dfd, name) > 0) {
		if (op->remember)
			copy_reuse_list_add(&op->reuse_list, it->dst, &it->digest);
		return 0;
	}
	r = clear_slot(dfd, name, it->kind == ITEM_DIR, err);
	if (r < 0)
		return -1;
	if (r == 2) { /* a directory went: the cached one may be below it (dfd stays open) */
		free(op->pdir);
		op->pdir = NULL;
	}
	switch (it->kind) {
	case ITEM_DIR:
		if (r == 1)
			return 0; /* made already: merge into it */
		if (it->keep_existing) {
			struct stackfs_entry e;
			int x = stackfs_lookup(&op->dest, it->dst, false, &e, err);

			if (x < 0)
				return -1;
			if (x > 0) {
				bool d = S_ISDIR(e.st.st_mode);

				stackfs_entry_release(&e);
				if (d) { /* copied up with its own metadata */
					out = copy_tree_mkdir_p(op, tfd, it->dst, err);
					return out < 0 ? -1 : 0;
				}
			}
		}
		if (mkdirat(dfd, name, 0700) < 0)
			return cb_error_set(err, errno, "mkdir `%s`", it->dst);
		out = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		break;
	case ITEM_LINK:
		if (symlinkat(it->link, dfd, name) < 0 ||
		    fchownat(dfd, name, it->uid, it->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return cb_error_set(err, errno, "symlink `%s`", it->dst);
		return 0;
	case ITEM_ARCHIVE: /* handled above */
	case ITEM_FILE:
	case ITEM_DATA:
		if (it->kind == ITEM_FILE && it->hashed && op->remember)
			copy_reuse_list_add(&op->reuse_list, it->dst, &it->digest);
		out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0)
			return cb_error_set(err, errno, "create `%s`", it->dst);
		if (it->kind == ITEM_DATA) {
			if (cb_write_all(out, it->data, strlen(it->data), err) < 0)
				return -1;
		} else {
			cleanup_close int in =
				stackfs_open_entry(it->src, &it->entry, O_RDONLY, err);

			if (in < 0)
				return -1;
			if (!it->hashed) {
				struct cb_sha256 h;
				int rc;

				cb_sha256_init(&h);
				rc = copy_loop(in, out, it->entry.path, &h, err);
				cb_sha256_final(&h, &it->digest);
				cb_sha256_release(&h);
				if (rc < 0)
					return -1;
				it->hashed = true;
				remember_digest(op, it, in);
				if (it->kind == ITEM_FILE && op->remember)
					copy_reuse_list_add(&op->reuse_list, it->dst, &it->digest);
			} else if (copy_data(in, out, it->entry.path, err) < 0) {
				return -1;
			}
		}
		break;
	}
	if (out < 0)
		return cb_error_set(err, errno, "open `%s`", it->dst);
	/* owner first: chown clears the set-id bits */
	if (fchown(out, it->uid, it->gid) < 0 || fchmod(out, it->mode) < 0 || futimens(out, ts) < 0)
		return cb_error_set(err, errno, "set up `%s`", it->dst);
	return 0;
}

/* Directory times last: writing their children changed them. */
static int fix_dir_times(struct copy_op *op, int tfd, struct cb_error **err)
{
	for (size_t i = op->plan.n; i-- > 0;) {
		const struct copy_item *it = &op->plan.items[i];
		struct timespec ts[2] = {it->mtime, it->mtime};
		const char *rel = it->dst + 1;

		if (it->kind != ITEM_DIR || !*rel || it->keep_existing)
			continue;
		if (utimensat(tfd, rel, ts, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
			return cb_error_set(err, errno, "set times of `%s`", it->dst);
	}
	return 0;
}

/*
 * A directory copied up from the rootfs keeps its mtime unless the step
 * created something directly in it (overlayfs and BuildKit's layers agree).
 */
static int restore_copied_up(struct copy_op *op, int tfd, struct cb_error **err)
{
	for (size_t i = 0; i < op->copied_up.n; i++) {
		char *sp = strchr(op->copied_up.v[i], ' ');
		const char *path = sp + 1;
		struct timespec ts[2];
		bool touched = false;
		long long sec = 0;
		long nsec = 0;

		sscanf(op->copied_up.v[i], "%lld.%ld", &sec, &nsec);
		for (size_t k = 0; k < op->plan.n && !touched; k++) {
			const struct copy_item *it = &op->plan.items[k];
			cleanup_free char *parent = cb_dirname(it->dst);

			touched = !strcmp(parent, path) ||
				  (it->kind == ITEM_ARCHIVE && !strcmp(it->dst, path)) ||
				  (it->kind == ITEM_DIR && it->keep_existing &&
				   !strcmp(it->dst, path));
		}
		if (touched)
			continue;
		ts[0].tv_sec = ts[1].tv_sec = (time_t)sec;
		ts[0].tv_nsec = ts[1].tv_nsec = nsec;
		if (utimensat(tfd, path + 1, ts, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
			return cb_error_set(err, errno, "set times of `%s`", path);
	}
	return 0;
}

bool copy_plan_has_archive(const struct copy_op *op)
{
	for (size_t i = 0; i < op->plan.n; i++)
		if (op->plan.items[i].kind == ITEM_ARCHIVE)
			return true;
	return false;
}

/*
 * Writing a big tree on two cores.  The plan is in walk order (a directory
 * before what it holds, a directory's subtree contiguous), cut in two runs
 * of about equal work at item k; each run is written by a thread in its
 * own order, so parents come before children, with its own copy of the
 * op's per-writer state (the cached parent directory, the directories
 * recreated from the rootfs, the reuse lookup and list), merged back
 * after.  The only parents the second run needs from the first are the
 * directories containing item k (a later item whose parent comes before k
 * is in that parent's subtree, which spans k): those are made first.
 * Only when no two items share a destination (so their order does not
 * matter) and no archive is extracted (it may replace anything).
 */
#define PARALLEL_MIN_ITEMS 512
#define PARALLEL_MIN_BYTES (32u << 20)
#define DIR_WORK 16384 /* a mkdir weighs like this many bytes copied */
#define LINK_WORK 6144 /* a link from the last result (a stat and a link) */

struct tree_writer {
	struct copy_op op; /* a shallow copy: shared members are the real op's */
	int tfd;
	size_t from, to;
	const bool *done; /* items written before the threads started */
	struct cb_error *err;
	pthread_t thread;
};

static int cmp_dst(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An item's weight in the split: bytes copied, a mkdir, or a link from the last result. */
static uint64_t item_work(const struct copy_op *op, const struct copy_item *it)
{
	if (it->kind == ITEM_FILE && it->hashed && copy_reuse_has(op->reuse, it->dst, &it->digest))
		return LINK_WORK;
	return it->kind == ITEM_FILE  ? (uint64_t)it->entry.st.st_size + 4096
	       : it->kind == ITEM_DIR ? DIR_WORK
				      : 4096;
}

/* The plan can be written in parallel (see above), and is big enough to gain from it. */
static bool parallel_ok(const struct copy_op *op, uint64_t *work)
{
	cleanup_free const char **dsts = NULL;
	uint64_t bytes = 0;
	bool ok = true;

	*work = 0;
	if (op->plan.n < PARALLEL_MIN_ITEMS || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return false;
	dsts = xcalloc(op->plan.n, sizeof(*dsts));
	for (size_t i = 0; i < op->plan.n; i++) {
		const struct copy_item *it = &op->plan.items[i];

		if (it->kind == ITEM_ARCHIVE || !strcmp(it->dst, "/"))
			return false;
		dsts[i] = it->dst;
		if (it->kind == ITEM_FILE)
			bytes += (uint64_t)it->entry.st.st_size;
		*work += item_work(op, it);
	}
	if (bytes < PARALLEL_MIN_BYTES)
		return false;
	qsort(dsts, op->plan.n, sizeof(*dsts), cmp_dst);
	for (size_t i = 1; i < op->plan.n && ok; i++)
		ok = strcmp(dsts[i - 1], dsts[i]) != 0;
	return ok;
}

static void *tree_worker_main(void *arg)
{
	struct tree_writer *w = arg;

	for (size_t i = w->from; i < w->to; i++) {
		struct copy_item *it = &w->op.plan.items[i];

		if (!w->done[i] && write_item(&w->op, w->tfd, it, &w->err) < 0)
			break;
	}
	return NULL;
}

/* dir is a proper ancestor of path ("/a" of "/a/b/c"). */
static bool is_ancestor(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	return !strncmp(dir, path, n) && path[n] == '/';
}

static int write_parallel(struct copy_op *op, int tfd, uint64_t work, struct cb_error **err)
{
	cleanup_free bool *done = xcalloc(op->plan.n, sizeof(*done));
	struct tree_writer w[2];
	uint64_t sum = 0;
	size_t k = op->plan.n;
	int ret = 0;

	for (size_t i = 0; i < op->plan.n && k == op->plan.n; i++) {
		sum += item_work(op, &op->plan.items[i]);
		if (sum >= work / 2)
			k = i + 1;
	}
	if (k >= op->plan.n)
		k = op->plan.n - 1;
	/* the directories holding item k: the second run's only parents in the first */
	for (size_t i = 0; i < k; i++) {
		struct copy_item *it = &op->plan.items[i];

		if (it->kind == ITEM_DIR && is_ancestor(it->dst, op->plan.items[k].dst)) {
			if (write_item(op, tfd, it, err) < 0)
				return -1;
			done[i] = true;
		}
	}
	for (int t = 0; t < 2; t++) {
		w[t].op = *op;
		w[t].op.pfd = -1;
		w[t].op.pdir = NULL;
		memset(&w[t].op.copied_up, 0, sizeof(w[t].op.copied_up));
		memset(&w[t].op.reuse_list, 0, sizeof(w[t].op.reuse_list));
		w[t].op.reuse = copy_reuse_dup(op->reuse);
		w[t].tfd = tfd;
		w[t].from = t ? k : 0;
		w[t].to = t ? op->plan.n : k;
		w[t].done = done;
		w[t].err = NULL;
	}
	if (pthread_create(&w[1].thread, NULL, tree_worker_main, &w[1]) != 0) {
		w[0].to = op->plan.n; /* no second thread: this one writes it all */
		w[1].from = w[1].to;
	}
	tree_worker_main(&w[0]);
	if (w[1].from < w[1].to)
		pthread_join(w[1].thread, NULL);
	for (int t = 0; t < 2; t++) {
		for (size_t i = 0; i < w[t].op.copied_up.n; i++)
			cb_strvec_push(&op->copied_up, w[t].op.copied_up.v[i]);
		cb_strvec_clear(&w[t].op.copied_up);
		copy_reuse_list_merge(&op->reuse_list, &w[t].op.reuse_list);
		copy_reuse_close(w[t].op.reuse);
		if (w[t].op.pfd >= 0)
			close(w[t].op.pfd);
		free(w[t].op.pdir);
		if (w[t].err && !ret) {
			*err = steal_pointer(&w[t].err);
			ret = -1;
		}
		cb_error_free(&w[t].err);
	}
	return ret;
}

int copy_write_tree(struct copy_op *op, const char *tree, struct cb_error **err)
{
	cleanup_close int tfd = -1;
	uint64_t work;

	if (mkdir(tree, 0755) < 0)
		return cb_error_set(err, errno, "create `%s`", tree);
	tfd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return cb_error_set(err, errno, "open `%s`", tree);
	if (parallel_ok(op, &work)) {
		if (write_parallel(op, tfd, work, err) < 0)
			return -1;
	} else {
		for (size_t i = 0; i < op->plan.n; i++)
			if (write_item(op, tfd, &op->plan.items[i], err) < 0)
				return -1;
	}
	if (fix_dir_times(op, tfd, err) < 0)
		return -1;
	return restore_copied_up(op, tfd, err);
}
