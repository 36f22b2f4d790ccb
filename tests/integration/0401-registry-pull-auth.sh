#!/bin/bash
# cbuild pull against a scripted fake registry (tests/helpers/fake-registry.py)
# on loopback: the Bearer token flow with Basic credentials from
# REGISTRY_AUTH_FILE, blob redirects to another origin that carry no
# Authorization, an index resolved to the host's platform (or --platform),
# and refusals that leave nothing in the store: a body longer than its
# descriptor, a blob whose bytes do not match its digest, missing credentials.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

case $(uname -m) in
x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;;
esac
start_helper "the fake registry" "$T/ports" \
	python3 "$CB_SOURCE_DIR/tests/helpers/fake-registry.py" "$T/ports" "$T/log" "$ARCH"
read -r PORT SPORT <"$T/ports" || fail "the fake registry did not start"
REG=127.0.0.1:$PORT

# no credentials: the token realm refuses, the pull fails naming why
export REGISTRY_AUTH_FILE=$T/auth.json HOME=$T
expect_rc 1 cb pull "$REG/x/ok:1"
contains "$T/err" "pull \`$REG/x/ok:1\`"
contains "$T/err" "get a token: 401"

# with credentials
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf u:p | base64)" >"$T/auth.json"
: >"$T/log"
expect_rc 0 cb pull "$REG/x/ok:1"
contains "$T/out" "Status: Downloaded newer image for $REG/x/ok:1"
grep -q "registry GET /token?service=fake&scope=repository%3Ax%2Fok%3Apull auth=Basic" "$T/log" ||
	fail "no token request with Basic credentials: $(cat "$T/log")"
grep -q "registry GET /v2/x/ok/manifests/1 auth=Bearer" "$T/log" || fail "no Bearer manifest GET"
grep -q "^storage GET " "$T/log" || fail "blobs did not come from the storage origin"
! grep "^storage .* auth=[^-]" "$T/log" || fail "Authorization was sent to the storage origin"
# one token for the scope: later requests reuse it
[ "$(grep -c "GET /token" "$T/log")" = 1 ] || fail "tokens: $(grep -c "GET /token" "$T/log")"
cb inspect "$REG/x/ok:1" >/dev/null || fail "the pulled image does not resolve"

# an index: the host's platform is picked, the index digest printed
expect_rc 0 cb pull "$REG/x/ok:multi"
IDX=$(sed -n 's/^Digest: //p' "$T/out")
contains "$T/out" "Status: Image is up to date for $REG/x/ok:multi"
[ "$(cb inspect "$REG/x/ok:multi" | jq -r '.[0].Architecture')" = "$ARCH" ] ||
	fail "the index gave another platform"
expect_rc 0 cb pull "$REG/x/ok@$IDX"
expect_rc 1 cb pull --platform linux/riscv64 "$REG/x/ok:multi"
contains "$T/err" "no image for platform linux/riscv64"

# refusals: nothing unverified enters the store, no tag is set
nblobs() { find "$ROOT/blobs" -type f | wc -l; }
before=$(nblobs)
expect_rc 1 cb pull "$REG/x/long:1"
grep -Eq "(larger|longer) than" "$T/err" || fail "long body: $(cat "$T/err")"
expect_rc 1 cb pull "$REG/x/baddigest:1"
grep -qi "digest" "$T/err" || fail "bad digest: $(cat "$T/err")"
# only the two configs (verified) were kept; the bad layers were not
[ "$(nblobs)" -le $((before + 2)) ] || fail "a refused blob entered the store ($before -> $(nblobs))"
cb fsck >/dev/null || fail "cbuild fsck finds a bad blob"
expect_rc 1 cb inspect "$REG/x/long:1"
expect_rc 1 cb inspect "$REG/x/baddigest:1"
echo ok
