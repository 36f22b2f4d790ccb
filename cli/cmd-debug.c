/*
 * cmd-debug.c - `cbuild debug SUBCOMMAND`: run one building block of the
 * front end (word splitting, shell-word expansion, .dockerignore matching)
 * on one input.  Used by the peer test vectors and handy when a Dockerfile
 * does not mean what you think.
 */
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "builder.h"
#include "cli.h"
#include "dockerfile.h"
#include "fsutil.h"
#include "xalloc.h"

const char cmd_debug_usage[] =
	"usage: cbuild debug parse-words -- STRING\n"
	"       cbuild debug expand-word  [--env K=V]... [--escape C] -- WORD\n"
	"       cbuild debug expand-words [--env K=V]... [--escape C] -- WORD\n"
	"       cbuild debug ignore-match [--pattern P]... -- PATH\n"
	"       cbuild debug ignore-read FILE\n"
	"       cbuild debug context [-f DOCKERFILE] DIR [PATH...]\n"
	"\n"
	"parse-words   split a Dockerfile argument string into words, keeping quotes\n"
	"              (as ENV/LABEL/ARG do); one word per line\n"
	"expand-word   expand variables and remove quotes, as for one word (WORKDIR,\n"
	"              COPY paths); prints the result\n"
	"expand-words  the same, then split into fields (one per line)\n"
	"ignore-match  print `true` when PATH is excluded by the .dockerignore\n"
	"              patterns, else `false`; exit 2 for a bad pattern\n"
	"ignore-read   print the cleaned patterns of a .dockerignore file\n"
	"context       print which ignore file applies to a build of DIR (with\n"
	"              DOCKERFILE, default DIR/Dockerfile), then `PATH: excluded` or\n"
	"              `PATH: included` for each PATH\n"
	"\n"
	"--env K=V     set a variable (repeatable; K alone sets it empty)\n"
	"--escape C    the escape character: \\ (default) or `\n";

static const struct cli_command *self(void)
{
	return cli_find_command("debug");
}

/*
 * Repeated `--opt VALUE` options into vals (opt NULL: none) and, when
 * escape is set, --escape C; then `--` and exactly one operand.  Returns
 * the operand's index, or -1 with *status the exit status (0 after --help,
 * else 2: a usage error saying `want`).
 */
static int collect_opts(int argc, char **argv, const char *opt, struct cb_strvec *vals, int *escape,
			const char *want, int *status)
{
	struct option longopts[5] = {{NULL, 0, NULL, 0}};
	const char *last = NULL; /* the last option's value: `--env --` is no end marker */
	struct cli_getopt g;
	size_t n = 0;
	int c;

	if (opt)
		longopts[n++] = (struct option){opt, required_argument, NULL, 'v'};
	if (escape)
		longopts[n++] = (struct option){"escape", required_argument, NULL, 'e'};
	longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n] = (struct option){"debug", no_argument, NULL, CLI_OPT_DEBUG};
	cli_getopt_init(&g, self(), argc, argv, "+", longopts);
	while ((c = cli_getopt_next(&g)) != -1) {
		if (c == CLI_OPT_EXIT) {
			*status = g.status;
			return -1;
		}
		last = g.arg;
		if (c == 'v') {
			cb_strvec_push(vals, g.arg);
			continue;
		}
		if (strcmp(g.arg, "\\") && strcmp(g.arg, "`")) {
			*status = cli_bad_value(&g, "want \\ or `");
			return -1;
		}
		*escape = g.arg[0];
	}
	if (g.first_arg != argc - 1 || g.first_arg < 2 || strcmp(argv[g.first_arg - 1], "--") ||
	    last == argv[g.first_arg - 1]) {
		*status = cli_usage_error(self(), "%s", want);
		return -1;
	}
	return g.first_arg;
}

static int debug_parse_words(int argc, char **argv)
{
	struct cb_strvec words = CB_STRVEC_INIT;
	int status = 0;
	int i = collect_opts(argc, argv, NULL, &words, NULL, "parse-words takes `-- STRING`",
			     &status);

	if (i < 0)
		return status;
	df_parse_words(argv[i], '\\', &words);
	for (size_t j = 0; j < words.n; j++)
		printf("%s\n", words.v[j]);
	cb_strvec_clear(&words);
	return 0;
}

static int debug_expand(int argc, char **argv, bool fields)
{
	struct shell_lex lex = SHELL_LEX_INIT;
	struct cb_strvec env = CB_STRVEC_INIT;
	struct cb_strvec out = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	cleanup_free char *want = xasprintf("%s takes [--env K=V]... -- WORD", argv[0]);
	int rc = 0;
	int i = collect_opts(argc, argv, "env", &env, &lex.escape, want, &rc);

	if (i < 0) {
		cb_strvec_clear(&env);
		return rc;
	}
	if (fields) {
		if (shell_expand_words(&lex, argv[i], &env, &out, &err) < 0) {
			cb_error_report(&err);
			rc = 1;
		}
		for (size_t j = 0; j < out.n; j++)
			printf("%s\n", out.v[j]);
	} else {
		cleanup_free char *word = shell_expand_word(&lex, argv[i], &env, &err);

		if (!word) {
			cb_error_report(&err);
			rc = 1;
		} else {
			printf("%s\n", word);
		}
	}
	cb_strvec_clear(&out);
	cb_strvec_clear(&env);
	return rc;
}

static int debug_ignore_match(int argc, char **argv)
{
	struct cb_strvec patterns = CB_STRVEC_INIT;
	struct ignore_matcher *m;
	struct cb_error *err = NULL;
	int rc = 0;
	int i = collect_opts(argc, argv, "pattern", &patterns, NULL,
			     "ignore-match takes [--pattern P]... -- PATH", &rc);

	if (i < 0) {
		cb_strvec_clear(&patterns);
		return rc;
	}
	m = ignore_matcher_new(&patterns, &err);
	cb_strvec_clear(&patterns);
	if (!m) {
		cb_error_report(&err);
		return 2;
	}
	rc = ignore_matcher_matches(m, argv[i], &err);
	ignore_matcher_free(m);
	if (rc < 0) {
		cb_error_report(&err);
		return 2;
	}
	printf("%s\n", rc ? "true" : "false");
	return 0;
}

static int debug_ignore_read(int argc, char **argv)
{
	struct cb_strvec patterns = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (argc != 2)
		return cli_usage_error(self(), "ignore-read takes FILE");
	if (cb_read_file(argv[1], 64u << 20, &buf, &len, &err) < 0 ||
	    dockerignore_read(buf, len, &patterns, &err) < 0) {
		cb_error_report(&err);
		return 1;
	}
	for (size_t j = 0; j < patterns.n; j++)
		printf("%s\n", patterns.v[j]);
	cb_strvec_clear(&patterns);
	return 0;
}

static int debug_context(int argc, char **argv)
{
	static const struct option longopts[] = {CLI_OPTIONS_END};
	struct build_context ctx;
	struct cb_error *err = NULL;
	const char *dockerfile = NULL;
	struct cli_getopt g;
	int c, i;

	/* '+': the PATHs after DIR are taken as they are */
	cli_getopt_init(&g, self(), argc, argv, "+f:", longopts);
	while ((c = cli_getopt_next(&g)) != -1) {
		if (c == CLI_OPT_EXIT)
			return g.status;
		dockerfile = g.arg;
	}
	i = g.first_arg;
	if (i >= argc)
		return cli_usage_error(self(), "context takes [-f DOCKERFILE] DIR [PATH...]");
	if (build_context_open(&ctx, argv[i], dockerfile, &err) < 0) {
		cb_error_report(&err);
		return 1;
	}
	printf("ignore-file: %s\n", ctx.ignore_file ? ctx.ignore_file : "(none)");
	for (i++; i < argc; i++) {
		int r = build_context_excluded(&ctx, argv[i], &err);

		if (r < 0) {
			build_context_release(&ctx);
			cb_error_report(&err);
			return 1;
		}
		printf("%s: %s\n", argv[i], r ? "excluded" : "included");
	}
	build_context_release(&ctx);
	return 0;
}

int cmd_debug(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error(self(), "missing subcommand");
	argc--;
	argv++;
	if (!strcmp(argv[0], "parse-words"))
		return debug_parse_words(argc, argv);
	if (!strcmp(argv[0], "expand-word"))
		return debug_expand(argc, argv, false);
	if (!strcmp(argv[0], "expand-words"))
		return debug_expand(argc, argv, true);
	if (!strcmp(argv[0], "ignore-match"))
		return debug_ignore_match(argc, argv);
	if (!strcmp(argv[0], "ignore-read"))
		return debug_ignore_read(argc, argv);
	if (!strcmp(argv[0], "context"))
		return debug_context(argc, argv);
	return cli_usage_error(self(), "unknown subcommand `%s`", argv[0]);
}
