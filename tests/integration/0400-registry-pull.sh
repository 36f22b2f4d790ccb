#!/bin/bash
# cbuild pull from Debian's docker-registry on 127.0.0.1 (plain HTTP, as
# for every loopback registry): an image pushed there by skopeo is pulled
# by tag and by digest, its digest is the registry's (skopeo inspect), it
# runs, a second pull downloads no blob, and an unknown tag fails with
# exit 1 naming the reference and the status.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-lib.sh"

# an image in the registry: busybox imported, saved as OCI, copied by skopeo
make_base busybox:test
cb save --format oci -o "$T/img.tar" busybox:test || fail "cbuild save failed"
skopeo copy -q --dest-tls-verify=false "oci-archive:$T/img.tar" "docker://$REG/test/busybox:1" ||
	fail "skopeo copy into the registry failed"
DIGEST=$(skopeo inspect --tls-verify=false "docker://$REG/test/busybox:1" | jq -r .Digest)
case $DIGEST in sha256:*) ;; *) fail "skopeo inspect gave no digest: $DIGEST" ;; esac

# pull by tag into a fresh store
ROOT=$T/root2
expect_rc 0 cb pull "$REG/test/busybox:1"
contains "$T/out" "Digest: $DIGEST"
contains "$T/out" "Status: Downloaded newer image for $REG/test/busybox:1"
[ "$(tail -1 "$T/out")" = "$REG/test/busybox:1" ] || fail "last line: $(tail -1 "$T/out")"
cb images --format '{{.Repository}}:{{.Tag}} {{.Digest}}' >"$T/images" 2>/dev/null ||
	cb images >"$T/images"
contains "$T/images" "$REG/test/busybox"

# it runs
expect_rc 0 cb run --rm "$REG/test/busybox:1" echo pulled-ok
contains "$T/out" pulled-ok

# a second pull fetches no blob: the registry logs no blob GET
blob_gets() { grep -c 'GET /v2/test/busybox/blobs/' "$T/registry.log" || true; }
before=$(blob_gets)
expect_rc 0 cb pull "$REG/test/busybox:1"
contains "$T/out" "Status: Image is up to date for $REG/test/busybox:1"
contains "$T/out" "Already exists"
[ "$(blob_gets)" = "$before" ] || fail "the second pull fetched blobs ($before -> $(blob_gets))"

# by digest, into another store: tagged NAME@DIGEST, runs
ROOT=$T/root3
expect_rc 0 cb pull "$REG/test/busybox@$DIGEST"
contains "$T/out" "Digest: $DIGEST"
[ "$(tail -1 "$T/out")" = "$REG/test/busybox@$DIGEST" ] || fail "last line: $(tail -1 "$T/out")"
expect_rc 0 cb run --rm "$REG/test/busybox@$DIGEST" echo by-digest
contains "$T/out" by-digest

# a digest the registry does not have
bad=sha256:$(printf '%064d' 0)
expect_rc 1 cb pull "$REG/test/busybox@$bad"
contains "$T/err" "pull \`$REG/test/busybox@$bad\`"

# an unknown tag: exit 1, the reference and the status named
expect_rc 1 cb pull "$REG/test/busybox:nope"
contains "$T/err" "pull \`$REG/test/busybox:nope\`"
contains "$T/err" "404 Not Found"
# an unknown repository
expect_rc 1 cb pull "$REG/test/absent:1"
contains "$T/err" "404"
# nothing listens there
expect_rc 1 cb pull "127.0.0.1:1/x:1"
contains "$T/err" "pull \`127.0.0.1:1/x:1\`"
# a bad platform
expect_rc 1 cb pull --platform linux "$REG/test/busybox:1"
contains "$T/err" "invalid platform"
echo ok
