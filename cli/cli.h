/*
 * cli.h - shared by the cbuild commands (cli-internal; not a module header).
 * Each command is a function in cmd-*.c listed in the table in main.c.
 * Commands are thin: they parse options, call a module, print the result.
 * Exit codes: 0 ok, 1 failure, 2 usage error.
 */
#ifndef CB_CLI_H
#define CB_CLI_H

#include <stdbool.h>

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;                /* one line for `cbuild --help` */
	const char *usage;                  /* full help for `cbuild help NAME` */
};

/* The command called name, or NULL. */
const struct cli_command *cli_find_command(const char *name);

/* Print cmd's usage to stderr and return 2 (a usage error). */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* True (and prints usage to stdout) when argv[1] is -h or --help. */
bool cli_wants_help(const struct cli_command *cmd, int argc, char **argv);

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

#include <stdint.h>

#include "error.h"

struct layer_store;
struct store_image;

/*
 * `--root DIR` / `--root=DIR` at argv[*i]: 1 when consumed (*i moves past
 * its value), 0 when argv[*i] is another option, 2 after a usage error.
 */
int cli_store_root_opt(const struct cli_command *cmd, int argc, char **argv, int *i,
		       const char **root);
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
/* "10GB", "512m", "1.5g", "100" (binary multiples, as docker's --keep-storage); -1 if bad. */
int cli_parse_size(const char *s, uint64_t *out);
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

/*
 * `--compression C` / `--compression-level N` at argv[*i] into o: 1 when
 * consumed (*i moves past the value), 0 when argv[*i] is something else, 2
 * after a usage error.
 */
int cli_layer_opts(const struct cli_command *cmd, int argc, char **argv, int *i,
		   struct layer_diff_opts *o);
/*
 * `--opt VALUE`, `--opt=VALUE` or the short form `-x VALUE` (shrt may be
 * NULL) at argv[*i]: the value (borrowed from argv; *i moves past it), or
 * NULL when argv[*i] is something else or the value is missing.
 */
const char *cli_opt_value(int argc, char **argv, int *i, const char *lng, const char *shrt);
/* $SOURCE_DATE_EPOCH into *out (-1 when unset); -1 (reported) when invalid. */
int cli_source_date_epoch(int64_t *out);

int cmd_save(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_layer(int argc, char **argv);

extern const char cmd_save_usage[];
extern const char cmd_load_usage[];
extern const char cmd_import_usage[];
extern const char cmd_layer_usage[];

#endif
