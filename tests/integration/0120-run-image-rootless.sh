#!/bin/bash
# `cbuild run IMAGE` without real root: as an ordinary user, and as root in
# a user namespace (`unshare -r`).  The layer store marks opaque directories
# with user.overlay.opaque there (trusted.* is out of reach), so the
# runtime must mount its overlays with `userxattr`, or /opq/old, hidden by
# the upper layer's opaque /opq, would show through.  A missing working
# directory is created there too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/image-lib.sh"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
command -v unshare >/dev/null || skip "unshare (util-linux) is missing"
kernel_userns unprivileged || not_applicable_exit "rootless image runs: $WHY"
chmod 755 "$T"
images_init

# opaque_xattr DIR: the overlay opaque marker set on DIR.
opaque_xattr() {
	python3 -c 'import os, sys
for n in ("trusted.overlay.opaque", "user.overlay.opaque"):
    try:
        if os.getxattr(sys.argv[1], n) == b"y": print(n)
    except OSError: pass' "$1"
}

# check_layers XATTR STORE CMD...: load the images as CMD runs cbuild, run
# them, and check the snapshots' opaque marker is XATTR.
check_layers() {
	local want=$1 store=$2
	shift 2
	"$@" "$CBUILD" load --root "$store" -q -i "$T/images.tar" || fail "$1: load failed"
	"$@" "$CBUILD" run --root "$store" plain \
		sh -c 'ls /opq; test -e /etc/gone && echo gone-present; cat /srv/app.txt; id -u' \
		>"$T/out" 2>"$T/err" || fail "$1: run failed: $(cat "$T/err")"
	[ "$(cat "$T/out")" = "$(printf 'new\napp2\n0')" ] || fail "$1: the layers stack wrongly: $(cat "$T/out")"
	top=$(dirname "$(grep -l . "$store"/snapshots/*/parent)")
	[ "$(opaque_xattr "$top/fs/opq")" = "$want" ] ||
		fail "$1: the snapshot's /opq is marked $(opaque_xattr "$top/fs/opq")"
	# the config is honoured the same way (only root exists without subuid ranges)
	"$@" "$CBUILD" run --root "$store" -u root cfg >"$T/out" 2>"$T/err" ||
		fail "$1: run cfg failed: $(cat "$T/err")"
	contains "$T/out" cmd-from-image
	expect_value FOO from-image
	# a missing working directory is created in the throwaway upper there too
	"$@" "$CBUILD" run --root "$store" -w /new/wd plain sh -c 'pwd; ls -lnd /new/wd' \
		>"$T/out" 2>"$T/err" || fail "$1: run -w /new/wd failed: $(cat "$T/err")"
	[ "$(awk 'NR == 1 { print } NR > 1 { print $1, $3, $4 }' "$T/out")" = \
		"$(printf '/new/wd\ndrwxr-xr-x 0 0')" ] || fail "$1: -w /new/wd: $(cat "$T/out")"
}

# An ordinary user with a store of their own.
mkdir "$T/ustore" && chown 1000:1000 "$T/ustore"
check_layers user.overlay.opaque "$T/ustore" setpriv --reuid 1000 --regid 1000 --clear-groups
# Root in a user namespace: euid 0, but not real root.
check_layers user.overlay.opaque "$T/nsstore" unshare -r
# Real root, for contrast: trusted.overlay.opaque and a plain overlay.
check_layers trusted.overlay.opaque "$T/rootstore" env

finish
