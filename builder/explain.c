/*
 * explain.c - why a step missed the cache (`--explain-cache`, and always
 * with `--progress plain`): the inputs each step's key was made from are
 * kept per build definition (context + Dockerfile) in an accelerator file
 * of the store, and a miss is compared with the last build of the same
 * step (same stage, same Dockerfile line): an earlier step changed, an
 * instruction changed, an ARG or ENV value changed (old -> new), or the
 * first file of a COPY that was added, removed or changed.
 *
 * File aux/explain-<sha256 of context path and Dockerfile path>, lines
 *	S <stage>:<line>
 *	P <part, with \ and newline escaped>
 * Only an accelerator: missing or garbled, it just explains less.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "xalloc.h"

#define EXPLAIN_MAX (64u << 20)

struct explain_rec {
	char *id;
	struct cb_strvec parts; /* parts[0] is "parent=<key>" */
};

struct explain {
	char name[96];
	struct explain_rec *prev, *cur;
	size_t nprev, ncur;
};

static void escape(struct cb_strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			cb_strbuf_addstr(sb, "\\\\");
		else if (*s == '\n')
			cb_strbuf_addstr(sb, "\\n");
		else
			cb_strbuf_addch(sb, *s);
	}
}

static char *unescape(const char *s)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			cb_strbuf_addch(&sb, *s == 'n' ? '\n' : *s);
		} else {
			cb_strbuf_addch(&sb, *s);
		}
	}
	return cb_strbuf_detach(&sb, NULL);
}

static void recs_free(struct explain_rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].id);
		cb_strvec_clear(&r[i].parts);
	}
	free(r);
}

static struct explain *load(struct build *b)
{
	struct explain *e = xcalloc(1, sizeof(*e));
	char real[PATH_MAX];
	struct cb_strbuf key = CB_STRBUF_INIT;
	struct cb_digest d;
	cleanup_free char *buf = NULL;
	struct cb_error *err = NULL;
	size_t len;
	char *save = NULL;

	if (!realpath(b->ctx.dir, real))
		snprintf(real, sizeof(real), "%s", b->ctx.dir);
	cb_strbuf_addstr(&key, real);
	cb_strbuf_addch(&key, '\n');
	cb_strbuf_addstr(&key, b->o->dockerfile_text ? "-" : b->ctx.dockerfile);
	cb_sha256_buf(key.buf, key.len, &d);
	cb_strbuf_release(&key);
	snprintf(e->name, sizeof(e->name), "explain-%s", cb_digest_hex(&d));
	if (layer_store_aux_read(b->s, e->name, EXPLAIN_MAX, &buf, &len, &err) <= 0) {
		cb_error_free(&err);
		return e;
	}
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "S ", 2)) {
			e->prev = xrealloc(e->prev, cb_st_mult(e->nprev + 1, sizeof(*e->prev)));
			e->prev[e->nprev].id = xstrdup(l + 2);
			e->prev[e->nprev].parts = (struct cb_strvec)CB_STRVEC_INIT;
			e->nprev++;
		} else if (!strncmp(l, "P ", 2) && e->nprev) {
			cb_strvec_push_take(&e->prev[e->nprev - 1].parts, unescape(l + 2));
		}
	}
	return e;
}

static char *step_id(const struct stage *st, const struct df_instruction *in)
{
	return st->name ? xasprintf("%s:%d", st->name, in->start_line)
			: xasprintf("%zu:%d", st->index, in->start_line);
}

static const struct explain_rec *find(const struct explain_rec *r, size_t n, const char *id)
{
	for (size_t i = n; i-- > 0;)
		if (!strcmp(r[i].id, id))
			return &r[i];
	return NULL;
}

/* "0 /app/x 644 0:0  sha256:..." (a COPY item): its destination path. */
static char *item_path(const char *part)
{
	const char *p = strchr(part, ' ');
	const char *q = p ? strchr(p + 1, ' ') : NULL;

	if (!p || !q || part[0] < '0' || part[0] > '9')
		return NULL;
	return xstrndup(p + 1, (size_t)(q - p - 1));
}

static char *env_key(const char *part)
{
	return xstrndup(part + 4, strcspn(part + 4, "="));
}

/* The first difference between two key part lists, for a person. */
static char *why(const struct cb_strvec *old, const struct cb_strvec *cur)
{
	size_t i = 0;

	if (strcmp(old->v[0], cur->v[0]))
		return xstrdup("an earlier step changed");
	while (i < old->n && i < cur->n && !strcmp(old->v[i], cur->v[i]))
		i++;
	if (i == old->n && i == cur->n)
		return xstrdup("no cache record (pruned, or built with --no-cache)");
	{
		const char *o = i < old->n ? old->v[i] : NULL, *c = i < cur->n ? cur->v[i] : NULL;
		cleanup_free char *op = o ? item_path(o) : NULL, *cp = c ? item_path(c) : NULL;

		if ((o && !strncmp(o, "env=", 4)) || (c && !strncmp(c, "env=", 4))) {
			cleanup_free char *ok = o && !strncmp(o, "env=", 4) ? env_key(o) : NULL;
			cleanup_free char *ck = c && !strncmp(c, "env=", 4) ? env_key(c) : NULL;

			if (ok && ck && !strcmp(ok, ck))
				return xasprintf("ARG/ENV %s changed: `%s` -> `%s`", ck,
						 o + 5 + strlen(ok), c + 5 + strlen(ck));
			if (ck && (!ok || strcmp(ok, ck) > 0))
				return xasprintf("ARG/ENV %s was set", ck);
			return xasprintf("ARG/ENV %s was unset", ok);
		}
		if (op && cp && !strcmp(op, cp))
			return xasprintf("file `%s` changed", cp);
		if (cp && (!op || strcmp(op, cp) > 0))
			return xasprintf("file `%s` was added", cp);
		if (op)
			return xasprintf("file `%s` was removed", op);
		return xstrdup("the instruction changed");
	}
}

/* Keep the inputs of a step that missed, for the next build (b->mu held). */
static void record(struct build *b, const char *id, const struct cb_digest *parent,
		   const struct cb_strvec *parts)
{
	struct explain_rec *r;

	if (!b->explain)
		b->explain = load(b);
	b->explain->cur = xrealloc(b->explain->cur,
				   cb_st_mult(b->explain->ncur + 1, sizeof(*b->explain->cur)));
	r = &b->explain->cur[b->explain->ncur++];
	r->id = xstrdup(id);
	r->parts = (struct cb_strvec)CB_STRVEC_INIT;
	cb_strvec_pushf(&r->parts, "parent=%s", parent ? parent->str : "none");
	for (size_t i = 0; i < parts->n; i++)
		cb_strvec_push(&r->parts, parts->v[i]);
}

void build_explain_miss(struct build *b, const struct stage *st, const struct df_instruction *in,
			unsigned step, const struct cb_digest *parent,
			const struct cb_strvec *parts)
{
	cleanup_free char *id = step_id(st, in);
	cleanup_free char *reason = NULL;
	const struct explain_rec *cur, *old;
	bool tell = b->out && (b->plain || b->o->explain_cache);

	pthread_mutex_lock(&b->mu);
	record(b, id, parent, parts);
	cur = find(b->explain->cur, b->explain->ncur, id);
	old = find(b->explain->prev, b->explain->nprev, id);
	if (tell && cur)
		reason = old ? why(&old->parts, &cur->parts)
			     : xstrdup("no earlier build of this step");
	pthread_mutex_unlock(&b->mu);
	if (!reason)
		return;
	if (b->tty) {
		cleanup_free char *note = xasprintf("cache miss: %s", reason);

		build_progress_note(b, step, note);
		return;
	}
	flockfile(b->out);
	fprintf(b->out, "#%u cache miss: %s\n", step, reason);
	fflush(b->out);
	funlockfile(b->out);
}

void build_explain_save(struct build *b)
{
	struct explain *e = b->explain;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct cb_error *err = NULL;

	if (!e || !e->ncur)
		return; /* every step hit: the file is as it was */
	/* this build's misses, then what the file held for the other steps */
	for (int pass = 0; pass < 2; pass++) {
		const struct explain_rec *r = pass ? e->prev : e->cur;
		size_t n = pass ? e->nprev : e->ncur;

		for (size_t i = 0; i < n; i++) {
			if (pass && find(e->cur, e->ncur, r[i].id))
				continue;
			if (!pass && find(e->cur + i + 1, e->ncur - i - 1, r[i].id))
				continue; /* an ONBUILD line run twice: keep the last */
			cb_strbuf_addf(&sb, "S %s\n", r[i].id);
			for (size_t k = 0; k < r[i].parts.n; k++) {
				cb_strbuf_addstr(&sb, "P ");
				escape(&sb, r[i].parts.v[k]);
				cb_strbuf_addch(&sb, '\n');
			}
		}
	}
	if (layer_store_aux_write(b->s, e->name, sb.buf ? sb.buf : "", sb.len, &err) < 0)
		cb_error_free(&err);
	cb_strbuf_release(&sb);
}

void build_explain_free(struct build *b)
{
	if (!b->explain)
		return;
	recs_free(b->explain->prev, b->explain->nprev);
	recs_free(b->explain->cur, b->explain->ncur);
	free(b->explain);
	b->explain = NULL;
}
