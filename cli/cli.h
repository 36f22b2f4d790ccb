/*
 * cli.h - shared by the cbuild commands (cli-internal; not a module header).
 * Each command is a function in cmd-*.c listed in the table in main.c.
 * Commands are thin: they parse options, call a module, print the result.
 * Exit codes: 0 ok, 1 failure, 2 usage error.
 */
#ifndef CB_CLI_H
#define CB_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

#include "runtime.h"

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;		   /* one line for `cbuild --help` */
	const char *usage;		   /* full help for `cbuild help NAME` */
};

/* The command called name, or NULL. */
const struct cli_command *cli_find_command(const char *name);

/* Print cmd's usage to stderr and return 2 (a usage error). */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* True (and prints usage to stdout) when argv[1] is -h or --help. */
bool cli_wants_help(const struct cli_command *cmd, int argc, char **argv);

/* ------------------------------------------------------------------------ */
/* Options: getopt_long for every command (cli-opts.c)                       */
/* ------------------------------------------------------------------------ */

/*
 * GNU style, as docker and podman read options: options and arguments in
 * any order, `--` ends the options, `--opt=VALUE` or `--opt VALUE`,
 * unambiguous prefixes of long options.  A shortopts starting with '+'
 * stops at the first argument instead (run: what follows IMAGE is the
 * command's).  -h and --help print the command's usage; unknown options
 * and missing values are usage errors (exit 2).  The global options are
 * taken after the command too: --root by the commands that use the store
 * (CLI_OPTION_ROOT), --debug by all.
 *
 *	static const struct option longopts[] = {
 *		CLI_OPTION_ROOT, {"quiet", no_argument, NULL, 'q'}, CLI_OPTIONS_END,
 *	};
 *	struct cli_getopt g;
 *	int c, rc;
 *
 *	cli_getopt_init(&g, self, argc, argv, "q", longopts);
 *	while ((c = cli_getopt_next(&g)) != -1) {
 *		if (c == CLI_OPT_EXIT)
 *			return g.status;
 *		if (c == CLI_OPT_ROOT && (rc = cli_opt_root(&g, &root)))
 *			return rc;
 *		...
 *	}
 *	arguments: argv[g.first_arg] to argv[argc - 1]
 */
struct cli_getopt {
	const struct cli_command *cmd; /* whose usage errors these are */
	int argc;
	char **argv; /* argv[0] is the command's (or subcommand's) name */
	const struct option *longopts;
	char shortopts[64];
	const char *arg; /* the current option's value, borrowed from argv */
	char name[64];	 /* the current option as named in messages: "--memory", "-m" */
	int first_arg;	 /* after the last option: the index of the first argument */
	int status;	 /* after CLI_OPT_EXIT: what the command returns (0 for --help, 2) */
};

/* cli_getopt_next(): stop, and return g.status (help printed, or a usage error). */
#define CLI_OPT_EXIT (-2)
/* What a command's own option parser returns to go on (else: the exit status). */
#define CLI_CONTINUE (-1)

/* The values of options several commands take (above any character). */
enum {
	CLI_OPT_ROOT = 0x100,
	CLI_OPT_DEBUG,
	CLI_OPT_FORMAT,
	CLI_OPT_COMPRESSION,
	CLI_OPT_COMPRESSION_LEVEL,
	CLI_OPT_OWN, /* a command's own values start here */
};
/*
 * Every table ends with CLI_OPTIONS_END: --help, the global --debug (taken
 * after the command too, as main.c takes it before; cli_getopt_next
 * handles both), then the end marker.
 */
/* clang-format off */
#define CLI_OPTION_ROOT {"root", required_argument, NULL, CLI_OPT_ROOT}
#define CLI_OPTION_FORMAT {"format", required_argument, NULL, CLI_OPT_FORMAT}
#define CLI_OPTIONS_COMPRESSION \
	{"compression", required_argument, NULL, CLI_OPT_COMPRESSION}, \
	{"compression-level", required_argument, NULL, CLI_OPT_COMPRESSION_LEVEL}
#define CLI_OPTIONS_END \
	{"help", no_argument, NULL, 'h'}, \
	{"debug", no_argument, NULL, CLI_OPT_DEBUG}, \
	{NULL, 0, NULL, 0}
/* clang-format on */

/* Start parsing argv (getopt's state is reset; shortopts without h or ':'). */
void cli_getopt_init(struct cli_getopt *g, const struct cli_command *cmd, int argc, char **argv,
		     const char *shortopts, const struct option *longopts);
/* The next option (its val), -1 after the last (g->first_arg set), or CLI_OPT_EXIT. */
int cli_getopt_next(struct cli_getopt *g);

/*
 * Value checks for the current option.  Each returns 0, or 2 after a usage
 * error: "invalid value `lots` for `--memory`: invalid size: 'lots'".
 */
int cli_bad_value(const struct cli_getopt *g, const char *why); /* why may be NULL */
/* --root DIR (not empty) into *root (borrowed from argv). */
int cli_opt_root(const struct cli_getopt *g, const char **root);
/*
 * A size as docker reads --memory ("64m", "1.5g": common/units.h,
 * RAMInBytes); "bad size `lots` for `--memory`: invalid size: 'lots'".
 */
int cli_opt_size(const struct cli_getopt *g, int64_t *out);
/* A decimal number of 0 or more. */
int cli_opt_u64(const struct cli_getopt *g, uint64_t *out);
/* $SOURCE_DATE_EPOCH into *out (-1 when unset); -1 (reported) when invalid. */
int cli_source_date_epoch(int64_t *out);
/* The same for a value s (NULL or "" = unset): seconds, decimal, not negative. */
int cli_parse_epoch(const char *s, int64_t *out);
bool cli_parse_u64(const char *s, uint64_t *out);
/*
 * --network's value into *out: `default` (the private network), `host` or
 * `none`, and for `run` also docker run's `bridge` (its name for the
 * default); -1 when it is none of those.
 */
int cli_network(const char *arg, bool run, enum runtime_network *out);

int cmd_parse(int argc, char **argv);
int cmd_debug(int argc, char **argv);

extern const char cmd_parse_usage[];
extern const char cmd_debug_usage[];
int cmd_run(int argc, char **argv);
extern const char cmd_run_usage[];

/* ------------------------------------------------------------------------ */
/* Store commands: images, inspect, tag, rmi (cmd-images.c), prune, df, fsck  */
/* (cmd-store.c); their shared helpers are in cli-store.c.                    */
/* ------------------------------------------------------------------------ */

#include "error.h"

struct layer_store;
struct store_image;

/* Open the store at root_flag (NULL: $CBUILD_ROOT or the default); reports errors. */
struct layer_store *cli_store_open(const char *root_flag);
/* A name as users type it ("busybox") in the store's form ("docker.io/library/busybox:latest"). */
char *cli_store_normalize(const char *name, struct cb_error **err);
/* A store name as `images` shows it: the familiar repository (returned) and *tag; caller frees. */
char *cli_store_familiar(const char *name, char **tag);
/*
 * IMAGE as the commands take it: a name (tag), a digest, or an image ID
 * prefix.  *tag_out (when non-NULL) gets the normalised tag name when IMAGE
 * was one, else NULL; caller frees.
 */
int cli_store_resolve(struct layer_store *s, const char *arg, struct store_image *img,
		      char **tag_out, struct cb_error **err);
/* Docker's human sizes ("1.234MB": 4 significant digits, or DIGITS) and ages
 * ("3 days ago", "N/A" when unknown). */
void cli_format_size(uint64_t n, char out[16]);
void cli_format_size_digits(uint64_t n, int digits, char out[16]);
void cli_format_ago(const char *rfc3339, char out[32]);

int cmd_images(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_df(int argc, char **argv);
int cmd_fsck(int argc, char **argv);

extern const char cmd_images_usage[];
extern const char cmd_inspect_usage[];
extern const char cmd_tag_usage[];
extern const char cmd_rmi_usage[];
extern const char cmd_prune_usage[];
extern const char cmd_df_usage[];
extern const char cmd_fsck_usage[];

/* ------------------------------------------------------------------------ */
/* Archives and layers: save, load, import (cmd-archive.c), layer (cmd-layer.c) */
/* ------------------------------------------------------------------------ */

struct layer_diff_opts;

/* --compression C / --compression-level N (option c of the current one) into o; 0 or 2. */
int cli_opt_layer(const struct cli_getopt *g, int c, struct layer_diff_opts *o);

/* ------------------------------------------------------------------------ */
/* Sandbox options of run and build (cli-sandbox.c)                          */
/* ------------------------------------------------------------------------ */

struct runtime_limits;

/* --cpus N ("1.5"): a CFS quota over a 100 ms period; -1 when malformed. */
int cli_parse_cpus(const char *s, struct runtime_limits *l);

struct cli_security {
	int seccomp;   /* enum runtime_seccomp */
	char *profile; /* the profile's JSON (caller frees) */
	bool no_new_privileges;
};
/* One --security-opt: seccomp=FILE|unconfined, no-new-privileges[=BOOL]. */
int cli_parse_security_opt(const char *arg, struct cli_security *sec, struct cb_error **err);

int cmd_save(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_layer(int argc, char **argv);

extern const char cmd_save_usage[];
extern const char cmd_load_usage[];
extern const char cmd_import_usage[];
extern const char cmd_layer_usage[];

/* pull (cmd-pull.c) */
int cmd_pull(int argc, char **argv);
extern const char cmd_pull_usage[];

/* push (cmd-push.c) */
int cmd_push(int argc, char **argv);
extern const char cmd_push_usage[];

/* ------------------------------------------------------------------------ */
/* build's registry outputs: --push, -o type=registry|image (build-push.c)   */
/* ------------------------------------------------------------------------ */

struct cb_strvec;
struct cb_digest;
struct registry_push_opts;

/* Split s as Go's encoding/csv reads one record (buildx's --output); appends to *out. */
int cli_csv_split(const char *s, struct cb_strvec *out, struct cb_error **err);
/* One key=value of an image exporter output: name=REF[,REF...] (normalised into names), push=. */
int build_image_output_option(const char *kv, struct cb_strvec *names, bool *push,
			      struct cb_error **err);
/*
 * Push the store's image manifest to dest (registry_push with opts, NULL:
 * defaults).  Unless out is NULL (quiet), its progress (a bar per blob when
 * tty, else lines) and the digest line go to out, each "push DEST: ...".
 */
int build_push_image(struct layer_store *s, const struct cb_digest *manifest, const char *dest,
		     const struct registry_push_opts *opts, FILE *out, bool tty,
		     struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* Pull and push progress (cli-progress.c)                                   */
/* ------------------------------------------------------------------------ */

struct cb_digest;

/*
 * docker's pull/push progress on out.  tty: a row per blob redrawn in place
 * ("<id>: <verb> [==>  ] 1.2MB/3.4MB 2.1MB/s", then done, e.g. "Download
 * complete", then the blob's report line); else the report lines only.
 * Every line starts with prefix (NULL: none; borrowed).  The callbacks
 * are registry_pull_opts' / registry_push_opts' report and progress, with
 * the progress as ctx; thread-safe.  The last state is on the screen once
 * the last callback returns.
 */
struct cli_progress;
struct cli_progress *cli_progress_new(FILE *out, bool tty, const char *verb, const char *done,
				      const char *prefix);
void cli_progress_report(void *ctx, const char *line);
void cli_progress_bytes(void *ctx, const struct cb_digest *blob, int64_t done, int64_t total);
void cli_progress_free(struct cli_progress *p); /* NULL-safe */
/* Registry options of pull, push and build (cli-registry.c)                 */
/* ------------------------------------------------------------------------ */

struct registry_conn_opts;

/* Option values of their own (above CLI_OPT_OWN's commands' values, below 0x200). */
#define CLI_OPT_TLS_VERIFY 0x1c0
#define CLI_OPT_CERT_DIR 0x1c1
#define CLI_OPT_REGISTRY_MIRROR 0x1c2
/* clang-format off */
#define CLI_OPTIONS_TLS \
	{"tls-verify", optional_argument, NULL, CLI_OPT_TLS_VERIFY}, \
	{"cert-dir", required_argument, NULL, CLI_OPT_CERT_DIR}
#define CLI_OPTION_REGISTRY_MIRROR {"registry-mirror", required_argument, NULL, CLI_OPT_REGISTRY_MIRROR}
/* clang-format on */
#define CLI_REGISTRY_USAGE                                                                         \
	"  --cert-dir DIR       the CAs (*.crt) and client certificate (*.cert, *.key)\n"          \
	"                       of the registry, instead of its certs.d directories\n"             \
	"  --tls-verify[=BOOL]  false: HTTPS without checking the certificate, else\n"             \
	"                       plain HTTP (true: check, also for insecure registries)\n"

struct cli_registry {
	int tls_verify; /* enum registry_tls_verify */
	const char *cert_dir;
	const char **mirrors; /* NULL-ended, strings borrowed from argv */
	size_t nmirrors;
};
/*
 * Take option c (one of CLI_OPT_TLS_VERIFY, CLI_OPT_CERT_DIR,
 * CLI_OPT_REGISTRY_MIRROR) into r: 0, or 2 after a usage error (a bad
 * boolean, a mirror that is not an http(s) URL without a path).
 */
int cli_opt_registry(const struct cli_getopt *g, int c, struct cli_registry *r);
/* r as the registry module takes it (borrowing r's strings). */
void cli_registry_conn(const struct cli_registry *r, struct registry_conn_opts *o);
void cli_registry_release(struct cli_registry *r);

/* login, logout (cmd-login.c) */
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
extern const char cmd_login_usage[];
extern const char cmd_logout_usage[];

#endif
