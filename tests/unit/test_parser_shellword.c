/*
 * test_parser_shellword.c - shell-word expansion against BuildKit's own
 * vectors (tests/data/shared/testdata/buildkit) and against targeted cases for each
 * modifier, flag, error message and UTF-8 quirk.
 */
#include "cbtest.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cleanup.h"
#include "dockerfile.h"
#include "parser-internal.h"
#include "shellword_input.h"
#include "xalloc.h"

#define LEX(...) ((struct shell_lex){.escape = '\\', __VA_ARGS__})

static const struct shell_lex default_lex = SHELL_LEX_INIT;

static void env_fill(struct cb_strvec *env, const char *const *kv)
{
	for (; kv && *kv; kv++)
		cb_strvec_push(env, *kv);
}

/* Expand word; returns the word (caller frees) or NULL with *msg set (caller frees). */
static char *expand(const struct shell_lex *lex, const char *const *kv, const char *word,
		    char **msg)
{
	struct cb_strvec env = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	char *out;

	env_fill(&env, kv);
	out = shell_expand_word(lex, word, &env, &err);
	cb_strvec_clear(&env);
	*msg = out ? NULL : xstrdup(cb_error_msg(err));
	cb_error_free(&err);
	return out;
}

static void check_word(const struct shell_lex *lex, const char *const *kv, const char *word,
		       const char *expected)
{
	cleanup_free char *msg = NULL;
	cleanup_free char *got = expand(lex, kv, word, &msg);

	if (!got)
		fail_msg("%s: expected \"%s\", got error: %s", word, expected, msg);
	if (strcmp(got, expected))
		fail_msg("%s: expected \"%s\", got \"%s\"", word, expected, got);
}

static void check_err(const struct shell_lex *lex, const char *const *kv, const char *word,
		      const char *expected_msg)
{
	cleanup_free char *msg = NULL;
	cleanup_free char *got = expand(lex, kv, word, &msg);

	if (got)
		fail_msg("%s: expected error \"%s\", got \"%s\"", word, expected_msg, got);
	if (strcmp(msg, expected_msg))
		fail_msg("%s: expected error \"%s\", got \"%s\"", word, expected_msg, msg);
}

/* expected: NULL-terminated fields, or NULL for "must fail". */
static void check_fields(const struct shell_lex *lex, const char *const *kv, const char *word,
			 const char *const *expected)
{
	struct cb_strvec env = CB_STRVEC_INIT, out = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	int rc;
	size_t n = 0;

	env_fill(&env, kv);
	cb_strvec_push(&out, "sentinel"); /* shell_expand_words appends */
	rc = shell_expand_words(lex, word, &env, &out, &err);
	cb_strvec_clear(&env);
	if (!expected) {
		cb_strvec_clear(&out);
		if (rc == 0)
			fail_msg("%s: expected an error", word);
		assert_non_null(err);
		cb_error_free(&err);
		return;
	}
	if (rc < 0) {
		fail_msg("%s: unexpected error %s", word, cb_error_msg(err));
	}
	while (expected[n])
		n++;
	if (out.n != n + 1)
		fail_msg("%s: expected %zu fields, got %zu", word, n, out.n - 1);
	assert_string_equal(out.v[0], "sentinel");
	for (size_t i = 0; i < n; i++)
		if (strcmp(out.v[i + 1], expected[i]))
			fail_msg("%s: field %zu: expected \"%s\", got \"%s\"", word, i, expected[i],
				 out.v[i + 1]);
	cb_strvec_clear(&out);
}

#define ENV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define FIELDS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOENV NULL

/* ------------------------------------------------------------------------ */
/* BuildKit's vectors                                                        */
/* ------------------------------------------------------------------------ */

/* A JSON array of names equals the sorted unique vector. */
static bool names_equal(json_t *names, const struct cb_strvec *got)
{
	if (!names)
		return true;
	if (json_array_size(names) != got->n)
		return false;
	for (size_t i = 0; i < got->n; i++)
		if (strcmp(json_string_value(json_array_get(names, i)), got->v[i]))
			return false;
	return true;
}

/*
 * A case whose env an earlier extraction into shell_vectors.json lost
 * (lex_test.go has FOO="()[]{}^$.*?|\\x" in Go syntax and expects "x"); the
 * vectors carry it now, and test_vectors_defective_case_corrected keeps it
 * checked on its own.
 */
#define DEFECTIVE_INPUT "${FOO#()[]{\\}^$.\\*\\?|\\\\}"
#define DEFECTIVE_ENV "FOO=()[]{}^$.*?|\\x"

static int run_json_case(json_t *c, bool check_names)
{
	const char *input = json_string_value(json_object_get(c, "input"));
	json_t *envs = json_object_get(c, "envs");
	bool want_err = json_is_true(json_object_get(c, "expectedErr"));
	struct cb_strvec env = CB_STRVEC_INIT;
	struct shell_result res;
	struct cb_error *err = NULL;
	int bad = 0;

	for (void *it = json_object_iter(envs); it; it = json_object_iter_next(envs, it))
		cb_strvec_pushf(&env, "%s=%s", json_object_iter_key(it),
				json_string_value(json_object_iter_value(it)));
	if (shell_expand(&default_lex, input, &env, &res, &err) < 0) {
		const char *contains = json_string_value(json_object_get(c, "errContains"));

		if (!want_err || (contains && !strstr(cb_error_msg(err), contains))) {
			print_error("FAIL %s: unexpected error %s\n", input, cb_error_msg(err));
			bad = 1;
		}
		cb_error_free(&err);
	} else {
		const char *exp = json_string_value(json_object_get(c, "expected"));

		if (want_err || strcmp(res.word, exp)) {
			print_error("FAIL %s: expected %s got \"%s\"\n", input,
				    want_err ? "an error" : exp, res.word);
			bad = 1;
		} else if (check_names &&
			   (!names_equal(json_object_get(c, "matches"), &res.matched) ||
			    !names_equal(json_object_get(c, "unmatched"), &res.unmatched))) {
			print_error("FAIL %s: matched/unmatched differ\n", input);
			bad = 1;
		}
		shell_result_release(&res);
	}
	cb_strvec_clear(&env);
	return bad;
}

static void test_vectors_process_word(void **state)
{
	cleanup_free char *path = cb_test_shared_path("buildkit/shell_vectors.json");
	json_auto_t *root = json_load_file(path, 0, NULL);
	static const char *const tables[] = {"process_word_with_matches", "process_word_extra"};
	int bad = 0, total = 0;

	(void)state;
	assert_non_null(root);
	for (size_t t = 0; t < 2; t++) {
		json_t *cases = json_object_get(root, tables[t]);

		assert_true(json_array_size(cases) > 0);
		for (size_t i = 0; i < json_array_size(cases); i++, total++)
			bad += run_json_case(json_array_get(cases, i), t == 0);
	}
	print_message("shell_vectors.json: %d cases, %d failed\n", total, bad);
	assert_int_equal(total, 56); /* every case of the vectors, each must pass */
	if (bad)
		fail_msg("%d of %d shell_vectors.json cases failed", bad, total);
}

static void test_vectors_defective_case_corrected(void **state)
{
	struct cb_strvec env = CB_STRVEC_INIT;
	struct shell_result res;
	struct cb_error *err = NULL;

	(void)state;
	cb_strvec_push(&env, DEFECTIVE_ENV);
	assert_int_equal(shell_expand(&default_lex, DEFECTIVE_INPUT, &env, &res, &err), 0);
	assert_string_equal(res.word, "x");
	assert_int_equal(res.matched.n, 1);
	assert_string_equal(res.matched.v[0], "FOO");
	assert_int_equal(res.unmatched.n, 0);
	shell_result_release(&res);
	cb_strvec_clear(&env);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* lex_test.go TestShellParser4EnvVars, Unix: tags A and U. */
static void test_vectors_envvar(void **state)
{
	cleanup_free char *path = cb_test_shared_path("buildkit/shell/envVarTest");
	cleanup_free char *buf = cb_test_read_file(path, NULL);
	const char *const *env = ENV("PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL=");
	char *save = NULL;
	int bad = 0, total = 0;

	(void)state;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *plat, *src, *exp, *bar1, *bar2;
		cleanup_free char *msg = NULL;
		cleanup_free char *got = NULL;

		if (line[0] == '#' || !*trim(line))
			continue;
		bar1 = strchr(line, '|');
		bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
		if (!bar1 || !bar2) {
			fail_msg("envVarTest: bad line %s", line);
			continue;
		}
		*bar1 = *bar2 = '\0';
		plat = trim(line), src = trim(bar1 + 1), exp = trim(bar2 + 1);
		if (strcmp(plat, "A") && strcmp(plat, "U"))
			continue;
		total++;
		got = expand(&default_lex, env, src, &msg);
		if (!strcmp(exp, "error") ? got != NULL : (!got || strcmp(got, exp))) {
			print_error("FAIL %s: expected %s, got %s\n", src, exp, got ? got : msg);
			bad++;
		}
	}
	print_message("envVarTest: %d cases, %d failed\n", total, bad);
	assert_true(total > 200);
	if (bad)
		fail_msg("%d of %d envVarTest cases failed", bad, total);
}

/* One wordsTest line: "input | a,b,c" (ProcessWords), or "error". */
static int run_words_line(char *line, const struct cb_strvec *env)
{
	char *bar = strchr(line, '|'), *exp;
	struct cb_strvec out = CB_STRVEC_INIT, want = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	int bad = 0;

	assert_non_null(bar);
	*bar = '\0';
	exp = bar + 1;
	while (*exp == ' ')
		exp++;
	/* Go's strings.Split keeps empty pieces; strtok would not, so split by hand. */
	for (char *p = exp, *comma;; p = comma + 1) {
		comma = strchr(p, ',');
		cb_strvec_pushn(&want, p, comma ? (size_t)(comma - p) : strlen(p));
		if (!comma)
			break;
	}
	if (shell_expand_words(&default_lex, trim(line), env, &out, &err) < 0) {
		cb_error_free(&err);
		cb_strvec_clear(&out);
		cb_strvec_push(&out, "error");
	}
	bad = out.n != want.n;
	for (size_t i = 0; !bad && i < out.n; i++)
		bad = strcmp(out.v[i], want.v[i]) != 0;
	if (bad)
		print_error("FAIL %s: expected %s (%zu fields), got %zu fields, first \"%s\"\n",
			    line, exp, want.n, out.n, out.n ? out.v[0] : "");
	cb_strvec_clear(&out);
	cb_strvec_clear(&want);
	return bad;
}

/* lex_test.go TestShellParser4Words (modeNormal). */
static void test_vectors_words(void **state)
{
	cleanup_free char *path = cb_test_shared_path("buildkit/shell/wordsTest");
	cleanup_free char *buf = cb_test_read_file(path, NULL);
	struct cb_strvec env = CB_STRVEC_INIT;
	int bad = 0, total = 0;
	char *line = buf, *nl;

	(void)state;
	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (line[0] == '#')
			continue;
		if (!strncmp(line, "ENV ", 4)) {
			char *v = line + 3;

			while (*v == ' ')
				v++;
			cb_strvec_push(&env, v);
			continue;
		}
		bad += run_words_line(line, &env);
		total++;
	}
	cb_strvec_clear(&env);
	print_message("wordsTest: %d cases, %d failed\n", total, bad);
	assert_true(total >= 20);
	if (bad)
		fail_msg("%d of %d wordsTest cases failed", bad, total);
}

/* ------------------------------------------------------------------------ */
/* Targeted cases                                                            */
/* ------------------------------------------------------------------------ */

static void test_modifier_default_and_alternative(void **state)
{
	const char *const *env = ENV("SET=v", "EMPTY=");

	(void)state;
	check_word(&default_lex, env, "${SET-d}|${EMPTY-d}|${UNSET-d}", "v||d");
	check_word(&default_lex, env, "${SET:-d}|${EMPTY:-d}|${UNSET:-d}", "v|d|d");
	check_word(&default_lex, env, "${SET+a}|${EMPTY+a}|${UNSET+a}", "a|a|");
	check_word(&default_lex, env, "${SET:+a}|${EMPTY:+a}|${UNSET:+a}", "a||");
	check_word(&default_lex, env, "${UNSET:-'q  '\"$SET\"}", "q  v");
	check_word(&default_lex, env, "${UNSET:-\\}}", "}");
	check_word(&default_lex, env, "$SET$SET${SET}x", "vvvx");
}

static void test_modifier_required(void **state)
{
	const char *const *env = ENV("SET=v", "EMPTY=", "M=msg");

	(void)state;
	check_word(&default_lex, env, "${SET?}${SET:?}${EMPTY?}", "vv");
	check_err(&default_lex, env, "${UNSET?}",
		  "failed to process \"${UNSET?}\": UNSET: is not allowed to be unset");
	check_err(&default_lex, env, "${EMPTY:?}",
		  "failed to process \"${EMPTY:?}\": EMPTY: is not allowed to be empty");
	check_err(&default_lex, env, "${UNSET:?}",
		  "failed to process \"${UNSET:?}\": UNSET: is not allowed to be unset");
	check_err(&default_lex, env, "${UNSET?custom $M}",
		  "failed to process \"${UNSET?custom $M}\": UNSET: custom msg");
	check_err(&default_lex, env, "${EMPTY:?no}",
		  "failed to process \"${EMPTY:?no}\": EMPTY: no");
}

static void test_modifier_trim(void **state)
{
	const char *const *env = ENV("P=a/b/c.tar.gz", "S=x*y*z", "NL=ab\ncd", "H=#x");

	(void)state;
	check_word(&default_lex, env, "${P#*/}", "b/c.tar.gz");
	check_word(&default_lex, env, "${P##*/}", "c.tar.gz");
	check_word(&default_lex, env, "${P%.*}", "a/b/c.tar");
	check_word(&default_lex, env, "${P%%.*}", "a/b/c");
	check_word(&default_lex, env, "${P#a?b}", "/c.tar.gz");
	check_word(&default_lex, env, "${P#nomatch}|${P%nomatch}", "a/b/c.tar.gz|a/b/c.tar.gz");
	check_word(&default_lex, env, "${S#*\\*}|${S##*\\*}", "y*z|z");
	check_word(&default_lex, env, "${S%\\**}|${S%%\\**}", "x*y|x");
	check_word(&default_lex, env, "${UNSET#*}|${UNSET%x}", "|");
	/* '*' and '?' do not match a newline (Go's '.'), a literal newline does. */
	check_word(&default_lex, env, "${NL##*}", "\ncd");
	check_word(&default_lex, env, "${NL%%*}", "ab\n");
	check_word(&default_lex, env, "${NL#ab?}", "ab\ncd");
	check_word(&default_lex, env, "${NL#ab\n}", "cd");
	/* The ## test looks at the expanded pattern, as BuildKit does. */
	check_word(&default_lex, ENV("V=aXbXc", "Q=#*X"), "${V#$Q}", "c");
	/* Escaped '}' and '/' lose the backslash in a pattern. */
	check_word(&default_lex, ENV("V=}/x"), "${V#\\}\\/}", "x");
	(void)env;
}

static void test_modifier_trim_rejects(void **state)
{
	const char *const *env = ENV("V=abc");

	(void)state;
	check_err(&default_lex, env, "${V:#a}",
		  "failed to process \"${V:#a}\": unsupported modifier (:#) in substitution");
	check_err(&default_lex, env, "${V:%a}",
		  "failed to process \"${V:%a}\": unsupported modifier (:%) in substitution");
	check_err(&default_lex, env, "${V#a\\x}",
		  "failed to process \"${V#a\\\\x}\": invalid pattern (a\\x) in substitution: "
		  "invalid escape '\\x'");
	/* % reports the reversed pattern, as BuildKit's trimSuffix does. */
	check_err(&default_lex, env, "${V%ab\\x}",
		  "failed to process \"${V%ab\\\\x}\": invalid pattern (\\xba) in substitution: "
		  "invalid escape '\\x'");
	/* A trailing backslash in a pattern is an escape of EOF: U+FFFD. */
	check_err(&default_lex, ENV("V=abc", "B=a\\"), "${V#$B}",
		  "failed to process \"${V#$B}\": invalid pattern (a\\) in substitution: "
		  "invalid escape '\\\xEF\xBF\xBD'");
}

static void test_modifier_replace(void **state)
{
	const char *const *env = ENV("V=a.b.c", "E=", "NL=ab\ncd");

	(void)state;
	check_word(&default_lex, env, "${V/./-}|${V//./-}", "a-b.c|a-b-c");
	check_word(&default_lex, env, "${V/*./X}|${V//?/x}", "Xc|xxxxx");
	check_word(&default_lex, env, "${V/b*/}|${V/z/y}", "a.|a.b.c");
	check_word(&default_lex, env, "${V/$E/-}|${V//$E/-}", "-a.b.c|-a-.-b-.-c-");
	check_word(&default_lex, env, "${V//*/x}", "x");
	check_word(&default_lex, env, "${NL//*/x}|${NL//?/x}", "x\nx|xx\nxx");
	check_word(&default_lex, env, "${NL/?/x}", "xb\ncd");
	check_word(&default_lex, ENV("V=\nab"), "${V/?/x}", "\nxb");
	check_word(&default_lex, env, "${UNSET/a/b}|${UNSET//a/b}", "|");
	check_word(&default_lex, env, "${V/./\\/}", "a\\/b.c");
	check_err(&default_lex, env, "${V/a}",
		  "failed to process \"${V/a}\": syntax error: missing '/' in ${}");
	check_err(&default_lex, env, "${V/a/b",
		  "failed to process \"${V/a/b\": syntax error: missing '}'");
	check_err(&default_lex, env, "${V/\\q/b}",
		  "failed to process \"${V/\\\\q/b}\": invalid pattern (\\q) in substitution: "
		  "invalid escape '\\q'");
}

/* ${v//p/r} goes through Go's ReplaceAllString, whose replacement is a template. */
static void test_modifier_replace_all_template(void **state)
{
	(void)state;
	check_word(&default_lex, ENV("V=abcb", "R=<$0>"), "${V//b/$R}|${V/b/$R}",
		   "a<b>c<b>|a<$0>cb");
	check_word(&default_lex, ENV("V=abc", "R=${0}!"), "${V//b/$R}", "ab!c");
	check_word(&default_lex, ENV("V=abc", "R=[$$]"), "${V//b/$R}", "a[$]c");
	check_word(&default_lex, ENV("V=abc", "R=[$1$x$00]"), "${V//b/$R}", "a[]c");
	check_word(&default_lex, ENV("V=abc", "R=[$0x]"), "${V//b/$R}", "a[]c");
	check_word(&default_lex, ENV("V=abc", "R=[$-${0]"), "${V//b/$R}", "a[$-${0]c");
	check_word(&default_lex, ENV("V=abc"), "${V//b/\\$0}", "a\\bc");
}

/*
 * ENV and ARG values can be tens of KiB, and a pattern can be built from
 * one.  The matcher once kept a bit per (pattern rune, value rune), 300 MB
 * for ${V#$P1} below, and aborted when that allocation failed; it must now
 * need memory in proportion to pattern + value.  Outside AddressSanitizer
 * (whose shadow memory needs a huge address space) the address space is
 * capped at its current size plus LONG_HEADROOM while the words expand.
 */
#define LONG_N 60000
#define LONG_MARK 50000 /* the only 'Z' in the value */
#define LONG_HEADROOM (64UL << 20)

#if defined(__SANITIZE_ADDRESS__)
#define LONG_NO_RLIMIT
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LONG_NO_RLIMIT
#endif
#endif

/* Rune i of the long value: hashed, so that partial matches die quickly. */
static const char *long_rune(size_t i)
{
	/* One- to three-byte runes, so that offsets in runes and bytes differ. */
	static const char *const alphabet[] = {
		"a", "b", "c", "d", "e", "f", "\xC3\xA9", "\xED\x95\x9C",
	};
	uint32_t x = (uint32_t)i * 2654435761u;

	x ^= x >> 15;
	x *= 2246822519u;
	x ^= x >> 13;
	return i == LONG_MARK ? "Z" : alphabet[x % 8];
}

/* Append runes [from, to) of the long value, every 7th replaced by '?' when wild. */
static void add_long(struct cb_strbuf *sb, size_t from, size_t to, bool wild)
{
	for (size_t i = from; i < to; i++)
		cb_strbuf_addstr(sb, wild && i % 7 == 0 ? "?" : long_rune(i));
}

static void cap_address_space(struct rlimit *saved)
{
	assert_int_equal(getrlimit(RLIMIT_AS, saved), 0);
#ifndef LONG_NO_RLIMIT
	{
		cleanup_file FILE *f = fopen("/proc/self/statm", "re");
		unsigned long pages = 0;
		struct rlimit lim = *saved;

		assert_non_null(f);
		assert_int_equal(fscanf(f, "%lu", &pages), 1);
		lim.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + LONG_HEADROOM;
		if (saved->rlim_cur == RLIM_INFINITY || lim.rlim_cur < saved->rlim_cur)
			assert_int_equal(setrlimit(RLIMIT_AS, &lim), 0);
	}
#endif
}

/* Like check_word, but a failure reports sizes and where, not 60 000 runes. */
static void check_long(const char *const *env, const char *word, const char *expected)
{
	cleanup_free char *msg = NULL;
	cleanup_free char *got = expand(&default_lex, env, word, &msg);
	size_t i = 0;

	if (!got)
		fail_msg("%s: unexpected error: %s", word, msg);
	while (got[i] && got[i] == expected[i])
		i++;
	if (got[i] || expected[i])
		fail_msg("%s: got %zu bytes, expected %zu, first difference at byte %zu", word,
			 strlen(got), strlen(expected), i);
}

static void test_modifier_long_value(void **state)
{
	struct cb_strbuf v = CB_STRBUF_INIT, p1 = CB_STRBUF_INIT, p2 = CB_STRBUF_INIT,
			 p3 = CB_STRBUF_INIT, want = CB_STRBUF_INIT;
	struct rlimit saved;

	(void)state;
	cb_strbuf_addstr(&v, "V=");
	add_long(&v, 0, LONG_N, false);
	/* 40 000 runes, then up to and around the mark. */
	cb_strbuf_addstr(&p1, "P1=");
	add_long(&p1, 0, 40000, true);
	cb_strbuf_addstr(&p1, "*Z*");
	/* Any run, then the last 40 000 runes. */
	cb_strbuf_addstr(&p2, "P2=*");
	add_long(&p2, 20000, LONG_N, true);
	/* 15 000 runes from the middle. */
	cb_strbuf_addstr(&p3, "P3=");
	add_long(&p3, 30000, 45000, true);

	cap_address_space(&saved);
	{
		const char *const *env = ENV(v.buf, p1.buf, p2.buf, p3.buf, "R=[$0]");

		add_long(&want, LONG_MARK + 1, LONG_N, false);
		check_long(env, "${V#$P1}", want.buf);
		check_long(env, "${V##$P1}", "");
		cb_strbuf_reset(&want);
		add_long(&want, 0, 20000, false);
		check_long(env, "${V%$P2}", want.buf);
		check_long(env, "${V%%$P2}", "");
		cb_strbuf_reset(&want);
		add_long(&want, 0, 30000, false);
		cb_strbuf_addstr(&want, "<>");
		add_long(&want, 45000, LONG_N, false);
		check_long(env, "${V/$P3/<>}", want.buf);
		cb_strbuf_reset(&want);
		add_long(&want, 0, 30000, false);
		cb_strbuf_addch(&want, '[');
		add_long(&want, 30000, 45000, false);
		cb_strbuf_addch(&want, ']');
		add_long(&want, 45000, LONG_N, false);
		check_long(env, "${V//$P3/$R}", want.buf);
		/* No match: the one candidate start fails at the very end. */
		check_long(env, "${V//${P3}Z/x}", v.buf + 2);
		check_long(env, "${V#$P3}", v.buf + 2);
		/* 60 000 matches, each found without rescanning the value. */
		cb_strbuf_reset(&want);
		for (size_t i = 0; i < LONG_N; i++)
			cb_strbuf_addch(&want, 'x');
		check_long(env, "${V//?/x}", want.buf);
	}
	assert_int_equal(setrlimit(RLIMIT_AS, &saved), 0);
	cb_strbuf_release(&v);
	cb_strbuf_release(&p1);
	cb_strbuf_release(&p2);
	cb_strbuf_release(&p3);
	cb_strbuf_release(&want);
}

static void test_modifier_unsupported(void **state)
{
	(void)state;
	check_err(&default_lex, ENV("V=x"), "${V=a}",
		  "failed to process \"${V=a}\": unsupported modifier (=) in substitution");
	check_err(&default_lex, ENV("V=x"), "${V:=a}",
		  "failed to process \"${V:=a}\": unsupported modifier (:=) in substitution");
	check_err(&default_lex, NOENV, "${.}",
		  "failed to process \"${.}\": unsupported modifier (.) in substitution");
	/* Running off the end after the name: Go's string(EOF) is U+FFFD. */
	check_err(
		&default_lex, NOENV, "${abc",
		"failed to process \"${abc\": unsupported modifier (\xEF\xBF\xBD) in substitution");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	check_err(&default_lex, NOENV, "${", "failed to process \"${\": syntax error: missing '}'");
	check_err(&default_lex, NOENV, "a${}",
		  "failed to process \"a${}\": syntax error: bad substitution");
	check_err(&default_lex, NOENV, "${{a}",
		  "failed to process \"${{a}\": syntax error: bad substitution");
	check_err(&default_lex, NOENV, "${:-a}",
		  "failed to process \"${:-a}\": syntax error: bad substitution");
	check_err(&default_lex, NOENV, "${a:-b",
		  "failed to process \"${a:-b\": syntax error: missing '}'");
	check_err(&default_lex, NOENV,
		  "${a:", "failed to process \"${a:\": syntax error: missing '}'");
	/* An error at the end of the word inside ${...} reads as the missing '}'. */
	check_err(&default_lex, NOENV, "${a:-'b}",
		  "failed to process \"${a:-'b}\": syntax error: missing '}'");
	check_err(&default_lex, NOENV, "${a:-${}}",
		  "failed to process \"${a:-${}}\": syntax error: bad substitution");
	check_err(&default_lex, NOENV, "it's",
		  "failed to process \"it's\": unexpected end of statement while looking for "
		  "matching single-quote");
	check_err(&default_lex, NOENV, "\"a\\\"",
		  "failed to process \"\\\"a\\\\\\\"\": unexpected end of statement while looking "
		  "for matching double-quote");
	/* The word is quoted as Go's %q does. */
	check_err(&default_lex, NOENV, "\t${",
		  "failed to process \"\\t${\": syntax error: missing '}'");
}

static void test_quotes_and_escapes(void **state)
{
	const char *const *env = ENV("A=1");

	(void)state;
	check_word(&default_lex, env, "'$A \\x'\"$A \\x \\\" \\$A \\\\\"", "$A \\x1 \\x \" $A \\");
	check_word(&default_lex, env, "a\\ b\\$A\\'\\\\", "a b$A'\\");
}

static void test_backtick_escape(void **state)
{
	struct shell_lex lex = SHELL_LEX_INIT;
	const char *const *env = ENV("A=1", "V=`ab");

	(void)state;
	lex.escape = '`';
	check_word(&lex, env, "C:\\dir`$A`", "C:\\dir$A");
	check_word(&lex, env, "\"x\\\"", "x\\");
	check_word(&lex, env, "\"a`\"b`$A``c`d\"", "a\"b$A`c`d");
	check_word(&lex, env, "a` b", "a b");
	/* Patterns keep the escape token; a backtick is just a literal there. */
	check_word(&lex, env, "${V#`*}", "ab");
	check_fields(&lex, env, "a` b c", FIELDS("a b", "c"));
}

static void test_raw_quotes(void **state)
{
	struct shell_lex lex = LEX(.raw_quotes = true);

	(void)state;
	check_word(&lex, ENV("A=1"), "'a $A'\"b $A\"c", "'a $A'\"b 1\"c");
	check_word(&lex, ENV("A=1"), "\"\\\"\"", "\"\"\"");
}

static void test_raw_escapes(void **state)
{
	struct shell_lex lex = LEX(.raw_escapes = true);
	struct shell_lex both = LEX(.raw_escapes = true, .raw_quotes = true);

	(void)state;
	check_word(&lex, ENV("A=1"), "a\\ b\\$A", "a\\ b\\$A");
	check_word(&lex, ENV("A=1"), "x\\", "x\\");
	/* Quirk: a raw escape before an ordinary character is written twice. */
	check_word(&both, ENV("A=1"), "\"a\\\"b\\q\"", "\"a\\\"b\\\\q\"");
	/* ${x:-...} turns raw escapes off inside, as processStopOn(..., false) does. */
	check_word(&lex, NOENV, "${U:-a\\b}\\c", "ab\\c");
	check_fields(&lex, NOENV, "a\\ b c", FIELDS("a\\ b", "c"));
}

static void test_skip_unset_env(void **state)
{
	struct shell_lex lex = LEX(.skip_unset_env = true);

	(void)state;
	check_word(&lex, ENV("S=v"), "$U|${U}|${U:-d}|${U-$S}|${U:+x}|${U#p}|${U/a/b}|${U//a/b}",
		   "$U|${U}|${U:-d}|${U-v}|${U:+x}|${U#p}|${U/a/b}|${U/a/b}");
	check_word(&lex, ENV("S=v"), "$S${S:-d}${S/v/w}", "vvw");
	/* Errors still fire for set variables and unsupported modifiers. */
	check_err(&lex, ENV("S="), "${S:?}",
		  "failed to process \"${S:?}\": S: is not allowed to be empty");
	check_word(&lex, NOENV, "${U?}", "${U?}");
	check_word(&lex, NOENV, "${U:x}", "${U:x}");
}

static void test_skip_process_quotes(void **state)
{
	struct shell_lex lex = LEX(.skip_process_quotes = true);

	(void)state;
	check_word(&lex, ENV("A=1"), "'$A' \"$A\" it's", "'1' \"1\" it's");
	check_fields(&lex, ENV("A=1"), "'a b'", FIELDS("'a", "b'"));
}

static void test_names_and_special_params(void **state)
{
	(void)state;
	check_word(&default_lex, ENV("한국어=k", "_a1=u", "1=one", "@=at"),
		   "$한국어-$_a1-$1-$@-${@}", "k-u-one-at-at");
	check_word(&default_lex, ENV("0=zero", "01=z1"), "$0a|$01a|${01}", "zeroa|z1a|z1");
	check_word(&default_lex, NOENV, "$|$.|$ |a$", "$|$.|$ |a$");
	check_word(&default_lex, ENV("A=x"), "$$A|$-A|$?A", "A|A|A");
}

static void test_env_rules(void **state)
{
	struct cb_strvec env = CB_STRVEC_INIT;
	struct shell_result res;
	struct cb_error *err = NULL;

	(void)state;
	check_word(&default_lex, ENV("A=1", "A=2", "B", "C=x=y"), "$A|${B-unset}|${B:-empty}|$C",
		   "2||empty|x=y");
	/* matched/unmatched: sorted, unique. */
	env_fill(&env, ENV("B=1", "A=2"));
	assert_int_equal(shell_expand(&default_lex, "$B $Z ${A} $B ${Y:-$A} $Z", &env, &res, &err),
			 0);
	assert_string_equal(res.word, "1  2 1 2 ");
	assert_int_equal(res.matched.n, 2);
	assert_string_equal(res.matched.v[0], "A");
	assert_string_equal(res.matched.v[1], "B");
	assert_null(res.matched.v[2]);
	assert_int_equal(res.unmatched.n, 2);
	assert_string_equal(res.unmatched.v[0], "Y");
	assert_string_equal(res.unmatched.v[1], "Z");
	shell_result_release(&res);
	cb_strvec_clear(&env);
	/* A NULL env is an empty one. */
	assert_int_equal(shell_expand(&default_lex, "${A:-d}", NULL, &res, &err), 0);
	assert_string_equal(res.word, "d");
	shell_result_release(&res);
}

static void test_field_splitting(void **state)
{
	const char *const *env = ENV("S= a \t b ", "NB=x\xC2\xA0y", "E=");

	(void)state;
	check_fields(&default_lex, env, "1${S}2", FIELDS("1", "a", "b", "2"));
	check_fields(&default_lex, env, "1\"${S}\"2", FIELDS("1 a \t b 2"));
	/* U+00A0 is a space to Go's unicode.IsSpace. */
	check_fields(&default_lex, env, "$NB", FIELDS("x", "y"));
	/* Empty quotes and empty expansions make no field. */
	check_fields(&default_lex, env, "\"\" '' $E", (const char *const[]){NULL});
	check_fields(&default_lex, env, "a\\ b  c\\\td", FIELDS("a b", "c\td"));
	/*
	 * The result of ${...} is split again; the "a" before it is lost to
	 * BuildKit's shared field buffer (test_fields_nested_buffer_quirk).
	 */
	check_fields(&default_lex, env, "a${U:-b c}d", FIELDS("b", "cd"));
	check_fields(&default_lex, env, "'", NULL);
}

/*
 * BuildKit's processPossibleHeredoc (moby/buildkit#5817): an unquoted,
 * unescaped "<<" keeps the ' ', '\t' and '\r' after it in its field, in
 * every mode; the expanded word itself is unchanged.  Expected values are
 * the newest lex.go's.
 */
static void test_heredoc_blanks(void **state)
{
	const struct shell_lex raw =
		LEX(.raw_quotes = true, .raw_escapes = true, .skip_unset_env = true);
	const char *const *env = ENV("A=1 2");

	(void)state;
	check_fields(&default_lex, NOENV, "cat <<  EOF > f", FIELDS("cat", "<<  EOF", ">", "f"));
	check_word(&default_lex, NOENV, "cat <<  EOF > f", "cat <<  EOF > f");
	check_fields(&raw, NOENV, "3<<  EOF", FIELDS("3<<  EOF"));
	check_fields(&default_lex, NOENV, "<<\t\r\rx", FIELDS("<<\t\r\rx"));
	check_fields(&default_lex, NOENV, "x <<  ", FIELDS("x", "<<  "));
	/* Other blanks still split; so does a blank after "<<-" or a lone '<'. */
	check_fields(&default_lex, NOENV, "<<\vx", FIELDS("<<", "x"));
	check_fields(&default_lex, NOENV, "<<-  EOF", FIELDS("<<-", "EOF"));
	check_fields(&default_lex, NOENV, "< < x", FIELDS("<", "<", "x"));
	check_fields(&default_lex, NOENV, "a<<<  b", FIELDS("a<<<", "b"));
	/* An escaped '<' is ordinary text. */
	check_fields(&default_lex, NOENV, "\\<<  x", FIELDS("<<", "x"));
	check_fields(&raw, NOENV, "<\\<  x", FIELDS("<\\<", "x"));
	/* Quoted text is not looked at; expansions split as usual. */
	check_fields(&raw, NOENV, "'<<  x' y", FIELDS("'<<  x'", "y"));
	check_fields(&default_lex, env, "$A<< b", FIELDS("1", "2<< b"));
	check_fields(&default_lex, env, "${A:-<<  x} y", FIELDS("1", "2", "y"));
	check_fields(&default_lex, NOENV, "${U:-<<  x} y", FIELDS("<<", "x", "y"));
}

static void test_utf8(void **state)
{
	(void)state;
	/* Invalid bytes read from the word become U+FFFD. */
	check_word(&default_lex, NOENV,
		   "a\xFF"
		   "b'\xFE'",
		   "a\xEF\xBF\xBD"
		   "b\xEF\xBF\xBD");
	/* One BOM at the very start is skipped; elsewhere it is kept. */
	check_word(&default_lex, NOENV, "\xEF\xBB\xBF\xEF\xBB\xBFx\xEF\xBB\xBF",
		   "\xEF\xBB\xBFx\xEF\xBB\xBF");
	/* A variable's bytes are copied as they are into the word ... */
	check_word(&default_lex, ENV("V=a\xFFz"), "$V|\"$V\"|${V#a}", "a\xFFz|a\xFFz|\xFFz");
	/* ... but % reverses runes twice, which normalises them. */
	check_word(&default_lex, ENV("V=a\xFFz"), "${V%z}", "a\xEF\xBF\xBD");
	/* ... and fields are built rune by rune from unquoted expansions. */
	check_fields(&default_lex, ENV("V=a\xFF z"), "$V \"$V\"",
		     FIELDS("a\xEF\xBF\xBD", "z", "a\xFF z"));
	/* '?' matches one rune, not one byte. */
	check_word(&default_lex, ENV("V=한국어"), "${V#?}|${V%?}|${V/?/x}", "국어|한국|x국어");
	/* Patterns are read with text/scanner too: a leading BOM is dropped. */
	check_word(&default_lex,
		   ENV("V=ab", "P=\xEF\xBB\xBF"
			       "a"),
		   "${V#$P}", "b");
}

/*
 * Nested replacements grow exponentially and deep nesting recurses: both
 * stop with an error instead of exhausting memory or the stack.
 */
static void test_expansion_limits(void **state)
{
	struct shell_lex lex = SHELL_LEX_INIT;
	const char *const env[] = {
		"F=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		NULL};
	const char *word = "${F//a/${F//a/${F//a/${F//a/$F}}}}";
	cleanup_free char *msg = NULL;
	cleanup_free char *got = NULL;
	struct cb_strbuf deep = CB_STRBUF_INIT;

	(void)state;
	/* 100^5 bytes if it were allowed */
	got = expand(&lex, env, word, &msg);
	assert_null(got);
	assert_non_null(strstr(msg, "expansion larger than 4194304 bytes"));
	/* three levels (1 MB) are fine */
	free(msg);
	msg = NULL;
	got = expand(&lex, env, "${F//a/${F//a/$F}}", &msg);
	assert_non_null(got);
	assert_int_equal(strlen(got), 1000000);
	free(got);
	got = NULL;
	/* a smaller max_result: 10,000 bytes pass, 1,000,000 do not */
	lex.max_result = 20000;
	got = expand(&lex, env, "${F//a/$F}", &msg);
	assert_non_null(got);
	assert_int_equal(strlen(got), 10000);
	free(got);
	got = expand(&lex, env, "${F//a/${F//a/$F}}", &msg);
	assert_null(got);
	assert_non_null(strstr(msg, "expansion larger than 20000 bytes"));
	free(msg);
	msg = NULL;
	lex.max_result = 0;

	for (int i = 0; i < DF_SHELL_MAX_DEPTH; i++)
		cb_strbuf_addstr(&deep, "${A:-");
	cb_strbuf_addch(&deep, 'x');
	for (int i = 0; i < DF_SHELL_MAX_DEPTH; i++)
		cb_strbuf_addch(&deep, '}');
	check_word(&lex, NULL, deep.buf, "x");
	cb_strbuf_reset(&deep);
	for (int i = 0; i <= DF_SHELL_MAX_DEPTH; i++)
		cb_strbuf_addstr(&deep, "${A:-");
	cb_strbuf_addch(&deep, 'x');
	for (int i = 0; i <= DF_SHELL_MAX_DEPTH; i++)
		cb_strbuf_addch(&deep, '}');
	free(msg);
	msg = NULL;
	got = expand(&lex, NULL, deep.buf, &msg);
	assert_null(got);
	assert_non_null(strstr(msg, "substitutions nested more than 256 deep"));
	cb_strbuf_release(&deep);
}

/*
 * BuildKit's lexer shares one field buffer with the nested calls that read
 * the inside of ${...}: an operator expansion drops the field being built
 * (ProcessWords only; the single word keeps everything).
 */
static void test_fields_nested_buffer_quirk(void **state)
{
	(void)state;
	check_fields(&default_lex, ENV("X=1"), "a${X:-b} c", FIELDS("1", "c"));
	check_fields(&default_lex, ENV("X=1"), "a${X} c", FIELDS("a1", "c"));
	check_fields(&default_lex, ENV("F=xy"), "p\"q\"${F%y}r s", FIELDS("xr", "s"));
	check_fields(&default_lex, ENV("F=xy"), "a\"${F/x/z}\" b", FIELDS("zy", "b"));
	check_fields(&default_lex, ENV("F=xy"), "a b${F#x}", FIELDS("a", "y"));
	check_word(&default_lex, ENV("X=1"), "a${X:-b} c", "a1 c");
}

static void put_item(struct cb_strbuf *sb, const char *tag, const char *s)
{
	cb_strbuf_addf(sb, "%s %zu\n%s\n", tag, strlen(s), s);
}

/* tests/data/buildkit-words: fuzzer-made words with BuildKit's results (see its README). */
static void test_vectors_buildkit_fuzz(void **state)
{
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		char rel[64];
		cleanup_free char *in_path = NULL, *out_path = NULL, *in = NULL, *want = NULL,
				  *word = NULL;
		struct shell_lex lex = SHELL_LEX_INIT;
		struct cb_strvec env = CB_STRVEC_INIT;
		struct cb_strbuf got = CB_STRBUF_INIT;
		struct shell_result res;
		struct cb_error *err = NULL;
		size_t len;

		snprintf(rel, sizeof(rel), "buildkit-words/%03d.in", i);
		in_path = cb_test_data_path(rel);
		if (access(in_path, F_OK) < 0)
			break;
		snprintf(rel, sizeof(rel), "buildkit-words/%03d.out", i);
		out_path = cb_test_data_path(rel);
		in = cb_test_read_file(in_path, &len);
		want = cb_test_read_file(out_path, NULL);
		assert_true(len >= 1);
		shellword_input_decode(in, len, &lex, &word, &env);
		memset(&res, 0, sizeof(res));
		if (shell_expand(&lex, word, &env, &res, &err) == 0) {
			put_item(&got, "WORD", res.word);
			for (size_t k = 0; k < res.matched.n; k++)
				put_item(&got, "M", res.matched.v[k]);
			for (size_t k = 0; k < res.unmatched.n; k++)
				put_item(&got, "U", res.unmatched.v[k]);
			for (size_t k = 0; k < res.words.n; k++)
				put_item(&got, "W", res.words.v[k]);
			shell_result_release(&res);
		} else {
			put_item(&got, "ERR", "");
		}
		cb_error_free(&err);
		cb_strvec_clear(&env);
		if (strcmp(got.buf, want))
			fail_msg("%s: BuildKit gives\n%s\ncbuild gives\n%s", in_path, want,
				 got.buf);
		cb_strbuf_release(&got);
		n++;
	}
	assert_true(n >= 100);
}

CB_TEST_MAIN(cmocka_unit_test(test_vectors_process_word), cmocka_unit_test(test_expansion_limits),
	     cmocka_unit_test(test_fields_nested_buffer_quirk),
	     cmocka_unit_test(test_vectors_buildkit_fuzz),
	     cmocka_unit_test(test_vectors_defective_case_corrected),
	     cmocka_unit_test(test_vectors_envvar), cmocka_unit_test(test_vectors_words),
	     cmocka_unit_test(test_modifier_default_and_alternative),
	     cmocka_unit_test(test_modifier_required), cmocka_unit_test(test_modifier_trim),
	     cmocka_unit_test(test_modifier_trim_rejects), cmocka_unit_test(test_modifier_replace),
	     cmocka_unit_test(test_modifier_replace_all_template),
	     cmocka_unit_test(test_modifier_long_value),
	     cmocka_unit_test(test_modifier_unsupported), cmocka_unit_test(test_syntax_errors),
	     cmocka_unit_test(test_quotes_and_escapes), cmocka_unit_test(test_backtick_escape),
	     cmocka_unit_test(test_raw_quotes), cmocka_unit_test(test_raw_escapes),
	     cmocka_unit_test(test_skip_unset_env), cmocka_unit_test(test_skip_process_quotes),
	     cmocka_unit_test(test_names_and_special_params), cmocka_unit_test(test_env_rules),
	     cmocka_unit_test(test_field_splitting), cmocka_unit_test(test_heredoc_blanks),
	     cmocka_unit_test(test_utf8))
