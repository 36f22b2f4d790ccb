/*
 * cmd-build.c - `cbuild build [OPTIONS] CONTEXT` (and the bare form
 * `cbuild -t app .`): docker build's flags into struct build_options,
 * build_run(), then the outputs (-o), --iidfile and --metadata-file.
 * SIGINT, SIGTERM and SIGHUP cancel the build through a signalfd: the
 * running step is killed and nothing half-made enters the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder.h"
#include "cleanup.h"
#include "cli.h"
#include "fsutil.h"
#include "layerstore.h"
#include "registry.h"
#include "units.h"
#include "xalloc.h"

/* Declared here, not in cli.h: main.c declares them too. */
int cmd_build(int argc, char **argv);
extern const char cmd_build_usage[];

const char cmd_build_usage[] =
	"usage: cbuild build [OPTIONS] CONTEXT\n"
	"       cbuild [OPTIONS] CONTEXT\n"
	"\n"
	"Build an image from a Dockerfile, as `docker build` (BuildKit) does.\n"
	"CONTEXT is a directory, or - for a tar of one on standard input.\n"
	"\n"
	"Options:\n"
	"  -t, --tag NAME            name the image (repeatable)\n"
	"  -f, --file FILE           the Dockerfile (default CONTEXT/Dockerfile; - = stdin)\n"
	"  --build-arg K=V           set a build argument; K alone takes $K\n"
	"  --target STAGE            build this stage instead of the last\n"
	"  --no-cache                run every step\n"
	"  --no-cache-filter STAGE   run every step of STAGE (repeatable)\n"
	"  --explain-cache           say why each step missed the cache (always with\n"
	"                            --progress plain)\n"
	"  --label K=V               add a label to the image (repeatable)\n"
	"  --platform P              the platform to build (the host's only)\n"
	"  --network default|host|none\n"
	"                            RUN steps' network: a private namespace with\n"
	"                            outbound access through pasta (default), the\n"
	"                            host's, or only lo\n"
	"  -m, --memory BYTES        memory limit of each RUN step (\"512m\")\n"
	"  --pids-limit N            process limit of each RUN step\n"
	"  --cpus N                  CPU limit of each RUN step (\"1.5\")\n"
	"  --security-opt seccomp=PROFILE.json|unconfined, no-new-privileges\n"
	"  -q, --quiet               print only the image ID\n"
	"  --progress auto|tty|plain|quiet\n"
	"  --iidfile FILE            write the image ID to FILE\n"
	"  --metadata-file FILE      write the image's digests as JSON to FILE\n"
	"  -o, --output type=oci|docker|local|tar,dest=PATH   also export (repeatable; dest=- is\n"
	"                            standard output)\n"
	"  -o type=registry,name=REF push the image to REF (\"name=A,B\" in quotes: several;\n"
	"                            without name=, the -t names); type=image,name=REF tags it,\n"
	"                            push=true pushes too\n"
	"  --push                    push each -t name after the build (= -o type=registry)\n"
	"  --pull[=]always|missing|never  FROM images from their registry: always resolve the\n"
	"                            tag, only when the store lacks it (default), or never;\n"
	"                            a bare --pull is always\n"
	"  --registry-mirror URL     a mirror of docker.io for FROM pulls (repeatable)\n"
	"  --cert-dir DIR, --tls-verify[=BOOL]  TLS of the registries, as for `cbuild pull`\n"
	"  --jobs N                  stages run at once (default: one per CPU)\n"
	"  --root DIR                the store (default $CBUILD_ROOT, /var/lib/cbuild)\n"
	"\n"
	"SOURCE_DATE_EPOCH (environment or --build-arg) sets the image's times and\n"
	"clamps layer mtimes, for reproducible images.\n";

enum {
	OPT_BUILD_ARG = 256,
	OPT_TARGET,
	OPT_NO_CACHE,
	OPT_NO_CACHE_FILTER,
	OPT_LABEL,
	OPT_PLATFORM,
	OPT_NETWORK,
	OPT_PIDS,
	OPT_CPUS,
	OPT_SECURITY,
	OPT_PROGRESS,
	OPT_IIDFILE,
	OPT_METADATA,
	OPT_JOBS,
	OPT_ROOT,
	OPT_PULL,
	OPT_EXPLAIN,
	OPT_PUSH,
};

static const struct option long_options[] = {
	{"tag", required_argument, NULL, 't'},
	{"file", required_argument, NULL, 'f'},
	{"build-arg", required_argument, NULL, OPT_BUILD_ARG},
	{"target", required_argument, NULL, OPT_TARGET},
	{"no-cache", no_argument, NULL, OPT_NO_CACHE},
	{"no-cache-filter", required_argument, NULL, OPT_NO_CACHE_FILTER},
	{"label", required_argument, NULL, OPT_LABEL},
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"network", required_argument, NULL, OPT_NETWORK},
	{"memory", required_argument, NULL, 'm'},
	{"pids-limit", required_argument, NULL, OPT_PIDS},
	{"cpus", required_argument, NULL, OPT_CPUS},
	{"security-opt", required_argument, NULL, OPT_SECURITY},
	{"quiet", no_argument, NULL, 'q'},
	{"progress", required_argument, NULL, OPT_PROGRESS},
	{"iidfile", required_argument, NULL, OPT_IIDFILE},
	{"metadata-file", required_argument, NULL, OPT_METADATA},
	{"output", required_argument, NULL, 'o'},
	{"jobs", required_argument, NULL, OPT_JOBS},
	{"root", required_argument, NULL, OPT_ROOT},
	{"pull", optional_argument, NULL, OPT_PULL},
	{"explain-cache", no_argument, NULL, OPT_EXPLAIN},
	{"push", no_argument, NULL, OPT_PUSH},
	CLI_OPTIONS_TLS, /* registry options (cli-registry.c) */
	CLI_OPTION_REGISTRY_MIRROR,
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

enum output_type { OUT_OCI, OUT_DOCKER, OUT_LOCAL, OUT_TAR, OUT_IMAGE };

struct output {
	enum output_type type;
	char *dest;
	/* OUT_IMAGE (type=image|registry): its names (normalised) and push= */
	struct cb_strvec names;
	bool push;
};

struct build_cli {
	struct build_options o;
	struct cb_strvec tags, args, labels, filters;
	struct output *outputs;
	size_t noutputs;
	const char *root, *iidfile, *metadata, *context;
	char *dockerfile_text;
	char *dockerfile_path; /* -f inside a context read from stdin */
	char *seccomp_profile;
	char *stdin_context; /* a context unpacked from stdin, removed afterwards */
	bool quiet;
	bool push; /* --push */
	/* what registry_pull / registry_push get (the build's FROM pulls, the pushes) */
	struct registry_pull_opts pull_opts;
	struct registry_push_opts push_opts;
	struct cli_registry reg; /* --tls-verify, --cert-dir, --registry-mirror */
};

static void build_cli_release(struct build_cli *c)
{
	struct cb_error *err = NULL;

	cb_strvec_clear(&c->tags);
	cb_strvec_clear(&c->args);
	cb_strvec_clear(&c->labels);
	cb_strvec_clear(&c->filters);
	for (size_t i = 0; i < c->noutputs; i++) {
		free(c->outputs[i].dest);
		cb_strvec_clear(&c->outputs[i].names);
	}
	free(c->outputs);
	free(c->dockerfile_text);
	free(c->dockerfile_path);
	free(c->seccomp_profile);
	if (c->stdin_context && cb_rm_rf(AT_FDCWD, c->stdin_context, &err) < 0)
		cb_error_report(&err);
	free(c->stdin_context);
	cli_registry_release(&c->reg);
}

static int output_type(const char *t, struct output *out, struct cb_error **err)
{
	static const struct {
		const char *name;
		enum output_type type;
	} types[] = {{"oci", OUT_OCI}, {"docker", OUT_DOCKER}, {"local", OUT_LOCAL},
		     {"tar", OUT_TAR}, {"image", OUT_IMAGE},   {"registry", OUT_IMAGE}};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(t, types[i].name)) {
			out->type = types[i].type;
			out->push = !strcmp(t, "registry"); /* type=image,push=true */
			return 0;
		}
	return cb_error_set(err, EINVAL, "unknown type `%s`", t);
}

/* One field of -o after type=: dest= for the file outputs, the exporter's keys for images. */
static int output_field(struct output *out, const char *kv, struct cb_error **err)
{
	if (out->type == OUT_IMAGE)
		return build_image_output_option(kv, &out->names, &out->push, err);
	if (cb_str_starts_with(kv, "dest=")) {
		free(out->dest);
		out->dest = xstrdup(kv + 5);
		return 0;
	}
	return cb_error_set(err, EINVAL, "unknown field `%s`", kv);
}

/* -o type=T,dest=D (or a bare PATH: type=local); type=registry|image,name=REF[,push=B]. */
static int parse_output(struct build_cli *c, const char *arg, struct cb_error **err)
{
	struct cb_strvec fields = CB_STRVEC_INIT;
	struct output out = {OUT_LOCAL, NULL, CB_STRVEC_INIT, false};
	long t = -1;
	int ret = 0;

	if (!strchr(arg, '=')) {
		out.dest = xstrdup(arg);
		goto add;
	}
	if (cli_csv_split(arg, &fields, err) < 0)
		return -1;
	for (size_t i = 0; i < fields.n && t < 0; i++)
		if (cb_str_starts_with(fields.v[i], "type="))
			t = (long)i;
	if (t < 0)
		ret = cb_error_set(err, EINVAL, "no type=");
	else
		ret = output_type(fields.v[t] + 5, &out, err);
	for (size_t i = 0; i < fields.n && ret == 0; i++)
		if ((long)i != t)
			ret = output_field(&out, fields.v[i], err);
	if (ret == 0 && out.type != OUT_IMAGE && (!out.dest || !*out.dest))
		ret = cb_error_set(err, EINVAL, "no dest=");
	cb_strvec_clear(&fields);
	if (ret < 0) {
		free(out.dest);
		cb_strvec_clear(&out.names);
		return -1;
	}
add:
	c->outputs = xrealloc(c->outputs, cb_st_mult(c->noutputs + 1, sizeof(*c->outputs)));
	c->outputs[c->noutputs++] = out;
	return 0;
}

/* --pull always|missing|never; docker's bool too: true (= always), false (= missing). */
static int parse_pull(const struct cli_command *cmd, struct build_cli *c, const char *arg)
{
	if (!arg || !strcmp(arg, "always") || !strcmp(arg, "true"))
		c->o.pull = BUILD_PULL_ALWAYS;
	else if (!strcmp(arg, "missing") || !strcmp(arg, "false"))
		c->o.pull = BUILD_PULL_MISSING;
	else if (!strcmp(arg, "never"))
		c->o.pull = BUILD_PULL_NEVER;
	else
		return cli_usage_error(cmd, "--pull must be always, missing or never, not `%s`",
				       arg);
	return 0;
}

static int parse_security(struct build_cli *c, const char *arg)
{
	struct cli_security sec = {c->o.seccomp, c->seccomp_profile, c->o.no_new_privileges};
	struct cb_error *err = NULL;
	int r = cli_parse_security_opt(arg, &sec, &err);

	c->seccomp_profile = sec.profile;
	c->o.seccomp = sec.seccomp;
	c->o.seccomp_profile = c->seccomp_profile;
	c->o.no_new_privileges = sec.no_new_privileges;
	if (r < 0)
		cb_error_free(&err);
	return r;
}

/* --build-arg K=V, or K alone: K=$K when set in the environment (docker's CLI rule). */
static void add_build_arg(struct build_cli *c, const char *arg)
{
	const char *env;

	if (strchr(arg, '=')) {
		cb_strvec_push(&c->args, arg);
		return;
	}
	env = getenv(arg);
	if (env)
		cb_strvec_pushf(&c->args, "%s=%s", arg, env);
}

static int apply_option(const struct cli_command *cmd, struct build_cli *c, int opt,
			const char *arg)
{
	struct cb_error *err = NULL;
	int64_t v;

	switch (opt) {
	case 't': {
		char *n = cli_store_normalize(arg, &err);

		if (!n) {
			int r = cli_usage_error(cmd, "invalid tag `%s`: %s", arg,
						cb_error_msg(err));

			cb_error_free(&err);
			return r;
		}
		cb_strvec_push_take(&c->tags, n);
		return 0;
	}
	case 'f':
		c->o.dockerfile = arg;
		return 0;
	case OPT_BUILD_ARG:
		add_build_arg(c, arg);
		return 0;
	case OPT_TARGET:
		c->o.target = arg;
		return 0;
	case OPT_NO_CACHE:
		c->o.no_cache = true;
		return 0;
	case OPT_NO_CACHE_FILTER:
		cb_strvec_push(&c->filters, arg);
		return 0;
	case OPT_LABEL:
		cb_strvec_push(&c->labels, arg);
		return 0;
	case OPT_PLATFORM:
		return 0; /* checked against the host after parsing */
	case OPT_NETWORK:
		if (cli_network(arg, false, &c->o.network) < 0)
			return cli_usage_error(
				cmd, "--network must be default, host or none, not `%s`", arg);
		return 0;
	case 'm':
		if (cb_ram_in_bytes(arg, &v, &err) < 0 || v <= 0) {
			cb_error_free(&err);
			return cli_usage_error(cmd, "invalid --memory `%s`", arg);
		}
		c->o.limits.memory = v;
		return 0;
	case OPT_PIDS: {
		char *end;
		long long n = strtoll(arg, &end, 10);

		if (end == arg || *end || n <= 0)
			return cli_usage_error(cmd, "invalid --pids-limit `%s`", arg);
		c->o.limits.pids = n;
		return 0;
	}
	case OPT_CPUS:
		return cli_parse_cpus(arg, &c->o.limits) < 0
			       ? cli_usage_error(cmd, "invalid --cpus `%s`", arg)
			       : 0;
	case OPT_SECURITY:
		return parse_security(c, arg) < 0
			       ? cli_usage_error(cmd, "unsupported --security-opt `%s`", arg)
			       : 0;
	case 'q':
		c->quiet = true;
		c->o.progress_mode = BUILD_PROGRESS_QUIET;
		return 0;
	case OPT_PROGRESS:
		if (!strcmp(arg, "auto"))
			c->o.progress_mode = BUILD_PROGRESS_AUTO;
		else if (!strcmp(arg, "plain"))
			c->o.progress_mode = BUILD_PROGRESS_PLAIN;
		else if (!strcmp(arg, "tty"))
			c->o.progress_mode = BUILD_PROGRESS_TTY;
		else if (!strcmp(arg, "quiet"))
			c->o.progress_mode = BUILD_PROGRESS_QUIET;
		else
			return cli_usage_error(cmd, "--progress must be auto, tty, plain or quiet");
		return 0;
	case OPT_IIDFILE:
		c->iidfile = arg;
		return 0;
	case OPT_METADATA:
		c->metadata = arg;
		return 0;
	case 'o':
		if (parse_output(c, arg, &err) == 0)
			return 0;
		v = cli_usage_error(
			cmd,
			"invalid --output `%s`: %s (want type=oci|docker|local|tar,dest=PATH "
			"or type=registry|image,name=REF)",
			arg, cb_error_msg(err));
		cb_error_free(&err);
		return (int)v;
	case OPT_JOBS: {
		char *end;
		long n = strtol(arg, &end, 10);

		if (end == arg || *end || n < 1 || n > 64)
			return cli_usage_error(cmd, "invalid --jobs `%s`", arg);
		c->o.jobs = (int)n;
		return 0;
	}
	case OPT_ROOT:
		c->root = arg;
		return 0;
	case OPT_PULL:
		return parse_pull(cmd, c, arg);
	case OPT_PUSH:
		c->push = true;
		return 0;
	case OPT_EXPLAIN:
		c->o.explain_cache = true;
		return 0;
	case CLI_OPT_TLS_VERIFY:
	case CLI_OPT_CERT_DIR:
	case CLI_OPT_REGISTRY_MIRROR: {
		struct cli_getopt g = {.cmd = cmd, .arg = arg};

		snprintf(g.name, sizeof(g.name), "--%s",
			 opt == CLI_OPT_TLS_VERIFY ? "tls-verify"
			 : opt == CLI_OPT_CERT_DIR ? "cert-dir"
						   : "registry-mirror");
		return cli_opt_registry(&g, opt, &c->reg);
	}
	default:
		return cli_usage_error(cmd, "unknown option");
	}
}

static int check_platform(const struct cli_command *cmd, const char *p)
{
	char arch[LAYER_ARCH_MAX], variant[LAYER_VARIANT_MAX];
	cleanup_free char *host = NULL, *full = NULL;

	layer_store_host_platform(arch, variant);
	host = xasprintf("linux/%s", arch);
	full = *variant ? xasprintf("linux/%s/%s", arch, variant) : xstrdup(host);
	if (strcmp(p, host) && strcmp(p, full)) {
		cb_eprintf("cbuild build: --platform %s: only the host platform %s can be built "
			   "(no emulation)\n",
			   p, full);
		return 1;
	}
	(void)cmd;
	return 0;
}

static bool pull_word(const char *w)
{
	return !strcmp(w, "always") || !strcmp(w, "missing") || !strcmp(w, "never");
}

/* --push and image outputs need names: their own name= or the -t names. */
static int check_push(const struct cli_command *cmd, struct build_cli *c)
{
	if (c->push && !c->tags.n)
		return cli_usage_error(cmd, "--push needs a name to push to: give -t NAME");
	for (size_t i = 0; i < c->noutputs; i++)
		if (c->outputs[i].type == OUT_IMAGE && !c->outputs[i].names.n && !c->tags.n)
			return cli_usage_error(cmd, "--output type=%s needs name=REF or -t NAME",
					       c->outputs[i].push ? "registry" : "image");
	return 0;
}

static int parse_args(const struct cli_command *cmd, struct build_cli *c, int argc, char **argv)
{
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "t:f:m:qo:h", long_options, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return cli_usage_error(cmd, "unknown option or missing value: `%s`",
					       argv[optind - 1]);
		if (opt == OPT_PLATFORM && check_platform(cmd, optarg))
			return 1;
		/* `--pull always`: the optional value as a separate word too */
		if (opt == OPT_PULL && !optarg && optind < argc &&
		    !strcmp(argv[optind - 1], "--pull") && pull_word(argv[optind]))
			optarg = argv[optind++];
		ret = apply_option(cmd, c, opt, optarg);
		if (ret)
			return ret;
	}
	if (optind != argc - 1)
		return cli_usage_error(cmd, optind >= argc ? "a CONTEXT is required"
							   : "one CONTEXT, then no more arguments");
	c->context = argv[optind];
	return check_push(cmd, c);
}

/* A context of `-`: a tar on stdin, unpacked into a private directory. */
static int stdin_context(struct build_cli *c, struct cb_error **err)
{
	char tmpl[] = "/tmp/cbuild-context-XXXXXX";
	cleanup_close int fd = -1;
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	struct cb_digest d;

	if (!mkdtemp(tmpl))
		return cb_error_set(err, errno, "create a context directory");
	c->stdin_context = xstrdup(tmpl);
	fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cb_error_set(err, errno, "open `%s`", tmpl);
	o.overlay = false;
	if (layer_apply(fd, STDIN_FILENO, &o, &d, err) < 0)
		return cb_error_wrap(err, "read the context from standard input");
	c->context = c->stdin_context;
	return 0;
}

static int open_dest(const char *dest, struct cb_error **err)
{
	int fd;

	if (!strcmp(dest, "-"))
		return fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return cb_error_set(err, errno, "create `%s`", dest);
	return fd;
}

static int export_tar(struct layer_store *s, const struct cb_digest *m, int out,
		      struct cb_error **err)
{
	char tmpl[] = "/tmp/cbuild-export-XXXXXX";
	cleanup_close int dfd = -1;
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_sink sink = {layer_sink_fd_write, &out};
	struct layer_desc d;
	struct cb_error *rerr = NULL;
	int ret;

	if (!mkdtemp(tmpl))
		return cb_error_set(err, errno, "create an export directory");
	dfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	o.compression = LAYER_UNCOMPRESSED;
	ret = dfd < 0 ? cb_error_set(err, errno, "open `%s`", tmpl)
		      : build_export_rootfs(s, m, dfd, err);
	if (ret == 0)
		ret = layer_diff_write(dfd, &o, &sink, &d, err);
	if (cb_rm_rf(AT_FDCWD, tmpl, &rerr) < 0)
		cb_error_report(&rerr);
	return ret;
}

static int write_output(struct layer_store *s, const struct output *out,
			const struct build_result *res, const struct cb_strvec *tags,
			struct cb_error **err)
{
	const char *name = tags->n ? tags->v[0] : res->manifest.str;
	cleanup_close int fd = -1;

	if (out->type == OUT_IMAGE) { /* the image exporter's store=true: tagged here too */
		for (size_t i = 0; i < out->names.n; i++)
			if (layer_store_tag_set(s, out->names.v[i], &res->manifest, err) < 0)
				return -1;
		return 0;
	}
	if (out->type == OUT_LOCAL) {
		if (cb_mkdir_p(AT_FDCWD, out->dest, 0755, err) < 0)
			return -1;
		fd = open(out->dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return cb_error_set(err, errno, "open `%s`", out->dest);
		return build_export_rootfs(s, &res->manifest, fd, err);
	}
	fd = open_dest(out->dest, err);
	if (fd < 0)
		return -1;
	if (out->type == OUT_TAR)
		return export_tar(s, &res->manifest, fd, err);
	return layer_store_save(s, &name, 1,
				out->type == OUT_OCI ? IMAGE_ARCHIVE_OCI_TAG : IMAGE_ARCHIVE_DOCKER,
				fd, err);
}

static int write_metadata(struct layer_store *s, const char *path, const struct build_result *res,
			  struct cb_error **err)
{
	int64_t size = 0;
	cleanup_free char *json = NULL;

	if (layer_store_blob_exists(s, &res->manifest, &size, err) < 0)
		return -1;
	json = xasprintf("{\n  \"containerimage.config.digest\": \"%s\",\n"
			 "  \"containerimage.digest\": \"%s\",\n"
			 "  \"containerimage.descriptor\": {\n"
			 "    \"mediaType\": \"%s\",\n    \"digest\": \"%s\",\n"
			 "    \"size\": %lld\n  }\n}\n",
			 res->config.str, res->manifest.str, MEDIA_OCI_MANIFEST, res->manifest.str,
			 (long long)size);
	return cb_write_file_atomic(AT_FDCWD, path, json, strlen(json), 0644, err);
}

/* Where the image goes: --push's tags, each type=registry (push=true) output's names or tags. */
static void push_dests(const struct build_cli *c, struct cb_strvec *dests)
{
	for (size_t i = 0; i <= c->noutputs; i++) {
		const struct output *o = i < c->noutputs ? &c->outputs[i] : NULL;
		const struct cb_strvec *names = o && o->names.n ? &o->names : &c->tags;

		if (o ? !(o->type == OUT_IMAGE && o->push) : !c->push)
			continue;
		for (size_t k = 0; k < names->n; k++)
			if (cb_strvec_find(dests, names->v[k]) < 0)
				cb_strvec_push(dests, names->v[k]);
	}
}

/* Push the image to each destination; 1 when one failed (each failure reported). */
static int push_all(struct build_cli *c, struct layer_store *s, const struct build_result *res)
{
	struct cb_strvec dests = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	enum build_progress_mode m = c->o.progress_mode;
	FILE *out = m == BUILD_PROGRESS_QUIET ? NULL : stderr;
	bool tty = m == BUILD_PROGRESS_TTY || (m == BUILD_PROGRESS_AUTO && isatty(STDERR_FILENO));
	int ret = 0;

	push_dests(c, &dests);
	for (size_t i = 0; i < dests.n; i++) {
		const char *d = dests.v[i];

		if (build_push_image(s, &res->manifest, d, &c->push_opts, out, tty, &err) < 0) {
			cb_error_report(&err);
			ret = 1;
		}
	}
	cb_strvec_clear(&dests);
	return ret;
}

static int finish(struct build_cli *c, struct layer_store *s, const struct build_result *res)
{
	struct cb_error *err = NULL;

	for (size_t i = 0; i < c->noutputs; i++)
		if (write_output(s, &c->outputs[i], res, &c->tags, &err) < 0)
			goto fail;
	if (c->iidfile && cb_write_file_atomic(AT_FDCWD, c->iidfile, res->config.str,
					       strlen(res->config.str), 0644, &err) < 0)
		goto fail;
	if (c->metadata && write_metadata(s, c->metadata, res, &err) < 0)
		goto fail;
	if (c->quiet)
		printf("%s\n", res->config.str);
	return push_all(c, s, res);
fail:
	cb_error_report(&err);
	return 1;
}

/* SIGINT, SIGTERM and SIGHUP become readable on a signalfd: the build's cancel fd. */
static int cancel_fd(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* The environment's SOURCE_DATE_EPOCH, or --build-arg's (which wins); -1 (reported) when invalid.
 */
static int source_date_epoch(struct build_cli *c)
{
	const char *v = getenv("SOURCE_DATE_EPOCH");

	for (size_t i = 0; i < c->args.n; i++)
		if (cb_str_starts_with(c->args.v[i], "SOURCE_DATE_EPOCH="))
			v = c->args.v[i] + strlen("SOURCE_DATE_EPOCH=");
	return cli_parse_epoch(v, &c->o.source_date_epoch);
}

int cmd_build(int argc, char **argv)
{
	const struct cli_command *cmd = cli_find_command("build");
	struct build_cli c = {0};
	struct build_result res;
	struct layer_store *s = NULL;
	struct runtime *rt = NULL;
	struct cb_error *err = NULL;
	sigset_t old;
	int ret, sfd = -1;

	build_options_init(&c.o);
	ret = parse_args(cmd, &c, argc, argv);
	if (ret)
		goto out;
	ret = 1;
	if (c.o.dockerfile && !strcmp(c.o.dockerfile, "-")) {
		size_t len;

		if (!strcmp(c.context, "-")) {
			ret = cli_usage_error(cmd,
					      "the Dockerfile and the context cannot both be -");
			goto out;
		}
		if (cb_read_fd(STDIN_FILENO, 16u << 20, &c.dockerfile_text, &len, &err) < 0)
			goto report;
		c.o.dockerfile = NULL;
		c.o.dockerfile_text = c.dockerfile_text;
		c.o.dockerfile_len = len;
	}
	if (!strcmp(c.context, "-")) {
		if (stdin_context(&c, &err) < 0)
			goto report;
		/* -f names a file inside the tar, as docker build does */
		if (c.o.dockerfile && c.o.dockerfile[0] != '/') {
			c.dockerfile_path = xasprintf("%s/%s", c.stdin_context, c.o.dockerfile);
			c.o.dockerfile = c.dockerfile_path;
		}
	}
	if (source_date_epoch(&c) < 0) {
		ret = 1;
		goto out;
	}
	c.o.context_dir = c.context;
	c.o.tags = (const char *const *)c.tags.v;
	c.o.ntags = c.tags.n;
	c.o.build_args = (const char *const *)c.args.v;
	c.o.nbuild_args = c.args.n;
	c.o.labels = (const char *const *)c.labels.v;
	c.o.nlabels = c.labels.n;
	c.o.no_cache_filter = (const char *const *)c.filters.v;
	c.o.nno_cache_filter = c.filters.n;
	cli_registry_conn(&c.reg, &c.pull_opts.conn);
	cli_registry_conn(&c.reg, &c.push_opts.conn);
	c.o.pull_opts = &c.pull_opts;
	s = cli_store_open(c.root);
	if (!s)
		goto out;
	rt = runtime_new(NULL, &err);
	if (!rt)
		goto report;
	sfd = cancel_fd(&old);
	c.o.cancel_fd = sfd;
	if (build_run(s, rt, &c.o, &res, &err) < 0)
		goto report;
	ret = finish(&c, s, &res);
	build_result_release(&res);
	goto out;
report:
	cb_error_report(&err);
	if (sfd >= 0) { /* cancelled by a signal: exit as the shell reports it, 128+N */
		struct signalfd_siginfo si;

		if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			ret = 128 + (int)si.ssi_signo;
	}
out:
	if (sfd >= 0) {
		close(sfd);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	runtime_free(rt);
	if (s)
		layer_store_close(s);
	build_cli_release(&c);
	return ret;
}
