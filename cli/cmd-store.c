/*
 * cmd-store.c - `cbuild prune`, `df` and `fsck`: the store's upkeep.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "layerstore.h"

const char cmd_prune_usage[] =
	"usage: cbuild prune [--root DIR] [--all] [--keep-storage SIZE] [--format json]\n"
	"\n"
	"Delete what nothing needs: blobs and snapshots not reachable from a tag, a\n"
	"build-cache record or a running cbuild.  The build cache is kept unless\n"
	"--all (drop it all) or --keep-storage (keep the most recently used records\n"
	"whose own data fits in SIZE, e.g. 10GB, 512MB).\n";

const char cmd_df_usage[] = "usage: cbuild df [--root DIR] [--format json]\n"
			    "\n"
			    "Show what the store holds: images (tags), blobs, snapshots and the\n"
			    "build cache (records and the data only they keep), with sizes.\n";

const char cmd_fsck_usage[] =
	"usage: cbuild fsck [--root DIR] [--rebuild-cache] [--quiet]\n"
	"\n"
	"Verify every blob against its digest, every snapshot, tag and cache entry.\n"
	"Corrupt blobs move to DIR/quarantine/.  Exits 1 when a problem was found.\n"
	"\n"
	"--rebuild-cache  recreate the build-cache index from the record blobs\n"
	"--quiet, -q      print problems only\n";

struct opts {
	const char *root, *format;
	int64_t keep;
	bool all, rebuild, quiet;
};

enum { OPT_KEEP_STORAGE = CLI_OPT_OWN, OPT_REBUILD_CACHE };

static const struct option prune_options[] = {
	CLI_OPTION_ROOT,
	CLI_OPTION_FORMAT,
	{"all", no_argument, NULL, 'a'},
	{"keep-storage", required_argument, NULL, OPT_KEEP_STORAGE},
	CLI_OPTIONS_END,
};
static const struct option df_options[] = {CLI_OPTION_ROOT, CLI_OPTION_FORMAT, CLI_OPTIONS_END};
static const struct option fsck_options[] = {
	CLI_OPTION_ROOT,
	{"rebuild-cache", no_argument, NULL, OPT_REBUILD_CACHE},
	{"quiet", no_argument, NULL, 'q'},
	CLI_OPTIONS_END,
};

static int apply_opt(const struct cli_getopt *g, int c, struct opts *o)
{
	switch (c) {
	case CLI_OPT_ROOT:
		return cli_opt_root(g, &o->root);
	case CLI_OPT_FORMAT:
		o->format = g->arg;
		break;
	case OPT_KEEP_STORAGE:
		/* docker builder prune's: RAMInBytes, 0 for none */
		return cli_opt_size(g, &o->keep);
	case 'a':
		o->all = true;
		break;
	case OPT_REBUILD_CACHE:
		o->rebuild = true;
		break;
	case 'q':
		o->quiet = true;
		break;
	}
	return 0;
}

/* Command self's options (shorts, longs) into o: CLI_CONTINUE, or the exit status. */
static int parse_opts(const struct cli_command *self, const char *shorts,
		      const struct option *longs, int argc, char **argv, struct opts *o)
{
	struct cli_getopt g;
	int c, rc;

	memset(o, 0, sizeof(*o));
	cli_getopt_init(&g, self, argc, argv, shorts, longs);
	while ((c = cli_getopt_next(&g)) != -1) {
		if (c == CLI_OPT_EXIT)
			return g.status;
		if ((rc = apply_opt(&g, c, o)))
			return rc;
	}
	if (g.first_arg < argc)
		return cli_usage_error(self, "unexpected argument `%s`", argv[g.first_arg]);
	if (o->format && strcmp(o->format, "json") && strcmp(o->format, "table"))
		return cli_usage_error(self, "unknown format `%s` (want table or json)", o->format);
	return CLI_CONTINUE;
}

int cmd_prune(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("prune");
	struct layer_store_prune_opts po = {false, 0};
	struct layer_store_usage r;
	struct cb_error *err = NULL;
	struct layer_store *s;
	char b[16], sn[16], c[16], total[16];
	struct opts o;
	int rc = parse_opts(self, "a", prune_options, argc, argv, &o);

	if (rc != CLI_CONTINUE)
		return rc;
	po.all = o.all;
	po.keep_storage = (uint64_t)o.keep;
	s = cli_store_open(o.root);
	if (!s)
		return 1;
	if (layer_store_prune(s, &po, &r, &err) < 0) {
		cb_error_report(&err);
		layer_store_close(s);
		return 1;
	}
	layer_store_close(s);
	if (o.format && !strcmp(o.format, "json")) {
		printf("{\"Blobs\":%llu,\"BlobBytes\":%llu,\"Snapshots\":%llu,\"SnapshotBytes\":%"
		       "llu,"
		       "\"CacheRecords\":%llu,\"CacheBytes\":%llu}\n",
		       (unsigned long long)r.blobs, (unsigned long long)r.blob_bytes,
		       (unsigned long long)r.snapshots, (unsigned long long)r.snapshot_bytes,
		       (unsigned long long)r.cache_records, (unsigned long long)r.cache_bytes);
		return 0;
	}
	cli_format_size(r.blob_bytes, b);
	cli_format_size(r.snapshot_bytes, sn);
	cli_format_size(r.cache_bytes, c);
	cli_format_size(r.blob_bytes + r.snapshot_bytes, total);
	printf("Deleted %llu blobs (%s), %llu snapshots (%s), %llu cache records (%s)\n"
	       "Total reclaimed space: %s\n",
	       (unsigned long long)r.blobs, b, (unsigned long long)r.snapshots, sn,
	       (unsigned long long)r.cache_records, c, total);
	return 0;
}

int cmd_df(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("df");
	struct layer_store_usage u;
	struct cb_error *err = NULL;
	struct layer_store *s;
	char b[16], sn[16], c[16];
	struct opts o;
	int rc = parse_opts(self, "", df_options, argc, argv, &o);

	if (rc != CLI_CONTINUE)
		return rc;
	s = cli_store_open(o.root);
	if (!s)
		return 1;
	rc = layer_store_usage(s, &u, &err);
	layer_store_close(s);
	if (rc < 0) {
		cb_error_report(&err);
		return 1;
	}
	if (o.format && !strcmp(o.format, "json")) {
		printf("{\"Images\":%llu,\"Blobs\":%llu,\"BlobBytes\":%llu,\"Snapshots\":%llu,"
		       "\"SnapshotBytes\":%llu,\"CacheRecords\":%llu,\"CacheBytes\":%llu}\n",
		       (unsigned long long)u.images, (unsigned long long)u.blobs,
		       (unsigned long long)u.blob_bytes, (unsigned long long)u.snapshots,
		       (unsigned long long)u.snapshot_bytes, (unsigned long long)u.cache_records,
		       (unsigned long long)u.cache_bytes);
		return 0;
	}
	cli_format_size(u.blob_bytes, b);
	cli_format_size(u.snapshot_bytes, sn);
	cli_format_size(u.cache_bytes, c);
	printf("%-12s %8s %10s\n", "TYPE", "TOTAL", "SIZE");
	printf("%-12s %8llu %10s\n", "Images", (unsigned long long)u.images, "-");
	printf("%-12s %8llu %10s\n", "Blobs", (unsigned long long)u.blobs, b);
	printf("%-12s %8llu %10s\n", "Snapshots", (unsigned long long)u.snapshots, sn);
	printf("%-12s %8llu %10s\n", "Build cache", (unsigned long long)u.cache_records, c);
	return 0;
}

int cmd_fsck(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("fsck");
	struct cb_strvec report = CB_STRVEC_INIT;
	struct cb_error *err = NULL;
	struct layer_store *s;
	char *root;
	struct opts o;
	int rc = parse_opts(self, "q", fsck_options, argc, argv, &o), problems;

	if (rc != CLI_CONTINUE)
		return rc;
	/* a layout damaged by a planted symlink opens here (set aside, reported), nowhere else */
	root = layer_store_default_root(o.root);
	s = layer_store_open_repair(root, &err);
	free(root);
	if (!s) {
		cb_error_report(&err);
		return 1;
	}
	problems = layer_store_fsck(s, o.rebuild, &report, &err);
	layer_store_close(s);
	if (problems < 0) {
		cb_error_report(&err);
		cb_strvec_clear(&report);
		return 1;
	}
	/* The last line is the summary; the others are problems or what was done. */
	for (size_t i = 0; i < report.n; i++) {
		bool summary = i + 1 == report.n;

		if (!o.quiet || !summary)
			fprintf(summary || !problems ? stdout : stderr, "%s\n", report.v[i]);
	}
	cb_strvec_clear(&report);
	return problems > 0 ? 1 : 0;
}
