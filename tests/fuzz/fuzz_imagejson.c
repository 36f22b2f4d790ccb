/*
 * fuzz_imagejson.c - the image model's JSON readers (config, manifest,
 * index; OCI and Docker forms).  Whatever parses must serialise, and the
 * canonical JSON must parse again to the same canonical JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layerstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void config_roundtrip(const char *buf, size_t size)
{
	struct cb_error *err = NULL;
	struct image_config c, c2;
	char *json, *json2;

	memset(&c, 0, sizeof(c));
	if (image_config_parse(buf, size, &c, &err) < 0) {
		cb_error_free(&err);
		return;
	}
	json = image_config_to_json(&c);
	memset(&c2, 0, sizeof(c2));
	if (image_config_parse(json, strlen(json), &c2, &err) < 0)
		abort();
	json2 = image_config_to_json(&c2);
	if (strcmp(json, json2))
		abort();
	free(json);
	free(json2);
	image_config_release(&c);
	image_config_release(&c2);
}

static void manifest_roundtrip(const char *buf, size_t size)
{
	struct cb_error *err = NULL;
	struct image_manifest m, m2;
	char *json, *json2;

	memset(&m, 0, sizeof(m));
	if (image_manifest_parse(buf, size, &m, &err) < 0) {
		cb_error_free(&err);
		return;
	}
	json = image_manifest_to_json(&m);
	memset(&m2, 0, sizeof(m2));
	if (image_manifest_parse(json, strlen(json), &m2, &err) < 0)
		abort();
	json2 = image_manifest_to_json(&m2);
	if (strcmp(json, json2))
		abort();
	free(json);
	free(json2);
	image_manifest_release(&m);
	image_manifest_release(&m2);
}

static void index_roundtrip(const char *buf, size_t size)
{
	struct cb_error *err = NULL;
	struct image_index ix, ix2;
	char *json, *json2;

	memset(&ix, 0, sizeof(ix));
	if (image_index_parse(buf, size, &ix, &err) < 0) {
		cb_error_free(&err);
		return;
	}
	json = image_index_to_json(&ix);
	memset(&ix2, 0, sizeof(ix2));
	if (image_index_parse(json, strlen(json), &ix2, &err) < 0)
		abort();
	json2 = image_index_to_json(&ix2);
	if (strcmp(json, json2))
		abort();
	free(json);
	free(json2);
	image_index_release(&ix);
	image_index_release(&ix2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	config_roundtrip((const char *)data, size);
	manifest_roundtrip((const char *)data, size);
	index_roundtrip((const char *)data, size);
	return 0;
}
