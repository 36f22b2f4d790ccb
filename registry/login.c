/*
 * login.c - `cbuild login` and `cbuild logout`: credentials checked
 * against the registry's /v2/ as docker login checks them (Basic, or a
 * token from the realm for the account, no scope), then kept where docker
 * login keeps them: the credential helper configured for the host (its
 * `auths` entry left empty, as Docker leaves it), else `auths` of the
 * file.  The file keeps every other key; it is written whole to a temp
 * file, mode 0600, and renamed over the old one.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "registry-internal.h"
#include "registry.h"
#include "xalloc.h"

#define AUTH_FILE_MAX (4u << 20)
#define ANSWER_MAX (1u << 20)

char *registry_auth_file(void)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *dc = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");

	if (env && *env)
		return xstrdup(env);
	if (dc && *dc)
		return xasprintf("%s/config.json", dc);
	if (home && *home)
		return xasprintf("%s/.docker/config.json", home);
	return NULL;
}

char *registry_login_host(const char *server, struct cb_error **err)
{
	const char *h = server;
	size_t n;

	if (!strncasecmp(h, "https://", 8))
		h += 8;
	else if (!strncasecmp(h, "http://", 7))
		h += 7;
	n = strcspn(h, "/");
	if (!n || n > IMAGE_REF_NAME_MAX) {
		cb_error_set(err, 0, "invalid registry `%.200s`", server);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!(h[i] >= 'a' && h[i] <= 'z') && !(h[i] >= 'A' && h[i] <= 'Z') &&
		    !(h[i] >= '0' && h[i] <= '9') && !strchr(".-:[]_", h[i])) {
			cb_error_set(err, 0, "invalid registry `%.200s`", server);
			return NULL;
		}
	if ((n == 15 && !strncasecmp(h, "index.docker.io", 15)) ||
	    (n == 20 && !strncasecmp(h, "registry-1.docker.io", 20)))
		return xstrdup("docker.io");
	return xstrndup(h, n);
}

/* ------------------------------------------------------------------------ */
/* Checking the credentials                                                  */
/* ------------------------------------------------------------------------ */

/* GET url with the header auth (or none): 0 and the status, the WWW-Authenticate in *chal. */
static int get(struct registry_client *c, const char *url, const char *auth, long *status,
	       char **chal, struct cb_strbuf *body, struct cb_error **err)
{
	const char *hdrs[] = {auth, NULL};
	struct http_request rq = HTTP_REQUEST_INIT;
	struct http_response r;
	const char *h;

	rq.url = url;
	rq.headers = hdrs;
	rq.max_size = ANSWER_MAX;
	rq.on_body = registry_body_keep;
	rq.arg = body;
	if (http_request_do(c->http, &rq, &r, err) < 0)
		return -1;
	*status = r.status;
	h = http_response_header(&r, "www-authenticate");
	if (chal)
		*chal = h ? xstrdup(h) : NULL;
	http_response_release(&r);
	return 0;
}

/* A token for the account from the Bearer realm: Docker's login (no scope). */
static int login_token(struct registry_client *c, const struct registry_challenge *ch,
		       const char *basic_hdr, const char *user, char **token, struct cb_error **err)
{
	struct cb_strbuf url = CB_STRBUF_INIT, body = CB_STRBUF_INIT;
	char *tok;
	long status = 0;
	int ret = -1;

	if (registry_realm_check(ch, err) < 0)
		return -1;
	cb_strbuf_addstr(&url, ch->realm);
	cb_strbuf_addch(&url, strchr(ch->realm, '?') ? '&' : '?');
	cb_strbuf_addstr(&url, "account=");
	registry_add_escaped(&url, user);
	if (ch->service) {
		cb_strbuf_addstr(&url, "&service=");
		registry_add_escaped(&url, ch->service);
	}
	if (get(c, url.buf, basic_hdr, &status, NULL, &body, err) < 0)
		goto out;
	if (status != 200) {
		cb_error_set(err, 0, "get a token: %ld %s%s", status, http_status_text(status),
			     status == 401 ? ": incorrect username or password" : "");
		goto out;
	}
	tok = registry_token_answer(body.buf, body.len);
	if (!tok) {
		cb_error_set(err, 0, "get a token: the answer holds no token");
		goto out;
	}
	*token = tok;
	ret = 0;
out:
	cb_strbuf_release(&url);
	cb_strbuf_release(&body);
	return ret;
}

/* After a 401 with challenge chal: do the credentials open /v2/? */
static int login_answer(struct registry_client *c, const char *v2, const char *chal,
			const struct registry_creds *cr, const char *basic_hdr,
			struct cb_error **err)
{
	struct registry_challenge ch;
	cleanup_free char *token = NULL, *bearer = NULL;
	long status = 0;
	int ret;

	if (!chal || registry_challenge_parse(chal, &ch) < 0)
		return cb_error_set(err, 0, "401 Unauthorized without a usable WWW-Authenticate");
	if (!strcasecmp(ch.scheme, "basic")) {
		ret = get(c, v2, basic_hdr, &status, NULL, NULL, err);
	} else if (!strcasecmp(ch.scheme, "bearer")) {
		ret = login_token(c, &ch, basic_hdr, cr->user, &token, err);
		if (ret == 0) {
			bearer = xasprintf("Authorization: Bearer %s", token);
			ret = get(c, v2, bearer, &status, NULL, NULL, err);
		}
	} else {
		ret = cb_error_set(err, 0, "401 Unauthorized: unsupported auth scheme `%.40s`",
				   ch.scheme);
	}
	registry_challenge_release(&ch);
	if (ret == 0 && status != 200)
		ret = cb_error_set(err, 0, "GET /v2/: %ld %s%s", status, http_status_text(status),
				   status == 401 ? ": incorrect username or password" : "");
	return ret;
}

int registry_login_check(const char *host, const struct registry_creds *cr,
			 const struct registry_conn_opts *o, struct cb_error **err)
{
	struct registry_endpoint *ep = NULL;
	struct registry_client c;
	cleanup_free char *up = xasprintf("%s:%s", cr->user, cr->secret), *b64 = NULL;
	cleanup_free char *basic_hdr = NULL, *v2 = NULL, *chal = NULL;
	size_t n = 0;
	long status = 0;
	int ret = -1;

	b64 = registry_base64(up, strlen(up));
	basic_hdr = xasprintf("Authorization: Basic %s", b64);
	OPENSSL_cleanse(up, strlen(up));
	if (registry_endpoints(host, o, false, &ep, &n, err) < 0)
		return -1;
	if (registry_client_init(&c, host, "", ep, err) < 0)
		goto out;
	v2 = xasprintf("%s/v2/", c.origin);
	ret = get(&c, v2, NULL, &status, &chal, NULL, err);
	if (ret == 0 && status == 401)
		ret = login_answer(&c, v2, chal, cr, basic_hdr, err);
	else if (ret == 0 && status != 200)
		ret = cb_error_set(err, 0, "GET /v2/: %ld %s", status, http_status_text(status));
	registry_client_release(&c);
out:
	OPENSSL_cleanse(basic_hdr, strlen(basic_hdr));
	OPENSSL_cleanse(b64, strlen(b64));
	registry_endpoints_free(ep, n);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* The auth file                                                             */
/* ------------------------------------------------------------------------ */

/* The file at path as a JSON object ({} when missing). */
static json_t *read_auth_file(const char *path, struct cb_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	json_t *root;

	if (cb_read_file(path, AUTH_FILE_MAX, &buf, &len, err) < 0) {
		if ((*err)->code != ENOENT)
			return NULL;
		cb_error_free(err);
		return json_object();
	}
	root = json_loadb(buf, len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		cb_error_set(err, 0, "`%s`: not a JSON object", path);
		return NULL;
	}
	return root;
}

/* Write root to path (a symlink's target), mode 0600, atomically. */
static int write_auth_file(const char *path, json_t *root, struct cb_error **err)
{
	cleanup_free char *real = realpath(path, NULL), *dir = NULL, *data = NULL;
	const char *target = real ? real : path;
	const char *slash = strrchr(target, '/');
	struct cb_strbuf sb = CB_STRBUF_INIT;
	int ret;

	if (slash && slash != target) {
		dir = xstrndup(target, (size_t)(slash - target));
		if (cb_mkdir_p(AT_FDCWD, dir, 0700, err) < 0)
			return -1;
	}
	data = json_dumps(root, JSON_INDENT(8));
	if (!data)
		return cb_error_set(err, ENOMEM, "write `%s`", target);
	cb_strbuf_addstr(&sb, data);
	cb_strbuf_addch(&sb, '\n');
	OPENSSL_cleanse(data, strlen(data));
	ret = cb_write_file_atomic(AT_FDCWD, target, sb.buf, sb.len, 0600, err);
	OPENSSL_cleanse(sb.buf, sb.len);
	cb_strbuf_release(&sb);
	return ret;
}

/* Remove the auths entries naming key (its exact key, or a URL of it); true when any was. */
static bool remove_entries(json_t *auths, const char *key)
{
	const char *host = strcmp(key, REGISTRY_HUB_KEY) ? key : "index.docker.io";
	size_t n = strlen(host);
	bool removed = false;
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(auths, tmp, k, v)
	{
		const char *h = k;

		if (!strncmp(h, "https://", 8))
			h += 8;
		else if (!strncmp(h, "http://", 7))
			h += 7;
		if (!strcmp(k, key) || (!strncmp(h, host, n) && (h[n] == '\0' || h[n] == '/'))) {
			json_object_del(auths, k);
			removed = true;
		}
	}
	return removed;
}

/* Store (cr) or erase (cr NULL) host's credentials in the auth file; *had: an entry existed. */
static int update(const char *host, const struct registry_creds *cr, bool *had,
		  struct cb_error **err)
{
	cleanup_free char *path = registry_auth_file();
	const char *key = registry_auth_key(host);
	json_auto_t *root = NULL;
	json_t *auths;
	const char *helper;
	bool existed;

	if (!path)
		return cb_error_set(err, 0,
				    "no auth file: set HOME, DOCKER_CONFIG or "
				    "REGISTRY_AUTH_FILE");
	root = read_auth_file(path, err);
	if (!root)
		return -1;
	auths = json_object_get(root, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(root, "auths", auths);
	}
	helper = registry_auth_helper(root, key);
	if (helper && registry_cred_helper_put(helper, key, cr, err) < 0)
		return -1;
	existed = remove_entries(auths, key);
	if (cr && helper) {
		json_object_set_new(auths, key, json_object());
	} else if (cr) {
		cleanup_free char *up = xasprintf("%s:%s", cr->user, cr->secret);
		cleanup_free char *b64 = registry_base64(up, strlen(up));

		json_object_set_new(auths, key, json_pack("{s:s}", "auth", b64));
		OPENSSL_cleanse(up, strlen(up));
		OPENSSL_cleanse(b64, strlen(b64));
	}
	if (had)
		*had = existed || helper;
	if (!cr && !existed)
		return 0; /* nothing in the file to remove */
	if (write_auth_file(path, root, err) < 0)
		return cb_error_wrap(err, "save the credentials");
	return 0;
}

int registry_login(const char *server, const struct registry_creds *cr,
		   const struct registry_conn_opts *o, char **host_out, struct cb_error **err)
{
	cleanup_free char *host = registry_login_host(server, err);

	if (!host)
		return -1;
	if (strpbrk(cr->user, ":\r\n") || !*cr->user || strpbrk(cr->secret, "\r\n"))
		return cb_error_set(err, 0,
				    "login `%s`: the user name must not be empty nor hold "
				    "`:`, nor either a newline",
				    host);
	if (registry_login_check(host, cr, o, err) < 0 || update(host, cr, NULL, err) < 0)
		return cb_error_wrap(err, "login `%s`", host);
	*host_out = steal_pointer(&host);
	return 0;
}

int registry_logout(const char *server, char **host_out, bool *had, struct cb_error **err)
{
	cleanup_free char *host = registry_login_host(server, err);

	if (!host)
		return -1;
	if (update(host, NULL, had, err) < 0)
		return cb_error_wrap(err, "logout `%s`", host);
	*host_out = steal_pointer(&host);
	return 0;
}
