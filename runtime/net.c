/*
 * net.c - the private network (issue 11): a network namespace whose one
 * interface pasta (Debian's passt package) connects to the host's network.
 *
 * pasta runs on the host side and turns the namespace's packets into
 * ordinary sockets of its own, so a step reaches whatever the host can
 * reach, through the host's routes, and nothing else: 127.0.0.1 in the
 * namespace is the namespace's own lo, the gateway address is not mapped
 * to the host (--no-map-gw), no port is forwarded either way (-t/-u/-T/-U
 * none), and abstract UNIX sockets belong to a network namespace, so the
 * host's are not there.  pasta copies the host's address and gateway onto
 * the namespace's interface (so the host's own address is the namespace's
 * too) and answers DNS sent to RT_NET_DNS4 from the host's first resolver,
 * which may well be on the host's loopback (systemd-resolved's
 * 127.0.0.53): that query is the only thing it forwards there.  So the
 * sandbox's resolv.conf names that forwarder alone (the host's search and
 * options lines kept): on this VM, queries sent through pasta straight to
 * the host's non-loopback resolver (10.255.255.53) went unanswered while
 * the forwarder's were answered.
 *
 * Why pasta and not slirp4netns (both packaged by Debian), measured on
 * this 2-core VM, root, busy machine: setup until the namespace has its
 * default route, pasta ~9-11 ms (--foreground), slirp4netns 15-35 ms
 * (--ready-fd, with --enable-sandbox); a 200 MB download from a host
 * address that is not loopback (python http.server on a veth peer, 746
 * MB/s directly), pasta 324-903 MB/s, slirp4netns 154 MB/s.  And
 * slirp4netns 1.2's --enable-sandbox unmounted the host's /run/netns/X
 * mounts through shared propagation.
 *
 * Lifetime: pasta runs in the foreground as a child with no exit signal
 * (ns_clone: a SIGCHLD handler elsewhere cannot reap it), PR_SET_PDEATHSIG
 * SIGKILL, in a session of its own (a terminal's ^C reaches cbuild, which
 * cancels), and is killed by net_helper_stop() (a detached thread reaps
 * it).  Readiness: the namespace's route table, read through an fd opened
 * inside it, holds a default route (pasta --config-net adds it last).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "runtime-internal.h"
#include "strbuf.h"
#include "xalloc.h"

/* How long pasta may take to configure the namespace (a loaded machine). */
#define NET_READY_TIMEOUT_MS 20000

struct runtime_net {
	enum runtime_network mode;
	int netns_fd;
	pthread_mutex_t mu; /* guards the wait below */
	bool waited;
	struct cb_error *ready_err; /* the wait's failure, kept for every later step */
	struct net_helper helper;   /* pid -1: none (NONE, or no default route) */
	bool no_route;		    /* PRIVATE without pasta: lo only */
};

/* ---- pure parts (unit-tested) ---- */

/* A route that carries packets: up, not the kernel's reject (unreachable) entry. */
static bool route_usable(unsigned flags)
{
	return (flags & 0x1 /* RTF_UP */) && !(flags & 0x200 /* RTF_REJECT */);
}

bool net_route_has_default(const char *table, int family)
{
	for (const char *l = table ? table : ""; *l;) {
		size_t n = strcspn(l, "\n");
		char line[512], dst[40] = "", mask[16] = "", plen[4] = "", dev[32] = "";
		unsigned flags = 0;

		/* one line at a time: sscanf's blanks would run on into the next */
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1),
			 l);
		l += n + (l[n] == '\n');
		if (family == AF_INET) {
			/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
			if (sscanf(line, "%*s %15s %*s %x %*s %*s %*s %15s", dst, &flags, mask) ==
				    3 &&
			    !strcmp(dst, "00000000") && !strcmp(mask, "00000000") &&
			    route_usable(flags))
				return true;
			continue;
		}
		/*
		 * Destination, prefix length, source, its length, next hop,
		 * metric, refcnt, use, flags, device.  Every table holds a `::/0`
		 * reject entry on lo (the kernel's null entry): not a route.
		 */
		if (sscanf(line, "%39s %3s %*s %*s %*s %*s %*s %*s %x %31s", dst, plen, &flags,
			   dev) == 4 &&
		    strlen(dst) == 32 && strspn(dst, "0") == 32 && !strcmp(plen, "00") &&
		    route_usable(flags) && strcmp(dev, "lo"))
			return true;
	}
	return false;
}

static bool loopback_address(const char *a)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, a, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, a, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

char *net_resolv_conf(const char *host, const char *dns)
{
	struct cb_strbuf out = CB_STRBUF_INIT;
	bool any = false;

	for (const char *l = host ? host : ""; *l;) {
		size_t n = strcspn(l, "\n");
		char word[16] = "", addr[64] = "";
		cleanup_free char *line = xstrndup(l, n);

		l += n + (l[n] == '\n');
		if (sscanf(line, " %15s %63s", word, addr) == 2 && !strcmp(word, "nameserver")) {
			/*
			 * pasta's forwarder stands for all of them; without it,
			 * BuildKit's rule: loopback ones go (the sandbox's
			 * loopback is its own), the others are asked directly
			 */
			if (dns || loopback_address(addr))
				continue;
			any = true;
		}
		cb_strbuf_addf(&out, "%s\n", line);
	}
	if (dns)
		cb_strbuf_addf(&out, "nameserver %s\n", dns);
	else if (!any) /* BuildKit's fallback */
		cb_strbuf_addstr(&out, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	return cb_strbuf_detach(&out, NULL);
}

/* ---- pasta ---- */

int net_host_family(void)
{
	static const struct {
		const char *file;
		int family;
	} tables[] = {{"/proc/self/net/route", AF_INET}, {"/proc/self/net/ipv6_route", AF_INET6}};

	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *text = NULL;
		struct cb_error *e = NULL;

		if (cb_read_file(tables[i].file, 16u << 20, &text, NULL, &e) < 0) {
			cb_error_free(&e);
			continue;
		}
		if (net_route_has_default(text, tables[i].family))
			return tables[i].family;
	}
	return AF_UNSPEC;
}

/*
 * What pasta can carry for a step of rt: the host's default route's
 * family, or AF_UNSPEC (no outbound access, *why says why) when there is
 * none, or when cbuild cannot open /dev/net/tun, with which pasta makes
 * its interface: some hosts keep it 0600 root's (rootless), a container
 * may have no such node or a device cgroup that denies it (root too).
 */
int net_outbound_family(const struct runtime *rt, const char **why)
{
	int family = net_host_family(), tun;

	*why = NULL;
	if (family == AF_UNSPEC) {
		*why = "the host has no default route";
		return AF_UNSPEC;
	}
	tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tun >= 0) {
		close(tun);
		return family;
	}
	*why = runtime_is_rootless(rt) ? "rootless, and /dev/net/tun is not open to this user"
				       : "/dev/net/tun cannot be opened here";
	return AF_UNSPEC;
}

const char *runtime_net_limit(const struct runtime *rt)
{
	const char *why;

	net_outbound_family(rt, &why);
	return why;
}

/* The absolute path of pasta on $PATH's absolute entries (the caller's), or NULL. */
static char *find_pasta(void)
{
	const char *path = getenv("PATH");
	cleanup_free char *dirs = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;

	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p;

		/* a relative entry names the current directory's: never run as root from there */
		if (*d != '/')
			continue;
		p = xasprintf("%s/pasta", d);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

/* quiet, ours to stop; configure the interface; nothing of the host's loopback */
static const char *const pasta_args[] = {"pasta", "-q",	  "-f",	 "--config-net", "--no-map-gw",
					 "-t",	  "none", "-u",	 "none",	 "-T",
					 "none",  "-U",	  "none"};

/*
 * In the clone, no allocation: its own session, its log as stdout and
 * stderr, stdin the namespace (or /dev/null), exec.
 */
__attribute__((noreturn)) static void pasta_child(const char *exe, char *const *argv, pid_t parent,
						  int log_fd, int netns_fd)
{
	sigset_t none;
	int null = netns_fd >= 0 ? netns_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);

	/* cbuild may have died before the death signal was set */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (null < 0 || dup2(null, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		_exit(127);
	execve(exe, argv, environ);
	_exit(127);
}

int net_helper_start(int family, int netns_fd, const char *netns, const char *userns, int route_fd,
		     struct net_helper *h, struct cb_error **err)
{
	cleanup_free char *exe = find_pasta();
	const char *argv[32];
	size_t n = 0;
	bool into_cgroup;
	pid_t self = getpid(), pid;

	memset(h, 0, sizeof(*h));
	h->pid = -1;
	h->pidfd = h->log_fd = -1;
	h->route_fd = route_fd;
	h->family = family;
	if (!exe)
		return cb_error_set(err, 0,
				    "the private network needs `pasta` (Debian package passt): "
				    "install it, or use --network host or --network none");
	for (size_t i = 0; i < sizeof(pasta_args) / sizeof(pasta_args[0]); i++)
		argv[n++] = pasta_args[i];
	argv[n++] = family == AF_INET ? "-4" : "-6";
	if (family == AF_INET) {
		argv[n++] = "--dns-forward";
		argv[n++] = RT_NET_DNS4;
	}
	/* as root pasta would switch to nobody, who cannot enter a namespace of root's */
	if (geteuid() == 0) {
		argv[n++] = "--runas";
		argv[n++] = "0:0";
	}
	if (userns) {
		argv[n++] = "--userns";
		argv[n++] = userns;
	}
	/*
	 * pasta drops capabilities before it opens the namespace, so as root
	 * it may not open /proc/PID/... of a process holding more (the
	 * kernel's ptrace check): it gets the namespace as its stdin, which
	 * its closing of inherited fds leaves open
	 */
	argv[n++] = "--netns";
	argv[n++] = netns_fd >= 0 ? "/proc/self/fd/0" : netns;
	argv[n] = NULL;
	h->log_fd = memfd_create("cbuild-pasta-log", MFD_CLOEXEC);
	if (h->log_fd < 0)
		return cb_error_set(err, errno, "memfd_create");
	pid = ns_clone(0, -1, &h->pidfd, &into_cgroup);
	if (pid == 0)
		pasta_child(exe, (char *const *)argv, self, h->log_fd, netns_fd);
	if (pid < 0) {
		int e = errno;

		close(h->log_fd);
		h->log_fd = -1;
		return cb_error_set(err, e, "start `pasta`");
	}
	h->pid = pid;
	return 0;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* pasta ended before the namespace was ready: its status and last log line. */
static int pasta_failed(struct net_helper *h, struct cb_error **err)
{
	char buf[4096];
	ssize_t n = pread(h->log_fd, buf, sizeof(buf) - 1, 0);
	siginfo_t si = {0};
	char *last;

	while (waitid(P_PIDFD, (id_t)h->pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
		;
	h->pid = -1;
	buf[n > 0 ? n : 0] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	return cb_error_set(err, 0, "`pasta` %s %d before the network was up%s%s",
			    si.si_code == CLD_EXITED ? "exited with status"
						     : "was killed by signal",
			    si.si_status, *last ? ": " : "", last);
}

int net_helper_wait(struct net_helper *h, int cancel_fd, struct cb_error **err)
{
	const char *what = h->family == AF_INET ? "route" : "ipv6_route";
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char buf[8192];
		ssize_t n = pread(h->route_fd, buf, sizeof(buf) - 1, 0);
		struct pollfd p[2] = {{h->pidfd, POLLIN, 0}, {cancel_fd, POLLIN, 0}};

		if (n < 0)
			return cb_error_set(err, errno, "read the namespace's %s table", what);
		buf[n] = '\0';
		if (net_route_has_default(buf, h->family))
			return 0;
		if (elapsed_ms(&t0) > NET_READY_TIMEOUT_MS)
			return cb_error_set(err, ETIMEDOUT,
					    "`pasta` did not configure the network in %d s",
					    NET_READY_TIMEOUT_MS / 1000);
		/* pasta adds the route within milliseconds: look again every 0.5 ms */
		if (ppoll(p, cancel_fd >= 0 ? 2 : 1, &(struct timespec){0, 500000}, NULL) < 0 &&
		    errno != EINTR)
			return cb_error_set(err, errno, "poll");
		if (p[0].revents)
			return pasta_failed(h, err);
		if (cancel_fd >= 0 && p[1].revents)
			return cb_error_set(err, ECANCELED, "cancelled");
	}
}

/* Wait for a killed pasta and close its pidfd (the fd, as a pointer-sized int). */
static void *reap_main(void *arg)
{
	int pidfd = (int)(intptr_t)arg;
	siginfo_t si;

	while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
		;
	close(pidfd);
	return NULL;
}

/*
 * Kill pasta; it is reaped by a detached thread, as its exit takes the
 * kernel ~25 ms here (its tap device and the namespace go away) and nothing
 * needs to wait for that: the namespace is ours alone.  A process that ends
 * first leaves the zombie to init.  Without a thread, reaped here.
 */
void net_helper_stop(struct net_helper *h)
{
	if (h->pid > 0) {
		pthread_attr_t attr;
		pthread_t t;
		bool detached = false;

		/* pasta keeps no state worth a clean exit */
		syscall(SYS_pidfd_send_signal, h->pidfd, SIGKILL, NULL, 0);
		if (pthread_attr_init(&attr) == 0) {
			detached =
				pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
				pthread_create(&t, &attr, reap_main, (void *)(intptr_t)h->pidfd) ==
					0;
			pthread_attr_destroy(&attr);
		}
		if (detached)
			h->pidfd = -1;
		else
			reap_main((void *)(intptr_t)steal_fd(&h->pidfd));
	}
	h->pid = -1;
	if (h->pidfd >= 0)
		close(h->pidfd);
	if (h->log_fd >= 0)
		close(h->log_fd);
	if (h->route_fd >= 0)
		close(h->route_fd);
	h->pidfd = h->log_fd = h->route_fd = -1;
}

/* ---- the shared namespace ---- */

struct runtime_net *runtime_net_new(struct runtime *rt, enum runtime_network mode,
				    struct cb_error **err)
{
	struct runtime_net *net;
	int family = AF_UNSPEC, route_fd = -1;
	const char *why;

	if (mode != RUNTIME_NETWORK_NONE && mode != RUNTIME_NETWORK_PRIVATE) {
		cb_error_set(err, EINVAL, "a shared network is `none` or private");
		return NULL;
	}
	if (runtime_is_rootless(rt))
		return NULL; /* a step's own user namespace would not own it: one per step */
	if (mode == RUNTIME_NETWORK_PRIVATE)
		family = net_outbound_family(rt, &why);
	net = xcalloc(1, sizeof(*net));
	net->mode = mode;
	net->helper.pid = -1;
	net->helper.pidfd = net->helper.log_fd = net->helper.route_fd = -1;
	net->no_route = mode == RUNTIME_NETWORK_PRIVATE && family == AF_UNSPEC;
	pthread_mutex_init(&net->mu, NULL);
	net->netns_fd = ns_netns_new(family, family != AF_UNSPEC ? &route_fd : NULL, err);
	if (net->netns_fd < 0) {
		runtime_net_free(net);
		return NULL;
	}
	if (family == AF_UNSPEC)
		return net;
	/* route_fd is the helper's now, closed by runtime_net_free() too on failure */
	if (net_helper_start(family, net->netns_fd, NULL, NULL, route_fd, &net->helper, err) < 0) {
		runtime_net_free(net);
		return NULL;
	}
	return net;
}

void runtime_net_free(struct runtime_net *net)
{
	if (!net)
		return;
	net_helper_stop(&net->helper);
	if (net->netns_fd >= 0)
		close(net->netns_fd);
	cb_error_free(&net->ready_err);
	pthread_mutex_destroy(&net->mu);
	free(net);
}

int net_join(struct runtime_net *net, enum runtime_network mode, int cancel_fd, int *netns_fd,
	     int *family, struct cb_error **err)
{
	struct cb_error *e = NULL;
	int rc = 0;

	if (net->mode != mode)
		return cb_error_set(err, EINVAL, "the step's network is not the shared one's");
	pthread_mutex_lock(&net->mu);
	if (!net->waited && net->helper.pid > 0 && !net->ready_err &&
	    net_helper_wait(&net->helper, cancel_fd, &e) < 0) {
		/* a cancelled wait is this step's, not the network's: the next step waits again */
		if (e->code != ECANCELED)
			net->ready_err = steal_pointer(&e);
		else
			rc = -1;
	}
	net->waited = net->waited || (rc == 0 && !net->ready_err);
	if (rc == 0 && net->ready_err)
		rc = cb_error_set(err, 0, "%s", net->ready_err->msg);
	pthread_mutex_unlock(&net->mu);
	if (e && err && !*err)
		*err = steal_pointer(&e);
	cb_error_free(&e);
	if (rc < 0)
		return rc;
	*netns_fd = net->netns_fd;
	*family =
		mode == RUNTIME_NETWORK_PRIVATE && !net->no_route ? net->helper.family : AF_UNSPEC;
	return 0;
}
