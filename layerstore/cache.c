/*
 * cache.c - the build-cache index: cache/<key hex> holds the digest of a
 * record blob.
 *
 * A record blob is canonical JSON
 *	{"created":"...","key":"sha256:...","mediaType":"application/vnd.cbuild.cache.record.v1+json","record":{...}}
 * so the index can be rebuilt from blobs alone (fsck --rebuild-cache), and
 * prune keeps every digest the record names alive (it walks JSON blobs).
 * The index file's mtime is the record's last use, for --keep-storage.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "store-internal.h"
#include "xalloc.h"

/* Records are a few hundred bytes; the cap keeps a rebuild from reading layers. */
#define RECORD_MAX (1u << 20)

static void cache_path(const struct cb_digest *key, char out[STORE_PATH_MAX])
{
	snprintf(out, STORE_PATH_MAX, "cache/%s", cb_digest_hex(key));
}

static void rfc3339_now(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int layer_store_cache_put(struct layer_store *s, const struct cb_digest *key,
			  const char *record_json, struct cb_error **err)
{
	json_auto_t *record =
		store_json_parse(record_json, strlen(record_json), "cache record", err);
	json_auto_t *env = NULL;
	cleanup_free char *text = NULL;
	char path[STORE_PATH_MAX], line[CB_DIGEST_LEN + 2], created[32];
	struct cb_digest d;

	if (!record)
		return -1;
	if (!json_is_object(record))
		return cb_error_set(err, 0, "cache record for `%s`: not a JSON object", key->str);
	rfc3339_now(created);
	env = json_pack("{s:s, s:s, s:s, s:O}", "created", created, "key", key->str, "mediaType",
			MEDIA_CBUILD_CACHE_RECORD, "record", record);
	text = env ? json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!text)
		return cb_error_set(err, ENOMEM, "encode cache record for `%s`", key->str);
	/*
	 * The blob first: an index entry never points at nothing.  Neither is
	 * fsynced (four fsyncs a build step): a record is an accelerator, and
	 * one a power loss tore reads as a miss (layer_store_cache_get).
	 */
	if (store_blob_put_lazy(s, text, strlen(text), &d, true, err) < 0)
		return cb_error_wrap(err, "cache record for `%s`", key->str);
	cache_path(key, path);
	snprintf(line, sizeof(line), "%s\n", d.str);
	if (store_write_file(s, path, line, strlen(line), false, err) < 0)
		return cb_error_wrap(err, "cache record for `%s`", key->str);
	return 0;
}

/* The record digest an index entry names; 0 when there is no entry. */
static int read_entry(struct layer_store *s, const char *path, struct cb_digest *d,
		      struct cb_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (store_read_file(s, path, 256, &buf, &len, err) < 0) {
		if ((*err)->code != ENOENT)
			return -1;
		cb_error_free(err);
		return 0;
	}
	buf[strcspn(buf, "\n")] = '\0';
	if (!cb_digest_valid(buf))
		return cb_error_set(err, 0,
				    "`%s/%s` does not hold a digest; run `cbuild fsck "
				    "--rebuild-cache`",
				    s->root, path);
	memcpy(d->str, buf, CB_DIGEST_LEN + 1);
	return 1;
}

int layer_store_cache_get(struct layer_store *s, const struct cb_digest *key, char **record_json,
			  struct cb_error **err)
{
	char path[STORE_PATH_MAX];
	json_auto_t *env = NULL;
	struct cb_error *rerr = NULL;
	struct cb_digest d;
	json_t *rec;
	int ret;

	cache_path(key, path);
	ret = read_entry(s, path, &d, &rerr);
	if (ret < 0 && (rerr->code == 0 || rerr->code == ELOOP || rerr->code == EINVAL)) {
		/*
		 * an entry a power loss emptied (entries are not fsynced), or a
		 * symlink or other non-file planted there (removed, never followed): a miss
		 */
		cb_error_free(&rerr);
		store_unlink(s, path, 0);
		return 0;
	}
	if (ret < 0) {
		*err = rerr;
		return -1;
	}
	if (ret == 0)
		return 0;
	/* Leasing the record protects all it names: prune walks leased JSON blobs. */
	if (store_lock(s, STORE_LOCK_SHARED, err) < 0)
		return -1;
	ret = store_lease_locked(s, &d, err) < 0 ? -1 : layer_store_blob_exists(s, &d, NULL, err);
	store_unlock(s);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		store_unlink(s, path, 0); /* stale (the record was quarantined) */
		return 0;
	}
	if (store_blob_read_json(s, &d, &env, &rerr) < 0) {
		/* torn by a power loss (records are not fsynced): a miss, and gone */
		cb_error_free(&rerr);
		store_unlink(s, path, 0);
		return 0;
	}
	rec = json_object_get(env, "record");
	if (!json_is_object(rec) ||
	    strcmp(json_string_value(json_object_get(env, "key")) ?: "", key->str))
		return cb_error_set(err, 0,
				    "cache record `%s` does not belong to key `%s`; run "
				    "`cbuild fsck --rebuild-cache`",
				    d.str, key->str);
	*record_json = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (!*record_json)
		return cb_error_set(err, ENOMEM, "encode cache record `%s`", d.str);
	store_utimens(s, path, NULL); /* last use, for --keep-storage; best effort */
	return 1;
}

int store_cache_remove(struct layer_store *s, const struct cb_digest *key, struct cb_error **err)
{
	char path[STORE_PATH_MAX];

	cache_path(key, path);
	if (store_unlink(s, path, 0) < 0 && errno != ENOENT)
		return store_path_error(s, err, errno, "remove", path);
	return 0;
}

int store_cache_list(struct layer_store *s, struct cache_entry **out, size_t *nout,
		     struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	struct cache_entry *v = NULL;
	size_t n = 0, alloc = 0;

	if (store_list_dir(s, "cache", &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
		struct cache_entry e;
		char path[STORE_PATH_MAX];
		struct cb_error *ignored = NULL;
		struct stat st;

		if (!cb_digest_hex_valid(names.v[i]))
			continue;
		snprintf(path, sizeof(path), "cache/%.64s", names.v[i]);
		snprintf(e.key.str, sizeof(e.key.str), "sha256:%.64s", names.v[i]);
		if (read_entry(s, path, &e.record, &ignored) <= 0 || store_stat(s, path, &st) < 0) {
			cb_error_free(&ignored); /* fsck reports unreadable entries */
			continue;
		}
		e.used = (int64_t)st.st_mtime;
		CB_ALLOC_GROW(v, n + 1, alloc);
		v[n++] = e;
	}
	cb_strvec_clear(&names);
	*out = v;
	*nout = n;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Rebuild from blobs                                                        */
/* ------------------------------------------------------------------------ */

struct found_record {
	struct cb_digest key, record;
	char created[32];
};

/* Is blob hex a cache record?  Fills *r when it is. */
static bool blob_is_record(struct layer_store *s, const char *hex, struct found_record *r)
{
	char path[STORE_PATH_MAX];
	struct cb_error *ignored = NULL;
	cleanup_close int fd = -1;
	json_auto_t *env = NULL;
	struct stat st;
	const char *mt, *key, *created;
	char c = 0;

	snprintf(path, sizeof(path), "blobs/sha256/%.64s", hex);
	fd = store_openat(s, path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > RECORD_MAX ||
	    read(fd, &c, 1) != 1 || c != '{')
		return false;
	snprintf(r->record.str, sizeof(r->record.str), "sha256:%.64s", hex);
	if (store_blob_read_json(s, &r->record, &env, &ignored) < 0) {
		cb_error_free(&ignored); /* not ours to judge: fsck checks blobs */
		return false;
	}
	mt = json_string_value(json_object_get(env, "mediaType"));
	key = json_string_value(json_object_get(env, "key"));
	created = json_string_value(json_object_get(env, "created"));
	if (!mt || strcmp(mt, MEDIA_CBUILD_CACHE_RECORD) || !key || !cb_digest_valid(key))
		return false;
	memcpy(r->key.str, key, CB_DIGEST_LEN + 1);
	snprintf(r->created, sizeof(r->created), "%s", created ? created : "");
	return true;
}

static int write_found(struct layer_store *s, const struct found_record *r, struct cb_error **err)
{
	char path[STORE_PATH_MAX], line[CB_DIGEST_LEN + 2];
	struct tm tm;

	cache_path(&r->key, path);
	snprintf(line, sizeof(line), "%s\n", r->record.str);
	if (store_write_atomic(s, path, line, strlen(line), err) < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (strptime(r->created, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		struct timespec ts[2] = {{timegm(&tm), 0}, {timegm(&tm), 0}};

		store_utimens(s, path, ts);
	}
	return 0;
}

/* Every cache record among the blobs, the newest of each key; *out is the caller's. */
static int find_records(struct layer_store *s, struct found_record **out, size_t *nout,
			struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	struct found_record *recs = NULL;
	size_t n = 0, alloc = 0;

	if (store_list_dir(s, "blobs/sha256", &names, err) < 0)
		return -1;
	for (size_t k = 0; k < names.n; k++) {
		struct found_record r;
		size_t i;

		if (!cb_digest_hex_valid(names.v[k]) || !blob_is_record(s, names.v[k], &r))
			continue;
		/* Several records of one key: the newest wins. */
		for (i = 0; i < n && !cb_digest_equal(&recs[i].key, &r.key); i++)
			;
		if (i < n && strcmp(recs[i].created, r.created) >= 0)
			continue;
		if (i == n) {
			CB_ALLOC_GROW(recs, n + 1, alloc);
			n++;
		}
		recs[i] = r;
	}
	cb_strvec_clear(&names);
	*out = recs;
	*nout = n;
	return 0;
}

int store_cache_rebuild(struct layer_store *s, size_t *found, struct cb_error **err)
{
	struct found_record *recs = NULL;
	struct cache_entry *old = NULL;
	size_t n = 0, nold = 0;
	int ret = -1;

	if (find_records(s, &recs, &n, err) < 0)
		return -1;
	if (store_cache_list(s, &old, &nold, err) < 0)
		goto out;
	for (size_t i = 0; i < nold; i++)
		if (store_cache_remove(s, &old[i].key, err) < 0)
			goto out;
	for (size_t i = 0; i < n; i++)
		if (write_found(s, &recs[i], err) < 0)
			goto out;
	*found = n;
	ret = 0;
out:
	free(old);
	free(recs);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Accelerator files: aux/<name>                                             */
/* ------------------------------------------------------------------------ */

static int aux_path(const char *name, char out[STORE_PATH_MAX], struct cb_error **err)
{
	size_t n = strlen(name);

	if (!n || n > 80 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n ||
	    name[0] == '.')
		return cb_error_set(err, EINVAL, "bad accelerator file name `%s`", name);
	snprintf(out, STORE_PATH_MAX, "aux/%s", name);
	return 0;
}

int layer_store_aux_read(struct layer_store *s, const char *name, size_t max, char **buf,
			 size_t *len, struct cb_error **err)
{
	char path[STORE_PATH_MAX];
	struct cb_error *rerr = NULL;

	if (aux_path(name, path, err) < 0)
		return -1;
	if (store_read_file(s, path, max, buf, len, &rerr) < 0) {
		/* absent, too big, unreadable: an accelerator is simply not there */
		cb_error_free(&rerr);
		return 0;
	}
	return 1;
}

int layer_store_aux_write(struct layer_store *s, const char *name, const void *buf, size_t len,
			  struct cb_error **err)
{
	char path[STORE_PATH_MAX];

	if (aux_path(name, path, err) < 0)
		return -1;
	/* atomic, not durable: after a crash a reader finds the old, a torn or an empty file, all
	 * checked */
	return store_write_file(s, path, buf, len, false, err);
}
