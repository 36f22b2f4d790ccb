/*
 * shellpattern.c - the shell patterns of ${v#p} ${v##p} ${v%p} ${v%%p}
 * ${v/p/r} and ${v//p/r} (BuildKit's convertShellPatternToRegex,
 * trimPrefix, trimSuffix and the regexp calls of processDollar).
 *
 * BuildKit turns a pattern into a Go regular expression: '*' becomes .*
 * (greedy, for ## %% / //) or .*? (lazy, for # %), '?' becomes '.', and
 * everything else is a literal.  Go's regexp is leftmost-first: of the
 * matches that start leftmost it reports the one its priority order meets
 * first.  For this family of expressions that is simply the shortest match
 * from that start when stars are lazy and the longest when they are greedy,
 * because the only freedom a match has is where each star stops:
 *   - only a literal '\n' in the pattern can match a newline, so all the
 *     matches from one start put their k-th '\n' on the same newline and
 *     differ only within the line where they end;
 *   - there, the last star (with none, the end is fixed) begins where the
 *     elements before it left off, at r, and the priority order stops it
 *     at the furthest (greedy) or nearest (lazy) q >= r from which the
 *     fixed-width rest matches.  Greedy: the end of the longest match is
 *     reachable from any r at or before it, and r cannot lie after it since
 *     the match found ends after r.  Lazy: the same argument applied to the
 *     part before the last star makes r as small as possible, hence q too.
 * (Also checked exhaustively against a backtracking leftmost-first engine
 * for all patterns of up to 4 elements on texts of up to 5 runes.)
 *
 * So the matcher below need not follow priorities: it runs the pattern as an
 * NFA over pattern positions, advancing the set of live states one rune at a
 * time and noting where the accept state is reached.  Memory is O(pattern +
 * value) and time O(pattern * value) per search, whatever their lengths: an
 * ENV or ARG value can be tens of KiB, and so can a pattern built from one.
 *
 * Runes are compared as Go does: invalid UTF-8 in the value or the pattern
 * reads as U+FFFD, which then matches '?' and a literal U+FFFD alike.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "parser-internal.h"
#include "utf8.h"
#include "xalloc.h"

/* A compiled pattern is runes, plus two values that no rune can take. */
#define PAT_STAR 0xFFFFFFFFu
#define PAT_ANY 0xFFFFFFFEu

/* A state with no thread; also "no match yet", which loses to any start. */
#define NO_THREAD SIZE_MAX

/*
 * Decode s into runes as Go's []rune(s) does (invalid bytes become U+FFFD);
 * (*offsets)[i] is the byte offset of rune i, (*offsets)[*n] the length.
 */
static uint32_t *decode_runes(const char *s, size_t **offsets, size_t *n)
{
	size_t len = strlen(s), i = 0, k = 0;
	uint32_t *r = xmalloc(cb_st_mult(len + 1, sizeof(*r)));
	size_t *off = xmalloc(cb_st_mult(len + 1, sizeof(*off)));

	for (; i < len; k++) {
		off[k] = i;
		i += cb_utf8_decode(s + i, len - i, &r[k]);
	}
	off[k] = len;
	*offsets = off;
	*n = k;
	return r;
}

/*
 * The live states of the NFA after some prefix of the text.  State pi waits
 * for pattern element pi; state npat accepts.  Each live state remembers only
 * the leftmost start of the threads in it: two threads in one state can
 * match exactly the same text from then on, and the leftmost start wins.
 * `live` lists the states with a thread, so that a step costs the number of
 * live states, not the length of the pattern.
 */
struct threads {
	size_t *start; /* per state: the start rune of its thread, or NO_THREAD */
	size_t *live;
	size_t n;
};

struct matcher {
	uint32_t *pat;
	size_t npat;
	bool greedy; /* stars prefer the longest run (Go's .*), else the shortest (.*?) */
	uint32_t *txt;
	size_t *off; /* byte offset of each rune of the text; off[ntxt] is its length */
	size_t ntxt;
	struct threads cur, next;
};

static void threads_init(struct threads *t, size_t nstates)
{
	t->start = xmalloc(cb_st_mult(nstates, sizeof(*t->start)));
	t->live = xmalloc(cb_st_mult(nstates, sizeof(*t->live)));
	t->n = 0;
	for (size_t i = 0; i < nstates; i++)
		t->start[i] = NO_THREAD;
}

static void threads_clear(struct threads *t)
{
	for (size_t i = 0; i < t->n; i++)
		t->start[t->live[i]] = NO_THREAD;
	t->n = 0;
}

static void matcher_release(struct matcher *m)
{
	free(m->pat);
	free(m->txt);
	free(m->off);
	free(m->cur.start);
	free(m->cur.live);
	free(m->next.start);
	free(m->next.live);
}

/* Go's %c of the rune after the backslash; EOF (-1) prints as U+FFFD. */
static int invalid_escape(const char *pattern, uint32_t tok, struct cb_error **err)
{
	struct cb_strbuf r = CB_STRBUF_INIT;
	int ret;

	cb_strbuf_add_rune(&r, tok);
	ret = cb_error_set(err, 0, "invalid pattern (%s) in substitution: invalid escape '\\%s'",
			   pattern, r.buf);
	cb_strbuf_release(&r);
	return ret;
}

/*
 * Compile pattern as BuildKit's convertShellPatternToRegex does, minus the
 * regexp: * and ? are wildcards; \* \? \\ are literals; \} and \/ lose the
 * backslash (it only got the character through ${...}); any other escape is
 * an error.  BuildKit reads the pattern with text/scanner, which decodes
 * runes as []rune does and also drops a BOM that is the very first rune.
 * A run of stars becomes one: .*.* matches what .* matches, and the result
 * depends only on the set of matches (see the top of the file).
 */
static int compile_pattern(struct matcher *m, const char *pattern, struct cb_error **err)
{
	cleanup_free size_t *off = NULL;
	size_t n, i = 0;
	cleanup_free uint32_t *r = decode_runes(pattern, &off, &n);

	m->pat = xmalloc(cb_st_mult(n + 1, sizeof(*m->pat)));
	if (n && r[0] == 0xFEFF)
		i = 1;
	for (; i < n; i++) {
		uint32_t t = r[i] == '*' ? PAT_STAR : r[i] == '?' ? PAT_ANY : r[i];

		if (r[i] == '\\') {
			/* The '}' or '/' is then read as a literal on the next turn. */
			if (i + 1 < n && (r[i + 1] == '}' || r[i + 1] == '/'))
				continue;
			if (++i == n)
				return invalid_escape(pattern, CB_RUNE_ERROR, err);
			if (r[i] != '*' && r[i] != '?' && r[i] != '\\')
				return invalid_escape(pattern, r[i], err);
			t = r[i];
		}
		if (t == PAT_STAR && m->npat && m->pat[m->npat - 1] == PAT_STAR)
			continue;
		m->pat[m->npat++] = t;
	}
	return 0;
}

static int matcher_init(struct matcher *m, const char *pattern, bool greedy, const char *value,
			struct cb_error **err)
{
	memset(m, 0, sizeof(*m));
	m->greedy = greedy;
	if (compile_pattern(m, pattern, err) < 0) {
		matcher_release(m);
		return -1;
	}
	m->txt = decode_runes(value, &m->off, &m->ntxt);
	threads_init(&m->cur, m->npat + 1);
	threads_init(&m->next, m->npat + 1);
	return 0;
}

/*
 * Put a thread that began at rune `start` into state pi, unless one that
 * began no later is there already.  A star may also match nothing, so its
 * thread is also in the next state; stars never follow one another, so that
 * chain is one step long.  A thread that improves a state's start passes the
 * improvement on the same way.
 */
static void threads_add(const struct matcher *m, struct threads *t, size_t pi, size_t start)
{
	for (;;) {
		if (t->start[pi] <= start)
			return;
		if (t->start[pi] == NO_THREAD)
			t->live[t->n++] = pi;
		t->start[pi] = start;
		if (pi == m->npat || m->pat[pi] != PAT_STAR)
			return;
		pi++;
	}
}

/*
 * A thread can still change the result when no match is known yet, when it
 * began left of the match found, or, with greedy stars, when it began at the
 * same rune and may end later.
 */
static bool can_win(const struct matcher *m, size_t start, size_t best)
{
	return start < best || (m->greedy && start == best);
}

/* Move every thread that can still win over rune c from m->cur to m->next, then swap them. */
static void matcher_step(struct matcher *m, uint32_t c, size_t best)
{
	struct threads done;

	threads_clear(&m->next);
	for (size_t i = 0; i < m->cur.n; i++) {
		size_t pi = m->cur.live[i], start = m->cur.start[pi];
		uint32_t tok;

		if (pi == m->npat || !can_win(m, start, best))
			continue;
		tok = m->pat[pi];
		/* Go's '.' matches any rune but '\n'. */
		if (tok == PAT_STAR) {
			if (c != '\n')
				threads_add(m, &m->next, pi, start);
		} else if (tok == PAT_ANY ? c != '\n' : tok == c) {
			threads_add(m, &m->next, pi + 1, start);
		}
	}
	done = m->cur;
	m->cur = m->next;
	m->next = done;
}

/*
 * The match Go's regexp reports, searching from rune `from`: the leftmost
 * start (exactly `from` when anchored), then the shortest or longest end
 * from there.  A new thread starts at each rune until some match is found;
 * after that only threads that began no later can change the answer, and
 * the search ends when none is left.  [*a0, *a1) is the match in runes.
 */
static bool matcher_search(struct matcher *m, size_t from, bool anchored, size_t *a0, size_t *a1)
{
	size_t best = NO_THREAD, end = 0;

	threads_clear(&m->cur);
	for (size_t pos = from;; pos++) {
		size_t start;

		if (best == NO_THREAD && (pos == from || !anchored))
			threads_add(m, &m->cur, 0, pos);
		start = m->cur.start[m->npat];
		if (start != NO_THREAD && can_win(m, start, best)) {
			best = start;
			end = pos;
		}
		if (pos == m->ntxt || (!m->cur.n && (best != NO_THREAD || anchored)))
			break;
		matcher_step(m, m->txt[pos], best);
	}
	if (best == NO_THREAD)
		return false;
	*a0 = best;
	*a1 = end;
	return true;
}

/* Go's trimPrefix: remove the leftmost-first match anchored at the start. */
int df_shell_trim_prefix(const char *pattern, const char *value, bool greedy, struct cb_strbuf *out,
			 struct cb_error **err)
{
	struct matcher m;
	size_t a0, a1;

	if (matcher_init(&m, pattern, greedy, value, err) < 0)
		return -1;
	cb_strbuf_addstr(out, value + (matcher_search(&m, 0, true, &a0, &a1) ? m.off[a1] : 0));
	matcher_release(&m);
	return 0;
}

/*
 * Go's reverseString (all runes reversed, so invalid bytes come back as
 * U+FFFD) or, for a pattern, reversePattern (each "\x" pair kept in order).
 */
static char *reverse_runes(const char *s, bool pattern)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	cleanup_free size_t *off = NULL;
	size_t n;
	uint32_t *r = decode_runes(s, &off, &n);
	uint32_t *o = xmalloc(cb_st_mult(n + 1, sizeof(*o)));

	for (size_t i = 0; i < n;) {
		size_t oi = n - 1 - i;

		if (pattern && r[i] == '\\' && i != n - 1) {
			o[oi - 1] = '\\';
			o[oi] = r[i + 1];
			i += 2;
		} else {
			o[oi] = r[i++];
		}
	}
	for (size_t i = 0; i < n; i++)
		cb_strbuf_add_rune(&sb, o[i]);
	free(o);
	free(r);
	return cb_strbuf_detach(&sb, NULL);
}

/*
 * Go's trimSuffix: the shortest/longest suffix is found as a prefix of the
 * reversed value with the reversed pattern (errors quote the reversed one).
 */
int df_shell_trim_suffix(const char *pattern, const char *value, bool greedy, struct cb_strbuf *out,
			 struct cb_error **err)
{
	cleanup_free char *rpat = reverse_runes(pattern, true);
	cleanup_free char *rval = reverse_runes(value, false);
	cleanup_free char *back = NULL;
	struct cb_strbuf tmp = CB_STRBUF_INIT;

	if (df_shell_trim_prefix(rpat, rval, greedy, &tmp, err) < 0) {
		cb_strbuf_release(&tmp);
		return -1;
	}
	back = reverse_runes(tmp.buf, false);
	cb_strbuf_release(&tmp);
	cb_strbuf_addstr(out, back);
	return 0;
}

/*
 * A $name or ${name} reference in a regexp.Expand template (letters, digits,
 * '_'); *used is its length after the '$'.  Only group 0 (the whole match)
 * exists, and only the exact name "0" refers to it.
 */
static bool template_ref(const char *s, size_t len, size_t *used, bool *whole)
{
	bool brace = len && s[0] == '{';
	size_t i = brace, start = i;

	while (i < len) {
		uint32_t r;
		size_t w = cb_utf8_decode(s + i, len - i, &r);

		if (!cb_rune_is_letter(r) && !cb_rune_is_digit(r) && r != '_')
			break;
		i += w;
	}
	if (i == start || (brace && (i >= len || s[i] != '}')))
		return false;
	*whole = i - start == 1 && s[start] == '0';
	*used = i + brace;
	return true;
}

/* regexp.Expand of tmpl for the match src[m0:m1]. */
static void expand_template(struct cb_strbuf *out, const char *tmpl, const char *src, size_t m0,
			    size_t m1)
{
	const char *t = tmpl, *end = tmpl + strlen(tmpl), *d;

	while ((d = memchr(t, '$', (size_t)(end - t)))) {
		size_t used;
		bool whole;

		cb_strbuf_add(out, t, (size_t)(d - t));
		t = d + 1;
		if (t < end && *t == '$') {
			cb_strbuf_addch(out, '$');
			t++;
		} else if (!template_ref(t, (size_t)(end - t), &used, &whole)) {
			cb_strbuf_addch(out, '$'); /* malformed: a literal '$' */
		} else {
			t += used;
			if (whole)
				cb_strbuf_add(out, src + m0, m1 - m0);
		}
	}
	cb_strbuf_add(out, t, (size_t)(end - t));
}

/*
 * ${v/p/r}: replace the leftmost match, literally.  ${v//p/r}: Go's
 * ReplaceAllString: non-overlapping matches left to right, advancing one
 * rune after an empty match, no empty match right after a previous match,
 * and the replacement expanded as a template.  BuildKit compiles both with
 * greedy stars.
 */
int df_shell_replace(const char *pattern, const char *value, const char *repl, bool all,
		     size_t limit, struct cb_strbuf *out, struct cb_error **err)
{
	struct matcher m;
	size_t search = 0, last = 0, a0, a1;

	if (matcher_init(&m, pattern, true, value, err) < 0)
		return -1;
	while (search <= m.ntxt && matcher_search(&m, search, false, &a0, &a1)) {
		cb_strbuf_add(out, value + m.off[last], m.off[a0] - m.off[last]);
		if (!all) {
			cb_strbuf_addstr(out, repl);
			last = a1;
			break;
		}
		if (a1 > last || a0 == 0)
			expand_template(out, repl, value, m.off[a0], m.off[a1]);
		last = a1;
		if (out->len > limit) {
			matcher_release(&m);
			return cb_error_set(err, 0, "expansion larger than %zu bytes", limit);
		}
		search = a1 > search ? a1 : search + 1;
	}
	cb_strbuf_addstr(out, value + m.off[last]);
	matcher_release(&m);
	return 0;
}
