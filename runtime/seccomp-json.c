/*
 * seccomp-json.c - read `--security-opt seccomp=profile.json`: Docker's
 * format (defaultAction, defaultErrnoRet, archMap or architectures,
 * syscalls with names/name, action, errnoRet, args, includes, excludes) or
 * the OCI runtime-spec's linux.seccomp object (or a whole config.json
 * holding one).  jansson stays inside this file.
 */
#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "runtime-internal.h"
#include "xalloc.h"

/* The bit of a capability no kernel has: a rule requiring an unknown cap never applies. */
#define CAP_UNKNOWN (1ULL << 63)

static int parse_action(const char *s, enum sc_action *out, struct cb_error **err)
{
	static const struct {
		const char *name;
		enum sc_action action;
	} actions[] = {
		{"SCMP_ACT_ALLOW", SC_ALLOW},
		{"SCMP_ACT_ERRNO", SC_ERRNO},
		{"SCMP_ACT_KILL", SC_KILL_THREAD},
		{"SCMP_ACT_KILL_THREAD", SC_KILL_THREAD},
		{"SCMP_ACT_KILL_PROCESS", SC_KILL_PROCESS},
		{"SCMP_ACT_TRAP", SC_TRAP},
		{"SCMP_ACT_TRACE", SC_TRACE},
		{"SCMP_ACT_LOG", SC_LOG},
	};

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (!strcmp(s, actions[i].name)) {
			*out = actions[i].action;
			return 0;
		}
	}
	return cb_error_set(err, 0, "unsupported action `%s`", s);
}

static int parse_op(const char *s, int *out, struct cb_error **err)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{"SCMP_CMP_NE", SCMP_CMP_NE},
		{"SCMP_CMP_LT", SCMP_CMP_LT},
		{"SCMP_CMP_LE", SCMP_CMP_LE},
		{"SCMP_CMP_EQ", SCMP_CMP_EQ},
		{"SCMP_CMP_GE", SCMP_CMP_GE},
		{"SCMP_CMP_GT", SCMP_CMP_GT},
		{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!strcmp(s, ops[i].name)) {
			*out = (int)ops[i].op;
			return 0;
		}
	}
	return cb_error_set(err, 0, "unsupported operator `%s`", s);
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token; 0 when unknown. */
static uint32_t arch_token(const char *s)
{
	char name[32];
	size_t i;

	if (!strncmp(s, "SCMP_ARCH_", 10))
		s += 10;
	for (i = 0; s[i] && i < sizeof(name) - 1; i++)
		name[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	name[i] = '\0';
	return seccomp_arch_resolve_name(name);
}

/* Docker's "arches" names (Go's GOARCH plus x32) to SC_ARCH_* bits. */
static unsigned docker_arch_bit(const char *s)
{
	static const struct {
		const char *name;
		unsigned bit;
	} arches[] = {
		{"amd64", SC_ARCH_AMD64},     {"x86_64", SC_ARCH_AMD64}, {"x86", SC_ARCH_X86},
		{"386", SC_ARCH_X86},	      {"i386", SC_ARCH_X86},	 {"x32", SC_ARCH_X32},
		{"arm", SC_ARCH_ARM},	      {"arm64", SC_ARCH_ARM64},	 {"aarch64", SC_ARCH_ARM64},
		{"ppc64le", SC_ARCH_PPC64LE}, {"s390", SC_ARCH_S390},	 {"s390x", SC_ARCH_S390X},
		{"riscv64", SC_ARCH_RISCV64},
	};

	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (!strcasecmp(s, arches[i].name))
			return arches[i].bit;
	return SC_ARCH_OTHER;
}

static const char *native_arch_name(void)
{
#if defined(__x86_64__)
	return "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
	return "SCMP_ARCH_AARCH64";
#else
	return "";
#endif
}

static int add_arch(struct sc_profile *p, const char *name, struct cb_error **err)
{
	uint32_t tok = arch_token(name);

	if (!tok)
		return cb_error_set(err, 0, "unknown architecture `%s`", name);
	if (p->narches == sizeof(p->arches) / sizeof(p->arches[0]))
		return cb_error_set(err, 0, "too many architectures");
	p->arches[p->narches++] = tok;
	return 0;
}

static int parse_arches(json_t *root, struct sc_profile *p, struct cb_error **err)
{
	json_t *map = json_object_get(root, "archMap"),
	       *list = json_object_get(root, "architectures");
	json_t *v, *e;
	size_t i, j;

	if (json_array_size(map) && json_array_size(list))
		return cb_error_set(err, 0, "both `architectures` and `archMap` are set; use one");
	json_array_foreach (list, i, v) {
		if (!json_is_string(v))
			return cb_error_set(err, 0, "`architectures` must list architecture names");
		if (add_arch(p, json_string_value(v), err) < 0)
			return -1;
	}
	json_array_foreach (map, i, e) {
		const char *a = json_string_value(json_object_get(e, "architecture"));

		if (!a || strcmp(a, native_arch_name()))
			continue;
		if (add_arch(p, a, err) < 0)
			return -1;
		json_array_foreach (json_object_get(e, "subArchitectures"), j, v) {
			if (!json_is_string(v))
				return cb_error_set(err, 0, "bad `subArchitectures` for `%s`", a);
			if (add_arch(p, json_string_value(v), err) < 0)
				return -1;
		}
	}
	return 0;
}

static int parse_kernel(const char *s, int *out, struct cb_error **err)
{
	int major, minor;
	char extra;

	if (sscanf(s, "%d.%d%c", &major, &minor, &extra) != 2 || major < 0 || minor < 0 ||
	    minor > 999)
		return cb_error_set(err, 0, "invalid minKernel `%s`", s);
	*out = major * 1000 + minor;
	return 0;
}

/* includes / excludes: caps, arches, minKernel. */
static int parse_filter(json_t *f, bool include, struct sc_rule *r, struct cb_error **err)
{
	json_t *v;
	size_t i;
	const char *mk = json_string_value(json_object_get(f, "minKernel"));

	json_array_foreach (json_object_get(f, "caps"), i, v) {
		int cap = json_is_string(v) ? cap_from_name(json_string_value(v)) : -1;
		uint64_t bit = cap >= 0 ? 1ULL << cap : (include ? CAP_UNKNOWN : 0);

		if (include)
			r->caps_incl |= bit;
		else
			r->caps_excl |= bit;
	}
	json_array_foreach (json_object_get(f, "arches"), i, v) {
		unsigned bit = json_is_string(v) ? docker_arch_bit(json_string_value(v)) : 0;

		if (include)
			r->arches_incl |= bit;
		else
			r->arches_excl |= bit;
	}
	if (mk && include)
		return parse_kernel(mk, &r->min_kernel, err);
	/* excludes.minKernel ("not on kernels >= X") is never used by Docker; refuse it. */
	if (mk)
		return cb_error_set(err, 0, "`excludes.minKernel` is not supported");
	return 0;
}

static int parse_args(json_t *args, struct sc_rule *r, struct cb_error **err)
{
	json_t *a;
	size_t i;

	if (json_array_size(args) > 6)
		return cb_error_set(err, 0, "more than 6 argument conditions");
	json_array_foreach (args, i, a) {
		json_t *idx = json_object_get(a, "index"), *val = json_object_get(a, "value");
		json_t *val2 = json_object_get(a, "valueTwo");
		const char *op = json_string_value(json_object_get(a, "op"));
		struct sc_arg *g = &r->args[i];

		if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
		    json_integer_value(idx) > 5)
			return cb_error_set(err, 0, "argument `index` must be 0..5");
		if (!op || parse_op(op, &g->op, err) < 0)
			return op ? -1 : cb_error_set(err, 0, "argument without `op`");
		g->index = (unsigned)json_integer_value(idx);
		/* JSON numbers above 2^63 arrive as reals; jansson keeps integers signed */
		g->value = json_is_real(val) ? (uint64_t)json_real_value(val)
					     : (uint64_t)json_integer_value(val);
		g->value2 = json_is_real(val2) ? (uint64_t)json_real_value(val2)
					       : (uint64_t)json_integer_value(val2);
		r->nargs++;
	}
	return 0;
}

static int parse_names(json_t *s, struct sc_rule *r, struct cb_error **err)
{
	json_t *names = json_object_get(s, "names"), *v;
	const char *one = json_string_value(json_object_get(s, "name"));
	char **out;
	size_t i;

	out = xcalloc(json_array_size(names) + 1, sizeof(*out));
	r->names = (const char *const *)out;
	json_array_foreach (names, i, v) {
		if (!json_is_string(v))
			return cb_error_set(err, 0, "`names` must hold strings");
		out[r->nnames++] = xstrdup(json_string_value(v));
	}
	if (one)
		out[r->nnames++] = xstrdup(one);
	if (!r->nnames)
		return cb_error_set(err, 0, "a syscall rule has no `names`");
	return 0;
}

static int parse_rule(json_t *s, struct sc_rule *r, struct cb_error **err)
{
	const char *action = json_string_value(json_object_get(s, "action"));
	json_t *errno_ret = json_object_get(s, "errnoRet");

	r->errno_ret = -1;
	if (parse_names(s, r, err) < 0)
		return -1;
	if (!action)
		return cb_error_set(err, 0, "a syscall rule has no `action`");
	if (parse_action(action, &r->action, err) < 0)
		return -1;
	if (errno_ret) {
		if (r->action != SC_ERRNO && r->action != SC_TRACE)
			return cb_error_set(err, 0, "`errnoRet` is only valid with SCMP_ACT_ERRNO");
		if (!json_is_integer(errno_ret) || json_integer_value(errno_ret) < 0 ||
		    json_integer_value(errno_ret) > 4095)
			return cb_error_set(err, 0, "`errnoRet` must be 0..4095");
		r->errno_ret = (int)json_integer_value(errno_ret);
	}
	if (parse_args(json_object_get(s, "args"), r, err) < 0)
		return -1;
	if (parse_filter(json_object_get(s, "includes"), true, r, err) < 0)
		return -1;
	return parse_filter(json_object_get(s, "excludes"), false, r, err);
}

static int parse_profile(json_t *root, struct sc_profile *p, struct cb_error **err)
{
	const char *def = json_string_value(json_object_get(root, "defaultAction"));
	json_t *def_errno = json_object_get(root, "defaultErrnoRet");
	json_t *calls = json_object_get(root, "syscalls"), *s;
	struct sc_rule *rules;
	size_t i;

	if (!def)
		return cb_error_set(err, 0, "no `defaultAction`");
	if (parse_action(def, &p->default_action, err) < 0)
		return -1;
	p->default_errno = EPERM;
	if (json_is_integer(def_errno))
		p->default_errno = (int)json_integer_value(def_errno);
	if (parse_arches(root, p, err) < 0)
		return -1;
	if (calls && !json_is_array(calls))
		return cb_error_set(err, 0, "`syscalls` must be an array");
	rules = xcalloc(json_array_size(calls) + 1, sizeof(*rules));
	p->rules = rules;
	json_array_foreach (calls, i, s) {
		p->nrules++;
		if (parse_rule(s, &rules[i], err) < 0)
			return cb_error_wrap(err, "syscall rule %zu", i + 1);
	}
	return 0;
}

int sc_profile_parse(const char *json, struct sc_profile **out, struct cb_error **err)
{
	json_error_t jerr;
	json_auto_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	json_t *obj = root;
	struct sc_profile *p;

	if (!root)
		return cb_error_set(err, 0, "seccomp profile: line %d: %s", jerr.line, jerr.text);
	/* a whole OCI config.json: use its linux.seccomp */
	if (json_object_get(json_object_get(root, "linux"), "seccomp"))
		obj = json_object_get(json_object_get(root, "linux"), "seccomp");
	if (!json_is_object(obj))
		return cb_error_set(err, 0, "seccomp profile: not a JSON object");
	p = xcalloc(1, sizeof(*p));
	p->owned = p;
	if (parse_profile(obj, p, err) < 0) {
		sc_profile_free(p);
		return cb_error_wrap(err, "seccomp profile");
	}
	*out = p;
	return 0;
}

void sc_profile_free(struct sc_profile *p)
{
	struct sc_rule *rules;

	if (!p || !p->owned)
		return;
	rules = (struct sc_rule *)p->rules;
	for (size_t i = 0; rules && i < p->nrules; i++) {
		char **names = (char **)rules[i].names;

		for (size_t n = 0; names && n < rules[i].nnames; n++)
			free(names[n]);
		free(names);
	}
	free(rules);
	free(p);
}
