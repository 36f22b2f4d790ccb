#!/bin/bash
# Seccomp: Docker's default profile (EPERM by default, x86_64 and i386
# through int 0x80, clone's namespace flags, clone3 -> ENOSYS, AF_ALG and
# AF_VSOCK sockets, the personality filter), `seccomp=unconfined`, and
# Docker/OCI JSON profiles.  The i386 checks run where the kernel itself
# runs IA-32 syscalls (probed outside the sandbox); elsewhere each is "not
# applicable": a kernel that refuses the ABI has no such attack surface.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
R=$T/rootfs
make_rootfs "$R"

run --rootfs "$R" /probe seccomp >"$T/out"
abis="64 32"
if ! kernel_ia32; then
	abis=64
	not_applicable "the default profile's i386 (int \$0x80) checks: $WHY"
fi
for abi in $abis; do
	for call in keyctl unshare mount bpf socket_alg socket_vsock personality_bad clone_newuser; do
		expect_value "${call}_$abi" EPERM
	done
	expect_value "clone3_$abi" ENOSYS
	for call in getpid socket_inet personality_ok; do
		expect_value "${call}_$abi" OK
	done
done

# unconfined: the same calls reach the kernel
run --rootfs "$R" --security-opt seccomp=unconfined /probe seccomp >"$T/out"
expect_value keyctl_64 OK
if kernel_ia32; then
	expect_value keyctl_32 OK
else
	not_applicable "unconfined i386 keyctl: $WHY"
fi
expect_value socket_alg_64 EAFNOSUPPORT
expect_value mount_64 EFAULT
run --rootfs "$R" --security-opt seccomp=unconfined /probe caps >"$T/out"
expect_value Seccomp 0

# A Docker-format profile replaces the default one.
cat >"$T/docker.json" <<'JSON'
{
	"defaultAction": "SCMP_ACT_ALLOW",
	"archMap": [
		{ "architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
		{ "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"] }
	],
	"syscalls": [
		{ "names": ["keyctl", "no_such_syscall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38 },
		{ "names": ["personality"], "action": "SCMP_ACT_ERRNO",
		  "args": [ { "index": 0, "value": 4660, "op": "SCMP_CMP_EQ" } ] },
		{ "names": ["bpf"], "action": "SCMP_ACT_ERRNO", "includes": { "caps": ["CAP_SYS_ADMIN"] } },
		{ "names": ["getpid"], "action": "SCMP_ACT_ERRNO", "excludes": { "arches": ["amd64"] } }
	]
}
JSON
run --rootfs "$R" --security-opt "seccomp=$T/docker.json" /probe seccomp >"$T/out"
expect_value keyctl_64 ENOSYS
if kernel_ia32; then
	expect_value keyctl_32 ENOSYS
else
	not_applicable "a Docker profile's i386 (subArchitectures) keyctl: $WHY"
fi
expect_value personality_bad_64 EPERM
expect_value personality_ok_64 OK
expect_value unshare_64 OK
expect_value bpf_64 EINVAL
expect_value getpid_64 OK
run --rootfs "$R" --cap-add SYS_ADMIN --security-opt "seccomp=$T/docker.json" /probe seccomp >"$T/out"
expect_value bpf_64 EPERM

# The OCI runtime-spec form; the i386 ABI is not listed, so int 0x80 is killed.
cat >"$T/oci.json" <<'JSON'
{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 13,
	"architectures": ["SCMP_ARCH_X86_64"],
	"syscalls": [ { "names": ["@default-allow-everything-below"], "action": "SCMP_ACT_ALLOW" },
		{ "names": ["read", "write", "close", "exit", "exit_group", "execve", "brk", "mmap",
			"munmap", "mprotect", "arch_prctl", "set_tid_address", "set_robust_list",
			"rseq", "prlimit64", "readlinkat", "newfstatat", "fstat", "getrandom", "uname",
			"openat", "getdents64", "fork", "clone", "wait4", "rt_sigaction",
			"rt_sigprocmask", "rt_sigreturn", "capset", "capget", "setgroups", "setresgid",
			"setresuid", "prctl", "fchdir", "getcwd", "close_range", "getpid", "lseek",
			"ioctl", "fcntl", "exit"],
		  "action": "SCMP_ACT_ALLOW" } ]
}
JSON
run --rootfs "$R" --security-opt "seccomp=$T/oci.json" /probe seccomp >"$T/out"
expect_value getpid_64 OK
expect_value keyctl_64 EACCES
expect_value socket_inet_64 EACCES
if kernel_ia32; then
	expect_value getpid_32 SIGNAL31
else
	not_applicable "an OCI profile kills the unlisted i386 ABI: $WHY"
fi

# Broken profiles are refused before anything runs.
printf '{ "defaultAction": "SCMP_ACT_NOPE" }' >"$T/bad.json"
expect_rc 125 run --rootfs "$R" --security-opt "seccomp=$T/bad.json" true
contains "$T/err" "seccomp profile: unsupported action \`SCMP_ACT_NOPE\`"
printf '{ "defaultAction": ' >"$T/bad.json"
expect_rc 125 run --rootfs "$R" --security-opt "seccomp=$T/bad.json" true
contains "$T/err" "seccomp profile: line 1:"
expect_rc 125 run --rootfs "$R" --security-opt "seccomp=$T/none.json" true
expect_rc 125 run --rootfs "$R" --security-opt apparmor=x true
contains "$T/err" "unsupported --security-opt \`apparmor=x\`"

finish
