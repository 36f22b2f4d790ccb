/*
 * cmd-push.c - `cbuild push`: an image of the store to a registry
 * (registry_push), printing what docker push prints last.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "layerstore.h"
#include "registry.h"

enum { OPT_CHUNK_SIZE = CLI_OPT_OWN };

const char cmd_push_usage[] =
	"usage: cbuild push [--root DIR] [--chunk-size BYTES] [-q] [--tls-verify=BOOL]\n"
	"                   [--cert-dir DIR] IMAGE [DEST]\n"
	"\n"
	"Push an image of the store to a registry.  IMAGE is a name, NAME@DIGEST, a\n"
	"manifest digest or an image ID prefix; DEST (default: IMAGE's name, which an ID\n"
	"has not) is a reference as docker takes it (`registry.example:5000/app:1`).\n"
	"Layers built by cbuild leave as gzip blobs (made once, then remembered), under\n"
	"a manifest naming them; blobs the registry has are not uploaded again.\n"
	"\n"
	"Registries on localhost, 127.0.0.0/8 and ::1 are spoken to over plain HTTP\n"
	"(HTTPS when they answer as a TLS server), others over HTTPS; TLS, insecure\n"
	"registries and proxies as for `cbuild pull`.  Credentials: see `cbuild help\n"
	"login`.\n"
	"\n"
	"A blob the store got from (or pushed to) another repository of the same\n"
	"registry is mounted from there instead of uploaded.  A failed upload is\n"
	"retried (given up after 5 failures in a row), a chunked one resumed from the\n"
	"offset the registry reports ($CBUILD_REGISTRY_RETRY_MS: the first delay,\n"
	"default 200 ms, doubled at each retry).\n"
	"\n"
	"Output, as docker push's: a line per layer (`<id>: Pushed`, `Mounted from\n"
	"REPO` or `Layer already exists`; retries say so), then `TAG: digest:\n"
	"sha256:... size: N`.  With -q only the last line.\n"
	"\n"
	"  --chunk-size N  blobs up to N bytes go in one PUT, bigger ones in PATCH\n"
	"                  chunks of N (default 32 MiB)\n"
	"  -q, --quiet     print only the digest line\n"
	"  --root DIR      the store (default: $CBUILD_ROOT, or per user)\n" CLI_REGISTRY_USAGE;

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
}

static int push(struct layer_store *s, const char *image, const char *dest,
		const struct registry_push_opts *o)
{
	struct store_image img;
	struct registry_push_result res;
	struct cb_error *err = NULL;
	char *tag = NULL;
	int rc;

	if (cli_store_resolve(s, image, &img, &tag, &err) < 0) {
		cb_error_wrap(&err, "push `%s`", image);
		cb_error_report(&err);
		return 1;
	}
	if (!dest && !tag) {
		store_image_release(&img);
		cb_eprintf("cbuild: push `%s`: name a destination: the image has no name\n", image);
		return 1;
	}
	rc = registry_push(s, &img, dest ? dest : tag, o, &res, &err);
	store_image_release(&img);
	free(tag);
	if (rc < 0) {
		cb_error_report(&err);
		return 1;
	}
	printf("%s: digest: %s size: %lld\n", res.tag, res.digest.str, (long long)res.size);
	registry_push_result_release(&res);
	return 0;
}

int cmd_push(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("push");
	static const struct option longopts[] = {
		CLI_OPTION_ROOT,
		{"chunk-size", required_argument, NULL, OPT_CHUNK_SIZE},
		{"quiet", no_argument, NULL, 'q'},
		CLI_OPTIONS_TLS,
		CLI_OPTIONS_END,
	};
	struct registry_push_opts o = {0, print_line, NULL};
	struct cli_progress *prog = NULL;
	struct cli_registry reg = {0};
	const char *root = NULL;
	struct layer_store *s;
	struct cli_getopt g;
	int c, rc;

	cli_getopt_init(&g, self, argc, argv, "q", longopts);
	while ((c = cli_getopt_next(&g)) != -1) {
		if (c == CLI_OPT_EXIT)
			return g.status;
		if (c == CLI_OPT_ROOT && (rc = cli_opt_root(&g, &root)))
			return rc;
		if (c == CLI_OPT_TLS_VERIFY || c == CLI_OPT_CERT_DIR) {
			if ((rc = cli_opt_registry(&g, c, &reg)))
				return rc;
		} else if (c == OPT_CHUNK_SIZE) {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(g.arg, &end, 10);
			if (errno || end == g.arg || *end || n == 0 || g.arg[0] == '-')
				return cli_usage_error(self, "invalid chunk size `%s`", g.arg);
			o.chunk_size = n;
		} else if (c == 'q') {
			o.report = NULL;
		}
	}
	if (g.first_arg >= argc)
		return cli_usage_error(self, "name an image to push");
	if (g.first_arg + 2 < argc)
		return cli_usage_error(self, "unexpected argument `%s`", argv[g.first_arg + 2]);
	cli_registry_conn(&reg, &o.conn); /* no mirrors: reg holds no allocation */
	s = cli_store_open(root);
	if (!s)
		return 1;
	if (o.report) { /* a bar per blob on a terminal, the lines otherwise */
		prog = cli_progress_new(stdout, isatty(STDOUT_FILENO), "Pushing", "Pushed", NULL);
		o.report = cli_progress_report;
		o.progress = cli_progress_bytes;
		o.ctx = prog;
	}
	rc = push(s, argv[g.first_arg], g.first_arg + 1 < argc ? argv[g.first_arg + 1] : NULL, &o);
	cli_progress_free(prog);
	layer_store_close(s);
	return rc;
}
