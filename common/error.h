/*
 * error.h - the one error contract of cbuild.
 *
 * A function that can fail takes `struct cb_error **err` as its last
 * parameter and returns an int (< 0 on failure) or a pointer (NULL on
 * failure).  On success it touches neither *err nor its out-parameters; on
 * failure it sets *err exactly once.  Callers either propagate (return the
 * failure), add context with cb_error_wrap(), or consume the error with
 * cb_error_report() / cb_error_free().  See docs/ERRORS.md.
 *
 *	struct cb_error *err = NULL;
 *	if (do_thing(path, &err) < 0)
 *		return cb_error_wrap(&err, "load `%s`", path);
 */
#ifndef CB_COMMON_ERROR_H
#define CB_COMMON_ERROR_H

#include <stdarg.h>
#include <stdio.h>

struct cb_error {
	int code;  /* errno value when the failure came from the system, else 0 */
	int line;  /* source line (Dockerfile, .dockerignore) the error is about, 0 if none */
	char *msg; /* the full message, context first: "pull x: fetch blob y: refused" */
};

/*
 * Set *err to a new error.  When code is non-zero, ": strerror(code)" is
 * appended.  *err must be NULL (an error is set exactly once: a second set
 * aborts in a debug build, a release build keeps the first).  Returns -1 so
 * that `return cb_error_set(err, errno, "open `%s`", p);` is one line.  err
 * may be NULL, in which case the error is dropped on purpose.
 */
int cb_error_set(struct cb_error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cb_error_setv(struct cb_error **err, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Like cb_error_set() with code 0 and a source line recorded in err->line. */
int cb_error_set_line(struct cb_error **err, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prefix the message of the already-set *err with "context: ".  Returns -1.
 * If *err is NULL (a bug in the callee) a generic error is created instead,
 * so the caller never reports success by accident.
 */
int cb_error_wrap(struct cb_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Print to stderr with control characters escaped (cb_strbuf_add_escaped:
 * `\x1b`, newlines kept): every message that may carry a name from an
 * archive, an image, a registry or the command line goes out through here,
 * cb_error_report() included (issue 11, finding 9).
 */
void cb_eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cb_veprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * Print "cbuild: <msg>" (or "<prefix>: <msg>") to stderr, control
 * characters escaped as cb_eprintf() does, and free *err.  NULL-safe.
 */
void cb_error_report(struct cb_error **err);
void cb_error_report_prefix(struct cb_error **err, const char *prefix);

/* Free *err and set it to NULL.  NULL-safe. */
void cb_error_free(struct cb_error **err);

/* The message; "" for NULL.  Borrowed until the error is freed. */
const char *cb_error_msg(const struct cb_error *err);

#endif
