/*
 * explain.c - why a step missed the cache (`--explain-cache`, and always
 * with `--progress plain`): the inputs each step's key was made from are
 * kept per build definition (context + Dockerfile) in an accelerator file
 * of the store, and a miss is compared with the last build of the same
 * step (same stage, same Dockerfile line): an earlier step changed, an
 * instruction changed, an ARG or ENV value changed (old -> new), or the
 * first file of a COPY that was added, removed or changed.
 *
 * A step's inputs are a list of parts, encoded compactly (a COPY of a big
 * context has one per file):
 *	'T' <varint length> <text>		(the first is "parent=<key>")
 *	'F' <varint shared> <varint length> <tail> <u64 hash>
 * a file part being a destination path (its first `shared` bytes those of
 * the previous file part's path, then the tail) and a hash of the rest of
 * what its key was made from.  Two lists are compared part by part as
 * they are decoded.
 *
 * File aux/explain-<sha256 of context path and Dockerfile path>:
 *	"cbexpl02", then per step <u32 id length> <id> <u32 length> <parts>
 * (ids are "<stage>:<line>"; u32 little-endian).  Only an accelerator: a
 * file that is missing, torn or garbled just explains less.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "xalloc.h"

#define EXPLAIN_MAX (64u << 20)
#define MAGIC "cbexpl02"

/* One step's parts: its id and encoded list (pointers into the loaded file, or owned). */
struct explain_rec {
	char *id;
	size_t idlen;
	unsigned char *parts;
	size_t len;
};

struct explain {
	char name[96];
	char *file; /* the loaded file: prev points into it */
	struct explain_rec *prev, *cur;
	size_t nprev, ncur, aprev;
};

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */
/* ------------------------------------------------------------------------ */

static void add_varint(struct cb_strbuf *sb, size_t v)
{
	do {
		unsigned char b = v & 0x7f;

		v >>= 7;
		cb_strbuf_addch(sb, (char)(b | (v ? 0x80 : 0)));
	} while (v);
}

void explain_parts_text(struct explain_parts *p, const char *text)
{
	size_t len = strlen(text);

	cb_strbuf_addch(&p->enc, 'T');
	add_varint(&p->enc, len);
	cb_strbuf_add(&p->enc, text, len);
}

static uint64_t fnv64(const void *buf, size_t len)
{
	const unsigned char *s = buf;
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}

void explain_parts_file(struct explain_parts *p, const char *path, const void *what, size_t len)
{
	size_t pl = strlen(path), shared = 0;
	uint64_t h = fnv64(what, len);

	while (shared < pl && shared < p->last.len && path[shared] == p->last.buf[shared])
		shared++;
	cb_strbuf_addch(&p->enc, 'F');
	add_varint(&p->enc, shared);
	add_varint(&p->enc, pl - shared);
	cb_strbuf_add(&p->enc, path + shared, pl - shared);
	for (int i = 0; i < 8; i++, h >>= 8)
		cb_strbuf_addch(&p->enc, (char)(h & 0xff));
	cb_strbuf_reset(&p->last);
	cb_strbuf_add(&p->last, path, pl);
}

void explain_parts_release(struct explain_parts *p)
{
	cb_strbuf_release(&p->enc);
	cb_strbuf_release(&p->last);
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                  */
/* ------------------------------------------------------------------------ */

struct part_iter {
	const unsigned char *p, *end;
	struct cb_strbuf path; /* the last file part's */
};

struct part {
	char kind;	  /* 'T' or 'F' */
	const char *text; /* 'T': the text (not NUL-terminated), 'F': the path */
	size_t len;
	uint64_t hash;
};

static bool get_varint(struct part_iter *it, size_t *v)
{
	size_t r = 0;

	for (unsigned shift = 0; it->p < it->end && shift < 64; shift += 7) {
		unsigned char b = *it->p++;

		r |= (size_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

/* The next part: 1, 0 at the end, -1 when the encoding is broken. */
static int next_part(struct part_iter *it, struct part *out)
{
	size_t a, b;

	if (it->p == it->end)
		return 0;
	out->kind = (char)*it->p++;
	if (out->kind == 'T') {
		if (!get_varint(it, &a) || a > (size_t)(it->end - it->p))
			return -1;
		out->text = (const char *)it->p;
		out->len = a;
		it->p += a;
		return 1;
	}
	if (out->kind != 'F' || !get_varint(it, &a) || !get_varint(it, &b) || a > it->path.len ||
	    b > (size_t)(it->end - it->p) || (size_t)(it->end - it->p) - b < 8)
		return -1;
	cb_strbuf_setlen(&it->path, a);
	cb_strbuf_add(&it->path, it->p, b);
	it->p += b;
	out->hash = 0;
	for (int i = 7; i >= 0; i--)
		out->hash = (out->hash << 8) | it->p[i];
	it->p += 8;
	out->text = it->path.buf;
	out->len = it->path.len;
	return 1;
}

static bool part_equal(const struct part *a, const struct part *b)
{
	return a->kind == b->kind && a->len == b->len && !memcmp(a->text, b->text, a->len) &&
	       (a->kind != 'F' || a->hash == b->hash);
}

static bool is_env(const struct part *p)
{
	return p->kind == 'T' && p->len >= 4 && !memcmp(p->text, "env=", 4);
}

/* "env=K=V": K and V. */
static void env_split(const struct part *p, char **k, char **v)
{
	const char *s = p->text + 4, *end = p->text + p->len;
	const char *eq = memchr(s, '=', (size_t)(end - s));

	*k = xstrndup(s, (size_t)((eq ? eq : end) - s));
	*v = eq ? xstrndup(eq + 1, (size_t)(end - eq - 1)) : xstrdup("");
}

/* Why two differing parts differ (either may be missing), for a person. */
static char *why_part(const struct part *o, const struct part *c)
{
	if ((o && is_env(o)) || (c && is_env(c))) {
		cleanup_free char *ok = NULL, *ov = NULL, *ck = NULL, *cv = NULL;

		if (o && is_env(o))
			env_split(o, &ok, &ov);
		if (c && is_env(c))
			env_split(c, &ck, &cv);
		if (ok && ck && !strcmp(ok, ck))
			return xasprintf("ARG/ENV %s changed: `%s` -> `%s`", ck, ov, cv);
		if (ck && (!ok || strcmp(ok, ck) > 0))
			return xasprintf("ARG/ENV %s was set", ck);
		return xasprintf("ARG/ENV %s was unset", ok);
	}
	{
		cleanup_free char *op = o && o->kind == 'F' ? xstrndup(o->text, o->len) : NULL;
		cleanup_free char *cp = c && c->kind == 'F' ? xstrndup(c->text, c->len) : NULL;

		if (op && cp && !strcmp(op, cp))
			return xasprintf("file `%s` changed", cp);
		if (cp && (!op || strcmp(op, cp) > 0))
			return xasprintf("file `%s` was added", cp);
		if (op)
			return xasprintf("file `%s` was removed", op);
		return xstrdup("the instruction changed");
	}
}

/* The first difference between two part lists; NULL when the old one is broken. */
static char *why(const struct explain_rec *old, const struct explain_rec *cur)
{
	struct part_iter oi = {old->parts, old->parts + old->len, CB_STRBUF_INIT};
	struct part_iter ci = {cur->parts, cur->parts + cur->len, CB_STRBUF_INIT};
	struct part o, c;
	char *reason = NULL;
	bool first = true;

	for (;; first = false) {
		int ro = next_part(&oi, &o), rc = next_part(&ci, &c);

		if (ro < 0 || rc < 0)
			break;
		if (ro > 0 && rc > 0 && part_equal(&o, &c))
			continue;
		if (ro == 0 && rc == 0)
			reason = xstrdup("no cache record (pruned, or built with --no-cache)");
		else if (first)
			reason = xstrdup("an earlier step changed"); /* parent=<key> */
		else
			reason = why_part(ro ? &o : NULL, rc ? &c : NULL);
		break;
	}
	cb_strbuf_release(&oi.path);
	cb_strbuf_release(&ci.path);
	return reason;
}

/* ------------------------------------------------------------------------ */
/* The file                                                                  */
/* ------------------------------------------------------------------------ */

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void add32(struct cb_strbuf *sb, size_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		cb_strbuf_addch(sb, (char)(v & 0xff));
}

/* One "<u32 length> <bytes>" field at *p; false when it does not fit. */
static bool get_field(const unsigned char **p, const unsigned char *end, unsigned char **f,
		      size_t *len)
{
	uint32_t n;

	if (end - *p < 4)
		return false;
	n = get32(*p);
	*p += 4;
	if (n > (size_t)(end - *p))
		return false;
	*f = (unsigned char *)*p;
	*len = n;
	*p += n;
	return true;
}

/* The records of the file, as far as they are whole. */
static void parse(struct explain *e, size_t len)
{
	const unsigned char *p = (const unsigned char *)e->file, *end = p + len;

	if (len < 8 || memcmp(p, MAGIC, 8))
		return;
	for (p += 8; p < end;) {
		struct explain_rec r;
		unsigned char *id;

		if (!get_field(&p, end, &id, &r.idlen) || !get_field(&p, end, &r.parts, &r.len))
			break;
		r.id = (char *)id;
		CB_ALLOC_GROW(e->prev, e->nprev + 1, e->aprev);
		e->prev[e->nprev++] = r;
	}
}

static struct explain *load(struct build *b)
{
	struct explain *e = xcalloc(1, sizeof(*e));
	char real[PATH_MAX];
	struct cb_strbuf key = CB_STRBUF_INIT;
	struct cb_digest d;
	struct cb_error *err = NULL;
	size_t len;

	if (!realpath(b->ctx.dir, real))
		snprintf(real, sizeof(real), "%s", b->ctx.dir);
	cb_strbuf_addstr(&key, real);
	cb_strbuf_addch(&key, '\n');
	cb_strbuf_addstr(&key, b->o->dockerfile_text ? "-" : b->ctx.dockerfile);
	cb_sha256_buf(key.buf, key.len, &d);
	cb_strbuf_release(&key);
	snprintf(e->name, sizeof(e->name), "explain-%s", cb_digest_hex(&d));
	if (layer_store_aux_read(b->s, e->name, EXPLAIN_MAX, &e->file, &len, &err) <= 0) {
		cb_error_free(&err);
		e->file = NULL;
		return e;
	}
	parse(e, len);
	return e;
}

static char *step_id(const struct stage *st, const struct df_instruction *in)
{
	return st->name ? xasprintf("%s:%d", st->name, in->start_line)
			: xasprintf("%zu:%d", st->index, in->start_line);
}

static const struct explain_rec *find(const struct explain_rec *r, size_t n, const char *id)
{
	size_t len = strlen(id);

	for (size_t i = n; i-- > 0;)
		if (r[i].idlen == len && !memcmp(r[i].id, id, len))
			return &r[i];
	return NULL;
}

/* Keep the inputs of a step that missed, for the next build (b->mu held). */
static void record(struct build *b, const char *id, const struct cb_digest *parent,
		   const struct explain_parts *parts)
{
	struct explain_parts head = EXPLAIN_PARTS_INIT;
	cleanup_free char *p = xasprintf("parent=%s", parent ? parent->str : "none");
	struct explain_rec *r;

	if (!b->explain)
		b->explain = load(b);
	b->explain->cur = xrealloc(b->explain->cur,
				   cb_st_mult(b->explain->ncur + 1, sizeof(*b->explain->cur)));
	r = &b->explain->cur[b->explain->ncur++];
	r->id = xstrdup(id);
	r->idlen = strlen(id);
	explain_parts_text(&head, p);
	cb_strbuf_add(&head.enc, parts->enc.buf, parts->enc.len);
	r->parts = (unsigned char *)cb_strbuf_detach(&head.enc, &r->len);
	explain_parts_release(&head);
}

void build_explain_miss_parts(struct build *b, const struct stage *st,
			      const struct df_instruction *in, unsigned step,
			      const struct cb_digest *parent, const struct explain_parts *parts)
{
	cleanup_free char *id = step_id(st, in);
	cleanup_free char *reason = NULL;
	const struct explain_rec *cur, *old;
	bool tell = b->out && (b->plain || b->o->explain_cache);

	pthread_mutex_lock(&b->mu);
	record(b, id, parent, parts);
	cur = find(b->explain->cur, b->explain->ncur, id);
	old = find(b->explain->prev, b->explain->nprev, id);
	if (tell && cur && old)
		reason = why(old, cur);
	if (tell && cur && !reason)
		reason = xstrdup("no earlier build of this step");
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

void build_explain_miss(struct build *b, const struct stage *st, const struct df_instruction *in,
			unsigned step, const struct cb_digest *parent,
			const struct cb_strvec *parts)
{
	struct explain_parts enc = EXPLAIN_PARTS_INIT;

	for (size_t i = 0; i < parts->n; i++)
		explain_parts_text(&enc, parts->v[i]);
	build_explain_miss_parts(b, st, in, step, parent, &enc);
	explain_parts_release(&enc);
}

void build_explain_save(struct build *b)
{
	struct explain *e = b->explain;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct cb_error *err = NULL;

	if (!e || !e->ncur)
		return; /* every step hit: the file is as it was */
	cb_strbuf_addstr(&sb, MAGIC);
	/* this build's misses, then what the file held for the other steps */
	for (int pass = 0; pass < 2; pass++) {
		const struct explain_rec *r = pass ? e->prev : e->cur;
		size_t n = pass ? e->nprev : e->ncur;

		for (size_t i = 0; i < n; i++) {
			cleanup_free char *id = xstrndup(r[i].id, r[i].idlen);

			if (pass && find(e->cur, e->ncur, id))
				continue;
			if (!pass && find(e->cur + i + 1, e->ncur - i - 1, id))
				continue; /* an ONBUILD line run twice: keep the last */
			if (r[i].idlen > UINT32_MAX || r[i].len > UINT32_MAX)
				continue;
			add32(&sb, r[i].idlen);
			cb_strbuf_add(&sb, r[i].id, r[i].idlen);
			add32(&sb, r[i].len);
			cb_strbuf_add(&sb, r[i].parts, r[i].len);
		}
	}
	if (layer_store_aux_write(b->s, e->name, sb.buf, sb.len, &err) < 0)
		cb_error_free(&err);
	cb_strbuf_release(&sb);
}

void build_explain_free(struct build *b)
{
	struct explain *e = b->explain;

	if (!e)
		return;
	for (size_t i = 0; i < e->ncur; i++) {
		free(e->cur[i].id);
		free(e->cur[i].parts);
	}
	free(e->cur);
	free(e->prev); /* into the file */
	free(e->file);
	free(e);
	b->explain = NULL;
}
