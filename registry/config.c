/*
 * config.c - where a repository's requests go and how: the scheme (plain
 * HTTP for loopback hosts, or for hosts listed insecure after HTTPS got no
 * answer), the CAs and client certificate of the host (certs.d, as Docker
 * and podman read it), and the mirrors tried first for docker.io pulls.
 *
 * The configuration files are cbuild's own (/etc/cbuild/registries.json,
 * then the user's) rather than /etc/docker/daemon.json itself: daemon.json
 * configures a daemon cbuild does not talk to, is root's, and a user (or a
 * CI job) must be able to say what its cbuild trusts without touching
 * dockerd.  They take daemon.json's key names and meaning
 * (`insecure-registries`, `registry-mirrors`), so a copy or a symlink of
 * daemon.json works; its other keys are ignored.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "registry-internal.h"
#include "registry.h"
#include "xalloc.h"

#define CONFIG_MAX (1u << 20)
#define PEM_MAX (8u << 20)
#define SYSTEM_CONFIG "/etc/cbuild/registries.json"

/* ------------------------------------------------------------------------ */
/* Configuration files                                                       */
/* ------------------------------------------------------------------------ */

char *registry_mirror_normalize(const char *url)
{
	const char *h;
	size_t n;

	if (!strncasecmp(url, "https://", 8))
		h = url + 8;
	else if (!strncasecmp(url, "http://", 7))
		h = url + 7;
	else
		return NULL;
	n = strcspn(h, "/?#");
	if (!n || (h[n] && strcmp(h + n, "/")))
		return NULL; /* Docker: "path, query, or fragment at end of the URI" */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)h[i] <= 0x20 || h[i] == '@' || h[i] == '\\' ||
		    (unsigned char)h[i] >= 0x7f)
			return NULL;
	return xasprintf("%s%.*s", h - url == 8 ? "https://" : "http://", (int)n, h);
}

/* The strings of array key of root into v; -1 when key is not an array of strings. */
static int string_array(json_t *root, const char *key, const char *path, struct cb_strvec *v,
			struct cb_error **err)
{
	json_t *a = json_object_get(root, key), *e;
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a))
		return cb_error_set(err, 0, "`%s`: `%s` is not an array of strings", path, key);
	json_array_foreach (a, i, e) {
		if (!json_is_string(e))
			return cb_error_set(err, 0, "`%s`: `%s` is not an array of strings", path,
					    key);
		cb_strvec_push(v, json_string_value(e));
	}
	return 0;
}

int registry_config_parse(struct registry_config *cfg, const char *path, const char *buf,
			  size_t len, struct cb_error **err)
{
	json_auto_t *root = json_loadb(buf, len, 0, NULL);
	struct cb_strvec ins = CB_STRVEC_INIT, mir = CB_STRVEC_INIT;
	int ret = -1;

	if (!json_is_object(root))
		return cb_error_set(err, 0, "`%s`: not a JSON object", path);
	if (string_array(root, "insecure-registries", path, &ins, err) < 0 ||
	    string_array(root, "registry-mirrors", path, &mir, err) < 0)
		goto out;
	for (size_t i = 0; i < ins.n; i++) {
		if (strstr(ins.v[i], "://") || !*ins.v[i]) {
			cb_error_set(err, 0,
				     "`%s`: insecure registry `%.200s` should be HOST[:PORT] "
				     "or a CIDR, without a scheme",
				     path, ins.v[i]);
			goto out;
		}
	}
	for (size_t i = 0; i < mir.n; i++) {
		char *m = registry_mirror_normalize(mir.v[i]);

		if (!m) {
			cb_error_set(err, 0,
				     "`%s`: invalid mirror `%.200s`: not an http(s) URL "
				     "without a path",
				     path, mir.v[i]);
			goto out;
		}
		free(mir.v[i]);
		mir.v[i] = m;
	}
	for (size_t i = 0; i < ins.n; i++)
		cb_strvec_push(&cfg->insecure, ins.v[i]);
	for (size_t i = 0; i < mir.n; i++)
		cb_strvec_push(&cfg->mirrors, mir.v[i]);
	ret = 0;
out:
	cb_strvec_clear(&ins);
	cb_strvec_clear(&mir);
	return ret;
}

static int load_file(struct registry_config *cfg, const char *path, struct cb_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (cb_read_file(path, CONFIG_MAX, &buf, &len, err) < 0) {
		if ((*err)->code == ENOENT || (*err)->code == ENOTDIR) {
			cb_error_free(err);
			return 0;
		}
		return cb_error_wrap(err, "read the registry configuration");
	}
	return registry_config_parse(cfg, path, buf, len, err);
}

int registry_config_load(struct registry_config *cfg, struct cb_error **err)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	cleanup_free char *user = NULL;

	if (xdg && *xdg)
		user = xasprintf("%s/cbuild/registries.json", xdg);
	else if (home && *home)
		user = xasprintf("%s/.config/cbuild/registries.json", home);
	if (load_file(cfg, SYSTEM_CONFIG, err) < 0)
		return -1;
	return user ? load_file(cfg, user, err) : 0;
}

void registry_config_release(struct registry_config *cfg)
{
	cb_strvec_clear(&cfg->insecure);
	cb_strvec_clear(&cfg->mirrors);
}

/* ------------------------------------------------------------------------ */
/* Insecure hosts                                                            */
/* ------------------------------------------------------------------------ */

/* The address of host[:port] ("[::1]:5000" too) when it is an IP literal: its family, else 0. */
static int host_ip(const char *host, unsigned char addr[16])
{
	char buf[64];
	size_t n;

	if (host[0] == '[') {
		n = strcspn(host + 1, "]");
		if (host[1 + n] != ']' || n >= sizeof(buf))
			return 0;
		memcpy(buf, host + 1, n);
		buf[n] = '\0';
		return inet_pton(AF_INET6, buf, addr) == 1 ? AF_INET6 : 0;
	}
	n = strcspn(host, ":");
	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, host, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, addr) == 1 ? AF_INET : 0;
}

/* Is the address (family, addr) inside cidr ("10.0.0.0/8", "fd00::/8")? */
static bool in_cidr(const char *cidr, int family, const unsigned char *addr)
{
	unsigned char net[16];
	char buf[64];
	const char *slash = strchr(cidr, '/');
	char *end;
	long bits;
	size_t n;
	int fam = strchr(cidr, ':') ? AF_INET6 : AF_INET;

	if (!slash || fam != family || (size_t)(slash - cidr) >= sizeof(buf))
		return false;
	n = (size_t)(slash - cidr);
	memcpy(buf, cidr, n);
	buf[n] = '\0';
	errno = 0;
	bits = strtol(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || bits < 0 || bits > (fam == AF_INET ? 32 : 128) ||
	    inet_pton(fam, buf, net) != 1)
		return false;
	for (long i = 0; i < bits; i++) {
		unsigned char m = (unsigned char)(0x80u >> (i % 8));

		if ((net[i / 8] & m) != (addr[i / 8] & m))
			return false;
	}
	return true;
}

bool registry_config_insecure(const struct registry_config *cfg, const char *host)
{
	unsigned char addr[16];
	int family = host_ip(host, addr);

	for (size_t i = 0; i < cfg->insecure.n; i++) {
		const char *e = cfg->insecure.v[i];

		if (!strcasecmp(e, host))
			return true;
		if (family && strchr(e, '/') && in_cidr(e, family, addr))
			return true;
	}
	return false;
}

/* Is host (with its port, IPv6 in brackets) a loopback name or address? */
static bool loopback(const char *host)
{
	unsigned char addr[16];
	size_t n = strcspn(host, ":");

	if (n == 9 && !strncasecmp(host, "localhost", 9))
		return true;
	switch (host_ip(host, addr)) {
	case AF_INET:
		return addr[0] == 127;
	case AF_INET6:
		return !memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	default:
		return false;
	}
}

/* ------------------------------------------------------------------------ */
/* Endpoints                                                                 */
/* ------------------------------------------------------------------------ */

static void endpoint_release(struct registry_endpoint *ep)
{
	free(ep->origin);
	free(ep->host);
	free(ep->ca_pem);
	free(ep->client_cert);
	free(ep->client_key);
	memset(ep, 0, sizeof(*ep));
}

void registry_endpoints_free(struct registry_endpoint *ep, size_t n)
{
	for (size_t i = 0; ep && i < n; i++)
		endpoint_release(&ep[i]);
	free(ep);
}

/* The certs.d directories of host: o's --cert-dir, else the user's, podman's and Docker's. */
static void cert_dirs(const struct registry_conn_opts *o, const char *host, struct cb_strvec *v)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	if (o && o->cert_dir) {
		cb_strvec_push(v, o->cert_dir);
		return;
	}
	if (xdg && *xdg)
		cb_strvec_pushf(v, "%s/containers/certs.d/%s", xdg, host);
	else if (home && *home)
		cb_strvec_pushf(v, "%s/.config/containers/certs.d/%s", home, host);
	cb_strvec_pushf(v, "/etc/containers/certs.d/%s", host);
	cb_strvec_pushf(v, "/etc/docker/certs.d/%s", host);
}

/* Set up ep's TLS: verification, then the CAs and certificate of its host's directories. */
static int endpoint_tls(struct registry_endpoint *ep, const struct registry_conn_opts *o,
			struct cb_error **err)
{
	struct cb_strvec dirs = CB_STRVEC_INIT;
	int ret = 0;

	cert_dirs(o, ep->host, &dirs);
	for (size_t i = 0; ret == 0 && i < dirs.n; i++)
		ret = registry_certs_dir(ep, dirs.v[i], err);
	cb_strvec_clear(&dirs);
	return ret;
}

/* Add the endpoint origin (scheme://host) to *v. */
static int add_endpoint(struct registry_endpoint **v, size_t *n, const char *origin, bool mirror,
			const struct registry_config *cfg, const struct registry_conn_opts *o,
			struct cb_error **err)
{
	struct registry_endpoint *ep;
	const char *host = strstr(origin, "://") + 3;
	int verify = o ? o->tls_verify : REGISTRY_TLS_DEFAULT;
	bool insecure = verify == REGISTRY_TLS_NO_VERIFY ||
			(verify == REGISTRY_TLS_DEFAULT && registry_config_insecure(cfg, host));

	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	ep = &(*v)[*n];
	memset(ep, 0, sizeof(*ep));
	ep->origin = xstrdup(origin);
	ep->host = xstrdup(host);
	ep->mirror = mirror;
	++*n;
	if (!mirror && loopback(host)) {
		free(ep->origin);
		ep->origin = xasprintf("http://%s", host);
		ep->probe = REGISTRY_PROBE_LOOPBACK;
		ep->tls_no_verify = insecure;
	} else if (insecure) {
		ep->tls_no_verify = true;
		ep->probe = mirror ? REGISTRY_PROBE_NONE : REGISTRY_PROBE_INSECURE;
	}
	if (strncmp(ep->origin, "https://", 8) && ep->probe == REGISTRY_PROBE_NONE)
		return 0; /* plain HTTP: no TLS to set up */
	return endpoint_tls(ep, o, err);
}

int registry_endpoints(const char *domain, const struct registry_conn_opts *o, bool pull,
		       struct registry_endpoint **out, size_t *n, struct cb_error **err)
{
	struct registry_config cfg = {CB_STRVEC_INIT, CB_STRVEC_INIT};
	struct registry_endpoint *v = NULL;
	cleanup_free char *reg = NULL;
	size_t nv = 0;
	bool hub = !strcmp(domain, "docker.io");
	int ret = -1;

	if (registry_config_load(&cfg, err) < 0)
		return -1;
	for (const char *const *m = o ? o->mirrors : NULL; hub && pull && m && *m; m++) {
		cleanup_free char *url = registry_mirror_normalize(*m);

		if (!url) {
			cb_error_set(err, 0,
				     "invalid mirror `%.200s`: not an http(s) URL without "
				     "a path",
				     *m);
			goto out;
		}
		if (add_endpoint(&v, &nv, url, true, &cfg, o, err) < 0)
			goto out;
	}
	for (size_t i = 0; hub && pull && i < cfg.mirrors.n; i++)
		if (add_endpoint(&v, &nv, cfg.mirrors.v[i], true, &cfg, o, err) < 0)
			goto out;
	reg = xasprintf("https://%s", hub ? "registry-1.docker.io" : domain);
	if (add_endpoint(&v, &nv, reg, false, &cfg, o, err) < 0)
		goto out;
	*out = steal_pointer(&v);
	*n = nv;
	ret = 0;
out:
	registry_endpoints_free(v, nv);
	registry_config_release(&cfg);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* CA certificates and client certificates                                   */
/* ------------------------------------------------------------------------ */

const char *registry_system_ca_file(void)
{
	/* Go's crypto/x509 (root_linux.go), which Docker's and podman's TLS use */
	static const char *const files[] = {
		"/etc/ssl/certs/ca-certificates.crt",		     /* Debian, Ubuntu, Gentoo */
		"/etc/pki/tls/certs/ca-bundle.crt",		     /* Fedora, RHEL 6 */
		"/etc/ssl/ca-bundle.pem",			     /* openSUSE */
		"/etc/pki/tls/cacert.pem",			     /* OpenELEC */
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* CentOS, RHEL 7 */
		"/etc/ssl/cert.pem",				     /* Alpine */
	};
	const char *env = secure_getenv("SSL_CERT_FILE");

	if (env && *env)
		return env;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (access(files[i], R_OK) == 0)
			return files[i];
	return NULL;
}

/* The number of PEM certificates in buf (as OpenSSL reads them). */
static int count_certs(const char *buf, size_t len)
{
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	X509 *x;
	int n = 0;

	if (!b)
		return 0;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		X509_free(x);
		n++;
	}
	ERR_clear_error();
	BIO_free(b);
	return n;
}

/* Append the CA file dir/name to ep's bundle (the system's first). */
static int add_ca(struct registry_endpoint *ep, const char *dir, const char *name,
		  struct cb_error **err)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, name), *buf = NULL, *sys = NULL;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	size_t len = 0, slen = 0;
	const char *sysfile;

	if (cb_read_file(path, PEM_MAX, &buf, &len, err) < 0)
		return cb_error_wrap(err, "read the CA certificates");
	if (count_certs(buf, len) == 0)
		return cb_error_set(err, 0, "`%s` holds no PEM certificate", path);
	if (!ep->ca_pem) {
		sysfile = registry_system_ca_file();
		if (sysfile && cb_read_file(sysfile, PEM_MAX, &sys, &slen, err) < 0)
			return cb_error_wrap(err, "read the system's CA certificates");
		if (sys)
			cb_strbuf_add(&sb, sys, slen);
	} else {
		cb_strbuf_add(&sb, ep->ca_pem, ep->ca_pem_len);
	}
	if (sb.len && sb.buf[sb.len - 1] != '\n')
		cb_strbuf_addch(&sb, '\n');
	cb_strbuf_add(&sb, buf, len);
	free(ep->ca_pem);
	ep->ca_pem = cb_strbuf_detach(&sb, &ep->ca_pem_len);
	return 0;
}

static bool has_name(const struct cb_strvec *v, const char *base, size_t n, const char *ext)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strncmp(v->v[i], base, n) && !strcmp(v->v[i] + n, ext))
			return true;
	return false;
}

static bool ends_with(const char *s, const char *ext, size_t *base)
{
	size_t n = strlen(s), e = strlen(ext);

	*base = n - e;
	return n > e && !strcmp(s + n - e, ext);
}

/* The entries of dir, sorted; 0 with none when dir does not exist. */
static int list_dir(const char *dir, struct cb_strvec *v, struct cb_error **err)
{
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return cb_error_set(err, errno, "open the certificates directory `%s`", dir);
	}
	while ((errno = 0, e = readdir(d)))
		if (e->d_name[0] != '.')
			cb_strvec_push(v, e->d_name);
	if (errno)
		return cb_error_set(err, errno, "read the certificates directory `%s`", dir);
	cb_strvec_sort(v);
	return 0;
}

/*
 * A certs.d directory as Docker reads it (registry.ReadCertsDirectory):
 * each *.crt is a CA added to the system's, each *.cert a client
 * certificate whose key is the *.key of the same name (one without the
 * other is an error).  libcurl takes one client certificate: the first.
 */
int registry_certs_dir(struct registry_endpoint *ep, const char *dir, struct cb_error **err)
{
	struct cb_strvec v = CB_STRVEC_INIT;
	int ret = list_dir(dir, &v, err);

	for (size_t i = 0; ret == 0 && i < v.n; i++) {
		const char *f = v.v[i];
		size_t n;

		if (ends_with(f, ".crt", &n)) {
			ret = add_ca(ep, dir, f, err);
		} else if (ends_with(f, ".cert", &n)) {
			if (!has_name(&v, f, n, ".key"))
				ret = cb_error_set(err, 0,
						   "`%s`: missing key `%.*s.key` for client "
						   "certificate `%s` (CA certificates must use "
						   "the extension .crt)",
						   dir, (int)n, f, f);
			else if (!ep->client_cert) {
				ep->client_cert = xasprintf("%s/%s", dir, f);
				ep->client_key = xasprintf("%s/%.*s.key", dir, (int)n, f);
			}
		} else if (ends_with(f, ".key", &n) && !has_name(&v, f, n, ".cert")) {
			ret = cb_error_set(err, 0,
					   "`%s`: missing client certificate `%.*s.cert` for key "
					   "`%s`",
					   dir, (int)n, f, f);
		}
	}
	cb_strvec_clear(&v);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Which scheme                                                              */
/* ------------------------------------------------------------------------ */

static int probe_sink(void *arg, const struct http_response *r, const void *buf, size_t len,
		      struct cb_error **err)
{
	(void)arg;
	(void)r;
	(void)buf;
	(void)len;
	(void)err;
	return 0;
}

/* GET origin/v2/ on c's client: 0 and the status, or -1 and *err. */
static int ping(struct registry_client *c, const char *origin, long *status, struct cb_error **err)
{
	cleanup_free char *url = xasprintf("%s/v2/", origin);
	struct http_request rq = HTTP_REQUEST_INIT;
	struct http_response r;

	rq.url = url;
	rq.max_size = 64u << 10;
	rq.on_body = probe_sink;
	if (http_request_do(c->http, &rq, &r, err) < 0)
		return -1;
	*status = r.status;
	http_response_release(&r);
	return 0;
}

int registry_endpoint_probe(struct registry_client *c, const struct registry_endpoint *ep,
			    struct cb_error **err)
{
	struct cb_error *e = NULL;
	long status = 0;
	const char *alt;

	if (ep->probe == REGISTRY_PROBE_NONE)
		return 0;
	if (ep->probe == REGISTRY_PROBE_LOOPBACK) {
		/* a TLS server answers plain HTTP with 400 (Go's), or not at all */
		if (ping(c, c->origin, &status, &e) == 0 && status != 400)
			return 0;
		if (e &&
		    (e->code == ECONNREFUSED || e->code == ETIMEDOUT || e->code == ECANCELED)) {
			*err = e;
			return -1;
		}
		cb_error_free(&e);
		alt = "https";
	} else {
		/* Docker's insecure registries: https unverified, else http */
		if (ping(c, c->origin, &status, &e) == 0)
			return 0;
		if (e && e->code == ECANCELED) {
			*err = e;
			return -1;
		}
		cb_error_free(&e);
		alt = "http";
	}
	free(c->origin);
	c->origin = xasprintf("%s://%s", alt, ep->host);
	return 0;
}

void registry_endpoint_http_opts(const struct registry_endpoint *ep, struct http_client_opts *o)
{
	o->tls_no_verify = ep->tls_no_verify;
	o->ca_pem = ep->ca_pem;
	o->ca_pem_len = ep->ca_pem_len;
	o->client_cert = ep->client_cert;
	o->client_key = ep->client_key;
}
