/*
 * test_layerstore_images.c - images in the store: put, then get by tag,
 * manifest digest, image ID and ID prefix (unique or ambiguous); an index
 * resolves to linux/<host arch>; bad input to image_put is refused and
 * leaves no tag.
 */
#include "layerstore_testutil.h"

#include <sys/utsname.h>

static void test_put_get(void **state)
{
	const char *layers[] = {"l1", "l2"};
	struct layer_store *s = open_store("store");
	struct cb_error *err = NULL;
	struct store_image img;
	struct cb_digest m;
	char ref[80];

	(void)state;
	put_image(s, "docker.io/library/app:1", layers, 2, "2020-01-01T00:00:00Z", &m);
	CHECK_OK(layer_store_image_get(s, "docker.io/library/app:1", &img, E));
	assert_string_equal(img.manifest_digest.str, m.str);
	assert_string_equal(img.manifest.media_type, MEDIA_OCI_MANIFEST);
	assert_string_equal(img.manifest.config.media_type, MEDIA_OCI_CONFIG);
	assert_int_equal(img.manifest.nlayers, 2);
	assert_string_equal(img.manifest.layers[0].media_type, MEDIA_OCI_LAYER_GZIP);
	assert_string_equal(img.config.created, "2020-01-01T00:00:00Z");
	assert_int_equal(img.config.diff_ids.n, 2);
	/* By manifest digest, by image ID, by ID prefix with and without sha256:. */
	{
		struct store_image b;
		const struct cb_digest *id = &img.manifest.config.digest;

		CHECK_OK(layer_store_image_get(s, m.str, &b, E));
		assert_string_equal(b.manifest_digest.str, m.str);
		store_image_release(&b);
		CHECK_OK(layer_store_image_get(s, id->str, &b, E));
		assert_string_equal(b.manifest_digest.str, m.str);
		store_image_release(&b);
		snprintf(ref, sizeof(ref), "%.12s", cb_digest_hex(id));
		CHECK_OK(layer_store_image_get(s, ref, &b, E));
		store_image_release(&b);
		snprintf(ref, sizeof(ref), "sha256:%.4s", cb_digest_hex(id));
		CHECK_OK(layer_store_image_get(s, ref, &b, E));
		store_image_release(&b);
	}
	store_image_release(&img);
	CHECK_FAILS(layer_store_image_get(s, "docker.io/library/nope:1", &img, E),
		    "image `docker.io/library/nope:1` not found");
	CHECK_FAILS(layer_store_image_get(s, "abc", &img, E), "not found"); /* too short */
	(void)err;
	layer_store_close(s);
}

static void test_ambiguous_prefix(void **state)
{
	struct layer_store *s = open_store("store");
	char seen[65536] = {0}, created[64], name[64], prefix[8] = "";
	struct store_image img;

	(void)state;
	/* Images until two IDs share 4 hex digits (about 300 on average). */
	for (int i = 0; i < 5000 && !prefix[0]; i++) {
		struct store_image b;
		unsigned v;

		snprintf(created, sizeof(created), "2020-01-01T%02d:%02d:%02dZ", i / 3600,
			 i / 60 % 60, i % 60);
		snprintf(name, sizeof(name), "cbuild.local/amb:%d-%d", i / 60, i);
		put_image(s, name, NULL, 0, created, NULL);
		CHECK_OK(layer_store_image_get(s, name, &b, E));
		sscanf(cb_digest_hex(&b.manifest.config.digest), "%4x", &v);
		if (seen[v])
			snprintf(prefix, sizeof(prefix), "%04x", v);
		seen[v] = 1;
		store_image_release(&b);
	}
	assert_true(prefix[0]);
	CHECK_FAILS(layer_store_image_get(s, prefix, &img, E), "is ambiguous");
	layer_store_close(s);
}

static void test_put_refuses_bad_input(void **state)
{
	struct layer_store *s = open_store("store");
	struct image_config c;
	struct layer_desc l, ghost;
	struct cb_digest got;
	struct cb_error *err = NULL;

	(void)state;
	memset(&c, 0, sizeof(c));
	put_layer(s, "real", &l);
	/* diff_ids must match the layers. */
	CHECK_FAILS(layer_store_image_put(s, &c, &l, 1, "cbuild.local/x:1", NULL, E),
		    "lists 0 diff IDs but the image has 1 layers");
	cb_strvec_push(&c.diff_ids, l.diff_id.str);
	ghost = l;
	cb_sha256_buf("ghost", 5, &ghost.digest);
	CHECK_FAILS(layer_store_image_put(s, &c, &ghost, 1, "cbuild.local/x:1", NULL, E),
		    "is not in the store");
	ghost = l;
	ghost.size = 99;
	CHECK_FAILS(layer_store_image_put(s, &c, &ghost, 1, "cbuild.local/x:1", NULL, E),
		    "has 4 bytes, not 99");
	assert_int_equal(layer_store_tag_get(s, "cbuild.local/x:1", &got, &err), 0);
	image_config_release(&c);
	layer_store_close(s);
}

static const char *host_arch(void)
{
	struct utsname u;

	uname(&u);
	return !strcmp(u.machine, "x86_64")    ? "amd64"
	       : !strcmp(u.machine, "aarch64") ? "arm64"
					       : NULL;
}

static void test_index_resolves_host(void **state)
{
	const char *layers[] = {"for this machine"};
	struct layer_store *s = open_store("store");
	const char *arch = host_arch();
	const char *other = arch && !strcmp(arch, "amd64") ? "arm64" : "amd64";
	struct cb_digest mine, theirs, ix, ix2;
	struct store_image img;
	char json[2048];
	int64_t size = 0;

	(void)state;
	if (!arch)
		skip();
	put_image(s, NULL, layers, 1, NULL, &mine);
	CHECK_OK(layer_store_blob_put(s, "{}", 2, &theirs, E));
	assert_int_equal(layer_store_blob_exists(s, &mine, &size, NULL), 1);
	/* An attestation manifest first, another arch, then ours. */
	snprintf(json, sizeof(json),
		 "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
		 "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":2,\"annotations\":"
		 "{\"vnd.docker.reference.type\":\"attestation-manifest\"},"
		 "\"platform\":{\"architecture\":\"%s\",\"os\":\"linux\"}},"
		 "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":2,"
		 "\"platform\":{\"architecture\":\"%s\",\"os\":\"linux\"}},"
		 "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%lld,"
		 "\"platform\":{\"architecture\":\"%s\",\"os\":\"linux\"}}]}",
		 MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST, theirs.str, arch, MEDIA_OCI_MANIFEST,
		 theirs.str, other, MEDIA_OCI_MANIFEST, mine.str, (long long)size, arch);
	CHECK_OK(layer_store_blob_put(s, json, strlen(json), &ix, E));
	CHECK_OK(layer_store_tag_set(s, "docker.io/library/multi:1", &ix, E));
	CHECK_OK(layer_store_image_get(s, "docker.io/library/multi:1", &img, E));
	assert_string_equal(img.manifest_digest.str, mine.str);
	store_image_release(&img);
	/* An index without our platform says so. */
	snprintf(json, sizeof(json),
		 "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[{\"mediaType\":\"%s\","
		 "\"digest\":\"%s\",\"size\":2,\"platform\":{\"architecture\":\"s390x\","
		 "\"os\":\"linux\"}}]}",
		 MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST, theirs.str);
	CHECK_OK(layer_store_blob_put(s, json, strlen(json), &ix2, E));
	CHECK_OK(layer_store_tag_set(s, "docker.io/library/s390x:1", &ix2, E));
	CHECK_FAILS(layer_store_image_get(s, "docker.io/library/s390x:1", &img, E),
		    "has no image for linux/");
	layer_store_close(s);
}

CB_TEST_MAIN(cmocka_unit_test(test_put_get), cmocka_unit_test(test_ambiguous_prefix),
	     cmocka_unit_test(test_put_refuses_bad_input),
	     cmocka_unit_test(test_index_resolves_host))
