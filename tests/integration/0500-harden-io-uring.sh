#!/bin/bash
# Issue 11, finding 4: io_uring walked around the seccomp filter (an
# IORING_OP_SOCKET made the AF_VSOCK socket that socket(2) is denied), and a
# call newer than the profile got EPERM where runc gives ENOSYS.  Docker's
# profile denies io_uring_setup/enter/register since Docker 25; runc's stub
# returns ENOSYS above the highest call a profile names, per architecture,
# while known but denied calls stay EPERM.  As root and rootless, native and
# (where the kernel runs it) i386.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
chmod 755 "$T"
R=$T/rootfs
make_rootfs "$R"

seccomp_abis "i386 io_uring and unknown-call checks"
check_default() {
	for abi in $ABIS; do
		for call in io_uring_setup io_uring_enter io_uring_register keyctl; do
			expect_value "${call}_$abi" EPERM
		done
		expect_value "unknown999_$abi" ENOSYS
		expect_value "clone3_$abi" ENOSYS
		expect_value "getpid_$abi" OK
	done
}
seccomp_root_and_rootless check_default "rootless io_uring checks"

# JSON profiles take the same path: ENOSYS above the highest named call,
# the profile's errno below it (keyctl is not named, but numbered below).
cat >"$T/eacces.json" <<'JSON'
{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 13,
	"archMap": [ { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"] } ],
	"syscalls": [ { "names": ["read", "write", "close", "exit", "exit_group", "execve", "brk",
			"mmap", "munmap", "mprotect", "arch_prctl", "set_tid_address", "set_robust_list",
			"rseq", "prlimit64", "readlinkat", "newfstatat", "fstat", "fstat64", "getrandom",
			"uname", "openat", "getdents64", "fork", "clone", "wait4", "waitpid",
			"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "capset", "capget", "setgroups",
			"setresgid", "setresuid", "prctl", "fchdir", "getcwd", "close_range", "getpid",
			"lseek", "ioctl", "fcntl"],
		  "action": "SCMP_ACT_ALLOW" } ]
}
JSON
run --rootfs "$R" --security-opt "seccomp=$T/eacces.json" /probe seccomp >"$T/out"
expect_value getpid_64 OK
expect_value keyctl_64 EACCES
expect_value unknown999_64 ENOSYS
if kernel_ia32; then
	expect_value keyctl_32 EACCES
	expect_value unknown999_32 ENOSYS
else
	not_applicable "a JSON profile's i386 unknown call: $WHY"
fi
# a profile whose default is ENOSYS already gets no stub, and works
sed 's/"defaultErrnoRet": 13/"defaultErrnoRet": 38/' "$T/eacces.json" >"$T/enosys.json"
run --rootfs "$R" --security-opt "seccomp=$T/enosys.json" /probe seccomp >"$T/out"
expect_value keyctl_64 ENOSYS
expect_value getpid_64 OK
finish
