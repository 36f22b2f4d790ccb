/*
 * test_registry_auth.c - WWW-Authenticate challenges as registries send
 * them (Docker Hub, GHCR, distribution's htpasswd), malformed ones
 * refused; credentials from auth.json and ~/.docker/config.json.
 */
#include "cbtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"
#include "xalloc.h"

struct challenge_case {
	const char *hdr, *scheme, *realm, *service, *scope, *error;
};

static const struct challenge_case cases[] = {
	{"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
	 "scope=\"repository:library/busybox:pull\"",
	 "Bearer", "https://auth.docker.io/token", "registry.docker.io",
	 "repository:library/busybox:pull", NULL},
	{"Bearer realm=\"https://ghcr.io/token\",service=\"ghcr.io\",scope=\"repository:a/b:pull\"",
	 "Bearer", "https://ghcr.io/token", "ghcr.io", "repository:a/b:pull", NULL},
	{"Basic realm=\"Registry Realm\"", "Basic", "Registry Realm", NULL, NULL, NULL},
	{"  bearer  realm = \"http://127.0.0.1:1/t\" , service=svc,  error=\"insufficient_scope\"",
	 "bearer", "http://127.0.0.1:1/t", "svc", NULL, "insufficient_scope"},
	{"Bearer realm=\"a\\\"b\"", "Bearer", "a\"b", NULL, NULL, NULL},
	{"Bearer", "Bearer", NULL, NULL, NULL, NULL},
	{"Bearer realm=\"x\",,scope=\"a b\",", "Bearer", "x", NULL, "a b", NULL},
	/* the first value of a parameter wins */
	{"Bearer realm=\"x\",realm=\"y\"", "Bearer", "x", NULL, NULL, NULL},
};

static const char *const bad[] = {
	"",
	"   ",
	"=x",
	"Bearer realm=\"unterminated",
	"Bearer realm",
	"Bearer abc123==",
	"Bearer realm=\"x\" junk",
};

static void check_str(const char *what, const char *got, const char *want, const char *hdr)
{
	if ((got == NULL) != (want == NULL) || (got && strcmp(got, want)))
		fail_msg("`%s`: %s `%s`, want `%s`", hdr, what, got ? got : "(null)",
			 want ? want : "(null)");
}

static void test_challenge(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct challenge_case *c = &cases[i];
		struct registry_challenge ch;

		if (registry_challenge_parse(c->hdr, &ch) < 0)
			fail_msg("`%s` refused", c->hdr);
		check_str("scheme", ch.scheme, c->scheme, c->hdr);
		check_str("realm", ch.realm, c->realm, c->hdr);
		check_str("service", ch.service, c->service, c->hdr);
		check_str("scope", ch.scope, c->scope, c->hdr);
		check_str("error", ch.error, c->error, c->hdr);
		registry_challenge_release(&ch);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct registry_challenge ch = {0};

		if (registry_challenge_parse(bad[i], &ch) == 0)
			fail_msg("`%s` accepted", bad[i]);
		assert_null(ch.scheme);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_credentials(void **state)
{
	struct cb_error *err = NULL;
	char *c = NULL;
	char *up = registry_base64("u:p", 3);

	(void)state;
	assert_string_equal(up, "dTpw");
	free(up);
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("DOCKER_CONFIG");
	setenv("HOME", ".", 1);
	setenv("REGISTRY_AUTH_FILE", "./absent.json", 1);
	/* no file: no credentials */
	assert_int_equal(registry_credentials("r.example", &c, &err), 0);
	/* docker's config: auth as written, an old URL key, username/password */
	assert_int_equal(mkdir(".docker", 0700), 0);
	write_file(".docker/config.json",
		   "{\"auths\":{\"r.example\":{\"auth\":\"dTpw\"},"
		   "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnNlY3JldA==\"},"
		   "\"localhost:5000\":{\"username\":\"a\",\"password\":\"b\"},"
		   "\"bad.example\":{\"auth\":\"bm9jb2xvbg==\"}}}");
	assert_int_equal(registry_credentials("r.example", &c, &err), 1);
	assert_string_equal(c, "dTpw");
	free(c);
	assert_int_equal(registry_credentials("docker.io", &c, &err), 1);
	assert_string_equal(c, "aHViOnNlY3JldA==");
	free(c);
	assert_int_equal(registry_credentials("localhost:5000", &c, &err), 1);
	assert_string_equal(c, "YTpi");
	free(c);
	assert_int_equal(registry_credentials("other.example", &c, &err), 0);
	/* "nocolon": not user:password */
	assert_int_equal(registry_credentials("bad.example", &c, &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "not base64 of USER:PASSWORD"));
	assert_null(strstr(cb_error_msg(err), "bm9jb2xvbg"));
	cb_error_free(&err);
	/* REGISTRY_AUTH_FILE comes first */
	write_file("auth.json", "{\"auths\":{\"r.example\":{\"auth\":\"eDp5\"}}}");
	setenv("REGISTRY_AUTH_FILE", "auth.json", 1);
	assert_int_equal(registry_credentials("r.example", &c, &err), 1);
	assert_string_equal(c, "eDp5");
	free(c);
	/* a file that is not JSON is an error */
	write_file("auth.json", "nope");
	assert_int_equal(registry_credentials("r.example", &c, &err), -1);
	cb_error_free(&err);
}

CB_TEST_MAIN(cmocka_unit_test(test_challenge), cmocka_unit_test(test_credentials))
