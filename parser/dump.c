/*
 * dump.c - BuildKit's Node.Dump(): the s-expression form the parser tests
 * compare byte for byte.
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
