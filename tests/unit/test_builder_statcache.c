/*
 * test_builder_statcache.c - context file digests remembered by stat
 * (builder/statcache.c): hits only for the exact stat, the racy-clean rule,
 * one accelerator file per context directory in the store, and a bad file
 * being an empty cache.
 *
 * A file's ctime cannot be set back, and the cache does not remember a file
 * changed (mtime or ctime) within two seconds of the cache's load, so most
 * cases give it the file's real stat with the times aged in the struct
 * (aged_stat); test_real_file_after_two_seconds waits instead.  The file
 * format is written by hand here too (test_hand_written_file, and spoilt
 * in every way a reader must check in test_corrupt_file_is_empty).
 */
#include "cbtest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "layerstore.h"
#include "strbuf.h"
#include "xalloc.h"

#define OLD_SEC 1577836800 /* 2020-01-01 */

static struct layer_store *open_store(void)
{
	struct cb_error *err = NULL;
	struct layer_store *s = layer_store_open("store", &err);

	if (!s)
		fail_msg("layer_store_open: %s", cb_error_msg(err));
	return s;
}

static void put_file(const char *path, const char *content)
{
	cleanup_free char *dir = cb_dirname(path);
	struct cb_error *err = NULL;

	if (cb_mkdir_p(AT_FDCWD, dir, 0755, &err) < 0 ||
	    cb_write_file_atomic(AT_FDCWD, path, content, strlen(content), 0644, &err) < 0)
		fail_msg("write %s: %s", path, cb_error_msg(err));
}

/* Set path's mtime (and atime) to sec.nsec. */
static void set_mtime(const char *path, time_t sec, long nsec)
{
	struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};

	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("utimensat %s: %s", path, strerror(errno));
}

static void stat_ok(const char *path, struct stat *st)
{
	if (lstat(path, st) < 0)
		fail_msg("lstat %s: %s", path, strerror(errno));
}

/* A file of the context with an old mtime; its stat with the ctime aged too. */
static void aged_stat(const char *path, const char *content, struct stat *st)
{
	put_file(path, content);
	set_mtime(path, OLD_SEC, 123456789);
	stat_ok(path, st);
	st->st_ctim = st->st_mtim;
}

static void digest_of(const char *s, struct cb_digest *d)
{
	cb_sha256_buf(s, strlen(s), d);
}

/* The cache takes what stackfs keeps of a stat. */
static bool cache_get(struct stat_cache *c, const char *path, const struct stat *st,
		      struct cb_digest *out)
{
	struct stackfs_stat ss;

	stackfs_stat_from(&ss, st);
	return stat_cache_get(c, path, &ss, out);
}

static void cache_set(struct stat_cache *c, const char *path, const struct stat *st,
		      const struct cb_digest *d)
{
	struct stackfs_stat ss;

	stackfs_stat_from(&ss, st);
	stat_cache_set(c, path, &ss, d);
}

static void expect_hit(struct stat_cache *c, const char *path, const struct stat *st,
		       const struct cb_digest *want)
{
	struct cb_digest got;

	memset(&got, 0, sizeof(got));
	if (!cache_get(c, path, st, &got))
		fail_msg("stat_cache_get %s: miss, want a hit", path);
	assert_string_equal(got.str, want->str);
}

static void expect_miss(struct stat_cache *c, const char *path, const struct stat *st)
{
	struct cb_digest got;

	memset(&got, 'x', sizeof(got));
	got.str[sizeof(got.str) - 1] = '\0';
	if (cache_get(c, path, st, &got))
		fail_msg("stat_cache_get %s: hit %s, want a miss", path, got.str);
	assert_int_equal(got.str[0], 'x'); /* untouched */
}

/* The names of store/aux/statcache-* files, sorted, joined with '|'. */
static char *aux_files(void)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	cleanup_dir DIR *d = opendir("store/aux");
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "statcache-", 10))
			cb_strvec_push(&names, de->d_name);
	cb_strvec_sort(&names);
	for (size_t i = 0; i < names.n; i++)
		cb_strbuf_addf(&sb, "%s%s", i ? "|" : "", names.v[i]);
	cb_strvec_clear(&names);
	return cb_strbuf_detach(&sb, NULL);
}

/* The one statcache file of the store (path under the temp dir; caller frees). */
static char *the_cache_file(void)
{
	cleanup_free char *names = aux_files();

	assert_true(strlen(names) == strlen("statcache-") + CB_DIGEST_HEX);
	assert_true(cb_digest_hex_valid(names + strlen("statcache-")));
	return xasprintf("store/aux/%s", names);
}

/* The file name the cache of dir gets: statcache-<sha256 of its real path>. */
static char *cache_name_of(const char *dir)
{
	char real[PATH_MAX];
	struct cb_digest d;

	assert_non_null(realpath(dir, real));
	digest_of(real, &d);
	return xasprintf("statcache-%s", cb_digest_hex(&d));
}

/* ---- the file format (docs in builder/statcache.c) ---------------------- */

#define HEADER 32
#define ENTRY 80

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

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

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

/* Fill header fields of a file of n entries (the check over its entries). */
static void seal(unsigned char *buf, size_t n)
{
	memcpy(buf, "cbstat02", 8);
	put64(buf + 8, ENTRY);
	put64(buf + 16, n);
	put64(buf + 24, body_check(buf + HEADER, n * ENTRY));
}

static void entry_of(unsigned char *p, const char *path, const struct stat *st,
		     const struct cb_digest *d)
{
	put64(p, path_hash(path));
	put64(p + 8, (uint64_t)st->st_dev);
	put64(p + 16, (uint64_t)st->st_ino);
	put64(p + 24, (uint64_t)st->st_size);
	put64(p + 32, (uint64_t)(st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec));
	put64(p + 40, (uint64_t)(st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec));
	for (int i = 0; i < 32; i++) {
		unsigned v;

		sscanf(cb_digest_hex(d) + 2 * i, "%2x", &v);
		p[48 + i] = (unsigned char)v;
	}
}

static void write_raw(const char *file, const void *buf, size_t len)
{
	struct cb_error *err = NULL;

	if (cb_write_file_atomic(AT_FDCWD, file, buf, len, 0644, &err) < 0)
		fail_msg("write %s: %s", file, cb_error_msg(err));
}

/* Load dir's cache from s, expect a miss for path at st, free it. */
static void load_expect_miss(struct layer_store *s, const char *dir, const char *path,
			     const struct stat *st)
{
	struct stat_cache *c = stat_cache_load(s, dir);

	assert_non_null(c);
	expect_miss(c, path, st);
	stat_cache_free(c);
}

/* Load dir's cache from s, expect path at st to give want, free it. */
static void load_expect_hit(struct layer_store *s, const char *dir, const char *path,
			    const struct stat *st, const struct cb_digest *want)
{
	struct stat_cache *c = stat_cache_load(s, dir);

	assert_non_null(c);
	expect_hit(c, path, st, want);
	stat_cache_free(c);
}

/* A cache file of len bytes from buf, which a load of ctx must read as empty. */
static void spoilt_is_empty(struct layer_store *s, const char *file, const void *buf, size_t len,
			    const struct stat *st)
{
	write_raw(file, buf, len);
	load_expect_miss(s, "ctx", "f", st);
}

/*
 * Every case gets a store ("store" in its temp dir) as its state
 * (cmocka's setup and teardown); a case that reopens it stores the new
 * handle back in *state.
 */
static int store_setup(void **state)
{
	*state = open_store();
	return 0;
}

static int store_teardown(void **state)
{
	layer_store_close(*state);
	return 0;
}

/* ---- cases -------------------------------------------------------------- */

static void test_get_set(void **state)
{
	struct layer_store *s = *state;
	struct stat_cache *c;
	struct stat st, other;
	struct cb_digest d, d2;

	aged_stat("ctx/a.txt", "a\n", &st);
	aged_stat("ctx/b.txt", "bb\n", &other);
	digest_of("a\n", &d);
	digest_of("bb\n", &d2);
	c = stat_cache_load(s, "ctx");
	assert_non_null(c);
	expect_miss(c, "a.txt", &st);
	cache_set(c, "a.txt", &st, &d);
	expect_hit(c, "a.txt", &st, &d);
	/* another path with the same stat, and the other file's own stat */
	expect_miss(c, "b.txt", &st);
	expect_miss(c, "a.txt", &other);
	/* set again: replaced */
	cache_set(c, "a.txt", &st, &d2);
	expect_hit(c, "a.txt", &st, &d2);
	cache_set(c, "b.txt", &other, &d2);
	expect_hit(c, "b.txt", &other, &d2);
	expect_hit(c, "a.txt", &st, &d2);
	stat_cache_free(c);
}

static void test_changed_stat_misses(void **state)
{
	struct layer_store *s = *state;
	struct stat_cache *c;
	struct stat st, x;
	struct cb_digest d;

	aged_stat("ctx/f", "content\n", &st);
	digest_of("content\n", &d);
	c = stat_cache_load(s, "ctx");
	cache_set(c, "f", &st, &d);
	expect_hit(c, "f", &st, &d);
	x = st;
	x.st_size++;
	expect_miss(c, "f", &x);
	x = st;
	x.st_mtim.tv_nsec++;
	expect_miss(c, "f", &x);
	x = st;
	x.st_mtim.tv_sec--;
	expect_miss(c, "f", &x);
	x = st;
	x.st_ino++;
	expect_miss(c, "f", &x);
	x = st;
	x.st_dev++;
	expect_miss(c, "f", &x);
	x = st;
	x.st_ctim.tv_sec++;
	expect_miss(c, "f", &x);
	/* what does not go into a digest does not matter */
	x = st;
	x.st_atim.tv_sec++;
	x.st_nlink++;
	expect_hit(c, "f", &x, &d);
	/* the file really changed: same size, new mtime */
	put_file("ctx/f", "CONTENT\n");
	set_mtime("ctx/f", OLD_SEC + 1, 0);
	stat_ok("ctx/f", &x);
	x.st_ctim = st.st_ctim;
	expect_miss(c, "f", &x);
	stat_cache_free(c);
}

static bool resized(struct stat_cache *c, const char *path, const struct stat *st)
{
	struct stackfs_stat ss;

	stackfs_stat_from(&ss, st);
	return stat_cache_resized(c, path, &ss);
}

/* Another size than remembered: certainly other content (a COPY's streamed key stops there). */
static void test_resized(void **state)
{
	struct layer_store *s = *state;
	struct stat_cache *c;
	struct stat st, x;
	struct cb_digest d;

	aged_stat("ctx/f", "content\n", &st);
	digest_of("content\n", &d);
	c = stat_cache_load(s, "ctx");
	assert_false(resized(c, "f", &st)); /* nothing remembered: not known to differ */
	cache_set(c, "f", &st, &d);
	assert_false(resized(c, "f", &st));
	x = st;
	x.st_mtim.tv_sec++; /* only touched: may be the same content */
	x.st_ctim.tv_sec++;
	assert_false(resized(c, "f", &x));
	x = st;
	x.st_size++;
	assert_true(resized(c, "f", &x));
	assert_false(resized(c, "g", &x));
	assert_false(resized(NULL, "f", &x));
	stat_cache_free(c);
}

static void test_save_and_reload(void **state)
{
	struct layer_store *s = *state;
	struct stat_cache *c;
	struct stat st1, st2, before, after;
	struct cb_digest d1, d2;
	char real[PATH_MAX];
	cleanup_free char *file = NULL, *want = NULL, *saved = NULL, *again = NULL;
	cleanup_free char *abs = NULL;
	size_t len = 0, len2 = 0;

	aged_stat("ctx/one", "1\n", &st1);
	aged_stat("ctx/sub/two words", "2\n", &st2);
	digest_of("1\n", &d1);
	digest_of("2\n", &d2);
	c = stat_cache_load(s, "ctx");
	cache_set(c, "one", &st1, &d1);
	cache_set(c, "sub/two words", &st2, &d2);
	stat_cache_save(c, s);
	stat_cache_free(c);

	/* one file, aux/statcache-<sha256 of the context's real path> */
	file = the_cache_file();
	want = cache_name_of("ctx");
	assert_string_equal(file + strlen("store/aux/"), want);
	saved = cb_test_read_file(file, &len);
	/* binary: a header, then the two entries sorted by path hash */
	assert_int_equal(len, HEADER + 2 * ENTRY);
	assert_memory_equal(saved, "cbstat02", 8);
	{
		unsigned char e1[ENTRY], e2[ENTRY];
		bool one_first = path_hash("one") < path_hash("sub/two words");

		entry_of(e1, "one", &st1, &d1);
		entry_of(e2, "sub/two words", &st2, &d2);
		assert_memory_equal(saved + HEADER, one_first ? e1 : e2, ENTRY);
		assert_memory_equal(saved + HEADER + ENTRY, one_first ? e2 : e1, ENTRY);
	}

	/* a fresh load, the same directory spelt three ways */
	assert_non_null(realpath("ctx", real));
	abs = xstrdup(real);
	{
		const char *spellings[] = {"ctx", "./ctx/", abs};

		for (size_t i = 0; i < 3; i++) {
			c = stat_cache_load(s, spellings[i]);
			expect_hit(c, "one", &st1, &d1);
			expect_hit(c, "sub/two words", &st2, &d2);
			expect_miss(c, "two words", &st2);
			stat_cache_free(c);
		}
	}
	layer_store_close(s);

	/* through another handle of the store too; unchanged: not rewritten */
	s = open_store();
	*state = s;
	stat_ok(file, &before);
	c = stat_cache_load(s, "ctx");
	expect_hit(c, "one", &st1, &d1);
	stat_cache_save(c, s);
	stat_cache_free(c);
	stat_ok(file, &after);
	assert_int_equal(after.st_ino, before.st_ino);
	again = cb_test_read_file(file, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(again, saved, len);
}

static void test_nothing_to_save(void **state)
{
	struct layer_store *s = *state;
	struct stat_cache *c;
	struct stat st;
	struct cb_digest d;
	cleanup_free char *names = NULL;

	put_file("ctx/f", "f\n");
	stat_ok("ctx/f", &st); /* just made: racy */
	digest_of("f\n", &d);
	c = stat_cache_load(s, "ctx");
	cache_set(c, "f", &st, &d);
	stat_cache_save(c, s);
	stat_cache_free(c);
	names = aux_files();
	assert_string_equal(names, "");
}

static void test_racy_not_remembered(void **state)
{
	struct layer_store *s = *state;
	struct stat_cache *c;
	struct stat fresh, x, aged;
	struct cb_digest d;
	struct timespec now;

	put_file("ctx/new", "new\n");
	stat_ok("ctx/new", &fresh);
	aged_stat("ctx/old", "old\n", &aged);
	digest_of("x\n", &d);
	c = stat_cache_load(s, "ctx");
	clock_gettime(CLOCK_REALTIME, &now);

	/* a file just written */
	cache_set(c, "new", &fresh, &d);
	expect_miss(c, "new", &fresh);
	/* an old mtime but a fresh ctime (as utimensat leaves it) */
	put_file("ctx/touched", "t\n");
	set_mtime("ctx/touched", OLD_SEC, 0);
	stat_ok("ctx/touched", &x);
	cache_set(c, "touched", &x, &d);
	expect_miss(c, "touched", &x);
	/* mtime within two seconds of the load, in the past or the future */
	x = aged;
	x.st_mtim.tv_sec = now.tv_sec - 1;
	cache_set(c, "recent", &x, &d);
	expect_miss(c, "recent", &x);
	x.st_mtim.tv_sec = now.tv_sec + 60;
	cache_set(c, "future", &x, &d);
	expect_miss(c, "future", &x);
	/* ctime within two seconds, mtime old */
	x = aged;
	x.st_ctim.tv_sec = now.tv_sec;
	cache_set(c, "ctime", &x, &d);
	expect_miss(c, "ctime", &x);
	/* three seconds back is old enough */
	x = aged;
	x.st_mtim.tv_sec = x.st_ctim.tv_sec = now.tv_sec - 3;
	cache_set(c, "settled", &x, &d);
	expect_hit(c, "settled", &x, &d);
	/* a racy set does not leave the earlier entry answering for the new stat */
	cache_set(c, "old", &aged, &d);
	expect_hit(c, "old", &aged, &d);
	x = aged;
	x.st_mtim.tv_sec = now.tv_sec;
	x.st_size++;
	cache_set(c, "old", &x, &d);
	expect_miss(c, "old", &x);
	stat_cache_free(c);
}

static void test_real_file_after_two_seconds(void **state)
{
	struct layer_store *s = *state;
	struct stat_cache *c;
	struct stat st, st2;
	struct cb_digest d;
	struct timespec pause = {2, 300000000};

	put_file("ctx/f", "real\n");
	set_mtime("ctx/f", OLD_SEC, 0);
	/* the ctime utimensat just set must age past the racy window */
	while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
		;
	digest_of("real\n", &d);
	c = stat_cache_load(s, "ctx");
	stat_ok("ctx/f", &st);
	cache_set(c, "f", &st, &d);
	expect_hit(c, "f", &st, &d);
	stat_cache_save(c, s);
	stat_cache_free(c);
	c = stat_cache_load(s, "ctx");
	stat_ok("ctx/f", &st2);
	expect_hit(c, "f", &st2, &d);
	/* rewritten: a new inode (atomic write) and new times */
	put_file("ctx/f", "real\n");
	stat_ok("ctx/f", &st2);
	expect_miss(c, "f", &st2);
	stat_cache_free(c);
}

static void test_corrupt_file_is_empty(void **state)
{
	static const char garbage[] = "\x89PNG\r\n\x1a\n\0\xff\xfe not a cache\n"
				      "sha256 1 2 3 4 5 x\n"
				      "zz 1 2 3 4 5 6\n";
	struct layer_store *s = *state;
	struct stat_cache *c;
	struct stat st;
	struct cb_digest d;
	struct cb_error *err = NULL;
	cleanup_free char *file = NULL, *good = NULL;
	size_t len = 0;

	aged_stat("ctx/f", "f\n", &st);
	digest_of("f\n", &d);
	c = stat_cache_load(s, "ctx");
	cache_set(c, "f", &st, &d);
	stat_cache_save(c, s);
	stat_cache_free(c);
	file = the_cache_file();
	good = cb_test_read_file(file, &len);

	/* garbage: an empty cache, and the next save replaces it */
	assert_int_equal(
		cb_write_file_atomic(AT_FDCWD, file, garbage, sizeof(garbage) - 1, 0644, &err), 0);
	c = stat_cache_load(s, "ctx");
	assert_non_null(c);
	expect_miss(c, "f", &st);
	cache_set(c, "f", &st, &d);
	expect_hit(c, "f", &st, &d);
	stat_cache_save(c, s);
	stat_cache_free(c);
	load_expect_hit(s, "ctx", "f", &st, &d);

	/* an empty file, a directory in its place */
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, file, "", 0, 0644, &err), 0);
	load_expect_miss(s, "ctx", "f", &st);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(mkdir(file, 0755), 0);
	c = stat_cache_load(s, "ctx");
	expect_miss(c, "f", &st);
	cache_set(c, "f", &st, &d);
	stat_cache_save(c, s); /* cannot replace a directory: best effort, no failure */
	stat_cache_free(c);
	assert_int_equal(rmdir(file), 0);

	/* a good file (one entry) spoilt in every way a reader must check */
	{
		unsigned char *b = xmalloc(len + ENTRY + 1);

		assert_int_equal(len, HEADER + ENTRY);
		write_raw(file, good, len);
		load_expect_hit(s, "ctx", "f", &st, &d);
		/* torn: short by a byte, short of its entry, the header alone */
		spoilt_is_empty(s, file, good, len - 1, &st);
		spoilt_is_empty(s, file, good, HEADER, &st);
		/* a byte too many */
		memcpy(b, good, len);
		b[len] = 0;
		spoilt_is_empty(s, file, b, len + 1, &st);
		/* a count beyond the file, and one that overflows count * size */
		memcpy(b, good, len);
		put64(b + 16, 2);
		spoilt_is_empty(s, file, b, len, &st);
		put64(b + 16, UINT64_MAX / 16 + 1);
		spoilt_is_empty(s, file, b, len, &st);
		/* another entry size, another magic */
		memcpy(b, good, len);
		put64(b + 8, ENTRY + 8);
		spoilt_is_empty(s, file, b, len, &st);
		memcpy(b, good, len);
		b[7] = '1';
		spoilt_is_empty(s, file, b, len, &st);
		/* a flipped bit in the digest: the check catches it */
		memcpy(b, good, len);
		b[HEADER + 60] ^= 4;
		spoilt_is_empty(s, file, b, len, &st);
		/* two entries out of order (the check made right): refused */
		memcpy(b, good, len);
		memcpy(b + HEADER + ENTRY, good + HEADER, ENTRY);
		put64(b + HEADER + ENTRY, get64(b + HEADER) - 1);
		seal(b, 2);
		spoilt_is_empty(s, file, b, len + ENTRY, &st);
		/* the same two in order: both read */
		put64(b + HEADER + ENTRY, get64(b + HEADER) + 1);
		seal(b, 2);
		write_raw(file, b, len + ENTRY);
		load_expect_hit(s, "ctx", "f", &st, &d);
		free(b);
	}
	/* the text format of earlier versions is a miss, not an error */
	{
		cleanup_free char *line =
			xasprintf("%s %llu %llu %llu %lld %lld f\n", cb_digest_hex(&d),
				  (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
				  (unsigned long long)st.st_size,
				  (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
				  (long long)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec);

		spoilt_is_empty(s, file, line, strlen(line), &st);
	}
}

static void test_hand_written_file(void **state)
{
	struct layer_store *s = *state;
	struct stat_cache *c;
	struct stat st;
	struct cb_digest d;
	struct cb_error *err = NULL;
	cleanup_free char *name = NULL, *path = NULL;
	unsigned char buf[HEADER + ENTRY];

	memset(&st, 0, sizeof(st));
	st.st_dev = 2049;
	st.st_ino = 131;
	st.st_size = 5;
	st.st_mtim.tv_sec = OLD_SEC;
	st.st_mtim.tv_nsec = 1;
	st.st_ctim.tv_sec = OLD_SEC + 1;
	digest_of("hello", &d);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "ctx", 0755, &err), 0);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "store/aux", 0700, &err), 0);
	name = cache_name_of("ctx");
	path = xasprintf("store/aux/%s", name);
	entry_of(buf + HEADER, "dir/hello", &st, &d);
	seal(buf, 1);
	write_raw(path, buf, sizeof(buf));
	c = stat_cache_load(s, "ctx");
	expect_hit(c, "dir/hello", &st, &d);
	expect_miss(c, "dir/hello2", &st);
	stat_cache_free(c);
}

static void test_contexts_apart(void **state)
{
	struct layer_store *s = *state;
	struct stat_cache *c1, *c2;
	struct stat st;
	struct cb_digest d1, d2;
	cleanup_free char *names = NULL, *n1 = NULL, *n2 = NULL, *want = NULL;

	aged_stat("ctx1/f", "f\n", &st);
	put_file("ctx2/f", "g\n");
	digest_of("f\n", &d1);
	digest_of("g\n", &d2);
	/* the same path and (as given) the same stat in both */
	c1 = stat_cache_load(s, "ctx1");
	c2 = stat_cache_load(s, "ctx2");
	cache_set(c1, "f", &st, &d1);
	expect_miss(c2, "f", &st);
	cache_set(c2, "f", &st, &d2);
	expect_hit(c1, "f", &st, &d1);
	expect_hit(c2, "f", &st, &d2);
	stat_cache_save(c1, s);
	stat_cache_free(c1);
	load_expect_hit(s, "ctx1", "f", &st, &d1);
	/* ctx2's changes were not saved: it has no file yet */
	load_expect_miss(s, "ctx2", "f", &st);
	stat_cache_save(c2, s);
	stat_cache_free(c2);
	load_expect_hit(s, "ctx2", "f", &st, &d2);
	/* and a context that is a subdirectory of another is another context */
	put_file("ctx1/sub/f", "");
	load_expect_miss(s, "ctx1/sub", "f", &st);

	names = aux_files();
	n1 = cache_name_of("ctx1");
	n2 = cache_name_of("ctx2");
	want = strcmp(n1, n2) < 0 ? xasprintf("%s|%s", n1, n2) : xasprintf("%s|%s", n2, n1);
	assert_string_equal(names, want);
}

static void test_many_entries(void **state)
{
	struct layer_store *s = *state;
	struct stat_cache *c;
	struct stat st;
	struct cb_digest d;
	char path[32];

	aged_stat("ctx/f", "", &st);
	c = stat_cache_load(s, "ctx");
	for (int i = 0; i < 5000; i++) {
		snprintf(path, sizeof(path), "dir/%d", i);
		digest_of(path, &d);
		st.st_ino = (ino_t)i;
		cache_set(c, path, &st, &d);
	}
	stat_cache_save(c, s);
	stat_cache_free(c);
	c = stat_cache_load(s, "ctx");
	for (int i = 0; i < 5000; i++) {
		snprintf(path, sizeof(path), "dir/%d", i);
		digest_of(path, &d);
		st.st_ino = (ino_t)i;
		expect_hit(c, path, &st, &d);
		st.st_ino = (ino_t)i + 1;
		expect_miss(c, path, &st);
	}
	stat_cache_free(c);
}

static void test_odd_paths_and_null(void **state)
{
	struct layer_store *s = *state;
	struct stat_cache *c;
	struct stat st;
	struct cb_digest d;
	cleanup_free char *names = NULL;

	aged_stat("ctx/f", "f\n", &st);
	digest_of("f\n", &d);
	/* no cache (not loaded yet): every call is harmless */
	assert_false(cache_get(NULL, "f", &st, &d));
	cache_set(NULL, "f", &st, &d);
	stat_cache_save(NULL, s);
	stat_cache_free(NULL);
	/* names with a newline, or any byte but NUL, are names like others */
	c = stat_cache_load(s, "ctx");
	cache_set(c, "a\nb", &st, &d);
	cache_set(c, "\xff \t", &st, &d);
	stat_cache_save(c, s);
	stat_cache_free(c);
	c = stat_cache_load(s, "ctx");
	expect_hit(c, "a\nb", &st, &d);
	expect_hit(c, "\xff \t", &st, &d);
	expect_miss(c, "a", &st);
	expect_miss(c, "a\n", &st);
	stat_cache_free(c);
	names = aux_files();
	assert_int_equal(strlen(names), strlen("statcache-") + CB_DIGEST_HEX);
	/* a context that does not exist (yet): its own empty cache */
	c = stat_cache_load(s, "nope");
	expect_miss(c, "f", &st);
	cache_set(c, "f", &st, &d);
	expect_hit(c, "f", &st, &d);
	stat_cache_free(c);
}

CB_TEST_MAIN(cmocka_unit_test_setup_teardown(test_get_set, store_setup, store_teardown),
	     cmocka_unit_test_setup_teardown(test_changed_stat_misses, store_setup, store_teardown),
	     cmocka_unit_test_setup_teardown(test_resized, store_setup, store_teardown),
	     cmocka_unit_test_setup_teardown(test_save_and_reload, store_setup, store_teardown),
	     cmocka_unit_test_setup_teardown(test_nothing_to_save, store_setup, store_teardown),
	     cmocka_unit_test_setup_teardown(test_racy_not_remembered, store_setup, store_teardown),
	     cmocka_unit_test_setup_teardown(test_real_file_after_two_seconds, store_setup,
					     store_teardown),
	     cmocka_unit_test_setup_teardown(test_corrupt_file_is_empty, store_setup,
					     store_teardown),
	     cmocka_unit_test_setup_teardown(test_hand_written_file, store_setup, store_teardown),
	     cmocka_unit_test_setup_teardown(test_contexts_apart, store_setup, store_teardown),
	     cmocka_unit_test_setup_teardown(test_many_entries, store_setup, store_teardown),
	     cmocka_unit_test_setup_teardown(test_odd_paths_and_null, store_setup, store_teardown))
