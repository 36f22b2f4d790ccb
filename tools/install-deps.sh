#!/bin/sh
# Install every Debian package cbuild's build and test suite need.
# Usage: tools/install-deps.sh [build|gcc-base|test]   (default: test, which
# includes the others; gcc-base is what tools/make-base-images.sh --gcc needs)
# RUNTIME_PKGS are what cbuild runs at run time (build and test install them):
# passt's pasta carries the private network of RUN steps and `cbuild run`.
# Runs as root (or through sudo when available); does nothing when all are present.
set -eu

BUILD_PKGS="gcc make cmake pkg-config libarchive-dev libssl-dev libjansson-dev
  libcurl4-openssl-dev libzstd-dev zlib1g-dev libseccomp-dev libisal-dev libcmocka-dev
  busybox-static musl-tools libpcre2-dev"
TEST_PKGS="clang clang-format libclang-rt-14-dev python3 git docker-registry skopeo umoci apache2-utils openssl curl
  busybox-static hyperfine podman buildah pigz zstd jq attr util-linux runc"
GCC_BASE_PKGS="debootstrap"
RUNTIME_PKGS="passt"

case "${1:-test}" in
build) pkgs="$BUILD_PKGS $RUNTIME_PKGS" ;;
gcc-base) pkgs=$GCC_BASE_PKGS ;;
test) pkgs="$BUILD_PKGS $RUNTIME_PKGS $TEST_PKGS $GCC_BASE_PKGS" ;;
*) echo "usage: $0 [build|gcc-base|test]" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: run as root (missing:$missing)" >&2; exit 1; }
	SUDO=sudo
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
