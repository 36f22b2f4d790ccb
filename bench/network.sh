#!/bin/bash
# What the private network (issue 11, finding 2) costs: a step's start with
# the private network (pasta) against --network host and none, and W1 with
# each, against runc (`runc run`, its own empty network namespace) and
# Docker's BuildKit on runc (a private dockerd, as bench/build.sh starts
# it), one hyperfine call per case so the tools share the machine's load.
#
#   run      `cbuild run --rm --network bridge|host|none --rootfs DIR true`
#            and `runc run` of the same busybox rootfs
#   step     `cbuild build --no-cache` of FROM busybox:bench + `RUN true`
#            with --network default|host|none; `docker build --no-cache`
#            with host and none (the daemon has no bridge for its default)
#   W1       bench/build.sh's W1 (FROM + 20 x `RUN echo N > /fN`),
#            --no-cache, with each network; BuildKit with host and none
#   W1 cached  the same without --no-cache: nothing runs, so no pasta
#            starts (the namespace is made when a step first misses)
#
# Usage: bench/network.sh [CBUILD]   (as root; default build/cli/cbuild)
#   RUNS         runs of each case (default 10)
#   BENCH_DIR    work directory (default /tmp/cbuild-bench-network)
# Needs hyperfine, runc, dockerd (docker.io), pasta (passt), python3.
# Prints a Markdown section for bench/RESULTS.md on standard output;
# hyperfine's own output goes to standard error.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)
cbuild=$(realpath "${1:-build/cli/cbuild}")
runs=${RUNS:-10}
dir=${BENCH_DIR:-/tmp/cbuild-bench-network}
dd=/tmp/bench-dn
export DOCKER_HOST=unix://$dd/docker.sock DOCKER_BUILDKIT=1
docker=/usr/bin/docker

# the dockerd helpers (fresh, daemons, dockerd_stop, dockerd_fresh), on $dd
# and $dir as set above
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"

[ "$(id -u)" = 0 ] || { echo "network.sh: run as root" >&2; exit 1; }
for t in hyperfine runc dockerd $docker pasta python3; do
	command -v "$t" >/dev/null || { echo "network.sh: $t is not installed" >&2; exit 1; }
done
[ -x "$cbuild" ] || { echo "network.sh: build cbuild first ($cbuild)" >&2; exit 1; }

cleanup() {
	set +e
	dockerd_stop
	findmnt -rn -o TARGET | grep "^$dd/" | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$dd" "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$dd" "$dir"
mkdir -p "$dd" "$dir/json"
load() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(load)

# --- the base, a runc bundle, the Dockerfiles -------------------------------
tools/make-busybox-rootfs.sh "$dir/bb.tar"
"$cbuild" --root "$dir/cb" import "$dir/bb.tar" busybox:bench >/dev/null
mkdir -p "$dir/bundle/rootfs"
tar -C "$dir/bundle/rootfs" -xf "$dir/bb.tar"
mkdir -p "$dir/bundle/rootfs/proc" "$dir/bundle/rootfs/dev" "$dir/bundle/rootfs/sys"
(cd "$dir/bundle" && runc spec)
python3 - "$dir/bundle/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = ["true"]
json.dump(c, open(sys.argv[1], "w"))
EOF
mkdir "$dir/step" "$dir/w1"
printf 'FROM busybox:bench\nRUN true\n' >"$dir/step/Dockerfile"
{
	echo "FROM busybox:bench"
	for i in $(seq 1 20); do echo "RUN echo $i > /f$i"; done
} >"$dir/w1/Dockerfile"
dockerd_fresh

v_cbuild=$(git -C "$top" describe --always --dirty --tags 2>/dev/null || echo unknown)
v_dockerd=$(dockerd --version)
v_runc=$(runc --version | head -1)
v_pasta=$(dpkg-query -W -f='${Version}' passt 2>/dev/null || echo unknown)
v_cpu="$(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

# case NAME COMMAND...: one hyperfine call, its results in $dir/json/NAME.json
case_() {
	local name=$1
	shift
	echo "== $name (load $(load))" >&2
	hyperfine -N --style basic --runs "$runs" --warmup 1 --export-json "$dir/json/$name.json" "$@" >&2
}
cb="$cbuild --root $dir/cb"
rootfs=$dir/bundle/rootfs
case_ run -n "cbuild private" "$cb run --rm --network bridge --rootfs $rootfs true" \
	-n "cbuild host" "$cb run --rm --network host --rootfs $rootfs true" \
	-n "cbuild none" "$cb run --rm --network none --rootfs $rootfs true" \
	-n "runc" "runc run --bundle $dir/bundle cbuild-bench-net-$$"
for w in step w1; do
	args=()
	for n in default host none; do
		args+=(-n "cbuild $n" "$cb build -q --no-cache --network $n -t $w $dir/$w")
		# bench/build.sh's dockerd has no bridge (--bridge=none): BuildKit's
		# default network is not there, host and none are
		[ "$n" = default ] ||
			args+=(-n "buildkit $n" "$docker build -q --no-cache --network=$n -t $w $dir/$w")
	done
	case_ "$w" "${args[@]}"
done
args=()
for n in default host none; do
	args+=(-n "cbuild $n" "$cb build -q --network $n -t w1 $dir/w1")
	[ "$n" = default ] || args+=(-n "buildkit $n" "$docker build -q --network=$n -t w1 $dir/w1")
done
case_ w1cached "${args[@]}"
load_end=$(load)

section=$(python3 - "$dir/json" <<'EOF'
import json, os, sys
d = sys.argv[1]
def med(case):
    p = os.path.join(d, case + ".json")
    return {r["command"]: r for r in json.load(open(p))["results"]} if os.path.exists(p) else {}
def fmt(r):
    return "–" if not r else f"{r['median'] * 1000:.1f} ms"
run = med("run")
print("| `run --rm --rootfs DIR true` | median | mean CPU (user+sys) |")
print("|---|---|---|")
for k in ("cbuild private", "cbuild host", "cbuild none", "runc"):
    r = run.get(k)
    cpu = "–" if not r else f"{(r['user'] + r['system']) * 1000:.1f} ms"
    print(f"| {k} | {fmt(r)} | {cpu} |")
print()
print("| build (--no-cache but W1 cached) | network | cbuild | BuildKit (runc) | BuildKit/cbuild |")
print("|---|---|---|---|---|")
for w, name in (("step", "`RUN true`"), ("w1", "W1 (20 RUN)"), ("w1cached", "W1 cached")):
    m = med(w)
    for n in ("default", "host", "none"):
        c, b = m.get(f"cbuild {n}"), m.get(f"buildkit {n}")
        ratio = "–" if not c or not b else f"{b['median'] / c['median']:.1f}x"
        print(f"| {name} | {n} | {fmt(c)} | {fmt(b)} | {ratio} |")
EOF
)
section="## Network: the private network's cost (bench/network.sh)

\`bench/network.sh\`, $(date -u +%Y-%m-%d).  $v_cpu, Linux $(uname -r).
cbuild $v_cbuild; pasta (passt $v_pasta); $v_runc; $v_dockerd (BuildKit on
runc, a private daemon).  Medians of $runs hyperfine runs each (1 warm-up);
load average $load_start at the start, $load_end at the end.
\`private\` is cbuild's default (\`--network bridge\` for run, \`default\` for
build); runc's bundle from \`runc spec\` has an empty network namespace of its
own.

$section"
echo "$section"
