/*
 * cmd-layer.c - `cbuild layer create|apply`: the layer tar diff and apply
 * on plain directories and files, without a store.  For looking at what a
 * directory becomes as a layer, extracting a layer somewhere to inspect it,
 * and for the benchmarks (bench/layers.sh) and the hostile-layer tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "layerstore.h"

const char cmd_layer_usage[] =
	"usage: cbuild layer create [--compression gzip|zstd|none] [--compression-level N]\n"
	"                           [--overlay] [--threads N] [-o FILE] DIR\n"
	"       cbuild layer apply [--no-overlay] [--devices] [--max-bytes N]\n"
	"                          [--max-entries N] FILE|- DIR\n"
	"\n"
	"create  write DIR as an OCI layer (to FILE, or standard output) and print\n"
	"        `<digest> <diff ID> <size>`; --overlay reads DIR as an overlay\n"
	"        upperdir (0/0 devices and the opaque xattr become whiteouts);\n"
	"        SOURCE_DATE_EPOCH clamps mtimes\n"
	"apply   extract a layer (gzip, zstd or plain) into DIR, confined to it,\n"
	"        and print its diff ID; whiteouts stay in overlay form unless\n"
	"        --no-overlay, which applies them as deletions\n";

enum {
	OPT_OVERLAY = CLI_OPT_OWN,
	OPT_THREADS,
	OPT_NO_OVERLAY,
	OPT_DEVICES,
	OPT_MAX_BYTES,
	OPT_MAX_ENTRIES
};

/* `layer create`'s options into o and *out: CLI_CONTINUE, or the exit status. */
static int create_opts(const struct cli_command *self, int argc, char **argv,
		       struct layer_diff_opts *o, const char **out, int *first_arg)
{
	static const struct option longopts[] = {
		CLI_OPTIONS_COMPRESSION,
		{"output", required_argument, NULL, 'o'},
		{"overlay", no_argument, NULL, OPT_OVERLAY},
		{"threads", required_argument, NULL, OPT_THREADS},
		CLI_OPTIONS_END,
	};
	struct cli_getopt g;
	uint64_t threads;
	int c, rc;

	cli_getopt_init(&g, self, argc, argv, "o:", longopts);
	while ((c = cli_getopt_next(&g)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			return g.status;
		case 'o':
			*out = g.arg;
			break;
		case OPT_OVERLAY:
			o->overlay = true;
			break;
		case OPT_THREADS:
			if ((rc = cli_opt_u64(&g, &threads)))
				return rc;
			if (threads > INT_MAX)
				return cli_bad_value(&g, "too large");
			o->threads = (int)threads;
			break;
		default:
			if ((rc = cli_opt_layer(&g, c, o)))
				return rc;
		}
	}
	*first_arg = g.first_arg;
	return CLI_CONTINUE;
}

static int layer_create(const struct cli_command *self, int argc, char **argv)
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	const char *out = NULL, *dir = NULL;
	struct cb_error *err = NULL;
	cleanup_close int dfd = -1;
	cleanup_close int ofd = -1;
	struct layer_sink sink = {layer_sink_fd_write, NULL};
	struct layer_desc d;
	int first = 0;
	int rc = create_opts(self, argc, argv, &o, &out, &first);

	if (rc != CLI_CONTINUE)
		return rc;
	if (argc - first > 1)
		return cli_usage_error(self, "unexpected `%s`", argv[first + 1]);
	if (argc - first < 1)
		return cli_usage_error(self, "layer create needs a directory");
	dir = argv[first];
	if (cli_source_date_epoch(&o.source_date_epoch) < 0)
		return 2;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		cb_eprintf("cbuild: open `%s`: %s\n", dir, strerror(errno));
		return 1;
	}
	if (out && strcmp(out, "-")) {
		ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (ofd < 0) {
			cb_eprintf("cbuild: create `%s`: %s\n", out, strerror(errno));
			return 1;
		}
	} else if (isatty(STDOUT_FILENO)) {
		return cli_usage_error(self, "refusing to write a layer to a terminal; use -o");
	}
	sink.ctx = ofd >= 0 ? &ofd : &(int){STDOUT_FILENO};
	if (layer_diff_write(dfd, &o, &sink, &d, &err) < 0) {
		cb_error_report(&err);
		return 1;
	}
	fprintf(ofd >= 0 ? stdout : stderr, "%s %s %lld\n", d.digest.str, d.diff_id.str,
		(long long)d.size);
	return 0;
}

static int layer_apply_cmd(const struct cli_command *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"no-overlay", no_argument, NULL, OPT_NO_OVERLAY},
		{"devices", no_argument, NULL, OPT_DEVICES},
		{"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
		{"max-entries", required_argument, NULL, OPT_MAX_ENTRIES},
		CLI_OPTIONS_END,
	};
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	const char *args[2];
	struct cb_error *err = NULL;
	cleanup_close int rfd = -1;
	cleanup_close int ifd = -1;
	struct cb_digest d;
	struct cli_getopt g;
	int c, rc = 0;

	cli_getopt_init(&g, self, argc, argv, "", longopts);
	while ((c = cli_getopt_next(&g)) != -1 && !rc) {
		if (c == CLI_OPT_EXIT)
			return g.status;
		if (c == OPT_NO_OVERLAY)
			o.overlay = false;
		else if (c == OPT_DEVICES)
			o.devices = true;
		else
			rc = cli_opt_u64(&g, c == OPT_MAX_BYTES ? &o.max_bytes : &o.max_entries);
	}
	if (rc)
		return rc;
	if (argc - g.first_arg > 2)
		return cli_usage_error(self, "unexpected `%s`", argv[g.first_arg + 2]);
	if (argc - g.first_arg != 2)
		return cli_usage_error(self, "layer apply needs FILE and DIR");
	args[0] = argv[g.first_arg];
	args[1] = argv[g.first_arg + 1];
	ifd = strcmp(args[0], "-") ? open(args[0], O_RDONLY | O_CLOEXEC)
				   : fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
	if (ifd < 0) {
		cb_eprintf("cbuild: open `%s`: %s\n", args[0], strerror(errno));
		return 1;
	}
	rfd = open(args[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		cb_eprintf("cbuild: open `%s`: %s\n", args[1], strerror(errno));
		return 1;
	}
	if (layer_apply(rfd, ifd, &o, &d, &err) < 0) {
		cb_error_report(&err);
		return 1;
	}
	printf("%s\n", d.str);
	return 0;
}

int cmd_layer(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("layer");

	if (argc < 2)
		return cli_usage_error(self, "want `create` or `apply`");
	/* the subcommand's own argv: argv[0] is its name */
	if (!strcmp(argv[1], "create"))
		return layer_create(self, argc - 1, argv + 1);
	if (!strcmp(argv[1], "apply"))
		return layer_apply_cmd(self, argc - 1, argv + 1);
	return cli_usage_error(self, "unknown subcommand `%s`", argv[1]);
}
