# Sourced by tests/integration/051N-harden-devices*.sh, after lib.sh and
# runtime-lib.sh (0511, a build test: after lib.sh and build-lib.sh, for
# dev_nodes, require_node_opens and device_cgroup_or_na).  Issue 11,
# finding 1 (host devices): root in a sandbox made `b 7:N` for a host loop
# device and read and wrote it, /dev/fuse, /dev/tty0 and /dev/hwrng opened,
# and an image shipping a 0666 block node let uid 1000 without capabilities
# read the host device.  Docker denies all of it.  A denied open fails with
# EPERM under a device cgroup (v1 devices controller, v2 BPF program) and
# with EACCES on a nodev mount (the fallback when no device cgroup can be
# had: rootless, no cgroups).
#
#   dev_nodes DIR         the nodes an image could ship (0666) in DIR: loop0
#                         (b 7:0), fuse (c 10:229), tty0 (c 4:0), hwrng
#                         (c 10:183), null (c 1:3)
#   dev_rootfs DIR        make_rootfs, plus dev_nodes DIR/shipped; and
#                         $T/hostdev/loop0, a host node to bind in (-v)
#   require_node_opens NODE    outside any sandbox the block node NODE opens
#                         (not on a nodev mount, the loop driver answers),
#                         else N/A
#   require_host_devices  require_node_opens $T/hostdev/loop0
#   dev_setup             chmod 755 $T; R=$T/rootfs made by dev_rootfs;
#                         require_host_devices
#   cgroup_bpf_or_na      the kernel loads a BPF device program (probe
#                         cgbpf), else N/A
#   device_cgroup_or_na   the default cgroup driver gives a step a device
#                         cgroup here (a v1 devices hierarchy, or v2 only and
#                         cgroup_bpf_or_na), else N/A (0514 covers nodev)
#   check_denied WANT CMD...   CMD (cbuild run with its options, before the
#                         command) cannot open the shipped or bound nodes,
#                         as root nor as uid 1000 with no-new-privileges:
#                         errno WANT
#   check_mknod WANT CMD...    root may mknod them in the root and in /dev
#                         (CAP_MKNOD and "c/b *:* m", as Docker), and they
#                         do not open: errno WANT
#   check_standard CMD... null, zero, full, random, urandom, ptmx, a pts as
#                         the controlling terminal and /dev/tty work
: "${CB_PROBE:?CB_PROBE must point at the static probe (tests/CMakeLists.txt sets it)}"
DEV_SHIPPED="/shipped/loop0 /shipped/fuse /shipped/tty0 /shipped/hwrng"

dev_nodes() {
	mkdir -p "$1"
	mknod -m 0666 "$1/loop0" b 7 0
	mknod -m 0666 "$1/fuse" c 10 229
	mknod -m 0666 "$1/tty0" c 4 0
	mknod -m 0666 "$1/hwrng" c 10 183
	mknod -m 0666 "$1/null" c 1 3
}

dev_rootfs() {
	make_rootfs "$1"
	dev_nodes "$1/shipped"
	mkdir -p "$T/hostdev"
	touch "$1/hostloop" # the -v mount point: a rootless sandbox cannot make it
	mknod -m 0666 "$T/hostdev/loop0" b 7 0
}

require_node_opens() {
	"$CB_PROBE" dev "$1" >"$T/ctl"
	case $(value "open:$1" "$T/ctl") in
	OK) ;;
	EACCES) not_applicable_exit "device nodes: $T is on a nodev mount, nothing to deny" ;;
	ENXIO | ENODEV) not_applicable_exit "device nodes: no loop driver, b 7:0 opens nothing" ;;
	*) fail "opening a block node outside the sandbox: $(cat "$T/ctl")" ;;
	esac
}

require_host_devices() {
	require_node_opens "$T/hostdev/loop0"
}

dev_setup() {
	chmod 755 "$T"
	R=$T/rootfs
	dev_rootfs "$R"
	require_host_devices
}

cgroup_bpf_or_na() {
	"$CB_PROBE" cgbpf >"$T/bpf"
	[ "$(value cgroup_bpf "$T/bpf")" = yes ] ||
		not_applicable_exit "the v2 device program: $(value cgroup_bpf_why "$T/bpf")"
}

device_cgroup_or_na() {
	case $(host_cgroups) in
	v1)
		grep -q ' - cgroup [^ ]* [^ ]*devices' /proc/self/mountinfo ||
			not_applicable_exit "a v1 host without the devices hierarchy: 0514 covers the nodev fallback"
		;;
	v2only) cgroup_bpf_or_na ;;
	*) not_applicable_exit "no cgroups on this host: 0514 covers the nodev fallback" ;;
	esac
}

check_denied() {
	local want=$1 n
	shift
	# shellcheck disable=SC2086 # DEV_SHIPPED: one word per path
	"$@" -v "$T/hostdev/loop0:/hostloop" /probe dev $DEV_SHIPPED /hostloop >"$T/out" 2>"$T/err" ||
		fail "$*: $(cat "$T/err")"
	for n in $DEV_SHIPPED /hostloop; do
		expect_value "open:$n" "$want"
	done
	# uid 1000, no capabilities, no_new_privs: the node's 0666 is no way in either
	"$@" -u 1000 --security-opt no-new-privileges -v "$T/hostdev/loop0:/hostloop" \
		/probe dev /shipped/loop0 /hostloop >"$T/out" 2>"$T/err" || fail "$* -u 1000: $(cat "$T/err")"
	expect_value open:/shipped/loop0 "$want"
	expect_value open:/hostloop "$want"
}

check_mknod() {
	local want=$1 n
	shift
	"$@" sh -c 'mknod /tmp/loop0 b 7 0 && mknod /dev/loop0 b 7 0 && mknod /tmp/fuse c 10 229 &&
		mknod /tmp/tty0 c 4 0 && /probe dev /tmp/loop0 /dev/loop0 /tmp/fuse /tmp/tty0 &&
		rm /tmp/loop0 /tmp/fuse /tmp/tty0' \
		>"$T/out" 2>"$T/err" || fail "mknod in $*: $(cat "$T/err")"
	for n in /tmp/loop0 /dev/loop0 /tmp/fuse /tmp/tty0; do
		expect_value "open:$n" "$want"
	done
}

check_standard() {
	local n
	"$@" /probe dev /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/ptmx /dev/tty \
		>"$T/out" 2>"$T/err" || fail "$*: $(cat "$T/err")"
	for n in null zero full random urandom ptmx; do
		expect_value "open:/dev/$n" OK
	done
	# no controlling terminal yet: the tty driver's ENXIO, past the device policy
	expect_value open:/dev/tty ENXIO
	"$@" sh -c 'echo x >/dev/null && head -c 16 /dev/urandom | wc -c && head -c 3 /dev/zero | wc -c;
		echo x 2>&1 >/dev/full' >"$T/out" 2>"$T/err" || true
	[ "$(head -n 2 "$T/out" | tr '\n' ' ')" = "16 3 " ] || fail "reading devices: $(cat "$T/out")"
	contains "$T/out" "No space left on device"
	# a pseudo-terminal: /dev/ptmx, its /dev/pts/N as the controlling tty, /dev/tty
	"$@" /probe pty >"$T/out" 2>"$T/err" || fail "$* pty: $(cat "$T/err")"
	for n in ptmx pts ctty tty; do
		expect_value "$n" OK
	done
}
