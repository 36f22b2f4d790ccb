/*
 * fuzz_dockerfile.c - the Dockerfile parser on arbitrary bytes: the AST
 * layer with its dump, the typed layer in both whole-file and fragment
 * modes, and parseWords.  Any crash, leak or UB report is a bug.
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
	struct cb_error *err = NULL;
	struct cb_strbuf out = CB_STRBUF_INIT;
	struct df_ast *ast;
	struct dockerfile *df;

	ast = df_parse_ast("Dockerfile", (const char *)data, size, &err);
	if (ast) {
		df_ast_dump(ast, &out);
		df_ast_free(ast);
	}
	cb_error_free(&err);
	df = dockerfile_parse("Dockerfile", (const char *)data, size, &err);
	dockerfile_free(df);
	cb_error_free(&err);
	df = dockerfile_parse_fragment("Dockerfile", (const char *)data, size, &err);
	dockerfile_free(df);
	cb_error_free(&err);
	if (size < 4096) {
		struct cb_strvec words = CB_STRVEC_INIT;
		char *s = xstrndup((const char *)data, size);

		df_parse_words(s, size && data[0] == '`' ? '`' : '\\', &words);
		cb_strvec_clear(&words);
		free(s);
	}
	cb_strbuf_release(&out);
	return 0;
}
