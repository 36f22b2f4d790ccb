/*
 * ast.c - the Dockerfile reader: physical lines to an AST of instructions.
 *
 * Follows BuildKit's parser.Parse: a leading block of parser directives
 * (syntax, escape, check), comment and blank lines skipped, lines joined on
 * the escape character, comment and empty lines inside a continuation
 * dropped (the latter with a warning), heredoc bodies collected after the
 * line that announces them.  Line numbers are 1-based and inclusive.
 */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "parser-internal.h"
#include "utf8.h"
#include "xalloc.h"

/* A cursor over the physical lines of the file (BuildKit's scanLines). */
struct line_reader {
	const char *buf;
	size_t len, pos;
	const char *line; /* the current line, with its line ending */
	size_t line_len;
	bool too_long;
};

static bool next_line(struct line_reader *r)
{
	const char *nl;
	size_t n;

	if (r->pos >= r->len || r->too_long)
		return false;
	nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
	n = nl ? (size_t)(nl - (r->buf + r->pos)) + 1 : r->len - r->pos;
	/* bufio.Scanner refuses a token that does not fit its 64 KiB buffer. */
	if (n > DF_MAX_LINE + 1 || (!nl && n > DF_MAX_LINE)) {
		r->too_long = true;
		return false;
	}
	r->line = r->buf + r->pos;
	r->line_len = n;
	r->pos += n;
	return true;
}

/* trimNewline: drop every trailing '\r' and '\n'. */
static size_t trim_newline(const char *s, size_t len)
{
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return len;
}

static bool is_comment(const char *s, size_t len)
{
	size_t sp = df_leading_space(s, len);

	return sp < len && s[sp] == '#';
}

/*
 * possibleParserDirective: `#key=value` lines at the top of the file.
 * Returns 1 when line is a directive, 0 when not, -1 on error.
 */
static int parse_directive(struct df_directives *d, const char *s, size_t len,
			   struct cb_error **err)
{
	size_t k0, k1, v0, v1;
	bool *seen;
	char **slot = NULL;
	cleanup_free char *key = NULL;

	if (d->done)
		return 0;
	if (!len || s[0] != '#') {
		d->done = true;
		return 0;
	}
	k0 = 1 + df_leading_space(s + 1, len - 1);
	/* ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ with Go's ASCII \s */
	k1 = k0;
	if (k1 < len && ((s[k1] | 0x20) >= 'a' && (s[k1] | 0x20) <= 'z')) {
		while (k1 < len && (((s[k1] | 0x20) >= 'a' && (s[k1] | 0x20) <= 'z') ||
				    (s[k1] >= '0' && s[k1] <= '9')))
			k1++;
	}
	v0 = k1;
	while (v0 < len && strchr(" \t\n\f\r", s[v0]) && s[v0])
		v0++;
	if (k1 == k0 || v0 >= len || s[v0] != '=') {
		d->done = true;
		return 0;
	}
	v0++;
	while (v0 < len && strchr(" \t\n\f\r", s[v0]) && s[v0])
		v0++;
	v1 = len;
	while (v1 > v0 && strchr(" \t\n\f\r", s[v1 - 1]) && s[v1 - 1])
		v1--;
	/*
	 * `=\s*(.+?)` needs at least one character of value: when only blanks
	 * follow the '=', the regexp backtracks and the value is the last one.
	 */
	if (v0 == len && s[len - 1] != '=')
		v0 = len - 1;
	else if (v0 == len)
		v1 = v0;
	if (v1 == v0) {
		d->done = true;
		return 0;
	}
	key = xstrndup(s + k0, k1 - k0);
	for (char *p = key; *p; p++)
		*p = (char)(*p | 0x20);
	if (!strcmp(key, "syntax")) {
		seen = &d->seen_syntax;
		slot = &d->syntax;
	} else if (!strcmp(key, "check")) {
		seen = &d->seen_check;
		slot = &d->check;
	} else if (!strcmp(key, "escape")) {
		seen = &d->seen_escape;
	} else {
		d->done = true;
		return 0;
	}
	if (*seen)
		return cb_error_set(err, 0, "only one %s parser directive can be used", key);
	*seen = true;
	if (slot) {
		*slot = xstrndup(s + v0, v1 - v0);
		return 1;
	}
	if (v1 - v0 != 1 || (s[v0] != '\\' && s[v0] != '`'))
		return cb_error_set(err, 0, "invalid escape token '%.*s' does not match ` or \\",
				    (int)(v1 - v0), s + v0);
	d->escape = s[v0];
	return 1;
}

/*
 * trimContinuationCharacter: a line continues when it ends with the escape
 * token (and optional blanks) that is not itself escaped.  Returns the
 * length to keep, and sets *cont.
 */
static size_t trim_continuation(const char *s, size_t len, int escape, bool *cont)
{
	size_t end = len;

	while (end && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	*cont = end && s[end - 1] == escape && (end == 1 || s[end - 2] != escape);
	return *cont ? end - 1 : len;
}

struct parse_state {
	const char *name;
	struct line_reader rd;
	struct df_directives d;
	struct df_ast *ast;
	struct cb_strvec comments;
	int line; /* lines consumed so far */
};

static void add_warning(struct parse_state *ps, int line, char *msg)
{
	struct df_ast *ast = ps->ast;

	ast->warnings = xrealloc(ast->warnings, (ast->nwarnings + 1) * sizeof(*ast->warnings));
	ast->warnings[ast->nwarnings].line = line;
	ast->warnings[ast->nwarnings].msg = msg;
	ast->nwarnings++;
}

static int located(struct parse_state *ps, int line, struct cb_error **err)
{
	cb_error_wrap(err, "%s:%d", ps->name, line > 0 ? line : 1);
	if (*err)
		(*err)->line = line > 0 ? line : 1;
	return -1;
}

/* Process one physical line: strip newline (and leading blanks), check directives. */
static int process_line(struct parse_state *ps, const char *s, size_t len, bool strip_left,
			size_t *off, size_t *out_len, struct cb_error **err)
{
	size_t start = 0;
	int is_dir;

	len = trim_newline(s, len);
	if (strip_left)
		start = df_leading_space(s, len);
	is_dir = parse_directive(&ps->d, s + start, len - start, err);
	if (is_dir < 0)
		return -1;
	*off = start;
	*out_len = is_comment(s + start, len - start) ? 0 : len - start;
	return is_dir;
}

static void track_comment(struct parse_state *ps, const char *s, size_t len)
{
	cleanup_free char *c = NULL;

	if (!is_comment(s, len))
		return;
	/* BuildKit takes the text after the line's first byte, then trims. */
	c = df_trim_space(s + 1, len - 1);
	if (!*c) {
		cb_strvec_clear(&ps->comments);
		return;
	}
	cb_strvec_push_take(&ps->comments, steal_pointer(&c));
}

/*
 * A NUL byte in an instruction or a heredoc body.  BuildKit takes it as an
 * ordinary byte, and nothing can use it (exec, paths and references refuse
 * it); a file holding NULs is binary or UTF-16.  Say so, rather than cut
 * the text at the NUL.  (Comment lines may hold them: they are dropped.)
 */
static int nul_byte(struct parse_state *ps, int line, struct cb_error **err)
{
	cb_error_set(err, 0,
		     "NUL byte in the Dockerfile (is it UTF-16 or binary? it must be UTF-8 text)");
	return located(ps, line, err);
}

/* bufio.Scanner's ErrTooLong, located at the line that did not fit. */
static int too_long(struct parse_state *ps, struct cb_error **err)
{
	cb_error_set(err, 0, "dockerfile line greater than max allowed size of %d", DF_MAX_LINE);
	return located(ps, ps->line + 1, err);
}

/* Read the bodies of the heredocs announced by child's line. */
static int read_heredocs(struct parse_state *ps, struct df_node *child, const char *line, int start,
			 struct cb_error **err)
{
	if (!df_node_can_contain_heredoc(child) || !strstr(line, "<<"))
		return 0;
	if (df_heredocs_from_line(line, &child->heredocs, &child->nheredocs, err) < 0)
		return located(ps, start, err);
	for (size_t i = 0; i < child->nheredocs; i++) {
		struct df_heredoc *h = &child->heredocs[i];
		struct cb_strbuf body = CB_STRBUF_INIT;
		size_t nlen = strlen(h->name);
		bool terminated = false;

		while (next_line(&ps->rd)) {
			const char *s = ps->rd.line;
			size_t len = trim_newline(s, ps->rd.line_len);

			ps->line++;
			if (h->chomp)
				while (len && *s == '\t')
					s++, len--;
			if (len == nlen && !memcmp(s, h->name, nlen)) {
				terminated = true;
				break;
			}
			if (memchr(ps->rd.line, '\0', ps->rd.line_len)) {
				cb_strbuf_release(&body);
				return nul_byte(ps, ps->line, err);
			}
			cb_strbuf_add(&body, ps->rd.line, ps->rd.line_len);
		}
		free(h->content);
		h->content = cb_strbuf_detach(&body, NULL);
		if (!terminated && ps->rd.too_long)
			return too_long(ps, err);
		if (!terminated) {
			cb_error_set(err, 0, "unterminated heredoc");
			return located(ps, start, err);
		}
	}
	return 0;
}

static void add_child(struct df_node *root, struct df_node *child, int start, int end)
{
	child->start_line = start;
	child->end_line = end;
	if (root->start_line < 0)
		root->start_line = start;
	root->end_line = end;
	root->children = xrealloc(root->children, (root->nchildren + 1) * sizeof(*root->children));
	root->children[root->nchildren++] = child;
}

/* Join the continuation lines of one instruction onto line; returns warnings flag. */
static int join_continuations(struct parse_state *ps, struct cb_strbuf *line, bool cont,
			      bool *empty_cont, struct cb_error **err)
{
	while (cont && next_line(&ps->rd)) {
		const char *s = ps->rd.line;
		size_t off, len;

		if (process_line(ps, s, ps->rd.line_len, false, &off, &len, err) < 0)
			return located(ps, ps->line + 1, err);
		ps->line++;
		if (is_comment(s, ps->rd.line_len))
			continue;
		if (df_leading_space(s + off, len) == len) {
			*empty_cont = true;
			continue;
		}
		len = trim_continuation(s + off, len, ps->d.escape, &cont);
		cb_strbuf_add(line, s + off, len);
	}
	return 0;
}

/* One instruction starting at the current physical line; 0 when it was blank. */
static int parse_instruction(struct parse_state *ps, struct cb_error **err)
{
	struct cb_strbuf line = CB_STRBUF_INIT;
	const char *s = ps->rd.line;
	size_t slen = ps->rd.line_len, off, len;
	bool cont, empty_cont = false;
	struct df_node *child;
	int start, is_dir;

	if (ps->line == 0 && slen >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		s += 3, slen -= 3;
	track_comment(ps, s, slen);
	is_dir = process_line(ps, s, slen, true, &off, &len, err);
	if (is_dir < 0)
		return located(ps, ps->line + 1, err);
	if (is_dir > 0 && ps->comments.n) {
		free(ps->comments.v[--ps->comments.n]);
		ps->comments.v[ps->comments.n] = NULL;
	}
	start = ++ps->line;
	len = trim_continuation(s + off, len, ps->d.escape, &cont);
	if (!cont && len == 0)
		return 0;
	cb_strbuf_add(&line, s + off, len);
	if (join_continuations(ps, &line, cont, &empty_cont, err) < 0)
		goto fail;
	if (ps->rd.too_long) {
		/* report the long line, not whatever its cut-off instruction says */
		too_long(ps, err);
		goto fail;
	}
	if (memchr(line.buf, '\0', line.len)) {
		nul_byte(ps, start, err);
		goto fail;
	}
	if (empty_cont)
		/* BuildKit's Warning.Short, word for word */
		add_warning(ps, ps->line,
			    xasprintf("Empty continuation line found in: %s", line.buf));
	child = df_node_from_line(line.buf, &ps->d, &ps->comments, err);
	if (!child) {
		located(ps, start, err);
		goto fail;
	}
	if (read_heredocs(ps, child, line.buf, start, err) < 0) {
		df_node_free(child);
		goto fail;
	}
	add_child(ps->ast->root, child, start, ps->line);
	cb_strvec_clear(&ps->comments);
	cb_strbuf_release(&line);
	return 0;
fail:
	cb_strbuf_release(&line);
	return -1;
}

struct df_ast *df_parse_ast(const char *name, const char *buf, size_t len, struct cb_error **err)
{
	struct parse_state ps = {.name = name, .rd = {.buf = buf, .len = len}};
	struct df_ast *ast = xcalloc(1, sizeof(*ast));

	ps.d.escape = '\\';
	ps.ast = ast;
	ast->root = df_node_new("");
	ast->root->start_line = -1;
	while (next_line(&ps.rd)) {
		if (parse_instruction(&ps, err) < 0)
			goto fail;
	}
	if (ps.rd.too_long) {
		too_long(&ps, err);
		goto fail;
	}
	if (ast->root->start_line < 0) {
		cb_error_set(err, 0, "file with no instructions");
		located(&ps, ps.line, err);
		goto fail;
	}
	ast->escape = ps.d.escape;
	ast->syntax = steal_pointer(&ps.d.syntax);
	ast->check = steal_pointer(&ps.d.check);
	cb_strvec_clear(&ps.comments);
	return ast;
fail:
	free(ps.d.syntax);
	free(ps.d.check);
	cb_strvec_clear(&ps.comments);
	df_ast_free(ast);
	return NULL;
}

struct df_node *df_node_newn(const char *value, size_t len)
{
	struct df_node *n = xcalloc(1, sizeof(*n));

	n->value = xmalloc(len + 1);
	memcpy(n->value, value, len);
	n->value[len] = '\0';
	n->value_len = len;
	return n;
}

struct df_node *df_node_new(const char *value)
{
	return df_node_newn(value, strlen(value));
}

void df_heredoc_release(struct df_heredoc *doc)
{
	free(doc->name);
	free(doc->content);
	doc->name = doc->content = NULL;
}

void df_node_free(struct df_node *node)
{
	while (node) {
		struct df_node *next = node->next;

		for (size_t i = 0; i < node->nchildren; i++)
			df_node_free(node->children[i]);
		free(node->children);
		for (size_t i = 0; i < node->nheredocs; i++)
			df_heredoc_release(&node->heredocs[i]);
		free(node->heredocs);
		free(node->value);
		free(node->original);
		cb_strvec_clear(&node->flags);
		cb_strvec_clear(&node->prev_comment);
		free(node);
		node = next;
	}
}

void df_ast_free(struct df_ast *ast)
{
	if (!ast)
		return;
	df_node_free(ast->root);
	for (size_t i = 0; i < ast->nwarnings; i++)
		free(ast->warnings[i].msg);
	free(ast->warnings);
	free(ast->syntax);
	free(ast->check);
	free(ast);
}
