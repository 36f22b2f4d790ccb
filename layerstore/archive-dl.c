/*
 * archive-dl.c - libarchive, loaded on first use.
 *
 * Only layer diff/apply, save, load and import use libarchive, but linking
 * it makes every cbuild command load its dependency tree (libxml2, ICU,
 * libstdc++, lzma, lz4, bz2, nettle, acl): ~3.5 ms of a `cbuild run` step
 * whose sandbox costs ~4 ms.  So cbuild is linked without it, and this file
 * defines the libarchive functions cbuild calls, with libarchive's own
 * prototypes from <archive.h> and <archive_entry.h> (the compiler checks
 * they match), as thin forwarders into a table filled by dlopen() and
 * dlsym() the first time a tar is opened.  Call sites are unchanged.
 *
 * Process-wide state.  The table is one of cbuild's two pieces of
 * process-wide mutable state, with registry/curl-dl.c's table of libcurl
 * functions (docs/ARCHITECTURE.md: parallel stages share a process).
 * It is safe to share: it is written exactly once, inside pthread_once(),
 * and is immutable afterwards; pthread_once() orders that write before
 * every return from it, in any thread.  What it holds (the library's
 * functions, or the reason it could not be loaded) is the same for every
 * caller, and the library is never unloaded.
 *
 * Who loads.  layer_libarchive_load() is called by tar_in_open(),
 * tar_out_open() and layer_tar_open() before they create libarchive
 * objects, and turns a failure into an ordinary error ("load
 * `libarchive.so.13`: ...").  The three constructors (archive_read_new,
 * archive_write_new, archive_entry_new) load too, and return NULL when the
 * library is missing, as libarchive itself does when out of memory, so a
 * caller that did not ask first still fails cleanly.  Every other function
 * takes an object made by a constructor, so the table is loaded and
 * visible to its caller (the object was handed over after the
 * constructor's pthread_once), and it reads the table directly: these are
 * per-entry calls.
 *
 * No interposition.  The definitions are hidden (the pragma below): they
 * are not in cbuild's dynamic symbol table (cbuild is linked without
 * -rdynamic), so libarchive's calls to its own functions never land here,
 * and RTLD_LOCAL keeps libarchive's symbols out of the global scope.
 *
 * Test hook: CB_LIBARCHIVE names the library to load instead of
 * libarchive.so.13 (tests/unit/test_layerstore_libarchive.c uses it for the
 * failure paths).  It is read here only, and ignored in setuid or
 * otherwise privileged-by-exec processes (secure_getenv).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC visibility push(hidden)
#include <archive.h>
#include <archive_entry.h>
#pragma GCC visibility pop

#include "dynlib.h"
#include "layerstore-internal.h"

#define LIBARCHIVE_SONAME "libarchive.so.13"

/*
 * Every libarchive function cbuild calls: X(return type, name, parameters,
 * arguments), or V(name, parameters, arguments) for void ones.  The three
 * constructors are listed apart: their forwarders check the load.
 */
/* clang-format off */
#define LA_CONSTRUCTORS(X) \
	X(struct archive *, archive_read_new, (void), ()) \
	X(struct archive *, archive_write_new, (void), ()) \
	X(struct archive_entry *, archive_entry_new, (void), ())

#define LA_FUNCTIONS(X, V) \
	X(const char *, archive_error_string, (struct archive *a), (a)) \
	X(int, archive_read_free, (struct archive *a), (a)) \
	X(int, archive_read_support_format_tar, (struct archive *a), (a)) \
	X(int, archive_read_set_options, (struct archive *a, const char *opts), (a, opts)) \
	X(int, archive_read_open, (struct archive *a, void *ctx, archive_open_callback *o, \
		archive_read_callback *r, archive_close_callback *c), \
		(a, ctx, o, r, c)) \
	X(int, archive_read_next_header, (struct archive *a, struct archive_entry **e), (a, e)) \
	X(la_ssize_t, archive_read_data, (struct archive *a, void *buf, size_t len), \
		(a, buf, len)) \
	X(int, archive_read_data_block, (struct archive *a, const void **buf, size_t *len, \
		la_int64_t *off), \
		(a, buf, len, off)) \
	X(int, archive_write_free, (struct archive *a), (a)) \
	X(int, archive_write_set_format_pax_restricted, (struct archive *a), (a)) \
	X(int, archive_write_set_format_option, (struct archive *a, const char *m, const char *o, \
		const char *v), \
		(a, m, o, v)) \
	X(int, archive_write_set_bytes_per_block, (struct archive *a, int n), (a, n)) \
	X(int, archive_write_open2, (struct archive *a, void *ctx, archive_open_callback *o, \
		archive_write_callback *w, archive_close_callback *c, \
		archive_free_callback *f), \
		(a, ctx, o, w, c, f)) \
	X(int, archive_write_header, (struct archive *a, struct archive_entry *e), (a, e)) \
	X(la_ssize_t, archive_write_data, (struct archive *a, const void *buf, size_t len), \
		(a, buf, len)) \
	X(int, archive_write_close, (struct archive *a), (a)) \
	X(struct archive_entry *, archive_entry_clear, (struct archive_entry *e), (e)) \
	V(archive_entry_free, (struct archive_entry *e), (e)) \
	X(const char *, archive_entry_pathname, (struct archive_entry *e), (e)) \
	X(const char *, archive_entry_hardlink, (struct archive_entry *e), (e)) \
	X(const char *, archive_entry_symlink, (struct archive_entry *e), (e)) \
	X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry *e), (e)) \
	X(__LA_MODE_T, archive_entry_perm, (struct archive_entry *e), (e)) \
	X(la_int64_t, archive_entry_uid, (struct archive_entry *e), (e)) \
	X(la_int64_t, archive_entry_gid, (struct archive_entry *e), (e)) \
	X(la_int64_t, archive_entry_size, (struct archive_entry *e), (e)) \
	X(dev_t, archive_entry_rdevmajor, (struct archive_entry *e), (e)) \
	X(dev_t, archive_entry_rdevminor, (struct archive_entry *e), (e)) \
	X(time_t, archive_entry_mtime, (struct archive_entry *e), (e)) \
	X(long, archive_entry_mtime_nsec, (struct archive_entry *e), (e)) \
	X(time_t, archive_entry_atime, (struct archive_entry *e), (e)) \
	X(long, archive_entry_atime_nsec, (struct archive_entry *e), (e)) \
	X(int, archive_entry_atime_is_set, (struct archive_entry *e), (e)) \
	V(archive_entry_copy_pathname, (struct archive_entry *e, const char *s), (e, s)) \
	V(archive_entry_copy_hardlink, (struct archive_entry *e, const char *s), (e, s)) \
	V(archive_entry_copy_symlink, (struct archive_entry *e, const char *s), (e, s)) \
	V(archive_entry_set_filetype, (struct archive_entry *e, unsigned int t), (e, t)) \
	V(archive_entry_set_mode, (struct archive_entry *e, __LA_MODE_T m), (e, m)) \
	V(archive_entry_set_perm, (struct archive_entry *e, __LA_MODE_T m), (e, m)) \
	V(archive_entry_set_uid, (struct archive_entry *e, la_int64_t id), (e, id)) \
	V(archive_entry_set_gid, (struct archive_entry *e, la_int64_t id), (e, id)) \
	V(archive_entry_set_size, (struct archive_entry *e, la_int64_t n), (e, n)) \
	V(archive_entry_set_rdevmajor, (struct archive_entry *e, dev_t d), (e, d)) \
	V(archive_entry_set_rdevminor, (struct archive_entry *e, dev_t d), (e, d)) \
	V(archive_entry_set_mtime, (struct archive_entry *e, time_t t, long ns), (e, t, ns)) \
	X(int, archive_entry_xattr_reset, (struct archive_entry *e), (e)) \
	X(int, archive_entry_xattr_count, (struct archive_entry *e), (e)) \
	X(int, archive_entry_xattr_next, (struct archive_entry *e, const char **k, const void **v, \
		size_t *n), \
		(e, k, v, n)) \
	V(archive_entry_xattr_add_entry, (struct archive_entry *e, const char *k, const void *v, \
		size_t n), \
		(e, k, v, n))
/* clang-format on */

/* The table: one pointer per function, typed by libarchive's own declaration. */
#define LA_FIELD(ret, name, params, args) __typeof__(name) *name;
#define LA_VFIELD(name, params, args) __typeof__(name) *name;
struct libarchive {
	bool loaded;
	char why[CB_DL_WHY_MAX]; /* why not, when !loaded */
	LA_CONSTRUCTORS(LA_FIELD)
	LA_FUNCTIONS(LA_FIELD, LA_VFIELD)
};

static pthread_once_t la_once = PTHREAD_ONCE_INIT;
static struct libarchive la; /* written once by la_load(), read-only afterwards */

/* Every function into the table; false when one is missing. */
static bool la_resolve(void *h, const char *path)
{
#define LA_RESOLVE(ret, name, params, args)                                                        \
	if (!cb_dl_sym(h, path, #name, (void **)&la.name, la.why))                                 \
		return false;
#define LA_VRESOLVE(name, params, args) LA_RESOLVE(void, name, params, args)
	LA_CONSTRUCTORS(LA_RESOLVE)
	LA_FUNCTIONS(LA_RESOLVE, LA_VRESOLVE)
	return true;
}

/* pthread_once's routine: fill the table, or say why it could not. */
static void la_load(void)
{
	const char *path;
	void *h = cb_dl_open("CB_LIBARCHIVE", LIBARCHIVE_SONAME, &path, la.why);

	if (!h)
		return;
	if (!la_resolve(h, path)) {
		/* A library without every function is not used at all. */
		struct libarchive none = {0};

		memcpy(none.why, la.why, sizeof(none.why));
		la = none;
		dlclose(h);
		return;
	}
	la.loaded = true;
}

int layer_libarchive_load(struct cb_error **err)
{
	pthread_once(&la_once, la_load);
	if (!la.loaded)
		return cb_error_set(err, 0, "%s", la.why);
	return 0;
}

/* The constructors: NULL (errno ENOSYS) when the library cannot be loaded. */
#define LA_DEFINE_CONSTRUCTOR(ret, name, params, args)                                             \
	ret name params                                                                            \
	{                                                                                          \
		pthread_once(&la_once, la_load);                                                   \
		if (!la.loaded) {                                                                  \
			errno = ENOSYS;                                                            \
			return NULL;                                                               \
		}                                                                                  \
		return la.name args;                                                               \
	}
LA_CONSTRUCTORS(LA_DEFINE_CONSTRUCTOR)

/* The rest: their first argument comes from a constructor, so the table is loaded. */
#define LA_DEFINE(ret, name, params, args)                                                         \
	ret name params                                                                            \
	{                                                                                          \
		return la.name args;                                                               \
	}
#define LA_DEFINE_VOID(name, params, args)                                                         \
	void name params                                                                           \
	{                                                                                          \
		la.name args;                                                                      \
	}
LA_FUNCTIONS(LA_DEFINE, LA_DEFINE_VOID)
