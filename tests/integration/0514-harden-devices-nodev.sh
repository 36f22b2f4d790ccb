#!/bin/bash
# Issue 11, finding 1 (host devices), as root without cgroups
# (--cgroup-manager none): no device cgroup, so the root (plain rootfs or
# overlay), /dev and the extra mounts are nodev and /dev's nodes are binds
# of the host's.  CAP_MKNOD is kept: root may still mknod a host block
# device, fuse or tty0, in the root or in /dev, but no node opens there
# (EACCES), nor a shipped or bound-in one (root and uid 1000); the
# standard devices and a pty work.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/harden-devices-lib.sh"
dev_setup
NONE="--cgroup-manager none"

# shellcheck disable=SC2086
check_denied EACCES run $NONE --rootfs "$R"
# shellcheck disable=SC2086
check_denied EACCES run $NONE --rm --rootfs "$R"
# shellcheck disable=SC2086
check_mknod EACCES run $NONE --rootfs "$R"
# shellcheck disable=SC2086
check_mknod EACCES run $NONE --rm --rootfs "$R"
# shellcheck disable=SC2086
check_standard run $NONE --rootfs "$R"
# shellcheck disable=SC2086
check_standard run $NONE --rm --rootfs "$R"
# the mounts a step can create nodes in, or that a host node could be bound on
# shellcheck disable=SC2086
run $NONE --rootfs "$R" -v "$T/hostdev:/hostdev" --tmpfs /scratch \
	awk '$5 ~ /^\/(dev|hostdev|scratch)?$/' /proc/self/mountinfo >"$T/out"
[ "$(wc -l <"$T/out")" = 4 ] || fail "mounts: $(cat "$T/out")"
[ "$(grep -c ' [a-z,]*nodev' "$T/out")" = 4 ] || fail "not every mount is nodev: $(cat "$T/out")"
finish
