/*
 * shellword.c - BuildKit's shell-word expansion (frontend/dockerfile/shell,
 * Lex.ProcessWord / ProcessWords): quote removal, escapes, $VAR and ${VAR}
 * with the modifiers :- - :+ + :? ? # ## % %% / //, and field splitting.
 *
 * Results must be byte-identical to BuildKit's, so this file reproduces the
 * details of the Go implementation that users can observe:
 *   - the word is read rune by rune as text/scanner does: invalid UTF-8 bytes
 *     read as U+FFFD and a BOM at the very start is skipped;
 *   - shell patterns were Go regular expressions (leftmost-first, '.' not
 *     matching '\n'); matcher_*() below gives the same results;
 *   - ${v%p} reverses rune sequences as Go does, so it also normalises
 *     invalid UTF-8 in the value to U+FFFD;
 *   - ${v//p/r} goes through regexp.ReplaceAllString, whose replacement
 *     expands $0 / ${0} / $$ (and drops other $name references).
 *
 * Where the two Go versions differ, this follows the behaviour that the
 * shared vectors pin: ${v:#p} and ${v:%p} are rejected up front, and each
 * level of ${...} splits fields independently (BuildKit's newest lex.go
 * shares one field buffer between nested levels, which loses text before a
 * nested ${x:-...} in ProcessWords; that is treated as a bug, not copied).
 *
 * Everything lives on the stack of one call: no global state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dockerfile.h"
#include "utf8.h"
#include "xalloc.h"

#define SCAN_EOF (-1)

static void strbuf_cleanup(struct cb_strbuf *sb)
{
	cb_strbuf_release(sb);
}
#define cleanup_strbuf __attribute__((__cleanup__(strbuf_cleanup)))

/* ---- Reading runes the way Go's text/scanner does ---- */

struct scan {
	const char *s;
	size_t len;
	size_t pos; /* byte offset of the next unread rune */
};

static void scan_init(struct scan *sc, const char *s, size_t len)
{
	uint32_t r;

	sc->s = s;
	sc->len = len;
	sc->pos = 0;
	/* text/scanner drops one BOM, and only as the very first rune. */
	if (len && cb_utf8_decode(s, len, &r) == 3 && r == 0xFEFF)
		sc->pos = 3;
}

static int32_t scan_peek(const struct scan *sc)
{
	uint32_t r;

	if (sc->pos >= sc->len)
		return SCAN_EOF;
	cb_utf8_decode(sc->s + sc->pos, sc->len - sc->pos, &r);
	return (int32_t)r;
}

static int32_t scan_next(struct scan *sc)
{
	uint32_t r;

	if (sc->pos >= sc->len)
		return SCAN_EOF;
	sc->pos += cb_utf8_decode(sc->s + sc->pos, sc->len - sc->pos, &r);
	return (int32_t)r;
}

/* Go's string(rune): EOF (-1) is not a rune and prints as U+FFFD. */
static void add_rune(struct cb_strbuf *sb, int32_t r)
{
	cb_strbuf_add_rune(sb, r < 0 ? CB_RUNE_ERROR : (uint32_t)r);
}

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

/* ---- Shell patterns (# ## % %% / //) ---- */

/* A compiled pattern is runes, plus two values that no rune can take. */
#define PAT_STAR 0xFFFFFFFFu
#define PAT_ANY 0xFFFFFFFEu

struct state {
	size_t pi, ti; /* position in the pattern and in the text (runes) */
};

/*
 * A backtracking matcher with a visited set, like Go's own backtracker: the
 * depth-first search tries alternatives in priority order (a greedy star
 * first extends, a lazy one first stops), so the first success is the
 * leftmost-first match Go's regexp reports.  Marking each (pattern, text)
 * state once keeps it O(pattern * text).  The stack is explicit because a
 * long value would otherwise recurse once per rune.
 */
struct matcher {
	uint32_t *pat;
	size_t npat, pat_alloc;
	bool greedy; /* stars prefer the longest run (Go's .*), else the shortest (.*?) */
	uint32_t *txt;
	size_t *off; /* byte offset of each rune of the text; off[ntxt] is its length */
	size_t ntxt;
	uint8_t *visited; /* bit pi * (ntxt + 1) + ti */
	struct state *stack;
	size_t nstack, stack_alloc;
};

static void matcher_release(struct matcher *m)
{
	free(m->pat);
	free(m->txt);
	free(m->off);
	free(m->visited);
	free(m->stack);
}

static int invalid_escape(struct matcher *m, const char *pattern, int32_t tok,
			  struct cb_error **err)
{
	cleanup_strbuf struct cb_strbuf r = CB_STRBUF_INIT;

	matcher_release(m);
	add_rune(&r, tok);
	return cb_error_set(err, 0, "invalid pattern (%s) in substitution: invalid escape '\\%s'",
			    pattern, r.buf);
}

/*
 * Compile pattern as BuildKit's convertShellPatternToRegex does, minus the
 * regexp: * and ? are wildcards; \* \? \\ are literals; \} and \/ lose the
 * backslash (it only got the character through ${...}); any other escape is
 * an error.  The pattern is read with text/scanner too: a leading BOM goes.
 */
static int matcher_init(struct matcher *m, const char *pattern, bool greedy, const char *value,
			struct cb_error **err)
{
	struct scan sc;
	int32_t tok;

	memset(m, 0, sizeof(*m));
	m->greedy = greedy;
	scan_init(&sc, pattern, strlen(pattern));
	while ((tok = scan_next(&sc)) != SCAN_EOF) {
		uint32_t t = tok == '*' ? PAT_STAR : tok == '?' ? PAT_ANY : (uint32_t)tok;

		if (tok == '\\') {
			if (scan_peek(&sc) == '}' || scan_peek(&sc) == '/')
				continue;
			tok = scan_next(&sc);
			if (tok != '*' && tok != '?' && tok != '\\')
				return invalid_escape(m, pattern, tok, err);
			t = (uint32_t)tok;
		}
		CB_ALLOC_GROW(m->pat, m->npat + 1, m->pat_alloc);
		m->pat[m->npat++] = t;
	}
	m->txt = decode_runes(value, &m->off, &m->ntxt);
	m->visited = xcalloc(cb_st_mult(m->npat + 1, m->ntxt + 1) / 8 + 1, 1);
	return 0;
}

/*
 * Between the searches of ${v//p/r}.  A visited state either failed, which
 * stays true whatever the start, or lies on the path of the match just
 * found, whose states sit at text positions a0..a1.  The next search only
 * reaches positions >= a1, so only the states at a1 must be forgotten.
 */
static void matcher_forget_column(struct matcher *m, size_t ti)
{
	for (size_t pi = 0; pi <= m->npat; pi++) {
		size_t bit = pi * (m->ntxt + 1) + ti;

		m->visited[bit / 8] &= (uint8_t) ~(1u << (bit % 8));
	}
}

static void matcher_push(struct matcher *m, size_t pi, size_t ti)
{
	CB_ALLOC_GROW(m->stack, m->nstack + 1, m->stack_alloc);
	m->stack[m->nstack].pi = pi;
	m->stack[m->nstack].ti = ti;
	m->nstack++;
}

/* Match anchored at rune `start`; on success *end is the rune index after the match. */
static bool matcher_run(struct matcher *m, size_t start, size_t *end)
{
	m->nstack = 0;
	matcher_push(m, 0, start);
	while (m->nstack) {
		struct state s = m->stack[--m->nstack];
		size_t bit = s.pi * (m->ntxt + 1) + s.ti;
		uint32_t tok;
		bool can;

		if (m->visited[bit / 8] & (1u << (bit % 8)))
			continue;
		m->visited[bit / 8] |= (uint8_t)(1u << (bit % 8));
		if (s.pi == m->npat) {
			*end = s.ti;
			return true;
		}
		tok = m->pat[s.pi];
		/* Go's '.' matches any rune but '\n'. */
		can = s.ti < m->ntxt &&
		      (tok < PAT_ANY ? m->txt[s.ti] == tok : m->txt[s.ti] != '\n');
		if (tok != PAT_STAR) {
			if (can)
				matcher_push(m, s.pi + 1, s.ti + 1);
			continue;
		}
		/* The alternative pushed last is tried first. */
		if (!m->greedy && can)
			matcher_push(m, s.pi, s.ti + 1);
		matcher_push(m, s.pi + 1, s.ti);
		if (m->greedy && can)
			matcher_push(m, s.pi, s.ti + 1);
	}
	return false;
}

/* Unanchored search from rune `from`: the leftmost start wins. */
static bool matcher_find(struct matcher *m, size_t from, size_t *a0, size_t *a1)
{
	for (size_t start = from; start <= m->ntxt; start++) {
		if (matcher_run(m, start, a1)) {
			*a0 = start;
			return true;
		}
	}
	return false;
}

/* Go's trimPrefix: remove the leftmost-first match anchored at the start. */
static int trim_prefix(const char *pattern, const char *value, bool greedy, struct cb_strbuf *out,
		       struct cb_error **err)
{
	struct matcher m;
	size_t end;

	if (matcher_init(&m, pattern, greedy, value, err) < 0)
		return -1;
	cb_strbuf_addstr(out, value + (matcher_run(&m, 0, &end) ? m.off[end] : 0));
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
static int trim_suffix(const char *pattern, const char *value, bool greedy, struct cb_strbuf *out,
		       struct cb_error **err)
{
	cleanup_free char *rpat = reverse_runes(pattern, true);
	cleanup_free char *rval = reverse_runes(value, false);
	cleanup_free char *back = NULL;
	cleanup_strbuf struct cb_strbuf tmp = CB_STRBUF_INIT;

	if (trim_prefix(rpat, rval, greedy, &tmp, err) < 0)
		return -1;
	back = reverse_runes(tmp.buf, false);
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
 * and the replacement expanded as a template.
 */
static int replace_pattern(const char *pattern, const char *value, const char *repl, bool all,
			   struct cb_strbuf *out, struct cb_error **err)
{
	struct matcher m;
	size_t search = 0, last = 0, a0, a1;

	if (matcher_init(&m, pattern, true, value, err) < 0)
		return -1;
	while (search <= m.ntxt && matcher_find(&m, search, &a0, &a1)) {
		cb_strbuf_add(out, value + m.off[last], m.off[a0] - m.off[last]);
		if (!all) {
			cb_strbuf_addstr(out, repl);
			last = a1;
			break;
		}
		if (a1 > last || a0 == 0)
			expand_template(out, repl, value, m.off[a0], m.off[a1]);
		last = a1;
		search = a1 > search ? a1 : search + 1;
		matcher_forget_column(&m, a1);
	}
	cb_strbuf_addstr(out, value + m.off[last]);
	matcher_release(&m);
	return 0;
}

/* ---- Field splitting (BuildKit's wordsStruct) ---- */

struct fields {
	struct cb_strvec *out;
	struct cb_strbuf cur;
	bool in_word; /* true after quoted text, even empty, until a split */
};

static void fields_raw_char(struct fields *f, int32_t ch)
{
	if (!f)
		return;
	add_rune(&f->cur, ch);
	f->in_word = true;
}

static void fields_char(struct fields *f, int32_t ch)
{
	if (!f)
		return;
	if (!cb_rune_is_space((uint32_t)ch)) {
		fields_raw_char(f, ch);
	} else if (f->in_word && f->cur.len) {
		cb_strvec_push_take(f->out, cb_strbuf_detach(&f->cur, NULL));
		f->in_word = false;
	}
}

/* Text from a variable: split on unicode spaces, rune by rune. */
static void fields_string(struct fields *f, const char *s, size_t len)
{
	if (!f)
		return;
	for (size_t i = 0; i < len;) {
		uint32_t r;

		i += cb_utf8_decode(s + i, len - i, &r);
		fields_char(f, (int32_t)r);
	}
}

/* Quoted text: kept as is. */
static void fields_raw_string(struct fields *f, const char *s, size_t len)
{
	if (!f)
		return;
	cb_strbuf_add(&f->cur, s, len);
	f->in_word = true;
}

static void fields_finish(struct fields *f)
{
	if (f->cur.len)
		cb_strvec_push_take(f->out, cb_strbuf_detach(&f->cur, NULL));
	cb_strbuf_release(&f->cur);
}

/* ---- The expander ---- */

struct expander {
	const struct shell_lex *lex;
	const struct cb_strvec *env;
	struct scan sc;
	bool raw_escapes; /* the lexer's setting, overridden inside patterns */
	struct cb_strvec matched, unmatched;
};

static int expand_dollar(struct expander *x, struct cb_strbuf *out, struct cb_error **err);
static int stop_on(struct expander *x, int32_t stop, bool raw_escapes, struct cb_strbuf *out,
		   struct fields *f, struct cb_error **err);

/* The value of name (the last "name=..." entry wins), or NULL when unset. */
static const char *get_env(struct expander *x, const char *name)
{
	size_t nlen = strlen(name);

	for (size_t i = x->env ? x->env->n : 0; i-- > 0;) {
		const char *e = x->env->v[i];

		if (!strncmp(e, name, nlen) && (e[nlen] == '=' || e[nlen] == '\0')) {
			cb_strvec_push(&x->matched, name);
			return e[nlen] ? e + nlen + 1 : e + nlen;
		}
	}
	cb_strvec_push(&x->unmatched, name);
	return NULL;
}

/* BuildKit's processName: a run of digits, one special parameter, or a name. */
static void read_name(struct expander *x, struct cb_strbuf *name)
{
	int32_t ch = scan_peek(&x->sc);

	if (ch == SCAN_EOF)
		return;
	if (cb_rune_is_digit((uint32_t)ch)) {
		while ((ch = scan_peek(&x->sc)) != SCAN_EOF && cb_rune_is_digit((uint32_t)ch))
			add_rune(name, scan_next(&x->sc));
		return;
	}
	if (ch > 0 && ch < 0x80 && strchr("@*#?-$!0", ch)) { /* special parameters */
		add_rune(name, scan_next(&x->sc));
		return;
	}
	while ((ch = scan_peek(&x->sc)) != SCAN_EOF &&
	       (cb_rune_is_letter((uint32_t)ch) || cb_rune_is_digit((uint32_t)ch) || ch == '_'))
		add_rune(name, scan_next(&x->sc));
}

/* Hand a locally collected error to the caller (who may have passed NULL). */
static int pass_error(struct cb_error **err, struct cb_error **inner)
{
	if (err)
		*err = steal_pointer(inner);
	cb_error_free(inner);
	return -1;
}

/*
 * processStopOn for the inside of ${...}: running into the end of the word
 * (for whatever reason, even an error further in) becomes eof_msg.
 */
static int stop_on_inner(struct expander *x, int32_t stop, bool raw_escapes, struct cb_strbuf *word,
			 const char *eof_msg, struct cb_error **err)
{
	struct cb_error *inner = NULL;

	if (stop_on(x, stop, raw_escapes, word, NULL, &inner) == 0)
		return 0;
	if (scan_peek(&x->sc) == SCAN_EOF) {
		cb_error_free(&inner);
		return cb_error_set(err, 0, "%s", eof_msg);
	}
	return pass_error(err, &inner);
}

/* ${name<op>word} for op in - + ? # % (null_is_unset: written with a ':'). */
static int expand_modifier(struct expander *x, const char *name, int32_t op, const char *chs,
			   bool null_is_unset, struct cb_strbuf *out, struct cb_error **err)
{
	cleanup_strbuf struct cb_strbuf word = CB_STRBUF_INIT;
	bool is_pattern = op == '#' || op == '%';
	const char *value;
	bool empty;

	if (null_is_unset && is_pattern)
		return cb_error_set(err, 0, "unsupported modifier (%s) in substitution", chs);
	/* Patterns keep their escapes so that \* reaches the pattern compiler. */
	if (stop_on_inner(x, '}', is_pattern, &word, "syntax error: missing '}'", err) < 0)
		return -1;
	value = get_env(x, name);
	if (!value && x->lex->skip_unset_env) {
		cb_strbuf_addf(out, "${%s%s%s}", name, chs, word.buf);
		return 0;
	}
	empty = !value || (null_is_unset && !*value);
	switch (op) {
	case '-':
		cb_strbuf_addstr(out, empty ? word.buf : value);
		return 0;
	case '+':
		if (!empty)
			cb_strbuf_addstr(out, word.buf);
		return 0;
	case '?':
		if (empty)
			return cb_error_set(err, 0, "%s: %s", name,
					    word.len ? word.buf
					    : value  ? "is not allowed to be empty"
						     : "is not allowed to be unset");
		cb_strbuf_addstr(out, value);
		return 0;
	case '#':
	case '%': {
		/* ## and %% arrive as a pattern that starts with # or %. */
		bool greedy = word.buf[0] == op;
		const char *pat = word.buf + greedy;

		if (op == '%')
			return trim_suffix(pat, value ? value : "", greedy, out, err);
		return trim_prefix(pat, value ? value : "", greedy, out, err);
	}
	default:
		return cb_error_set(err, 0, "unsupported modifier (%s) in substitution", chs);
	}
}

/* ${name/pattern/replacement} and ${name//pattern/replacement}; the first '/' is read. */
static int expand_replace(struct expander *x, const char *name, struct cb_strbuf *out,
			  struct cb_error **err)
{
	cleanup_strbuf struct cb_strbuf pattern = CB_STRBUF_INIT;
	cleanup_strbuf struct cb_strbuf repl = CB_STRBUF_INIT;
	bool all = scan_peek(&x->sc) == '/';
	const char *value;

	if (all)
		scan_next(&x->sc);
	if (stop_on_inner(x, '/', true, &pattern, "syntax error: missing '/' in ${}", err) < 0)
		return -1;
	if (stop_on_inner(x, '}', true, &repl, "syntax error: missing '}'", err) < 0)
		return -1;
	value = get_env(x, name);
	if (!value && x->lex->skip_unset_env) {
		/* BuildKit writes a single '/' back even for // */
		cb_strbuf_addf(out, "${%s/%s/%s}", name, pattern.buf, repl.buf);
		return 0;
	}
	return replace_pattern(pattern.buf, value ? value : "", repl.buf, all, out, err);
}

/* After "${": the name, then '}', a modifier, or a replacement. */
static int expand_braced(struct expander *x, struct cb_strbuf *out, struct cb_error **err)
{
	cleanup_strbuf struct cb_strbuf name = CB_STRBUF_INIT;
	cleanup_strbuf struct cb_strbuf chs = CB_STRBUF_INIT; /* the modifier as written */
	const char *value;
	int32_t ch = scan_peek(&x->sc);

	if (ch == SCAN_EOF)
		return cb_error_set(err, 0, "syntax error: missing '}'");
	if (ch == '{' || ch == '}' || ch == ':')
		return cb_error_set(err, 0, "syntax error: bad substitution");
	read_name(x, &name);
	ch = scan_next(&x->sc);
	add_rune(&chs, ch);
	switch (ch) {
	case '}':
		value = get_env(x, name.buf);
		if (!value && x->lex->skip_unset_env)
			cb_strbuf_addf(out, "${%s}", name.buf);
		else
			cb_strbuf_addstr(out, value ? value : "");
		return 0;
	case ':':
		ch = scan_next(&x->sc);
		add_rune(&chs, ch);
		return expand_modifier(x, name.buf, ch, chs.buf, true, out, err);
	case '+':
	case '-':
	case '?':
	case '#':
	case '%':
		return expand_modifier(x, name.buf, ch, chs.buf, false, out, err);
	case '/':
		return expand_replace(x, name.buf, out, err);
	default:
		return cb_error_set(err, 0, "unsupported modifier (%s) in substitution", chs.buf);
	}
}

/* At '$': append the expansion to out. */
static int expand_dollar(struct expander *x, struct cb_strbuf *out, struct cb_error **err)
{
	cleanup_strbuf struct cb_strbuf name = CB_STRBUF_INIT;
	const char *value;

	scan_next(&x->sc);
	if (scan_peek(&x->sc) == '{') {
		scan_next(&x->sc);
		return expand_braced(x, out, err);
	}
	read_name(x, &name);
	if (!name.len) {
		cb_strbuf_addch(out, '$');
		return 0;
	}
	value = get_env(x, name.buf);
	if (!value && x->lex->skip_unset_env)
		cb_strbuf_addf(out, "$%s", name.buf);
	else
		cb_strbuf_addstr(out, value ? value : "");
	return 0;
}

/* At '\'': everything up to the next '\'' is literal; there is no escape. */
static int single_quote(struct expander *x, struct cb_strbuf *out, struct cb_error **err)
{
	int32_t ch = scan_next(&x->sc);

	if (x->lex->raw_quotes)
		add_rune(out, ch);
	for (;;) {
		ch = scan_next(&x->sc);
		if (ch == SCAN_EOF)
			return cb_error_set(err, 0,
					    "unexpected end of statement while looking for "
					    "matching single-quote");
		if (ch == '\'')
			break;
		add_rune(out, ch);
	}
	if (x->lex->raw_quotes)
		add_rune(out, ch);
	return 0;
}

/* At '"': $ expands; the escape token escapes only '"', '$' and itself. */
static int double_quote(struct expander *x, struct cb_strbuf *out, struct cb_error **err)
{
	int32_t ch = scan_next(&x->sc);

	if (x->lex->raw_quotes)
		add_rune(out, ch);
	for (;;) {
		ch = scan_peek(&x->sc);
		if (ch == SCAN_EOF)
			return cb_error_set(err, 0,
					    "unexpected end of statement while looking for "
					    "matching double-quote");
		if (ch == '"')
			break;
		if (ch == '$') {
			if (expand_dollar(x, out, err) < 0)
				return -1;
			continue;
		}
		ch = scan_next(&x->sc);
		if (ch == x->lex->escape) {
			int32_t next = scan_peek(&x->sc);

			if (x->raw_escapes)
				add_rune(out, ch);
			if (next == SCAN_EOF)
				continue; /* reported as the missing quote */
			if (next == '"' || next == '$' || next == x->lex->escape)
				ch = scan_next(&x->sc);
		}
		add_rune(out, ch);
	}
	ch = scan_next(&x->sc);
	if (x->lex->raw_quotes)
		add_rune(out, ch);
	return 0;
}

/* Expand a '$' or a quoted section; returns 1 when ch is neither. */
static int special(struct expander *x, int32_t ch, struct cb_strbuf *out, struct fields *f,
		   struct cb_error **err)
{
	cleanup_strbuf struct cb_strbuf tmp = CB_STRBUF_INIT;
	int ret;

	if (ch == '$')
		ret = expand_dollar(x, &tmp, err);
	else if (x->lex->skip_process_quotes || (ch != '\'' && ch != '"'))
		return 1;
	else if (ch == '\'')
		ret = single_quote(x, &tmp, err);
	else
		ret = double_quote(x, &tmp, err);
	if (ret < 0)
		return ret;
	cb_strbuf_add(out, tmp.buf, tmp.len);
	/* Field splitting applies to expansions, not to quoted text. */
	if (ch == '$')
		fields_string(f, tmp.buf, tmp.len);
	else
		fields_raw_string(f, tmp.buf, tmp.len);
	return 0;
}

/*
 * BuildKit's processStopOn: expand up to the unescaped stop rune (consumed)
 * or, with SCAN_EOF, to the end.  f (may be NULL) collects the fields.
 */
static int stop_on_loop(struct expander *x, int32_t stop, struct cb_strbuf *out, struct fields *f,
			struct cb_error **err)
{
	int32_t ch;
	int ret;

	while ((ch = scan_peek(&x->sc)) != SCAN_EOF) {
		if (stop != SCAN_EOF && ch == stop) {
			scan_next(&x->sc);
			return 0;
		}
		ret = special(x, ch, out, f, err);
		if (ret < 0)
			return ret;
		if (ret == 0)
			continue;
		ch = scan_next(&x->sc);
		if (ch == x->lex->escape) {
			if (x->raw_escapes) {
				fields_raw_char(f, ch);
				add_rune(out, ch);
			}
			ch = scan_next(&x->sc);
			if (ch == SCAN_EOF)
				break; /* a trailing escape is dropped */
			fields_raw_char(f, ch);
		} else {
			fields_char(f, ch);
		}
		add_rune(out, ch);
	}
	if (stop != SCAN_EOF) {
		cleanup_strbuf struct cb_strbuf s = CB_STRBUF_INIT;

		add_rune(&s, stop);
		return cb_error_set(
			err, 0, "unexpected end of statement while looking for matching %s", s.buf);
	}
	return 0;
}

/* Run stop_on_loop with raw_escapes in force, as processStopOn's parameter does. */
static int stop_on(struct expander *x, int32_t stop, bool raw_escapes, struct cb_strbuf *out,
		   struct fields *f, struct cb_error **err)
{
	bool saved = x->raw_escapes;
	int ret;

	x->raw_escapes = raw_escapes;
	ret = stop_on_loop(x, stop, out, f, err);
	x->raw_escapes = saved;
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_unique(struct cb_strvec *sv)
{
	size_t n = 0;

	if (!sv->n)
		return;
	qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
	for (size_t i = 0; i < sv->n; i++) {
		if (n && !strcmp(sv->v[n - 1], sv->v[i]))
			free(sv->v[i]);
		else
			sv->v[n++] = sv->v[i];
	}
	sv->n = n;
	sv->v[n] = NULL;
}

int shell_expand(const struct shell_lex *lex, const char *word, const struct cb_strvec *env,
		 struct shell_result *res, struct cb_error **err)
{
	static const struct shell_lex defaults = SHELL_LEX_INIT;
	struct expander x = {.lex = lex ? lex : &defaults, .env = env};
	struct cb_strbuf out = CB_STRBUF_INIT;
	struct cb_strvec words = CB_STRVEC_INIT;
	struct fields f = {.out = &words, .cur = CB_STRBUF_INIT};
	struct cb_error *inner = NULL;
	int ret;

	scan_init(&x.sc, word, strlen(word));
	ret = stop_on(&x, SCAN_EOF, x.lex->raw_escapes, &out, &f, &inner);
	fields_finish(&f);
	if (ret < 0) {
		cleanup_strbuf struct cb_strbuf q = CB_STRBUF_INIT;

		cb_strbuf_release(&out);
		cb_strvec_clear(&words);
		cb_strvec_clear(&x.matched);
		cb_strvec_clear(&x.unmatched);
		cb_strbuf_add_goquote(&q, word, strlen(word));
		cb_error_wrap(&inner, "failed to process %s", q.buf);
		return pass_error(err, &inner);
	}
	sort_unique(&x.matched);
	sort_unique(&x.unmatched);
	res->word = cb_strbuf_detach(&out, NULL);
	res->words = words;
	res->matched = x.matched;
	res->unmatched = x.unmatched;
	return 0;
}

void shell_result_release(struct shell_result *res)
{
	if (!res)
		return;
	free(res->word);
	res->word = NULL;
	cb_strvec_clear(&res->words);
	cb_strvec_clear(&res->matched);
	cb_strvec_clear(&res->unmatched);
}

char *shell_expand_word(const struct shell_lex *lex, const char *word, const struct cb_strvec *env,
			struct cb_error **err)
{
	struct shell_result res;
	char *out;

	if (shell_expand(lex, word, env, &res, err) < 0)
		return NULL;
	out = steal_pointer(&res.word);
	shell_result_release(&res);
	return out;
}

int shell_expand_words(const struct shell_lex *lex, const char *word, const struct cb_strvec *env,
		       struct cb_strvec *out, struct cb_error **err)
{
	struct shell_result res;

	if (shell_expand(lex, word, env, &res, err) < 0)
		return -1;
	for (size_t i = 0; i < res.words.n; i++)
		cb_strvec_push_take(out, steal_pointer(&res.words.v[i]));
	shell_result_release(&res);
	return 0;
}
