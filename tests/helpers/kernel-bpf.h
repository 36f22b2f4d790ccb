/*
 * kernel-bpf.h - can this kernel load a BPF_PROG_TYPE_CGROUP_DEVICE
 * program, the v2 cgroup manager's device policy (issue 11, host devices)?
 * Shared by the static probe (tests/helpers/probe.c, `probe cgbpf`, which
 * the integration tests run) and the unit tests, so that both ask the same
 * question the same way, outside any sandbox.  A "no" makes the v2 device
 * checks not applicable.
 */
#ifndef CB_TESTS_KERNEL_BPF_H
#define CB_TESTS_KERNEL_BPF_H

#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Load a trivial CGROUP_DEVICE program: true when the kernel takes it, else the reason in why. */
static inline bool kbpf_cgroup_device(char *why, size_t len)
{
	struct bpf_insn p[2] = {{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1},
				{.code = BPF_JMP | BPF_EXIT}};
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)p;
	a.insn_cnt = 2;
	a.license = (uint64_t)(uintptr_t) "MIT";
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd >= 0) {
		close(fd);
		return true;
	}
	snprintf(why, len, "the kernel loads no BPF_PROG_TYPE_CGROUP_DEVICE program (bpf: %s)",
		 strerror(errno));
	return false;
}

#endif
