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
#include "shellword_input.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shell_lex lex = SHELL_LEX_INIT;
	struct cb_strvec env = CB_STRVEC_INIT;
	struct shell_result res;
	struct cb_error *err = NULL;
	char *word;

	if (size < 1)
		return 0;
	shellword_input_decode((const char *)data, size, &lex, &word, &env);
	/* the limit's logic with small strings: 4 MiB ones make each run slow */
	lex.max_result = 64u << 10;
	memset(&res, 0, sizeof(res));
	if (shell_expand(&lex, word, &env, &res, &err) == 0)
		shell_result_release(&res);
	cb_error_free(&err);
	cb_strvec_clear(&env);
	free(word);
	return 0;
}
