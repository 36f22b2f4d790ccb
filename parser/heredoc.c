/*
 * heredoc.c - recognising heredoc words (`<<EOF`, `<<-'EOF'`, `3<<X`) on an
 * instruction line, as BuildKit's heredocsFromLine and ParseHeredoc do.
 * The bodies themselves are read by ast.c.
 */
#include <limits.h>
#include <string.h>

#include "parser-internal.h"
#include "xalloc.h"

static size_t count_quotes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\'' || *s == '"';
	return n;
}

/* The delimiter's words with and without quote removal; -1 on a lexing error. */
static int lex_delimiter(const char *rest, bool raw_quotes, struct cb_strvec *out,
			 struct cb_error **err)
{
	struct shell_lex lex = SHELL_LEX_INIT;
	struct cb_strvec env = CB_STRVEC_INIT;

	lex.skip_unset_env = true;
	lex.raw_quotes = raw_quotes;
	return shell_expand_words(&lex, rest, &env, out, err);
}

int df_parse_heredoc_word(const char *word, struct df_heredoc *doc, struct cb_error **err)
{
	struct cb_strvec words = CB_STRVEC_INIT, raw = CB_STRVEC_INIT;
	unsigned long long fd = 0;
	const char *p = word, *rest;
	bool chomp;
	int rc = 0;

	/* ^(\d*)<<(-?)\s*([^<]*)$ (\s: Go's ASCII class) */
	while (*p >= '0' && *p <= '9') {
		fd = fd > (ULLONG_MAX - 9) / 10 ? ULLONG_MAX : fd * 10 + (unsigned)(*p - '0');
		p++;
	}
	if (p[0] != '<' || p[1] != '<')
		return 0;
	p += 2;
	chomp = *p == '-';
	rest = p + chomp;
	rest += strspn(rest, " \t\n\f\r");
	if (!*rest || strchr(rest, '<'))
		return 0;
	if (lex_delimiter(rest, false, &words, err) < 0)
		return -1;
	if (words.n != 1)
		goto out;
	if (lex_delimiter(rest, true, &raw, err) < 0) {
		rc = -1;
		goto out;
	}
	if (raw.n != words.n) {
		rc = cb_error_set(err, 0,
				  "internal lexing of heredoc produced inconsistent results: %s",
				  rest);
		goto out;
	}
	memset(doc, 0, sizeof(*doc));
	doc->name = xstrdup(words.v[0]);
	doc->content = xstrdup("");
	doc->fd = fd > UINT_MAX ? UINT_MAX : (unsigned)fd;
	doc->chomp = chomp;
	doc->expand = count_quotes(words.v[0]) == count_quotes(raw.v[0]);
	rc = 1;
out:
	cb_strvec_clear(&words);
	cb_strvec_clear(&raw);
	return rc;
}

int df_heredocs_from_line(const char *line, struct df_heredoc **docs, size_t *n,
			  struct cb_error **err)
{
	struct shell_lex lex = SHELL_LEX_INIT;
	struct cb_strvec env = CB_STRVEC_INIT, words = CB_STRVEC_INIT;
	struct cb_error *ignored = NULL;
	int rc = 0;

	lex.raw_quotes = true;
	lex.raw_escapes = true;
	lex.skip_unset_env = true;
	/*
	 * BuildKit ignores a lexing failure here: the line then has no
	 * heredocs.  The lexer keeps `<<  EOF` in one word (shellword.c).
	 */
	if (shell_expand_words(&lex, line, &env, &words, &ignored) < 0)
		cb_error_free(&ignored);
	for (size_t i = 0; i < words.n; i++) {
		struct df_heredoc doc;
		int r = df_parse_heredoc_word(words.v[i], &doc, err);

		if (r < 0) {
			rc = -1;
			break;
		}
		if (r == 0)
			continue;
		*docs = xrealloc(*docs, (*n + 1) * sizeof(**docs));
		(*docs)[(*n)++] = doc;
	}
	cb_strvec_clear(&words);
	return rc;
}

char *df_chomp_heredoc(const char *content)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	bool bol = true;

	for (const char *p = content; *p; p++) {
		if (bol && *p == '\t')
			continue;
		bol = *p == '\n';
		cb_strbuf_addch(&sb, *p);
	}
	return cb_strbuf_detach(&sb, NULL);
}
