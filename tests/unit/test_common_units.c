/*
 * test_common_units.c - sizes as docker/go-units v0.5.0 reads them
 * (common/units.h): the number as strconv.ParseFloat, the suffixes, binary
 * and decimal multiples, truncation, overflow and the exact error messages
 * (the ones the docker CLI prints for `docker run -m X`, checked against
 * docker 28).
 */
#include "cbtest.h"

#include <string.h>

#include "cleanup.h"
#include "units.h"

struct size_case {
	const char *in;
	int64_t ram, human; /* RAMInBytes, FromHumanSize */
};

static void check_ok(const struct size_case *c)
{
	struct cb_error *err = NULL;
	int64_t v = -42;

	if (cb_ram_in_bytes(c->in, &v, &err) < 0)
		fail_msg("ram `%s`: %s", c->in, cb_error_msg(err));
	if (v != c->ram)
		fail_msg("ram `%s` = %lld, expected %lld", c->in, (long long)v, (long long)c->ram);
	v = -42;
	if (cb_from_human_size(c->in, &v, &err) < 0)
		fail_msg("human `%s`: %s", c->in, cb_error_msg(err));
	if (v != c->human)
		fail_msg("human `%s` = %lld, expected %lld", c->in, (long long)v,
			 (long long)c->human);
}

static void check_err(const char *in, const char *msg)
{
	cleanup_error struct cb_error *err = NULL;
	int64_t v = 42;

	if (cb_ram_in_bytes(in, &v, &err) == 0)
		fail_msg("`%s` accepted as %lld", in, (long long)v);
	assert_non_null(err);
	if (strcmp(cb_error_msg(err), msg))
		fail_msg("`%s`: got \"%s\", expected \"%s\"", in, cb_error_msg(err), msg);
	assert_int_equal(v, 42); /* out-parameter untouched on failure */
	cb_error_free(&err);
	assert_int_equal(cb_from_human_size(in, &v, &err), -1);
	assert_string_equal(cb_error_msg(err), msg);
}

static void test_suffixes(void **state)
{
	(void)state;
	static const struct size_case cases[] = {
		{"100", 100, 100},
		{"0", 0, 0},
		{"7b", 7, 7},
		{"7B", 7, 7},
		{"1k", 1024, 1000},
		{"1K", 1024, 1000},
		{"1kb", 1024, 1000},
		{"1KiB", 1024, 1000},
		{"1kIb", 1024, 1000},
		{"64m", 64LL << 20, 64000000},
		{"3MB", 3LL << 20, 3000000},
		{"1g", 1LL << 30, 1000000000},
		{"2GiB", 2LL << 30, 2000000000},
		{"1t", 1LL << 40, 1000000000000LL},
		{"1pb", 1LL << 50, 1000000000000000LL},
		{"1PiB", 1LL << 50, 1000000000000000LL},
		/* KELVIN SIGN: 3 bytes, lowered to 'k' by Go's strings.ToLower */
		{"1\xE2\x84\xAA", 1024, 1000},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_ok(&cases[i]);
}

static void test_spaces(void **state)
{
	(void)state;
	static const struct size_case cases[] = {
		{"1 g", 1LL << 30, 1000000000},
		{"1.5 KiB", 1536, 1500},
		{"1 kb", 1024, 1000},
		{"1 ", 1, 1}, /* the space is dropped, the suffix is empty */
		{"1 b", 1, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_ok(&cases[i]);
	/* only one space, right before the suffix */
	check_err("1  g", "strconv.ParseFloat: parsing \"1 \": invalid syntax");
	check_err(" 1", "strconv.ParseFloat: parsing \" 1\": invalid syntax");
	check_err("1gb ", "strconv.ParseFloat: parsing \"1gb\": invalid syntax");
	check_err("1 g b", "strconv.ParseFloat: parsing \"1 g\": invalid syntax");
}

/* The number is Go's float syntax; the result is truncated toward zero. */
static void test_numbers_and_rounding(void **state)
{
	(void)state;
	static const struct size_case cases[] = {
		{"1.5g", 3LL << 29, 1500000000},
		{".5k", 512, 500},
		{"5.b", 5, 5},
		{"0.9", 0, 0},
		{"1.9999", 1, 1},
		{"1.5_5", 1, 1},
		{"1e3", 1000, 1000},
		{"1E3k", 1024000, 1000000},
		{"1e-400", 0, 0},
		{"-0", 0, 0},
		{"+5", 5, 5},
		{"0x1p4", 16, 16},
		{"0x_1p4", 16, 16},
		{"0x.8p1k", 1024, 1000},
		{"1_000", 1000, 1000},
		{"1e1_0", 10000000000LL, 10000000000LL},
		{"0.1k", 102, 100},
		{"0.3m", 314572, 300000},
		{"9223372036854775295", 9223372036854774784LL, 9223372036854774784LL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_ok(&cases[i]);
}

static void test_overflow(void **state)
{
	(void)state;
	static const struct size_case cases[] = {
		{"8191p", 8191LL << 50, 8191000000000000000LL},
		{"8388607t", 8388607LL << 40, 8388607000000000000LL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_ok(&cases[i]);
	/* 2^63 and more: Go's int64() gives garbage, we refuse */
	check_err("9223372036854775807", "size out of range: '9223372036854775807'");
	check_err("9e18k", "size out of range: '9e18k'");
	check_err("1e300", "size out of range: '1e300'");
	check_err("inf g", "size out of range: 'inf g'");
	check_err("Infinity ", "size out of range: 'Infinity '");
	check_err("nan b", "size out of range: 'nan b'");
	/* past float64: strconv's range error */
	check_err("1e400", "strconv.ParseFloat: parsing \"1e400\": value out of range");
	/* 8192 and 9223 PB fit in decimal only; 9224 PB in neither */
	{
		cleanup_error struct cb_error *err = NULL;
		int64_t v;

		assert_int_equal(cb_ram_in_bytes("8192p", &v, &err), -1);
		assert_string_equal(cb_error_msg(err), "size out of range: '8192p'");
		cb_error_free(&err);
		assert_int_equal(cb_from_human_size("8192p", &v, &err), 0);
		assert_int_equal(v, 8192000000000000000LL);
		assert_int_equal(cb_from_human_size("9223p", &v, &err), 0);
		assert_int_equal(v, 9223000000000000000LL);
		assert_int_equal(cb_ram_in_bytes("9223p", &v, &err), -1);
		assert_string_equal(cb_error_msg(err), "size out of range: '9223p'");
		cb_error_free(&err);
		assert_int_equal(cb_from_human_size("9224p", &v, &err), -1);
		assert_string_equal(cb_error_msg(err), "size out of range: '9224p'");
	}
}

/* Messages as `docker run -m X` prints them after "invalid argument ... flag: ". */
static void test_errors(void **state)
{
	(void)state;
	check_err("", "invalid size: ''");
	check_err("abc", "invalid size: 'abc'");
	check_err("k", "invalid size: 'k'");
	check_err("inf", "invalid size: 'inf'");
	check_err("-1", "invalid size: '-1'");
	check_err("-1k", "invalid size: '-1k'");
	check_err("-inf k", "invalid size: '-inf k'");
	check_err("1KiBB", "invalid suffix: 'KiBB'"); /* too long: not lowered */
	check_err("1KIBB", "invalid suffix: 'KIBB'");
	check_err("1\xE2\x84\xAA"
		  "b",
		  "invalid suffix: '\xE2\x84\xAA"
		  "b'"); /* 4 bytes before lowering */
	check_err("1bb", "invalid suffix: 'bb'");
	check_err("1BB", "invalid suffix: 'bb'");
	check_err("1i", "invalid suffix: 'i'");
	check_err("1ib", "invalid suffix: 'ib'");
	check_err("1x", "invalid suffix: 'x'");
	check_err("1kbb", "invalid suffix: 'kbb'");
	check_err("1kB2", "strconv.ParseFloat: parsing \"1kB2\": invalid syntax");
	check_err("1Kx", "invalid suffix: 'kx'");
	check_err("1e", "invalid suffix: 'e'");
	check_err("1.5.5", "strconv.ParseFloat: parsing \"1.5.5\": invalid syntax");
	check_err("0x10", "strconv.ParseFloat: parsing \"0x10\": invalid syntax");
	check_err("0b1", "strconv.ParseFloat: parsing \"0b1\": invalid syntax");
	check_err("1__0", "strconv.ParseFloat: parsing \"1__0\": invalid syntax");
	check_err("1_.5", "strconv.ParseFloat: parsing \"1_.5\": invalid syntax");
	check_err("_1", "strconv.ParseFloat: parsing \"_1\": invalid syntax");
	check_err(".", "strconv.ParseFloat: parsing \".\": invalid syntax");
	check_err("+nan g", "strconv.ParseFloat: parsing \"+nan\": invalid syntax");
	/* a bad byte in the suffix: Go lowers it to U+FFFD */
	check_err("1\xff", "invalid suffix: '\xEF\xBF\xBD'");
	/* strconv quotes what it could not read */
	check_err("1\t2", "strconv.ParseFloat: parsing \"1\\t2\": invalid syntax");
}

CB_TEST_MAIN(cmocka_unit_test(test_suffixes), cmocka_unit_test(test_spaces),
	     cmocka_unit_test(test_numbers_and_rounding), cmocka_unit_test(test_overflow),
	     cmocka_unit_test(test_errors))
