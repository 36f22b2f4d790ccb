/*
 * copy-key.c - a COPY's cache key (step-copy.c): the plan's items hashed,
 * contents from the stat cache or read now, or streamed without a plan.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"

/* ------------------------------------------------------------------------ */
/* The cache key                                                             */
/* ------------------------------------------------------------------------ */

/* What copy_stream_key may read to hash files the stat cache does not know. */
#define STREAM_HASH_BUDGET (32u << 20)

/* The key's bytes, handed to SHA-256 in blocks (a call per item costs more than the hashing). */
struct key_buf {
	struct cb_sha256 h;
	struct cb_strbuf buf;
};

struct key_stream {
	struct key_buf kb;
	uint64_t left; /* bytes it may still read */
	bool abandoned;
};

static int hash_file(const struct copy_item *it, struct cb_sha256 *h, struct cb_error **err)
{
	cleanup_close int fd = stackfs_open_entry(it->src, &it->entry, O_RDONLY, err);
	char buf[65536];

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cb_error_set(err, errno, "read `%s`", it->entry.path);
		if (n == 0)
			return 0;
		cb_sha256_update(h, buf, (size_t)n);
	}
}

/* The context's stat cache, shared by the build's COPY steps. */
struct stat_cache *copy_context_stats(struct copy_op *op)
{
	struct build *b = op->b;
	struct stat_cache *c;

	pthread_mutex_lock(&b->mu);
	if (!b->stats)
		b->stats = stat_cache_load(op->st->s, b->ctx.dir);
	c = b->stats;
	pthread_mutex_unlock(&b->mu);
	return c;
}

/*
 * Fill the digests the stat cache knows; true when the files it does not
 * know are most of the bytes to copy (a first build of this context).
 * Then the copy is done first and hashes those files as it reads them, so
 * they are read once, and the cache is asked afterwards (a hit then drops
 * the tree).  A context the cache mostly knows is hashed first, so that a
 * miss can link the unchanged files from the last result (reuse.c).
 */
bool copy_first(struct copy_op *op)
{
	struct stat_cache *sc = op->from_context ? copy_context_stats(op) : NULL;
	uint64_t total = 0, unknown = 0;

	if (!sc)
		return false;
	pthread_mutex_lock(&op->b->mu);
	for (size_t i = 0; i < op->plan.n; i++) {
		struct copy_item *it = &op->plan.items[i];
		uint64_t bytes = (uint64_t)it->entry.st.st_size + 4096;

		if (it->kind != ITEM_FILE)
			continue;
		total += bytes;
		if (it->url)
			continue; /* its digest came with the download */
		it->hashed = stat_cache_get(sc, it->entry.path, &it->entry.st, &it->digest);
		if (!it->hashed)
			unknown += bytes;
	}
	pthread_mutex_unlock(&op->b->mu);
	return unknown * 4 > total;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

/*
 * An item's part of the key: a 1 (the head parts before it are
 * length-prefixed text, a digit first), kind, mode, owner, the lengths of
 * the destination and the link target, the two, and the content digest of
 * files and data.  Lengths first, so no two item lists encode alike.
 */
static void item_bytes(const struct copy_item *it, struct cb_strbuf *out)
{
	size_t dl = strlen(it->dst);
	size_t ll = it->kind == ITEM_LINK && it->link ? strlen(it->link) : 0;
	unsigned char h[2 + 3 * 8 + 2 * 8];

	h[0] = 1;
	h[1] = (unsigned char)it->kind;
	put64(h + 2, (uint64_t)it->mode);
	put64(h + 10, (uint64_t)it->uid);
	put64(h + 18, (uint64_t)it->gid);
	put64(h + 26, (uint64_t)dl);
	put64(h + 34, (uint64_t)ll);
	cb_strbuf_add(out, h, sizeof(h));
	cb_strbuf_add(out, it->dst, dl);
	if (ll)
		cb_strbuf_add(out, it->link, ll);
	if (it->kind == ITEM_FILE || it->kind == ITEM_ARCHIVE || it->kind == ITEM_DATA)
		cb_strbuf_add(out, cb_digest_hex(&it->digest), CB_DIGEST_HEX);
}

/* The content digest of a file item: known, from the stat cache, or read now. */
static int item_digest(struct copy_op *op, struct copy_item *it, struct cb_error **err)
{
	struct stat_cache *sc = op->from_context ? copy_context_stats(op) : NULL;
	struct key_stream *ks = op->plan.ks;
	struct cb_sha256 h;
	bool hit, resized;
	int ret;

	if (it->hashed)
		return 0;
	/* parallel stages share the cache */
	pthread_mutex_lock(&op->b->mu);
	hit = stat_cache_get(sc, it->entry.path, &it->entry.st, &it->digest);
	resized = !hit && ks && stat_cache_resized(sc, it->entry.path, &it->entry.st);
	pthread_mutex_unlock(&op->b->mu);
	if (hit) {
		it->hashed = true;
		return 0;
	}
	/*
	 * A file of another size than last time has other content: the key
	 * will miss, so the rest of this walk would be wasted (the copy walks
	 * again to plan).  A file only touched is hashed (within the budget).
	 */
	if (resized) {
		ks->abandoned = true;
		return cb_error_set(err, ECANCELED, "`%s` changed", it->entry.path);
	}
	if (ks && (uint64_t)it->entry.st.st_size > ks->left) {
		ks->abandoned = true; /* cheaper to hash while copying */
		return cb_error_set(err, ECANCELED, "`%s`: too big to hash before the copy",
				    it->entry.path);
	}
	if (ks)
		ks->left -= (uint64_t)it->entry.st.st_size;
	cb_sha256_init(&h);
	ret = hash_file(it, &h, err);
	cb_sha256_final(&h, &it->digest);
	cb_sha256_release(&h);
	if (ret < 0)
		return -1;
	it->hashed = true;
	pthread_mutex_lock(&op->b->mu);
	stat_cache_set(sc, it->entry.path, &it->entry.st, &it->digest);
	pthread_mutex_unlock(&op->b->mu);
	return 0;
}

/* The key so far: the parent's (none with --link), then the head parts. */
static void key_begin(struct copy_op *op, const struct cb_strvec *head, struct key_buf *kb)
{
	build_key_init(&kb->h, op->link ? NULL : &op->st->key);
	for (size_t i = 0; i < head->n; i++)
		build_key_add(&kb->h, head->v[i], strlen(head->v[i]));
	kb->buf = (struct cb_strbuf)CB_STRBUF_INIT;
}

/* Digest an item (reading a file the stat cache does not know) and add it to the key. */
static int key_item(struct copy_op *op, struct key_buf *kb, struct copy_item *it,
		    struct cb_error **err)
{
	if (it->kind == ITEM_FILE || it->kind == ITEM_ARCHIVE) {
		if (item_digest(op, it, err) < 0)
			return -1;
	} else if (it->kind == ITEM_DATA) {
		cb_sha256_buf(it->data, strlen(it->data), &it->digest);
	}
	item_bytes(it, &kb->buf);
	if (kb->buf.len >= 32768) {
		cb_sha256_update(&kb->h, kb->buf.buf, kb->buf.len);
		cb_strbuf_reset(&kb->buf);
	}
	return 0;
}

static void key_end(struct key_buf *kb, struct cb_digest *key)
{
	cb_sha256_update(&kb->h, kb->buf.buf, kb->buf.len);
	cb_sha256_final(&kb->h, key);
	cb_sha256_release(&kb->h);
	cb_strbuf_release(&kb->buf);
}

static void key_abort(struct key_buf *kb)
{
	cb_sha256_release(&kb->h);
	cb_strbuf_release(&kb->buf);
}

/* The step's key, from the plan. */
int copy_key(struct copy_op *op, const struct cb_strvec *head, struct cb_digest *key,
	     struct cb_error **err)
{
	struct key_buf kb;

	key_begin(op, head, &kb);
	for (size_t i = 0; i < op->plan.n; i++) {
		if (key_item(op, &kb, &op->plan.items[i], err) < 0) {
			key_abort(&kb);
			return -1;
		}
	}
	key_end(&kb, key);
	return 0;
}

/* Streaming: the final items go into the key and out of the plan. */
int copy_plan_flush(struct copy_op *op, struct cb_error **err)
{
	struct copy_plan *p = &op->plan;
	size_t k = p->final - p->base, i;
	int ret = 0;

	for (i = 0; i < k && ret == 0; i++) {
		struct copy_item *it = &p->items[i];

		ret = key_item(op, &p->ks->kb, it, err);
		if (ret == 0 && it->kind == ITEM_DIR)
			cb_strvec_push(&p->dirs, it->dst);
		copy_item_release(it);
	}
	if (i && p->n > i)
		memmove(p->items, p->items + i, (p->n - i) * sizeof(*p->items));
	p->n -= i;
	p->base += i;
	if (!p->n) /* no lazy directory waits: no string is in use */
		copy_arena_rewind(&p->strings);
	return ret;
}

/*
 * The key without keeping a plan: the walk hands each item to the key as
 * soon as it is final, so checking an unchanged context takes the same
 * little memory however big it is.  1 and *key; 0 when it gave up (the
 * stat cache knows nothing of the context yet, or a file it does not
 * know is too big to read twice): the caller plans, and copies first.
 */
int copy_stream_key(struct copy_op *op, const struct cb_strvec *srcs, const char *dest,
		    const struct cb_strvec *head, struct cb_digest *key, struct cb_error **err)
{
	struct key_stream ks = {.left = STREAM_HASH_BUDGET};
	bool cold = false;
	int ret;

	if (op->from_context) {
		struct stat_cache *sc = copy_context_stats(op);

		pthread_mutex_lock(&op->b->mu);
		cold = stat_cache_empty(sc);
		pthread_mutex_unlock(&op->b->mu);
	}
	if (cold)
		return 0;
	key_begin(op, head, &ks.kb);
	op->plan.ks = &ks;
	ret = copy_plan_step(op, srcs, dest, err);
	if (ret == 0) {
		op->plan.final = copy_plan_count(op);
		ret = copy_plan_flush(op, err);
	}
	copy_plan_release(&op->plan);
	if (ret < 0) {
		key_abort(&ks.kb);
		if (!ks.abandoned)
			return -1;
		cb_error_free(err);
		return 0;
	}
	key_end(&ks.kb, key);
	return 1;
}

/* A step that missed: what its key was made from, for the next build's explanation. */
void copy_explain(struct copy_op *op, const struct cb_strvec *head, unsigned step)
{
	struct explain_parts parts = EXPLAIN_PARTS_INIT;
	struct cb_strbuf buf = CB_STRBUF_INIT;

	for (size_t i = 0; i < head->n; i++)
		explain_parts_text(&parts, head->v[i]);
	for (size_t i = 0; i < op->plan.n; i++) {
		const struct copy_item *it = &op->plan.items[i];

		cb_strbuf_reset(&buf);
		item_bytes(it, &buf);
		explain_parts_file(&parts, it->dst, buf.buf, buf.len);
	}
	build_explain_miss_parts(op->b, op->st, op->in, step, op->link ? NULL : &op->st->key,
				 &parts);
	explain_parts_release(&parts);
	cb_strbuf_release(&buf);
}
