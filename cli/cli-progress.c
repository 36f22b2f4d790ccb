/*
 * cli-progress.c - docker pull's and push's progress, for `cbuild pull`,
 * `cbuild push` and `cbuild build --push`.  On a terminal: a row per blob,
 * redrawn in place as its bytes move ("<id>: Downloading [====>   ]
 * 1.2MB/3.4MB 2.1MB/s"), the registry module's report line ("<id>: Pull
 * complete") taking over the row of its blob when it ends.  Otherwise
 * plain lines: the report lines as they come, nothing for bytes.
 *
 * The callbacks may come from several threads (parallel blobs): one mutex.
 * Drawing is throttled to ten times a second, except for a new row or a
 * finished one, which are drawn at once: the screen always shows the last
 * state, and output printed after the last callback is not drawn over.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "digest.h"
#include "xalloc.h"

#define BAR_WIDTH 40
#define DRAW_INTERVAL_NS 100000000L

struct progress_row {
	char id[13]; /* the blob's short hex id */
	char *line;  /* the report line once finished, else NULL */
	int64_t done, total;
	struct timespec t0; /* first bytes */
};

struct cli_progress {
	FILE *out;
	bool tty;
	const char *verb;   /* "Downloading", "Pushing" */
	const char *done;   /* a row whose bytes are all there: "Download complete" */
	const char *prefix; /* before every line ("push REF: "), or "" */
	pthread_mutex_t mu;
	struct progress_row *rows;
	size_t n;
	size_t drawn; /* rows on the screen, to move up over */
	struct timespec last;
};

static double seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

struct cli_progress *cli_progress_new(FILE *out, bool tty, const char *verb, const char *done,
				      const char *prefix)
{
	struct cli_progress *p = xcalloc(1, sizeof(*p));

	p->out = out;
	p->tty = tty;
	p->verb = verb;
	p->done = done;
	p->prefix = prefix ? prefix : "";
	pthread_mutex_init(&p->mu, NULL);
	return p;
}

/* The row of the blob whose short id is id (made when new: *added). */
static struct progress_row *row_of(struct cli_progress *p, const char *id, size_t len, bool *added)
{
	struct progress_row *r;

	if (len > 12)
		len = 12;
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->rows[i].id) == len && !memcmp(p->rows[i].id, id, len))
			return &p->rows[i];
	p->rows = xrealloc(p->rows, (p->n + 1) * sizeof(*p->rows));
	r = &p->rows[p->n++];
	memset(r, 0, sizeof(*r));
	memcpy(r->id, id, len);
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	*added = true;
	return r;
}

static void draw_row(struct cli_progress *p, const struct progress_row *r,
		     const struct timespec *now)
{
	char bar[BAR_WIDTH + 1], d[16], t[16], rate[16];
	double secs = seconds(&r->t0, now);
	size_t k = r->total > 0 ? (size_t)((double)r->done * BAR_WIDTH / (double)r->total) : 0;

	if (r->line) {
		fprintf(p->out, "\r\033[2K%s%s\n", p->prefix, r->line);
		return;
	}
	if (r->total > 0 && r->done >= r->total) {
		fprintf(p->out, "\r\033[2K%s%s: %s\n", p->prefix, r->id, p->done);
		return;
	}
	if (k > BAR_WIDTH)
		k = BAR_WIDTH;
	for (size_t i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < k ? '=' : i == k ? '>' : ' ';
	bar[BAR_WIDTH] = '\0';
	cli_format_size(r->done > 0 ? (uint64_t)r->done : 0, d);
	cli_format_size(r->total > 0 ? (uint64_t)r->total : 0, t);
	cli_format_size(secs > 0.05 ? (uint64_t)((double)r->done / secs) : 0, rate);
	fprintf(p->out, "\r\033[2K%s%s: %s [%s] %s/%s %s/s\n", p->prefix, r->id, p->verb, bar, d, t,
		rate);
}

/* Redraw every row over the last drawing; with p->mu held. */
static void draw(struct cli_progress *p, bool now_please)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!now_please && p->drawn &&
	    (now.tv_sec - p->last.tv_sec) * 1000000000L + (now.tv_nsec - p->last.tv_nsec) <
		    DRAW_INTERVAL_NS)
		return;
	p->last = now;
	if (p->drawn)
		fprintf(p->out, "\033[%zuA", p->drawn);
	for (size_t i = 0; i < p->n; i++)
		draw_row(p, &p->rows[i], &now);
	p->drawn = p->n;
	fflush(p->out);
}

void cli_progress_report(void *ctx, const char *line)
{
	struct cli_progress *p = ctx;
	size_t idlen = strcspn(line, ":");
	bool added = false;
	struct progress_row *r;

	pthread_mutex_lock(&p->mu);
	if (!p->tty) {
		fprintf(p->out, "%s%s\n", p->prefix, line);
		fflush(p->out);
		pthread_mutex_unlock(&p->mu);
		return;
	}
	r = row_of(p, line, idlen, &added);
	free(r->line);
	r->line = xstrdup(line);
	draw(p, true);
	pthread_mutex_unlock(&p->mu);
}

void cli_progress_bytes(void *ctx, const struct cb_digest *blob, int64_t done, int64_t total)
{
	struct cli_progress *p = ctx;
	bool added = false;
	struct progress_row *r;

	if (!p->tty)
		return;
	pthread_mutex_lock(&p->mu);
	r = row_of(p, cb_digest_hex(blob), 12, &added);
	r->done = done;
	r->total = total;
	draw(p, added || (total > 0 && done >= total)); /* the last state is always drawn */
	pthread_mutex_unlock(&p->mu);
}

void cli_progress_free(struct cli_progress *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->rows[i].line);
	free(p->rows);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
