#!/bin/bash
# Issue 11, finding 2: the private network's helper, pasta, is started once
# per build (not per step: one while two stages' steps run) and once per
# `cbuild run`, and is always stopped and reaped: after a build that
# succeeds, one whose step fails, one interrupted by SIGINT, and when
# cbuild itself is killed with SIGKILL (PR_SET_PDEATHSIG); after `cbuild
# run`, and one stopped with SIGTERM.  A cached build starts none (it
# works without pasta on the PATH, where a step that runs fails, saying
# what to install).
. "$(dirname "$0")/net-lib.sh"
net_setup

SLEEP=$((2000 + $$ % 1000))
BG=
cleanup_bg() {
	if [ -n "$BG" ]; then
		kill -KILL "$BG" 2>/dev/null || true
		wait "$BG" 2>/dev/null || true
	fi
	local p
	for p in $(pgrep -x -f "sleep $SLEEP") $(our_pastas); do
		kill -KILL "$p" 2>/dev/null || true
	done
	stop_helpers
	rm -rf "$T"
}
trap cleanup_bg EXIT

# started FILE: wait until the step wrote "started" to FILE (30 s at most)
started() {
	local i
	for i in $(seq 600); do
		[ "$(grep -c 'started$' "$1")" -ge "${2:-1}" ] && return 0
		kill -0 "$BG" 2>/dev/null || fail "cbuild ended before its step started: $(cat "$T/err")"
		sleep 0.05
	done
	fail "the step did not start within 30 s: $(cat "$1")"
}

# A build that succeeds, and again from the cache (no step runs: no pasta needed,
# and none may be left either way)
ctx c
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN echo one > /one
RUN echo two > /two
EOF
build -t life:ok c
no_pasta_left "after a build"
set +e
PATH=/var/empty "$CBUILD" --root "$ROOT" build -t life:ok c >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" = 0 ] || fail "a cached build needed pasta: $(cat "$T/err")"
no_pasta_left "after a cached build"
set +e
PATH=/var/empty "$CBUILD" --root "$ROOT" build --no-cache -t life:ok c >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "a build without pasta exited $rc: $(cat "$T/err")"
contains "$T/err" "the private network needs \`pasta\` (Debian package passt): install it, or use --network host or --network none"

# A failing step
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN exit 3
EOF
build_fails 1 --no-cache -t life:fail c
no_pasta_left "after a failing build"

# Two stages' steps running at once share one pasta; SIGINT, then SIGKILL
cat >c/Dockerfile <<EOF
FROM busybox:test AS a
RUN echo started; sleep $SLEEP
FROM busybox:test AS b
RUN echo started; sleep $SLEEP
FROM busybox:test
COPY --from=a /etc/hostname /a
COPY --from=b /etc/hostname /b
EOF
for sig in INT KILL; do
	"$CBUILD" --root "$ROOT" build --no-cache --jobs 2 --progress plain -t life:intr c >"$T/out" 2>"$T/err" &
	BG=$!
	started "$T/err" 2
	[ "$(our_pastas | wc -l)" = 1 ] || fail "SIG$sig: $(our_pastas | wc -l) pasta processes for one build, want 1"
	kill -"$sig" "$BG"
	set +e
	wait "$BG"
	rc=$?
	set -e
	BG=
	[ "$rc" != 0 ] || fail "SIG$sig: the build exited 0"
	no_pasta_left "after SIG$sig to the build"
	for i in $(seq 100); do
		pgrep -x -f "sleep $SLEEP" >/dev/null || break
		sleep 0.05
	done
	! pgrep -x -f "sleep $SLEEP" >/dev/null || fail "SIG$sig: the steps are still running"
done
# SIGKILL leaves the store to be cleaned by the next open; mounts go with the namespaces
cb prune >/dev/null 2>&1 || true

# cbuild run: one pasta while it runs, none after, also after SIGTERM
cb run --rm busybox:test true || fail "cbuild run failed"
no_pasta_left "after cbuild run"
"$CBUILD" --root "$ROOT" run --rm busybox:test sh -c "echo started; sleep $SLEEP" >"$T/out" 2>"$T/err" &
BG=$!
started "$T/out"
[ "$(our_pastas | wc -l)" = 1 ] || fail "$(our_pastas | wc -l) pasta processes for one cbuild run, want 1"
kill -TERM "$BG"
set +e
wait "$BG"
rc=$?
set -e
BG=
eq "cbuild run's status after SIGTERM" "$rc" 143
no_pasta_left "after SIGTERM to cbuild run"

# A host (or container) where /dev/net/tun cannot be opened, root or not:
# the private network is lo only, with a warning, instead of every step
# failing in pasta.  Here a tun node on a nodev mount, over /dev/net/tun in
# a mount namespace of the test's own.
cat >"$T/notun.sh" <<'SH'
set -e
mount -t tmpfs -o nodev tmpfs "$1"
mknod "$1/tun" c 10 200
mount --bind "$1/tun" /dev/net/tun
shift
exec "$@"
SH
mkdir "$T/nodev"
unshare -m sh "$T/notun.sh" "$T/nodev" "$CBUILD" --root "$ROOT" run --rm busybox:test \
	sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "' >"$T/out" 2>"$T/err" ||
	fail "cbuild run without a usable /dev/net/tun failed: $(cat "$T/err")"
contains "$T/err" "warning: no outbound network: /dev/net/tun cannot be opened here"
[ "$(cat "$T/out")" = lo ] || fail "without /dev/net/tun: interfaces $(cat "$T/out"), want lo only"
no_pasta_left "after a run without /dev/net/tun"

# pasta runs as root: a relative $PATH entry (the current directory's) is
# never searched for it
mkdir "$T/cwd"
printf '#!/bin/sh\ntouch %s/fake-ran\nexit 1\n' "$T" >"$T/cwd/pasta"
chmod 755 "$T/cwd/pasta"
(cd "$T/cwd" && PATH=".:$PATH" "$CBUILD" --root "$ROOT" run --rm busybox:test true) 2>"$T/err" ||
	fail "cbuild run with . first on PATH failed: $(cat "$T/err")"
[ ! -e "$T/fake-ran" ] || fail "cbuild ran ./pasta from a relative PATH entry"
finish
