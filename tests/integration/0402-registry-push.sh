#!/bin/bash
# cbuild push to Debian's docker-registry on 127.0.0.1 (plain HTTP, as for
# every loopback registry): a built image (COPY and RUN layers, so
# snapshot-backed) is pushed, its layers as gzip blobs, the big one in
# PATCH chunks; skopeo inspect confirms the digest push printed, skopeo
# copy gets the files back, cbuild pull into a fresh store runs it; a
# second push uploads no blob; a missing image fails with exit 1.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-lib.sh"

# an image built here: FROM busybox:test, a COPY of 300 KiB that does not
# compress (its gzip blob is bigger than the 64 KiB chunks asked for) and
# a RUN
ctx "$T/c"
head -c 307200 /dev/urandom >"$T/c/data.bin"
cat >"$T/c/Dockerfile" <<'DF'
FROM busybox:test
COPY data.bin /data.bin
RUN echo made-by-run >/made-by-run
DF
build -t app:1 "$T/c"

expect_rc 0 cb push --chunk-size 65536 app:1 "$REG/test/app:1"
cp "$T/out" "$T/push1"
last=$(tail -1 "$T/push1")
case $last in "1: digest: sha256:"*" size: "*) ;; *) fail "last line: $last" ;; esac
DIGEST=$(echo "$last" | awk '{print $3}')
SIZE=$(echo "$last" | awk '{print $5}')
contains "$T/push1" ": Pushed"
grep -q 'PATCH /v2/test/app/blobs/uploads/' "$T/registry.log" ||
	fail "no chunked upload in the registry log"

# the registry has it under that digest, its layers gzip
skopeo inspect --tls-verify=false --raw "docker://$REG/test/app:1" >"$T/raw" ||
	fail "skopeo inspect failed"
[ "sha256:$(sha256sum <"$T/raw" | cut -d' ' -f1)" = "$DIGEST" ] ||
	fail "the registry's manifest is not $DIGEST"
[ "$(stat -c %s "$T/raw")" = "$SIZE" ] || fail "manifest size $(stat -c %s "$T/raw") != $SIZE"
got=$(skopeo inspect --tls-verify=false "docker://$REG/test/app:1" | jq -r .Digest)
[ "$got" = "$DIGEST" ] || fail "skopeo inspect: $got, push printed $DIGEST"
jq -r '.layers[].mediaType' "$T/raw" >"$T/types"
[ "$(wc -l <"$T/types")" = 3 ] || fail "layers: $(cat "$T/types")"
! grep -v 'gzip$' "$T/types" || fail "layers not gzip: $(cat "$T/types")"

# skopeo copy gets the files back
skopeo copy -q --src-tls-verify=false "docker://$REG/test/app:1" "oci:$T/oci:app" ||
	fail "skopeo copy from the registry failed"
mkdir -p "$T/x"
for l in $(jq -r '.layers[].digest' "$T/raw"); do
	tar -C "$T/x" -xzf "$T/oci/blobs/sha256/${l#sha256:}" 2>/dev/null ||
		fail "layer $l is not a gzip tar"
done
cmp "$T/x/data.bin" "$T/c/data.bin" || fail "data.bin differs"
[ "$(cat "$T/x/made-by-run")" = made-by-run ] || fail "made-by-run: $(cat "$T/x/made-by-run")"

# a second push uploads no blob
uploads() { grep -c 'POST /v2/test/app/blobs/uploads/' "$T/registry.log" || true; }
before=$(uploads)
[ "$before" -ge 4 ] || fail "the first push started $before uploads"
expect_rc 0 cb push app:1 "$REG/test/app:1"
contains "$T/out" "Layer already exists"
[ "$(tail -1 "$T/out")" = "$last" ] || fail "second push: $(tail -1 "$T/out"), first: $last"
[ "$(uploads)" = "$before" ] || fail "the second push uploaded blobs ($before -> $(uploads))"

# -q: only the digest line; DEST defaults to IMAGE's name
expect_rc 0 cb tag app:1 "$REG/test/app:2"
expect_rc 0 cb push -q "$REG/test/app:2"
[ "$(cat "$T/out")" = "2: digest: $DIGEST size: $SIZE" ] || fail "push -q: $(cat "$T/out")"

# pulled into a fresh store, it runs
ROOT=$T/root2
expect_rc 0 cb pull "$REG/test/app:1"
contains "$T/out" "Digest: $DIGEST"
expect_rc 0 cb run --rm "$REG/test/app:1" cat /made-by-run
contains "$T/out" made-by-run

# a missing image: exit 1, the reference named
expect_rc 1 cb push nosuch:1 "$REG/test/nosuch:1"
contains "$T/err" "push \`nosuch:1\`"
# an image without a name needs a destination
ROOT=$T/root
id=$(cb images -q app:1 2>/dev/null | head -1)
if [ -n "$id" ]; then
	expect_rc 1 cb push "$id"
	contains "$T/err" "name a destination"
fi
# nothing listens there
expect_rc 1 cb push app:1 "127.0.0.1:1/x:1"
contains "$T/err" "push \`127.0.0.1:1/x:1\`"
echo ok
