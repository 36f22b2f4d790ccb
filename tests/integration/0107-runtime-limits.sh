#!/bin/bash
# Limits through cgroups: a fork bomb under --pids-limit is contained with a
# clear error, allocating past --memory is an OOM kill reported as exit 137
# with the limit, --cpus and friends write the matching cgroup files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
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

# The files the limits write, read from the host while a step runs.
cgfile() { find /sys/fs/cgroup -path "*/$CGP/*/$1" 2>/dev/null | head -n 1; }
run_bg --rootfs "$R" --cpus 0.5 --cpu-shares 512 --memory 96m --pids-limit 100 -v "$T/shared:/shared" \
	/probe sleep 3 /shared/ready >/dev/null
pid=$!
for _ in $(seq 100); do [ -e "$T/shared/ready" ] && break; sleep 0.05; done
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
wait "$pid"
[ -z "$(leftover_cgroups)" ] || fail "cgroups left after the step: $(leftover_cgroups)"

finish
