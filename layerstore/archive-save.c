/*
 * archive-save.c - `cbuild save`: images of the store written as one tar,
 * either an OCI archive or a docker-archive.
 *
 * OCI archive (what `skopeo inspect oci-archive:`, `umoci` and `podman
 * load` read):
 *	oci-layout                 {"imageLayoutVersion":"1.0.0"}
 *	index.json                 one manifest per name, annotated with
 *	                           org.opencontainers.image.ref.name and
 *	                           io.containerd.image.name (the full name)
 *	blobs/sha256/<hex>         manifests, configs, layers as stored
 *
 * docker-archive (Docker's `docker save` before 25, skopeo's writer):
 *	<diff id hex>.tar          each layer, uncompressed
 *	<config hex>.json          each config
 *	manifest.json              [{"Config", "RepoTags", "Layers"}]
 *	repositories               {"repo": {"tag": "<top layer id>"}}
 *
 * Entries have mode 0644/0755, owner 0:0 and mtime 0, so saving the same
 * images twice gives the same bytes.  A tag naming an index is saved as
 * the manifest for this machine's platform (the only one sure to be whole).
 * The tar itself is written by tar_out (tardiff.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "fsutil.h"
#include "layerstore-internal.h"
#include "xalloc.h"

#define COPY_BUF (1024 * 1024)

/* A plain entry of the archive: mode, owner 0:0, mtime 0. */
static void plain_entry(struct tar_out *t, const char *name, mode_t type, int64_t size)
{
	archive_entry_clear(t->e);
	archive_entry_copy_pathname(t->e, name);
	archive_entry_set_filetype(t->e, type);
	archive_entry_set_perm(t->e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(t->e, type == AE_IFDIR ? 0 : size);
	archive_entry_set_mtime(t->e, 0, 0);
}

static int put_dir(struct tar_out *t, const char *name, struct cb_error **err)
{
	plain_entry(t, name, AE_IFDIR, 0);
	return tar_out_header(t, err);
}

static int put_buf(struct tar_out *t, const char *name, const char *buf, size_t len,
		   struct cb_error **err)
{
	plain_entry(t, name, AE_IFREG, (int64_t)len);
	if (tar_out_header(t, err) < 0)
		return -1;
	return tar_out_data(t, buf, len, err);
}

/* Copy size bytes of fd (from its start) as the data of the current entry. */
static int copy_fd(struct tar_out *t, int fd, int64_t size, unsigned char *buf,
		   struct cb_error **err)
{
	while (size > 0) {
		ssize_t n = read(fd, buf, size < COPY_BUF ? (size_t)size : COPY_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cb_error_set(err, errno, "read blob");
		if (n == 0)
			return cb_error_set(err, 0, "blob shorter than its size");
		if (tar_out_data(t, buf, (size_t)n, err) < 0)
			return -1;
		size -= n;
	}
	return 0;
}

/* The blob d (as it is in the store) under name. */
static int put_blob(struct layer_store *s, struct tar_out *t, const char *name,
		    const struct cb_digest *d, unsigned char *buf, struct cb_error **err)
{
	cleanup_close int fd = -1;
	struct stat st;

	if (layer_store_lease_add(s, d, err) < 0)
		return -1;
	fd = layer_store_blob_open(s, d, err);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return cb_error_set(err, errno, "stat blob `%s`", d->str);
	plain_entry(t, name, AE_IFREG, st.st_size);
	if (tar_out_header(t, err) < 0 || copy_fd(t, fd, st.st_size, buf, err) < 0)
		return cb_error_wrap(err, "save blob `%s`", d->str);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The images to save                                                        */
/* ------------------------------------------------------------------------ */

struct saved {
	char *name; /* the tag, or NULL when saved by ID or digest */
	struct store_image img;
	int64_t manifest_size;
	char *manifest_type;
};

static void saved_release(struct saved *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].manifest_type);
		store_image_release(&v[i].img);
	}
	free(v);
}

static int resolve_all(struct layer_store *s, const char *const *names, size_t n, bool gzip,
		       struct saved **out, struct cb_error **err)
{
	struct saved *v = xcalloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		struct cb_digest tagged;
		int is_tag = layer_store_tag_get(s, names[i], &tagged, err);

		if (is_tag < 0 || layer_store_image_get(s, names[i], &v[i].img, err) < 0) {
			saved_release(v, i);
			return cb_error_wrap(err, "save `%s`", names[i]);
		}
		v[i].name = is_tag ? xstrdup(names[i]) : NULL;
		if (layer_store_blob_exists(s, &v[i].img.manifest_digest, &v[i].manifest_size,
					    err) <= 0) {
			saved_release(v, i + 1);
			if (!*err)
				cb_error_set(err, ENOENT, "manifest of `%s` is missing", names[i]);
			return -1;
		}
		v[i].manifest_type =
			xstrdup(v[i].img.manifest.media_type ? v[i].img.manifest.media_type
							     : MEDIA_OCI_MANIFEST);
		/*
		 * An OCI archive carries layers compressed, as BuildKit's OCI
		 * exporter writes them: a build's snapshot-backed layers leave
		 * as their gzip blobs, under a stored manifest naming those.
		 */
		if (gzip &&
		    layer_store_manifest_gzip(s, &v[i].img.manifest, &v[i].img.manifest_digest,
					      &v[i].manifest_size, err) < 0) {
			cb_error_wrap(err, "save `%s`", names[i]);
			saved_release(v, i + 1);
			return -1;
		}
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* OCI archive                                                               */
/* ------------------------------------------------------------------------ */

/* The tag of a normalised name ("v1.2" of "host/team/app:v1.2"), or the name when it has none. */
static const char *name_tag(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');

	return colon && !strchr(colon, '@') ? colon + 1 : name;
}

static char *oci_index_json(const struct saved *v, size_t n, bool tag_refs)
{
	struct image_index ix;
	char *json;

	memset(&ix, 0, sizeof(ix));
	ix.media_type = xstrdup(MEDIA_OCI_INDEX);
	ix.manifests = xcalloc(n ? n : 1, sizeof(*ix.manifests));
	ix.nmanifests = n;
	for (size_t i = 0; i < n; i++) {
		struct oci_descriptor *d = &ix.manifests[i];

		d->media_type = xstrdup(v[i].manifest_type);
		d->digest = v[i].img.manifest_digest;
		d->size = v[i].manifest_size;
		if (v[i].name) {
			cb_strmap_set(&d->annotations, "io.containerd.image.name", v[i].name);
			cb_strmap_set(&d->annotations, "org.opencontainers.image.ref.name",
				      tag_refs ? name_tag(v[i].name) : v[i].name);
		}
	}
	json = image_index_to_json(&ix);
	image_index_release(&ix);
	return json;
}

static int oci_blob(struct layer_store *s, struct tar_out *t, struct digest_set *done,
		    const struct cb_digest *d, unsigned char *buf, struct cb_error **err)
{
	char name[STORE_PATH_MAX];

	if (!digest_set_add(done, d))
		return 0;
	snprintf(name, sizeof(name), "blobs/sha256/%s", cb_digest_hex(d));
	return put_blob(s, t, name, d, buf, err);
}

static int save_oci(struct layer_store *s, struct tar_out *t, const struct saved *v, size_t n,
		    bool tag_refs, struct cb_error **err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	cleanup_free char *index = oci_index_json(v, n, tag_refs);
	cleanup_free unsigned char *buf = xmalloc(COPY_BUF);
	struct digest_set done;
	int ret = -1;

	digest_set_init(&done);
	if (put_buf(t, "oci-layout", layout, strlen(layout), err) < 0 ||
	    put_buf(t, "index.json", index, strlen(index), err) < 0 ||
	    put_dir(t, "blobs/", err) < 0 || put_dir(t, "blobs/sha256/", err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct image_manifest *m = &v[i].img.manifest;

		if (oci_blob(s, t, &done, &v[i].img.manifest_digest, buf, err) < 0 ||
		    oci_blob(s, t, &done, &m->config.digest, buf, err) < 0)
			goto out;
		for (size_t j = 0; j < m->nlayers; j++)
			if (oci_blob(s, t, &done, &m->layers[j].digest, buf, err) < 0)
				goto out;
	}
	ret = 0;
out:
	digest_set_release(&done);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* docker-archive                                                            */
/* ------------------------------------------------------------------------ */

/* Docker writes familiar names: "busybox:latest", "user/app:1", "localhost:5000/x:y". */
char *archive_familiar_name(const char *name)
{
	if (cb_str_starts_with(name, "docker.io/library/") && !strchr(name + 18, '/'))
		return xstrdup(name + 18);
	if (cb_str_starts_with(name, "docker.io/"))
		return xstrdup(name + 10);
	return xstrdup(name);
}

/* The uncompressed size of a layer blob: one decoding pass, counting. */
static int layer_tar_size(struct layer_store *s, const struct cb_digest *d, int64_t *size,
			  struct cb_error **err)
{
	cleanup_close int fd = layer_store_blob_open(s, d, err);
	struct layer_reader r;
	const void *p;
	ssize_t n;
	int64_t total = 0;

	if (fd < 0 || layer_reader_open(&r, fd, 0, err) < 0)
		return -1;
	while ((n = layer_reader_next(&r, &p, err)) > 0)
		total += n;
	layer_reader_release(&r);
	if (n < 0)
		return cb_error_wrap(err, "layer `%s`", d->str);
	*size = total;
	return 0;
}

static int tar_data_sink(void *ctx, const void *buf, size_t len, struct cb_error **err)
{
	return tar_out_data(ctx, buf, len, err);
}

/*
 * A layer as docker-archive wants it: uncompressed, whatever the store
 * holds.  A build's layer is written straight from its snapshot (checked
 * as it goes, backed.c), with no copy of it in between.
 */
static int put_layer_tar(struct layer_store *s, struct tar_out *t, const char *name,
			 const struct oci_descriptor *desc, struct cb_error **err)
{
	const struct cb_digest *d = &desc->digest;
	bool plain = desc->media_type && (!strcmp(desc->media_type, MEDIA_OCI_LAYER) ||
					  !strcmp(desc->media_type, MEDIA_DOCKER_LAYER));
	struct layer_sink sink = {tar_data_sink, t};
	cleanup_close int fd = -1;
	struct backed_layer b;
	struct layer_reader r;
	struct stat st;
	const void *p;
	ssize_t n;
	int64_t size = 0;
	int backed;

	if (layer_store_lease_add(s, d, err) < 0 || (backed = store_backed_only(s, d, &b, err)) < 0)
		return -1;
	if (backed) {
		plain_entry(t, name, AE_IFREG, b.size);
		if (tar_out_header(t, err) < 0 || store_backed_write(s, d, &b, &sink, err) < 0)
			return cb_error_wrap(err, "save layer `%s`", d->str);
		return 0;
	}
	if (!plain && layer_tar_size(s, d, &size, err) < 0)
		return -1;
	fd = layer_store_blob_open(s, d, err);
	if (fd < 0)
		return -1;
	if (plain) { /* uncompressed: its size is the tar's, no counting pass */
		if (fstat(fd, &st) < 0)
			return cb_error_set(err, errno, "stat blob `%s`", d->str);
		size = (int64_t)st.st_size;
	}
	if (layer_reader_open(&r, fd, 0, err) < 0)
		return -1;
	plain_entry(t, name, AE_IFREG, size);
	n = tar_out_header(t, err);
	while (n >= 0 && (n = layer_reader_next(&r, &p, err)) > 0)
		if (tar_out_data(t, p, (size_t)n, err) < 0)
			n = -1;
	layer_reader_release(&r);
	return n < 0 ? cb_error_wrap(err, "save layer `%s`", d->str) : 0;
}

static int docker_image(struct layer_store *s, struct tar_out *t, const struct saved *v,
			struct digest_set *done, json_t *manifest, json_t *repos,
			struct cb_error **err)
{
	const struct image_manifest *m = &v->img.manifest;
	const struct image_config *c = &v->img.config;
	char cname[CB_DIGEST_HEX + 8], lname[CB_DIGEST_HEX + 8];
	json_t *item = json_object(), *layers = json_array(), *tags = json_array();
	cleanup_free unsigned char *buf = xmalloc(COPY_BUF);

	json_array_append_new(manifest, item);
	snprintf(cname, sizeof(cname), "%s.json", cb_digest_hex(&m->config.digest));
	json_object_set_new(item, "Config", json_string(cname));
	json_object_set_new(item, "RepoTags", tags);
	json_object_set_new(item, "Layers", layers);
	if (c->diff_ids.n != m->nlayers)
		return cb_error_set(err, 0, "image config has %zu diff IDs for %zu layers",
				    c->diff_ids.n, m->nlayers);
	if (digest_set_add(done, &m->config.digest) &&
	    put_blob(s, t, cname, &m->config.digest, buf, err) < 0)
		return -1;
	for (size_t i = 0; i < m->nlayers; i++) {
		struct cb_digest diff;

		if (cb_digest_parse(c->diff_ids.v[i], &diff, err) < 0)
			return -1;
		snprintf(lname, sizeof(lname), "%s.tar", cb_digest_hex(&diff));
		json_array_append_new(layers, json_string(lname));
		if (digest_set_add(done, &diff) &&
		    put_layer_tar(s, t, lname, &m->layers[i], err) < 0)
			return -1;
	}
	if (v->name) {
		cleanup_free char *fam = archive_familiar_name(v->name);
		char *colon = strrchr(fam, ':');
		json_t *repo;

		json_array_append_new(tags, json_string(fam));
		/* The top layer's ID, which for us is its file name: the diff ID. */
		if (colon && !strchr(colon, '/') && m->nlayers) {
			const char *top = c->diff_ids.v[m->nlayers - 1];

			*colon = '\0';
			repo = json_object_get(repos, fam);
			if (!repo)
				json_object_set_new(repos, fam, repo = json_object());
			json_object_set_new(repo, colon + 1, json_string(top + 7));
		}
	}
	return 0;
}

static int save_docker(struct layer_store *s, struct tar_out *t, const struct saved *v, size_t n,
		       struct cb_error **err)
{
	json_auto_t *manifest = json_array();
	json_auto_t *repos = json_object();
	cleanup_free char *mjson = NULL, *rjson = NULL;
	struct digest_set done;
	int ret = -1;

	digest_set_init(&done);
	for (size_t i = 0; i < n; i++)
		if (docker_image(s, t, &v[i], &done, manifest, repos, err) < 0)
			goto out;
	mjson = json_dumps(manifest, JSON_COMPACT);
	rjson = json_dumps(repos, JSON_COMPACT | JSON_SORT_KEYS);
	if (!mjson || !rjson) {
		cb_error_set(err, ENOMEM, "encode manifest.json");
		goto out;
	}
	if (put_buf(t, "manifest.json", mjson, strlen(mjson), err) < 0 ||
	    put_buf(t, "repositories", rjson, strlen(rjson), err) < 0)
		goto out;
	ret = 0;
out:
	digest_set_release(&done);
	return ret;
}

int layer_store_save(struct layer_store *s, const char *const *names, size_t n,
		     enum image_archive_format f, int out_fd, struct cb_error **err)
{
	struct layer_sink sink = {layer_sink_fd_write, &out_fd};
	struct saved *v = NULL;
	struct tar_out t;
	int ret = -1;

	if (!n)
		return cb_error_set(err, 0, "save: no image named");
	if (resolve_all(s, names, n, f != IMAGE_ARCHIVE_DOCKER, &v, err) < 0)
		return -1;
	if (tar_out_open(&t, &sink, "tar", err) < 0)
		goto out;
	if ((f != IMAGE_ARCHIVE_DOCKER ? save_oci(s, &t, v, n, f == IMAGE_ARCHIVE_OCI_TAG, err)
				       : save_docker(s, &t, v, n, err)) < 0 ||
	    tar_out_close(&t, err) < 0)
		goto out;
	ret = 0;
out:
	tar_out_release(&t);
	saved_release(v, n);
	return ret < 0 ? cb_error_wrap(err, "save") : 0;
}
