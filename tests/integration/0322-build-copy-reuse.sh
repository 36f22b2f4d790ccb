#!/bin/bash
# A COPY that misses the cache because some files changed links the
# unchanged ones from the snapshot its last result left (builder/reuse.c):
# same inode, nothing copied.  Only files with the same content digest,
# size, mode, owner and mtime are linked; the layer and the image are the
# same as a full copy gives, and the old image stays intact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

ctx c
mkdir -p c/d/sub
head -c 300000 /dev/urandom >c/d/big
echo keep >c/d/sub/keep
echo change >c/d/change
echo touch >c/d/touched
ln -s keep c/d/sub/link
# the stat cache trusts files whose mtime and ctime are 2 s old (statcache.c,
# git's racy-clean rule): wait so the next build knows their digests
sleep 2.1
cat >c/Dockerfile <<'EOF'
FROM scratch
COPY d /app
EOF
build -t reuse:1 c
[ -n "$(ls "$ROOT"/aux/reuse-* 2>/dev/null)" ] || fail "no reuse record after the first build"

# snapshot of the top layer of IMAGE (through its layer record)
snap_of() {
	local l
	l=$(cb inspect "$1" | jq -r '.[0].RootFS.Layers[-1]')
	echo "$ROOT/snapshots/$(jq -r .chain "$ROOT/layers/${l#sha256:}" | sed 's/^sha256://')/fs"
}
s1=$(snap_of reuse:1)
[ -f "$s1/app/big" ] || fail "no snapshot tree at $s1"

# one file changed, one only touched (same bytes, new mtime)
echo changed >c/d/change
touch -d '2020-01-01 00:00:00' c/d/touched
t0=$(date +%s)
build -t reuse:2 --progress plain c
eq "COPY step" "$(step_status 'COPY d /app')" DONE
s2=$(snap_of reuse:2)
[ "$s1" != "$s2" ] || fail "the second build reused the first snapshot as a whole"
same_inode() { [ "$(stat -c %i "$1")" = "$(stat -c %i "$2")" ]; }
same_inode "$s1/app/big" "$s2/app/big" || fail "big was copied, not linked"
same_inode "$s1/app/sub/keep" "$s2/app/sub/keep" || fail "sub/keep was copied, not linked"
! same_inode "$s1/app/change" "$s2/app/change" || fail "the changed file was linked"
! same_inode "$s1/app/touched" "$s2/app/touched" || fail "a file with a new mtime was linked"
eq "changed content" "$(cat "$s2/app/change")" changed
eq "old content kept" "$(cat "$s1/app/change")" change
eq "mtime of the touched file" "$(stat -c %Y "$s2/app/touched")" "$(stat -c %Y c/d/touched)"
[ -L "$s2/app/sub/link" ] || fail "the symlink is gone"

# the layer is the one a full copy makes: build the same in a fresh store.
# Byte for byte but for one field: /app is new, so it takes the clock of its
# build (fsutil's MkdirAll of the destination), and the two builds may fall
# in different seconds -- its mtime is checked to be a build time instead.
"$CBUILD" --root "$T/fresh" build -q -t reuse:full c >/dev/null || fail "fresh build failed"
t1=$(date +%s)
python3 - "$(_layer_blob reuse:2 0)" "$(ROOT=$T/fresh _layer_blob reuse:full 0)" app "$t0" "$t1" <<'PY' ||
import gzip, io, sys, tarfile
a, b, name, t0, t1 = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
def raw(p):
    d = open(p, "rb").read()
    return bytearray(gzip.decompress(d) if d[:2] == b"\x1f\x8b" else d)
def blank_dir_time(d):
    with tarfile.open(fileobj=io.BytesIO(bytes(d))) as t:
        ms = [m for m in t.getmembers() if m.name.rstrip("/") == name]
    if len(ms) != 1 or not ms[0].isdir() or ms[0].pax_headers:
        sys.exit(f"{name}/: {len(ms)} entries, not one plain directory header")
    if not t0 <= ms[0].mtime <= t1:
        sys.exit(f"{name}/: mtime {ms[0].mtime} is not the build's clock ({t0}..{t1})")
    d[ms[0].offset + 136:ms[0].offset + 156] = bytes(20)  # mtime, chksum
    return d
if blank_dir_time(raw(a)) != blank_dir_time(raw(b)):
    sys.exit("the layers differ beyond the mtime of the new directory")
PY
	fail "the layer is not the one a full copy makes: $(layer_verbose reuse:2 0)"
# linked files are plain files in the tar (no hardlink entries), both images read back
eq "hardlink entries" "$(layer_verbose reuse:2 0 | grep -c '^h' || true)" 0
cb save -o "$T/both.tar" reuse:1 reuse:2 || fail "saving the old and the new image failed"
cb fsck >/dev/null 2>&1 || fail "fsck found problems after linking"

# SOURCE_DATE_EPOCH clamps times in place: nothing is linked then
echo again >c/d/change
SOURCE_DATE_EPOCH=1700000000 build -t reuse:3 c
s3=$(snap_of reuse:3)
! same_inode "$s2/app/big" "$s3/app/big" || fail "a file was linked under SOURCE_DATE_EPOCH"
eq "clamped mtime" "$(stat -c %Y "$s3/app/big")" 1700000000
eq "the linked file's mtime in the old snapshot" "$(stat -c %Y "$s2/app/big")" \
	"$(stat -c %Y c/d/big)"

# a malformed record is ignored
for f in "$ROOT"/aux/reuse-*; do printf 'cbuild-reuse-v1\nsha256:zz\n' >"$f"; done
echo once-more >c/d/change
build -t reuse:4 c
eq "content after a bad record" "$(cat "$(snap_of reuse:4)/app/change")" once-more
finish
