#!/bin/bash
# Issue 11, finding 11: an opaque whiteout at the root of a layer
# (`./.wh..wh..opq`) hides all lower content, as the image-spec says for
# any directory; it used to be ignored at the root.  An image of three
# layers, made by umoci: layer 1 a rootfs plus /old and /etc/lower; layer 2
# the root opaque marker, a rootfs again and /new; layer 3 /top.  `cbuild
# run` sees /new and /top but not /old or /etc/lower; as root and rootless.
# And the layer diff writes the marker back out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
command -v umoci >/dev/null || skip "umoci is not installed"
kernel_fs overlay || not_applicable_exit "image runs (overlay): $WHY"
chmod 755 "$T"

w=$T/imgwork
mkdir -p "$w"
make_rootfs "$w/l1"
mkdir "$w/l1/old"
echo old >"$w/l1/old/file"
echo lower >"$w/l1/etc/lower"
make_rootfs "$w/l2"
: >"$w/l2/.wh..wh..opq"
echo new >"$w/l2/new"
mkdir -p "$w/l3"
echo top >"$w/l3/top"
for l in l1 l2 l3; do
	tar --numeric-owner -C "$w/$l" -cf "$w/$l.tar" .
done
tar -tf "$w/l2.tar" | grep -qx './.wh..wh..opq' || fail "layer 2 lacks the root opaque marker"
umoci init --layout "$w/oci"
umoci new --image "$w/oci:img"
for l in l1 l2 l3; do
	umoci raw add-layer --image "$w/oci:img" "$w/$l.tar"
done
tar -C "$w/oci" -cf "$T/img.tar" .
chmod 644 "$T/img.tar"

check() { # STORE RUNNER...
	local s=$1
	shift
	"$@" "$CBUILD" load --root "$s" -i "$T/img.tar" >"$T/out" 2>"$T/err" ||
		fail "load: $(cat "$T/err")"
	"$@" "$CBUILD" run --root "$s" img sh -c 'cat /new /top; ls / /etc' >"$T/out" 2>"$T/err" ||
		fail "run: $(cat "$T/err")"
	grep -qx new "$T/out" && grep -qx top "$T/out" || fail "upper content missing: $(cat "$T/out")"
	! grep -qx old "$T/out" || fail "/old shows through the root opaque whiteout: $(cat "$T/out")"
	! grep -qx lower "$T/out" || fail "/etc/lower shows through: $(cat "$T/out")"
}
check "$T/rootstore" env

# The layer diff keeps the marker: layer 2 applied in overlay form (the
# root carries the opaque xattr) and written again as a layer starts with
# `.wh..wh..opq`, so the round trip still hides the lower layers.
mkdir "$T/applied"
expect_rc 0 "$CBUILD" layer apply "$w/l2.tar" "$T/applied"
expect_rc 0 "$CBUILD" layer create --compression none --overlay -o "$T/again.tar" "$T/applied"
[ "$(tar -tf "$T/again.tar" | head -n 1)" = .wh..wh..opq ] ||
	fail "the root opaque marker is lost in the layer diff: $(tar -tf "$T/again.tar" | head -n 5)"
if kernel_userns unprivileged; then
	mkdir "$T/ustore"
	chown 1000:1000 "$T/ustore"
	check "$T/ustore" as_user1000
else
	not_applicable "rootless root opaque whiteout: $WHY"
fi
finish
