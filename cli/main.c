/*
 * main.c - cbuild's entry point and command table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#include <stdlib.h>
#include <sys/stat.h>

/* cmd-build.c */
int cmd_build(int argc, char **argv);
extern const char cmd_build_usage[];

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const char help_usage[] = "usage: cbuild help [COMMAND]\n"
				 "\n"
				 "Show the list of commands, or the full help of one command.\n";
static const char version_usage[] = "usage: cbuild version\n"
				    "\n"
				    "Print cbuild's version.\n";

static const struct cli_command commands[] = {
	{"build", cmd_build, "Build an image from a Dockerfile", cmd_build_usage},
	{"debug", cmd_debug, "Run the front end's building blocks on one input", cmd_debug_usage},
	{"df", cmd_df, "Show the store's disk usage", cmd_df_usage},
	{"fsck", cmd_fsck, "Verify the store; quarantine corrupt blobs", cmd_fsck_usage},
	{"help", cmd_help, "Show help for cbuild or for a command", help_usage},
	{"images", cmd_images, "List the images of the store", cmd_images_usage},
	{"import", cmd_import, "Make a base image from a rootfs tarball", cmd_import_usage},
	{"inspect", cmd_inspect, "Show an image's details as JSON", cmd_inspect_usage},
	{"layer", cmd_layer, "Write a directory as a layer, or extract one", cmd_layer_usage},
	{"load", cmd_load, "Load images from an OCI or docker archive", cmd_load_usage},
	{"login", cmd_login, "Log in to a registry", cmd_login_usage},
	{"logout", cmd_logout, "Log out from a registry", cmd_logout_usage},
	{"parse", cmd_parse, "Parse a Dockerfile and report errors, or dump it", cmd_parse_usage},
	{"prune", cmd_prune, "Delete unused blobs, snapshots and build cache", cmd_prune_usage},
	{"pull", cmd_pull, "Pull an image from a registry", cmd_pull_usage},
	{"push", cmd_push, "Push an image to a registry", cmd_push_usage},
	{"rmi", cmd_rmi, "Remove image names", cmd_rmi_usage},
	{"run", cmd_run, "Run an image (or a rootfs, or layers) in the sandbox", cmd_run_usage},
	{"save", cmd_save, "Write images to an OCI or docker archive", cmd_save_usage},
	{"tag", cmd_tag, "Give an image another name", cmd_tag_usage},
	{"version", cmd_version, "Print the version", version_usage},
};

const struct cli_command *cli_find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	cb_eprintf("cbuild %s: ", cmd->name);
	va_start(ap, fmt);
	cb_veprintf(fmt, ap);
	va_end(ap);
	cb_eprintf("\n\n%s", cmd->usage);
	return 2;
}

bool cli_wants_help(const struct cli_command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(cmd->usage, stdout);
			return true;
		}
	}
	return false;
}

static void print_main_help(FILE *out)
{
	fprintf(out, "usage: cbuild [--root DIR] [--debug] COMMAND [ARGS...]\n"
		     "       cbuild [BUILD OPTIONS] CONTEXT      (cbuild build)\n\n"
		     "cbuild builds OCI images from Dockerfiles, without a daemon.\n\n"
		     "Global options (before or after the command):\n"
		     "  --root DIR   the store (default $CBUILD_ROOT, else /var/lib/cbuild)\n"
		     "  --debug      more detail in errors\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun `cbuild help COMMAND` for the options of a command.\n");
}

static int cmd_help(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		print_main_help(stdout);
		return 0;
	}
	cmd = cli_find_command(argv[1]);
	if (!cmd) {
		cb_eprintf("cbuild help: unknown command `%s`\n", argv[1]);
		return 2;
	}
	fputs(cmd->usage, stdout);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("cbuild version %s\n", CB_VERSION);
	return 0;
}

/*
 * Global options before the command: --root DIR (the same as
 * $CBUILD_ROOT, which every store command reads) and --debug.  Returns
 * the index of the first other argument, or -1 after a usage error.
 */
static int global_options(int argc, char **argv)
{
	int i = 1;

	while (i < argc) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc) {
			setenv("CBUILD_ROOT", argv[i + 1], 1);
			i += 2;
		} else if (!strncmp(argv[i], "--root=", 7)) {
			setenv("CBUILD_ROOT", argv[i] + 7, 1);
			i++;
		} else if (!strcmp(argv[i], "--root")) {
			cb_eprintf("cbuild: --root needs a directory\n");
			return -1;
		} else if (!strcmp(argv[i], "--debug")) {
			setenv("CBUILD_DEBUG", "1", 1);
			i++;
		} else {
			break;
		}
	}
	return i;
}

/* `cbuild -t app .`: a first argument that is a build flag or a directory means build. */
static bool bare_build(const char *a)
{
	struct stat st;

	if (a[0] == '-')
		return strcmp(a, "--version") && strcmp(a, "-v") && strcmp(a, "--help") &&
		       strcmp(a, "-h");
	if (cli_find_command(a))
		return false;
	return strchr(a, '/') || (stat(a, &st) == 0 && S_ISDIR(st.st_mode));
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	int first = global_options(argc, argv);

	if (first < 0)
		return 2;
	argc -= first - 1;
	argv += first - 1;
	if (argc < 2) {
		print_main_help(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))
		return cmd_version(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_main_help(stdout);
		return 0;
	}
	if (bare_build(argv[1])) {
		argv[0] = (char *)"build";
		return cmd_build(argc, argv);
	}
	cmd = cli_find_command(argv[1]);
	if (!cmd) {
		cb_eprintf("cbuild: unknown command `%s`; see `cbuild --help`\n", argv[1]);
		return 2;
	}
	if (cli_wants_help(cmd, argc - 1, argv + 1))
		return 0;
	return cmd->run(argc - 1, argv + 1);
}
