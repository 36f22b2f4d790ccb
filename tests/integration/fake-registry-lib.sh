# Sourced by tests/integration/04NN-registry-pull-*.sh after lib.sh and
# build-lib.sh: the scripted fake registry (tests/helpers/fake-registry.py)
# on loopback, stopped when the test exits.  Sets REG (host:port), SPORT
# (its storage origin's port), ARCH, FLOG (its request log), DIGESTS (its
# images' digests, JSON) and credentials for it in $REGISTRY_AUTH_FILE;
# retries wait 20 ms, not 200.
command -v python3 >/dev/null || fail "python3 is not installed (tools/install-deps.sh)"
command -v jq >/dev/null || fail "jq is not installed (tools/install-deps.sh)"

case $(uname -m) in
x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;;
esac
FLOG=$T/fake.log
start_helper "the fake registry" "$T/ports" \
	python3 "$CB_SOURCE_DIR/tests/helpers/fake-registry.py" "$T/ports" "$FLOG" "$ARCH"
read -r PORT SPORT <"$T/ports" || fail "the fake registry did not start"
REG=127.0.0.1:$PORT
DIGESTS=$T/ports.json
export REGISTRY_AUTH_FILE=$T/auth.json HOME=$T CBUILD_REGISTRY_RETRY_MS=20
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf u:p | base64)" >"$REGISTRY_AUTH_FILE"

# The digest of repo's config (`config`) or layer N (`layers[N]`).
digest_of() { jq -r --arg r "$1" ".[\$r].$2" "$DIGESTS"; }
# Is the blob of digest $1 in the store?
has_blob() { [ -e "$ROOT/blobs/sha256/${1#sha256:}" ]; }
# How many logged requests match the extended regex $1.
nlog() { grep -Ec "$1" "$FLOG" || true; }
# Seconds since the epoch, with fractions.
now() { date +%s.%N; }
# Did $1 seconds (a difference of two now()s) pass the test $2 $3 (awk: "< 3", ">= 1")?
elapsed() { awk -v a="$1" -v b="$(now)" "BEGIN { exit !((b - a) $2) }"; }
# Nothing unverified is in the store, and ref has no tag.
refused_clean() {
	cb fsck >/dev/null || fail "cbuild fsck after refusing $1: $(cat "$T/err")"
	expect_rc 1 cb inspect "$1"
	! grep -q "^storage .* auth=[^-]" "$FLOG" || fail "Authorization was sent to the storage origin"
}
