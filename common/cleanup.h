/*
 * cleanup.h - scope-bound release of memory, fds, FILEs, DIRs, errors and
 * library handles, using the compiler's cleanup attribute.
 *
 * Initialise every cleanup variable where it is declared (= NULL, = -1).
 * Hand ownership out with steal_pointer(&p) / steal_fd(&fd) just before the
 * successful return.
 *
 *	cleanup_free char *buf = NULL;
 *	cleanup_close int fd = -1;
 *	CB_DEFINE_CLEANUP(struct archive, archive_free)
 *	cleanup_fn(archive_free) struct archive *a = NULL;
 */
#ifndef CB_COMMON_CLEANUP_H
#define CB_COMMON_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"

static inline void cb_freep(void *p)
{
	free(*(void **)p);
}

static inline void cb_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void cb_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void cb_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define cleanup_free __attribute__((__cleanup__(cb_freep)))
#define cleanup_close __attribute__((__cleanup__(cb_closep)))
#define cleanup_file __attribute__((__cleanup__(cb_fclosep)))
#define cleanup_dir __attribute__((__cleanup__(cb_closedirp)))
#define cleanup_error __attribute__((__cleanup__(cb_error_free)))

/*
 * CB_DEFINE_CLEANUP(type, fn) defines fn_cleanupp() so that
 * `cleanup_fn(fn) type *x = NULL;` calls fn(x) at scope exit when x != NULL.
 */
#define CB_DEFINE_CLEANUP(type, fn)                                                                \
	static inline __attribute__((unused)) void fn##_cleanupp(type **p)                         \
	{                                                                                          \
		if (*p)                                                                            \
			fn(*p);                                                                    \
	}
#define cleanup_fn(fn) __attribute__((__cleanup__(fn##_cleanupp)))

static inline void *cb_steal_pointer(void *pp)
{
	void **p = (void **)pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))cb_steal_pointer(pp))

static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

#endif
