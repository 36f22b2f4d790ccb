# Sourced by tests/integration/01NN-runtime-*.sh, after lib.sh.
#
# Gives every test: $PROBE (the static probe, tests/helpers/probe.c), a
# busybox rootfs maker, `run` (cbuild run in a cgroup parent private to this
# test, so parallel tests do not see each other's cgroups), and
# `finish`, which fails the test when a mount under $T or a cgroup under
# the test's parent is left over, then removes the parent.
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

# value KEY FILE: the value of KEY=VALUE in FILE.
value() {
	sed -n "s|^$1=||p" "$2" | head -n 1
}

# expect_value KEY WANT [FILE]
expect_value() {
	got=$(value "$1" "${3:-$T/out}")
	[ "$got" = "$2" ] || fail "$1 is '$got', want '$2'; output: $(cat "${3:-$T/out}")"
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

# Whatever happens (a failure mid-test), stop the steps still running, and
# do not leave the test's cgroup parent behind.
rt_cleanup() {
	for p in $BG_PIDS; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
	done
	find /sys/fs/cgroup -mindepth 2 -maxdepth 5 -type d -name "$CGP" -exec rmdir {} + 2>/dev/null || true
	rm -rf "$T"
}
trap rt_cleanup EXIT
