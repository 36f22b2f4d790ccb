/*
 * cmd-pull.c - `cbuild pull`: an image from a registry into the store
 * (registry_pull), printing what docker pull prints last.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "layerstore.h"
#include "registry.h"

enum { OPT_PLATFORM = CLI_OPT_OWN };

const char cmd_pull_usage[] =
	"usage: cbuild pull [--root DIR] [--platform OS/ARCH[/VARIANT]] [-q] REF\n"
	"\n"
	"Pull an image from a registry into the store: REF is a name as docker takes it\n"
	"(`busybox`, `registry.example:5000/app:1`, `app@sha256:...`).  From an index or\n"
	"manifest list the platform's image is taken (default: linux and this machine's\n"
	"architecture).  Every blob is verified against its digest and size while it\n"
	"streams; blobs the store has are not downloaded again.  The image is tagged\n"
	"NAME:TAG (when pulled by tag) and NAME@DIGEST.\n"
	"\n"
	"Registries on localhost, 127.0.0.0/8 and ::1 are spoken to over plain HTTP,\n"
	"others over HTTPS.  Credentials come from $REGISTRY_AUTH_FILE (else\n"
	"$XDG_RUNTIME_DIR/containers/auth.json) and ~/.docker/config.json (`auths`).\n"
	"\n"
	"Output, as docker pull's last lines: a line per layer (`<id>: Pull complete` or\n"
	"`Already exists`), `Digest: sha256:...` (of what REF names: the index when\n"
	"there is one), `Status: Downloaded newer image for NAME` or `Status: Image is\n"
	"up to date for NAME`, then the full reference.  With -q only the reference.\n"
	"\n"
	"  --platform P  the platform to pick from an index (os/arch[/variant])\n"
	"  -q, --quiet   print only the full reference\n"
	"  --root DIR    the store (default: $CBUILD_ROOT, or per user)\n";

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
}

int cmd_pull(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("pull");
	static const struct option longopts[] = {
		CLI_OPTION_ROOT,
		{"platform", required_argument, NULL, OPT_PLATFORM},
		{"quiet", no_argument, NULL, 'q'},
		CLI_OPTIONS_END,
	};
	struct registry_pull_opts o = {NULL, print_line, NULL};
	struct registry_pull_result res;
	struct cli_progress *prog = NULL;
	struct cb_error *err = NULL;
	const char *root = NULL;
	struct layer_store *s;
	bool quiet = false;
	struct cli_getopt g;
	int c, rc;

	cli_getopt_init(&g, self, argc, argv, "q", longopts);
	while ((c = cli_getopt_next(&g)) != -1) {
		if (c == CLI_OPT_EXIT)
			return g.status;
		if (c == CLI_OPT_ROOT && (rc = cli_opt_root(&g, &root)))
			return rc;
		if (c == OPT_PLATFORM)
			o.platform = g.arg;
		else if (c == 'q')
			quiet = true;
	}
	if (g.first_arg >= argc)
		return cli_usage_error(self, "name an image to pull");
	if (g.first_arg + 1 < argc)
		return cli_usage_error(self, "unexpected argument `%s`", argv[g.first_arg + 1]);
	if (quiet)
		o.report = NULL;
	s = cli_store_open(root);
	if (!s)
		return 1;
	if (o.report) { /* a bar per blob on a terminal, the lines otherwise */
		prog = cli_progress_new(stdout, isatty(STDOUT_FILENO), "Downloading",
					"Download complete", NULL);
		o.report = cli_progress_report;
		o.progress = cli_progress_bytes;
		o.ctx = prog;
	}
	rc = registry_pull(s, argv[g.first_arg], &o, &res, &err);
	cli_progress_free(prog);
	layer_store_close(s);
	if (rc < 0) {
		cb_error_report(&err);
		return 1;
	}
	if (!quiet) {
		printf("Digest: %s\n", res.digest.str);
		printf("Status: %s for %s\n",
		       res.blobs_fetched ? "Downloaded newer image" : "Image is up to date",
		       res.name);
	}
	printf("%s\n", res.name);
	registry_pull_result_release(&res);
	return 0;
}
