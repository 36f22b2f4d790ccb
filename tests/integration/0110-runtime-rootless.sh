#!/bin/bash
# Rootless mode: cbuild run by an ordinary user maps that user to root in a
# new user namespace.  Without /etc/subuid ranges (this test does not touch
# the host's) only root exists in the sandbox; there are no cgroups to
# manage, so limits are refused; the rest of the sandbox is the same.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
rootless_or_na
chmod 755 "$T"
R=$T/rootfs
make_rootfs "$R"

as_user --rootfs "$R" /probe ns >"$T/out" || fail "rootless run failed"
expect_value pid 2
expect_value procs 1,2
[ "$(value ns_user "$T/out")" != "$(readlink /proc/self/ns/user)" ] || fail "no user namespace"
as_user --rootfs "$R" --network none /probe ns >"$T/out"
expect_value netifs lo
expect_value lo_up 1
expect_value lo_tcp OK
as_user --rootfs "$R" /probe caps >"$T/out"
expect_value uid 0
expect_value CapEff 00000000a80425fb
expect_value Seccomp 2
as_user --rootfs "$R" /probe seccomp >"$T/out"
expect_value keyctl_64 EPERM
if kernel_ia32; then
	expect_value keyctl_32 EPERM
else
	not_applicable "rootless i386 keyctl: $WHY"
fi
expect_value clone3_64 ENOSYS
as_user --rootfs "$R" /probe paths >"$T/out"
expect_value size:/proc/keys 0
case "$(value write:/proc/sys/kernel/domainname "$T/out")" in EROFS | EACCES) ;; *) fail "/proc/sys writable" ;; esac
as_user --rootfs "$R" /probe fds 5</etc/passwd >"$T/out"
expect_value fds 0,1,2
# an overlay with a throwaway upper layer works in the user namespace
if kernel_fs overlay; then
	as_user --rm --rootfs "$R" sh -c 'echo hi >/x; cat /x' >"$T/out"
	contains "$T/out" hi
	[ ! -e "$R/x" ] || fail "--rm wrote to the rootfs"
else
	not_applicable "rootless --rm (an overlay): $WHY"
fi
# the sandbox's files are created by the user: nothing else is mapped
expect_rc 125 as_user --rootfs "$R" -u 1000 true
contains "$T/err" "rootless mode without /etc/subuid ranges maps only root"
expect_rc 125 as_user --rootfs "$R" --memory 64m true
contains "$T/err" "resource limits need cgroups"

finish
