/*
 * statcache.c - content digests of build-context files, remembered by
 * (dev, inode, size, mtime, ctime), so an unchanged context is checked
 * with stat calls alone: the incremental context hashing of a rebuild.
 *
 * One accelerator file of the store per context directory
 * (aux/statcache-<sha256 of its real path>), text lines
 *	<hex digest> <dev> <ino> <size> <mtime ns> <ctime ns> <path>
 * Loaded at the first COPY from the context, saved at the end of the
 * build when it changed.  A file whose mtime or ctime is within two
 * seconds of the time it was hashed is not remembered (it may still be
 * changing within the timestamp granularity: git's "racy clean" rule).
 * Nothing in it is trusted beyond "this stat matched once": a corrupt or
 * foreign line is dropped.
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

struct stat_entry {
	char *path; /* NULL: free slot */
	uint64_t dev, ino, size;
	int64_t mtime, ctime;
	struct cb_digest digest;
};

struct stat_cache {
	char name[96];
	struct stat_entry *slots;
	size_t n, cap;
	bool dirty;
	int64_t now;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct stat_entry *slot_for(struct stat_cache *c, const char *path)
{
	size_t i = (size_t)str_hash(path) & (c->cap - 1);

	while (c->slots[i].path && strcmp(c->slots[i].path, path))
		i = (i + 1) & (c->cap - 1);
	return &c->slots[i];
}

static void grow(struct stat_cache *c)
{
	struct stat_entry *old = c->slots;
	size_t oldcap = c->cap;

	c->cap = c->cap ? c->cap * 2 : 1024;
	c->slots = xcalloc(c->cap, sizeof(*c->slots));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].path)
			*slot_for(c, old[i].path) = old[i];
	free(old);
}

static void put(struct stat_cache *c, const struct stat_entry *e)
{
	struct stat_entry *s;

	if ((c->n + 1) * 4 >= c->cap * 3)
		grow(c);
	s = slot_for(c, e->path);
	if (s->path) {
		free(s->path);
		c->n--;
	}
	*s = *e;
	c->n++;
}

static int64_t ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* The next space-separated number of *p; false when there is none. */
static bool next_num(char **p, unsigned long long *v, bool sign)
{
	char *end;

	errno = 0;
	*v = sign ? (unsigned long long)strtoll(*p, &end, 10) : strtoull(*p, &end, 10);
	if (end == *p || *end != ' ' || errno)
		return false;
	*p = end + 1;
	return true;
}

/* Lines "<hex> <dev> <ino> <size> <mtime> <ctime> <path>"; others are dropped. */
static void parse(struct stat_cache *c, char *buf)
{
	char *save = NULL;

	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct stat_entry e = {0};
		unsigned long long dev, ino, size, mt, ct;
		char *p = line + CB_DIGEST_HEX + 1;

		if (strlen(line) <= CB_DIGEST_HEX + 1 || line[CB_DIGEST_HEX] != ' ')
			continue;
		line[CB_DIGEST_HEX] = '\0';
		if (!cb_digest_hex_valid(line) || !next_num(&p, &dev, false) ||
		    !next_num(&p, &ino, false) || !next_num(&p, &size, false) ||
		    !next_num(&p, &mt, true) || !next_num(&p, &ct, true) || !*p)
			continue;
		snprintf(e.digest.str, sizeof(e.digest.str), "sha256:%s", line);
		e.dev = dev;
		e.ino = ino;
		e.size = size;
		e.mtime = (int64_t)mt;
		e.ctime = (int64_t)ct;
		e.path = xstrdup(p);
		put(c, &e);
	}
}

struct stat_cache *stat_cache_load(struct layer_store *s, const char *context_dir)
{
	struct stat_cache *c = xcalloc(1, sizeof(*c));
	char real[PATH_MAX];
	struct cb_digest d;
	cleanup_free char *buf = NULL;
	struct cb_error *err = NULL;
	struct timespec now;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &now);
	c->now = ns(&now);
	if (!realpath(context_dir, real))
		snprintf(real, sizeof(real), "%s", context_dir);
	cb_sha256_buf(real, strlen(real), &d);
	snprintf(c->name, sizeof(c->name), "statcache-%s", cb_digest_hex(&d));
	grow(c);
	if (layer_store_aux_read(s, c->name, STATCACHE_MAX, &buf, &len, &err) > 0)
		parse(c, buf);
	cb_error_free(&err);
	return c;
}

bool stat_cache_get(struct stat_cache *c, const char *path, const struct stackfs_stat *st,
		    struct cb_digest *out)
{
	struct stat_entry *e;

	if (!c)
		return false;
	e = slot_for(c, path);
	if (!e->path || e->dev != (uint64_t)st->st_dev || e->ino != (uint64_t)st->st_ino ||
	    e->size != (uint64_t)st->st_size || e->mtime != ns(&st->st_mtim) ||
	    e->ctime != ns(&st->st_ctim))
		return false;
	*out = e->digest;
	return true;
}

void stat_cache_set(struct stat_cache *c, const char *path, const struct stackfs_stat *st,
		    const struct cb_digest *digest)
{
	struct stat_entry e = {0};

	if (!c || strchr(path, '\n') || c->now - ns(&st->st_mtim) < RACY_NS ||
	    c->now - ns(&st->st_ctim) < RACY_NS)
		return;
	e.path = xstrdup(path);
	e.dev = (uint64_t)st->st_dev;
	e.ino = (uint64_t)st->st_ino;
	e.size = (uint64_t)st->st_size;
	e.mtime = ns(&st->st_mtim);
	e.ctime = ns(&st->st_ctim);
	e.digest = *digest;
	put(c, &e);
	c->dirty = true;
}

void stat_cache_save(struct stat_cache *c, struct layer_store *s)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct cb_error *err = NULL;

	if (!c || !c->dirty)
		return;
	for (size_t i = 0; i < c->cap; i++) {
		const struct stat_entry *e = &c->slots[i];

		if (e->path)
			cb_strbuf_addf(&sb, "%s %llu %llu %llu %lld %lld %s\n",
				       cb_digest_hex(&e->digest), (unsigned long long)e->dev,
				       (unsigned long long)e->ino, (unsigned long long)e->size,
				       (long long)e->mtime, (long long)e->ctime, e->path);
	}
	if (layer_store_aux_write(s, c->name, sb.buf ? sb.buf : "", sb.len, &err) < 0)
		cb_error_free(&err); /* an accelerator: the next build hashes again */
	cb_strbuf_release(&sb);
	c->dirty = false;
}

void stat_cache_free(struct stat_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].path);
	free(c->slots);
	free(c);
}
