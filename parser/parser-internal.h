/*
 * parser-internal.h - declarations shared inside the parser module only.
 */
#ifndef CB_PARSER_INTERNAL_H
#define CB_PARSER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dockerfile.h"

/* Per-file directive state (BuildKit's `directives` + DirectiveParser). */
struct df_directives {
	int escape; /* '\\' or '`' */
	bool done;  /* a non-directive line was seen */
	bool seen_syntax, seen_escape, seen_check;
	char *syntax, *check; /* values, owned */
};

/* ast.c: node construction */
struct df_node *df_node_new(const char *value);
struct df_node *df_node_newn(const char *value, size_t len);
void df_node_free(struct df_node *node);

/*
 * lineparse.c: turn one logical line into an instruction node
 * (newNodeFromLine).  Errors carry no location; the caller adds it.
 */
struct df_node *df_node_from_line(const char *line, const struct df_directives *d,
				  const struct cb_strvec *comments, struct cb_error **err);

/*
 * instructions.c: ParseInstruction, one instruction node to *in (which it
 * zeroes first).  On failure *in is released and empty; errors carry no
 * location (stages.c adds "NAME:LINE").
 */
int df_instruction_parse(const struct df_node *node, struct df_instruction *in,
			 struct cb_error **err);
/* stages.c: free what *in owns and zero it; a zeroed instruction is a no-op. */
void df_instruction_release(struct df_instruction *in);

/* True when node may carry heredocs: RUN, COPY or ADD (also under ONBUILD), shell form. */
bool df_node_can_contain_heredoc(const struct df_node *node);

/*
 * heredoc.c: the heredocs announced on a line (heredocsFromLine).  Appends
 * to (*docs, *n), each with empty content.
 */
int df_heredocs_from_line(const char *line, struct df_heredoc **docs, size_t *n,
			  struct cb_error **err);

/*
 * ParseHeredoc: parse one word like "<<-EOF" or "3<<'X'".  Returns 1 and
 * fills *doc (name owned by the caller) when word is a heredoc, 0 when not.
 */
int df_parse_heredoc_word(const char *word, struct df_heredoc *doc, struct cb_error **err);
void df_heredoc_release(struct df_heredoc *doc);

/* Remove leading tabs from every line (ChompHeredocContent); caller frees. */
char *df_chomp_heredoc(const char *content);

/* Go's unicode.IsSpace applied to a single byte as a Latin-1 rune. */
static inline bool df_byte_is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0;
}

/* Go's strings.TrimSpace: trim Unicode white space at both ends; caller frees. */
char *df_trim_space(const char *s, size_t len);
/* Length of the leading Unicode white space of s[0:len]. */
size_t df_leading_space(const char *s, size_t len);

/*
 * Go's strings.ToLower and strings.ToUpper (simple Unicode case mapping,
 * invalid UTF-8 as U+FFFD; lineparse.c); caller frees.
 */
char *df_lower(const char *s);
char *df_upper(const char *s);

/* Levenshtein suggestion: the closest option (distance < 3) or NULL. Borrowed. */
const char *df_suggest(const char *val, const char *const *options, size_t n, bool case_sensitive,
		       char *buf, size_t bufsz);

/*
 * ---- shellpattern.c: the shell patterns of shellword.c ----
 *
 * BuildKit compiles these patterns to Go regexps ('*' any run of runes but
 * '\n', '?' any rune but '\n', \* \? \\ literals, \} \/ the bare character);
 * these functions give the same results.  Each appends its result to out and
 * returns 0, or, for a pattern with any other escape, sets *err ("invalid
 * pattern (...) in substitution: invalid escape '\x'"), appends nothing and
 * returns -1.  Memory stays O(pattern + value) for any lengths.
 */

/*
 * Bounds on one expansion: `${F//a/${F//a/$F}}` grows exponentially with
 * the nesting and deep nesting recurses; past these limits expansion fails
 * with a clear error instead of exhausting memory or the stack.
 */
#define DF_SHELL_MAX_RESULT ((size_t)4 << 20) /* shell_lex.max_result when 0 */
#define DF_SHELL_MAX_DEPTH 256

/* ${value#pattern} (greedy false) and ${value##pattern} (greedy true). */
int df_shell_trim_prefix(const char *pattern, const char *value, bool greedy, struct cb_strbuf *out,
			 struct cb_error **err);
/* ${value%pattern} and ${value%%pattern}; errors quote the pattern reversed, as BuildKit's. */
int df_shell_trim_suffix(const char *pattern, const char *value, bool greedy, struct cb_strbuf *out,
			 struct cb_error **err);
/*
 * ${value/pattern/repl} (all false: first match, repl literal) and
 * ${value//pattern/repl} (Go's ReplaceAllString: repl expands $0, ${0}, $$).
 * Fails once out holds more than limit bytes.
 */
int df_shell_replace(const char *pattern, const char *value, const char *repl, bool all,
		     size_t limit, struct cb_strbuf *out, struct cb_error **err);

/*
 * ---- goregexp.c: the Go regexp subset behind .dockerignore patterns ----
 *
 * dockerignore.c translates each pattern into Go regexp text, as
 * moby/patternmatcher does, and runs it here.  The engine accepts exactly
 * the texts Go's regexp.Compile accepts among those the translation can
 * produce, and answers as regexp.MatchString does (an unanchored search;
 * '.' does not match '\n'; invalid UTF-8 reads as U+FFFD).
 *
 *	struct df_rx_prog prog = { 0 };
 *	if (!df_rx_compile(text, len, &prog)) ... Go would reject the text ...
 *	... df_rx_run(&prog, path, strlen(path)) ...
 *	df_rx_prog_release(&prog);
 */
struct df_rx_inst;  /* one NFA instruction (goregexp.c) */
struct df_rx_class; /* one bracket or named class (goregexp.c) */

/* A compiled program; owns its arrays.  Zero-initialised means empty. */
struct df_rx_prog {
	struct df_rx_inst *code;
	size_t n, alloc;
	struct df_rx_class *cls;
	size_t ncls, clsalloc;
};

/*
 * Compile re[0:len] into *prog (which must be empty).  Returns false, with
 * *prog left empty, when Go's regexp.Compile would fail; the caller reports
 * the error in its own terms, as patternmatcher turns it into ErrBadPattern.
 */
bool df_rx_compile(const char *re, size_t len, struct df_rx_prog *prog);
/* regexp.MatchString: does prog match anywhere in s[0:n]? */
bool df_rx_run(const struct df_rx_prog *prog, const char *s, size_t n);
/* Free prog's arrays and leave it empty; releasing an empty program is a no-op. */
void df_rx_prog_release(struct df_rx_prog *prog);

#endif
