/*
 * dump.c - BuildKit's Node.Dump() (the s-expression form the parser tests
 * compare byte for byte) and parseWords, the quote-keeping word splitter
 * used by ENV, LABEL and ARG.
 */
#include <stdlib.h>
#include <string.h>

#include "parser-internal.h"
#include "utf8.h"

static void dump_node(const struct df_node *node, struct cb_strbuf *out)
{
	size_t start = out->len;
	char *lower = df_lower(node->value);

	cb_strbuf_addstr(out, lower);
	free(lower);
	if (node->flags.n) {
		/* fmt's %q of a []string: ["--a" "--b"] */
		cb_strbuf_addstr(out, " [");
		for (size_t i = 0; i < node->flags.n; i++) {
			if (i)
				cb_strbuf_addch(out, ' ');
			cb_strbuf_add_goquote(out, node->flags.v[i], strlen(node->flags.v[i]));
		}
		cb_strbuf_addch(out, ']');
	}
	for (size_t i = 0; i < node->nchildren; i++) {
		cb_strbuf_addch(out, '(');
		dump_node(node->children[i], out);
		cb_strbuf_addstr(out, ")\n");
	}
	for (const struct df_node *n = node->next; n; n = n->next) {
		cb_strbuf_addch(out, ' ');
		if (n->nchildren)
			dump_node(n, out);
		else
			cb_strbuf_add_goquote(out, n->value, n->value_len);
	}
	/* Dump() returns strings.TrimSpace of what it built */
	{
		char *trimmed = df_trim_space(out->buf + start, out->len - start);

		cb_strbuf_setlen(out, start);
		cb_strbuf_addstr(out, trimmed);
		free(trimmed);
	}
}

void df_node_dump(const struct df_node *node, struct cb_strbuf *out)
{
	dump_node(node, out);
}

void df_ast_dump(const struct df_ast *ast, struct cb_strbuf *out)
{
	for (size_t i = 0; i < ast->root->nchildren; i++) {
		cb_strbuf_addch(out, '(');
		dump_node(ast->root->children[i], out);
		cb_strbuf_addstr(out, ")\n");
	}
}

void df_parse_words(const char *rest, int escape, struct cb_strvec *out)
{
	enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
	struct cb_strbuf w = CB_STRBUF_INIT;
	size_t len = strlen(rest), pos, width = 0;
	bool blank_ok = false;
	uint32_t ch = 0, quote = 0;

	for (pos = 0; pos <= len; pos += width) {
		if (pos != len)
			width = cb_utf8_decode(rest + pos, len - pos, &ch);
		if (phase == IN_SPACES) {
			if (pos == len)
				break;
			if (cb_rune_is_space(ch))
				continue;
			phase = IN_WORD;
		}
		if (pos == len) {
			if (blank_ok || w.len)
				cb_strvec_push(out, w.buf);
			break;
		}
		if (phase == IN_WORD) {
			if (cb_rune_is_space(ch)) {
				phase = IN_SPACES;
				if (blank_ok || w.len)
					cb_strvec_push(out, w.buf);
				cb_strbuf_reset(&w);
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = IN_QUOTE;
			}
			if (ch == (uint32_t)escape) {
				if (pos + width == len)
					continue; /* an escape at the very end is dropped */
				/* outside quotes the escape and the next char are both kept */
				cb_strbuf_add_rune(&w, ch);
				pos += width;
				width = cb_utf8_decode(rest + pos, len - pos, &ch);
			}
			cb_strbuf_add_rune(&w, ch);
			continue;
		}
		/* IN_QUOTE */
		if (ch == quote)
			phase = IN_WORD;
		if (ch == (uint32_t)escape && quote != '\'') {
			if (pos + width == len) {
				phase = IN_WORD;
				continue;
			}
			pos += width;
			cb_strbuf_add_rune(&w, ch);
			width = cb_utf8_decode(rest + pos, len - pos, &ch);
		}
		cb_strbuf_add_rune(&w, ch);
	}
	cb_strbuf_release(&w);
}
