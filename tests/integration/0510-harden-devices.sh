#!/bin/bash
# Issue 11, finding 1 (host devices), as root with the default cgroup
# driver: `cbuild run` gets Docker's device policy from the step's cgroup
# (the v1 devices controller on v1 and hybrid hosts, a BPF program on v2):
# mknod of any node is allowed (CAP_MKNOD and "c/b *:* m" are kept, as in
# Docker), opening a host block device, fuse, tty0 or hwrng fails with
# EPERM, whether made in the sandbox, shipped in the rootfs (also for uid
# 1000 with no-new-privileges) or bound in from the host; the standard
# character devices and a pseudo-terminal work.  RUN steps and images:
# 0511; v2: 0512; rootless: 0513; no cgroups: 0514.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/harden-devices-lib.sh"
dev_setup
device_cgroup_or_na
if [ "$(host_cgroups)" = v1 ]; then
	# the step's devices cgroup holds exactly what a `docker run` container shows
	run --rootfs "$R" cat /sys/fs/cgroup/devices/devices.list >"$T/out"
	printf '%s\n' 'c 1:5 rwm' 'c 1:3 rwm' 'c 1:9 rwm' 'c 1:8 rwm' 'c 5:0 rwm' 'c 5:1 rwm' \
		'c *:* m' 'b *:* m' 'c 1:7 rwm' 'c 136:* rwm' 'c 5:2 rwm' 'c 10:200 rwm' >"$T/want"
	cmp -s "$T/out" "$T/want" || fail "devices.list: $(cat "$T/out")"
fi

check_denied EPERM run --rootfs "$R"
check_mknod EPERM run --rootfs "$R"
check_mknod EPERM run --rm --rootfs "$R"
check_standard run --rootfs "$R"
# a node Docker allows opens wherever it is: the policy is the device cgroup, not nodev
run --rootfs "$R" /probe dev /shipped/null >"$T/out"
expect_value open:/shipped/null OK
finish
