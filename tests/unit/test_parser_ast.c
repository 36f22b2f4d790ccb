/*
 * test_parser_ast.c - layer 1 of the Dockerfile parser (df_parse_ast):
 * parser directives, line continuations, comments, heredoc bodies, the
 * per-instruction argument syntaxes, line ranges and error locations, each
 * checked against what BuildKit's parser.Parse does (and, for heredocs,
 * against BuildKit's own vectors in tests/data/shared/testdata).
 */
#include "cbtest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dockerfile.h"
#include "xalloc.h"

CB_DEFINE_CLEANUP(struct df_ast, df_ast_free)

/* Parse src (NUL-terminated) as "Dockerfile"; fails the test on error. */
static struct df_ast *parse_ok(const char *src)
{
	struct cb_error *err = NULL;
	struct df_ast *ast = df_parse_ast("Dockerfile", src, strlen(src), &err);

	if (!ast)
		fail_msg("unexpected parse error for %s: %s", src, cb_error_msg(err));
	assert_null(err);
	return ast;
}

/* Parse buf[0:len] expecting exactly msg, with err->line == line. */
static void parse_err_n(const char *name, const char *buf, size_t len, const char *msg, int line)
{
	struct cb_error *err = NULL;
	struct df_ast *ast = df_parse_ast(name, buf, len, &err);

	if (ast) {
		df_ast_free(ast);
		fail_msg("expected error \"%s\", parse succeeded", msg);
	}
	assert_non_null(err);
	if (strcmp(cb_error_msg(err), msg))
		fail_msg("expected error \"%s\", got \"%s\"", msg, cb_error_msg(err));
	assert_int_equal(err->line, line);
	cb_error_free(&err);
}

static void parse_err(const char *src, const char *msg, int line)
{
	parse_err_n("Dockerfile", src, strlen(src), msg, line);
}

/* The BuildKit Dump() of every instruction of src, one per line. */
static char *dump_of(const char *src)
{
	cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok(src);
	struct cb_strbuf out = CB_STRBUF_INIT;

	df_ast_dump(ast, &out);
	return cb_strbuf_detach(&out, NULL);
}

static void check_dump(const char *src, const char *expected)
{
	cleanup_free char *got = dump_of(src);

	if (strcmp(got, expected))
		fail_msg("dump of:\n%s\nexpected:\n%sgot:\n%s", src, expected, got);
}

static const struct df_node *child(const struct df_ast *ast, size_t i)
{
	assert_true(i < ast->root->nchildren);
	return ast->root->children[i];
}

static void check_lines(const struct df_node *n, int start, int end)
{
	if (n->start_line != start || n->end_line != end)
		fail_msg("%s: expected lines %d-%d, got %d-%d", n->value, start, end, n->start_line,
			 n->end_line);
}

/* ------------------------------------------------------------------------ */
/* Directives                                                                */
/* ------------------------------------------------------------------------ */

static void test_directives_all_three(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("# syntax=docker/dockerfile:1.7\n"
			 "# escape=`\n"
			 "# check=skip=JSONArgsRecommended;error=true\n"
			 "FROM alpine\n");

	assert_string_equal(ast->syntax, "docker/dockerfile:1.7");
	assert_string_equal(ast->check, "skip=JSONArgsRecommended;error=true");
	assert_int_equal(ast->escape, '`');
	assert_int_equal(ast->root->nchildren, 1);
	check_lines(child(ast, 0), 4, 4);
	/* directive lines are not comments of the first instruction */
	assert_int_equal(child(ast, 0)->prev_comment.n, 0);
}

static void test_directives_absent(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok("FROM alpine\n");

	assert_null(ast->syntax);
	assert_null(ast->check);
	assert_int_equal(ast->escape, '\\');
}

static void test_directive_spacing_and_case(void **state)
{
	(void)state;
	/* `#\s*key\s*=\s*value\s*`, key case-insensitive, leading blanks trimmed */
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("  #   ESCAPE  =   `   \n#SyNtAx=a/b:c \t\nFROM x\nRUN a `\n b\n");

	assert_int_equal(ast->escape, '`');
	assert_string_equal(ast->syntax, "a/b:c");
	assert_int_equal(ast->root->nchildren, 2);
}

static void test_directive_with_bom(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("\xEF\xBB\xBF# escape=`\nFROM a\nRUN echo `\n  hi\n");

	assert_int_equal(ast->escape, '`');
	assert_int_equal(ast->root->nchildren, 2);
	assert_string_equal(child(ast, 1)->next->value, "echo   hi");
}

static void test_bom_only_on_first_line(void **state)
{
	(void)state;
	/* a BOM later in the file is part of the line: an unknown instruction word */
	cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok("FROM a\n\xEF\xBB\xBFRUN x\n");

	assert_string_equal(child(ast, 1)->value, "\xEF\xBB\xBFRUN");
}

static void test_directive_duplicate(void **state)
{
	(void)state;
	parse_err("# escape=\\\n# escape=`\nFROM a\n",
		  "Dockerfile:2: only one escape parser directive can be used", 2);
	parse_err("# syntax=a\n# SYNTAX=b\nFROM a\n",
		  "Dockerfile:2: only one syntax parser directive can be used", 2);
	parse_err("# check=a\n# syntax=x\n# check=b\nFROM a\n",
		  "Dockerfile:3: only one check parser directive can be used", 3);
}

static void test_directive_invalid_escape(void **state)
{
	(void)state;
	parse_err("# escape=x\nFROM a\n",
		  "Dockerfile:1: invalid escape token 'x' does not match ` or \\", 1);
	parse_err("# syntax=a\n# escape=\\\\\nFROM a\n",
		  "Dockerfile:2: invalid escape token '\\\\' does not match ` or \\", 2);
}

static void test_directive_after_comment_ignored(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("# a comment\n# escape=`\n# syntax=x\nFROM a\nRUN a \\\n b\n");

	assert_int_equal(ast->escape, '\\');
	assert_null(ast->syntax);
	/* the backslash still continues the line */
	assert_int_equal(ast->root->nchildren, 2);
	assert_string_equal(child(ast, 1)->next->value, "a  b");
	/* the would-be directives are ordinary comments */
	assert_int_equal(child(ast, 0)->prev_comment.n, 3);
	assert_string_equal(child(ast, 0)->prev_comment.v[1], "escape=`");
}

static void test_directive_after_blank_or_instruction_ignored(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *a1 = parse_ok("\n# escape=`\nFROM a\n");
	cleanup_fn(df_ast_free) struct df_ast *a2 = parse_ok("FROM a\n# escape=`\nRUN b\n");
	cleanup_fn(df_ast_free) struct df_ast *a3 = parse_ok("# unknown=1\n# escape=`\nFROM a\n");

	assert_int_equal(a1->escape, '\\');
	assert_int_equal(a2->escape, '\\');
	assert_int_equal(a3->escape, '\\');
	/* a duplicate outside the leading block is just a comment */
	cleanup_fn(df_ast_free) struct df_ast *a4 = parse_ok("# escape=`\nFROM a\n# escape=\\\n");
	assert_int_equal(a4->escape, '`');
}

static void test_escape_backtick_words_and_continuation(void **state)
{
	(void)state;
	/* with ` as escape, a trailing backslash is an ordinary character */
	check_dump("# escape=`\nFROM a\nRUN dir c:\\\nRUN b `\n  c\nENV X=a` b Y=\"q`\"r\"\n",
		   "(from \"a\")\n"
		   "(run \"dir c:\\\\\")\n"
		   "(run \"b   c\")\n"
		   "(env \"X\" \"a` b\" \"=\" \"Y\" \"\\\"q`\\\"r\\\"\" \"=\")\n");
}

/* ------------------------------------------------------------------------ */
/* Continuations, comments, blank lines                                      */
/* ------------------------------------------------------------------------ */

static void test_continuation_trailing_blanks(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok("FROM a\nRUN echo \\ \t \n  hi\n");

	assert_int_equal(ast->root->nchildren, 2);
	assert_string_equal(child(ast, 1)->next->value, "echo   hi");
	assert_string_equal(child(ast, 1)->original, "RUN echo   hi");
	check_lines(child(ast, 1), 2, 3);
}

static void test_continuation_not_left_trimmed(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok("RUN a\\\n\t  b\\\nc\n");

	assert_string_equal(child(ast, 0)->next->value, "a\t  bc");
}

static void test_escaped_escape_is_not_continuation(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok("FROM a\nRUN echo \\\\\nRUN b\n");

	assert_int_equal(ast->root->nchildren, 3);
	assert_string_equal(child(ast, 1)->next->value, "echo \\\\");
	/* a lone escape on its line does continue */
	cleanup_fn(df_ast_free) struct df_ast *a2 = parse_ok("RUN a\\\n\\\nb\n");
	assert_int_equal(a2->root->nchildren, 1);
	assert_string_equal(child(a2, 0)->next->value, "ab");
}

static void test_continuation_comments_and_empty_lines(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("FROM a\nRUN a \\\n# inside\n  # indented\n\n \t\n  b\nRUN c\n");

	assert_int_equal(ast->root->nchildren, 3);
	assert_string_equal(child(ast, 1)->next->value, "a   b");
	check_lines(child(ast, 1), 2, 7);
	check_lines(child(ast, 2), 8, 8);
	/* the blank lines (not the comments) earn one warning, at the last line read */
	assert_int_equal(ast->nwarnings, 1);
	assert_int_equal(ast->warnings[0].line, 7);
	assert_string_equal(ast->warnings[0].msg, "Empty continuation line found in: RUN a   b");
}

static void test_continuation_comment_only_no_warning(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok("RUN a \\\n# c\n b\n");

	assert_int_equal(ast->nwarnings, 0);
	assert_string_equal(child(ast, 0)->next->value, "a  b");
}

static void test_warnings_per_instruction(void **state)
{
	(void)state;
	/* BuildKit's TestParseWarnsOnEmptyContinutationLine */
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("\nFROM alpine:3.6\n\nRUN something \\\n\n    following \\\n\n    more\n\n"
			 "RUN another \\\n\n    thing\nRUN non-indented \\\n# this is a comment\n"
			 "   after-comment\n\nRUN indented \\\n    # this is an indented comment\n"
			 "    comment\n\t");

	assert_int_equal(ast->nwarnings, 2);
	assert_non_null(strstr(ast->warnings[0].msg, "RUN something     following     more"));
	assert_int_equal(ast->warnings[0].line, 8);
	assert_non_null(strstr(ast->warnings[1].msg, "RUN another     thing"));
	assert_int_equal(ast->warnings[1].line, 12);
}

static void test_continuation_at_eof(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *a1 = parse_ok("FROM a\nRUN echo \\");
	cleanup_fn(df_ast_free) struct df_ast *a2 = parse_ok("FROM a\nRUN echo \\\n\n");

	assert_int_equal(a1->root->nchildren, 2);
	assert_string_equal(child(a1, 1)->next->value, "echo");
	check_lines(child(a1, 1), 2, 2);
	assert_int_equal(a2->root->nchildren, 2);
	check_lines(child(a2, 1), 2, 3);
	assert_int_equal(a2->nwarnings, 1);
}

static void test_crlf_line_endings(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("FROM a\r\nRUN a \\\r\n  b\r\nRUN <<EOF\r\nx\r\nEOF\r\n");

	assert_int_equal(ast->root->nchildren, 3);
	assert_string_equal(child(ast, 1)->next->value, "a   b");
	assert_int_equal(child(ast, 2)->nheredocs, 1);
	/* the body keeps its line endings */
	assert_string_equal(child(ast, 2)->heredocs[0].content, "x\r\n");
}

static void test_prev_comments(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("# one\n\n   #  two  \nFROM a\n# three\n#\n# four\nARG X\nRUN b\n");

	/* blank lines keep collecting; text after the first byte is trimmed */
	assert_int_equal(child(ast, 0)->prev_comment.n, 2);
	assert_string_equal(child(ast, 0)->prev_comment.v[0], "one");
	assert_string_equal(child(ast, 0)->prev_comment.v[1], "#  two");
	/* an empty comment line resets them */
	assert_int_equal(child(ast, 1)->prev_comment.n, 1);
	assert_string_equal(child(ast, 1)->prev_comment.v[0], "four");
	assert_int_equal(child(ast, 2)->prev_comment.n, 0);
}

static void test_blank_and_comment_only_lines_skipped(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("\n\n# c\n   \t\nFROM a   # not a comment\n\n  RUN b\n");

	assert_int_equal(ast->root->nchildren, 2);
	assert_string_equal(child(ast, 0)->next->value, "a");
	assert_string_equal(child(ast, 0)->next->next->value, "#");
	check_lines(child(ast, 0), 5, 5);
	check_lines(child(ast, 1), 7, 7);
	check_lines(ast->root, 5, 7);
}

/* ------------------------------------------------------------------------ */
/* Heredocs                                                                  */
/* ------------------------------------------------------------------------ */

static void compare_heredoc(size_t inst, size_t k, const struct df_heredoc *h, json_t *exp)
{
	const char *name = json_string_value(json_object_get(exp, "Name"));
	const char *content = json_string_value(json_object_get(exp, "Content"));

	if (strcmp(h->name, name) || strcmp(h->content, content))
		fail_msg("instruction %zu heredoc %zu: expected %s/%s, got %s/%s", inst, k, name,
			 content, h->name, h->content);
	assert_int_equal(h->expand, json_is_true(json_object_get(exp, "Expand")));
	assert_int_equal(h->chomp, json_is_true(json_object_get(exp, "Chomp")));
	assert_int_equal(h->fd, json_integer_value(json_object_get(exp, "FileDescriptor")));
}

static void test_heredoc_buildkit_vectors(void **state)
{
	(void)state;
	cleanup_free char *path = cb_test_shared_path("buildkit/heredoc_vectors.json");
	json_error_t jerr;
	json_t *root, *per;
	const char *df;
	size_t i;

	root = json_load_file(path, 0, &jerr);
	if (!root)
		fail_msg("%s: %s", path, jerr.text);
	df = json_string_value(json_object_get(root, "dockerfile"));
	per = json_object_get(root, "heredocs_per_instruction");
	assert_non_null(df);
	assert_true(json_is_array(per));
	{
		cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok(df);

		assert_int_equal(ast->root->nchildren, json_array_size(per) + 1);
		for (i = 0; i < json_array_size(per); i++) {
			const struct df_node *n = child(ast, i + 1);
			json_t *docs = json_array_get(per, i);
			size_t ndocs = json_is_array(docs) ? json_array_size(docs) : 0;

			if (n->nheredocs != ndocs)
				fail_msg("instruction %zu (%s): %zu heredocs, expected %zu", i + 1,
					 n->original, n->nheredocs, ndocs);
			for (size_t k = 0; k < ndocs; k++)
				compare_heredoc(i + 1, k, &n->heredocs[k], json_array_get(docs, k));
		}
	}
	json_decref(root);
}

static void test_heredoc_lines_and_terminators(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("FROM a\nRUN <<A <<-B cat\nline\n  A\nA\n\tb\n\t\tB\nRUN c\n");

	assert_int_equal(ast->root->nchildren, 3);
	assert_int_equal(child(ast, 1)->nheredocs, 2);
	/* "  A" is not the terminator: only an exact match (after tabs, for <<-) */
	assert_string_equal(child(ast, 1)->heredocs[0].content, "line\n  A\n");
	assert_string_equal(child(ast, 1)->heredocs[1].content, "\tb\n");
	check_lines(child(ast, 1), 2, 7);
	check_lines(child(ast, 2), 8, 8);
}

static void test_heredoc_after_continuation(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("FROM a\nRUN --mount=type=cache,target=/c \\\n  <<EOF\nbody\nEOF\n");

	assert_int_equal(child(ast, 1)->nheredocs, 1);
	assert_string_equal(child(ast, 1)->heredocs[0].content, "body\n");
	check_lines(child(ast, 1), 2, 5);
}

static void test_heredoc_only_for_run_copy_add(void **state)
{
	(void)state;
	/* JSON form and other instructions take no bodies: the lines are instructions */
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("FROM a\nRUN [\"cat\", \"<<EOF\"]\nCMD <<EOF\nEOF\n");

	assert_int_equal(ast->root->nchildren, 4);
	assert_int_equal(child(ast, 1)->nheredocs, 0);
	assert_int_equal(child(ast, 2)->nheredocs, 0);
	assert_string_equal(child(ast, 3)->value, "EOF");
	/* lower case instruction words count too */
	cleanup_fn(df_ast_free) struct df_ast *a2 = parse_ok("from a\ncopy <<X /x\nhi\nX\n");
	assert_int_equal(child(a2, 1)->nheredocs, 1);
}

static void test_heredoc_blanks_after_marker(void **state)
{
	(void)state;
	/* BuildKit's lexer keeps blanks right after an unquoted << in the word */
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("FROM a\nRUN <<\t EOF cat\nx\nEOF\nRUN 3<<  'Q'\n$y\nQ\n"
			 "RUN <<-  E\nE\nRUN '<<  F'\nF\nRUN \\<<  G\nG\n");

	assert_int_equal(ast->root->nchildren, 9);
	assert_int_equal(child(ast, 1)->nheredocs, 1);
	assert_string_equal(child(ast, 1)->heredocs[0].name, "EOF");
	assert_string_equal(child(ast, 1)->heredocs[0].content, "x\n");
	assert_int_equal(child(ast, 2)->nheredocs, 1);
	assert_int_equal(child(ast, 2)->heredocs[0].fd, 3);
	assert_false(child(ast, 2)->heredocs[0].expand);
	/* not after "<<-", not in quotes, not after an escaped '<' */
	assert_int_equal(child(ast, 3)->nheredocs, 0);
	assert_string_equal(child(ast, 4)->value, "E");
	assert_int_equal(child(ast, 5)->nheredocs, 0);
	assert_int_equal(child(ast, 7)->nheredocs, 0);
}

static void test_heredoc_onbuild(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\nRUN x\n");

	assert_int_equal(ast->root->nchildren, 3);
	assert_int_equal(child(ast, 1)->nheredocs, 1);
	assert_string_equal(child(ast, 1)->heredocs[0].name, "EOF");
	assert_string_equal(child(ast, 1)->heredocs[0].content, "echo hi\n");
	check_lines(child(ast, 1), 2, 4);
	/* ONBUILD of a JSON RUN has none */
	cleanup_fn(df_ast_free) struct df_ast *a2 = parse_ok("ONBUILD RUN [\"<<EOF\"]\nEOF\n");
	assert_int_equal(a2->root->nchildren, 2);
}

static void test_heredoc_unterminated(void **state)
{
	(void)state;
	parse_err("FROM a\nRUN <<EOF\necho\n", "Dockerfile:2: unterminated heredoc", 2);
	parse_err("FROM a\nCOPY <<A <<B /x\na\nA\nb\n", "Dockerfile:2: unterminated heredoc", 2);
	/* with <<- the terminator may be indented with tabs only */
	parse_err("RUN <<-EOF\n  EOF\n", "Dockerfile:1: unterminated heredoc", 1);
	/* without <<- an indented terminator is content */
	parse_err("RUN <<EOF\n\tEOF\n", "Dockerfile:1: unterminated heredoc", 1);
}

static void test_heredoc_dump_unchanged(void **state)
{
	(void)state;
	/* the heredoc words stay in the arguments; bodies are not dumped */
	check_dump("FROM a\nCOPY <<-EOF /dest\n\tx\nEOF\nRUN 3<<'X' cat >&3\ny\nX\n",
		   "(from \"a\")\n(copy \"<<-EOF\" \"/dest\")\n(run \"3<<'X' cat >&3\")\n");
}

/* ------------------------------------------------------------------------ */
/* Argument syntaxes                                                         */
/* ------------------------------------------------------------------------ */

static void test_json_exec_form(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("CMD [\"a\", \"b c\"]\nCMD [ ]\nCMD [\"\\u0000x\"]\n");

	assert_true(child(ast, 0)->json);
	assert_string_equal(child(ast, 0)->next->value, "a");
	assert_string_equal(child(ast, 0)->next->next->value, "b c");
	assert_true(child(ast, 1)->json);
	assert_null(child(ast, 1)->next);
	/* an escaped NUL survives, with its length */
	assert_int_equal(child(ast, 2)->next->value_len, 2);
	assert_memory_equal(child(ast, 2)->next->value, "\0x", 2);
}

static void test_json_invalid_falls_back_to_shell(void **state)
{
	(void)state;
	check_dump("CMD ['a', 'b']\nCMD [\"a\", \"b\"\nRUN [\"a\" \"b\"]\nCOPY [a b] /x\n"
		   "ENTRYPOINT [\"a\",]\n",
		   "(cmd \"['a', 'b']\")\n"
		   "(cmd \"[\\\"a\\\", \\\"b\\\"\")\n"
		   "(run \"[\\\"a\\\" \\\"b\\\"]\")\n"
		   "(copy \"[a\" \"b]\" \"/x\")\n"
		   "(entrypoint \"[\\\"a\\\",]\")\n");
	cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok("CMD ['a']\n");
	assert_false(child(ast, 0)->json);
}

static void test_json_non_strings_error(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"CMD [\"a\", 42]\n",	     "RUN [\"a\", 1.5]\n",    "COPY [\"a\", {}]\n",
		"VOLUME [\"a\", [\"b\"]]\n", "SHELL [true]\n",	      "ENTRYPOINT [null]\n",
		"ADD [\"a\", false]\n",	     "HEALTHCHECK CMD [1]\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cleanup_free char *src = xasprintf("FROM a\n%s", bad[i]);

		parse_err(src,
			  "Dockerfile:2: when using JSON array syntax, arrays must be comprised "
			  "of strings only",
			  2);
	}
	/* numbers are float64 in Go: no integer is too big to be "not a string" */
	parse_err("CMD [123456789012345678901234567890]",
		  "Dockerfile:1: when using JSON array syntax, arrays must be comprised of "
		  "strings only",
		  1);
}

static void test_json_go_decoder_quirks(void **state)
{
	(void)state;
	/* json.Unmarshal takes the whole rest: text after the array is the shell form */
	cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok(
		"CMD [\"a\"] && b\nCMD [\"\\ud800x\", \"\\ud83d\\ude00\"]\nCMD [\"a\xff\"]\n");

	assert_false(child(ast, 0)->json);
	assert_string_equal(child(ast, 0)->next->value, "[\"a\"] && b");
	assert_null(child(ast, 0)->next->next);
	/* a lone surrogate decodes as U+FFFD; a pair as the rune */
	assert_true(child(ast, 1)->json);
	assert_string_equal(child(ast, 1)->next->value, "\xEF\xBF\xBDx");
	assert_string_equal(child(ast, 1)->next->next->value, "\xF0\x9F\x98\x80");
	/* invalid UTF-8 in a string is replaced too */
	assert_string_equal(child(ast, 2)->next->value, "a\xEF\xBF\xBD");
}

static void test_dump_instruction_forms(void **state)
{
	(void)state;
	check_dump("FROM --platform=linux/arm64 alpine:3 AS Base\n"
		   "ENV A b c\n"
		   "ENV A=1 B=\"2 3\" C=d\\ e\n"
		   "LABEL \"k\"=v\n"
		   "ARG X Y=1 Z=\"a b\"\n"
		   "EXPOSE 80 443/tcp\n"
		   "HEALTHCHECK --interval=5s CMD curl -f x\n"
		   "HEALTHCHECK NONE\n"
		   "HEALTHCHECK CMD [\"a\", \"b\"]\n"
		   "ONBUILD RUN --mount=type=cache,target=/x echo\n"
		   "USER a b\n"
		   "MAINTAINER x <y@z>\n"
		   "FOO bar baz\n"
		   "COPY --from=a --chown=\"b c\" -- --x /y\n"
		   "Run   \t x\n",
		   "(from [\"--platform=linux/arm64\"] \"alpine:3\" \"AS\" \"Base\")\n"
		   "(env \"A\" \"b c\" \"\")\n"
		   "(env \"A\" \"1\" \"=\" \"B\" \"\\\"2 3\\\"\" \"=\" \"C\" \"d\\\\ e\" \"=\")\n"
		   "(label \"\\\"k\\\"\" \"v\" \"=\")\n"
		   "(arg \"X\" \"Y=1\" \"Z=\\\"a b\\\"\")\n"
		   "(expose \"80\" \"443/tcp\")\n"
		   "(healthcheck [\"--interval=5s\"] \"CMD\" \"curl -f x\")\n"
		   "(healthcheck \"NONE\")\n"
		   "(healthcheck \"CMD\" \"a\" \"b\")\n"
		   "(onbuild (run [\"--mount=type=cache,target=/x\"] \"echo\"))\n"
		   "(user \"a b\")\n"
		   "(maintainer \"x <y@z>\")\n"
		   "(foo \"\")\n"
		   "(copy [\"--from=a\" \"--chown=b c\"] \"--x\" \"/y\")\n"
		   "(run \"x\")\n");
}

/* json.Unmarshal: text after the array (but not white space) makes it the shell form. */
static void test_dump_json_trailing_text(void **state)
{
	(void)state;
	check_dump("CMD [\"a\"] b\n"
		   "ENTRYPOINT [\"x\"]# c\n"
		   "RUN [\"y\"] \t \n"
		   "EXPOSE [\"80\"] 81\n"
		   "SHELL [\"sh\"]]\n",
		   "(cmd \"[\\\"a\\\"] b\")\n"
		   "(entrypoint \"[\\\"x\\\"]# c\")\n"
		   "(run \"y\")\n"
		   "(expose \"[\\\"80\\\"]\" \"81\")\n"
		   "(shell \"[\\\"sh\\\"]]\")\n");
}

/* Flags take the escape directive's token: a backslash is literal under escape=`. */
static void test_dump_flags_escape_directive(void **state)
{
	(void)state;
	check_dump("# escape=`\nFROM a\n"
		   "COPY --chown=a`\"b --from=x\\y \"q`\"r\" a b\n"
		   "RUN --mount=type=bind,source=C:\\x,target=/y echo\n",
		   "(from \"a\")\n"
		   "(copy [\"--chown=a\\\"b\" \"--from=x\\\\y\"] \"\\\"q`\\\"r\\\"\" \"a\" \"b\")\n"
		   "(run [\"--mount=type=bind,source=C:\\\\x,target=/y\"] \"echo\")\n");
	check_dump("FROM a\nCOPY --chown=a\\\"b --from=x`y a b\n",
		   "(from \"a\")\n(copy [\"--chown=a\\\"b\" \"--from=x`y\"] \"a\" \"b\")\n");
}

static void test_dump_flags_quoting(void **state)
{
	(void)state;
	/* flags: quotes removed, backslash escapes the next byte, %q on output */
	check_dump("RUN --a='x y' --b=\"q\\\"r\" --c=\\t --d --e=\"\" echo\n",
		   "(run [\"--a=x y\" \"--b=q\\\"r\" \"--c=t\" \"--d\" \"--e=\"] \"echo\")\n");
	/* a word not starting with "--" ends the flags */
	check_dump("RUN -x --y z\n", "(run \"-x --y z\")\n");
}

static void test_dump_case_and_kelvin(void **state)
{
	(void)state;
	/* Dump lowercases the word as Go's strings.ToLower does */
	check_dump("HEALTHCHEC\xE2\x84\xAA CMD x\n", "(healthcheck \"CMD\" \"x\")\n");
	cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok("cOpY a b\n");
	assert_string_equal(child(ast, 0)->value, "cOpY");
}

static void test_dump_unicode_case(void **state)
{
	(void)state;
	/*
	 * An unknown word keeps one empty argument (parseIgnore); Dump lowercases
	 * every rune of the word as unicode.ToLower does.  (Octal escapes where a
	 * hex one would swallow the letters after it.)
	 */
	check_dump("\303\211CHO hi\n", "(\303\251cho \"\")\n");
	check_dump("\xCE\xA3\xCE\xA4\xCE\x9F\xCE\xA0 x\n",
		   "(\xCF\x83\xCF\x84\xCE\xBF\xCF\x80 \"\")\n");
	/* simple mappings only: U+0130 becomes a plain 'i', U+1E9E becomes U+00DF */
	check_dump("\xC4\xB0NCLUDE x\n", "(include \"\")\n");
	check_dump("ENTRYPO\xC4\xB0NT x\n", "(entrypoint \"x\")\n");
	check_dump("\xE1\xBA\x9EX y\n", "(\xC3\x9Fx \"\")\n");
	/* invalid UTF-8 reads as U+FFFD, as strings.Map makes it */
	check_dump("R\xFFN x\n", "(r\xEF\xBF\xBDn \"\")\n");
	/* arguments keep their case; an ONBUILD trigger's word is lowercased too */
	check_dump("RUN \303\211CHO\n", "(run \"\303\211CHO\")\n");
	check_dump("ONBUILD \303\211CHO hi\n", "(onbuild (\303\251cho \"\"))\n");
}

static void test_env_label_errors(void **state)
{
	(void)state;
	parse_err("FROM a\nENV A\n", "Dockerfile:2: ENV must have two arguments", 2);
	parse_err("LABEL A\n", "Dockerfile:1: LABEL must have two arguments", 1);
	parse_err("ENV A=1 B\n",
		  "Dockerfile:1: Syntax error - can't find = in \"B\". Must be of the form: "
		  "name=value",
		  1);
	parse_err("LABEL a=1 \"q\\\"\"\n",
		  "Dockerfile:1: Syntax error - can't find = in \"\\\"q\\\\\\\"\\\"\". Must be of "
		  "the form: name=value",
		  1);
}

static void test_parse_words_vectors(void **state)
{
	(void)state;
	cleanup_free char *path = cb_test_shared_path("buildkit/parsewords_vectors.json");
	json_error_t jerr;
	json_t *root, *cases, *c;
	size_t i;

	root = json_load_file(path, 0, &jerr);
	if (!root)
		fail_msg("%s: %s", path, jerr.text);
	cases = json_object_get(root, "parse_words");
	json_array_foreach (cases, i, c) {
		struct cb_strvec out = CB_STRVEC_INIT;
		json_t *exp = json_object_get(c, "expect");

		df_parse_words(json_string_value(json_object_get(c, "input")), '\\', &out);
		assert_int_equal(out.n, json_array_size(exp));
		for (size_t k = 0; k < out.n; k++)
			assert_string_equal(out.v[k], json_string_value(json_array_get(exp, k)));
		cb_strvec_clear(&out);
	}
	json_decref(root);
}

static void test_parse_words_escape_and_quotes(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int escape;
		const char *out[4];
	} cases[] = {
		{"a\\ b c", '\\', {"a\\ b", "c"}},
		{"a` b c", '`', {"a` b", "c"}},
		{"'a \\' b", '\\', {"'a \\'", "b"}},
		{"\"a \\\" b\" c", '\\', {"\"a \\\" b\"", "c"}},
		{"'' \"\"", '\\', {"''", "\"\""}},
		{"x\\", '\\', {"x"}},
		{"\"x\\", '\\', {"\"x"}},
		{"a\xC2\xA0"
		 "b\xE2\x80\x83"
		 "c",
		 '\\',
		 {"a", "b", "c"}},
		{"\xFF", '\\', {"\xEF\xBF\xBD"}},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cb_strvec out = CB_STRVEC_INIT;
		size_t n = 0;

		while (n < 4 && cases[i].out[n])
			n++;
		df_parse_words(cases[i].in, cases[i].escape, &out);
		if (out.n != n)
			fail_msg("%s: %zu words, expected %zu", cases[i].in, out.n, n);
		for (size_t k = 0; k < n; k++)
			assert_string_equal(out.v[k], cases[i].out[k]);
		cb_strvec_clear(&out);
	}
}

static void test_node_dump_single(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast = parse_ok("ONBUILD COPY --link a \"b\\n\"\n");
	struct cb_strbuf sb = CB_STRBUF_INIT;

	df_node_dump(child(ast, 0), &sb);
	assert_string_equal(sb.buf, "onbuild (copy [\"--link\"] \"a\" \"\\\"b\\\\n\\\"\")");
	cb_strbuf_release(&sb);
}

/* ------------------------------------------------------------------------ */
/* Line ranges and limits                                                    */
/* ------------------------------------------------------------------------ */

static void test_line_ranges(void **state)
{
	(void)state;
	cleanup_fn(df_ast_free) struct df_ast *ast =
		parse_ok("\n# c\nFROM a\n\nRUN a \\\n  b \\\n\n  c\nCOPY <<X <<Y /d\nx\nX\ny\nY\n"
			 "ONBUILD RUN <<Z\nZ\n\n");

	assert_int_equal(ast->root->nchildren, 4);
	check_lines(child(ast, 0), 3, 3);
	check_lines(child(ast, 1), 5, 8);
	check_lines(child(ast, 2), 9, 13);
	check_lines(child(ast, 3), 14, 15);
	check_lines(ast->root, 3, 15);
}

static void test_line_ranges_buildkit_testfile(void **state)
{
	(void)state;
	cleanup_free char *path = cb_test_shared_path("buildkit/parser/testfile-line/Dockerfile");
	cleanup_free char *buf = NULL;
	size_t len = 0;

	buf = cb_test_read_file(path, &len);
	{
		struct cb_error *err = NULL;
		cleanup_fn(df_ast_free) struct df_ast *ast =
			df_parse_ast("Dockerfile", buf, len, &err);

		assert_non_null(ast);
		check_lines(ast->root, 5, 31);
		assert_int_equal(ast->root->nchildren, 3);
		check_lines(child(ast, 0), 5, 5);
		check_lines(child(ast, 1), 11, 12);
		check_lines(child(ast, 2), 17, 31);
	}
}

static char *with_long_line(size_t n, const char *after)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	cb_strbuf_addstr(&sb, "FROM a\nLABEL x=");
	for (size_t i = strlen("LABEL x="); i < n; i++)
		cb_strbuf_addch(&sb, 'a');
	cb_strbuf_addstr(&sb, after);
	return cb_strbuf_detach(&sb, NULL);
}

/* NUL bytes: an error where they would be cut off, ignored in comments. */
static void test_nul_bytes(void **state)
{
	static const char in_run[] = "FROM a\nRUN echo \0 x\n";
	static const char in_cont[] = "FROM a\nRUN echo \\\n \0\n";
	static const char in_heredoc[] = "FROM a\nCOPY <<EOF /x\na\0b\nEOF\n";
	static const char utf16[] = "\xFF\xFE"
				    "F\0R\0O\0M\0 \0a\0\n\0";
	static const char in_comment[] = "FROM a\n# c\0d\nRUN x\n";
	const char *msg =
		"NUL byte in the Dockerfile (is it UTF-16 or binary? it must be UTF-8 text)";
	struct cb_error *err = NULL;
	struct df_ast *ast;
	char want[128];

	(void)state;
	snprintf(want, sizeof(want), "Dockerfile:2: %s", msg);
	parse_err_n("Dockerfile", in_run, sizeof(in_run) - 1, want, 2);
	parse_err_n("Dockerfile", in_cont, sizeof(in_cont) - 1, want, 2);
	snprintf(want, sizeof(want), "Dockerfile:3: %s", msg);
	parse_err_n("Dockerfile", in_heredoc, sizeof(in_heredoc) - 1, want, 3);
	snprintf(want, sizeof(want), "Dockerfile:1: %s", msg);
	parse_err_n("Dockerfile", utf16, sizeof(utf16) - 1, want, 1);
	ast = df_parse_ast("Dockerfile", in_comment, sizeof(in_comment) - 1, &err);
	assert_non_null(ast);
	assert_int_equal(ast->root->nchildren, 2);
	df_ast_free(ast);
}

static void test_line_length_limit(void **state)
{
	(void)state;
	/* 65535 bytes fit bufio.Scanner's buffer (with or without the newline) */
	cleanup_free char *ok1 = with_long_line(DF_MAX_LINE, "\nRUN x\n");
	cleanup_free char *ok2 = with_long_line(DF_MAX_LINE, "");
	cleanup_free char *bad1 = with_long_line(DF_MAX_LINE + 1, "\nRUN x\n");
	cleanup_free char *bad2 = with_long_line(DF_MAX_LINE + 1, "");
	cleanup_fn(df_ast_free) struct df_ast *a1 = parse_ok(ok1);
	cleanup_fn(df_ast_free) struct df_ast *a2 = parse_ok(ok2);

	assert_int_equal(a1->root->nchildren, 3);
	assert_int_equal(a2->root->nchildren, 2);
	parse_err(bad1, "Dockerfile:2: dockerfile line greater than max allowed size of 65535", 2);
	parse_err(bad2, "Dockerfile:2: dockerfile line greater than max allowed size of 65535", 2);
}

static void test_line_length_limit_in_continuation_and_heredoc(void **state)
{
	(void)state;
	struct cb_strbuf sb = CB_STRBUF_INIT;

	/* the long line is reported, not what its cut-off instruction would say */
	cb_strbuf_addstr(&sb, "FROM a\nENV a \\\n");
	for (size_t i = 0; i < DF_MAX_LINE + 10; i++)
		cb_strbuf_addch(&sb, 'b');
	parse_err(sb.buf, "Dockerfile:3: dockerfile line greater than max allowed size of 65535",
		  3);
	cb_strbuf_reset(&sb);
	cb_strbuf_addstr(&sb, "FROM a\nRUN <<EOF\nline\n");
	for (size_t i = 0; i < DF_MAX_LINE + 10; i++)
		cb_strbuf_addch(&sb, 'b');
	cb_strbuf_addstr(&sb, "\nEOF\n");
	parse_err(sb.buf, "Dockerfile:4: dockerfile line greater than max allowed size of 65535",
		  4);
	cb_strbuf_release(&sb);
}

static void test_no_instructions(void **state)
{
	(void)state;
	parse_err("", "Dockerfile:1: file with no instructions", 1);
	parse_err("\n\n   \n", "Dockerfile:3: file with no instructions", 3);
	parse_err("# a\n# b\n", "Dockerfile:2: file with no instructions", 2);
	parse_err("# syntax=x\n", "Dockerfile:1: file with no instructions", 1);
	parse_err("\xEF\xBB\xBF", "Dockerfile:1: file with no instructions", 1);
}

static void test_error_names_file_and_line(void **state)
{
	(void)state;
	static const char src[] = "FROM a\n\nRUN a \\\n  b\nCMD [1]\n";

	parse_err_n("sub/Dockerfile.dev", src, sizeof(src) - 1,
		    "sub/Dockerfile.dev:5: when using JSON array syntax, arrays must be "
		    "comprised of strings only",
		    5);
	/* an error in a continued instruction is located at its first line */
	parse_err("FROM a\nENV \\\n  A\n", "Dockerfile:2: ENV must have two arguments", 2);
}

static void test_buffer_not_nul_terminated(void **state)
{
	(void)state;
	static const char src[] = "FROM a\nRUN b\nRUN c";
	struct cb_error *err = NULL;
	/* only the first 12 bytes are the file */
	cleanup_fn(df_ast_free) struct df_ast *ast = df_parse_ast("D", src, 12, &err);

	assert_non_null(ast);
	assert_int_equal(ast->root->nchildren, 2);
	assert_string_equal(child(ast, 1)->original, "RUN b");
}

static void test_buildkit_testfiles(void **state)
{
	(void)state;
	static const char *const names[] = {
		"escape",
		"escape-after-comment",
		"escape-nonewline",
		"escape-with-syntax",
		"escapes",
		"continue-at-eof",
		"trailing-backslash",
		"json",
		"health",
		"flags",
		"env",
		"continueIndent",
	};
	cleanup_free char *base = cb_test_shared_path("buildkit/parser/testfiles");

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cleanup_free char *dpath = xasprintf("%s/%s/Dockerfile", base, names[i]);
		cleanup_free char *rpath = xasprintf("%s/%s/result", base, names[i]);
		cleanup_free char *src = NULL, *expected = NULL;
		size_t len = 0, rlen = 0;
		struct cb_error *err = NULL;
		struct cb_strbuf out = CB_STRBUF_INIT;
		struct df_ast *ast;

		src = cb_test_read_file(dpath, &len);
		expected = cb_test_read_file(rpath, &rlen);
		ast = df_parse_ast("Dockerfile", src, len, &err);
		if (!ast)
			fail_msg("%s: %s", names[i], cb_error_msg(err));
		df_ast_dump(ast, &out);
		if (strcmp(out.buf, expected))
			fail_msg("%s:\nexpected:\n%sgot:\n%s", names[i], expected, out.buf);
		cb_strbuf_release(&out);
		df_ast_free(ast);
	}
}

static void test_buildkit_negative_testfiles(void **state)
{
	(void)state;
	static const char *const names[] = {"empty_dockerfile", "env_no_value", "only_comments",
					    "shykes-nested-json"};
	cleanup_free char *base = cb_test_shared_path("buildkit/parser/testfiles-negative");

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cleanup_free char *dpath = xasprintf("%s/%s/Dockerfile", base, names[i]);
		cleanup_free char *src = NULL;
		size_t len = 0;
		struct cb_error *err = NULL;
		struct df_ast *ast;

		src = cb_test_read_file(dpath, &len);
		ast = df_parse_ast("Dockerfile", src, len, &err);
		if (ast)
			fail_msg("%s: expected a parse error", names[i]);
		assert_non_null(err);
		assert_true(err->line >= 1);
		cb_error_free(&err);
	}
}

CB_TEST_MAIN(
	cmocka_unit_test(test_directives_all_three), cmocka_unit_test(test_directives_absent),
	cmocka_unit_test(test_directive_spacing_and_case),
	cmocka_unit_test(test_directive_with_bom), cmocka_unit_test(test_bom_only_on_first_line),
	cmocka_unit_test(test_directive_duplicate), cmocka_unit_test(test_directive_invalid_escape),
	cmocka_unit_test(test_directive_after_comment_ignored),
	cmocka_unit_test(test_directive_after_blank_or_instruction_ignored),
	cmocka_unit_test(test_escape_backtick_words_and_continuation),
	cmocka_unit_test(test_continuation_trailing_blanks),
	cmocka_unit_test(test_continuation_not_left_trimmed),
	cmocka_unit_test(test_escaped_escape_is_not_continuation),
	cmocka_unit_test(test_continuation_comments_and_empty_lines),
	cmocka_unit_test(test_continuation_comment_only_no_warning),
	cmocka_unit_test(test_warnings_per_instruction), cmocka_unit_test(test_continuation_at_eof),
	cmocka_unit_test(test_crlf_line_endings), cmocka_unit_test(test_prev_comments),
	cmocka_unit_test(test_blank_and_comment_only_lines_skipped),
	cmocka_unit_test(test_heredoc_buildkit_vectors),
	cmocka_unit_test(test_heredoc_lines_and_terminators),
	cmocka_unit_test(test_heredoc_after_continuation),
	cmocka_unit_test(test_heredoc_only_for_run_copy_add),
	cmocka_unit_test(test_heredoc_blanks_after_marker), cmocka_unit_test(test_heredoc_onbuild),
	cmocka_unit_test(test_heredoc_unterminated), cmocka_unit_test(test_heredoc_dump_unchanged),
	cmocka_unit_test(test_json_exec_form),
	cmocka_unit_test(test_json_invalid_falls_back_to_shell),
	cmocka_unit_test(test_json_non_strings_error),
	cmocka_unit_test(test_json_go_decoder_quirks),
	cmocka_unit_test(test_dump_instruction_forms),
	cmocka_unit_test(test_dump_json_trailing_text),
	cmocka_unit_test(test_dump_flags_escape_directive),
	cmocka_unit_test(test_dump_flags_quoting), cmocka_unit_test(test_dump_case_and_kelvin),
	cmocka_unit_test(test_dump_unicode_case), cmocka_unit_test(test_env_label_errors),
	cmocka_unit_test(test_parse_words_vectors),
	cmocka_unit_test(test_parse_words_escape_and_quotes),
	cmocka_unit_test(test_node_dump_single), cmocka_unit_test(test_line_ranges),
	cmocka_unit_test(test_line_ranges_buildkit_testfile), cmocka_unit_test(test_nul_bytes),
	cmocka_unit_test(test_line_length_limit),
	cmocka_unit_test(test_line_length_limit_in_continuation_and_heredoc),
	cmocka_unit_test(test_no_instructions), cmocka_unit_test(test_error_names_file_and_line),
	cmocka_unit_test(test_buffer_not_nul_terminated), cmocka_unit_test(test_buildkit_testfiles),
	cmocka_unit_test(test_buildkit_negative_testfiles))
