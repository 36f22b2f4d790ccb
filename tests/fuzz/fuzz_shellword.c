/*
 * fuzz_shellword.c - shell-word expansion.  Input: one flags byte (escape
 * token, raw quotes/escapes, skip unset, skip quotes), then the word, then
 * after a NUL any number of newline-separated K=V environment entries.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shell_lex lex = SHELL_LEX_INIT;
	struct cb_strvec env = CB_STRVEC_INIT;
	struct shell_result res;
	struct cb_error *err = NULL;
	const char *p, *nul, *end;
	char *word;

	if (size < 1)
		return 0;
	lex.escape = data[0] & 1 ? '`' : '\\';
	lex.raw_quotes = data[0] & 2;
	lex.raw_escapes = data[0] & 4;
	lex.skip_unset_env = data[0] & 8;
	lex.skip_process_quotes = data[0] & 16;
	/* the limit's logic with small strings: 4 MiB ones make each run slow */
	lex.max_result = 64u << 10;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	nul = memchr(p, '\0', (size_t)(end - p));
	word = xstrndup(p, (size_t)((nul ? nul : end) - p));
	for (p = nul ? nul + 1 : end; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		cb_strvec_pushn(&env, p, (size_t)(e - p));
		p = e + 1;
	}
	memset(&res, 0, sizeof(res));
	if (shell_expand(&lex, word, &env, &res, &err) == 0)
		shell_result_release(&res);
	cb_error_free(&err);
	cb_strvec_clear(&env);
	free(word);
	return 0;
}
