/*
 * test_registry_config.c - the registry configuration (config.c):
 * registries.json parsed and refused, mirror URLs, insecure hosts by name
 * and CIDR, the endpoints of a pull or push (mirrors for docker.io only,
 * loopback and insecure probes, --tls-verify), certs.d directories as
 * Docker reads them; credential helpers' answers (credhelper.c) and the
 * credentials of auth files (identity tokens), login's registry names.
 */
#include "cbtest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry-internal.h" /* the scheme probe runs on a registry_client */
#include "registry.h"
#include "xalloc.h"

/* A self-signed CA (EC P-256, valid until 2126): only parsed here. */
static const char test_ca[] = "-----BEGIN CERTIFICATE-----\n"
			      "MIIBkjCCATmgAwIBAgIUF1owYvg1EvvJ9wN3+gXFJUsCXm4wCgYIKoZIzj0EAwIw\n"
			      "HjEcMBoGA1UEAwwTY2J1aWxkIHVuaXQgdGVzdCBDQTAgFw0yNjEyMDYwOTI0Mjda\n"
			      "GA8yMTI2MTExMjA5MjQyN1owHjEcMBoGA1UEAwwTY2J1aWxkIHVuaXQgdGVzdCBD\n"
			      "QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLF6BNvAyhIb+Palra4aaokUg4/y\n"
			      "eB4ZLpL26mcY6l/FKXOcEkrd3g4taTk6bHKyHUOE6ZEEmfLFEhW1D2CcNxyjUzBR\n"
			      "MB0GA1UdDgQWBBTpku8sOa9K771QJIboD5s6X2qlOzAfBgNVHSMEGDAWgBTpku8s\n"
			      "Oa9K771QJIboD5s6X2qlOzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cA\n"
			      "MEQCICuRbZ0C6NEsnVVctOWj08NWv5OrDRPmQMvTH6uo0PAQAiAXAnJRsOQNbABr\n"
			      "+uiw+SW1WoTzmdfdeCL4RWwnY4rBnw==\n"
			      "-----END CERTIFICATE-----\n";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int parse(struct registry_config *cfg, const char *json, struct cb_error **err)
{
	return registry_config_parse(cfg, "test.json", json, strlen(json), err);
}

static void test_parse(void **state)
{
	struct registry_config cfg = {CB_STRVEC_INIT, CB_STRVEC_INIT};
	struct cb_error *err = NULL;
	static const struct {
		const char *json, *msg;
	} bad[] = {
		{"[]", "`test.json`: not a JSON object"},
		{"nope", "not a JSON object"},
		{"{\"insecure-registries\": \"x\"}", "`insecure-registries` is not an array"},
		{"{\"registry-mirrors\": [1]}", "`registry-mirrors` is not an array"},
		{"{\"insecure-registries\": [\"http://x:5000\"]}", "without a scheme"},
		{"{\"insecure-registries\": [\"\"]}", "without a scheme"},
		{"{\"registry-mirrors\": [\"ftp://m\"]}", "invalid mirror `ftp://m`"},
		{"{\"registry-mirrors\": [\"https://m/path\"]}", "invalid mirror"},
		{"{\"registry-mirrors\": [\"https://\"]}", "invalid mirror"},
		{"{\"registry-mirrors\": [\"https://u@m\"]}", "invalid mirror"},
	};

	(void)state;
	/* daemon.json's other keys are ignored; a trailing '/' is dropped */
	assert_int_equal(parse(&cfg,
			       "{\"debug\": true, \"insecure-registries\": [\"reg:5000\", "
			       "\"10.0.0.0/8\"], \"registry-mirrors\": [\"https://m.example/\", "
			       "\"http://127.0.0.1:5000\"], \"storage-driver\": \"overlay2\"}",
			       &err),
			 0);
	assert_int_equal(cfg.insecure.n, 2);
	assert_string_equal(cfg.insecure.v[0], "reg:5000");
	assert_int_equal(cfg.mirrors.n, 2);
	assert_string_equal(cfg.mirrors.v[0], "https://m.example");
	assert_string_equal(cfg.mirrors.v[1], "http://127.0.0.1:5000");
	/* a second file adds to the first; a refused one adds nothing */
	assert_int_equal(parse(&cfg, "{\"registry-mirrors\": [\"https://n\"]}", &err), 0);
	assert_int_equal(cfg.mirrors.n, 3);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(&cfg, bad[i].json, &err) == 0)
			fail_msg("`%s` accepted", bad[i].json);
		if (!strstr(cb_error_msg(err), bad[i].msg))
			fail_msg("`%s`: %s", bad[i].json, cb_error_msg(err));
		cb_error_free(&err);
	}
	assert_int_equal(cfg.insecure.n, 2);
	assert_int_equal(cfg.mirrors.n, 3);
	registry_config_release(&cfg);
}

static void test_mirror_normalize(void **state)
{
	static const char *const cases[][2] = {
		{"https://m.example", "https://m.example"},
		{"https://m.example/", "https://m.example"},
		{"http://127.0.0.1:5000/", "http://127.0.0.1:5000"},
		{"HTTPS://M:1", "https://M:1"},
		{"https://[::1]:5000", "https://[::1]:5000"},
		{"m.example", NULL},
		{"https://m/v2/", NULL},
		{"https://m?x", NULL},
		{"https://m#x", NULL},
		{"https://a b", NULL},
		{"file:///etc", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = registry_mirror_normalize(cases[i][0]);

		if ((got == NULL) != (cases[i][1] == NULL) || (got && strcmp(got, cases[i][1])))
			fail_msg("`%s`: `%s`, want `%s`", cases[i][0], got ? got : "(null)",
				 cases[i][1] ? cases[i][1] : "(null)");
		free(got);
	}
}

static void test_insecure(void **state)
{
	struct registry_config cfg = {CB_STRVEC_INIT, CB_STRVEC_INIT};
	struct cb_error *err = NULL;

	(void)state;
	assert_int_equal(parse(&cfg,
			       "{\"insecure-registries\": [\"Reg.Example:5000\", \"plain\", "
			       "\"10.0.0.0/8\", \"192.168.1.0/24\", \"fd00::/8\", \"bad/cidr\", "
			       "\"1.2.3.4/33\"]}",
			       &err),
			 0);
	assert_true(registry_config_insecure(&cfg, "reg.example:5000"));
	assert_false(registry_config_insecure(&cfg, "reg.example"));
	assert_false(registry_config_insecure(&cfg, "reg.example:5001"));
	assert_true(registry_config_insecure(&cfg, "plain"));
	assert_false(registry_config_insecure(&cfg, "plain:80"));
	assert_true(registry_config_insecure(&cfg, "10.1.2.3"));
	assert_true(registry_config_insecure(&cfg, "10.255.0.1:5000"));
	assert_false(registry_config_insecure(&cfg, "11.0.0.1:5000"));
	assert_true(registry_config_insecure(&cfg, "192.168.1.77:443"));
	assert_false(registry_config_insecure(&cfg, "192.168.2.77:443"));
	assert_true(registry_config_insecure(&cfg, "[fd12::1]:5000"));
	assert_false(registry_config_insecure(&cfg, "[fe80::1]:5000"));
	assert_false(registry_config_insecure(&cfg, "1.2.3.4"));
	/* a name is not resolved: only IP literals meet a CIDR */
	assert_false(registry_config_insecure(&cfg, "ten.example"));
	registry_config_release(&cfg);
}

/* The endpoints of domain with config text (NULL: none) in $XDG_CONFIG_HOME. */
static size_t endpoints(const char *config, const char *domain, const struct registry_conn_opts *o,
			bool pull, struct registry_endpoint **ep)
{
	struct cb_error *err = NULL;
	size_t n = 0;

	setenv("XDG_CONFIG_HOME", "xdg", 1);
	setenv("HOME", "home", 1);
	mkdir("xdg", 0700);
	mkdir("xdg/cbuild", 0700);
	if (config)
		write_file("xdg/cbuild/registries.json", config);
	else
		unlink("xdg/cbuild/registries.json");
	if (registry_endpoints(domain, o, pull, ep, &n, &err) < 0)
		fail_msg("%s", cb_error_msg(err));
	return n;
}

static void test_endpoints(void **state)
{
	const char *conf = "{\"insecure-registries\": [\"ins.example\", \"10.0.0.0/8\"], "
			   "\"registry-mirrors\": [\"https://m1.example\"]}";
	const char *flag_mirrors[] = {"http://127.0.0.1:5000/", NULL};
	struct registry_conn_opts o = {0};
	struct registry_endpoint *ep = NULL;
	size_t n;

	(void)state;
	/* docker.io pull: the flag's mirrors, the file's, then docker.io */
	o.mirrors = flag_mirrors;
	n = endpoints(conf, "docker.io", &o, true, &ep);
	assert_int_equal(n, 3);
	assert_string_equal(ep[0].origin, "http://127.0.0.1:5000");
	assert_true(ep[0].mirror);
	assert_int_equal(ep[0].probe, REGISTRY_PROBE_NONE);
	assert_string_equal(ep[1].origin, "https://m1.example");
	assert_true(ep[1].mirror);
	assert_false(ep[1].tls_no_verify);
	assert_string_equal(ep[2].origin, "https://registry-1.docker.io");
	assert_false(ep[2].mirror);
	assert_int_equal(ep[2].probe, REGISTRY_PROBE_NONE);
	assert_null(ep[2].ca_pem);
	registry_endpoints_free(ep, n);
	/* push, or another registry: no mirror */
	n = endpoints(conf, "docker.io", &o, false, &ep);
	assert_int_equal(n, 1);
	assert_string_equal(ep[0].origin, "https://registry-1.docker.io");
	registry_endpoints_free(ep, n);
	n = endpoints(conf, "quay.io", &o, true, &ep);
	assert_int_equal(n, 1);
	assert_string_equal(ep[0].origin, "https://quay.io");
	registry_endpoints_free(ep, n);
	/* loopback: http first; insecure: https unverified, then http */
	o.mirrors = NULL;
	n = endpoints(NULL, "localhost:5000", &o, true, &ep);
	assert_string_equal(ep[0].origin, "http://localhost:5000");
	assert_int_equal(ep[0].probe, REGISTRY_PROBE_LOOPBACK);
	assert_false(ep[0].tls_no_verify);
	registry_endpoints_free(ep, n);
	n = endpoints(NULL, "[::1]:5000", &o, true, &ep);
	assert_int_equal(ep[0].probe, REGISTRY_PROBE_LOOPBACK);
	registry_endpoints_free(ep, n);
	n = endpoints(NULL, "127.9.9.9", &o, true, &ep);
	assert_int_equal(ep[0].probe, REGISTRY_PROBE_LOOPBACK);
	registry_endpoints_free(ep, n);
	n = endpoints(NULL, "localhost.example", &o, true, &ep);
	assert_int_equal(ep[0].probe, REGISTRY_PROBE_NONE);
	assert_string_equal(ep[0].origin, "https://localhost.example");
	registry_endpoints_free(ep, n);
	n = endpoints(conf, "ins.example", &o, true, &ep);
	assert_string_equal(ep[0].origin, "https://ins.example");
	assert_int_equal(ep[0].probe, REGISTRY_PROBE_INSECURE);
	assert_true(ep[0].tls_no_verify);
	registry_endpoints_free(ep, n);
	n = endpoints(conf, "10.1.1.1:5000", &o, true, &ep);
	assert_int_equal(ep[0].probe, REGISTRY_PROBE_INSECURE);
	registry_endpoints_free(ep, n);
	/* --tls-verify=true checks insecure hosts; =false any host */
	o.tls_verify = REGISTRY_TLS_VERIFY;
	n = endpoints(conf, "ins.example", &o, true, &ep);
	assert_int_equal(ep[0].probe, REGISTRY_PROBE_NONE);
	assert_false(ep[0].tls_no_verify);
	registry_endpoints_free(ep, n);
	o.tls_verify = REGISTRY_TLS_NO_VERIFY;
	n = endpoints(conf, "secure.example", &o, true, &ep);
	assert_int_equal(ep[0].probe, REGISTRY_PROBE_INSECURE);
	assert_true(ep[0].tls_no_verify);
	registry_endpoints_free(ep, n);
	n = endpoints(conf, "localhost:1", &o, true, &ep);
	assert_int_equal(ep[0].probe, REGISTRY_PROBE_LOOPBACK);
	assert_true(ep[0].tls_no_verify);
	registry_endpoints_free(ep, n);
}

/* Free what registry_certs_dir put in e (it fills e as it goes, also when it fails). */
static void endpoint_clear(struct registry_endpoint *e)
{
	free(e->ca_pem);
	free(e->client_cert);
	free(e->client_key);
	memset(e, 0, sizeof(*e));
}

static void test_certs_dir(void **state)
{
	struct registry_conn_opts o = {0};
	struct registry_endpoint *ep = NULL;
	struct registry_endpoint e = {0};
	struct cb_error *err = NULL;
	const char *sys = registry_system_ca_file();
	size_t n;

	(void)state;
	/* a missing directory: the system's CAs */
	assert_int_equal(registry_certs_dir(&e, "absent", &err), 0);
	assert_null(e.ca_pem);
	/* CAs after the system's, the first client pair */
	mkdir("d", 0700);
	write_file("d/ca.crt", test_ca);
	write_file("d/b.cert", "x");
	write_file("d/b.key", "x");
	write_file("d/a.cert", "x");
	write_file("d/a.key", "x");
	write_file("d/README", "not a certificate, not read");
	assert_int_equal(registry_certs_dir(&e, "d", &err), 0);
	assert_non_null(e.ca_pem);
	assert_int_equal(strlen(e.ca_pem), e.ca_pem_len);
	assert_non_null(strstr(e.ca_pem, test_ca));
	assert_true(e.ca_pem_len >= sizeof(test_ca) - 1);
	if (sys) /* the system's bundle stays trusted */
		assert_true(e.ca_pem_len > sizeof(test_ca) + 100);
	assert_string_equal(e.client_cert, "d/a.cert");
	assert_string_equal(e.client_key, "d/a.key");
	endpoint_clear(&e);
	/* --cert-dir applies to the registry's endpoint */
	o.cert_dir = "d";
	n = endpoints(NULL, "reg.example", &o, true, &ep);
	assert_non_null(ep[0].ca_pem);
	assert_string_equal(ep[0].client_cert, "d/a.cert");
	registry_endpoints_free(ep, n);
	/* as Docker: a .cert needs its .key and the reverse; a .crt needs a certificate */
	unlink("d/b.key");
	assert_int_equal(registry_certs_dir(&e, "d", &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "missing key `b.key` for client certificate"));
	cb_error_free(&err);
	endpoint_clear(&e);
	unlink("d/b.cert");
	unlink("d/a.cert");
	assert_int_equal(registry_certs_dir(&e, "d", &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "missing client certificate `a.cert`"));
	cb_error_free(&err);
	endpoint_clear(&e);
	unlink("d/a.key");
	write_file("d/bad.crt", "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n");
	assert_int_equal(registry_certs_dir(&e, "d", &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "`d/bad.crt` holds no PEM certificate"));
	cb_error_free(&err);
	endpoint_clear(&e);
	/* SSL_CERT_FILE names the system's bundle, as for Go */
	setenv("SSL_CERT_FILE", "d/ca.crt", 1);
	assert_string_equal(registry_system_ca_file(), "d/ca.crt");
	unsetenv("SSL_CERT_FILE");
}

static void test_helper_parse(void **state)
{
	struct registry_creds c = {NULL, NULL};
	struct cb_error *err = NULL;
	static const char *const bad[] = {
		"",
		"credentials not found in native keychain",
		"[]",
		"{\"Username\": \"u\"}",
		"{\"Secret\": \"s\"}",
		"{\"Username\": 1, \"Secret\": \"s\"}",
		"{\"Username\": \"u\\n\", \"Secret\": \"s\"}",
		"{\"Username\": \"u\", \"Secret\": \"s\\r\\nX: y\"}",
		"{\"Username\": \"a:b\", \"Secret\": \"s\"}",
	};
	const char *ok = "{\"ServerURL\": \"reg\", \"Username\": \"alice\", \"Secret\": \"p:w\"}";

	(void)state;
	assert_int_equal(registry_cred_helper_parse(ok, strlen(ok), &c, &err), 1);
	assert_string_equal(c.user, "alice");
	assert_string_equal(c.secret, "p:w");
	registry_creds_release(&c);
	assert_null(c.user);
	ok = "{\"Username\": \"<token>\", \"Secret\": \"idtok\"}";
	assert_int_equal(registry_cred_helper_parse(ok, strlen(ok), &c, &err), 1);
	assert_string_equal(c.user, REGISTRY_TOKEN_USER);
	registry_creds_release(&c);
	ok = "{\"Username\": \"\", \"Secret\": \"\"}";
	assert_int_equal(registry_cred_helper_parse(ok, strlen(ok), &c, &err), 0);
	assert_null(c.user);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (registry_cred_helper_parse(bad[i], strlen(bad[i]), &c, &err) != -1)
			fail_msg("`%s` accepted", bad[i]);
		assert_null(c.user);
		/* the message never quotes the answer (it may hold the secret) */
		assert_null(strstr(cb_error_msg(err), "\"s"));
		cb_error_free(&err);
	}
}

/* A helper script in ./bin named docker-credential-NAME printing out and exiting rc. */
static void helper_script(const char *name, const char *body)
{
	char *path = xasprintf("bin/docker-credential-%s", name);

	mkdir("bin", 0700);
	write_file(path, body);
	assert_int_equal(chmod(path, 0755), 0);
	free(path);
}

static void test_helper_run(void **state)
{
	struct registry_creds c = {NULL, NULL};
	struct cb_error *err = NULL;
	char *cwd = getcwd(NULL, 0);
	char *path = xasprintf("%s/bin:/usr/bin:/bin", cwd);

	(void)state;
	setenv("PATH", path, 1);
	/* the server on stdin, JSON out; stderr dropped */
	helper_script("echo", "#!/bin/sh\nread -r s || true\necho oops >&2\n"
			      "printf '{\"Username\":\"u-%s\",\"Secret\":\"pw\"}' \"$s\"\n");
	assert_int_equal(registry_cred_helper_get("echo", "reg.example", &c, &err), 1);
	assert_string_equal(c.user, "u-reg.example");
	registry_creds_release(&c);
	/* not found: none; another failure: its message, one line, bounded */
	helper_script("none",
		      "#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n");
	assert_int_equal(registry_cred_helper_get("none", "reg", &c, &err), 0);
	helper_script("fail", "#!/bin/sh\nprintf 'locked\\nsecond line'\nexit 2\n");
	assert_int_equal(registry_cred_helper_get("fail", "reg", &c, &err), -1);
	assert_string_equal(cb_error_msg(err),
			    "credential helper `docker-credential-fail` get: locked");
	cb_error_free(&err);
	/* too much output */
	helper_script("big", "#!/bin/sh\nhead -c 200000 /dev/zero\n");
	assert_int_equal(registry_cred_helper_get("big", "reg", &c, &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "over 65536 bytes"));
	cb_error_free(&err);
	/* a helper that does not read its input */
	helper_script("deaf", "#!/bin/sh\nprintf '{\"Username\":\"u\",\"Secret\":\"s\"}'\n");
	assert_int_equal(registry_cred_helper_get("deaf", "reg", &c, &err), 1);
	registry_creds_release(&c);
	/* missing, and names that are not helper names */
	assert_int_equal(registry_cred_helper_get("absent", "reg", &c, &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "`docker-credential-absent`: not found on PATH"));
	cb_error_free(&err);
	assert_int_equal(registry_cred_helper_get("../x", "reg", &c, &err), -1);
	cb_error_free(&err);
	/* store gets JSON; erase the server */
	helper_script("rec", "#!/bin/sh\ncat >\"$1.in\"\n");
	c.user = xstrdup("alice");
	c.secret = xstrdup("pw");
	assert_int_equal(registry_cred_helper_put("rec", "reg", &c, &err), 0);
	registry_creds_release(&c);
	assert_int_equal(registry_cred_helper_put("rec", "reg", NULL, &err), 0);
	free(path);
	free(cwd);
}

static void test_auth_files(void **state)
{
	struct registry_creds c = {NULL, NULL};
	struct cb_error *err = NULL;

	(void)state;
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("DOCKER_CONFIG");
	setenv("HOME", ".", 1);
	setenv("REGISTRY_AUTH_FILE", "auth.json", 1);
	/* identitytoken: the token, as the "<token>" user */
	write_file("auth.json", "{\"auths\": {\"r\": {\"auth\": \"PHRva2VuPjo=\", "
				"\"identitytoken\": \"idt\"}, \"https://index.docker.io/v1/\": "
				"{\"auth\": \"dTpw\"}}}");
	assert_int_equal(registry_credentials_get("r", &c, &err), 1);
	assert_string_equal(c.user, REGISTRY_TOKEN_USER);
	assert_string_equal(c.secret, "idt");
	registry_creds_release(&c);
	/* an identity token is no Basic credential */
	{
		char *b = NULL;

		assert_int_equal(registry_credentials("r", &b, &err), 0);
		assert_null(b);
	}
	assert_int_equal(registry_credentials_get("docker.io", &c, &err), 1);
	assert_string_equal(c.user, "u");
	assert_string_equal(c.secret, "p");
	registry_creds_release(&c);
	assert_string_equal(registry_auth_key("docker.io"), REGISTRY_HUB_KEY);
	assert_string_equal(registry_auth_key("registry-1.docker.io"), REGISTRY_HUB_KEY);
	assert_string_equal(registry_auth_key("reg:5000"), "reg:5000");
	/* a helper that is missing is an error, not a silent "none" */
	write_file("auth.json", "{\"credsStore\": \"absent-helper\"}");
	assert_int_equal(registry_credentials_get("r", &c, &err), -1);
	cb_error_free(&err);
}

static void test_login_host(void **state)
{
	static const char *const cases[][2] = {
		{"reg:5000", "reg:5000"},
		{"https://reg:5000/", "reg:5000"},
		{"http://reg/v2/", "reg"},
		{"docker.io", "docker.io"},
		{"index.docker.io", "docker.io"},
		{"https://index.docker.io/v1/", "docker.io"},
		{"registry-1.docker.io", "docker.io"},
		{"[::1]:5000", "[::1]:5000"},
		{"", NULL},
		{"https://", NULL},
		{"reg@x", NULL},
		{"a b", NULL},
	};
	struct cb_error *err = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = registry_login_host(cases[i][0], &err);

		if ((got == NULL) != (cases[i][1] == NULL) || (got && strcmp(got, cases[i][1])))
			fail_msg("`%s`: `%s`, want `%s`", cases[i][0], got ? got : "(null)",
				 cases[i][1] ? cases[i][1] : "(null)");
		free(got);
		cb_error_free(&err);
	}
}

/* A plain-HTTP server on 127.0.0.1: each connection gets one read, then status, then close. */
struct plain_server {
	int lfd, port, status;
	pthread_t th;
};

static void *plain_serve(void *arg)
{
	struct plain_server *s = arg;
	char buf[4096], out[128];
	int fd;

	while ((fd = accept(s->lfd, NULL, NULL)) >= 0) {
		int n = snprintf(out, sizeof(out),
				 "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
				 s->status);

		if (recv(fd, buf, sizeof(buf), 0) > 0)
			(void)!send(fd, out, (size_t)n, MSG_NOSIGNAL);
		close(fd);
	}
	return NULL;
}

static void plain_start(struct plain_server *s, int status)
{
	s->status = status;
	s->lfd = cb_test_listen_loopback(&s->port);
	assert_int_equal(pthread_create(&s->th, NULL, plain_serve, s), 0);
}

static void plain_stop(struct plain_server *s)
{
	shutdown(s->lfd, SHUT_RDWR);
	close(s->lfd);
	pthread_join(s->th, NULL);
}

/* The origin registry_client_init settles on for ep: 0 and *origin, or -1 and *err. */
static int probe(const char *origin, enum registry_probe kind, int port, char **out,
		 struct cb_error **err)
{
	struct registry_endpoint ep = {0};
	struct registry_client c;

	ep.origin = xasprintf("%s://127.0.0.1:%d", origin, port);
	ep.host = xasprintf("127.0.0.1:%d", port);
	ep.probe = kind;
	ep.tls_no_verify = kind == REGISTRY_PROBE_INSECURE;
	if (registry_client_init(&c, ep.host, "r", &ep, err) < 0) {
		free(ep.origin);
		free(ep.host);
		return -1;
	}
	*out = xstrdup(c.origin);
	registry_client_release(&c);
	free(ep.origin);
	free(ep.host);
	return 0;
}

static void test_probe(void **state)
{
	struct plain_server s;
	struct cb_error *err = NULL;
	char *o = NULL, *want;
	int dead;

	(void)state;
	plain_start(&s, 401);
	want = xasprintf("http://127.0.0.1:%d", s.port);
	/* loopback speaking plain HTTP: stays http */
	assert_int_equal(probe("http", REGISTRY_PROBE_LOOPBACK, s.port, &o, &err), 0);
	assert_string_equal(o, want);
	free(o);
	/* insecure: HTTPS gets no answer from a plain server, so http */
	assert_int_equal(probe("https", REGISTRY_PROBE_INSECURE, s.port, &o, &err), 0);
	assert_string_equal(o, want);
	free(o);
	/* no probe: as given */
	assert_int_equal(probe("https", REGISTRY_PROBE_NONE, s.port, &o, &err), 0);
	assert_non_null(strstr(o, "https://"));
	free(o);
	free(want);
	plain_stop(&s);
	/* loopback answering plain HTTP as a TLS server does (400): https */
	plain_start(&s, 400);
	want = xasprintf("https://127.0.0.1:%d", s.port);
	assert_int_equal(probe("http", REGISTRY_PROBE_LOOPBACK, s.port, &o, &err), 0);
	assert_string_equal(o, want);
	free(o);
	free(want);
	dead = s.port;
	plain_stop(&s);
	/* nothing listening: loopback says so at once */
	assert_int_equal(probe("http", REGISTRY_PROBE_LOOPBACK, dead, &o, &err), -1);
	assert_int_equal(err->code, ECONNREFUSED);
	cb_error_free(&err);
}

CB_TEST_MAIN(cmocka_unit_test(test_probe), cmocka_unit_test(test_parse),
	     cmocka_unit_test(test_mirror_normalize), cmocka_unit_test(test_insecure),
	     cmocka_unit_test(test_endpoints), cmocka_unit_test(test_certs_dir),
	     cmocka_unit_test(test_helper_parse), cmocka_unit_test(test_helper_run),
	     cmocka_unit_test(test_auth_files), cmocka_unit_test(test_login_host))
