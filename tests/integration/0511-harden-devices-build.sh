#!/bin/bash
# Issue 11, finding 1 (host devices), in RUN steps and in images, as root
# with the default cgroup driver: a RUN step may mknod a host block device
# or fuse but not open it (EPERM), nor open the 0666 nodes an image layer
# ships, as root or as USER 1000; the standard devices and a pty work in a
# step; `cbuild run IMAGE -u 1000 --security-opt no-new-privileges` cannot
# open the shipped block node either.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"
. "$(dirname "$0")/harden-devices-lib.sh"
device_cgroup_or_na

# An image whose one layer ships 0666 device nodes, with the probe.
mkdir "$T/img"
tar -C "$T/img" -xf "$T/busybox.tar"
cp "$CB_PROBE" "$T/img/probe"
dev_nodes "$T/img/shipped"
require_node_opens "$T/img/shipped/loop0"
tar -C "$T/img" --numeric-owner -cf "$T/devimg.tar" .
cb import "$T/devimg.tar" devimg:test >/dev/null || fail "cbuild import failed"
cb run --rm devimg:test ls -l /shipped/loop0 >"$T/out" || fail "cbuild run devimg:test failed"
grep -q '^b' "$T/out" || fail "the layer lost its block node: $(cat "$T/out")"

ctx c
cat >c/Dockerfile <<'EOF2'
FROM devimg:test
RUN mknod /tmp/loop0 b 7 0 && mknod /dev/loop0 b 7 0 && mknod /tmp/fuse c 10 229 && \
    /probe dev /tmp/loop0 /dev/loop0 /tmp/fuse /shipped/loop0 /shipped/fuse /shipped/tty0 \
      /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/ptmx >/root-res && \
    rm /tmp/loop0 /tmp/fuse
RUN /probe pty >/pty-res
USER 1000
RUN /probe dev /shipped/loop0 /shipped/fuse /dev/null >/tmp/user-res
EOF2
build -t devbuild:test c
cb run --rm devbuild:test cat /root-res >"$T/out" || fail "reading /root-res"
for n in /tmp/loop0 /dev/loop0 /tmp/fuse /shipped/loop0 /shipped/fuse /shipped/tty0; do
	expect_value "open:$n" EPERM "$T/out"
done
for n in null zero full random urandom ptmx; do
	expect_value "open:/dev/$n" OK "$T/out"
done
cb run --rm devbuild:test cat /pty-res >"$T/out" || fail "reading /pty-res"
for n in ptmx pts ctty tty; do
	expect_value "$n" OK "$T/out"
done
cb run --rm devbuild:test cat /tmp/user-res >"$T/out" || fail "reading /tmp/user-res"
expect_value open:/shipped/loop0 EPERM "$T/out"
expect_value open:/shipped/fuse EPERM "$T/out"
expect_value open:/dev/null OK "$T/out"

# cbuild run IMAGE: uid 1000, no capabilities, no-new-privileges
cb run --rm -u 1000 --security-opt no-new-privileges devimg:test /probe dev /shipped/loop0 \
	>"$T/out" || fail "cbuild run -u 1000 failed"
expect_value open:/shipped/loop0 EPERM "$T/out"
finish
