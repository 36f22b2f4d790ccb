/*
 * client.c - requests to one repository of a registry: the scheme
 * (plain HTTP for loopback only), auth (anonymous, Bearer tokens cached
 * per scope, Basic), and redirects followed here rather than by libcurl
 * so that the Authorization header never leaves the registry's origin
 * (blob GETs are often redirected to storage hosts).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cleanup.h"
#include "registry-internal.h"
#include "registry.h"
#include "xalloc.h"

#define TOKEN_MAX (1u << 20)
#define REDIRECTS_MAX 10

/* Is host (with its port, IPv6 in brackets) a loopback name or address? */
static bool loopback(const char *host)
{
	size_t n;

	if (host[0] == '[')
		return !strncmp(host, "[::1]", 5);
	n = strcspn(host, ":");
	if (n == 9 && !strncasecmp(host, "localhost", 9))
		return true;
	return n > 4 && !strncmp(host, "127.", 4) && strspn(host, "0123456789.") >= n;
}

int registry_client_init(struct registry_client *c, const char *domain, const char *repo,
			 const struct registry_endpoint *ep, struct cb_error **err)
{
	struct http_client_opts o = HTTP_CLIENT_OPTS_INIT;
	const char *host = strcmp(domain, "docker.io") ? domain : "registry-1.docker.io";

	memset(c, 0, sizeof(*c));
	if (ep) /* TLS of the host (config.c) */
		registry_endpoint_http_opts(ep, &o);
	o.max_redirects = 0; /* followed by reg_request, see above */
	c->http = http_client_new(&o, err);
	if (!c->http)
		return -1;
	c->origin = ep ? xstrdup(ep->origin)
		       : xasprintf("%s://%s", loopback(host) ? "http" : "https", host);
	c->domain = xstrdup(domain);
	c->repo = xstrdup(repo);
	if (ep && registry_endpoint_probe(c, ep, err) < 0) { /* which scheme (config.c) */
		registry_client_release(c);
		return -1;
	}
	return 0;
}

void registry_client_release(struct registry_client *c)
{
	http_client_free(c->http);
	free(c->origin);
	free(c->domain);
	free(c->repo);
	free(c->creds);
	free(c->identity);
	free(c->basic);
	free(c->bearer);
	cb_strvec_clear(&c->tokens);
	memset(c, 0, sizeof(*c));
}

/* The length of url's "scheme://host[:port]". */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	if (!p)
		return 0;
	p += 3;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

static bool same_origin(const char *a, const char *b)
{
	size_t n = origin_len(a);

	return n && n == origin_len(b) && !strncasecmp(a, b, n);
}

char *registry_resolve_location(const char *url, const char *loc)
{
	size_t n = origin_len(url);
	const char *q;

	if (!strncasecmp(loc, "http://", 7) || !strncasecmp(loc, "https://", 8))
		return xstrdup(loc);
	if (loc[strcspn(loc, ":/?#")] == ':') /* another scheme */
		return NULL;
	if (!n)
		return NULL;
	if (loc[0] == '/' && loc[1] == '/')
		return xasprintf("%.*s%s", (int)(strstr(url, "://") - url + 1), url, loc);
	if (loc[0] == '/')
		return xasprintf("%.*s%s", (int)n, url, loc);
	q = url + n + strcspn(url + n, "?#");
	while (q > url + n && q[-1] != '/')
		q--;
	if (q == url + n)
		return xasprintf("%.*s/%s", (int)n, url, loc);
	return xasprintf("%.*s%s", (int)(q - url), url, loc);
}

/* The cached token of scope, or NULL (borrowed). */
static const char *token_cached(struct registry_client *c, const char *scope)
{
	for (size_t i = 0; i + 1 < c->tokens.n; i += 2)
		if (!strcmp(c->tokens.v[i], scope))
			return c->tokens.v[i + 1];
	return NULL;
}

static int token_sink(void *arg, const struct http_response *r, const void *buf, size_t len,
		      struct cb_error **err)
{
	(void)r;
	(void)err;
	cb_strbuf_add(arg, buf, len);
	return 0;
}

/* URL-encode s into sb (RFC 3986 unreserved kept). */
static void add_escaped(struct cb_strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			cb_strbuf_addch(sb, ch);
		else
			cb_strbuf_addf(sb, "%%%02X", ch);
	}
}

/* The Bearer flow: GET realm?service=&scope= (Basic credentials if any) -> token. */
static int fetch_token(struct registry_client *c, const struct registry_challenge *ch,
		       struct cb_error **err)
{
	struct cb_strbuf url = CB_STRBUF_INIT, body = CB_STRBUF_INIT;
	struct http_request rq = HTTP_REQUEST_INIT;
	struct http_response r;
	cleanup_free char *auth = NULL;
	const char *hdrs[2] = {NULL, NULL};
	cleanup_free char *scope =
		c->push	   ? xasprintf("repository:%s:pull,push", c->repo)
		: ch->scope ? xstrdup(ch->scope)
			    : xasprintf("repository:%s:pull", c->repo);
	json_auto_t *j = NULL;
	const char *tok;
	int ret = -1;

	if (!ch->realm ||
	    (strncasecmp(ch->realm, "https://", 8) && strncasecmp(ch->realm, "http://", 7)))
		return cb_error_set(err, 0, "token realm `%.200s` is not an http(s) URL",
				    ch->realm ? ch->realm : "");
	if (token_cached(c, scope) && c->bearer && !strcmp(c->bearer, token_cached(c, scope)))
		return cb_error_set(err, 0, "the registry refused its own token (scope `%s`)",
				    scope);
	if (c->identity) { /* Docker's refresh-token grant (auth.c) */
		cleanup_free char *t = NULL;

		if (registry_token_refresh(c->http, ch, scope, c->identity, &t, err) < 0)
			return -1;
		cb_strvec_push(&c->tokens, scope);
		cb_strvec_push(&c->tokens, t);
		free(c->bearer);
		c->bearer = steal_pointer(&t);
		return 0;
	}
	cb_strbuf_addstr(&url, ch->realm);
	cb_strbuf_addch(&url, strchr(ch->realm, '?') ? '&' : '?');
	if (ch->service) {
		cb_strbuf_addstr(&url, "service=");
		add_escaped(&url, ch->service);
		cb_strbuf_addch(&url, '&');
	}
	cb_strbuf_addstr(&url, "scope=");
	add_escaped(&url, scope);
	if (c->creds) {
		auth = xasprintf("Authorization: Basic %s", c->creds);
		hdrs[0] = auth;
	}
	rq.url = url.buf;
	rq.headers = hdrs;
	rq.max_size = TOKEN_MAX;
	rq.on_body = token_sink;
	rq.arg = &body;
	if (http_request_do(c->http, &rq, &r, err) < 0) {
		cb_error_wrap(err, "get a token");
		goto out;
	}
	if (r.status != 200) {
		cb_error_set(err, 0, "get a token: %ld %s%s", r.status, http_status_text(r.status),
			     r.status == 401 ? " (wrong credentials?)" : "");
		http_response_release(&r);
		goto out;
	}
	http_response_release(&r);
	j = json_loadb(body.buf, body.len, 0, NULL);
	tok = json_string_value(json_object_get(j, "token"));
	if (!tok || !*tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok || strpbrk(tok, "\r\n")) {
		cb_error_set(err, 0, "get a token: the answer holds no token");
		goto out;
	}
	cb_strvec_push(&c->tokens, scope);
	cb_strvec_push(&c->tokens, tok);
	free(c->bearer);
	c->bearer = xstrdup(tok);
	ret = 0;
out:
	cb_strbuf_release(&url);
	cb_strbuf_release(&body);
	return ret;
}

/* React to a 401: 0 to retry with new credentials, -1 when there is nothing to try. */
static int on_unauthorized(struct registry_client *c, const struct http_response *r,
			   struct cb_error **err)
{
	const char *h = http_response_header(r, "www-authenticate");
	struct registry_challenge ch;
	int ret;

	if (!c->creds_loaded) {
		c->creds_loaded = true;
		if (registry_credentials_auth(c->domain, &c->creds, &c->identity, err) < 0)
			return -1;
	}
	if (!h || registry_challenge_parse(h, &ch) < 0)
		return cb_error_set(err, 0, "401 Unauthorized without a usable WWW-Authenticate");
	if (!strcasecmp(ch.scheme, "bearer")) {
		ret = fetch_token(c, &ch, err);
	} else if (!strcasecmp(ch.scheme, "basic")) {
		if (!c->creds)
			ret = cb_error_set(err, 0,
					   "401 Unauthorized: the registry wants a user "
					   "and password, and none is configured");
		else if (c->basic)
			ret = cb_error_set(err, 0,
					   "401 Unauthorized: the credentials were refused");
		else
			c->basic = xstrdup(c->creds), ret = 0;
	} else {
		ret = cb_error_set(err, 0, "401 Unauthorized: unsupported auth scheme `%.40s`",
				   ch.scheme);
	}
	registry_challenge_release(&ch);
	return ret;
}

/* The body of a request, from its start at every attempt. */
struct body_src {
	const struct registry_send_req *rq;
	uint64_t pos;
};

static ssize_t body_read(void *arg, void *buf, size_t len, struct cb_error **err)
{
	struct body_src *b = arg;
	const struct registry_send_req *rq = b->rq;
	uint64_t left = rq->len - b->pos;
	ssize_t n;

	if (len > left)
		len = (size_t)left;
	if (!len)
		return 0;
	if (rq->buf) {
		memcpy(buf, rq->buf + b->pos, len);
		n = (ssize_t)len;
	} else {
		do
			n = pread(rq->fd, buf, len, rq->off + (off_t)b->pos);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return cb_error_set(err, errno, "read the body");
		if (n == 0)
			return cb_error_set(err, EIO, "read the body: it ended early");
	}
	b->pos += (uint64_t)n;
	return n;
}

static bool follows_redirects(const char *method)
{
	return !method || !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

int registry_send(struct registry_client *c, const struct registry_send_req *sr,
		  struct http_response *resp, struct cb_error **err)
{
	const char *method = sr->method ? sr->method : "GET";
	cleanup_free char *url =
		sr->url[0] == '/' ? xasprintf("%s%s", c->origin, sr->url) : xstrdup(sr->url);
	int redirects = 0, auths = 0;

	for (;;) {
		cleanup_free char *az = NULL;
		const char *hdrs[8] = {NULL};
		struct http_request rq = HTTP_REQUEST_INIT;
		struct body_src body = {sr, 0};
		struct http_response r;
		size_t nh = 0;
		char *next;

		for (const char *const *h = sr->headers; h && *h && nh < 6; h++)
			hdrs[nh++] = *h;
		/* credentials only ever go to the registry's own origin */
		if (same_origin(url, c->origin) && (c->bearer || c->basic)) {
			az = c->bearer ? xasprintf("Authorization: Bearer %s", c->bearer)
				       : xasprintf("Authorization: Basic %s", c->basic);
			hdrs[nh++] = az;
		}
		rq.method = method;
		rq.url = url;
		rq.headers = hdrs;
		rq.max_size = sr->max_size;
		rq.on_body = sr->on_body;
		rq.arg = sr->arg;
		rq.read_body = body_read;
		rq.read_arg = &body;
		rq.body_size = sr->len;
		if (http_request_do(c->http, &rq, &r, err) < 0)
			return -1;
		if (r.status == 401 && same_origin(url, c->origin) && auths++ < 2) {
			int rc = on_unauthorized(c, &r, err);

			http_response_release(&r);
			if (rc < 0)
				return -1;
			continue;
		}
		if (follows_redirects(method) && r.status >= 300 && r.status < 400 &&
		    r.status != 304 && r.location) {
			next = registry_resolve_location(url, r.location);
			http_response_release(&r);
			if (!next)
				return cb_error_set(err, 0, "%s `%s`: bad redirect", method,
						    sr->url);
			if (++redirects > REDIRECTS_MAX) {
				free(next);
				return cb_error_set(err, 0,
						    "%s `%s`: stopped after too many "
						    "redirects",
						    method, sr->url);
			}
			free(url);
			url = next;
			continue;
		}
		*resp = r;
		return 0;
	}
}

int registry_request(struct registry_client *c, const char *path, const char *accept,
		     uint64_t max_size, http_body_fn on_body, void *arg, struct http_response *resp,
		     struct cb_error **err)
{
	cleanup_free char *acc = accept ? xasprintf("Accept: %s", accept) : NULL;
	const char *hdrs[2] = {acc, NULL};
	struct registry_send_req rq = {.url = path, .headers = hdrs, .fd = -1};

	rq.max_size = max_size;
	rq.on_body = on_body;
	rq.arg = arg;
	return registry_send(c, &rq, resp, err);
}
