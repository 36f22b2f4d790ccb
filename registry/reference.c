/*
 * reference.c - image references, a port of distribution/reference (the
 * grammar below) and of go-digest's checks, with the same error messages.
 *
 *	reference        := name [ ":" tag ] [ "@" digest ]
 *	name             := [domain '/'] remote-name
 *	domain           := host [':' port-number]
 *	host             := domain-name | '[' [a-fA-F0-9:]+ ']'
 *	domain-name      := domain-component ['.' domain-component]*
 *	domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *	port-number      := /[0-9]+/
 *	remote-name      := path-component ['/' path-component]*
 *	path-component   := alpha-numeric [separator alpha-numeric]*
 *	alpha-numeric    := /[a-z0-9]+/
 *	separator        := /[_.]|__|[-]+/
 *	tag              := /[\w][\w.-]{0,127}/
 *	digest           := algorithm ":" /[0-9a-fA-F]{32,}/
 *	algorithm        := /[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*)/
 *
 * The Go package matches regular expressions; these hand-written matchers
 * accept the same language.  Where the grammar is ambiguous (is the first
 * component a domain?) Go's leftmost-first matching takes the domain when
 * the rest is still a remote-name, and so do we.
 */
#include <ctype.h>
#include <string.h>

#include "digest.h"
#include "registry.h"
#include "strbuf.h"
#include "xalloc.h"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_REPO_PREFIX "library/"
#define DEFAULT_TAG "latest"

/* ------------------------------------------------------------------------ */
/* Matchers over s[0..n)                                                     */
/* ------------------------------------------------------------------------ */

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool match_path_component(const char *s, size_t n)
{
	size_t i = 0;

	if (!n || !is_lower_alnum(s[0]))
		return false;
	for (;;) {
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i == n || !is_lower_alnum(s[i]))
			return false;
	}
}

/* remote-name: path components separated by single slashes. */
static bool match_remote_name(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!match_path_component(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

static bool match_domain_component(const char *s, size_t n)
{
	if (!n || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool match_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* domain: (domain-name | [ipv6]) [:port] */
static bool match_domain(const char *s, size_t n)
{
	size_t host_end, start = 0;

	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close || close == s + 1)
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!is_hex(*p) && *p != ':')
				return false;
		host_end = (size_t)(close - s) + 1;
	} else {
		const char *colon = memchr(s, ':', n);

		host_end = colon ? (size_t)(colon - s) : n;
		for (size_t i = 0; i <= host_end; i++) {
			if (i == host_end || s[i] == '.') {
				if (!match_domain_component(s + start, i - start))
					return false;
				start = i + 1;
			}
		}
	}
	if (host_end == n)
		return true;
	return s[host_end] == ':' && match_digits(s + host_end + 1, n - host_end - 1);
}

bool registry_ref_tag_valid(const char *tag)
{
	size_t n = strlen(tag);

	if (!n || n > 128 || !is_word(tag[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(tag[i]) && tag[i] != '.' && tag[i] != '-')
			return false;
	return true;
}

/* algorithm ":" 32+ hex digits (the reference grammar, looser than go-digest). */
static bool match_digest(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t i = 0, n;

	if (!colon)
		return false;
	n = (size_t)(colon - s);
	for (;;) {
		if (i == n || !isalpha((unsigned char)s[i]))
			return false;
		while (i < n && isalnum((unsigned char)s[i]))
			i++;
		if (i == n)
			break;
		if (!strchr("-_+.", s[i]))
			return false;
		i++;
	}
	n = strlen(colon + 1);
	if (n < 32)
		return false;
	for (size_t k = 0; k < n; k++)
		if (!is_hex(colon[1 + k]))
			return false;
	return true;
}

/* ------------------------------------------------------------------------ */
/* Parse                                                                     */
/* ------------------------------------------------------------------------ */

struct ref_parts {
	const char *name;
	size_t name_len, domain_len; /* domain_len 0: no domain */
	const char *tag, *digest;    /* NUL-terminated in the caller's copy, or NULL */
};

/* ReferenceRegexp on buf (modified in place: ':' and '@' become NULs). */
static bool match_reference(char *buf, struct ref_parts *p)
{
	char *at = strchr(buf, '@'), *colon, *slash;

	memset(p, 0, sizeof(*p));
	if (at) {
		*at = '\0';
		if (!match_digest(at + 1))
			return false;
		p->digest = at + 1;
	}
	colon = strrchr(buf, ':');
	slash = strrchr(buf, '/');
	/* A ':' with no '/' after it can only start the tag: names hold ':' before a '/'. */
	if (colon && (!slash || slash < colon)) {
		*colon = '\0';
		if (!registry_ref_tag_valid(colon + 1))
			return false;
		p->tag = colon + 1;
	}
	p->name = buf;
	p->name_len = strlen(buf);
	slash = strchr(buf, '/');
	if (slash && match_domain(buf, (size_t)(slash - buf)) &&
	    match_remote_name(slash + 1, p->name_len - (size_t)(slash - buf) - 1)) {
		p->domain_len = (size_t)(slash - buf);
		return true;
	}
	return match_remote_name(buf, p->name_len);
}

/* go-digest's Digest.Validate for the algorithms Docker links in. */
static int validate_digest(const char *d, struct cb_error **err)
{
	static const struct {
		const char *name;
		size_t hex;
	} algs[] = {{"sha256", 64}, {"sha384", 96}, {"sha512", 128}};
	const char *colon = strchr(d, ':');
	size_t alen = (size_t)(colon - d), hlen = strlen(colon + 1);

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (strlen(algs[i].name) != alen || strncmp(d, algs[i].name, alen))
			continue;
		if (hlen != algs[i].hex)
			return cb_error_set(err, 0, "invalid checksum digest length");
		for (size_t k = 0; k < hlen; k++)
			if (!((colon[1 + k] >= '0' && colon[1 + k] <= '9') ||
			      (colon[1 + k] >= 'a' && colon[1 + k] <= 'f')))
				return cb_error_set(err, 0, "invalid checksum digest format");
		return 0;
	}
	/* go-digest's DigestRegexp: lowercase algorithm components. */
	for (size_t i = 0; i < alen; i++)
		if (!is_lower_alnum(d[i]) && !strchr(".+_-", d[i]))
			return cb_error_set(err, 0, "invalid checksum digest format");
	return cb_error_set(err, 0, "unsupported digest algorithm");
}

int registry_ref_parse(const char *s, struct registry_ref *ref, struct cb_error **err)
{
	char *buf = xstrdup(s);
	struct ref_parts p;

	if (!match_reference(buf, &p)) {
		bool upper;

		free(buf);
		if (!*s)
			return cb_error_set(err, 0,
					    "repository name must have at least one component");
		buf = xstrdup(s);
		for (char *c = buf; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		upper = match_reference(buf, &p);
		free(buf);
		return cb_error_set(err, 0,
				    upper ? "repository name must be lowercase"
					  : "invalid reference format");
	}
	if (p.name_len > IMAGE_REF_NAME_MAX) {
		free(buf);
		return cb_error_set(err, 0, "repository name must not be more than %d characters",
				    IMAGE_REF_NAME_MAX);
	}
	if (p.digest && validate_digest(p.digest, err) < 0) {
		free(buf);
		return -1;
	}
	ref->domain = xstrndup(p.name, p.domain_len);
	ref->path = xstrdup(p.name + (p.domain_len ? p.domain_len + 1 : 0));
	ref->tag = p.tag ? xstrdup(p.tag) : NULL;
	ref->digest = p.digest ? xstrdup(p.digest) : NULL;
	free(buf);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Normalisation                                                             */
/* ------------------------------------------------------------------------ */

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

/* splitDockerDomain: "docker.io/library/x" style domain and remainder; caller frees both. */
static void split_docker_domain(const char *name, char **domain, char **rest)
{
	const char *slash = strchr(name, '/');
	size_t n = slash ? (size_t)(slash - name) : 0;

	if (!slash || (!memchr(name, '.', n) && !memchr(name, ':', n) &&
		       !(n == 9 && !strncmp(name, "localhost", 9)) && !has_upper(name, n))) {
		*domain = xstrdup(DEFAULT_DOMAIN);
		*rest = xstrdup(name);
	} else {
		*domain = xstrndup(name, n);
		*rest = xstrdup(slash + 1);
	}
	if (!strcmp(*domain, LEGACY_DEFAULT_DOMAIN)) {
		free(*domain);
		*domain = xstrdup(DEFAULT_DOMAIN);
	}
	if (!strcmp(*domain, DEFAULT_DOMAIN) && !strchr(*rest, '/')) {
		char *r = xasprintf("%s%s", OFFICIAL_REPO_PREFIX, *rest);

		free(*rest);
		*rest = r;
	}
}

int registry_ref_parse_normalized(const char *s, struct registry_ref *ref, struct cb_error **err)
{
	char *domain, *rest, *full;
	size_t remote;
	int ret;

	/* distribution's anchoredIdentifier: 64 hex digits are an image ID, not a name */
	if (cb_digest_hex_valid(s))
		return cb_error_set(err, 0,
				    "invalid repository name (%s), cannot specify 64-byte "
				    "hexadecimal strings",
				    s);
	split_docker_domain(s, &domain, &rest);
	remote = strcspn(rest, ":");
	if (has_upper(rest, remote)) {
		cb_error_set(err, 0,
			     "invalid reference format: repository name (%.*s) must be "
			     "lowercase",
			     (int)remote, rest);
		free(domain);
		free(rest);
		return -1;
	}
	full = xasprintf("%s/%s", domain, rest);
	ret = registry_ref_parse(full, ref, err);
	free(full);
	free(domain);
	free(rest);
	return ret;
}

void registry_ref_default_tag(struct registry_ref *ref)
{
	if (!ref->tag && !ref->digest)
		ref->tag = xstrdup(DEFAULT_TAG);
}

char *registry_ref_name(const struct registry_ref *ref)
{
	if (!*ref->domain)
		return xstrdup(ref->path);
	return xasprintf("%s/%s", ref->domain, ref->path);
}

static char *with_suffixes(char *name, const struct registry_ref *ref)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;

	cb_strbuf_addstr(&sb, name);
	free(name);
	if (ref->tag)
		cb_strbuf_addf(&sb, ":%s", ref->tag);
	if (ref->digest)
		cb_strbuf_addf(&sb, "@%s", ref->digest);
	return cb_strbuf_detach(&sb, NULL);
}

char *registry_ref_string(const struct registry_ref *ref)
{
	return with_suffixes(registry_ref_name(ref), ref);
}

char *registry_ref_familiar_name(const struct registry_ref *ref)
{
	const char *path = ref->path;

	if (strcmp(ref->domain, DEFAULT_DOMAIN))
		return registry_ref_name(ref);
	/* Only one level below library/: "library/a/b" keeps its prefix. */
	if (!strncmp(path, OFFICIAL_REPO_PREFIX, strlen(OFFICIAL_REPO_PREFIX)) &&
	    !strchr(path + strlen(OFFICIAL_REPO_PREFIX), '/'))
		path += strlen(OFFICIAL_REPO_PREFIX);
	return xstrdup(path);
}

char *registry_ref_familiar_string(const struct registry_ref *ref)
{
	return with_suffixes(registry_ref_familiar_name(ref), ref);
}

void registry_ref_release(struct registry_ref *ref)
{
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}

char *registry_ref_normalize(const char *s, struct cb_error **err)
{
	struct registry_ref r;
	char *out;

	if (registry_ref_parse_normalized(s, &r, err) < 0) {
		cb_error_wrap(err, "invalid reference `%s`", s);
		return NULL;
	}
	registry_ref_default_tag(&r);
	out = registry_ref_string(&r);
	registry_ref_release(&r);
	return out;
}
