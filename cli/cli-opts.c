/*
 * cli-opts.c - option parsing for every command: getopt_long with cbuild's
 * usage errors and -h/--help, and the parsers of values several commands
 * take (--root, sizes, numbers, layer compression, SOURCE_DATE_EPOCH).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "layerstore.h"
#include "units.h"

void cli_getopt_init(struct cli_getopt *g, const struct cli_command *cmd, int argc, char **argv,
		     const char *shortopts, const struct option *longopts)
{
	bool stop = shortopts[0] == '+';

	memset(g, 0, sizeof(*g));
	g->cmd = cmd;
	g->argc = argc;
	g->argv = argv;
	g->longopts = longopts;
	/* ':' first: a missing value is told apart from an unknown option */
	if ((size_t)snprintf(g->shortopts, sizeof(g->shortopts), "%s:%sh", stop ? "+" : "",
			     shortopts + stop) >= sizeof(g->shortopts))
		abort(); /* a programming error: the table is static */
	optind = 0;	 /* glibc: start over, whatever was parsed before */
	opterr = 0;
}

/* What the user typed for the option getopt just refused, for messages. */
static void refused_name(const struct cli_getopt *g, char *buf, size_t len)
{
	const char *a = optind > 0 && optind <= g->argc ? g->argv[optind - 1] : "";

	if (optopt && !(a[0] == '-' && a[1] == '-'))
		snprintf(buf, len, "-%c", optopt);
	else
		snprintf(buf, len, "%.*s", (int)strcspn(a, "="), a);
}

static int refused(struct cli_getopt *g, int c)
{
	char name[64];

	refused_name(g, name, sizeof(name));
	if (c == ':')
		g->status = cli_usage_error(g->cmd, "option `%s` needs a value", name);
	else if (optopt && name[1] == '-')
		g->status = cli_usage_error(g->cmd, "option `%s` takes no value", name);
	else
		g->status = cli_usage_error(g->cmd, "unknown option `%s`", name);
	return CLI_OPT_EXIT;
}

int cli_getopt_next(struct cli_getopt *g)
{
	int longindex = -1;
	int c = getopt_long(g->argc, g->argv, g->shortopts, g->longopts, &longindex);

	/* main.c's global --debug, given after the command */
	while (c == CLI_OPT_DEBUG) {
		setenv("CBUILD_DEBUG", "1", 1);
		longindex = -1;
		c = getopt_long(g->argc, g->argv, g->shortopts, g->longopts, &longindex);
	}
	g->arg = optarg;
	if (c == -1) {
		g->first_arg = optind;
		return -1;
	}
	if (c == '?' || c == ':')
		return refused(g, c);
	if (c == 'h') {
		fputs(g->cmd->usage, stdout);
		g->status = 0;
		return CLI_OPT_EXIT;
	}
	if (longindex >= 0)
		snprintf(g->name, sizeof(g->name), "--%s", g->longopts[longindex].name);
	else
		snprintf(g->name, sizeof(g->name), "-%c", c);
	return c;
}

int cli_bad_value(const struct cli_getopt *g, const char *why)
{
	return cli_usage_error(g->cmd, "invalid value `%s` for `%s`%s%s", g->arg, g->name,
			       why ? ": " : "", why ? why : "");
}

int cli_opt_root(const struct cli_getopt *g, const char **root)
{
	if (!*g->arg)
		return cli_usage_error(g->cmd, "--root needs a directory");
	*root = g->arg;
	return 0;
}

int cli_opt_size(const struct cli_getopt *g, int64_t *out)
{
	struct cb_error *err = NULL;
	int ret;

	if (cb_ram_in_bytes(g->arg, out, &err) == 0)
		return 0;
	ret = cli_usage_error(g->cmd, "bad size `%s` for `%s`: %s", g->arg, g->name,
			      cb_error_msg(err));
	cb_error_free(&err);
	return ret;
}

bool cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s != '+' && (*s < '0' || *s > '9'))
		return false; /* strtoull would take " 5" and "-5" */
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

int cli_opt_u64(const struct cli_getopt *g, uint64_t *out)
{
	return cli_parse_u64(g->arg, out) ? 0 : cli_bad_value(g, NULL);
}

int cli_opt_layer(const struct cli_getopt *g, int c, struct layer_diff_opts *o)
{
	uint64_t level;
	int comp;

	if (c == CLI_OPT_COMPRESSION) {
		comp = layer_compression_parse(g->arg);
		if (comp < 0)
			return cli_usage_error(g->cmd,
					       "unknown compression `%s` (want gzip, zstd or none)",
					       g->arg);
		o->compression = (enum layer_compression)comp;
		return 0;
	}
	if (!cli_parse_u64(g->arg, &level) || level < 1 || level > 22)
		return cli_bad_value(g, "want a level from 1 to 22");
	o->level = (int)level;
	return 0;
}

int cli_source_date_epoch(int64_t *out)
{
	return cli_parse_epoch(getenv("SOURCE_DATE_EPOCH"), out);
}

int cli_parse_epoch(const char *s, int64_t *out)
{
	char *end;
	long long v;

	*out = -1;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || v < 0 || errno == ERANGE) {
		cb_eprintf("cbuild: invalid SOURCE_DATE_EPOCH `%s`\n", s);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_network(const char *arg, bool run, enum runtime_network *out)
{
	if (!strcmp(arg, "default") || (run && !strcmp(arg, "bridge")))
		*out = RUNTIME_NETWORK_PRIVATE;
	else if (!strcmp(arg, "host"))
		*out = RUNTIME_NETWORK_HOST;
	else if (!strcmp(arg, "none"))
		*out = RUNTIME_NETWORK_NONE;
	else
		return -1;
	return 0;
}
