/*
 * cmd-parse.c - `cbuild parse`: check a Dockerfile, or dump what the parser
 * made of it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "dockerfile.h"
#include "fsutil.h"

const char cmd_parse_usage[] =
	"usage: cbuild parse [--fragment] [--quiet] FILE...\n"
	"       cbuild parse --dump-ast FILE\n"
	"       cbuild parse --dump-lines FILE\n"
	"\n"
	"Parse each FILE (- for standard input) as a Dockerfile: check every\n"
	"instruction and flag, and print the stages.  Errors read\n"
	"`FILE:LINE: message`; the exit status is 1 when any FILE has one.\n"
	"\n"
	"--fragment    accept instructions outside a stage (snippets, ONBUILD triggers)\n"
	"--quiet       print only errors and warnings\n"
	"--dump-ast    print the syntax tree as BuildKit's parser dumps it, one\n"
	"              instruction per line (flags and words are not checked)\n"
	"--dump-lines  print `START END` of the whole file, then of each instruction\n";

/* Dockerfiles are small; a cap keeps a wrong argument from eating memory. */
#define MAX_DOCKERFILE (64u << 20)

static int read_input(const char *path, char **buf, size_t *len, struct cb_error **err)
{
	if (!strcmp(path, "-"))
		return cb_read_fd(STDIN_FILENO, MAX_DOCKERFILE, buf, len, err);
	return cb_read_file(path, MAX_DOCKERFILE, buf, len, err);
}

static void print_warnings(const char *name, const struct df_ast *ast)
{
	for (size_t i = 0; i < ast->nwarnings; i++)
		cb_eprintf("%s:%d: warning: %s\n", name, ast->warnings[i].line,
			   ast->warnings[i].msg);
}

static void print_stages(const char *name, const struct dockerfile *df)
{
	printf("%s: %zu instructions, %zu stages\n", name, df->ninstrs, df->nstages);
	for (size_t i = 0; i < df->nstages; i++) {
		const struct df_stage *st = &df->stages[i];
		const struct df_from *f = &df->instrs[st->from_index].u.from;

		printf("stage %zu%s%s: FROM %s%s%s (%zu instructions)\n", i, f->name ? " " : "",
		       f->name ? f->name : "", f->base, f->platform ? " --platform=" : "",
		       f->platform ? f->platform : "", st->count);
	}
}

static void dump_lines(const struct df_ast *ast)
{
	const struct df_node *root = ast->root;

	printf("%d %d\n", root->start_line, root->end_line);
	for (size_t i = 0; i < root->nchildren; i++)
		printf("%d %d\n", root->children[i]->start_line, root->children[i]->end_line);
}

static int dump_file(const char *mode, const char *name, const char *buf, size_t len)
{
	struct cb_error *err = NULL;
	struct df_ast *ast = df_parse_ast(name, buf, len, &err);
	struct cb_strbuf out = CB_STRBUF_INIT;

	if (!ast) {
		cb_error_report_prefix(&err, NULL);
		return 1;
	}
	print_warnings(name, ast);
	if (!strcmp(mode, "--dump-ast")) {
		df_ast_dump(ast, &out);
		fwrite(out.buf, 1, out.len, stdout);
	} else {
		dump_lines(ast);
	}
	cb_strbuf_release(&out);
	df_ast_free(ast);
	return 0;
}

static int check_file(const char *path, const char *mode, bool fragment, bool quiet)
{
	const char *name = strcmp(path, "-") ? cb_basename(path) : "Dockerfile";
	struct cb_error *err = NULL;
	cleanup_free char *buf = NULL;
	struct dockerfile *df;
	size_t len = 0;

	if (read_input(path, &buf, &len, &err) < 0) {
		cb_error_report(&err);
		return 1;
	}
	if (mode)
		return dump_file(mode, name, buf, len);
	df = fragment ? dockerfile_parse_fragment(name, buf, len, &err)
		      : dockerfile_parse(name, buf, len, &err);
	if (!df) {
		cb_error_report_prefix(&err, NULL);
		return 1;
	}
	print_warnings(name, df->ast);
	if (!quiet)
		print_stages(name, df);
	dockerfile_free(df);
	return 0;
}

int cmd_parse(int argc, char **argv)
{
	enum { OPT_DUMP_AST = CLI_OPT_OWN, OPT_DUMP_LINES, OPT_FRAGMENT };
	static const struct option longopts[] = {
		{"dump-ast", no_argument, NULL, OPT_DUMP_AST},
		{"dump-lines", no_argument, NULL, OPT_DUMP_LINES},
		{"fragment", no_argument, NULL, OPT_FRAGMENT},
		{"quiet", no_argument, NULL, 'q'},
		CLI_OPTIONS_END,
	};
	const struct cli_command *self = cli_find_command("parse");
	const char *mode = NULL;
	bool fragment = false, quiet = false;
	struct cli_getopt g;
	int c, i, rc = 0, nfiles;

	cli_getopt_init(&g, self, argc, argv, "q", longopts);
	while ((c = cli_getopt_next(&g)) != -1) {
		if (c == CLI_OPT_EXIT)
			return g.status;
		if (c == OPT_DUMP_AST || c == OPT_DUMP_LINES)
			mode = c == OPT_DUMP_AST ? "--dump-ast" : "--dump-lines";
		else if (c == OPT_FRAGMENT)
			fragment = true;
		else if (c == 'q')
			quiet = true;
	}
	i = g.first_arg;
	nfiles = argc - i;
	if (nfiles < 1)
		return cli_usage_error(self, "missing FILE");
	if (mode && nfiles != 1)
		return cli_usage_error(self, "%s takes exactly one FILE", mode);
	for (; i < argc; i++)
		rc |= check_file(argv[i], mode, fragment, quiet);
	return rc;
}
