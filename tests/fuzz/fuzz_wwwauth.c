/*
 * fuzz_wwwauth.c - WWW-Authenticate challenge parsing (registry/auth.c) on
 * arbitrary text: a parsed challenge has a non-empty scheme of token
 * characters, and a refused one leaves nothing behind.
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
	struct registry_challenge c = {0};

	if (registry_challenge_parse(s, &c) == 0) {
		if (!c.scheme || !*c.scheme || strpbrk(c.scheme, " \t,=\""))
			abort();
		registry_challenge_release(&c);
	} else if (c.scheme || c.realm || c.service || c.scope || c.error) {
		abort();
	}
	free(s);
	return 0;
}
