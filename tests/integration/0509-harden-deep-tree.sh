#!/bin/bash
# Issue 11, finding 5: in-layer symlinks build a tree far deeper than a path
# can name (here 6000 levels: 1500 directories, a symlink to the deepest,
# 1500 more under the symlink, ...).  Removal gave up past depth 4096, so
# the snapshot could never be deleted and from then on store commands
# failed.  Now apply keeps a bound, 2048 directories below the root counted
# on the tree (what a path within PATH_MAX can name at most): the 6000-level
# layer is refused with a clear message and leaves nothing behind, and a
# tree of 2001 levels made the same way imports, and is removed and pruned
# (removal walks any depth, iteratively, with fds); the store stays usable
# throughout; as root and as an ordinary user with a store of their own.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
chmod 755 "$T"
# deep_tar OUT N K [P [EXTRA]]: d0 and P levels below it, N levels below
# that, a symlink to the deepest, N more under the symlink, ... K times:
# 1 + P + N * K levels, and with EXTRA one more directory at the bottom
deep_tar() {
	python3 - "$@" <<'PY'
import sys, tarfile
out, N, K = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
P = int(sys.argv[4]) if len(sys.argv) > 4 else 0
extra = len(sys.argv) > 5
with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as t:
    def d(name):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
        t.addfile(ti)
    base = "d0"
    d(base)
    for i in range(P):
        base += "/z"
        d(base)
    for k in range(K):
        p = base
        for i in range(N):
            p += "/x"
            d(p)
        ln = tarfile.TarInfo("l%d" % (k + 1))
        ln.type, ln.linkname = tarfile.SYMTYPE, p
        t.addfile(ln)
        base = "l%d" % (k + 1)
    if extra:
        d(base + "/y")
PY
}
deep_tar "$T/deep.tar" 1500 4
deep_tar "$T/bound.tar" 500 4
# exactly at the bound (1 + 3 + 511 * 4 = 2048) and one past it
deep_tar "$T/edge.tar" 511 4 3
deep_tar "$T/past.tar" 511 4 3 extra
mkdir -p "$T/rootfs/etc" && echo hi >"$T/rootfs/etc/hello"
tar -C "$T/rootfs" -cf "$T/good.tar" .
chmod 644 "$T"/*.tar
as_root() { "$CBUILD" "$@"; }
as_user() { setpriv --reuid 1000 --regid 1000 --clear-groups "$CBUILD" "$@"; }

check() {
	local who=$1 S=$2
	# past the bound: refused, named, nothing left behind
	expect_rc 1 $who import --root "$S" "$T/deep.tar" deep
	contains "$T/err" "is more than 2048 directories below the layer's root (through its symlinks)"
	[ -z "$(find "$S" -type d -name d0)" ] || fail "the refused layer left a snapshot behind"
	for c in images df fsck; do
		expect_rc 0 $who "$c" --root "$S"
	done

	expect_rc 1 $who import --root "$S" "$T/past.tar" past
	contains "$T/err" "is more than 2048 directories below"
	expect_rc 0 $who import --root "$S" "$T/edge.tar" edge
	expect_rc 0 $who rmi --root "$S" edge

	# within it: imports, and removal undoes it
	expect_rc 0 $who import --root "$S" "$T/bound.tar" deep
	snap=$(find "$S" -maxdepth 4 -type d -name d0 | head -n 1)
	[ -n "$snap" ] || fail "no snapshot holds d0"
	depth=$(cd "$snap" && find . -type d | awk -F/ '{ if (NF > m) m = NF } END { print m - 1 }')
	[ "$depth" -ge 2000 ] || fail "the tree is only $depth levels deep"

	expect_rc 0 $who rmi --root "$S" deep
	expect_rc 0 $who prune --root "$S"
	[ -z "$(find "$S" -type d -name d0)" ] || fail "the deep snapshot is still there"
	for c in images df fsck; do
		expect_rc 0 $who "$c" --root "$S"
	done
	# and the store still takes images
	expect_rc 0 $who import --root "$S" "$T/good.tar" good
}

check as_root "$T/store"
mkdir "$T/user" && chown 1000:1000 "$T/user"
check as_user "$T/user/store"
