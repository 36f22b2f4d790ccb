/*
 * dispatch.c - FROM and the instructions that only change the image
 * config, as BuildKit's dockerfile2llb dispatches them: words expanded
 * with the step environment, the config changed, and one history entry
 * each with BuildKit's created_by text (empty_layer set).  RUN, COPY/ADD
 * and WORKDIR's directory go to their step files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "builder-internal.h"
#include "cleanup.h"
#include "registry.h"
#include "utf8.h"
#include "xalloc.h"

/* moby's oci.DefaultPathEnv for Linux (BuildKit's emptyImage). */
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define HISTORY_COMMENT "buildkit.dockerfile.v0"

/* ------------------------------------------------------------------------ */
/* Environments                                                              */
/* ------------------------------------------------------------------------ */

/* llb.EnvList.AddOrReplace: the key moves to the end with its new value. */
static void state_env_set(struct cb_strvec *v, const char *key, const char *val)
{
	long i = build_env_find(v, key, strlen(key));

	if (i >= 0) {
		free(v->v[i]);
		memmove(&v->v[i], &v->v[i + 1], (v->n - (size_t)i) * sizeof(*v->v));
		v->n--;
	}
	cb_strvec_pushf(v, "%s=%s", key, val);
}

/* BuildKit's addEnv for the image config: replaced in place, else appended. */
static void config_env_set(struct cb_strvec *v, const char *key, const char *val)
{
	long i = build_env_find(v, key, strlen(key));

	if (i < 0) {
		cb_strvec_pushf(v, "%s=%s", key, val);
		return;
	}
	free(v->v[i]);
	v->v[i] = xasprintf("%s=%s", key, val);
}

void build_stage_env(const struct stage *st, struct cb_strvec *env)
{
	for (size_t i = 0; i < st->env.n; i++)
		cb_strvec_push(env, st->env.v[i]);
}

static struct shell_lex stage_lex(const struct build *b)
{
	struct shell_lex lex = SHELL_LEX_INIT;

	lex.escape = b->df->ast->escape;
	return lex;
}

/* Errors of a step: "Dockerfile:LINE: ...". */
static int line_error(const struct df_instruction *in, struct cb_error **err)
{
	return build_line_error(in->start_line, err);
}

static char *expand(const struct build *b, const struct stage *st, const char *word,
		    struct cb_error **err)
{
	struct shell_lex lex = stage_lex(b);

	return shell_expand_word(&lex, word, &st->env, err);
}

/* ------------------------------------------------------------------------ */
/* History                                                                   */
/* ------------------------------------------------------------------------ */

void build_history_add(struct build *b, struct stage *st, const char *created_by, bool empty)
{
	struct image_config *c = &st->config;
	struct oci_history *h;

	c->history = xrealloc(c->history, cb_st_mult(c->nhistory + 1, sizeof(*c->history)));
	h = &c->history[c->nhistory++];
	memset(h, 0, sizeof(*h));
	/* metadata entries get their time when the image is made (build_history_times) */
	(void)b;
	h->created = NULL;
	h->created_by = xstrdup(created_by);
	h->comment = xstrdup(HISTORY_COMMENT);
	h->empty_layer = empty;
}

/* Go's fmt %q of a []string: ["a" "b"]. */
static void add_go_quoted_list(struct cb_strbuf *sb, const struct cb_strvec *v)
{
	cb_strbuf_addch(sb, '[');
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			cb_strbuf_addch(sb, ' ');
		cb_strbuf_add_goquote(sb, v->v[i], strlen(v->v[i]));
	}
	cb_strbuf_addch(sb, ']');
}

/* Go's fmt %v of a []string: [a b]. */
static void add_go_list(struct cb_strbuf *sb, const struct cb_strvec *v)
{
	cb_strbuf_addch(sb, '[');
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			cb_strbuf_addch(sb, ' ');
		cb_strbuf_addstr(sb, v->v[i]);
	}
	cb_strbuf_addch(sb, ']');
}

/* strconv.QuoteRune for a small int (fmt %q of an int). */
static void add_go_quoted_rune(struct cb_strbuf *sb, int r)
{
	static const char esc[] = "abtnvfr";

	cb_strbuf_addch(sb, '\'');
	if (r >= 7 && r <= 13) {
		cb_strbuf_addch(sb, '\\');
		cb_strbuf_addch(sb, esc[r - 7]);
	} else if (r == '\'' || r == '\\') {
		cb_strbuf_addch(sb, '\\');
		cb_strbuf_addch(sb, (char)r);
	} else if (r >= 0x20 && r < 0x7f) {
		cb_strbuf_addch(sb, (char)r);
	} else if (r >= 0 && r < 0x80) {
		cb_strbuf_addf(sb, "\\x%02x", (unsigned)r);
	} else if (r >= 0 && r <= 0x10ffff) {
		cb_strbuf_add_rune(sb, (uint32_t)r);
	} else {
		cb_strbuf_addstr(sb, "\\ufffd");
	}
	cb_strbuf_addch(sb, '\'');
}

/* time.Duration.String(). */
static void add_go_duration(struct cb_strbuf *sb, int64_t ns)
{
	uint64_t u = ns < 0 ? (uint64_t)(-ns) : (uint64_t)ns;
	char buf[64];
	int w = (int)sizeof(buf);

	if (ns < 0)
		cb_strbuf_addch(sb, '-');
	if (u < 1000000000ULL) {
		const char *unit = "ns";
		uint64_t div = 1;

		if (u == 0) {
			cb_strbuf_addstr(sb, "0s");
			return;
		}
		if (u >= 1000000) {
			unit = "ms";
			div = 1000000;
		} else if (u >= 1000) {
			unit = "\xC2\xB5s";
			div = 1000;
		}
		cb_strbuf_addf(sb, "%llu", (unsigned long long)(u / div));
		if (u % div) {
			char frac[16];
			int n = snprintf(frac, sizeof(frac), "%0*llu", div == 1000000 ? 6 : 3,
					 (unsigned long long)(u % div));

			while (n > 0 && frac[n - 1] == '0')
				frac[--n] = '\0';
			cb_strbuf_addf(sb, ".%s", frac);
		}
		cb_strbuf_addstr(sb, unit);
		return;
	}
	{
		uint64_t secs = u / 1000000000ULL, frac = u % 1000000000ULL;
		uint64_t h = secs / 3600, m = (secs / 60) % 60, s = secs % 60;
		char fb[16] = "";

		if (frac) {
			int n = snprintf(fb, sizeof(fb), ".%09llu", (unsigned long long)frac);

			while (n > 1 && fb[n - 1] == '0')
				fb[--n] = '\0';
		}
		if (h)
			w = snprintf(buf, sizeof(buf), "%lluh%llum%llu%ss", (unsigned long long)h,
				     (unsigned long long)m, (unsigned long long)s, fb);
		else if (m)
			w = snprintf(buf, sizeof(buf), "%llum%llu%ss", (unsigned long long)m,
				     (unsigned long long)s, fb);
		else
			w = snprintf(buf, sizeof(buf), "%llu%ss", (unsigned long long)s, fb);
		cb_strbuf_add(sb, buf, (size_t)w);
	}
}

/* ------------------------------------------------------------------------ */
/* FROM                                                                      */
/* ------------------------------------------------------------------------ */

static int copy_config(const struct image_config *src, struct image_config *dst,
		       struct cb_error **err)
{
	cleanup_free char *json = image_config_to_json(src);

	return image_config_parse(json, strlen(json), dst, err);
}

static void empty_image(struct build *b, struct stage *st)
{
	struct image_config *c = &st->config;

	memset(c, 0, sizeof(*c));
	c->platform.os = xstrdup(b->os);
	c->platform.architecture = xstrdup(b->arch);
	if (*b->variant)
		c->platform.variant = xstrdup(b->variant);
	c->working_dir = xstrdup("/");
	cb_strvec_push(&c->env, DEFAULT_PATH);
}

static enum layer_compression media_compression(const char *mt)
{
	if (cb_str_ends_with(mt, "+zstd") || cb_str_ends_with(mt, ".zstd"))
		return LAYER_ZSTD;
	if (cb_str_ends_with(mt, "gzip"))
		return LAYER_GZIP;
	return LAYER_UNCOMPRESSED;
}

static int from_image(struct stage *st, const char *ref, struct cb_error **err)
{
	struct store_image img;
	struct cb_digest parent;
	const struct image_manifest *m;

	if (build_from_resolve(st->b, st, ref, &img, err) < 0)
		return -1;
	m = &img.manifest;
	if (m->nlayers != img.config.diff_ids.n) {
		store_image_release(&img);
		return cb_error_set(err, 0, "image `%s`: %zu layers but %zu diff IDs", ref,
				    m->nlayers, img.config.diff_ids.n);
	}
	st->layers = xcalloc(m->nlayers ? m->nlayers : 1, sizeof(*st->layers));
	for (size_t i = 0; i < m->nlayers; i++) {
		struct layer_desc *d = &st->layers[i];

		d->digest = m->layers[i].digest;
		d->size = m->layers[i].size;
		d->compression = media_compression(m->layers[i].media_type);
		if (cb_digest_parse(img.config.diff_ids.v[i], &d->diff_id, err) < 0 ||
		    layer_store_snapshot_prepare(st->s, i ? &parent : NULL, &d->digest, &d->diff_id,
						 &st->chain, err) < 0) {
			store_image_release(&img);
			return cb_error_wrap(err, "image `%s`", ref);
		}
		parent = st->chain;
		st->nlayers++;
	}
	st->has_chain = m->nlayers > 0;
	st->config = img.config;
	st->nbase_history = img.config.nhistory;
	memset(&img.config, 0, sizeof(img.config));
	/* Docker's V1 fields: BuildKit's image model has neither, so a derived image drops them */
	free(st->config.comment);
	free(st->config.docker_version);
	st->config.comment = st->config.docker_version = NULL;
	/* the base's identity starts the cache key chain */
	{
		struct cb_strvec parts = CB_STRVEC_INIT;

		cb_strvec_pushf(&parts, "FROM %s", img.manifest_digest.str);
		build_key(NULL, &parts, &st->key);
		cb_strvec_clear(&parts);
	}
	store_image_release(&img);
	return 0;
}

static int from_stage(struct stage *st, const struct stage *base, struct cb_error **err)
{
	if (base->status != STAGE_DONE)
		return cb_error_set(err, EINVAL, "stage `%s` is not built yet", base->name);
	if (copy_config(&base->config, &st->config, err) < 0)
		return -1;
	st->layers = xcalloc(base->nlayers ? base->nlayers : 1, sizeof(*st->layers));
	memcpy(st->layers, base->layers, base->nlayers * sizeof(*st->layers));
	st->nlayers = base->nlayers;
	st->chain = base->chain;
	st->has_chain = base->has_chain;
	st->key = base->key;
	st->nbase_history = base->nbase_history;
	for (size_t i = 0; i < base->env.n; i++)
		cb_strvec_push(&st->env, base->env.v[i]);
	for (size_t i = 0; i < base->args.n; i++)
		cb_strvec_push(&st->args, base->args.v[i]);
	st->from_stage = true;
	return 0;
}

static int run_onbuild(struct build *b, struct stage *st, const struct cb_strvec *triggers,
		       int line, struct cb_error **err)
{
	for (size_t i = 0; i < triggers->n; i++) {
		const char *t = triggers->v[i];
		struct dockerfile *frag =
			dockerfile_parse_fragment("Dockerfile", t, strlen(t), err);
		int ret = 0;

		if (!frag) {
			cb_error_wrap(err, "ONBUILD trigger");
			return build_line_error(line, err);
		}
		if (frag->ninstrs != 1) {
			dockerfile_free(frag);
			return cb_error_set_line(
				err, line,
				"Dockerfile:%d: onbuild trigger should be a single "
				"expression",
				line);
		}
		frag->instrs[0].start_line = frag->instrs[0].end_line = line;
		ret = build_dispatch(b, st, &frag->instrs[0], err);
		dockerfile_free(frag);
		if (ret < 0)
			return -1;
	}
	return 0;
}

int build_stage_from(struct build *b, struct stage *st, struct cb_error **err)
{
	const struct df_stage *ds = &b->df->stages[st->index];
	const struct df_instruction *in = &b->df->instrs[ds->from_index];
	cleanup_free char *base = build_expand_meta(b, in->u.from.base, in->start_line, err);
	struct cb_strvec triggers = CB_STRVEC_INIT;
	struct timespec t0;
	unsigned step;
	long dep;
	int ret;

	if (!base)
		return -1;
	if (in->u.from.platform) {
		cleanup_free char *p =
			build_expand_meta(b, in->u.from.platform, in->start_line, err);
		cleanup_free char *host =
			*b->variant ? xasprintf("%s/%s/%s", b->os, b->arch, b->variant)
				    : xasprintf("%s/%s", b->os, b->arch);
		cleanup_free char *host_short = xasprintf("%s/%s", b->os, b->arch);

		if (!p)
			return -1;
		if (strcmp(p, host) && strcmp(p, host_short))
			return cb_error_set_line(err, in->start_line,
						 "Dockerfile:%d: FROM --platform=%s: only the host "
						 "platform %s can be built (no emulation)",
						 in->start_line, p, host);
	}
	st->base_name = xstrdup(base);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	step = build_progress_step(b, st, in->code);
	st->step = step; /* extracting the base's layers reports here */
	dep = build_find_stage(b, base, st->index);
	if (dep >= 0 && b->stages[dep].name && !strcasecmp(b->stages[dep].name, base)) {
		const struct stage *bs = &b->stages[dep];

		/* its ONBUILD instructions (its config's OnBuild) trigger below */
		ret = from_stage(st, bs, err);
	} else if (!strcasecmp(base, "scratch")) {
		empty_image(b, st);
		ret = 0;
	} else {
		ret = from_image(st, base, err);
	}
	if (ret < 0) {
		cb_strvec_clear(&triggers);
		return line_error(in, err);
	}
	build_progress_done(b, step, &t0, false);
	for (size_t i = 0; i < st->config.onbuild.n; i++)
		cb_strvec_push(&triggers, st->config.onbuild.v[i]);
	cb_strvec_clear(&st->config.onbuild);
	/* PATH is always set (BuildKit's toDispatchState), then the state env starts from Env */
	if (build_env_find(&st->config.env, "PATH", 4) < 0)
		cb_strvec_push(&st->config.env, DEFAULT_PATH);
	build_env_add_all(&st->env, st->config.env.v, st->config.env.n);
	if (!st->has_chain && !st->from_stage) {
		struct cb_strvec parts = CB_STRVEC_INIT;

		cb_strvec_push(&parts, "FROM scratch");
		build_key(NULL, &parts, &st->key);
		cb_strvec_clear(&parts);
	}
	ret = run_onbuild(b, st, &triggers, in->start_line, err);
	cb_strvec_clear(&triggers);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Metadata instructions                                                     */
/* ------------------------------------------------------------------------ */

static int do_arg(struct build *b, struct stage *st, const struct df_instruction *in,
		  struct cb_error **err)
{
	struct cb_strbuf msg = CB_STRBUF_INIT;

	cb_strbuf_addstr(&msg, "ARG");
	for (size_t i = 0; i < in->u.kvs.n; i++) {
		const struct df_kv *kv = &in->u.kvs.items[i];
		bool given, global;
		const char *bv = build_arg_value(b, kv->key, &given);
		cleanup_free char *val = NULL;

		given = given && bv;
		build_mark_consumed(b, kv->key);
		if (given) {
			val = xstrdup(bv);
		} else if (kv->value) {
			val = expand(b, st, kv->value, err);
			if (!val) {
				cb_strbuf_release(&msg);
				return line_error(in, err);
			}
		} else {
			const char *g = NULL;
			size_t n = strlen(kv->key);

			for (size_t k = 0; k < b->meta_args.n; k++)
				if (!strncmp(b->meta_args.v[k], kv->key, n) &&
				    b->meta_args.v[k][n] == '=')
					g = b->meta_args.v[k] + n + 1;
			global = g != NULL;
			if (global)
				val = xstrdup(g);
		}
		if (val) {
			state_env_set(&st->env, kv->key, val);
			cb_strvec_pushf(&st->args, "%s=%s", kv->key, val);
		} else {
			cb_strvec_push(&st->args, kv->key);
		}
		/* the history shows the Dockerfile's default, never a --build-arg value */
		if (kv->value)
			cb_strbuf_addf(&msg, " %s=%s", kv->key, kv->value);
		else
			cb_strbuf_addf(&msg, " %s", kv->key);
	}
	build_history_add(b, st, msg.buf, true);
	cb_strbuf_release(&msg);
	return 0;
}

/* ENV and LABEL: expanded keys and values. */
static int do_kvs(struct build *b, struct stage *st, const struct df_instruction *in,
		  struct cb_error **err)
{
	bool env = in->kind == DF_ENV;
	struct cb_strbuf msg = CB_STRBUF_INIT;

	cb_strbuf_addstr(&msg, env ? "ENV" : "LABEL");
	for (size_t i = 0; i < in->u.kvs.n; i++) {
		const struct df_kv *kv = &in->u.kvs.items[i];
		cleanup_free char *k = expand(b, st, kv->key, err);
		cleanup_free char *v = k ? expand(b, st, kv->value ? kv->value : "", err) : NULL;

		if (!v) {
			cb_strbuf_release(&msg);
			return line_error(in, err);
		}
		if (env) {
			state_env_set(&st->env, k, v);
			config_env_set(&st->config.env, k, v);
		} else {
			cb_strmap_set(&st->config.labels, k, v);
		}
		cb_strbuf_addf(&msg, " %s=%s", k, v);
	}
	build_history_add(b, st, msg.buf, true);
	cb_strbuf_release(&msg);
	return 0;
}

/* A shell-form command becomes SHELL + [the joined words]. */
static void with_shell(const struct stage *st, const struct df_cmdline *c, struct cb_strvec *out)
{
	if (!c->prepend_shell) {
		for (size_t i = 0; i < c->args.n; i++)
			cb_strvec_push(out, c->args.v[i]);
		return;
	}
	if (st->config.shell.n) {
		for (size_t i = 0; i < st->config.shell.n; i++)
			cb_strvec_push(out, st->config.shell.v[i]);
	} else {
		cb_strvec_push(out, "/bin/sh");
		cb_strvec_push(out, "-c");
	}
	{
		struct cb_strbuf sb = CB_STRBUF_INIT;

		for (size_t i = 0; i < c->args.n; i++) {
			if (i)
				cb_strbuf_addch(&sb, ' ');
			cb_strbuf_addstr(&sb, c->args.v[i]);
		}
		cb_strvec_push_take(out, cb_strbuf_detach(&sb, NULL));
	}
}

void build_with_shell(const struct stage *st, const struct df_cmdline *c, struct cb_strvec *out)
{
	with_shell(st, c, out);
}

static void do_cmd(struct build *b, struct stage *st, const struct df_instruction *in)
{
	bool entry = in->kind == DF_ENTRYPOINT;
	struct cb_strvec *dst = entry ? &st->config.entrypoint : &st->config.cmd;
	struct cb_strbuf msg = CB_STRBUF_INIT;

	cb_strvec_clear(dst);
	with_shell(st, &in->u.cmd, dst);
	if (entry) {
		st->config.has_entrypoint = true;
		if (!st->cmd_set) {
			cb_strvec_clear(&st->config.cmd);
			st->config.has_cmd = false;
		}
	} else {
		st->config.has_cmd = true;
		st->config.args_escaped = true;
		st->cmd_set = true;
	}
	cb_strbuf_addstr(&msg, entry ? "ENTRYPOINT " : "CMD ");
	add_go_quoted_list(&msg, dst);
	build_history_add(b, st, msg.buf, true);
	cb_strbuf_release(&msg);
}

static void do_healthcheck(struct build *b, struct stage *st, const struct df_instruction *in)
{
	const struct df_healthcheck *h = &in->u.health;
	struct oci_healthcheck *c = &st->config.healthcheck;
	struct cb_strbuf msg = CB_STRBUF_INIT;

	cb_strvec_clear(&c->test);
	for (size_t i = 0; i < h->test.n; i++)
		cb_strvec_push(&c->test, h->test.v[i]);
	c->interval_ns = h->interval_ns;
	c->timeout_ns = h->timeout_ns;
	c->start_period_ns = h->start_period_ns;
	c->start_interval_ns = h->start_interval_ns;
	c->retries = h->retries;
	/*
	 * fmt %q of *container.HealthConfig, as Docker's BuildKit writes it:
	 * &{["CMD" "true"] "30s" "5s" "0s" '\x03'} (durations through String(),
	 * the retry count as a quoted rune)
	 */
	cb_strbuf_addstr(&msg, "HEALTHCHECK &{");
	add_go_quoted_list(&msg, &c->test);
	for (int i = 0; i < 3; i++) {
		struct cb_strbuf d = CB_STRBUF_INIT;

		add_go_duration(&d, i == 0   ? c->interval_ns
				    : i == 1 ? c->timeout_ns
					     : c->start_period_ns);
		cb_strbuf_addch(&msg, ' ');
		cb_strbuf_add_goquote(&msg, d.buf, d.len);
		cb_strbuf_release(&d);
	}
	cb_strbuf_addch(&msg, ' ');
	add_go_quoted_rune(&msg, c->retries);
	cb_strbuf_addch(&msg, '}');
	build_history_add(b, st, msg.buf, true);
	cb_strbuf_release(&msg);
}

/* One EXPOSE spec ([ip:][hostport:]port[-end][/proto]) -> "N/proto" entries. */
static int parse_port(const char *spec, struct cb_strvec *out, struct cb_error **err)
{
	cleanup_free char *s = xstrdup(spec);
	const char *proto = "tcp";
	char *slash = strrchr(s, '/'), *colon, *dash, *end;
	unsigned long lo, hi;

	if (slash) {
		*slash = '\0';
		proto = slash + 1;
		if (strcasecmp(proto, "tcp") && strcasecmp(proto, "udp") &&
		    strcasecmp(proto, "sctp"))
			return cb_error_set(err, EINVAL, "invalid proto: %s", proto);
	}
	colon = strrchr(s, ':');
	if (colon)
		memmove(s, colon + 1, strlen(colon + 1) + 1);
	dash = strchr(s, '-');
	errno = 0;
	lo = strtoul(s, &end, 10);
	if (end == s || (dash ? end != dash : *end) || lo > 65535 || errno)
		return cb_error_set(err, EINVAL, "invalid containerPort: %s", spec);
	hi = lo;
	if (dash) {
		hi = strtoul(dash + 1, &end, 10);
		if (end == dash + 1 || *end || hi > 65535 || hi < lo)
			return cb_error_set(err, EINVAL, "invalid containerPort: %s", spec);
	}
	for (unsigned long p = lo; p <= hi; p++) {
		cleanup_free char *lp = xstrdup(proto);

		for (char *c = lp; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		cb_strvec_pushf(out, "%lu/%s", p, lp);
	}
	return 0;
}

static int do_expose(struct build *b, struct stage *st, const struct df_instruction *in,
		     struct cb_error **err)
{
	struct shell_lex lex = stage_lex(b);
	struct cb_strvec words = CB_STRVEC_INIT, ports = CB_STRVEC_INIT;
	struct cb_strbuf msg = CB_STRBUF_INIT;
	int ret = 0;

	for (size_t i = 0; i < in->u.list.n && ret == 0; i++)
		ret = shell_expand_words(&lex, in->u.list.v[i], &st->env, &words, err);
	for (size_t i = 0; i < words.n && ret == 0; i++)
		ret = parse_port(words.v[i], &ports, err);
	if (ret == 0) {
		for (size_t i = 0; i < ports.n; i++)
			if (cb_strvec_find(&st->config.exposed_ports, ports.v[i]) < 0)
				cb_strvec_push(&st->config.exposed_ports, ports.v[i]);
		cb_strvec_sort(&st->config.exposed_ports);
		/* fmt %v of the map[string]struct{} of this instruction's ports: keys sorted */
		cb_strvec_sort(&ports);
		cb_strbuf_addstr(&msg, "EXPOSE map[");
		for (size_t i = 0; i < ports.n; i++)
			if (!i || strcmp(ports.v[i], ports.v[i - 1]))
				cb_strbuf_addf(&msg, "%s%s:{}", i ? " " : "", ports.v[i]);
		cb_strbuf_addch(&msg, ']');
		build_history_add(b, st, msg.buf, true);
	}
	cb_strvec_clear(&words);
	cb_strvec_clear(&ports);
	cb_strbuf_release(&msg);
	return ret < 0 ? line_error(in, err) : 0;
}

static int do_volume(struct build *b, struct stage *st, const struct df_instruction *in,
		     struct cb_error **err)
{
	struct cb_strvec vols = CB_STRVEC_INIT;
	struct cb_strbuf msg = CB_STRBUF_INIT;

	for (size_t i = 0; i < in->u.list.n; i++) {
		char *v = expand(b, st, in->u.list.v[i], err);

		if (!v) {
			cb_strvec_clear(&vols);
			return line_error(in, err);
		}
		if (!*v) {
			free(v);
			cb_strvec_clear(&vols);
			cb_error_set(err, EINVAL, "VOLUME specified can not be an empty string");
			return line_error(in, err);
		}
		cb_strvec_push_take(&vols, v);
	}
	for (size_t i = 0; i < vols.n; i++)
		if (cb_strvec_find(&st->config.volumes, vols.v[i]) < 0)
			cb_strvec_push(&st->config.volumes, vols.v[i]);
	cb_strvec_sort(&st->config.volumes);
	cb_strbuf_addstr(&msg, "VOLUME ");
	add_go_list(&msg, &vols);
	build_history_add(b, st, msg.buf, true);
	cb_strvec_clear(&vols);
	cb_strbuf_release(&msg);
	return 0;
}

/* Simple values: USER, STOPSIGNAL, MAINTAINER. */
static int do_value(struct build *b, struct stage *st, const struct df_instruction *in,
		    struct cb_error **err)
{
	cleanup_free char *v = expand(b, st, in->u.value, err);
	cleanup_free char *msg = NULL;

	if (!v)
		return line_error(in, err);
	switch (in->kind) {
	case DF_USER:
		free(st->config.user);
		st->config.user = xstrdup(v);
		msg = xasprintf("USER %s", v);
		break;
	case DF_STOPSIGNAL:
		if (!*v) {
			cb_error_set(err, EINVAL, "invalid signal: %s", v);
			return line_error(in, err);
		}
		free(st->config.stop_signal);
		st->config.stop_signal = xstrdup(v);
		msg = xasprintf("STOPSIGNAL %s", v);
		break;
	default: /* MAINTAINER */
		free(st->config.author);
		st->config.author = xstrdup(v);
		msg = xasprintf("MAINTAINER %s", v);
		break;
	}
	build_history_add(b, st, msg, true);
	return 0;
}

/* system.NormalizeWorkdir: relative to the current one, cleaned. */
static char *normalize_workdir(const char *cur, const char *p)
{
	struct cb_strvec parts = CB_STRVEC_INIT;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	cleanup_free char *full =
		p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", cur && *cur ? cur : "/", p);
	char *save = NULL;

	for (char *t = strtok_r(full, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, "."))
			continue;
		if (!strcmp(t, "..")) {
			if (parts.n)
				free(parts.v[--parts.n]), parts.v[parts.n] = NULL;
			continue;
		}
		cb_strvec_push(&parts, t);
	}
	for (size_t i = 0; i < parts.n; i++) {
		cb_strbuf_addch(&sb, '/');
		cb_strbuf_addstr(&sb, parts.v[i]);
	}
	if (!sb.len)
		cb_strbuf_addch(&sb, '/');
	cb_strvec_clear(&parts);
	return cb_strbuf_detach(&sb, NULL);
}

static int do_workdir(struct build *b, struct stage *st, const struct df_instruction *in,
		      struct cb_error **err)
{
	cleanup_free char *v = expand(b, st, in->u.value, err);
	cleanup_free char *wd = NULL;
	cleanup_free char *msg = NULL;

	if (!v)
		return line_error(in, err);
	wd = normalize_workdir(st->config.working_dir, v);
	free(st->config.working_dir);
	st->config.working_dir = xstrdup(wd);
	msg = xasprintf("WORKDIR %s", wd);
	if (!strcmp(wd, "/")) {
		build_history_add(b, st, msg, true);
		return 0;
	}
	if (build_step_mkdir(b, st, wd, err) < 0)
		return line_error(in, err);
	return 0;
}

static int do_shell(struct build *b, struct stage *st, const struct df_instruction *in)
{
	struct cb_strbuf msg = CB_STRBUF_INIT;

	cb_strvec_clear(&st->config.shell);
	for (size_t i = 0; i < in->u.list.n; i++)
		cb_strvec_push(&st->config.shell, in->u.list.v[i]);
	cb_strbuf_addstr(&msg, "SHELL ");
	add_go_list(&msg, &st->config.shell);
	build_history_add(b, st, msg.buf, true);
	cb_strbuf_release(&msg);
	return 0;
}

int build_dispatch(struct build *b, struct stage *st, const struct df_instruction *in,
		   struct cb_error **err)
{
	switch (in->kind) {
	case DF_RUN:
		return build_step_run(b, st, in, err);
	case DF_COPY:
	case DF_ADD:
		return build_step_copy(b, st, in, err);
	case DF_ARG:
		return do_arg(b, st, in, err);
	case DF_ENV:
	case DF_LABEL:
		return do_kvs(b, st, in, err);
	case DF_CMD:
	case DF_ENTRYPOINT:
		do_cmd(b, st, in);
		return 0;
	case DF_HEALTHCHECK:
		do_healthcheck(b, st, in);
		return 0;
	case DF_EXPOSE:
		return do_expose(b, st, in, err);
	case DF_VOLUME:
		return do_volume(b, st, in, err);
	case DF_USER:
	case DF_STOPSIGNAL:
	case DF_MAINTAINER:
		return do_value(b, st, in, err);
	case DF_WORKDIR:
		return do_workdir(b, st, in, err);
	case DF_SHELL:
		return do_shell(b, st, in);
	case DF_ONBUILD:
		cb_strvec_push(&st->config.onbuild, in->u.value);
		return 0;
	case DF_FROM:
	case DF_KIND_COUNT:
		break;
	}
	cb_error_set(err, EINVAL, "unexpected instruction %s", df_kind_name(in->kind));
	return line_error(in, err);
}
