#!/bin/bash
# -o type=oci names the image as BuildKit's OCI exporter does (containerd's
# archive exporter, addNameAnnotation): io.containerd.image.name is the
# full name, org.opencontainers.image.ref.name only the tag ("OCI suggests
# the reference name as only a tag excluding the repository",
# ociReferenceName), so `umoci unpack --image DIR:TAG` and
# `skopeo ... oci-archive:F:TAG` find it by its tag.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"
command -v skopeo >/dev/null || skip "skopeo is not installed"

ctx c
printf 'FROM busybox:test\nRUN echo r > /r\n' >c/Dockerfile
build -t registry.example.com/team/app:v1.2 -o type=oci,dest="$T/o.tar" c
mkdir "$T/oci"
tar -C "$T/oci" -xf "$T/o.tar"
eq "manifests in index.json" "$(jq '.manifests | length' "$T/oci/index.json")" 1
eq "io.containerd.image.name" \
	"$(jq -r '.manifests[0].annotations["io.containerd.image.name"]' "$T/oci/index.json")" \
	registry.example.com/team/app:v1.2
eq "org.opencontainers.image.ref.name" \
	"$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$T/oci/index.json")" \
	v1.2
skopeo inspect oci-archive:"$T/o.tar":v1.2 >"$T/skopeo.json" ||
	fail "skopeo does not find the image by its tag v1.2"
eq "config digest" "$(skopeo inspect --raw oci-archive:"$T/o.tar":v1.2 | jq -r .config.digest)" \
	"$(insp registry.example.com/team/app:v1.2 .Id)"
finish
