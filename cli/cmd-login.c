/*
 * cmd-login.c - `cbuild login` and `cbuild logout`, as docker login and
 * docker logout: credentials checked against the registry, then kept in
 * the credential helper or the auth file (registry_login).
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "registry.h"
#include "strbuf.h"
#include "xalloc.h"

#define PASSWORD_MAX (64u << 10)

enum { OPT_PASSWORD_STDIN = CLI_OPT_OWN };

const char cmd_login_usage[] =
	"usage: cbuild login [-u USER] [-p PASSWORD | --password-stdin] [--tls-verify=BOOL]\n"
	"                    [--cert-dir DIR] [REGISTRY]\n"
	"\n"
	"Log in to REGISTRY (default: docker.io), as docker login does: the credentials\n"
	"are checked against the registry's /v2/ (Basic, or a token from its realm), then\n"
	"kept by the credential helper the auth file names for the registry\n"
	"(`credHelpers`, else `credsStore`: docker-credential-NAME store), else under\n"
	"`auths` in the file.  The file is $REGISTRY_AUTH_FILE, else\n"
	"$DOCKER_CONFIG/config.json, else ~/.docker/config.json; its other keys are kept,\n"
	"it is written mode 0600 to a temp file renamed over it.  Wrong credentials save\n"
	"nothing.  Without -u or a password, they are asked for on the terminal.\n"
	"\n"
	"pull, push and build read credentials from $REGISTRY_AUTH_FILE (else\n"
	"$XDG_RUNTIME_DIR/containers/auth.json), then the Docker file, each with its\n"
	"`credHelpers`, `credsStore` and `auths` (identity tokens too).\n"
	"\n"
	"  -u, --username USER   the user name\n"
	"  -p, --password PASS   the password (visible to other users: prefer\n"
	"                        --password-stdin)\n"
	"  --password-stdin      read the password from stdin\n" CLI_REGISTRY_USAGE;

const char cmd_logout_usage[] =
	"usage: cbuild logout [REGISTRY]\n"
	"\n"
	"Forget the credentials of REGISTRY (default: docker.io): erased from\n"
	"its credential helper and from the auth file (see `cbuild help\n"
	"login`).\n";

/* A line from the terminal, not echoed when secret; NULL at end of input. */
static char *prompt(const char *what, bool secret)
{
	struct termios old, quiet;
	bool restore = false;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	cb_eprintf("%s: ", what);
	fflush(stderr);
	if (secret && tcgetattr(0, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(0, TCSAFLUSH, &quiet) == 0;
	}
	n = getline(&line, &cap, stdin);
	if (restore) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

/* All of stdin, without its trailing newlines (docker: strings.TrimSuffix "\n", "\r"). */
static char *read_stdin(void)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	char buf[4096];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0 && sb.len <= PASSWORD_MAX)
		cb_strbuf_add(&sb, buf, n);
	if (sb.len > PASSWORD_MAX) {
		OPENSSL_cleanse(sb.buf, sb.len);
		cb_strbuf_release(&sb);
		return NULL;
	}
	cb_strbuf_rtrim(&sb, "\r\n");
	return cb_strbuf_detach(&sb, NULL);
}

/* The user name and password: from the options, stdin or the terminal; 0, or the exit code. */
static int credentials(const struct cli_command *self, const char *user, const char *pass,
		       bool from_stdin, struct registry_creds *cr)
{
	if (from_stdin && pass)
		return cli_usage_error(self, "--password and --password-stdin are exclusive");
	if (from_stdin && !user)
		return cli_usage_error(self, "--password-stdin needs --username");
	if (pass)
		cb_eprintf("WARNING! Using --password via the CLI is insecure. Use "
			   "--password-stdin.\n");
	cr->user = user ? xstrdup(user) : isatty(0) ? prompt("Username", false) : NULL;
	if (!cr->user || !*cr->user) {
		cb_eprintf("cbuild login: a user name is needed (-u)\n");
		return 1;
	}
	if (pass)
		cr->secret = xstrdup(pass);
	else if (from_stdin)
		cr->secret = read_stdin();
	else if (isatty(0))
		cr->secret = prompt("Password", true);
	if (!cr->secret || !*cr->secret) {
		cb_eprintf("cbuild login: a password is needed (-p, --password-stdin)%s\n",
			   from_stdin && !cr->secret ? ": stdin holds over 64 KiB" : "");
		return 1;
	}
	return 0;
}

int cmd_login(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("login");
	static const struct option longopts[] = {
		{"username", required_argument, NULL, 'u'},
		{"password", required_argument, NULL, 'p'},
		{"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
		CLI_OPTIONS_TLS,
		CLI_OPTIONS_END,
	};
	struct registry_creds cr = {NULL, NULL};
	struct registry_conn_opts conn = {0};
	struct cli_registry reg = {0};
	const char *user = NULL, *pass = NULL;
	struct cb_error *err = NULL;
	char *host = NULL;
	bool from_stdin = false;
	struct cli_getopt g;
	int c, rc = 0;

	cli_getopt_init(&g, self, argc, argv, "u:p:", longopts);
	while ((c = cli_getopt_next(&g)) != -1) {
		if (c == CLI_OPT_EXIT)
			return g.status;
		if (c == 'u')
			user = g.arg;
		else if (c == 'p')
			pass = g.arg;
		else if (c == OPT_PASSWORD_STDIN)
			from_stdin = true;
		else if ((c == CLI_OPT_TLS_VERIFY || c == CLI_OPT_CERT_DIR) &&
			 (rc = cli_opt_registry(&g, c, &reg)))
			return rc;
	}
	if (g.first_arg + 1 < argc)
		return cli_usage_error(self, "unexpected argument `%s`", argv[g.first_arg + 1]);
	rc = credentials(self, user, pass, from_stdin, &cr);
	if (rc == 0) {
		cli_registry_conn(&reg, &conn);
		if (registry_login(g.first_arg < argc ? argv[g.first_arg] : "docker.io", &cr, &conn,
				   &host, &err) < 0) {
			cb_error_report(&err);
			rc = 1;
		} else {
			printf("Login Succeeded\n");
			free(host);
		}
	}
	registry_creds_release(&cr);
	return rc;
}

int cmd_logout(int argc, char **argv)
{
	const struct cli_command *self = cli_find_command("logout");
	static const struct option longopts[] = {CLI_OPTIONS_END};
	struct cb_error *err = NULL;
	char *host = NULL;
	bool had = false;
	struct cli_getopt g;
	int c;

	cli_getopt_init(&g, self, argc, argv, "", longopts);
	while ((c = cli_getopt_next(&g)) != -1)
		if (c == CLI_OPT_EXIT)
			return g.status;
	if (g.first_arg + 1 < argc)
		return cli_usage_error(self, "unexpected argument `%s`", argv[g.first_arg + 1]);
	if (registry_logout(g.first_arg < argc ? argv[g.first_arg] : "docker.io", &host, &had,
			    &err) < 0) {
		cb_error_report(&err);
		return 1;
	}
	if (had)
		printf("Removing login credentials for %s\n", host);
	else
		printf("Not logged in to %s\n", host);
	free(host);
	return 0;
}
