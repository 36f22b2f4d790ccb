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
 *     matching '\n'); shellpattern.c matches them with the same results;
 *   - ${v%p} reverses rune sequences as Go does, so it also normalises
 *     invalid UTF-8 in the value to U+FFFD;
 *   - ${v//p/r} goes through regexp.ReplaceAllString, whose replacement
 *     expands $0 / ${0} / $$ (and drops other $name references);
 *   - an unquoted "<<" keeps the blanks after it in its field (BuildKit
 *     v0.22's processPossibleHeredoc, moby/buildkit#5817), so `cat <<  EOF`
 *     splits into "cat" and "<<  EOF".
 *
 * Where the two Go versions differ, this follows the behaviour that the
 * shared vectors pin: ${v:#p} and ${v:%p} are rejected up front, and each
 * level of ${...} splits fields independently (BuildKit's newest lex.go
 * shares one field buffer between nested levels, which loses text before a
 * nested ${x:-...} in ProcessWords; that is treated as a bug, not copied).
 *
 * At the end, BuildKit's parseWords (df_parse_words): the splitter ENV,
 * LABEL and ARG use before this expansion, which keeps quotes and escapes.
 *
 * Everything lives on the stack of one call: no global state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dockerfile.h"
#include "parser-internal.h"
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
	int depth;	  /* nesting of ${...} (DF_SHELL_MAX_DEPTH) */
	struct cb_strvec matched, unmatched;
	struct fields *top; /* the word's own field splitting */
};

static int expand_dollar(struct expander *x, struct cb_strbuf *out, struct cb_error **err);

static size_t result_limit(const struct expander *x)
{
	return x->lex->max_result ? x->lex->max_result : DF_SHELL_MAX_RESULT;
}

static int too_large(const struct expander *x, struct cb_error **err)
{
	return cb_error_set(err, 0, "expansion larger than %zu bytes", result_limit(x));
}
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
			return df_shell_trim_suffix(pat, value ? value : "", greedy, out, err);
		return df_shell_trim_prefix(pat, value ? value : "", greedy, out, err);
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
	return df_shell_replace(pattern.buf, value ? value : "", repl.buf, all, result_limit(x),
				out, err);
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
		int ret;

		scan_next(&x->sc);
		if (x->depth >= DF_SHELL_MAX_DEPTH)
			return cb_error_set(err, 0, "substitutions nested more than %d deep",
					    DF_SHELL_MAX_DEPTH);
		x->depth++;
		ret = expand_braced(x, out, err);
		x->depth--;
		if (ret == 0 && out->len > result_limit(x))
			return too_large(x, err);
		return ret;
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
	if (out->len > result_limit(x))
		return too_large(x, err);
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

/* lex.go's isWhitespace: the blanks that processPossibleHeredoc takes. */
static bool heredoc_blank(int32_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/*
 * At '<' (BuildKit's processPossibleHeredoc): "<<" takes the blanks right
 * after it into the same field, so that heredocsFromLine sees `<<  EOF` as
 * one word, as its `<<(-?)\s*` pattern expects.  The text itself is copied
 * unchanged: only field splitting differs from an ordinary '<'.  BuildKit
 * does this in every mode, outside quotes and not after an escape.
 */
static void possible_heredoc(struct expander *x, struct cb_strbuf *out)
{
	add_rune(out, scan_next(&x->sc));
	if (scan_peek(&x->sc) != '<')
		return;
	add_rune(out, scan_next(&x->sc));
	while (heredoc_blank(scan_peek(&x->sc)))
		add_rune(out, scan_next(&x->sc));
}

/* Expand a '$', a possible heredoc or a quoted section; returns 1 when ch is none. */
static int special(struct expander *x, int32_t ch, struct cb_strbuf *out, struct fields *f,
		   struct cb_error **err)
{
	cleanup_strbuf struct cb_strbuf tmp = CB_STRBUF_INIT;
	int ret = 0;

	if (ch == '$')
		ret = expand_dollar(x, &tmp, err);
	else if (ch == '<')
		possible_heredoc(x, &tmp);
	else if (x->lex->skip_process_quotes || (ch != '\'' && ch != '"'))
		return 1;
	else if (ch == '\'')
		ret = single_quote(x, &tmp, err);
	else
		ret = double_quote(x, &tmp, err);
	if (ret < 0)
		return ret;
	if (out->len + tmp.len > result_limit(x))
		return too_large(x, err);
	cb_strbuf_add(out, tmp.buf, tmp.len);
	/* Field splitting applies to expansions, not to quoted text or "<<" blanks. */
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

	/*
	 * BuildKit's processStopOn resets one words buffer that every nested
	 * call shares (shellWord.wordsBuffer), so the inside of a ${...} with
	 * an operator drops the field being built around it: ProcessWords of
	 * `a${X:-b} c` is ["b", "c"] (ProcessWord is "ab c").
	 */
	if (!f && x->top)
		cb_strbuf_reset(&x->top->cur);
	x->raw_escapes = raw_escapes;
	ret = stop_on_loop(x, stop, out, f, err);
	x->raw_escapes = saved;
	return ret;
}

static void sort_unique(struct cb_strvec *sv)
{
	size_t n = 0;

	if (!sv->n)
		return;
	cb_strvec_sort(sv);
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
	x.top = &f;
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

/* ------------------------------------------------------------------------ */
/* parseWords: the quote-keeping word splitter of ENV, LABEL and ARG         */
/* ------------------------------------------------------------------------ */

/*
 * BuildKit's parseWords (parser/line_parsers.go): words split on whitespace
 * outside quotes, quotes and escapes kept for the expansion above to remove.
 */
void df_parse_words(const char *rest, int escape, struct cb_strvec *out)
{
	enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
	struct cb_strbuf w = CB_STRBUF_INIT;
	size_t len = strlen(rest), pos, width = 0;
	bool blank_ok = false;
	uint32_t ch = 0, quote = 0;

	for (pos = 0; pos <= len; pos += width) {
		if (pos != len)
			width = cb_utf8_decode(rest + pos, len - pos, &ch);
		if (phase == IN_SPACES) {
			if (pos == len)
				break;
			if (cb_rune_is_space(ch))
				continue;
			phase = IN_WORD;
		}
		if (pos == len) {
			if (blank_ok || w.len)
				cb_strvec_push(out, w.buf);
			break;
		}
		if (phase == IN_WORD) {
			if (cb_rune_is_space(ch)) {
				phase = IN_SPACES;
				if (blank_ok || w.len)
					cb_strvec_push(out, w.buf);
				cb_strbuf_reset(&w);
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = IN_QUOTE;
			}
			if (ch == (uint32_t)escape) {
				if (pos + width == len)
					continue; /* an escape at the very end is dropped */
				/* outside quotes the escape and the next char are both kept */
				cb_strbuf_add_rune(&w, ch);
				pos += width;
				width = cb_utf8_decode(rest + pos, len - pos, &ch);
			}
			cb_strbuf_add_rune(&w, ch);
			continue;
		}
		/* IN_QUOTE */
		if (ch == quote)
			phase = IN_WORD;
		if (ch == (uint32_t)escape && quote != '\'') {
			if (pos + width == len) {
				phase = IN_WORD;
				continue;
			}
			pos += width;
			cb_strbuf_add_rune(&w, ch);
			width = cb_utf8_decode(rest + pos, len - pos, &ch);
		}
		cb_strbuf_add_rune(&w, ch);
	}
	cb_strbuf_release(&w);
}
