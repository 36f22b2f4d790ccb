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
 * ---- goregexp.c: the Go regexps behind .dockerignore patterns, run with PCRE2 ----
 *
 * dockerignore.c translates each pattern into Go regexp text, as
 * moby/patternmatcher does; df_rx_compile() accepts exactly the texts Go's
 * regexp.Compile accepts (among those the translation can produce) and
 * df_rx_match() answers as regexp.MatchString does (an unanchored search;
 * '.' does not match '\n'; invalid UTF-8 reads as U+FFFD).  A compiled
 * regexp is read-only: threads may share it, each with its own scratch.
 *
 *	struct df_rx *rx = df_rx_compile(text, len, &err);
 *	struct df_rx_scratch *sc = NULL;
 *	int r = df_rx_match(rx, path, strlen(path), &sc, &err);
 *	df_rx_scratch_free(sc);
 *	df_rx_free(rx);
 */
struct df_rx;
struct df_rx_scratch; /* match data, made on first use; one per thread */

/*
 * Compile re[0:len].  NULL with *err "syntax error in pattern" when Go's
 * regexp.Compile would fail (the caller reports it in its own terms, as
 * patternmatcher turns it into ErrBadPattern), or with another message when
 * Go accepts the text but PCRE2 cannot run it (over PCRE2's size or nesting
 * limits, or a script newer than its Unicode tables).
 */
struct df_rx *df_rx_compile(const char *re, size_t len, struct cb_error **err);
/*
 * regexp.MatchString: 1 when rx matches somewhere in s[0:n], 0 when not,
 * -1 with *err when the match backtracks past the step limit (Go's
 * linear-time matcher would answer; PCRE2 gives up in about 50 ms instead of
 * running for minutes).  *scratch is made on first use, the caller's to free.
 */
int df_rx_match(const struct df_rx *rx, const char *s, size_t n, struct df_rx_scratch **scratch,
		struct cb_error **err);
/* Free; NULL is a no-op. */
void df_rx_scratch_free(struct df_rx_scratch *sc);
void df_rx_free(struct df_rx *rx);

/*
 * gorxclass.c: the members of Go regexp classes, appended to the body of a
 * PCRE2 class (the text between its brackets) in a spelling that means
 * the same there and in no other way.
 */
/* lo..hi (surrogates left out: a subject never holds one). */
void df_rx_add_range(struct cb_strbuf *body, uint32_t lo, uint32_t hi);
/* [:name:] for name[0:len] (negated: [:^name:]); false if Go knows no such name. */
bool df_rx_posix_class(const char *name, size_t len, bool neg, struct cb_strbuf *body);
/* \d \s \w, or \D \S \W for the upper-case c; false for any other c. */
bool df_rx_perl_class(char c, struct cb_strbuf *body);
/* \p{name} (or \P{name} when neg) as Go 1.25+ reads name[0:len]; false if unknown. */
bool df_rx_unicode_class(const char *name, size_t len, bool neg, struct cb_strbuf *body);
/* Append [body] (or [^body]) to out; an empty body matches nothing (negated: anything). */
void df_rx_add_class(struct cb_strbuf *out, const struct cb_strbuf *body, bool neg);

#endif
