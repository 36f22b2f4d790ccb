/*
 * dynlib.h - libraries loaded on first use instead of linked
 * (layerstore/archive-dl.c: libarchive; registry/curl-dl.c: libcurl), so
 * that commands which never need them do not pay for loading their
 * dependency trees at start-up.
 */
#ifndef CB_COMMON_DYNLIB_H
#define CB_COMMON_DYNLIB_H

#include <stdbool.h>

/* Room for the reason a library could not be used. */
#define CB_DL_WHY_MAX 512

/*
 * dlopen(RTLD_NOW | RTLD_LOCAL) the library named by the environment
 * variable env (a test hook, read with secure_getenv: ignored in setuid
 * programs) or else soname.  RTLD_NOW: a symbol missing from the library's
 * own dependencies is an error here, not a crash later.  *path gets the
 * name used.  NULL, and why = "load `PATH`: REASON", when it fails.
 */
void *cb_dl_open(const char *env, const char *soname, const char **path, char why[CB_DL_WHY_MAX]);

/* *slot = the symbol name of h; false, and why as above, when it is missing. */
bool cb_dl_sym(void *h, const char *path, const char *name, void **slot, char why[CB_DL_WHY_MAX]);

#endif
