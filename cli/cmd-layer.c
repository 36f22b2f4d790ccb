/*
 * cmd-layer.c - `cbuild layer create|apply`: the layer tar diff and apply
 * on plain directories and files, without a store.  For looking at what a
 * directory becomes as a layer, extracting a layer somewhere to inspect it,
 * and for the benchmarks (bench/layers.sh) and the hostile-layer tests.
 */
#include <errno.h>
#include <fcntl.h>
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

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || end == s || s[0] == '-')
		return false;
	*out = v;
	return true;
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
	uint64_t threads;
	int rc;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if ((rc = cli_layer_opts(self, argc, argv, &i, &o)) == 2)
			return 2;
		if (rc == 1)
			continue;
		if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(a, "--overlay"))
			o.overlay = true;
		else if (!strcmp(a, "--threads") && i + 1 < argc &&
			 parse_u64(argv[i + 1], &threads))
			o.threads = (int)threads, i++;
		else if (a[0] == '-' || dir)
			return cli_usage_error(self, "unexpected `%s`", a);
		else
			dir = a;
	}
	if (!dir)
		return cli_usage_error(self, "layer create needs a directory");
	if (cli_source_date_epoch(&o.source_date_epoch) < 0)
		return 2;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "cbuild: open `%s`: %s\n", dir, strerror(errno));
		return 1;
	}
	if (out && strcmp(out, "-")) {
		ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (ofd < 0) {
			fprintf(stderr, "cbuild: create `%s`: %s\n", out, strerror(errno));
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
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	const char *args[2];
	int nargs = 0;
	struct cb_error *err = NULL;
	cleanup_close int rfd = -1;
	cleanup_close int ifd = -1;
	struct cb_digest d;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--no-overlay"))
			o.overlay = false;
		else if (!strcmp(a, "--devices"))
			o.devices = true;
		else if (!strcmp(a, "--max-bytes") && i + 1 < argc &&
			 parse_u64(argv[i + 1], &o.max_bytes))
			i++;
		else if (!strcmp(a, "--max-entries") && i + 1 < argc &&
			 parse_u64(argv[i + 1], &o.max_entries))
			i++;
		else if ((a[0] == '-' && a[1]) || nargs == 2)
			return cli_usage_error(self, "unexpected `%s`", a);
		else
			args[nargs++] = a;
	}
	if (nargs != 2)
		return cli_usage_error(self, "layer apply needs FILE and DIR");
	ifd = strcmp(args[0], "-") ? open(args[0], O_RDONLY | O_CLOEXEC)
				   : fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
	if (ifd < 0) {
		fprintf(stderr, "cbuild: open `%s`: %s\n", args[0], strerror(errno));
		return 1;
	}
	rfd = open(args[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		fprintf(stderr, "cbuild: open `%s`: %s\n", args[1], strerror(errno));
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
	if (!strcmp(argv[1], "create"))
		return layer_create(self, argc, argv);
	if (!strcmp(argv[1], "apply"))
		return layer_apply_cmd(self, argc, argv);
	return cli_usage_error(self, "unknown subcommand `%s`", argv[1]);
}
