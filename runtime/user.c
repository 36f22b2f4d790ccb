/*
 * user.c - resolve "user[:group]" against a rootfs's /etc/passwd and
 * /etc/group, with runc's rules (libcontainer/user.GetExecUser): a name or
 * a number matches the first passwd entry with that name or uid; a number
 * that matches nothing is used as is (gid 0, home "/"); without an explicit
 * group the supplementary groups are the /etc/group entries listing the
 * user's name; with one there are none.
 *
 * user_resolve_buf() allocates nothing: the payload calls it after
 * pivot_root, where malloc is off limits (runtime-internal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "runtime-internal.h"

#define MAX_FIELDS 7

/* One line split in place into at most MAX_FIELDS ':'-separated fields. */
struct entry {
	const char *field[MAX_FIELDS];
	size_t flen[MAX_FIELDS];
	size_t nfields;
};

/*
 * Advance *p over one line of text and split it.  Returns false at the end
 * of text.  Empty lines, comments and NIS "+"/"-" lines come back with
 * nfields == 0.
 */
static bool next_entry(const char **p, struct entry *e)
{
	const char *s = *p, *end;

	if (!s || !*s)
		return false;
	end = strchr(s, '\n');
	if (!end)
		end = s + strlen(s);
	*p = *end ? end + 1 : end;
	e->nfields = 0;
	if (s == end || *s == '#' || *s == '+' || *s == '-')
		return true;
	while (e->nfields < MAX_FIELDS) {
		const char *c = memchr(s, ':', (size_t)(end - s));
		const char *fend = c ? c : end;

		e->field[e->nfields] = s;
		e->flen[e->nfields] = (size_t)(fend - s);
		e->nfields++;
		if (!c)
			break;
		s = c + 1;
	}
	return true;
}

static bool field_is(const struct entry *e, size_t i, const char *s, size_t len)
{
	return i < e->nfields && e->flen[i] == len && !memcmp(e->field[i], s, len);
}

/* Parse a decimal ID in [0, 2^32-2]; false when s is not one. */
static bool parse_id(const char *s, size_t len, unsigned *out)
{
	unsigned long long v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v >= 0xffffffffULL)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool member_of(const struct entry *g, const char *name, size_t nlen)
{
	const char *s, *end;

	if (g->nfields < 4 || nlen == 0)
		return false;
	s = g->field[3];
	end = s + g->flen[3];
	while (s < end) {
		const char *c = memchr(s, ',', (size_t)(end - s));
		const char *mend = c ? c : end;
		const char *a = s, *b = mend;

		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
			b--;
		if ((size_t)(b - a) == nlen && !memcmp(a, name, nlen))
			return true;
		s = mend + 1;
	}
	return false;
}

/* Write a message naming (arg, alen) to errbuf; evaluates to -1. */
#define fail(errbuf, errlen, fmt, arg, alen) (snprintf(errbuf, errlen, fmt, (int)(alen), arg), -1)

/* Find the passwd entry for u (name or uid); fill ids and name/nlen. */
static int lookup_user(const char *u, size_t ulen, const char *passwd, struct runtime_ids *ids,
		       const char **name, size_t *nlen, char *errbuf, size_t errlen)
{
	struct entry e;
	unsigned id;
	bool numeric = parse_id(u, ulen, &id);
	const char *p = passwd;

	while (next_entry(&p, &e)) {
		unsigned uid, gid;

		if (e.nfields < 4)
			continue;
		if (!field_is(&e, 0, u, ulen) && !(numeric && field_is(&e, 2, u, ulen)))
			continue;
		if (!parse_id(e.field[2], e.flen[2], &uid) ||
		    !parse_id(e.field[3], e.flen[3], &gid))
			return fail(errbuf, errlen, "malformed passwd entry for user %.*s", u,
				    ulen);
		ids->uid = uid;
		ids->gid = gid;
		if (e.nfields >= 6 && e.flen[5] > 0 && e.flen[5] < sizeof(ids->home)) {
			memcpy(ids->home, e.field[5], e.flen[5]);
			ids->home[e.flen[5]] = '\0';
		}
		*name = e.field[0];
		*nlen = e.flen[0];
		return 0;
	}
	if (!numeric)
		return fail(errbuf, errlen,
			    "unable to find user %.*s: no matching entries in passwd file", u,
			    ulen);
	ids->uid = id;
	return 0;
}

static int lookup_group(const char *g, size_t glen, const char *group, struct runtime_ids *ids,
			char *errbuf, size_t errlen)
{
	struct entry e;
	unsigned id;
	bool numeric = parse_id(g, glen, &id);
	const char *p = group;

	while (next_entry(&p, &e)) {
		unsigned gid;

		if (e.nfields < 3)
			continue;
		if (!field_is(&e, 0, g, glen) && !(numeric && field_is(&e, 2, g, glen)))
			continue;
		if (!parse_id(e.field[2], e.flen[2], &gid))
			return fail(errbuf, errlen, "malformed group entry for group %.*s", g,
				    glen);
		ids->gid = gid;
		return 0;
	}
	if (!numeric)
		return fail(errbuf, errlen,
			    "unable to find group %.*s: no matching entries in group file", g,
			    glen);
	ids->gid = id;
	return 0;
}

static int supplementary_groups(const char *name, size_t nlen, const char *group,
				struct runtime_ids *ids, char *errbuf, size_t errlen)
{
	struct entry e;
	const char *p = group;

	while (next_entry(&p, &e)) {
		unsigned gid;

		if (!member_of(&e, name, nlen) || !parse_id(e.field[2], e.flen[2], &gid))
			continue;
		if (ids->ngroups == RUNTIME_MAX_GROUPS)
			return fail(errbuf, errlen, "user %.*s is in more than 64 groups", name,
				    nlen);
		ids->groups[ids->ngroups++] = gid;
	}
	return 0;
}

int user_resolve_buf(const char *user, const char *passwd, const char *group,
		     struct runtime_ids *ids, char *errbuf, size_t errlen)
{
	struct runtime_ids r = {0};
	const char *colon, *name = NULL;
	size_t ulen, nlen = 0;

	r.home[0] = '/';
	if (!user)
		user = "";
	colon = strchr(user, ':');
	ulen = colon ? (size_t)(colon - user) : strlen(user);
	if (ulen == 0 && colon && colon[1])
		return fail(errbuf, errlen, "invalid user %.*s: empty user name", user,
			    strlen(user));
	if (ulen == 0) {
		/* root by default; its name still finds its groups */
		if (lookup_user("0", 1, passwd, &r, &name, &nlen, errbuf, errlen) < 0)
			return -1;
	} else if (lookup_user(user, ulen, passwd, &r, &name, &nlen, errbuf, errlen) < 0) {
		return -1;
	}
	if (colon && colon[1]) {
		if (lookup_group(colon + 1, strlen(colon + 1), group, &r, errbuf, errlen) < 0)
			return -1;
	} else if (name && supplementary_groups(name, nlen, group, &r, errbuf, errlen) < 0) {
		return -1;
	}
	*ids = r;
	return 0;
}

/* Read path inside the tree at rootfs, symlinks resolved in it; NULL if absent. */
static int read_in_root(int rootfs, const char *path, char **out, struct cb_error **err)
{
	cleanup_close int fd = cb_open_in_root_raw(rootfs, path, O_RDONLY, 0, NULL, NULL);

	if (fd < 0) {
		if (fd == -ENOENT || fd == -ENOTDIR) {
			*out = NULL;
			return 0;
		}
		return cb_error_set(err, -fd, "open `%s` in the rootfs", path);
	}
	if (cb_read_fd(fd, 16u << 20, out, NULL, err) < 0)
		return cb_error_wrap(err, "read `%s` in the rootfs", path);
	return 0;
}

int runtime_resolve_user_buf(const char *user, const char *passwd, const char *group,
			     struct runtime_ids *ids, struct cb_error **err)
{
	char msg[512];

	if (user_resolve_buf(user, passwd, group, ids, msg, sizeof(msg)) < 0)
		return cb_error_set(err, 0, "%s", msg);
	return 0;
}

int runtime_resolve_user(int rootfs_dirfd, const char *user, struct runtime_ids *ids,
			 struct cb_error **err)
{
	cleanup_free char *passwd = NULL;
	cleanup_free char *group = NULL;

	if (read_in_root(rootfs_dirfd, "/etc/passwd", &passwd, err) < 0 ||
	    read_in_root(rootfs_dirfd, "/etc/group", &group, err) < 0)
		return -1;
	return runtime_resolve_user_buf(user, passwd, group, ids, err);
}
