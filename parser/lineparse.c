/*
 * lineparse.c - one logical line to an instruction node (BuildKit's
 * newNodeFromLine, splitCommand, extractBuilderFlags and line_parsers.go).
 *
 * Each instruction has its own argument syntax: JSON-or-shell (RUN, CMD,
 * ENTRYPOINT, SHELL), JSON-or-whitespace list (ADD, COPY, VOLUME),
 * whitespace list (FROM, EXPOSE), key/value (ENV, LABEL), words (ARG), a
 * single string (USER, WORKDIR, ...), a nested instruction (ONBUILD).
 */
#include <string.h>

#include <jansson.h>

#include "cleanup.h"
#include "parser-internal.h"
#include "utf8.h"
#include "xalloc.h"

CB_DEFINE_CLEANUP(json_t, json_decref)

size_t df_leading_space(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t r;
		size_t w = cb_utf8_decode(s + i, len - i, &r);

		if (!cb_rune_is_space(r))
			break;
		i += w;
	}
	return i;
}

/* Length of s[0:len] once trailing Unicode white space is removed. */
static size_t trailing_trim(const char *s, size_t len)
{
	while (len) {
		size_t start = len - 1;
		uint32_t r;

		/* step back to the start of the last rune (at most 4 bytes) */
		while (start > 0 && len - start < 4 && ((unsigned char)s[start] & 0xC0) == 0x80)
			start--;
		if (cb_utf8_decode(s + start, len - start, &r) != len - start)
			start = len - 1, r = CB_RUNE_ERROR;
		if (!cb_rune_is_space(r))
			break;
		len = start;
	}
	return len;
}

char *df_trim_space(const char *s, size_t len)
{
	size_t lead = df_leading_space(s, len);

	return xstrndup(s + lead, trailing_trim(s + lead, len - lead));
}

/* Go's strings.Map(f, s): invalid UTF-8 becomes U+FFFD, as strings.Map makes it. */
static char *map_runes(const char *s, uint32_t (*f)(uint32_t))
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		uint32_t r;
		size_t w = cb_utf8_decode(s + i, len - i, &r);

		cb_strbuf_add_rune(&sb, f(r));
		i += w;
	}
	return cb_strbuf_detach(&sb, NULL);
}

/*
 * Go's strings.ToLower (instruction names, mount keys, stage names): each
 * rune through unicode.ToLower, so "HEALTHCHEC\u212A" (KELVIN SIGN) names
 * HEALTHCHECK and the AST dump of "ÉCHO" reads "écho", as in BuildKit.
 */
char *df_lower(const char *s)
{
	return map_runes(s, cb_rune_to_lower);
}

/*
 * Go's strings.ToUpper (ONBUILD triggers, HEALTHCHECK types, suggestions):
 * each rune through unicode.ToUpper, so U+0131 and U+017F become 'I' and
 * 'S' as in Go.
 */
char *df_upper(const char *s)
{
	return map_runes(s, cb_rune_to_upper);
}

/* Go's unicode.IsSpace(rune(b)) on one byte, as the byte-wise scanners use it. */
#define BYTE_SPACE(c) df_byte_is_space((unsigned char)(c))

/* tokenWhitespace / reWhitespace: [\t\v\f\r ] */
static bool is_token_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* Go's `word += string(rune(b))`: bytes >= 0x80 are taken as Latin-1 runes. */
static void add_byte_rune(struct cb_strbuf *w, unsigned char c)
{
	cb_strbuf_add_rune(w, c);
}

/*
 * extractBuilderFlags: leading "--flag[=value]" words, with quotes and
 * the escape token (the directive's, as BuildKit's splitCommand takes it)
 * processed; "--" ends the flags.  Returns the offset of the remaining
 * arguments in line (strlen(line) when none remain).
 */
static size_t extract_flags(const char *line, int escape, struct cb_strvec *flags)
{
	enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
	struct cb_strbuf w = CB_STRBUF_INIT;
	size_t len = strlen(line), pos;
	bool blank_ok = false;
	char quote = 0;

	for (pos = 0; pos <= len; pos++) {
		char ch = pos < len ? line[pos] : 0;

		if (phase == IN_SPACES) {
			if (pos == len)
				break;
			if (BYTE_SPACE(ch))
				continue;
			if (ch != '-' || pos + 1 == len || line[pos + 1] != '-')
				goto out;
			phase = IN_WORD;
		}
		if (pos == len) {
			if (strcmp(w.buf, "--") && (blank_ok || w.len))
				cb_strvec_push(flags, w.buf);
			break;
		}
		if (phase == IN_WORD) {
			if (BYTE_SPACE(ch)) {
				phase = IN_SPACES;
				if (!strcmp(w.buf, "--"))
					goto out;
				if (blank_ok || w.len)
					cb_strvec_push(flags, w.buf);
				cb_strbuf_reset(&w);
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = IN_QUOTE;
				continue;
			}
		} else if (ch == quote) {
			phase = IN_WORD;
			continue;
		}
		if (ch == escape) {
			if (pos + 1 == len) {
				phase = IN_WORD;
				continue;
			}
			ch = line[++pos];
		}
		add_byte_rune(&w, (unsigned char)ch);
	}
	pos = len;
out:
	cb_strbuf_release(&w);
	return pos;
}

/* parseStringsWhitespaceDelimited */
static struct df_node *parse_ws_list(const char *rest)
{
	struct df_node *head = NULL, **tail = &head;
	const char *p = rest;

	if (!*rest)
		return NULL;
	for (;;) {
		size_t n = 0;

		while (p[n] && !is_token_ws(p[n]))
			n++;
		*tail = df_node_newn(p, n);
		tail = &(*tail)->next;
		p += n;
		if (!*p)
			break;
		while (is_token_ws(*p))
			p++;
		if (!*p) {
			/* regexp.Split keeps the empty field after a trailing separator */
			*tail = df_node_new("");
			break;
		}
	}
	return head;
}

/* The value of the 4 hex digits at s, or -1. */
static long hex4(const char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v * 16 + ((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return v;
}

/*
 * Length of the escape at s (s[0] == '\\'), appending what jansson should
 * read instead: Go's decoder turns a \u escape of a lone UTF-16 surrogate
 * into U+FFFD where jansson would reject the whole array.
 */
static size_t json_escape(const char *s, struct cb_strbuf *sb)
{
	long hi, lo;

	if (s[1] != 'u' || (hi = hex4(s + 2)) < 0 || hi < 0xD800 || hi > 0xDFFF) {
		size_t n = s[1] ? 2 : 1;

		cb_strbuf_add(sb, s, n);
		return n;
	}
	if (hi <= 0xDBFF && s[6] == '\\' && s[7] == 'u' && (lo = hex4(s + 8)) >= 0xDC00 &&
	    lo <= 0xDFFF) {
		cb_strbuf_add(sb, s, 12);
		return 12;
	}
	cb_strbuf_addstr(sb, "\\ufffd");
	return 6;
}

/*
 * The text jansson should parse for Go's encoding/json: invalid UTF-8 becomes
 * U+FFFD, as do escaped lone surrogates.
 */
static char *go_json_text(const char *s)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		uint32_t r;
		size_t w;

		if (s[i] == '\\') {
			i += json_escape(s + i, &sb);
			continue;
		}
		w = cb_utf8_decode(s + i, len - i, &r);
		if (r == CB_RUNE_ERROR && w == 1)
			cb_strbuf_add_rune(&sb, CB_RUNE_ERROR);
		else
			cb_strbuf_add(&sb, s + i, w);
		i += w;
	}
	return cb_strbuf_detach(&sb, NULL);
}

/*
 * parseJSON: 1 and *out when rest is a JSON array of strings, 0 when it is
 * not JSON at all (the caller falls back to shell form), -1 when it is a JSON
 * array holding something other than strings (an error in BuildKit too).
 */
static int parse_json(const char *rest, struct df_node **out, struct cb_error **err)
{
	cleanup_free char *clean = NULL;
	cleanup_fn(json_decref) json_t *arr = NULL;
	struct df_node *head = NULL, **tail = &head;
	json_error_t jerr;
	size_t i;
	json_t *v;

	rest += df_leading_space(rest, strlen(rest));
	if (*rest != '[')
		return 0;
	clean = go_json_text(rest);
	/*
	 * json.Unmarshal: only white space may follow the array (`["a"] b` is
	 * the shell form); numbers decode as float64, so no integer is "too big".
	 */
	arr = json_loads(clean, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);
	if (!arr || !json_is_array(arr))
		return 0;
	json_array_foreach (arr, i, v) {
		if (!json_is_string(v)) {
			df_node_free(head);
			return cb_error_set(
				err, 0,
				"when using JSON array syntax, arrays must be comprised "
				"of strings only");
		}
		*tail = df_node_newn(json_string_value(v), json_string_length(v));
		tail = &(*tail)->next;
	}
	*out = head;
	return 1;
}

/* parseMaybeJSON (list=false) and parseMaybeJSONToList (list=true). */
static int parse_maybe_json(const char *rest, bool list, struct df_node **out, bool *json,
			    struct cb_error **err)
{
	int r;

	if (!list && !*rest) {
		*out = NULL;
		return 0;
	}
	r = parse_json(rest, out, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		*json = true;
		return 0;
	}
	*out = list ? parse_ws_list(rest) : df_node_new(rest);
	return 0;
}

/* HEALTHCHECK: the type word, then like parseMaybeJSON. */
static int parse_health(const char *rest, struct df_node **out, bool *json, struct cb_error **err)
{
	size_t sep = 0, next;
	struct df_node *cmd = NULL;

	while (rest[sep] && !BYTE_SPACE(rest[sep]))
		sep++;
	next = sep;
	while (rest[next] && BYTE_SPACE(rest[next]))
		next++;
	*out = NULL;
	if (sep == 0)
		return 0;
	if (parse_maybe_json(rest + next, false, &cmd, json, err) < 0)
		return -1;
	*out = df_node_newn(rest, sep);
	(*out)->next = cmd;
	return 0;
}

static void append_kv(struct df_node ***tail, const char *k, size_t klen, const char *v,
		      const char *sep)
{
	struct df_node *n = df_node_newn(k, klen);

	n->next = df_node_new(v);
	n->next->next = df_node_new(sep);
	**tail = n;
	*tail = &n->next->next->next;
}

/* parseNameVal: ENV and LABEL, `KEY value` or `K=V K2=V2`. */
static int parse_name_val(const char *rest, const char *cmd, int escape, struct df_node **out,
			  struct cb_error **err)
{
	struct cb_strvec words = CB_STRVEC_INIT;
	struct df_node *head = NULL, **tail = &head;
	int rc = 0;

	df_parse_words(rest, escape, &words);
	*out = NULL;
	if (!words.n)
		return 0;
	if (!strchr(words.v[0], '=')) {
		size_t k = 0, v;

		while (rest[k] && !is_token_ws(rest[k]))
			k++;
		v = k;
		while (is_token_ws(rest[v]))
			v++;
		if (!rest[k]) {
			rc = cb_error_set(err, 0, "%s must have two arguments", cmd);
			goto out;
		}
		append_kv(&tail, rest, k, rest + v, "");
		*out = head;
		goto out;
	}
	for (size_t i = 0; i < words.n; i++) {
		const char *eq = strchr(words.v[i], '=');

		if (!eq) {
			struct cb_strbuf q = CB_STRBUF_INIT;

			cb_strbuf_add_goquote(&q, words.v[i], strlen(words.v[i]));
			cb_error_set(err, 0,
				     "Syntax error - can't find = in %s. Must be of the form: "
				     "name=value",
				     q.buf);
			cb_strbuf_release(&q);
			df_node_free(head);
			rc = -1;
			goto out;
		}
		append_kv(&tail, words.v[i], (size_t)(eq - words.v[i]), eq + 1, "=");
	}
	*out = head;
out:
	cb_strvec_clear(&words);
	return rc;
}

/* parseNameOrNameVal: ARG, one node per word. */
static struct df_node *parse_name_or_name_val(const char *rest, int escape)
{
	struct cb_strvec words = CB_STRVEC_INIT;
	struct df_node *head = NULL, **tail = &head;

	df_parse_words(rest, escape, &words);
	for (size_t i = 0; i < words.n; i++) {
		*tail = df_node_new(words.v[i]);
		tail = &(*tail)->next;
	}
	cb_strvec_clear(&words);
	return head;
}

enum line_syntax {
	SYN_IGNORE,
	SYN_JSON,      /* parseMaybeJSON */
	SYN_JSON_LIST, /* parseMaybeJSONToList */
	SYN_WS_LIST,
	SYN_STRING,
	SYN_ENV,
	SYN_LABEL,
	SYN_ARG,
	SYN_HEALTH,
	SYN_ONBUILD,
};

static enum line_syntax syntax_of(const char *lower)
{
	static const struct {
		const char *name;
		enum line_syntax syn;
	} table[] = {
		{"add", SYN_JSON_LIST},	 {"arg", SYN_ARG},	     {"cmd", SYN_JSON},
		{"copy", SYN_JSON_LIST}, {"entrypoint", SYN_JSON},   {"env", SYN_ENV},
		{"expose", SYN_WS_LIST}, {"from", SYN_WS_LIST},	     {"healthcheck", SYN_HEALTH},
		{"label", SYN_LABEL},	 {"maintainer", SYN_STRING}, {"onbuild", SYN_ONBUILD},
		{"run", SYN_JSON},	 {"shell", SYN_JSON},	     {"stopsignal", SYN_STRING},
		{"user", SYN_STRING},	 {"volume", SYN_JSON_LIST},  {"workdir", SYN_STRING},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].name, lower))
			return table[i].syn;
	return SYN_IGNORE;
}

static int parse_args(enum line_syntax syn, const char *args, const struct df_directives *d,
		      struct df_node **next, bool *json, struct cb_error **err)
{
	struct df_node *child;

	*next = NULL;
	switch (syn) {
	case SYN_IGNORE:
		*next = df_node_new("");
		return 0;
	case SYN_JSON:
	case SYN_JSON_LIST:
		return parse_maybe_json(args, syn == SYN_JSON_LIST, next, json, err);
	case SYN_WS_LIST:
		*next = parse_ws_list(args);
		return 0;
	case SYN_STRING:
		*next = *args ? df_node_new(args) : NULL;
		return 0;
	case SYN_ENV:
		return parse_name_val(args, "ENV", d->escape, next, err);
	case SYN_LABEL:
		return parse_name_val(args, "LABEL", d->escape, next, err);
	case SYN_ARG:
		*next = parse_name_or_name_val(args, d->escape);
		return 0;
	case SYN_HEALTH:
		return parse_health(args, next, json, err);
	case SYN_ONBUILD:
		if (!*args)
			return 0;
		child = df_node_from_line(args, d, NULL, err);
		if (!child)
			return -1;
		*next = df_node_new("");
		(*next)->children = xmalloc(sizeof(*(*next)->children));
		(*next)->children[0] = child;
		(*next)->nchildren = 1;
		return 0;
	}
	return 0;
}

struct df_node *df_node_from_line(const char *line, const struct df_directives *d,
				  const struct cb_strvec *comments, struct cb_error **err)
{
	cleanup_free char *trimmed = df_trim_space(line, strlen(line));
	cleanup_free char *lower = NULL;
	cleanup_free char *args = NULL;
	struct cb_strvec flags = CB_STRVEC_INIT;
	struct df_node *node, *next = NULL;
	size_t cmdlen = 0;
	bool json = false;

	while (trimmed[cmdlen] && !is_token_ws(trimmed[cmdlen]))
		cmdlen++;
	if (trimmed[cmdlen]) {
		const char *rest = trimmed + cmdlen;
		size_t off;

		while (is_token_ws(*rest))
			rest++;
		off = extract_flags(rest, d->escape, &flags);
		args = df_trim_space(rest + off, strlen(rest + off));
	} else {
		args = xstrdup("");
	}
	trimmed[cmdlen] = '\0';
	lower = df_lower(trimmed);
	if (parse_args(syntax_of(lower), args, d, &next, &json, err) < 0) {
		cb_strvec_clear(&flags);
		return NULL;
	}
	node = df_node_new(trimmed);
	node->original = xstrdup(line);
	node->flags = flags;
	node->next = next;
	node->json = json;
	if (comments)
		for (size_t i = 0; i < comments->n; i++)
			cb_strvec_push(&node->prev_comment, comments->v[i]);
	return node;
}

bool df_node_can_contain_heredoc(const struct df_node *node)
{
	cleanup_free char *lower = df_lower(node->value);

	if (!strcmp(lower, "onbuild") && node->next && node->next->nchildren) {
		node = node->next->children[0];
		free(lower);
		lower = df_lower(node->value);
	}
	if (strcmp(lower, "add") && strcmp(lower, "copy") && strcmp(lower, "run"))
		return false;
	return !node->json;
}
