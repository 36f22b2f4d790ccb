/*
 * client.c - requests to one repository of a registry: the scheme
 * (plain HTTP for loopback only), auth (anonymous, Bearer tokens cached
 * per scope, Basic), and redirects followed here rather than by libcurl
 * so that the Authorization header never leaves the registry's origin
 * (blob GETs are often redirected to storage hosts).
 *
 * GET and HEAD are retried (registry-internal.h says when) with a backoff
 * or the server's Retry-After.  One client may serve the threads of a pull:
 * each brings its own http_client (registry_send_req.http) and the
 * credentials are shared under c->lock, so a 401 that several threads see
 * at once costs one token request, not one per thread.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "registry-internal.h"
#include "registry.h"
#include "xalloc.h"

#define REDIRECTS_MAX 10
#define RETRY_BASE_MS 200L

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

/* $CBUILD_REGISTRY_RETRY_MS: the first backoff delay (tests make it short), 0..60000. */
static long retry_base(void)
{
	const char *v = getenv("CBUILD_REGISTRY_RETRY_MS");
	char *end;
	long ms;

	if (!v || !*v)
		return RETRY_BASE_MS;
	errno = 0;
	ms = strtol(v, &end, 10);
	return errno || *end || ms < 0 || ms > 60000 ? RETRY_BASE_MS : ms;
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
	c->http_opts = o;
	c->cancel_fd = -1;
	c->retry_base_ms = retry_base();
	pthread_mutex_init(&c->lock, NULL);
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

struct http_client *registry_client_http_new(struct registry_client *c, struct cb_error **err)
{
	struct http_client_opts o = c->http_opts;

	o.cancel_fd = c->cancel_fd;
	return http_client_new(&o, err);
}

void registry_client_release(struct registry_client *c)
{
	if (!c->http)
		return; /* never initialised, or released */
	http_client_free(c->http);
	free(c->origin);
	free(c->domain);
	free(c->repo);
	free(c->creds);
	free(c->identity);
	free(c->basic);
	free(c->bearer);
	cb_error_free(&c->creds_err);
	cb_strvec_clear(&c->tokens);
	pthread_mutex_destroy(&c->lock);
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

/* Append the strings of sv to sb, space-separated, each once (sv sorted). */
static void add_scopes(struct cb_strbuf *sb, const struct cb_strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!i || strcmp(sv->v[i], sv->v[i - 1]))
			cb_strbuf_addf(sb, "%s%s", sb->len ? " " : "", sv->v[i]);
}

/*
 * The scopes a token is asked for, space-separated (the cache's key): the
 * challenge's (several are split on spaces, as containerd does), else
 * repository:<repo>:pull; a push client asks pull,push on its repository
 * whatever the challenge says about it, and repository:<mount_from>:pull
 * too while it asks for a cross-repository mount.  In one order whatever
 * the challenge's: its own repository first, then the others bytewise,
 * each once -- docker-registry lists a challenge's scopes (and actions) in
 * Go's random map order, and the same access must be asked for, and
 * cached, under one key.  Caller frees.
 */
static char *token_scope(const struct registry_client *c, const struct registry_challenge *ch)
{
	cleanup_free char *prefix = xasprintf("repository:%s:", c->repo);
	struct cb_strvec own = CB_STRVEC_INIT, rest = CB_STRVEC_INIT;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	const char *p = ch->scope ? ch->scope : "";
	size_t pl = strlen(prefix);

	while (*p) {
		size_t n = strcspn(p, " ");

		if (n)
			cb_strvec_pushn(n >= pl && !strncmp(p, prefix, pl) ? &own : &rest, p, n);
		p += n + strspn(p + n, " ");
	}
	if (c->push) { /* pull,push on its repository, in this order */
		cb_strvec_clear(&own);
		cb_strvec_pushf(&own, "%spull,push", prefix);
	} else if (!own.n && !rest.n) {
		cb_strvec_pushf(&own, "%spull", prefix);
	}
	if (c->mount_from) /* a mount's source, as Docker's client asks: pull there too */
		cb_strvec_pushf(&rest, "repository:%s:pull", c->mount_from);
	cb_strvec_sort(&own);
	cb_strvec_sort(&rest);
	add_scopes(&sb, &own);
	add_scopes(&sb, &rest);
	cb_strvec_clear(&own);
	cb_strvec_clear(&rest);
	return cb_strbuf_detach(&sb, NULL);
}

/* realm?service=&scope=&scope= ... into url. */
static void token_url(struct cb_strbuf *url, const struct registry_challenge *ch, const char *scope)
{
	cb_strbuf_addstr(url, ch->realm);
	cb_strbuf_addch(url, strchr(ch->realm, '?') ? '&' : '?');
	if (ch->service) {
		cb_strbuf_addstr(url, "service=");
		registry_add_escaped(url, ch->service);
	}
	for (const char *p = scope; *p;) {
		size_t n = strcspn(p, " ");
		cleanup_free char *one = xstrndup(p, n);

		cb_strbuf_addstr(url, strchr("?&", url->buf[url->len - 1]) ? "scope=" : "&scope=");
		registry_add_escaped(url, one);
		p += n + (p[n] == ' ');
	}
}

/*
 * The Bearer flow: GET realm?service=&scope= (Basic credentials if any) ->
 * token, cached per scope.  A token cached for the challenged scope that
 * is not the one just refused is used again without asking.
 */
static int fetch_token(struct registry_client *c, struct http_client *http,
		       const struct registry_challenge *ch, struct cb_error **err)
{
	struct cb_strbuf url = CB_STRBUF_INIT, body = CB_STRBUF_INIT;
	struct http_request rq = HTTP_REQUEST_INIT;
	struct http_response r;
	cleanup_free char *auth = NULL;
	const char *hdrs[2] = {NULL, NULL};
	cleanup_free char *scope = token_scope(c, ch);
	const char *cached = token_cached(c, scope);
	cleanup_free char *tok = NULL;
	int ret = -1;

	if (registry_realm_check(ch, err) < 0)
		return -1;
	if (cached && c->bearer && !strcmp(c->bearer, cached))
		return cb_error_set(err, 0, "the registry refused its own token (scope `%.200s`)",
				    scope);
	if (cached) {
		free(c->bearer);
		c->bearer = xstrdup(cached);
		return 0;
	}
	if (c->identity) { /* Docker's refresh-token grant (auth.c) */
		cleanup_free char *t = NULL;

		if (registry_token_refresh(http, ch, scope, c->identity, &t, err) < 0)
			return -1;
		cb_strvec_push(&c->tokens, scope);
		cb_strvec_push(&c->tokens, t);
		free(c->bearer);
		c->bearer = steal_pointer(&t);
		return 0;
	}
	token_url(&url, ch, scope);
	if (c->creds) {
		auth = xasprintf("Authorization: Basic %s", c->creds);
		hdrs[0] = auth;
	}
	rq.url = url.buf;
	rq.headers = hdrs;
	rq.max_size = REGISTRY_TOKEN_ANSWER_MAX;
	rq.on_body = registry_body_keep;
	rq.arg = &body;
	if (http_request_do(http, &rq, &r, err) < 0) {
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
	tok = registry_token_answer(body.buf, body.len);
	if (!tok) {
		cb_error_set(err, 0, "get a token: the answer holds no token");
		goto out;
	}
	cb_strvec_push(&c->tokens, scope);
	cb_strvec_push(&c->tokens, tok);
	free(c->bearer);
	c->bearer = steal_pointer(&tok);
	ret = 0;
out:
	cb_strbuf_release(&url);
	cb_strbuf_release(&body);
	return ret;
}

/*
 * React to a 401 (c->lock held): 0 to retry with new credentials, -1 when
 * there is nothing to try.  A Bearer challenge, insufficient_scope or a
 * first one, gets a token for the scope it names.
 */
static int on_unauthorized(struct registry_client *c, struct http_client *http,
			   const struct http_response *r, struct cb_error **err)
{
	const char *h = http_response_header(r, "www-authenticate");
	struct registry_challenge ch;
	int ret;

	if (!c->creds_loaded) {
		c->creds_loaded = true;
		(void)registry_credentials_auth(c->domain, &c->creds, &c->identity, &c->creds_err);
	}
	/* the same failure for every request (and worker) that needs them */
	if (c->creds_err) {
		cb_error_set(err, 0, "%s", c->creds_err->msg);
		if (err && *err)
			(*err)->code = c->creds_err->code;
		return -1;
	}
	if (!h || registry_challenge_parse(h, &ch) < 0)
		return cb_error_set(err, 0, "401 Unauthorized without a usable WWW-Authenticate");
	if (!strcasecmp(ch.scheme, "bearer")) {
		ret = fetch_token(c, http, &ch, err);
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

/* The Authorization header a request to url carries now, or NULL (c->lock held); caller frees. */
static char *auth_header_locked(struct registry_client *c, const char *url)
{
	/* credentials only ever go to the registry's own origin */
	if (!same_origin(url, c->origin))
		return NULL;
	if (c->bearer)
		return xasprintf("Authorization: Bearer %s", c->bearer);
	return c->basic ? xasprintf("Authorization: Basic %s", c->basic) : NULL;
}

static char *auth_header(struct registry_client *c, const char *url)
{
	char *az;

	pthread_mutex_lock(&c->lock);
	az = auth_header_locked(c, url);
	pthread_mutex_unlock(&c->lock);
	return az;
}

/*
 * A 401 to a request that carried sent: another thread of the pull may
 * have renewed the credentials meanwhile (then retry with those), else
 * authenticate anew.
 */
static int reauth(struct registry_client *c, struct http_client *http, const char *url,
		  const char *sent, const struct http_response *r, struct cb_error **err)
{
	cleanup_free char *now = NULL;
	int ret = 0;

	pthread_mutex_lock(&c->lock);
	now = auth_header_locked(c, url);
	if ((now == NULL) == (sent == NULL) && (!now || !strcmp(now, sent)))
		ret = on_unauthorized(c, http, r, err);
	pthread_mutex_unlock(&c->lock);
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
	if (rq->sent)
		rq->sent(rq->sent_arg, b->pos);
	return n;
}

static bool follows_redirects(const char *method)
{
	return !method || !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

/* One request and its redirects and 401s, as registry_send makes it at each attempt. */
struct send_state {
	struct registry_client *c;
	const struct registry_send_req *sr;
	struct http_client *http;
	const char *method;
	int attempt;
	bool delivered;	  /* 2xx body bytes reached the caller's sink */
	bool sink_failed; /* ... which refused them */
};

static bool retryable_status(long status)
{
	return status == 429 || (status >= 500 && status <= 599 && status != 501 && status != 505);
}

/* A failure of the connection, as http.c's codes say: worth another try. */
static bool retryable_error(const struct cb_error *e)
{
	switch (e->code) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case ETIMEDOUT:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
	case EPIPE:
	case EAGAIN:
		return true;
	default:
		return false;
	}
}

/* The caller's sink behind the retries: a response that will be retried keeps its body. */
static int send_sink(void *arg, const struct http_response *r, const void *buf, size_t len,
		     struct cb_error **err)
{
	struct send_state *st = arg;

	if (retryable_status(r->status) && st->attempt < REGISTRY_ATTEMPTS &&
	    follows_redirects(st->method))
		return 0;
	if (r->status >= 200 && r->status < 300)
		st->delivered = true;
	if (!st->sr->on_body)
		return 0;
	if (st->sr->on_body(st->sr->arg, r, buf, len, err) < 0) {
		st->sink_failed = true;
		return -1;
	}
	return 0;
}

static int send_once(struct send_state *st, struct http_response *resp, struct cb_error **err)
{
	struct registry_client *c = st->c;
	const struct registry_send_req *sr = st->sr;
	cleanup_free char *url =
		sr->url[0] == '/' ? xasprintf("%s%s", c->origin, sr->url) : xstrdup(sr->url);
	int redirects = 0, auths = 0;

	for (;;) {
		cleanup_free char *az = auth_header(c, url);
		const char *hdrs[8] = {NULL};
		struct http_request rq = HTTP_REQUEST_INIT;
		struct body_src body = {sr, 0};
		struct http_response r;
		size_t nh = 0;
		char *next;

		for (const char *const *h = sr->headers; h && *h && nh < 6; h++)
			hdrs[nh++] = *h;
		hdrs[nh] = az;
		rq.method = st->method;
		rq.url = url;
		rq.headers = hdrs;
		rq.max_size = sr->max_size;
		rq.on_body = send_sink;
		rq.arg = st;
		rq.read_body = body_read;
		rq.read_arg = &body;
		rq.body_size = sr->len;
		if (http_request_do(st->http, &rq, &r, err) < 0)
			return -1;
		if (r.status == 401 && same_origin(url, c->origin) && auths++ < 3) {
			int rc = reauth(c, st->http, url, az, &r, err);

			http_response_release(&r);
			if (rc < 0)
				return -1;
			continue;
		}
		if (follows_redirects(st->method) && r.status >= 300 && r.status < 400 &&
		    r.status != 304 && r.location) {
			next = registry_resolve_location(url, r.location);
			http_response_release(&r);
			if (!next)
				return cb_error_set(err, 0, "%s `%s`: bad redirect", st->method,
						    sr->url);
			if (++redirects > REDIRECTS_MAX) {
				free(next);
				return cb_error_set(err, 0,
						    "%s `%s`: stopped after too many "
						    "redirects",
						    st->method, sr->url);
			}
			free(url);
			url = next;
			continue;
		}
		*resp = r;
		return 0;
	}
}

/* Wait ms, or less when c->cancel_fd turns readable (-1, ECANCELED). */
static int retry_sleep(struct registry_client *c, long ms, struct cb_error **err)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L)
		end.tv_sec++, end.tv_nsec -= 1000000000L;
	for (;;) {
		struct pollfd p = {.fd = c->cancel_fd, .events = POLLIN};
		long left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long)(end.tv_sec - now.tv_sec) * 1000 +
		       (end.tv_nsec - now.tv_nsec) / 1000000L;
		if (left <= 0)
			return 0;
		if (poll(&p, 1, (int)left) > 0 && (p.revents & POLLIN))
			return cb_error_set(err, ECANCELED, "cancelled");
	}
}

static uint32_t jitter(void)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)time(NULL);
	return r;
}

int registry_send(struct registry_client *c, const struct registry_send_req *sr,
		  struct http_response *resp, struct cb_error **err)
{
	struct send_state st = {c, sr, sr->http ? sr->http : c->http,
				sr->method ? sr->method : "GET"};
	bool retries = follows_redirects(st.method);

	for (st.attempt = 1;; st.attempt++) {
		cleanup_error struct cb_error *e = NULL;
		bool last = !retries || st.attempt >= REGISTRY_ATTEMPTS;
		long wait = -1;

		st.delivered = st.sink_failed = false;
		if (send_once(&st, resp, &e) == 0) {
			if (last || !retryable_status(resp->status))
				return 0;
			wait = registry_retry_after_ms(http_response_header(resp, "retry-after"),
						       (int64_t)time(NULL));
			http_response_release(resp);
		} else if (last || st.sink_failed || !retryable_error(e) ||
			   (st.delivered && !sr->on_restart)) {
			*err = steal_pointer(&e);
			return -1;
		} else if (st.delivered && sr->on_restart(sr->arg, err) < 0) {
			return -1;
		}
		if (wait < 0)
			wait = registry_backoff_ms(c->retry_base_ms, st.attempt, jitter());
		if (retry_sleep(c, wait, err) < 0)
			return cb_error_wrap(err, "%s `%s`", st.method, sr->url);
	}
}

long registry_retry_after_ms(const char *v, int64_t now)
{
	int64_t t;

	if (!v || !*v)
		return -1;
	if (strspn(v, "0123456789") == strlen(v)) {
		/* at most 10 digits read: anything longer is past the cap anyway */
		long long secs =
			strlen(v) > 10 ? REGISTRY_RETRY_AFTER_MAX_MS : strtoll(v, NULL, 10);

		return secs * 1000 > REGISTRY_RETRY_AFTER_MAX_MS ? REGISTRY_RETRY_AFTER_MAX_MS
								 : (long)secs * 1000;
	}
	if (!http_parse_time(v, &t))
		return -1;
	if (t <= now)
		return 0;
	return t - now > REGISTRY_RETRY_AFTER_MAX_MS / 1000 ? REGISTRY_RETRY_AFTER_MAX_MS
							    : (long)(t - now) * 1000;
}

long registry_backoff_ms(long base, int attempt, uint32_t rnd)
{
	long d = base;

	for (int i = 1; i < attempt && d < REGISTRY_RETRY_AFTER_MAX_MS; i++)
		d *= 2;
	if (d > REGISTRY_RETRY_AFTER_MAX_MS)
		d = REGISTRY_RETRY_AFTER_MAX_MS;
	return d - d / 2 + (long)(rnd % (uint32_t)(d / 2 + 1));
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
