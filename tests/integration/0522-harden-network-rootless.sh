#!/bin/bash
# Issue 11, finding 2, without real root: an ordinary user's `cbuild run`
# and RUN steps get the private network too.  Their steps make their own
# user namespace, which a namespace made once per build would not belong
# to, so each step gets its own network namespace and its own pasta
# (joined to the step's user namespace), stopped when the step ends.  The
# host's loopback secret and abstract socket stay out of reach; outbound
# access and DNS work.  pasta needs /dev/net/tun: where the host keeps it
# from ordinary users (0600, as here), the network is lo only and cbuild
# says why; the test then gives the user a tun node of its own, in its own
# mount namespace, for the rest.
. "$(dirname "$0")/net-lib.sh"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
kernel_userns unprivileged || not_applicable_exit "rootless runs: $WHY"
kernel_fs overlay || not_applicable_exit "rootless runs (overlay): $WHY"
net_setup
net_servers
mount --bind "$T/resolv.conf" /etc/resolv.conf
chmod 755 "$T"
chmod 755 "$T/probe.sh"
AS_USER="setpriv --reuid 1000 --regid 1000 --clear-groups"
US=$T/ustore
ucb() { $AS_USER "$CBUILD" --root "$US" "$@"; }
mkdir "$US"
chown 1000:1000 "$US"
chmod 644 "$T/busybox.tar"
ucb import "$T/busybox.tar" busybox:test >/dev/null 2>"$T/err" || fail "cbuild import as a user failed: $(cat "$T/err")"

# probe_run OUT [OPTIONS]: the probe in `cbuild run` as the user
probe_run() {
	local out=$1
	shift
	ucb run --rm "$@" -v "$T/probe.sh:/probe.sh:ro" busybox:test /probe.sh "$ABSTRACT" >"$out" 2>"$T/run.err" ||
		fail "cbuild run $* as a user failed: $(cat "$T/run.err")"
}

# /dev/net/tun as the host has it
if $AS_USER sh -c 'exec 3<>/dev/net/tun' 2>/dev/null; then
	not_applicable "/dev/net/tun is open to ordinary users here: the lo-only fallback is not seen"
else
	probe_run "$T/lo.out"
	contains "$T/run.err" "warning: no outbound network: rootless, and /dev/net/tun is not open to this user"
	grep -qx 'ifs: lo ' "$T/lo.out" || fail "without /dev/net/tun: more than lo: $(cat "$T/lo.out")"
	! grep -qF "$TOKEN" "$T/lo.out" || fail "without /dev/net/tun: the payload got the secret"
	! grep -qxF "netns: $HOST_NETNS" "$T/lo.out" || fail "without /dev/net/tun: the host's namespace"
fi

# A tun node open to everyone, over /dev/net/tun in the test's mount namespace only
mknod -m 666 "$T/tun" c 10 200
mount --bind "$T/tun" /dev/net/tun
probe_run "$T/run.out"
check_private "$T/run.out" "rootless cbuild run"
[ ! -s "$T/run.err" ] || fail "rootless cbuild run: unexpected messages: $(cat "$T/run.err")"
no_pasta_left "after a rootless cbuild run"
# --network host reaches the secret: the test sees the difference
probe_run "$T/host.out" --network host
grep -qxF "tcp 127.0.0.1: $TOKEN " "$T/host.out" || fail "rootless --network host did not reach the secret: $(cat "$T/host.out")"

# RUN steps: each its own namespace and pasta
ctx c
{
	echo 'FROM busybox:test'
	echo "RUN cat >/probe.sh <<'PROBE' && sh /probe.sh $ABSTRACT | sed 's/^/probe /'"
	cat "$T/probe.sh"
	echo 'PROBE'
	echo 'RUN echo "probe2 $(readlink /proc/self/ns/net)"'
} >c/Dockerfile
chmod -R a+rX c
# (the step's output is read from the progress)
$AS_USER "$CBUILD" --root "$US" build --progress plain -t net:rootless c >"$T/out" 2>"$T/err" ||
	fail "rootless build failed: $(cat "$T/err")"
sed -n 's/^#[0-9]* [0-9.]* probe //p' "$T/err" >"$T/step.out"
check_private "$T/step.out" "rootless RUN"
ns=$(sed -n 's/^netns: //p' "$T/step.out")
ns2=$(sed -n 's/^#[0-9]* [0-9.]* probe2 //p' "$T/err")
[ -n "$ns2" ] || fail "the second step printed no namespace: $(cat "$T/err")"
[ "$ns2" != "$ns" ] || fail "rootless steps shared a namespace"
no_pasta_left "after a rootless build"
# the build removed its scratch (overlayfs leaves work/work at mode 000
# for a rootless mount), and the store opens again
[ -z "$(ls "$US/tmp")" ] || fail "a rootless build left $(ls "$US/tmp") in the store's tmp"
ucb images >"$T/out" 2>"$T/err" || fail "the store does not open after a rootless build: $(cat "$T/err")"
umount /dev/net/tun /etc/resolv.conf
finish
