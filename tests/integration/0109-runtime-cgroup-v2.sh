#!/bin/bash
# The cgroup v2 manager, on a private cgroup2 mount (this test runs in its
# own mount namespace): the step's cgroup and cgroup namespace, a read-only
# cgroup2 in the sandbox, cgroup.kill on SIGINT, removal afterwards.  Limits
# need the memory/pids/cpu controllers in the v2 hierarchy; on a hybrid host
# they are bound to v1 hierarchies and a cgroup2 mount cannot enable them,
# so that part runs only where they are available and is "not applicable"
# otherwise.
. "$(dirname "$0")/lib.sh"
in_private_mountns "$@"
. "$(dirname "$0")/runtime-lib.sh"
kernel_fs cgroup2 || not_applicable_exit "the cgroup v2 manager: $WHY"
R=$T/rootfs
make_rootfs "$R"
mkdir -p "$T/shared"
cg2_mount

# shellcheck disable=SC2086
run $V2 --rootfs "$R" sh -c 'cat /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo' >"$T/out"
contains "$T/out" "0::/"
grep -q ' /sys/fs/cgroup ro,.* - cgroup2 ' "$T/out" || fail "no read-only cgroup2 in the sandbox: $(cat "$T/out")"

# While the step runs: its own cgroup with the init and the step in it.
# shellcheck disable=SC2086
M=cbv2$$
# shellcheck disable=SC2086
run_bg $V2 --rootfs "$R" -v "$T/shared:/shared" sh -c "/probe sleep 60 /tmp/$M & /probe sleep 60 /shared/ready" >/dev/null
pid=$!
wait_for "$T/shared/ready"
step=$(find "$T/cg2/$CGP" -mindepth 1 -maxdepth 1 -type d)
[ -n "$step" ] || fail "no step cgroup under $T/cg2/$CGP"
n=$(wc -l <"$step/cgroup.procs")
[ "$n" -ge 3 ] || fail "cgroup.procs: $(cat "$step/cgroup.procs")"
grep -q 'populated 1' "$step/cgroup.events" || fail "cgroup.events: $(cat "$step/cgroup.events")"
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" = 130 ] || fail "SIGINT: cbuild exited $rc"
[ ! -e "$step" ] || fail "the step's cgroup was not removed"
[ -z "$(pgrep -f "$M" || true)" ] || fail "cgroup.kill left processes"
[ -z "$(find "$T/cg2/$CGP" -mindepth 1 -type d)" ] || fail "v2 cgroups left behind"

# Limits.
avail=$(cat "$T/cg2/cgroup.controllers")
missing=""
for c in memory pids cpu; do
	case " $avail " in *" $c "*) ;; *) missing="$missing $c" ;; esac
done
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	expect_rc 125 run $V2 --rootfs "$R" --memory 64m true
	contains "$T/err" "the \`memory\` controller is not available in the cgroup v2 hierarchy"
	not_applicable "cgroup v2 limits: the controllers$missing are bound to cgroup v1" \
		"hierarchies on this host (/proc/cgroups), so a cgroup2 mount cannot enable them"
else
	# shellcheck disable=SC2086
	expect_rc 137 run $V2 --rootfs "$R" --memory 64m /probe alloc 200
	contains "$T/err" "killed: out of memory (limit 64 MiB)"
	# shellcheck disable=SC2086
	expect_rc 1 run $V2 --rootfs "$R" --pids-limit 64 /probe forkbomb
	contains "$T/err" "pids limit 64"
	# shellcheck disable=SC2086
	run_bg $V2 --rootfs "$R" --cpus 0.5 -v "$T/shared:/shared" \
		/probe await /shared/ready2 /shared/go2 >/dev/null
	pid=$!
	wait_for "$T/shared/ready2"
	[ "$(cat "$T/cg2/$CGP"/*/cpu.max)" = "50000 100000" ] || fail "cpu.max"
	touch "$T/shared/go2"
	wait "$pid" || fail "the step ended with $? (no go2 handshake?)"
fi

cg2_cleanup
finish
