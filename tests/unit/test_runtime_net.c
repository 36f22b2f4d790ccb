/*
 * test_runtime_net.c - the private network's pieces (runtime/net.c, issue
 * 11): route tables read for a default route, the sandbox's resolv.conf,
 * and pasta's lifetime (started, ready, killed and reaped; a failing start
 * reported with pasta's own words).  Integration 0520-0522 run the whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cbtest.h"
#include "cleanup.h"
#include "fsutil.h"
#include "runtime-internal.h"

static const char route4_default[] =
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
static const char route4_none[] =
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	/* destination 0 but a /8 mask: not a default route */
	"eth1\t00000000\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n";
static const char route6_default[] =
	"fd000000000000000000000000000000 40 00000000000000000000000000000000 00 "
	"00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
	"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
	"fd000000000000000000000000000001 00000400 00000001 00000000 00000003     eth0\n";
static const char route6_none[] =
	"fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
	"00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
	/* every table's null entry: ::/0, RTF_REJECT | RTF_NONEXTHOP, on lo */
	"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
	"00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
/* a default route that is down, and an `unreachable default` */
static const char route6_down[] =
	"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
	"fd000000000000000000000000000001 00000400 00000003 00000000 00000002     eth0\n";
static const char route4_reject[] =
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	"*\t00000000\t00000000\t0201\t0\t0\t0\t00000000\t0\t0\t0\n";

static void test_default_route(void **state)
{
	(void)state;
	assert_true(net_route_has_default(route4_default, AF_INET));
	assert_false(net_route_has_default(route4_none, AF_INET));
	assert_false(net_route_has_default("", AF_INET));
	assert_true(net_route_has_default(route6_default, AF_INET6));
	assert_false(net_route_has_default(route6_none, AF_INET6));
	assert_false(net_route_has_default(route6_down, AF_INET6));
	assert_false(net_route_has_default(route4_reject, AF_INET));
	/* the header line alone, and a truncated line */
	assert_false(net_route_has_default("Iface\tDestination\n", AF_INET));
	assert_false(net_route_has_default("eth0\t00000000", AF_INET));
	/* fields of one line only: a short line does not borrow the next one's */
	assert_false(net_route_has_default("eth0\t00000000\nx 1 2 3 4 00000000\n", AF_INET));
	assert_false(net_route_has_default(NULL, AF_INET));
}

static void resolv_eq(const char *host, const char *dns, const char *want)
{
	cleanup_free char *got = net_resolv_conf(host, dns);

	assert_string_equal(got, want);
}

static void test_resolv_conf(void **state)
{
	(void)state;
	/* with pasta's forwarder: it alone, whatever the host's were; the rest kept */
	resolv_eq("search example.org\nnameserver 127.0.0.53\noptions edns0 trust-ad\n",
		  RT_NET_DNS4,
		  "search example.org\noptions edns0 trust-ad\nnameserver " RT_NET_DNS4 "\n");
	resolv_eq("nameserver 10.0.0.1\nnameserver 10.0.0.2\n", RT_NET_DNS4,
		  "nameserver " RT_NET_DNS4 "\n");
	resolv_eq(NULL, RT_NET_DNS4, "nameserver " RT_NET_DNS4 "\n");
	/* without: BuildKit's rules, loopback ones dropped (v4, v6, v4-mapped) */
	resolv_eq("nameserver 127.0.0.53\nnameserver 10.0.0.1\nnameserver ::1\n"
		  "nameserver ::ffff:127.0.0.1\nnameserver fd00::1\n",
		  NULL, "nameserver 10.0.0.1\nnameserver fd00::1\n");
	/* ... and when none is left, Google's */
	resolv_eq("# comment\nnameserver 127.0.0.1\nsearch lan", NULL,
		  "# comment\nsearch lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	resolv_eq("", NULL, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

/* A namespace of our own with pasta in it, or 77 where that cannot be. */
static int pasta_namespace(int *route_fd)
{
	struct cb_error *err = NULL;
	int fd;

	if (geteuid() != 0 || !cb_is_real_root())
		skip(); /* root's shared namespace; rootless steps are 0522's */
	if (access("/usr/bin/pasta", X_OK) < 0)
		skip(); /* tools/install-deps.sh installs passt */
	if (net_host_family() != AF_INET)
		cb_test_not_applicable_exit("the host has no IPv4 default route for pasta to use");
	fd = ns_netns_new(AF_INET, route_fd, &err);
	if (fd < 0)
		fail_msg("%s", cb_error_msg(err));
	return fd;
}

static void test_pasta_lifetime(void **state)
{
	struct cb_error *err = NULL;
	struct net_helper h;
	char table[8192];
	int route_fd = -1, ns = pasta_namespace(&route_fd);
	cleanup_close int keep = dup(route_fd);
	ssize_t n;
	pid_t pid;

	(void)state;
	assert_int_equal(net_helper_start(AF_INET, ns, NULL, NULL, route_fd, &h, &err), 0);
	pid = h.pid;
	assert_true(pid > 0);
	if (net_helper_wait(&h, -1, &err) < 0)
		fail_msg("%s", cb_error_msg(err));
	/* ready means the namespace has its default route */
	n = pread(keep, table, sizeof(table) - 1, 0);
	assert_true(n > 0);
	table[n] = '\0';
	assert_true(net_route_has_default(table, AF_INET));
	assert_int_equal(kill(pid, 0), 0);
	net_helper_stop(&h);
	/*
	 * killed, and reaped by the detached thread once the kernel has torn
	 * it down (~25 ms): the pid goes away, no zombie stays
	 */
	for (int i = 0; i < 500 && kill(pid, 0) == 0; i++)
		usleep(10000);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(h.pid, -1);
	assert_int_equal(h.route_fd, -1);
	/* stopping twice is harmless */
	net_helper_stop(&h);
	close(ns);
}

static void test_pasta_fails(void **state)
{
	struct cb_error *err = NULL;
	struct net_helper h;
	int route_fd = -1, ns = pasta_namespace(&route_fd);
	cleanup_close int file = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)state;
	close(ns);
	/* not a namespace: pasta gives up, and its reason is in the error */
	assert_int_equal(net_helper_start(AF_INET, file, NULL, NULL, route_fd, &h, &err), 0);
	assert_int_equal(net_helper_wait(&h, -1, &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "`pasta` exited with status"));
	assert_non_null(strstr(cb_error_msg(err), "namespace"));
	assert_int_equal(h.pid, -1); /* reaped already */
	cb_error_free(&err);
	net_helper_stop(&h);
}

/* A busybox rootfs in ./rootfs; 77 without root or busybox-static. */
static void busybox_rootfs(void)
{
	static const char *const dirs[] = {"rootfs",	  "rootfs/bin", "rootfs/etc",
					   "rootfs/proc", "rootfs/dev", "rootfs/sys"};
	static const char *const applets[] = {"sh", "readlink", "cat", "true"};
	cleanup_free char *bin = NULL;
	struct cb_error *err = NULL;
	cleanup_close int fd = -1;
	size_t len = 0;
	char link[64];

	if (geteuid() != 0 || !cb_is_real_root() || access("/bin/busybox", X_OK) < 0)
		skip();
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		assert_int_equal(mkdir(dirs[i], 0755), 0);
	assert_int_equal(cb_read_file("/bin/busybox", 64u << 20, &bin, &len, &err), 0);
	fd = open("rootfs/bin/busybox", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	assert_true(fd >= 0);
	assert_int_equal(cb_write_all(fd, bin, len, &err), 0);
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
		snprintf(link, sizeof(link), "rootfs/bin/%s", applets[i]);
		assert_int_equal(symlink("busybox", link), 0);
	}
}

/* Run sh -c script over ./rootfs in the namespace net of mode; its output. */
static int run_in(struct runtime *rt, enum runtime_network mode, struct runtime_net *net,
		  const char *script, char **out, struct cb_error **err)
{
	const char *argv[] = {"sh", "-c", script, NULL};
	cleanup_close int fd = open("out.txt", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct runtime_spec spec;
	struct runtime_result res;
	int rc;

	assert_true(fd >= 0);
	runtime_spec_init(&spec);
	spec.rootfs = "rootfs";
	spec.argv = argv;
	spec.network = mode;
	spec.net = net;
	spec.stdio[1] = fd;
	rc = runtime_run(rt, &spec, &res, err);
	if (rc < 0)
		return rc;
	assert_int_equal(res.exit_code, 0);
	runtime_result_release(&res);
	assert_int_equal(cb_read_file("out.txt", 1 << 20, out, NULL, err), 0);
	return 0;
}

static void test_shared_namespace(void **state)
{
	struct runtime_options o = {.cgroup_driver = RUNTIME_CGROUP_NONE};
	struct cb_error *err = NULL;
	struct runtime *rt;
	struct runtime_net *net;
	cleanup_free char *a = NULL, *b = NULL, *host = NULL, *bad = NULL;
	char self[64] = "";

	(void)state;
	busybox_rootfs();
	rt = runtime_new(&o, &err);
	assert_non_null(rt);
	/* host is no namespace to share */
	assert_null(runtime_net_new(rt, RUNTIME_NETWORK_HOST, &err));
	assert_non_null(err);
	cb_error_free(&err);
	net = runtime_net_new(rt, RUNTIME_NETWORK_NONE, &err);
	assert_non_null(net);
	/* two steps, one namespace, not the host's; lo up in it */
	assert_int_equal(run_in(rt, RUNTIME_NETWORK_NONE, net,
				"readlink /proc/self/ns/net; cat /sys/class/net/lo/operstate", &a,
				&err),
			 0);
	assert_int_equal(run_in(rt, RUNTIME_NETWORK_NONE, net,
				"readlink /proc/self/ns/net; cat /sys/class/net/lo/operstate", &b,
				&err),
			 0);
	assert_string_equal(a, b);
	assert_true(readlink("/proc/self/ns/net", self, sizeof(self) - 1) > 0);
	assert_null(strstr(a, self));
	assert_non_null(strstr(a, "unknown")); /* lo's operstate when up */
	/* a step of another mode cannot join it */
	assert_int_equal(run_in(rt, RUNTIME_NETWORK_PRIVATE, net, "true", &bad, &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "not the shared one's"));
	cb_error_free(&err);
	assert_int_equal(run_in(rt, RUNTIME_NETWORK_HOST, net, "true", &bad, &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "joins no namespace"));
	cb_error_free(&err);
	/* without it, --network host is the host's */
	assert_int_equal(
		run_in(rt, RUNTIME_NETWORK_HOST, NULL, "readlink /proc/self/ns/net", &host, &err),
		0);
	assert_non_null(strstr(host, self));
	runtime_net_free(net);
	runtime_free(rt);
}

CB_TEST_MAIN(cmocka_unit_test(test_default_route), cmocka_unit_test(test_resolv_conf),
	     cmocka_unit_test(test_pasta_lifetime), cmocka_unit_test(test_pasta_fails),
	     cmocka_unit_test(test_shared_namespace))
