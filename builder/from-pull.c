/*
 * from-pull.c - where a FROM image comes from: the store, or its registry
 * (registry_pull) as `--pull` asks.
 *
 *   missing (default)  the store's image; pulled when the store has no tag
 *                      of that name (and nothing else the reference could
 *                      mean, an image ID prefix say)
 *   always             the tag resolved against the registry every build:
 *                      a changed tag brings the new image, an unchanged one
 *                      fetches nothing (registry_pull skips the blobs held)
 *   never              the store's, or "not in the store" naming the image
 *
 * The stage then uses the image by its manifest digest, the digest the
 * pull reported, never by re-reading the tag (another process may move
 * it); the cache key starts from that digest (dispatch.c), so a tag pushed
 * again with new content misses.  A name is pulled at most once a build:
 * a second stage wanting it waits for the first stage's pull, then takes
 * its digest (the same image for every stage, and no two writers of the
 * same blobs at once).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "registry.h"
#include "xalloc.h"

void build_pulls_release(struct build *b)
{
	cb_strvec_clear(&b->pulled);
	cb_strvec_clear(&b->pulling);
}

/* The manifest digest this build pulled name as, or NULL; under b->mu. */
static const char *pulled_lookup(const struct build *b, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < b->pulled.n; i++)
		if (!strncmp(b->pulled.v[i], name, n) && b->pulled.v[i][n] == '\t')
			return b->pulled.v[i] + n + 1;
	return NULL;
}

static void pulling_remove(struct build *b, const char *name)
{
	long i = cb_strvec_find(&b->pulling, name);

	if (i < 0)
		return;
	free(b->pulling.v[i]);
	memmove(&b->pulling.v[i], &b->pulling.v[i + 1],
		(b->pulling.n - (size_t)i) * sizeof(char *));
	b->pulling.n--;
}

/* What a pull's callbacks report to: the stage's FROM step. */
struct pull_ctx {
	struct stage *st;
	struct timespec last; /* the last bytes line */
};

/* registry_pull's lines ("<id>: Pull complete") under the FROM step. */
static void pull_report(void *ctx, const char *line)
{
	struct pull_ctx *pc = ctx;

	build_progress_line(pc->st->b, pc->st->step, "%s", line);
}

/* A blob's bytes: a line at most every half second, and when it is complete. */
static void pull_bytes(void *ctx, const struct cb_digest *blob, int64_t done, int64_t total)
{
	struct pull_ctx *pc = ctx;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < total &&
	    (now.tv_sec - pc->last.tv_sec) * 1000 + (now.tv_nsec - pc->last.tv_nsec) / 1000000 <
		    500)
		return;
	pc->last = now;
	build_store_progress(pc->st, "downloading", blob, done, total);
}

/* Pull name for the build's platform; *manifest = the platform's manifest. */
static int pull_once(struct build *b, struct stage *st, const char *name,
		     struct cb_digest *manifest, struct cb_error **err)
{
	struct registry_pull_opts o = {0};
	struct registry_pull_result res;
	struct pull_ctx pc = {st, {0, 0}};
	cleanup_free char *platform = *b->variant
					      ? xasprintf("%s/%s/%s", b->os, b->arch, b->variant)
					      : xasprintf("%s/%s", b->os, b->arch);

	if (b->o->pull_opts)
		o = *b->o->pull_opts;
	o.platform = platform;
	o.report = pull_report;
	o.progress = pull_bytes;
	o.ctx = &pc;
	build_progress_line(b, st->step, "resolve %s", name);
	if (registry_pull(st->s, name, &o, &res, err) < 0)
		return -1;
	build_progress_line(b, st->step, "resolve %s: %s (%u blobs fetched, %u present)", name,
			    res.manifest.str, res.blobs_fetched, res.blobs_present);
	*manifest = res.manifest;
	registry_pull_result_release(&res);
	return 0;
}

/* Pull name unless this build did: one pull per name, other stages wait for it. */
static int pull_shared(struct build *b, struct stage *st, const char *name,
		       struct cb_digest *manifest, struct cb_error **err)
{
	const char *done;
	int ret;

	pthread_mutex_lock(&b->mu);
	while (cb_strvec_find(&b->pulling, name) >= 0)
		pthread_cond_wait(&b->pull_cv, &b->mu);
	done = pulled_lookup(b, name);
	if (done) {
		ret = cb_digest_parse(done, manifest, err);
		pthread_mutex_unlock(&b->mu);
		return ret;
	}
	cb_strvec_push(&b->pulling, name);
	pthread_mutex_unlock(&b->mu);

	ret = pull_once(b, st, name, manifest, err);

	pthread_mutex_lock(&b->mu);
	pulling_remove(b, name);
	if (ret == 0)
		cb_strvec_pushf(&b->pulled, "%s\t%s", name, manifest->str);
	pthread_cond_broadcast(&b->pull_cv);
	pthread_mutex_unlock(&b->mu);
	return ret;
}

/* The store's image for ref; with --pull never, a missing one says so. */
static int resolve_local(struct build *b, struct stage *st, const char *ref, bool named,
			 struct store_image *img, struct cb_error **err)
{
	if (build_image_resolve(st->s, ref, img, NULL, err) == 0)
		return 0;
	if (b->o->pull != BUILD_PULL_NEVER || !named)
		return -1;
	cb_error_free(err);
	return cb_error_set(err, ENOENT,
			    "image `%s` is not in the store, and --pull never forbids pulling it",
			    ref);
}

/*
 * Is img for another platform than the build's (a tag pulled with
 * --platform)?  An image that does not say (imported ones may not) is not.
 */
static bool other_platform(const struct build *b, const struct store_image *img)
{
	const struct oci_platform *p = &img->config.platform;

	return (p->os && *p->os && strcmp(p->os, b->os)) ||
	       (p->architecture && *p->architecture && strcmp(p->architecture, b->arch));
}

int build_from_resolve(struct build *b, struct stage *st, const char *ref, struct store_image *img,
		       struct cb_error **err)
{
	struct cb_error *nerr = NULL;
	cleanup_free char *name = registry_ref_normalize(ref, &nerr);
	struct cb_digest d;
	int present = 0;

	cb_error_free(&nerr); /* not a name: an image ID or a digest, the store's only */
	if (name) {
		present = layer_store_tag_get(st->s, name, &d, err);
		if (present < 0)
			return -1;
	}
	/* a digest reference names the same bytes in the store and in the registry */
	if (!name || b->o->pull == BUILD_PULL_NEVER)
		return resolve_local(b, st, ref, name != NULL, img, err);
	if (present && (b->o->pull == BUILD_PULL_MISSING || strchr(name, '@'))) {
		if (resolve_local(b, st, ref, true, img, err) < 0)
			return -1;
		if (!other_platform(b, img))
			return 0;
		/* the tag holds another platform's image: the build's is missing */
		store_image_release(img);
	} else if (!present && build_image_resolve(st->s, ref, img, NULL, &nerr) == 0) {
		return 0; /* no such tag: an image ID prefix (it reads as a name too) */
	}
	cb_error_free(&nerr);
	if (pull_shared(b, st, name, &d, err) < 0)
		return -1;
	if (build_image_resolve(st->s, d.str, img, NULL, err) < 0)
		return cb_error_wrap(err, "image `%s` as pulled", ref);
	return 0;
}
