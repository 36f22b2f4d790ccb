#!/bin/bash
# Signals: SIGINT/SIGTERM to cbuild kill the whole step through its cgroup,
# clean up and exit 130/143; signals sent to the init are forwarded to the
# step; if cbuild itself is killed, the sandbox dies with it and the next
# cbuild removes its cgroups.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
R=$T/rootfs
make_rootfs "$R"
mkdir -p "$T/shared"

# a marker in the steps' command lines, so that other tests' probes do not count
M=cbsig$$
wait_ready() { wait_for "$T/shared/$M"; }
step_pids() { pgrep -f "$M" || true; }

for sig in INT:130 TERM:143 HUP:129; do
	rm -f "$T/shared/$M"
	# the step ignores the signal itself and has children: all must go
	run_bg --rootfs "$R" -v "$T/shared:/shared" sh -c "trap '' INT TERM HUP; /probe sleep 60 /tmp/$M & /probe sleep 60 /shared/$M" \
		>/dev/null 2>"$T/err"
	pid=$!
	wait_ready
	[ -n "$(leftover_cgroups)" ] || fail "no cgroup while the step runs"
	start=$(date +%s)
	kill -"${sig%:*}" "$pid"
	set +e
	wait "$pid"
	rc=$?
	set -e
	[ "$rc" = "${sig#*:}" ] || fail "SIG${sig%:*}: cbuild exited $rc, want ${sig#*:}; $(cat "$T/err")"
	[ $(($(date +%s) - start)) -lt 10 ] || fail "SIG${sig%:*} took too long"
	[ -z "$(step_pids)" ] || fail "step processes survived SIG${sig%:*}: $(step_pids)"
	[ -z "$(leftover_cgroups)" ] || fail "cgroups left after SIG${sig%:*}: $(leftover_cgroups)"
done

# A signal to the init (PID 1 in the sandbox) reaches the step.
rm -f "$T/shared/$M"
run_bg --rootfs "$R" -v "$T/shared:/shared" /probe signals "/shared/$M" >"$T/out"
pid=$!
wait_ready
init=$(awk '{ print $1 }' "/proc/$pid/task/$pid/children")
kill -TERM "$init"
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" = 42 ] || fail "the step exited $rc after SIGTERM to the init"
expect_value got 15

# cbuild killed outright: PR_SET_PDEATHSIG takes the sandbox down; its
# empty cgroups stay until the next cbuild removes them.
rm -f "$T/shared/$M"
run_bg --rootfs "$R" -v "$T/shared:/shared" /probe sleep 60 "/shared/$M" >/dev/null
pid=$!
wait_ready
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
for _ in $(seq 50); do [ -z "$(step_pids)" ] && break; sleep 0.1; done
[ -z "$(step_pids)" ] || fail "the step survived cbuild's death: $(step_pids)"
[ -n "$(leftover_cgroups)" ] || fail "expected the dead cbuild's cgroups"
run --rootfs "$R" true
[ -z "$(leftover_cgroups)" ] || fail "stale cgroups were not removed: $(leftover_cgroups)"

finish
