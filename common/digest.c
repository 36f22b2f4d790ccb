#include "digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

bool cb_digest_hex_valid(const char *s)
{
	return strlen(s) == CB_DIGEST_HEX && strspn(s, "0123456789abcdef") == CB_DIGEST_HEX;
}

bool cb_digest_valid(const char *s)
{
	return !strncmp(s, "sha256:", 7) && cb_digest_hex_valid(s + 7);
}

int cb_digest_parse(const char *s, struct cb_digest *d, struct cb_error **err)
{
	const char *colon = strchr(s, ':');

	if (!colon)
		return cb_error_set(err, 0, "invalid digest `%s`: no algorithm", s);
	if (strncmp(s, "sha256:", 7))
		return cb_error_set(err, 0, "unsupported digest algorithm `%.*s` in `%s`",
				    (int)(colon - s), s, s);
	if (!cb_digest_valid(s))
		return cb_error_set(err, 0, "invalid digest `%s`: want 64 lowercase hex digits", s);
	memcpy(d->str, s, CB_DIGEST_LEN + 1);
	return 0;
}

bool cb_digest_equal(const struct cb_digest *a, const struct cb_digest *b)
{
	return !memcmp(a->str, b->str, CB_DIGEST_LEN);
}

static void __attribute__((noreturn)) crypto_failure(const char *what)
{
	/* Only allocation failures make EVP digests fail: treat like xmalloc. */
	fprintf(stderr, "cbuild: OpenSSL %s failed\n", what);
	abort();
}

void cb_sha256_init(struct cb_sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		crypto_failure("sha256 init");
	h->ctx = ctx;
}

void cb_sha256_update(struct cb_sha256 *h, const void *buf, size_t len)
{
	if (len && EVP_DigestUpdate(h->ctx, buf, len) != 1)
		crypto_failure("sha256 update");
}

void cb_sha256_final(struct cb_sha256 *h, struct cb_digest *d)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
		crypto_failure("sha256 final");
	memcpy(d->str, "sha256:", 7);
	for (int i = 0; i < 32; i++) {
		d->str[7 + 2 * i] = hex[md[i] >> 4];
		d->str[8 + 2 * i] = hex[md[i] & 15];
	}
	d->str[CB_DIGEST_LEN] = '\0';
	cb_sha256_release(h);
}

void cb_sha256_release(struct cb_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void cb_sha256_buf(const void *buf, size_t len, struct cb_digest *d)
{
	struct cb_sha256 h;

	cb_sha256_init(&h);
	cb_sha256_update(&h, buf, len);
	cb_sha256_final(&h, d);
}
