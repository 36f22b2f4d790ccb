/*
 * test_registry_http.c - the HTTP layer against a small server in a
 * thread on 127.0.0.1 (one connection at a time, canned responses by
 * path, `Connection: close`): headers of the final response, statuses,
 * redirects (followed, to another protocol refused, too many), the size
 * limit, gzip decoding, extra request headers, the cancel fd, connection
 * refused; and the pure helpers (HTTP dates, URL redaction).
 */
#include "cbtest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "registry.h"
#include "strbuf.h"
#include "xalloc.h"

struct server {
	int lfd;
	int port;
	int cancel_efd; /* written by /slow once its first byte is out */
	pthread_t th;
	bool stop;
};

static void send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void sendf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sendf(int fd, const char *fmt, ...)
{
	struct cb_strbuf sb = CB_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	cb_strbuf_addvf(&sb, fmt, ap);
	va_end(ap);
	send_all(fd, sb.buf, sb.len);
	cb_strbuf_release(&sb);
}

static const char gz_hello[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9"
			       "\xe7\x02\x00\x20\x30\x3a\x36\x06\x00\x00\x00";

static void handle(struct server *s, int fd)
{
	char req[8192], path[256] = "";
	size_t len = 0;

	while (len < sizeof(req) - 1) {
		ssize_t n = recv(fd, req + len, sizeof(req) - 1 - len, 0);

		if (n <= 0)
			return;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	if (sscanf(req, "%*s %255s", path) != 1)
		return;
	if (!strcmp(path, "/ok")) {
		sendf(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 6\r\n"
			  "Last-Modified: Thu, 04 Mar 2021 05:06:07 GMT\r\nETag: \"abc-6\"\r\n"
			  "ETag: \"second\"\r\nContent-Type: text/plain\r\n"
			  "Content-Disposition: attachment; filename=\"x.txt\"\r\n"
			  "X-Bad: a\x01z\r\nX-Custom:   spaced value  \r\n\r\nhello\n");
	} else if (!strcmp(path, "/redir")) {
		sendf(fd, "HTTP/1.1 302 Found\r\nConnection: close\r\nLocation: /ok\r\n"
			  "ETag: \"from-the-redirect\"\r\nContent-Length: 3\r\n\r\nxyz");
	} else if (!strcmp(path, "/ftp")) {
		sendf(fd, "HTTP/1.1 302 Found\r\nConnection: close\r\n"
			  "Location: ftp://127.0.0.1/x\r\nContent-Length: 0\r\n\r\n");
	} else if (!strcmp(path, "/file")) {
		sendf(fd, "HTTP/1.1 301 Moved\r\nConnection: close\r\n"
			  "Location: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n");
	} else if (!strcmp(path, "/loop")) {
		sendf(fd, "HTTP/1.1 302 Found\r\nConnection: close\r\nLocation: /loop\r\n"
			  "Content-Length: 0\r\n\r\n");
	} else if (!strcmp(path, "/missing")) {
		sendf(fd, "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 4\r\n\r\n"
			  "nope");
	} else if (!strcmp(path, "/big") || !strcmp(path, "/biglen")) {
		static char chunk[4096];

		if (!strcmp(path, "/big"))
			sendf(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		else
			sendf(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
				  "Content-Length: 1048576\r\n\r\n");
		memset(chunk, 'b', sizeof(chunk));
		for (int i = 0; i < 256; i++)
			send_all(fd, chunk, sizeof(chunk));
	} else if (!strcmp(path, "/gz")) {
		sendf(fd,
		      "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Encoding: gzip\r\n"
		      "Content-Length: %zu\r\n\r\n",
		      sizeof(gz_hello) - 1);
		send_all(fd, gz_hello, sizeof(gz_hello) - 1);
	} else if (!strcmp(path, "/echo")) {
		sendf(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
		      len, req);
	} else if (!strcmp(path, "/upload")) {
		/* answers "METHOD body" once Content-Length bytes of body are in */
		char *end = strstr(req, "\r\n\r\n") + 4, method[16] = "";
		const char *cl = strcasestr(req, "\r\nContent-Length:");
		size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;

		while ((size_t)(req + len - end) < want && len < sizeof(req) - 1) {
			ssize_t n = recv(fd, req + len, sizeof(req) - 1 - len, 0);

			if (n <= 0)
				return;
			len += (size_t)n;
		}
		req[len] = '\0';
		(void)sscanf(req, "%15s", method);
		sendf(fd,
		      "HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s "
		      "%s",
		      strlen(method) + 1 + strlen(end), method, end);
	} else if (!strcmp(path, "/slow")) {
		uint64_t one = 1;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char c;

		sendf(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\nx");
		if (write(s->cancel_efd, &one, sizeof(one)) != sizeof(one))
			return;
		/* hold the connection until the client goes (or 10 s) */
		if (poll(&p, 1, 10000) > 0)
			(void)!recv(fd, &c, 1, 0);
	} else {
		sendf(fd, "HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;

	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		if (fd < 0)
			continue;
		handle(s, fd);
		shutdown(fd, SHUT_WR);
		close(fd);
	}
}

static void server_start(struct server *s)
{
	memset(s, 0, sizeof(*s));
	s->lfd = cb_test_listen_loopback(&s->port);
	s->cancel_efd = eventfd(0, EFD_CLOEXEC);
	assert_true(s->cancel_efd >= 0);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

/* Stop the server; a second call does nothing. */
static void server_stop(struct server *s)
{
	int fd;

	if (s->lfd < 0)
		return;
	__atomic_store_n(&s->stop, true, __ATOMIC_SEQ_CST);
	fd = cb_test_connect_loopback(s->port); /* wake accept */
	pthread_join(s->th, NULL);
	close(fd);
	close(s->lfd);
	close(s->cancel_efd);
	s->lfd = -1;
}

struct sink {
	struct cb_strbuf body;
	long status_seen;
};

static int to_sink(void *arg, const struct http_response *r, const void *buf, size_t len,
		   struct cb_error **err)
{
	struct sink *k = arg;

	(void)err;
	k->status_seen = r->status;
	cb_strbuf_add(&k->body, buf, len);
	return 0;
}

static struct http_client *client(int cancel_fd)
{
	struct http_client_opts o = HTTP_CLIENT_OPTS_INIT;
	struct cb_error *err = NULL;
	struct http_client *c;

	o.cancel_fd = cancel_fd;
	o.max_redirects = 5;
	c = http_client_new(&o, &err);
	assert_non_null(c);
	return c;
}

/*
 * Every case that talks to the server: the server, a client (no cancel fd,
 * 5 redirects), a body sink, the response and the error, made by
 * fixture_setup and released by fixture_teardown (cmocka's setup/teardown).
 */
struct fixture {
	struct server s;
	struct http_client *c;
	struct sink k;
	struct http_response r;
	struct cb_error *err;
};

static int fixture_setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	server_start(&f->s);
	f->c = client(-1);
	f->k.body = (struct cb_strbuf)CB_STRBUF_INIT;
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	cb_error_free(&f->err);
	cb_strbuf_release(&f->k.body);
	http_client_free(f->c);
	server_stop(&f->s);
	free(f);
	return 0;
}

/* GET path from the test server into f->k, f->r and f->err: http_request_do's result. */
static int get(struct fixture *f, const char *path, bool decode, uint64_t max)
{
	char *url = xasprintf("http://127.0.0.1:%d%s", f->s.port, path);
	struct http_request rq = HTTP_REQUEST_INIT;
	int ret;

	rq.url = url;
	rq.decode = decode;
	rq.max_size = max;
	rq.on_body = to_sink;
	rq.arg = &f->k;
	ret = http_request_do(f->c, &rq, &f->r, &f->err);
	free(url);
	return ret;
}

static void test_headers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(get(f, "/ok", false, 0), 0);
	assert_int_equal(f->r.status, 200);
	assert_int_equal(f->k.status_seen, 200);
	assert_string_equal(f->k.body.buf, "hello\n");
	assert_int_equal(f->r.body_size, 6);
	assert_string_equal(f->r.last_modified, "Thu, 04 Mar 2021 05:06:07 GMT");
	assert_string_equal(f->r.etag, "\"abc-6\""); /* the first value, as Go's Header.Get */
	assert_string_equal(f->r.content_type, "text/plain");
	assert_string_equal(f->r.content_disposition, "attachment; filename=\"x.txt\"");
	assert_null(f->r.location);
	assert_null(http_response_header(&f->r, "x-bad")); /* a control character: dropped */
	assert_string_equal(http_response_header(&f->r, "X-Custom"), "spaced value");
	http_response_release(&f->r);
}

static void test_status_and_redirect(void **state)
{
	struct fixture *f = *state;
	char *want;

	/* a 404 is a response: the caller decides */
	assert_int_equal(get(f, "/missing", false, 0), 0);
	assert_int_equal(f->r.status, 404);
	assert_string_equal(http_status_text(f->r.status), "Not Found");
	http_response_release(&f->r);
	/* followed: the final response's headers only, the redirect's body dropped */
	cb_strbuf_reset(&f->k.body);
	assert_int_equal(get(f, "/redir", false, 0), 0);
	assert_int_equal(f->r.status, 200);
	assert_string_equal(f->k.body.buf, "hello\n");
	assert_string_equal(f->r.etag, "\"abc-6\"");
	want = xasprintf("http://127.0.0.1:%d/ok", f->s.port);
	assert_string_equal(f->r.url, want);
	free(want);
	http_response_release(&f->r);
	/* another protocol, also when redirected, is refused */
	assert_int_equal(get(f, "/ftp", false, 0), -1);
	want = xasprintf("GET `http://127.0.0.1:%d/ftp`: redirect to `ftp://127.0.0.1/x` refused: "
			 "only http and https are followed",
			 f->s.port);
	assert_string_equal(cb_error_msg(f->err), want);
	free(want);
	cb_error_free(&f->err);
	assert_int_equal(get(f, "/file", false, 0), -1);
	assert_non_null(strstr(cb_error_msg(f->err), "redirect to `file:///etc/passwd` refused"));
	cb_error_free(&f->err);
	assert_int_equal(get(f, "/loop", false, 0), -1);
	assert_non_null(strstr(cb_error_msg(f->err), "stopped after too many redirects"));
	cb_error_free(&f->err);
}

static void test_limits_and_decoding(void **state)
{
	struct fixture *f = *state;

	/* no Content-Length: counted as it arrives */
	assert_int_equal(get(f, "/big", false, 10000), -1);
	assert_int_equal(f->err->code, EFBIG);
	assert_true(f->k.body.len <= 10000);
	cb_error_free(&f->err);
	/* a Content-Length over the limit: refused before the body */
	cb_strbuf_reset(&f->k.body);
	assert_int_equal(get(f, "/biglen", false, 10000), -1);
	assert_int_equal(f->err->code, EFBIG);
	assert_int_equal(f->k.body.len, 0);
	cb_error_free(&f->err);
	/* under the limit */
	assert_int_equal(get(f, "/big", false, 1 << 20), 0);
	assert_int_equal(f->r.body_size, 1 << 20);
	http_response_release(&f->r);
	/* gzip: decoded when asked, raw bytes otherwise */
	cb_strbuf_reset(&f->k.body);
	assert_int_equal(get(f, "/gz", true, 0), 0);
	assert_string_equal(f->k.body.buf, "hello\n");
	http_response_release(&f->r);
	cb_strbuf_reset(&f->k.body);
	assert_int_equal(get(f, "/gz", false, 0), 0);
	assert_int_equal(f->k.body.len, sizeof(gz_hello) - 1);
	http_response_release(&f->r);
}

static void test_request_headers(void **state)
{
	struct fixture *f = *state;
	struct http_request rq = HTTP_REQUEST_INIT;
	const char *hdrs[] = {"If-None-Match: \"abc\"", "X-Test: 1", NULL};
	const char *bad[] = {"X-Evil: a\r\nHost: b", NULL};
	char *url;

	url = xasprintf("http://127.0.0.1:%d/echo", f->s.port);
	rq.url = url;
	rq.headers = hdrs;
	rq.on_body = to_sink;
	rq.arg = &f->k;
	assert_int_equal(http_request_do(f->c, &rq, &f->r, &f->err), 0);
	assert_non_null(strstr(f->k.body.buf, "\r\nIf-None-Match: \"abc\"\r\n"));
	assert_non_null(strstr(f->k.body.buf, "\r\nX-Test: 1\r\n"));
	assert_non_null(strstr(f->k.body.buf, "\r\nUser-Agent: cbuild/"));
	http_response_release(&f->r);
	rq.headers = bad;
	assert_int_equal(http_request_do(f->c, &rq, &f->r, &f->err), -1);
	cb_error_free(&f->err);
	rq.headers = NULL;
	rq.url = "ftp://127.0.0.1/x";
	assert_int_equal(http_request_do(f->c, &rq, &f->r, &f->err), -1);
	assert_string_equal(cb_error_msg(f->err), "GET `ftp://127.0.0.1/x`: unsupported protocol "
						  "scheme (only http and https)");
	cb_error_free(&f->err);
	free(url);
}

struct src {
	const char *data;
	size_t pos;
};

static ssize_t from_src(void *arg, void *buf, size_t len, struct cb_error **err)
{
	struct src *r = arg;
	size_t n = strlen(r->data + r->pos);

	if (!r->data[0])
		return cb_error_set(err, EIO, "the source broke");
	if (n > len)
		n = len;
	n = n > 3 ? 3 : n; /* several reads */
	memcpy(buf, r->data + r->pos, n);
	r->pos += n;
	return (ssize_t)n;
}

static void test_request_bodies(void **state)
{
	struct fixture *f = *state;
	static const char *const methods[] = {"PUT", "POST", "PATCH"};
	char *url;

	url = xasprintf("http://127.0.0.1:%d/upload", f->s.port);
	for (size_t i = 0; i < 3; i++) {
		struct sink k = {CB_STRBUF_INIT, 0};
		struct src body = {"hello body", 0};
		struct http_request rq = HTTP_REQUEST_INIT;
		char *want = xasprintf("%s hello body", methods[i]);

		rq.method = methods[i];
		rq.url = url;
		rq.on_body = to_sink;
		rq.arg = &k;
		rq.read_body = from_src;
		rq.read_arg = &body;
		rq.body_size = strlen(body.data);
		assert_int_equal(http_request_do(f->c, &rq, &f->r, &f->err), 0);
		assert_int_equal(f->r.status, 201);
		assert_string_equal(k.body.buf, want);
		http_response_release(&f->r);
		cb_strbuf_release(&k.body);
		free(want);
	}
	{ /* an empty body, and a source that fails */
		struct sink k = {CB_STRBUF_INIT, 0};
		struct src broken = {"", 0};
		struct http_request rq = HTTP_REQUEST_INIT;

		rq.method = "PUT";
		rq.url = url;
		rq.on_body = to_sink;
		rq.arg = &k;
		assert_int_equal(http_request_do(f->c, &rq, &f->r, &f->err), 0);
		assert_string_equal(k.body.buf, "PUT ");
		http_response_release(&f->r);
		rq.read_body = from_src;
		rq.read_arg = &broken;
		rq.body_size = 5;
		assert_int_equal(http_request_do(f->c, &rq, &f->r, &f->err), -1);
		assert_non_null(strstr(cb_error_msg(f->err), "the source broke"));
		cb_error_free(&f->err);
		rq.method = "DELETE";
		assert_int_equal(http_request_do(f->c, &rq, &f->r, &f->err), -1);
		assert_non_null(strstr(cb_error_msg(f->err), "method not supported"));
		cb_error_free(&f->err);
		cb_strbuf_release(&k.body);
	}
	free(url);
}

static void test_cancel_and_refused(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int fd;
	char *url;
	struct http_request rq = HTTP_REQUEST_INIT;

	http_client_free(f->c); /* this case's first client has the cancel fd */
	f->c = client(f->s.cancel_efd);
	/* the server pokes the cancel fd after one byte and then holds on */
	assert_int_equal(get(f, "/slow", false, 0), -1);
	assert_int_equal(f->err->code, ECANCELED);
	cb_error_free(&f->err);
	http_client_free(f->c);
	server_stop(&f->s);
	/* a port nobody listens on: bind one, then close it */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	f->c = client(-1);
	url = xasprintf("http://u:secret@127.0.0.1:%d/x", ntohs(a.sin_port));
	rq.url = url;
	assert_int_equal(http_request_do(f->c, &rq, &f->r, &f->err), -1);
	assert_int_equal(f->err->code, ECONNREFUSED);
	assert_null(strstr(cb_error_msg(f->err), "secret"));
	assert_non_null(strstr(cb_error_msg(f->err), "u:xxxxx@127.0.0.1"));
	cb_error_free(&f->err);
	free(url);
}

static void test_parse_time(void **state)
{
	int64_t t = 0;

	(void)state;
	assert_true(http_parse_time("Thu, 04 Mar 2021 05:06:07 GMT", &t));
	assert_int_equal(t, 1614834367);
	assert_true(http_parse_time("Sun, 06 Nov 1994 08:49:37 GMT", &t));
	assert_int_equal(t, 784111777);
	assert_true(http_parse_time("Sunday, 06-Nov-94 08:49:37 GMT", &t));
	assert_int_equal(t, 784111777);
	assert_true(http_parse_time("Sun Nov  6 08:49:37 1994", &t));
	assert_int_equal(t, 784111777);
	assert_true(http_parse_time("Thu, 01 Jan 1970 00:00:00 GMT", &t));
	assert_int_equal(t, 0);
	assert_true(http_parse_time("Tue, 29 Feb 2000 12:00:00 GMT", &t));
	assert_int_equal(t, 951825600);
	assert_true(http_parse_time("Wed, 31 Dec 1969 23:59:59 GMT", &t));
	assert_int_equal(t, -1);
	assert_false(http_parse_time("", &t));
	assert_false(http_parse_time("Thu, 04 Mar 2021 05:06:07 UTC", &t));
	assert_false(http_parse_time("Thu, 4 Mar 2021 05:06:07 GMT", &t));
	assert_false(http_parse_time("Xyz, 04 Mar 2021 05:06:07 GMT", &t));
	assert_false(http_parse_time("Thu, 30 Feb 2021 05:06:07 GMT", &t));
	assert_false(http_parse_time("Thu, 04 Mar 2021 24:06:07 GMT", &t));
	assert_false(http_parse_time("Thu, 04 Mar 2021 05:06:07 GMT ", &t));
	assert_false(http_parse_time("1614834367", &t));
}

static void test_redacted(void **state)
{
	char *s;

	(void)state;
	s = http_url_redacted("https://user:pw@host/p?q=a:b@c");
	assert_string_equal(s, "https://user:xxxxx@host/p?q=a:b@c");
	free(s);
	s = http_url_redacted("https://user@host/p");
	assert_string_equal(s, "https://user@host/p");
	free(s);
	s = http_url_redacted("http://host:80/a@b");
	assert_string_equal(s, "http://host:80/a@b");
	free(s);
}

CB_TEST_MAIN(
	cmocka_unit_test_setup_teardown(test_headers, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_status_and_redirect, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_limits_and_decoding, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_request_headers, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_request_bodies, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_cancel_and_refused, fixture_setup, fixture_teardown),
	cmocka_unit_test(test_parse_time), cmocka_unit_test(test_redacted))
