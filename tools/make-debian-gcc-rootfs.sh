#!/bin/bash
# make-debian-gcc-rootfs.sh OUT.tar        make the rootfs tarball
# make-debian-gcc-rootfs.sh --mirror       print the mirror it would use
# make-debian-gcc-rootfs.sh --probe        exit 0 when the mirror answers,
#                                          else 1 with the reason on stderr
#
# A Debian rootfs with a C compiler, the base of the examples that compile
# (examples/Dockerfiles/c-multistage): `debootstrap --variant=minbase
# --include=gcc,libc6-dev SUITE`, then what makes no sense in an image is
# removed (apt's package cache and lists, device nodes, the host's
# /etc/hostname and /etc/resolv.conf, debootstrap's log) and the tree is
# written as a tar sorted by name with numeric owners.  About 60 s and
# 100 MB of downloads; `cbuild import OUT.tar NAME` makes the image.
#
# The mirror is the one this machine's apt uses for SUITE (main) --
# /etc/apt/sources.list, sources.list.d/*.list or *.sources -- so a machine
# that reaches only its own Debian mirror works; else deb.debian.org.
# apt's proxy (Acquire::http::Proxy) is passed on to debootstrap.
#   DEBIAN_MIRROR   the mirror to use instead
#   DEBIAN_SUITE    the release (default bookworm)
# Runs as root; needs debootstrap (tools/install-deps.sh gcc-base).
set -euo pipefail

suite=${DEBIAN_SUITE:-bookworm}

# apt_mirror: the first enabled `deb` source of $suite with component main.
apt_mirror() {
	local files=() m=
	shopt -s nullglob
	[ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
	files+=(/etc/apt/sources.list.d/*.list)
	[ ${#files[@]} = 0 ] || m=$(awk -v suite="$suite" '
		/^[ \t]*deb[ \t]/ {
			sub(/^[ \t]*deb[ \t]+/, "")
			if ($0 ~ /^\[/) sub(/^\[[^]]*\][ \t]*/, "")
			if ($2 != suite) next
			for (i = 3; i <= NF; i++) if ($i == "main") { print $1; exit }
		}' "${files[@]}")
	files=(/etc/apt/sources.list.d/*.sources)
	[ -n "$m" ] || [ ${#files[@]} = 0 ] || m=$(awk -v suite="$suite" '
		function has(list, word,   n, w, i) {
			n = split(list, w, /[ \t]+/)
			for (i = 1; i <= n; i++) if (w[i] == word) return 1
			return 0
		}
		function check() {
			if (has(f["types"], "deb") && tolower(f["enabled"]) != "no" &&
			    has(f["suites"], suite) && has(f["components"], "main")) {
				split(f["uris"], u, /[ \t]+/)
				if (u[1] != "") { print u[1]; found = 1; exit }
			}
			delete f
		}
		FNR == 1 && NR > 1 { check() }
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { check(); next }
		/^[A-Za-z-]+:/ {
			k = tolower(substr($0, 1, index($0, ":") - 1))
			v = substr($0, index($0, ":") + 1)
			gsub(/^[ \t]+|[ \t]+$/, "", v)
			f[k] = v
		}
		END { if (!found) check() }' "${files[@]}")
	echo "$m"
}

mirror() {
	local m=${DEBIAN_MIRROR:-}
	[ -n "$m" ] || m=$(apt_mirror)
	m=${m:-http://deb.debian.org/debian}
	echo "${m%/}"
}

# probe MIRROR: fetch dists/SUITE/Release within 15 s, with apt's own
# transports and proxy (apt-helper) where there is one, else curl or wget.
probe() {
	local url=$1/dists/$suite/Release out
	out=$(mktemp)
	if [ -x /usr/lib/apt/apt-helper ]; then
		timeout 20 /usr/lib/apt/apt-helper -o Acquire::http::Timeout=15 \
			-o Acquire::https::Timeout=15 -o Acquire::Retries=0 \
			download-file "$url" "$out" >/dev/null 2>"$out.err" || {
			[ -s "$out.err" ] || echo "no answer within 20 s" >"$out.err"
			echo "cannot fetch $url: $(tr "\n" " " <"$out.err" | sed "s/ *$//")" >&2
			rm -f "$out" "$out.err"
			return 1
		}
	elif command -v curl >/dev/null; then
		curl -fsS --max-time 15 -o "$out" "$url" 2>"$out.err" || {
			echo "cannot fetch $url: $(cat "$out.err")" >&2
			rm -f "$out" "$out.err"
			return 1
		}
	elif command -v wget >/dev/null; then
		wget -q -T 15 -t 1 -O "$out" "$url" 2>"$out.err" || {
			echo "cannot fetch $url (wget failed)" >&2
			rm -f "$out" "$out.err"
			return 1
		}
	else
		echo "cannot fetch $url: no apt-helper, curl or wget" >&2
		rm -f "$out"
		return 1
	fi
	if ! grep -q "^Codename: $suite\$\|^Suite: $suite\$" "$out"; then
		echo "$url is not the Release file of $suite" >&2
		rm -f "$out" "$out.err"
		return 1
	fi
	rm -f "$out" "$out.err"
}

case ${1:-} in
--mirror)
	mirror
	exit 0
	;;
--probe)
	probe "$(mirror)"
	exit
	;;
'' | -*)
	echo "usage: $0 OUT.tar | --mirror | --probe" >&2
	exit 2
	;;
esac
out=$1
[ "$(id -u)" = 0 ] || { echo "$0: debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || {
	echo "$0: debootstrap is not installed (tools/install-deps.sh gcc-base)" >&2
	exit 1
}
export PATH=$PATH:/usr/sbin:/sbin
m=$(mirror)
if [ -z "${http_proxy:-}" ]; then
	eval "$(apt-config shell http_proxy Acquire::http::Proxy 2>/dev/null || true)"
	[ -z "${http_proxy:-}" ] || export http_proxy
fi

work=$(mktemp -d /var/tmp/debian-gcc-XXXXXX)
r=$work/rootfs
part=$out.part.$$
# debootstrap mounts /proc and /sys in the target: if it dies before it
# unmounts them, do it here, and never let rm cross into a mount.
cleanup() {
	awk -v r="$r" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo |
		LC_ALL=C sort -r | while read -r mp; do umount -l "$mp" || true; done
	rm -rf --one-file-system "$work" "$part"
}
trap cleanup EXIT
echo "make-debian-gcc-rootfs: debootstrap $suite from $m" >&2
if ! debootstrap --variant=minbase --include=gcc,libc6-dev "$suite" "$r" "$m" \
	>"$work/log" 2>&1; then
	tail -n 20 "$work/log" >&2
	[ ! -f "$r/debootstrap/debootstrap.log" ] || tail -n 20 "$r/debootstrap/debootstrap.log" >&2
	echo "$0: debootstrap failed" >&2
	exit 1
fi
rm -rf "${r:?}"/var/cache/apt/archives/*.deb "${r:?}"/var/cache/apt/*.bin "${r:?}"/dev/* \
	"${r:?}"/var/log/bootstrap.log
find "$r/var/lib/apt/lists" -type f -delete
: >"$r/etc/hostname"
: >"$r/etc/resolv.conf"
# written beside OUT and renamed: an interrupted run leaves no partial OUT
tar -C "$r" --sort=name --numeric-owner --format=gnu -cf "$part" .
mv "$part" "$out"
