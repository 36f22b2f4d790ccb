#!/bin/bash
# cbuild push and pull against docker-registry on 127.0.0.1 over TLS, with a
# CA made here: with --cert-dir (the CA) both work; without it both fail
# naming the certificate problem and leave nothing in the store; with
# --tls-verify=false both work; the CA in the user's certs.d/HOST directory
# works as --cert-dir does; a registry that asks for client certificates
# gets client.cert/client.key of the directory; a .cert without its .key is
# refused as Docker refuses it.  build takes the same options for its FROM
# pulls and --push.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-tls-lib.sh"

make_ca
mkdir -p "$T/certs" "$T/empty"
cp "$T/ca/ca.crt" "$T/certs/"
export XDG_CONFIG_HOME=$T/xdg HOME=$T/home
mkdir -p "$HOME"
start_tls_registry tls

# push: the certificate is checked
expect_rc 1 cb push busybox:test "$REG/t/bb:1"
grep -qi "certificate" "$T/err" || fail "no certificate error: $(cat "$T/err")"
contains "$T/err" "https://$REG/"
expect_rc 0 cb push --cert-dir "$T/certs" busybox:test "$REG/t/bb:1"
contains "$T/out" "1: digest: sha256:"
expect_rc 0 cb push --tls-verify=false busybox:test "$REG/t/bb:2"

# pull into fresh stores
ROOT2=$T/root2
c2() { "$CBUILD" --root "$ROOT2" "$@"; }
expect_rc 1 c2 pull "$REG/t/bb:1"
grep -qi "certificate" "$T/err" || fail "no certificate error: $(cat "$T/err")"
[ -z "$(c2 images -q 2>/dev/null)" ] || fail "a failed pull left an image"
expect_rc 0 c2 pull --cert-dir "$T/certs" "$REG/t/bb:1"
contains "$T/out" "Status: Downloaded newer image for $REG/t/bb:1"
rm -rf "$ROOT2"
expect_rc 0 c2 pull --tls-verify=false "$REG/t/bb:2"
expect_rc 0 c2 pull --tls-verify=true --cert-dir "$T/certs" "$REG/t/bb:1"
expect_rc 2 c2 pull --tls-verify=maybe "$REG/t/bb:1"
# a --cert-dir without the CA is no better than none
expect_rc 1 c2 pull --cert-dir "$T/empty" "$REG/t/bb:1"
grep -qi "certificate" "$T/err" || fail "no certificate error: $(cat "$T/err")"

# build: FROM pulls with the same options
ctx "$T/c"
printf 'FROM %s/t/bb:1\nLABEL from=tls\n' "$REG" >"$T/c/Dockerfile"
rm -rf "$ROOT2"
expect_rc 1 c2 build -t fromtls "$T/c"
grep -qi "certificate" "$T/err" || fail "build: no certificate error: $(cat "$T/err")"
expect_rc 0 c2 build --cert-dir "$T/certs" -t fromtls "$T/c"
rm -rf "$ROOT2"
expect_rc 0 c2 build --tls-verify=false -t fromtls "$T/c"
expect_rc 0 c2 build --cert-dir "$T/certs" --push -t "$REG/t/built:1" "$T/c"
contains "$T/err" "push $REG/t/built:1: 1: digest: sha256:"

# the user's certs.d/HOST (podman's rootless directory)
mkdir -p "$XDG_CONFIG_HOME/containers/certs.d/$REG"
cp "$T/ca/ca.crt" "$XDG_CONFIG_HOME/containers/certs.d/$REG/"
rm -rf "$ROOT2"
expect_rc 0 c2 pull "$REG/t/bb:1"
rm -rf "$XDG_CONFIG_HOME/containers"

# a .cert without its .key, a .crt that holds no certificate
mkdir -p "$T/bad1" "$T/bad2"
cp "$T/ca/client.cert" "$T/bad1/"
expect_rc 1 c2 pull --cert-dir "$T/bad1" "$REG/t/bb:1"
contains "$T/err" "missing key \`client.key\` for client certificate \`client.cert\`"
echo "not a certificate" >"$T/bad2/ca.crt"
expect_rc 1 c2 pull --cert-dir "$T/bad2" "$REG/t/bb:1"
contains "$T/err" "holds no PEM certificate"

# client certificates: refused without, accepted with client.cert/client.key
start_tls_registry mtls mtls
expect_rc 1 cb push --cert-dir "$T/certs" busybox:test "$REG/t/bb:1"
cp "$T/ca/client.cert" "$T/ca/client.key" "$T/certs/"
expect_rc 0 cb push --cert-dir "$T/certs" busybox:test "$REG/t/bb:1"
rm -rf "$ROOT2"
expect_rc 0 c2 pull --cert-dir "$T/certs" "$REG/t/bb:1"
[ "$(c2 inspect "$REG/t/bb:1" | jq -r '.[0].Id')" = "$(cb inspect busybox:test | jq -r '.[0].Id')" ] ||
	fail "the pulled image is not the pushed one"
echo ok
