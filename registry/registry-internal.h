/*
 * registry-internal.h - declarations shared inside registry/ only; never
 * included from another module.
 *
 * libcurl is loaded on first use (curl-dl.c), not linked.
 */
#ifndef CB_REGISTRY_INTERNAL_H
#define CB_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "registry.h"
#include "strbuf.h"

/*
 * Load libcurl (curl-dl.c) unless loaded: cbuild is not linked with it, and
 * http_client_new() calls this before it calls libcurl.  Thread-safe; the
 * outcome is decided once per process.  Fails with "load `libcurl.so.4`:
 * <why>" (the library is missing, or lacks a function cbuild calls).
 */
int http_libcurl_load(struct cb_error **err);

/*
 * A client of one repository (client.c).  origin is "https://host" (or
 * http:// for loopback); tokens holds scope, token pairs; bearer / basic
 * is what the next request to origin carries.  Credentials (creds: base64
 * user:password) are looked up on the first 401.
 */
struct registry_client {
	struct http_client *http;
	char *origin, *domain, *repo;
	char *creds, *basic, *bearer;
	char *identity; /* an identity token (auth.c): tokens by the refresh grant, no Basic */
	bool creds_loaded;
	bool push; /* tokens are asked for scope repository:<repo>:pull,push */
	struct cb_strvec tokens;
};
/*
 * ep (registry_endpoints, config.c) says where and how: origin, TLS, the
 * scheme probe; NULL: https://, or http:// for a loopback host.
 */
int registry_client_init(struct registry_client *c, const char *domain, const char *repo,
			 const struct registry_endpoint *ep, struct cb_error **err);
void registry_client_release(struct registry_client *c);
/*
 * GET origin + path (Accept: accept when non-NULL), authenticating on a
 * 401 and following redirects itself (Authorization only to the origin).
 * 0 and *resp whatever the final status; the body goes to on_body (also
 * for non-2xx responses: a sink checks the status).
 */
/* Location resolved against url (absolute, //host, /path or relative); NULL when unusable. */
char *registry_resolve_location(const char *url, const char *loc);

/*
 * One request of any method (registry_send): url is a path on the origin
 * ("/v2/...") or an absolute URL (an upload's Location); the body (PUT,
 * POST, PATCH) is buf when non-NULL, else len bytes of fd from off, read
 * again from the start when the request is repeated after a 401.  Only
 * GET and HEAD follow redirects.
 */
struct registry_send_req {
	const char *method;
	const char *url;
	const char *const *headers; /* extra "Name: value", NULL-ended; at most 6 */
	const char *buf;
	int fd;
	int64_t off;
	uint64_t len;
	uint64_t max_size;
	http_body_fn on_body;
	void *arg;
};
int registry_send(struct registry_client *c, const struct registry_send_req *rq,
		  struct http_response *resp, struct cb_error **err);
int registry_request(struct registry_client *c, const char *path, const char *accept,
		     uint64_t max_size, http_body_fn on_body, void *arg, struct http_response *resp,
		     struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Credentials (auth.c, credhelper.c)                                        */
/* ------------------------------------------------------------------------ */

/*
 * host's credentials as the client uses them: *basic (base64 user:password)
 * or *identity (an identity token); 1, 0 when none, -1 on error.
 */
int registry_credentials_auth(const char *host, char **basic, char **identity,
			      struct cb_error **err);
/*
 * The helper an auth file (root: its JSON object) names for key (an
 * auth key: registry_auth_key): `credHelpers` (for docker.io also under
 * "index.docker.io" and "docker.io"), else `credsStore`; NULL when none.
 * Borrowed from root.
 */
struct json_t;
const char *registry_auth_helper(struct json_t *root, const char *key);
/*
 * Run `docker-credential-<helper> action` (found on PATH, no shell) with in
 * on its stdin: 0, its stdout (*out, caller frees) and exit *status; -1
 * when it cannot be run, its output is over 64 KiB or it takes over 60 s.
 * Its stderr is dropped.
 */
int registry_cred_helper_run(const char *helper, const char *action, const char *in, size_t inlen,
			     char **out, size_t *outlen, int *status, struct cb_error **err);
/*
 * The OAuth2 refresh-token grant Docker uses for identity tokens: POST
 * realm grant_type=refresh_token&refresh_token=&service=&scope=&client_id=
 * -> access_token.  0 and *token (caller frees), -1 on error.
 */
int registry_token_refresh(struct http_client *http, const struct registry_challenge *ch,
			   const char *scope, const char *identity, char **token,
			   struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Registry configuration (config.c)                                         */
/* ------------------------------------------------------------------------ */

/* ep's TLS settings into the options of its HTTP client (borrowed from ep). */
void registry_endpoint_http_opts(const struct registry_endpoint *ep, struct http_client_opts *o);
/*
 * Settle c->origin's scheme as ep->probe says, with a GET /v2/ on c's
 * client: a loopback host that answers plain HTTP as a TLS server does
 * goes to https://; an insecure host that gives no HTTPS answer to http://.
 * -1 only when the host cannot be reached at all (refused, timed out).
 */
int registry_endpoint_probe(struct registry_client *c, const struct registry_endpoint *ep,
			    struct cb_error **err);

#endif
