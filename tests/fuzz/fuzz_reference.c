/*
 * fuzz_reference.c - image reference parsing and normalisation
 * (registry/reference.c): both parsers and every formatter on arbitrary
 * text.  A normalised name must parse again to itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct cb_error *err = NULL;
	struct registry_ref ref;
	char *norm;

	if (registry_ref_parse(s, &ref, &err) == 0) {
		free(registry_ref_name(&ref));
		free(registry_ref_string(&ref));
		free(registry_ref_familiar_name(&ref));
		free(registry_ref_familiar_string(&ref));
		registry_ref_release(&ref);
	}
	cb_error_free(&err);
	if (registry_ref_parse_normalized(s, &ref, &err) == 0)
		registry_ref_release(&ref);
	cb_error_free(&err);
	norm = registry_ref_normalize(s, &err);
	if (norm) {
		char *again = registry_ref_normalize(norm, &err);

		/* normalising is idempotent */
		if (!again || strcmp(again, norm))
			abort();
		free(again);
	}
	cb_error_free(&err);
	free(norm);
	free(s);
	return 0;
}
