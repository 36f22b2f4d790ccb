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

/* Is b64 a base64 "user:password" (padding allowed)? */
static bool auth_field_ok(const char *b64)
{
	size_t n = strlen(b64);
	cleanup_free unsigned char *out = NULL;
	int m;

	if (!n || n % 4 || n > 64 * 1024)
		return false;
	out = xmalloc(n / 4 * 3 + 1);
	m = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (m <= 0)
		return false;
	out[m] = '\0';
	return memchr(out, ':', (size_t)m) != NULL;
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

/* The Basic credentials for host in the auth file path: 1 and *out, 0 when none. */
static int creds_from_file(const char *path, const char *host, char **out, struct cb_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	json_auto_t *root = NULL;
	json_t *e;
	const char *a, *u, *p;

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
	e = auths_entry(json_object_get(root, "auths"), host);
	if (!json_is_object(e))
		return 0;
	a = json_string_value(json_object_get(e, "auth"));
	if (a && *a) {
		if (!auth_field_ok(a))
			return cb_error_set(err, 0,
					    "read credentials `%s`: the `auth` of `%s` is not "
					    "base64 of USER:PASSWORD",
					    path, host);
		*out = xstrdup(a);
		return 1;
	}
	u = json_string_value(json_object_get(e, "username"));
	p = json_string_value(json_object_get(e, "password"));
	if (u && p) {
		cleanup_free char *up = xasprintf("%s:%s", u, p);

		*out = registry_base64(up, strlen(up));
		return 1;
	}
	return 0;
}

int registry_credentials(const char *host, char **out, struct cb_error **err)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *dc = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");
	cleanup_free char *c1 = NULL, *c2 = NULL;
	const char *files[3];
	size_t n = 0;

	if (!strcmp(host, "docker.io") || !strcmp(host, "registry-1.docker.io"))
		host = "index.docker.io";
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
