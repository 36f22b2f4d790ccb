#!/bin/bash
# Namespaces: own PID namespace (the init is PID 1, the step PID 2, nothing
# of the host visible), hostname, network none (only lo, up), host and the
# private default, new
# mount/uts/ipc/cgroup namespaces, and an init that reaps orphans.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
R=$T/rootfs
make_rootfs "$R"
host_ns() { readlink "/proc/self/ns/$1"; }

run --rootfs "$R" --hostname probe-host /probe ns >"$T/out"
expect_value pid 2
expect_value ppid 1
expect_value procs "1,2"
expect_value hostname probe-host
for ns in pid mnt uts ipc cgroup; do
	[ "$(value "ns_$ns" "$T/out")" != "$(host_ns "$ns")" ] || fail "the step shares the host's $ns namespace"
done
# a private network by default (issue 11; 0520-harden-network checks what it reaches)
[ "$(value ns_net "$T/out")" != "$(host_ns net)" ] || fail "the default network is the host's"
[ "$(value ns_user "$T/out")" = "$(host_ns user)" ] || fail "a root step got a user namespace"
# --network host: the host's namespace
run --rootfs "$R" --network host /probe ns >"$T/out"
[ "$(value ns_net "$T/out")" = "$(host_ns net)" ] || fail "--network host has its own netns"
# PID 1 is the runtime's init
run --rootfs "$R" cat /proc/1/comm >"$T/out"
[ -s "$T/out" ] || fail "no /proc/1 in the sandbox"

run --rootfs "$R" /probe ns >"$T/out"
expect_value hostname cbuild

run --rootfs "$R" --network none /probe ns >"$T/out"
expect_value netifs lo
expect_value lo_up 1
[ "$(value ns_net "$T/out")" != "$(host_ns net)" ] || fail "--network none shares the host's netns"
# lo works: a TCP round trip to ourselves
expect_value lo_tcp OK

# The init reaps orphans: no zombies pile up.
run --rootfs "$R" /probe zombies >"$T/out"
expect_value zombies 0

# IPC namespace: a SysV segment made in one step is gone in the next.
run --rootfs "$R" sh -c '/probe ipc; /probe ipc' >"$T/out"
[ "$(grep -c '^shm_segments=1$' "$T/out")" = 2 ] || fail "shmget in the sandbox: $(cat "$T/out")"
run --rootfs "$R" sh -c 'cat /proc/sysvipc/shm | wc -l' >"$T/out"
[ "$(cat "$T/out")" = 1 ] || fail "SysV IPC leaked between steps: $(cat "$T/out")"

finish
