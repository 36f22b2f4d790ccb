/*
 * registry.h - talking to OCI registries.  This module depends on common/
 * only.
 *
 * Image references (reference.c) follow distribution/reference, the
 * package Docker, BuildKit and containerd use, rule for rule and message for
 * message:
 *
 *	struct image_ref r;
 *	image_ref_parse_normalized("busybox", &r, &err);   // docker.io + library/busybox
 *	image_ref_default_tag(&r);                           // :latest
 *	char *s = image_ref_string(&r);  // "docker.io/library/busybox:latest"
 *	image_ref_release(&r);
 *
 * or in one call: image_ref_normalize("busybox", &err).
 */
#ifndef CB_REGISTRY_REGISTRY_H
#define CB_REGISTRY_REGISTRY_H

#include <stdbool.h>

#include "error.h"

/* ------------------------------------------------------------------------ */
/* Image references                                                          */
/* ------------------------------------------------------------------------ */

/* Longest name (domain and path) a reference may have. */
#define IMAGE_REF_NAME_MAX 255

struct image_ref {
	char *domain; /* "docker.io", "localhost:5000", "[::1]:5000"; "" when none */
	char *path;   /* "library/busybox" */
	char *tag;    /* NULL when absent */
	char *digest; /* "sha256:<hex>" (or sha384/sha512); NULL when absent */
};

/*
 * distribution/reference's Parse: check s against the reference grammar
 * without normalising ("busybox" keeps an empty domain).  Errors are the
 * package's: "invalid reference format", "repository name must be
 * lowercase", "repository name must have at least one component",
 * "repository name must not be more than 255 characters", and go-digest's
 * "unsupported digest algorithm", "invalid checksum digest length",
 * "invalid checksum digest format".  *ref is untouched on failure.
 */
int image_ref_parse(const char *s, struct image_ref *ref, struct cb_error **err);

/*
 * ParseNormalizedNamed: a familiar name as users type it becomes fully
 * qualified: "busybox" -> docker.io/library/busybox, "user/app" ->
 * docker.io/user/app, "index.docker.io/x" -> docker.io/library/x.  No tag
 * is added (see image_ref_default_tag).  A bare 64-hex string is refused.
 */
int image_ref_parse_normalized(const char *s, struct image_ref *ref, struct cb_error **err);

/* TagNameOnly: add the tag "latest" when ref has neither tag nor digest. */
void image_ref_default_tag(struct image_ref *ref);

/* "domain/path" (Name()); caller frees. */
char *image_ref_name(const struct image_ref *ref);
/* The whole reference, "name[:tag][@digest]" (String()); caller frees. */
char *image_ref_string(const struct image_ref *ref);
/* FamiliarName / FamiliarString: docker.io and library/ dropped; caller frees. */
char *image_ref_familiar_name(const struct image_ref *ref);
char *image_ref_familiar_string(const struct image_ref *ref);

void image_ref_release(struct image_ref *ref);

/*
 * ParseNormalizedNamed + TagNameOnly + String: the canonical form of a
 * name, as the layer store's tags use.  Caller frees; NULL with *err set
 * ("invalid reference `x`: <reason>") on failure.
 */
char *image_ref_normalize(const char *s, struct cb_error **err);

/* True when tag matches the tag grammar ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}). */
bool image_ref_tag_valid(const char *tag);

#endif
