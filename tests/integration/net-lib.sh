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
