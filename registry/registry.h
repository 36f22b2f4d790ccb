/*
 * registry.h - talking to OCI registries.  This module depends on common/
 * and, for pull (which writes into the store), on layerstore.h.
 *
 * Image references (reference.c) follow distribution/reference, the
 * package Docker, BuildKit and containerd use, rule for rule and message for
 * message:
 *
 *	struct registry_ref r;
 *	registry_ref_parse_normalized("busybox", &r, &err);   // docker.io + library/busybox
 *	registry_ref_default_tag(&r);                           // :latest
 *	char *s = registry_ref_string(&r);  // "docker.io/library/busybox:latest"
 *	registry_ref_release(&r);
 *
 * or in one call: registry_ref_normalize("busybox", &err).
 *
 * HTTP (http.c) is the transport the registry client is built on, and what
 * the builder's `ADD <url>` downloads with: libcurl behind a small
 * streaming API, http and https only (redirects too), bounded in time,
 * size, redirects and headers, cancellable from another thread.  cbuild
 * is not linked with libcurl: the first http_client_new() loads it
 * (curl-dl.c), so commands that never speak HTTP do not pay for it.
 *
 *	struct http_client_opts o = HTTP_CLIENT_OPTS_INIT;
 *	o.cancel_fd = efd;                        // readable = stop now
 *	struct http_client *c = http_client_new(&o, &err);
 *	struct http_request rq = HTTP_REQUEST_INIT;
 *	rq.url = url;
 *	rq.on_body = write_chunk;                 // called as the body arrives
 *	rq.arg = &sink;
 *	struct http_response r;
 *	if (http_request_do(c, &rq, &r, &err) < 0)   // no response: refused, TLS, ...
 *		...;
 *	if (r.status != 200) ...;                 // any status is a response
 *	http_response_release(&r);
 *	http_client_free(c);
 */
#ifndef CB_REGISTRY_REGISTRY_H
#define CB_REGISTRY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "error.h"
#include "strbuf.h"

/* ------------------------------------------------------------------------ */
/* Image references                                                          */
/* ------------------------------------------------------------------------ */

/* Longest name (domain and path) a reference may have. */
#define IMAGE_REF_NAME_MAX 255

struct registry_ref {
	char *domain; /* "docker.io", "localhost:5000", "[::1]:5000"; "" when none */
	char *path;   /* "library/busybox" */
	char *tag;    /* NULL when absent */
	char *digest; /* "sha256:<hex>" (or sha384/sha512); NULL when absent */
};

/*
 * distribution/reference's Parse: check s against the reference grammar
 * without normalising ("busybox" keeps an empty domain).  Errors are the
 * package's: "invalid reference format", "repository name must be
 * lowercase", "repository name must have at least one component",
 * "repository name must not be more than 255 characters", and go-digest's
 * "unsupported digest algorithm", "invalid checksum digest length",
 * "invalid checksum digest format".  *ref is untouched on failure.
 */
int registry_ref_parse(const char *s, struct registry_ref *ref, struct cb_error **err);

/*
 * ParseNormalizedNamed: a familiar name as users type it becomes fully
 * qualified: "busybox" -> docker.io/library/busybox, "user/app" ->
 * docker.io/user/app, "index.docker.io/x" -> docker.io/library/x.  No tag
 * is added (see registry_ref_default_tag).  A bare 64-hex string is refused.
 */
int registry_ref_parse_normalized(const char *s, struct registry_ref *ref, struct cb_error **err);

/* TagNameOnly: add the tag "latest" when ref has neither tag nor digest. */
void registry_ref_default_tag(struct registry_ref *ref);

/* "domain/path" (Name()); caller frees. */
char *registry_ref_name(const struct registry_ref *ref);
/* The whole reference, "name[:tag][@digest]" (String()); caller frees. */
char *registry_ref_string(const struct registry_ref *ref);
/* FamiliarName / FamiliarString: docker.io and library/ dropped; caller frees. */
char *registry_ref_familiar_name(const struct registry_ref *ref);
char *registry_ref_familiar_string(const struct registry_ref *ref);

void registry_ref_release(struct registry_ref *ref);

/*
 * ParseNormalizedNamed + TagNameOnly + String: the canonical form of a
 * name, as the layer store's tags use.  Caller frees; NULL with *err set
 * ("invalid reference `x`: <reason>") on failure.
 */
char *registry_ref_normalize(const char *s, struct cb_error **err);

/* True when tag matches the tag grammar ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}). */
bool registry_ref_tag_valid(const char *tag);

/* ------------------------------------------------------------------------ */
/* HTTP                                                                      */
/* ------------------------------------------------------------------------ */

struct http_client_opts {
	const char *user_agent;	 /* NULL: "cbuild/<version>" */
	long connect_timeout_ms; /* 0: 30 s */
	long stall_timeout_s;	 /* fail when under 1 byte/s for this long; 0: 120 s */
	long timeout_ms;	 /* a whole request, body included; 0: no limit */
	long max_redirects;	 /* redirects followed (http and https only); 0: a 3xx is
				    returned as it is */
	int cancel_fd;		 /* -1, or an fd (eventfd, pipe) that turns readable to
				    stop a request at once (ECANCELED) */
	/* TLS of https requests (registry/config.c fills these per registry) */
	bool tls_no_verify; /* neither the peer's certificate nor its name is checked */
	const char *ca_pem; /* PEM of the CAs trusted instead of libcurl's bundle; NULL:
			       libcurl's; not copied */
	size_t ca_pem_len;
	const char *client_cert; /* PEM files of a client certificate and its key (mTLS); NULL */
	const char *client_key;
};
#define HTTP_CLIENT_OPTS_INIT                                                                      \
	{                                                                                          \
		.max_redirects = 10, .cancel_fd = -1                                               \
	}

/*
 * A client keeps its connections between requests.  Not thread-safe: one
 * client per thread (a client per request is fine too).  The options are
 * copied; the strings must outlive the client.  The first call loads
 * libcurl; NULL and "load `libcurl.so.4`: <why>" when it cannot be loaded
 * (every later call says the same).
 */
struct http_client;
struct http_client *http_client_new(const struct http_client_opts *o, struct cb_error **err);
void http_client_free(struct http_client *c); /* NULL-safe */

/*
 * The final response (after redirects).  Header values are the server's,
 * untrusted: trimmed, never holding a control character (a header with
 * one is dropped), at most HTTP_HEADERS_MAX of them and HTTP_HEADER_BYTES
 * in all (more are dropped).  NULL when absent.
 */
#define HTTP_HEADERS_MAX 256
#define HTTP_HEADER_BYTES (64u << 10)
struct http_response {
	long status;
	char *url; /* where the response came from (the last redirect's target) */
	char *last_modified, *etag, *content_type, *content_disposition, *location;
	struct cb_strvec headers; /* every kept header: "name: value", name lowercased */
	uint64_t body_size;	  /* body bytes delivered (decoded when asked) */
};

/*
 * The body as it arrives: status and headers are set in *resp already.
 * Return < 0 with *err set to stop the request (http_request_do fails with
 * that error).  Called for every status; a sink that wants only 2xx
 * checks resp->status.
 */
typedef int (*http_body_fn)(void *arg, const struct http_response *resp, const void *buf,
			    size_t len, struct cb_error **err);

/*
 * A request body, read as it is sent: up to len bytes into buf, the count
 * (0 only at the end), or < 0 with *err set to stop the request.
 */
typedef ssize_t (*http_read_fn)(void *arg, void *buf, size_t len, struct cb_error **err);

struct http_request {
	const char *method;	    /* NULL: "GET"; "HEAD" asks for no body; "PUT", "POST"
				       and "PATCH" send body_size bytes from read_body */
	const char *url;	    /* http:// or https:// */
	const char *const *headers; /* extra request headers "Name: value", NULL-ended; or NULL */
	uint64_t max_size;	    /* most body bytes accepted (EFBIG beyond); 0: no limit */
	bool decode;		    /* send Accept-Encoding: gzip and deliver the body
				       decoded (what Go's client does by itself) */
	http_body_fn on_body;	    /* NULL: the body is dropped */
	void *arg;
	http_read_fn read_body; /* PUT, POST, PATCH: the body's bytes; NULL: empty */
	void *read_arg;
	uint64_t body_size; /* exactly this many bytes are read and sent */
};
#define HTTP_REQUEST_INIT                                                                          \
	{                                                                                          \
		0                                                                                  \
	}

/*
 * Do one request.  0 and *resp (release it) when a response came, whatever
 * its status; -1 when none did: bad URL or protocol ("only http and https
 * are supported"), a redirect to another protocol or too many redirects,
 * DNS, connection, TLS or timeout failures, a body over max_size, the
 * sink's error, or the cancel fd (ECANCELED).  Messages start with
 * "METHOD `url`" (its password hidden) and hold no curl-isms beyond its
 * description of the failure.  *resp is untouched on failure.
 */
int http_request_do(struct http_client *c, const struct http_request *req,
		    struct http_response *resp, struct cb_error **err);
void http_response_release(struct http_response *resp);

/* The value of header name (case-insensitive) in resp, or NULL; borrowed from resp. */
const char *http_response_header(const struct http_response *resp, const char *name);

/* The reason phrase of a status ("Not Found"), "" for an unknown one. */
const char *http_status_text(long status);

/*
 * An HTTP date (Last-Modified), as Go's http.ParseTime reads one: RFC 1123
 * ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37
 * GMT") or asctime ("Sun Nov  6 08:49:37 1994").  true and *out (seconds
 * since the epoch) when s is one.
 */
bool http_parse_time(const char *s, int64_t *out);

/* url with the password of its user info replaced by "xxxxx" (Go's Redacted); caller frees. */
char *http_url_redacted(const char *url);

/* ------------------------------------------------------------------------ */
/* Auth (auth.c)                                                             */
/* ------------------------------------------------------------------------ */

/*
 * One WWW-Authenticate challenge: `Bearer realm="...",service="...",
 * scope="..."` or `Basic realm="..."`.  The scheme as sent (compare it
 * case-insensitively); the other fields NULL when absent.
 */
struct registry_challenge {
	char *scheme, *realm, *service, *scope, *error;
};
/* 0 and *c (release it), or -1 when hdr is not one challenge with key=value parameters. */
int registry_challenge_parse(const char *hdr, struct registry_challenge *c);
void registry_challenge_release(struct registry_challenge *c);

/*
 * The credentials for registry host ("docker.io", "localhost:5000"), as the
 * base64 "user:password" a Basic Authorization header carries: from
 * $REGISTRY_AUTH_FILE (else $XDG_RUNTIME_DIR/containers/auth.json), then
 * $DOCKER_CONFIG/config.json (else ~/.docker/config.json), `auths`.
 * 1 and *out (caller frees), 0 when none, -1 on an unreadable file.
 */
int registry_credentials(const char *host, char **out, struct cb_error **err);
/* buf in base64; caller frees. */
char *registry_base64(const void *buf, size_t len);

/*
 * Credentials as Docker keeps them (auth.c, credhelper.c).  In each file
 * above, in order: `credHelpers` naming a helper for host, else
 * `credsStore`: `docker-credential-NAME get` answers (a helper configured
 * for host is its only source, as for Docker); else `auths` (`auth`,
 * `username`/`password`, or `identitytoken`).  docker.io's key is
 * REGISTRY_HUB_KEY.  A user REGISTRY_TOKEN_USER means secret is an
 * identity token (an OAuth2 refresh token for the token realm, never sent
 * as Basic).  Secrets are never logged.
 */
#define REGISTRY_HUB_KEY "https://index.docker.io/v1/"
#define REGISTRY_TOKEN_USER "<token>"
struct registry_creds {
	char *user, *secret;
};
/* 1 and *out (release it), 0 when none, -1 on an unreadable file or a failed helper. */
int registry_credentials_get(const char *host, struct registry_creds *out, struct cb_error **err);
void registry_creds_release(struct registry_creds *c); /* wipes the secret */
/* The key of host in auth files and helpers: REGISTRY_HUB_KEY for docker.io, else host. */
const char *registry_auth_key(const char *host);
/*
 * A helper's answer to `get` (JSON {"Username", "Secret"}): 1 and *out, 0
 * for an empty Secret; -1 when it is not such an object or holds a newline.
 */
int registry_cred_helper_parse(const char *buf, size_t len, struct registry_creds *out,
			       struct cb_error **err);
/* `docker-credential-<helper> get` for server: 1 and *out, 0 when it has none. */
int registry_cred_helper_get(const char *helper, const char *server, struct registry_creds *out,
			     struct cb_error **err);
/* `store` (creds) or `erase` (creds NULL; none stored is fine) for server. */
int registry_cred_helper_put(const char *helper, const char *server,
			     const struct registry_creds *creds, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Login and logout (login.c)                                                */
/* ------------------------------------------------------------------------ */

/*
 * The file login and logout write: $REGISTRY_AUTH_FILE, else
 * $DOCKER_CONFIG/config.json, else ~/.docker/config.json; NULL when none
 * of the variables is set.  Caller frees.
 */
char *registry_auth_file(void);
/* A registry as docker login takes it ("reg:5000", "https://reg:5000/v2/") as its host. */
char *registry_login_host(const char *server, struct cb_error **err);

struct registry_conn_opts;
/*
 * Are cr the credentials of host?  GET /v2/: 200 without any; after a
 * 401, Basic, or a token for the account from the Bearer realm (an
 * http(s) URL), then /v2/ again must be 200.  -1 naming why ("...:
 * incorrect username or password").
 */
int registry_login_check(const char *host, const struct registry_creds *cr,
			 const struct registry_conn_opts *o, struct cb_error **err);
/*
 * docker login: check cr against server, then store them: through the
 * credential helper configured for it (the `auths` entry left empty), else
 * as `auths`.`<key>`.`auth` of registry_auth_file(), every other key kept,
 * mode 0600, written atomically.  *host the server's host (caller frees).
 * Nothing is saved when the check fails.
 */
int registry_login(const char *server, const struct registry_creds *cr,
		   const struct registry_conn_opts *o, char **host, struct cb_error **err);
/* docker logout: erase them (helper and file); *had: there were some. */
int registry_logout(const char *server, char **host, bool *had, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Registry configuration: scheme, TLS, mirrors (config.c)                   */
/* ------------------------------------------------------------------------ */

/*
 * Per registry host: which scheme, which CAs and client certificate, and
 * (for docker.io pulls) which mirrors to try first.  Sources, later ones
 * adding to earlier ones: /etc/cbuild/registries.json, then
 * $XDG_CONFIG_HOME/cbuild/registries.json (else ~/.config/...), which hold
 * the two keys of Docker's daemon.json that concern a client (any other key
 * is ignored, so a copy of daemon.json does):
 *
 *	{"insecure-registries": ["reg.internal:5000", "10.0.0.0/8"],
 *	 "registry-mirrors": ["https://mirror.example"]}
 *
 * then the options of the command (struct registry_conn_opts).
 *
 *	struct registry_endpoint *ep; size_t n;
 *	registry_endpoints("docker.io", &conn, true, &ep, &n, &err);
 *	for each: registry_client_init(&c, domain, repo, &ep[i], &err) ...
 *	registry_endpoints_free(ep, n);
 */

enum registry_tls_verify {
	REGISTRY_TLS_DEFAULT = 0, /* verify, except for hosts listed insecure */
	REGISTRY_TLS_VERIFY,	  /* --tls-verify=true: verify, also insecure-listed hosts */
	REGISTRY_TLS_NO_VERIFY,	  /* --tls-verify=false: https unverified, else http */
};

/* What a command's flags say; zeroed = the configuration files only. */
struct registry_conn_opts {
	int tls_verify;		    /* enum registry_tls_verify */
	const char *cert_dir;	    /* --cert-dir: its *.crt, *.cert and *.key instead of the
				       certs.d lookup; NULL */
	const char *const *mirrors; /* --registry-mirror URLs, NULL-ended, tried before the
				       configured ones; NULL */
};

struct registry_config {
	struct cb_strvec insecure; /* "host[:port]" or a CIDR ("10.0.0.0/8") */
	struct cb_strvec mirrors;  /* "https://host[:port]", no trailing '/' */
};

/*
 * Add the keys of one registries.json (buf, len; path names it in errors)
 * to cfg.  Errors: not a JSON object, a key of the wrong type, an insecure
 * entry with a scheme, a mirror that is not an http(s) URL without a path.
 */
int registry_config_parse(struct registry_config *cfg, const char *path, const char *buf,
			  size_t len, struct cb_error **err);
/* Read the default files (missing ones are fine) into cfg (zeroed by the caller). */
int registry_config_load(struct registry_config *cfg, struct cb_error **err);
void registry_config_release(struct registry_config *cfg);
/* Is host ("reg:5000", "10.1.2.3:5000", "[fd00::1]") listed insecure, by name or CIDR? */
bool registry_config_insecure(const struct registry_config *cfg, const char *host);
/* A mirror URL as Docker takes one: "http(s)://host[:port][/]"; normalised copy (scheme
 * lowercased, no trailing '/') or NULL. */
char *registry_mirror_normalize(const char *url);

enum registry_probe {
	REGISTRY_PROBE_NONE,	 /* origin as it is */
	REGISTRY_PROBE_LOOPBACK, /* http://; https:// (verified) when the host answers
				    plain HTTP as a TLS server does (400) */
	REGISTRY_PROBE_INSECURE, /* https:// unverified; http:// when that gets no response */
};

/* One place to send a repository's requests to. */
struct registry_endpoint {
	char *origin;	    /* "https://host[:port]" (or http://) */
	char *host;	    /* host[:port] of origin */
	bool mirror;	    /* a docker.io mirror */
	bool tls_no_verify; /* https without checking the certificate */
	enum registry_probe probe;
	char *ca_pem; /* the system CAs and the registry's; NULL: the system's */
	size_t ca_pem_len;
	char *client_cert; /* a client certificate and its key (files); NULL */
	char *client_key;
};

/*
 * The endpoints for a repository of domain ("docker.io", "reg:5000"), in
 * the order to try them: for a pull of docker.io, each mirror (from o,
 * then from the files), then the registry; else the registry alone.
 * Loopback hosts get REGISTRY_PROBE_LOOPBACK, insecure-listed ones (and
 * every host under REGISTRY_TLS_NO_VERIFY) REGISTRY_PROBE_INSECURE.  CAs
 * and a client certificate come from o->cert_dir, else the certs.d
 * directories of the host.  *out (n entries) is the caller's.
 */
int registry_endpoints(const char *domain, const struct registry_conn_opts *o, bool pull,
		       struct registry_endpoint **out, size_t *n, struct cb_error **err);
/*
 * Read a certs.d directory into ep, as Docker does: each *.crt is a CA
 * (ep->ca_pem becomes the system's bundle and it), a *.cert and the *.key
 * of its name a client certificate (the first pair).  A missing directory
 * is none; a .cert without .key (or the reverse) or a .crt without a PEM
 * certificate is an error.  ep is filled as the files are read: on failure
 * it may hold some of them (the caller frees ep's fields either way).
 */
int registry_certs_dir(struct registry_endpoint *ep, const char *dir, struct cb_error **err);
void registry_endpoints_free(struct registry_endpoint *ep, size_t n);

/*
 * The CA bundle the system trusts, as Go's crypto/x509 finds it:
 * $SSL_CERT_FILE, else the first of Debian's, Fedora's, SUSE's, ...
 * bundle files that exists.  NULL when none.
 */
const char *registry_system_ca_file(void);

/* ------------------------------------------------------------------------ */
/* Pull (pull.c)                                                             */
/* ------------------------------------------------------------------------ */

struct layer_store;

struct registry_pull_opts {
	const char *platform; /* "os/arch[/variant]"; NULL: linux and the host's */
	/* one line per blob ("<short digest>: Already exists" / "Pull complete"); may be NULL */
	void (*report)(void *ctx, const char *line);
	void *ctx;
	/*
	 * Bytes as a blob moves (may be NULL): its digest, the bytes so far and
	 * its size (done == total when complete; done may go back when a
	 * request is repeated).  Called for each piece curl hands over, with ctx.
	 */
	void (*progress)(void *ctx, const struct cb_digest *blob, int64_t done, int64_t total);
	struct registry_conn_opts conn; /* TLS, mirrors (config.c); zeroed: the files' */
};

struct registry_pull_result {
	char *name;		   /* the normalised reference pulled; caller frees */
	struct cb_digest digest;   /* what the reference names: a manifest or an index */
	struct cb_digest manifest; /* the image's manifest (the platform's, from an index) */
	unsigned blobs_fetched;	   /* config and layers downloaded */
	unsigned blobs_present;	   /* ... found in the store already */
};

/*
 * Pull ref (as users type it: "busybox", "localhost:5000/app@sha256:...")
 * into the store: the manifest (from an index or manifest list, the
 * platform's), then the config and the layers the store lacks, each
 * streamed into a blob writer and verified against its descriptor's
 * digest and size; the manifest blob as the registry sent it; then the
 * tags `name:tag` (pulled by tag) and `name@digest`.  Plain HTTP for
 * localhost, 127.0.0.0/8 and ::1, HTTPS otherwise.  Anonymous, Bearer
 * token and Basic auth (registry_credentials).  Errors name the
 * reference: "pull `x`: GET manifest `tag`: 404 Not Found".
 * Blobs come 4 at a time (threads; the first failure stops the others and
 * is the error); requests are retried on a 5xx, a 429 and a dropped
 * connection, a cut blob goes on with Range (registry-internal.h).
 */
int registry_pull(struct layer_store *s, const char *ref, const struct registry_pull_opts *o,
		  struct registry_pull_result *out, struct cb_error **err);
void registry_pull_result_release(struct registry_pull_result *r);

/* ------------------------------------------------------------------------ */
/* Push (push.c)                                                             */
/* ------------------------------------------------------------------------ */

struct store_image;

#define REGISTRY_CHUNK_DEFAULT (32u << 20)

struct registry_push_opts {
	/* blobs up to this size go in one PUT, bigger ones in PATCH chunks of it; 0: 32 MiB */
	uint64_t chunk_size;
	/* one line per blob ("<short digest>: Pushed" / "Layer already exists"); may be NULL */
	void (*report)(void *ctx, const char *line);
	void *ctx;
	/*
	 * Bytes as a blob moves (may be NULL): its digest, the bytes so far and
	 * its size (done == total when complete; done may go back when a
	 * request is repeated).  Called for each piece curl hands over, with ctx.
	 */
	void (*progress)(void *ctx, const struct cb_digest *blob, int64_t done, int64_t total);
	struct registry_conn_opts conn; /* TLS (config.c); zeroed: the files' */
};

struct registry_push_result {
	char *name;		 /* the normalised destination; caller frees */
	char *tag;		 /* the tag (or digest) the manifest was put under; caller frees */
	struct cb_digest digest; /* the manifest's, as the registry confirmed it */
	int64_t size;		 /* the manifest's size */
	unsigned blobs_pushed;	 /* config and layers uploaded */
	unsigned blobs_present;	 /* ... the registry had already */
	unsigned blobs_mounted;	 /* ... mounted from another repository of the registry */
};

/*
 * Push img (of the store s) to dest ("localhost:5000/app:1"): its layers
 * in the form that leaves the store (layer_store_manifest_gzip: a built
 * layer as its gzip blob, made once; img->manifest becomes that form),
 * then the config: each blob the registry lacks (HEAD) streamed from the
 * store, in one PUT or in PATCH chunks; then the manifest, under its
 * media type, whose digest the registry must confirm.  Scheme and auth
 * as for pull (tokens of scope repository:<name>:pull,push).  Errors name
 * the destination: "push `x`: PUT manifest `1`: 400 Bad Request".
 *
 * A blob the store knows to be in another repository of the same registry
 * (layer_store_blob_sources: pulled from or pushed to there) is mounted
 * from it (POST ?mount=&from=, the token also asking for
 * repository:<from>:pull) rather than uploaded; every blob the
 * destination holds afterwards is recorded as being there.  An upload that
 * fails (connection, 5xx, 408, 429; a chunk's 404 or 416) is retried after
 * a delay, a chunked one resumed from the offset the registry reports (GET
 * on the upload), at most 5 failures in a row per blob.  Lines "<id>:
 * Retrying in N ms: <why>", "Resuming the upload at byte N", "Restarting
 * the upload" and "Mounted from <repo>" go to the report.
 */
int registry_push(struct layer_store *s, struct store_image *img, const char *dest,
		  const struct registry_push_opts *o, struct registry_push_result *out,
		  struct cb_error **err);
void registry_push_result_release(struct registry_push_result *r);

#endif
