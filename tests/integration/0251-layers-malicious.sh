#!/bin/bash
# Hostile layers, applied with `cbuild layer apply` and imported with
# `cbuild import`: each is refused with a clear error, a sentinel outside
# the root stays untouched, and the store stays clean under fsck.  Device
# nodes are refused to root in a user namespace (unshare -r).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed"
export CBUILD_ROOT="$T/store"

mkdir outside
echo precious >outside/sentinel
sentinel_ok() {
	[ "$(cat outside/sentinel)" = precious ] || fail "$1: the sentinel changed"
	[ "$(ls outside)" = sentinel ] || fail "$1: something appeared outside: $(ls outside)"
}

# mk NAME SPEC...: a tar where SPEC is f:NAME:DATA, d:NAME, s:NAME:TARGET,
# h:NAME:TARGET, c:NAME (char device 1,3), big:NAME (1 TiB declared, no data).
mk() {
	python3 - "$@" <<'EOF'
import io, sys, tarfile
out = sys.argv[1]
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT)
for spec in sys.argv[2:]:
    kind, name, *rest = spec.split(":", 2)
    arg = rest[0] if rest else ""
    i = tarfile.TarInfo(name)
    i.mtime = 1700000000
    if kind == "f":
        i.size = len(arg)
        t.addfile(i, io.BytesIO(arg.encode()))
        continue
    if kind == "d":
        i.type, i.mode = tarfile.DIRTYPE, 0o755
    elif kind == "s":
        i.type, i.linkname = tarfile.SYMTYPE, arg
    elif kind == "h":
        i.type, i.linkname = tarfile.LNKTYPE, arg
    elif kind == "c":
        i.type, i.devmajor, i.devminor, i.mode = tarfile.CHRTYPE, 1, 3, 0o666
    elif kind == "big":
        i.size = 1 << 40
        buf.write(i.tobuf(tarfile.GNU_FORMAT))
        continue
    t.addfile(i)
t.close()
open(out, "wb").write(buf.getvalue())
EOF
}

# refused NAME WANT TAR-SPEC...: apply must fail with WANT in the message.
refused() {
	local case=$1 msg=$2 rc
	shift 2
	mk "$case.tar" "$@"
	rm -rf root && mkdir root
	expect_rc 1 "$CBUILD" layer apply "$case.tar" root
	contains "$T/err" "$msg"
	sentinel_ok "$case"
	# The same tar as a rootfs for import: refused too when its names are
	# bad.  (Import does not follow links; a tar that is only hostile when
	# its links are followed imports, and is refused when a snapshot of it
	# is extracted, which goes through the same apply.)
	if [ "${IMPORT:-1}" = 1 ]; then
		set +e
		"$CBUILD" import "$case.tar" "bad/$case:1" >"$T/out" 2>"$T/err"
		rc=$?
		set -e
		[ "$rc" = 1 ] || [ "${IMPORT_OK:-}" = "$case" ] || fail "import of $case: rc $rc"
		sentinel_ok "import $case"
	fi
}

refused dotdot "entry \`../outside/sentinel\`: \`..\` is not allowed in names" \
	"f:../outside/sentinel:pwned"
refused absolute "absolute names are not allowed" "f:$T/outside/sentinel:pwned"
IMPORT_OK=symlink-write refused symlink-write "\`evil\`: a symlink on the way points outside the root" \
	"s:evil:../outside" "f:evil/sentinel:pwned"
IMPORT_OK=symlink-nested refused symlink-nested "points outside the root" \
	"d:a" "s:a/b:../../outside" "f:a/b/x:pwned"
refused hardlink-host "hardlink target: entry \`../outside/sentinel\`" \
	"h:passwd:../outside/sentinel"
refused hardlink-abs "hardlink target: entry \`/etc/shadow\`: absolute names are not allowed" \
	"h:shadow:/etc/shadow"
IMPORT_OK=symlink-loop refused symlink-loop "symlink chain through" \
	"s:a:b" "s:b:a" "f:a/x:loop"
chain=()
for i in $(seq 0 59); do chain+=("s:l$i:l$((i + 1))"); done
IMPORT_OK=symlink-chain refused symlink-chain "Too many levels of symbolic links" \
	"${chain[@]}" "s:l60:../outside" "f:l0/sentinel:pwned"
IMPORT=0 refused huge-size "declared size 1099511627776 exceeds the layer limit" "big:big"

# Entry count and size limits.
mk many.tar $(for i in $(seq 20); do echo "f:e$i:"; done)
rm -rf root && mkdir root
expect_rc 1 "$CBUILD" layer apply --max-entries 10 many.tar root
contains "$T/err" "layer has more than 10 entries"
head -c 20000000 /dev/zero >zeros
mkdir bomb && mv zeros bomb/
"$CBUILD" layer create -o bomb.tgz bomb >/dev/null
[ "$(stat -c %s bomb.tgz)" -lt 200000 ] || fail "the bomb is not small"
rm -rf root && mkdir root
expect_rc 1 "$CBUILD" layer apply --max-bytes 1000000 bomb.tgz root
contains "$T/err" "exceeds the layer limit"

# Device nodes: fine for root, refused to root in a user namespace.
mk dev.tar "d:dev" "c:dev/null"
if [ "$(id -u)" = 0 ]; then
	rm -rf root && mkdir root
	expect_rc 0 "$CBUILD" layer apply dev.tar root
	[ -c root/dev/null ] || fail "root: no device"
fi
if kernel_userns "$([ "$(id -u)" = 0 ] || echo unprivileged)"; then
	command -v unshare >/dev/null || skip "unshare (util-linux) is missing"
	rm -rf root && mkdir root
	expect_rc 1 unshare -r "$CBUILD" layer apply dev.tar root
	contains "$T/err" "entry \`dev/null\`: refusing to create a character device without root"
	[ ! -e root/dev/null ] || fail "userns: device created"
	# Legitimate layers still extract there.
	mk ok.tar "d:usr" "d:usr/lib" "s:lib:usr/lib" "f:lib/libc.so:x"
	rm -rf root && mkdir root
	expect_rc 0 unshare -r "$CBUILD" layer apply ok.tar root
	[ -f root/usr/lib/libc.so ] || fail "userns: lib -> usr/lib broke"
	# Whiteouts in overlay form need no privilege: a 0/0 device (the kernel
	# allows that one) and user.overlay.opaque (for overlay's userxattr).
	mk wh.tar "d:etc" "f:etc/.wh.gone:" "d:var" "f:var/.wh..wh..opq:"
	rm -rf root && mkdir root
	expect_rc 0 unshare -r "$CBUILD" layer apply wh.tar root
	[ "$(stat -c %t,%T root/etc/gone)" = "0,0" ] || fail "userns: whiteout"
	python3 -c 'import os,sys; sys.exit(os.getxattr("root/var", "user.overlay.opaque") != b"y")' ||
		fail "userns: opaque directory"
else
	not_applicable "layers applied by root in a user namespace: $WHY"
fi

# The store saw only refused imports: nothing tagged, fsck clean.
expect_rc 0 "$CBUILD" fsck
expect_rc 0 "$CBUILD" images --format json
sentinel_ok end
echo ok
