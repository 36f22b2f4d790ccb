/*
 * cli-registry.c - the registry options of pull, push (and build):
 * --tls-verify[=BOOL] and --cert-dir DIR as podman takes them,
 * --registry-mirror URL as dockerd takes it.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "registry.h"
#include "xalloc.h"

/* Go's strconv.ParseBool, which podman's flags use: 1 and -1 (false) or 0 for none. */
static int parse_bool(const char *s)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i]))
			return 1;
		if (!strcmp(s, no[i]))
			return -1;
	}
	return 0;
}

int cli_opt_registry(const struct cli_getopt *g, int c, struct cli_registry *r)
{
	char *m;
	int b;

	switch (c) {
	case CLI_OPT_TLS_VERIFY:
		b = g->arg ? parse_bool(g->arg) : 1;
		if (!b)
			return cli_bad_value(g, "want true or false");
		r->tls_verify = b > 0 ? REGISTRY_TLS_VERIFY : REGISTRY_TLS_NO_VERIFY;
		return 0;
	case CLI_OPT_CERT_DIR:
		if (!*g->arg)
			return cli_usage_error(g->cmd, "--cert-dir needs a directory");
		r->cert_dir = g->arg;
		return 0;
	case CLI_OPT_REGISTRY_MIRROR:
		m = registry_mirror_normalize(g->arg);
		if (!m)
			return cli_bad_value(g, "want an http(s) URL without a path");
		free(m);
		r->mirrors = xrealloc(r->mirrors, (r->nmirrors + 2) * sizeof(*r->mirrors));
		r->mirrors[r->nmirrors++] = g->arg;
		r->mirrors[r->nmirrors] = NULL;
		return 0;
	default:
		return cli_usage_error(g->cmd, "internal error: option %d is not a registry's", c);
	}
}

void cli_registry_conn(const struct cli_registry *r, struct registry_conn_opts *o)
{
	o->tls_verify = r->tls_verify;
	o->cert_dir = r->cert_dir;
	o->mirrors = r->mirrors;
}

void cli_registry_release(struct cli_registry *r)
{
	free(r->mirrors);
	memset(r, 0, sizeof(*r));
}
