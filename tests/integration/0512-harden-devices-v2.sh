#!/bin/bash
# Issue 11, finding 1 (host devices), through the cgroup v2 manager: Docker's
# device policy as a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
# step's cgroup, on a private cgroup2 mount (this test runs in its own mount
# namespace; BPF device programs work on v2 cgroups in a hybrid layout too).
# The same checks as 0510: mknod allowed, host block device, fuse, tty0 and
# hwrng denied with EPERM (made, shipped, bound in; root and uid 1000), the
# standard devices and a pty work.
if [ -z "${CB_IN_PRIVATE_MOUNTNS:-}" ]; then
	if ! command -v unshare >/dev/null; then
		. "$(dirname "$0")/lib.sh"
		skip "unshare (util-linux) is missing"
	fi
	CB_IN_PRIVATE_MOUNTNS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/harden-devices-lib.sh"
kernel_fs cgroup2 || not_applicable_exit "the v2 device program: $WHY"
"$PROBE" cgbpf >"$T/bpf"
[ "$(value cgroup_bpf "$T/bpf")" = yes ] ||
	not_applicable_exit "the v2 device program: $(value cgroup_bpf_why "$T/bpf")"
chmod 755 "$T"
R=$T/rootfs
dev_rootfs "$R"
require_host_devices
mkdir -p "$T/cg2"
mount -t cgroup2 none "$T/cg2" || fail "cannot mount cgroup2 on $T/cg2"
cleanup_v2() {
	find "$T/cg2" -mindepth 1 -depth -type d -name "$CGP*" -exec rmdir {} + 2>/dev/null || true
	umount "$T/cg2" 2>/dev/null || umount -l "$T/cg2" 2>/dev/null || true
	# never let `rm -rf "$T"` walk into a cgroup hierarchy
	if awk -v p="$T/cg2" '$5 == p { found = 1 } END { exit !found }' /proc/self/mountinfo; then
		echo "cannot unmount $T/cg2; leaving $T" >&2
		T=/nonexistent-cbuild-test-dir
	fi
}
trap 'cleanup_v2; rt_cleanup' EXIT
V2="--cgroup-manager v2 --cgroup-root $T/cg2"

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
cleanup_v2
finish
