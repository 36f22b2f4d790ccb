/*
 * build.c - a build from Dockerfile to image: the `# syntax` check, the
 * global ARGs, the stage graph (FROM <stage>, COPY --from), the stages the
 * target needs in dependency order, and the final image in the store.
 *
 * The steps themselves live in dispatch.c (metadata instructions, FROM),
 * step-run.c (RUN), step-copy.c (COPY, ADD, WORKDIR's directory) and
 * layer.c (layers, snapshots and the cache).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

/* A Dockerfile bigger than this is refused (BuildKit's limit is lower still). */
#define BUILD_MAX_DOCKERFILE (16u << 20)

void build_options_init(struct build_options *o)
{
	memset(o, 0, sizeof(*o));
	o->source_date_epoch = -1;
	o->cancel_fd = -1;
	o->network = RUNTIME_NETWORK_PRIVATE;
}

void build_result_release(struct build_result *res)
{
	cb_strvec_clear(&res->warnings);
}

/*
 * `# syntax=` names the frontend image.  The built-in frontend is
 * docker/dockerfile's: any 1.x tag (or latest) of it means "this
 * frontend", never a pull; anything else cannot be honoured offline.
 */
static int check_syntax(const char *syntax, struct cb_error **err)
{
	static const char *const prefixes[] = {"docker.io/docker/dockerfile", "docker/dockerfile"};
	const char *p = NULL, *tag;

	if (!syntax || !*syntax)
		return 0;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]) && !p; i++)
		if (cb_str_starts_with(syntax, prefixes[i]))
			p = syntax + strlen(prefixes[i]);
	if (p && (!*p || *p == ':' || *p == '@')) {
		tag = *p == ':' ? p + 1 : "";
		if (!*tag || !strcmp(tag, "latest") || !strncmp(tag, "labs", 4) ||
		    (tag[0] == '1' && (tag[1] == '\0' || tag[1] == '.' || tag[1] == '-')))
			return 0;
	}
	return cb_error_set(err, ENOTSUP,
			    "Dockerfile: syntax `%s` is not supported: cbuild has the "
			    "docker/dockerfile:1 frontend built in and pulls no other",
			    syntax);
}

static int read_dockerfile(struct build *b, char **buf, size_t *len, struct cb_error **err)
{
	const struct build_options *o = b->o;

	if (o->dockerfile_text) {
		*buf = xstrndup(o->dockerfile_text, o->dockerfile_len);
		*len = o->dockerfile_len;
		return 0;
	}
	if (cb_read_file(b->ctx.dockerfile, BUILD_MAX_DOCKERFILE, buf, len, err) < 0)
		return cb_error_wrap(err, "read the Dockerfile");
	return 0;
}

/* The value of "K=V" entries of v for key; NULL when absent; *found when "K" alone. */
static const char *kv_lookup(const struct cb_strvec *v, const char *key, bool *found)
{
	size_t n = strlen(key);
	const char *val = NULL;

	*found = false;
	for (size_t i = 0; i < v->n; i++) {
		if (strncmp(v->v[i], key, n))
			continue;
		if (v->v[i][n] == '=') {
			val = v->v[i] + n + 1;
			*found = true;
		} else if (v->v[i][n] == '\0') {
			val = NULL;
			*found = true;
		}
	}
	return val;
}

const char *build_arg_value(const struct build *b, const char *key, bool *given)
{
	return kv_lookup(&b->build_args, key, given);
}

void build_mark_consumed(struct build *b, const char *key)
{
	pthread_mutex_lock(&b->mu);
	if (cb_strvec_find(&b->consumed, key) < 0)
		cb_strvec_push(&b->consumed, key);
	pthread_mutex_unlock(&b->mu);
}

/* Global ARGs: their defaults expanded with the ARGs before them, overridden by --build-arg. */
static int meta_args(struct build *b, struct cb_error **err)
{
	struct shell_lex lex = SHELL_LEX_INIT;

	lex.escape = b->df->ast->escape;
	/* the predefined platform ARGs are global ARGs a stage may redeclare */
	build_platform_args(b, &b->meta_args);
	for (size_t i = 0; i < b->df->nmeta_args; i++) {
		const struct df_instruction *in = &b->df->instrs[i];

		for (size_t k = 0; k < in->u.kvs.n; k++) {
			const struct df_kv *kv = &in->u.kvs.items[k];
			bool given;
			const char *v = build_arg_value(b, kv->key, &given);
			cleanup_free char *def = NULL;

			build_mark_consumed(b, kv->key);
			if (!given && kv->value) {
				def = shell_expand_word(&lex, kv->value, &b->meta_args, err);
				if (!def)
					return build_line_error(in->start_line, err);
				v = def;
				given = true;
			}
			if (given && v)
				cb_strvec_pushf(&b->meta_args, "%s=%s", kv->key, v);
			else
				cb_strvec_push(&b->meta_args, kv->key);
		}
	}
	return 0;
}

/* Predefined platform ARGs (TARGETPLATFORM ...), "K=V". */
void build_platform_args(const struct build *b, struct cb_strvec *out)
{
	const char *v = b->variant && *b->variant ? b->variant : NULL;

	for (int t = 0; t < 2; t++) {
		const char *pfx = t ? "BUILD" : "TARGET";

		cb_strvec_pushf(out, "%sPLATFORM=%s/%s%s%s", pfx, b->os, b->arch, v ? "/" : "",
				v ? v : "");
		cb_strvec_pushf(out, "%sOS=%s", pfx, b->os);
		cb_strvec_pushf(out, "%sARCH=%s", pfx, b->arch);
		cb_strvec_pushf(out, "%sVARIANT=%s", pfx, v ? v : "");
	}
}

/* Expand a FROM base or --from value with the global ARGs only. */
char *build_expand_meta(struct build *b, const char *word, int line, struct cb_error **err)
{
	struct shell_lex lex = SHELL_LEX_INIT;
	struct cb_strvec env = CB_STRVEC_INIT;
	char *r;

	lex.escape = b->df->ast->escape;
	build_platform_args(b, &env);
	for (size_t i = 0; i < b->meta_args.n; i++)
		cb_strvec_push(&env, b->meta_args.v[i]);
	r = shell_expand_word(&lex, word, &env, err);
	cb_strvec_clear(&env);
	if (!r)
		build_line_error(line, err);
	return r;
}

/* The stage a --from / FROM value names (name or index), or -1. */
long build_find_stage(const struct build *b, const char *ref, size_t before)
{
	char *end;
	long idx;

	for (size_t i = before; i-- > 0;)
		if (b->stages[i].name && !strcasecmp(b->stages[i].name, ref))
			return (long)i;
	if (!*ref)
		return -1;
	errno = 0;
	idx = strtol(ref, &end, 10);
	if (!*end && !errno && idx >= 0 && (size_t)idx < before)
		return idx;
	return -1;
}

/* The stages stage i depends on, appended to deps (indexes). */
static int stage_deps(struct build *b, size_t i, size_t *deps, size_t *ndeps, struct cb_error **err)
{
	const struct df_stage *ds = &b->df->stages[i];
	const struct df_instruction *from = &b->df->instrs[ds->from_index];
	cleanup_free char *base = build_expand_meta(b, from->u.from.base, from->start_line, err);
	long d;

	*ndeps = 0;
	if (!base)
		return -1;
	d = build_find_stage(b, base, i);
	if (d >= 0 && b->stages[d].name && !strcasecmp(b->stages[d].name, base))
		deps[(*ndeps)++] = (size_t)d;
	for (size_t k = 0; k < ds->count; k++) {
		const struct df_instruction *in = &b->df->instrs[ds->first + k];
		cleanup_free char *ref = NULL;

		if ((in->kind != DF_COPY && in->kind != DF_ADD) || !in->u.copy.from)
			continue;
		ref = build_expand_meta(b, in->u.copy.from, in->start_line, err);
		if (!ref)
			return -1;
		d = build_find_stage(b, ref, b->nstages);
		if (d == (long)i)
			return cb_error_set_line(err, in->start_line,
						 "Dockerfile:%d: circular dependency detected on "
						 "stage: %s",
						 in->start_line, ref);
		if (d >= 0)
			deps[(*ndeps)++] = (size_t)d;
	}
	return 0;
}

/* Depth-first: the order stages run in, dependencies first; cycles are errors. */
static int plan_visit(struct build *b, size_t i, int *mark, size_t *order, size_t *norder,
		      struct cb_error **err)
{
	size_t n = b->df->stages[i].count + 1;
	cleanup_free size_t *deps = xcalloc(n, sizeof(*deps));
	size_t ndeps;

	if (mark[i] == 2)
		return 0;
	if (mark[i] == 1)
		return cb_error_set(err, ELOOP, "circular dependency detected on stage: %s",
				    b->stages[i].name ? b->stages[i].name : "?");
	mark[i] = 1;
	if (stage_deps(b, i, deps, &ndeps, err) < 0)
		return -1;
	free(b->stages[i].deps);
	b->stages[i].deps = xmemdup(deps, (ndeps ? ndeps : 1) * sizeof(*deps));
	b->stages[i].ndeps = ndeps;
	for (size_t k = 0; k < ndeps; k++)
		if (plan_visit(b, deps[k], mark, order, norder, err) < 0)
			return -1;
	mark[i] = 2;
	b->stages[i].needed = true;
	order[(*norder)++] = i;
	return 0;
}

static int init_stages(struct build *b, struct cb_error **err)
{
	const struct build_options *o = b->o;

	if (!b->df->nstages)
		return cb_error_set(err, EINVAL, "the Dockerfile has no stages (no FROM)");
	b->nstages = b->df->nstages;
	b->stages = xcalloc(b->nstages, sizeof(*b->stages));
	for (size_t i = 0; i < b->nstages; i++) {
		struct stage *st = &b->stages[i];
		const char *name = b->df->instrs[b->df->stages[i].from_index].u.from.name;

		st->index = i;
		st->name = name ? xstrdup(name) : NULL;
		st->no_cache = o->no_cache;
		for (size_t k = 0; k < o->nno_cache_filter; k++)
			if (name && !strcasecmp(name, o->no_cache_filter[k]))
				st->no_cache = true;
	}
	b->target = b->nstages - 1;
	if (o->target) {
		long t = -1;

		for (size_t i = 0; i < b->nstages; i++)
			if (b->stages[i].name && !strcasecmp(b->stages[i].name, o->target))
				t = (long)i;
		if (t < 0)
			return cb_error_set(err, ENOENT, "target stage \"%s\" could not be found",
					    o->target);
		b->target = (size_t)t;
	}
	return 0;
}

static void release_stage(struct stage *st)
{
	if (st->run_scratch) {
		struct cb_error *e = NULL;

		if (layer_store_scratch_remove(st->s, st->run_scratch, &e) < 0)
			cb_error_free(&e); /* the next open removes it */
		free(st->run_scratch);
	}
	free(st->stubs_dir);
	free(st->stubs_shape);
	cb_strvec_clear(&st->lowers);
	if (st->s)
		layer_store_close(st->s);
	free(st->deps);
	free(st->name);
	free(st->base_name);
	image_config_release(&st->config);
	free(st->layers);
	cb_strvec_clear(&st->env);
	cb_strvec_clear(&st->args);
	cb_strvec_clear(&st->used_args);
}

static void build_release(struct build *b)
{
	for (size_t i = 0; i < b->nstages; i++)
		release_stage(&b->stages[i]);
	free(b->stages);
	dockerfile_free(b->df);
	build_context_release(&b->ctx);
	cb_strvec_clear(&b->meta_args);
	cb_strvec_clear(&b->build_args);
	cb_strvec_clear(&b->consumed);
	free(b->os);
	free(b->arch);
	free(b->variant);
	free(b->created);
	stat_cache_save(b->stats, b->s);
	build_explain_save(b);
	build_explain_free(b);
	stat_cache_free(b->stats);
	cb_error_free(&b->first_err);
	if (b->cancel_efd >= 0)
		close(b->cancel_efd);
	if (b->done_efd >= 0)
		close(b->done_efd);
	if (b->net_efd >= 0)
		close(b->net_efd);
	build_pulls_release(b);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	pthread_cond_destroy(&b->pull_cv);
	pthread_cond_destroy(&b->net_cv);
}

static void set_created(struct build *b)
{
	time_t t = b->epoch >= 0 ? (time_t)b->epoch : time(NULL);
	struct tm tm;
	char buf[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	b->created = xstrdup(buf);
}

static int run_stage(struct build *b, struct stage *st, struct cb_error **err)
{
	const struct df_stage *ds = &b->df->stages[st->index];
	struct layer_store_progress progress = {build_store_progress, st};

	st->s = layer_store_open(layer_store_root(b->s), err);
	if (!st->s)
		return -1;
	st->b = b;
	layer_store_set_progress(st->s, &progress);
	if (build_stage_from(b, st, err) < 0)
		return -1;
	for (size_t k = 0; k < ds->count; k++) {
		if (build_cancelled(b))
			return cb_error_set(err, ECANCELED, "build cancelled");
		if (__atomic_load_n(&b->failed, __ATOMIC_RELAXED))
			return cb_error_set(err, ECANCELED, "another stage failed");
		if (build_dispatch(b, st, &b->df->instrs[ds->first + k], err) < 0)
			return -1;
	}
	return 0;
}

/* A needed stage whose dependencies are done, or NULL; with b->mu held. */
static struct stage *next_ready(struct build *b, const size_t *order, size_t norder, bool *all_done)
{
	*all_done = true;
	for (size_t i = 0; i < norder; i++) {
		struct stage *st = &b->stages[order[i]];
		bool ready = true;

		if (st->status != STAGE_DONE)
			*all_done = false;
		if (st->status != STAGE_PENDING)
			continue;
		for (size_t k = 0; k < st->ndeps && ready; k++)
			ready = b->stages[st->deps[k]].status == STAGE_DONE;
		if (ready)
			return st;
	}
	return NULL;
}

struct worker {
	struct build *b;
	const size_t *order;
	size_t norder;
};

static void poke(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only on overflow: it is readable then anyway */
	}
}

/*
 * A stage thread: take the next ready stage, run it, repeat until every
 * needed stage is done or one failed.  Independent stages so run in
 * parallel; each has its own store handle.
 */
static void *stage_worker(void *arg)
{
	struct worker *w = arg;
	struct build *b = w->b;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		bool all_done;
		struct stage *st;
		struct cb_error *err = NULL;
		int ret;

		if (b->failed)
			break;
		st = next_ready(b, w->order, w->norder, &all_done);
		if (!st) {
			if (all_done || !b->running)
				break; /* done, or nothing can become ready any more */
			pthread_cond_wait(&b->cv, &b->mu);
			continue;
		}
		st->status = STAGE_RUNNING;
		b->running++;
		pthread_mutex_unlock(&b->mu);
		ret = run_stage(b, st, &err);
		pthread_mutex_lock(&b->mu);
		b->running--;
		st->status = ret < 0 ? STAGE_FAILED : STAGE_DONE;
		if (ret < 0) {
			/* the first failure is the cause; "another stage failed" is not */
			if (!b->first_err)
				b->first_err = err;
			else
				cb_error_free(&err);
			b->failed = true;
			poke(b->cancel_efd); /* stop the steps of the other stages */
		}
		pthread_cond_broadcast(&b->cv);
	}
	if (--b->workers == 0)
		poke(b->done_efd);
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/*
 * Until the stage threads end, pass the caller's cancel on to every step,
 * and make the networks steps ask for (network.c: pasta dies with the
 * thread that started it, and this one outlives the stage threads).
 */
static void watch_cancel(struct build *b)
{
	struct pollfd p[3] = {
		{b->done_efd, POLLIN, 0}, {b->net_efd, POLLIN, 0}, {b->o->cancel_fd, POLLIN, 0}};

	for (;;) {
		int n = poll(p, b->o->cancel_fd >= 0 ? 3 : 2, -1);

		/*
		 * Never give up on a failed poll (ENOMEM): stage threads may be
		 * waiting for a network only this thread makes.  The fds are
		 * ours and valid, so nothing else can fail here for long.
		 */
		if (n < 0) {
			if (errno != EINTR)
				usleep(1000);
			continue;
		}
		if (p[0].revents & POLLIN)
			return;
		if (p[1].revents)
			build_networks_serve(b);
		if (p[2].revents) {
			poke(b->cancel_efd);
			p[2].fd = -1; /* once is enough */
		}
	}
}

static int run_stages(struct build *b, const size_t *order, size_t norder, struct cb_error **err)
{
	struct worker w = {b, order, norder};
	long n = b->o->jobs > 0 ? b->o->jobs : sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t threads[64];
	size_t started = 0;

	if (n < 1)
		n = 1;
	if ((size_t)n > norder)
		n = (long)norder;
	if (n > 64)
		n = 64;
	b->workers = (unsigned)n;
	for (long i = 0; i < n; i++)
		if (pthread_create(&threads[started], NULL, stage_worker, &w) == 0)
			started++;
	pthread_mutex_lock(&b->mu);
	b->workers -= (unsigned)(n - (long)started);
	pthread_mutex_unlock(&b->mu);
	if (!started) {
		b->workers = 1;
		stage_worker(&w);
	} else {
		watch_cancel(b);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (b->first_err) {
		*err = b->first_err;
		b->first_err = NULL;
		return -1;
	}
	for (size_t i = 0; i < norder; i++)
		if (b->stages[order[i]].status != STAGE_DONE)
			return cb_error_set(err, EINVAL, "stage %zu could not run", order[i]);
	return 0;
}

/*
 * Times as Docker's BuildKit exporter sets them (normalizeLayersAndHistory,
 * patchImageConfig): a metadata entry takes the time of the first new layer,
 * then of the layer before it; the image's created is the last entry's; with
 * SOURCE_DATE_EPOCH every time is clamped to it.  A cached rebuild keeps its
 * layers' times, so it is the same image.
 */
/* RFC 3339 UTC times: is a later than b (to the second, then any fraction)? */
static bool time_after(const char *a, const char *b)
{
	int c = strncmp(a, b, 19);

	if (c)
		return c > 0;
	return strlen(a) > 19 && a[19] == '.' && strcmp(a + 19, b + 19) != 0 &&
	       (b[19] != '.' || strcmp(a + 19, b + 19) > 0);
}

static void history_times(struct build *b, struct image_config *c, size_t nbase)
{
	const char *created = NULL;
	bool gap = false;

	for (size_t i = 0; i < c->nhistory; i++) {
		if (c->history[i].created) {
			created = c->history[i].created;
			if (gap)
				break;
		} else {
			gap = true;
		}
	}
	gap = false;
	for (size_t i = 0; i < c->nhistory; i++) {
		struct oci_history *h = &c->history[i];

		if (h->created) {
			if (gap)
				created = h->created;
		} else {
			gap = true;
			h->created = created ? xstrdup(created) : NULL;
		}
	}
	/* the base image's own entries keep their times (BuildKit #4614) */
	if (b->epoch >= 0)
		for (size_t i = nbase; i < c->nhistory; i++) {
			struct oci_history *h = &c->history[i];

			if (!h->created || time_after(h->created, b->created)) {
				free(h->created);
				h->created = xstrdup(b->created);
			}
		}
	free(c->created);
	c->created = NULL;
	for (size_t i = c->nhistory; i-- > 0 && !c->created;)
		if (c->history[i].created)
			c->created = xstrdup(c->history[i].created);
	if (b->epoch >= 0 && (!c->created || time_after(c->created, b->created))) {
		free(c->created);
		c->created = xstrdup(b->created);
	}
}

/* The final image: --label, store, tags. */
static int finish_image(struct build *b, struct build_result *res, struct cb_error **err)
{
	struct stage *st = &b->stages[b->target];
	const struct build_options *o = b->o;
	struct cb_digest md;
	struct store_image img;

	for (size_t i = 0; i < o->nlabels; i++) {
		const char *eq = strchr(o->labels[i], '=');
		cleanup_free char *k = eq ? xstrndup(o->labels[i], (size_t)(eq - o->labels[i]))
					  : xstrdup(o->labels[i]);

		cb_strmap_set(&st->config.labels, k, eq ? eq + 1 : "");
	}
	history_times(b, &st->config, st->nbase_history);
	if (layer_store_image_put(b->s, &st->config, st->layers, st->nlayers,
				  o->ntags ? o->tags[0] : NULL, &md, err) < 0)
		return -1;
	for (size_t i = 1; i < o->ntags; i++)
		if (layer_store_tag_set(b->s, o->tags[i], &md, err) < 0)
			return -1;
	if (layer_store_image_get(b->s, md.str, &img, err) < 0)
		return -1;
	res->manifest = md;
	res->config = img.manifest.config.digest;
	store_image_release(&img);
	return 0;
}

/* BuildKit's proxy build args, upper- then lower-case spelling of each. */
const char *const build_proxy_args[BUILD_NPROXY][2] = {{"HTTP_PROXY", "http_proxy"},
						       {"HTTPS_PROXY", "https_proxy"},
						       {"FTP_PROXY", "ftp_proxy"},
						       {"NO_PROXY", "no_proxy"},
						       {"ALL_PROXY", "all_proxy"}};

bool build_is_proxy_arg(const char *kv)
{
	size_t n = strcspn(kv, "=");

	for (size_t i = 0; i < BUILD_NPROXY; i++)
		for (int k = 0; k < 2; k++)
			if (strlen(build_proxy_args[i][k]) == n &&
			    !strncmp(kv, build_proxy_args[i][k], n))
				return true;
	return false;
}

static void warn_unused_args(struct build *b, struct build_result *res)
{
	for (size_t i = 0; i < b->build_args.n; i++) {
		const char *a = b->build_args.v[i];
		cleanup_free char *k = xstrndup(a, strcspn(a, "="));

		if (!build_is_proxy_arg(a) && cb_strvec_find(&b->consumed, k) < 0 &&
		    cb_strvec_find(&res->warnings, k) < 0)
			cb_strvec_pushf(&res->warnings,
					"build argument `%s` was not consumed by any stage", k);
	}
}

static int setup(struct build *b, struct cb_error **err)
{
	const struct build_options *o = b->o;
	cleanup_free char *text = NULL;
	char arch[LAYER_ARCH_MAX], variant[LAYER_VARIANT_MAX];
	size_t len = 0;

	clock_gettime(CLOCK_MONOTONIC, &b->t0);
	b->epoch = o->source_date_epoch;
	set_created(b);
	layer_store_host_platform(arch, variant);
	b->os = xstrdup("linux");
	b->arch = xstrdup(arch);
	b->variant = xstrdup(variant);
	for (size_t i = 0; i < o->nbuild_args; i++)
		cb_strvec_push(&b->build_args, o->build_args[i]);
	build_progress_init(b);
	if (build_context_open(&b->ctx, o->context_dir, o->dockerfile, err) < 0)
		return -1;
	if (read_dockerfile(b, &text, &len, err) < 0)
		return -1;
	b->df = dockerfile_parse("Dockerfile", text, len, err);
	if (!b->df)
		return -1;
	if (check_syntax(b->df->ast->syntax, err) < 0)
		return -1;
	return 0;
}

int build_run(struct layer_store *s, struct runtime *rt, const struct build_options *o,
	      struct build_result *res, struct cb_error **err)
{
	struct build b = {
		.o = o, .s = s, .rt = rt, .cancel_efd = -1, .done_efd = -1, .net_efd = -1};
	cleanup_free int *mark = NULL;
	cleanup_free size_t *order = NULL;
	size_t norder = 0;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.cv, NULL);
	pthread_cond_init(&b.pull_cv, NULL);
	pthread_cond_init(&b.net_cv, NULL);
	b.main_thread = pthread_self();
	b.cancel_efd = eventfd(0, EFD_CLOEXEC);
	b.done_efd = eventfd(0, EFD_CLOEXEC);
	b.net_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b.cancel_efd < 0 || b.done_efd < 0 || b.net_efd < 0) {
		cb_error_set(err, errno, "eventfd");
		goto out;
	}
	if (setup(&b, err) < 0 || meta_args(&b, err) < 0 || init_stages(&b, err) < 0)
		goto out;
	mark = xcalloc(b.nstages, sizeof(*mark));
	order = xcalloc(b.nstages, sizeof(*order));
	if (plan_visit(&b, b.target, mark, order, &norder, err) < 0)
		goto out;
	if (run_stages(&b, order, norder, err) < 0)
		goto out;
	if (finish_image(&b, res, err) < 0)
		goto out;
	warn_unused_args(&b, res);
	for (size_t i = 0; i < b.net_notes.n; i++)
		cb_strvec_push(&res->warnings, b.net_notes.v[i]);
	build_progress_finish(&b, res);
	ret = 0;
out:
	build_progress_end(&b, ret == 0);
	build_release(&b);
	/* after the stage threads: no step is left in them */
	build_networks_release(&b);
	return ret;
}
