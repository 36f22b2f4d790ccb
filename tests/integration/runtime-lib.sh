# Sourced by tests/integration/01NN-runtime-*.sh, after lib.sh.
#
# Gives every test: $PROBE (the static probe, tests/helpers/probe.c), a
# busybox rootfs maker, `run` (cbuild run in a cgroup parent private to this
# test, so parallel tests do not see each other's cgroups), and
# `finish`, which fails the test when a mount under $T or a cgroup under
# the test's parent is left over, then removes the parent.  Also: the
# rootless prologue and runner (rootless_or_na, as_user1000, as_user), the
# seccomp checks' ABIs and root/rootless runs (seccomp_abis,
# seccomp_root_and_rootless), and a private cgroup2 mount (cg2_mount).
[ "$(id -u)" = 0 ] || skip "the runtime tests run as root"
: "${CB_PROBE:?CB_PROBE must point at the static probe (tests/CMakeLists.txt sets it)}"
PROBE=$CB_PROBE
BUSYBOX=$(command -v busybox || true)
{ [ -n "$BUSYBOX" ] && LC_ALL=C ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic'; } ||
	skip "busybox-static is not installed"
CGP="cbuild-test-$(basename "$0" .sh)-$$"
# kernel_ia32: 0 when the kernel runs IA-32 (int $0x80) syscalls, asked by
# the probe outside the sandbox (`probe abi`); else 1 with the reason in $WHY.
# What seccomp does to an i386 call is only asserted where the ABI exists;
# CB_TEST_ASSUME_NO_IA32=1 makes the probe say it does not.
IA32=
kernel_ia32() {
	if [ -z "$IA32" ]; then
		"$PROBE" abi >"$T/abi" || fail "the IA-32 probe failed: $(cat "$T/abi")"
		IA32=$(value ia32 "$T/abi")
		IA32_WHY=$(value ia32_why "$T/abi")
	fi
	WHY=$IA32_WHY
	[ "$IA32" = yes ]
}

# mounts on /tmp (where the sandbox puts its private tmpfs) before the test
tmp_mounts() { awk '$5 == "/tmp"' /proc/self/mountinfo | wc -l; }
TMP_MOUNTS_BEFORE=$(tmp_mounts)

# make_rootfs DIR: busybox, the probe at /probe, /etc/passwd and /etc/group.
make_rootfs() {
	mkdir -p "$1/bin" "$1/etc" "$1/proc" "$1/dev" "$1/sys" "$1/tmp" "$1/root" "$1/home/user"
	cp "$BUSYBOX" "$1/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$1/bin/$a"
	done
	cp "$PROBE" "$1/probe"
	cat >"$1/etc/passwd" <<-EOF
		root:x:0:0:root:/root:/bin/sh
		user:x:1000:1000:User:/home/user:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$1/etc/group" <<-EOF
		root:x:0:root
		wheel:x:10:root,user
		audio:x:29:user
		user:x:1000:
		nogroup:x:65534:
	EOF
	chmod 1777 "$1/tmp"
}

# run ARGS...: cbuild run in this test's cgroup parent.
run() {
	"$CBUILD" run --cgroup-parent "$CGP" "$@"
}

# run_bg ARGS...: run in the background; $! is cbuild itself (not a subshell).
BG_PIDS=""
run_bg() {
	"$CBUILD" run --cgroup-parent "$CGP" "$@" &
	BG_PIDS="$BG_PIDS $!"
}

# The step cgroups of this test still present (all hierarchies).
leftover_cgroups() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -path "*/$CGP/*" 2>/dev/null || true
}

# finish: check that nothing is left behind, remove the cgroup parent, print ok.
finish() {
	left=$(leftover_cgroups)
	[ -z "$left" ] || fail "cgroups left behind: $left"
	if grep -qF "$T" /proc/self/mountinfo; then
		fail "mounts left behind: $(grep -F "$T" /proc/self/mountinfo)"
	fi
	[ "$(tmp_mounts)" = "$TMP_MOUNTS_BEFORE" ] ||
		fail "the host gained a mount on /tmp: $(cat /proc/self/mountinfo)"
	find /sys/fs/cgroup -mindepth 2 -maxdepth 5 -type d -name "$CGP" -exec rmdir {} + 2>/dev/null || true
	[ -z "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 5 -type d -name "$CGP" 2>/dev/null)" ] ||
		fail "cannot remove the cgroup parent $CGP"
	echo ok
}

# stop_bg: stop the steps run_bg started that are still running.
stop_bg() {
	for p in $BG_PIDS; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
	done
}

# Whatever happens (a failure mid-test), stop the steps still running, and
# do not leave the test's cgroup parent behind.
rt_cleanup() {
	stop_bg
	find /sys/fs/cgroup -mindepth 2 -maxdepth 5 -type d -name "$CGP" -exec rmdir {} + 2>/dev/null || true
	rm -rf "$T"
}
trap rt_cleanup EXIT

# ---- shared by several runtime and harden tests ---------------------------

# rootless_or_na: the prologue of a rootless test: skip without setpriv;
# not applicable (exit) where an ordinary user cannot make user namespaces.
rootless_or_na() {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
	kernel_userns unprivileged || not_applicable_exit "rootless mode: $WHY"
}

# as_user1000 CMD...: CMD as uid and gid 1000, without supplementary groups.
as_user1000() {
	setpriv --reuid 1000 --regid 1000 --clear-groups "$@"
}

# as_user ARGS...: cbuild run ARGS... as uid 1000: rootless mode.
as_user() {
	as_user1000 "$CBUILD" run "$@"
}

# seccomp_abis WHAT: ABIS, the ABIs whose calls the seccomp checks cover:
# "64 32", or "64" with WHAT (the i386 checks) not applicable where the
# kernel runs no IA-32 syscalls.
# shellcheck disable=SC2034 # ABIS: read by the tests' checks
seccomp_abis() {
	ABIS="64 32"
	kernel_ia32 && return 0
	ABIS=64
	not_applicable "$1: $WHY"
}

# seccomp_root_and_rootless CHECK WHAT: `/probe seccomp` in the rootfs $R
# as root, then rootless, CHECK (a function reading $T/out) after each; the
# rootless WHAT not applicable where an ordinary user has no user namespaces.
seccomp_root_and_rootless() {
	run --rootfs "$R" /probe seccomp >"$T/out"
	"$1"
	if kernel_userns unprivileged; then
		as_user --rootfs "$R" /probe seccomp >"$T/out" || fail "rootless run failed"
		"$1"
	else
		not_applicable "$2: $WHY"
	fi
}

# cg2_mount: a cgroup2 hierarchy mounted on $T/cg2 (call in_private_mountns
# first), and V2, the options that put a step's cgroup there.  At exit the
# steps still running are stopped, then cg2_cleanup and rt_cleanup run.
cg2_mount() {
	mkdir -p "$T/cg2"
	mount -t cgroup2 none "$T/cg2" || fail "cannot mount cgroup2 on $T/cg2"
	# shellcheck disable=SC2034 # the tests' run options
	V2="--cgroup-manager v2 --cgroup-root $T/cg2"
	trap 'stop_bg; cg2_cleanup; rt_cleanup' EXIT
}

# cg2_cleanup: remove this test's cgroups under $T/cg2 and unmount it.
cg2_cleanup() {
	find "$T/cg2" -mindepth 1 -depth -type d -name "$CGP*" -exec rmdir {} + 2>/dev/null || true
	umount "$T/cg2" 2>/dev/null || umount -l "$T/cg2" 2>/dev/null || true
	# never let `rm -rf "$T"` walk into a cgroup hierarchy
	if awk -v p="$T/cg2" '$5 == p { found = 1 } END { exit !found }' /proc/self/mountinfo; then
		echo "cannot unmount $T/cg2; leaving $T" >&2
		T=/nonexistent-cbuild-test-dir
	fi
}
