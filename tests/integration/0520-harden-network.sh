#!/bin/bash
# Issue 11, finding 2 (host network by default): a payload sniffed host
# loopback traffic, reached a host-only TCP port and a host abstract UNIX
# socket.  Replayed against the private network that is now the default of
# `cbuild run` and of RUN steps: a TCP server on the host's 127.0.0.1 and an
# abstract socket are out of reach (through 127.0.0.1, the gateway address
# and the host's own address), while --network host reaches them (so the
# test can tell); outbound access to a host address that is not loopback
# works, DNS resolves through pasta's forwarder from a host resolver on
# loopback (systemd-resolved's case) and from one that is not; --network
# none has only lo; the steps of two stages share one namespace.
#
# Everything runs in a network namespace of the test's own (net-lib.sh) and
# a mount namespace in which /etc/resolv.conf names the test's DNS
# responder: no Internet, and fixed ports cannot collide with anything else.
. "$(dirname "$0")/net-lib.sh"
net_setup
# the secrets, the web server on 10.98.0.1, DNS on 127.0.0.53 and 10.98.0.53
net_servers
mount --bind "$T/resolv.conf" /etc/resolv.conf

# --- cbuild run ---
cb run --rm -v "$T/probe.sh:/probe.sh:ro" busybox:test /probe.sh "$ABSTRACT" >"$T/run.out" 2>"$T/run.err" ||
	fail "cbuild run failed: $(cat "$T/run.err")"
check_private "$T/run.out" "cbuild run"
# the resolver on the host's loopback answered, through pasta
grep -q '^web.test ' "$T/dns1.log" || fail "the loopback resolver was not asked: $(cat "$T/run.out")"
# the sandbox's resolv.conf: pasta's forwarder, the host's other lines kept
cb run --rm busybox:test cat /etc/resolv.conf >"$T/resolv.out" 2>"$T/run.err" || fail "cbuild run failed: $(cat "$T/run.err")"
eq "the sandbox's resolv.conf" "$(cat "$T/resolv.out")" "$(printf 'search test\noptions edns0\nnameserver 169.254.1.1')"
# --network bridge says the same
cb run --rm --network bridge -v "$T/probe.sh:/probe.sh:ro" busybox:test /probe.sh "$ABSTRACT" >"$T/run.out" 2>"$T/run.err" ||
	fail "cbuild run --network bridge failed: $(cat "$T/run.err")"
check_private "$T/run.out" "cbuild run --network bridge"
# --network host reaches both secrets: the test sees the difference
cb run --rm --network host -v "$T/probe.sh:/probe.sh:ro" busybox:test /probe.sh "$ABSTRACT" >"$T/host.out" 2>"$T/run.err" ||
	fail "cbuild run --network host failed: $(cat "$T/run.err")"
grep -qxF "tcp 127.0.0.1: $TOKEN " "$T/host.out" || fail "--network host did not reach 127.0.0.1:7001: $(cat "$T/host.out")"
grep -qx 'abstract: seen' "$T/host.out" || fail "--network host did not see the abstract socket: $(cat "$T/host.out")"
grep -qxF "netns: $HOST_NETNS" "$T/host.out" || fail "--network host: not the host's namespace: $HOST_NETNS $(cat "$T/host.out")"
# --network none: lo only, nothing outside
cb run --rm --network none -v "$T/probe.sh:/probe.sh:ro" busybox:test /probe.sh "$ABSTRACT" >"$T/none.out" 2>"$T/run.err" ||
	fail "cbuild run --network none failed: $(cat "$T/run.err")"
grep -qx 'ifs: lo ' "$T/none.out" || fail "--network none has more than lo: $(cat "$T/none.out")"
! grep -q 'outbound-ok' "$T/none.out" || fail "--network none reached 10.98.0.1"
! grep -qF "$TOKEN" "$T/none.out" || fail "--network none got the secret"

# --- RUN steps, a resolver that is not on loopback now ---
printf 'nameserver 10.98.0.53\n' >"$T/resolv.conf"
ctx c
cp "$T/probe.sh" c/probe.sh
cat >c/Dockerfile <<EOF
FROM busybox:test AS a
COPY probe.sh /
RUN /probe.sh $ABSTRACT > /a.out
RUN readlink /proc/self/ns/net > /a2.ns
FROM busybox:test AS b
RUN readlink /proc/self/ns/net > /b.ns
RUN --network=host nc 127.0.0.1 7001 </dev/null > /host.out
RUN --network=none ls /sys/class/net | tr '\n' ' ' > /none.out
FROM busybox:test
COPY --from=a /a.out /a2.ns /
COPY --from=b /b.ns /host.out /none.out /
EOF
build --no-cache -t net:steps c
crun net:steps cat /a.out >"$T/step.out"
check_private "$T/step.out" "RUN"
grep -q '^web.test ' "$T/dns2.log" || fail "the resolver on 10.98.0.53 was not asked: $(cat "$T/step.out")"
# one namespace for the build: every stage's steps share it
ns=$(sed -n 's/^netns: //p' "$T/step.out")
eq "the next step's network namespace" "$(crun net:steps cat /a2.ns)" "$ns"
eq "the other stage's network namespace" "$(crun net:steps cat /b.ns)" "$ns"
eq "RUN --network=host" "$(crun net:steps cat /host.out)" "$TOKEN"
eq "RUN --network=none" "$(crun net:steps cat /none.out)" "lo "
# build --network host: the steps reach the secret
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN nc 127.0.0.1 7001 </dev/null > /host.out
EOF
build --no-cache --network host -t net:host c
eq "build --network host" "$(crun net:host cat /host.out)" "$TOKEN"
# ... and by default they do not: the same step fails the build
build_fails 1 --no-cache -t net:default c
build_fails 1 --no-cache --network default -t net:default c
umount /etc/resolv.conf # ours, in the test's mount namespace
finish
