#!/bin/bash
# Issue 11, finding 6: `import` of a 1.5 KB tarball whose header claims
# 1 TiB wrote zeros for the claimed size before noticing the tarball was
# short, where `layer apply` refuses the same header at once.  Now import
# checks each header against apply's limits (64 GiB in all, 10 million
# entries) before writing anything of it, and a tarball that ends early
# (a claim under the limit) fails at once: the unfinished layer is dropped,
# not padded to the claimed size.
. "$(dirname "$0")/lib.sh"
S=$T/store

# big.tar: `big`, a pax size of 1 TiB, 1 KiB of data, no end.
# short.tar: the same with a claim of 60 GiB (under the limit).
python3 - "$T" <<'PY'
import sys, tarfile
for name, size in (("big.tar", 1 << 40), ("short.tar", 60 << 30)):
    ti = tarfile.TarInfo("big")
    ti.size = size
    open(sys.argv[1] + "/" + name, "wb").write(ti.tobuf(format=tarfile.PAX_FORMAT) + b"x" * 1024)
PY
[ "$(stat -c %s "$T/big.tar")" -lt 4096 ] || fail "big.tar is not small"

# timed RC MAX_MS CMD...: expect_rc, and no slower than MAX_MS (a timeout
# kills the old behaviour, which writes the claimed size)
timed() {
	local want=$1 max=$2 start ms
	shift 2
	start=$(date +%s%N)
	expect_rc "$want" timeout 60 "$@"
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -lt "$max" ] || fail "'$*' took $ms ms"
}

timed 1 5000 "$CBUILD" import --root "$S" "$T/big.tar" big
contains "$T/err" "entry \`big\`: declared size 1099511627776 exceeds the layer limit of 68719476736 bytes"
# layer apply says the same of the same header
mkdir "$T/dir"
timed 1 5000 "$CBUILD" layer apply "$T/big.tar" "$T/dir"
contains "$T/err" "declared size 1099511627776 exceeds the layer limit of 68719476736 bytes"
# from stdin too
timed 1 5000 sh -c '"$1" import --root "$2" - big <"$3"' sh "$CBUILD" "$S" "$T/big.tar"
contains "$T/err" "declared size 1099511627776 exceeds the layer limit"

# a claim under the limit, and the tarball ends: refused at once
timed 1 5000 "$CBUILD" import --root "$S" "$T/short.tar" short
contains "$T/err" "Truncated tar archive"

# nothing was stored, and the store is still fine
expect_rc 0 "$CBUILD" images --root "$S"
grep -Eq '^(big|short) ' "$T/out" && fail "an image was stored: $(cat "$T/out")"
expect_rc 0 "$CBUILD" fsck --root "$S"
# a good tarball still imports
mkdir -p "$T/rootfs/etc" && echo hi >"$T/rootfs/etc/hello"
tar -C "$T/rootfs" -cf "$T/good.tar" .
expect_rc 0 "$CBUILD" import --root "$S" "$T/good.tar" good
expect_rc 0 "$CBUILD" images --root "$S"
contains "$T/out" good
