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

#endif
