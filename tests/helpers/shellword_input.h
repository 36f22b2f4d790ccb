/*
 * shellword_input.h - the input format of the shell-word fuzz target, also
 * used by the BuildKit lexer vectors of tests/data/buildkit-words: one byte
 * of lexer options (bit 0: escape '`' instead of '\', 1: raw quotes,
 * 2: raw escapes, 3: skip unset variables, 4: skip quote processing), the
 * word up to a NUL, then `K=V` environment lines.
 */
#ifndef CB_TESTS_SHELLWORD_INPUT_H
#define CB_TESTS_SHELLWORD_INPUT_H

#include <stddef.h>
#include <string.h>

#include "dockerfile.h"
#include "strbuf.h"
#include "xalloc.h"

/* Fill *lex, *word (caller frees) and *env (caller clears) from data[0:size], size >= 1. */
static inline void shellword_input_decode(const char *data, size_t size, struct shell_lex *lex,
					  char **word, struct cb_strvec *env)
{
	const char *p, *nul, *end = data + size;

	lex->escape = data[0] & 1 ? '`' : '\\';
	lex->raw_quotes = data[0] & 2;
	lex->raw_escapes = data[0] & 4;
	lex->skip_unset_env = data[0] & 8;
	lex->skip_process_quotes = data[0] & 16;
	nul = memchr(data + 1, '\0', size - 1);
	*word = xstrndup(data + 1, (size_t)((nul ? nul : end) - (data + 1)));
	for (p = nul ? nul + 1 : end; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		cb_strvec_pushn(env, p, (size_t)(e - p));
		p = e + 1;
	}
}

#endif
