/*
 * layertest.h - helpers shared by the layer tests (test_layerstore_*.c):
 * files, a canonical dump of a tree to compare two trees, a hand-made tar
 * writer (so tests can write headers no real tool would), and layer
 * diff/apply on paths.  Header-only, `static inline`, so each test binary
 * stays one file as tests/CMakeLists.txt expects.
 */
#ifndef CB_TESTS_LAYERTEST_H
#define CB_TESTS_LAYERTEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cbtest.h"
#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "layerstore-internal.h"
#include "strbuf.h"
#include "xalloc.h"

/* Fail the test with the error's message. */
#define LT_OK(expr)                                                                                \
	do {                                                                                       \
		struct cb_error *lt_err_ = NULL;                                                   \
		struct cb_error **err_ = &lt_err_;                                                 \
		(void)err_;                                                                        \
		if ((expr) < 0) {                                                                  \
			fail_msg("%s: %s", #expr, cb_error_msg(lt_err_));                          \
		}                                                                                  \
		cb_error_free(&lt_err_);                                                           \
	} while (0)

static inline void lt_write(const char *path, const char *content)
{
	struct cb_error *err = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(cb_write_all(fd, content, strlen(content), &err), 0);
	close(fd);
}

static inline void lt_mkdirs(const char *path)
{
	struct cb_error *err = NULL;

	if (cb_mkdir_p(AT_FDCWD, path, 0755, &err) < 0)
		fail_msg("mkdir %s: %s", path, cb_error_msg(err));
}

static inline char *lt_read(const char *path)
{
	struct cb_error *err = NULL;
	char *buf = NULL;

	if (cb_read_file(path, 0, &buf, NULL, &err) < 0) {
		cb_error_free(&err);
		return NULL;
	}
	return buf;
}

static inline int lt_open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	return fd;
}

/* ------------------------------------------------------------------------ */
/* A canonical dump of a tree: one line per entry, sorted                   */
/* ------------------------------------------------------------------------ */

struct lt_ino {
	ino_t ino;
	char *first;
};

static inline void lt_dump_xattrs(struct cb_strbuf *sb, const char *path)
{
	char list[4096], val[256];
	ssize_t n = llistxattr(path, list, sizeof(list));
	struct cb_strvec names = CB_STRVEC_INIT;

	for (char *p = list; n > 0 && p < list + n; p += strlen(p) + 1)
		cb_strvec_push(&names, p);
	cb_strvec_sort(&names);
	for (size_t i = 0; i < names.n; i++) {
		ssize_t vn = lgetxattr(path, names.v[i], val, sizeof(val));

		cb_strbuf_addf(sb, " x:%s=", names.v[i]);
		for (ssize_t j = 0; j < vn; j++)
			cb_strbuf_addf(sb, "%02x", (unsigned char)val[j]);
	}
	cb_strvec_clear(&names);
}

static inline void lt_dump_rec(struct cb_strbuf *sb, const char *root, const char *rel,
			       struct lt_ino **inos, size_t *ninos)
{
	cleanup_free char *dir = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	struct cb_strvec names = CB_STRVEC_INIT;
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			cb_strvec_push(&names, de->d_name);
	closedir(d);
	cb_strvec_sort(&names);
	for (size_t i = 0; i < names.n; i++) {
		cleanup_free char *r =
			rel[0] ? xasprintf("%s/%s", rel, names.v[i]) : xstrdup(names.v[i]);
		cleanup_free char *p = xasprintf("%s/%s", root, r);
		struct stat st;

		assert_int_equal(lstat(p, &st), 0);
		cb_strbuf_addf(sb, "%s mode=%o uid=%u gid=%u", r, (unsigned)st.st_mode,
			       (unsigned)st.st_uid, (unsigned)st.st_gid);
		if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
			cb_strbuf_addf(sb, " mtime=%lld", (long long)st.st_mtim.tv_sec);
		if (S_ISREG(st.st_mode)) {
			cleanup_free char *content = lt_read(p);
			struct cb_digest dg;

			cb_sha256_buf(content, (size_t)st.st_size, &dg);
			cb_strbuf_addf(sb, " size=%lld %s", (long long)st.st_size, dg.str + 7);
			if (st.st_nlink > 1) {
				size_t k;

				for (k = 0; k < *ninos && (*inos)[k].ino != st.st_ino; k++)
					;
				if (k == *ninos) {
					*inos = xrealloc(*inos, (*ninos + 1) * sizeof(**inos));
					(*inos)[k].ino = st.st_ino;
					(*inos)[k].first = xstrdup(r);
					(*ninos)++;
				}
				cb_strbuf_addf(sb, " link=%s", (*inos)[k].first);
			}
		} else if (S_ISLNK(st.st_mode)) {
			char t[4096];
			ssize_t n = readlink(p, t, sizeof(t) - 1);

			assert_true(n >= 0);
			t[n] = '\0';
			cb_strbuf_addf(sb, " -> %s", t);
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			cb_strbuf_addf(sb, " rdev=%u,%u", major(st.st_rdev), minor(st.st_rdev));
		}
		if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
			lt_dump_xattrs(sb, p);
		cb_strbuf_addch(sb, '\n');
		if (S_ISDIR(st.st_mode))
			lt_dump_rec(sb, root, r, inos, ninos);
	}
	cb_strvec_clear(&names);
}

/* Caller frees.  Directory mtimes are left out (the dump itself reads them). */
static inline char *lt_dump(const char *root)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct lt_ino *inos = NULL;
	size_t ninos = 0;

	lt_dump_rec(&sb, root, "", &inos, &ninos);
	for (size_t i = 0; i < ninos; i++)
		free(inos[i].first);
	free(inos);
	return cb_strbuf_detach(&sb, NULL);
}

/* ------------------------------------------------------------------------ */
/* A hand-made tar (ustar headers, written byte by byte)                    */
/* ------------------------------------------------------------------------ */

struct lt_tar {
	struct cb_strbuf sb;
};

static inline void lt_octal(char *field, size_t width, unsigned long long v)
{
	snprintf(field, width, "%0*llo", (int)width - 1, v);
}

/*
 * Add an entry: type '0' file, '1' hardlink, '2' symlink, '3' char dev,
 * '4' block dev, '5' dir, '6' fifo.  declared >= 0 overrides the size in
 * the header (with data_len bytes of data actually following).
 */
static inline void lt_tar_add(struct lt_tar *t, const char *name, char type, unsigned mode,
			      const char *data, size_t data_len, const char *link,
			      long long declared)
{
	char h[512];
	unsigned sum = 0;
	unsigned long long size = declared >= 0 ? (unsigned long long)declared : data_len;

	memset(h, 0, sizeof(h));
	assert_true(strlen(name) < 100);
	memcpy(h, name, strlen(name));
	lt_octal(h + 100, 8, mode);
	lt_octal(h + 108, 8, 0);
	lt_octal(h + 116, 8, 0);
	if (size > 077777777777ULL) {
		/* base-256, as GNU tar and libarchive write huge sizes */
		h[124] = (char)0x80;
		for (int i = 11; i > 0; i--, size >>= 8)
			h[124 + i] = (char)(size & 0xff);
	} else {
		lt_octal(h + 124, 12, size);
	}
	lt_octal(h + 136, 12, 1700000000);
	memset(h + 148, ' ', 8);
	h[156] = type;
	if (link)
		memcpy(h + 157, link, strlen(link));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	if (type == '3' || type == '4') {
		lt_octal(h + 329, 8, 1);
		lt_octal(h + 337, 8, 3);
	}
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	cb_strbuf_add(&t->sb, h, 512);
	if (data_len) {
		cb_strbuf_add(&t->sb, data, data_len);
		while (t->sb.len % 512)
			cb_strbuf_addch(&t->sb, '\0');
	}
}

static inline void lt_tar_file(struct lt_tar *t, const char *name, const char *content)
{
	lt_tar_add(t, name, '0', 0644, content, strlen(content), NULL, -1);
}

/* End the archive and write it to path. */
static inline void lt_tar_save(struct lt_tar *t, const char *path)
{
	struct cb_error *err = NULL;
	int fd;

	for (int i = 0; i < 1024; i++)
		cb_strbuf_addch(&t->sb, '\0');
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(cb_write_all(fd, t->sb.buf, t->sb.len, &err), 0);
	close(fd);
	cb_strbuf_release(&t->sb);
}

/* ------------------------------------------------------------------------ */
/* Diff and apply on paths                                                   */
/* ------------------------------------------------------------------------ */

/* Layer of dir written to file out. */
static inline int lt_diff(const char *dir, const struct layer_diff_opts *o, const char *out,
			  struct layer_desc *d, struct cb_error **err)
{
	int dfd = lt_open_dir(dir);
	int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret;
	struct layer_sink sink;

	assert_true(ofd >= 0);
	sink.write = layer_sink_fd_write;
	sink.ctx = &ofd;
	ret = layer_diff_write(dfd, o, &sink, d, err);
	close(dfd);
	close(ofd);
	return ret;
}

/* Apply file in into root (created when missing). */
static inline int lt_apply(const char *in, const char *root, const struct layer_apply_opts *o,
			   struct cb_digest *diff_id, struct cb_error **err)
{
	int rfd, ifd, ret;

	mkdir(root, 0755);
	rfd = lt_open_dir(root);
	ifd = open(in, O_RDONLY | O_CLOEXEC);
	assert_true(ifd >= 0);
	ret = layer_apply(rfd, ifd, o, diff_id, err);
	close(rfd);
	close(ifd);
	return ret;
}

/* The SHA-256 of a file. */
static inline void lt_file_digest(const char *path, struct cb_digest *d)
{
	size_t len;
	cleanup_free char *buf = cb_test_read_file(path, &len);

	cb_sha256_buf(buf, len, d);
}

/* Make the sentinel outside every root; lt_sentinel_ok checks nothing touched it. */
static inline void lt_sentinel(void)
{
	lt_mkdirs("outside");
	lt_write("outside/sentinel", "precious\n");
}

static inline void lt_sentinel_ok(void)
{
	cleanup_free char *s = lt_read("outside/sentinel");
	DIR *d = opendir("outside");
	struct dirent *de;
	int n = 0;

	assert_non_null(s);
	assert_string_equal(s, "precious\n");
	assert_non_null(d);
	while ((de = readdir(d)))
		n++;
	closedir(d);
	assert_int_equal(n, 3); /* ".", "..", "sentinel" */
}

#endif
