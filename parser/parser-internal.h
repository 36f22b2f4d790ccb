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
	int escape;          /* '\\' or '`' */
	bool done;           /* a non-directive line was seen */
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

/* ASCII lowercase copy; caller frees. */
char *df_lower(const char *s);

/* units.c: docker's units.RAMInBytes ("64m", "1.5g", "100"). */
int df_parse_ram_bytes(const char *s, long long *out, struct cb_error **err);

/* Levenshtein suggestion: the closest option (distance < 3) or NULL. Borrowed. */
const char *df_suggest(const char *val, const char *const *options, size_t n,
		       bool case_sensitive, char *buf, size_t bufsz);

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

/* ${value#pattern} (greedy false) and ${value##pattern} (greedy true). */
int df_shell_trim_prefix(const char *pattern, const char *value, bool greedy, struct cb_strbuf *out,
			 struct cb_error **err);
/* ${value%pattern} and ${value%%pattern}; errors quote the pattern reversed, as BuildKit's. */
int df_shell_trim_suffix(const char *pattern, const char *value, bool greedy, struct cb_strbuf *out,
			 struct cb_error **err);
/*
 * ${value/pattern/repl} (all false: first match, repl literal) and
 * ${value//pattern/repl} (Go's ReplaceAllString: repl expands $0, ${0}, $$).
 */
int df_shell_replace(const char *pattern, const char *value, const char *repl, bool all,
		     struct cb_strbuf *out, struct cb_error **err);

#endif
