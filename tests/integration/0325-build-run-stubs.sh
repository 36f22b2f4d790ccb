#!/bin/bash
# The mount points a RUN step needs that its image lacks (/proc, /dev,
# /sys, /etc/hosts, /etc/resolv.conf, /etc/hostname) come from a stubs
# directory the builder stacks on top of the stage's layers
# (builder/stubs.c): the step sees the image's own directories with their
# metadata (mode, owner, times of the topmost layer's), the bind-mounted
# files in place, and none of the stubs reaches a layer.  Unusual paths (a
# dangling /etc/resolv.conf symlink, /etc a symlink) go the runtime's own
# way and give the same result.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

# an image with only /bin (busybox) and an /etc of unusual metadata: mode
# 0750, owner 7:8, mtime 2001-09-09T01:46:40Z; no /proc, /dev, /sys
r=$T/odd
mkdir -p "$r/bin" "$r/etc"
cp "$BUSYBOX" "$r/bin/busybox"
for a in sh cat stat ls echo test; do ln -s busybox "$r/bin/$a"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
chmod 0750 "$r/etc"
chown 7:8 "$r/etc"
touch -d @1000000000 "$r/etc"
tar -C "$r" --numeric-owner -cf "$T/odd.tar" bin etc
cb import "$T/odd.tar" odd:1 >/dev/null || fail "cbuild import failed"

ctx c
cat >c/Dockerfile <<'EOF'
FROM odd:1
RUN stat -c '%a %u %g %Y' /etc > /etc-seen && cat /etc/hostname > /hostname-seen && ls /proc/self/fd > /dev/null
RUN stat -c '%a %u %g' /etc > /etc-seen2 && test -s /etc/hosts && test -f /etc/resolv.conf
RUN echo third > /third
EOF
build -t stubs:1 c
eq "/etc as the first step saw it" "$(crun stubs:1 cat /etc-seen)" "750 7 8 1000000000"
eq "/etc in the second step" "$(crun stubs:1 cat /etc-seen2)" "750 7 8"
eq "hostname" "$(crun stubs:1 cat /hostname-seen)" "buildkitsandbox"
# what runc leaves (the mount point directories, /etc touched), never a stub file
for n in 1 2 3; do
	layer_entries stubs:1 "$n" >"$T/l$n"
	not_in_file "$T/l$n" "etc/hosts"
	not_in_file "$T/l$n" "etc/resolv.conf"
	not_in_file "$T/l$n" "etc/hostname"
done
in_file "$T/l1" "proc"
in_file "$T/l1" "dev"
in_file "$T/l1" "sys"
layer_verbose stubs:1 1 | grep ' etc/\?$' >"$T/etc1" || fail "layer 1 has no /etc"
in_file "$T/etc1" "drwxr-x--- 7/8"
# the stage's scratch directory (upperdirs, workdir, stubs) is gone
[ -z "$(ls -A "$ROOT/tmp" 2>/dev/null | grep scratch)" ] || fail "scratch left in $ROOT/tmp: $(ls "$ROOT/tmp")"

# unusual paths: a dangling /etc/resolv.conf symlink and a symlinked /etc
# are the runtime's to handle (its stubs layer); the step still runs
r=$T/links
mkdir -p "$r/bin" "$r/real-etc"
cp "$BUSYBOX" "$r/bin/busybox"
for a in sh cat; do ln -s busybox "$r/bin/$a"; done
ln -s real-etc "$r/etc"
ln -s /run/resolv.conf "$r/real-etc/resolv.conf"
tar -C "$r" --numeric-owner -cf "$T/links.tar" bin etc real-etc
cb import "$T/links.tar" links:1 >/dev/null || fail "cbuild import failed"
ctx l
cat >l/Dockerfile <<'EOF'
FROM links:1
RUN cat /etc/resolv.conf > /resolv-seen && cat /etc/hostname > /hostname-seen
EOF
build -t stubs:2 l
eq "hostname through a symlinked /etc" "$(crun stubs:2 cat /hostname-seen)" "buildkitsandbox"
layer_entries stubs:2 1 >"$T/links1"
not_in_file "$T/links1" "run/resolv.conf"
not_in_file "$T/links1" "real-etc/hostname"
finish
