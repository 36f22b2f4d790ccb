/*
 * test_layerstore_harden_manifest.c - issue 11, finding 8: an ambiguous
 * document (CVE-2021-41190), a manifest that also carries an index's
 * `manifests` or an index that also carries a manifest's `config` or
 * `layers`, is refused by both parsers, whatever its mediaType says (or
 * when it says nothing); the unambiguous forms still parse.
 */
#include "layerstore_testutil.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define LIT(s) s, sizeof(s) - 1

#define CONFIG                                                                                     \
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1  \
	"\",\"size\":2}"
#define LAYERS                                                                                     \
	"\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" D2   \
	"\",\"size\":3}]"
#define MANIFESTS                                                                                  \
	"\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","            \
	"\"digest\":\"" D2 "\",\"size\":3,\"platform\":{\"os\":\"linux\",\"architecture\":"        \
	"\"amd64\"}}]"
#define OCI_MANIFEST "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\""
#define OCI_INDEX "\"mediaType\":\"application/vnd.oci.image.index.v1+json\""

static void test_harden_manifest_with_manifests(void **state)
{
	struct image_manifest m;

	(void)state;
	memset(&m, 0, sizeof(m));
	CHECK_FAILS(image_manifest_parse(LIT("{\"schemaVersion\":2," OCI_MANIFEST "," CONFIG
					     "," LAYERS "," MANIFESTS "}"),
					 &m, E),
		    "image manifest: ambiguous: it has an index's `manifests`");
	CHECK_FAILS(image_manifest_parse(LIT("{\"schemaVersion\":2,\"mediaType\":\"application/"
					     "vnd.docker.distribution.manifest.v2+json\"," CONFIG
					     "," LAYERS "," MANIFESTS "}"),
					 &m, E),
		    "ambiguous");
	/* the unambiguous manifest parses */
	CHECK_OK(image_manifest_parse(
		LIT("{\"schemaVersion\":2," OCI_MANIFEST "," CONFIG "," LAYERS "}"), &m, E));
	assert_int_equal(m.nlayers, 1);
	image_manifest_release(&m);
}

static void test_harden_index_with_layers(void **state)
{
	struct image_index ix;

	(void)state;
	memset(&ix, 0, sizeof(ix));
	CHECK_FAILS(image_index_parse(
			    LIT("{\"schemaVersion\":2," OCI_INDEX "," MANIFESTS "," LAYERS "}"),
			    &ix, E),
		    "image index: ambiguous: it has a manifest's `layers`");
	CHECK_FAILS(image_index_parse(
			    LIT("{\"schemaVersion\":2," OCI_INDEX "," MANIFESTS "," CONFIG "}"),
			    &ix, E),
		    "image index: ambiguous: it has a manifest's `config`");
	/* no mediaType at all: still refused */
	CHECK_FAILS(
		image_index_parse(LIT("{\"schemaVersion\":2," MANIFESTS "," CONFIG "," LAYERS "}"),
				  &ix, E),
		"ambiguous");
	CHECK_OK(image_index_parse(LIT("{\"schemaVersion\":2," OCI_INDEX "," MANIFESTS "}"), &ix,
				   E));
	assert_int_equal(ix.nmanifests, 1);
	image_index_release(&ix);
}

CB_TEST_MAIN(cmocka_unit_test(test_harden_manifest_with_manifests),
	     cmocka_unit_test(test_harden_index_with_layers))
