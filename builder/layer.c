/*
 * layer.c - a step's result as the stage's next layer: the finished tree
 * (a RUN's overlay upperdir, or the tree COPY wrote) is written once as a
 * gzip layer blob and then renamed into place as its snapshot, never
 * extracted again; a cache record maps the step's key to the layer.
 *
 * A tree with nothing in it is no layer: its history entry gets
 * empty_layer, as BuildKit's exporter does for an empty diff.  The cache
 * index is an accelerator: a record whose blob is gone is a miss.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "xalloc.h"

void build_key_init(struct cb_sha256 *h, const struct cb_digest *parent)
{
	cb_sha256_init(h);
	cb_sha256_update(h, "cbuild-cache-v1\n", 16);
	if (parent)
		cb_sha256_update(h, parent->str, strlen(parent->str));
	cb_sha256_update(h, "\n", 1);
}

void build_key_add(struct cb_sha256 *h, const char *part, size_t len)
{
	char n[24];
	int k = snprintf(n, sizeof(n), "%zu:", len);

	/* length-prefixed: no two part lists hash alike */
	cb_sha256_update(h, n, (size_t)k);
	cb_sha256_update(h, part, len);
}

void build_key(const struct cb_digest *parent, const struct cb_strvec *parts, struct cb_digest *out)
{
	struct cb_sha256 h;

	build_key_init(&h, parent);
	for (size_t i = 0; i < parts->n; i++)
		build_key_add(&h, parts->v[i], strlen(parts->v[i]));
	cb_sha256_final(&h, out);
	cb_sha256_release(&h);
}

int build_stage_lowerdirs(const struct stage *st, struct cb_strvec *dirs, struct cb_error **err)
{
	if (!st->has_chain)
		return 0;
	if (st->lowers_known && cb_digest_equal(&st->lowers_chain, &st->chain)) {
		for (size_t i = 0; i < st->lowers.n; i++)
			cb_strvec_push(dirs, st->lowers.v[i]);
		return 0;
	}
	return layer_store_snapshot_lowerdirs(st->s, &st->chain, dirs, err);
}

void build_stage_lowerdirs_keep(struct stage *st, const struct cb_strvec *dirs)
{
	if (!st->has_chain || (st->lowers_known && cb_digest_equal(&st->lowers_chain, &st->chain)))
		return; /* nothing, or kept already (dirs came from it) */
	cb_strvec_clear(&st->lowers);
	for (size_t i = 0; i < dirs->n; i++)
		cb_strvec_push(&st->lowers, dirs->v[i]);
	st->lowers_chain = st->chain;
	st->lowers_known = true;
}

/* A layer committed on top of the kept stack: its snapshot goes first. */
static void lowers_push(struct stage *st, const struct cb_digest *old,
			const struct cb_digest *chain)
{
	struct cb_strvec v = CB_STRVEC_INIT;

	if (!st->lowers_known || !cb_digest_equal(&st->lowers_chain, old)) {
		st->lowers_known = false;
		return;
	}
	cb_strvec_push_take(&v, layer_store_snapshot_dir(st->s, chain));
	for (size_t i = 0; i < st->lowers.n; i++)
		cb_strvec_push(&v, st->lowers.v[i]);
	cb_strvec_clear(&st->lowers);
	st->lowers = v;
	st->lowers_chain = *chain;
}

/* Now as Go's RFC 3339 with nanoseconds (time.RFC3339Nano, UTC). */
static char *now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64], frac[16];
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
	while (n > 1 && frac[n - 1] == '0')
		frac[--n] = '\0';
	return xasprintf("%s%sZ", buf, n > 1 ? frac : "");
}

/* A layer's history entry carries the time its layer was made (a cached one: then). */
static void push_layer(struct build *b, struct stage *st, const struct layer_desc *d,
		       const struct cb_digest *chain, const char *created_by, const char *created)
{
	st->layers = xrealloc(st->layers, cb_st_mult(st->nlayers + 1, sizeof(*st->layers)));
	st->layers[st->nlayers++] = *d;
	cb_strvec_push(&st->config.diff_ids, d->diff_id.str);
	st->chain = *chain;
	st->has_chain = true;
	build_history_add(b, st, created_by, false);
	st->config.history[st->config.nhistory - 1].created = xstrdup(created);
}

static int put_record(struct stage *st, const struct cb_digest *key, const struct layer_desc *d,
		      const char *created, struct cb_error **err)
{
	json_auto_t *rec = NULL;
	cleanup_free char *text = NULL;

	if (!key)
		return 0;
	if (d)
		rec = json_pack("{s:{s:s, s:s, s:I, s:s}, s:s}", "layer", "digest", d->digest.str,
				"diffID", d->diff_id.str, "size", (json_int_t)d->size,
				"compression", layer_compression_name(d->compression), "created",
				created);
	else
		rec = json_pack("{s:b}", "empty", 1);
	text = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!text)
		return cb_error_set(err, ENOMEM, "encode a cache record");
	return layer_store_cache_put(st->s, key, text, err);
}

/* SOURCE_DATE_EPOCH for the tree itself, so the snapshot holds what the layer tar holds. */
static __thread int64_t clamp_epoch;

static int clamp_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	struct timespec ts[2];

	(void)flag;
	(void)f;
	if (st->st_mtime <= clamp_epoch && st->st_atime <= clamp_epoch)
		return 0;
	ts[0].tv_sec = ts[1].tv_sec = (time_t)clamp_epoch;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (st->st_mtime < clamp_epoch)
		ts[1] = st->st_mtim;
	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -1 : 0;
}

static int clamp_tree(const char *dir, int64_t epoch, struct cb_error **err)
{
	clamp_epoch = epoch;
	/* depth first: a directory's time is set after its entries were */
	if (nftw(dir, clamp_one, 32, FTW_PHYS | FTW_DEPTH | FTW_MOUNT) != 0)
		return cb_error_set(err, errno, "clamp the times under `%s`", dir);
	return 0;
}

int build_commit_tree(struct build *b, struct stage *st, const char *dir, bool own_links,
		      const char *created_by, const struct cb_digest *key, struct cb_error **err)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_desc d;
	struct cb_digest chain;

	/*
	 * An empty tree is still a layer (an empty tar), as in Docker's
	 * BuildKit: a RUN that changed nothing, a WORKDIR that existed.
	 */
	if (b->epoch >= 0 && clamp_tree(dir, b->epoch, err) < 0)
		return -1;
	o.overlay = true;
	o.source_date_epoch = b->epoch;
	o.no_hardlinks = !own_links;
	/* the layer is the snapshot until it leaves the store (layerstore/backed.c) */
	if (layer_store_layer_commit(st->s, st->has_chain ? &st->chain : NULL, dir, &o, &d, &chain,
				     err) < 0)
		return cb_error_wrap(err, "commit the layer");
	if (st->has_chain)
		lowers_push(st, &st->chain, &chain);
	else
		st->lowers_known = false;
	{
		cleanup_free char *created = now_rfc3339();

		push_layer(b, st, &d, &chain, created_by, created);
		return put_record(st, key, &d, created, err);
	}
}

/* The layer a record names; 1 when usable, 0 when its blob is gone or it is malformed. */
static int parse_record(struct stage *st, const char *json, bool *empty, struct layer_desc *d,
			char **created, struct cb_error **err)
{
	json_auto_t *rec = json_loads(json, 0, NULL);
	json_t *layer = rec ? json_object_get(rec, "layer") : NULL;
	const char *digest = NULL, *diff_id = NULL, *comp = NULL;
	json_int_t size = -1;
	struct cb_error *perr = NULL;
	int c, ret;

	*empty = rec && json_is_true(json_object_get(rec, "empty"));
	if (rec && json_is_string(json_object_get(rec, "created")))
		*created = xstrdup(json_string_value(json_object_get(rec, "created")));
	if (*empty)
		return 1;
	if (!layer || json_unpack(layer, "{s:s, s:s, s:I, s:s}", "digest", &digest, "diffID",
				  &diff_id, "size", &size, "compression", &comp) < 0)
		return 0;
	c = layer_compression_parse(comp);
	if (c < 0 || size < 0 || cb_digest_parse(digest, &d->digest, &perr) < 0 ||
	    cb_digest_parse(diff_id, &d->diff_id, &perr) < 0) {
		cb_error_free(&perr);
		return 0;
	}
	d->size = size;
	d->compression = (enum layer_compression)c;
	ret = layer_store_blob_exists(st->s, &d->digest, NULL, err);
	return ret;
}

int build_cache_apply(struct build *b, struct stage *st, const struct cb_digest *key,
		      const char *created_by, struct cb_error **err)
{
	cleanup_free char *json = NULL, *created = NULL;
	struct layer_desc d;
	struct cb_digest chain;
	bool empty = false;
	int ret;

	if (st->no_cache)
		return 0;
	ret = layer_store_cache_get(st->s, key, &json, err);
	if (ret <= 0)
		return ret;
	ret = parse_record(st, json, &empty, &d, &created, err);
	if (ret <= 0)
		return ret;
	if (empty) {
		build_history_add(b, st, created_by, true);
		return 1;
	}
	/* the diff ID is checked if the snapshot has to be made from the blob */
	if (layer_store_snapshot_prepare(st->s, st->has_chain ? &st->chain : NULL, &d.digest,
					 &d.diff_id, &chain, err) < 0)
		return -1;
	if (!created)
		created = now_rfc3339();
	push_layer(b, st, &d, &chain, created_by, created);
	return 1;
}
