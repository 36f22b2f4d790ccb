#!/bin/bash
# `cbuild layer create|apply`: a directory with every entry type becomes a
# layer that standard tools read, applies back to the same tree, and is the
# same bytes every time; SOURCE_DATE_EPOCH clamps mtimes.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (devices, owners)"
for t in tar gzip zstd python3; do
	command -v $t >/dev/null || skip "$t is not installed"
done

# A tree with one of everything.
mkdir -p src/usr/lib src/tmp src/sgid "src/$(printf 'caf\xc3\xa9')"
echo lib >src/usr/lib/libc.so
ln -s usr/lib src/lib
ln -s /usr/lib/libc.so src/abs
echo one >src/hard1
ln src/hard1 src/usr/hard2
mkfifo src/fifo
mknod src/null c 1 3
printf '#!/bin/sh\n' >src/suid && chmod 4755 src/suid
chmod 1777 src/tmp
chmod 2775 src/sgid
echo owned >src/owned && chown 1234:5678 src/owned
long=$(printf 'd%.0s' $(seq 150))
mkdir -p "src/$long/$long" && echo deep >"src/$long/$long/file"
: >src/empty

# Stable mtimes for the comparison below (directories get theirs from apply).
find src -exec touch -h -d @1700000000 {} +

for c in gzip zstd none; do
	expect_rc 0 "$CBUILD" layer create --compression $c -o "layer.$c" src
	read -r digest diffid size <"$T/out"
	[ "$digest" = "sha256:$(sha256sum <"layer.$c" | cut -d' ' -f1)" ] || fail "$c: digest"
	[ "$size" = "$(stat -c %s "layer.$c")" ] || fail "$c: size"
	echo "$diffid" >"diffid.$c"
done
# The same tar whatever the compression, and the standard tools agree.
cmp -s diffid.gzip diffid.zstd && cmp -s diffid.gzip diffid.none || fail "diff IDs differ"
want=$(cut -d: -f2 diffid.none)
[ "$(gzip -dc layer.gzip | sha256sum | cut -d' ' -f1)" = "$want" ] || fail "gzip -d"
[ "$(zstd -dcq layer.zstd | sha256sum | cut -d' ' -f1)" = "$want" ] || fail "zstd -d"
if command -v pigz >/dev/null; then
	[ "$(pigz -dc layer.gzip | sha256sum | cut -d' ' -f1)" = "$want" ] || fail "pigz -d"
fi
tar -tvf layer.none >listing
contains listing "usr/hard2 link to hard1"
contains listing "lib -> usr/lib"
contains listing "1234/5678"
grep -q ' root ' listing && fail "uname/gname written: $(cat listing)"

# Reproducible: the same bytes twice.
expect_rc 0 "$CBUILD" layer create -o again.gzip src
cmp -s layer.gzip again.gzip || fail "two runs gave different layers"

# Apply gives the same tree (names, types, modes, owners, links, devices).
mkdir dst
expect_rc 0 "$CBUILD" layer apply layer.zstd dst
[ "$(cat "$T/out")" = "$(cat diffid.none)" ] || fail "apply diff ID"
(cd src && find . -printf '%p %y %m %U:%G %l %s\n' | sort) >a
(cd dst && find . -printf '%p %y %m %U:%G %l %s\n' | sort) >b
diff a b >d || fail "trees differ: $(cat d)"
[ "$(stat -c %i dst/hard1)" = "$(stat -c %i dst/usr/hard2)" ] || fail "hardlink lost"
[ "$(stat -c %t,%T dst/null)" = "1,3" ] || fail "device numbers"
[ "$(stat -c %Y dst/usr/lib/libc.so)" = 1700000000 ] || fail "mtime"

# SOURCE_DATE_EPOCH clamps every later mtime.
TZ=UTC SOURCE_DATE_EPOCH=86400 "$CBUILD" layer create --compression none -o sde.tar src >/dev/null
TZ=UTC tar --numeric-owner -tvf sde.tar --full-time | grep -v ' 1970-01-02 00:00:00 ' >late || true
[ ! -s late ] || fail "mtimes not clamped: $(head -3 late)"

# An overlay upperdir: whiteout devices and opaque directories.
mkdir -p upper/etc upper/var
mknod upper/etc/gone c 0 0
setfattr -n trusted.overlay.opaque -v y upper/var 2>/dev/null ||
	python3 -c 'import os; os.setxattr("upper/var", "trusted.overlay.opaque", b"y")'
expect_rc 0 "$CBUILD" layer create --overlay --compression none -o upper.tar upper
tar -tf upper.tar >names
contains names "etc/.wh.gone"
contains names "var/.wh..wh..opq"
mkdir snap
expect_rc 0 "$CBUILD" layer apply upper.tar snap
[ "$(stat -c %F snap/etc/gone)" = "character special file" ] || fail "whiteout not in overlay form"

# Usage errors.
expect_rc 2 "$CBUILD" layer
expect_rc 2 "$CBUILD" layer create --compression xz -o x src
contains "$T/err" "unknown compression \`xz\`"
expect_rc 1 "$CBUILD" layer create --compression-level 12 -o x src
contains "$T/err" "gzip compression level 12 out of range 1..9"
echo ok
