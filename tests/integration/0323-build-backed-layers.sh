#!/bin/bash
# A build step's layer lives in the store as its snapshot alone
# (layerstore/backed.c): no blob is written when the step commits, the
# manifest names the uncompressed tar by its diff ID, and reading the blob
# (save, export, fsck) writes that tar again from the snapshot and checks
# it.  A snapshot that no longer makes its digest is an error, never wrong
# bytes; prune keeps snapshot and record while an image names them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

# `cbuild import` (build-lib.sh's busybox:test) made the base's snapshot at once
eq "snapshots after import" "$(ls "$ROOT/snapshots" | wc -l)" 1
eq "the imported layer's snapshot" "$(ls "$ROOT/snapshots")" \
	"$(cb inspect busybox:test | jq -r '.[0].RootFS.Layers[0]' | sed 's/^sha256://')"

ctx c
mkdir c/dir
echo one >c/dir/a
printf 'two\n' >c/dir/b
ln -s a c/dir/link
cat >c/Dockerfile <<'EOF'
FROM busybox:test
COPY dir /data
RUN echo made > /made && rm /bin/true
EOF
build -t backed:x c

# no layer blob was written for the two steps: two records instead
eq "layer records" "$(ls "$ROOT/layers" | wc -l)" 2
m=$(cb inspect backed:x | jq -r '.[0].Id')
mfst=$(jq -r '.tags | to_entries[] | select(.key | endswith("backed:x")) | .value' "$ROOT/tags.json")
mjson=$ROOT/blobs/sha256/${mfst#sha256:}
eq "media type of the built layers" \
	"$(jq -r '.layers[1:][] | .mediaType' "$mjson" | sort -u)" \
	"application/vnd.oci.image.layer.v1.tar"
eq "layer digests are the diff IDs" \
	"$(jq -r '.layers[1:][] | .digest' "$mjson")" \
	"$(cb inspect backed:x | jq -r '.[0].RootFS.Layers[1:][]')"
for d in $(jq -r '.layers[1:][] | .digest' "$mjson"); do
	[ ! -e "$ROOT/blobs/sha256/${d#sha256:}" ] || fail "layer $d was written as a blob"
	[ -f "$ROOT/layers/${d#sha256:}" ] || fail "layer $d has no record"
done

# the bytes read back are the tar the digest names, with its sizes
cb save --format oci -o "$T/oci.tar" backed:x || fail "save --format oci failed"
mkdir "$T/oci" && tar -C "$T/oci" -xf "$T/oci.tar"
om=$(jq -r '.manifests[0].digest' "$T/oci/index.json")
jq -r '.layers[] | "\(.digest) \(.size)"' "$T/oci/blobs/sha256/${om#sha256:}" |
	while read -r d size; do
		f=$T/oci/blobs/sha256/${d#sha256:}
		eq "digest of the saved $d" "sha256:$(sha256sum "$f" | cut -d' ' -f1)" "$d"
		eq "size of the saved $d" "$(stat -c %s "$f")" "$size"
	done
# an OCI archive carries them gzipped (as BuildKit's OCI exporter), made once: same bytes again
eq "media types in the OCI archive" \
	"$(jq -r '.layers[1:][] | .mediaType' "$T/oci/blobs/sha256/${om#sha256:}" | sort -u)" \
	"application/vnd.oci.image.layer.v1.tar+gzip"
cb save --format oci -o "$T/oci2.tar" backed:x || fail "second save failed"
cmp -s "$T/oci.tar" "$T/oci2.tar" || fail "two OCI saves of one image differ"
eq "entries of the COPY layer" "$(layer_entries backed:x 1)" "data
data/a
data/b
data/link"
# a docker-archive of it loads elsewhere as the same image
cb save -o "$T/docker.tar" backed:x || fail "save failed"
"$CBUILD" --root "$T/root2" load -i "$T/docker.tar" >/dev/null || fail "load failed"
eq "image ID in another store" "$("$CBUILD" --root "$T/root2" inspect backed:x | jq -r '.[0].Id')" "$m"
eq "file from the loaded image" "$("$CBUILD" --root "$T/root2" run --rm backed:x cat /data/b)" two
eq "whiteout in the loaded image" \
	"$("$CBUILD" --root "$T/root2" run --rm backed:x sh -c 'test -e /bin/true && echo yes || echo no')" no
# a cache hit uses the record: same image, nothing new written
build -t backed:y c
eq "image ID of the cached build" "$(cb inspect backed:y | jq -r '.[0].Id')" "$m"
# fsck counts the two layers among the blobs, and writes and checks their tars
eq "fsck of a healthy store" "$(cb fsck | tail -n 1)" \
	"checked $(($(ls "$ROOT/blobs/sha256" | wc -l) + 2)) blobs and $(ls "$ROOT/snapshots" | wc -l) snapshots: 0 problems"

# a snapshot that changed no longer makes its layer: reading it fails, fsck says so
copy=$(jq -r '.layers[1].digest' "$mjson")
chain=$(jq -r .chain "$ROOT/layers/${copy#sha256:}")
echo tampered >"$ROOT/snapshots/${chain#sha256:}/fs/data/b"
# (a docker-archive: the OCI one uses the gzip blob made before)
if cb save --format docker -o "$T/bad.tar" backed:x 2>"$T/save.err"; then
	fail "save of a changed snapshot succeeded"
fi
in_file "$T/save.err" "layer \`$copy\`: its snapshot \`$chain\` now makes"
in_file "$T/save.err" "run \`cbuild fsck\`"
if cb fsck >"$T/fsck.out" 2>&1; then
	fail "fsck found nothing wrong"
fi
in_file "$T/fsck.out" "layer \`$copy\`"
[ ! -e "$ROOT/layers/${copy#sha256:}" ] || fail "fsck left the bad record in place"
# and the image now lacks that layer (fsck names it); the blob is not there any more
if cb save --format docker -o "$T/bad2.tar" backed:x 2>"$T/save2.err"; then
	fail "save of an image without its layer succeeded"
fi
in_file "$T/save2.err" "is not in the store"

# prune: records and snapshots stay while an image names them, go with it
build -t backed:p --no-cache -f - c <<'EOF'
FROM busybox:test
RUN echo prune-me > /p
EOF
p=$(cb inspect backed:p | jq -r '.[0].RootFS.Layers[-1]')
[ -f "$ROOT/layers/${p#sha256:}" ] || fail "no record for $p"
pchain=$(jq -r .chain "$ROOT/layers/${p#sha256:}")
cb prune >/dev/null || fail "prune failed"
[ -f "$ROOT/layers/${p#sha256:}" ] || fail "prune removed the record of a tagged image"
[ -d "$ROOT/snapshots/${pchain#sha256:}" ] || fail "prune removed the snapshot of a tagged image"
cb rmi backed:p >/dev/null || fail "rmi failed"
cb prune --all >/dev/null || fail "prune --all failed"
[ ! -e "$ROOT/layers/${p#sha256:}" ] || fail "prune --all kept the record of a removed image"
[ ! -e "$ROOT/snapshots/${pchain#sha256:}" ] || fail "prune --all kept its snapshot"
finish
