/*
 * store.c - the store's root and layout, its lock, the leases of open
 * handles, and the cleanup of what crashed processes left in tmp/.
 *
 * Why leases are files held with flock: a lock dies with its process, so
 * prune and the next open can tell a live handle (lock held) from a dead one
 * (lock free, or file gone) without trusting PIDs, which get reused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "store-internal.h"
#include "xalloc.h"

/* <root>/layout names the on-disk format, so a future cbuild can migrate it. */
#define STORE_LAYOUT "cbuild-store-v1\n"

/* ------------------------------------------------------------------------ */
/* Digest sets                                                               */
/* ------------------------------------------------------------------------ */

static uint64_t digest_hash(const struct cb_digest *d)
{
	const char *hex = cb_digest_hex(d);
	uint64_t h = 0;

	for (int i = 0; i < 16; i++)
		h = (h << 4) | (uint64_t)(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
	return h;
}

void digest_set_init(struct digest_set *set)
{
	set->slots = NULL;
	set->n = set->cap = 0;
}

void digest_set_release(struct digest_set *set)
{
	free(set->slots);
	digest_set_init(set);
}

static struct cb_digest *digest_set_slot(const struct digest_set *set, const struct cb_digest *d)
{
	size_t i = (size_t)digest_hash(d) & (set->cap - 1);

	while (set->slots[i].str[0] && !cb_digest_equal(&set->slots[i], d))
		i = (i + 1) & (set->cap - 1);
	return &set->slots[i];
}

bool digest_set_has(const struct digest_set *set, const struct cb_digest *d)
{
	return set->cap && digest_set_slot(set, d)->str[0];
}

bool digest_set_add(struct digest_set *set, const struct cb_digest *d)
{
	struct cb_digest *slot;

	if ((set->n + 1) * 2 > set->cap) {
		struct digest_set bigger = {xcalloc(set->cap ? set->cap * 2 : 64, sizeof(*d)), 0,
					    set->cap ? set->cap * 2 : 64};

		for (size_t i = 0; i < set->cap; i++)
			if (set->slots[i].str[0])
				*digest_set_slot(&bigger, &set->slots[i]) = set->slots[i];
		bigger.n = set->n;
		free(set->slots);
		*set = bigger;
	}
	slot = digest_set_slot(set, d);
	if (slot->str[0])
		return false;
	*slot = *d;
	set->n++;
	return true;
}

/* ------------------------------------------------------------------------ */
/* Paths, temp names                                                         */
/* ------------------------------------------------------------------------ */

void store_blob_path(const struct cb_digest *d, char out[STORE_PATH_MAX])
{
	snprintf(out, STORE_PATH_MAX, "blobs/sha256/%s", cb_digest_hex(d));
}

void store_snapshot_path(const struct cb_digest *d, char out[STORE_PATH_MAX])
{
	snprintf(out, STORE_PATH_MAX, "snapshots/%s", cb_digest_hex(d));
}

char *store_tmp_name(struct layer_store *s, const char *kind)
{
	return xasprintf("tmp/%s.%lu.%s", s->lease_id, ++s->tmp_seq, kind);
}

int store_fsync_dir(struct layer_store *s, const char *dir, struct cb_error **err)
{
	cleanup_close int fd = store_openat(s, dir, O_RDONLY | O_DIRECTORY, 0);

	if (fd < 0)
		return store_path_error(s, err, errno, "open", dir);
	if (fsync(fd) < 0)
		return cb_error_set(err, errno, "fsync `%s/%s`", s->root, dir);
	return 0;
}

int store_write_file(struct layer_store *s, const char *path, const void *data, size_t len,
		     bool durable, struct cb_error **err)
{
	cleanup_free char *tmp = store_tmp_name(s, "file");
	cleanup_free char *dir = cb_dirname(path);
	cleanup_close int fd = store_openat(s, tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);

	if (fd < 0)
		return store_path_error(s, err, errno, "create", tmp);
	if (cb_write_all(fd, data, len, err) < 0) {
		store_unlink(s, tmp, 0);
		return cb_error_wrap(err, "write `%s/%s`", s->root, tmp);
	}
	if ((durable && fsync(fd) < 0) || store_rename(s, tmp, path, 0) < 0) {
		int saved = errno;

		store_unlink(s, tmp, 0);
		return store_path_error(s, err, saved, "replace", path);
	}
	return durable ? store_fsync_dir(s, dir, err) : 0;
}

int store_write_atomic(struct layer_store *s, const char *path, const void *data, size_t len,
		       struct cb_error **err)
{
	return store_write_file(s, path, data, len, true, err);
}

int store_open_regular(struct layer_store *s, const char *path, bool missing_ok, int *fd,
		       struct cb_error **err)
{
	cleanup_close int f = store_openat(s, path, O_RDONLY | O_NONBLOCK, 0);
	struct stat st;

	if (f < 0) {
		if (errno == ELOOP || (missing_ok && (errno == ENOENT || errno == ENOTDIR)))
			return 0;
		return store_path_error(s, err, errno, "open", path);
	}
	if (fstat(f, &st) < 0)
		return cb_error_set(err, errno, "stat `%s/%s`", s->root, path);
	if (!S_ISREG(st.st_mode))
		return 0;
	*fd = steal_fd(&f);
	return 1;
}

/* ------------------------------------------------------------------------ */
/* The store lock                                                            */
/* ------------------------------------------------------------------------ */

int store_lock(struct layer_store *s, enum store_lock_mode mode, struct cb_error **err)
{
	bool ex = mode == STORE_LOCK_EXCLUSIVE;

	if (s->lock_depth > 0) {
		if (ex && !s->lock_exclusive)
			return cb_error_set(err, 0,
					    "store lock: held shared, cannot take it exclusive");
		s->lock_depth++;
		return 0;
	}
	while (flock(s->lock_fd, ex ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR)
			return cb_error_set(err, errno, "lock `%s/lock`", s->root);
	}
	s->lock_depth = 1;
	s->lock_exclusive = ex;
	return 0;
}

void store_unlock(struct layer_store *s)
{
	if (s->lock_depth > 0 && --s->lock_depth == 0) {
		flock(s->lock_fd, LOCK_UN);
		s->lock_exclusive = false;
	}
}

/* ------------------------------------------------------------------------ */
/* Leases                                                                    */
/* ------------------------------------------------------------------------ */

static bool lease_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n < STORE_LEASE_ID_MAX && strspn(id, "0123456789abcdef-") == n;
}

static void make_lease_id(char out[STORE_LEASE_ID_MAX])
{
	uint64_t r = 0;

	/* A failing getrandom only costs uniqueness across PID reuse; mix in the time. */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r ^= (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec;
	}
	snprintf(out, STORE_LEASE_ID_MAX, "%ld-%016llx", (long)getpid(), (unsigned long long)r);
}

static int lease_create(struct layer_store *s, struct cb_error **err)
{
	char path[STORE_PATH_MAX];

	make_lease_id(s->lease_id);
	snprintf(path, sizeof(path), "leases/%s", s->lease_id);
	/* Under the shared store lock: a cleaner (exclusive) never sees it unlocked. */
	if (store_lock(s, STORE_LOCK_SHARED, err) < 0)
		return -1;
	s->lease_fd = store_openat(s, path, O_RDWR | O_CREAT | O_EXCL | O_APPEND, 0600);
	if (s->lease_fd < 0) {
		int saved = errno;

		store_unlock(s);
		return store_path_error(s, err, saved, "create lease", path);
	}
	if (flock(s->lease_fd, LOCK_EX | LOCK_NB) < 0) {
		int saved = errno;

		store_unlock(s);
		return cb_error_set(err, saved, "lock lease `%s/%s`", s->root, path);
	}
	store_unlock(s);
	return 0;
}

int store_lease_locked(struct layer_store *s, const struct cb_digest *d, struct cb_error **err)
{
	char line[CB_DIGEST_LEN + 2];

	if (digest_set_has(&s->leased, d))
		return 0;
	snprintf(line, sizeof(line), "%s\n", d->str);
	/* One O_APPEND write per line: a reader never sees half a digest. */
	if (cb_write_all(s->lease_fd, line, CB_DIGEST_LEN + 1, err) < 0)
		return cb_error_wrap(err, "lease `%s`", d->str);
	digest_set_add(&s->leased, d);
	return 0;
}

int layer_store_lease_add(struct layer_store *s, const struct cb_digest *d, struct cb_error **err)
{
	int ret;

	if (store_lock(s, STORE_LOCK_SHARED, err) < 0)
		return -1;
	ret = store_lease_locked(s, d, err);
	store_unlock(s);
	return ret;
}

bool store_lease_is_dead(struct layer_store *s, const char *id)
{
	char path[STORE_PATH_MAX];
	cleanup_close int fd = -1;
	struct stat st;

	if (!strcmp(id, s->lease_id))
		return false;
	snprintf(path, sizeof(path), "leases/%s", id);
	fd = store_openat(s, path, O_RDONLY | O_NONBLOCK, 0);
	/* a symlink or anything but a file was planted: nobody locks it, removing it is safe */
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP;
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
		return true;
	/* Its owner holds LOCK_EX until it closes the store or dies. */
	return flock(fd, LOCK_SH | LOCK_NB) == 0;
}

static int read_lease(struct layer_store *s, const char *id, struct digest_set *set,
		      struct cb_error **err)
{
	char path[STORE_PATH_MAX];
	cleanup_free char *buf = NULL;
	size_t len = 0;
	char *line, *save = NULL;

	snprintf(path, sizeof(path), "leases/%s", id);
	if (store_read_file(s, path, 0, &buf, &len, err) < 0) {
		if ((*err)->code != ENOENT)
			return -1;
		cb_error_free(err); /* closed meanwhile: nothing to protect */
		return 0;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct cb_digest d;

		if (cb_digest_valid(line)) {
			memcpy(d.str, line, CB_DIGEST_LEN + 1);
			digest_set_add(set, &d);
		}
	}
	return 0;
}

int store_list_dir(struct layer_store *s, const char *dir, struct cb_strvec *names,
		   struct cb_error **err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd = store_openat(s, dir, O_RDONLY | O_DIRECTORY, 0);

	if (fd < 0 || !(d = fdopendir(fd))) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		return store_path_error(s, err, saved, "open", dir);
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			cb_strvec_push(names, de->d_name);
	return 0;
}

int store_live_leases(struct layer_store *s, struct digest_set *set, struct cb_error **err)
{
	struct cb_strvec ids = CB_STRVEC_INIT;
	int ret = store_list_dir(s, "leases", &ids, err);

	for (size_t i = 0; ret == 0 && i < ids.n; i++)
		if (lease_id_valid(ids.v[i]) && !store_lease_is_dead(s, ids.v[i]))
			ret = read_lease(s, ids.v[i], set, err);
	cb_strvec_clear(&ids);
	return ret;
}

/* The lease id a tmp/ entry belongs to: the part before the first '.'. */
static bool tmp_owner(const char *name, char id[STORE_LEASE_ID_MAX])
{
	const char *dot = strchr(name, '.');
	size_t n = dot ? (size_t)(dot - name) : strlen(name);

	if (n == 0 || n >= STORE_LEASE_ID_MAX)
		return false;
	memcpy(id, name, n);
	id[n] = '\0';
	return true;
}

int store_cleanup_dead(struct layer_store *s, struct cb_error **err)
{
	struct cb_strvec tmp = CB_STRVEC_INIT, leases = CB_STRVEC_INIT;
	cleanup_close int tmpfd = store_openat(s, "tmp", O_RDONLY | O_DIRECTORY, 0);
	int tmp_errno = errno;
	cleanup_close int leasefd =
		tmpfd < 0 ? -1 : store_openat(s, "leases", O_RDONLY | O_DIRECTORY, 0);
	int ret = -1;

	if (tmpfd < 0 || leasefd < 0) {
		store_path_error(s, err, tmpfd < 0 ? tmp_errno : errno, "open",
				 tmpfd < 0 ? "tmp" : "leases");
		goto out;
	}
	if (store_list_dir(s, "tmp", &tmp, err) < 0 ||
	    store_list_dir(s, "leases", &leases, err) < 0)
		goto out;
	/* Temp entries first: a crash in between leaves a lease that is still dead. */
	for (size_t i = 0; i < tmp.n; i++) {
		char id[STORE_LEASE_ID_MAX];

		if (tmp_owner(tmp.v[i], id) && !store_lease_is_dead(s, id))
			continue;
		if (cb_rm_rf(tmpfd, tmp.v[i], err) < 0) {
			cb_error_wrap(err, "clean up `%s/tmp`", s->root);
			goto out;
		}
	}
	for (size_t i = 0; i < leases.n; i++)
		if (!lease_id_valid(leases.v[i]) || store_lease_is_dead(s, leases.v[i]))
			unlinkat(leasefd, leases.v[i], 0);
	ret = 0;
out:
	cb_strvec_clear(&tmp);
	cb_strvec_clear(&leases);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Open and close                                                            */
/* ------------------------------------------------------------------------ */

char *layer_store_default_root(const char *flag)
{
	const char *env = getenv("CBUILD_ROOT");
	const char *home;

	if (flag && *flag)
		return xstrdup(flag);
	if (env && *env)
		return xstrdup(env);
	if (geteuid() == 0)
		return xstrdup("/var/lib/cbuild");
	env = getenv("XDG_DATA_HOME");
	/* The XDG spec says relative values are invalid and must be ignored. */
	if (env && env[0] == '/')
		return xasprintf("%s/cbuild", env);
	home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(geteuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (home && *home)
		return xasprintf("%s/.local/share/cbuild", home);
	return xasprintf("/tmp/cbuild-%ld", (long)geteuid());
}

/* Refuse to litter a directory that is not ours (a mistyped --root). */
static int check_foreign(struct layer_store *s, struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	int ret = 0;

	if (store_list_dir(s, ".", &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.n && ret == 0; i++)
		if (!store_entry_known(names.v[i]))
			ret = cb_error_set(err, 0,
					   "not a cbuild store: the directory is not empty and "
					   "has no `layout` file");
	cb_strvec_clear(&names);
	return ret;
}

static int check_format(struct layer_store *s, struct cb_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (store_read_file(s, "layout", 4096, &buf, &len, err) == 0) {
		if (strcmp(buf, STORE_LAYOUT))
			return cb_error_set(err, 0,
					    "it holds a store of another format (`%.*s`); "
					    "this cbuild reads `%.*s`",
					    (int)strcspn(buf, "\n"), buf,
					    (int)strlen(STORE_LAYOUT) - 1, STORE_LAYOUT);
		return 0;
	}
	if ((*err)->code != ENOENT)
		return -1;
	cb_error_free(err);
	return cb_write_file_atomic(s->root_fd, "layout", STORE_LAYOUT, strlen(STORE_LAYOUT), 0644,
				    err);
}

static int store_init_layout(struct layer_store *s, struct cb_error **err)
{
	struct stat st;

	if (fstatat(s->root_fd, "layout", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return cb_error_set(err, errno, "stat `%s/layout`", s->root);
		if (check_foreign(s, err) < 0)
			return -1;
	}
	if (store_layout_open(s, err) < 0 || check_format(s, err) < 0)
		return -1;
	s->lock_fd = store_openat(s, "lock", O_RDWR | O_CREAT, 0600);
	if (s->lock_fd < 0)
		return store_path_error(s, err, errno, "open", "lock");
	return 0;
}

/* Best effort: when another process holds the lock, it or a later open cleans up. */
static int cleanup_on_open(struct layer_store *s, struct cb_error **err)
{
	int ret;

	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK || errno == EINTR
			       ? 0
			       : cb_error_set(err, errno, "lock `%s/lock`", s->root);
	s->lock_depth = 1;
	s->lock_exclusive = true;
	ret = store_cleanup_dead(s, err);
	store_unlock(s);
	return ret;
}

static struct layer_store *store_open(const char *root, bool repair, struct cb_error **err)
{
	struct layer_store *s;

	if (!root || !*root) {
		cb_error_set(err, 0, "store root is empty");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->root = xstrdup(root);
	s->lock_fd = s->lease_fd = -1;
	s->repair = repair;
	digest_set_init(&s->leased);
	/* before anything is written: a root someone else could change is refused as it is */
	s->root_fd = store_root_open(root, err);
	if (s->root_fd < 0)
		goto fail;
	if (store_init_layout(s, err) < 0 || lease_create(s, err) < 0 ||
	    cleanup_on_open(s, err) < 0) {
		cb_error_wrap(err, "open store `%s`", root);
		goto fail;
	}
	return s;
fail:
	layer_store_close(s);
	return NULL;
}

struct layer_store *layer_store_open(const char *root, struct cb_error **err)
{
	return store_open(root, false, err);
}

struct layer_store *layer_store_open_repair(const char *root, struct cb_error **err)
{
	return store_open(root, true, err);
}

/* Remove what this handle left in tmp/ (writers never committed nor aborted). */
static void remove_own_tmp(struct layer_store *s)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	size_t idlen = strlen(s->lease_id);
	cleanup_close int tmpfd = store_openat(s, "tmp", O_RDONLY | O_DIRECTORY, 0);

	if (tmpfd < 0 || store_list_dir(s, "tmp", &names, &err) < 0) {
		cb_error_free(&err);
		return;
	}
	for (size_t i = 0; i < names.n; i++)
		if (!strncmp(names.v[i], s->lease_id, idlen) && names.v[i][idlen] == '.' &&
		    cb_rm_rf(tmpfd, names.v[i], &err) < 0)
			cb_error_free(&err); /* a dead lease's leftovers go at the next open */
	cb_strvec_clear(&names);
}

void layer_store_close(struct layer_store *s)
{
	if (!s)
		return;
	if (s->lease_fd >= 0) {
		char path[STORE_PATH_MAX];

		remove_own_tmp(s);
		snprintf(path, sizeof(path), "leases/%s", s->lease_id);
		store_unlink(s, path, 0);
		close(s->lease_fd);
	}
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	cb_strvec_clear(&s->repairs);
	if (s->root_fd >= 0)
		close(s->root_fd);
	digest_set_release(&s->leased);
	free(s->root);
	free(s);
}

const char *layer_store_root(const struct layer_store *s)
{
	return s->root;
}

int layer_store_root_fd(const struct layer_store *s)
{
	return s->root_fd;
}

/* ------------------------------------------------------------------------ */
/* Progress                                                                  */
/* ------------------------------------------------------------------------ */

#define PROGRESS_EVERY_NS 100000000LL

void layer_store_set_progress(struct layer_store *s, const struct layer_store_progress *p)
{
	if (p)
		s->progress = *p;
	else
		memset(&s->progress, 0, sizeof(s->progress));
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void store_progress_start(struct store_progress *sp, struct layer_store *s, const char *what,
			  const struct cb_digest *layer, int64_t total)
{
	sp->p = s->progress.fn ? &s->progress : NULL;
	sp->what = what;
	sp->layer = *layer;
	sp->total = total;
	sp->last_ns = mono_ns();
	pthread_mutex_init(&sp->mu, NULL);
	if (sp->p)
		sp->p->fn(sp->p->ctx, what, layer, 0, total);
}

void store_progress_tick(void *ctx, uint64_t done)
{
	struct store_progress *sp = ctx;
	int64_t now;

	if (!sp->p)
		return;
	now = mono_ns();
	pthread_mutex_lock(&sp->mu);
	if (now - sp->last_ns >= PROGRESS_EVERY_NS && (int64_t)done < sp->total) {
		sp->last_ns = now;
		sp->p->fn(sp->p->ctx, sp->what, &sp->layer, (int64_t)done, sp->total);
	}
	pthread_mutex_unlock(&sp->mu);
}

void store_progress_finish(struct store_progress *sp, bool ok)
{
	if (sp->p && ok)
		sp->p->fn(sp->p->ctx, sp->what, &sp->layer, sp->total, sp->total);
	pthread_mutex_destroy(&sp->mu);
}
