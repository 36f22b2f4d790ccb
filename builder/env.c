/*
 * env.c - "K=V" lists (an image's Env, a stage's environment) searched and
 * merged through a hash index, so a config with 100k Env entries merges in
 * linear time (issue 11, finding 7: the pairwise key search took 49 s for
 * `run`, and FROM such an image did the same in the builder).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder-internal.h"
#include "xalloc.h"

size_t build_env_key_len(const char *e)
{
	return strcspn(e, "=");
}

long build_env_find(const struct cb_strvec *v, const char *key, size_t n)
{
	for (size_t i = 0; i < v->n; i++)
		if (build_env_key_len(v->v[i]) == n && !strncmp(v->v[i], key, n))
			return (long)i;
	return -1;
}

static uint64_t key_hash(const char *e, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)e[i]) * 0x100000001b3ULL;
	return h;
}

void env_index_init(struct env_index *x, const struct cb_strvec *v, size_t max)
{
	size_t size = 16;

	while (size < 2 * max)
		size *= 2;
	x->v = v;
	x->slot = xcalloc(size, sizeof(*x->slot));
	x->mask = size - 1;
}

void env_index_release(struct env_index *x)
{
	free(x->slot);
	x->slot = NULL;
}

size_t *env_index_find(const struct env_index *x, const char *e)
{
	size_t n = build_env_key_len(e);
	size_t i = (size_t)key_hash(e, n) & x->mask;

	for (;; i = (i + 1) & x->mask) {
		const char *have;

		if (!x->slot[i])
			return &x->slot[i];
		have = x->v->v[x->slot[i] - 1];
		if (build_env_key_len(have) == n && !memcmp(have, e, n))
			return &x->slot[i];
	}
}

void env_index_set(struct env_index *x, struct cb_strvec *v, const char *e)
{
	size_t *slot = env_index_find(x, e);

	if (!*slot) {
		cb_strvec_push(v, e);
		*slot = v->n;
	} else {
		free(v->v[*slot - 1]);
		v->v[*slot - 1] = xstrdup(e);
	}
}

/*
 * llb.EnvList.AddOrReplace for each of add[] in turn: a key set again
 * moves to the end.  So the result is v's entries whose key add[] leaves
 * alone, in order, then add[]'s keys in the order of their last setting.
 * An entry without '=' is "K=".
 */
void build_env_add_all(struct cb_strvec *v, char *const *add, size_t n)
{
	struct cb_strvec fresh = CB_STRVEC_INIT, out = CB_STRVEC_INIT;
	struct env_index x;

	/* backwards, so the last setting of a key is the one kept */
	env_index_init(&x, &fresh, n);
	for (size_t i = n; i-- > 0;) {
		size_t *slot = env_index_find(&x, add[i]);

		if (*slot)
			continue;
		if (strchr(add[i], '='))
			cb_strvec_push(&fresh, add[i]);
		else
			cb_strvec_pushf(&fresh, "%s=", add[i]);
		*slot = fresh.n;
	}
	for (size_t i = 0; i < v->n; i++)
		if (!*env_index_find(&x, v->v[i]))
			cb_strvec_push(&out, v->v[i]);
	for (size_t i = fresh.n; i-- > 0;)
		cb_strvec_push(&out, fresh.v[i]);
	env_index_release(&x);
	cb_strvec_clear(&fresh);
	cb_strvec_clear(v);
	*v = out;
}
