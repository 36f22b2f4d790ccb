/*
 * progress.c - what a build prints: BuildKit's numbered steps ("#3 [2/4]
 * RUN make"), CACHED, timings, and in plain mode every line a step
 * prints, prefixed by its step number and the time since the build
 * started.  A step's output goes through a pipe read by a thread (the
 * sandbox blocks the caller), which also keeps the last lines for the
 * error message of a failing step.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "xalloc.h"

#define PUMP_TAIL_LINES 10
#define PUMP_LINE_MAX 4096

static double elapsed(const struct timespec *from)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - from->tv_sec) + (double)(now.tv_nsec - from->tv_nsec) / 1e9;
}

void build_progress_init(struct build *b)
{
	const struct build_options *o = b->o;

	b->out = o->progress ? o->progress : stderr;
	b->plain = true;
	if (o->progress_mode == BUILD_PROGRESS_QUIET)
		b->out = NULL;
	else if (o->progress_mode == BUILD_PROGRESS_TTY ||
		 (o->progress_mode == BUILD_PROGRESS_AUTO && isatty(fileno(b->out))))
		b->plain = false;
}

unsigned build_progress_step(struct build *b, const struct stage *st, const char *what)
{
	unsigned n = __atomic_add_fetch(&b->step, 1, __ATOMIC_RELAXED);

	if (b->out) {
		if (st && st->name)
			fprintf(b->out, "#%u [%s] %s\n", n, st->name, what);
		else
			fprintf(b->out, "#%u [stage-%zu] %s\n", n, st ? st->index : 0, what);
		fflush(b->out);
	}
	return n;
}

void build_progress_line(struct build *b, unsigned step, const char *fmt, ...)
{
	va_list ap;

	if (!b->out || !b->plain)
		return;
	flockfile(b->out); /* one whole line among parallel stages */
	fprintf(b->out, "#%u %.3f ", step, elapsed(&b->t0));
	va_start(ap, fmt);
	vfprintf(b->out, fmt, ap);
	va_end(ap);
	fputc('\n', b->out);
	fflush(b->out);
	funlockfile(b->out);
}

void build_progress_done(struct build *b, unsigned step, const struct timespec *start, bool cached)
{
	if (!b->out)
		return;
	if (cached)
		fprintf(b->out, "#%u CACHED\n", step);
	else
		fprintf(b->out, "#%u DONE %.1fs\n", step, elapsed(start));
	fflush(b->out);
}

void build_progress_finish(struct build *b, const struct build_result *res)
{
	if (!b->out)
		return;
	for (size_t i = 0; i < res->warnings.n; i++)
		fprintf(b->out, "WARNING: %s\n", res->warnings.v[i]);
	fprintf(b->out, "#%u writing image %s done\n", ++b->step, res->config.str);
	for (size_t i = 0; i < b->o->ntags; i++)
		fprintf(b->out, "#%u naming to %s done\n", b->step, b->o->tags[i]);
	fprintf(b->out, "#%u DONE %.1fs\n", b->step, elapsed(&b->t0));
	fflush(b->out);
}

bool build_cancelled(const struct build *b)
{
	struct timespec ts = {0, 0};
	fd_set set;

	if (b->cancel_efd < 0)
		return false;
	FD_ZERO(&set);
	FD_SET(b->cancel_efd, &set);
	return pselect(b->cancel_efd + 1, &set, NULL, NULL, &ts, NULL) > 0;
}

struct build_output_pump {
	struct build *b;
	unsigned step;
	int rfd, wfd;
	pthread_t thread;
	char *tail[PUMP_TAIL_LINES];
	size_t ntail, head;
};

static void pump_line(struct build_output_pump *p, const char *line, size_t len)
{
	size_t slot = (p->head + p->ntail) % PUMP_TAIL_LINES;

	if (p->ntail == PUMP_TAIL_LINES) {
		free(p->tail[p->head]);
		p->head = (p->head + 1) % PUMP_TAIL_LINES;
		slot = (p->head + p->ntail - 1) % PUMP_TAIL_LINES;
	} else {
		p->ntail++;
	}
	p->tail[slot] = xstrndup(line, len);
	build_progress_line(p->b, p->step, "%.*s", (int)len, line);
}

static void *pump_main(void *arg)
{
	struct build_output_pump *p = arg;
	char buf[PUMP_LINE_MAX];
	size_t have = 0;

	for (;;) {
		ssize_t n = read(p->rfd, buf + have, sizeof(buf) - have);
		size_t start = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		for (size_t i = 0; i < have; i++) {
			if (buf[i] != '\n')
				continue;
			pump_line(p, buf + start, i - start);
			start = i + 1;
		}
		if (start == 0 && have == sizeof(buf)) { /* a very long line: cut it */
			pump_line(p, buf, have);
			have = 0;
			continue;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	if (have)
		pump_line(p, buf, have);
	return NULL;
}

struct build_output_pump *build_pump_start(struct build *b, unsigned step, struct cb_error **err)
{
	struct build_output_pump *p = xcalloc(1, sizeof(*p));
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0) {
		free(p);
		return cb_error_set(err, errno, "pipe"), NULL;
	}
	p->b = b;
	p->step = step;
	p->rfd = fds[0];
	p->wfd = fds[1];
	if (pthread_create(&p->thread, NULL, pump_main, p)) {
		close(fds[0]);
		close(fds[1]);
		free(p);
		return cb_error_set(err, EAGAIN, "start the output thread"), NULL;
	}
	return p;
}

int build_pump_fd(const struct build_output_pump *p)
{
	return p->wfd;
}

void build_pump_finish(struct build_output_pump *p, struct cb_strbuf *tail)
{
	if (!p)
		return;
	close(p->wfd);
	pthread_join(p->thread, NULL);
	close(p->rfd);
	for (size_t i = 0; i < p->ntail; i++) {
		char *l = p->tail[(p->head + i) % PUMP_TAIL_LINES];

		if (tail) {
			cb_strbuf_addstr(tail, "\n  ");
			cb_strbuf_addstr(tail, l);
		}
		free(l);
	}
	free(p);
}
