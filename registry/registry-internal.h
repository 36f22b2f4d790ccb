/*
 * registry-internal.h - declarations shared inside registry/ only; never
 * included from another module.
 *
 * libcurl is loaded on first use (curl-dl.c), not linked.
 */
#ifndef CB_REGISTRY_INTERNAL_H
#define CB_REGISTRY_INTERNAL_H

#include "error.h"

/*
 * Load libcurl (curl-dl.c) unless loaded: cbuild is not linked with it, and
 * http_client_new() calls this before it calls libcurl.  Thread-safe; the
 * outcome is decided once per process.  Fails with "load `libcurl.so.4`:
 * <why>" (the library is missing, or lacks a function cbuild calls).
 */
int http_libcurl_load(struct cb_error **err);

#endif
