#!/bin/bash
# examples/Dockerfiles/c-multistage end to end: its compiler base made as
# tools/make-base-images.sh --gcc makes it (tools/make-debian-gcc-rootfs.sh:
# debootstrap of a Debian minbase with gcc, then `cbuild import`), the
# example built (gcc -static in the first stage, the binary copied to
# scratch), the image one layer holding only the binary, with the
# example's Entrypoint and Cmd, and `cbuild run --rm` printing its output;
# a rebuild is all cached.
#
# The rootfs tarball is cached in $CB_TEST_CACHE (default
# /var/cache/cbuild-test), so only the first run debootstraps (about a
# minute).  Without the cache the Debian mirror of this machine's apt
# sources ($DEBIAN_MIRROR overrides it) must answer: when it does not, the
# test is not applicable, with the reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

MAKE_GCC_ROOTFS=$CB_SOURCE_DIR/tools/make-debian-gcc-rootfs.sh
CACHE=${CB_TEST_CACHE:-/var/cache/cbuild-test}
GCC_TAR=$CACHE/debian-gcc-${DEBIAN_SUITE:-bookworm}-$(dpkg --print-architecture 2>/dev/null || uname -m).tar
BASE=cbuild.local/debian-gcc:bookworm

mkdir -p "$CACHE" || fail "cannot make the cache directory $CACHE"
# One debootstrap at a time: concurrent runs wait and then find the tarball.
exec 9>"$CACHE/debian-gcc.lock"
flock 9
if [ ! -s "$GCC_TAR" ]; then
	reason=$(bash "$MAKE_GCC_ROOTFS" --probe 2>&1) ||
		not_applicable_exit "the Debian mirror does not answer, so no compiler base: $reason"
	command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] ||
		skip "debootstrap is not installed (tools/install-deps.sh gcc-base)"
	start=$(date +%s)
	bash "$MAKE_GCC_ROOTFS" "$GCC_TAR" 2>"$T/rootfs.err" ||
		fail "make-debian-gcc-rootfs.sh failed: $(cat "$T/rootfs.err")"
	echo "debootstrap of the compiler base: $(($(date +%s) - start)) s (cached in $GCC_TAR)"
fi
exec 9>&-
cb import "$GCC_TAR" "$BASE" >/dev/null 2>"$T/err" || fail "cbuild import of $GCC_TAR failed: $(cat "$T/err")"
eq "gcc in $BASE" "$(crun "$BASE" sh -c 'command -v gcc')" /usr/bin/gcc

# The example as it is in the tree, built as its comment says.
cp -r "$CB_SOURCE_DIR/examples/Dockerfiles/c-multistage" c
build --progress plain -t c-hello c
eq "layers" "$(layer_count c-hello)" 1
eq "the layer's entries" "$(layer_entries c-hello 0)" hello
eq "Entrypoint" "$(cfg c-hello .Entrypoint)" '["/hello"]'
eq "Cmd" "$(cfg c-hello .Cmd)" '["world"]'
# scratch has no dynamic loader: the binary runs only when it is static
arch=$(uname -m)
eq "cbuild run --rm c-hello" "$(crun c-hello)" \
	"hello, world, from a static C binary on scratch ($arch)"
eq "cbuild run --rm c-hello you" "$(crun c-hello you)" \
	"hello, you, from a static C binary on scratch ($arch)"

# The same build again: every step from the cache, the same image.
id=$(insp c-hello .Id)
build --progress plain -t c-hello c
eq "the compile step, built again" \
	"$(step_status 'RUN gcc -static -O2 -Wall -Wextra -o hello hello.c && strip hello')" CACHED
eq "the image ID, built again" "$(insp c-hello .Id)" "$id"
finish
