# Sourced by tests/integration/NNNN-*.sh.  CTest sets CBUILD (the binary),
# CB_SOURCE_DIR (test data: $CB_SOURCE_DIR/tests/data) and CB_NA_LOG (where
# not-applicable checks are recorded).  Each test runs in a fresh temp dir.
set -eu
: "${CBUILD:?CBUILD must point at the cbuild binary}"
: "${CB_SOURCE_DIR:?}"
CB_TEST_NAME=integration.$(basename "$0" .sh)
T=$(mktemp -d /tmp/cbit-XXXXXX)
trap 'stop_helpers; rm -rf "$T"' EXIT
cd "$T"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# skip REASON: something the suite should have installed or started is
# missing (a tool, root): exit 77 (CTest "skipped"), or fail when CI demands
# that every test really runs (CB_TESTS_MUST_WORK=1).
skip() {
	if [ "${CB_TESTS_MUST_WORK:-0}" = 1 ]; then
		echo "FAIL (skip not allowed, CB_TESTS_MUST_WORK=1): $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

# expect_rc RC CMD...: run CMD, capture stdout/stderr in $T/out and $T/err.
expect_rc() {
	want=$1
	shift
	set +e
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "'$*' exited $got, want $want; stderr: $(cat "$T/err")"
}

# contains FILE STRING
contains() {
	grep -qF -- "$2" "$1" || fail "$1 lacks '$2'; it holds: $(cat "$1")"
}

# not_applicable REASON: this machine lacks what some checks test (a kernel
# ABI, user namespaces, a file system, a cgroup layout) -- not a missing
# tool, that is skip.  Prints the reason, appends "TEST: REASON" to
# $CB_NA_LOG (one write, O_APPEND), and the test goes on without those
# checks.  Never a failure, also under CB_TESTS_MUST_WORK=1.
not_applicable() {
	echo "NOT APPLICABLE: $*" >&2
	if [ -n "${CB_NA_LOG:-}" ]; then
		printf '%s: %s\n' "$CB_TEST_NAME" "$*" >>"$CB_NA_LOG"
	fi
}

# not_applicable_exit REASON: the whole test does not apply here; exit 77.
not_applicable_exit() {
	not_applicable "$@"
	exit 77
}

# Kernel features, probed outside any sandbox: each returns 0 when the
# machine has the feature, else 1 with the reason in $WHY.

# kernel_userns [unprivileged]: user namespaces, for root or (unprivileged)
# for an ordinary user too.  CB_TEST_ASSUME_NO_USERNS=1 says no.
kernel_userns() {
	WHY=
	if [ -n "${CB_TEST_ASSUME_NO_USERNS:-}" ] && [ "$CB_TEST_ASSUME_NO_USERNS" != 0 ]; then
		WHY="CB_TEST_ASSUME_NO_USERNS=$CB_TEST_ASSUME_NO_USERNS: the probe reports user namespaces as absent"
	elif [ ! -e /proc/self/ns/user ]; then
		WHY="the kernel has no user namespaces (CONFIG_USER_NS is off)"
	elif [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)" = 0 ]; then
		WHY="user namespaces are disabled (user.max_user_namespaces=0)"
	elif [ "${1:-}" != unprivileged ]; then
		:
	elif [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 0 ]; then
		WHY="unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)"
	elif [ "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null || echo 0)" = 1 ]; then
		WHY="unprivileged user namespaces are restricted by AppArmor (kernel.apparmor_restrict_unprivileged_userns=1)"
	fi
	[ -z "$WHY" ]
}

# kernel_fs TYPE: the kernel has the file system TYPE (or a module for it).
kernel_fs() {
	WHY=
	grep -qw "$1" /proc/filesystems && return 0
	grep -q "/$1\.ko" "/lib/modules/$(uname -r)/modules.dep" 2>/dev/null && return 0
	WHY="the kernel has no \`$1\` file system (not in /proc/filesystems, no module)"
	return 1
}

# host_cgroups: v1 (controller hierarchies: legacy or hybrid), v2only (the
# unified hierarchy only) or none, from /proc/self/mountinfo.
host_cgroups() {
	awk '{ for (i = 1; i <= NF; i++) if ($i == "-") break
		if ($(i + 1) == "cgroup2") v2 = 1
		if ($(i + 1) != "cgroup") next
		n = split($(i + 3), o, ",")
		for (j = 1; j <= n; j++)
			if (o[j] ~ /^(cpu|cpuacct|cpuset|memory|devices|freezer|blkio|pids|net_cls|net_prio|perf_event|hugetlb|rdma|misc)$/) v1 = 1 }
		END { print v1 ? "v1" : v2 ? "v2only" : "none" }' /proc/self/mountinfo
}

# wait_for FILE [SECONDS]: the handshake with a step -- poll until FILE
# exists; fail after SECONDS (default 30) instead of hanging or racing.
wait_for() {
	local i
	for i in $(seq $((${2:-30} * 20))); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	fail "$1 did not appear within ${2:-30} s"
}

# Servers a test runs in the background (registries, proxies, the python
# helpers of tests/helpers): their PIDs in HELPER_PIDS, stopped at exit.
HELPER_PIDS=
stop_helpers() {
	local p
	for p in $HELPER_PIDS; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# helper_up PID CMD...: PID (a server just started in the background) is
# stopped at exit; poll CMD every 0.05 s until it succeeds (0: the server
# is up), or until PID has exited or 10 s have passed (1: PID is stopped).
helper_up() {
	local pid=$1 i
	shift
	HELPER_PIDS="$HELPER_PIDS $pid"
	for i in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		"$@" && return 0
		sleep 0.05
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 1
}

# start_helper WHAT PORTFILE CMD...: run CMD (stderr in PORTFILE.err) in the
# background until the test exits, and wait until it has written the
# port(s) it listens on to PORTFILE; fail naming WHAT (and its stderr) when
# it dies or takes over 10 s.  Sets HELPER_PID.
start_helper() {
	local what=$1 file=$2
	shift 2
	"$@" 2>"$file.err" &
	HELPER_PID=$!
	helper_up "$HELPER_PID" test -s "$file" || fail "$what did not start: $(cat "$file.err")"
}

# in_private_mountns ARGS...: run this test again, with ARGS (its own), in a
# mount namespace of its own with private propagation (unshare), so that
# what it mounts (a cgroup2 hierarchy) stays its own and goes with it; skip
# when unshare is missing.  Call it right after sourcing lib.sh: the first
# run gives up its $T and becomes the second.
in_private_mountns() {
	[ -z "${CB_IN_PRIVATE_MOUNTNS:-}" ] || return 0
	command -v unshare >/dev/null || skip "unshare (util-linux) is missing"
	rm -rf "$T"
	cd "$OLDPWD" # where the test started (lib.sh went into $T): "$0" may be relative
	CB_IN_PRIVATE_MOUNTNS=1 exec unshare --mount --propagation private bash "$0" "$@"
}

# value KEY FILE: the value of KEY=VALUE in FILE (the probe's output).
value() {
	sed -n "s|^$1=||p" "$2" | head -n 1
}

# expect_value KEY WANT [FILE]: fail unless KEY's value in FILE ($T/out) is WANT.
expect_value() {
	got=$(value "$1" "${3:-$T/out}")
	[ "$got" = "$2" ] || fail "$1 is '$got', want '$2'; output: $(cat "${3:-$T/out}")"
}
