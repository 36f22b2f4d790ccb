/*
 * dockerignore.c - .dockerignore reading and matching, as moby/patternmatcher
 * does it (ignorefile.ReadAll, New, MatchesOrParentMatches,
 * MatchesUsingParentResults).
 *
 * patternmatcher turns each pattern into Go regexp text, but first tries three
 * fast paths (exact, prefix, suffix) that do not always agree with that regexp
 * ("**.txt" is a plain suffix test and so matches "a.txt").  BuildKit's
 * behaviour is the fast paths plus the regexp, quirks included, so we do the
 * same translation and then hand the regexp to goregexp.c, which reads it as
 * Go's regexp package does and runs it with PCRE2.
 *
 * Go compiles each regexp lazily and reports a bad one as ErrBadPattern from
 * the match; we compile in ignore_matcher_new() and fail there instead, since
 * the bool-returning match functions cannot report errors.
 */
#include <stdint.h>
#include <string.h>

#include "cleanup.h"
#include "parser-internal.h"
#include "utf8.h"
#include "xalloc.h"

/* bufio.Scanner's limit: a longer line fails ReadAll with ErrTooLong. */
#define IGNORE_MAX_LINE 65535

/* ---- Go string and path helpers ---- */

/* strings.TrimSpace: drop Unicode White_Space runes at both ends of s[0:*len]. */
static void trim_space(const char **s, size_t *len)
{
	size_t i = 0, first = 0, last = 0;
	bool seen = false;

	while (i < *len) {
		uint32_t r;
		size_t w = cb_utf8_decode(*s + i, *len - i, &r);

		if (!cb_rune_is_space(r)) {
			if (!seen)
				first = i;
			seen = true;
			last = i + w;
		}
		i += w;
	}
	*s += first;
	*len = seen ? last - first : 0;
}

/* filepath.Clean on Unix, for path[0:n]; the result is the caller's. */
static char *go_clean(const char *path, size_t n)
{
	char *out = xmalloc(n + 2);
	size_t r = 0, w = 0, dotdot = 0;
	bool rooted = n > 0 && path[0] == '/';

	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (path[r] == '/') {
			r++;
		} else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
			r++;
		} else if (path[r] == '.' && path[r + 1] == '.' &&
			   (r + 2 == n || path[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				/* back up over the previous element */
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && path[r] != '/'; r++)
				out[w++] = path[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

/* filepath.Dir: everything before the last '/', cleaned ("." when none). */
static char *go_dir(const char *path, size_t n)
{
	while (n > 0 && path[n - 1] != '/')
		n--;
	return go_clean(path, n);
}

/* ---- ignorefile.ReadAll ---- */

static void read_line(const char *line, size_t n, struct cb_strvec *pats)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	bool invert;

	/* comments are recognised before trimming: " #x" is a pattern */
	if (n > 0 && line[0] == '#')
		return;
	trim_space(&line, &n);
	if (n == 0)
		return;
	invert = line[0] == '!';
	if (invert) {
		line++;
		n--;
		trim_space(&line, &n);
		cb_strbuf_addch(&sb, '!');
	}
	if (n > 0) {
		cleanup_free char *c = go_clean(line, n);

		/* "/x" and "x" both mean x at the context root */
		cb_strbuf_addstr(&sb, c[0] == '/' && c[1] ? c + 1 : c);
	}
	cb_strvec_push_take(pats, cb_strbuf_detach(&sb, NULL));
}

int dockerignore_read(const char *buf, size_t len, struct cb_strvec *out, struct cb_error **err)
{
	struct cb_strvec pats = CB_STRVEC_INIT;
	size_t pos = 0;
	int lineno = 0;

	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n > IGNORE_MAX_LINE) {
			cb_strvec_clear(&pats);
			return cb_error_set_line(err, lineno,
						 ".dockerignore:%d: line is longer than %d bytes",
						 lineno, IGNORE_MAX_LINE);
		}
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (lineno == 1 && n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
			line += 3;
			n -= 3;
		}
		read_line(line, n, &pats);
	}
	/* only now touch *out, so that a failure leaves it as it was */
	for (size_t i = 0; i < pats.n; i++)
		cb_strvec_push_take(out, pats.v[i]);
	free(pats.v);
	return 0;
}

/* ---- filepath.Match's syntax check (New calls Match(p, ".") for its error) ---- */

/* getEsc: one possibly escaped class character; false for ErrBadPattern. */
static bool glob_get_esc(const char *c, size_t n, size_t *i)
{
	uint32_t r;
	size_t w;

	if (*i >= n || c[*i] == '-' || c[*i] == ']')
		return false;
	if (c[*i] == '\\' && ++*i >= n)
		return false;
	w = cb_utf8_decode(c + *i, n - *i, &r);
	if (r == CB_RUNE_ERROR && w == 1)
		return false;
	*i += w;
	return *i < n; /* a class character must be followed by more */
}

/*
 * Current Go's Match checks the rest of the pattern after a mismatch (Go 1.19
 * and older returned at the first chunk that failed to match), so its error
 * depends on the pattern alone.  Match splits the pattern into chunks at each '*' outside brackets
 * and parses each one as matchChunk does; since the brackets Match and
 * scanChunk see always agree up to the first error, one pass over the whole
 * pattern, taking '*' as a plain character, gives the same verdict.
 */
static bool glob_syntax_ok(const char *p)
{
	size_t n = strlen(p), i = 0;

	while (i < n) {
		if (p[i] == '[') {
			int nrange = 0;

			if (++i < n && p[i] == '^')
				i++;
			for (;;) {
				if (i < n && p[i] == ']' && nrange > 0) {
					i++;
					break;
				}
				if (!glob_get_esc(p, n, &i))
					return false;
				if (p[i] == '-') {
					i++;
					if (!glob_get_esc(p, n, &i))
						return false;
				}
				nrange++;
			}
		} else if (p[i] == '\\') {
			if (i + 1 >= n)
				return false; /* a trailing backslash */
			i += 2;
		} else {
			i++;
		}
	}
	return true;
}

/* ---- Pattern.compile: the fast-path kind and the Go regexp text ---- */

enum ip_kind { IP_EXACT, IP_PREFIX, IP_SUFFIX, IP_REGEXP };

static enum ip_kind ip_translate(const char *p, struct cb_strbuf *re)
{
	enum ip_kind kind = IP_EXACT;
	size_t n = strlen(p), pos = 0;
	uint32_t ch;

	cb_strbuf_addch(re, '^');
	/* text/scanner silently skips a BOM at the very start */
	if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		pos = 3;
	for (size_t i = 0; pos < n; i++) {
		pos += cb_utf8_decode(p + pos, n - pos, &ch);
		if (ch == '*' && pos < n && p[pos] == '*') {
			pos++;
			if (pos < n && p[pos] == '/')
				pos++;
			if (pos == n && kind == IP_EXACT) {
				kind = IP_PREFIX;
			} else {
				cb_strbuf_addstr(re, pos == n ? ".*" : "(.*/)?");
				kind = IP_REGEXP;
			}
			if (i == 0)
				kind = IP_SUFFIX;
		} else if (ch == '*' || ch == '?') {
			cb_strbuf_addstr(re, ch == '*' ? "[^/]*" : "[^/]");
			kind = IP_REGEXP;
		} else if (ch != 0 && ch < 0x80 && strchr(".+()$", (int)ch)) {
			/*
			 * Regexp metacharacters that mean nothing to filepath.Match.
			 * patternmatcher means to escape '|', '{' and '}' too, but
			 * its bitmap (escapeBytes[b%8] & 1<<(b/8), bytes of 8 bits)
			 * drops every character from 64 up: they reach the regexp
			 * as alternation and counted repetition ("*.js|x" matches
			 * names ending in "x").
			 */
			cb_strbuf_addch(re, '\\');
			cb_strbuf_addch(re, (int)ch);
		} else if (ch == '\\' && pos < n) {
			cb_strbuf_addch(re, '\\');
			pos += cb_utf8_decode(p + pos, n - pos, &ch);
			cb_strbuf_add_rune(re, ch);
			kind = IP_REGEXP;
		} else {
			cb_strbuf_add_rune(re, ch);
			if (ch == '[' || ch == ']')
				kind = IP_REGEXP;
		}
	}
	if (kind == IP_REGEXP)
		cb_strbuf_addch(re, '$');
	return kind;
}

/* ---- The matcher ---- */

struct ignore_pattern {
	char *text; /* the cleaned pattern without its '!': patternmatcher's cleanedPattern */
	size_t len;
	enum ip_kind kind;
	bool exclusion;
	char *orig;	  /* IP_REGEXP: the pattern as written (trimmed), for errors */
	char *why;	  /* IP_REGEXP whose regexp does not compile: why, an error once used */
	struct df_rx *rx; /* IP_REGEXP that compiled */
};

struct ignore_matcher {
	struct ignore_pattern *v;
	size_t n;
	bool exclusions;
};

static int bad_pattern(struct cb_error **err, const char *p, size_t len)
{
	return cb_error_set(err, 0, "bad .dockerignore pattern `%.*s`: syntax error in pattern",
			    (int)len, p);
}

/* New's body for one pattern: trim, clean, '!', syntax check, compile. */
static int pattern_add(struct ignore_matcher *m, const char *raw, struct cb_error **err)
{
	struct ignore_pattern *ip = &m->v[m->n];
	struct cb_strbuf re = CB_STRBUF_INIT;
	const char *p = raw;
	size_t n = strlen(raw);
	char *clean, *body;

	trim_space(&p, &n);
	if (n == 0)
		return 0;
	clean = body = go_clean(p, n);
	if (body[0] == '!') {
		if (!body[1]) {
			free(clean);
			return cb_error_set(err, 0, "illegal exclusion pattern `!`");
		}
		body++;
	}
	if (!glob_syntax_ok(body)) {
		free(clean);
		return bad_pattern(err, p, n);
	}
	*ip = (struct ignore_pattern){.exclusion = body != clean, .len = strlen(body)};
	ip->text = xmemdup(body, ip->len + 1);
	free(clean);
	ip->kind = ip_translate(ip->text, &re);
	/*
	 * patternmatcher compiles a pattern's regexp the first time a match
	 * needs it, so one that fails (`\3`: Go's regexp has no
	 * backreferences) is an error then, and never when every match skips it.
	 */
	if (ip->kind == IP_REGEXP) {
		struct cb_error *why = NULL;

		ip->orig = xstrndup(p, n);
		ip->rx = df_rx_compile(re.buf, re.len, &why);
		if (!ip->rx)
			ip->why = xstrdup(cb_error_msg(why));
		cb_error_free(&why);
	}
	cb_strbuf_release(&re);
	m->exclusions |= ip->exclusion;
	m->n++;
	return 0;
}

struct ignore_matcher *ignore_matcher_new(const struct cb_strvec *patterns, struct cb_error **err)
{
	struct ignore_matcher *m = xcalloc(1, sizeof(*m));
	size_t npat = patterns ? patterns->n : 0;

	m->v = xcalloc(npat ? npat : 1, sizeof(*m->v));
	for (size_t i = 0; i < npat; i++) {
		if (pattern_add(m, patterns->v[i], err) < 0) {
			ignore_matcher_free(m);
			return NULL;
		}
	}
	return m;
}

void ignore_matcher_free(struct ignore_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].text);
		free(m->v[i].orig);
		free(m->v[i].why);
		df_rx_free(m->v[i].rx);
	}
	free(m->v);
	free(m);
}

bool ignore_matcher_has_exclusions(const struct ignore_matcher *m)
{
	return m && m->exclusions;
}

/*
 * Pattern.match on s[0:n]: 1 or 0, or -1 with *err for a bad pattern (or
 * one whose match backtracks too long).  The fast paths compare bytes, as
 * Go's do; a regexp uses the caller's *sc.
 */
static int pattern_match(const struct ignore_pattern *ip, const char *s, size_t n,
			 struct df_rx_scratch **sc, struct cb_error **err)
{
	struct cb_error *rxerr = NULL;
	int r;

	const char *t = ip->text;
	size_t k = ip->len >= 2 ? ip->len - 2 : 0; /* length without the "**" */

	switch (ip->kind) {
	case IP_EXACT:
		return n == ip->len && !memcmp(s, t, n);
	case IP_PREFIX:
		return n >= k && !memcmp(s, t, k);
	case IP_SUFFIX:
		if (n >= k && !memcmp(s + n - k, t + 2, k))
			return 1;
		/* a suffix "/foo" (pattern "**" + "/foo") also matches "foo" itself */
		return k > 0 && t[2] == '/' && n == k - 1 && !memcmp(s, t + 3, n);
	case IP_REGEXP:
		if (!ip->rx)
			return cb_error_set(err, 0, "bad .dockerignore pattern `%s`: %s", ip->orig,
					    ip->why);
		r = df_rx_match(ip->rx, s, n, sc, &rxerr);
		if (r < 0) {
			cb_error_set(err, 0, "bad .dockerignore pattern `%s`: %s", ip->orig,
				     cb_error_msg(rxerr));
			cb_error_free(&rxerr);
		}
		return r;
	}
	return 0;
}

/* Does the pattern match any ancestor of the path whose cleaned Dir is dir? */
static int pattern_match_parents(const struct ignore_pattern *ip, const char *dir,
				 struct df_rx_scratch **sc, struct cb_error **err)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "."))
		return 0;
	/* strings.Split(dir, "/") joined back one element at a time */
	for (size_t k = 0; k < n; k++) {
		if (dir[k] == '/') {
			int r = pattern_match(ip, dir, k, sc, err);

			if (r)
				return r;
		}
	}
	return pattern_match(ip, dir, n, sc, err);
}

int ignore_matcher_matches(const struct ignore_matcher *m, const char *path, struct cb_error **err)
{
	size_t n = strlen(path);
	cleanup_free char *dir = NULL;
	struct df_rx_scratch *sc = NULL;
	bool matched = false;
	int match = 0;

	for (size_t i = 0; m && i < m->n; i++) {
		const struct ignore_pattern *ip = &m->v[i];

		/* an inclusion cannot change a match, nor an exclusion a non-match */
		if (ip->exclusion != matched)
			continue;
		match = pattern_match(ip, path, n, &sc, err);
		if (!match) {
			if (!dir)
				dir = go_dir(path, n);
			match = pattern_match_parents(ip, dir, &sc, err);
		}
		if (match < 0)
			break;
		if (match)
			matched = !ip->exclusion;
	}
	df_rx_scratch_free(sc);
	return match < 0 ? -1 : matched;
}

void ignore_parent_init(struct ignore_parent_info *info)
{
	info->matched = NULL;
	info->n = 0;
}

void ignore_parent_release(struct ignore_parent_info *info)
{
	free(info->matched);
	ignore_parent_init(info);
}

/*
 * `out` is written without freeing what it held (release a previous result
 * first); it may be uninitialised, or be `parent` itself, whose array is then
 * freed.  Parent info with the wrong count (Go's "wrong number of values"
 * error) is treated as none: every parent directory is checked instead.
 */
int ignore_matcher_matches_parent(const struct ignore_matcher *m, const char *path,
				  const struct ignore_parent_info *parent,
				  struct ignore_parent_info *out, struct cb_error **err)
{
	size_t npat = m ? m->n : 0, n = strlen(path);
	const bool *pm = parent && parent->n == npat && npat ? parent->matched : NULL;
	bool *res = npat ? xcalloc(npat, sizeof(bool)) : NULL;
	cleanup_free char *dir = NULL;
	struct df_rx_scratch *sc = NULL;
	bool matched = false;

	for (size_t i = 0; i < npat; i++) {
		const struct ignore_pattern *ip = &m->v[i];
		int match = pm && pm[i];

		if (!match) {
			if (ip->exclusion != matched)
				continue;
			match = pattern_match(ip, path, n, &sc, err);
			if (!match && !pm) {
				if (!dir)
					dir = go_dir(path, n);
				match = pattern_match_parents(ip, dir, &sc, err);
			}
		}
		if (match < 0) {
			df_rx_scratch_free(sc);
			free(res);
			if (out == parent)
				free(out->matched);
			ignore_parent_init(out);
			return -1;
		}
		res[i] = match;
		if (match)
			matched = !ip->exclusion;
	}
	df_rx_scratch_free(sc);
	if (out == parent)
		free(out->matched);
	out->matched = res;
	out->n = npat;
	return matched;
}
