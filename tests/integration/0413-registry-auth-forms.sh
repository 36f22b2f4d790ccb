#!/bin/bash
# cbuild push and pull against Debian's docker-registry in its two auth
# forms (tests/integration/registry-lib.sh): htpasswd Basic auth, and token
# auth with tests/helpers/token-issuer.py as the realm (RS256 JWTs, x5c,
# signed by the openssl CLI).  Right credentials (REGISTRY_AUTH_FILE) push,
# pull, build FROM and run; wrong ones fail with 401 naming the reference;
# without credentials the htpasswd form refuses everything, the token form
# lets anonymous callers pull but refuses their push.  skopeo, with the
# same auth file, reads what cbuild pushed.
REGISTRY_NO_START=1
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-lib.sh"

ctx "$T/c"
printf 'FROM busybox:test\nRUN echo auth-ok >/ok\n' >"$T/c/Dockerfile"
build -t app:1 "$T/c"
export REGISTRY_AUTH_FILE=$T/auth.json DOCKER_CONFIG=$T/docker HOME=$T
unset XDG_RUNTIME_DIR

# fails_401 WHAT CMD...: exit 1, stderr naming WHAT and a 401
fails_401() {
	local what=$1
	shift
	expect_rc 1 "$@"
	contains "$T/err" "$what"
	contains "$T/err" 401
}

for form in htpasswd token; do
	start_registry "$form"
	R=$REG
	ROOT=$T/root

	# no credentials: nothing (htpasswd; token: pull only, checked below)
	rm -f "$REGISTRY_AUTH_FILE"
	[ "$form" = token ] || fails_401 "push \`$R/t/app:1\`" cb push app:1 "$R/t/app:1"
	# wrong credentials
	auth_file "$REGISTRY_AUTH_FILE" "$R" ci wrong
	fails_401 "push \`$R/t/app:1\`" cb push app:1 "$R/t/app:1"
	# right ones
	auth_file "$REGISTRY_AUTH_FILE" "$R" ci secret
	expect_rc 0 cb push app:1 "$R/t/app:1"
	D=$(tail -1 "$T/out" | awk '{print $3}')
	got=$(skopeo inspect --authfile "$REGISTRY_AUTH_FILE" --tls-verify=false \
		"docker://$R/t/app:1" | jq -r .Digest) || fail "$form: skopeo inspect failed"
	eq "$form: skopeo inspect" "$got" "$D"
	# and build --push
	ctx "$T/c2"
	printf 'FROM busybox:test\nRUN echo pushed-by-build >/b\n' >"$T/c2/Dockerfile"
	build --push -t "$R/t/built:1" "$T/c2"

	# pull and run in a fresh store
	ROOT=$T/root-$form
	expect_rc 0 cb pull "$R/t/app:1"
	contains "$T/out" "Digest: $D"
	eq "$form: run" "$(crun "$R/t/app:1" cat /ok)" auth-ok
	# a build FROM the registry pulls with the same credentials
	ctx "$T/c3"
	printf 'FROM %s/t/built:1\nRUN cat /b >/c\n' "$R" >"$T/c3/Dockerfile"
	build -t from:1 "$T/c3"
	eq "$form: FROM" "$(crun from:1 cat /c)" pushed-by-build

	# wrong credentials for a pull: 401, nothing in a fresh store
	ROOT=$T/root-$form-wrong
	auth_file "$REGISTRY_AUTH_FILE" "$R" ci wrong
	fails_401 "pull \`$R/t/app:1\`" cb pull "$R/t/app:1"
	build_fails 1 -t from:1 "$T/c3"
	contains "$T/err" "Dockerfile:1"
	contains "$T/err" "$R/t/built:1"
	contains "$T/err" 401
	expect_rc 1 cb inspect "$R/t/app:1"

	rm -f "$REGISTRY_AUTH_FILE"
	ROOT=$T/root-$form-anon
	if [ "$form" = htpasswd ]; then
		fails_401 "pull \`$R/t/app:1\`" cb pull "$R/t/app:1"
		continue
	fi
	# token: anonymous pull granted, anonymous push refused
	expect_rc 0 cb pull "$R/t/app:1"
	contains "$T/out" "Digest: $D"
	ROOT=$T/root
	expect_rc 1 cb push app:1 "$R/t/anon:1"
	contains "$T/err" "push \`$R/t/anon:1\`"
	grep -Eq "401|denied|insufficient|refused" "$T/err" || fail "anonymous push: $(cat "$T/err")"
	! skopeo inspect --tls-verify=false "docker://$R/t/anon:1" >/dev/null 2>&1 ||
		fail "the anonymous push landed"
	# what the issuer granted
	TLOG=$RDIR/token.log
	grep -q "user=ci scope=repository:t/app:pull,push granted=t/app:pull,push -> 200" "$TLOG" ||
		fail "no pull,push token for ci: $(cat "$TLOG")"
	grep -q "user=ci .* -> 401" "$TLOG" || fail "wrong credentials were not refused: $(cat "$TLOG")"
	grep -q "user=- scope=repository:t/app:pull granted=t/app:pull -> 200" "$TLOG" ||
		fail "no anonymous pull token: $(cat "$TLOG")"
	grep -q "user=- scope=repository:t/anon:pull,push granted=t/anon:pull -> 200" "$TLOG" ||
		fail "the anonymous push asked no token, or got push: $(cat "$TLOG")"
done
finish
