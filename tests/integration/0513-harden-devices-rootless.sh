#!/bin/bash
# Issue 11, finding 1 (host devices), rootless: an ordinary user's sandbox
# has no device cgroup (loading a device program or writing devices.deny
# needs privileges in the initial namespace), so its filesystems are nodev.
# The kernel already makes every file system mounted in a user namespace
# nodev (SB_I_NODEV: the overlay root of --rm, /dev's tmpfs), but not a
# bind of a host directory: the plain --rootfs and -v binds, where a 0666
# block node made by the host's root would open.  Now none does (EACCES);
# mknod of a device is refused by the kernel in a user namespace; the
# standard devices (binds of the host's) and a pty work.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/harden-devices-lib.sh"
rootless_or_na
dev_setup
# the nodes would open for the user outside the sandbox: 0666 on a mount that allows devices
as_user1000 "$PROBE" dev "$R/shipped/loop0" >"$T/out"
expect_value "open:$R/shipped/loop0" OK

# only root exists in this sandbox (no subuid ranges): check_denied's -u 1000 is refused
# shellcheck disable=SC2086 # DEV_SHIPPED: one word per path
as_user --rootfs "$R" -v "$T/hostdev/loop0:/hostloop" /probe dev $DEV_SHIPPED /hostloop >"$T/out"
for n in $DEV_SHIPPED /hostloop; do
	expect_value "open:$n" EACCES
done
as_user --rm --rootfs "$R" -v "$T/hostdev/loop0:/hostloop" /probe dev /shipped/loop0 /hostloop \
	>"$T/out"
expect_value open:/shipped/loop0 EACCES
expect_value open:/hostloop EACCES
as_user --rootfs "$R" --security-opt no-new-privileges /probe dev /shipped/loop0 >"$T/out"
expect_value open:/shipped/loop0 EACCES
as_user --rootfs "$R" -v "$T/hostdev/loop0:/hostloop" \
	awk '$5 == "/" || $5 == "/dev" || $5 == "/hostloop"' /proc/self/mountinfo >"$T/out"
[ "$(grep -c ' [a-z,]*nodev' "$T/out")" = 3 ] || fail "not every mount is nodev: $(cat "$T/out")"
# the kernel refuses mknod of a device in a user namespace
expect_rc 1 as_user --rootfs "$R" mknod /tmp/loop0 b 7 0
contains "$T/err" "Operation not permitted"
check_standard as_user --rootfs "$R"
check_standard as_user --rm --rootfs "$R"
finish
