/*
 * credhelper.c - Docker's credential helpers: `docker-credential-NAME
 * get|store|erase`, the server URL or a JSON object on stdin, a JSON
 * object (get) or an error message on stdout.  The protocol is
 * docker/docker-credential-helpers' client package.
 *
 * The helper is found on PATH before fork (the child only dup2s and
 * execs: no allocation after fork in a threaded process), gets no shell,
 * and is bounded: at most HELPER_OUT_MAX bytes of output, HELPER_TIMEOUT_MS
 * in all, then SIGKILL.  Its stderr goes to /dev/null: helpers print
 * debugging there, and what they print may hold a secret.  Its stdout is
 * shown in an error only when it failed, cut short and without control
 * characters.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "registry-internal.h"
#include "registry.h"
#include "xalloc.h"

#define HELPER_OUT_MAX (64u << 10)
#define HELPER_TIMEOUT_MS 60000
#define NOT_FOUND "credentials not found in native keychain"

extern char **environ;

/* The helper's path on PATH, or NULL. */
static char *find_helper(const char *prog)
{
	const char *path = getenv("PATH");

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char *f = n ? xasprintf("%.*s/%s", (int)n, path, prog) : xasprintf("./%s", prog);

		if (access(f, X_OK) == 0)
			return f;
		free(f);
		path += n + (path[n] == ':');
	}
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Feed in to fd w and read fd r into out until both are done, the limit or the time is up. */
static int exchange(int w, int r, const char *in, size_t inlen, struct cb_strbuf *out,
		    struct cb_error **err)
{
	int64_t deadline = now_ms() + HELPER_TIMEOUT_MS;
	size_t sent = 0;
	char buf[4096];
	int ret = 0;

	while (r >= 0 && ret == 0) {
		struct pollfd p[2] = {{r, POLLIN, 0}, {w, POLLOUT, 0}};
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (w >= 0 && sent == inlen) {
			close(w); /* the end of its input */
			w = -1;
			continue;
		}
		if (left <= 0) {
			ret = cb_error_set(err, ETIMEDOUT, "it did not finish in %d s",
					   HELPER_TIMEOUT_MS / 1000);
		} else if (poll(p, w >= 0 ? 2 : 1, (int)left) < 0) {
			if (errno != EINTR)
				ret = cb_error_set(err, errno, "poll");
		} else {
			if (w >= 0 && p[1].revents) {
				n = send(w, in + sent, inlen - sent, MSG_NOSIGNAL);
				if (n > 0)
					sent += (size_t)n;
				else if (errno != EINTR && errno != EAGAIN)
					sent = inlen; /* EPIPE: it does not read its input */
			}
			if (p[0].revents) {
				n = read(r, buf, sizeof(buf));
				if (n < 0 && errno != EINTR && errno != EAGAIN)
					ret = cb_error_set(err, errno, "read its output");
				else if (n == 0)
					r = -1;
				else if (n > 0 && out->len + (size_t)n > HELPER_OUT_MAX)
					ret = cb_error_set(err, EFBIG,
							   "its output is over %u bytes",
							   HELPER_OUT_MAX);
				else if (n > 0)
					cb_strbuf_add(out, buf, (size_t)n);
			}
		}
	}
	if (w >= 0)
		close(w);
	return ret;
}

/* Start path action with pipes for stdin and stdout: the pid, or -1. */
static pid_t spawn(const char *path, const char *action, int *in_w, int *out_r,
		   struct cb_error **err)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, null;
	char *argv[] = {(char *)path, (char *)action, NULL};
	pid_t pid;

	/* stdin a socket: send(MSG_NOSIGNAL) needs no SIGPIPE juggling in a threaded process */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0) {
		cb_error_set(err, errno, "make pipes");
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		cb_error_set(err, errno, "fork");
		goto fail;
	}
	if (pid == 0) {
		/* only async-signal-safe calls here */
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execve(path, argv, environ);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(null);
	*in_w = in[1];
	*out_r = out[0];
	return pid;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	if (null >= 0)
		close(null);
	return -1;
}

int registry_cred_helper_run(const char *helper, const char *action, const char *in, size_t inlen,
			     char **out, size_t *outlen, int *status, struct cb_error **err)
{
	cleanup_free char *prog = xasprintf("docker-credential-%s", helper);
	cleanup_free char *path = NULL;
	struct cb_strbuf sb = CB_STRBUF_INIT;
	int w = -1, r = -1, st = 0, ret;
	pid_t pid;

	if (!*helper || strchr(helper, '/'))
		return cb_error_set(err, 0, "credential helper `%.100s`: not a helper name",
				    helper);
	path = find_helper(prog);
	if (!path)
		return cb_error_set(err, ENOENT, "credential helper `%s`: not found on PATH", prog);
	pid = spawn(path, action, &w, &r, err);
	if (pid < 0)
		return cb_error_wrap(err, "credential helper `%s` %s", prog, action);
	ret = exchange(w, r, in, inlen, &sb, err);
	if (ret < 0)
		kill(pid, SIGKILL);
	close(r);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (ret < 0) {
		cb_strbuf_release(&sb);
		return cb_error_wrap(err, "credential helper `%s` %s", prog, action);
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	*out = cb_strbuf_detach(&sb, outlen);
	return 0;
}

/* The helper's message (its stdout when it failed) fit for an error: one line, 200 bytes. */
static char *helper_message(const char *out)
{
	size_t n = strcspn(out, "\r\n");
	char *m = xstrndup(out, n > 200 ? 200 : n);

	for (char *p = m; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return m;
}

int registry_cred_helper_parse(const char *buf, size_t len, struct registry_creds *out,
			       struct cb_error **err)
{
	json_auto_t *j = json_loadb(buf, len, 0, NULL);
	const char *u, *s;

	if (!json_is_object(j))
		return cb_error_set(err, 0, "its output is not a JSON object");
	u = json_string_value(json_object_get(j, "Username"));
	s = json_string_value(json_object_get(j, "Secret"));
	if (!u || !s)
		return cb_error_set(err, 0, "its output lacks `Username` or `Secret`");
	if (!*s)
		return 0;
	if (strpbrk(u, "\r\n") || strpbrk(s, "\r\n") || (strcmp(u, "<token>") && strchr(u, ':')))
		return cb_error_set(err, 0,
				    "its `Username` or `Secret` holds a newline or a colon");
	out->user = xstrdup(u);
	out->secret = xstrdup(s);
	return 1;
}

int registry_cred_helper_get(const char *helper, const char *server, struct registry_creds *out,
			     struct cb_error **err)
{
	cleanup_free char *buf = NULL, *msg = NULL;
	size_t len = 0;
	int status = 0;

	if (registry_cred_helper_run(helper, "get", server, strlen(server), &buf, &len, &status,
				     err) < 0)
		return -1;
	if (status != 0) {
		msg = helper_message(buf);
		if (!strcmp(msg, NOT_FOUND))
			return 0;
		return cb_error_set(err, 0, "credential helper `docker-credential-%s` get: %s",
				    helper, *msg ? msg : "it failed");
	}
	if (registry_cred_helper_parse(buf, len, out, err) < 0)
		return cb_error_wrap(err, "credential helper `docker-credential-%s` get", helper);
	return out->user ? 1 : 0;
}

/* store (creds non-NULL) or erase server's credentials through helper. */
int registry_cred_helper_put(const char *helper, const char *server,
			     const struct registry_creds *creds, struct cb_error **err)
{
	cleanup_free char *buf = NULL, *in = NULL, *msg = NULL;
	json_auto_t *j = NULL;
	size_t len = 0;
	int status = 0;
	const char *action = creds ? "store" : "erase";

	if (creds) {
		j = json_pack("{s:s, s:s, s:s}", "ServerURL", server, "Username", creds->user,
			      "Secret", creds->secret);
		in = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (!in)
			return cb_error_set(err, EINVAL, "credentials of `%s` as JSON", server);
	} else {
		in = xstrdup(server);
	}
	if (registry_cred_helper_run(helper, action, in, strlen(in), &buf, &len, &status, err) < 0)
		return -1;
	if (status != 0) {
		msg = helper_message(buf);
		if (!creds && !strcmp(msg, NOT_FOUND))
			return 0;
		return cb_error_set(err, 0, "credential helper `docker-credential-%s` %s: %s",
				    helper, action, *msg ? msg : "it failed");
	}
	return 0;
}
