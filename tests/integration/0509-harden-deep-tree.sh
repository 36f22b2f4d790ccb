#!/bin/bash
# Issue 11, finding 5: in-layer symlinks build a tree far deeper than a path
# can name (here 6000 levels: 1500 directories, a symlink to the deepest,
# 1500 more under the symlink, ...).  Removal gave up past depth 4096, so
# the snapshot could never be deleted and from then on store commands
# failed.  Removal now walks any depth (iteratively, with fds): the image
# imports, is removed, pruned, and the store stays usable; as root and as
# an ordinary user with a store of their own.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
chmod 755 "$T"
python3 - "$T/deep.tar" <<'PY'
import sys, tarfile
N, K = 1500, 4
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT) as t:
    def d(name):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
        t.addfile(ti)
    base = "d0"
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
PY
mkdir -p "$T/rootfs/etc" && echo hi >"$T/rootfs/etc/hello"
tar -C "$T/rootfs" -cf "$T/good.tar" .
chmod 644 "$T/deep.tar" "$T/good.tar"
as_root() { "$CBUILD" "$@"; }
as_user() { setpriv --reuid 1000 --regid 1000 --clear-groups "$CBUILD" "$@"; }

check() {
	local who=$1 S=$2
	expect_rc 0 $who import --root "$S" "$T/deep.tar" deep
	# the snapshot really is 6000 levels deep
	snap=$(find "$S" -maxdepth 4 -type d -name d0 | head -n 1)
	[ -n "$snap" ] || fail "no snapshot holds d0"
	depth=$(cd "$snap" && find . -type d | awk -F/ '{ if (NF > m) m = NF } END { print m - 1 }')
	[ "$depth" -ge 6000 ] || fail "the tree is only $depth levels deep"

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
