#!/bin/bash
# Issue 11, finding 10: an inherited stdin reached the payload, and a
# directory as stdin is a handle on a host directory the payload can walk out
# of the sandbox through.  Docker's rule: stdin is /dev/null unless -i; with
# -i it is cbuild's own, and a directory there (or on stdout/stderr) is
# refused.  As root and rootless.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
chmod 755 "$T"
R=$T/rootfs
make_rootfs "$R"
as_root() { run "$@"; }
as_user() { setpriv --reuid 1000 --regid 1000 --clear-groups "$CBUILD" run "$@"; }
# what the payload sees on fd 0
PEEK='if [ -d /proc/self/fd/0 ]; then echo stdin=dir; ls /proc/self/fd/0/; else echo stdin=notdir; fi; echo "read=$(cat)"'

check() {
	local who=$1
	# no -i: the payload reads /dev/null, whatever cbuild's stdin is
	echo secret | $who --rootfs "$R" sh -c "$PEEK" >"$T/out" 2>"$T/err" || fail "$who: $(cat "$T/err")"
	contains "$T/out" "stdin=notdir"
	contains "$T/out" "read="
	grep -q secret "$T/out" && fail "$who: stdin reached the payload without -i: $(cat "$T/out")"
	$who --rootfs "$R" sh -c "$PEEK" <"$T" >"$T/out" 2>"$T/err" || fail "$who: $(cat "$T/err")"
	contains "$T/out" "stdin=notdir"
	grep -q rootfs "$T/out" && fail "$who: the host directory reached the payload: $(cat "$T/out")"
	# -i: cbuild's stdin passes through
	echo secret | $who -i --rootfs "$R" cat >"$T/out" 2>"$T/err" || fail "$who -i: $(cat "$T/err")"
	contains "$T/out" secret
	# -i with a directory as stdin: refused before anything runs
	set +e
	$who -i --rootfs "$R" sh -c "$PEEK" <"$T" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = 125 ] || fail "$who -i <DIR exited $rc, want 125: $(cat "$T/out")"
	contains "$T/err" "stdin is a directory"
	grep -q rootfs "$T/out" && fail "$who -i: the host directory reached the payload"
	# a directory as stdout or stderr is refused too
	set +e
	$who --rootfs "$R" true 1<"$T" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = 125 ] || fail "$who 1<DIR exited $rc, want 125"
	contains "$T/err" "stdout is a directory"
}

check as_root
if kernel_userns unprivileged; then
	check as_user
else
	not_applicable "rootless stdin: $WHY"
fi
finish
