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
	"usage: cbuild pull [--root DIR] [--platform OS/ARCH[/VARIANT]] [-q] [--tls-verify=BOOL]\n"
	"                   [--cert-dir DIR] [--registry-mirror URL]... REF\n"
	"\n"
	"Pull an image from a registry into the store: REF is a name as docker takes it\n"
	"(`busybox`, `registry.example:5000/app:1`, `app@sha256:...`).  From an index or\n"
	"manifest list the platform's image is taken (default: linux and this machine's\n"
	"architecture).  Every blob is verified against its digest and size while it\n"
	"streams; blobs the store has are not downloaded again.  The image is tagged\n"
	"NAME:TAG (when pulled by tag) and NAME@DIGEST.\n"
	"\n"
	"Registries on localhost, 127.0.0.0/8 and ::1 are spoken to over plain HTTP\n"
	"(HTTPS when they answer as a TLS server), others over HTTPS, checked against\n"
	"the system's CAs and the *.crt of /etc/docker/certs.d/HOST/ and\n"
	"/etc/containers/certs.d/HOST/ (a client.cert and client.key there are sent).\n"
	"Hosts listed in `insecure-registries` of /etc/cbuild/registries.json or\n"
	"~/.config/cbuild/registries.json get unchecked HTTPS, else plain HTTP.  Images\n"
	"of docker.io come from the `registry-mirrors` of those files and the\n"
	"--registry-mirror URLs first, docker.io when no mirror has them.  HTTPS_PROXY\n"
	"and NO_PROXY are honoured.  Credentials: see `cbuild help login`.\n"
	"\n"
	"Output, as docker pull's last lines: a line per layer (`<id>: Pull complete` or\n"
	"`Already exists`), `Digest: sha256:...` (of what REF names: the index when\n"
	"there is one), `Status: Downloaded newer image for NAME` or `Status: Image is\n"
	"up to date for NAME`, then the full reference.  With -q only the reference.\n"
	"\n"
	"  --platform P  the platform to pick from an index (os/arch[/variant])\n"
	"  -q, --quiet   print only the full reference\n"
	"  --registry-mirror URL  a mirror of docker.io (http(s)://host[:port]), tried\n"
	"                first (repeatable)\n"
	"  --root DIR    the store (default: $CBUILD_ROOT, or per user)\n" CLI_REGISTRY_USAGE;

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
}

/* Pull ref into the store at root and print what docker pull prints. */
static int pull(const char *root, const char *ref, const struct registry_pull_opts *opts,
		bool quiet)
{
	struct registry_pull_opts o = *opts;
	struct registry_pull_result res;
	struct cli_progress *prog = NULL;
	struct cb_error *err = NULL;
	struct layer_store *s = cli_store_open(root);
	int rc;

	if (!s)
		return 1;
	if (o.report) { /* a bar per blob on a terminal, the lines otherwise */
		prog = cli_progress_new(stdout, isatty(STDOUT_FILENO), "Downloading",
					"Download complete", NULL);
		o.report = cli_progress_report;
		o.progress = cli_progress_bytes;
		o.ctx = prog;
	}
	rc = registry_pull(s, ref, &o, &res, &err);
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

int cmd_pull(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("pull");
	static const struct option longopts[] = {
		CLI_OPTION_ROOT,
		{"platform", required_argument, NULL, OPT_PLATFORM},
		{"quiet", no_argument, NULL, 'q'},
		CLI_OPTIONS_TLS,
		CLI_OPTION_REGISTRY_MIRROR,
		CLI_OPTIONS_END,
	};
	struct registry_pull_opts o = {NULL, print_line, NULL};
	struct cli_registry reg = {0};
	const char *root = NULL;
	bool quiet = false;
	struct cli_getopt g;
	int c, rc = 0;

	cli_getopt_init(&g, self, argc, argv, "q", longopts);
	while ((c = cli_getopt_next(&g)) != -1) {
		if (c == CLI_OPT_EXIT) {
			rc = g.status;
			goto out;
		}
		if (c == CLI_OPT_ROOT)
			rc = cli_opt_root(&g, &root);
		else if (c == CLI_OPT_TLS_VERIFY || c == CLI_OPT_CERT_DIR ||
			 c == CLI_OPT_REGISTRY_MIRROR)
			rc = cli_opt_registry(&g, c, &reg);
		else if (c == OPT_PLATFORM)
			o.platform = g.arg;
		else if (c == 'q')
			quiet = true;
		if (rc)
			goto out;
	}
	if (g.first_arg >= argc)
		rc = cli_usage_error(self, "name an image to pull");
	else if (g.first_arg + 1 < argc)
		rc = cli_usage_error(self, "unexpected argument `%s`", argv[g.first_arg + 1]);
	if (rc)
		goto out;
	if (quiet)
		o.report = NULL;
	cli_registry_conn(&reg, &o.conn);
	rc = pull(root, argv[g.first_arg], &o, quiet);
out:
	cli_registry_release(&reg);
	return rc;
}
