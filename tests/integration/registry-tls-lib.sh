# Sourced by tests/integration/04NN-registry-*.sh after lib.sh (and
# build-lib.sh): Debian's docker-registry on 127.0.0.1 over TLS, with a
# test CA made here by the openssl CLI, and optionally htpasswd auth or
# client certificates.  Registries started here are stopped when the test
# exits.
#
#   make_ca                      $T/ca/ca.crt, ca.key; a server certificate
#                                for 127.0.0.1 and localhost (server.crt,
#                                server.key); a client certificate
#                                (client.cert, client.key)
#   start_tls_registry NAME [OPTIONS]
#                                a registry in $T/NAME; OPTIONS: tls (TLS),
#                                mtls (TLS and client certificates asked
#                                for), htpasswd FILE (Basic auth), plain.
#                                Sets REG (127.0.0.1:port) and PORT.
[ -x /usr/bin/docker-registry ] || skip "docker-registry is not installed"
command -v openssl >/dev/null || skip "the openssl CLI is not installed"
command -v curl >/dev/null || skip "curl is not installed"

# cert NAME SUBJECT EXT: a key and a certificate signed by the test CA
cert_signed() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$T/ca/$1.key" -out "$T/ca/$1.csr" -subj "$2" 2>/dev/null
	printf '%s\n' "$3" >"$T/ca/$1.ext"
	openssl x509 -req -in "$T/ca/$1.csr" -CA "$T/ca/ca.crt" -CAkey "$T/ca/ca.key" \
		-CAcreateserial -days 2 -out "$T/ca/$1.crt" -extfile "$T/ca/$1.ext" 2>/dev/null
}

make_ca() {
	mkdir -p "$T/ca"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$T/ca/ca.key" -out "$T/ca/ca.crt" -days 2 \
		-subj "/CN=cbuild test CA" 2>/dev/null || fail "openssl: no test CA"
	cert_signed server "/CN=127.0.0.1" \
		"subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth" || fail "openssl: no server certificate"
	cert_signed client "/CN=cbuild test client" "extendedKeyUsage=clientAuth" ||
		fail "openssl: no client certificate"
	mv "$T/ca/client.crt" "$T/ca/client.cert"
}

start_tls_registry() {
	local name=$1 mode=${2:-tls} dir=$T/$1 scheme=https
	mkdir -p "$dir"
	for _ in $(seq 1 20); do
		PORT=$((20000 + RANDOM % 40000))
		{
			printf 'version: 0.1\nlog:\n  level: info\nstorage:\n'
			printf '  filesystem:\n    rootdirectory: %s/data\n' "$dir"
			if [ "$mode" = htpasswd ]; then
				printf 'auth:\n  htpasswd:\n    realm: test\n    path: %s\n' "$3"
			fi
			printf 'http:\n  addr: 127.0.0.1:%s\n' "$PORT"
			case $mode in
			plain) scheme=http ;;
			*)
				printf '  tls:\n    certificate: %s\n    key: %s\n' \
					"$T/ca/server.crt" "$T/ca/server.key"
				[ "$mode" != mtls ] || printf '    clientcas:\n      - %s\n' "$T/ca/ca.crt"
				;;
			esac
		} >"$dir/config.yml"
		/usr/bin/docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
		# up: any HTTP answer (401 with htpasswd)
		if helper_up $! curl -s -o /dev/null -k --cert "$T/ca/client.cert" \
			--key "$T/ca/client.key" "$scheme://127.0.0.1:$PORT/v2/"; then
			REG=127.0.0.1:$PORT
			return 0
		fi
	done
	fail "docker-registry did not start: $(tail -5 "$dir/log")"
}
