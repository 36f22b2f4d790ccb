/*
 * test_registry_retry.c - the registry client's retries: Retry-After and
 * Content-Range parsing, the backoff's bounds, and registry_send against a
 * scripted server on loopback (one canned answer per connection): a 5xx
 * retried with its body kept from the sink, a PUT never retried, a cut body
 * not repeated unless the caller can restart it, an empty reply retried,
 * 4 attempts at most, a cancel ending the wait.
 */
#include "cbtest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "registry-internal.h"
#include "registry.h"
#include "strbuf.h"

static void test_retry_after(void **state)
{
	(void)state;
	assert_int_equal(registry_retry_after_ms(NULL, 0), -1);
	assert_int_equal(registry_retry_after_ms("", 0), -1);
	assert_int_equal(registry_retry_after_ms("0", 0), 0);
	assert_int_equal(registry_retry_after_ms("3", 0), 3000);
	assert_int_equal(registry_retry_after_ms("30", 0), 30000);
	assert_int_equal(registry_retry_after_ms("31", 0), REGISTRY_RETRY_AFTER_MAX_MS);
	assert_int_equal(registry_retry_after_ms("99999999999999999999", 0),
			 REGISTRY_RETRY_AFTER_MAX_MS);
	assert_int_equal(registry_retry_after_ms("-1", 0), -1);
	assert_int_equal(registry_retry_after_ms("1.5", 0), -1);
	assert_int_equal(registry_retry_after_ms("soon", 0), -1);
	/* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
	assert_int_equal(registry_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7000);
	assert_int_equal(registry_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111777), 0);
	assert_int_equal(registry_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784200000), 0);
	assert_int_equal(registry_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 0),
			 REGISTRY_RETRY_AFTER_MAX_MS);
	assert_int_equal(registry_retry_after_ms("Sunday, 06-Nov-94 08:49:37 GMT", 784111776),
			 1000);
}

static void test_backoff(void **state)
{
	(void)state;
	/* base * 2^(n-1), its upper half jittered */
	assert_int_equal(registry_backoff_ms(200, 1, 0), 100);
	assert_int_equal(registry_backoff_ms(200, 1, 100), 200);
	assert_int_equal(registry_backoff_ms(200, 1, 101), 100);
	assert_int_equal(registry_backoff_ms(200, 2, 0), 200);
	assert_int_equal(registry_backoff_ms(200, 3, 400), 800);
	for (uint32_t r = 0; r < 5000; r += 7) {
		long d = registry_backoff_ms(200, 2, r);

		assert_true(d >= 200 && d <= 400);
	}
	/* never past the cap, however many attempts */
	assert_true(registry_backoff_ms(200, 40, UINT32_MAX) <= REGISTRY_RETRY_AFTER_MAX_MS);
	assert_int_equal(registry_backoff_ms(0, 3, 12345), 0);
}

static void test_content_range(void **state)
{
	uint64_t a = 1, b = 1;
	int64_t t = 1;

	(void)state;
	assert_int_equal(registry_content_range_parse("bytes 0-9/10", &a, &b, &t), 0);
	assert_true(a == 0 && b == 9 && t == 10);
	assert_int_equal(registry_content_range_parse("bytes 100-199/*", &a, &b, &t), 0);
	assert_true(a == 100 && b == 199 && t == -1);
	assert_int_equal(registry_content_range_parse("Bytes 5-5/6", &a, &b, &t), 0);
	assert_true(a == 5 && b == 5 && t == 6);
	static const char *const bad[] = {
		NULL,
		"",
		"bytes",
		"bytes */10",	 /* a 416's form */
		"bytes 9-0/10",	 /* last before first */
		"bytes 0-10/10", /* past the total */
		"bytes 0-9/",
		"bytes 0-9",
		"bytes -1-9/10",
		"bytes 0--9/10",
		"bytes 0-9/10 ",
		"bytes 0-9/+10",
		"bytes  0-9/10",
		"items 0-9/10",
		"bytes 0-9/1x",
		"bytes 0-9999999999999999999/99999999999999999999", /* overflow */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (registry_content_range_parse(bad[i], &a, &b, &t) == 0)
			fail_msg("`%s` parsed", bad[i] ? bad[i] : "(null)");
}

/* ------------------------------------------------------------------------ */
/* A scripted server: answer i to connection i; NULL closes without one      */
/* ------------------------------------------------------------------------ */

#define SCRIPT_MAX 8

struct server {
	int lfd, port;
	pthread_t th;
	const char *script[SCRIPT_MAX];
	size_t n;
	int requests;		     /* connections that sent a request */
	char methods[SCRIPT_MAX][8]; /* each request's method */
};

static void *serve(void *arg)
{
	struct server *s = arg;

	for (size_t i = 0; i < s->n; i++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		char req[8192];
		size_t len = 0;

		if (fd < 0)
			return NULL;
		while (len < sizeof(req) - 1) {
			ssize_t k = recv(fd, req + len, sizeof(req) - 1 - len, 0);

			if (k <= 0)
				break;
			len += (size_t)k;
			req[len] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[len] = '\0';
		snprintf(s->methods[i], sizeof(s->methods[i]), "%.*s", (int)strcspn(req, " "), req);
		if (len) /* not server_stop's empty connection */
			__atomic_add_fetch(&s->requests, 1, __ATOMIC_SEQ_CST);
		if (s->script[i])
			(void)!send(fd, s->script[i], strlen(s->script[i]), MSG_NOSIGNAL);
		shutdown(fd, SHUT_RDWR);
		close(fd);
	}
	return NULL;
}

static void server_start(struct server *s)
{
	s->lfd = cb_test_listen_loopback(&s->port);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

/* Stop: connections the script still expects are made and dropped. */
static void server_stop(struct server *s)
{
	for (size_t i = (size_t)__atomic_load_n(&s->requests, __ATOMIC_SEQ_CST); i < s->n; i++) {
		int fd = cb_test_connect_loopback(s->port);

		close(fd);
	}
	pthread_join(s->th, NULL);
	close(s->lfd);
}

struct sink {
	struct cb_strbuf body;
	int restarts;
};

static int to_sink(void *arg, const struct http_response *r, const void *buf, size_t len,
		   struct cb_error **err)
{
	struct sink *k = arg;

	(void)r;
	(void)err;
	cb_strbuf_add(&k->body, buf, len);
	return 0;
}

static int restart(void *arg, struct cb_error **err)
{
	struct sink *k = arg;

	(void)err;
	k->restarts++;
	cb_strbuf_reset(&k->body);
	return 0;
}

#define OK_10 "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcdefghij"
#define CUT_10 "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcde"
#define E503 "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"
#define E500 "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops"
#define E429 "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n"
#define E404 "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"

/* registry_send(method) to the scripted server: its result; the response's status in *status. */
static int send_to(struct server *s, const char *method, bool can_restart, int cancel_fd,
		   struct sink *k, long *status, struct cb_error **err)
{
	struct registry_client c;
	struct registry_send_req rq = {.method = method, .url = "/v2/x/y/blobs/z", .fd = -1};
	struct http_response r;
	char domain[32];
	int ret;

	snprintf(domain, sizeof(domain), "127.0.0.1:%d", s->port);
	setenv("CBUILD_REGISTRY_RETRY_MS", "1", 1);
	assert_int_equal(registry_client_init(&c, domain, "x/y", NULL, err), 0);
	c.cancel_fd = cancel_fd;
	rq.buf = "data";
	rq.len = method && strcmp(method, "GET") ? 4 : 0;
	rq.on_body = to_sink;
	rq.arg = k;
	rq.on_restart = can_restart ? restart : NULL;
	ret = registry_send(&c, &rq, &r, err);
	if (ret == 0) {
		*status = r.status;
		http_response_release(&r);
	}
	registry_client_release(&c);
	return ret;
}

static void run(const char *const *script, size_t n, const char *method, bool can_restart,
		int cancel_fd, struct sink *k, long *status, int *rc, int *requests,
		struct cb_error **err)
{
	struct server s = {0};

	for (size_t i = 0; i < n; i++)
		s.script[i] = script[i];
	s.n = n;
	server_start(&s);
	*status = 0;
	*rc = send_to(&s, method, can_restart, cancel_fd, k, status, err);
	server_stop(&s);
	*requests = s.requests;
	for (int i = 0; i < s.requests; i++)
		assert_string_equal(s.methods[i], method ? method : "GET");
}

static void test_send_5xx(void **state)
{
	const char *const script[] = {E503, E500, OK_10};
	struct sink k = {CB_STRBUF_INIT, 0};
	struct cb_error *err = NULL;
	long status;
	int rc, n;

	(void)state;
	run(script, 3, NULL, false, -1, &k, &status, &rc, &n, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(status, 200);
	assert_int_equal(n, 3);
	/* the retried answers' bodies ("busy", "oops") never reached the sink */
	assert_string_equal(k.body.buf, "abcdefghij");
	cb_strbuf_release(&k.body);

	/* 4 attempts at most: the last answer is the caller's, its body too */
	const char *const down[] = {E503, E503, E503, E503, OK_10};
	k = (struct sink){CB_STRBUF_INIT, 0};
	run(down, 5, "HEAD", false, -1, &k, &status, &rc, &n, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(status, 503);
	assert_int_equal(n, REGISTRY_ATTEMPTS);
	cb_strbuf_release(&k.body);
	k = (struct sink){CB_STRBUF_INIT, 0};
	run(down, 5, NULL, false, -1, &k, &status, &rc, &n, &err);
	assert_int_equal(status, 503);
	assert_string_equal(k.body.buf, "busy");
	cb_strbuf_release(&k.body);

	/* a 404 is an answer: not retried */
	const char *const missing[] = {E404, OK_10};
	k = (struct sink){CB_STRBUF_INIT, 0};
	run(missing, 2, NULL, false, -1, &k, &status, &rc, &n, &err);
	assert_int_equal(status, 404);
	assert_int_equal(n, 1);
	cb_strbuf_release(&k.body);
}

static void test_send_body_methods(void **state)
{
	const char *const script[] = {E503, OK_10};
	struct sink k = {CB_STRBUF_INIT, 0};
	struct cb_error *err = NULL;
	long status;
	int rc, n;

	(void)state;
	run(script, 2, "PUT", false, -1, &k, &status, &rc, &n, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(status, 503);
	assert_int_equal(n, 1);
	cb_strbuf_release(&k.body);
	const char *const dropped[] = {NULL, OK_10};
	k = (struct sink){CB_STRBUF_INIT, 0};
	run(dropped, 2, "PATCH", false, -1, &k, &status, &rc, &n, &err);
	assert_int_equal(rc, -1);
	assert_int_equal(n, 1);
	cb_error_free(&err);
	cb_strbuf_release(&k.body);
}

static void test_send_dropped(void **state)
{
	const char *const empty[] = {NULL, OK_10};
	const char *const cut[] = {CUT_10, OK_10};
	struct sink k = {CB_STRBUF_INIT, 0};
	struct cb_error *err = NULL;
	long status;
	int rc, n;

	(void)state;
	/* an empty reply: nothing was delivered, the GET is made again */
	run(empty, 2, NULL, false, -1, &k, &status, &rc, &n, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 2);
	assert_string_equal(k.body.buf, "abcdefghij");
	cb_strbuf_release(&k.body);
	/* a cut body is the caller's to resume ... */
	k = (struct sink){CB_STRBUF_INIT, 0};
	run(cut, 2, NULL, false, -1, &k, &status, &rc, &n, &err);
	assert_int_equal(rc, -1);
	assert_int_equal(err->code, ECONNRESET);
	assert_int_equal(n, 1);
	assert_string_equal(k.body.buf, "abcde");
	cb_error_free(&err);
	cb_strbuf_release(&k.body);
	/* ... unless it can restart: then it comes again whole */
	k = (struct sink){CB_STRBUF_INIT, 0};
	run(cut, 2, NULL, true, -1, &k, &status, &rc, &n, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 2);
	assert_int_equal(k.restarts, 1);
	assert_string_equal(k.body.buf, "abcdefghij");
	cb_strbuf_release(&k.body);
}

static void test_send_cancel(void **state)
{
	const char *const script[] = {E429, OK_10};
	struct sink k = {CB_STRBUF_INIT, 0};
	struct cb_error *err = NULL;
	struct timespec t0, t1;
	uint64_t one = 1;
	int efd = eventfd(0, EFD_CLOEXEC);
	long status;
	int rc, n;

	(void)state;
	assert_true(efd >= 0);
	assert_int_equal(write(efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Retry-After: 30 is waited for, but the cancel fd ends the wait at once */
	run(script, 2, NULL, false, efd, &k, &status, &rc, &n, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(rc, -1);
	assert_int_equal(err->code, ECANCELED);
	assert_int_equal(n, 1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	cb_error_free(&err);
	cb_strbuf_release(&k.body);
	close(efd);
}

CB_TEST_MAIN(cmocka_unit_test(test_retry_after), cmocka_unit_test(test_backoff),
	     cmocka_unit_test(test_content_range), cmocka_unit_test(test_send_5xx),
	     cmocka_unit_test(test_send_body_methods), cmocka_unit_test(test_send_dropped),
	     cmocka_unit_test(test_send_cancel))
