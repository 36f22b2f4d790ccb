/*
 * http.c - HTTP requests through libcurl: the registry client's transport
 * and the builder's `ADD <url>` download.
 *
 * Everything the server sends is untrusted: only http and https are
 * spoken, also when redirected (CURLOPT_PROTOCOLS_STR and
 * REDIR_PROTOCOLS_STR), redirects are counted, the body is counted
 * against the caller's limit as it arrives (decoded bytes when decoding:
 * a gzip bomb stops at the limit), headers are bounded and a header
 * holding a control character is dropped, and a request ends when it
 * stalls or its time is up.  A request runs on the client's multi handle
 * (which keeps connections between requests) and polls the caller's
 * cancel fd with it, so a cancel stops a transfer at once, not at the
 * next progress callback.
 *
 * libcurl is not linked but loaded by the first http_client_new()
 * (curl-dl.c; a missing library is that call's error); then comes the one
 * piece of global state here, curl_global_init(), run once under
 * pthread_once before the first client exists.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "registry-internal.h"
#include "registry.h"
#include "strbuf.h"
#include "xalloc.h"

#ifndef CB_VERSION
#define CB_VERSION "0"
#endif

#define CONNECT_TIMEOUT_MS 30000L
#define STALL_TIMEOUT_S 120L
#define POLL_MS 1000

CB_DEFINE_CLEANUP(CURL, curl_easy_cleanup)
CB_DEFINE_CLEANUP(struct curl_slist, curl_slist_free_all)

struct http_client {
	struct http_client_opts o;
	CURLM *multi;
	char *user_agent;
	struct curl_blob ca; /* o.ca_pem, not copied (CURL_BLOB_NOCOPY) */
};

/* ------------------------------------------------------------------------ */
/* Global initialisation                                                     */
/* ------------------------------------------------------------------------ */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_result; /* written once, under init_once */

static void global_init(void)
{
	init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct http_client *http_client_new(const struct http_client_opts *o, struct cb_error **err)
{
	struct http_client *c;

	if (http_libcurl_load(err) < 0)
		return NULL;
	pthread_once(&init_once, global_init);
	if (init_result != CURLE_OK) {
		cb_error_set(err, 0, "initialise libcurl: %s", curl_easy_strerror(init_result));
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->o = *o;
	c->multi = curl_multi_init();
	if (!c->multi) {
		free(c);
		cb_error_set(err, ENOMEM, "initialise an HTTP client");
		return NULL;
	}
	c->user_agent = xstrdup(o->user_agent ? o->user_agent : "cbuild/" CB_VERSION);
	c->ca.data = (void *)o->ca_pem;
	c->ca.len = o->ca_pem_len;
	c->ca.flags = CURL_BLOB_NOCOPY;
	return c;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_multi_cleanup(c->multi);
	free(c->user_agent);
	free(c);
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

char *http_url_redacted(const char *url)
{
	const char *p = strstr(url, "://");
	const char *auth, *end, *at = NULL, *colon = NULL;

	if (!p)
		return xstrdup(url);
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *q = auth; q < end; q++)
		if (*q == '@')
			at = q;
	if (!at)
		return xstrdup(url);
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (!colon)
		return xstrdup(url);
	return xasprintf("%.*sxxxxx%s", (int)(colon + 1 - url), url, at);
}

const char *http_status_text(long status)
{
	static const struct {
		long code;
		const char *text;
	} t[] = {
		{200, "OK"},
		{201, "Created"},
		{202, "Accepted"},
		{204, "No Content"},
		{206, "Partial Content"},
		{301, "Moved Permanently"},
		{302, "Found"},
		{303, "See Other"},
		{304, "Not Modified"},
		{307, "Temporary Redirect"},
		{308, "Permanent Redirect"},
		{400, "Bad Request"},
		{401, "Unauthorized"},
		{403, "Forbidden"},
		{404, "Not Found"},
		{405, "Method Not Allowed"},
		{406, "Not Acceptable"},
		{408, "Request Timeout"},
		{409, "Conflict"},
		{410, "Gone"},
		{412, "Precondition Failed"},
		{413, "Request Entity Too Large"},
		{416, "Requested Range Not Satisfiable"},
		{429, "Too Many Requests"},
		{500, "Internal Server Error"},
		{501, "Not Implemented"},
		{502, "Bad Gateway"},
		{503, "Service Unavailable"},
		{504, "Gateway Timeout"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == status)
			return t[i].text;
	return "";
}

/* Fixed-width decimal digits at s: the value, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int month_of(const char *s)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int m = 0; m < 12; m++)
		if (!strncmp(s, names + 3 * m, 3))
			return m + 1;
	return 0;
}

/* The length of the weekday name at s (short or full), 0 when none. */
static size_t weekday_len(const char *s, bool full)
{
	static const char *const names[] = {"Sunday",	"Monday", "Tuesday", "Wednesday",
					    "Thursday", "Friday", "Saturday"};

	for (size_t i = 0; i < 7; i++) {
		size_t n = full ? strlen(names[i]) : 3;

		if (!strncmp(s, names[i], n))
			return n;
	}
	return 0;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool valid_date(int y, int mo, int d, int h, int mi, int s, int64_t *out)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (mo < 1 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
		return false;
	if (d > mdays[mo - 1] + (mo == 2 && leap))
		return false;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}

/* "HH:MM:SS" at s. */
static bool clock_at(const char *s, int *h, int *mi, int *sec)
{
	*h = digits(s, 2);
	*mi = digits(s + 3, 2);
	*sec = digits(s + 6, 2);
	return s[2] == ':' && s[5] == ':' && *h >= 0 && *mi >= 0 && *sec >= 0;
}

bool http_parse_time(const char *s, int64_t *out)
{
	size_t n = strlen(s), w;
	int y, mo, d, h, mi, sec;

	/* RFC 1123: "Sun, 06 Nov 1994 08:49:37 GMT" */
	w = weekday_len(s, false);
	if (w && n == 29 && s[3] == ',' && s[4] == ' ' && s[7] == ' ' && s[11] == ' ' &&
	    s[16] == ' ' && !strcmp(s + 25, " GMT")) {
		d = digits(s + 5, 2);
		mo = month_of(s + 8);
		y = digits(s + 12, 4);
		if (d >= 0 && y >= 0 && clock_at(s + 17, &h, &mi, &sec))
			return valid_date(y, mo, d, h, mi, sec, out);
		return false;
	}
	/* asctime: "Sun Nov  6 08:49:37 1994" */
	if (w && n == 24 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ' && s[19] == ' ') {
		mo = month_of(s + 4);
		d = s[8] == ' ' ? digits(s + 9, 1) : digits(s + 8, 2);
		y = digits(s + 20, 4);
		if (d >= 0 && y >= 0 && clock_at(s + 11, &h, &mi, &sec))
			return valid_date(y, mo, d, h, mi, sec, out);
		return false;
	}
	/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (any zone name: offset 0, as Go) */
	w = weekday_len(s, true);
	if (w && n >= w + 23 && s[w] == ',' && s[w + 1] == ' ' && s[w + 4] == '-' &&
	    s[w + 8] == '-' && s[w + 11] == ' ' && s[w + 20] == ' ') {
		const char *z = s + w + 21;

		d = digits(s + w + 2, 2);
		mo = month_of(s + w + 5);
		y = digits(s + w + 9, 2);
		if (strspn(z, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(z) || strlen(z) < 3 ||
		    strlen(z) > 5 || d < 0 || y < 0 || !clock_at(s + w + 12, &h, &mi, &sec))
			return false;
		y += y >= 69 ? 1900 : 2000;
		return valid_date(y, mo, d, h, mi, sec, out);
	}
	return false;
}

/* ------------------------------------------------------------------------ */
/* Responses                                                                 */
/* ------------------------------------------------------------------------ */

static void response_clear_headers(struct http_response *r)
{
	cb_strvec_clear(&r->headers);
	free(r->last_modified);
	free(r->etag);
	free(r->content_type);
	free(r->content_disposition);
	free(r->location);
	r->last_modified = r->etag = r->content_type = r->content_disposition = r->location = NULL;
}

void http_response_release(struct http_response *resp)
{
	if (!resp)
		return;
	response_clear_headers(resp);
	free(resp->url);
	memset(resp, 0, sizeof(*resp));
}

const char *http_response_header(const struct http_response *resp, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < resp->headers.n; i++) {
		const char *h = resp->headers.v[i];

		if (!strncasecmp(h, name, n) && h[n] == ':')
			return h + n + 2;
	}
	return NULL;
}

/* One transfer. */
struct xfer {
	const struct http_request *req;
	struct http_response resp;
	size_t header_bytes;
	bool body_started;
	struct cb_error *err; /* the sink's, or the size limit */
};

static bool token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* Keep "name: value" of the response being read (the first value of a name wins). */
static void keep_header(struct xfer *x, const char *line, size_t len)
{
	struct http_response *r = &x->resp;
	const char *colon = memchr(line, ':', len);
	const char *v, *end = line + len;
	size_t nlen;
	char *h, **slot = NULL;

	if (!colon || colon == line)
		return;
	nlen = (size_t)(colon - line);
	for (size_t i = 0; i < nlen; i++)
		if (!token_char((unsigned char)line[i]))
			return;
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (const char *q = v; q < end; q++)
		if ((unsigned char)*q < 0x20 ? *q != '\t' : *q == 0x7f)
			return;
	if (r->headers.n >= HTTP_HEADERS_MAX || x->header_bytes + len > HTTP_HEADER_BYTES)
		return;
	x->header_bytes += len;
	h = xasprintf("%.*s: %.*s", (int)nlen, line, (int)(end - v), v);
	for (size_t i = 0; i < nlen; i++)
		h[i] = (char)(h[i] >= 'A' && h[i] <= 'Z' ? h[i] + 32 : h[i]);
	cb_strvec_push_take(&r->headers, h);
	if (!strncmp(h, "last-modified:", 14))
		slot = &r->last_modified;
	else if (!strncmp(h, "etag:", 5))
		slot = &r->etag;
	else if (!strncmp(h, "content-type:", 13))
		slot = &r->content_type;
	else if (!strncmp(h, "content-disposition:", 20))
		slot = &r->content_disposition;
	else if (!strncmp(h, "location:", 9))
		slot = &r->location;
	if (slot && !*slot)
		*slot = xstrdup(h + nlen + 2);
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, l = len;

	if (x->body_started) /* trailers: not the response's headers (Go keeps them apart) */
		return len;
	while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
		l--;
	if (l >= 5 && !strncmp(buf, "HTTP/", 5)) { /* a new response (1xx, a redirect, ...) */
		const char *sp = memchr(buf, ' ', l);

		response_clear_headers(&x->resp);
		x->header_bytes = 0;
		x->resp.status = sp && sp + 4 <= buf + l ? digits(sp + 1, 3) : 0;
		return len;
	}
	if (l)
		keep_header(x, buf, l);
	return len;
}

static size_t on_write(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	const struct http_request *rq = x->req;
	size_t len = size * n;

	x->body_started = true;
	if (rq->max_size && x->resp.body_size + len > rq->max_size) {
		cb_error_set(&x->err, EFBIG, "the body is larger than %llu bytes",
			     (unsigned long long)rq->max_size);
		return 0;
	}
	if (rq->on_body && rq->on_body(rq->arg, &x->resp, buf, len, &x->err) < 0) {
		if (!x->err)
			cb_error_set(&x->err, EIO, "the body's sink failed");
		return 0;
	}
	x->resp.body_size += len;
	return len;
}

/* The request body, from the caller's reader; an error stops the transfer. */
static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	const struct http_request *rq = x->req;
	ssize_t got;

	if (!rq->read_body)
		return 0;
	got = rq->read_body(rq->read_arg, buf, size * n, &x->err);
	if (got < 0) {
		if (!x->err)
			cb_error_set(&x->err, EIO, "the body's source failed");
		return CURL_READFUNC_ABORT;
	}
	return (size_t)got;
}

static bool has_body(const char *method)
{
	return method &&
	       (!strcmp(method, "PUT") || !strcmp(method, "POST") || !strcmp(method, "PATCH"));
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                  */
/* ------------------------------------------------------------------------ */

static bool scheme_ok(const char *url)
{
	return !strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8);
}

/* At most 200 bytes of untrusted text for a message. */
static char *shown(const char *s)
{
	size_t n = strlen(s);

	return n > 200 ? xasprintf("%.200s...", s) : xstrdup(s);
}

/* A failed transfer as cbuild's error: "METHOD `url`: what". */
static int transfer_error(struct xfer *x, CURL *h, CURLcode rc, const char *errbuf,
			  const char *what, struct cb_error **err)
{
	const char *detail = *errbuf ? errbuf : curl_easy_strerror(rc);
	cleanup_free char *d = xstrdup(detail);
	long oserr = 0;
	size_t dl = strlen(d);

	if (x->err) {
		*err = steal_pointer(&x->err);
		return cb_error_wrap(err, "%s", what);
	}
	while (dl && (d[dl - 1] == '\n' || d[dl - 1] == '.'))
		d[--dl] = '\0';
	/* "Could not resolve host" reads as cbuild's messages do; "OpenSSL/3" stays */
	if (d[0] >= 'A' && d[0] <= 'Z') {
		size_t w = strcspn(d, " :/");
		bool lower = true;

		for (size_t i = 1; i < w; i++)
			lower = lower && !(d[i] >= 'A' && d[i] <= 'Z');
		if (lower)
			d[0] = (char)(d[0] + 32);
	}
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
		if (x->resp.status >= 300 && x->resp.status < 400 && x->resp.location) {
			cleanup_free char *loc = shown(x->resp.location);
			cleanup_free char *safe = http_url_redacted(loc);

			return cb_error_set(err, 0,
					    "%s: redirect to `%s` refused: only http and https "
					    "are followed",
					    what, safe);
		}
		return cb_error_set(err, 0, "%s: unsupported protocol scheme (only http and https)",
				    what);
	case CURLE_TOO_MANY_REDIRECTS:
		return cb_error_set(err, 0, "%s: stopped after too many redirects", what);
	case CURLE_FILESIZE_EXCEEDED:
		return cb_error_set(err, EFBIG, "%s: the body is larger than %llu bytes", what,
				    (unsigned long long)x->req->max_size);
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
		if (oserr > 0)
			return cb_error_set(err, (int)oserr, "%s: connect", what);
		return cb_error_set(err, ECONNREFUSED, "%s: %s", what, d);
	case CURLE_OPERATION_TIMEDOUT:
		return cb_error_set(err, ETIMEDOUT, "%s: %s", what, d);
	case CURLE_PARTIAL_FILE: /* the connection dropped: a caller may try again */
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return cb_error_set(err, ECONNRESET, "%s: %s", what, d);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return cb_error_set(err, 0, "%s: tls: %s", what, d);
	default:
		break;
	}
	return cb_error_set(err, 0, "%s: %s", what, d);
}

static int setup(struct http_client *c, CURL *h, struct xfer *x, struct curl_slist *hdrs,
		 char *errbuf)
{
	const struct http_request *rq = x->req;
	const struct http_client_opts *o = &c->o;
	struct curl_blob *ca = &c->ca;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)
	SET(CURLOPT_URL, rq->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, o->max_redirects > 0 ? 1L : 0L);
	SET(CURLOPT_MAXREDIRS, o->max_redirects > 0 ? o->max_redirects : 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, c->user_agent);
	SET(CURLOPT_CONNECTTIMEOUT_MS,
	    o->connect_timeout_ms > 0 ? o->connect_timeout_ms : CONNECT_TIMEOUT_MS);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, o->stall_timeout_s > 0 ? o->stall_timeout_s : STALL_TIMEOUT_S);
	SET(CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms : 0L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, x);
	if (hdrs)
		SET(CURLOPT_HTTPHEADER, hdrs);
	if (rq->max_size)
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)rq->max_size);
	if (rq->decode)
		SET(CURLOPT_ACCEPT_ENCODING, "gzip");
	if (rq->method && !strcmp(rq->method, "HEAD"))
		SET(CURLOPT_NOBODY, 1L);
	if (o->tls_no_verify) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->ca_pem)
		SET(CURLOPT_CAINFO_BLOB, ca);
	if (o->client_cert) {
		SET(CURLOPT_SSLCERT, o->client_cert);
		SET(CURLOPT_SSLKEY, o->client_key ? o->client_key : o->client_cert);
	}
	if (has_body(rq->method)) {
		SET(CURLOPT_UPLOAD, 1L);
		SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body_size);
		SET(CURLOPT_READFUNCTION, on_read);
		SET(CURLOPT_READDATA, x);
		if (strcmp(rq->method, "PUT"))
			SET(CURLOPT_CUSTOMREQUEST, rq->method);
	}
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

/* Run h on the client's multi handle until done or cancelled: its result, or -1 (cancelled). */
static int run(struct http_client *c, CURL *h, CURLcode *result)
{
	CURLMcode mc;
	int ret = 0;

	mc = curl_multi_add_handle(c->multi, h);
	if (mc != CURLM_OK) {
		*result = CURLE_FAILED_INIT;
		return 0;
	}
	*result = CURLE_OK;
	for (;;) {
		struct curl_waitfd w = {.fd = c->o.cancel_fd, .events = CURL_WAIT_POLLIN};
		int running = 0;
		CURLMsg *m;
		int left;

		mc = curl_multi_perform(c->multi, &running);
		while ((m = curl_multi_info_read(c->multi, &left)))
			if (m->msg == CURLMSG_DONE && m->easy_handle == h)
				*result = m->data.result;
		if (mc != CURLM_OK) {
			*result = CURLE_FAILED_INIT;
			break;
		}
		if (!running)
			break;
		w.revents = 0;
		mc = curl_multi_poll(c->multi, c->o.cancel_fd >= 0 ? &w : NULL,
				     c->o.cancel_fd >= 0 ? 1 : 0, POLL_MS, NULL);
		if (mc != CURLM_OK) {
			*result = CURLE_FAILED_INIT;
			break;
		}
		if (w.revents & CURL_WAIT_POLLIN) {
			ret = -1;
			break;
		}
	}
	curl_multi_remove_handle(c->multi, h);
	return ret;
}

static int http_request_do1(struct http_client *c, const struct http_request *req,
			    struct http_response *resp, struct cb_error **err);

/*
 * --debug (CBUILD_DEBUG=1): each request and its outcome on stderr, its
 * URL's password and the value of every header that carries a credential
 * (Authorization, Proxy-Authorization, Cookie) replaced by "<redacted>".
 * Bodies (a token request's form) are never shown.
 */
static bool debug_on(void)
{
	const char *d = getenv("CBUILD_DEBUG");

	return d && *d && strcmp(d, "0");
}

static void debug_request(const char *what, const struct http_request *req)
{
	static const char *const secret[] = {"authorization:", "proxy-authorization:", "cookie:"};

	fprintf(stderr, "cbuild: debug: > %s\n", what);
	for (const char *const *p = req->headers; p && *p; p++) {
		bool hide = false;

		for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
			hide = hide || !strncasecmp(*p, secret[i], strlen(secret[i]));
		if (hide)
			fprintf(stderr, "cbuild: debug: >   %.*s <redacted>\n",
				(int)(strchr(*p, ':') - *p + 1), *p);
		else
			fprintf(stderr, "cbuild: debug: >   %.200s\n", *p);
	}
}

int http_request_do(struct http_client *c, const struct http_request *req,
		    struct http_response *resp, struct cb_error **err)
{
	int ret = http_request_do1(c, req, resp, err);

	if (!debug_on())
		return ret;
	if (ret < 0)
		fprintf(stderr, "cbuild: debug: < %s\n", cb_error_msg(*err));
	else
		fprintf(stderr, "cbuild: debug: < %ld %s\n", resp->status,
			http_status_text(resp->status));
	return ret;
}

static int http_request_do1(struct http_client *c, const struct http_request *req,
			    struct http_response *resp, struct cb_error **err)
{
	const char *method = req->method ? req->method : "GET";
	cleanup_free char *safe = http_url_redacted(req->url);
	cleanup_free char *what = xasprintf("%s `%s`", method, safe);
	cleanup_fn(curl_easy_cleanup) CURL *h = NULL;
	cleanup_fn(curl_slist_free_all) struct curl_slist *hdrs = NULL;
	struct xfer x = {.req = req};
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	char *eff = NULL;

	if (debug_on())
		debug_request(what, req);
	if (strcmp(method, "GET") && strcmp(method, "HEAD") && !has_body(method))
		return cb_error_set(err, EINVAL, "%s: method not supported", what);
	if (!scheme_ok(req->url))
		return cb_error_set(err, 0, "%s: unsupported protocol scheme (only http and https)",
				    what);
	for (const char *const *p = req->headers; p && *p; p++) {
		struct curl_slist *n;

		if (strpbrk(*p, "\r\n"))
			return cb_error_set(err, EINVAL, "%s: bad request header", what);
		n = curl_slist_append(hdrs, *p);
		if (!n)
			return cb_error_set(err, ENOMEM, "%s", what);
		hdrs = n;
	}
	if (has_body(method)) { /* no `Expect: 100-continue` round trip */
		struct curl_slist *n = curl_slist_append(hdrs, "Expect:");

		if (!n)
			return cb_error_set(err, ENOMEM, "%s", what);
		hdrs = n;
	}
	h = curl_easy_init();
	if (!h || setup(c, h, &x, hdrs, errbuf) < 0)
		return cb_error_set(err, ENOMEM, "%s: set up the request", what);
	if (run(c, h, &rc) < 0) {
		http_response_release(&x.resp);
		cb_error_free(&x.err);
		return cb_error_set(err, ECANCELED, "%s", what);
	}
	if (rc != CURLE_OK) {
		int r = transfer_error(&x, h, rc, errbuf, what, err);

		http_response_release(&x.resp);
		return r;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x.resp.status);
	curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
	x.resp.url = xstrdup(eff ? eff : req->url);
	*resp = x.resp;
	return 0;
}
