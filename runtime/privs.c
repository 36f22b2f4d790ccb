/*
 * privs.c - the calls that drop privileges in the sandbox's payload:
 * capability sets and the seccomp filter.  Plain syscalls, no allocation:
 * compiled into cbuild (tests load filters with them) and into the static
 * cbuild-init (helper/cbinit.c), which runs them in the sandbox.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime-internal.h"

int caps_drop_bounding(uint64_t keep, int last_cap)
{
	for (int cap = 0; cap <= last_cap; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	return 0;
}

int caps_set(uint64_t caps)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].permitted = data[0].effective = (uint32_t)caps;
	data[1].permitted = data[1].effective = (uint32_t)(caps >> 32);
	/* Ambient capabilities do not survive a change of the permitted set, but be explicit. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

int sc_install(const struct rt_bpf *bpf)
{
	struct sock_fprog prog = {.len = bpf->len, .filter = bpf->insns};

	if (!bpf->insns)
		return 0;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 ? -errno : 0;
}
