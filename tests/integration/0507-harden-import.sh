#!/bin/bash
# Issue 11, finding 6: `import` of a 1.5 KB tarball whose header claims
# 1 TiB wrote zeros for the claimed size before noticing the tarball was
# short, where `layer apply` refuses the same header at once.  Now import
# checks each header against apply's limits (64 GiB in all, 10 million
# entries) before writing anything of it, and a tarball that ends early
# (a claim under the limit) fails at once: the unfinished layer is dropped,
# not padded to the claimed size.  As root and as an ordinary user.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
chmod 755 "$T"

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
mkdir -p "$T/rootfs/etc" && echo hi >"$T/rootfs/etc/hello"
tar -C "$T/rootfs" -cf "$T/good.tar" .
chmod 644 "$T"/*.tar

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

# check STORE CBUILD-COMMAND...
check() {
	local S=$1
	shift
	local who=("$@")
	timed 1 5000 "${who[@]}" import --root "$S" "$T/big.tar" big
	contains "$T/err" "entry \`big\`: declared size 1099511627776 exceeds the layer limit of 68719476736 bytes"
	# layer apply says the same of the same header
	rm -rf "$T/dir" && mkdir "$T/dir" && chmod 777 "$T/dir"
	timed 1 5000 "${who[@]}" layer apply "$T/big.tar" "$T/dir"
	contains "$T/err" "declared size 1099511627776 exceeds the layer limit of 68719476736 bytes"
	# from stdin too
	timed 1 5000 sh -c 'f=$1 s=$2; shift 2; exec "$@" import --root "$s" - big <"$f"' \
		sh "$T/big.tar" "$S" "${who[@]}"
	contains "$T/err" "declared size 1099511627776 exceeds the layer limit"

	# a claim under the limit, and the tarball ends: refused at once
	timed 1 5000 "${who[@]}" import --root "$S" "$T/short.tar" short
	contains "$T/err" "Truncated tar archive"

	# nothing was stored, and the store is still fine
	expect_rc 0 "${who[@]}" images --root "$S"
	grep -Eq '^(big|short) ' "$T/out" && fail "an image was stored: $(cat "$T/out")"
	expect_rc 0 "${who[@]}" fsck --root "$S"
	# a good tarball still imports
	expect_rc 0 "${who[@]}" import --root "$S" "$T/good.tar" good
	expect_rc 0 "${who[@]}" images --root "$S"
	contains "$T/out" good
}

check "$T/store" "$CBUILD"
mkdir "$T/user" && chown 1000:1000 "$T/user"
check "$T/user/store" setpriv --reuid 1000 --regid 1000 --clear-groups "$CBUILD"
