#!/bin/bash
# -o/--output (repeatable, beside the tag in the store): type=oci (read
# back with skopeo and unpacked with umoci), type=docker (docker save's
# layout: manifest.json, uncompressed layers named by diff ID), type=local
# (the final rootfs, whiteouts applied), type=tar (the same as a tar), and
# dest=- (standard output, the progress staying on stderr).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"
command -v skopeo >/dev/null || skip "skopeo is not installed"
command -v umoci >/dev/null || skip "umoci is not installed"

ctx c
echo a >c/a
cat >c/Dockerfile <<'EOF'
FROM busybox:test
COPY a /a
RUN echo r > /r && rm /etc/group && ln -s a /link-to-a
CMD ["cat", "/a"]
EOF
build -t out:x -o type=oci,dest="$T/o.tar" -o type=docker,dest="$T/d.tar" \
	-o type=local,dest="$T/ldir" -o "type=tar,dest=$T/t.tar" c
id=$(insp out:x .Id)
digest=$(insp out:x .Digest)
difids=$(insp out:x '.RootFS.Layers | join(" ")')

# type=oci: the store's image with its layers gzipped, as BuildKit's OCI
# exporter writes them (the store keeps a build's layers as snapshots): the
# same config, and the same manifest digest as any later OCI save of it.
skopeo inspect oci-archive:"$T/o.tar" >"$T/skopeo.json" || fail "skopeo cannot read the OCI archive"
cb save --format oci -o "$T/o2.tar" out:x || fail "cbuild save --format oci failed"
eq "OCI manifest digest of a later save" \
	"$(skopeo inspect oci-archive:"$T/o2.tar" | jq -r .Digest)" "$(jq -r .Digest "$T/skopeo.json")"
[ "$(jq -r .Digest "$T/skopeo.json")" != "$digest" ] ||
	fail "the OCI archive has the store's uncompressed manifest"
eq "OCI config digest" "$(skopeo inspect --raw oci-archive:"$T/o.tar" | jq -r .config.digest)" "$id"
eq "OCI layer media types" \
	"$(skopeo inspect --raw oci-archive:"$T/o.tar" | jq -r '.layers[].mediaType' | sort -u)" \
	application/vnd.oci.image.layer.v1.tar+gzip
eq "OCI layers" "$(jq -r '.Layers | length' "$T/skopeo.json")" 3
skopeo inspect --config oci-archive:"$T/o.tar" >"$T/skopeo-config.json"
eq "OCI config Cmd" "$(jq -c .config.Cmd "$T/skopeo-config.json")" '["cat","/a"]'
eq "OCI config diff_ids" "$(jq -r '.rootfs.diff_ids | join(" ")' "$T/skopeo-config.json")" "$difids"
mkdir "$T/oci"
tar -C "$T/oci" -xf "$T/o.tar"
ref=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$T/oci/index.json")
[ -n "$ref" ] && [ "$ref" != null ] || fail "no ref.name in the OCI index: $(cat "$T/oci/index.json")"
umoci unpack --image "$T/oci:$ref" "$T/bundle" >/dev/null 2>&1 || fail "umoci cannot unpack the OCI output"
eq "umoci: /a" "$(cat "$T/bundle/rootfs/a")" a
eq "umoci: /r" "$(cat "$T/bundle/rootfs/r")" r
[ ! -e "$T/bundle/rootfs/etc/group" ] || fail "umoci: /etc/group is back"
[ -f "$T/bundle/rootfs/etc/passwd" ] || fail "umoci: /etc/passwd is gone"

# type=docker: docker save's layout.
mkdir "$T/docker"
tar -C "$T/docker" -xf "$T/d.tar"
eq "docker Config" "$(jq -r '.[0].Config' "$T/docker/manifest.json")" "${id#sha256:}.json"
eq "docker RepoTags" "$(jq -c '.[0].RepoTags' "$T/docker/manifest.json")" '["out:x"]'
got=
for l in $(jq -r '.[0].Layers[]' "$T/docker/manifest.json"); do
	got="$got sha256:$(sha256sum <"$T/docker/$l" | cut -d' ' -f1)"
done
eq "docker layers (their sha256 = the diff IDs)" "${got# }" "$difids"
eq "docker config" "$(sha256sum <"$T/docker/${id#sha256:}.json" | cut -d' ' -f1)" "${id#sha256:}"
skopeo inspect --config docker-archive:"$T/d.tar" >"$T/skopeo-docker.json" ||
	fail "skopeo cannot read the docker archive"
eq "docker config Cmd (skopeo)" "$(jq -c .config.Cmd "$T/skopeo-docker.json")" '["cat","/a"]'

# type=local: the final rootfs.
eq "local: /a" "$(cat "$T/ldir/a")" a
eq "local: /r" "$(cat "$T/ldir/r")" r
eq "local: /link-to-a" "$(readlink "$T/ldir/link-to-a")" a
eq "local: /bin/sh" "$(readlink "$T/ldir/bin/sh")" busybox
[ -x "$T/ldir/bin/busybox" ] || fail "local: no /bin/busybox"
[ ! -e "$T/ldir/etc/group" ] || fail "local: /etc/group is back"
[ -z "$(find "$T/ldir" -name '.wh.*')" ] || fail "local: whiteout files: $(find "$T/ldir" -name '.wh.*')"
eq "local: /tmp mode" "$(stat -c %a "$T/ldir/tmp")" 1777

# type=tar: the same rootfs as a tar.
tar -tf "$T/t.tar" | sed -e 's|^\./||' -e 's|/$||' | LC_ALL=C sort >"$T/t.list"
(cd "$T/ldir" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort) >"$T/l.list"
diff -u "$T/l.list" "$T/t.list" || fail "type=tar and type=local hold other files"
eq "tar: /a" "$(tar -xOf "$T/t.tar" a 2>/dev/null || tar -xOf "$T/t.tar" ./a)" a

# dest=-: standard output.
cb build --progress plain -o type=tar,dest=- c >"$T/stdout.tar" 2>"$T/err" ||
	fail "-o type=tar,dest=- failed: $(cat "$T/err")"
tar -tf "$T/stdout.tar" | sed -e 's|^\./||' -e 's|/$||' | LC_ALL=C sort >"$T/s.list"
diff -u "$T/l.list" "$T/s.list" || fail "type=tar,dest=- differs from type=local"
in_file "$T/err" "COPY a /a"
cb build -q -o type=oci,dest=- -t out:stdout c >"$T/stdout-oci.tar" 2>"$T/err" ||
	fail "-o type=oci,dest=- failed: $(cat "$T/err")"
skopeo inspect oci-archive:"$T/stdout-oci.tar" >"$T/skopeo.json" ||
	fail "skopeo cannot read the OCI archive written to stdout"
eq "OCI on stdout" "$(skopeo inspect --raw oci-archive:"$T/stdout-oci.tar" | jq -r .config.digest)" \
	"$(insp out:stdout .Id)"
finish
