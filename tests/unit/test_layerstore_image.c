/*
 * test_layerstore_image.c - the image model: configs with Docker's
 * extension fields, OCI and Docker schema2 manifests, OCI indexes and
 * Docker manifest lists; canonical JSON byte for byte; clear errors that
 * name the bad field.
 */
#include "layerstore_testutil.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define LIT(s) s, sizeof(s) - 1
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

/* Keys in no particular order, Docker extras, unknown fields, nulls. */
static const char config_in[] =
	"{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]},"
	"\"unknown\":{\"x\":1},\"architecture\":\"arm64\",\"variant\":\"v8\","
	"\"created\":\"2024-05-01T10:00:00Z\",\"author\":\"me <me@example.com>\","
	"\"config\":{\"Cmd\":[\"sh\",\"-c\",\"a && b\"],\"Entrypoint\":null,"
	"\"Env\":[\"PATH=/bin\",\"A=<1>\"],\"ExposedPorts\":{\"8080/tcp\":{},\"53/udp\":{}},"
	"\"Labels\":{\"z\":\"last\",\"a.b\":\"2\",\"a\":\"1\"},\"User\":\"app\","
	"\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"/srv\",\"StopSignal\":\"SIGTERM\","
	"\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"curl -f http://x/\"],\"Interval\":30000000000,"
	"\"Retries\":3},\"OnBuild\":[\"RUN echo hi\"],\"Shell\":[\"/bin/bash\",\"-c\"],"
	"\"Hostname\":\"legacy\"},"
	"\"history\":[{\"created\":\"2024-05-01T10:00:00Z\",\"created_by\":\"ADD x /\"},"
	"{\"created_by\":\"ENV A=1\",\"empty_layer\":true,\"comment\":\"buildkit\"}]}";

static const char config_out[] =
	"{\"architecture\":\"arm64\",\"author\":\"me \\u003cme@example.com\\u003e\","
	"\"config\":{\"User\":\"app\",\"ExposedPorts\":{\"53/udp\":{},\"8080/tcp\":{}},"
	"\"Env\":[\"PATH=/bin\",\"A=\\u003c1\\u003e\"],\"Cmd\":[\"sh\",\"-c\",\"a \\u0026\\u0026 "
	"b\"],"
	"\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"/srv\","
	"\"Labels\":{\"a\":\"1\",\"a.b\":\"2\",\"z\":\"last\"},\"StopSignal\":\"SIGTERM\","
	"\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"curl -f http://x/\"],\"Interval\":30000000000,"
	"\"Retries\":3},\"OnBuild\":[\"RUN echo hi\"],\"Shell\":[\"/bin/bash\",\"-c\"]},"
	"\"created\":\"2024-05-01T10:00:00Z\","
	"\"history\":[{\"created\":\"2024-05-01T10:00:00Z\",\"created_by\":\"ADD x /\"},"
	"{\"created_by\":\"ENV A=1\",\"comment\":\"buildkit\",\"empty_layer\":true}],"
	"\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]},"
	"\"variant\":\"v8\"}";

static void test_config_round_trip(void **state)
{
	struct image_config c, again;
	struct cb_error *err = NULL;
	char *json, *json2;

	(void)state;
	CHECK_OK(image_config_parse(config_in, strlen(config_in), &c, E));
	assert_string_equal(c.platform.architecture, "arm64");
	assert_string_equal(c.platform.variant, "v8");
	assert_false(c.has_entrypoint);
	assert_true(c.has_cmd);
	assert_int_equal(c.cmd.n, 3);
	assert_int_equal(c.exposed_ports.n, 2);
	assert_string_equal(c.exposed_ports.v[0], "53/udp");
	assert_string_equal(c.labels.keys.v[1], "a.b");
	assert_string_equal(c.labels.values.v[1], "2");
	assert_int_equal(c.healthcheck.interval_ns, 30000000000LL);
	assert_int_equal(c.healthcheck.retries, 3);
	assert_int_equal(c.nhistory, 2);
	assert_true(c.history[1].empty_layer);
	assert_int_equal(c.diff_ids.n, 2);
	json = image_config_to_json(&c);
	assert_string_equal(json, config_out);
	/* Canonical: parsing the output gives the same bytes again. */
	CHECK_OK(image_config_parse(json, strlen(json), &again, E));
	json2 = image_config_to_json(&again);
	assert_string_equal(json, json2);
	free(json);
	free(json2);
	image_config_release(&c);
	image_config_release(&again);
	(void)err;
}

static void test_config_minimal(void **state)
{
	struct image_config c;
	char *json;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.has_entrypoint = true; /* ENTRYPOINT [] is kept as [] */
	json = image_config_to_json(&c);
	assert_string_equal(json,
			    "{\"architecture\":\"\",\"config\":{\"Entrypoint\":[]},\"os\":\"\","
			    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
	free(json);
	CHECK_OK(image_config_parse(LIT("{}"), &c, E));
	assert_null(c.created);
	image_config_release(&c);
}

static void test_config_errors(void **state)
{
	struct image_config c;

	(void)state;
	CHECK_FAILS(image_config_parse(LIT("{"), &c, E), "image config: invalid JSON");
	CHECK_FAILS(image_config_parse(LIT("[]"), &c, E), "not a JSON object");
	CHECK_FAILS(image_config_parse(LIT("{\"config\":{\"Env\":\"A=1\"}}"), &c, E),
		    "image config: config: `Env` must be an array of strings");
	CHECK_FAILS(image_config_parse(LIT("{\"config\":{\"Cmd\":[1]}}"), &c, E), "`Cmd[0]`");
	CHECK_FAILS(
		image_config_parse(
			LIT("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"md5:x\"]}}"), &c, E),
		"rootfs.diff_ids[0]: unsupported digest algorithm `md5`");
	CHECK_FAILS(image_config_parse(LIT("{\"history\":[{\"empty_layer\":\"yes\"}]}"), &c, E),
		    "history[0]: `empty_layer` must be true or false");
}

static const char docker_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\","
	"\"config\":{\"mediaType\":\"" MEDIA_DOCKER_CONFIG "\",\"size\":1469,\"digest\":\"" D1
	"\"},"
	"\"layers\":[{\"mediaType\":\"" MEDIA_DOCKER_LAYER_GZIP "\",\"size\":2,\"digest\":\"" D2
	"\"}]}";

static void test_manifests(void **state)
{
	static const char oci[] = "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_MANIFEST
				  "\",\"config\":{\"mediaType"
				  "\":\"" MEDIA_OCI_CONFIG "\",\"digest\":\"" D1
				  "\",\"size\":10},\"layers\":[{\"media"
				  "Type\":\"" MEDIA_OCI_LAYER_ZSTD "\",\"digest\":\"" D2
				  "\",\"size\":20,\"annotations"
				  "\":{\"k\":\"v\"}}],\"annotations\":{\"org.opencontainers.image."
				  "created\":\"now\"}}";
	struct image_manifest m;
	char *json;

	(void)state;
	CHECK_OK(image_manifest_parse(docker_manifest, strlen(docker_manifest), &m, E));
	assert_string_equal(m.media_type, MEDIA_DOCKER_MANIFEST);
	assert_string_equal(m.config.digest.str, D1);
	assert_int_equal(m.config.size, 1469);
	assert_int_equal(m.nlayers, 1);
	assert_string_equal(m.layers[0].media_type, MEDIA_DOCKER_LAYER_GZIP);
	json = image_manifest_to_json(&m);
	assert_string_equal(json, "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_DOCKER_MANIFEST
				  "\",\"config\":{\"mediaType\":\"" MEDIA_DOCKER_CONFIG
				  "\",\"digest\":\"" D1 "\",\"size\":1469},\"layers\":[{\"mediaType"
				  "\":\"" MEDIA_DOCKER_LAYER_GZIP "\",\"digest\":\"" D2
				  "\",\"size\":2}]}");
	free(json);
	image_manifest_release(&m);
	CHECK_OK(image_manifest_parse(oci, strlen(oci), &m, E));
	json = image_manifest_to_json(&m);
	assert_string_equal(json, oci); /* already canonical */
	free(json);
	image_manifest_release(&m);
}

static const char docker_list[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_DOCKER_LIST "\",\"manifests\":["
	"{\"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":7,"
	"\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":8,"
	"\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}}]}";

static void test_indexes(void **state)
{
	static const char oci[] =
		"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MEDIA_OCI_MANIFEST
		"\",\"digest\":\"" D3 "\",\"size\":9,\"annotations\":{\"org.opencontainers.image."
		"ref.name\":\"1.0\"}}]}";
	struct image_index ix;
	char *json;

	(void)state;
	CHECK_OK(image_index_parse(docker_list, strlen(docker_list), &ix, E));
	assert_string_equal(ix.media_type, MEDIA_DOCKER_LIST);
	assert_int_equal(ix.nmanifests, 2);
	assert_string_equal(ix.manifests[1].platform.architecture, "arm");
	assert_string_equal(ix.manifests[1].platform.variant, "v7");
	json = image_index_to_json(&ix);
	assert_string_equal(json, docker_list);
	free(json);
	image_index_release(&ix);
	CHECK_OK(image_index_parse(oci, strlen(oci), &ix, E));
	assert_null(ix.media_type);
	assert_string_equal(ix.manifests[0].annotations.keys.v[0],
			    "org.opencontainers.image.ref.name");
	assert_string_equal(
		cb_strmap_get(&ix.manifests[0].annotations, "org.opencontainers.image.ref.name"),
		"1.0");
	json = image_index_to_json(&ix);
	assert_string_equal(json, oci);
	free(json);
	image_index_release(&ix);
}

static void test_manifest_errors(void **state)
{
	struct image_manifest m;
	struct image_index ix;

	(void)state;
	CHECK_FAILS(image_manifest_parse(docker_list, strlen(docker_list), &m, E),
		    "this is an image index");
	CHECK_FAILS(image_index_parse(docker_manifest, strlen(docker_manifest), &ix, E),
		    "is not an index media type");
	CHECK_FAILS(image_manifest_parse(LIT("{\"schemaVersion\":1}"), &m, E),
		    "Docker schema 1 manifests are not supported");
	CHECK_FAILS(image_manifest_parse(LIT("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
					     "\"digest\":\"sha256:12\",\"size\":1},\"layers\":[]}"),
					 &m, E),
		    "image manifest: config: invalid digest `sha256:12`");
	CHECK_FAILS(image_manifest_parse(LIT("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
					     "\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}"),
					 &m, E),
		    "`size` must be a non-negative integer");
	CHECK_FAILS(image_manifest_parse(LIT("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
					     "\"digest\":\"" D1 "\",\"size\":1}}"),
					 &m, E),
		    "`layers` must be an array");
}

/* Map keys may hold "=": they round-trip whole (a fuzzer find). */
static void test_map_keys_with_equals(void **state)
{
	static const char cfg[] =
		"{\"architecture\":\"amd64\",\"config\":{\"Labels\":{\"a=b\":\"c\",\"a\":\"=d\"}},"
		"\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	static const char ix_in[] = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\","
				    "\"digest\":\"" D1 "\",\"size\":1,\"annotations\":"
				    "{\"{a=\":\"appn\",\"{a\":\"=appn\"}}]}";
	struct image_config c;
	struct image_index ix;
	char *json;

	(void)state;
	memset(&c, 0, sizeof(c));
	CHECK_OK(image_config_parse(cfg, strlen(cfg), &c, E));
	assert_string_equal(cb_strmap_get(&c.labels, "a=b"), "c");
	assert_string_equal(cb_strmap_get(&c.labels, "a"), "=d");
	json = image_config_to_json(&c);
	assert_non_null(strstr(json, "\"Labels\":{\"a\":\"=d\",\"a=b\":\"c\"}"));
	free(json);
	image_config_release(&c);
	memset(&ix, 0, sizeof(ix));
	CHECK_OK(image_index_parse(ix_in, strlen(ix_in), &ix, E));
	json = image_index_to_json(&ix);
	assert_string_equal(json, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\","
				  "\"digest\":\"" D1 "\",\"size\":1,\"annotations\":"
				  "{\"{a\":\"=appn\",\"{a=\":\"appn\"}}]}");
	free(json);
	image_index_release(&ix);
}

CB_TEST_MAIN(cmocka_unit_test(test_config_round_trip), cmocka_unit_test(test_config_minimal),
	     cmocka_unit_test(test_config_errors), cmocka_unit_test(test_manifests),
	     cmocka_unit_test(test_indexes), cmocka_unit_test(test_manifest_errors),
	     cmocka_unit_test(test_map_keys_with_equals))
