#!/bin/bash
# Our archives read by the ecosystem's tools (skopeo inspect, umoci unpack,
# podman load + podman image inspect), and theirs read by us (cbuild load
# of oci-archive and docker-archive files written by skopeo copy and by
# buildah push).  Images are made locally; no network.
. "$(dirname "$0")/lib.sh"

for t in skopeo umoci podman buildah busybox jq; do
	command -v $t >/dev/null || skip "$t is not installed"
done
[ "$(id -u)" = 0 ] || skip "podman and buildah with private storage need root here"
export CBUILD_ROOT="$T/store"
export SOURCE_DATE_EPOCH=1700000000 # the same config (image ID) from both imports
# Private, throwaway storage for podman and buildah (vfs: no mounts needed).
ST=(--root "$T/cs" --runroot "$T/csr" --storage-driver vfs)
export REGISTRIES_CONFIG_PATH="$T/registries.conf"
printf 'unqualified-search-registries = []\n' >"$REGISTRIES_CONFIG_PATH"

mkdir -p rootfs/bin rootfs/etc
cp "$(command -v busybox)" rootfs/bin/busybox
ln -s busybox rootfs/bin/sh
echo "made by cbuild" >rootfs/etc/motd
tar -C rootfs -cf rootfs.tar .

expect_rc 0 "$CBUILD" import rootfs.tar test/app:1
id=$(cat "$T/out")
expect_rc 0 "$CBUILD" import --compression zstd rootfs.tar test/app:zstd
idz=$(cat "$T/out")
[ "$id" = "$idz" ] || fail "the config depends on the layer compression"

# --- ours, read by them ---------------------------------------------------
expect_rc 0 "$CBUILD" save -o oci.tar test/app:1
expect_rc 0 "$CBUILD" save --format docker -o docker.tar test/app:1
expect_rc 0 "$CBUILD" save -o zstd.tar test/app:zstd

expect_rc 0 skopeo inspect oci-archive:oci.tar
[ "$(jq -r .Os "$T/out")" = linux ] || fail "skopeo: Os"
expect_rc 0 skopeo inspect --config oci-archive:oci.tar:docker.io/test/app:1
[ "$(jq -r '.rootfs.diff_ids | length' "$T/out")" = 1 ] || fail "skopeo: config by ref.name"
expect_rc 0 skopeo inspect --raw oci-archive:zstd.tar
contains "$T/out" "application/vnd.oci.image.layer.v1.tar+zstd"
expect_rc 0 skopeo inspect docker-archive:docker.tar

mkdir layout
tar -C layout -xf oci.tar
expect_rc 0 umoci unpack --image layout:docker.io/test/app:1 bundle
cmp -s bundle/rootfs/bin/busybox rootfs/bin/busybox || fail "umoci: busybox differs"
[ "$(readlink bundle/rootfs/bin/sh)" = busybox ] || fail "umoci: symlink"
[ "$(cat bundle/rootfs/etc/motd)" = "made by cbuild" ] || fail "umoci: motd"

expect_rc 0 podman "${ST[@]}" load -i oci.tar
contains "$T/out" "Loaded image: docker.io/test/app:1"
expect_rc 0 podman "${ST[@]}" image inspect docker.io/test/app:1
[ "sha256:$(jq -r '.[0].Id' "$T/out")" = "$id" ] || fail "podman: image ID $(jq -r '.[0].Id' "$T/out")"
[ "$(jq -r '.[0].Os' "$T/out")" = linux ] || fail "podman: Os"
expect_rc 0 podman "${ST[@]}" load -i docker.tar
expect_rc 0 podman "${ST[@]}" load -i zstd.tar
expect_rc 0 podman "${ST[@]}" image inspect docker.io/test/app:zstd
[ "sha256:$(jq -r '.[0].Id' "$T/out")" = "$id" ] || fail "podman zstd: image ID"
# Two images in one archive: skopeo picks each by its ref.name; podman
# loads several from a docker-archive (its OCI loader takes one image only).
expect_rc 0 "$CBUILD" save -o two.tar test/app:1 test/app:zstd
expect_rc 0 skopeo inspect --raw oci-archive:two.tar:docker.io/test/app:zstd
contains "$T/out" "tar+zstd"
expect_rc 0 skopeo inspect --raw oci-archive:two.tar:docker.io/test/app:1
contains "$T/out" "tar+gzip"
expect_rc 0 "$CBUILD" save --format docker -o two-docker.tar test/app:1 test/app:zstd
expect_rc 0 podman "${ST[@]}" load -i two-docker.tar
contains "$T/out" "test/app:1"
contains "$T/out" "test/app:zstd"

# --- theirs, read by us ----------------------------------------------------
expect_rc 0 skopeo copy oci-archive:oci.tar docker-archive:sk-docker.tar:sk/docker:1
expect_rc 0 skopeo copy oci-archive:oci.tar oci-archive:sk-oci.tar:localhost/sk/oci:1
expect_rc 0 "$CBUILD" load -i sk-docker.tar
contains "$T/out" "Loaded image: docker.io/sk/docker:1"
expect_rc 0 "$CBUILD" load -i sk-oci.tar
contains "$T/out" "Loaded image: localhost/sk/oci:1"
expect_rc 0 "$CBUILD" inspect sk/docker:1
contains "$T/out" "${id#sha256:}"

ctr=$(buildah "${ST[@]}" from scratch)
buildah "${ST[@]}" copy "$ctr" rootfs/ / >/dev/null
buildah "${ST[@]}" config --cmd /bin/sh --env A=1 "$ctr"
buildah "${ST[@]}" commit -q "$ctr" localhost/bh:1 >/dev/null
bid=$(buildah "${ST[@]}" images --no-trunc --format '{{.ID}}' localhost/bh:1)
expect_rc 0 buildah "${ST[@]}" push -q localhost/bh:1 oci-archive:bh-oci.tar:localhost/bh:1
expect_rc 0 buildah "${ST[@]}" push -q localhost/bh:1 docker-archive:bh-docker.tar:localhost/bh:2
expect_rc 0 "$CBUILD" load -i bh-oci.tar
contains "$T/out" "Loaded image: localhost/bh:1"
expect_rc 0 "$CBUILD" load -i bh-docker.tar
contains "$T/out" "Loaded image: localhost/bh:2"
expect_rc 0 "$CBUILD" inspect localhost/bh:1
contains "$T/out" "\"A=1\""
expect_rc 0 "$CBUILD" images --format json
contains "$T/out" "localhost/bh"
# A compressed archive (gzip of a docker-archive) loads too.
gzip -c bh-docker.tar >bh-docker.tar.gz
expect_rc 0 "$CBUILD" load -i bh-docker.tar.gz
expect_rc 0 "$CBUILD" fsck
[ -n "$bid" ] || fail "buildah: no image ID"
echo ok
