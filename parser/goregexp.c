/*
 * goregexp.c - Go's regexp syntax (RE2, Perl flags) read as Go reads it and
 * run with PCRE2.
 *
 * moby/patternmatcher translates each .dockerignore pattern into Go regexp
 * text and runs it with Go's regexp package; dockerignore.c makes the same
 * translation and hands the text here.  PCRE2's syntax is a superset with
 * other meanings in places (\s has \v, {01} is a count, \Q works inside
 * brackets, a** and x{2}{3} are fine, \Z \h \R \K \e exist), so the text is
 * not passed through: it is parsed as Go's regexp/syntax parses it, refused
 * where Go refuses it (bad escapes, backreferences, stacked repetitions,
 * counts over 1000, unknown class names, inverted ranges, invalid UTF-8),
 * and written out again in a PCRE2 spelling that means the same:
 *
 *	literals	as they are, but ASCII punctuation and controls as \x{..}
 *	.		[^\n]
 *	^ $		\A \z (Go's Perl flags: text anchors only)
 *	\d \s \w ...	explicit ASCII ranges (Go's are ASCII; Go's \s has no \v)
 *	[:alpha:] ...	explicit ASCII ranges
 *	\pL \p{Greek}	\p{L} \p{sc:Greek}, names resolved as Go 1.25+ does
 *	(...)		(?:...), and an empty-width atom in (?:...) before a repeat
 *
 * (gorxclass.c writes the classes.) *
 * PCRE2 runs in UTF mode without UCP (nothing emitted depends on it), and
 * a subject with invalid UTF-8 is matched with each bad byte as U+FFFD, as
 * Go decodes it.  Only regexp.MatchString's yes/no answer is needed, so
 * lazy repetitions are written greedy.
 *
 * Go's matcher is linear; PCRE2 backtracks.  A run of "**" directories
 * becomes (.*\/)?(.*\/)?... in the text, which backtracks exponentially on a
 * deep path; since (.*\/)? followed by (.*\/)? matches exactly what one
 * does, a run is written once.  Whatever else backtracks too much stops at
 * RX_MATCH_LIMIT and is reported as an error instead of taking minutes.
 * Go's other limit, on the size of the compiled program (about 3.3 million
 * instructions: "?{1000}" written 3400 times), is not modelled: such a
 * regexp is refused by Go and answered here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cleanup.h"
#include "parser-internal.h"
#include "utf8.h"
#include "xalloc.h"

/* Go's limit on a counted repetition's numbers (and on their nested product). */
#define RX_MAX_REPEAT 1000
/* Go's parse-tree height limit: here, on nested groups and stacked repetitions. */
#define RX_MAX_DEPTH 1000
/*
 * PCRE2's backtracking budget per match, about 25 ms.  Patterns whose
 * backtracking grows with the square of the path stay well inside it on
 * real paths ("*a*b" costs 65,000 steps on a 255-byte name, the most a
 * file system allows), not on a 4096-byte path of one-letter directories;
 * those that grow exponentially need far less.  Go would answer them all.
 */
#define RX_MATCH_LIMIT 1000000u
#define RX_MAX_RUNE 0x10FFFFu

CB_DEFINE_CLEANUP(pcre2_general_context, pcre2_general_context_free)
CB_DEFINE_CLEANUP(pcre2_compile_context, pcre2_compile_context_free)

struct df_rx {
	pcre2_code *code;
	pcre2_match_context *mctx;
};

struct df_rx_scratch {
	pcre2_match_data *md;
	struct cb_strbuf subject; /* the subject with invalid UTF-8 replaced */
};

/* One open group: where its "(?:" starts and the largest repeat product inside. */
struct rx_group {
	size_t start;
	uint32_t weight;
};

struct rx_parser {
	const char *s;
	size_t n, i;
	struct cb_strbuf out;
	/* the last atom of the current concatenation; SIZE_MAX: none (start, "(", "|") */
	size_t atom;
	bool atom_assert;   /* empty-width: PCRE2 repeats it only inside a group */
	bool atom_repeated; /* carries a repetition already (possible after \Q\E) */
	bool atom_dirs;	    /* an unrepeated "(.*\/)?" from a "**" directory */
	uint32_t weight;    /* Go's repeatIsValid: the largest count product inside */
	unsigned chain;	    /* repetitions stacked on the atom */
	bool last_repeat;   /* the previous token was a repetition */
	size_t depth;
	struct rx_group *groups;
};

/*
 * Go's parseUnicodeClass at s[i] == '\\', s[i+1] 'p' or 'P': \pL (a
 * one-rune name), \p{Name}, \p{^Name} (negated).  Returns 1 (appended to
 * body) or -1 for an unknown or unterminated name.
 */
static int rx_unicode_class(struct rx_parser *P, struct cb_strbuf *body)
{
	const char *t = P->s + P->i, *name;
	size_t rem = P->n - P->i, nlen, seq;
	bool neg = t[1] == 'P';
	if (rem < 3)
		return -1;
	if (t[2] != '{') {
		uint32_t r;

		name = t + 2;
		nlen = cb_utf8_decode(name, rem - 2, &r);
		seq = 2 + nlen;
	} else {
		const char *end = memchr(t + 3, '}', rem - 3);

		if (!end)
			return -1;
		name = t + 3;
		nlen = (size_t)(end - name);
		seq = (size_t)(end - t) + 1;
	}
	if (nlen && name[0] == '^') {
		neg = !neg;
		name++;
		nlen--;
	}
	if (!df_rx_unicode_class(name, nlen, neg, body))
		return -1;
	P->i += seq;
	return 1;
}

/*
 * A named class at s[i]: [:alpha:] (inside brackets only), \d \s \w and
 * their negations, \pN \p{Name}.  Returns 1 when one was appended to body,
 * 0 when s[i] starts none, -1 for a syntax error.
 */
static int rx_named_class(struct rx_parser *P, struct cb_strbuf *body, bool in_brackets)
{
	const char *t = P->s + P->i;
	size_t rem = P->n - P->i;

	if (in_brackets && rem > 2 && t[0] == '[' && t[1] == ':') {
		const char *end = memmem(t + 2, rem - 2, ":]", 2);
		const char *name = t + 2;
		bool neg;

		if (!end)
			return 0;
		neg = name < end && name[0] == '^';
		name += neg;
		if (!df_rx_posix_class(name, (size_t)(end - name), neg, body))
			return -1;
		P->i += (size_t)(end + 2 - t);
		return 1;
	}
	if (rem < 2 || t[0] != '\\')
		return 0;
	if (t[1] == 'p' || t[1] == 'P')
		return rx_unicode_class(P, body);
	if (!df_rx_perl_class(t[1], body))
		return 0;
	P->i += 2;
	return 1;
}

/* ---- escapes, literals and classes ---- */

static bool is_ascii_alnum(uint32_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static int unhex(uint32_t c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (int)((c | 0x20) - 'a' + 10);
	return -1;
}

/* Go's nextRune: the rune at s[i], false for invalid UTF-8 (ErrInvalidUTF8). */
static bool rx_next_rune(struct rx_parser *P, uint32_t *r)
{
	size_t w;

	if (P->i >= P->n)
		return false;
	w = cb_utf8_decode(P->s + P->i, P->n - P->i, r);
	if (*r == CB_RUNE_ERROR && w == 1)
		return false;
	P->i += w;
	return true;
}

/* \x{...}: any number of hex digits, at least one, up to U+10FFFF. */
static bool rx_hex_braces(struct rx_parser *P, uint32_t *out)
{
	uint32_t r = 0, c;
	int nhex = 0;

	for (;;) {
		if (!rx_next_rune(P, &c))
			return false;
		if (c == '}')
			break;
		if (unhex(c) < 0)
			return false;
		r = r * 16 + (uint32_t)unhex(c);
		if (r > RX_MAX_RUNE)
			return false;
		nhex++;
	}
	*out = r;
	return nhex > 0;
}

/* Go's parseEscape: s[i] is '\\'; the escaped rune, false for ErrInvalidEscape & co. */
static bool rx_escape(struct rx_parser *P, uint32_t *out)
{
	const char *ce;
	uint32_t c, x;

	P->i++;
	if (!rx_next_rune(P, &c))
		return false; /* trailing backslash, or invalid UTF-8 */
	if (c < 0x80 && !is_ascii_alnum(c)) {
		*out = c; /* escaped punctuation is itself */
		return true;
	}
	if (c >= '0' && c <= '7') {
		/* \1..\7 alone would be a backreference, which RE2 refuses */
		if (c != '0' && !(P->i < P->n && P->s[P->i] >= '0' && P->s[P->i] <= '7'))
			return false;
		*out = c - '0';
		for (int k = 1; k < 3 && P->i < P->n && P->s[P->i] >= '0' && P->s[P->i] <= '7'; k++)
			*out = *out * 8 + (uint32_t)(P->s[P->i++] - '0');
		return true;
	}
	if (c == 'x') {
		if (!rx_next_rune(P, &c))
			return false;
		if (c == '{')
			return rx_hex_braces(P, out);
		x = c;
		if (!rx_next_rune(P, &c) || unhex(x) < 0 || unhex(c) < 0)
			return false;
		*out = (uint32_t)(unhex(x) * 16 + unhex(c));
		return true;
	}
	if (c < 0x80 && c != 0 && (ce = strchr("afnrtv", (int)c))) {
		*out = (uint32_t) "\a\f\n\r\t\v"[ce - "afnrtv"];
		return true;
	}
	return false; /* \q, \Z, \h, \R, \K, \e, \é...: ErrInvalidEscape */
}

/* A literal rune outside brackets; a surrogate (never in a subject) matches nothing. */
static void rx_add_literal(struct cb_strbuf *out, uint32_t r)
{
	if (r >= 0xD800 && r <= 0xDFFF)
		cb_strbuf_addstr(out, "[^\\x{0}-\\x{10ffff}]");
	else if (r < 0x80 && is_ascii_alnum(r))
		cb_strbuf_addch(out, (int)r);
	else if (r >= 0x80)
		cb_strbuf_add_rune(out, r);
	else
		cb_strbuf_addf(out, "\\x{%x}", r);
}

static bool rx_class_char(struct rx_parser *P, uint32_t *r)
{
	if (P->i >= P->n)
		return false; /* missing closing ] */
	if (P->s[P->i] == '\\')
		return rx_escape(P, r);
	return rx_next_rune(P, r);
}

/* The items of a class up to its ']' (Go's parseClass loop) into body. */
static bool rx_class_items(struct rx_parser *P, struct cb_strbuf *body)
{
	bool first = true;

	while (P->i >= P->n || P->s[P->i] != ']' || first) {
		uint32_t lo, hi;
		int named;

		first = false;
		if (P->i >= P->n)
			return false; /* missing closing ] */
		named = rx_named_class(P, body, true);
		if (named < 0)
			return false;
		if (named > 0)
			continue;
		if (!rx_class_char(P, &lo))
			return false;
		hi = lo;
		if (P->n - P->i >= 2 && P->s[P->i] == '-' && P->s[P->i + 1] != ']') {
			P->i++;
			if (!rx_class_char(P, &hi) || hi < lo)
				return false; /* "[Local-Only]" fails here, as in Go */
		}
		df_rx_add_range(body, lo, hi);
	}
	P->i++;
	return true;
}

/* s[i] is '['.  ']' first is literal, '-' is literal anywhere (Perl). */
static bool rx_parse_class(struct rx_parser *P)
{
	struct cb_strbuf body = CB_STRBUF_INIT;
	bool neg, ok;

	P->i++;
	neg = P->i < P->n && P->s[P->i] == '^';
	P->i += neg;
	ok = rx_class_items(P, &body);
	if (ok)
		df_rx_add_class(&P->out, &body, neg);
	cb_strbuf_release(&body);
	return ok;
}

/* ---- atoms and repetition ---- */

/* Keep the last atom's repeat product in its group's before it is left behind. */
static void rx_fold_weight(struct rx_parser *P)
{
	struct rx_group *g = &P->groups[P->depth];

	if (P->atom != SIZE_MAX && P->weight > g->weight)
		g->weight = P->weight;
}

/* After "(" and "|": nothing to repeat yet, nothing to merge a "**" run with. */
static void rx_no_atom(struct rx_parser *P)
{
	rx_fold_weight(P);
	P->atom = SIZE_MAX;
	P->atom_dirs = false;
}

/* A new atom starts at the end of the output. */
static void rx_new_atom(struct rx_parser *P, bool empty_width)
{
	rx_fold_weight(P);
	P->atom = P->out.len;
	P->atom_assert = empty_width;
	P->atom_repeated = false;
	P->atom_dirs = false;
	P->weight = 1;
	P->chain = 0;
}

/*
 * Go's repeat: op (PCRE2 text) applies to the last atom.  Refused after
 * another repetition (a**, a*+, x{2}{3}), with nothing to repeat, and when
 * nested counts multiply past 1000 (repeatIsValid).  lo/hi: the count of
 * {lo,hi} (hi -1 for no bound), or -1/-1 for * + ?.
 */
static bool rx_apply_repeat(struct rx_parser *P, const char *op, long lo, long hi)
{
	if (P->last_repeat || P->atom == SIZE_MAX || ++P->chain > RX_MAX_DEPTH)
		return false;
	if (lo >= 0) {
		uint64_t m = (uint64_t)(hi < 0 ? lo : hi);

		if ((lo >= 2 || hi >= 2) && m != 0 && m * P->weight > RX_MAX_REPEAT)
			return false; /* "invalid repeat count" */
		P->weight = m == 0 ? 1 : (uint32_t)(m * P->weight);
	}
	if (P->atom_assert || P->atom_repeated) {
		/* PCRE2 repeats neither \b nor a repeated item: group it first */
		cb_strbuf_grow(&P->out, 3);
		memmove(P->out.buf + P->atom + 3, P->out.buf + P->atom, P->out.len - P->atom + 1);
		memcpy(P->out.buf + P->atom, "(?:", 3);
		P->out.len += 3;
		cb_strbuf_addch(&P->out, ')');
	}
	cb_strbuf_addstr(&P->out, op);
	P->atom_assert = P->atom_dirs = false;
	P->atom_repeated = true;
	P->last_repeat = true;
	return true;
}

/* A number of a count at s[i] (Go's parseInt: no leading zero, huge as 100001). */
static bool rx_count(const struct rx_parser *P, size_t *i, long *v)
{
	bool digits = false;

	if (*i + 1 < P->n && P->s[*i] == '0' && P->s[*i + 1] >= '0' && P->s[*i + 1] <= '9')
		return false;
	*v = 0;
	while (*i < P->n && P->s[*i] >= '0' && P->s[*i] <= '9') {
		*v = *v <= RX_MAX_REPEAT ? *v * 10 + (P->s[*i] - '0') : *v;
		digits = true;
		(*i)++;
	}
	return digits;
}

/*
 * Go's parseRepeat at s[i] == '{': `{n}`, `{n,}` or `{n,m}`; false (and i
 * unchanged) when the text is not one, and then '{' is a literal.
 */
static bool rx_repeat_spec(struct rx_parser *P, long *lo, long *hi)
{
	size_t i = P->i + 1;

	if (!rx_count(P, &i, lo) || i >= P->n)
		return false;
	*hi = *lo;
	if (P->s[i] == ',') {
		i++;
		if (i < P->n && P->s[i] == '}')
			*hi = -1;
		else if (!rx_count(P, &i, hi))
			return false;
	}
	if (i >= P->n || P->s[i] != '}')
		return false;
	P->i = i + 1;
	return true;
}

/* A repetition operator at s[i]: * + ? or a count; 0 when '{' starts none. */
static int rx_repeat(struct rx_parser *P)
{
	char c = P->s[P->i], op[32];
	long lo = -1, hi = -1;

	if (c == '{') {
		if (!rx_repeat_spec(P, &lo, &hi))
			return 0;
		if (lo > RX_MAX_REPEAT || hi > RX_MAX_REPEAT || (hi >= 0 && hi < lo))
			return -1; /* "invalid repeat count" */
		if (hi == lo)
			snprintf(op, sizeof(op), "{%ld}", lo);
		else
			snprintf(op, sizeof(op), hi < 0 ? "{%ld,}" : "{%ld,%ld}", lo, hi);
	} else {
		P->i++;
		op[0] = c;
		op[1] = '\0';
	}
	if (P->i < P->n && P->s[P->i] == '?')
		P->i++; /* lazy: the same yes/no answer */
	return rx_apply_repeat(P, op, lo, hi) ? 1 : -1;
}

/* \Q...\E: literal text up to \E or the end of the regexp, one atom per rune. */
static bool rx_quote(struct rx_parser *P)
{
	const char *e = memmem(P->s + P->i + 2, P->n - P->i - 2, "\\E", 2);
	size_t end = e ? (size_t)(e - P->s) : P->n;
	uint32_t r;

	P->i += 2;
	while (P->i < end) {
		size_t w = cb_utf8_decode(P->s + P->i, end - P->i, &r);

		if (r == CB_RUNE_ERROR && w == 1)
			return false;
		P->i += w;
		rx_new_atom(P, false);
		rx_add_literal(&P->out, r);
	}
	P->i = e ? end + 2 : P->n;
	return true;
}

/* An escape outside brackets, in the order Go's parser tries them. */
static bool rx_atom_escape(struct rx_parser *P)
{
	static const char asserts[] = "AbBz";
	static const char *const assert_text[] = {"\\A", "\\b", "\\B", "\\z"};
	char c = P->n - P->i >= 2 ? P->s[P->i + 1] : '\0';
	const char *e;
	uint32_t r;

	if (c == 'Q')
		return rx_quote(P);
	if (c && (e = strchr(asserts, c))) {
		/* \b and \B are ASCII word boundaries without UCP, as in Go */
		rx_new_atom(P, true);
		cb_strbuf_addstr(&P->out, assert_text[e - asserts]);
		P->i += 2;
		return true;
	}
	if (c && strchr("pPdDsSwW", c)) {
		struct cb_strbuf body = CB_STRBUF_INIT;
		bool ok = rx_named_class(P, &body, false) > 0;

		if (ok) {
			rx_new_atom(P, false);
			df_rx_add_class(&P->out, &body, false);
		}
		cb_strbuf_release(&body);
		return ok;
	}
	if (!rx_escape(P, &r))
		return false; /* \C, \Z, \1 ...: refused by Go */
	rx_new_atom(P, false);
	rx_add_literal(&P->out, r);
	return true;
}

/*
 * "(.*\/)?", which the translation writes for each "**" directory, at s[i]:
 * a second one right after the first adds nothing ((.*\/)?(.*\/)? matches
 * what (.*\/)? does), so it is dropped, unless a repetition could still
 * apply to it (a quantifier or \Q next).  Returns false when s[i] is not one.
 */
static bool rx_dirs(struct rx_parser *P)
{
	static const char dirs[] = "(.*/)?";
	size_t len = sizeof(dirs) - 1, after = P->i + len;

	if (P->n - P->i < len || memcmp(P->s + P->i, dirs, len))
		return false;
	if (after < P->n && (strchr("*+?{", P->s[after]) ||
			     (P->s[after] == '\\' && after + 1 < P->n && P->s[after + 1] == 'Q')))
		return false;
	if (!P->atom_dirs) {
		rx_new_atom(P, false);
		cb_strbuf_addstr(&P->out, "(?:[^\\n]*/)?");
		P->atom_repeated = P->atom_dirs = true;
	}
	P->i = after;
	P->last_repeat = true; /* as after the '?' */
	return true;
}

static bool rx_open(struct rx_parser *P)
{
	/* '(' only comes from the translation of "**": never (?flags) nor names */
	if (P->i + 1 < P->n && P->s[P->i + 1] == '?')
		return false;
	if (P->depth >= RX_MAX_DEPTH)
		return false; /* "expression nests too deeply" */
	rx_no_atom(P);
	P->groups[++P->depth] = (struct rx_group){P->out.len, 1};
	cb_strbuf_addstr(&P->out, "(?:");
	P->i++;
	return true;
}

static bool rx_close(struct rx_parser *P)
{
	struct rx_group g;

	if (P->depth == 0)
		return false; /* "unexpected )" */
	rx_fold_weight(P);
	g = P->groups[P->depth--];
	cb_strbuf_addch(&P->out, ')');
	/* the group is now the last atom of the enclosing sequence */
	P->atom = g.start;
	P->weight = g.weight;
	P->atom_assert = P->atom_repeated = P->atom_dirs = false;
	P->chain = 0;
	P->i++;
	return true;
}

/* One token at s[i] that is not a repetition. */
static bool rx_token(struct rx_parser *P)
{
	uint32_t r;

	switch (P->s[P->i]) {
	case '(':
		return rx_dirs(P) || rx_open(P);
	case ')':
		return rx_close(P);
	case '|':
		rx_no_atom(P);
		cb_strbuf_addch(&P->out, '|');
		P->i++;
		return true;
	case '^':
	case '$':
		/* Perl flags: text anchors */
		rx_new_atom(P, true);
		cb_strbuf_addstr(&P->out, P->s[P->i] == '^' ? "\\A" : "\\z");
		P->i++;
		return true;
	case '.':
		rx_new_atom(P, false);
		cb_strbuf_addstr(&P->out, "[^\\n]");
		P->i++;
		return true;
	case '[':
		rx_new_atom(P, false);
		return rx_parse_class(P);
	case '\\':
		return rx_atom_escape(P);
	default:
		if (!rx_next_rune(P, &r))
			return false; /* invalid UTF-8 */
		rx_new_atom(P, false);
		rx_add_literal(&P->out, r);
		return true;
	}
}

/* Parse Go regexp text into P->out, PCRE2 syntax; false when Go refuses it. */
static bool rx_translate(struct rx_parser *P)
{
	while (P->i < P->n) {
		char c = P->s[P->i];
		int rep = 0;

		if (c == '*' || c == '+' || c == '?' || c == '{') {
			rep = rx_repeat(P);
			if (rep < 0)
				return false;
		}
		if (rep > 0)
			continue;
		P->last_repeat = false;
		if (c == '{') {
			/* not a repetition: a literal '{' */
			rx_new_atom(P, false);
			rx_add_literal(&P->out, '{');
			P->i++;
		} else if (!rx_token(P)) {
			return false;
		}
	}
	return P->depth == 0; /* "missing closing )" */
}

/* ---- compiling and matching ---- */

static void *rx_malloc(PCRE2_SIZE n, void *data)
{
	(void)data;
	return xmalloc(n ? n : 1);
}

static void rx_free(void *p, void *data)
{
	(void)data;
	free(p);
}

/*
 * PCRE2's memory through xmalloc, so that no allocation can fail; every
 * object made with it keeps a copy of the functions, so callers free it
 * right away.
 */
static pcre2_general_context *rx_memory(void)
{
	return pcre2_general_context_create(rx_malloc, rx_free, NULL);
}

/* PCRE2 compiles what the translation wrote: on failure *err says why. */
static pcre2_code *rx_pcre2(const struct cb_strbuf *text, struct cb_error **err)
{
	cleanup_fn(pcre2_general_context_free) pcre2_general_context *mem = rx_memory();
	cleanup_fn(pcre2_compile_context_free) pcre2_compile_context *cctx = NULL;
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	pcre2_code *code;
	int ec;

	cctx = pcre2_compile_context_create(mem);
	/* no \R or \N{...} surprises: the text names every character itself */
	pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
	code = pcre2_compile((PCRE2_SPTR)text->buf, text->len,
			     PCRE2_UTF | PCRE2_NEVER_UCP | PCRE2_DOLLAR_ENDONLY |
				     PCRE2_NEVER_BACKSLASH_C,
			     &ec, &off, cctx);
	if (code)
		return code;
	/* Go accepts it but PCRE2 does not (too large, too deep, a newer script) */
	if (pcre2_get_error_message(ec, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", ec);
	cb_error_set(err, 0, "the regexp engine cannot compile it: %s", (const char *)msg);
	return NULL;
}

struct df_rx *df_rx_compile(const char *re, size_t len, struct cb_error **err)
{
	struct rx_parser P = {.s = re, .n = len, .out = CB_STRBUF_INIT, .atom = SIZE_MAX};
	cleanup_fn(pcre2_general_context_free) pcre2_general_context *mem = NULL;
	struct df_rx *rx = NULL;
	pcre2_code *code = NULL;

	P.groups = xcalloc(RX_MAX_DEPTH + 1, sizeof(*P.groups));
	if (!rx_translate(&P))
		cb_error_set(err, 0, "syntax error in pattern");
	else
		code = rx_pcre2(&P.out, err);
	free(P.groups);
	cb_strbuf_release(&P.out);
	if (!code)
		return NULL;
	mem = rx_memory();
	rx = xcalloc(1, sizeof(*rx));
	rx->code = code;
	rx->mctx = pcre2_match_context_create(mem);
	/* PCRE2's own depth and heap limits (10 million, 20 MB) stay as they are */
	pcre2_set_match_limit(rx->mctx, RX_MATCH_LIMIT);
	return rx;
}

void df_rx_free(struct df_rx *rx)
{
	if (rx) {
		pcre2_match_context_free(rx->mctx);
		pcre2_code_free(rx->code);
	}
	free(rx);
}

void df_rx_scratch_free(struct df_rx_scratch *sc)
{
	if (!sc)
		return;
	pcre2_match_data_free(sc->md);
	cb_strbuf_release(&sc->subject);
	free(sc);
}

/* s[0:n] with every byte that is not valid UTF-8 as U+FFFD, as Go reads a string. */
static void rx_sanitize(struct cb_strbuf *out, const char *s, size_t n)
{
	cb_strbuf_reset(out);
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t w = cb_utf8_decode(s + i, n - i, &r);

		if (r == CB_RUNE_ERROR && w == 1)
			cb_strbuf_addstr(out, "\xEF\xBF\xBD");
		else
			cb_strbuf_add(out, s + i, w);
		i += w;
	}
}

int df_rx_match(const struct df_rx *rx, const char *s, size_t n, struct df_rx_scratch **scratch,
		struct cb_error **err)
{
	struct df_rx_scratch *sc = *scratch;
	int rc;

	if (!sc) {
		cleanup_fn(pcre2_general_context_free) pcre2_general_context *mem = rx_memory();

		sc = *scratch = xcalloc(1, sizeof(*sc));
		cb_strbuf_init(&sc->subject);
		sc->md = pcre2_match_data_create(1, mem);
	}
	rc = pcre2_match(rx->code, (PCRE2_SPTR)s, n, 0, 0, sc->md, rx->mctx);
	if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) {
		rx_sanitize(&sc->subject, s, n);
		rc = pcre2_match(rx->code, (PCRE2_SPTR)sc->subject.buf, sc->subject.len, 0,
				 PCRE2_NO_UTF_CHECK, sc->md, rx->mctx);
	}
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT)
		return cb_error_set(err, 0, "matching `%.*s` backtracks more than %u steps", (int)n,
				    s, RX_MATCH_LIMIT);
	return cb_error_set(err, 0, "matching `%.*s`: regexp engine error %d", (int)n, s, rc);
}
