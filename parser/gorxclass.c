/*
 * gorxclass.c - the character classes of Go's regexp syntax, written out
 * for PCRE2 (see goregexp.c): Perl escapes and POSIX names as the explicit
 * ASCII ranges Go gives them, Unicode names resolved as Go 1.25 and later
 * resolve them and spelt as PCRE2 properties.
 */
#include <string.h>

#include "parser-internal.h"
#include "utf8.h"

#define RX_MAX_RUNE 0x10FFFFu

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
static const struct cb_rune_range rx_any[] = {{0, RX_MAX_RUNE}};

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
/* Perl escapes \d \s \w (ASCII only in Go; its \s has no \v). */
static const struct rx_named rx_perl[] = {
	RX_NAMED("d", rx_digit),
	RX_NAMED("s", rx_perl_space),
	RX_NAMED("w", rx_word),
};

/* Append \x{lo}-\x{hi} (lo..hi clipped to non-surrogates: a subject holds none). */
void df_rx_add_range(struct cb_strbuf *body, uint32_t lo, uint32_t hi)
{
	if (lo >= 0xD800 && lo <= 0xDFFF)
		lo = 0xE000;
	if (hi >= 0xD800 && hi <= 0xDFFF)
		hi = 0xD7FF;
	if (lo > hi)
		return;
	cb_strbuf_addf(body, "\\x{%x}", lo);
	if (hi != lo)
		cb_strbuf_addf(body, "-\\x{%x}", hi);
}

/* Append the sorted ranges t[0..n), or everything they leave out when neg. */
static void rx_add_ranges(struct cb_strbuf *body, const struct cb_rune_range *t, size_t n, bool neg)
{
	uint32_t next = 0;

	for (size_t k = 0; k < n; k++) {
		if (!neg)
			df_rx_add_range(body, t[k].lo, t[k].hi);
		else if (t[k].lo > next)
			df_rx_add_range(body, next, t[k].lo - 1);
		next = t[k].hi + 1;
	}
	if (neg && next <= RX_MAX_RUNE)
		df_rx_add_range(body, next, RX_MAX_RUNE);
}

/* Write a class from its body: an empty one matches nothing (or, negated, anything). */
void df_rx_add_class(struct cb_strbuf *out, const struct cb_strbuf *body, bool neg)
{
	if (body->len == 0) {
		cb_strbuf_addstr(out, neg ? "[\\x{0}-\\x{10ffff}]" : "[^\\x{0}-\\x{10ffff}]");
		return;
	}
	cb_strbuf_addstr(out, neg ? "[^" : "[");
	cb_strbuf_add(out, body->buf, body->len);
	cb_strbuf_addch(out, ']');
}

/* ---- Unicode class names, as Go 1.25 and later resolve them ---- */

/* Go's unicode.Categories keys (Go's C has no Cn: see rx_unicode_table). */
static const char *const rx_categories[] = {
	"C",  "Cc", "Cf", "Cn", "Co", "Cs", "L",  "Ll", "Lm", "Lo", "Lt", "Lu", "M",
	"Mc", "Me", "Mn", "N",	"Nd", "Nl", "No", "P",	"Pc", "Pd", "Pe", "Pf", "Pi",
	"Po", "Ps", "S",  "Sc", "Sk", "Sm", "So", "Z",	"Zl", "Zp", "Zs",
};

/* unicode.CategoryAliases under Go's canonical names, with what they stand for. */
static const char *const rx_aliases[][2] = {
	{"Casedletter", "Lc"},
	{"Closepunctuation", "Pe"},
	{"Cntrl", "Cc"},
	{"Combiningmark", "M"},
	{"Connectorpunctuation", "Pc"},
	{"Control", "Cc"},
	{"Currencysymbol", "Sc"},
	{"Dashpunctuation", "Pd"},
	{"Decimalnumber", "Nd"},
	{"Digit", "Nd"},
	{"Enclosingmark", "Me"},
	{"Finalpunctuation", "Pf"},
	{"Format", "Cf"},
	{"Initialpunctuation", "Pi"},
	{"Letter", "L"},
	{"Letternumber", "Nl"},
	{"Lineseparator", "Zl"},
	{"Lowercaseletter", "Ll"},
	{"Mark", "M"},
	{"Mathsymbol", "Sm"},
	{"Modifierletter", "Lm"},
	{"Modifiersymbol", "Sk"},
	{"Nonspacingmark", "Mn"},
	{"Number", "N"},
	{"Openpunctuation", "Ps"},
	{"Other", "C"},
	{"Otherletter", "Lo"},
	{"Othernumber", "No"},
	{"Otherpunctuation", "Po"},
	{"Othersymbol", "So"},
	{"Paragraphseparator", "Zp"},
	{"Privateuse", "Co"},
	{"Punct", "P"},
	{"Punctuation", "P"},
	{"Separator", "Z"},
	{"Spaceseparator", "Zs"},
	{"Spacingmark", "Mc"},
	{"Surrogate", "Cs"},
	{"Symbol", "S"},
	{"Titlecaseletter", "Lt"},
	{"Unassigned", "Cn"},
	{"Uppercaseletter", "Lu"},
};

/*
 * The unicode.Scripts keys Go can find: it canonicalises the name first
 * and the keys keep their underscores, so \p{Old_Italic} is an error in Go
 * and only these one-word names resolve.
 */
static const char rx_scripts[] =
	" Adlam Ahom Arabic Armenian Avestan Balinese Bamum Batak Bengali Bhaiksuki Bopomofo"
	" Brahmi Braille Buginese Buhid Carian Chakma Cham Cherokee Chorasmian Common Coptic"
	" Cuneiform Cypriot Cyrillic Deseret Devanagari Dogra Duployan Elbasan Elymaic Ethiopic"
	" Georgian Glagolitic Gothic Grantha Greek Gujarati Gurmukhi Han Hangul Hanunoo Hatran"
	" Hebrew Hiragana Inherited Javanese Kaithi Kannada Katakana Kawi Kharoshthi Khmer Khojki"
	" Khudawadi Lao Latin Lepcha Limbu Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic"
	" Manichaean Marchen Medefaidrin Miao Modi Mongolian Mro Multani Myanmar Nabataean"
	" Nandinagari Newa Nko Nushu Ogham Oriya Osage Osmanya Palmyrene Phoenician Rejang Runic"
	" Samaritan Saurashtra Sharada Shavian Siddham Sinhala Sogdian Soyombo Sundanese Syriac"
	" Tagalog Tagbanwa Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta"
	" Toto Ugaritic Vai Vithkuqi Wancho Yezidi Yi ";

/* Go's canonicalName: '_', '-' and ' ' dropped, the first letter up, the rest down. */
static bool rx_canonical(const char *name, size_t len, char *buf, size_t bufsz)
{
	size_t w = 0;

	for (size_t k = 0; k < len; k++) {
		char c = name[k];

		if (c == '_' || c == '-' || c == ' ')
			continue;
		if (w == 0 && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (w > 0 && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (w + 1 >= bufsz)
			return false; /* longer than any name Go knows */
		buf[w++] = c;
	}
	buf[w] = '\0';
	return true;
}

static bool rx_is_category(const char *name)
{
	for (size_t k = 0; k < sizeof(rx_categories) / sizeof(rx_categories[0]); k++)
		if (!strcmp(rx_categories[k], name))
			return true;
	return false;
}

static bool rx_is_script(const char *name)
{
	size_t len = strlen(name);
	const char *p = rx_scripts;

	if (len == 0)
		return false;
	while ((p = strstr(p + 1, name)))
		if (p[-1] == ' ' && p[len] == ' ')
			return true;
	return false;
}

/* Go's unicodeTable for a canonical name: appends what it names (or not) to body. */
static bool rx_unicode_table(const char *name, bool neg, struct cb_strbuf *body)
{
	const char *p = neg ? "\\P" : "\\p";

	for (size_t k = 0; k < sizeof(rx_aliases) / sizeof(rx_aliases[0]); k++)
		if (!strcmp(rx_aliases[k][0], name))
			name = rx_aliases[k][1];
	if (!strcmp(name, "Any")) {
		rx_add_ranges(body, rx_any, 1, neg);
	} else if (!strcmp(name, "Ascii")) {
		rx_add_ranges(body, rx_ascii, 1, neg);
	} else if (!strcmp(name, "Assigned")) {
		cb_strbuf_addstr(body, neg ? "\\p{Cn}" : "\\P{Cn}");
	} else if (!strcmp(name, "Lc")) {
		cb_strbuf_addf(body, "%s{L&}", p);
	} else if (!strcmp(name, "C")) {
		/* Go's C is Cc, Cf, Co and Cs (no unassigned Cn), unlike PCRE2's */
		cb_strbuf_addstr(body, neg ? "\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Z}\\p{Cn}"
					   : "\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}");
	} else if (rx_is_category(name)) {
		cb_strbuf_addf(body, "%s{%s}", p, name);
	} else if (rx_is_script(name)) {
		/* sc: the Script property, as Go's tables (bare names are Script_Extensions) */
		cb_strbuf_addf(body, "%s{sc:%s}", p, name);
	} else {
		return false;
	}
	return true;
}

bool df_rx_posix_class(const char *name, size_t len, bool neg, struct cb_strbuf *body)
{
	for (size_t k = 0; k < sizeof(rx_posix) / sizeof(rx_posix[0]); k++) {
		if (strlen(rx_posix[k].name) == len && !memcmp(rx_posix[k].name, name, len)) {
			rx_add_ranges(body, rx_posix[k].tab, rx_posix[k].n, neg);
			return true;
		}
	}
	return false;
}

bool df_rx_perl_class(char c, struct cb_strbuf *body)
{
	for (size_t k = 0; k < sizeof(rx_perl) / sizeof(rx_perl[0]); k++) {
		if ((c | 0x20) == rx_perl[k].name[0]) {
			rx_add_ranges(body, rx_perl[k].tab, rx_perl[k].n, c < 'a');
			return true;
		}
	}
	return false;
}

bool df_rx_unicode_class(const char *name, size_t len, bool neg, struct cb_strbuf *body)
{
	char canon[32];

	return rx_canonical(name, len, canon, sizeof(canon)) && rx_unicode_table(canon, neg, body);
}
