/*
 * libcurl loaded on first use (curl-dl.c): cbuild is not linked with it, so
 * a process that never makes an HTTP client never maps it (nor libssl,
 * nghttp2, ...); the first http_client_new() loads it, privately
 * (RTLD_LOCAL: its symbols stay out of the global scope) and without
 * exporting cbuild's forwarders; a library that cannot be loaded, or lacks
 * a function, makes http_client_new() fail with "load `...`: ..." and the
 * object-less libcurl functions fail as libcurl does, instead of crashing.
 * The requests themselves, through the forwarders, are test_registry_http.c.
 *
 * The load happens once per process, so each case runs its checks in a
 * forked child: the cases hold when the binary runs them all in one
 * process too.  The child reports with messages on stderr and its exit
 * status (cmocka's asserts belong to the parent).
 */
#include "cbtest.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "registry.h"
#include "xalloc.h"

/* A GET of a closed port of 127.0.0.1: refused (ECONNREFUSED, read with getinfo). */
static int get_refused(struct http_client *c)
{
	struct http_request rq = HTTP_REQUEST_INIT;
	struct http_response r;
	struct cb_error *err = NULL;
	cleanup_close int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	cleanup_free char *url = NULL;
	bool ok;

	/* a port bound (nobody else takes it) and never listened on: refused */
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	url = xasprintf("http://127.0.0.1:%d/x", ntohs(a.sin_port));
	rq.url = url;
	rq.max_size = 1 << 20; /* a curl_off_t option too */
	if (http_request_do(c, &rq, &r, &err) == 0) {
		http_response_release(&r);
		return -1;
	}
	ok = err->code == ECONNREFUSED;
	if (!ok)
		fprintf(stderr, "unexpected error: %s\n", cb_error_msg(err));
	cb_error_free(&err);
	return ok ? 0 : -1;
}

static int loaded_on_first_use(void)
{
	struct http_client_opts o = HTTP_CLIENT_OPTS_INIT;
	struct cb_error *err = NULL;
	struct http_client *c;

	/* Not linked: nothing of libcurl or of its dependencies at start. */
	CB_CHILD_CHECK(!cb_test_mapped("libcurl.so"));
	CB_CHILD_CHECK(!cb_test_mapped("libnghttp2"));
	CB_CHILD_CHECK(!cb_test_mapped("libssl"));
	/* Nor exported by this executable: libcurl could call into it. */
	CB_CHILD_CHECK(dlsym(RTLD_DEFAULT, "curl_easy_init") == NULL);
	CB_CHILD_CHECK(dlsym(RTLD_DEFAULT, "curl_easy_setopt") == NULL);

	c = http_client_new(&o, &err);
	CB_CHILD_CHECK(c != NULL);
	CB_CHILD_CHECK(cb_test_mapped("libcurl.so"));
	CB_CHILD_CHECK(get_refused(c) == 0);
	http_client_free(c);
	/* Loaded privately: still nothing of it in the global scope. */
	CB_CHILD_CHECK(dlsym(RTLD_DEFAULT, "curl_easy_init") == NULL);
	return 0;
}

static void test_loaded_on_first_use(void **state)
{
	(void)state;
	cb_test_in_child(loaded_on_first_use);
}

static const char *inject_lib, *inject_why;

/* Every way into libcurl fails cleanly when CB_LIBCURL cannot be used. */
static int fails_cleanly(void)
{
	struct http_client_opts o = HTTP_CLIENT_OPTS_INIT;
	struct cb_error *err = NULL;
	cleanup_free char *want = xasprintf("load `%s`: ", inject_lib);

	setenv("CB_LIBCURL", inject_lib, 1);
	CB_CHILD_CHECK(http_client_new(&o, &err) == NULL);
	CB_CHILD_CHECK(err != NULL);
	if (strncmp(err->msg, want, strlen(want)) || !strstr(err->msg, inject_why)) {
		fprintf(stderr, "unexpected error: %s\n", err->msg);
		return 1;
	}
	cb_error_free(&err);
	/* The same error again: decided once, remembered. */
	CB_CHILD_CHECK(http_client_new(&o, &err) == NULL);
	CB_CHILD_CHECK(err != NULL && !strncmp(err->msg, want, strlen(want)));
	cb_error_free(&err);

	/* The object-less functions, for code that did not ask first. */
	CB_CHILD_CHECK(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_FAILED_INIT);
	CB_CHILD_CHECK(curl_easy_init() == NULL);
	CB_CHILD_CHECK(curl_multi_init() == NULL);
	CB_CHILD_CHECK(curl_slist_append(NULL, "Accept: */*") == NULL);
	CB_CHILD_CHECK(curl_easy_strerror(CURLE_OK) != NULL);
	/* and what frees: NULL is all a caller can hold */
	curl_easy_cleanup(NULL);
	curl_slist_free_all(NULL);
	CB_CHILD_CHECK(curl_multi_cleanup(NULL) == CURLM_BAD_HANDLE);
	http_client_free(NULL);
	/* Nothing loaded, nothing half-loaded. */
	CB_CHILD_CHECK(!cb_test_mapped("libcurl.so"));
	return 0;
}

static void test_load_failure(void **state)
{
	(void)state;
	inject_lib = "/nonexistent/libcurl.so.4";
	inject_why = "No such file or directory";
	cb_test_in_child(fails_cleanly);
}

/* A library that loads but is not libcurl: refused whole, not half used. */
static void test_load_missing_functions(void **state)
{
	(void)state;
	inject_lib = "libz.so.1";
	inject_why = "undefined symbol: curl_";
	cb_test_in_child(fails_cleanly);
}

CB_TEST_MAIN(cmocka_unit_test(test_loaded_on_first_use), cmocka_unit_test(test_load_failure),
	     cmocka_unit_test(test_load_missing_functions))
