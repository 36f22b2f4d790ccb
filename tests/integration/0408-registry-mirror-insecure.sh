#!/bin/bash
# Registry configuration without the network: a docker.io name pulled
# through a mirror on 127.0.0.1 (--registry-mirror, then the
# `registry-mirrors` of $XDG_CONFIG_HOME/cbuild/registries.json), with
# HTTPS_PROXY pointing at a proxy that refuses and logs everything: a name
# the mirror has never reaches docker.io; one it lacks falls back to
# docker.io through the proxy (so HTTPS_PROXY is honoured, NO_PROXY keeps
# the mirror direct); other registries never use the mirror; build's FROM
# takes --registry-mirror too.  A TLS
# registry listed in `insecure-registries` (by host:port, and by CIDR) is
# pulled from without its CA; --tls-verify=true still checks it.  Bad
# configuration is refused naming the file.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-tls-lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

make_ca
export XDG_CONFIG_HOME=$T/xdg HOME=$T/home DOCKER_CONFIG=$T/dc XDG_RUNTIME_DIR=$T/run
unset REGISTRY_AUTH_FILE http_proxy HTTP_PROXY ALL_PROXY all_proxy
mkdir -p "$XDG_CONFIG_HOME/cbuild" "$HOME"
CONF=$XDG_CONFIG_HOME/cbuild/registries.json

start_tls_registry mirror plain
MREG=$REG
expect_rc 0 cb push busybox:test "$MREG/library/busybox-test-name:latest"

# the refusing proxy
start_helper "the proxy" "$T/pport" \
	python3 "$CB_SOURCE_DIR/tests/helpers/refusing-proxy.py" "$T/pport" "$T/plog"
touch "$T/plog"
export HTTPS_PROXY=http://127.0.0.1:$(cat "$T/pport") NO_PROXY=127.0.0.1,localhost
unset https_proxy no_proxy

ROOT2=$T/root2
c2() { "$CBUILD" --root "$ROOT2" "$@"; }
# --registry-mirror: served by the mirror, docker.io never asked
expect_rc 0 c2 pull --registry-mirror "http://$MREG" busybox-test-name
contains "$T/out" "Status: Downloaded newer image for docker.io/library/busybox-test-name:latest"
[ ! -s "$T/plog" ] || fail "docker.io was asked: $(cat "$T/plog")"
grep -q "/v2/library/busybox-test-name/manifests/latest" "$T/mirror/log" ||
	fail "the mirror was not asked"
[ "$(c2 inspect busybox-test-name | jq -r '.[0].Id')" = "$(cb inspect busybox:test | jq -r '.[0].Id')" ] ||
	fail "the mirrored image is not busybox:test"

# build: FROM a docker.io name through --registry-mirror
ctx "$T/c"
printf 'FROM busybox-test-name\nLABEL via=mirror\n' >"$T/c/Dockerfile"
rm -rf "$ROOT2"
expect_rc 0 c2 build --registry-mirror "http://$MREG" -t viamirror "$T/c"
[ ! -s "$T/plog" ] || fail "build asked docker.io: $(cat "$T/plog")"
[ "$(c2 inspect viamirror | jq -r '.[0].Config.Labels.via')" = mirror ] || fail "no build"

# a name the mirror lacks: then docker.io, through HTTPS_PROXY
expect_rc 1 c2 pull --registry-mirror "http://$MREG" not-on-the-mirror
contains "$T/plog" "CONNECT registry-1.docker.io:443"
grep -q "/v2/library/not-on-the-mirror/manifests/latest" "$T/mirror/log" ||
	fail "the mirror was not asked first"
expect_rc 2 c2 pull --registry-mirror "http://$MREG/some/path" busybox-test-name
expect_rc 2 c2 pull --registry-mirror "ftp://$MREG" busybox-test-name

# the configuration file's mirrors; other registries do not use them
printf '{"registry-mirrors": ["http://%s/"], "debug": true}\n' "$MREG" >"$CONF"
rm -rf "$ROOT2"
: >"$T/plog"
expect_rc 0 c2 pull busybox-test-name:latest
[ ! -s "$T/plog" ] || fail "docker.io was asked: $(cat "$T/plog")"
cp "$T/out" "$T/pull-out"
expect_rc 1 c2 pull quay.io/x/busybox-test-name
contains "$T/plog" "CONNECT quay.io:443"
grep -q "/v2/x/busybox-test-name/" "$T/mirror/log" && fail "a quay.io pull asked the mirror"
# a pull by digest from the mirror
DIG=$(sed -n 's/^Digest: //p' "$T/pull-out")
case $DIG in sha256:*) ;; *) fail "pull printed no digest: $(cat "$T/out")" ;; esac
expect_rc 0 c2 pull "busybox-test-name@$DIG"

# bad configuration is refused, naming the file
printf '{"registry-mirrors": ["ftp://x"]}\n' >"$CONF"
expect_rc 1 c2 pull busybox-test-name
contains "$T/err" "$CONF"
contains "$T/err" "invalid mirror"
printf '{"insecure-registries": ["https://x"]}\n' >"$CONF"
expect_rc 1 c2 pull busybox-test-name
contains "$T/err" "without a scheme"
printf '{"insecure-registries": "x"}\n' >"$CONF"
expect_rc 1 c2 pull busybox-test-name
contains "$T/err" "is not an array of strings"
printf '[]\n' >"$CONF"
expect_rc 1 c2 pull busybox-test-name
contains "$T/err" "not a JSON object"

# insecure registries: a TLS registry whose CA cbuild does not have
: >"$T/plog"
rm -f "$CONF"
start_tls_registry tls
expect_rc 0 cb push --tls-verify=false busybox:test "$REG/t/bb:1"
rm -rf "$ROOT2"
expect_rc 1 c2 pull "$REG/t/bb:1"
grep -qi "certificate" "$T/err" || fail "no certificate error: $(cat "$T/err")"
printf '{"insecure-registries": ["%s"]}\n' "$REG" >"$CONF"
expect_rc 0 c2 pull "$REG/t/bb:1"
expect_rc 1 c2 pull --tls-verify=true "$REG/t/bb:1"
grep -qi "certificate" "$T/err" || fail "--tls-verify=true did not check"
printf '{"insecure-registries": ["10.0.0.0/8", "127.0.0.0/8"]}\n' >"$CONF"
rm -rf "$ROOT2"
expect_rc 0 c2 pull "$REG/t/bb:1"
printf '{"insecure-registries": ["10.0.0.0/8", "127.0.0.2:%s"]}\n' "$PORT" >"$CONF"
expect_rc 1 c2 pull "$REG/t/bb:1"
grep -qi "certificate" "$T/err" || fail "an unlisted host was not checked"
[ ! -s "$T/plog" ] || fail "the proxy was used for loopback: $(cat "$T/plog")"
echo ok
