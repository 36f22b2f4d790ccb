#!/bin/sh
# Make the local base images the examples start FROM:
#   cbuild.local/busybox:latest        Debian's busybox-static as a tiny rootfs
#                                      (no network needed, under a second)
#   cbuild.local/debian-gcc:bookworm   with --gcc only: Debian minbase with gcc
#                                      and libc6-dev, for the examples that
#                                      compile (c-multistage); debootstrap from
#                                      this machine's Debian mirror, about a
#                                      minute, so it is made only when the
#                                      store lacks it (tools/make-debian-gcc-rootfs.sh)
# Usage: tools/make-base-images.sh [--gcc] [CBUILD]   (CBUILD default: build/cli/cbuild)
# The store is cbuild's default one ($CBUILD_ROOT, else /var/lib/cbuild).
set -eu
cd "$(dirname "$0")/.."
gcc=no
if [ "${1:-}" = --gcc ]; then
	gcc=yes
	shift
fi
cbuild=${1:-build/cli/cbuild}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tools/make-busybox-rootfs.sh "$tmp/busybox.tar"
"$cbuild" import "$tmp/busybox.tar" cbuild.local/busybox:latest >/dev/null
echo "made cbuild.local/busybox:latest"

[ "$gcc" = yes ] || exit 0
gcc_image=cbuild.local/debian-gcc:bookworm
if "$cbuild" inspect "$gcc_image" >/dev/null 2>&1; then
	echo "$gcc_image is in the store already"
	exit 0
fi
tools/install-deps.sh gcc-base
tools/make-debian-gcc-rootfs.sh "$tmp/debian-gcc.tar"
"$cbuild" import "$tmp/debian-gcc.tar" "$gcc_image" >/dev/null
echo "made $gcc_image"
