# Sourced first by tests/integration/052N-harden-network*.sh (issue 11,
# finding 2): runs the test, as root, in a network namespace and a mount
# namespace of its own (unshare -n -m: the test re-executes itself there),
# then sources lib.sh and build-lib.sh.  Helpers:
#
#   net_setup        lo up; a veth pair: cbt0 10.99.0.2/24 with the default
#                    route via 10.99.0.1 (nobody answers there), which pasta
#                    copies into the private network, and cbt0p 10.98.0.1/24,
#                    the host address that is not loopback
#   our_pastas       the pasta processes of this test: those in its network
#                    namespace (other tests' are in theirs)
#   no_pasta_left WHAT  wait (5 s at most) until our_pastas is empty, else fail
if [ "${CB_NET_INNER:-}" != 1 ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	CB_NET_INNER=1 exec unshare -n -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"
[ "${CB_NET_INNER:-}" = 1 ] || skip "unshare (util-linux) is missing"
command -v pasta >/dev/null || skip "pasta (Debian package passt) is not installed"
command -v python3 >/dev/null || skip "python3 is missing"
command -v ip >/dev/null || skip "ip (iproute2) is missing"
command -v pgrep >/dev/null || skip "pgrep (procps) is missing"
# pasta makes its interface through /dev/net/tun: a kernel without TUN, or
# a host (a container) without the node, has no private network to test
python3 -c 'import os; os.close(os.open("/dev/net/tun", os.O_RDWR))' 2>"$T/tun.err" ||
	not_applicable_exit "the private network needs /dev/net/tun, which does not open here: $(tail -n 1 "$T/tun.err")"

net_setup() {
	ip link set lo up
	ip link add cbt0 type veth peer name cbt0p 2>"$T/veth.err" ||
		not_applicable_exit "no veth interfaces here: $(cat "$T/veth.err")"
	ip addr add 10.99.0.2/24 dev cbt0
	ip addr add 10.98.0.1/24 dev cbt0p
	ip link set cbt0 up
	ip link set cbt0p up
	ip route add default via 10.99.0.1 dev cbt0
}

# net_servers: what the tests reach for, in the test's namespace: the
# secrets of finding 2 (TOKEN from a TCP server on 127.0.0.1:7001 only and
# from the abstract UNIX socket @ABSTRACT), a web server on 10.98.0.1:8000
# (ok.txt: "outbound-ok"), DNS responders answering 10.98.0.1 on
# 127.0.0.53 (loopback, systemd-resolved's place; log $T/dns1.log) and
# 10.98.0.53 (log $T/dns2.log), $T/resolv.conf naming the first (a test
# binds it over /etc/resolv.conf), $T/probe.sh (what a payload tries; its
# output lines "tcp ADDR: ...", "abstract: seen|not seen", "web: ...",
# "dns: ...", "ifs: ...", "netns: ..."), and check_private FILE WHAT.
net_servers() {
	ip addr add 10.98.0.53/24 dev cbt0p
	TOKEN=bearer-$$-secret
	ABSTRACT=cbuild-net-secret-$$
	mkdir -p "$T/web"
	echo outbound-ok >"$T/web/ok.txt"
	cat >"$T/secrets.py" <<'EOF'
import os, socket, sys, threading
tok, abstract, ready = sys.argv[1], sys.argv[2], sys.argv[3]
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 7001)); t.listen(16)
u = socket.socket(socket.AF_UNIX); u.bind("\0" + abstract); u.listen(16)
def serve(s):
    while True:
        c, _ = s.accept(); c.sendall((tok + "\n").encode()); c.close()
threading.Thread(target=serve, args=(u,), daemon=True).start()
open(ready, "w").write("7001\n")
serve(t)
EOF
	start_helper "the secrets" "$T/secrets.ready" python3 "$T/secrets.py" "$TOKEN" "$ABSTRACT" "$T/secrets.ready"
	python3 -m http.server -b 10.98.0.1 -d "$T/web" 8000 >/dev/null 2>"$T/web.err" &
	helper_up $! web_up ||
		fail "the web server did not start: $(cat "$T/web.err")"
	DNS=$CB_SOURCE_DIR/tests/helpers/dns-responder.py
	start_helper "the loopback DNS responder" "$T/dns1.ready" python3 "$DNS" 127.0.0.53 53 10.98.0.1 "$T/dns1.ready" "$T/dns1.log"
	start_helper "the DNS responder" "$T/dns2.ready" python3 "$DNS" 10.98.0.53 53 10.98.0.1 "$T/dns2.ready" "$T/dns2.log"
	printf 'search test\nnameserver 127.0.0.53\noptions edns0\n' >"$T/resolv.conf"

	# what a payload tries: the secrets through every way to the host's
	# loopback, the abstract socket (listed in /proc/net/unix only in its own
	# namespace), the web server, a name
	cat >"$T/probe.sh" <<'EOF'
#!/bin/sh
for a in 127.0.0.1 10.99.0.1 10.99.0.2; do
	printf 'tcp %s: %s\n' "$a" "$(nc -w 2 "$a" 7001 </dev/null 2>&1 | tr '\n' ' ')"
done
grep -q "@$1" /proc/net/unix && echo "abstract: seen" || echo "abstract: not seen"
printf 'web: %s\n' "$(wget -q -O - http://10.98.0.1:8000/ok.txt 2>&1)"
printf 'dns: %s\n' "$(nslookup web.test 2>&1 | grep -A1 '^Name:' | tr '\n' ' ')"
# the namespace's interfaces, as /proc and as /sys see them
printf 'ifs: %s\n' "$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev | sort | tr '\n' ' ')"
printf 'sysifs: %s\n' "$(ls /sys/class/net | sort | tr '\n' ' ')"
printf 'netns: %s\n' "$(readlink /proc/self/ns/net)"
EOF
	chmod 755 "$T/probe.sh"
	HOST_NETNS=$(readlink /proc/self/ns/net)
}

web_up() {
	python3 -c 'import urllib.request as u; u.urlopen("http://10.98.0.1:8000/ok.txt", timeout=1)' 2>/dev/null
}

# check_private FILE WHAT: the probe's output from a private network.
check_private() {
	local f=$1 what=$2
	! grep -qF "$TOKEN" "$f" || fail "$what: the payload got the host's loopback secret: $(cat "$f")"
	grep -qx 'abstract: not seen' "$f" || fail "$what: the host's abstract socket is visible: $(cat "$f")"
	grep -qx 'web: outbound-ok' "$f" || fail "$what: no outbound access to 10.98.0.1: $(cat "$f")"
	grep -q '^dns: Name:.*web.test Address: 10.98.0.1' "$f" || fail "$what: web.test did not resolve: $(cat "$f")"
	grep -q '^ifs: .*lo' "$f" || fail "$what: no lo: $(cat "$f")"
	# /sys is the namespace's own sysfs, not a bind of the host's
	[ "$(sed -n 's/^ifs: //p' "$f")" = "$(sed -n 's/^sysifs: //p' "$f")" ] ||
		fail "$what: /sys/class/net is not the namespace's: $(cat "$f")"
	! grep -qxF "netns: $HOST_NETNS" "$f" || fail "$what: ran in the host's network namespace"
}

NET_SELF=$(readlink /proc/self/ns/net)
our_pastas() {
	local p
	# pasta re-executes itself (passt.avx2): found by its argv[0]
	for p in $(pgrep -f '^pasta '); do
		[ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" != "$NET_SELF" ] || echo "$p"
	done
}

no_pasta_left() {
	local i
	for i in $(seq 100); do
		[ -z "$(our_pastas)" ] && return 0
		sleep 0.05
	done
	fail "$1: pasta is still running: $(our_pastas | xargs -r ps -o pid,ppid,args -p)"
}
