/*
 * fsck.c - verify the store: every blob against its name (bad ones move to
 * quarantine/, where nothing reads them and the next pull or load writes a
 * good copy), snapshot names, every tag's image, the cache index (bad
 * entries are dropped: the index is rebuildable), and optionally rebuild
 * the cache index from the record blobs.
 *
 * fsck holds the store lock shared: writers go on, prune waits.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "store-internal.h"
#include "xalloc.h"

#define HASH_BUF (1u << 20)
/* "blobs/sha256/" or "snapshots/" plus any file name. */
#define FSCK_PATH_MAX (32 + NAME_MAX)

struct fsck {
	struct layer_store *s;
	struct cb_strvec *report;
	int problems;
};

static void problem(struct fsck *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct fsck *f, const char *fmt, ...)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	cb_strbuf_addvf(&sb, fmt, ap);
	va_end(ap);
	f->problems++;
	if (f->report)
		cb_strvec_push_take(f->report, cb_strbuf_detach(&sb, NULL));
	else
		cb_strbuf_release(&sb);
}

/* Move dir/name to quarantine/name.<time>[.<n>]; the new path, or NULL on failure. */
static char *quarantine(struct layer_store *s, const char *dir, const char *name)
{
	cleanup_free char *from = xasprintf("%s/%s", dir, name);
	long now = (long)time(NULL);

	for (int n = 0; n < 1000; n++) {
		char *to = n ? xasprintf("quarantine/%s.%ld.%d", name, now, n)
			     : xasprintf("quarantine/%s.%ld", name, now);

		/* the entry itself: a symlink moves as a link, its target untouched */
		if (store_rename(s, from, to, RENAME_NOREPLACE) == 0)
			return to;
		free(to);
		if (errno != EEXIST)
			return NULL;
	}
	return NULL;
}

/* Hash the blob at path; 1 and *got when readable, 0 when not a regular file. */
static int hash_blob(struct layer_store *s, const char *path, struct cb_digest *got,
		     struct cb_error **err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	struct cb_sha256 h;
	int ret = store_open_regular(s, path, false, &fd, err);

	if (ret <= 0)
		return ret;
	buf = xmalloc(HASH_BUF);
	cb_sha256_init(&h);
	for (;;) {
		ssize_t n = read(fd, buf, HASH_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			cb_sha256_release(&h);
			return cb_error_set(err, saved, "read `%s/%s`", s->root, path);
		}
		if (n == 0)
			break;
		cb_sha256_update(&h, buf, (size_t)n);
	}
	cb_sha256_final(&h, got);
	return 1;
}

static int check_blobs(struct fsck *f, size_t *nblobs, struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	int ret = -1;

	if (store_list_dir(f->s, "blobs/sha256", &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i];
		char path[FSCK_PATH_MAX];
		struct cb_digest got;
		char *moved;
		int ok = 0;

		snprintf(path, sizeof(path), "blobs/sha256/%s", name);
		if (cb_digest_hex_valid(name)) {
			ok = hash_blob(f->s, path, &got, err);
			if (ok < 0)
				goto out;
			if (ok && !strcmp(cb_digest_hex(&got), name)) {
				(*nblobs)++;
				continue;
			}
		}
		moved = quarantine(f->s, "blobs/sha256", name);
		if (ok)
			problem(f,
				"blob `sha256:%s` is corrupt (its content hashes to `%s`); %s `%s`",
				name, got.str, moved ? "moved to" : "could not move it to",
				moved ? moved : "quarantine/");
		else
			problem(f, "`%s` is not a blob; %s `%s`", path,
				moved ? "moved to" : "could not move it to",
				moved ? moved : "quarantine/");
		free(moved);
	}
	ret = 0;
out:
	cb_strvec_clear(&names);
	return ret;
}

/* snapshots/<name> is a symlink or a file, never a snapshot: the entry goes to quarantine/. */
static void snapshot_not_dir(struct fsck *f, const char *name, const struct stat *st)
{
	char *moved = quarantine(f->s, "snapshots", name);

	problem(f, "`snapshots/%s` is %s, not a snapshot directory; %s `%s`", name,
		S_ISLNK(st->st_mode) ? "a symlink" : "not a directory",
		moved ? "moved it to" : "could not move it to", moved ? moved : "quarantine/");
	free(moved);
}

/* A complete snapshot (snapshot.c): fs/ and, above a base layer, a parent that exists. */
static void check_snapshot(struct fsck *f, const char *name, size_t *nsnaps)
{
	char path[FSCK_PATH_MAX], buf[CB_DIGEST_LEN + 2] = "";
	cleanup_close int fd = -1;
	struct stat st;

	snprintf(path, sizeof(path), "snapshots/%s", name);
	if (store_stat(f->s, path, &st) == 0 && !S_ISDIR(st.st_mode)) {
		snapshot_not_dir(f, name, &st);
		return;
	}
	/* Unfinished snapshots live in tmp/; only complete ones are renamed here. */
	if (!cb_digest_hex_valid(name)) {
		problem(f, "`%s` is not a snapshot (names are chain IDs)", path);
		return;
	}
	snprintf(path, sizeof(path), "snapshots/%s/fs", name);
	if (store_stat(f->s, path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		problem(f, "snapshot `sha256:%s` is incomplete: no `fs` directory", name);
		return;
	}
	snprintf(path, sizeof(path), "snapshots/%s/parent", name);
	fd = store_openat(f->s, path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0 && errno != ENOENT)
		problem(f, "snapshot `sha256:%s`: its `parent` is not a file the store made (%s)",
			name, errno == ELOOP ? "a symlink" : strerror(errno));
	if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		problem(f, "snapshot `sha256:%s`: its `parent` is not a regular file", name);
		close(fd);
		fd = -1;
	}
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n >= CB_DIGEST_LEN ? CB_DIGEST_LEN : 0] = '\0';
		snprintf(path, sizeof(path), "snapshots/%.64s", buf + 7);
		if (!cb_digest_valid(buf))
			problem(f, "snapshot `sha256:%s`: its `parent` file holds no digest", name);
		else if (store_stat(f->s, path, &st) < 0)
			problem(f, "snapshot `sha256:%s`: its parent `%s` is missing", name, buf);
	}
	(*nsnaps)++;
}

static int check_snapshots(struct fsck *f, size_t *nsnaps, struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;

	if (store_list_dir(f->s, "snapshots", &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++)
		check_snapshot(f, names.v[i], nsnaps);
	cb_strvec_clear(&names);
	return 0;
}

/*
 * A snapshot-backed layer (backed.c): its tar is written again from its
 * snapshot and checked; a record that does not make its digest any more
 * goes to quarantine/ (its images then lack that layer: fsck names them).
 */
static void check_backed(struct fsck *f, const char *name, size_t *nblobs)
{
	struct layer_sink sink = {store_sink_discard, NULL};
	struct backed_layer b;
	struct cb_digest d;
	struct cb_error *e = NULL;
	char *moved;

	if (cb_digest_hex_valid(name)) {
		snprintf(d.str, sizeof(d.str), "sha256:%.64s", name);
		if (store_backed_get(f->s, &d, &b, &e) > 0 &&
		    store_backed_write(f->s, &d, &b, &sink, &e) == 0) {
			(*nblobs)++;
			return;
		}
	}
	moved = quarantine(f->s, "layers", name);
	if (e)
		problem(f, "layer `sha256:%s`: %s; %s `%s`", name, cb_error_msg(e),
			moved ? "moved its record to" : "could not move its record to",
			moved ? moved : "quarantine/");
	else
		problem(f, "`layers/%s` is not a layer record with a snapshot; %s `%s`", name,
			moved ? "moved to" : "could not move it to", moved ? moved : "quarantine/");
	cb_error_free(&e);
	free(moved);
}

static int check_layers(struct fsck *f, size_t *nblobs, struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;

	if (store_list_dir(f->s, "layers", &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++)
		check_backed(f, names.v[i], nblobs);
	cb_strvec_clear(&names);
	return 0;
}

static void check_present(struct fsck *f, const char *tag, const char *what,
			  const struct cb_digest *d)
{
	struct cb_error *e = NULL;
	int ret = layer_store_blob_exists(f->s, d, NULL, &e);

	if (ret < 0)
		problem(f, "tag `%s`: %s `%s`: %s", tag, what, d->str, cb_error_msg(e));
	else if (ret == 0)
		problem(f, "tag `%s`: %s `%s` is missing", tag, what, d->str);
	cb_error_free(&e);
}

/* A tag's target must be readable; a manifest's config and layers present. */
static void check_tag(struct fsck *f, const struct layer_store_tag *t)
{
	struct cb_error *e = NULL;
	json_auto_t *doc = NULL;
	struct image_manifest m;
	cleanup_free char *text = NULL;

	if (layer_store_blob_exists(f->s, &t->digest, NULL, &e) <= 0) {
		problem(f, "tag `%s`: manifest `%s` is missing%s%s", t->name, t->digest.str,
			e ? ": " : "", e ? cb_error_msg(e) : "");
		cb_error_free(&e);
		return;
	}
	if (store_blob_read_json(f->s, &t->digest, &doc, &e) < 0) {
		problem(f, "tag `%s`: %s", t->name, cb_error_msg(e));
		cb_error_free(&e);
		return;
	}
	if (json_object_get(doc, "manifests"))
		return; /* an index: platforms we did not pull are legitimately absent */
	text = json_dumps(doc, JSON_COMPACT);
	if (!text || image_manifest_parse(text, strlen(text), &m, &e) < 0) {
		problem(f, "tag `%s`: %s", t->name, e ? cb_error_msg(e) : "unreadable manifest");
		cb_error_free(&e);
		return;
	}
	check_present(f, t->name, "config", &m.config.digest);
	for (size_t i = 0; i < m.nlayers; i++)
		check_present(f, t->name, "layer", &m.layers[i].digest);
	image_manifest_release(&m);
}

static void check_tags(struct fsck *f)
{
	struct layer_store_tag *tags = NULL;
	struct cb_error *e = NULL;
	size_t n = 0;

	if (store_tags_read(f->s, &tags, &n, &e) < 0) {
		problem(f, "%s", cb_error_msg(e));
		cb_error_free(&e);
		return;
	}
	for (size_t i = 0; i < n; i++)
		check_tag(f, &tags[i]);
	layer_store_tags_free(tags, n);
}

/* A bad index entry is reported and dropped: the index is rebuildable. */
static void check_cache_entry(struct fsck *f, const char *name)
{
	char path[FSCK_PATH_MAX];
	cleanup_free char *buf = NULL;
	struct cb_error *e = NULL;
	json_auto_t *doc = NULL;
	struct cb_digest rec;
	const char *key;
	size_t len = 0;

	snprintf(path, sizeof(path), "cache/%s", name);
	if (!cb_digest_hex_valid(name)) {
		problem(f, "`%s` is not a cache index entry; removed", path);
		store_rm_rf(f->s, path, &e);
	} else if (store_read_file(f->s, path, 256, &buf, &len, &e) < 0) {
		problem(f, "cache entry `%s`: %s; removed", path, cb_error_msg(e));
		store_unlink(f->s, path, 0);
	} else if (buf[strcspn(buf, "\n")] = '\0', !cb_digest_valid(buf)) {
		problem(f, "cache entry `%s` does not hold a digest; removed", path);
		store_unlink(f->s, path, 0);
	} else if (memcpy(rec.str, buf, CB_DIGEST_LEN + 1),
		   store_blob_read_json(f->s, &rec, &doc, &e) < 0) {
		problem(f, "cache entry `%s`: record %s; removed", path, cb_error_msg(e));
		store_unlink(f->s, path, 0);
	} else if (!(key = json_string_value(json_object_get(doc, "key"))) ||
		   strcmp(key + (cb_str_starts_with(key, "sha256:") ? 7 : 0), name)) {
		problem(f, "cache entry `%s`: record `%s` is for another key; removed", path,
			rec.str);
		store_unlink(f->s, path, 0);
	}
	cb_error_free(&e);
}

static int check_cache(struct fsck *f, bool rebuild, struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	size_t found = 0;

	if (store_list_dir(f->s, "cache", &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++)
		check_cache_entry(f, names.v[i]);
	cb_strvec_clear(&names);
	if (!rebuild)
		return 0;
	if (store_cache_rebuild(f->s, &found, err) < 0)
		return cb_error_wrap(err, "rebuild the cache index");
	if (f->report)
		cb_strvec_pushf(f->report, "rebuilt the cache index: %zu records", found);
	return 0;
}

int layer_store_fsck(struct layer_store *s, bool rebuild_cache, struct cb_strvec *report,
		     struct cb_error **err)
{
	struct fsck f = {s, report, 0};
	size_t nblobs = 0, nsnaps = 0;
	int ret;

	/* what layer_store_open_repair set aside: a symlink or so where the layout wants its own */
	for (size_t i = 0; i < s->repairs.n; i++)
		problem(&f, "%s", s->repairs.v[i]);
	if (store_lock(s, STORE_LOCK_SHARED, err) < 0)
		return -1;
	ret = check_blobs(&f, &nblobs, err);
	if (ret == 0)
		ret = check_snapshots(&f, &nsnaps, err);
	if (ret == 0)
		ret = check_layers(&f, &nblobs, err); /* after the snapshots they are made from */
	if (ret == 0) {
		check_tags(&f);
		ret = check_cache(&f, rebuild_cache, err);
	}
	store_unlock(s);
	if (ret < 0)
		return cb_error_wrap(err, "fsck `%s`", s->root);
	if (report)
		cb_strvec_pushf(report, "checked %zu blobs and %zu snapshots: %d problem%s", nblobs,
				nsnaps, f.problems, f.problems == 1 ? "" : "s");
	return f.problems;
}
