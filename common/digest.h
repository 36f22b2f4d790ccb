/*
 * digest.h - content digests ("sha256:<64 hex>") and streaming SHA-256,
 * used by the layer store, the registry client and the builder's cache.
 *
 *	struct cb_sha256 h;
 *	cb_sha256_init(&h);
 *	cb_sha256_update(&h, buf, len);
 *	struct cb_digest d;
 *	cb_sha256_final(&h, &d);	// d.str == "sha256:..."
 */
#ifndef CB_COMMON_DIGEST_H
#define CB_COMMON_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define CB_DIGEST_HEX 64
#define CB_DIGEST_LEN (7 + CB_DIGEST_HEX) /* "sha256:" + hex */

struct cb_digest {
	char str[CB_DIGEST_LEN + 1]; /* "sha256:<hex>", NUL-terminated */
};

/* The 64 hex digits (borrowed, inside d). */
static inline const char *cb_digest_hex(const struct cb_digest *d)
{
	return d->str + 7;
}

/*
 * Parse "sha256:<64 lowercase hex>" (other algorithms are refused with a
 * clear error; OCI allows sha512 but no registry or runtime we talk to
 * produces it).
 */
int cb_digest_parse(const char *s, struct cb_digest *d, struct cb_error **err);
bool cb_digest_valid(const char *s);
/* Exactly 64 lowercase hex digits: a digest's hex part, as blobs and snapshots are named. */
bool cb_digest_hex_valid(const char *s);
bool cb_digest_equal(const struct cb_digest *a, const struct cb_digest *b);

/* Streaming SHA-256 (OpenSSL's EVP; the context lives inside the struct). */
struct cb_sha256 {
	void *ctx; /* EVP_MD_CTX */
};
void cb_sha256_init(struct cb_sha256 *h);
void cb_sha256_update(struct cb_sha256 *h, const void *buf, size_t len);
/* Finish into d and release the context; h may be re-initialised. */
void cb_sha256_final(struct cb_sha256 *h, struct cb_digest *d);
/* Release without a result (error paths).  Safe after final. */
void cb_sha256_release(struct cb_sha256 *h);

/* One-shot digest of a buffer. */
void cb_sha256_buf(const void *buf, size_t len, struct cb_digest *d);

#endif
