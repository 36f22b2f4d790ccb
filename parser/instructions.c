/*
 * instructions.c - one AST node to a typed instruction (BuildKit's
 * instructions.ParseInstruction); stages.c drives it over a whole file.
 *
 * Each parse_* function checks the argument count and the flags the
 * instruction accepts, in the order BuildKit does (so the first error
 * reported is the same), and fills its part of struct df_instruction.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "flags.h"
#include "parser-internal.h"
#include "utf8.h"
#include "xalloc.h"

static const char *const kind_names[DF_KIND_COUNT] = {
	"ADD",	  "ARG",   "CMD",	  "COPY",  "ENTRYPOINT", "ENV",
	"EXPOSE", "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
	"RUN",	  "SHELL", "STOPSIGNAL",  "USER",  "VOLUME",	 "WORKDIR",
};

const char *df_kind_name(enum df_kind kind)
{
	return (unsigned)kind < DF_KIND_COUNT ? kind_names[kind] : NULL;
}

/* What the parse functions see of a node (BuildKit's parseRequest). */
struct request {
	const struct df_node *node;
	struct cb_strvec args; /* nodeArgs: values, ONBUILD's child flattened */
	struct df_flags flags;
};

/* A JSON argument holding "\u0000": the typed layer's strings cannot carry it. */
static bool has_nul_arg(const struct df_node *node)
{
	for (const struct df_node *n = node->next; n; n = n->next) {
		if (strlen(n->value) != n->value_len)
			return true;
		if (n->nchildren == 1 && has_nul_arg(n->children[0]))
			return true;
	}
	return false;
}

static void node_args(const struct df_node *node, struct cb_strvec *out)
{
	for (const struct df_node *n = node->next; n; n = n->next) {
		if (!n->nchildren) {
			cb_strvec_push(out, n->value);
		} else if (n->nchildren == 1) {
			cb_strvec_push(out, n->children[0]->value);
			node_args(n->children[0], out);
		}
	}
}

static int parse_flags(struct request *req, struct cb_error **err)
{
	return df_flags_parse(&req->flags, &req->node->flags, err);
}

static int err_at_least_one(const char *cmd, struct cb_error **err)
{
	return cb_error_set(err, 0, "%s requires at least one argument", cmd);
}

static int err_exactly_one(const char *cmd, struct cb_error **err)
{
	return cb_error_set(err, 0, "%s requires exactly one argument", cmd);
}

/* "# NAME text" in the comments above gives NAME's description. */
static char *get_comment(const struct df_node *node, const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (!len)
		return NULL;
	for (size_t i = 0; i < node->prev_comment.n; i++) {
		const char *c = node->prev_comment.v[i];

		if (!strncmp(c, name, len) && c[len] == ' ')
			return xstrdup(c + len + 1);
	}
	return NULL;
}

/* ENV and LABEL: key, value, separator triples from the AST. */
static int parse_kvps(struct request *req, struct df_instruction *in, const char *cmd,
		      struct cb_error **err)
{
	const struct cb_strvec *a = &req->args;

	if (parse_flags(req, err) < 0)
		return -1;
	if (!a->n)
		return err_at_least_one(cmd, err);
	if (a->n % 3)
		return cb_error_set(err, 0, "Bad input to %s, too many arguments", cmd);
	in->u.kvs.items = xcalloc(a->n / 3, sizeof(*in->u.kvs.items));
	for (size_t j = 0; j < a->n; j += 3) {
		if (!*a->v[j])
			return cb_error_set(err, 0, "%s names can not be blank", cmd);
		in->u.kvs.items[in->u.kvs.n].key = xstrdup(a->v[j]);
		in->u.kvs.items[in->u.kvs.n].value = xstrdup(a->v[j + 1]);
		in->u.kvs.n++;
	}
	return 0;
}

static int parse_arg(struct request *req, struct df_instruction *in, struct cb_error **err)
{
	const struct cb_strvec *a = &req->args;

	if (!a->n)
		return err_at_least_one("ARG", err);
	in->u.kvs.items = xcalloc(a->n, sizeof(*in->u.kvs.items));
	for (size_t i = 0; i < a->n; i++) {
		struct df_kv *kv = &in->u.kvs.items[i];
		const char *eq = strchr(a->v[i], '=');

		if (eq == a->v[i])
			return cb_error_set(err, 0, "ARG names can not be blank");
		kv->key = eq ? xstrndup(a->v[i], (size_t)(eq - a->v[i])) : xstrdup(a->v[i]);
		kv->value = eq ? xstrdup(eq + 1) : NULL;
		kv->comment = get_comment(req->node, kv->key);
		in->u.kvs.n++;
	}
	return 0;
}

/*
 * handleJSONArgs: exec form keeps the words, shell form is one string; no
 * words at all give an empty command line in either form.
 */
static void cmdline_args(struct request *req, struct cb_strvec *out)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	if (!req->args.n)
		return;
	if (req->node->json) {
		for (size_t i = 0; i < req->args.n; i++)
			cb_strvec_push(out, req->args.v[i]);
		return;
	}
	for (size_t i = 0; i < req->args.n; i++) {
		if (i)
			cb_strbuf_addch(&sb, ' ');
		cb_strbuf_addstr(&sb, req->args.v[i]);
	}
	cb_strvec_push_take(out, cb_strbuf_detach(&sb, NULL));
}

static void parse_cmdline(struct request *req, struct df_cmdline *c)
{
	const struct df_node *n = req->node;

	cmdline_args(req, &c->args);
	c->prepend_shell = !n->json;
	if (n->nheredocs)
		c->files = xcalloc(n->nheredocs, sizeof(*c->files));
	for (size_t i = 0; i < n->nheredocs; i++) {
		c->files[i].name = xstrdup(n->heredocs[i].name);
		c->files[i].data = xstrdup(n->heredocs[i].content);
		c->files[i].chomp = n->heredocs[i].chomp;
	}
	c->nfiles = n->nheredocs;
}

/* The index of v in names (enum order), or -1. */
static int lookup(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -1;
}

static int run_modes(struct df_run *r, const char *network, const char *security,
		     struct cb_error **err)
{
	static const char *const networks[] = {"default", "none", "host"};
	static const char *const securities[] = {"sandbox", "insecure"};
	int net = lookup(network, networks, 3), sec = lookup(security, securities, 2);
	struct cb_strbuf q = CB_STRBUF_INIT;

	if (net < 0) {
		cb_strbuf_add_goquote(&q, network, strlen(network));
		cb_error_set(err, 0, "invalid network mode %s", q.buf);
	} else if (sec < 0) {
		cb_strbuf_add_goquote(&q, security, strlen(security));
		cb_error_set(err, 0, "security %s is not valid", q.buf);
	} else {
		r->network = (enum df_network)net;
		r->security = (enum df_security)sec;
	}
	cb_strbuf_release(&q);
	return net < 0 || sec < 0 ? -1 : 0;
}

/*
 * RUN's flags come from BuildKit's hooks, registered in file order
 * (rundevice, runmount, runnetwork, runsecurity): their values are checked
 * in that order, so the first error reported is the same.
 */
static int parse_run(struct request *req, struct df_instruction *in, struct cb_error **err)
{
	struct df_flag *devices = df_flags_add_strings(&req->flags, "device");
	struct df_flag *mounts = df_flags_add_strings(&req->flags, "mount");
	struct df_flag *network = df_flags_add_string(&req->flags, "network", "default");
	struct df_flag *security = df_flags_add_string(&req->flags, "security", "sandbox");
	struct df_run *r = &in->u.run;

	if (parse_flags(req, err) < 0)
		return -1;
	parse_cmdline(req, &r->cmdline);
	if (devices->values.n)
		r->devices = xcalloc(devices->values.n, sizeof(*r->devices));
	for (size_t i = 0; i < devices->values.n; i++) {
		if (df_device_parse(devices->values.v[i], &r->devices[i], err) < 0)
			return -1;
		r->ndevices++;
	}
	if (mounts->values.n)
		r->mounts = xcalloc(mounts->values.n, sizeof(*r->mounts));
	for (size_t i = 0; i < mounts->values.n; i++) {
		if (df_mount_parse_deferred(mounts->values.v[i], &r->mounts[i], err) < 0)
			return -1;
		r->nmounts++;
	}
	return run_modes(r, network->value, security->value, err);
}

/* CMD and ENTRYPOINT; `ENTRYPOINT []` is an empty exec form (it clears the entrypoint). */
static int parse_cmd(struct request *req, struct df_instruction *in, struct cb_error **err)
{
	if (parse_flags(req, err) < 0)
		return -1;
	parse_cmdline(req, &in->u.cmd);
	return 0;
}

/*
 * MustParseHeredoc: 1 and *doc when word is a heredoc; 0 when it is not, or
 * when its delimiter does not lex (BuildKit drops that error, and the word
 * is then an ordinary path).
 */
static int heredoc_word(const char *word, struct df_heredoc *doc)
{
	cleanup_error struct cb_error *ignored = NULL;

	return df_parse_heredoc_word(word, doc, &ignored) > 0;
}

/* parseSourcesAndDest: heredoc words among the sources become inline files. */
static int parse_sources(struct request *req, struct df_copy *c, const char *cmd,
			 struct cb_error **err)
{
	const struct cb_strvec *a = &req->args;
	const struct df_node *n = req->node;
	struct df_heredoc doc;
	int r = heredoc_word(a->v[a->n - 1], &doc);

	if (r > 0) {
		df_heredoc_release(&doc);
		return cb_error_set(err, 0, "%s cannot accept a heredoc as a destination", cmd);
	}
	c->dest = xstrdup(a->v[a->n - 1]);
	for (size_t i = 0; i + 1 < a->n; i++) {
		struct df_source_content *sc;
		const char *content = "";

		r = heredoc_word(a->v[i], &doc);
		if (r == 0) {
			cb_strvec_push(&c->sources, a->v[i]);
			continue;
		}
		/* the last heredoc of that name wins, as in BuildKit's lookup map */
		for (size_t j = 0; j < n->nheredocs; j++)
			if (!strcmp(n->heredocs[j].name, doc.name))
				content = n->heredocs[j].content;
		c->contents = xrealloc(c->contents, (c->ncontents + 1) * sizeof(*c->contents));
		sc = &c->contents[c->ncontents++];
		sc->data = doc.chomp ? df_chomp_heredoc(content) : xstrdup(content);
		sc->path = steal_pointer(&doc.name);
		sc->expand = doc.expand;
		df_heredoc_release(&doc);
	}
	return 0;
}

static int parse_copy(struct request *req, struct df_instruction *in, bool add,
		      struct cb_error **err)
{
	struct df_copy *c = &in->u.copy;
	struct df_flag *chown, *chmod, *link, *excludes;
	struct df_flag *from = NULL, *parents = NULL, *keep_git = NULL, *checksum = NULL,
		       *unpack = NULL;

	if (req->args.n < 2)
		return cb_error_set(err, 0,
				    "%s requires at least two arguments, but only one was "
				    "provided. Destination could not be determined",
				    add ? "ADD" : "COPY");
	excludes = df_flags_add_strings(&req->flags, "exclude");
	chown = df_flags_add_string(&req->flags, "chown", "");
	chmod = df_flags_add_string(&req->flags, "chmod", "");
	link = df_flags_add_bool(&req->flags, "link");
	if (add) {
		keep_git = df_flags_add_bool(&req->flags, "keep-git-dir");
		checksum = df_flags_add_string(&req->flags, "checksum", "");
		unpack = df_flags_add_bool(&req->flags, "unpack");
	} else {
		from = df_flags_add_string(&req->flags, "from", "");
		parents = df_flags_add_bool(&req->flags, "parents");
	}
	if (parse_flags(req, err) < 0)
		return -1;
	if (parse_sources(req, c, add ? "ADD" : "COPY", err) < 0)
		return -1;
	c->chown = df_flag_dup(chown);
	c->chmod = df_flag_dup(chmod);
	c->link = df_flag_true(link);
	for (size_t i = 0; i < excludes->values.n; i++)
		cb_strvec_push(&c->excludes, excludes->values.v[i]);
	if (add) {
		c->keep_git_dir = keep_git->used ? df_flag_true(keep_git) : -1;
		c->checksum = df_flag_dup(checksum);
		c->unpack = unpack->used ? df_flag_true(unpack) : -1;
	} else {
		c->from = df_flag_dup(from);
		c->parents = df_flag_true(parents);
		c->unpack = -1;
		c->keep_git_dir = -1;
	}
	return 0;
}

static bool valid_stage_name(const char *s)
{
	/* ^[a-z][a-z0-9-_.]*$ */
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("-_.", *s)))
			return false;
	return true;
}

/* strings.EqualFold(word, "as"): Unicode folding also matches U+017F (long s). */
static bool is_as(const char *w)
{
	if ((w[0] | 0x20) != 'a')
		return false;
	return ((w[1] | 0x20) == 's' && !w[2]) || !strcmp(w + 1, "\xC5\xBF");
}

static int parse_from(struct request *req, struct df_instruction *in, struct cb_error **err)
{
	const struct cb_strvec *a = &req->args;
	struct df_from *f = &in->u.from;
	struct df_flag *platform;

	if (a->n == 3 && is_as(a->v[1])) {
		cleanup_free char *name = df_lower(a->v[2]);

		if (!valid_stage_name(name)) {
			struct cb_strbuf q = CB_STRBUF_INIT;

			cb_strbuf_add_goquote(&q, a->v[2], strlen(a->v[2]));
			cb_error_set(err, 0,
				     "invalid name for build stage: %s, name can't start with a "
				     "number or contain symbols",
				     q.buf);
			cb_strbuf_release(&q);
			return -1;
		}
		f->name = steal_pointer(&name);
	} else if (a->n != 1) {
		return cb_error_set(err, 0, "FROM requires either one or three arguments");
	}
	platform = df_flags_add_string(&req->flags, "platform", "");
	if (parse_flags(req, err) < 0)
		return -1;
	f->base = xstrdup(a->v[0]);
	f->platform = df_flag_dup(platform);
	f->comment = get_comment(req->node, f->name);
	return 0;
}

static int parse_onbuild(struct request *req, struct df_instruction *in, struct cb_error **err)
{
	const struct df_node *n = req->node;
	struct cb_strbuf expr = CB_STRBUF_INIT;
	cleanup_free char *trigger = NULL;
	const char *p = n->original;

	if (!req->args.n)
		return err_at_least_one("ONBUILD", err);
	if (parse_flags(req, err) < 0)
		return -1;
	{
		cleanup_free char *t = df_trim_space(req->args.v[0], strlen(req->args.v[0]));

		trigger = df_upper(t);
	}
	if (!strcmp(trigger, "ONBUILD"))
		return cb_error_set(err, 0, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	if (!strcmp(trigger, "MAINTAINER") || !strcmp(trigger, "FROM"))
		return cb_error_set(err, 0, "%s isn't allowed as an ONBUILD trigger", trigger);
	/* the expression is the line without `(?i)^\s*ONBUILD\s*` */
	p += strspn(p, " \t\n\f\r");
	if (!strncasecmp(p, "onbuild", 7))
		p += 7 + strspn(p + 7, " \t\n\f\r");
	else
		p = n->original;
	cb_strbuf_addstr(&expr, p);
	for (size_t i = 0; i < n->nheredocs; i++)
		cb_strbuf_addf(&expr, "\n%s%s", n->heredocs[i].content, n->heredocs[i].name);
	in->u.value = cb_strbuf_detach(&expr, NULL);
	return 0;
}

static int parse_interval(const struct df_flag *fl, int64_t *out, struct cb_error **err)
{
	int64_t d;

	if (!*fl->value)
		return 0;
	if (df_parse_duration(fl->value, &d, err) < 0)
		return -1;
	/* container.MinimumDuration */
	if (d != 0 && d < 1000000)
		return cb_error_set(err, 0, "Interval \"%s\" cannot be less than 1ms", fl->name);
	*out = d;
	return 0;
}

static int parse_int_error(const char *v, const char *why, struct cb_error **err)
{
	struct cb_strbuf q = CB_STRBUF_INIT;

	cb_strbuf_add_goquote(&q, v, strlen(v));
	cb_error_set(err, 0, "strconv.ParseInt: parsing %s: %s", q.buf, why);
	cb_strbuf_release(&q);
	return -1;
}

/*
 * strconv.ParseInt(v, 10, 32): an optional sign and decimal digits only.
 * Like Go, the digits are read left to right and a value past 32 bits is a
 * range error even when a bad character follows.
 */
static int parse_retries(const char *v, int *out, struct cb_error **err)
{
	const char *p = v + (*v == '+' || *v == '-');
	bool neg = *v == '-';
	unsigned long long n = 0;

	if (!*v)
		return 0;
	if (!*p)
		return parse_int_error(v, "invalid syntax", err);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return parse_int_error(v, "invalid syntax", err);
		n = n * 10 + (unsigned)(*p - '0');
		if (n > 0xFFFFFFFFull)
			return parse_int_error(v, "value out of range", err);
	}
	if (n > (neg ? 0x80000000ull : 0x7FFFFFFFull))
		return parse_int_error(v, "value out of range", err);
	if (neg && n)
		return cb_error_set(err, 0, "--retries cannot be negative (-%llu)", n);
	*out = (int)n;
	return 0;
}

static int parse_healthcheck(struct request *req, struct df_instruction *in, struct cb_error **err)
{
	struct df_healthcheck *h = &in->u.health;
	struct df_flag *interval, *timeout, *start_period, *start_interval, *retries;
	cleanup_free char *type = NULL;

	if (!req->args.n)
		return err_at_least_one("HEALTHCHECK", err);
	type = df_upper(req->args.v[0]);
	if (!strcmp(type, "NONE")) {
		/* BuildKit does not look at the flags of HEALTHCHECK NONE */
		if (req->args.n != 1)
			return cb_error_set(err, 0, "HEALTHCHECK NONE takes no arguments");
		cb_strvec_push(&h->test, "NONE");
		return 0;
	}
	interval = df_flags_add_string(&req->flags, "interval", "");
	timeout = df_flags_add_string(&req->flags, "timeout", "");
	start_period = df_flags_add_string(&req->flags, "start-period", "");
	start_interval = df_flags_add_string(&req->flags, "start-interval", "");
	retries = df_flags_add_string(&req->flags, "retries", "");
	if (parse_flags(req, err) < 0)
		return -1;
	if (strcmp(type, "CMD")) {
		struct cb_strbuf q = CB_STRBUF_INIT;

		cb_strbuf_add_goquote(&q, type, strlen(type));
		cb_error_set(err, 0, "Unknown type %s in HEALTHCHECK (try CMD)", q.buf);
		cb_strbuf_release(&q);
		return -1;
	}
	cb_strvec_push(&h->test, req->node->json ? "CMD" : "CMD-SHELL");
	{
		struct request sub = *req;

		/* the command is every argument after the type (handleJSONArgs) */
		sub.args.v = req->args.v + 1;
		sub.args.n = req->args.n - 1;
		cmdline_args(&sub, &h->test);
	}
	if (h->test.n < 2)
		return cb_error_set(err, 0, "Missing command after HEALTHCHECK CMD");
	if (parse_interval(interval, &h->interval_ns, err) < 0 ||
	    parse_interval(timeout, &h->timeout_ns, err) < 0 ||
	    parse_interval(start_period, &h->start_period_ns, err) < 0 ||
	    parse_interval(start_interval, &h->start_interval_ns, err) < 0)
		return -1;
	return parse_retries(retries->value, &h->retries, err);
}

/* sort.Strings: byte order */
static int parse_list(struct request *req, struct df_instruction *in, struct cb_error **err)
{
	const char *cmd = df_kind_name(in->kind);

	if (!req->args.n)
		return err_at_least_one(cmd, err);
	if (parse_flags(req, err) < 0)
		return -1;
	for (size_t i = 0; i < req->args.n; i++) {
		char *v = in->kind == DF_VOLUME
				  ? df_trim_space(req->args.v[i], strlen(req->args.v[i]))
				  : xstrdup(req->args.v[i]);

		if (!*v) {
			free(v);
			return cb_error_set(err, 0, "VOLUME specified can not be an empty string");
		}
		cb_strvec_push_take(&in->u.list, v);
	}
	if (in->kind == DF_EXPOSE)
		cb_strvec_sort(&in->u.list);
	return 0;
}

/* USER, WORKDIR, MAINTAINER, STOPSIGNAL: exactly one argument. */
static int parse_single(struct request *req, struct df_instruction *in, struct cb_error **err)
{
	const char *cmd = df_kind_name(in->kind);

	if (req->args.n != 1)
		return err_exactly_one(cmd, err);
	/* BuildKit never parses STOPSIGNAL's flags */
	if (in->kind != DF_STOPSIGNAL && parse_flags(req, err) < 0)
		return -1;
	in->u.value = xstrdup(req->args.v[0]);
	return 0;
}

static int parse_shell(struct request *req, struct df_instruction *in, struct cb_error **err)
{
	if (parse_flags(req, err) < 0)
		return -1;
	cmdline_args(req, &in->u.list);
	if (!in->u.list.n)
		return err_at_least_one("SHELL", err);
	if (!req->node->json)
		return cb_error_set(err, 0, "SHELL requires the arguments to be in JSON form");
	return 0;
}

static int dispatch(struct request *req, struct df_instruction *in, struct cb_error **err)
{
	switch (in->kind) {
	case DF_ENV:
		return parse_kvps(req, in, "ENV", err);
	case DF_LABEL:
		return parse_kvps(req, in, "LABEL", err);
	case DF_ARG:
		return parse_arg(req, in, err);
	case DF_ADD:
		return parse_copy(req, in, true, err);
	case DF_COPY:
		return parse_copy(req, in, false, err);
	case DF_FROM:
		return parse_from(req, in, err);
	case DF_ONBUILD:
		return parse_onbuild(req, in, err);
	case DF_RUN:
		return parse_run(req, in, err);
	case DF_CMD:
	case DF_ENTRYPOINT:
		return parse_cmd(req, in, err);
	case DF_HEALTHCHECK:
		return parse_healthcheck(req, in, err);
	case DF_EXPOSE:
	case DF_VOLUME:
		return parse_list(req, in, err);
	case DF_SHELL:
		return parse_shell(req, in, err);
	case DF_MAINTAINER:
	case DF_USER:
	case DF_WORKDIR:
	case DF_STOPSIGNAL:
		return parse_single(req, in, err);
	case DF_KIND_COUNT:
		break;
	}
	return cb_error_set(err, 0, "internal error: unhandled instruction");
}

static int unknown_instruction(const char *value, struct cb_error **err)
{
	char buf[32];
	const char *match = df_suggest(value, kind_names, DF_KIND_COUNT, false, buf, sizeof(buf));

	if (match)
		return cb_error_set(err, 0, "unknown instruction: %s (did you mean %s?)", value,
				    match);
	return cb_error_set(err, 0, "unknown instruction: %s", value);
}

int df_instruction_parse(const struct df_node *node, struct df_instruction *in,
			 struct cb_error **err)
{
	struct request req = {.node = node};
	cleanup_free char *lower = df_lower(node->value);
	int k, rc;

	memset(in, 0, sizeof(*in));
	/* switch strings.ToLower(node.Value) */
	for (k = 0; k < DF_KIND_COUNT; k++)
		if (!strcasecmp(lower, kind_names[k]))
			break;
	if (k == DF_KIND_COUNT)
		return unknown_instruction(node->value, err);
	/*
	 * BuildKit keeps the NUL, and nothing downstream can use it (exec,
	 * paths, env); cutting the argument there would change it silently.
	 */
	if (has_nul_arg(node))
		return cb_error_set(err, 0, "NUL character (\\u0000) in an argument of %s",
				    node->value);
	in->kind = (enum df_kind)k;
	in->node = node;
	in->start_line = node->start_line;
	in->end_line = node->end_line;
	in->code = df_trim_space(node->original, strlen(node->original));
	node_args(node, &req.args);
	rc = dispatch(&req, in, err);
	cb_strvec_clear(&req.args);
	df_flags_release(&req.flags);
	if (rc < 0)
		df_instruction_release(in);
	return rc;
}
