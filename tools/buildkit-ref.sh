#!/bin/bash
# buildkit-ref.sh [CASE...]
#
# Regenerate what Docker's BuildKit makes for the cases of
# tests/data/buildkit-build (all of them, or the named NNN-name dirs): start a
# private dockerd (its own socket, data and exec roots under a temp dir, no
# iptables, no bridge), import the busybox base made by
# tools/make-busybox-rootfs.sh as busybox:cbref, build every case with
# `docker build` (BuildKit, --no-cache, --network=none), write its
# config.json, files.txt and rootfs.txt, or error.txt, then stop dockerd and
# unmount what it left.  Needs root, dockerd (Debian's docker.io), jq, python3.
# See tests/data/buildkit-build/README.md.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
DATA=$SRC/tests/data/buildkit-build
# shellcheck source=../tests/integration/build-ref-lib.sh
. "$SRC/tests/integration/build-ref-lib.sh"
DOCKER=${DOCKER:-/usr/bin/docker}
DOCKERD=${DOCKERD:-dockerd}

D=$(mktemp -d /tmp/bkref-XXXXXX)
DPID=
stop_dockerd() {
	if [ -n "$DPID" ]; then
		kill "$DPID" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$DPID" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$DPID" 2>/dev/null || true
		DPID=
	fi
	# Whatever dockerd left mounted under its roots, deepest first.
	awk -v d="$D/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$D"
}
trap stop_dockerd EXIT

"$DOCKERD" --host "unix://$D/docker.sock" --data-root "$D/data" --exec-root "$D/exec" \
	--pidfile "$D/dockerd.pid" --iptables=false --bridge=none >"$D/dockerd.log" 2>&1 &
DPID=$!
export DOCKER_HOST=unix://$D/docker.sock DOCKER_BUILDKIT=1
for _ in $(seq 1 100); do
	"$DOCKER" version >/dev/null 2>&1 && break
	kill -0 "$DPID" 2>/dev/null || {
		cat "$D/dockerd.log" >&2
		exit 1
	}
	sleep 0.3
done
"$DOCKER" version >/dev/null

W=$D/work
mkdir -p "$W"

# raw_config IMAGE OUT: the image config blob as dockerd stores it (the bytes
# `docker save` writes as manifest.json's Config), pretty-printed by jq -S.
raw_config() {
	local id
	id=$("$DOCKER" image inspect -f '{{.Id}}' "$1")
	jq -S . "$D/data/image/overlay2/imagedb/content/sha256/${id#sha256:}" >"$2"
}

# layer_files IMAGE: the layer tars of IMAGE, in order, from `docker save`
# (none for an image without layers: docker save refuses those).
layer_files() {
	local s=$W/save
	rm -rf "$s"
	mkdir -p "$s"
	if [ "$(jq '.rootfs.diff_ids // [] | length' "$2")" = 0 ]; then
		return 0
	fi
	"$DOCKER" save "$1" | tar -C "$s" -xf -
	jq -r '.[0].Layers[]' "$s/manifest.json" | sed "s|^|$s/|"
}

# record IMAGE PREFIX CASE_DIR: PREFIXconfig.json, PREFIXfiles.txt,
# PREFIXrootfs.txt, and for the main image shown.txt when the case has `show`.
record() {
	local img=$1 p=$2 c=$3
	local -a layers
	raw_config "$img" "$c/${p}config.json"
	mapfile -t layers < <(layer_files "$img" "$c/${p}config.json")
	bkref_py layers "$BASE_DIFFID" "$EPOCH" ${layers[@]+"${layers[@]}"} >"$c/${p}files.txt"
	bkref_py rootfs "$BASE_DIFFID" "$EPOCH" ${layers[@]+"${layers[@]}"} >"$c/${p}rootfs.txt"
	if [ -z "$p" ] && [ -f "$c/show" ]; then
		bkref_py show "$BASE_DIFFID" "$EPOCH" "$c/show" ${layers[@]+"${layers[@]}"} \
			>"$c/shown.txt"
	fi
}

# build CASE_DIR DOCKERFILE TAG LOG ARGS...: docker build; its exit code
build() {
	local c=$1 df=$2 tag=$3 log=$4 rc=0
	shift 4
	"$DOCKER" build --progress=plain --no-cache --network=none -t "$tag" -f "$c/$df" "$@" \
		"$W/context" >"$log" 2>&1 || rc=$?
	return $rc
}

# error_lines LOG: what docker build printed that is not progress (#N ...)
error_lines() {
	grep -v -e '^#' -e '^[[:space:]]*$' "$1" || true
}

"$SRC/tools/make-busybox-rootfs.sh" "$W/busybox.tar"
"$DOCKER" import "$W/busybox.tar" "$BKREF_BUSYBOX" >/dev/null
raw_config "$BKREF_BUSYBOX" "$DATA/busybox-base.config.json"
BASE_DIFFID=$(jq -r '.rootfs.diff_ids[0]' "$DATA/busybox-base.config.json")
EPOCH=$(date +%s)
bkref_py layers - "$EPOCH" "$W/busybox.tar" >"$DATA/busybox-base.files.txt"

if [ $# = 0 ]; then
	set -- "$DATA"/[0-9][0-9][0-9]-*/
fi
for c in "$@"; do
	c=$(cd "$c" && pwd)
	name=$(basename "$c")
	echo "== $name" >&2
	rm -f "$c"/config.json "$c"/files.txt "$c"/rootfs.txt "$c"/shown.txt "$c"/error.txt \
		"$c"/base.config.json "$c"/base.files.txt "$c"/base.rootfs.txt
	bkref_prepare_context "$c" "$W/context"
	if [ -f "$c/Dockerfile.base" ]; then
		build "$c" Dockerfile.base "$BKREF_BASE_TAG" "$W/base.log" || {
			cat "$W/base.log" >&2
			echo "$name: Dockerfile.base failed" >&2
			exit 1
		}
		record "$BKREF_BASE_TAG" base. "$c"
	fi
	bkref_read_args "$c/args"
	rc=0
	build "$c" Dockerfile "$BKREF_TAG" "$W/build.log" ${BKREF_ARGS[@]+"${BKREF_ARGS[@]}"} || rc=$?
	if [ "$rc" = 0 ]; then
		record "$BKREF_TAG" "" "$c"
	else
		{
			echo "exit $rc"
			error_lines "$W/build.log"
		} >"$c/error.txt"
		sed 's/^/    /' "$c/error.txt" >&2
	fi
	"$DOCKER" rmi -f "$BKREF_TAG" "$BKREF_BASE_TAG" >/dev/null 2>&1 || true
done

"$DOCKER" version --format 'dockerd {{.Server.Version}} (API {{.Server.APIVersion}}, {{.Server.GoVersion}}), containerd {{range .Server.Components}}{{if eq .Name "containerd"}}{{.Version}}{{end}}{{end}}, runc {{range .Server.Components}}{{if eq .Name "runc"}}{{.Version}}{{end}}{{end}}' >&2
"$DOCKER" builder prune -af >/dev/null 2>&1 || true
