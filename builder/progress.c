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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "utf8.h"
#include "xalloc.h"

#define PUMP_TAIL_LINES 10
#define PUMP_LINE_MAX 4096
#define TTY_TAIL 6
#define TTY_REDRAW_NS 100000000L

/*
 * The tty display: BuildKit's "[+] Building" view, redrawn in place (at
 * most ten times a second, and at every step change): every step with its
 * state and time, and the last lines of the running ones.
 */
enum tty_state { TTY_RUNNING, TTY_DONE, TTY_CACHED, TTY_ERROR };

struct tty_step {
	unsigned n;
	char *label;
	enum tty_state state;
	struct timespec start;
	double secs;
	char *tail[TTY_TAIL];
	size_t ntail;
	char *note; /* shown under the step even when it is done (why it missed the cache) */
};

struct tty_view {
	pthread_mutex_t mu;
	struct tty_step *steps;
	size_t n, alloc;
	unsigned drawn; /* lines of the last drawing, to move back over */
	struct timespec last;
	int width;
};

static double elapsed(const struct timespec *from)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - from->tv_sec) + (double)(now.tv_nsec - from->tv_nsec) / 1e9;
}

static struct tty_step *tty_find(struct tty_view *v, unsigned n)
{
	for (size_t i = v->n; i-- > 0;)
		if (v->steps[i].n == n)
			return &v->steps[i];
	return NULL;
}

/* Redraw (v->mu held); rate-limited unless force. */
static void tty_draw(struct build *b, bool force, const char *title)
{
	struct tty_view *v = b->tty;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct timespec now;
	size_t done = 0;
	unsigned lines = 0;
	int w = v->width > 20 ? v->width : 80;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && (now.tv_sec - v->last.tv_sec) * 1000000000L + now.tv_nsec - v->last.tv_nsec <
			      TTY_REDRAW_NS)
		return;
	v->last = now;
	if (v->drawn)
		cb_strbuf_addf(&sb, "\x1b[%uA\r\x1b[J", v->drawn);
	for (size_t i = 0; i < v->n; i++)
		done += v->steps[i].state != TTY_RUNNING;
	cb_strbuf_addf(&sb, "[+] Building %.1fs (%zu/%zu)%s%s\n", elapsed(&b->t0), done, v->n,
		       title ? " " : "", title ? title : "");
	lines++;
	for (size_t i = 0; i < v->n; i++) {
		const struct tty_step *t = &v->steps[i];
		double secs = t->state == TTY_RUNNING ? elapsed(&t->start) : t->secs;
		const char *pre = t->state == TTY_CACHED  ? "CACHED "
				  : t->state == TTY_ERROR ? "ERROR "
							  : "";
		int room = w - 12 - (int)strlen(pre);

		cb_strbuf_addf(&sb, " => %s%-*.*s %5.1fs\n", pre, room > 10 ? room : 10,
			       room > 10 ? room : 10, t->label, secs);
		lines++;
		if (t->note) {
			cb_strbuf_addf(&sb, " => => %.*s\n", w - 7 > 10 ? w - 7 : 10, t->note);
			lines++;
		}
		if (t->state == TTY_DONE || t->state == TTY_CACHED)
			continue;
		for (size_t k = 0; k < t->ntail; k++) {
			cb_strbuf_addf(&sb, " => => # %.*s\n", w - 10 > 10 ? w - 10 : 10,
				       t->tail[k]);
			lines++;
		}
	}
	v->drawn = lines;
	flockfile(b->out);
	fwrite(sb.buf, 1, sb.len, b->out);
	fflush(b->out);
	funlockfile(b->out);
	cb_strbuf_release(&sb);
}

/*
 * Text for the redrawn view: control characters escaped (cb_escape_controls,
 * so an ESC from a step's output or a Dockerfile shows as `\x1b` and cannot
 * drive the terminal), and the tabs and newlines it keeps made spaces, as
 * each item takes one row.
 */
static char *tty_text(const char *s)
{
	char *t = cb_escape_controls(s);

	for (char *c = t; *c; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
	return t;
}

static void tty_add_line(struct build *b, unsigned step, const char *line)
{
	struct tty_view *v = b->tty;
	struct tty_step *t;

	pthread_mutex_lock(&v->mu);
	t = tty_find(v, step);
	if (t) {
		if (t->ntail == TTY_TAIL) {
			free(t->tail[0]);
			memmove(t->tail, t->tail + 1, (TTY_TAIL - 1) * sizeof(*t->tail));
			t->ntail--;
		}
		t->tail[t->ntail++] = tty_text(line);
		tty_draw(b, false, NULL);
	}
	pthread_mutex_unlock(&v->mu);
}

void build_progress_note(struct build *b, unsigned step, const char *text)
{
	struct tty_step *t;

	if (!b->tty)
		return;
	pthread_mutex_lock(&b->tty->mu);
	t = tty_find(b->tty, step);
	if (t) {
		free(t->note);
		t->note = tty_text(text);
		tty_draw(b, true, NULL);
	}
	pthread_mutex_unlock(&b->tty->mu);
}

void build_progress_init(struct build *b)
{
	const struct build_options *o = b->o;
	struct winsize ws;

	b->out = o->progress ? o->progress : stderr;
	b->plain = true;
	if (o->progress_mode == BUILD_PROGRESS_QUIET)
		b->out = NULL;
	else if (o->progress_mode == BUILD_PROGRESS_TTY ||
		 (o->progress_mode == BUILD_PROGRESS_AUTO && isatty(fileno(b->out))))
		b->plain = false;
	b->out_terminal = b->out && isatty(fileno(b->out));
	if (b->out && !b->plain) {
		b->tty = xcalloc(1, sizeof(*b->tty));
		pthread_mutex_init(&b->tty->mu, NULL);
		if (ioctl(fileno(b->out), TIOCGWINSZ, &ws) == 0)
			b->tty->width = ws.ws_col;
	}
}

void build_progress_end(struct build *b, bool ok)
{
	struct tty_view *v = b->tty;

	if (!v)
		return;
	pthread_mutex_lock(&v->mu);
	for (size_t i = 0; i < v->n; i++)
		if (v->steps[i].state == TTY_RUNNING) {
			v->steps[i].state = ok ? TTY_DONE : TTY_ERROR;
			v->steps[i].secs = elapsed(&v->steps[i].start);
		}
	tty_draw(b, true, ok ? "FINISHED" : "FAILED");
	pthread_mutex_unlock(&v->mu);
	for (size_t i = 0; i < v->n; i++) {
		free(v->steps[i].label);
		free(v->steps[i].note);
		for (size_t k = 0; k < v->steps[i].ntail; k++)
			free(v->steps[i].tail[k]);
	}
	free(v->steps);
	pthread_mutex_destroy(&v->mu);
	free(v);
	b->tty = NULL;
}

unsigned build_progress_step(struct build *b, const struct stage *st, const char *what)
{
	unsigned n = __atomic_add_fetch(&b->step, 1, __ATOMIC_RELAXED);

	if (b->tty) {
		struct tty_view *v = b->tty;
		struct tty_step *t;

		pthread_mutex_lock(&v->mu);
		CB_ALLOC_GROW(v->steps, v->n + 1, v->alloc);
		t = &v->steps[v->n++];
		memset(t, 0, sizeof(*t));
		t->n = n;
		cleanup_free char *label =
			st && st->name ? xasprintf("[%s] %s", st->name, what)
				       : xasprintf("[stage-%zu] %s", st ? st->index : 0, what);

		t->label = tty_text(label);
		clock_gettime(CLOCK_MONOTONIC, &t->start);
		tty_draw(b, true, NULL);
		pthread_mutex_unlock(&v->mu);
	} else if (b->out) {
		cleanup_free char *text = cb_escape_controls(what);

		if (st && st->name)
			fprintf(b->out, "#%u [%s] %s\n", n, st->name, text);
		else
			fprintf(b->out, "#%u [stage-%zu] %s\n", n, st ? st->index : 0, text);
		fflush(b->out);
	}
	return n;
}

/*
 * One line of a step's log.  In plain mode it is escaped (our own messages
 * carry image names and registry answers), but for a step's own output
 * (raw) written to a file or pipe: BuildKit's plain log keeps those bytes
 * as the step wrote them, and CI logs rely on that; to a terminal they are
 * escaped too.
 */
static void progress_text(struct build *b, unsigned step, const char *line, size_t len, bool raw)
{
	cleanup_free char *esc = NULL;

	if (b->tty) {
		cleanup_free char *copy = xstrndup(line, len);

		tty_add_line(b, step, copy);
		return;
	}
	if (!b->out || !b->plain)
		return;
	if (!raw || b->out_terminal) {
		struct cb_strbuf sb = CB_STRBUF_INIT;

		cb_strbuf_add_escaped(&sb, line, len);
		esc = cb_strbuf_detach(&sb, &len);
		line = esc;
	}
	flockfile(b->out); /* one whole line among parallel stages */
	fprintf(b->out, "#%u %.3f ", step, elapsed(&b->t0));
	fwrite(line, 1, len, b->out);
	fputc('\n', b->out);
	fflush(b->out);
	funlockfile(b->out);
}

void build_progress_line(struct build *b, unsigned step, const char *fmt, ...)
{
	cleanup_free char *line = NULL;
	va_list ap;

	if (!b->tty && (!b->out || !b->plain))
		return;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (line)
		progress_text(b, step, line, strlen(line), false);
}

/* Docker's units.HumanSize: powers of 1000, four significant digits. */
static void human_size(int64_t n, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, len, "%.4g%s", v, units[u]);
}

void build_store_progress(void *ctx, const char *what, const struct cb_digest *layer, int64_t done,
			  int64_t total)
{
	struct stage *st = ctx;
	char d[32], t[32];

	if (total < 0) {
		build_progress_line(st->b, st->step, "%s %s", what, layer->str);
		return;
	}
	human_size(done, d, sizeof(d));
	human_size(total, t, sizeof(t));
	build_progress_line(st->b, st->step, "%s %s %s / %s%s", what, layer->str, d, t,
			    done == total ? " done" : "");
}

void build_progress_done(struct build *b, unsigned step, const struct timespec *start, bool cached)
{
	if (b->tty) {
		struct tty_step *t;

		pthread_mutex_lock(&b->tty->mu);
		t = tty_find(b->tty, step);
		if (t) {
			t->state = cached ? TTY_CACHED : TTY_DONE;
			t->secs = cached ? 0 : elapsed(start);
		}
		tty_draw(b, true, NULL);
		pthread_mutex_unlock(&b->tty->mu);
		return;
	}
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
	build_progress_end(b, true);
	if (!b->out)
		return;
	for (size_t i = 0; i < res->warnings.n; i++) {
		cleanup_free char *w = cb_escape_controls(res->warnings.v[i]);

		fprintf(b->out, "WARNING: %s\n", w);
	}
	if (!b->plain) {
		fprintf(b->out, " => writing image %s\n", res->config.str);
		for (size_t i = 0; i < b->o->ntags; i++)
			fprintf(b->out, " => naming to %s\n", b->o->tags[i]);
		fflush(b->out);
		return;
	}
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
	progress_text(p->b, p->step, line, len, true);
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
