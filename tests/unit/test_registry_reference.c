/*
 * test_registry_reference.c - image references against the vectors of
 * distribution/reference (reference_test.go, normalize_test.go): Parse's
 * split into domain, path, tag and digest and its exact errors; the
 * normalisation of familiar names; familiar forms; the default tag.
 */
#include "cbtest.h"

#include <string.h>

#include "registry.h"
#include "strbuf.h"
#include "xalloc.h"

#define FF64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

struct parse_case {
	const char *input, *err, *name, *domain, *tag, *digest;
};

static const struct parse_case parse_cases[] = {
	{"test_com", NULL, "test_com", "", NULL, NULL},
	{"test.com:tag", NULL, "test.com", "", "tag", NULL},
	{"test.com:5000", NULL, "test.com", "", "5000", NULL},
	{"test.com/repo:tag", NULL, "test.com/repo", "test.com", "tag", NULL},
	{"test:5000/repo", NULL, "test:5000/repo", "test:5000", NULL, NULL},
	{"test:5000/repo:tag", NULL, "test:5000/repo", "test:5000", "tag", NULL},
	{"test:5000/repo@sha256:" FF64, NULL, "test:5000/repo", "test:5000", NULL, "sha256:" FF64},
	{"test:5000/repo:tag@sha256:" FF64, NULL, "test:5000/repo", "test:5000", "tag",
	 "sha256:" FF64},
	{"", "repository name must have at least one component"},
	{":justtag", "invalid reference format"},
	{"@sha256:" FF64, "invalid reference format"},
	{"repo@sha256:ffffffffffffffffffffffffffffffffff", "invalid checksum digest length"},
	{"validname@invaliddigest:" FF64, "unsupported digest algorithm"},
	{"repo@sha256:" FF64 "FFFF", "invalid checksum digest length"},
	{"repo@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
	 "invalid checksum digest format"},
	{"Uppercase:tag", "repository name must be lowercase"},
	{"test:5000/Uppercase/lowercase:tag", "repository name must be lowercase"},
	{"lowercase:Uppercase", NULL, "lowercase", "", "Uppercase", NULL},
	{"aa/asdf$$^/aa", "invalid reference format"},
	{"sub-dom1.foo.com/bar/baz/quux", NULL, "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com",
	 NULL, NULL},
	{"sub-dom1.foo.com/bar/baz/quux:some-long-tag", NULL, "sub-dom1.foo.com/bar/baz/quux",
	 "sub-dom1.foo.com", "some-long-tag", NULL},
	{"b.gcr.io/test.example.com/my-app:test.example.com", NULL,
	 "b.gcr.io/test.example.com/my-app", "b.gcr.io", "test.example.com", NULL},
	{"xn--n3h.com/myimage:xn--n3h.com", NULL, "xn--n3h.com/myimage", "xn--n3h.com",
	 "xn--n3h.com", NULL},
	{"xn--7o8h.com/myimage:xn--7o8h.com@sha512:" FF64 FF64, NULL, "xn--7o8h.com/myimage",
	 "xn--7o8h.com", "xn--7o8h.com", "sha512:" FF64 FF64},
	{"foo_bar.com:8080", NULL, "foo_bar.com", "", "8080", NULL},
	{"foo/foo_bar.com:8080", NULL, "foo/foo_bar.com", "foo", "8080", NULL},
	{"192.168.1.1", NULL, "192.168.1.1", "", NULL, NULL},
	{"192.168.1.1:tag", NULL, "192.168.1.1", "", "tag", NULL},
	{"192.168.1.1:5000", NULL, "192.168.1.1", "", "5000", NULL},
	{"192.168.1.1/repo", NULL, "192.168.1.1/repo", "192.168.1.1", NULL, NULL},
	{"192.168.1.1:5000/repo", NULL, "192.168.1.1:5000/repo", "192.168.1.1:5000", NULL, NULL},
	{"192.168.1.1:5000/repo:5050", NULL, "192.168.1.1:5000/repo", "192.168.1.1:5000", "5050",
	 NULL},
	{"[2001:db8::1]", "invalid reference format"},
	{"[2001:db8::1]:5000", "invalid reference format"},
	{"[2001:db8::1]:tag", "invalid reference format"},
	{"[2001:db8::1]/repo", NULL, "[2001:db8::1]/repo", "[2001:db8::1]", NULL, NULL},
	{"[2001:db8:1:2:3:4:5:6]/repo:tag", NULL, "[2001:db8:1:2:3:4:5:6]/repo",
	 "[2001:db8:1:2:3:4:5:6]", "tag", NULL},
	{"[2001:db8::1]:5000/repo", NULL, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", NULL,
	 NULL},
	{"[2001:db8::1]:5000/repo:tag", NULL, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000",
	 "tag", NULL},
	{"[2001:db8::1]:5000/repo:tag@sha256:" FF64, NULL, "[2001:db8::1]:5000/repo",
	 "[2001:db8::1]:5000", "tag", "sha256:" FF64},
	{"[2001:db8::]:5000/repo", NULL, "[2001:db8::]:5000/repo", "[2001:db8::]:5000", NULL, NULL},
	{"[::1]:5000/repo", NULL, "[::1]:5000/repo", "[::1]:5000", NULL, NULL},
	{"[fe80::1%eth0]:5000/repo", "invalid reference format"},
	{"[fe80::1%@invalidzone]:5000/repo", "invalid reference format"},
	{"a__b/c", NULL, "a__b/c", "", NULL, NULL},
	{"a___b/c", "invalid reference format"},
	{"a--------b:1", NULL, "a--------b", "", "1", NULL},
	{"a._b", "invalid reference format"},
	{"a/b:"
	 "0123456789012345678901234567890123456789012345678901234567890123456789012345678901"
	 "234567890123456789012345678901234567890123456789",
	 "invalid reference format"}, /* a 131-character tag */
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct cb_error *err = NULL;
		struct registry_ref r;
		char *name, *all;

		if (c->err) {
			if (registry_ref_parse(c->input, &r, &err) == 0)
				fail_msg("`%s` parsed; want `%s`", c->input, c->err);
			if (strcmp(cb_error_msg(err), c->err))
				fail_msg("`%s`: got `%s`, want `%s`", c->input, cb_error_msg(err),
					 c->err);
			cb_error_free(&err);
			continue;
		}
		if (registry_ref_parse(c->input, &r, &err) < 0)
			fail_msg("`%s`: %s", c->input, cb_error_msg(err));
		name = registry_ref_name(&r);
		all = registry_ref_string(&r);
		if (strcmp(name, c->name) || strcmp(r.domain, c->domain) || strcmp(all, c->input) ||
		    (c->tag ? !r.tag || strcmp(r.tag, c->tag) : r.tag != NULL) ||
		    (c->digest ? !r.digest || strcmp(r.digest, c->digest) : r.digest != NULL))
			fail_msg("`%s`: name `%s` domain `%s` tag `%s` digest `%s` string `%s`",
				 c->input, name, r.domain, r.tag ? r.tag : "-",
				 r.digest ? r.digest : "-", all);
		free(name);
		free(all);
		registry_ref_release(&r);
	}
}

static void test_name_length(void **state)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct cb_error *err = NULL;
	struct registry_ref r;

	(void)state;
	for (int i = 0; i < 128; i++)
		cb_strbuf_addstr(&sb, "a/");
	cb_strbuf_addstr(&sb, "a:tag");
	assert_int_equal(registry_ref_parse(sb.buf, &r, &err), -1);
	assert_string_equal(cb_error_msg(err),
			    "repository name must not be more than 255 characters");
	cb_error_free(&err);
	cb_strbuf_reset(&sb);
	for (int i = 0; i < 127; i++)
		cb_strbuf_addstr(&sb, "a/");
	cb_strbuf_addstr(&sb, "a:tag-puts-this-over-max");
	assert_int_equal(registry_ref_parse(sb.buf, &r, &err), 0);
	assert_string_equal(r.domain, "a");
	assert_string_equal(r.tag, "tag-puts-this-over-max");
	registry_ref_release(&r);
	cb_strbuf_release(&sb);
}

struct norm_case {
	const char *input, *want, *familiar;
};

/* ParseNormalizedNamed + TagNameOnly, and FamiliarString of the result. */
static const struct norm_case norm_cases[] = {
	{"busybox", "docker.io/library/busybox:latest", "busybox:latest"},
	{"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"},
	{"library/debian", "docker.io/library/debian:latest", "debian:latest"},
	{"docker/docker", "docker.io/docker/docker:latest", "docker/docker:latest"},
	{"docker.io/debian", "docker.io/library/debian:latest", "debian:latest"},
	{"index.docker.io/docker/docker", "docker.io/docker/docker:latest", "docker/docker:latest"},
	{"index.docker.io/debian", "docker.io/library/debian:latest", "debian:latest"},
	{"docker.io/library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest"},
	{"127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker:latest",
	 "127.0.0.1:5000/docker/docker:latest"},
	{"localhost/foo", "localhost/foo:latest", "localhost/foo:latest"},
	{"localhost:5000/foo:v1", "localhost:5000/foo:v1", "localhost:5000/foo:v1"},
	{"192.168.0.1", "docker.io/library/192.168.0.1:latest", "192.168.0.1:latest"},
	{"192.168.0.1:80", "docker.io/library/192.168.0.1:80", "192.168.0.1:80"},
	{"[fc00::1]:5000/docker", "[fc00::1]:5000/docker:latest", "[fc00::1]:5000/docker:latest"},
	{"Foo/bar", "Foo/bar:latest", "Foo/bar:latest"}, /* an upper-case first part is a domain */
	{"busybox@sha256:" FF64, "docker.io/library/busybox@sha256:" FF64, "busybox@sha256:" FF64},
	{"busybox:1@sha256:" FF64, "docker.io/library/busybox:1@sha256:" FF64,
	 "busybox:1@sha256:" FF64},
};

static void test_normalize(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const struct norm_case *c = &norm_cases[i];
		struct cb_error *err = NULL;
		char *got = registry_ref_normalize(c->input, &err), *fam;
		struct registry_ref r;

		if (!got)
			fail_msg("`%s`: %s", c->input, cb_error_msg(err));
		if (strcmp(got, c->want))
			fail_msg("`%s`: got `%s`, want `%s`", c->input, got, c->want);
		assert_int_equal(registry_ref_parse(got, &r, &err), 0);
		fam = registry_ref_familiar_string(&r);
		if (strcmp(fam, c->familiar))
			fail_msg("`%s`: familiar `%s`, want `%s`", c->input, fam, c->familiar);
		free(fam);
		free(got);
		registry_ref_release(&r);
	}
}

struct bad_case {
	const char *input, *err;
};

static const struct bad_case bad_names[] = {
	{"https://github.com/docker/docker", "invalid reference format"},
	{"docker/Docker",
	 "invalid reference format: repository name (docker/Docker) must be lowercase"},
	{"-docker", "invalid reference format"},
	{"-docker/docker", "invalid reference format"},
	{"-docker.io/docker/docker", "invalid reference format"},
	{"docker///docker", "invalid reference format"},
	{"docker.io/docker/Docker",
	 "invalid reference format: repository name (docker/Docker) must be lowercase"},
	{"docker.io/docker///docker", "invalid reference format"},
	{"[fc00::1]", "invalid reference format"},
	{"[fc00::1]:5000", "invalid reference format"},
	{"fc00::1:5000/debian", "invalid reference format"},
	{"[fe80::1%eth0]:5000/debian", "invalid reference format"},
	{"[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid reference format"},
	{"1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
	 "invalid repository name "
	 "(1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a), "
	 "cannot specify 64-byte hexadecimal strings"},
	{"", "invalid reference format"},
	{"UPPER", "invalid reference format: repository name (library/UPPER) must be lowercase"},
};

static void test_normalize_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		struct cb_error *err = NULL;
		struct registry_ref r;
		char *want;

		if (registry_ref_parse_normalized(bad_names[i].input, &r, &err) == 0)
			fail_msg("`%s` parsed as `%s/%s`", bad_names[i].input, r.domain, r.path);
		if (strcmp(cb_error_msg(err), bad_names[i].err))
			fail_msg("`%s`: got `%s`, want `%s`", bad_names[i].input, cb_error_msg(err),
				 bad_names[i].err);
		cb_error_free(&err);
		/* registry_ref_normalize names the input first. */
		assert_null(registry_ref_normalize(bad_names[i].input, &err));
		want = xasprintf("invalid reference `%s`: %s", bad_names[i].input,
				 bad_names[i].err);
		assert_string_equal(cb_error_msg(err), want);
		free(want);
		cb_error_free(&err);
	}
}

static void test_tag_valid(void **state)
{
	(void)state;
	assert_true(registry_ref_tag_valid("latest"));
	assert_true(registry_ref_tag_valid("_x.Y-1"));
	assert_false(registry_ref_tag_valid(".x"));
	assert_false(registry_ref_tag_valid("-x"));
	assert_false(registry_ref_tag_valid(""));
	assert_false(registry_ref_tag_valid("a/b"));
}

CB_TEST_MAIN(cmocka_unit_test(test_parse), cmocka_unit_test(test_name_length),
	     cmocka_unit_test(test_normalize), cmocka_unit_test(test_normalize_errors),
	     cmocka_unit_test(test_tag_valid))
