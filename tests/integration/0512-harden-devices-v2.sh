#!/bin/bash
# Issue 11, finding 1 (host devices), through the cgroup v2 manager: Docker's
# device policy as a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
# step's cgroup, on a private cgroup2 mount (this test runs in its own mount
# namespace; BPF device programs work on v2 cgroups in a hybrid layout too).
# The same checks as 0510: mknod allowed, host block device, fuse, tty0 and
# hwrng denied with EPERM (made, shipped, bound in; root and uid 1000), the
# standard devices and a pty work.
. "$(dirname "$0")/lib.sh"
in_private_mountns "$@"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/harden-devices-lib.sh"
kernel_fs cgroup2 || not_applicable_exit "the v2 device program: $WHY"
cgroup_bpf_or_na
dev_setup
cg2_mount

# The v2 manager puts the step in no v1 devices cgroup: what denies below is the program.
# shellcheck disable=SC2086
check_denied EPERM run $V2 --rootfs "$R"
# shellcheck disable=SC2086
check_mknod EPERM run $V2 --rootfs "$R"
# shellcheck disable=SC2086
check_mknod EPERM run $V2 --rm --rootfs "$R"
# shellcheck disable=SC2086
check_standard run $V2 --rootfs "$R"
# shellcheck disable=SC2086
run $V2 --rootfs "$R" /probe dev /shipped/null >"$T/out"
expect_value open:/shipped/null OK
[ -z "$(find "$T/cg2/$CGP" -mindepth 1 -type d 2>/dev/null)" ] || fail "v2 cgroups left behind"
cg2_cleanup
finish
