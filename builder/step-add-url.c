/*
 * step-add-url.c - ADD <http(s) url>: the download, as BuildKit's HTTP
 * source does it for the Dockerfile frontend; step-copy.c plans the result
 * as a one-file source.
 *
 * BuildKit's rules (dockerfile2llb's dispatchCopy and source/http; the
 * marked ones checked against dockerd 20.10.24's BuildKit v0.8):
 *  - the file's name is the last element of the URL's (decoded) path,
 *    "__unnamed__" when that is empty or "/" [20.10]; the name comes from
 *    the URL as written, not from a redirect's target [20.10], and never
 *    from Content-Disposition (the frontend always passes a file name, so
 *    the HTTP source's header rule is not reached) [20.10].  ".." or a
 *    control character is "download" (pathutil.SafeFileName).  The name
 *    never holds '/' (it is the last path element).
 *  - the file is 0600, owner 0:0 (--chown and --chmod apply as to any
 *    source; Docker 20.10's frontend ignored --chmod for URLs [20.10], the
 *    current one applies it), its mtime is the Last-Modified header
 *    (http.ParseTime's three forms) [20.10], else 0, the epoch [20.10];
 *  - it is never unpacked [20.10] (ADD --unpack=true asks for it);
 *  - a status outside 200-399 after redirects is "invalid response status
 *    N" [20.10]; a redirect to another protocol fails [20.10];
 *  - the body is what Go's client delivers: gzip Content-Encoding decoded;
 *  - --checksum=sha256:<hex> (dockerfile 1.5-labs, 1.6 stable; expanded
 *    with the stage's ARG/ENV): the digest is known without a request, so
 *    a cached step downloads nothing; the download must match: "digest
 *    mismatch for URL: GOT (expected: WANT)".  One URL source only.
 *  - the cache key of the step holds the content's digest (as for any
 *    file: mode, owner and destination too, not the mtime: BuildKit
 *    rebuilds nothing when only Last-Modified changed [20.10]).
 *
 * ETags: BuildKit remembers each URL's ETag with the content's digest and
 * asks again with If-None-Match (a HEAD first); a 304 gives the digest
 * without a download.  Here each URL's last ETag and digest live in an
 * accelerator file of the store (aux/addurl-<sha256 of the URL>), the
 * next build sends one conditional GET, and on a 304 the step's key comes
 * from the remembered digest: a cache hit downloads nothing, a miss
 * downloads then (step-copy.c calls url_source_fetch) and checks the
 * digest.  A 304 without an ETag refers to the one sent (BuildKit's rule);
 * one naming another ETag is not trusted (a plain GET follows).
 *
 * The download goes to a store scratch directory, removed with the
 * url_source: a failed download leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "registry.h"
#include "xalloc.h"

#define URL_MAX_SIZE (32ull << 30) /* a download larger than this is refused */
#define ETAG_MAX 256
#define RECORD_MAX 4096

bool url_source_is_url(const char *src)
{
	/* BuildKit's isHTTPSource: case-sensitive prefixes */
	return !strncmp(src, "http://", 7) || !strncmp(src, "https://", 8);
}

/* ------------------------------------------------------------------------ */
/* The file name                                                             */
/* ------------------------------------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The frontend's name: path.Base of url.Parse(src).Path ("__unnamed__"
 * when "." or "/", or when the URL does not parse), then the HTTP
 * source's SafeFileName.
 */
static char *url_file_name(const char *url)
{
	const char *p = strstr(url, "://");
	struct cb_strbuf path = CB_STRBUF_INIT;
	const char *end, *base;
	char *name = NULL;
	size_t n;

	p = p ? p + 3 : url;
	p += strcspn(p, "/?#"); /* past the host */
	end = p + strcspn(p, "?#");
	for (; p < end; p++) {
		int hi = *p == '%' && end - p >= 3 ? hexval(p[1]) : -1;
		int lo = hi >= 0 ? hexval(p[2]) : -1;

		if (*p != '%') {
			cb_strbuf_addch(&path, *p);
			continue;
		}
		if (lo < 0) /* url.Parse fails: the frontend's default name */
			goto unnamed;
		cb_strbuf_addch(&path, hi * 16 + lo);
		p += 2;
	}
	n = path.len;
	while (n && path.buf[n - 1] == '/')
		n--;
	cb_strbuf_setlen(&path, n);
	base = memrchr(path.buf, '/', n);
	base = base ? base + 1 : path.buf;
	if (!*base || !strcmp(base, "."))
		goto unnamed;
	/* SafeFileName: no "..", no control character (a decoded NUL among them) */
	if (!strcmp(base, "..") || strlen(base) != (size_t)(path.buf + n - base))
		goto unsafe;
	for (const unsigned char *q = (const unsigned char *)base; *q; q++)
		if (*q < 0x20 || *q == 0x7f)
			goto unsafe;
	name = xstrdup(base);
	cb_strbuf_release(&path);
	return name;
unsafe:
	cb_strbuf_release(&path);
	return xstrdup("download");
unnamed:
	cb_strbuf_release(&path);
	return xstrdup("__unnamed__");
}

/* ------------------------------------------------------------------------ */
/* --checksum                                                                */
/* ------------------------------------------------------------------------ */

/* The instruction's --checksum expanded with the stage's ARG/ENV: NULL when none. */
static int expand_checksum(struct build *b, struct stage *st, const struct df_instruction *in,
			   char **out, struct cb_error **err)
{
	struct shell_lex lex = SHELL_LEX_INIT;
	char *s;

	*out = NULL;
	if (in->kind != DF_ADD || !in->u.copy.checksum || !*in->u.copy.checksum)
		return 0;
	lex.escape = b->df->ast->escape;
	s = shell_expand_word(&lex, in->u.copy.checksum, &st->env, err);
	if (!s)
		return -1;
	if (!*s)
		free(s);
	else
		*out = s;
	return 0;
}

/* go-digest's Parse, with its messages; sha384 and sha512 parse but are not supported here. */
static int parse_checksum(const char *s, struct cb_digest *d, struct cb_error **err)
{
	const char *colon = strchr(s, ':');
	size_t alen, hlen, want;

	if (!colon || colon == s || !colon[1])
		return cb_error_set(err, 0, "invalid checksum digest format");
	alen = (size_t)(colon - s);
	hlen = strlen(colon + 1);
	if (alen == 6 && !strncmp(s, "sha256", 6))
		want = 64;
	else if (alen == 6 && !strncmp(s, "sha384", 6))
		want = 96;
	else if (alen == 6 && !strncmp(s, "sha512", 6))
		want = 128;
	else
		return cb_error_set(err, 0, "unsupported digest algorithm");
	if (hlen != want)
		return cb_error_set(err, 0, "invalid checksum digest length");
	if (strspn(colon + 1, "0123456789abcdef") != hlen)
		return cb_error_set(err, 0, "invalid checksum digest format");
	if (want != 64)
		return cb_error_set(err, 0, "ADD --checksum: %.6s is not supported (sha256 only)",
				    s);
	return cb_digest_parse(s, d, err);
}

int url_source_check(struct build *b, struct stage *st, const struct df_instruction *in,
		     const struct cb_strvec *srcs, struct cb_error **err)
{
	cleanup_free char *sum = NULL;
	struct cb_digest d;

	if (expand_checksum(b, st, in, &sum, err) < 0)
		return -1;
	if (!sum)
		return 0;
	if (srcs->n != 1)
		return cb_error_set(err, 0, "checksum can't be specified for multiple sources");
	if (!url_source_is_url(srcs->v[0]))
		return cb_error_set(err, 0, "checksum requires HTTP(S) or Git sources");
	return parse_checksum(sum, &d, err);
}

/* ------------------------------------------------------------------------ */
/* ETag records                                                              */
/* ------------------------------------------------------------------------ */

static void record_name(const char *url, char name[96])
{
	struct cb_digest d;

	cb_sha256_buf(url, strlen(url), &d);
	snprintf(name, 96, "addurl-%s", cb_digest_hex(&d));
}

/* The ETag and digest remembered for url: true when there is a usable record. */
static bool record_get(struct layer_store *s, const char *url, char **etag, struct cb_digest *d)
{
	cleanup_free char *buf = NULL;
	struct cb_error *e = NULL;
	char name[96], *save = NULL, *f[4] = {0};
	size_t len;

	record_name(url, name);
	if (layer_store_aux_read(s, name, RECORD_MAX, &buf, &len, &e) <= 0) {
		cb_error_free(&e);
		return false;
	}
	if (strlen(buf) != len)
		return false;
	f[0] = strtok_r(buf, "\n", &save);
	for (int i = 1; i < 4 && f[i - 1]; i++)
		f[i] = strtok_r(NULL, "\n", &save);
	if (!f[3] || strcmp(f[0], "cbuild-addurl 1") || strcmp(f[1], url) ||
	    strlen(f[2]) > ETAG_MAX || cb_digest_parse(f[3], d, &e) < 0) {
		cb_error_free(&e);
		return false;
	}
	*etag = xstrdup(f[2]);
	return true;
}

/* Remember the ETag of url's content (best effort: an accelerator). */
static void record_put(struct layer_store *s, const char *url, const char *etag,
		       const struct cb_digest *d)
{
	cleanup_free char *rec = NULL;
	struct cb_error *e = NULL;
	char name[96];

	if (!etag || !*etag || strlen(etag) > ETAG_MAX || strpbrk(url, "\n"))
		return;
	rec = xasprintf("cbuild-addurl 1\n%s\n%s\n%s\n", url, etag, d->str);
	record_name(url, name);
	if (strlen(rec) <= RECORD_MAX && layer_store_aux_write(s, name, rec, strlen(rec), &e) < 0)
		cb_error_free(&e);
}

static const char *weak(const char *etag)
{
	return !strncmp(etag, "W/", 2) ? etag + 2 : etag;
}

/* ------------------------------------------------------------------------ */
/* The download                                                              */
/* ------------------------------------------------------------------------ */

struct sink {
	int fd;
	struct cb_sha256 h;
};

static bool status_ok(long status)
{
	/* BuildKit takes 200-399; a 304 is only an answer to If-None-Match */
	return status >= 200 && status < 400 && status != 304;
}

static int to_file(void *arg, const struct http_response *r, const void *buf, size_t len,
		   struct cb_error **err)
{
	struct sink *k = arg;

	if (!status_ok(r->status)) /* an error page is not the file */
		return 0;
	cb_sha256_update(&k->h, buf, len);
	return cb_write_all(k->fd, buf, len, err);
}

/*
 * What the response r to a GET (with etag: conditional) means: 0 the file
 * (fd, content digest got) is u's now, 1 unchanged (a 304 to etag), 2 ask
 * again without the ETag (a 304 naming another one), -1 an error.
 */
static int take_response(struct url_source *u, const char *etag, const struct http_response *r,
			 int fd, const struct cb_digest *got, struct cb_error **err)
{
	cleanup_free char *safe = http_url_redacted(u->url);
	const char *text = http_status_text(r->status);
	struct stat st;
	int64_t mtime;

	if (etag && r->status == 304)
		return !r->etag || !strcmp(weak(r->etag), weak(etag)) ? 1 : 2;
	if (!status_ok(r->status))
		return cb_error_set(err, 0, "GET `%s`: invalid response status %ld%s%s%s", safe,
				    r->status, *text ? " (" : "", text, *text ? ")" : "");
	if (u->expected && !cb_digest_equal(got, &u->digest))
		return cb_error_set(err, 0, "digest mismatch for `%s`: %s (expected: %s)", safe,
				    got->str, u->digest.str);
	if (fstat(fd, &st) < 0)
		return cb_error_set(err, errno, "stat `%s`", u->name);
	u->st.st_size = st.st_size;
	u->st.st_mtim.tv_sec = 0; /* no (valid) Last-Modified: the epoch, as BuildKit */
	u->st.st_mtim.tv_nsec = 0;
	if (r->last_modified && http_parse_time(r->last_modified, &mtime))
		u->st.st_mtim.tv_sec = (time_t)mtime;
	u->digest = *got;
	u->fetched = true;
	record_put(u->s, u->url, r->etag, got);
	return 0;
}

/* GET the URL into the scratch directory; with etag, a 304 sets *unchanged instead. */
static int download(struct build *b, struct url_source *u, const char *etag, bool *unchanged,
		    struct cb_error **err)
{
	struct http_client_opts o = HTTP_CLIENT_OPTS_INIT;
	struct http_request rq = HTTP_REQUEST_INIT;
	cleanup_free char *inm = etag ? xasprintf("If-None-Match: %s", etag) : NULL;
	const char *hdrs[] = {inm, NULL};
	cleanup_close int dfd = -1;
	cleanup_close int fd = -1;
	struct sink k = {.fd = -1};
	struct http_client *c = NULL;
	struct http_response r;
	struct cb_digest got;
	int ret;

	*unchanged = false;
	if (!u->scratch) {
		u->scratch = layer_store_scratch_create(u->s, err);
		if (!u->scratch)
			return -1;
	}
	dfd = open(u->scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return cb_error_set(err, errno, "open `%s`", u->scratch);
	if (unlinkat(dfd, u->name, 0) < 0 && errno != ENOENT)
		return cb_error_set(err, errno, "remove `%s`", u->name);
	fd = openat(dfd, u->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cb_error_set(err, errno, "create `%s` in `%s`", u->name, u->scratch);
	k.fd = fd;
	o.cancel_fd = b->cancel_efd;
	rq.url = u->url;
	rq.headers = etag ? hdrs : NULL;
	rq.max_size = URL_MAX_SIZE;
	rq.decode = true; /* Go's client decodes a gzip Content-Encoding by itself */
	rq.on_body = to_file;
	rq.arg = &k;
	cb_sha256_init(&k.h);
	c = http_client_new(&o, err);
	ret = c ? http_request_do(c, &rq, &r, err) : -1;
	http_client_free(c);
	cb_sha256_final(&k.h, &got);
	cb_sha256_release(&k.h);
	if (ret < 0)
		return -1;
	ret = take_response(u, etag, &r, fd, &got, err);
	http_response_release(&r);
	if (ret == 1)
		*unchanged = true;
	if (ret == 2)
		return download(b, u, NULL, unchanged, err);
	if (ret != 0)
		return ret < 0 ? -1 : 0;
	if (stackfs_open(&u->fs, (const char *const *)&u->scratch, 1, err) < 0)
		return -1;
	u->fs.plain = true;
	return 0;
}

/* ADD --unpack=true: is the downloaded file a tar (compressed or not)? */
static int check_archive(struct url_source *u, struct cb_error **err)
{
	cleanup_free char *p = xasprintf("%s/%s", u->scratch, u->name);
	cleanup_close int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int r;

	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", p);
	r = layer_is_tar(fd, err);
	if (r < 0)
		return -1;
	u->archive = r > 0;
	return 0;
}

struct url_source *url_source_new(struct build *b, struct stage *st,
				  const struct df_instruction *in, const char *url,
				  struct cb_error **err)
{
	struct url_source *u;
	cleanup_free char *sum = NULL;
	cleanup_free char *etag = NULL;
	bool unchanged = false;

	if (in->kind != DF_ADD) {
		cb_error_set(err, 0, "source can't be a URL for COPY");
		return NULL;
	}
	if (expand_checksum(b, st, in, &sum, err) < 0)
		return NULL;
	u = xcalloc(1, sizeof(*u));
	u->s = st->s;
	u->url = xstrdup(url);
	u->name = url_file_name(url);
	u->st.st_mode = S_IFREG | 0600;
	u->st.st_nlink = 1;
	if (sum) {
		if (parse_checksum(sum, &u->digest, err) < 0)
			goto fail;
		u->expected = true;
	} else if (record_get(u->s, url, &etag, &u->digest)) {
		if (download(b, u, etag, &unchanged, err) < 0)
			goto fail;
		u->expected = unchanged; /* a later download must be what the 304 meant */
	}
	if ((!u->expected || in->u.copy.unpack == 1) && !u->fetched &&
	    download(b, u, NULL, &unchanged, err) < 0)
		goto fail;
	if (in->u.copy.unpack == 1 && check_archive(u, err) < 0)
		goto fail;
	return u;
fail:
	url_source_free(u);
	return NULL;
}

int url_source_fetch(struct build *b, struct url_source *u, struct cb_error **err)
{
	bool unchanged;

	return u->fetched ? 0 : download(b, u, NULL, &unchanged, err);
}

void url_source_free(struct url_source *u)
{
	if (!u)
		return;
	stackfs_release(&u->fs);
	if (u->scratch) {
		struct cb_error *e = NULL;

		if (layer_store_scratch_remove(u->s, u->scratch, &e) < 0)
			cb_error_free(&e);
	}
	free(u->scratch);
	free(u->name);
	free(u->url);
	free(u);
}
