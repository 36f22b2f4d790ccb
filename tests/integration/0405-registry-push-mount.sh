#!/bin/bash
# Cross-repository mounts on Debian's docker-registry: an image pushed to
# repo a, then to repo b of the same registry, has its blobs mounted from a
# (POST ?mount=&from=a, 201), none uploaded; an image pulled from repo a
# into a fresh store is mounted from a when pushed to repo c; a recorded
# source that lacks the blob (202) falls back to the upload the registry
# opened; a source on another host is not asked.  Through a token-auth
# proxy (tests/helpers/fault-proxy.py --token), and with docker-registry's
# token auth (registry-lib.sh's token form), the mount's token asks for
# both scopes, repository:<b>:pull,push and repository:<a>:pull.  A Docker
# schema2 image pulled and pushed elsewhere keeps its bytes and media type.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

export CBUILD_REGISTRY_RETRY_MS=20
RLOG=$T/registry.log

# uploads REPO: blob upload requests (POST, PATCH, PUT) the registry logged for REPO
uploads() {
	grep -Ec "\"(POST|PATCH|PUT) /v2/$1/blobs/uploads/" "$RLOG" || true
}
# data_uploads REPO: PATCH or PUT of blob data the registry logged for REPO
data_uploads() {
	grep -Ec "\"(PATCH|PUT) /v2/$1/blobs/uploads/" "$RLOG" || true
}

# an image of two layers, pushed to repo a: uploaded
ctx "$T/c"
head -c 200000 /dev/urandom >"$T/c/data.bin"
printf 'FROM busybox:test\nCOPY data.bin /data.bin\n' >"$T/c/Dockerfile"
build -t app:1 "$T/c"
expect_rc 0 cb push app:1 "$REG/test/a:1"
[ "$(grep -c ': Pushed' "$T/out")" = 2 ] || fail "push to a: $(cat "$T/out")"
A=$(tail -1 "$T/out" | awk '{print $3}')
[ "$(data_uploads test/a)" -ge 3 ] || fail "nothing uploaded to a"

# the same image to repo b: every blob mounted from a, no data sent
expect_rc 0 cb push app:1 "$REG/test/b:1"
[ "$(grep -c ': Mounted from test/a$' "$T/out")" = 2 ] || fail "push to b: $(cat "$T/out")"
! grep -q ': Pushed' "$T/out" || fail "push to b uploaded: $(cat "$T/out")"
[ "$(tail -1 "$T/out" | awk '{print $3}')" = "$A" ] || fail "b's digest differs"
[ "$(grep -Ec '"POST /v2/test/b/blobs/uploads/\?mount=sha256(:|%3A)[0-9a-f]{64}&from=test(/|%2F)a HTTP/1.1" 201' "$RLOG")" = 3 ] ||
	fail "mounts of the 2 layers and the config into b: $(grep test/b "$RLOG")"
[ "$(data_uploads test/b)" = 0 ] || fail "blob data was uploaded to b: $(grep test/b "$RLOG")"
skopeo inspect --tls-verify=false --raw "docker://$REG/test/b:1" >"$T/raw-b" || fail "inspect b"
skopeo inspect --tls-verify=false --raw "docker://$REG/test/a:1" >"$T/raw-a" || fail "inspect a"
cmp "$T/raw-a" "$T/raw-b" || fail "a's and b's manifests differ"
skopeo copy -q --src-tls-verify=false "docker://$REG/test/b:1" "oci:$T/oci:b" ||
	fail "skopeo copy of b failed (its mounted blobs are not there)"

# pulled from a into a fresh store, pushed to c: mounted from a
ROOT=$T/root3
expect_rc 0 cb pull "$REG/test/a:1"
expect_rc 0 cb push "$REG/test/a:1" "$REG/test/c:1"
[ "$(grep -c ': Mounted from test/a$' "$T/out")" = 2 ] || fail "push to c: $(cat "$T/out")"
[ "$(data_uploads test/c)" = 0 ] || fail "blob data was uploaded to c: $(grep test/c "$RLOG")"
# ... and the store remembers c too (newest first)
LAYER=$(jq -r '.layers[1].digest' "$T/raw-a")
[ -f "$ROOT/sources/${LAYER#sha256:}" ] || fail "no source record for $LAYER"
[ "$(cat "$ROOT/sources/${LAYER#sha256:}")" = "$(printf '%s\n%s' "$REG/test/a" "$REG/test/c")" ] ||
	fail "sources: $(cat "$ROOT/sources/${LAYER#sha256:}")"

# a Docker schema2 manifest pulled, pushed elsewhere: the same bytes, under
# its own media type, its blobs mounted from where they were pulled
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false --format v2s2 \
	"docker://$REG/test/a:1" "docker://$REG/test/v2:1" || fail "skopeo copy --format v2s2"
expect_rc 0 cb pull "$REG/test/v2:1"
expect_rc 0 cb push "$REG/test/v2:1" "$REG/test/v2b:1"
[ "$(grep -c ': Mounted from test/v2$' "$T/out")" = 2 ] || fail "push to v2b: $(cat "$T/out")"
skopeo inspect --tls-verify=false --raw "docker://$REG/test/v2:1" >"$T/raw-v2" || fail "inspect v2"
skopeo inspect --tls-verify=false --raw "docker://$REG/test/v2b:1" >"$T/raw-v2b" || fail "inspect v2b"
cmp "$T/raw-v2" "$T/raw-v2b" || fail "the schema2 manifest changed on the way"
[ "$(jq -r .mediaType "$T/raw-v2b")" = application/vnd.docker.distribution.manifest.v2+json ] ||
	fail "v2b: $(jq -r .mediaType "$T/raw-v2b")"

# a source that does not hold the blobs: 202, the upload it opened is used
for f in "$ROOT"/sources/*; do printf '%s\n' "$REG/test/nosuch" >"$f"; done
expect_rc 0 cb push "$REG/test/a:1" "$REG/test/e:1"
[ "$(grep -c ': Pushed' "$T/out")" = 2 ] || fail "push to e: $(cat "$T/out")"
[ "$(grep -Ec '"POST /v2/test/e/blobs/uploads/\?mount=.*from=test(/|%2F)nosuch HTTP/1.1" 202' "$RLOG")" = 3 ] ||
	fail "no mount tries for e: $(grep test/e "$RLOG")"
[ "$(grep -c '"POST /v2/test/e/blobs/uploads/ ' "$RLOG" || true)" = 0 ] ||
	fail "a second upload was opened for e: $(grep test/e "$RLOG")"
skopeo copy -q --src-tls-verify=false "docker://$REG/test/e:1" "oci:$T/oci:e" ||
	fail "skopeo copy of e failed"

# a source on another host (localhost is not 127.0.0.1 by name) is not asked
for f in "$ROOT"/sources/*; do printf '%s\n' "localhost:$PORT/test/a" >"$f"; done
expect_rc 0 cb push "$REG/test/a:1" "$REG/test/f:1"
! grep -q "test/f/blobs/uploads/?mount" "$RLOG" || fail "a mount from another host was tried"

# token auth: the mount's token asks for both repositories
fault_proxy tok --token
ROOT=$T/root
expect_rc 0 cb push app:1 "127.0.0.1:$PPORT/tok/a:1"
grep -q '^TOKEN scope=repository:tok/a:pull,push$' "$T/tok.log" || fail "tokens: $(cat "$T/tok.log")"
expect_rc 0 cb push app:1 "127.0.0.1:$PPORT/tok/b:1"
[ "$(grep -c ': Mounted from tok/a$' "$T/out")" = 2 ] || fail "push to tok/b: $(cat "$T/out")"
grep -q '^TOKEN scope=repository:tok/b:pull,push scope=repository:tok/a:pull$' "$T/tok.log" ||
	fail "no token for the mount: $(cat "$T/tok.log")"
[ "$(grep -c '^POST /v2/tok/b/blobs/uploads/ .* status=201 .* from=tok/a$' "$T/tok.log")" = 3 ] ||
	fail "mounts through the proxy: $(cat "$T/tok.log")"
! grep -Eq '^(PATCH|PUT) /v2/tok/b/blobs/uploads/' "$T/tok.log" || fail "data uploaded to tok/b"

# docker-registry's own token auth (registry-lib's token form): the mount's
# 401 is answered with a token for both repositories, and the blobs mount
start_registry token
TREG=$REG
export REGISTRY_AUTH_FILE=$T/auth.json
auth_file "$REGISTRY_AUTH_FILE" "$TREG" ci secret
expect_rc 0 cb push app:1 "$TREG/t/a:1"
expect_rc 0 cb push app:1 "$TREG/t/b:1"
[ "$(grep -c ': Mounted from t/a$' "$T/out")" = 2 ] || fail "push to t/b: $(cat "$T/out")"
grep -q "user=ci scope=repository:t/b:pull,push repository:t/a:pull granted=t/b:pull,push;t/a:pull -> 200" \
	"$RDIR/token.log" || fail "no token for the mount: $(cat "$RDIR/token.log")"
[ "$(grep -Ec '"POST /v2/t/b/blobs/uploads/\?mount=.* HTTP/1.1" 201' "$RLOG")" = 3 ] ||
	fail "mounts into t/b: $(grep t/b "$RLOG")"
! grep -Eq '"(PATCH|PUT) /v2/t/b/blobs/uploads/' "$RLOG" || fail "data uploaded to t/b"
skopeo copy -q --src-tls-verify=false --src-creds ci:secret "docker://$TREG/t/b:1" "oci:$T/oci:tb" ||
	fail "skopeo copy of t/b failed"
echo ok
