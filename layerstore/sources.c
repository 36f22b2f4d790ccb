/*
 * sources.c - where a blob is known to live: the registry repositories
 * ("host/path", as registry_ref_name() writes them) it was pulled from or
 * pushed to, as containerd keeps its distribution source labels.  A push
 * to another repository of the same registry asks it to mount the blob
 * from one of them rather than uploading it again.
 *
 * sources/<blob hex>: one name a line, oldest first, at most
 * LAYER_STORE_SOURCES_MAX lines.  An accelerator, like the cache records:
 * replaced whole (a tmp/ file renamed over it, not fsynced: a lost or torn
 * record only costs a mount), read with every line checked (a garbled,
 * foreign or unterminated line is skipped; a file past its bound is read
 * only up to it), and removed by prune with its blob.  Adds of one store
 * serialise on an flock of sources/ and hold the store lock shared while
 * they check that the blob exists and write, so prune never leaves a
 * record behind its blob.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "store-internal.h"
#include "xalloc.h"

#define SOURCES_DIR "sources"
/* What a record of LAYER_STORE_SOURCES_MAX longest names takes, and some slack. */
#define SOURCES_FILE_MAX ((LAYER_STORE_SOURCES_MAX + 4) * (LAYER_STORE_SOURCE_NAME_MAX + 1))

static bool in_set(char ch, const char *set)
{
	return ch && strchr(set, ch);
}

/* A path component of a repository name: [a-z0-9] then [a-z0-9._-]. */
static bool component_valid(const char *p, size_t n)
{
	static const char lower[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	if (!n || !in_set(p[0], lower))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!in_set(p[i], lower) && !in_set(p[i], "._-"))
			return false;
	return true;
}

bool layer_store_source_name_valid(const char *name)
{
	static const char host[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]";
	size_t len = strnlen(name, LAYER_STORE_SOURCE_NAME_MAX + 1);
	size_t h = strcspn(name, "/");
	const char *p;

	if (len > LAYER_STORE_SOURCE_NAME_MAX || h == 0 || h >= len || strspn(name, host) < h ||
	    name[0] == '.' || name[0] == '-' || name[0] == ':')
		return false;
	/* the path: components joined by single slashes, nothing after the last */
	for (p = name + h + 1;;) {
		size_t n = strcspn(p, "/");

		if (!component_valid(p, n))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

static void sources_path(const struct cb_digest *d, char out[STORE_PATH_MAX])
{
	snprintf(out, STORE_PATH_MAX, SOURCES_DIR "/%s", cb_digest_hex(d));
}

/*
 * The valid names of d's record, oldest first, each once, at most the
 * bound, appended to out.  No record (or something that is not a regular
 * file there) is none.
 */
static int sources_read(struct layer_store *s, const struct cb_digest *d, struct cb_strvec *out,
			struct cb_error **err)
{
	char path[STORE_PATH_MAX];
	cleanup_free char *buf = xmalloc(SOURCES_FILE_MAX + 1);
	struct cb_strvec names = CB_STRVEC_INIT;
	cleanup_close int fd = -1;
	size_t len = 0, first;
	int ret;

	sources_path(d, path);
	ret = store_open_regular(s, path, true, &fd, err);
	if (ret <= 0)
		return ret;
	while (len < SOURCES_FILE_MAX) {
		ssize_t n = read(fd, buf + len, SOURCES_FILE_MAX - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cb_error_set(err, errno, "read `%s/%s`", s->root, path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	/* whole lines only: what follows the last newline was cut or torn */
	for (char *line = buf, *nl; (nl = memchr(line, '\n', len - (size_t)(line - buf)));
	     line = nl + 1) {
		*nl = '\0';
		if ((size_t)(nl - line) == strlen(line) && layer_store_source_name_valid(line) &&
		    cb_strvec_find(&names, line) < 0)
			cb_strvec_push(&names, line);
	}
	/* never more than the bound: the newest (last) ones */
	first = names.n > LAYER_STORE_SOURCES_MAX ? names.n - LAYER_STORE_SOURCES_MAX : 0;
	for (size_t i = first; i < names.n; i++)
		cb_strvec_push(out, names.v[i]);
	cb_strvec_clear(&names);
	return 0;
}

int layer_store_blob_sources(struct layer_store *s, const struct cb_digest *d,
			     struct cb_strvec *out, struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;

	if (sources_read(s, d, &names, err) < 0) {
		cb_strvec_clear(&names);
		return cb_error_wrap(err, "sources of blob %s", d->str);
	}
	for (size_t i = names.n; i-- > 0;)
		cb_strvec_push(out, names.v[i]);
	cb_strvec_clear(&names);
	return 0;
}

/* Under both locks: add name as the newest source of d, dropping the oldest beyond the bound. */
static int sources_add_locked(struct layer_store *s, const struct cb_digest *d, const char *name,
			      struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	struct cb_strbuf text = CB_STRBUF_INIT;
	char path[STORE_PATH_MAX];
	size_t first;
	long at;
	int e, ret = -1;

	e = layer_store_blob_exists(s, d, NULL, err);
	if (e <= 0)
		return e < 0 ? -1
			     : cb_error_set(err, ENOENT, "blob %s is not in the store", d->str);
	if (sources_read(s, d, &names, err) < 0)
		goto out;
	if (names.n && !strcmp(names.v[names.n - 1], name)) { /* the newest already */
		ret = 0;
		goto out;
	}
	at = cb_strvec_find(&names, name);
	first = names.n + (at < 0) > LAYER_STORE_SOURCES_MAX
			? names.n + (at < 0) - LAYER_STORE_SOURCES_MAX
			: 0;
	for (size_t i = 0; i < names.n; i++) {
		if ((long)i == at)
			continue;
		if (first) {
			first--;
			continue;
		}
		cb_strbuf_addf(&text, "%s\n", names.v[i]);
	}
	cb_strbuf_addf(&text, "%s\n", name);
	sources_path(d, path);
	ret = store_write_file(s, path, text.buf, text.len, false, err);
out:
	cb_strvec_clear(&names);
	cb_strbuf_release(&text);
	return ret;
}

int layer_store_blob_source_add(struct layer_store *s, const struct cb_digest *d, const char *name,
				struct cb_error **err)
{
	cleanup_close int dir = -1;
	int ret;

	if (!layer_store_source_name_valid(name))
		return cb_error_set(err, EINVAL, "invalid source name `%.300s`", name);
	dir = store_openat(s, SOURCES_DIR, O_RDONLY | O_DIRECTORY, 0);
	if (dir < 0)
		return store_path_error(s, err, errno, "open", SOURCES_DIR);
	while (flock(dir, LOCK_EX) < 0)
		if (errno != EINTR)
			return cb_error_set(err, errno, "lock `%s/" SOURCES_DIR "`", s->root);
	if (store_lock(s, STORE_LOCK_SHARED, err) < 0)
		return -1;
	ret = sources_add_locked(s, d, name, err);
	store_unlock(s);
	if (ret < 0)
		return cb_error_wrap(err, "record `%s` as a source of blob %s", name, d->str);
	return 0;
}

int store_sources_sweep(struct layer_store *s, const struct digest_set *kept, struct cb_error **err)
{
	struct cb_strvec names = CB_STRVEC_INIT;
	struct cb_error *lerr = NULL;
	int ret = 0;

	if (store_list_dir(s, SOURCES_DIR, &names, &lerr) < 0) {
		cb_strvec_clear(&names);
		if (lerr->code == ENOENT) { /* no source was ever recorded */
			cb_error_free(&lerr);
			return 0;
		}
		if (err)
			*err = lerr;
		else
			cb_error_free(&lerr);
		return -1;
	}
	for (size_t i = 0; i < names.n && ret == 0; i++) {
		char path[STORE_PATH_MAX];
		struct cb_digest d;

		if (!cb_digest_hex_valid(names.v[i]))
			continue; /* a temp file of ours is in tmp/, not here: not ours to judge */
		snprintf(d.str, sizeof(d.str), "sha256:%.64s", names.v[i]);
		if (digest_set_has(kept, &d))
			continue;
		sources_path(&d, path);
		if (store_unlink(s, path, 0) < 0 && errno != ENOENT)
			ret = store_path_error(s, err, errno, "remove", path);
	}
	cb_strvec_clear(&names);
	return ret;
}
