#!/bin/bash
# make-busybox-rootfs.sh OUT.tar [BUSYBOX]
#
# Write a tiny, deterministic busybox rootfs tarball: the base image of the
# BuildKit reference builds (tests/data/buildkit-build).  `docker import OUT.tar
# busybox:cbref` made the reference; `cbuild import OUT.tar busybox:cbref`
# makes the same base for cbuild, so both builders start from identical files.
#
#   /bin/busybox          the static binary (default /bin/busybox, Debian's
#                         busybox-static), mode 0755
#   /bin/APPLET           a symlink to `busybox` for every `busybox --list`
#                         applet but busybox itself
#   /etc/passwd, /etc/group   users root 0:0, user 1000:1000, other 1001:10
#                         (primary group wheel), nobody 65534:65534; groups
#                         root 0, wheel 10 (member: user), user 1000,
#                         nogroup 65534
#   /root 0700, /tmp 1777
#
# Every entry is owned 0:0 (numeric, no user names), has mtime
# 2000-01-01T00:00:00Z (946684800) and the tar is sorted by name, so the same
# busybox binary always gives the same bytes.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUT.tar [BUSYBOX]" >&2
	exit 2
fi
out=$1
bb=${2:-/bin/busybox}
[ -x "$bb" ] || {
	echo "$0: $bb is not an executable busybox" >&2
	exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/rootfs
umask 022
mkdir -p "$r/bin" "$r/etc" "$r/root" "$r/tmp"
chmod 0700 "$r/root"
chmod 1777 "$r/tmp"
cp "$bb" "$r/bin/busybox"
chmod 0755 "$r/bin/busybox"
"$bb" --list | LC_ALL=C sort -u | while read -r applet; do
	case $applet in
	busybox | */* | '') continue ;;
	esac
	ln -s busybox "$r/bin/$applet"
done

cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
other:x:1001:10:other, primary group wheel:/home/other:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$r/etc/group" <<'EOF'
root:x:0:
wheel:x:10:user
user:x:1000:
nogroup:x:65534:
EOF
chmod 0644 "$r/etc/passwd" "$r/etc/group"

# No "./" entry and no "./" prefix: the names are bin, bin/busybox, ..., tmp.
tar -C "$r" --sort=name --format=gnu --numeric-owner --owner=0 --group=0 \
	--mtime=@946684800 -cf "$work/out.tar" bin etc root tmp
mv "$work/out.tar" "$out"
