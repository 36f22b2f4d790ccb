/*
 * test_builder_env.c - "K=V" lists (builder/env.c): build_env_add_all is
 * BuildKit's llb.EnvList.AddOrReplace applied entry by entry, and takes
 * linear time (issue 11, finding 7: FROM an image with a large Env).
 */
#include "cbtest.h"

#include <string.h>
#include <time.h>

#include "builder-internal.h"

static char *joined(const struct cb_strvec *v)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	for (size_t i = 0; i < v->n; i++) {
		if (i)
			cb_strbuf_addch(&sb, '|');
		cb_strbuf_addstr(&sb, v->v[i]);
	}
	return cb_strbuf_detach(&sb, NULL);
}

/* The reference: one AddOrReplace at a time (remove the key, append). */
static void add_one_by_one(struct cb_strvec *v, char *const *add, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = build_env_key_len(add[i]);
		long at = build_env_find(v, add[i], k);

		if (at >= 0) {
			free(v->v[at]);
			memmove(&v->v[at], &v->v[at + 1], (v->n - (size_t)at - 1) * sizeof(*v->v));
			v->n--;
		}
		if (strchr(add[i], '='))
			cb_strvec_push(v, add[i]);
		else
			cb_strvec_pushf(v, "%s=", add[i]);
	}
}

/* "a|b|c" -> {a, b, c}; "" -> {} */
static void split(struct cb_strvec *v, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "|");

		cb_strvec_pushn(v, s, n);
		s += n + (s[n] == '|');
	}
}

static void check(const char *start, const char *add, const char *want)
{
	struct cb_strvec v = CB_STRVEC_INIT, ref = CB_STRVEC_INIT, a = CB_STRVEC_INIT;
	char *got, *oracle;

	split(&v, start);
	split(&ref, start);
	split(&a, add);
	build_env_add_all(&v, a.v, a.n);
	add_one_by_one(&ref, a.v, a.n);
	got = joined(&v);
	oracle = joined(&ref);
	assert_string_equal(got, want);
	assert_string_equal(oracle, want);
	free(got);
	free(oracle);
	cb_strvec_clear(&v);
	cb_strvec_clear(&ref);
	cb_strvec_clear(&a);
}

static void test_env_add_all_order(void **state)
{
	(void)state;
	check("", "A=1|B=2", "A=1|B=2");
	/* a key set again moves to the end, with its last value */
	check("A=1|B=2|C=3", "B=9", "A=1|C=3|B=9");
	check("", "A=1|B=2|A=3", "B=2|A=3");
	check("P=x|A=0", "A=1|B=2|A=3|P=y|B=4", "A=3|P=y|B=4");
	/* a bare K is K= */
	check("K=v", "K", "K=");
	/* keys are compared whole: AB is not A */
	check("AB=1|A=2", "A=3", "AB=1|A=3");
	check("A=1", "", "A=1");
}

/* The same as one at a time over random lists, keys repeated in add[]. */
static void test_env_add_all_random(void **state)
{
	unsigned seed = 7;

	(void)state;
	for (int round = 0; round < 300; round++) {
		struct cb_strvec v = CB_STRVEC_INIT, ref = CB_STRVEC_INIT, a = CB_STRVEC_INIT;
		char *got, *want;
		int nv = rand_r(&seed) % 8, na = rand_r(&seed) % 12;

		/* a stage's environment holds each key once */
		for (int i = 0, k = rand_r(&seed) % 3; i < nv; i++, k += 1 + rand_r(&seed) % 2) {
			cb_strvec_pushf(&v, "K%d=v%d", k % 9, i);
			if (build_env_find(&v, v.v[v.n - 1], build_env_key_len(v.v[v.n - 1])) <
			    (long)v.n - 1) {
				free(v.v[--v.n]);
				v.v[v.n] = NULL;
				continue;
			}
			cb_strvec_push(&ref, v.v[v.n - 1]);
		}
		for (int i = 0; i < na; i++) {
			if (rand_r(&seed) % 5)
				cb_strvec_pushf(&a, "K%d=a%d", rand_r(&seed) % 9, i);
			else
				cb_strvec_pushf(&a, "K%d", rand_r(&seed) % 9);
		}
		build_env_add_all(&v, a.v, a.n);
		add_one_by_one(&ref, a.v, a.n);
		got = joined(&v);
		want = joined(&ref);
		assert_string_equal(got, want);
		free(got);
		free(want);
		cb_strvec_clear(&v);
		cb_strvec_clear(&ref);
		cb_strvec_clear(&a);
	}
}

/*
 * 200k entries (even keys, descending) onto 100k, setting half of those again: linear, so a
 * fraction of a second (the bound is far above that, for loaded and
 * sanitized runs; one key search per entry takes minutes).
 */
static void test_env_harden_from_linear(void **state)
{
	enum { NV = 100000, NA = 200000 };
	struct cb_strvec v = CB_STRVEC_INIT, a = CB_STRVEC_INIT;
	struct timespec t0, t1;
	double secs;

	(void)state;
	for (size_t i = 0; i < NV; i++)
		cb_strvec_pushf(&v, "K%zu=old", i);
	for (size_t i = 0; i < NA; i++)
		cb_strvec_pushf(&a, "K%zu=new", 2 * (NA - 1 - i));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	build_env_add_all(&v, a.v, a.n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (secs > 20)
		fail_msg("adding %d Env entries to %d took %.1f s", NA, NV, secs);
	/* the old keys not set again (the odd ones below NV), then the new in order */
	assert_int_equal(v.n, NV / 2 + NA);
	assert_string_equal(v.v[0], "K1=old");
	assert_string_equal(v.v[NV / 2], a.v[0]);
	assert_string_equal(v.v[v.n - 1], a.v[NA - 1]);
	cb_strvec_clear(&v);
	cb_strvec_clear(&a);
}

CB_TEST_MAIN(cmocka_unit_test(test_env_add_all_order), cmocka_unit_test(test_env_add_all_random),
	     cmocka_unit_test(test_env_harden_from_linear))
