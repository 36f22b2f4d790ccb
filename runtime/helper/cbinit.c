/*
 * cbinit.c - cbuild-init, the sandbox's PID 1.  A small static program
 * that cbuild embeds and runs from a sealed memfd (runtime/exe.c), so that
 * no process a step can see is a copy of cbuild (CVE-2019-5736).
 *
 * cbuild's child has built the sandbox (mounts, pivot_root, hostname, lo,
 * cgroups) and resolved the user; it execs this program with a blob
 * describing the command (initproto.h).  Here:
 *
 *   init (PID 1)   becomes non-dumpable (nothing in the sandbox can open
 *                  /proc/1/exe or ptrace it), forks the payload, keeps only
 *                  CAP_KILL, then reaps: zombies of orphans, and the
 *                  payload, whose wait status it sends to cbuild before it
 *                  exits (which kills whatever is left in the namespace).
 *                  Every other signal it gets goes to the payload.
 *   payload        stdio, every fd above 2 close-on-exec, the bounding set,
 *                  seccomp (before giving up uid 0 unless no_new_privs is
 *                  set: loading it needs CAP_SYS_ADMIN otherwise), user and
 *                  groups, capabilities, the cwd (checked to be inside the
 *                  root, the CVE-2024-21626 class), then exec with a PATH
 *                  search.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "initproto.h"
#include "runtime-internal.h"

struct init {
	const struct cbinit_header *h;
	const uint32_t *groups;
	struct rt_bpf bpf;
	char **argv, **envp;
	const char *path;
};

static int status_sock = -1;

static void send_msg(int type, int code, const char *text)
{
	struct sbx_msg msg = {.type = type, .code = code};
	size_t len = strlen(text);

	if (len >= sizeof(msg.text))
		len = sizeof(msg.text) - 1;
	memcpy(msg.text, text, len);
	msg.text[len] = '\0';
	(void)!send(status_sock, &msg, offsetof(struct sbx_msg, text) + len + 1, MSG_NOSIGNAL);
}

__attribute__((noreturn, format(printf, 2, 3))) static void die(int code, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	send_msg(SBX_MSG_ERROR, code, text);
	_exit(127);
}

/* The command could not be executed: a failed step (127 not found, else 126). */
__attribute__((noreturn)) static void exec_die(int code, const char *file)
{
	char text[1024];

	if (code == ENOENT && !strchr(file, '/')) /* runc's wording, which users search for */
		snprintf(text, sizeof(text), "exec: \"%s\": executable file not found in $PATH",
			 file);
	else
		snprintf(text, sizeof(text), "exec `%s`: %s", file, strerror(code));
	send_msg(SBX_MSG_EXEC, code, text);
	_exit(code == ENOENT ? 127 : 126);
}

/* Split n NUL-terminated strings starting at *p into a new NULL-terminated vector. */
static char **strings(const char **p, const char *end, uint32_t n)
{
	char **v = calloc((size_t)n + 1, sizeof(*v));

	if (!v)
		die(ENOMEM, "cbuild-init");
	for (uint32_t i = 0; i < n; i++) {
		const char *z = memchr(*p, '\0', (size_t)(end - *p));

		if (!z)
			die(EINVAL, "cbuild-init: truncated blob");
		v[i] = (char *)*p;
		*p = z + 1;
	}
	return v;
}

static int load(int fd, struct init *in)
{
	const struct cbinit_header *h;
	struct stat st;
	const char *p, *end;

	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(*h))
		return -1;
	h = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (h == MAP_FAILED || h->magic != CBINIT_MAGIC || h->version != CBINIT_VERSION ||
	    h->size != (uint64_t)st.st_size || h->ngroups > RUNTIME_MAX_GROUPS || !h->argc)
		return -1;
	status_sock = h->sock;
	in->h = h;
	in->groups = (const uint32_t *)(h + 1);
	in->bpf.insns = (struct sock_filter *)(in->groups + h->ngroups);
	in->bpf.len = (unsigned short)h->nbpf;
	if (!h->nbpf)
		in->bpf.insns = NULL;
	p = (const char *)((const struct sock_filter *)(in->groups + h->ngroups) + h->nbpf);
	end = (const char *)h + h->size;
	if (p > end)
		die(EINVAL, "cbuild-init: truncated blob");
	in->argv = strings(&p, end, h->argc);
	in->envp = strings(&p, end, h->envc);
	in->path = *strings(&p, end, 1);
	return 0;
}

/* Move the step's stdio fds to 0, 1, 2 (through fds >= 10, in case they overlap). */
static void setup_stdio(const struct cbinit_header *h)
{
	int tmp[3];

	for (int i = 0; i < 3; i++) {
		tmp[i] = -1;
		if (h->stdio[i] >= 0 && (tmp[i] = fcntl(h->stdio[i], F_DUPFD_CLOEXEC, 10)) < 0)
			die(errno, "stdio fd %d", h->stdio[i]);
	}
	for (int i = 0; i < 3; i++)
		if (tmp[i] >= 0 && dup2(tmp[i], i) < 0)
			die(errno, "dup2 stdio");
}

static void switch_user(const struct init *in)
{
	const struct cbinit_header *h = in->h;

	if (h->set_groups && syscall(SYS_setgroups, (size_t)h->ngroups, in->groups) < 0)
		die(errno, "setgroups");
	if (syscall(SYS_setresgid, h->gid, h->gid, h->gid) < 0)
		die(errno, "setgid %u", h->gid);
	if (syscall(SYS_setresuid, h->uid, h->uid, h->uid) < 0)
		die(errno, "setuid %u", h->uid);
}

static void enter_cwd(int fd)
{
	char buf[PATH_MAX];

	if (fchdir(fd) < 0)
		die(errno, "chdir to the working directory");
	close(fd);
	/* the kernel prefixes "(unreachable)" to a cwd outside our root */
	if (syscall(SYS_getcwd, buf, sizeof(buf)) < 0 || buf[0] != '/')
		die(0, "the working directory is outside the container root");
}

__attribute__((noreturn)) static void exec_command(const struct init *in)
{
	const char *file = in->argv[0];
	char buf[PATH_MAX];
	bool denied = false;

	if (strchr(file, '/')) {
		execve(file, in->argv, in->envp);
		exec_die(errno, file);
	}
	for (const char *p = in->path; p;) {
		const char *colon = strchr(p, ':');
		size_t dl = colon ? (size_t)(colon - p) : strlen(p);

		if (dl + strlen(file) + 2 <= sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)(dl ? dl : 1), dl ? p : ".",
				 file);
			execve(buf, in->argv, in->envp);
			if (errno == EACCES)
				denied = true;
			else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
				exec_die(errno, buf);
		}
		p = colon ? colon + 1 : NULL;
	}
	exec_die(denied ? EACCES : ENOENT, file);
}

__attribute__((noreturn)) static void payload(const struct init *in)
{
	const struct cbinit_header *h = in->h;
	sigset_t none;
	int rc;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setup_stdio(h);
	umask(022);
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		die(errno, "close_range");
	if ((rc = caps_drop_bounding(h->caps, h->last_cap)) < 0)
		die(-rc, "drop capabilities");
	if (!h->no_new_privs && (rc = sc_install(&in->bpf)) < 0)
		die(-rc, "load the seccomp filter");
	switch_user(in);
	if ((rc = caps_set(h->uid == 0 ? h->caps : 0)) < 0)
		die(-rc, "set capabilities");
	enter_cwd(h->cwd_fd);
	if (h->no_new_privs) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			die(errno, "set no_new_privs");
		if ((rc = sc_install(&in->bpf)) < 0)
			die(-rc, "load the seccomp filter");
	}
	exec_command(in);
}

/* Reap until the payload exits, forwarding signals to it; its wait status. */
static int init_loop(pid_t payload_pid)
{
	sigset_t all;

	sigfillset(&all);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si), status;
		pid_t p;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(payload_pid, sig);
			continue;
		}
		while ((p = waitpid(-1, &status, WNOHANG | __WALL)) > 0)
			if (p == payload_pid)
				return status;
	}
}

/* The init keeps only CAP_KILL (to signal a payload of another uid) and its socket. */
static void init_shed(const struct init *in)
{
	uint64_t kill_cap = 1ULL << 5;

	if (status_sock > 0)
		syscall(SYS_close_range, 0, status_sock - 1, 0);
	syscall(SYS_close_range, status_sock + 1, ~0U, 0);
	caps_drop_bounding(kill_cap, in->h->last_cap);
	caps_set(kill_cap);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int main(int argc, char **argv)
{
	struct sbx_msg msg = {.type = SBX_MSG_STATUS};
	struct init in;
	sigset_t all;
	pid_t pid;
	int fd, status;

	if (argc != 2 || (fd = atoi(argv[1])) < 3 || load(fd, &in) < 0) {
		fprintf(stderr, "cbuild-init: the init of cbuild's sandbox; cbuild starts it\n");
		return 2;
	}
	close(fd);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die(errno, "PR_SET_DUMPABLE");
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	pid = fork();
	if (pid == 0)
		payload(&in);
	if (pid < 0)
		die(errno, "fork the payload");
	init_shed(&in);
	status = init_loop(pid);
	msg.code = status;
	(void)!send(status_sock, &msg, offsetof(struct sbx_msg, text) + 1, MSG_NOSIGNAL);
	/* and exit with the payload's status, as the shell would report it */
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
