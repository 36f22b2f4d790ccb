/*
 * cmd-archive.c - images in and out of the store as files: `cbuild save`,
 * `cbuild load` and `cbuild import`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "fsutil.h"
#include "layerstore.h"
#include "xalloc.h"

const char cmd_save_usage[] =
	"usage: cbuild save [--root DIR] [-o FILE] [--format oci|docker] IMAGE...\n"
	"\n"
	"Write images to one tar file: an OCI archive (default; what `skopeo`,\n"
	"`umoci` and `podman load` read, each image named by an\n"
	"org.opencontainers.image.ref.name annotation) or a docker-archive\n"
	"(manifest.json and repositories, as `docker save` writes).  IMAGE is a\n"
	"name, an image ID (prefix) or a digest.\n"
	"\n"
	"-o, --output FILE   the file to write (replaced only when complete);\n"
	"                    standard output when absent or `-`\n"
	"--format FORMAT     oci (default) or docker\n";

const char cmd_load_usage[] =
	"usage: cbuild load [--root DIR] [-i FILE] [-q]\n"
	"\n"
	"Read images from an OCI archive or a docker-archive (as written by cbuild\n"
	"save, docker save, podman save, skopeo or buildah; the archive and its\n"
	"layers may be compressed with gzip or zstd) into the store and tag them with\n"
	"the names the archive gives.  Every blob is verified.\n"
	"\n"
	"-i, --input FILE    the archive (standard input when absent or `-`)\n"
	"-q, --quiet         print nothing\n";

const char cmd_import_usage[] =
	"usage: cbuild import [--root DIR] [--compression gzip|zstd|none]\n"
	"                     [--compression-level N] ROOTFS.tar|- NAME\n"
	"\n"
	"Make a single-layer base image called NAME from a rootfs tarball (plain,\n"
	"gzip or zstd; `-` reads standard input) and print its image ID.  Entries are\n"
	"rewritten as cbuild writes layers (numeric owners, clamped times when\n"
	"SOURCE_DATE_EPOCH is set); `..` or absolute names are refused.\n"
	"\n"
	"--compression C         layer compression: gzip (default), zstd or none\n"
	"--compression-level N   gzip 1-9 (default 1, see docs/STORE.md), zstd 1-19\n"
	"                        (default 3)\n";

/* ------------------------------------------------------------------------ */
/* save                                                                      */
/* ------------------------------------------------------------------------ */

/* IMAGE arguments as save wants them: tags, else the manifest digest. */
static int save_names(struct layer_store *s, char **args, int n, struct cb_strvec *names)
{
	for (int i = 0; i < n; i++) {
		struct cb_error *err = NULL;
		struct store_image img;
		char *tag = NULL;

		if (cli_store_resolve(s, args[i], &img, &tag, &err) < 0) {
			cb_error_report(&err);
			return -1;
		}
		if (tag)
			cb_strvec_push_take(names, tag);
		else
			cb_strvec_push(names, img.manifest_digest.str);
		store_image_release(&img);
	}
	return 0;
}

/* Write to a temp file beside out, fsync, rename: a killed save leaves no half file. */
static int save_to_file(struct layer_store *s, const struct cb_strvec *names,
			enum image_archive_format f, const char *out, struct cb_error **err)
{
	cleanup_free char *tmp = xasprintf("%s.cbuild-tmp-%ld", out, (long)getpid());
	cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return cb_error_set(err, errno, "create `%s`", tmp);
	if (layer_store_save(s, (const char *const *)names->v, names->n, f, fd, err) < 0 ||
	    fsync(fd) < 0 || rename(tmp, out) < 0) {
		if (err && !*err)
			cb_error_set(err, errno, "write `%s`", out);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cmd_save(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("save");
	static const struct option longopts[] = {
		CLI_OPTION_ROOT,
		CLI_OPTION_FORMAT,
		{"output", required_argument, NULL, 'o'},
		CLI_OPTIONS_END,
	};
	const char *root = NULL, *out = NULL, *format = "oci";
	struct cb_strvec names = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	struct layer_store *s;
	struct cli_getopt g;
	int c, i, rc, ret = 1;

	cli_getopt_init(&g, self, argc, argv, "o:", longopts);
	while ((c = cli_getopt_next(&g)) != -1) {
		if (c == CLI_OPT_EXIT)
			return g.status;
		if (c == CLI_OPT_ROOT && (rc = cli_opt_root(&g, &root)))
			return rc;
		if (c == 'o')
			out = g.arg;
		else if (c == CLI_OPT_FORMAT)
			format = g.arg;
	}
	i = g.first_arg;
	if (i == argc)
		return cli_usage_error(self, "name at least one image");
	if (strcmp(format, "oci") && strcmp(format, "docker") && strcmp(format, "oci-archive") &&
	    strcmp(format, "docker-archive"))
		return cli_usage_error(self, "unknown format `%s` (want oci or docker)", format);
	if ((!out || !strcmp(out, "-")) && isatty(STDOUT_FILENO))
		return cli_usage_error(self, "refusing to write an archive to a terminal; use -o");
	s = cli_store_open(root);
	if (!s)
		return 1;
	if (save_names(s, argv + i, argc - i, &names) == 0) {
		enum image_archive_format f =
			format[0] == 'o' ? IMAGE_ARCHIVE_OCI : IMAGE_ARCHIVE_DOCKER;

		if (out && strcmp(out, "-"))
			rc = save_to_file(s, &names, f, out, &err);
		else
			rc = layer_store_save(s, (const char *const *)names.v, names.n, f,
					      STDOUT_FILENO, &err);
		if (rc < 0)
			cb_error_report(&err);
		else
			ret = 0;
	}
	cb_strvec_clear(&names);
	layer_store_close(s);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* load                                                                      */
/* ------------------------------------------------------------------------ */

int cmd_load(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("load");
	static const struct option longopts[] = {
		CLI_OPTION_ROOT,
		{"input", required_argument, NULL, 'i'},
		{"quiet", no_argument, NULL, 'q'},
		CLI_OPTIONS_END,
	};
	const char *root = NULL, *in = NULL;
	struct cb_strvec loaded = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	struct layer_store *s;
	cleanup_close int fd = -1;
	bool quiet = false;
	struct cli_getopt g;
	int c, rc;

	cli_getopt_init(&g, self, argc, argv, "i:q", longopts);
	while ((c = cli_getopt_next(&g)) != -1) {
		if (c == CLI_OPT_EXIT)
			return g.status;
		if (c == CLI_OPT_ROOT && (rc = cli_opt_root(&g, &root)))
			return rc;
		if (c == 'i')
			in = g.arg;
		else if (c == 'q')
			quiet = true;
	}
	if (g.first_arg < argc)
		return cli_usage_error(self, "unexpected argument `%s`", argv[g.first_arg]);
	if (in && strcmp(in, "-")) {
		fd = open(in, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cb_eprintf("cbuild: open `%s`: %s\n", in, strerror(errno));
			return 1;
		}
	} else if (isatty(STDIN_FILENO)) {
		return cli_usage_error(self, "no archive: use -i FILE or a pipe");
	}
	s = cli_store_open(root);
	if (!s)
		return 1;
	rc = layer_store_load(s, fd >= 0 ? fd : STDIN_FILENO, cli_store_normalize, &loaded, &err);
	layer_store_close(s);
	if (rc < 0) {
		cb_error_report(&err);
		cb_strvec_clear(&loaded);
		return 1;
	}
	for (size_t k = 0; !quiet && k < loaded.n; k++)
		printf(cb_str_starts_with(loaded.v[k], "sha256:") ? "Loaded image ID: %s\n"
								  : "Loaded image: %s\n",
		       loaded.v[k]);
	cb_strvec_clear(&loaded);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* import                                                                    */
/* ------------------------------------------------------------------------ */

static int import_run(const char *root, const char *file, const char *arg_name,
		      const struct layer_diff_opts *o)
{
	struct cb_error *err = NULL;
	cleanup_free char *name = cli_store_normalize(arg_name, &err);
	cleanup_close int fd = -1;
	struct layer_store *s;
	struct store_image img;
	struct cb_digest md;
	int ret = 1;

	if (!name) {
		cb_error_report_prefix(&err, "cbuild import");
		return 2;
	}
	if (strcmp(file, "-")) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cb_eprintf("cbuild: open `%s`: %s\n", file, strerror(errno));
			return 1;
		}
	}
	s = cli_store_open(root);
	if (!s)
		return 1;
	if (layer_store_import(s, fd >= 0 ? fd : STDIN_FILENO, name, o, &md, &err) < 0 ||
	    layer_store_image_get(s, md.str, &img, &err) < 0) {
		cb_error_report(&err);
	} else {
		printf("%s\n", img.manifest.config.digest.str);
		store_image_release(&img);
		ret = 0;
	}
	layer_store_close(s);
	return ret;
}

int cmd_import(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("import");
	static const struct option longopts[] = {
		CLI_OPTION_ROOT,
		CLI_OPTIONS_COMPRESSION,
		CLI_OPTIONS_END,
	};
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	const char *root = NULL;
	struct cli_getopt g;
	int c, rc;

	cli_getopt_init(&g, self, argc, argv, "", longopts);
	while ((c = cli_getopt_next(&g)) != -1) {
		if (c == CLI_OPT_EXIT)
			return g.status;
		rc = c == CLI_OPT_ROOT ? cli_opt_root(&g, &root) : cli_opt_layer(&g, c, &o);
		if (rc)
			return rc;
	}
	if (argc - g.first_arg > 2)
		return cli_usage_error(self, "unexpected argument `%s`", argv[g.first_arg + 2]);
	if (argc - g.first_arg != 2)
		return cli_usage_error(self, "want ROOTFS.tar and NAME");
	if (cli_source_date_epoch(&o.source_date_epoch) < 0)
		return 2;
	return import_run(root, argv[g.first_arg], argv[g.first_arg + 1], &o);
}
