#!/bin/sh
# Make the local base images the examples start FROM (no network needed):
#   cbuild.local/busybox:latest   Debian's busybox-static as a tiny rootfs
# Usage: tools/make-base-images.sh [CBUILD]   (CBUILD default: build/cli/cbuild)
# The store is cbuild's default one ($CBUILD_ROOT, else /var/lib/cbuild).
set -eu
cd "$(dirname "$0")/.."
cbuild=${1:-build/cli/cbuild}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tools/make-busybox-rootfs.sh "$tmp/busybox.tar"
"$cbuild" import "$tmp/busybox.tar" cbuild.local/busybox:latest >/dev/null
echo "made cbuild.local/busybox:latest"
