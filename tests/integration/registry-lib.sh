# Sourced by tests/integration/04NN-registry-*.sh, after lib.sh and
# build-lib.sh: Debian's docker-registry on 127.0.0.1 (plain HTTP, as for
# every loopback registry) with its own config, on a free port, stopped
# when the test exits.  Unless REGISTRY_NO_START=1 is set before sourcing,
# one plain registry is started: REG (host:port), PORT, RPID; its log is
# $T/registry.log.
#
#   start_registry [plain|htpasswd|token]
#       another registry (each in its own $T/reg-N directory, all stopped at
#       exit); sets REG, PORT, RPID, RDIR and RLOG (its log).
#         plain     no auth
#         htpasswd  Basic auth: user `ci`, password `secret` (a bcrypt
#                   htpasswd file made by apache2-utils' htpasswd -B)
#         token     Bearer tokens from tests/helpers/token-issuer.py on
#                   another loopback port (TPORT; its log $RDIR/token.log):
#                   JWTs (RS256, x5c) signed with a key the openssl CLI
#                   makes here; `ci`:`secret` may pull and push, anonymous
#                   callers only pull, wrong credentials get a 401
#   auth_file FILE HOST USER PASS
#       write a containers-auth.json FILE holding USER:PASS for HOST
REGISTRY=/usr/bin/docker-registry
[ -x "$REGISTRY" ] || skip "docker-registry is not installed"
command -v skopeo >/dev/null || skip "skopeo is not installed"

NREG=0

# the auth: section of a registry config for FORM, in $RDIR
_registry_auth() {
	case $1 in
	plain) ;;
	htpasswd)
		command -v htpasswd >/dev/null || skip "htpasswd (apache2-utils) is not installed"
		htpasswd -Bbn ci secret >"$RDIR/htpasswd" 2>/dev/null || fail "htpasswd -B failed"
		printf 'auth:\n  htpasswd:\n    realm: cbuild-test\n    path: %s\n' "$RDIR/htpasswd"
		;;
	token)
		printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n' "$TPORT"
		printf '    service: cbuild-test-registry\n    issuer: cbuild-test-issuer\n'
		printf '    rootcertbundle: %s\n' "$RDIR/token.crt"
		;;
	*) fail "start_registry: unknown form $1" ;;
	esac
}

# the token issuer of a token-form registry: TPORT
_start_token_issuer() {
	command -v openssl >/dev/null || skip "openssl is not installed"
	command -v python3 >/dev/null || skip "python3 is not installed"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$RDIR/token.key" \
		-out "$RDIR/token.crt" -days 1 -subj /CN=cbuild-test-token \
		>"$RDIR/openssl.log" 2>&1 || fail "openssl req failed: $(cat "$RDIR/openssl.log")"
	start_helper "the token issuer" "$RDIR/token.port" \
		python3 "$CB_SOURCE_DIR/tests/helpers/token-issuer.py" "$RDIR/token.port" \
		"$RDIR/token.log" --key "$RDIR/token.key" --cert "$RDIR/token.crt" \
		--issuer cbuild-test-issuer --service cbuild-test-registry --user ci:secret \
		--anonymous pull
	read -r TPORT <"$RDIR/token.port" || fail "the token issuer did not start"
}

# is the registry on PORT answering (any status: an auth form answers 401)?
_registry_up() {
	local out
	out=$("$BUSYBOX" wget -q -O /dev/null "http://127.0.0.1:$1/v2/" 2>&1) && return 0
	case $out in *401*) return 0 ;; esac
	return 1
}

start_registry() {
	local form=${1:-plain}
	NREG=$((NREG + 1))
	RDIR=$T/reg-$NREG
	mkdir -p "$RDIR"
	RLOG=$RDIR/registry.log
	[ "$form" != token ] || _start_token_issuer
	for _ in $(seq 1 20); do
		PORT=$((20000 + RANDOM % 40000))
		{
			cat <<-CFG
				version: 0.1
				log:
				  level: info
				storage:
				  filesystem:
				    rootdirectory: $RDIR/data
				  delete:
				    enabled: true
				http:
				  addr: 127.0.0.1:$PORT
			CFG
			_registry_auth "$form"
		} >"$RDIR/registry.yml"
		# docker-registry reads REGISTRY_* variables as config: REGISTRY_AUTH_FILE
		# (the credentials of the tests' clients) would be its auth.file
		env -u REGISTRY_AUTH_FILE "$REGISTRY" serve "$RDIR/registry.yml" >"$RLOG" 2>&1 &
		RPID=$!
		if helper_up "$RPID" _registry_up "$PORT"; then
			REG=127.0.0.1:$PORT
			return 0
		fi
		RPID=
	done
	fail "docker-registry ($form) did not start: $(tail -5 "$RLOG")"
}

# fault_proxy NAME ARGS...: tests/helpers/fault-proxy.py with ARGS in front
# of the registry, its log $T/NAME.log; sets PPORT.  Stopped at exit.
fault_proxy() {
	local name=$1
	shift
	start_helper "the proxy" "$T/$name.port" python3 "$CB_SOURCE_DIR/tests/helpers/fault-proxy.py" \
		"$T/$name.port" "$T/$name.log" "$PORT" "$@"
	read -r PPORT <"$T/$name.port" || fail "the proxy did not start"
}

# saved_manifest IMAGE: cbuild save IMAGE, unpacked in $T/saved; sets MDIG
# to its manifest's digest and MAN to the manifest's path there.
saved_manifest() {
	cb save -o "$T/saved.tar" "$1" || fail "cbuild save $1 failed"
	rm -rf "$T/saved"
	mkdir -p "$T/saved"
	tar -C "$T/saved" -xf "$T/saved.tar"
	MDIG=$(jq -r '.manifests[0].digest' "$T/saved/index.json")
	MAN=$T/saved/blobs/sha256/${MDIG#sha256:}
}

auth_file() {
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$2" "$(printf '%s:%s' "$3" "$4" | base64 -w0)" >"$1"
}

if [ "${REGISTRY_NO_START:-0}" != 1 ]; then
	start_registry plain
	# the first registry's log where the tests before the forms look for it
	ln -sf "$RLOG" "$T/registry.log"
fi
