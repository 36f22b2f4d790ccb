#!/bin/bash
# Limits through cgroups: a fork bomb under --pids-limit is contained with a
# clear error, allocating past --memory is an OOM kill reported as exit 137
# with the limit, --cpus and friends write the matching cgroup files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
case $(host_cgroups) in
none) not_applicable_exit "limits: no cgroup hierarchy is mounted on this host" ;;
v2only)
	for c in memory pids cpu; do
		grep -qw "$c" /sys/fs/cgroup/cgroup.controllers ||
			not_applicable_exit "limits: the cgroup v2 hierarchy of this host lacks the $c controller"
	done
	;;
esac
R=$T/rootfs
make_rootfs "$R"
mkdir -p "$T/shared"

# pids: fork fails with EAGAIN inside, the failure names the limit
expect_rc 1 run --rootfs "$R" --pids-limit 64 /probe forkbomb
contains "$T/out" "fork_error=EAGAIN"
n=$(value forked "$T/out")
[ "$n" -ge 50 ] && [ "$n" -le 63 ] || fail "forked $n processes under --pids-limit 64"
contains "$T/err" "fork failed: process limit reached (pids limit 64)"
# a real shell fork bomb is contained too, and the host can still fork
run --rootfs "$R" --pids-limit 32 sh -c 'cbbomb() { cbbomb | cbbomb & }; cbbomb; sleep 1' >/dev/null 2>&1 || true
sh -c 'true' || fail "the host cannot fork"
[ -z "$(pgrep -f cbbomb || true)" ] || fail "fork bomb processes survived: $(pgrep -af cbbomb)"

# memory: an OOM kill is exit 137 with the limit in the message
expect_rc 137 run --rootfs "$R" --memory 64m /probe alloc 200
contains "$T/err" "killed: out of memory (limit 64 MiB)"
expect_rc 137 run --rootfs "$R" --memory 256m --memory-swap 256m /probe alloc 400
contains "$T/err" "killed: out of memory (limit 256 MiB)"
expect_rc 0 run --rootfs "$R" --memory 64m /probe alloc 16
contains "$T/out" "allocated=16"
expect_rc 125 run --rootfs "$R" --memory 64m --memory-swap 32m true
contains "$T/err" "the memory+swap limit must be at least the memory limit"

# The files the limits write, read from the host while a step runs: it
# waits (at most 60 s) until the test has read them and says go.
cgfile() { find /sys/fs/cgroup -path "*/$CGP/*/$1" 2>/dev/null | head -n 1; }
run_bg --rootfs "$R" --cpus 0.5 --cpu-shares 512 --memory 96m --pids-limit 100 -v "$T/shared:/shared" \
	/probe await /shared/ready /shared/go >/dev/null
pid=$!
wait_for "$T/shared/ready"
if [ -n "$(cgfile cpu.max)" ]; then
	[ "$(cat "$(cgfile cpu.max)")" = "50000 100000" ] || fail "cpu.max: $(cat "$(cgfile cpu.max)")"
	[ "$(cat "$(cgfile cpu.weight)")" = 20 ] || fail "cpu.weight: $(cat "$(cgfile cpu.weight)")"
	[ "$(cat "$(cgfile memory.max)")" = 100663296 ] || fail "memory.max"
else
	[ "$(cat "$(cgfile cpu.cfs_quota_us)")" = 50000 ] || fail "cpu.cfs_quota_us: $(cat "$(cgfile cpu.cfs_quota_us)")"
	[ "$(cat "$(cgfile cpu.cfs_period_us)")" = 100000 ] || fail "cpu.cfs_period_us"
	[ "$(cat "$(cgfile cpu.shares)")" = 512 ] || fail "cpu.shares: $(cat "$(cgfile cpu.shares)")"
	[ "$(cat "$(cgfile memory.limit_in_bytes)")" = 100663296 ] || fail "memory.limit_in_bytes"
fi
[ "$(cat "$(cgfile pids.max)")" = 100 ] || fail "pids.max: $(cat "$(cgfile pids.max)")"
# both the init and the step are in the step's cgroup
[ "$(wc -l <"$(dirname "$(cgfile pids.max)")/cgroup.procs")" = 2 ] || fail "cgroup.procs"
touch "$T/shared/go"
wait "$pid" || fail "the step ended with $? (no go handshake?)"
[ -z "$(leftover_cgroups)" ] || fail "cgroups left after the step: $(leftover_cgroups)"

# The same limits read from inside, where runc puts them for JVMs and
# friends: /sys/fs/cgroup holds the step's own cgroups, read-only, and the
# cgroup namespace makes them "/".
expect_rc 0 run --rootfs "$R" --cpus 0.5 --memory 96m --pids-limit 100 sh -c '
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo "cpu=$(cat /sys/fs/cgroup/cpu.max)"
		echo "mem=$(cat /sys/fs/cgroup/memory.max)"
		echo "pids=$(cat /sys/fs/cgroup/pids.max)"
	else
		echo "cpu=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
		echo "mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
		echo "pids=$(cat /sys/fs/cgroup/pids/pids.max)"
		echo "cpuacct=$(test -e /sys/fs/cgroup/cpuacct/cpuacct.usage && echo yes)"
	fi
	echo "procs=$(wc -l </sys/fs/cgroup/pids/cgroup.procs 2>/dev/null || wc -l </sys/fs/cgroup/cgroup.procs)"
	echo "self=$(grep -E "^[0-9]+:(pids|):" /proc/self/cgroup | cut -d: -f3 | sort -u)"
	echo 1 >/sys/fs/cgroup/pids.max 2>/dev/null || echo 1 >/sys/fs/cgroup/pids/pids.max 2>/dev/null ||
		echo "readonly=yes"'
expect_value cpu "50000 100000"
expect_value mem 100663296
expect_value pids 100
expect_value self /
expect_value readonly yes
# the init, sh and the subshell running wc: only the step's processes
n=$(value procs "$T/out")
[ "$n" -ge 2 ] && [ "$n" -le 4 ] || fail "the step's cgroup.procs shows $n processes: $(cat "$T/out")"
grep -q '^cpuacct=' "$T/out" && expect_value cpuacct yes
[ -z "$(leftover_cgroups)" ] || fail "cgroups left after the step: $(leftover_cgroups)"

finish
