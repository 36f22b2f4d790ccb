/*
 * test_parser_dockerignore.c - .dockerignore reading and matching against
 * moby/patternmatcher's own vectors (tests/data/shared/testdata/patternmatcher) and
 * targeted cases: '**' forms, exclusions, the parent-directory rule, bad
 * patterns, ReadAll's cleaning, and the Go regexp quirks that patternmatcher's
 * translation exposes.
 */
#include "cbtest.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "dockerfile.h"
#include "xalloc.h"

#define PATS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Build a matcher; NULL with *msg set (caller frees) on error. */
static struct ignore_matcher *matcher(const char *const *pats, char **msg)
{
	struct cb_strvec v = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	struct ignore_matcher *m;

	for (; pats && *pats; pats++)
		cb_strvec_push(&v, *pats);
	m = ignore_matcher_new(&v, &err);
	cb_strvec_clear(&v);
	if (msg)
		*msg = m ? NULL : xstrdup(cb_error_msg(err));
	if (!m && !err)
		fail_msg("ignore_matcher_new failed without setting an error");
	cb_error_free(&err);
	return m;
}

/*
 * filepath.Dir for the vector texts, which hold no "." or ".." elements and
 * no doubled slashes: up to the last '/', trailing slashes dropped.
 */
static char *simple_dir(const char *text)
{
	const char *slash = strrchr(text, '/');
	size_t n;

	if (!slash)
		return xstrdup(".");
	n = (size_t)(slash - text);
	while (n > 0 && text[n] == '/' && text[n - 1] == '/')
		n--;
	return xstrndup(text, n ? n : 1);
}

/*
 * MatchesUsingParentResults as a walker calls it: match each ancestor
 * directory of text (as patternmatcher_test.go splits filepath.Dir), keep its
 * info for the next level, then match text itself.
 */
static int walk_match(const struct ignore_matcher *m, const char *text)
{
	cleanup_free char *dir = simple_dir(text);
	struct ignore_parent_info info, next;
	int res;

	ignore_parent_init(&info);
	if (strcmp(dir, ".")) {
		for (size_t k = 0;; k++) {
			if (dir[k] == '/' || !dir[k]) {
				cleanup_free char *prefix = xstrndup(dir, k);

				ignore_matcher_matches_parent(m, prefix, &info, &next, NULL);
				ignore_parent_release(&info);
				info = next;
			}
			if (!dir[k])
				break;
		}
	}
	res = ignore_matcher_matches_parent(m, text, &info, &next, NULL);
	ignore_parent_release(&info);
	ignore_parent_release(&next);
	return res;
}

/* Every way of asking must agree; returns the number of disagreements. */
static int check_all_ways(const struct ignore_matcher *m, const char *what, const char *text,
			  bool want)
{
	struct ignore_parent_info none, out;
	int direct = ignore_matcher_matches(m, text, NULL), walked = walk_match(m, text), nocontext;
	int bad = 0;

	ignore_parent_init(&none);
	nocontext = ignore_matcher_matches_parent(m, text, &none, &out, NULL);
	ignore_parent_release(&out);
	if (direct != want || walked != want || nocontext != want) {
		print_error("FAIL %s %s: want %d, got matches=%d walk=%d no-context=%d\n", what,
			    text, want, direct, walked, nocontext);
		bad = 1;
	}
	return bad;
}

static void check_match(const char *const *pats, const char *text, bool want)
{
	cleanup_free char *msg = NULL;
	struct ignore_matcher *m = matcher(pats, &msg);

	if (!m)
		fail_msg("%s: unexpected error: %s", pats[0], msg);
	if (check_all_ways(m, pats[0], text, want))
		fail_msg("%s vs %s: expected %s", pats[0], text, want ? "a match" : "no match");
	ignore_matcher_free(m);
}

/*
 * A bad pattern fails New (filepath.Match's syntax check) or, when only
 * Go's regexp refuses it, the first match that uses it: msg gets either.
 * Returns 1 when there was such an error.
 */
static int bad_now_or_when_used(struct ignore_matcher *m, const char *text, char **msg)
{
	struct cb_error *err = NULL;
	int r = ignore_matcher_matches(m, text, &err);

	if (r < 0 && !err)
		fail_msg("ignore_matcher_matches returned -1 without an error");
	if (r >= 0 && err)
		fail_msg("ignore_matcher_matches set an error but returned %d", r);
	if (r < 0)
		*msg = xstrdup(cb_error_msg(err));
	cb_error_free(&err);
	return r < 0;
}

static void check_bad(const char *const *pats, const char *want_msg)
{
	cleanup_free char *msg = NULL;
	struct ignore_matcher *m = matcher(pats, &msg);

	if (m) {
		int bad = bad_now_or_when_used(m, "x", &msg);

		ignore_matcher_free(m);
		if (!bad)
			fail_msg("%s: expected a bad-pattern error", pats[0]);
	}
	if (want_msg && strcmp(msg, want_msg))
		fail_msg("%s: expected error \"%s\", got \"%s\"", pats[0], want_msg, msg);
}

/* ReadAll of content must give exactly want (NULL-terminated). */
static void check_read(const char *content, size_t len, const char *const *want)
{
	struct cb_strvec out = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	size_t n = 0;

	if (dockerignore_read(content, len, &out, &err) < 0)
		fail_msg("read failed: %s", cb_error_msg(err));
	for (; want[n]; n++) {
		if (n >= out.n || strcmp(out.v[n], want[n]))
			fail_msg("pattern %zu: expected \"%s\", got \"%s\"", n, want[n],
				 n < out.n ? out.v[n] : "(none)");
	}
	assert_int_equal(out.n, n);
	cb_strvec_clear(&out);
}

/* ------------------------------------------------------------------------ */
/* patternmatcher's vectors                                                  */
/* ------------------------------------------------------------------------ */

static json_t *load_vectors(void)
{
	cleanup_free char *path = cb_test_shared_path("patternmatcher/vectors.json");
	json_t *root;

	root = json_load_file(path, 0, NULL);
	assert_non_null(root);
	return root;
}

/* One case: patterns (array), text, match; or a bad pattern when error. */
static int run_case(json_t *pats, const char *text, bool want, bool want_err)
{
	struct cb_strvec v = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	struct ignore_matcher *m;
	size_t i;
	json_t *p;
	int bad = 0;

	json_array_foreach (pats, i, p)
		cb_strvec_push(&v, json_string_value(p));
	m = ignore_matcher_new(&v, &err);
	if (!m) {
		if (!want_err) {
			print_error("FAIL %s: unexpected error %s\n", v.n ? v.v[0] : "",
				    cb_error_msg(err));
			bad = 1;
		}
		cb_error_free(&err);
	} else if (want_err) {
		/* New may accept it: then every match that uses it fails, again and again */
		cleanup_free char *m1 = NULL, *m2 = NULL;

		if (!bad_now_or_when_used(m, text, &m1) || !bad_now_or_when_used(m, text, &m2)) {
			print_error("FAIL %s vs %s: expected a bad-pattern error\n", v.v[0], text);
			bad = 1;
		}
	} else {
		bad = check_all_ways(m, v.n ? v.v[0] : "(none)", text, want);
	}
	ignore_matcher_free(m);
	cb_strvec_clear(&v);
	return bad;
}

static void run_section(const char *section, bool single)
{
	json_auto_t *root = load_vectors();
	json_t *c;
	size_t i;
	int bad = 0, total = 0;

	json_array_foreach (json_object_get(root, section), i, c) {
		json_auto_t *pats = NULL;

		if (!json_object_get(c, "text"))
			continue; /* misc cases about New alone: see test_vectors_misc */
		pats = single ? json_pack("[O]", json_object_get(c, "pattern"))
			      : json_incref(json_object_get(c, "patterns"));
		bad += run_case(pats, json_string_value(json_object_get(c, "text")),
				json_is_true(json_object_get(c, "match")),
				json_is_true(json_object_get(c, "error")));
		total++;
	}
	print_message("%s: %d/%d passed\n", section, total - bad, total);
	assert_true(total > 0);
	assert_int_equal(bad, 0);
}

static void test_vectors_matches_single(void **state)
{
	(void)state;
	run_section("matches_single", true);
}

static void test_vectors_matches_multi(void **state)
{
	(void)state;
	run_section("matches_multi", false);
}

static void test_vectors_filepath_match(void **state)
{
	(void)state;
	run_section("filepath_match", true);
}

static void test_vectors_misc(void **state)
{
	json_auto_t *root = load_vectors();
	json_t *c, *v;
	size_t i;

	(void)state;
	run_section("misc_from_small_tests", false);
	json_array_foreach (json_object_get(root, "misc_from_small_tests"), i, c) {
		struct cb_strvec pats = CB_STRVEC_INIT;
		struct ignore_parent_info info, out;
		struct ignore_matcher *m;
		size_t k;

		json_array_foreach (json_object_get(c, "patterns"), k, v)
			cb_strvec_push(&pats, json_string_value(v));
		m = ignore_matcher_new(&pats, NULL);
		cb_strvec_clear(&pats);
		if (json_object_get(c, "cleaned_count")) {
			/* the count is not public; the per-pattern parent info has one slot each */
			assert_non_null(m);
			ignore_parent_init(&info);
			ignore_matcher_matches_parent(m, "x", &info, &out, NULL);
			assert_int_equal(out.n,
					 json_integer_value(json_object_get(c, "cleaned_count")));
			ignore_parent_release(&out);
		}
		if (json_object_get(c, "exclusions")) {
			assert_non_null(m);
			assert_int_equal(ignore_matcher_has_exclusions(m),
					 json_is_true(json_object_get(c, "exclusions")));
		}
		ignore_matcher_free(m);
	}
}

static void test_vectors_compile(void **state)
{
	json_auto_t *root = load_vectors();
	json_t *c;
	size_t i;

	(void)state;
	/* the fast-path kind is internal; every pattern must at least compile */
	json_array_foreach (json_object_get(root, "compile"), i, c) {
		const char *p = json_string_value(json_object_get(c, "pattern"));
		cleanup_free char *msg = NULL;
		struct ignore_matcher *m = matcher(PATS(p), &msg);

		if (!m)
			fail_msg("%s: %s", p, msg);
		ignore_matcher_free(m);
	}
}

static void test_vectors_readall(void **state)
{
	json_auto_t *root = load_vectors();
	json_t *v = json_object_get(root, "ignorefile_readall"), *e;
	const char *input = json_string_value(json_object_get(v, "input"));
	const char *want[64];
	size_t i;

	(void)state;
	assert_true(json_array_size(json_object_get(v, "expected")) < 64);
	json_array_foreach (json_object_get(v, "expected"), i, e)
		want[i] = json_string_value(e);
	want[json_array_size(json_object_get(v, "expected"))] = NULL;
	check_read(input, strlen(input), want);
}

/* ------------------------------------------------------------------------ */
/* Matching                                                                  */
/* ------------------------------------------------------------------------ */

static void test_double_star(void **state)
{
	(void)state;
	check_match(PATS("**"), "a/b/c", true);
	check_match(PATS("**/*.go"), "main.go", true);
	check_match(PATS("**/*.go"), "cmd/x/main.go", true);
	check_match(PATS("**/*.go"), "cmd/x/main.c", false);
	check_match(PATS("a/**/b"), "a/b", true);
	check_match(PATS("a/**/b"), "a/x/y/b", true);
	check_match(PATS("a/**/b"), "a/xb", false);
	check_match(PATS("a/**/b"), "ab", false);
	check_match(PATS("a/**"), "a", false);
	check_match(PATS("a/**"), "a/x", true);
	/* "dir**" is a prefix test: anything starting with "dir" */
	check_match(PATS("dir**"), "directory/x", true);
	/* a leading "**" is a suffix test on bytes, unlike the regexp it would make */
	check_match(PATS("**.txt"), "notes.txt", true);
	check_match(PATS("**.txt"), "a/b/notes.txt", true);
	check_match(PATS("**/foo"), "xfoo", false);
	check_match(PATS("**/foo"), "a/foo/bar", true);
	/* "**x" not at the start is (.*\/)? : only whole directories */
	check_match(PATS("a/**x"), "a/b/x", true);
	check_match(PATS("a/**x"), "a/bx", false);
	/* '*' and '?' never cross '/' */
	check_match(PATS("a*"), "a/b", true); /* via the parent "a" */
	check_match(PATS("*/b"), "x/y/b", false);
	check_match(PATS("?"), "/", false);
}

static void test_exclusions(void **state)
{
	struct ignore_matcher *m;

	(void)state;
	check_match(PATS("*.md", "!README.md"), "README.md", false);
	check_match(PATS("*.md", "!README.md"), "CHANGES.md", true);
	check_match(PATS("*.md", "!README.md", "README*"), "README.md", true);
	check_match(PATS("!README.md", "*.md"), "README.md", true);
	/* a re-included file under an excluded directory */
	check_match(PATS("docs", "!docs/keep"), "docs/keep", false);
	check_match(PATS("docs", "!docs/keep"), "docs/keep/x", false);
	check_match(PATS("docs", "!docs/keep"), "docs/other", true);
	/* leading and trailing space around '!' and the pattern */
	check_match(PATS("  docs ", " !docs/keep  "), "docs/keep", false);
	m = matcher(PATS("a", "b"), NULL);
	assert_false(ignore_matcher_has_exclusions(m));
	ignore_matcher_free(m);
	m = matcher(PATS("a", "!b"), NULL);
	assert_true(ignore_matcher_has_exclusions(m));
	ignore_matcher_free(m);
	assert_false(ignore_matcher_has_exclusions(NULL));
}

static void test_parent_dir_rule(void **state)
{
	(void)state;
	check_match(PATS("build"), "build/out/a.o", true);
	check_match(PATS("build/"), "build/out/a.o", true);
	check_match(PATS("build/out"), "build/out/a.o", true);
	check_match(PATS("build/out"), "build/outx/a.o", false);
	check_match(PATS("*/out"), "build/out/a.o", true);
	check_match(PATS("**/node_modules"), "web/app/node_modules/x/y.js", true);
	/* patterns are cleaned: "./x", "x/.", "a/../x" all mean x */
	check_match(PATS("./build"), "build/a", true);
	check_match(PATS("build/."), "build/a", true);
	check_match(PATS("src/../build"), "build/a", true);
	check_match(PATS("a//b"), "a/b", true);
	/* ".." cannot climb out of a relative pattern; it stays and never matches */
	check_match(PATS("../x"), "x", false);
	/* the path itself is not cleaned (as in patternmatcher), its parents are */
	check_match(PATS("a/b"), "a/b/", true);
	check_match(PATS("a"), "./a", false);
}

static void test_parent_info(void **state)
{
	struct ignore_matcher *m = matcher(PATS("dir", "!dir/keep", "*.tmp"), NULL);
	struct ignore_parent_info root, dir, out, bogus;
	bool flags[1] = {true};

	(void)state;
	ignore_parent_init(&root);
	assert_int_equal(ignore_matcher_matches_parent(m, "dir", &root, &dir, NULL), 1);
	assert_int_equal(dir.n, 3);
	assert_true(dir.matched[0]);
	assert_int_equal(ignore_matcher_matches_parent(m, "dir/x", &dir, &out, NULL), 1);
	ignore_parent_release(&out);
	assert_int_equal(ignore_matcher_matches_parent(m, "dir/keep", &dir, &out, NULL), 0);
	ignore_parent_release(&out);
	/* out may be the parent info itself */
	assert_int_equal(ignore_matcher_matches_parent(m, "dir/x", &dir, &dir, NULL), 1);
	assert_int_equal(dir.n, 3);
	ignore_parent_release(&dir);
	/* info with the wrong count is ignored: every parent is checked instead */
	bogus.matched = flags;
	bogus.n = 1;
	assert_int_equal(ignore_matcher_matches_parent(m, "dir/y", &bogus, &out, NULL), 1);
	ignore_parent_release(&out);
	ignore_parent_release(&root);
	ignore_matcher_free(m);
	ignore_matcher_free(NULL);
}

static void test_classes_and_escapes(void **state)
{
	(void)state;
	check_match(PATS("file[0-9].txt"), "file7.txt", true);
	check_match(PATS("file[0-9].txt"), "filex.txt", false);
	check_match(PATS("file[^0-9].txt"), "filex.txt", true);
	/* Go has no "[!...]" negation: '!' is a member */
	check_match(PATS("[!a]"), "!", true);
	check_match(PATS("[!a]"), "b", false);
	check_match(PATS("\\[x\\]"), "[x]", true);
	check_match(PATS("a\\?"), "a?", true);
	check_match(PATS("a\\?"), "ab", false);
	check_match(PATS("*.[ch]"), "x.h", true);
	check_match(PATS("日本*"), "日本語", true);
	check_match(PATS("?"), "語", true);
	/* regexp metacharacters are literal */
	check_match(PATS("a+b(c)|{d}$"), "a+b(c)|{d}$", true);
	check_match(PATS("a.b*"), "axb", false);
}

/*
 * patternmatcher copies a class into the regexp verbatim and Go's regexp
 * parser reads it: these are BuildKit's answers, odd as they are.
 */
static void test_go_regexp_quirks(void **state)
{
	(void)state;
	/* "[a?]" becomes "[a[^/]]": the class ends early, then a literal ']' */
	check_match(PATS("[a?]"), "a]", true);
	check_match(PATS("[a?]"), "a", false);
	/* POSIX classes and Perl escapes work inside brackets */
	check_match(PATS("[[:digit:]]x"), "5x", true);
	check_match(PATS("[[:digit:]]x"), "ax", false);
	check_match(PATS("a[\\d]"), "a1", true);
	/* \b is a word boundary in Go's regexp */
	check_match(PATS("a\\b*"), "a", true);
	check_match(PATS("a\\b*"), "ab", false);
	/* '^' is not escaped: a text anchor in the middle never matches ... */
	check_match(PATS("a^b*"), "ab", false);
	/* ... but an exact pattern never reaches the regexp */
	check_match(PATS("a^b"), "a^b", true);
	/* \Q quotes the rest of the regexp text, "[^/]*$" included */
	check_match(PATS("\\Qa*"), "a[^/]*$", true);
	check_match(PATS("\\Qa*"), "ab", false);
	/* octal and hex escapes */
	check_match(PATS("\\x41*"), "AB", true);
	check_match(PATS("\\101*"), "AB", true);
	check_match(PATS("\\pL?"), "éx", true);
}

/*
 * Windows-style backslashes are escapes, and the regexp reads some escaped
 * letters its own way: BuildKit fails on "docs\README.md" (\R is no escape)
 * and reads "src\test" as "src<TAB>est".
 */
static void test_backslash_paths(void **state)
{
	(void)state;
	check_bad(PATS("docs\\README.md"),
		  "bad .dockerignore pattern `docs\\README.md`: syntax error in pattern");
	check_match(PATS("src\\test"), "src\test", true);
	check_match(PATS("src\\test"), "src/test", false);
	check_match(PATS("a\\b"), "a", true);
	/* an escaped non-letter is just that character */
	check_match(PATS("a\\_b"), "a_b", true);
}

/* Quirks of patternmatcher kept on purpose, each checked against Go. */
static void test_patternmatcher_quirks(void **state)
{
	struct ignore_matcher *m = matcher(PATS("a/b", "!a"), NULL);

	(void)state;
	/*
	 * The walk and the direct check disagree here in Go too: walking, "!a"
	 * is skipped at "a" (nothing to re-include yet), so "a/b" stays out.
	 */
	assert_int_equal(ignore_matcher_matches(m, "a/b", NULL), 0);
	assert_true(walk_match(m, "a/b"));
	ignore_matcher_free(m);
	/* text/scanner drops a leading BOM from a regexp pattern ... */
	check_match(PATS("\xEF\xBB\xBF*x"), "ax", true);
	/* ... but an exact pattern compares the bytes, BOM included */
	check_match(PATS("\xEF\xBB\xBF\x61\x62"), "\xEF\xBB\xBF\x61\x62", true);
	check_match(PATS("\xEF\xBB\xBF\x61\x62"), "ab", false);
	/* invalid UTF-8 in a class is a bad pattern; elsewhere it is U+FFFD */
	check_bad(PATS("x[\xFF]"), NULL);
	check_match(PATS("x\xFF?"), "x\xFE\x61", true);
}

static void test_bad_patterns(void **state)
{
	(void)state;
	check_bad(PATS("["), "bad .dockerignore pattern `[`: syntax error in pattern");
	check_bad(PATS(" a[ "), "bad .dockerignore pattern `a[`: syntax error in pattern");
	check_bad(PATS("ok", "!"), "illegal exclusion pattern `!`");
	check_bad(PATS(" ! "), "illegal exclusion pattern `!`");
	check_bad(PATS("a\\"), NULL);
	check_bad(PATS("[z-"), NULL);
	check_bad(PATS("x/[^]/y"), NULL);
	check_bad(PATS("*[a-b-c]"), NULL);
	/* fine for filepath.Match but not for Go's regexp (inverted range) */
	check_bad(PATS("[Local-Only]/"),
		  "bad .dockerignore pattern `[Local-Only]/`: syntax error in pattern");
	check_bad(PATS("[z-a]"), NULL);
	/* bad escapes in regexp text, unknown [:name:] */
	check_bad(PATS("\\q*"), NULL);
	check_bad(PATS("\\1*"), NULL);
	check_bad(PATS("[[:nope:]]"), NULL);
	check_bad(PATS("[\\b]"), NULL);
	/* a bad pattern fails even when it is not the first */
	check_bad(PATS("a", "b", "c["), NULL);
	/* empty and blank patterns are skipped, not errors */
	check_match(PATS("", "  ", "\t"), "x", false);
}

/*
 * patternmatcher's escape bitmap loses '|', '{' and '}', so in a pattern
 * that becomes a regexp they are alternation and counted repetition (each
 * case checked against the newest patternmatcher).
 */
static void test_unescaped_alternation_and_repetition(void **state)
{
	(void)state;
	/* "^a[^/]|b$": starts with "a?" or ends with "b" */
	check_match(PATS("a?|b"), "xb", true);
	check_match(PATS("a?|b"), "zzz", false);
	check_match(PATS("a?|"), "anything", true);
	/* an exact pattern never becomes a regexp: '|' is just a byte there */
	check_match(PATS("a|b"), "a|b", true);
	check_match(PATS("a|b"), "b", false);
	check_match(PATS("x?{1,2}"), "xaa", true);
	check_match(PATS("x?{1,2}"), "xaaa", false);
	check_match(PATS("x?{1,2}"), "xa{1,2}", false);
	check_match(PATS("a?{0}"), "a", true);
	check_match(PATS("a?{2,}"), "abbb", true);
	check_match(PATS("a?{2,}"), "ab", false);
	check_match(PATS("a?{3}b"), "axyzb", true);
	/* not a repetition: '{' is literal, as in Go */
	check_match(PATS("*.{js,ts}"), "a.{js,ts}", true);
	check_match(PATS("*.{js,ts}"), "a.js", false);
	check_match(PATS("?{"), "a{", true);
	/* Go's regexp refuses leading zeros in a count: then it is text too */
	check_match(PATS("?{01}"), "a{01}", true);
	check_match(PATS("?{020,0014}"), "a{020,0014}", true);
	check_match(PATS("?{1,02}"), "a{1,02}", true);
	check_match(PATS("?{0}"), "x", false);
	check_match(PATS("?{0}b"), "b", true);
	/* \p{L} reaches the regexp now; \p{^L} negates */
	check_match(PATS("a\\p{L}"), "ab", true);
	check_match(PATS("a\\p{^L}"), "a1", true);
	/* every general category of Go's unicode.Categories, and Any */
	check_match(PATS("a\\pN"), "a1", true);
	check_match(PATS("a\\pN"), "ab", false);
	check_match(PATS("a\\p{Lu}"), "aB", true);
	check_match(PATS("a\\P{Nd}"), "ax", true);
	check_match(PATS("a\\pP"), "a!", true);
	check_match(PATS("[\\p{Zs}]x"), "\xE3\x80\x80x", true);
	check_match(PATS("a\\p{Any}"), "a\xE2\x82\xAC", true);
	/* scripts work (test_unicode_names); an unknown name is bad in Go too */
	check_match(PATS("a\\p{Greek}"), "a\xCE\xB1", true);
	check_bad(PATS("a\\pa"), NULL);
	/* Go refuses these when a match uses them */
	check_bad(PATS("x*{2}"), "bad .dockerignore pattern `x*{2}`: syntax error in pattern");
	check_bad(PATS("?{1001}"), NULL);
	check_bad(PATS("?{3,2}"), NULL);
}

static void test_no_exponential_blowup(void **state)
{
	char text[4097];
	clock_t start = clock();

	(void)state;
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	check_match(PATS("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"), text, false);
	check_match(PATS("**/**/**/**/**/**/**/**/b"), "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/c",
		    false);
	assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 2.0);
}

/*
 * Go 1.25 and later read \p names loosely (case, '_', '-' and ' ' do not
 * count), know the category aliases, Cn, LC, Assigned and ASCII, and find
 * the scripts whose names are one word; PCRE2's properties carry them.
 */
static void test_unicode_names(void **state)
{
	(void)state;
	check_match(PATS("a\\p{Greek}"), "a\xCE\xB1", true); /* alpha */
	check_match(PATS("a\\p{Greek}"), "ab", false);
	check_match(PATS("a\\P{Greek}"), "ab", true);
	check_match(PATS("a[\\p{Greek}x]"), "ax", true);
	check_match(PATS("a\\p{^Greek}"), "a\xCE\xB1", false);
	check_match(PATS("\\p{Han}*"), "\xE8\xAA\x9E", true);
	/* the Script property, not Script_Extensions: U+0342 is Inherited */
	check_match(PATS("a\\p{Greek}"), "a\xCD\x82", false);
	check_match(PATS("a\\p{Inherited}"), "a\xCD\x82", true);
	/* loose names and aliases */
	check_match(PATS("a\\p{greek}"), "a\xCE\xB1", true);
	check_match(PATS("a\\pl"), "ab", true);
	check_match(PATS("a\\p{Uppercase_Letter}"), "aB", true);
	check_match(PATS("a\\p{lowercase letter}"), "aB", false);
	check_match(PATS("a\\p{LC}"), "aB", true);
	check_match(PATS("a\\p{ASCII}"), "a~", true);
	check_match(PATS("a\\p{ASCII}"), "a\xC3\xA9", false);
	/* Go's C has no unassigned code points (U+0378); Cn and Assigned do */
	check_match(PATS("a\\p{C}"), "a\xCD\xB8", false);
	check_match(PATS("a\\P{C}"), "a\xCD\xB8", true);
	check_match(PATS("a[^\\p{C}]"), "a\xCD\xB8", true);
	check_match(PATS("a\\p{C}"), "a\xC2\xAD", true); /* soft hyphen, Cf */
	check_match(PATS("a\\p{Cn}"), "a\xCD\xB8", true);
	check_match(PATS("a\\p{Assigned}"), "a\xCD\xB8", false);
	/* Go canonicalises before it looks a script up: several words never match */
	check_bad(PATS("a\\p{Old_Italic}"), NULL);
	check_bad(PATS("a\\p{Nosuch}"), NULL);
	check_bad(PATS("a\\p{}"), NULL);
	check_bad(PATS("a\\p{Greek"), NULL);
}

/*
 * What PCRE2 accepts (or reads otherwise) and Go's regexp does not: the
 * text is parsed as Go parses it, so these fail or mean what they mean in Go.
 */
static void test_pcre2_only_refused(void **state)
{
	/*
	 * Space-separated: PCRE2 escapes Go has not, a backreference, stacked
	 * repetitions, counts over 1000, \Q in brackets, \x{} past
	 * U+10FFFF, empty or not hex.
	 */
	static const char bad[] = "a\\Z* a\\h* a\\R* a\\K* a\\e* a\\G* a\\X* a\\N* a\\g1* a\\k<n>* "
				  "a\\cA* a\\o{101}* a\\C* a\\2* x?{2}{3} ?{1000}{2} "
				  "a\\p{Greek}{2}{3} ?{1001} ?{0,1001} ?{99999999999} [\\Q]a]* "
				  "\\x{110000}* \\x{}* \\x{12g}*";

	(void)state;
	for (const char *p = bad; *p;) {
		size_t n = strcspn(p, " ");
		cleanup_free char *pat = xstrndup(p, n);
		cleanup_free char *want =
			xasprintf("bad .dockerignore pattern `%s`: syntax error in pattern", pat);

		check_bad(PATS(pat), want);
		p += n + (p[n] == ' ');
	}
	/* Go's count limit is 1000 on the product of nested counts too */
	check_match(PATS("?{1000}"), "a", false);
	/* {,n} is literal text in Go (a count in newer PCRE2) */
	check_match(PATS("?{,3}"), "a{,3}", true);
	check_match(PATS("?{,3}"), "aa", false);
	/* \s has no \v in Go, [[:space:]] has */
	check_match(PATS("a\\s"), "a\v", false);
	check_match(PATS("a\\s"), "a\f", true);
	check_match(PATS("a[[:space:]]"), "a\v", true);
	check_match(PATS("a\\S"), "a\v", true);
	/* \b \w \d [[:alpha:]] are ASCII: no UCP */
	check_match(PATS("x\\b*"), "x\xC3\xA9", true);
	check_match(PATS("a\\w"), "a\xC3\xA9", false);
	check_match(PATS("a\\d"), "a\xD9\xA3", false); /* ARABIC-INDIC DIGIT THREE */
	check_match(PATS("a[[:alpha:]]"), "a\xC3\xA9", false);
	check_match(PATS("a[[:^alpha:]]"), "a\xC3\xA9", true);
	/* \x{...} and empty-width atoms under a count, as Go reads them */
	check_match(PATS("\\x{263a}*"), "\xE2\x98\xBA", true);
	check_match(PATS("{2}a*"), "ab", true);
	check_match(PATS("a\\b{2}*"), "a", true);
	/* a surrogate is no rune of any subject */
	check_match(PATS("a\\x{D800}*"), "a\xED\xA0\x80", false);
	check_match(PATS("a[\\x{D000}-\\x{E000}]"), "a\xED\x80\x80", true);
	/* stacked repetitions are refused, but not across an empty \Q\E */
	check_match(PATS("a?\\Q\\E{2}"), "ab", false);
	check_match(PATS("a?\\Q\\E{2}"), "abc", true);
	/* more alternatives than Go's nesting depth: Go's alternation is flat */
	{
		struct cb_strbuf big = CB_STRBUF_INIT;

		for (int i = 0; i < 1500; i++)
			cb_strbuf_addstr(&big, "x?|");
		cb_strbuf_addstr(&big, "y?");
		check_match(PATS(big.buf), "yz", true);
		check_match(PATS(big.buf), "zz", false);
		cb_strbuf_release(&big);
	}
}

/* Go reads a string with invalid UTF-8 one bad byte = one U+FFFD rune at a time. */
static void test_invalid_utf8_names(void **state)
{
	(void)state;
	check_match(PATS("x?"), "x\xFF", true);
	check_match(PATS("x??"), "x\xFF", false);
	check_match(PATS("x??"), "x\xE2\x82", true);	  /* a truncated sequence: 2 runes */
	check_match(PATS("x???"), "x\xED\xA0\x80", true); /* an encoded surrogate: 3 */
	check_match(PATS("x??"), "x\xC0\xAF", true);	  /* an overlong '/': 2, no '/' */
	check_match(PATS("x/?"), "x\xC0\xAF", false);
	check_match(PATS("[^a]*"), "\xFF\xFE", true);
	/* a U+FFFD in the pattern matches every bad byte */
	check_match(PATS("a\xEF\xBF\xBD\xEF\xBF\xBD*"), "a\xFF\x80", true);
	check_match(PATS("a\xEF\xBF\xBD?"), "a\xFF\x62", true);
	check_match(PATS("a\xEF\xBF\xBD?"), "abb", false);
	/* ... and the bad bytes of a directory name too */
	check_match(PATS("*/\xEF\xBF\xBDy"), "d\xFF/\xFEy/z", true);
}

/* The 1000-level path of issue 12: a/a/.../a/<last> */
static char *deep_path(int levels, const char *last)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	for (int i = 0; i < levels; i++)
		cb_strbuf_addstr(&sb, "a/");
	cb_strbuf_addstr(&sb, last);
	return cb_strbuf_detach(&sb, NULL);
}

static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * PCRE2 backtracks where Go's matcher is linear: a run of "**\/" answers
 * at once, and whatever else backtracks too long is an error, both well
 * under 100 ms.
 */
static void test_match_time_bound(void **state)
{
	struct cb_strbuf pat = CB_STRBUF_INIT;
	cleanup_free char *miss = deep_path(1000, "bc"), *hit = deep_path(1000, "b");
	cleanup_free char *msg = NULL;
	struct ignore_matcher *m;
	struct cb_error *err = NULL;
	struct timespec t0;
	double ms;

	(void)state;
	for (int i = 0; i < 1000; i++)
		cb_strbuf_addstr(&pat, "**/");
	cb_strbuf_addch(&pat, 'b');
	m = matcher(PATS(pat.buf), &msg);
	assert_non_null(m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ignore_matcher_matches(m, miss, NULL), 0);
	assert_int_equal(ignore_matcher_matches(m, hit, NULL), 1);
	ms = elapsed_ms(&t0);
	print_message("1000 \"**/\" against 1000 levels, twice: %.1f ms\n", ms);
	assert_true(ms < 100);
	ignore_matcher_free(m);
	/* every way of asking agrees */
	check_match(PATS(pat.buf), miss, false);
	check_match(PATS(pat.buf), hit, true);
	check_match(PATS(pat.buf), "b", true);
	/* not merged when a count could still apply to the second: (.*\/)?{0} is empty */
	check_match(PATS("**/**/\\Q\\E{0}"), "x/", true);
	check_match(PATS("**/**/\\Q\\E{0}"), "x/y", false);
	/*
	 * Quadratic backtracking on a 4096-byte path of one-letter directories
	 * (Go answers "no"): a clear error after a bounded time (about 25 ms
	 * here; the bound is loose for sanitizer builds on a busy machine).
	 */
	m = matcher(PATS("**/a**/a/b"), &msg);
	assert_non_null(m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ignore_matcher_matches(m, miss, &err), -1);
	ms = elapsed_ms(&t0);
	print_message("refused after %.1f ms: %.80s...\n", ms, cb_error_msg(err));
	assert_true(ms < 1000);
	assert_non_null(strstr(cb_error_msg(err),
			       "bad .dockerignore pattern `**/a**/a/b`: matching `a/a/"));
	assert_non_null(strstr(cb_error_msg(err), "c` backtracks more than 1000000 steps"));
	cb_error_free(&err);
	ignore_matcher_free(m);
	cb_strbuf_release(&pat);
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */
/* ------------------------------------------------------------------------ */

static void test_read_cleaning(void **state)
{
	static const char content[] = "\xEF\xBB\xBF# comment\n"
				      "  spaced  \r\n"
				      "/abs/path\n"
				      "!/abs/inverted\n"
				      "! spaced/inverted \n"
				      "./x\n"
				      "a/../b\n"
				      "../up\n"
				      "/\n"
				      "//\n"
				      "dir/\n"
				      " # not a comment\n"
				      "\n"
				      "\t\n"
				      "last";

	(void)state;
	check_read(content, sizeof(content) - 1,
		   PATS("spaced", "abs/path", "!abs/inverted", "!spaced/inverted", "x", "b",
			"../up", "/", "/", "dir", "# not a comment", "last"));
}

static void test_read_bom_only_first_line(void **state)
{
	static const char content[] = "a\n\xEF\xBB\xBF\x62\n";

	(void)state;
	check_read("\xEF\xBB\xBF\x61", 4, PATS("a"));
	/* a BOM on a later line is kept (and is not white space) */
	check_read(content, sizeof(content) - 1, PATS("a", "\xEF\xBB\xBF\x62"));
	check_read("", 0, (const char *const[]){NULL});
	check_read("#only\n\n", 7, (const char *const[]){NULL});
}

static void test_read_appends_and_limits(void **state)
{
	struct cb_strvec out = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	cleanup_free char *big = xmalloc(70000);

	(void)state;
	cb_strvec_push(&out, "existing");
	assert_int_equal(dockerignore_read("x\ny", 3, &out, &err), 0);
	assert_int_equal(out.n, 3);
	assert_string_equal(out.v[0], "existing");
	assert_string_equal(out.v[2], "y");
	/* bufio.Scanner's 64 KiB token limit: 65535 bytes pass, 65536 fail */
	memset(big, 'a', 70000);
	big[0] = '\n';
	big[65536] = '\n';
	assert_int_equal(dockerignore_read(big, 65537, &out, &err), 0);
	assert_int_equal(out.n, 4);
	big[65536] = 'a';
	big[65537] = '\n';
	assert_int_equal(dockerignore_read(big, 65538, &out, &err), -1);
	assert_string_equal(cb_error_msg(err), ".dockerignore:2: line is longer than 65535 bytes");
	assert_int_equal(err->line, 2);
	assert_int_equal(out.n, 4); /* untouched on failure */
	cb_error_free(&err);
	cb_strvec_clear(&out);
}

CB_TEST_MAIN(cmocka_unit_test(test_vectors_matches_single),
	     cmocka_unit_test(test_vectors_matches_multi),
	     cmocka_unit_test(test_vectors_filepath_match), cmocka_unit_test(test_vectors_misc),
	     cmocka_unit_test(test_vectors_compile), cmocka_unit_test(test_vectors_readall),
	     cmocka_unit_test(test_double_star), cmocka_unit_test(test_exclusions),
	     cmocka_unit_test(test_parent_dir_rule), cmocka_unit_test(test_parent_info),
	     cmocka_unit_test(test_classes_and_escapes), cmocka_unit_test(test_go_regexp_quirks),
	     cmocka_unit_test(test_backslash_paths), cmocka_unit_test(test_patternmatcher_quirks),
	     cmocka_unit_test(test_bad_patterns),
	     cmocka_unit_test(test_unescaped_alternation_and_repetition),
	     cmocka_unit_test(test_no_exponential_blowup), cmocka_unit_test(test_unicode_names),
	     cmocka_unit_test(test_pcre2_only_refused), cmocka_unit_test(test_invalid_utf8_names),
	     cmocka_unit_test(test_match_time_bound), cmocka_unit_test(test_read_cleaning),
	     cmocka_unit_test(test_read_bom_only_first_line),
	     cmocka_unit_test(test_read_appends_and_limits))
