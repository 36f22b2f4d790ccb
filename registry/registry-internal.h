/*
 * registry-internal.h - declarations shared inside registry/ only; never
 * included from another module.
 *
 * libcurl is loaded on first use (curl-dl.c), not linked.
 */
#ifndef CB_REGISTRY_INTERNAL_H
#define CB_REGISTRY_INTERNAL_H

#include <pthread.h>
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
	struct cb_error *creds_err; /* why they could not be loaded (a helper failed), or NULL */
	bool push;		    /* tokens are asked for scope repository:<repo>:pull,push */
	struct cb_strvec tokens;
	/*
	 * Retries and parallel pulls (reg-pull).  lock guards creds, basic,
	 * bearer and tokens, which the threads of one pull share (each has
	 * its own http_client, made from http_opts by registry_client_http_new).
	 * cancel_fd (-1: none) also ends a retry's wait.  retry_base_ms is the
	 * first backoff delay: $CBUILD_REGISTRY_RETRY_MS (tests), else 200.
	 */
	pthread_mutex_t lock;
	struct http_client_opts http_opts;
	int cancel_fd;
	long retry_base_ms;
	/*
	 * push.c's cross-repository mount: while set, a token fetched also asks
	 * for scope repository:<mount_from>:pull (a second scope= parameter,
	 * as Docker's client sends it); borrowed, NULL otherwise
	 */
	const char *mount_from;
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
	/* reg-pull: retries and parallel pulls */
	struct http_client *http; /* NULL: c->http; a worker thread's own client */
	/*
	 * NULL: a GET whose 2xx body began to reach on_body is not repeated
	 * (the caller resumes it, as pull does with Range).  Else it may be:
	 * on_restart(arg) is called first and the body comes again from its start.
	 */
	int (*on_restart)(void *arg, struct cb_error **err);
	/* the body's bytes sent so far, after each piece (may be NULL) */
	void (*sent)(void *arg, uint64_t pos);
	void *sent_arg;
};
int registry_send(struct registry_client *c, const struct registry_send_req *rq,
		  struct http_response *resp, struct cb_error **err);
int registry_request(struct registry_client *c, const char *path, const char *accept,
		     uint64_t max_size, http_body_fn on_body, void *arg, struct http_response *resp,
		     struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Retries and parallel pulls (reg-pull)                                     */
/* ------------------------------------------------------------------------ */

/*
 * registry_send retries GET and HEAD (never a method with a body) up to
 * REGISTRY_ATTEMPTS times in all: on a 5xx (but 501 and 505) or a 429 after
 * its Retry-After, capped at REGISTRY_RETRY_AFTER_MAX_MS, else after an
 * exponential backoff with jitter; and on a connection that failed (refused,
 * reset, timed out, an empty or cut reply: errors whose code says so)
 * unless the caller's sink failed, the request was cancelled, or part of
 * a 2xx body was delivered already (see on_restart).  The body of a
 * response that is retried never reaches on_body.
 */
#define REGISTRY_ATTEMPTS 4
#define REGISTRY_RETRY_AFTER_MAX_MS 30000L

/*
 * Retry-After (delay-seconds, or an HTTP date against now, seconds since
 * the epoch) in ms, capped; -1 when v is NULL or neither.
 */
long registry_retry_after_ms(const char *v, int64_t now);
/* The wait before retry attempt (1, 2, ...): base * 2^(attempt-1), half of it jittered (rnd). */
long registry_backoff_ms(long base, int attempt, uint32_t rnd);
/* A new HTTP client like c->http, stopped by c->cancel_fd; NULL and *err on failure. */
struct http_client *registry_client_http_new(struct registry_client *c, struct cb_error **err);

/*
 * Content-Range of a 206: "bytes first-last/total" (total may be "*": *total
 * = -1).  0 and the values, or -1 when v is not one or last < first.
 */
int registry_content_range_parse(const char *v, uint64_t *first, uint64_t *last, int64_t *total);

/*
 * pull-blob.c: the config and layers of m that the store lacks, fetched
 * REGISTRY_PULL_WORKERS at a time (threads, each with its own HTTP
 * client), each streamed into a blob writer, resumed with Range when cut
 * short, committed only when its digest and size match.  Present blobs
 * are leased.  One report line per layer, in the manifest's order.  The
 * first failure stops the others and is the error returned.
 */
#define REGISTRY_PULL_WORKERS 4
struct image_manifest;
int registry_pull_blobs(struct registry_client *c, struct layer_store *s,
			const struct image_manifest *m, const struct registry_pull_opts *o,
			unsigned *fetched, unsigned *present, struct cb_error **err);
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
/* Token requests (auth.c): shared by client.c, login.c and the refresh grant */
/* ------------------------------------------------------------------------ */

/* The most a token endpoint's answer may take. */
#define REGISTRY_TOKEN_ANSWER_MAX (1u << 20)
/* s URL-encoded into sb: RFC 3986's unreserved characters kept, any other byte %XX. */
void registry_add_escaped(struct cb_strbuf *sb, const char *s);
/* 0 when ch's realm is an http:// or https:// URL, else -1 and *err naming it. */
int registry_realm_check(const struct registry_challenge *ch, struct cb_error **err);
/* An http_body_fn that appends the body to arg (a struct cb_strbuf; NULL: dropped). */
int registry_body_keep(void *arg, const struct http_response *r, const void *buf, size_t len,
		       struct cb_error **err);
/*
 * The token of a token endpoint's JSON answer: `token`, else `access_token`;
 * NULL when neither is a non-empty string free of CR and LF.  Caller frees.
 */
char *registry_token_answer(const char *buf, size_t len);

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

/* ------------------------------------------------------------------------ */
/* Push (push.c)                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Record name ("domain/path" of the repository pulled from) as a source of
 * the config and layers of the manifest m (in the store), so that a push to
 * another repository of that registry mounts them.  Best effort: a record
 * that cannot be written only costs a mount later.
 */
void registry_note_sources(struct layer_store *s, const char *name, const struct cb_digest *m);

/* ------------------------------------------------------------------------ */
/* Parallel push (par-push): push.c runs the blobs, push-blob.c does one     */
/* ------------------------------------------------------------------------ */

/* Blobs of one push uploaded at once (threads, each with its own HTTP client). */
#define REGISTRY_PUSH_WORKERS 4
struct oci_descriptor;
/*
 * What the workers of one push share: the client (its credentials under
 * c->lock), the store (every call into it under store_mu), the options
 * (report and progress called under report_mu), and mount_mu (one blob's
 * cross-repository mount tries at a time: c->mount_from is one for all).
 */
struct registry_pusher {
	struct registry_client *c;
	struct layer_store *s;
	const struct registry_push_opts *o;
	const char *source; /* "domain/repo" of the destination, as blob sources name it */
	uint64_t chunk;
	pthread_mutex_t *report_mu, *store_mu, *mount_mu;
};
enum registry_blob_fate { REGISTRY_BLOB_PRESENT, REGISTRY_BLOB_MOUNTED, REGISTRY_BLOB_PUSHED };
/*
 * The blob d into the destination unless it is there (HEAD): mounted from
 * another repository the store knows has it (*from, caller frees), else
 * uploaded, through failures (push-blob.c says how), with http (the
 * worker's client).  0 and *fate, or -1 and *err.  Its line ("Pushed", ...)
 * is the caller's to report; retry lines go out as they happen.
 */
int registry_push_blob(const struct registry_pusher *p, struct http_client *http,
		       const struct oci_descriptor *d, enum registry_blob_fate *fate, char **from,
		       struct cb_error **err);
/*
 * PUT the manifest (buf: its bytes as stored) under ref (a tag or digest)
 * with Content-Type media, retried on a dropped connection, 408, 429 and
 * 5xx; the registry must answer its digest (*digest).  0, or -1 and *err.
 */
int registry_push_manifest(const struct registry_pusher *p, const char *ref, const char *media,
			   const char *buf, size_t len, struct cb_digest *digest,
			   struct cb_error **err);

#endif
