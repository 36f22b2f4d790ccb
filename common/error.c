#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "utf8.h"
#include "xalloc.h"

int cb_error_setv(struct cb_error **err, int code, const char *fmt, va_list ap)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct cb_error *e;

	if (!err)
		return -1;
	cb_strbuf_addvf(&sb, fmt, ap);
	if (code)
		cb_strbuf_addf(&sb, ": %s", strerror(code));
	e = xcalloc(1, sizeof(*e));
	e->code = code;
	e->msg = cb_strbuf_detach(&sb, NULL);
	if (*err) {
		/*
		 * Setting an error twice is a bug in the caller: the second set
		 * overwrites an error nobody consumed.  Debug builds stop here
		 * so the double set is found (the test suite runs in Debug);
		 * release builds keep the first (it is the cause) and drop the
		 * second rather than leak.
		 */
#ifndef NDEBUG
		cb_eprintf("cbuild: bug: error set twice: first `%s`, then `%s`\n", (*err)->msg,
			   e->msg);
		abort();
#endif
		free(e->msg);
		free(e);
		return -1;
	}
	*err = e;
	return -1;
}

int cb_error_set(struct cb_error **err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cb_error_setv(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int cb_error_set_line(struct cb_error **err, int line, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	cb_error_setv(err, 0, fmt, ap);
	va_end(ap);
	if (*err && !(*err)->line)
		(*err)->line = line;
	return -1;
}

int cb_error_wrap(struct cb_error **err, const char *fmt, ...)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	cb_strbuf_addvf(&sb, fmt, ap);
	va_end(ap);
	if (!*err) {
		cb_strbuf_addstr(&sb, ": unknown error (callee failed without setting one)");
		*err = xcalloc(1, sizeof(**err));
		(*err)->msg = cb_strbuf_detach(&sb, NULL);
		return -1;
	}
	cb_strbuf_addstr(&sb, ": ");
	cb_strbuf_addstr(&sb, (*err)->msg);
	free((*err)->msg);
	(*err)->msg = cb_strbuf_detach(&sb, NULL);
	return -1;
}

void cb_error_report_prefix(struct cb_error **err, const char *prefix)
{
	if (!err || !*err)
		return;
	if (prefix && *prefix)
		cb_eprintf("%s: %s\n", prefix, (*err)->msg);
	else
		cb_eprintf("%s\n", (*err)->msg);
	cb_error_free(err);
}

void cb_veprintf(const char *fmt, va_list ap)
{
	struct cb_strbuf msg = CB_STRBUF_INIT, out = CB_STRBUF_INIT;

	cb_strbuf_addvf(&msg, fmt, ap);
	cb_strbuf_add_escaped(&out, msg.buf ? msg.buf : "", msg.len);
	fwrite(out.buf ? out.buf : "", 1, out.len, stderr);
	cb_strbuf_release(&msg);
	cb_strbuf_release(&out);
}

void cb_eprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cb_veprintf(fmt, ap);
	va_end(ap);
}

void cb_error_report(struct cb_error **err)
{
	cb_error_report_prefix(err, "cbuild");
}

void cb_error_free(struct cb_error **err)
{
	if (!err || !*err)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

const char *cb_error_msg(const struct cb_error *err)
{
	return err && err->msg ? err->msg : "";
}
