# Sourced by tests/integration/04NN-registry-*.sh, after lib.sh and
# build-lib.sh: Debian's docker-registry on 127.0.0.1 (plain HTTP, as for
# every loopback registry) with its own config in $T, on a free port,
# stopped when the test exits.  Sets REG (host:port), PORT, RPID; its log
# is $T/registry.log.
REGISTRY=/usr/bin/docker-registry
[ -x "$REGISTRY" ] || skip "docker-registry is not installed"
command -v skopeo >/dev/null || skip "skopeo is not installed"

# docker-registry with its own config, on a free port (it exits when the
# bind fails), stopped at the end
RPID=
trap '[ -z "$RPID" ] || { kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; } || true; rm -rf "$T"' EXIT
start_registry() {
	for _ in $(seq 1 20); do
		PORT=$((20000 + RANDOM % 40000))
		cat >"$T/registry.yml" <<-CFG
			version: 0.1
			log:
			  level: info
			storage:
			  filesystem:
			    rootdirectory: $T/registry-data
			  delete:
			    enabled: true
			http:
			  addr: 127.0.0.1:$PORT
		CFG
		"$REGISTRY" serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
		RPID=$!
		for _ in $(seq 1 100); do
			kill -0 "$RPID" 2>/dev/null || break
			if "$BUSYBOX" wget -q -O /dev/null "http://127.0.0.1:$PORT/v2/" 2>/dev/null; then
				return 0
			fi
			sleep 0.05
		done
		kill "$RPID" 2>/dev/null || true
		wait "$RPID" 2>/dev/null || true
		RPID=
	done
	fail "docker-registry did not start: $(tail -5 "$T/registry.log")"
}
start_registry
REG=127.0.0.1:$PORT
