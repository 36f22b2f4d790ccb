/*
 * curl-dl.c - libcurl, loaded on first use.
 *
 * Only `ADD <url>` (and the registry client to come) speaks HTTP, but
 * linking libcurl makes every cbuild command load it and the 26 libraries
 * it depends on (libssl, nghttp2, libssh2, librtmp, GnuTLS, LDAP, Kerberos,
 * brotli, ...) at start-up: `cbuild version` took 5.4 ms instead of 2.4 ms,
 * and every `cbuild run` step paid the same.  So cbuild is linked without it, as
 * without libarchive (layerstore/archive-dl.c, the same design): this file
 * defines the libcurl functions cbuild calls, with libcurl's own prototypes
 * from <curl/curl.h> (the compiler checks they match), as thin forwarders
 * into a table filled by dlopen() and dlsym() when the first HTTP client is
 * made.  Call sites in http.c are plain libcurl calls, curl's compile-time
 * type checks of curl_easy_setopt() and curl_easy_getinfo() included.
 *
 * The two variadic functions.  A forwarder cannot pass its `...` on, but
 * libcurl encodes the type of the one argument in the option number, and
 * reads it that way itself: curl_easy_setopt() reads a long, an object
 * pointer, a function pointer, a curl_off_t or a blob pointer according to
 * the option's CURLOPTTYPE_ range, and curl_easy_getinfo() reads a pointer
 * whatever the CURLINFO_ type (lib/easy.c: va_arg(arg, void *)).  The
 * forwarders read their argument the same way and pass it on.
 *
 * Process-wide state.  The table is written exactly once, inside
 * pthread_once(), and is immutable afterwards; pthread_once() orders that
 * write before every return from it, in any thread.  What it holds (the
 * library's functions, or the reason it could not be loaded) is the same
 * for every caller, and the library is never unloaded.
 *
 * Who loads.  http_client_new() calls http_libcurl_load() before anything
 * else, and turns a failure into an ordinary error ("load `libcurl.so.4`:
 * ...").  The functions that take no libcurl object (curl_global_init, the
 * constructors curl_easy_init, curl_multi_init and curl_slist_append, and
 * curl_easy_strerror) load too and fail as libcurl does (CURLE_FAILED_INIT,
 * NULL), so a caller that did not ask first still fails cleanly; so do the
 * three that free, which accept NULL (all a caller can hold when the
 * library is missing).  Every other function takes an object made by a
 * constructor, so the table is loaded and visible to its caller, and it
 * reads the table directly: these run in a transfer's loop.
 *
 * No interposition.  The definitions are hidden (the pragma below): they
 * are not in cbuild's dynamic symbol table (cbuild is linked without
 * -rdynamic), so libcurl's calls to its own functions never land here, and
 * RTLD_LOCAL keeps libcurl's symbols out of the global scope.
 *
 * Test hook: CB_LIBCURL names the library to load instead of libcurl.so.4
 * (tests/unit/test_registry_libcurl.c uses it for the failure paths).  It
 * is read here only, and ignored in setuid or otherwise privileged-by-exec
 * processes (secure_getenv).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* This file defines them: no checking macros (http.c keeps curl's checks). */
#define CURL_DISABLE_TYPECHECK
#pragma GCC visibility push(hidden)
#include <curl/curl.h>
#pragma GCC visibility pop
#undef curl_easy_setopt
#undef curl_easy_getinfo

#include "dynlib.h"
#include "registry-internal.h"

#define LIBCURL_SONAME "libcurl.so.4"

/*
 * Every libcurl function cbuild calls.  Those that may be called without a
 * libcurl object: X(return type, name, parameters, arguments, value when
 * the library is missing), or V(name, parameters, arguments) for void ones.
 * Those that take one: X(return type, name, parameters, arguments).  The
 * variadic two are written out below.
 */
/* clang-format off */
#define CU_ENTRIES(X, V) \
	X(CURLcode, curl_global_init, (long flags), (flags), CURLE_FAILED_INIT) \
	X(const char *, curl_easy_strerror, (CURLcode code), (code), "libcurl is not loaded") \
	X(CURL *, curl_easy_init, (void), (), NULL) \
	X(CURLM *, curl_multi_init, (void), (), NULL) \
	X(struct curl_slist *, curl_slist_append, (struct curl_slist *l, const char *s), (l, s), \
		NULL) \
	V(curl_easy_cleanup, (CURL *h), (h)) \
	V(curl_slist_free_all, (struct curl_slist *l), (l)) \
	X(CURLMcode, curl_multi_cleanup, (CURLM *m), (m), CURLM_BAD_HANDLE)

#define CU_FUNCTIONS(X) \
	X(CURLMcode, curl_multi_add_handle, (CURLM *m, CURL *h), (m, h)) \
	X(CURLMcode, curl_multi_remove_handle, (CURLM *m, CURL *h), (m, h)) \
	X(CURLMcode, curl_multi_perform, (CURLM *m, int *running), (m, running)) \
	X(CURLMsg *, curl_multi_info_read, (CURLM *m, int *left), (m, left)) \
	X(CURLMcode, curl_multi_poll, (CURLM *m, struct curl_waitfd *fds, unsigned int nfds, \
		int timeout_ms, int *ret), \
		(m, fds, nfds, timeout_ms, ret))

#define CU_VARIADIC(X) \
	X(CURLcode, curl_easy_setopt, (CURL *h, CURLoption opt, ...), ()) \
	X(CURLcode, curl_easy_getinfo, (CURL *h, CURLINFO info, ...), ())
/* clang-format on */

/* The table: one pointer per function, typed by libcurl's own declaration. */
#define CU_FIELD(ret, name, ...) __typeof__(name) *name;
#define CU_VFIELD(name, params, args) __typeof__(name) *name;
struct libcurl {
	bool loaded;
	char why[CB_DL_WHY_MAX]; /* why not, when !loaded */
	CU_ENTRIES(CU_FIELD, CU_VFIELD)
	CU_FUNCTIONS(CU_FIELD)
	CU_VARIADIC(CU_FIELD)
};

static pthread_once_t cu_once = PTHREAD_ONCE_INIT;
static struct libcurl cu; /* written once by cu_load(), read-only afterwards */

/* Every function into the table; false when one is missing. */
static bool cu_resolve(void *h, const char *path)
{
#define CU_RESOLVE(ret, name, ...)                                                                 \
	if (!cb_dl_sym(h, path, #name, (void **)&cu.name, cu.why))                                 \
		return false;
#define CU_VRESOLVE(name, params, args) CU_RESOLVE(void, name, params, args)
	CU_ENTRIES(CU_RESOLVE, CU_VRESOLVE)
	CU_FUNCTIONS(CU_RESOLVE)
	CU_VARIADIC(CU_RESOLVE)
	return true;
}

/* pthread_once's routine: fill the table, or say why it could not. */
static void cu_load(void)
{
	const char *path;
	void *h = cb_dl_open("CB_LIBCURL", LIBCURL_SONAME, &path, cu.why);

	if (!h)
		return;
	if (!cu_resolve(h, path)) {
		/* A library without every function is not used at all. */
		struct libcurl none = {0};

		memcpy(none.why, cu.why, sizeof(none.why));
		cu = none;
		dlclose(h);
		return;
	}
	cu.loaded = true;
}

int http_libcurl_load(struct cb_error **err)
{
	pthread_once(&cu_once, cu_load);
	if (!cu.loaded)
		return cb_error_set(err, 0, "%s", cu.why);
	return 0;
}

/* Callable without an object: load first, fail as libcurl does when it cannot. */
#define CU_DEFINE_ENTRY(ret, name, params, args, fail)                                             \
	ret name params                                                                            \
	{                                                                                          \
		pthread_once(&cu_once, cu_load);                                                   \
		if (!cu.loaded)                                                                    \
			return fail;                                                               \
		return cu.name args;                                                               \
	}
#define CU_DEFINE_VENTRY(name, params, args)                                                       \
	void name params                                                                           \
	{                                                                                          \
		pthread_once(&cu_once, cu_load);                                                   \
		if (cu.loaded)                                                                     \
			cu.name args;                                                              \
	}
CU_ENTRIES(CU_DEFINE_ENTRY, CU_DEFINE_VENTRY)

/* The rest: their first argument comes from a constructor, so the table is loaded. */
#define CU_DEFINE(ret, name, params, args)                                                         \
	ret name params                                                                            \
	{                                                                                          \
		return cu.name args;                                                               \
	}
CU_FUNCTIONS(CU_DEFINE)

/* Any function pointer: what a FUNCTIONPOINT option is read as, and passed on. */
typedef void (*cu_fn)(void);

/* The option number says the argument's type (CURLOPTTYPE_*, steps of 10000). */
_Static_assert(CURLOPTTYPE_OBJECTPOINT == 10000 && CURLOPTTYPE_FUNCTIONPOINT == 20000 &&
		       CURLOPTTYPE_OFF_T == 30000 && CURLOPTTYPE_BLOB == 40000,
	       "libcurl's option type ranges");

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	CURLcode rc;
	va_list ap;

	va_start(ap, opt);
	switch ((int)opt / 10000 * 10000) {
	case CURLOPTTYPE_LONG:
		rc = cu.curl_easy_setopt(h, opt, va_arg(ap, long));
		break;
	case CURLOPTTYPE_OBJECTPOINT:
		rc = cu.curl_easy_setopt(h, opt, va_arg(ap, void *));
		break;
	case CURLOPTTYPE_FUNCTIONPOINT:
		rc = cu.curl_easy_setopt(h, opt, va_arg(ap, cu_fn));
		break;
	case CURLOPTTYPE_OFF_T:
		rc = cu.curl_easy_setopt(h, opt, va_arg(ap, curl_off_t));
		break;
	case CURLOPTTYPE_BLOB:
		rc = cu.curl_easy_setopt(h, opt, va_arg(ap, struct curl_blob *));
		break;
	default: /* no such type in the headers cbuild was built with */
		rc = CURLE_UNKNOWN_OPTION;
		break;
	}
	va_end(ap);
	return rc;
}

/* Every CURLINFO_ type is an out-pointer: libcurl itself reads a void *. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	void *p;

	va_start(ap, info);
	p = va_arg(ap, void *);
	va_end(ap);
	return cu.curl_easy_getinfo(h, info, p);
}
