/*
 * refs.c - tags: normalised image names -> manifest (or index) digests.
 *
 * All tags live in one file, <root>/tags.json ({"tags":{"name":"digest"}}),
 * replaced atomically (tmp/, fsync, rename, fsync).  Readers take no lock
 * and see the old or the new file; writers serialise their read-modify-write
 * on an flock of <root>/tags.lock.  One file keeps names free of any
 * encoding rules (they hold '/', ':' and '@') and makes `images` one read.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "store-internal.h"
#include "xalloc.h"

#define TAGS_FILE "tags.json"
/* Image references are at most ~450 bytes; anything longer is a mistake. */
#define TAG_NAME_MAX 1024

static int cmp_tag(const void *a, const void *b)
{
	return strcmp(((const struct layer_store_tag *)a)->name,
		      ((const struct layer_store_tag *)b)->name);
}

void layer_store_tags_free(struct layer_store_tag *tags, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(tags[i].name);
	free(tags);
}

/* Parse tags.json; a missing file is an empty list. */
static json_t *tags_load(struct layer_store *s, struct cb_error **err)
{
	cleanup_free char *buf = NULL;
	json_t *root, *tags, *v;
	const char *k;
	size_t len = 0;

	if (store_read_file(s, TAGS_FILE, STORE_JSON_MAX, &buf, &len, err) < 0) {
		if ((*err)->code != ENOENT)
			return NULL;
		cb_error_free(err);
		root = json_object();
		json_object_set_new(root, "tags", json_object());
		return root;
	}
	root = store_json_parse(buf, len, "`" TAGS_FILE "`", err);
	if (!root)
		return NULL;
	tags = json_object_get(root, "tags");
	if (!json_is_object(tags)) {
		json_decref(root);
		cb_error_set(err, 0, "`%s/%s`: `tags` must be an object", s->root, TAGS_FILE);
		return NULL;
	}
	json_object_foreach (tags, k, v) {
		if (!json_is_string(v) || !cb_digest_valid(json_string_value(v))) {
			cb_error_set(err, 0, "`%s/%s`: tag `%s` does not hold a sha256 digest",
				     s->root, TAGS_FILE, k);
			json_decref(root); /* after: k is root's */
			return NULL;
		}
	}
	return root;
}

int store_tags_read(struct layer_store *s, struct layer_store_tag **out, size_t *nout,
		    struct cb_error **err)
{
	json_auto_t *root = tags_load(s, err);
	struct layer_store_tag *tags;
	const char *k;
	json_t *v, *obj;
	size_t n = 0;

	if (!root)
		return -1;
	obj = json_object_get(root, "tags");
	tags = xcalloc(json_object_size(obj) + 1, sizeof(*tags));
	json_object_foreach (obj, k, v) {
		tags[n].name = xstrdup(k);
		memcpy(tags[n].digest.str, json_string_value(v), CB_DIGEST_LEN + 1);
		n++;
	}
	if (n)
		qsort(tags, n, sizeof(*tags), cmp_tag);
	*out = tags;
	*nout = n;
	return 0;
}

int layer_store_tag_list(struct layer_store *s, struct layer_store_tag **tags, size_t *n,
			 struct cb_error **err)
{
	return store_tags_read(s, tags, n, err);
}

int layer_store_tag_get(struct layer_store *s, const char *name, struct cb_digest *d,
			struct cb_error **err)
{
	json_auto_t *root = tags_load(s, err);
	json_t *v;

	if (!root)
		return -1;
	v = json_object_get(json_object_get(root, "tags"), name);
	if (!v)
		return 0;
	memcpy(d->str, json_string_value(v), CB_DIGEST_LEN + 1);
	return 1;
}

static int check_name(const char *name, struct cb_error **err)
{
	size_t n = strlen(name);

	if (!n)
		return cb_error_set(err, 0, "invalid tag name: empty");
	if (n > TAG_NAME_MAX)
		return cb_error_set(err, 0, "invalid tag name `%.40s...`: longer than %d bytes",
				    name, TAG_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			return cb_error_set(err, 0,
					    "invalid tag name `%s`: it holds a space or a "
					    "control character",
					    name);
	return 0;
}

/* Apply one change (set when d, else delete) under tags.lock; returns 1 if something changed. */
static int tags_update(struct layer_store *s, const char *name, const struct cb_digest *d,
		       struct cb_error **err)
{
	cleanup_close int lock = store_openat(s, "tags.lock", O_RDWR | O_CREAT, 0600);
	json_auto_t *root = NULL;
	cleanup_free char *text = NULL;
	json_t *tags;
	int changed;

	if (lock < 0)
		return store_path_error(s, err, errno, "open", "tags.lock");
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR)
			return cb_error_set(err, errno, "lock `%s/tags.lock`", s->root);
	root = tags_load(s, err);
	if (!root)
		return -1;
	tags = json_object_get(root, "tags");
	if (d) {
		json_t *old = json_object_get(tags, name);

		changed = !old || strcmp(json_string_value(old), d->str);
		if (json_object_set_new(tags, name, json_string(d->str)) < 0)
			return cb_error_set(err, 0, "invalid tag name `%s`: not UTF-8", name);
	} else {
		changed = json_object_del(tags, name) == 0;
	}
	if (!changed)
		return 0;
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return cb_error_set(err, ENOMEM, "encode `%s`", TAGS_FILE);
	if (store_write_atomic(s, TAGS_FILE, text, strlen(text), err) < 0)
		return -1;
	return 1;
}

int layer_store_tag_set(struct layer_store *s, const char *name, const struct cb_digest *d,
			struct cb_error **err)
{
	int exists;

	if (check_name(name, err) < 0)
		return -1;
	/* Leased and present before the tag exists: prune never sees it dangling. */
	if (store_lock(s, STORE_LOCK_SHARED, err) < 0)
		return -1;
	exists = store_lease_locked(s, d, err) < 0 ? -1 : layer_store_blob_exists(s, d, NULL, err);
	store_unlock(s);
	if (exists < 0)
		return cb_error_wrap(err, "tag `%s`", name);
	if (!exists)
		return cb_error_set(err, 0, "tag `%s`: `%s` is not in the store", name, d->str);
	if (tags_update(s, name, d, err) < 0)
		return cb_error_wrap(err, "tag `%s`", name);
	return 0;
}

int layer_store_tag_delete(struct layer_store *s, const char *name, struct cb_error **err)
{
	int ret = tags_update(s, name, NULL, err);

	if (ret < 0)
		return cb_error_wrap(err, "untag `%s`", name);
	return ret;
}
