/*
 * goregexp.c - the subset of Go's regexp (RE2 syntax, Perl flags) that
 * .dockerignore patterns can turn into, compiled to a Thompson NFA.
 *
 * moby/patternmatcher translates each pattern into Go regexp text and runs
 * it with Go's regexp package; dockerignore.c makes the same translation and
 * runs the text here.  A pattern's character class is copied verbatim, so
 * "[a?]" becomes "[a[^/]]" and Go's class syntax ([:alpha:], \d, \pL, ranges
 * checked for order) decides what it means: the parser accepts and rejects
 * what Go's regexp.Compile does for every text the translation can produce.
 * The translation leaves '|', '{' and '}' unescaped (patternmatcher's
 * escape bitmap loses them), so alternation and counted repetition
 * (`{n}`, `{n,}`, `{n,m}`, or a literal '{' when not one) are supported;
 * flags and captures are never produced and are rejected.
 *
 * Matching is a Thompson NFA simulation: linear in the subject, with no
 * blowup on "*a*a*a*b".  Only the yes/no answer of regexp.MatchString is
 * needed, so greedy and lazy repetitions compile alike.
 */
#include <stdint.h>
#include <string.h>

#include "cleanup.h"
#include "parser-internal.h"
#include "utf8.h"
#include "xalloc.h"

/* Go's regexp nesting limit (groups only come from the pattern translation). */
#define RX_MAX_DEPTH 1000
/* Go's limit on a counted repetition's numbers. */
#define RX_MAX_REPEAT 1000
/* A bound on the program, so `a{1000}` on every rune of a long line stays small. */
#define RX_MAX_INSTS (1u << 20)

enum rx_op { RX_RUNE, RX_CLASS, RX_ANY, RX_SPLIT, RX_JMP, RX_BOT, RX_EOT, RX_WB, RX_NWB, RX_MATCH };

/* One class member: the range lo..hi, or membership in tab (inverted by neg). */
struct rx_item {
	uint32_t lo, hi;
	const struct cb_rune_range *tab;
	size_t ntab;
	bool neg;
};

struct df_rx_class {
	struct rx_item *v;
	size_t n, alloc;
	bool neg;
};

struct df_rx_inst {
	enum rx_op op;
	uint32_t arg; /* the rune, or the class index */
	long x, y;    /* jump targets, relative to this instruction */
};

struct rx_parser {
	const char *s;
	size_t n, i;
	struct df_rx_prog *prog;
};

static const struct cb_rune_range rx_alnum[] = {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}};
static const struct cb_rune_range rx_alpha[] = {{'A', 'Z'}, {'a', 'z'}};
static const struct cb_rune_range rx_ascii[] = {{0, 0x7f}};
static const struct cb_rune_range rx_blank[] = {{'\t', '\t'}, {' ', ' '}};
static const struct cb_rune_range rx_cntrl[] = {{0, 0x1f}, {0x7f, 0x7f}};
static const struct cb_rune_range rx_digit[] = {{'0', '9'}};
static const struct cb_rune_range rx_graph[] = {{'!', '~'}};
static const struct cb_rune_range rx_lower[] = {{'a', 'z'}};
static const struct cb_rune_range rx_print[] = {{' ', '~'}};
static const struct cb_rune_range rx_punct[] = {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}};
static const struct cb_rune_range rx_space[] = {{'\t', '\r'}, {' ', ' '}};
static const struct cb_rune_range rx_upper[] = {{'A', 'Z'}};
static const struct cb_rune_range rx_word[] = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
static const struct cb_rune_range rx_xdigit[] = {{'0', '9'}, {'A', 'F'}, {'a', 'f'}};
static const struct cb_rune_range rx_perl_space[] = {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}};

struct rx_named {
	const char *name;
	const struct cb_rune_range *tab;
	size_t n;
};
#define RX_NAMED(name, tab)                                                                        \
	{                                                                                          \
		name, tab, sizeof(tab) / sizeof(tab[0])                                            \
	}
static const struct rx_named rx_posix[] = {
	RX_NAMED("alnum", rx_alnum), RX_NAMED("alpha", rx_alpha),   RX_NAMED("ascii", rx_ascii),
	RX_NAMED("blank", rx_blank), RX_NAMED("cntrl", rx_cntrl),   RX_NAMED("digit", rx_digit),
	RX_NAMED("graph", rx_graph), RX_NAMED("lower", rx_lower),   RX_NAMED("print", rx_print),
	RX_NAMED("punct", rx_punct), RX_NAMED("space", rx_space),   RX_NAMED("upper", rx_upper),
	RX_NAMED("word", rx_word),   RX_NAMED("xdigit", rx_xdigit),
};
/* Perl escapes \d \s \w (ASCII only in Go). */
static const struct rx_named rx_perl[] = {
	RX_NAMED("d", rx_digit),
	RX_NAMED("s", rx_perl_space),
	RX_NAMED("w", rx_word),
};

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

static void rx_emit(struct df_rx_prog *p, enum rx_op op, uint32_t arg, long x, long y)
{
	CB_ALLOC_GROW(p->code, p->n + 1, p->alloc);
	p->code[p->n++] = (struct df_rx_inst){op, arg, x, y};
}

/* Insert a SPLIT before code[at]; jumps are relative, so nothing else moves. */
static void rx_insert_split(struct df_rx_prog *p, size_t at, long x, long y)
{
	CB_ALLOC_GROW(p->code, p->n + 1, p->alloc);
	memmove(p->code + at + 1, p->code + at, (p->n - at) * sizeof(*p->code));
	p->code[at] = (struct df_rx_inst){RX_SPLIT, 0, x, y};
	p->n++;
}

/* Wrap code[start..n) in `*`, `+` or `?`. */
static void rx_repeat(struct df_rx_prog *p, size_t start, char op)
{
	long len = (long)(p->n - start);

	if (op == '*') {
		rx_insert_split(p, start, 1, len + 2);
		rx_emit(p, RX_JMP, 0, -(len + 1), 0);
	} else if (op == '+') {
		rx_emit(p, RX_SPLIT, 0, -len, 1);
	} else {
		rx_insert_split(p, start, 1, len + 1);
	}
}

static void rx_class_add(struct df_rx_class *c, struct rx_item item)
{
	CB_ALLOC_GROW(c->v, c->n + 1, c->alloc);
	c->v[c->n++] = item;
}

/* A new class, emitted as the next instruction; returned for filling in. */
static struct df_rx_class *rx_new_class(struct df_rx_prog *p, bool neg)
{
	CB_ALLOC_GROW(p->cls, p->ncls + 1, p->clsalloc);
	p->cls[p->ncls] = (struct df_rx_class){NULL, 0, 0, neg};
	rx_emit(p, RX_CLASS, (uint32_t)p->ncls, 0, 0);
	return &p->cls[p->ncls++];
}

/* parseEscape: s[i] is '\\'; the escaped rune, as Go's parser reads it. */
static bool rx_escape(struct rx_parser *P, uint32_t *out)
{
	const char *s = P->s;
	size_t n = P->n, i = P->i + 1;
	uint32_t c, r;
	const char *ce;

	if (i >= n)
		return false;
	i += cb_utf8_decode(s + i, n - i, &c);
	if (c < 0x80 && !is_ascii_alnum(c)) {
		r = c; /* escaped punctuation is itself */
	} else if (c >= '0' && c <= '7') {
		/* \1..\7 alone would be a backreference, which RE2 rejects */
		if (c != '0' && !(i < n && s[i] >= '0' && s[i] <= '7'))
			return false;
		r = c - '0';
		for (int k = 1; k < 3 && i < n && s[i] >= '0' && s[i] <= '7'; k++)
			r = r * 8 + (uint32_t)(s[i++] - '0');
	} else if (c == 'x') {
		if (n - i < 2 || unhex((unsigned char)s[i]) < 0 ||
		    unhex((unsigned char)s[i + 1]) < 0)
			return false;
		r = (uint32_t)(unhex((unsigned char)s[i]) * 16 + unhex((unsigned char)s[i + 1]));
		i += 2;
	} else if (c < 0x80 && c != 0 && (ce = strchr("afnrtv", (int)c))) {
		r = (uint32_t) "\a\f\n\r\t\v"[ce - "afnrtv"];
	} else {
		return false; /* \q, \é...: ErrInvalidEscape */
	}
	*out = r;
	P->i = i;
	return true;
}

static const struct cb_rune_range rx_any[] = {{0, 0x10FFFF}};

/*
 * Go's parseUnicodeClass at s[i] == '\\', s[i+1] 'p' or 'P': \pL (a
 * one-rune name), \p{Lu}, \p{^Lu} (negated), \p{Any}.  The names are
 * Go's unicode.Categories; its scripts (\p{Greek}) are not carried, so
 * they fail like an unknown name.  Returns 1 (added to c) or -1.
 */
static int rx_unicode_class(struct rx_parser *P, struct df_rx_class *c)
{
	const char *t = P->s + P->i, *name;
	size_t rem = P->n - P->i, nlen, seq;
	bool neg = t[1] == 'P';
	const struct cb_unicode_category *cat;

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
	if (nlen == 3 && !memcmp(name, "Any", 3)) {
		rx_class_add(c, (struct rx_item){0, 0, rx_any, 1, neg});
	} else if ((cat = cb_unicode_category(name, nlen))) {
		rx_class_add(c, (struct rx_item){0, 0, cat->ranges, cat->n, neg});
	} else {
		return -1;
	}
	P->i += seq;
	return 1;
}

/*
 * A named class at s[i]: [:alpha:] (inside brackets only), \d \s \w and
 * their negations, \pN \p{Name}.  Returns 1 when one was added to c, 0 when s[i]
 * starts none, -1 for a syntax error.
 */
static int rx_named_class(struct rx_parser *P, struct df_rx_class *c, bool in_brackets)
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
		for (size_t k = 0; k < sizeof(rx_posix) / sizeof(rx_posix[0]); k++) {
			if (strlen(rx_posix[k].name) == (size_t)(end - name) &&
			    !memcmp(rx_posix[k].name, name, (size_t)(end - name))) {
				rx_class_add(c, (struct rx_item){0, 0, rx_posix[k].tab,
								 rx_posix[k].n, neg});
				P->i += (size_t)(end + 2 - t);
				return 1;
			}
		}
		return -1;
	}
	if (rem < 2 || t[0] != '\\')
		return 0;
	for (size_t k = 0; k < sizeof(rx_perl) / sizeof(rx_perl[0]); k++) {
		if ((t[1] | 0x20) == rx_perl[k].name[0]) {
			rx_class_add(c, (struct rx_item){0, 0, rx_perl[k].tab, rx_perl[k].n,
							 t[1] < 'a'});
			P->i += 2;
			return 1;
		}
	}
	if (t[1] != 'p' && t[1] != 'P')
		return 0;
	return rx_unicode_class(P, c);
}

static bool rx_class_char(struct rx_parser *P, uint32_t *r)
{
	if (P->i >= P->n)
		return false;
	if (P->s[P->i] == '\\')
		return rx_escape(P, r);
	P->i += cb_utf8_decode(P->s + P->i, P->n - P->i, r);
	return true;
}

/* parseClass: s[i] is '['.  ']' first is literal, '-' is literal anywhere (Perl). */
static bool rx_parse_class(struct rx_parser *P)
{
	size_t ci = P->prog->ncls;
	bool first = true;

	P->i++;
	rx_new_class(P->prog, P->i < P->n && P->s[P->i] == '^');
	P->i += P->prog->cls[ci].neg;
	while (P->i >= P->n || P->s[P->i] != ']' || first) {
		uint32_t lo, hi;
		int named;

		first = false;
		if (P->i >= P->n)
			return false; /* missing closing ] */
		named = rx_named_class(P, &P->prog->cls[ci], true);
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
		rx_class_add(&P->prog->cls[ci], (struct rx_item){lo, hi, NULL, 0, false});
	}
	P->i++;
	return true;
}

/* An escape outside brackets; *atom gets the start of the last atom emitted. */
static bool rx_atom_escape(struct rx_parser *P, size_t *atom)
{
	static const char asserts[] = "AzbB";
	static const enum rx_op assert_ops[] = {RX_BOT, RX_EOT, RX_WB, RX_NWB};
	const char *t = P->s + P->i, *e;
	char c = P->n - P->i >= 2 ? t[1] : '\0';
	uint32_t r;

	if (c == 'Q') {
		/* \Q...\E: literal text up to \E or the end */
		e = memmem(t + 2, P->n - P->i - 2, "\\E", 2);
		for (P->i += 2; P->s + P->i < (e ? e : P->s + P->n);) {
			*atom = P->prog->n;
			P->i += cb_utf8_decode(P->s + P->i, P->n - P->i, &r);
			rx_emit(P->prog, RX_RUNE, r, 0, 0);
		}
		P->i = e ? (size_t)(e - P->s) + 2 : P->n;
		return true;
	}
	*atom = P->prog->n;
	if (c && (e = strchr(asserts, c))) {
		rx_emit(P->prog, assert_ops[e - asserts], 0, 0, 0);
		P->i += 2;
		return true;
	}
	if (c && strchr("dDsSwWpP", c))
		return rx_named_class(P, rx_new_class(P->prog, false), false) > 0;
	if (!rx_escape(P, &r))
		return false;
	rx_emit(P->prog, RX_RUNE, r, 0, 0);
	return true;
}

static bool rx_alt(struct rx_parser *P, int depth);

/* One atom at s[i]; *atom gets where it starts (unchanged if none, as for \Q\E). */
static bool rx_atom(struct rx_parser *P, size_t *atom, int depth)
{
	size_t start = P->prog->n;
	enum rx_op op;
	uint32_t r;

	switch (P->s[P->i]) {
	case '(':
		/* an unescaped '(' only comes from our translation of "**": no (?flags) */
		if (P->i + 1 < P->n && P->s[P->i + 1] == '?')
			return false;
		P->i++;
		if (!rx_alt(P, depth + 1) || P->i >= P->n)
			return false;
		P->i++; /* ')' */
		break;
	case '^':
	case '$':
	case '.':
		/* Perl flags: ^ and $ are text anchors, '.' does not match '\n' */
		op = P->s[P->i] == '^' ? RX_BOT : P->s[P->i] == '$' ? RX_EOT : RX_ANY;
		rx_emit(P->prog, op, 0, 0, 0);
		P->i++;
		break;
	case '[':
		if (!rx_parse_class(P))
			return false;
		break;
	case '\\':
		return rx_atom_escape(P, atom);
	default:
		P->i += cb_utf8_decode(P->s + P->i, P->n - P->i, &r);
		rx_emit(P->prog, RX_RUNE, r, 0, 0);
		break;
	}
	*atom = start;
	return true;
}

/* A number at s[i] written with a leading zero ("01"; "0" alone is fine). */
static bool rx_leading_zero(const struct rx_parser *P, size_t i)
{
	return i + 1 < P->n && P->s[i] == '0' && P->s[i + 1] >= '0' && P->s[i + 1] <= '9';
}

/*
 * Go's parseRepeat at s[i] == '{': `{n}`, `{n,}` or `{n,m}`; false (and i
 * unchanged) when the text is not one, and then '{' is a literal.
 */
static bool rx_repeat_spec(struct rx_parser *P, long *lo, long *hi)
{
	size_t i = P->i + 1;
	long a = 0, b;
	bool digits = false;

	/* Go's parseInt refuses leading zeros: `{01}` is literal text */
	if (rx_leading_zero(P, i))
		return false;
	while (i < P->n && P->s[i] >= '0' && P->s[i] <= '9') {
		a = a < 100000 ? a * 10 + (P->s[i] - '0') : a;
		digits = true;
		i++;
	}
	if (!digits || i >= P->n)
		return false;
	b = a;
	if (P->s[i] == ',') {
		i++;
		if (i < P->n && P->s[i] == '}') {
			b = -1;
		} else {
			if (rx_leading_zero(P, i))
				return false;
			digits = false;
			b = 0;
			while (i < P->n && P->s[i] >= '0' && P->s[i] <= '9') {
				b = b < 100000 ? b * 10 + (P->s[i] - '0') : b;
				digits = true;
				i++;
			}
			if (!digits)
				return false;
		}
	}
	if (i >= P->n || P->s[i] != '}')
		return false;
	P->i = i + 1;
	*lo = a;
	*hi = b;
	return true;
}

/* Append a copy of code[start..end) (relative jumps stay right). */
static void rx_copy(struct df_rx_prog *p, size_t start, size_t end)
{
	for (size_t k = start; k < end; k++) {
		struct df_rx_inst in = p->code[k];

		rx_emit(p, in.op, in.arg, in.x, in.y);
	}
}

/* Turn the atom at code[start..n) into lo..hi (hi -1: no bound) copies. */
static bool rx_counted(struct df_rx_prog *p, size_t start, long lo, long hi)
{
	size_t len = p->n - start, end = p->n;
	long copies = hi < 0 ? lo + 1 : hi;

	if (lo > RX_MAX_REPEAT || hi > RX_MAX_REPEAT || (hi >= 0 && hi < lo))
		return false; /* "invalid repeat count" */
	if ((size_t)copies * (len + 2) > RX_MAX_INSTS || p->n + (size_t)copies * (len + 2) > RX_MAX_INSTS)
		return false;
	if (lo == 0 && hi == 0) {
		p->n = start; /* x{0}: matches the empty string */
		return true;
	}
	/* the atom itself is the first copy */
	for (long k = 1; k < lo; k++)
		rx_copy(p, start, end);
	if (hi < 0) {
		if (lo == 0) {
			rx_repeat(p, start, '*');
		} else {
			size_t last = p->n;

			rx_copy(p, start, end);
			rx_repeat(p, last, '*');
		}
		return true;
	}
	if (lo == 0) {
		rx_repeat(p, start, '?');
		lo = 1;
	}
	/* the optional ones: a{2,4} is aa(a)?(a)?, the same language as aa(a(a)?)? */
	for (long k = lo; k < hi; k++) {
		size_t last = p->n;

		rx_copy(p, start, end);
		rx_repeat(p, last, '?');
	}
	return true;
}

/* A concatenation up to ')', '|' or the end, with * + ? {n,m} (and lazy forms) applied. */
static bool rx_seq(struct rx_parser *P, int depth)
{
	size_t atom = SIZE_MAX;
	bool last_repeat = false;

	if (depth > RX_MAX_DEPTH)
		return false;
	while (P->i < P->n && P->s[P->i] != ')' && P->s[P->i] != '|') {
		char c = P->s[P->i];
		long lo, hi;

		if (c == '*' || c == '+' || c == '?') {
			/* "missing argument" and "invalid nested repetition" in Go */
			if (atom == SIZE_MAX || last_repeat)
				return false;
			if (++P->i < P->n && P->s[P->i] == '?')
				P->i++; /* non-greedy: the same yes/no answer */
			rx_repeat(P->prog, atom, c);
			last_repeat = true;
			continue;
		}
		if (c == '{' && rx_repeat_spec(P, &lo, &hi)) {
			if (atom == SIZE_MAX || last_repeat)
				return false;
			if (P->i < P->n && P->s[P->i] == '?')
				P->i++;
			if (!rx_counted(P->prog, atom, lo, hi))
				return false;
			last_repeat = true;
			continue;
		}
		if (c == '{') {
			/* not a repetition: a literal '{' */
			P->i++;
			atom = P->prog->n;
			rx_emit(P->prog, RX_RUNE, '{', 0, 0);
			last_repeat = false;
			continue;
		}
		if (!rx_atom(P, &atom, depth))
			return false;
		last_repeat = false;
	}
	return P->prog->n <= RX_MAX_INSTS;
}

/* Alternatives separated by '|': SPLIT to the first, or jump past it to the rest. */
static bool rx_alt(struct rx_parser *P, int depth)
{
	size_t start = P->prog->n, jmp;

	if (!rx_seq(P, depth))
		return false;
	if (P->i >= P->n || P->s[P->i] != '|')
		return true;
	P->i++;
	rx_insert_split(P->prog, start, 1, (long)(P->prog->n - start) + 2);
	jmp = P->prog->n;
	rx_emit(P->prog, RX_JMP, 0, 0, 0);
	if (!rx_alt(P, depth + 1))
		return false;
	P->prog->code[jmp].x = (long)(P->prog->n - jmp);
	return true;
}

void df_rx_prog_release(struct df_rx_prog *p)
{
	for (size_t i = 0; i < p->ncls; i++)
		free(p->cls[i].v);
	free(p->cls);
	free(p->code);
	memset(p, 0, sizeof(*p));
}

bool df_rx_compile(const char *re, size_t len, struct df_rx_prog *prog)
{
	struct rx_parser P = {re, len, 0, prog};

	if (!rx_alt(&P, 0) || P.i != P.n) {
		df_rx_prog_release(prog);
		return false;
	}
	rx_emit(prog, RX_MATCH, 0, 0, 0);
	return true;
}

static bool rx_class_has(const struct df_rx_class *c, uint32_t r)
{
	bool in = false;

	for (size_t k = 0; k < c->n && !in; k++) {
		const struct rx_item *it = &c->v[k];

		in = it->tab ? cb_rune_in_ranges(it->tab, it->ntab, r) != it->neg
			     : it->lo <= r && r <= it->hi;
	}
	return in != c->neg;
}

static bool rx_is_word(int64_t r)
{
	return r >= 0 && r < 0x80 && (is_ascii_alnum((uint32_t)r) || r == '_');
}

/*
 * Follow the empty-width edges from the pcs on stack[0..*nstack) at a
 * position between runes prev and cur (-1 at the ends).  Consuming
 * instructions that accept cur leave pc+1 in next[].  True on RX_MATCH.
 */
static bool rx_closure(const struct df_rx_prog *p, size_t *stack, size_t nstack, unsigned *mark,
		       unsigned gen, int64_t prev, int64_t cur, size_t *next, size_t *nnext)
{
	while (nstack > 0) {
		size_t pc = stack[--nstack];
		const struct df_rx_inst *in = &p->code[pc];
		size_t to[2];
		int nto = 0;

		switch (in->op) {
		case RX_MATCH:
			return true;
		case RX_JMP:
			to[nto++] = pc + (size_t)in->x;
			break;
		case RX_SPLIT:
			to[nto++] = pc + (size_t)in->x;
			to[nto++] = pc + (size_t)in->y;
			break;
		case RX_BOT:
		case RX_EOT:
		case RX_WB:
		case RX_NWB:
			if ((in->op == RX_BOT && prev < 0) || (in->op == RX_EOT && cur < 0) ||
			    (in->op == RX_WB && rx_is_word(prev) != rx_is_word(cur)) ||
			    (in->op == RX_NWB && rx_is_word(prev) == rx_is_word(cur)))
				to[nto++] = pc + 1;
			break;
		default:
			if (cur >= 0 &&
			    (in->op == RX_RUNE	? in->arg == (uint32_t)cur
			     : in->op == RX_ANY ? cur != '\n'
						: rx_class_has(&p->cls[in->arg], (uint32_t)cur)))
				next[(*nnext)++] = pc + 1;
			break;
		}
		for (int k = 0; k < nto; k++) {
			if (mark[to[k]] != gen) {
				mark[to[k]] = gen;
				stack[nstack++] = to[k];
			}
		}
	}
	return false;
}

bool df_rx_run(const struct df_rx_prog *p, const char *s, size_t n)
{
	size_t sbuf[3 * 32];
	unsigned smark[32] = {0};
	cleanup_free size_t *hbuf = NULL;
	cleanup_free unsigned *hmark = NULL;
	size_t *seeds = sbuf, *next, *stack, nseeds = 0, pos = 0;
	unsigned *mark = smark, gen = 0;
	int64_t prev = -1;

	if (p->n > 32) {
		seeds = hbuf = xmalloc(cb_st_mult(3 * p->n, sizeof(size_t)));
		mark = hmark = xcalloc(p->n, sizeof(unsigned));
	}
	next = seeds + p->n;
	stack = next + p->n;
	for (;;) {
		uint32_t r = 0;
		size_t w = pos < n ? cb_utf8_decode(s + pos, n - pos, &r) : 0;
		size_t nstack = 0, nnext = 0;

		gen++;
		/* the start state at every position: an unanchored search */
		mark[0] = gen;
		stack[nstack++] = 0;
		for (size_t k = 0; k < nseeds; k++) {
			if (mark[seeds[k]] != gen) {
				mark[seeds[k]] = gen;
				stack[nstack++] = seeds[k];
			}
		}
		if (rx_closure(p, stack, nstack, mark, gen, prev, pos < n ? (int64_t)r : -1, next,
			       &nnext))
			return true;
		/* every thread died; new ones die at a leading ^ (all our regexps have one) */
		if (pos >= n || (nnext == 0 && p->code[0].op == RX_BOT))
			return false;
		memcpy(seeds, next, nnext * sizeof(*seeds));
		nseeds = nnext;
		prev = r;
		pos += w;
	}
}
