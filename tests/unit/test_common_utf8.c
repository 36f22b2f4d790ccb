/*
 * test_common_utf8.c - UTF-8 decoding as Go's utf8.DecodeRune, Go's unicode
 * classes and strconv.Quote (every expectation here was printed by Go).
 */
#include "cbtest.h"

#include <string.h>

#include "strbuf.h"
#include "utf8.h"

static void decode_case(const char *s, size_t len, uint32_t rune, size_t width)
{
	uint32_t r = 0;
	size_t w = cb_utf8_decode(s, len, &r);

	if (r != rune || w != width)
		fail_msg("decode of %zu bytes: U+%04X/%zu, expected U+%04X/%zu", len, r, w, rune,
			 width);
}

static void test_decode(void **state)
{
	(void)state;
	decode_case("a", 1, 'a', 1);
	decode_case("\x7f", 1, 0x7f, 1);
	decode_case("\xC3\xA9", 2, 0xE9, 2);
	decode_case("\xE0\xA0\x80", 3, 0x800, 3);
	decode_case("\xEF\xBF\xBD", 3, 0xFFFD, 3);
	decode_case("\xF0\x90\x80\x80", 4, 0x10000, 4);
	decode_case("\xF4\x8F\xBF\xBF", 4, 0x10FFFF, 4);
	/* invalid: U+FFFD, width 1 */
	decode_case("\xC2", 1, CB_RUNE_ERROR, 1);	      /* truncated */
	decode_case("\xC3\xA9", 1, CB_RUNE_ERROR, 1);	      /* len cuts it */
	decode_case("\xC0\xAF", 2, CB_RUNE_ERROR, 1);	      /* overlong */
	decode_case("\xE0\x80\x80", 3, CB_RUNE_ERROR, 1);     /* overlong */
	decode_case("\xED\xA0\x80", 3, CB_RUNE_ERROR, 1);     /* surrogate */
	decode_case("\xF0\x8F\xBF\xBF", 4, CB_RUNE_ERROR, 1); /* overlong */
	decode_case("\xF4\x90\x80\x80", 4, CB_RUNE_ERROR, 1); /* > U+10FFFF */
	decode_case("\xF8\x88\x80\x80\x80", 5, CB_RUNE_ERROR, 1);
	decode_case("\x80", 1, CB_RUNE_ERROR, 1);
	decode_case("\xE2\x82", 2, CB_RUNE_ERROR, 1);
}

static void test_add_rune(void **state)
{
	(void)state;
	struct cb_strbuf sb = CB_STRBUF_INIT;

	cb_strbuf_add_rune(&sb, 'A');
	cb_strbuf_add_rune(&sb, 0xE9);
	cb_strbuf_add_rune(&sb, 0x20AC);
	cb_strbuf_add_rune(&sb, 0x1F600);
	cb_strbuf_add_rune(&sb, 0xD800);   /* surrogate: U+FFFD */
	cb_strbuf_add_rune(&sb, 0x110000); /* out of range: U+FFFD */
	cb_strbuf_add_rune(&sb, 0);
	assert_int_equal(sb.len, 1 + 2 + 3 + 4 + 3 + 3 + 1);
	assert_memory_equal(sb.buf,
			    "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD\0", 17);
	cb_strbuf_release(&sb);
}

static void test_rune_classes(void **state)
{
	(void)state;
	static const struct {
		uint32_t r;
		bool space, letter, digit, print;
	} cases[] = {
		{' ', true, false, false, true},      {'\t', true, false, false, false},
		{'\v', true, false, false, false},    {0x85, true, false, false, false},
		{0xA0, true, false, false, false},    {0x1680, true, false, false, false},
		{0x2000, true, false, false, false},  {0x200B, false, false, false, false},
		{0x3000, true, false, false, false},  {0xFEFF, false, false, false, false},
		{'a', false, true, false, true},      {'Z', false, true, false, true},
		{'5', false, false, true, true},      {'_', false, false, false, true},
		{0xAA, false, true, false, true},     {0x2160, false, false, false, true},
		{0x0660, false, false, true, true},   {0xB2, false, false, false, true},
		{0x16EE, false, false, false, true},  {0xAD, false, false, false, false},
		{0x378, false, false, false, false},  {0x1F600, false, false, false, true},
		{0xE000, false, false, false, false}, {0x10FFFF, false, false, false, false},
		{0xFFFD, false, false, false, true},  {0x301, false, false, false, true},
		{0x7F, false, false, false, false},   {0, false, false, false, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t r = cases[i].r;

		if (cb_rune_is_space(r) != cases[i].space ||
		    cb_rune_is_letter(r) != cases[i].letter ||
		    cb_rune_is_digit(r) != cases[i].digit || cb_rune_is_print(r) != cases[i].print)
			fail_msg("U+%04X: space=%d letter=%d digit=%d print=%d", r,
				 cb_rune_is_space(r), cb_rune_is_letter(r), cb_rune_is_digit(r),
				 cb_rune_is_print(r));
	}
}

static void quote_case(const char *s, size_t len, const char *expected)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	cb_strbuf_addstr(&sb, "<");
	cb_strbuf_add_goquote(&sb, s, len);
	if (strcmp(sb.buf + 1, expected))
		fail_msg("quote: expected %s, got %s", expected, sb.buf + 1);
	assert_int_equal(sb.buf[0], '<'); /* appends, does not replace */
	cb_strbuf_release(&sb);
}

#define QUOTE(lit, exp) quote_case(lit, sizeof(lit) - 1, exp)

static void test_goquote(void **state)
{
	(void)state;
	QUOTE("", "\"\"");
	QUOTE("plain", "\"plain\"");
	QUOTE("q\"b\\s", "\"q\\\"b\\\\s\"");
	QUOTE("\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\"");
	QUOTE("\x00\x01\x1f\x7f", "\"\\x00\\x01\\x1f\\x7f\"");
	QUOTE("\xC2\xA0\xC2\xAD\xE2\x80\x8B\xE2\x80\xA8", "\"\\u00a0\\u00ad\\u200b\\u2028\"");
	QUOTE("h\xC3\xA9llo \xE2\x99\xA5 \xF0\x9F\x98\x80",
	      "\"h\xC3\xA9llo \xE2\x99\xA5 \xF0\x9F\x98\x80\"");
	QUOTE("\xFF\xFE", "\"\\xff\\xfe\"");
	QUOTE("\xE2\x82", "\"\\xe2\\x82\"");
	QUOTE("\xED\xA0\x80", "\"\\xed\\xa0\\x80\"");
	QUOTE("\xF4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\"");
	QUOTE("\xC0\xAF", "\"\\xc0\\xaf\"");
	/* a real U+FFFD is printable and kept */
	QUOTE("\xEF\xBF\xBD", "\"\xEF\xBF\xBD\"");
	QUOTE("\xF3\xA0\x80\x81", "\"\\U000e0001\"");
	QUOTE("\xF4\x8F\xBF\xBF", "\"\\U0010ffff\"");
	QUOTE("a\xCC\x81", "\"a\xCC\x81\"");
}

/* Go's unicode.ToLower / ToUpper (printed by Go; Unicode 13 letters only). */
static void test_case_mapping(void **state)
{
	static const struct {
		uint32_t r, lower, upper;
	} cases[] = {
		{'A', 'a', 'A'},
		{'z', 'z', 'Z'},
		{'0', '0', '0'},
		{0xC0, 0xE0, 0xC0},
		{0xFF, 0xFF, 0x178},
		{0x178, 0xFF, 0x178},
		{0xB5, 0xB5, 0x39C},
		/* SpecialCasing is not used: no "SS", and U+0130 lowers to plain 'i' */
		{0xDF, 0xDF, 0xDF},
		{0x1E9E, 0xDF, 0x1E9E},
		{0x130, 'i', 0x130},
		{0x131, 0x131, 'I'},
		{0x17F, 0x17F, 'S'},
		{0x212A, 'k', 0x212A},
		{0x212B, 0xE5, 0x212B},
		/* alternating upper and lower case (a stride-2 table range) */
		{0x100, 0x101, 0x100},
		{0x101, 0x101, 0x100},
		/* titlecase digraph, and Greek with ypogegrammeni */
		{0x1C5, 0x1C6, 0x1C4},
		{0x1F80, 0x1F80, 0x1F88},
		{0x1F88, 0x1F80, 0x1F88},
		{0x1FB3, 0x1FB3, 0x1FBC},
		{0x1FBC, 0x1FB3, 0x1FBC},
		{0x3A3, 0x3C3, 0x3A3},
		{0x3C2, 0x3C2, 0x3A3},
		/* Georgian Mtavruli, Cherokee, Deseret, Adlam */
		{0x10D0, 0x10D0, 0x1C90},
		{0x1C90, 0x10D0, 0x1C90},
		{0x13A0, 0xAB70, 0x13A0},
		{0xAB70, 0xAB70, 0x13A0},
		{0x13F8, 0x13F8, 0x13F0},
		{0x10400, 0x10428, 0x10400},
		{0x10428, 0x10428, 0x10400},
		{0x1E900, 0x1E922, 0x1E900},
		{0x1E922, 0x1E922, 0x1E900},
		/* letter-like symbols with case; a ligature without a simple mapping */
		{0x2160, 0x2170, 0x2160},
		{0x24B6, 0x24D0, 0x24B6},
		{0xFF21, 0xFF41, 0xFF21},
		{0xFB00, 0xFB00, 0xFB00},
		/* not letters, or not runes at all */
		{0x10FFFF, 0x10FFFF, 0x10FFFF},
		{0xD800, 0xD800, 0xD800},
		{0x110000, 0x110000, 0x110000},
		{0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t l = cb_rune_to_lower(cases[i].r), u = cb_rune_to_upper(cases[i].r);

		if (l != cases[i].lower || u != cases[i].upper)
			fail_msg("U+%04X: lower U+%04X upper U+%04X, expected U+%04X U+%04X",
				 cases[i].r, l, u, cases[i].lower, cases[i].upper);
	}
}

/*
 * Over every rune: a simple mapping is idempotent and stays inside Unicode
 * (a wrong delta or stride in the tables would break one or the other), and
 * the number of runes that change is what tools/gen_unicode_tables.py found.
 */
static void test_case_mapping_round_trip(void **state)
{
	size_t nlower = 0, nupper = 0;

	(void)state;
	for (uint32_t r = 0; r <= 0x10FFFF; r++) {
		uint32_t l = cb_rune_to_lower(r), u = cb_rune_to_upper(r);

		assert_true(l <= 0x10FFFF && u <= 0x10FFFF);
		assert_int_equal(cb_rune_to_lower(l), l);
		assert_int_equal(cb_rune_to_upper(u), u);
		nlower += l != r;
		nupper += u != r;
	}
	/* Unicode 14.0.0, the version common/unicode_tables.c was generated from */
	assert_int_equal(nlower, 1433);
	assert_int_equal(nupper, 1450);
}

CB_TEST_MAIN(cmocka_unit_test(test_decode), cmocka_unit_test(test_add_rune),
	     cmocka_unit_test(test_rune_classes), cmocka_unit_test(test_goquote),
	     cmocka_unit_test(test_case_mapping), cmocka_unit_test(test_case_mapping_round_trip))
