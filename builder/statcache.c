/*
 * statcache.c - content digests of build-context files, remembered by
 * (dev, inode, size, mtime, ctime), so an unchanged context is checked
 * with stat calls alone: the incremental context hashing of a rebuild.
 *
 * One accelerator file of the store per context directory
 * (aux/statcache-<sha256 of its real path>), binary, little-endian:
 *
 *	header	"cbstat02"  u64 entry size (80)  u64 count  u64 check
 *	entry	u64 path hash  u64 dev  u64 ino  u64 size
 *		i64 mtime ns  i64 ctime ns  u8 sha256[32]
 *
 * Entries are sorted by path hash, strictly increasing; check is a hash
 * of the entries' bytes.  A file that is not exactly that (torn, foreign,
 * an older format) is an empty cache.  An entry is keyed by a 64-bit hash
 * of the path, not the path: two paths with one hash share a slot, and
 * a hit still needs the file's own dev, inode, size and times, so a
 * collision costs a rehash, never a wrong digest.
 *
 * Loaded at the first COPY from the context, saved at the end of the
 * build when it changed (this build's entries merged into the loaded
 * ones).  A file whose mtime or ctime is within two seconds of the time
 * it was hashed is not remembered (it may still be changing within the
 * timestamp granularity: git's "racy clean" rule).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "xalloc.h"

#define STATCACHE_MAX (256u << 20)
#define RACY_NS 2000000000LL
#define MAGIC "cbstat02"
#define HEADER_SIZE 32
#define ENTRY_SIZE 80

struct stat_entry {
	uint64_t key; /* path hash */
	uint64_t dev, ino, size;
	int64_t mtime, ctime;
	unsigned char digest[32];
};

struct stat_cache {
	char name[96];
	/* what was loaded: count entries of ENTRY_SIZE bytes at base, sorted */
	char *file;
	const unsigned char *base;
	size_t count;
	uint32_t *bucket; /* entries with hash prefix j: [bucket[j], bucket[j + 1]) */
	unsigned bits;
	/* what this build set: entries, and an open-addressing index of them */
	struct stat_entry *added;
	size_t nadded, alloc;
	uint32_t *slots; /* index + 1, 0 = free */
	size_t cap;
	bool dirty;
	int64_t now;
};

/* FNV-1a, then a finalizer so every bit of the result depends on the path. */
static uint64_t path_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

static void entry_decode(const unsigned char *p, struct stat_entry *e)
{
	e->key = get64(p);
	e->dev = get64(p + 8);
	e->ino = get64(p + 16);
	e->size = get64(p + 24);
	e->mtime = (int64_t)get64(p + 32);
	e->ctime = (int64_t)get64(p + 40);
	memcpy(e->digest, p + 48, 32);
}

static void entry_encode(unsigned char *p, const struct stat_entry *e)
{
	put64(p, e->key);
	put64(p + 8, e->dev);
	put64(p + 16, e->ino);
	put64(p + 24, e->size);
	put64(p + 32, (uint64_t)e->mtime);
	put64(p + 40, (uint64_t)e->ctime);
	memcpy(p + 48, e->digest, 32);
}

/* A hash of the entries' bytes, eight at a time (a check, not a defence). */
static uint64_t body_check(const unsigned char *p, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		h ^= get64(p + i);
		h *= 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	return h;
}

static int64_t ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* Take the loaded file when it is exactly a valid cache; else leave the cache empty. */
static void adopt(struct stat_cache *c, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t count, nb;
	uint64_t prev = 0;

	if (len < HEADER_SIZE || memcmp(p, MAGIC, 8) || get64(p + 8) != ENTRY_SIZE)
		goto bad;
	count = (size_t)get64(p + 16);
	if (count > (len - HEADER_SIZE) / ENTRY_SIZE || len - HEADER_SIZE != count * ENTRY_SIZE ||
	    count > UINT32_MAX - 1 ||
	    get64(p + 24) != body_check(p + HEADER_SIZE, len - HEADER_SIZE))
		goto bad;
	p += HEADER_SIZE;
	for (size_t i = 0; i < count; i++) {
		uint64_t k = get64(p + i * ENTRY_SIZE);

		if (i && k <= prev)
			goto bad; /* not sorted: lookups would miss, or worse */
		prev = k;
	}
	/* about one entry per bucket */
	for (c->bits = 1; c->bits < 24 && ((size_t)1 << c->bits) < count; c->bits++)
		;
	nb = (size_t)1 << c->bits;
	c->bucket = xcalloc(nb + 1, sizeof(*c->bucket));
	for (size_t i = 0, j = 0; j <= nb; j++) {
		while (i < count && (get64(p + i * ENTRY_SIZE) >> (64 - c->bits)) < j)
			i++;
		c->bucket[j] = (uint32_t)i;
	}
	c->file = buf;
	c->base = p;
	c->count = count;
	return;
bad:
	free(buf);
}

struct stat_cache *stat_cache_load(struct layer_store *s, const char *context_dir)
{
	struct stat_cache *c = xcalloc(1, sizeof(*c));
	char real[PATH_MAX];
	struct cb_digest d;
	char *buf = NULL;
	struct cb_error *err = NULL;
	struct timespec now;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &now);
	c->now = ns(&now);
	if (!realpath(context_dir, real))
		snprintf(real, sizeof(real), "%s", context_dir);
	cb_sha256_buf(real, strlen(real), &d);
	snprintf(c->name, sizeof(c->name), "statcache-%s", cb_digest_hex(&d));
	if (layer_store_aux_read(s, c->name, STATCACHE_MAX, &buf, &len, &err) > 0)
		adopt(c, buf, len);
	cb_error_free(&err);
	return c;
}

/* This build's entry for key, or NULL. */
static struct stat_entry *added_find(const struct stat_cache *c, uint64_t key, size_t *slot)
{
	size_t i;

	if (!c->cap)
		return NULL;
	for (i = (size_t)key & (c->cap - 1); c->slots[i]; i = (i + 1) & (c->cap - 1))
		if (c->added[c->slots[i] - 1].key == key)
			break;
	if (slot)
		*slot = i;
	return c->slots[i] ? &c->added[c->slots[i] - 1] : NULL;
}

/* Index this build's entries again, in cap (a power of two) slots. */
static void reindex(struct stat_cache *c, size_t cap)
{
	free(c->slots);
	c->slots = xcalloc(cap, sizeof(*c->slots));
	c->cap = cap;
	for (size_t n = 0; n < c->nadded; n++) {
		size_t i = (size_t)c->added[n].key & (cap - 1);

		while (c->slots[i])
			i = (i + 1) & (cap - 1);
		c->slots[i] = (uint32_t)(n + 1);
	}
}

/* The loaded entry for key, or false. */
static bool base_find(const struct stat_cache *c, uint64_t key, struct stat_entry *out)
{
	size_t j;

	if (!c->count)
		return false;
	j = (size_t)(key >> (64 - c->bits));
	for (size_t i = c->bucket[j]; i < c->bucket[j + 1]; i++) {
		const unsigned char *p = c->base + i * ENTRY_SIZE;

		if (get64(p) == key) {
			entry_decode(p, out);
			return true;
		}
	}
	return false;
}

static void digest_hex(const unsigned char *raw, struct cb_digest *d)
{
	static const char hex[] = "0123456789abcdef";

	memcpy(d->str, "sha256:", 7);
	for (int i = 0; i < 32; i++) {
		d->str[7 + 2 * i] = hex[raw[i] >> 4];
		d->str[8 + 2 * i] = hex[raw[i] & 15];
	}
	d->str[CB_DIGEST_LEN] = '\0';
}

static int unhex(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static bool digest_raw(const struct cb_digest *d, unsigned char *raw)
{
	const char *h = cb_digest_hex(d);

	if (strncmp(d->str, "sha256:", 7))
		return false;
	for (int i = 0; i < 32; i++) {
		int hi = unhex(h[2 * i]), lo = unhex(h[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* The entry remembered for path (in *found when it comes from the file), or NULL. */
static const struct stat_entry *lookup(struct stat_cache *c, const char *path,
				       struct stat_entry *found)
{
	uint64_t key;
	const struct stat_entry *e;

	if (!c)
		return NULL;
	key = path_hash(path);
	e = added_find(c, key, NULL);
	if (!e && base_find(c, key, found))
		e = found;
	return e;
}

bool stat_cache_get(struct stat_cache *c, const char *path, const struct stackfs_stat *st,
		    struct cb_digest *out)
{
	struct stat_entry found;
	const struct stat_entry *e = lookup(c, path, &found);

	if (!e || e->dev != (uint64_t)st->st_dev || e->ino != (uint64_t)st->st_ino ||
	    e->size != (uint64_t)st->st_size || e->mtime != ns(&st->st_mtim) ||
	    e->ctime != ns(&st->st_ctim))
		return false;
	digest_hex(e->digest, out);
	return true;
}

bool stat_cache_resized(struct stat_cache *c, const char *path, const struct stackfs_stat *st)
{
	struct stat_entry found;
	const struct stat_entry *e = lookup(c, path, &found);

	return e && e->size != (uint64_t)st->st_size;
}

void stat_cache_set(struct stat_cache *c, const char *path, const struct stackfs_stat *st,
		    const struct cb_digest *digest)
{
	struct stat_entry e = {0}, *old;
	size_t slot = 0;

	if (!c || c->now - ns(&st->st_mtim) < RACY_NS || c->now - ns(&st->st_ctim) < RACY_NS ||
	    !digest_raw(digest, e.digest))
		return;
	e.key = path_hash(path);
	e.dev = (uint64_t)st->st_dev;
	e.ino = (uint64_t)st->st_ino;
	e.size = (uint64_t)st->st_size;
	e.mtime = ns(&st->st_mtim);
	e.ctime = ns(&st->st_ctim);
	c->dirty = true;
	old = added_find(c, e.key, NULL);
	if (old) {
		*old = e;
		return;
	}
	if ((c->nadded + 1) * 2 > c->cap)
		reindex(c, c->cap ? c->cap * 2 : 1024);
	added_find(c, e.key, &slot);
	CB_ALLOC_GROW(c->added, c->nadded + 1, c->alloc);
	c->added[c->nadded++] = e;
	c->slots[slot] = (uint32_t)c->nadded;
}

bool stat_cache_empty(const struct stat_cache *c)
{
	return !c || (!c->count && !c->nadded);
}

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = ((const struct stat_entry *)a)->key, y = ((const struct stat_entry *)b)->key;

	return x < y ? -1 : x > y;
}

void stat_cache_save(struct stat_cache *c, struct layer_store *s)
{
	unsigned char *buf, *out;
	size_t i = 0, k = 0, n;
	struct cb_error *err = NULL;

	if (!c || !c->dirty)
		return;
	/* this build's entries, sorted, merged into the loaded ones (replacing theirs) */
	if (c->nadded)
		qsort(c->added, c->nadded, sizeof(*c->added), cmp_key);
	buf = xmalloc(HEADER_SIZE + cb_st_mult(c->count + c->nadded, ENTRY_SIZE));
	out = buf + HEADER_SIZE;
	while (i < c->count || k < c->nadded) {
		uint64_t bk = i < c->count ? get64(c->base + i * ENTRY_SIZE) : UINT64_MAX;

		if (k < c->nadded && (i == c->count || c->added[k].key <= bk)) {
			if (i < c->count && c->added[k].key == bk)
				i++;
			entry_encode(out, &c->added[k++]);
		} else {
			memcpy(out, c->base + i++ * ENTRY_SIZE, ENTRY_SIZE);
		}
		out += ENTRY_SIZE;
	}
	n = (size_t)(out - buf - HEADER_SIZE) / ENTRY_SIZE;
	memcpy(buf, MAGIC, 8);
	put64(buf + 8, ENTRY_SIZE);
	put64(buf + 16, n);
	put64(buf + 24, body_check(buf + HEADER_SIZE, n * ENTRY_SIZE));
	if (layer_store_aux_write(s, c->name, buf, HEADER_SIZE + n * ENTRY_SIZE, &err) < 0)
		cb_error_free(&err); /* an accelerator: the next build hashes again */
	free(buf);
	c->dirty = false;
	if (c->cap)
		reindex(c, c->cap); /* the sort moved this build's entries */
}

void stat_cache_free(struct stat_cache *c)
{
	if (!c)
		return;
	free(c->file);
	free(c->bucket);
	free(c->added);
	free(c->slots);
	free(c);
}
