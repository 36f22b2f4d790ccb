#!/bin/bash
# Interrupting a build (SIGTERM, SIGINT) while a RUN step runs `sleep`: the
# build exits non-zero within seconds, the step's processes are gone, no
# mount is left, no image was added, `cbuild fsck` calls the store clean
# and the next build works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

# A sleep of a length no other process is likely to have, to find ours.
SLEEP=$((1000 + $$ % 1000))
BUILD_PID=
cleanup_build() {
	if [ -n "$BUILD_PID" ]; then
		kill -KILL "$BUILD_PID" 2>/dev/null || true
		wait "$BUILD_PID" 2>/dev/null || true
	fi
	local p
	for p in $(pgrep -x -f "sleep $SLEEP"); do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap cleanup_build EXIT

ctx c
cat >c/Dockerfile <<EOF
FROM busybox:test
RUN echo ok > /ok
RUN echo started; sleep $SLEEP
EOF
before=$(image_list)

for sig in TERM INT; do
	"$CBUILD" --root "$ROOT" build --progress plain -t intr:x c >"$T/out" 2>"$T/err" &
	BUILD_PID=$!
	for i in $(seq 600); do
		grep -q ' started$' "$T/err" && break
		kill -0 "$BUILD_PID" 2>/dev/null || fail "the build ended before its RUN started: $(cat "$T/err")"
		sleep 0.05
	done
	grep -q ' started$' "$T/err" || fail "the RUN did not start within 30 s: $(cat "$T/err")"
	pgrep -x -f "sleep $SLEEP" >/dev/null || fail "no 'sleep $SLEEP' process while the step runs"
	start=$(date +%s%N)
	kill -"$sig" "$BUILD_PID"
	set +e
	wait "$BUILD_PID"
	rc=$?
	set -e
	BUILD_PID=
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$rc" != 0 ] || fail "SIG$sig: the build exited 0"
	[ "$ms" -lt 5000 ] || fail "SIG$sig: the build took $ms ms to stop"
	for i in $(seq 40); do
		pgrep -x -f "sleep $SLEEP" >/dev/null || break
		sleep 0.05
	done
	! pgrep -x -f "sleep $SLEEP" >/dev/null || fail "SIG$sig: the step's 'sleep $SLEEP' is still running"
	if grep -qF "$T" /proc/self/mountinfo; then
		fail "SIG$sig: mounts left: $(grep -F "$T" /proc/self/mountinfo)"
	fi
	eq "images after SIG$sig" "$(image_list)" "$before"
	cb fsck >"$T/fsck" 2>&1 || fail "fsck after SIG$sig: $(cat "$T/fsck")"
done

# The store still builds: the first step is cached from the interrupted runs.
sed -i "s/sleep $SLEEP/true/" c/Dockerfile
build --progress plain -t intr:x c
eq "the step before the interrupted one" "$(step_status 'RUN echo ok > /ok')" CACHED
eq "/ok" "$(crun intr:x cat /ok)" ok
finish
