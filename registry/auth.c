/*
 * auth.c - what the registry client needs to authenticate: the
 * WWW-Authenticate challenge (RFC 7235, as distribution's
 * registry/client/auth/challenge reads it) and credentials from the files
 * docker and podman keep them in.
 *
 * Credentials are never logged; they stay in the client's memory in the
 * form the Authorization header takes ("user:pass" base64-encoded).
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "fsutil.h"
#include "registry-internal.h"
#include "registry.h"
#include "xalloc.h"

#define AUTH_FILE_MAX (4u << 20)

static bool tchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A quoted string at p (after its '"'): its unescaped value, *end after the closing quote. */
static char *quoted(const char *p, const char **end)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		cb_strbuf_addch(&sb, *p);
	}
	if (*p != '"') {
		cb_strbuf_release(&sb);
		return NULL;
	}
	*end = p + 1;
	return cb_strbuf_detach(&sb, NULL);
}

int registry_challenge_parse(const char *hdr, struct registry_challenge *c)
{
	const char *p = skip_space(hdr), *s = p;
	struct registry_challenge r = {0};

	while (tchar((unsigned char)*p))
		p++;
	if (p == s)
		return -1;
	r.scheme = xstrndup(s, (size_t)(p - s));
	for (;;) {
		const char *k;
		size_t klen;
		char *v = NULL, **slot = NULL;

		p = skip_space(p);
		while (*p == ',')
			p = skip_space(p + 1);
		if (!*p)
			break;
		k = p;
		while (tchar((unsigned char)*p))
			p++;
		klen = (size_t)(p - k);
		p = skip_space(p);
		if (!klen || *p != '=')
			goto bad; /* another challenge, or token68: not one a registry sends */
		p = skip_space(p + 1);
		if (*p == '"') {
			v = quoted(p + 1, &p);
			if (!v)
				goto bad;
		} else {
			const char *vs = p;

			while (tchar((unsigned char)*p))
				p++;
			v = xstrndup(vs, (size_t)(p - vs));
		}
		if (klen == 5 && !strncasecmp(k, "realm", 5))
			slot = &r.realm;
		else if (klen == 7 && !strncasecmp(k, "service", 7))
			slot = &r.service;
		else if (klen == 5 && !strncasecmp(k, "scope", 5))
			slot = &r.scope;
		else if (klen == 5 && !strncasecmp(k, "error", 5))
			slot = &r.error;
		if (slot && !*slot)
			*slot = v;
		else
			free(v);
		p = skip_space(p);
		if (*p && *p != ',')
			goto bad;
	}
	*c = r;
	return 0;
bad:
	registry_challenge_release(&r);
	return -1;
}

void registry_challenge_release(struct registry_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------------ */
/* Credentials                                                               */
/* ------------------------------------------------------------------------ */

char *registry_base64(const void *buf, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return out;
}

/* The entry of auths for host: its exact key, or a URL naming it (docker login's old forms). */
static json_t *auths_entry(json_t *auths, const char *host)
{
	const char *key;
	json_t *v;

	if (!json_is_object(auths))
		return NULL;
	v = json_object_get(auths, host);
	if (v)
		return v;
	json_object_foreach (auths, key, v) {
		const char *h = key;
		size_t n = strlen(host);

		if (!strncmp(h, "https://", 8))
			h += 8;
		else if (!strncmp(h, "http://", 7))
			h += 7;
		if (!strncmp(h, host, n) && (h[n] == '\0' || h[n] == '/'))
			return v;
	}
	return NULL;
}

/* Split base64 "user:password" into c. */
static bool decode_auth(const char *b64, struct registry_creds *c)
{
	size_t n = strlen(b64);
	cleanup_free unsigned char *out = NULL;
	char *colon;
	int m;

	if (!n || n % 4 || n > 64 * 1024)
		return false;
	out = xmalloc(n / 4 * 3 + 1);
	m = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (m <= 0)
		return false;
	m -= (b64[n - 1] == '=') + (b64[n - 2] == '='); /* EVP_DecodeBlock counts the padding */
	out[m] = '\0';
	if (strlen((char *)out) != (size_t)m)
		return false;
	colon = strchr((char *)out, ':');
	if (!colon)
		return false;
	c->user = xstrndup((char *)out, (size_t)(colon - (char *)out));
	c->secret = xstrdup(colon + 1);
	return true;
}

/* The credentials of an `auths` entry: 1, or 0 when it holds none. */
static int creds_from_entry(json_t *e, const char *path, const char *host,
			    struct registry_creds *out, struct cb_error **err)
{
	const char *a = json_string_value(json_object_get(e, "auth"));
	const char *u = json_string_value(json_object_get(e, "username"));
	const char *p = json_string_value(json_object_get(e, "password"));
	const char *id = json_string_value(json_object_get(e, "identitytoken"));
	struct registry_creds c = {NULL, NULL};

	if (id && *id) { /* docker login's identity token: the user in `auth` is not used */
		c.user = xstrdup(REGISTRY_TOKEN_USER);
		c.secret = xstrdup(id);
	} else if (a && *a) {
		if (!decode_auth(a, &c))
			return cb_error_set(err, 0,
					    "read credentials `%s`: the `auth` of `%s` is not "
					    "base64 of USER:PASSWORD",
					    path, host);
	} else if (u && p) {
		c.user = xstrdup(u);
		c.secret = xstrdup(p);
	} else {
		return 0;
	}
	*out = c;
	return 1;
}

const char *registry_auth_helper(json_t *root, const char *key)
{
	bool hub = !strcmp(key, REGISTRY_HUB_KEY);
	const char *keys[] = {key, hub ? "index.docker.io" : NULL, hub ? "docker.io" : NULL, NULL};
	json_t *ch = json_object_get(root, "credHelpers");
	const char *h;

	for (size_t i = 0; keys[i]; i++) {
		h = json_string_value(json_object_get(ch, keys[i]));
		if (h && *h)
			return h;
	}
	h = json_string_value(json_object_get(root, "credsStore"));
	return h && *h ? h : NULL;
}

/* The credentials for host in the auth file path: 1 and *out, 0 when none. */
static int creds_from_file(const char *path, const char *host, struct registry_creds *out,
			   struct cb_error **err)
{
	bool hub = !strcmp(host, REGISTRY_HUB_KEY);
	cleanup_free char *buf = NULL;
	size_t len = 0;
	json_auto_t *root = NULL;
	const char *helper;

	if (cb_read_file(path, AUTH_FILE_MAX, &buf, &len, err) < 0) {
		if ((*err)->code == ENOENT) {
			cb_error_free(err);
			return 0;
		}
		return -1;
	}
	root = json_loadb(buf, len, 0, NULL);
	if (!json_is_object(root))
		return cb_error_set(err, 0, "read credentials `%s`: not a JSON object", path);
	helper = registry_auth_helper(root, host);
	if (helper) /* as Docker: a configured helper is the only source for the host */
		return registry_cred_helper_get(helper, host, out, err);
	return creds_from_entry(
		auths_entry(json_object_get(root, "auths"), hub ? "index.docker.io" : host), path,
		host, out, err);
}

const char *registry_auth_key(const char *host)
{
	if (!strcmp(host, "docker.io") || !strcmp(host, "index.docker.io") ||
	    !strcmp(host, "registry-1.docker.io"))
		return REGISTRY_HUB_KEY;
	return host;
}

int registry_credentials_get(const char *host, struct registry_creds *out, struct cb_error **err)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *dc = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");
	cleanup_free char *c1 = NULL, *c2 = NULL;
	const char *files[3];
	size_t n = 0;

	host = registry_auth_key(host);
	if (env && *env)
		files[n++] = env;
	else if (xdg && *xdg)
		files[n++] = c1 = xasprintf("%s/containers/auth.json", xdg);
	if (dc && *dc)
		files[n++] = c2 = xasprintf("%s/config.json", dc);
	else if (home && *home)
		files[n++] = c2 = xasprintf("%s/.docker/config.json", home);
	for (size_t i = 0; i < n; i++) {
		int r = creds_from_file(files[i], host, out, err);

		if (r != 0)
			return r;
	}
	return 0;
}

void registry_creds_release(struct registry_creds *c)
{
	if (c->secret)
		OPENSSL_cleanse(c->secret, strlen(c->secret));
	free(c->user);
	free(c->secret);
	c->user = c->secret = NULL;
}

int registry_credentials_auth(const char *host, char **basic, char **identity,
			      struct cb_error **err)
{
	struct registry_creds c = {NULL, NULL};
	int r = registry_credentials_get(host, &c, err);
	cleanup_free char *up = NULL;

	if (r <= 0)
		return r;
	if (!strcmp(c.user, REGISTRY_TOKEN_USER)) {
		*identity = steal_pointer(&c.secret);
	} else {
		up = xasprintf("%s:%s", c.user, c.secret);
		*basic = registry_base64(up, strlen(up));
		OPENSSL_cleanse(up, strlen(up));
	}
	registry_creds_release(&c);
	return 1;
}

int registry_credentials(const char *host, char **out, struct cb_error **err)
{
	cleanup_free char *identity = NULL;
	int r = registry_credentials_auth(host, out, &identity, err);

	return r == 1 && identity ? 0 : r; /* an identity token is no Basic credential */
}

/* ------------------------------------------------------------------------ */
/* Token requests, shared by client.c, login.c and the refresh grant         */
/* ------------------------------------------------------------------------ */

void registry_add_escaped(struct cb_strbuf *sb, const char *s)
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

int registry_realm_check(const struct registry_challenge *ch, struct cb_error **err)
{
	if (!ch->realm ||
	    (strncasecmp(ch->realm, "https://", 8) && strncasecmp(ch->realm, "http://", 7)))
		return cb_error_set(err, 0, "token realm `%.200s` is not an http(s) URL",
				    ch->realm ? ch->realm : "");
	return 0;
}

int registry_body_keep(void *arg, const struct http_response *r, const void *buf, size_t len,
		       struct cb_error **err)
{
	(void)r;
	(void)err;
	if (arg)
		cb_strbuf_add(arg, buf, len);
	return 0;
}

char *registry_token_answer(const char *buf, size_t len)
{
	json_auto_t *j = json_loadb(buf, len, 0, NULL);
	const char *tok = json_string_value(json_object_get(j, "token"));

	if (!tok || !*tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok || strpbrk(tok, "\r\n"))
		return NULL;
	return xstrdup(tok);
}

/* ------------------------------------------------------------------------ */
/* Identity tokens                                                           */
/* ------------------------------------------------------------------------ */

/* name=value&, the value form-encoded. */
static void add_field(struct cb_strbuf *sb, const char *name, const char *v)
{
	if (sb->len)
		cb_strbuf_addch(sb, '&');
	cb_strbuf_addf(sb, "%s=", name);
	registry_add_escaped(sb, v);
}

struct form_src {
	const struct cb_strbuf *body;
	size_t pos;
};

static ssize_t form_read(void *arg, void *buf, size_t len, struct cb_error **err)
{
	struct form_src *f = arg;
	size_t n = f->body->len - f->pos;

	(void)err;
	if (n > len)
		n = len;
	memcpy(buf, f->body->buf + f->pos, n);
	f->pos += n;
	return (ssize_t)n;
}

int registry_token_refresh(struct http_client *http, const struct registry_challenge *ch,
			   const char *scope, const char *identity, char **token,
			   struct cb_error **err)
{
	struct cb_strbuf form = CB_STRBUF_INIT, answer = CB_STRBUF_INIT;
	const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	struct http_request rq = HTTP_REQUEST_INIT;
	struct form_src src = {&form, 0};
	struct http_response r;
	json_auto_t *j = NULL;
	const char *tok;
	int ret = -1;

	if (registry_realm_check(ch, err) < 0)
		return -1;
	add_field(&form, "grant_type", "refresh_token");
	add_field(&form, "refresh_token", identity);
	if (ch->service)
		add_field(&form, "service", ch->service);
	add_field(&form, "scope", scope);
	add_field(&form, "client_id", "cbuild");
	rq.method = "POST";
	rq.url = ch->realm;
	rq.headers = hdrs;
	rq.read_body = form_read;
	rq.read_arg = &src;
	rq.body_size = form.len;
	rq.max_size = REGISTRY_TOKEN_ANSWER_MAX;
	rq.on_body = registry_body_keep;
	rq.arg = &answer;
	if (http_request_do(http, &rq, &r, err) < 0) {
		cb_error_wrap(err, "get a token with the identity token");
		goto out;
	}
	if (r.status != 200) {
		cb_error_set(err, 0, "get a token with the identity token: %ld %s", r.status,
			     http_status_text(r.status));
		http_response_release(&r);
		goto out;
	}
	http_response_release(&r);
	j = json_loadb(answer.buf, answer.len, 0, NULL);
	tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok || strpbrk(tok, "\r\n")) {
		cb_error_set(err, 0,
			     "get a token with the identity token: the answer holds no "
			     "`access_token`");
		goto out;
	}
	*token = xstrdup(tok);
	ret = 0;
out:
	OPENSSL_cleanse(form.buf, form.len);
	cb_strbuf_release(&form);
	cb_strbuf_release(&answer);
	return ret;
}
