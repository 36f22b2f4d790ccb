/*
 * probe.c - a static program the runtime tests run inside the sandbox.  It
 * reports what it sees as KEY=VALUE lines on stdout; the tests assert on
 * them.  Built with -static so that it needs nothing from the rootfs.
 *
 *   probe ns          pid, ppid, hostname, visible pids, network interfaces,
 *                     namespace inodes
 *   probe caps        capability sets, NoNewPrivs, Seccomp mode, ids
 *   probe seccomp     errno of denied syscalls, native (x86_64) and through
 *                     the i386 int 0x80 entry
 *   probe abi         run outside the sandbox: does the kernel itself run
 *                     IA-32 syscalls?  ia32=yes, or ia32=no and ia32_why=
 *                     (tests/helpers/kernel-abi.h; CB_TEST_ASSUME_NO_IA32=1
 *                     says no); exit 1 when the probe cannot tell
 *   probe paths       masked /proc files, read-only /proc/sys and /sys
 *   probe fds         open file descriptors
 *   probe forkbomb    fork until it fails; exit 1 with the error
 *   probe alloc MB    allocate and touch MB MiB
 *   probe sleep S [F] sleep S seconds (after writing "ready" to stdout, or to F)
 *   probe await READY GO [S]
 *                     write READY, then wait until the file GO exists (the
 *                     test's handshake, instead of a fixed sleep); exit 0,
 *                     or 3 when GO has not appeared after S seconds (60)
 *   probe signals     print "ready", wait for SIGTERM/SIGUSR1, exit 42
 *   probe zombies     make orphans that die; count zombies init failed to reap
 *   probe exe         try to reach the runtime through /proc/1/exe
 *   probe cwd         the working directory
 *   probe ipc         create a SysV shm segment; count the namespace's segments
 *   probe dev PATH... open each PATH read-write (O_NONBLOCK | O_NOCTTY):
 *                     open:PATH=OK or the errno name (issue 11, devices)
 *   probe cgbpf       run outside the sandbox: can the kernel load a
 *                     BPF_PROG_TYPE_CGROUP_DEVICE program?  cgroup_bpf=yes,
 *                     or cgroup_bpf=no and cgroup_bpf_why=
 *   probe pty         a pseudo-terminal through /dev/ptmx and /dev/pts/N,
 *                     made the controlling terminal of a new session, then
 *                     written through /dev/tty: ptmx=, pts=, ctty=, tty=
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernel-abi.h"
#include "kernel-bpf.h"

static int numeric(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void list_dir(const char *key, const char *path, int numbers_only)
{
	DIR *d = opendir(path);
	struct dirent *e;
	const char *sep = "";

	printf("%s=", key);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || (numbers_only && !numeric(e->d_name)))
			continue;
		printf("%s%s", sep, e->d_name);
		sep = ",";
	}
	printf("\n");
	if (d)
		closedir(d);
}

/* A TCP round trip over 127.0.0.1: "OK" or the errno name. */
static const char *lo_tcp(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s;
	char b = 0;

	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0 ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 || (s = accept(l, NULL, NULL)) < 0 ||
	    write(c, "x", 1) != 1 || read(s, &b, 1) != 1)
		return strerrorname_np(errno);
	return b == 'x' ? "OK" : "EIO";
}

static int cmd_ns(void)
{
	static const char *const nss[] = {"pid", "mnt", "uts", "ipc", "net", "cgroup", "user"};
	char host[256] = "";
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	gethostname(host, sizeof(host));
	printf("pid=%d\nppid=%d\nhostname=%s\n", getpid(), getppid(), host);
	list_dir("procs", "/proc", 1);
	list_dir("netifs", "/sys/class/net", 0);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	printf("lo_up=%d\n",
	       s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP));
	printf("lo_tcp=%s\n", lo_tcp());
	for (size_t i = 0; i < sizeof(nss) / sizeof(nss[0]); i++) {
		char p[64], l[64] = "";

		snprintf(p, sizeof(p), "/proc/self/ns/%s", nss[i]);
		if (readlink(p, l, sizeof(l) - 1) < 0)
			snprintf(l, sizeof(l), "error");
		printf("ns_%s=%s\n", nss[i], l);
	}
	return 0;
}

static int cmd_caps(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	gid_t groups[64];
	int n = getgroups(64, groups);

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *v;

		if (!colon || (strncmp(line, "Cap", 3) && strncmp(line, "NoNewPrivs", 10) &&
			       strncmp(line, "Seccomp:", 8)))
			continue;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		v[strcspn(v, "\n")] = '\0';
		printf("%s=%s\n", line, v);
	}
	printf("uid=%d\neuid=%d\ngid=%d\ngroups=", getuid(), geteuid(), getgid());
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", groups[i]);
	printf("\nhome=%s\n", getenv("HOME") ? getenv("HOME") : "");
	if (f)
		fclose(f);
	return 0;
}

struct trial {
	const char *name;
	long nr64, nr32;
	long a, b, c;
};

/* Run one call in a child (it may succeed, or kill); report its errno. */
static void try_call(const struct trial *t, int i386)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		long r;

		if (i386) {
			kabi_default_fault_signals(); /* on a kernel without IA-32: SIGNAL11, no
							 core */
			r = kabi_int80(t->nr32, t->a, t->b, t->c, 0, 0);
			_exit(r < 0 && r > -4096 ? (int)-r : 0);
		}
		r = syscall(t->nr64, t->a, t->b, t->c, 0, 0, 0);
		_exit(r < 0 ? errno : 0);
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status))
		printf("%s%s=%s\n", t->name, i386 ? "_32" : "_64",
		       WEXITSTATUS(status) ? strerrorname_np(WEXITSTATUS(status)) : "OK");
	else
		printf("%s%s=SIGNAL%d\n", t->name, i386 ? "_32" : "_64", WTERMSIG(status));
}

static int cmd_seccomp(void)
{
	/* i386 numbers: keyctl 288, unshare 310, mount 21, bpf 357, socket 359,
	 * personality 136, clone 120, clone3 435, getpid 20, io_uring 425-427 */
	const struct trial trials[] = {
		{"keyctl", SYS_keyctl, 288, 0, -3, 0},
		{"unshare", SYS_unshare, 310, 0x10000000 /* CLONE_NEWUSER */, 0, 0},
		{"mount", SYS_mount, 21, 0, 0, 0},
		{"bpf", SYS_bpf, 357, 0, 0, 0},
		{"socket_alg", SYS_socket, 359, 38 /* AF_ALG */, 5, 0},
		{"socket_vsock", SYS_socket, 359, 40 /* AF_VSOCK */, 1, 0},
		{"socket_inet", SYS_socket, 359, 2 /* AF_INET */, 2, 0},
		{"personality_bad", SYS_personality, 136, 0x1234, 0, 0},
		{"personality_ok", SYS_personality, 136, 0xffffffff, 0, 0},
		{"clone_newuser", SYS_clone, 120, 0x10000000 | SIGCHLD, 0, 0},
		{"clone3", SYS_clone3, 435, 0, 0, 0},
		{"getpid", SYS_getpid, 20, 0, 0, 0},
		/* io_uring has one number everywhere; with no params pointer: EFAULT */
		{"io_uring_setup", 425, 425, 1, 0, 0},
		{"io_uring_enter", 426, 426, -1, 0, 0},
		{"io_uring_register", 427, 427, -1, 0, 0},
		/* no kernel or profile knows it: ENOSYS under runc and Docker */
		{"unknown999", 999, 999, 0, 0, 0},
		/*
		 * Newer calls Docker's profile allows (one number everywhere):
		 * answered by the kernel as without a filter.  fchmodat2 and
		 * futex_wake with a NULL pointer, cachestat on fd -1,
		 * map_shadow_stack of size 0.
		 */
		{"cachestat", 451, 451, -1, 0, 0},
		{"fchmodat2", 452, 452, -100 /* AT_FDCWD */, 0, 0},
		{"map_shadow_stack", 453, 453, 0, 0, 0},
		{"futex_wake", 454, 454, 0, 1, 0},
	};

	for (size_t i = 0; i < sizeof(trials) / sizeof(trials[0]); i++) {
		try_call(&trials[i], 0);
		try_call(&trials[i], 1);
	}
	return 0;
}

static long file_size(const char *path)
{
	char buf[4096];
	long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	return total;
}

static const char *try_write(const char *path)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return strerrorname_np(errno);
	if (write(fd, "0", 1) < 0) {
		int e = errno;

		close(fd);
		return strerrorname_np(e);
	}
	close(fd);
	return "OK";
}

static int cmd_paths(void)
{
	static const char *const masked[] = {"/proc/kcore",	 "/proc/keys",
					     "/proc/timer_list", "/proc/sched_debug",
					     "/proc/interrupts", "/proc/latency_stats"};

	for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++)
		printf("size:%s=%ld\n", masked[i], file_size(masked[i]));
	list_dir("list:/proc/acpi", "/proc/acpi", 0);
	list_dir("list:/sys/firmware", "/sys/firmware", 0);
	printf("write:/proc/sys/kernel/domainname=%s\n", try_write("/proc/sys/kernel/domainname"));
	printf("write:/proc/sysrq-trigger=%s\n", try_write("/proc/sysrq-trigger"));
	printf("mkdir:/sys/kernel/probe=%s\n",
	       mkdir("/sys/kernel/probe", 0755) < 0 ? strerrorname_np(errno) : "OK");
	printf("write:/dev/null=%s\n", try_write("/dev/null"));
	printf("exists:/dev/pts/ptmx=%d\n", access("/dev/pts/ptmx", F_OK) == 0);
	printf("exists:/dev/shm=%d\n", access("/dev/shm", F_OK) == 0);
	printf("exists:/dev/mqueue=%d\n", access("/dev/mqueue", F_OK) == 0);
	return 0;
}

static int cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	const char *sep = "";

	printf("fds=");
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		printf("%s%s", sep, e->d_name);
		sep = ",";
	}
	printf("\n");
	if (d)
		closedir(d);
	return 0;
}

static int cmd_forkbomb(void)
{
	int n = 0;

	for (;;) {
		pid_t p = fork();

		if (p < 0) {
			printf("forked=%d\nfork_error=%s\n", n, strerrorname_np(errno));
			fflush(stdout);
			fprintf(stderr, "fork: %s\n", strerror(errno));
			return 1;
		}
		if (p == 0) {
			pause();
			_exit(0);
		}
		n++;
	}
}

static int cmd_alloc(long mb)
{
	for (long i = 0; i < mb; i++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			return 2;
		memset(p, 1, 1 << 20);
	}
	printf("allocated=%ld\n", mb);
	return 0;
}

static void ready(const char *file)
{
	if (file) {
		int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			(void)!write(fd, "ready\n", 6);
			close(fd);
		}
	}
	printf("ready\n");
	fflush(stdout);
}

static int cmd_sleep(int seconds, const char *file)
{
	struct timespec ts = {.tv_sec = seconds};

	ready(file);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

static int cmd_abi(void)
{
	char why[256];
	int rc = kabi_ia32(why, sizeof(why));

	if (rc < 0) {
		fprintf(stderr, "probe abi: %s\n", why);
		return 1;
	}
	printf("ia32=%s\n", rc ? "yes" : "no");
	if (!rc)
		printf("ia32_why=%s\n", why);
	return 0;
}

static int cmd_await(const char *ready_file, const char *go, int seconds)
{
	struct timespec tick = {.tv_nsec = 20 * 1000 * 1000};

	ready(ready_file);
	for (long i = 0; i < seconds * 50L; i++) {
		if (access(go, F_OK) == 0) {
			printf("go\n");
			return 0;
		}
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, "probe await: no %s after %d s\n", go, seconds);
	return 3;
}

static volatile sig_atomic_t got;
static void on_signal(int sig)
{
	got = sig;
}

static int cmd_signals(const char *file)
{
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	ready(file);
	while (!got)
		pause();
	printf("got=%d\n", (int)got);
	return 42;
}

static int cmd_zombies(void)
{
	int zombies = 0;
	DIR *d;
	struct dirent *e;

	/* children that fork and exit at once: their children become init's */
	for (int i = 0; i < 5; i++) {
		pid_t p = fork();

		if (p == 0) {
			if (fork() == 0)
				_exit(0);
			_exit(0);
		}
		waitpid(p, NULL, 0);
	}
	usleep(200000);
	d = opendir("/proc");
	while (d && (e = readdir(d))) {
		char path[300], buf[512], *s;
		int fd, n;

		if (!numeric(e->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? 0 : (int)read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = '\0';
		s = strrchr(buf, ')');
		if (s && s[1] == ' ' && s[2] == 'Z')
			zombies++;
	}
	if (d)
		closedir(d);
	printf("zombies=%d\n", zombies);
	return 0;
}

static int cmd_exe(void)
{
	char l[256];
	int fd = open("/proc/1/exe", O_RDONLY);

	printf("open_proc1_exe=%s\n", fd < 0 ? strerrorname_np(errno) : "OK");
	if (fd >= 0)
		close(fd);
	printf("readlink_proc1_exe=%s\n",
	       readlink("/proc/1/exe", l, sizeof(l)) < 0 ? strerrorname_np(errno) : "OK");
	fd = open("/proc/1/mem", O_RDONLY);
	printf("open_proc1_mem=%s\n", fd < 0 ? strerrorname_np(errno) : "OK");
	return 0;
}

static int cmd_ipc(void)
{
	FILE *f;
	char line[512];
	int n = -1;

	if (shmget(0xcb01, 4096, IPC_CREAT | 0600) < 0)
		printf("shmget=%s\n", strerrorname_np(errno));
	f = fopen("/proc/sysvipc/shm", "r");
	while (f && fgets(line, sizeof(line), f))
		n++;
	printf("shm_segments=%d\n", n);
	if (f)
		fclose(f);
	return 0;
}

/* issue 11: which device nodes the sandbox lets us open */
static int cmd_dev(int n, char **paths)
{
	for (int i = 0; i < n; i++) {
		int fd = open(paths[i], O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

		printf("open:%s=%s\n", paths[i], fd < 0 ? strerrorname_np(errno) : "OK");
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int cmd_cgbpf(void)
{
	char why[256];

	if (kbpf_cgroup_device(why, sizeof(why)))
		printf("cgroup_bpf=yes\n");
	else
		printf("cgroup_bpf=no\ncgroup_bpf_why=%s\n", why);
	return 0;
}

/* In a new session: the pts becomes the controlling terminal, /dev/tty reaches it. */
static const char *pty_ctty(const char *pts, const char **tty)
{
	int fd, t;

	*tty = "skipped";
	if (setsid() < 0)
		return strerrorname_np(errno);
	fd = open(pts, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		return strerrorname_np(errno);
	t = open("/dev/tty", O_RDWR | O_CLOEXEC);
	*tty = t < 0 ? strerrorname_np(errno) : write(t, "x\n", 2) != 2 ? "EIO" : "OK";
	return "OK";
}

static int cmd_pty(void)
{
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), s, st = 0;
	char pts[64];
	pid_t pid;

	printf("ptmx=%s\n", m < 0 ? strerrorname_np(errno) : "OK");
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, pts, sizeof(pts))) {
		printf("pts=%s\n", strerrorname_np(errno));
		return 0;
	}
	s = open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC);
	printf("pts=%s\n", s < 0 ? strerrorname_np(errno) : "OK");
	if (s < 0)
		return 0;
	close(s);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		const char *tty, *ctty = pty_ctty(pts, &tty);

		printf("ctty=%s\ntty=%s\n", ctty, tty);
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || st)
		printf("ctty=child failed\n");
	close(m);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "ns"))
		return cmd_ns();
	if (!strcmp(cmd, "caps"))
		return cmd_caps();
	if (!strcmp(cmd, "seccomp"))
		return cmd_seccomp();
	if (!strcmp(cmd, "paths"))
		return cmd_paths();
	if (!strcmp(cmd, "fds"))
		return cmd_fds();
	if (!strcmp(cmd, "forkbomb"))
		return cmd_forkbomb();
	if (!strcmp(cmd, "alloc") && argc > 2)
		return cmd_alloc(atol(argv[2]));
	if (!strcmp(cmd, "sleep") && argc > 2)
		return cmd_sleep(atoi(argv[2]), argc > 3 ? argv[3] : NULL);
	if (!strcmp(cmd, "await") && argc > 3)
		return cmd_await(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 60);
	if (!strcmp(cmd, "abi"))
		return cmd_abi();
	if (!strcmp(cmd, "signals"))
		return cmd_signals(argc > 2 ? argv[2] : NULL);
	if (!strcmp(cmd, "zombies"))
		return cmd_zombies();
	if (!strcmp(cmd, "ipc"))
		return cmd_ipc();
	if (!strcmp(cmd, "exe"))
		return cmd_exe();
	if (!strcmp(cmd, "dev"))
		return cmd_dev(argc - 2, argv + 2);
	if (!strcmp(cmd, "cgbpf"))
		return cmd_cgbpf();
	if (!strcmp(cmd, "pty"))
		return cmd_pty();
	if (!strcmp(cmd, "cwd")) {
		char buf[4096];

		printf("cwd=%s\n", getcwd(buf, sizeof(buf)) ? buf : strerrorname_np(errno));
		return 0;
	}
	fprintf(stderr, "usage: probe ns|caps|seccomp|paths|fds|forkbomb|alloc MB|sleep S [FILE]|"
			"await READY GO [S]|signals [FILE]|zombies|exe|cwd|ipc|abi|dev "
			"PATH...|pty|cgbpf\n");
	return 2;
}
