#!/bin/bash
# Credentials: cbuild login/logout against docker-registry with htpasswd
# auth over TLS (a wrong password fails and saves nothing; a right one is
# saved as `auths`, mode 0600, the file's other keys kept; push then works;
# logout removes it and nothing else); credsStore and credHelpers through
# fake docker-credential-* scripts on PATH (login stores, pull gets, logout
# erases; credHelpers wins over credsStore; a failing helper's message,
# never its stderr); identity tokens (`identitytoken`, and a helper's
# "<token>" user) go to the realm as a refresh-token POST, never as Basic;
# a realm that is not an http(s) URL is refused; --debug shows requests
# with Authorization redacted.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-tls-lib.sh"
command -v htpasswd >/dev/null || skip "htpasswd (apache2-utils) is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

make_ca
mkdir -p "$T/certs" "$T/bin" "$T/store"
cp "$T/ca/ca.crt" "$T/certs/"
htpasswd -Bbn alice 's3cret-pw' >"$T/htpasswd"
start_tls_registry auth htpasswd "$T/htpasswd"
export DOCKER_CONFIG=$T/dc HOME=$T/home XDG_RUNTIME_DIR=$T/run
unset REGISTRY_AUTH_FILE
CFG=$DOCKER_CONFIG/config.json
mkdir -p "$DOCKER_CONFIG" "$HOME" "$XDG_RUNTIME_DIR"
TLS="--cert-dir $T/certs"
mode() { stat -c %a "$1"; }

# a wrong password: exit 1, naming why; nothing saved
printf '{"psFormat": "table {{.ID}}", "auths": {"other.example": {"auth": "eDp5"}}}\n' >"$CFG"
cp "$CFG" "$T/cfg.orig"
echo wrong | expect_rc 1 cb login $TLS -u alice --password-stdin "$REG"
contains "$T/err" "incorrect username or password"
cmp -s "$CFG" "$T/cfg.orig" || fail "a failed login changed the file: $(cat "$CFG")"
expect_rc 1 cb login $TLS -u alice -p wrong "$REG"
cmp -s "$CFG" "$T/cfg.orig" || fail "a failed login changed the file"

# the right one: saved, 0600, the other keys kept, the password never printed
echo 's3cret-pw' | expect_rc 0 cb login $TLS -u alice --password-stdin "$REG"
contains "$T/out" "Login Succeeded"
! grep -q 's3cret-pw' "$T/out" "$T/err" || fail "the password was printed"
[ "$(mode "$CFG")" = 600 ] || fail "config.json mode $(mode "$CFG")"
[ "$(jq -r --arg r "$REG" '.auths[$r].auth' "$CFG" | base64 -d)" = "alice:s3cret-pw" ] ||
	fail "saved: $(cat "$CFG")"
[ "$(jq -r '.psFormat' "$CFG")" = "table {{.ID}}" ] || fail "psFormat lost"
[ "$(jq -r '.auths["other.example"].auth' "$CFG")" = eDp5 ] || fail "another entry lost"
ls "$DOCKER_CONFIG" | grep -q tmp && fail "a temp file was left: $(ls "$DOCKER_CONFIG")"

# push and pull with them; --debug shows the requests but no credential
expect_rc 0 cb push $TLS --debug busybox:test "$REG/t/bb:1"
contains "$T/err" "Authorization: <redacted>"
B64=$(printf 'alice:s3cret-pw' | base64)
! grep -qe "$B64" -e 's3cret-pw' "$T/err" || fail "--debug showed the credentials"
grep -q "Authorization: Bearer\|Authorization: Basic" "$T/err" &&
	fail "--debug showed an Authorization value"
ROOT2=$T/root2
c2() { "$CBUILD" --root "$ROOT2" "$@"; }
expect_rc 0 c2 pull $TLS "$REG/t/bb:1"

# logout: the entry goes, the rest stays; then push has no credentials
expect_rc 0 cb logout "https://$REG/"
contains "$T/out" "Removing login credentials for $REG"
[ "$(jq -r --arg r "$REG" '.auths[$r]' "$CFG")" = null ] || fail "logout left: $(cat "$CFG")"
[ "$(jq -r '.auths["other.example"].auth' "$CFG")" = eDp5 ] || fail "logout lost another entry"
[ "$(mode "$CFG")" = 600 ] || fail "config.json mode $(mode "$CFG")"
expect_rc 0 cb logout "$REG"
contains "$T/out" "Not logged in to $REG"
expect_rc 1 cb push $TLS busybox:test "$REG/t/bb:2"
contains "$T/err" "401"

# credsStore: a helper keeping credentials in $T/store (its stderr shows
# the secret: cbuild must not pass it on)
cat >"$T/bin/docker-credential-test" <<'SH'
#!/bin/sh
in=$(cat)
echo "$1" >>"$CRED_STORE/log"
echo "helper debug: $in" >&2
key() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
case $1 in
get)
	f=$CRED_STORE/$(key "$in")
	[ -f "$f" ] || { echo "credentials not found in native keychain"; exit 1; }
	cat "$f" ;;
store) printf %s "$in" >"$CRED_STORE/$(key "$(printf %s "$in" | jq -r .ServerURL)")" ;;
erase) rm -f "$CRED_STORE/$(key "$in")" ;;
esac
SH
chmod +x "$T/bin/docker-credential-test"
export PATH=$T/bin:$PATH CRED_STORE=$T/store
printf '{"credsStore": "test", "auths": {}}\n' >"$CFG"
echo 's3cret-pw' | expect_rc 0 cb login $TLS -u alice --password-stdin "$REG"
contains "$T/store/log" "store"
[ "$(jq -c --arg r "$REG" '.auths[$r]' "$CFG")" = "{}" ] || fail "the file got the secret: $(cat "$CFG")"
! grep -q 's3cret-pw' "$CFG" || fail "the password is in the file"
[ "$(mode "$CFG")" = 600 ] || fail "config.json mode $(mode "$CFG")"
rm -rf "$ROOT2"
expect_rc 0 c2 pull $TLS "$REG/t/bb:1"
contains "$T/store/log" "get"
! grep -q 's3cret-pw' "$T/err" || fail "the helper's stderr was passed on"
expect_rc 0 cb logout "$REG"
contains "$T/store/log" "erase"
[ -z "$(find "$T/store" -type f ! -name log)" ] || fail "erase left the credentials"
expect_rc 1 cb push $TLS busybox:test "$REG/t/bb:3"

# credHelpers wins over credsStore; a failing helper's message is shown
cat >"$T/bin/docker-credential-fixed" <<'SH'
#!/bin/sh
cat >/dev/null
echo "fixed $1" >>"$CRED_STORE/log"
[ "$1" = get ] && printf '{"ServerURL":"x","Username":"alice","Secret":"s3cret-pw"}\n'
SH
cat >"$T/bin/docker-credential-broken" <<'SH'
#!/bin/sh
echo "the keychain is locked"
echo "secret stuff on stderr" >&2
exit 3
SH
chmod +x "$T/bin/docker-credential-fixed" "$T/bin/docker-credential-broken"
printf '{"credsStore": "broken", "credHelpers": {"%s": "fixed"}}\n' "$REG" >"$CFG"
expect_rc 0 cb push $TLS busybox:test "$REG/t/bb:4"
contains "$T/store/log" "fixed get"
printf '{"credsStore": "broken"}\n' >"$CFG"
expect_rc 1 cb push $TLS busybox:test "$REG/t/bb:5"
contains "$T/err" "credential helper \`docker-credential-broken\` get: the keychain is locked"
! grep -q "secret stuff" "$T/err" || fail "the helper's stderr was shown"
printf '{"credsStore": "missing-helper"}\n' >"$CFG"
expect_rc 1 cb push $TLS busybox:test "$REG/t/bb:5"
contains "$T/err" "docker-credential-missing-helper"

# identity tokens and realms, against a scripted token registry
start_helper "the token registry" "$T/tport" \
	python3 "$CB_SOURCE_DIR/tests/helpers/token-registry.py" "$T/tport" "$T/tlog"
TR=127.0.0.1:$(cat "$T/tport")
printf '{"auths": {"%s": {"auth": "%s", "identitytoken": "idtok"}}}\n' "$TR" \
	"$(printf '<token>:' | base64)" >"$CFG"
expect_rc 1 cb --debug pull "$TR/x/y:1"
contains "$T/err" "404"
contains "$T/err" "Authorization: <redacted>"
! grep -qe "good-token" -e "idtok" "$T/err" || fail "--debug showed a token: $(cat "$T/err")"
grep -q "^POST /token auth=-" "$T/tlog" || fail "no refresh-token POST: $(cat "$T/tlog")"
grep -q "^form .*grant_type=refresh_token" "$T/tlog" || fail "not a refresh grant"
grep -q "^form .*refresh_token=idtok" "$T/tlog" || fail "not the identity token"
grep -q "^form .*service=svc" "$T/tlog" || fail "no service"
grep -q "auth=Basic" "$T/tlog" && fail "an identity token went as Basic: $(cat "$T/tlog")"
grep -q "^GET /v2/x/y/manifests/1 auth=Bearer good-token" "$T/tlog" || fail "the token was not used"
# the same from a helper's "<token>" user
: >"$T/tlog"
cat >"$T/bin/docker-credential-idtok" <<'SH'
#!/bin/sh
cat >/dev/null
printf '{"ServerURL":"x","Username":"<token>","Secret":"idtok"}\n'
SH
chmod +x "$T/bin/docker-credential-idtok"
printf '{"credsStore": "idtok"}\n' >"$CFG"
expect_rc 1 cb pull "$TR/x/y:1"
contains "$T/err" "404"
grep -q "^form .*refresh_token=idtok" "$T/tlog" || fail "the helper's identity token was not used"
grep -q "auth=Basic" "$T/tlog" && fail "an identity token went as Basic"
# Basic credentials: a GET to the realm; a realm that is not http(s) is refused
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$TR" "$(printf 'u:p' | base64)" >"$CFG"
expect_rc 1 cb pull "$TR/x/y:1"
contains "$T/err" "404"
expect_rc 1 cb pull "$TR/bad/y:1"
contains "$T/err" "token realm \`ftp://127.0.0.1/token\` is not an http(s) URL"
echo ok
