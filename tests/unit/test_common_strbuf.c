/*
 * test_common_strbuf.c - growable strings (cb_strbuf) and string vectors
 * (cb_strvec): always NUL-terminated, may hold NULs, reusable after
 * release/detach, vectors NULL-terminated.
 */
#include "cbtest.h"

#include <string.h>

#include "cleanup.h"
#include "strbuf.h"
#include "xalloc.h"

static void test_init_is_empty_string(void **state)
{
	(void)state;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	struct cb_strbuf sb2;

	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);
	cb_strbuf_init(&sb2);
	assert_string_equal(sb2.buf, "");
	/* releasing an unused buffer is fine */
	cb_strbuf_release(&sb);
	cb_strbuf_release(&sb2);
}

static void test_add_variants(void **state)
{
	(void)state;
	struct cb_strbuf sb = CB_STRBUF_INIT;

	cb_strbuf_addstr(&sb, "ab");
	cb_strbuf_addch(&sb, 'c');
	cb_strbuf_add(&sb, "de\0f", 4);
	cb_strbuf_add(&sb, "zzz", 0);
	cb_strbuf_addf(&sb, "-%d-%s", 42, "x");
	assert_int_equal(sb.len, 12);
	assert_memory_equal(sb.buf, "abcde\0f-42-x", 12);
	assert_int_equal(sb.buf[sb.len], '\0');
	cb_strbuf_release(&sb);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
}

static void test_addf_grows(void **state)
{
	(void)state;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	cleanup_free char *big = xmalloc(10001);

	memset(big, 'x', 10000);
	big[10000] = '\0';
	cb_strbuf_addf(&sb, "%s", "");
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	cb_strbuf_addstr(&sb, "<");
	cb_strbuf_addf(&sb, "%s|%s", big, big);
	cb_strbuf_addch(&sb, '>');
	assert_int_equal(sb.len, 20003);
	assert_int_equal(sb.buf[0], '<');
	assert_int_equal(sb.buf[10001], '|');
	assert_int_equal(sb.buf[20002], '>');
	assert_int_equal(strlen(sb.buf), sb.len);
	assert_true(sb.alloc > sb.len);
	cb_strbuf_release(&sb);
}

static void test_setlen_reset_rtrim(void **state)
{
	(void)state;
	struct cb_strbuf sb = CB_STRBUF_INIT;

	cb_strbuf_setlen(&sb, 0); /* on the shared empty string: a no-op */
	assert_string_equal(sb.buf, "");
	cb_strbuf_addstr(&sb, "hello \t\n");
	cb_strbuf_rtrim(&sb, " \t\n");
	assert_string_equal(sb.buf, "hello");
	assert_int_equal(sb.len, 5);
	cb_strbuf_setlen(&sb, 2);
	assert_string_equal(sb.buf, "he");
	cb_strbuf_reset(&sb);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);
	cb_strbuf_rtrim(&sb, "x");
	assert_int_equal(sb.len, 0);
	cb_strbuf_release(&sb);
}

static void test_rtrim_keeps_nul_bytes(void **state)
{
	(void)state;
	struct cb_strbuf sb = CB_STRBUF_INIT;

	/* a NUL is content, not a member of the trim set */
	cb_strbuf_add(&sb, "a\0  ", 4);
	cb_strbuf_rtrim(&sb, " ");
	assert_int_equal(sb.len, 2);
	assert_memory_equal(sb.buf, "a\0", 2);
	cb_strbuf_release(&sb);
}

static void test_detach(void **state)
{
	(void)state;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	size_t len = 99;
	char *s = cb_strbuf_detach(&sb, &len);

	/* detaching an empty buffer still gives a heap string */
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	cb_strbuf_addstr(&sb, "abc");
	s = cb_strbuf_detach(&sb, &len);
	assert_string_equal(s, "abc");
	assert_int_equal(len, 3);
	/* the buffer is reusable */
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);
	cb_strbuf_addstr(&sb, "d");
	assert_string_equal(sb.buf, "d");
	free(s);
	s = cb_strbuf_detach(&sb, NULL);
	assert_string_equal(s, "d");
	free(s);
}

static void test_grow_keeps_content(void **state)
{
	(void)state;
	struct cb_strbuf sb = CB_STRBUF_INIT;

	cb_strbuf_addstr(&sb, "keep");
	cb_strbuf_grow(&sb, 1 << 16);
	assert_true(sb.alloc >= sb.len + (1 << 16) + 1);
	assert_string_equal(sb.buf, "keep");
	cb_strbuf_release(&sb);
	/* growing an empty buffer makes a valid empty string */
	cb_strbuf_grow(&sb, 10);
	assert_string_equal(sb.buf, "");
	cb_strbuf_release(&sb);
}

static void test_strvec_push_variants(void **state)
{
	(void)state;
	struct cb_strvec sv = CB_STRVEC_INIT;
	char *owned = xstrdup("taken");

	assert_null(cb_strvec_get(&sv, 0));
	cb_strvec_push(&sv, "a");
	cb_strvec_pushn(&sv, "bcdef", 2);
	cb_strvec_push_take(&sv, owned);
	cb_strvec_pushf(&sv, "%s=%d", "n", 7);
	for (int i = 0; i < 20; i++)
		cb_strvec_pushf(&sv, "x%d", i);
	assert_int_equal(sv.n, 24);
	assert_string_equal(sv.v[0], "a");
	assert_string_equal(sv.v[1], "bc");
	assert_ptr_equal(sv.v[2], owned);
	assert_string_equal(sv.v[3], "n=7");
	assert_string_equal(sv.v[23], "x19");
	/* NULL-terminated like argv */
	assert_null(sv.v[sv.n]);
	assert_string_equal(cb_strvec_get(&sv, 1), "bc");
	assert_null(cb_strvec_get(&sv, 24));
	assert_int_equal(cb_strvec_find(&sv, "n=7"), 3);
	assert_int_equal(cb_strvec_find(&sv, "nope"), -1);
	cb_strvec_clear(&sv);
	assert_int_equal(sv.n, 0);
	assert_null(sv.v);
	assert_int_equal(cb_strvec_find(&sv, "a"), -1);
	/* reusable after clear */
	cb_strvec_push(&sv, "again");
	assert_string_equal(sv.v[0], "again");
	cb_strvec_clear(&sv);
}

static void test_strvec_pushn_with_nul(void **state)
{
	(void)state;
	struct cb_strvec sv = CB_STRVEC_INIT;

	cb_strvec_pushn(&sv, "ab\0cd", 5);
	assert_int_equal(sv.v[0][5], '\0');
	assert_memory_equal(sv.v[0], "ab\0cd", 5);
	cb_strvec_pushn(&sv, "", 0);
	assert_string_equal(sv.v[1], "");
	cb_strvec_clear(&sv);
}

static void test_starts_ends_with(void **state)
{
	(void)state;
	assert_true(cb_str_starts_with("foobar", "foo"));
	assert_true(cb_str_starts_with("foo", ""));
	assert_true(cb_str_starts_with("foo", "foo"));
	assert_false(cb_str_starts_with("fo", "foo"));
	assert_false(cb_str_starts_with("bar", "foo"));
	assert_true(cb_str_ends_with("foobar", "bar"));
	assert_true(cb_str_ends_with("bar", ""));
	assert_false(cb_str_ends_with("ar", "bar"));
	assert_false(cb_str_ends_with("barx", "bar"));
}

static void test_strmap_sorted_set_get(void **state)
{
	struct cb_strmap m = CB_STRMAP_INIT;
	const char *keys[] = {"z", "a=b", "a", "m", "a.b", ""};

	(void)state;
	assert_null(cb_strmap_get(&m, "a"));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cb_strmap_set(&m, keys[i], keys[i]);
	cb_strmap_set(&m, "m", "replaced");
	assert_int_equal(m.keys.n, 6);
	assert_int_equal(m.values.n, 6);
	/* byte order; a key with "=" stays whole */
	assert_string_equal(m.keys.v[0], "");
	assert_string_equal(m.keys.v[1], "a");
	assert_string_equal(m.keys.v[2], "a.b");
	assert_string_equal(m.keys.v[3], "a=b");
	assert_string_equal(m.keys.v[4], "m");
	assert_string_equal(m.keys.v[5], "z");
	assert_string_equal(cb_strmap_get(&m, "a=b"), "a=b");
	assert_string_equal(cb_strmap_get(&m, "m"), "replaced");
	assert_string_equal(cb_strmap_get(&m, ""), "");
	assert_null(cb_strmap_get(&m, "a="));
	cb_strmap_clear(&m);
	assert_int_equal(m.keys.n, 0);
	assert_null(cb_strmap_get(&m, "z"));
}

CB_TEST_MAIN(cmocka_unit_test(test_init_is_empty_string), cmocka_unit_test(test_add_variants),
	     cmocka_unit_test(test_addf_grows), cmocka_unit_test(test_setlen_reset_rtrim),
	     cmocka_unit_test(test_rtrim_keeps_nul_bytes), cmocka_unit_test(test_detach),
	     cmocka_unit_test(test_grow_keeps_content), cmocka_unit_test(test_strvec_push_variants),
	     cmocka_unit_test(test_strvec_pushn_with_nul), cmocka_unit_test(test_starts_ends_with),
	     cmocka_unit_test(test_strmap_sorted_set_get))
