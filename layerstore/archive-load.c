/*
 * archive-load.c - `cbuild load`: an OCI archive or a docker-archive (as
 * written by cbuild, skopeo, buildah, podman and docker save), possibly
 * compressed as a whole, becomes images in the store.
 *
 * One streaming pass over the archive: every blob goes straight into the
 * store through a blob writer (blobs/sha256/<hex> members are checked
 * against their name, so a corrupt archive stores nothing wrong), the small
 * JSON members (index.json, manifest.json, configs) are held in memory.
 * Then the images are checked (every manifest's config and layers present
 * with the sizes the manifest says; for a docker-archive every layer's tar
 * digest equal to the config's diff ID) and only then tagged.  A crash at
 * any point leaves temp files of a dead lease (removed by the next open)
 * and maybe whole, untagged blobs that prune collects; never a tag to
 * something missing.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "fsutil.h"
#include "layerstore-internal.h"
#include "xalloc.h"

#define HELD_MAX (64u << 20) /* all JSON members together */
#define COPY_BUF (1024 * 1024)

struct member {
	char *name;
	char *alias; /* a symlink or hardlink: the member it names */
	char *buf;   /* held in memory (JSON) */
	size_t len;
	bool stored; /* stored as blob d */
	struct cb_digest d;
	int64_t size;
};

struct loader {
	struct layer_store *s;
	char *(*normalize)(const char *name, struct cb_error **err);
	struct member *m;
	size_t n, alloc;
	size_t held;
	struct tar_in in;
	unsigned char *buf;
};

static struct member *add_member(struct loader *l, const char *name)
{
	struct member *m;

	CB_ALLOC_GROW(l->m, l->n + 1, l->alloc);
	m = &l->m[l->n++];
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	return m;
}

/* The member called name, following links (a bounded number of them). */
static struct member *find_member(struct loader *l, const char *name)
{
	for (int hops = 0; hops < 16; hops++) {
		struct member *m = NULL;

		for (size_t i = l->n; i-- > 0;) /* the last one of a name wins, as tar */
			if (!strcmp(l->m[i].name, name)) {
				m = &l->m[i];
				break;
			}
		if (!m || !m->alias)
			return m;
		name = m->alias;
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Reading the archive                                                       */
/* ------------------------------------------------------------------------ */

static bool held_in_memory(const char *name)
{
	const char *base = cb_basename(name);

	return !strcmp(name, "oci-layout") || !strcmp(name, "index.json") ||
	       !strcmp(name, "manifest.json") || !strcmp(name, "repositories") ||
	       cb_str_ends_with(base, ".json") || !strcmp(base, "json") || !strcmp(base, "VERSION");
}

static int hold(struct loader *l, struct member *m, int64_t size, struct cb_error **err)
{
	la_ssize_t n;

	if (size < 0 || (uint64_t)size > STORE_JSON_MAX || l->held + (size_t)size > HELD_MAX)
		return cb_error_set(err, EFBIG, "archive member `%s` is too large", m->name);
	m->buf = xmalloc((size_t)size + 1);
	n = archive_read_data(l->in.a, m->buf, (size_t)size);
	if (n != size)
		return tar_in_fail(&l->in, m->name, err);
	m->buf[size] = '\0';
	m->len = (size_t)size;
	l->held += (size_t)size;
	return 0;
}

/* Store a member as a blob; blobs/sha256/<hex> must match its name. */
static int store(struct loader *l, struct member *m, int64_t size, struct cb_error **err)
{
	struct blob_writer *w = layer_store_blob_create(l->s, err);
	struct cb_digest expect, *want = NULL;
	la_ssize_t n;

	if (!w)
		return -1;
	if (cb_str_starts_with(m->name, "blobs/sha256/")) {
		char tmp[CB_DIGEST_LEN + 1];

		snprintf(tmp, sizeof(tmp), "sha256:%s", m->name + 13);
		if (cb_digest_parse(tmp, &expect, err) < 0) {
			blob_writer_abort(w);
			return cb_error_wrap(err, "archive member `%s`", m->name);
		}
		want = &expect;
	}
	while ((n = archive_read_data(l->in.a, l->buf, COPY_BUF)) > 0)
		if (blob_writer_write(w, l->buf, (size_t)n, err) < 0) {
			blob_writer_abort(w);
			return -1;
		}
	if (n < 0) {
		blob_writer_abort(w);
		return tar_in_fail(&l->in, m->name, err);
	}
	if (blob_writer_commit(w, want, size, &m->d, err) < 0)
		return cb_error_wrap(err, "archive member `%s`", m->name);
	m->stored = true;
	m->size = size;
	return 0;
}

/*
 * The member a link names: target resolved against the directory of from
 * ("" for a hardlink), "." and ".." applied within the archive.  NULL when
 * it climbs out of the archive.  Caller frees.
 */
static char *member_path(const char *from, const char *target)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	const char *slash = strrchr(from, '/');
	const char *p = target ? target : "";

	if (slash && p[0] != '/')
		cb_strbuf_add(&sb, from, (size_t)(slash - from));
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *up = strrchr(sb.buf, '/');

			if (!sb.len) {
				cb_strbuf_release(&sb);
				return NULL;
			}
			cb_strbuf_setlen(&sb, up ? (size_t)(up - sb.buf) : 0);
		} else if (n && !(n == 1 && p[0] == '.')) {
			if (sb.len)
				cb_strbuf_addch(&sb, '/');
			cb_strbuf_add(&sb, p, n);
		}
		p = *end ? end + 1 : end;
	}
	return cb_strbuf_detach(&sb, NULL);
}

static int read_member(struct loader *l, struct archive_entry *e, struct cb_error **err)
{
	cleanup_free char *name = NULL;
	mode_t type = archive_entry_filetype(e);
	const char *link = archive_entry_hardlink(e);
	struct member *m;

	if (layer_clean_name(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", &name,
			     err) < 0)
		return cb_error_wrap(err, "archive");
	if (link || type == AE_IFLNK) {
		char *target =
			link ? member_path("", link) : member_path(name, archive_entry_symlink(e));

		/* A hardlink names an archive member; a symlink is relative to its directory. */
		if (!target)
			return cb_error_set(err, 0,
					    "archive member `%s`: link `%s` leaves the archive",
					    name, link ? link : archive_entry_symlink(e));
		add_member(l, name)->alias = target;
		return 0;
	}
	if (type != AE_IFREG || !name[0])
		return 0;
	m = add_member(l, name);
	if (held_in_memory(name))
		return hold(l, m, archive_entry_size(e), err);
	return store(l, m, archive_entry_size(e), err);
}

static int read_archive(struct loader *l, int fd, struct cb_error **err)
{
	struct archive_entry *e;
	int rc;

	if (tar_in_open(&l->in, fd, 0, false, "read archive", err) < 0)
		return -1;
	while ((rc = archive_read_next_header(l->in.a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN)
		if (read_member(l, e, err) < 0)
			return -1;
	if (rc != ARCHIVE_EOF)
		return tar_in_fail(&l->in, "read archive", err);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Checking and tagging                                                      */
/* ------------------------------------------------------------------------ */

/* The blob d must be in the store with this size (leased while we work). */
static int need_blob(struct layer_store *s, const struct cb_digest *d, int64_t size,
		     struct cb_error **err)
{
	int64_t have = -1;
	int rc;

	if (layer_store_lease_add(s, d, err) < 0)
		return -1;
	rc = layer_store_blob_exists(s, d, &have, err);
	if (rc < 0)
		return -1;
	if (!rc)
		return cb_error_set(err, ENOENT, "blob `%s` is not in the archive", d->str);
	if (size >= 0 && have != size)
		return cb_error_set(err, 0, "blob `%s` has %lld bytes, the manifest says %lld",
				    d->str, (long long)have, (long long)size);
	return 0;
}

/* A manifest or an index (and what it names) is whole in the store. */
static int check_image(struct layer_store *s, const struct oci_descriptor *d, int depth,
		       struct cb_error **err)
{
	cleanup_free char *json = NULL;
	size_t len;

	if (depth > 4)
		return cb_error_set(err, 0, "index `%s`: nested too deeply", d->digest.str);
	if (need_blob(s, &d->digest, d->size, err) < 0 ||
	    layer_store_blob_read(s, &d->digest, STORE_JSON_MAX, &json, &len, err) < 0)
		return -1;
	if (d->media_type && (!strcmp(d->media_type, MEDIA_OCI_INDEX) ||
			      !strcmp(d->media_type, MEDIA_DOCKER_LIST))) {
		struct image_index ix;
		int ret = 0;

		if (image_index_parse(json, len, &ix, err) < 0)
			return cb_error_wrap(err, "index `%s`", d->digest.str);
		/* An index may name platforms the archive does not carry. */
		for (size_t i = 0; ret == 0 && i < ix.nmanifests; i++)
			if (layer_store_blob_exists(s, &ix.manifests[i].digest, NULL, err) > 0)
				ret = check_image(s, &ix.manifests[i], depth + 1, err);
		image_index_release(&ix);
		return ret;
	}
	{
		struct image_manifest m;
		int ret;

		if (image_manifest_parse(json, len, &m, err) < 0)
			return cb_error_wrap(err, "manifest `%s`", d->digest.str);
		ret = need_blob(s, &m.config.digest, m.config.size, err);
		for (size_t i = 0; ret == 0 && i < m.nlayers; i++)
			ret = need_blob(s, &m.layers[i].digest, m.layers[i].size, err);
		image_manifest_release(&m);
		return ret < 0 ? cb_error_wrap(err, "manifest `%s`", d->digest.str) : 0;
	}
}

static int tag(struct loader *l, const char *name, const struct cb_digest *d,
	       struct cb_strvec *loaded, struct cb_error **err)
{
	cleanup_free char *full = l->normalize ? l->normalize(name, err) : xstrdup(name);

	if (!full)
		return cb_error_wrap(err, "image name `%s`", name);
	if (layer_store_tag_set(l->s, full, d, err) < 0)
		return -1;
	cb_strvec_push(loaded, full);
	return 0;
}

static int load_oci(struct loader *l, const struct member *index, struct cb_strvec *loaded,
		    struct cb_error **err)
{
	const struct member *layout = find_member(l, "oci-layout");
	struct image_index ix;
	int ret = 0;

	if (layout && layout->buf && !strstr(layout->buf, "\"1.0.0\""))
		return cb_error_set(err, 0, "unsupported OCI layout: %s", layout->buf);
	if (image_index_parse(index->buf, index->len, &ix, err) < 0)
		return cb_error_wrap(err, "index.json");
	for (size_t i = 0; ret == 0 && i < ix.nmanifests; i++) {
		const struct oci_descriptor *d = &ix.manifests[i];
		const char *name = cb_strmap_get(&d->annotations, "io.containerd.image.name");

		if (!name)
			name = cb_strmap_get(&d->annotations, "org.opencontainers.image.ref.name");
		ret = check_image(l->s, d, 0, err);
		if (ret == 0 && name)
			ret = tag(l, name, &d->digest, loaded, err);
		else if (ret == 0)
			cb_strvec_push(loaded, d->digest.str);
	}
	image_index_release(&ix);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* docker-archive                                                            */
/* ------------------------------------------------------------------------ */

/* The diff ID of a stored layer blob and its compression. */
static int layer_diff_id(struct layer_store *s, const struct cb_digest *blob,
			 struct cb_digest *diff_id, enum layer_compression *c,
			 struct cb_error **err)
{
	cleanup_close int fd = layer_store_blob_open(s, blob, err);
	struct layer_reader r;
	int ret;

	if (fd < 0 || layer_reader_open(&r, fd, 0, err) < 0)
		return -1;
	*c = r.codec->kind;
	if (*c == LAYER_UNCOMPRESSED) {
		*diff_id = *blob; /* the tar is the blob */
		layer_reader_release(&r);
		return 0;
	}
	ret = layer_reader_finish(&r, diff_id, err);
	layer_reader_release(&r);
	return ret;
}

/* The config member: held JSON stored as a blob now, or already a blob. */
static int docker_config(struct loader *l, const char *path, struct oci_descriptor *cd, char **json,
			 size_t *len, struct cb_error **err)
{
	struct member *m = find_member(l, path);

	if (!m)
		return cb_error_set(err, ENOENT, "config `%s` is not in the archive", path);
	if (m->buf) {
		if (layer_store_blob_put(l->s, m->buf, m->len, &cd->digest, err) < 0)
			return -1;
		cd->size = (int64_t)m->len;
		*json = xmemdup(m->buf, m->len + 1);
		*len = m->len;
		return 0;
	}
	cd->digest = m->d;
	cd->size = m->size;
	return layer_store_blob_read(l->s, &m->d, STORE_JSON_MAX, json, len, err);
}

static int docker_layers(struct loader *l, json_t *paths, const struct image_config *c,
			 struct image_manifest *man, struct cb_error **err)
{
	size_t n = json_array_size(paths);

	if (n != c->diff_ids.n)
		return cb_error_set(err, 0, "%zu layers for %zu diff IDs in the config", n,
				    c->diff_ids.n);
	man->layers = xcalloc(n + 1, sizeof(*man->layers));
	man->nlayers = n;
	for (size_t i = 0; i < n; i++) {
		const char *path = json_string_value(json_array_get(paths, i));
		struct member *m = path ? find_member(l, path) : NULL;
		struct cb_digest diff;
		enum layer_compression comp;

		if (!m || !m->stored)
			return cb_error_set(err, ENOENT, "layer `%s` is not in the archive",
					    path ? path : "?");
		if (layer_diff_id(l->s, &m->d, &diff, &comp, err) < 0)
			return cb_error_wrap(err, "layer `%s`", path);
		if (strcmp(diff.str, c->diff_ids.v[i]))
			return cb_error_set(err, 0, "layer `%s` has diff ID %s, the config says %s",
					    path, diff.str, c->diff_ids.v[i]);
		man->layers[i].media_type = xstrdup(layer_compression_media_type(comp));
		man->layers[i].digest = m->d;
		man->layers[i].size = m->size;
	}
	return 0;
}

static int docker_image(struct loader *l, json_t *item, struct cb_strvec *loaded,
			struct cb_error **err)
{
	const char *cpath = json_string_value(json_object_get(item, "Config"));
	json_t *tags = json_object_get(item, "RepoTags");
	cleanup_free char *cjson = NULL, *mjson = NULL;
	struct image_manifest man;
	struct image_config c;
	struct cb_digest md;
	size_t clen;
	size_t i;
	json_t *t;
	int ret = -1;

	memset(&man, 0, sizeof(man));
	memset(&c, 0, sizeof(c));
	if (!cpath || !json_is_array(json_object_get(item, "Layers")))
		return cb_error_set(err, 0, "manifest.json: an entry lacks Config or Layers");
	if (docker_config(l, cpath, &man.config, &cjson, &clen, err) < 0 ||
	    image_config_parse(cjson, clen, &c, err) < 0)
		return cb_error_wrap(err, "config `%s`", cpath);
	man.media_type = xstrdup(MEDIA_OCI_MANIFEST);
	man.config.media_type = xstrdup(MEDIA_OCI_CONFIG);
	if (docker_layers(l, json_object_get(item, "Layers"), &c, &man, err) < 0)
		goto out;
	mjson = image_manifest_to_json(&man);
	if (layer_store_blob_put(l->s, mjson, strlen(mjson), &md, err) < 0)
		goto out;
	ret = 0;
	json_array_foreach (tags, i, t)
		if (ret == 0 && json_string_value(t))
			ret = tag(l, json_string_value(t), &md, loaded, err);
	if (ret == 0 && !json_array_size(tags))
		cb_strvec_push(loaded, md.str);
out:
	image_manifest_release(&man);
	image_config_release(&c);
	return ret;
}

static int load_docker(struct loader *l, const struct member *manifest, struct cb_strvec *loaded,
		       struct cb_error **err)
{
	json_auto_t *root = store_json_parse(manifest->buf, manifest->len, "manifest.json", err);
	size_t i;
	json_t *item;

	if (!root)
		return -1;
	if (!json_is_array(root) || !json_array_size(root))
		return cb_error_set(err, 0, "manifest.json: not a list of images");
	json_array_foreach (root, i, item)
		if (docker_image(l, item, loaded, err) < 0)
			return cb_error_wrap(err, "manifest.json entry %zu", i);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Entry point                                                               */
/* ------------------------------------------------------------------------ */

static void loader_release(struct loader *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->m[i].name);
		free(l->m[i].alias);
		free(l->m[i].buf);
	}
	free(l->m);
	tar_in_release(&l->in);
	free(l->buf);
}

int layer_store_load(struct layer_store *s, int in_fd,
		     char *(*normalize)(const char *name, struct cb_error **err),
		     struct cb_strvec *loaded, struct cb_error **err)
{
	struct loader l = {.s = s, .normalize = normalize};
	const struct member *m;
	int ret = -1;

	l.buf = xmalloc(COPY_BUF);
	if (read_archive(&l, in_fd, err) < 0)
		goto out;
	if ((m = find_member(&l, "index.json")) && m->buf)
		ret = load_oci(&l, m, loaded, err);
	else if ((m = find_member(&l, "manifest.json")) && m->buf)
		ret = load_docker(&l, m, loaded, err);
	else
		ret = cb_error_set(err, 0,
				   "neither an OCI archive (index.json) nor a "
				   "docker-archive (manifest.json)");
out:
	loader_release(&l);
	return ret < 0 ? cb_error_wrap(err, "load") : 0;
}
