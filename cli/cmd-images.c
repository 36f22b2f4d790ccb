/*
 * cmd-images.c - `cbuild images`, `inspect`, `tag` and `rmi`: the images of
 * the store, by name.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "layerstore.h"
#include "xalloc.h"

const char cmd_images_usage[] =
	"usage: cbuild images [--root DIR] [--format table|json] [--quiet] [--no-trunc]\n"
	"\n"
	"List the tagged images of the store: REPOSITORY TAG IMAGE ID CREATED SIZE.\n"
	"IMAGE ID is the config digest; SIZE counts the config and the compressed\n"
	"layers.  --format json prints a JSON array (full names, digests, bytes).\n"
	"\n"
	"--root DIR    the store (default: $CBUILD_ROOT, /var/lib/cbuild for root,\n"
	"              else $XDG_DATA_HOME/cbuild)\n"
	"--quiet, -q   print image IDs only\n"
	"--no-trunc    print full image IDs\n";

const char cmd_inspect_usage[] =
	"usage: cbuild inspect [--root DIR] [--format json|manifest|config] IMAGE...\n"
	"\n"
	"Print what the store knows about each IMAGE (a name, a manifest digest or an\n"
	"image ID prefix) as a JSON array.  --format manifest or config prints the\n"
	"stored manifest or config blob of one IMAGE byte for byte.\n";

const char cmd_tag_usage[] =
	"usage: cbuild tag [--root DIR] SOURCE TARGET\n"
	"\n"
	"Give the image SOURCE (a name, digest or image ID) the name TARGET.\n";

const char cmd_rmi_usage[] =
	"usage: cbuild rmi [--root DIR] [--force] [--no-prune] IMAGE...\n"
	"\n"
	"Remove the names of each IMAGE.  A name removes that tag; an image ID or\n"
	"digest removes every tag of the image (--force when there are several).\n"
	"Then the objects nothing references any more are deleted, as `cbuild prune`\n"
	"does (not with --no-prune); the build cache is kept.\n";

/* The options of the commands here (each takes its own). */
struct opts {
	const char *root, *format;
	bool quiet, no_trunc, force, no_prune;
	int first_arg;
};

enum { OPT_NO_TRUNC = CLI_OPT_OWN, OPT_NO_PRUNE };

static const struct option images_options[] = {
	CLI_OPTION_ROOT,
	CLI_OPTION_FORMAT,
	{"quiet", no_argument, NULL, 'q'},
	{"no-trunc", no_argument, NULL, OPT_NO_TRUNC},
	CLI_OPTIONS_END,
};
static const struct option inspect_options[] = {CLI_OPTION_ROOT, CLI_OPTION_FORMAT,
						CLI_OPTIONS_END};
static const struct option tag_options[] = {CLI_OPTION_ROOT, CLI_OPTIONS_END};
static const struct option rmi_options[] = {
	CLI_OPTION_ROOT,
	{"force", no_argument, NULL, 'f'},
	{"no-prune", no_argument, NULL, OPT_NO_PRUNE},
	CLI_OPTIONS_END,
};

/* Command self's options (shorts, longs) into o: CLI_CONTINUE, or the exit status. */
static int command_opts(const struct cli_command *self, const char *shorts,
			const struct option *longs, int argc, char **argv, struct opts *o)
{
	struct cli_getopt g;
	int c, rc;

	memset(o, 0, sizeof(*o));
	cli_getopt_init(&g, self, argc, argv, shorts, longs);
	while ((c = cli_getopt_next(&g)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			return g.status;
		case CLI_OPT_ROOT:
			if ((rc = cli_opt_root(&g, &o->root)))
				return rc;
			break;
		case CLI_OPT_FORMAT:
			o->format = g.arg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_NO_TRUNC:
			o->no_trunc = true;
			break;
		case 'f':
			o->force = true;
			break;
		case OPT_NO_PRUNE:
			o->no_prune = true;
			break;
		}
	}
	o->first_arg = g.first_arg;
	return CLI_CONTINUE;
}

static uint64_t image_size(const struct store_image *img)
{
	uint64_t n = (uint64_t)img->manifest.config.size;

	for (size_t i = 0; i < img->manifest.nlayers; i++)
		n += (uint64_t)img->manifest.layers[i].size;
	return n;
}

/* ------------------------------------------------------------------------ */
/* images                                                                    */
/* ------------------------------------------------------------------------ */

struct row {
	char *repo, *tag, *id, *created, *ago;
	char size[16];
};

static void print_table(struct row *rows, size_t n)
{
	int w[4] = {10, 3, 8, 7};

	for (size_t i = 0; i < n; i++) {
		const char *cols[4] = {rows[i].repo, rows[i].tag, rows[i].id, rows[i].ago};

		for (int k = 0; k < 4; k++)
			if ((int)strlen(cols[k]) > w[k])
				w[k] = (int)strlen(cols[k]);
	}
	printf("%-*s   %-*s   %-*s   %-*s   %s\n", w[0], "REPOSITORY", w[1], "TAG", w[2],
	       "IMAGE ID", w[3], "CREATED", "SIZE");
	for (size_t i = 0; i < n; i++)
		printf("%-*s   %-*s   %-*s   %-*s   %s\n", w[0], rows[i].repo, w[1], rows[i].tag,
		       w[2], rows[i].id, w[3], rows[i].ago, rows[i].size);
}

static void add_row_json(json_t *arr, const struct layer_store_tag *t, const struct row *r,
			 const struct store_image *img)
{
	json_t *o = json_object();

	json_object_set_new(o, "Repository", json_string(r->repo));
	json_object_set_new(o, "Tag", json_string(r->tag));
	json_object_set_new(o, "Name", json_string(t->name));
	json_object_set_new(o, "ID",
			    img ? json_string(img->manifest.config.digest.str) : json_null());
	json_object_set_new(o, "Digest", json_string(t->digest.str));
	json_object_set_new(o, "Created", r->created ? json_string(r->created) : json_null());
	json_object_set_new(o, "Size",
			    img ? json_integer((json_int_t)image_size(img)) : json_null());
	json_array_append_new(arr, o);
}

static void fill_row(struct row *r, const struct layer_store_tag *t, const struct store_image *img,
		     bool no_trunc)
{
	char ago[32];

	r->repo = cli_store_familiar(t->name, &r->tag);
	if (!img) {
		r->id = xstrdup("<broken>");
		r->ago = xstrdup("N/A");
		snprintf(r->size, sizeof(r->size), "N/A");
		return;
	}
	r->id = no_trunc ? xstrdup(img->manifest.config.digest.str)
			 : xstrndup(cb_digest_hex(&img->manifest.config.digest), 12);
	r->created = img->config.created ? xstrdup(img->config.created) : NULL;
	cli_format_ago(r->created, ago);
	r->ago = xstrdup(ago);
	/* `docker images` rounds to 3 significant digits, `docker system df` to 4. */
	cli_format_size_digits(image_size(img), 3, r->size);
}

static int list_images(struct layer_store *s, const struct opts *o)
{
	struct layer_store_tag *tags = NULL;
	struct cb_error *err = NULL;
	json_auto_t *arr = json_array();
	struct row *rows;
	size_t n = 0;

	if (layer_store_tag_list(s, &tags, &n, &err) < 0) {
		cb_error_report(&err);
		return 1;
	}
	rows = xcalloc(n + 1, sizeof(*rows));
	for (size_t i = 0; i < n; i++) {
		struct store_image img;
		bool ok = layer_store_image_get(s, tags[i].name, &img, &err) == 0;

		if (!ok)
			cb_error_report_prefix(&err, "cbuild images: warning");
		fill_row(&rows[i], &tags[i], ok ? &img : NULL, o->no_trunc);
		add_row_json(arr, &tags[i], &rows[i], ok ? &img : NULL);
		if (ok)
			store_image_release(&img);
	}
	if (o->format && !strcmp(o->format, "json")) {
		char *text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		printf("%s\n", text ? text : "[]");
		free(text);
	} else if (o->quiet) {
		for (size_t i = 0; i < n; i++)
			if (i == 0 || strcmp(rows[i].id, rows[i - 1].id))
				printf("%s\n", rows[i].id);
	} else {
		print_table(rows, n);
	}
	for (size_t i = 0; i < n; i++) {
		free(rows[i].repo);
		free(rows[i].tag);
		free(rows[i].id);
		free(rows[i].created);
		free(rows[i].ago);
	}
	free(rows);
	layer_store_tags_free(tags, n);
	return 0;
}

int cmd_images(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("images");
	struct layer_store *s;
	struct opts o;
	int rc = command_opts(self, "q", images_options, argc, argv, &o);

	if (rc != CLI_CONTINUE)
		return rc;
	if (o.first_arg != argc)
		return cli_usage_error(self, "unexpected argument `%s`", argv[o.first_arg]);
	if (o.format && strcmp(o.format, "json") && strcmp(o.format, "table"))
		return cli_usage_error(self, "unknown format `%s` (want table or json)", o.format);
	s = cli_store_open(o.root);
	if (!s)
		return 1;
	rc = list_images(s, &o);
	layer_store_close(s);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* inspect                                                                   */
/* ------------------------------------------------------------------------ */

/* The tags whose image is the manifest d (directly, or through an index). */
static int tags_of(struct layer_store *s, const struct cb_digest *d, struct cb_strvec *out,
		   struct cb_error **err)
{
	struct layer_store_tag *tags = NULL;
	size_t n = 0;

	if (layer_store_tag_list(s, &tags, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct store_image img;
		struct cb_error *ignored = NULL;

		if (cb_digest_equal(&tags[i].digest, d)) {
			cb_strvec_push(out, tags[i].name);
			continue;
		}
		if (layer_store_image_get(s, tags[i].name, &img, &ignored) < 0) {
			cb_error_free(&ignored); /* a broken tag is not this image's */
			continue;
		}
		if (cb_digest_equal(&img.manifest_digest, d))
			cb_strvec_push(out, tags[i].name);
		store_image_release(&img);
	}
	layer_store_tags_free(tags, n);
	return 0;
}

static json_t *strvec_json(const struct cb_strvec *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static json_t *layers_json(const struct image_manifest *m)
{
	json_t *a = json_array();

	for (size_t i = 0; i < m->nlayers; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:I}", "MediaType",
						   m->layers[i].media_type, "Digest",
						   m->layers[i].digest.str, "Size",
						   (json_int_t)m->layers[i].size));
	return a;
}

/* docker inspect's Comment: the config's, else the last history entry's. */
static const char *image_comment(const struct image_config *c)
{
	const char *v = c->comment;

	if ((!v || !*v) && c->nhistory)
		v = c->history[c->nhistory - 1].comment;
	return v ? v : "";
}

static json_t *str_or_empty(const char *s)
{
	return json_string(s ? s : "");
}

/* A list, or null when empty (Go's nil slice), unless present says it was set. */
static json_t *list_or_null(const struct cb_strvec *v, bool present)
{
	return v->n || present ? strvec_json(v) : json_null();
}

/* {"k": {}} for each key, as Go's map[string]struct{}. */
static json_t *key_set(const struct cb_strvec *v)
{
	json_t *o = json_object();

	for (size_t i = 0; i < v->n; i++)
		json_object_set_new(o, v->v[i], json_object());
	return o;
}

static json_t *healthcheck_json(const struct oci_healthcheck *h)
{
	json_t *o = json_pack("{s:o}", "Test", strvec_json(&h->test));
	const struct {
		const char *key;
		int64_t v;
	} opt[] = {{"Interval", h->interval_ns},
		   {"Timeout", h->timeout_ns},
		   {"StartPeriod", h->start_period_ns},
		   {"StartInterval", h->start_interval_ns},
		   {"Retries", h->retries}};

	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++)
		if (opt[i].v)
			json_object_set_new(o, opt[i].key, json_integer((json_int_t)opt[i].v));
	return o;
}

/*
 * docker inspect's Config: Docker's container.Config in its field order,
 * every field shown but those Go omits when empty, whatever the config
 * blob held (the store's model of it, struct image_config).
 */
static json_t *config_json(const struct image_config *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "Hostname", json_string(""));
	json_object_set_new(o, "Domainname", json_string(""));
	json_object_set_new(o, "User", str_or_empty(c->user));
	json_object_set_new(o, "AttachStdin", json_false());
	json_object_set_new(o, "AttachStdout", json_false());
	json_object_set_new(o, "AttachStderr", json_false());
	if (c->exposed_ports.n)
		json_object_set_new(o, "ExposedPorts", key_set(&c->exposed_ports));
	json_object_set_new(o, "Tty", json_false());
	json_object_set_new(o, "OpenStdin", json_false());
	json_object_set_new(o, "StdinOnce", json_false());
	json_object_set_new(o, "Env", list_or_null(&c->env, false));
	json_object_set_new(o, "Cmd", list_or_null(&c->cmd, c->has_cmd));
	if (c->healthcheck.test.n)
		json_object_set_new(o, "Healthcheck", healthcheck_json(&c->healthcheck));
	if (c->args_escaped)
		json_object_set_new(o, "ArgsEscaped", json_true());
	json_object_set_new(o, "Image", json_string(""));
	json_object_set_new(o, "Volumes", c->volumes.n ? key_set(&c->volumes) : json_null());
	json_object_set_new(o, "WorkingDir", str_or_empty(c->working_dir));
	json_object_set_new(o, "Entrypoint", list_or_null(&c->entrypoint, c->has_entrypoint));
	json_object_set_new(o, "OnBuild", list_or_null(&c->onbuild, false));
	if (c->labels.keys.n) {
		json_t *l = json_object();

		for (size_t i = 0; i < c->labels.keys.n; i++)
			json_object_set_new(l, c->labels.keys.v[i],
					    json_string(c->labels.values.v[i]));
		json_object_set_new(o, "Labels", l);
	} else {
		json_object_set_new(o, "Labels", json_null());
	}
	if (c->stop_signal && *c->stop_signal)
		json_object_set_new(o, "StopSignal", json_string(c->stop_signal));
	if (c->shell.n)
		json_object_set_new(o, "Shell", strvec_json(&c->shell));
	return o;
}

/* The config's history, in the image-spec's keys. */
static json_t *history_json(const struct image_config *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->nhistory; i++) {
		const struct oci_history *h = &c->history[i];
		json_t *o = json_object();

		if (h->created)
			json_object_set_new(o, "created", json_string(h->created));
		if (h->created_by)
			json_object_set_new(o, "created_by", json_string(h->created_by));
		if (h->comment)
			json_object_set_new(o, "comment", json_string(h->comment));
		if (h->empty_layer)
			json_object_set_new(o, "empty_layer", json_true());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *inspect_one(struct layer_store *s, const struct store_image *img,
			   struct cb_error **err)
{
	const struct image_config *c = &img->config;
	struct cb_strvec tags = CB_STRVEC_INIT;
	json_t *o;

	if (tags_of(s, &img->manifest_digest, &tags, err) < 0) {
		cb_strvec_clear(&tags);
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "Id", json_string(img->manifest.config.digest.str));
	json_object_set_new(o, "Digest", json_string(img->manifest_digest.str));
	json_object_set_new(o, "RepoTags", strvec_json(&tags));
	/* docker inspect's names; no registry digests until images are pulled. */
	json_object_set_new(o, "RepoDigests", json_array());
	json_object_set_new(o, "Parent", json_string(""));
	json_object_set_new(o, "Comment", json_string(image_comment(c)));
	json_object_set_new(o, "Created", c->created ? json_string(c->created) : json_null());
	json_object_set_new(o, "DockerVersion", str_or_empty(c->docker_version));
	json_object_set_new(o, "Author", str_or_empty(c->author));
	json_object_set_new(o, "Architecture", str_or_empty(c->platform.architecture));
	json_object_set_new(o, "Os", str_or_empty(c->platform.os));
	if (c->platform.variant)
		json_object_set_new(o, "Variant", json_string(c->platform.variant));
	json_object_set_new(o, "Size", json_integer((json_int_t)image_size(img)));
	json_object_set_new(o, "Config", config_json(c));
	json_object_set_new(
		o, "RootFS",
		json_pack("{s:s, s:o}", "Type", "layers", "Layers", strvec_json(&c->diff_ids)));
	json_object_set_new(o, "Layers", layers_json(&img->manifest));
	json_object_set_new(o, "History", history_json(c));
	json_object_set_new(o, "ManifestMediaType",
			    json_string(img->manifest.media_type ?: MEDIA_OCI_MANIFEST));
	cb_strvec_clear(&tags);
	return o;
}

static int print_raw(struct layer_store *s, const struct store_image *img, bool config)
{
	const struct cb_digest *d = config ? &img->manifest.config.digest : &img->manifest_digest;
	struct cb_error *err = NULL;
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (layer_store_blob_read(s, d, 16u << 20, &buf, &len, &err) < 0) {
		cb_error_report(&err);
		return 1;
	}
	fwrite(buf, 1, len, stdout);
	return 0;
}

static int inspect(struct layer_store *s, const struct opts *o, int argc, char **argv)
{
	json_auto_t *arr = json_array();
	bool raw = o->format && strcmp(o->format, "json");
	char *text;
	int rc = 0;

	for (int i = o->first_arg; i < argc; i++) {
		struct cb_error *err = NULL;
		struct store_image img;
		json_t *one;

		if (cli_store_resolve(s, argv[i], &img, NULL, &err) < 0) {
			cb_error_report(&err);
			rc = 1;
			continue;
		}
		if (raw) {
			rc |= print_raw(s, &img, !strcmp(o->format, "config"));
		} else if ((one = inspect_one(s, &img, &err))) {
			json_array_append_new(arr, one);
		} else {
			cb_error_report(&err);
			rc = 1;
		}
		store_image_release(&img);
	}
	if (raw)
		return rc;
	text = json_dumps(arr, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	printf("%s\n", text ? text : "[]");
	free(text);
	return rc;
}

int cmd_inspect(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("inspect");
	struct layer_store *s;
	struct opts o;
	int rc = command_opts(self, "", inspect_options, argc, argv, &o);

	if (rc != CLI_CONTINUE)
		return rc;
	if (o.first_arg >= argc)
		return cli_usage_error(self, "missing IMAGE");
	if (o.format && strcmp(o.format, "json") && strcmp(o.format, "manifest") &&
	    strcmp(o.format, "config"))
		return cli_usage_error(self, "unknown format `%s` (want json, manifest or config)",
				       o.format);
	if (o.format && strcmp(o.format, "json") && argc - o.first_arg != 1)
		return cli_usage_error(self, "--format %s takes exactly one IMAGE", o.format);
	s = cli_store_open(o.root);
	if (!s)
		return 1;
	rc = inspect(s, &o, argc, argv);
	layer_store_close(s);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* tag                                                                       */
/* ------------------------------------------------------------------------ */

/* What SOURCE names: a tag's own target (maybe an index), else the image's manifest. */
static int source_digest(struct layer_store *s, const char *src, struct cb_digest *d,
			 struct cb_error **err)
{
	struct store_image img;
	char *tag = NULL;

	if (cli_store_resolve(s, src, &img, &tag, err) < 0)
		return -1;
	*d = img.manifest_digest;
	store_image_release(&img);
	if (tag) {
		int ret = layer_store_tag_get(s, tag, d, err);

		free(tag);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int tag_image(struct layer_store *s, const char *src, const char *dst)
{
	struct cb_error *err = NULL;
	cleanup_free char *name = NULL;
	struct cb_digest d;

	if (strchr(dst, '@')) {
		cb_eprintf("cbuild tag: refusing to create a tag with a digest reference "
			   "`%s`\n",
			   dst);
		return 1;
	}
	name = cli_store_normalize(dst, &err);
	if (!name || source_digest(s, src, &d, &err) < 0 ||
	    layer_store_tag_set(s, name, &d, &err) < 0) {
		cb_error_report(&err);
		return 1;
	}
	return 0;
}

int cmd_tag(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("tag");
	struct layer_store *s;
	struct opts o;
	int rc = command_opts(self, "", tag_options, argc, argv, &o);

	if (rc != CLI_CONTINUE)
		return rc;
	if (argc - o.first_arg != 2)
		return cli_usage_error(self, "want SOURCE and TARGET");
	s = cli_store_open(o.root);
	if (!s)
		return 1;
	rc = tag_image(s, argv[o.first_arg], argv[o.first_arg + 1]);
	layer_store_close(s);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* rmi                                                                       */
/* ------------------------------------------------------------------------ */

static void untag(struct layer_store *s, const char *name, int *rc)
{
	struct cb_error *err = NULL;
	char *tag = NULL;
	char *repo = cli_store_familiar(name, &tag);

	if (layer_store_tag_delete(s, name, &err) < 0) {
		cb_error_report(&err);
		*rc = 1;
	} else {
		printf("Untagged: %s:%s\n", repo, tag);
	}
	free(repo);
	free(tag);
}

static int rmi_one(struct layer_store *s, const char *arg, bool force)
{
	struct cb_strvec tags = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	struct store_image img;
	char *tag = NULL;
	int rc = 0;

	if (cli_store_resolve(s, arg, &img, &tag, &err) < 0) {
		cb_error_report(&err);
		return 1;
	}
	if (tag) {
		untag(s, tag, &rc);
		free(tag);
		store_image_release(&img);
		return rc;
	}
	if (tags_of(s, &img.manifest_digest, &tags, &err) < 0) {
		cb_error_report(&err);
		rc = 1;
	} else if (tags.n > 1 && !force) {
		cb_eprintf("cbuild rmi: image `%s` has %zu names (%s, ...); remove them one by "
			   "one or use --force\n",
			   arg, tags.n, tags.v[0]);
		rc = 1;
	} else {
		for (size_t i = 0; i < tags.n; i++)
			untag(s, tags.v[i], &rc);
	}
	cb_strvec_clear(&tags);
	store_image_release(&img);
	return rc;
}

int cmd_rmi(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("rmi");
	struct layer_store_prune_opts po = {false, 0};
	struct layer_store_usage gone;
	struct cb_error *err = NULL;
	struct layer_store *s;
	struct opts o;
	int rc = command_opts(self, "f", rmi_options, argc, argv, &o);

	if (rc != CLI_CONTINUE)
		return rc;
	if (o.first_arg >= argc)
		return cli_usage_error(self, "missing IMAGE");
	s = cli_store_open(o.root);
	if (!s)
		return 1;
	rc = 0;
	for (int i = o.first_arg; i < argc; i++)
		rc |= rmi_one(s, argv[i], o.force);
	if (!o.no_prune && layer_store_prune(s, &po, &gone, &err) < 0) {
		cb_error_report(&err);
		rc = 1;
	} else if (!o.no_prune && (gone.blobs || gone.snapshots)) {
		char size[16];

		cli_format_size(gone.blob_bytes + gone.snapshot_bytes, size);
		printf("Deleted: %llu blobs, %llu snapshots (%s)\n", (unsigned long long)gone.blobs,
		       (unsigned long long)gone.snapshots, size);
	}
	layer_store_close(s);
	return rc;
}
