#!/bin/bash
# Builder benchmarks (issue 9): `cbuild build` against Docker's BuildKit
# (Debian's docker.io, a private dockerd started and stopped here) and
# `buildah bud --layers` (a private storage root), same machine, same data,
# one run, hyperfine medians.
#
#   W1  FROM busybox:bench + 20 x `RUN echo N > /fN`
#       cold          nothing cached: each run starts from new, empty stores
#                     with only the base in them (cbuild: a new --root and
#                     `cbuild import`; BuildKit: dockerd restarted on a new
#                     --data-root and `docker import`; buildah: a new --root
#                     and --runroot and `buildah pull`), see fresh() below
#       cached        the same build again, nothing changed
#   W2  FROM scratch + COPY . /app of ~850 MB in ~54k files (a Python stdlib
#       and /usr/include)
#       cold          as W1 (no base)
#       no change     the same build again
#       one file      a line appended to one file before each run
#   RSS peak RSS of cbuild (/usr/bin/time -v) in W2 cold, no change and one
#       file changed
#
# dockerd and its containerd are frozen (SIGSTOP) while cbuild and buildah
# are measured: after a build they kept a core busy in an earlier run.
#
# Targets (issue 9): W1 cold >= 5x BuildKit and >= 40x buildah, W1 cached
# <= 20 ms; W2 cold >= 4x BuildKit, no change >= 3x BuildKit (aim <= 0.3 s),
# one file >= 8x BuildKit; peak RSS <= 64 MiB.
#
# No network is used: the busybox base is made by tools/make-busybox-rootfs.sh
# and given to each builder (`cbuild import`, `docker import`, and for buildah
# an OCI archive written by `cbuild save` and `buildah pull oci-archive:`).
# Every build runs with the network off (--network none).
#
# Usage: bench/build.sh [CBUILD]   (as root; default build/cli/cbuild)
#   BENCH_DIR      work directory (default /tmp/cbuild-bench-build; ~5 GB,
#                  and ~15 GB more of stores under /tmp/bench-[bd] at the end)
#   RUNS           runs of the fast cases (default 5)
#   SLOW_RUNS      runs of W2 cold and one file, cbuild and BuildKit (default 3)
#   BUILDAH_RUNS   runs of each W2 case with buildah (default 2: ~1 min each;
#                  0 leaves buildah out of W2)
#   CBUILD_DESCRIBE  the version to print for cbuild (default: git describe
#                  of this tree, right only when CBUILD was built from it)
#   CONTEXT_SRC    directories copied into the W2 context (default: the
#                  pyenv Python 3.11 stdlib and /usr/include, else
#                  /usr/lib/python3* /usr/include /usr/share)
# dockerd runs with --data-root etc. under /tmp/bench-d and buildah with
# --root/--runroot under /tmp/bench-b; both are removed at the end, dockerd
# is stopped (trap).  Prints a Markdown section for bench/RESULTS.md on
# standard output (also left in $BENCH_DIR/../cbuild-bench-build.md);
# hyperfine's own output goes to standard error.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=${BENCH_DIR:-/tmp/cbuild-bench-build}
dd=/tmp/bench-d
bd=/tmp/bench-b
export DOCKER_HOST=unix://$dd/docker.sock DOCKER_BUILDKIT=1
docker=/usr/bin/docker
buildah="buildah --root $bd/root --runroot $bd/run --storage-driver overlay"

# The --prepare steps of hyperfine call this script again.
if [ "${1:-}" = --prepare ]; then
	case $2 in
	cb-w1-cold)
		fresh "$dir/cb"
		"$CB_BENCH_CBUILD" --root "$dir/cb" import "$dir/bb.tar" busybox:bench >/dev/null ;;
	cb-w2-cold) fresh "$dir/cb" ;;
	bk-cold) dockerd_fresh ;;
	ba-w1-cold | ba-w2-cold)
		fresh "$bd/root"
		fresh "$bd/run"
		[ "$2" = ba-w2-cold ] || $buildah pull -q "oci-archive:$dir/bb-oci.tar" >/dev/null ;;
	change) echo "# bench $(date +%s.%N)" >>"$dir/w2/$(cat "$dir/changed")" ;;
	sync) ;;
	*) echo "build.sh: unknown prepare step $2" >&2; exit 2 ;;
	esac
	sync
	exit 0
fi

bench_init build.sh "${1:-}"
export CB_BENCH_CBUILD=$cbuild
runs=${RUNS:-5}
slow=${SLOW_RUNS:-3}
bruns=${BUILDAH_RUNS:-2}

bench_require hyperfine buildah dockerd $docker python3 /usr/bin/time
if [ -S "$dd/docker.sock" ] && $docker version >/dev/null 2>&1; then
	echo "build.sh: a dockerd already answers on $dd/docker.sock; stop it first" >&2
	exit 1
fi

cleanup() {
	set +e
	daemons CONT
	dockerd_stop
	# Mounts the daemons may leave behind (dockerd binds its data root).
	bench_umount_under "$dd" "$bd"
	rm -rf "$dd" "$bd" "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$dd" "$bd" "$dir"
mkdir -p "$dd" "$bd" "$dir" "$dir/json"
load_start=$(load)

# --- bases and contexts ---------------------------------------------------
tools/make-busybox-rootfs.sh "$dir/bb.tar"
"$cbuild" --root "$dir/base" import "$dir/bb.tar" busybox:bench >/dev/null
"$cbuild" --root "$dir/base" save -o "$dir/bb-oci.tar" --format oci busybox:bench
rm -rf "$dir/base"

mkdir "$dir/w1"
{
	echo "FROM busybox:bench"
	for i in $(seq 1 20); do echo "RUN echo $i > /f$i"; done
} >"$dir/w1/Dockerfile"

if [ -n "${CONTEXT_SRC:-}" ]; then
	read -r -a srcs <<<"$CONTEXT_SRC"
elif [ -d /root/.pyenv/versions/3.11.7/lib/python3.11 ]; then
	srcs=(/root/.pyenv/versions/3.11.7/lib/python3.11 /usr/include)
else
	srcs=(/usr/lib/python3* /usr/include /usr/share)
fi
mkdir "$dir/w2"
echo "copying ${srcs[*]} into the W2 context ..." >&2
cp -a "${srcs[@]}" "$dir/w2/"
printf 'FROM scratch\nCOPY . /app\n' >"$dir/w2/Dockerfile"
(cd "$dir/w2" && { [ -f python3.11/os.py ] && echo python3.11/os.py ||
	find . -type f -name '*.h' | sort | head -1; }) >"$dir/changed"
ctx_bytes=$(du -sb "$dir/w2" | cut -f1)
ctx_disk=$(du -sh "$dir/w2" | cut -f1)
ctx_files=$(find "$dir/w2" -type f | wc -l)
ctx_entries=$(find "$dir/w2" | wc -l)
sync

# --- dockerd and buildah --------------------------------------------------
dockerd_fresh
"$self" --prepare ba-w1-cold
$buildah images --format '{{.Name}}:{{.Tag}}' | grep -q 'busybox:bench$' ||
	{ echo "build.sh: buildah did not name the base busybox:bench" >&2; exit 1; }

bench_versions "$dir"
v_dockerd=$(dockerd --version)
v_buildkit=$($docker info --format '{{.ServerVersion}}' 2>/dev/null)
v_buildah=$(buildah --version)
v_runc=$(runc --version 2>/dev/null | head -1 || true)

# --- measurements ---------------------------------------------------------
cb="$cbuild --root $dir/cb build -q --network none"
bk="$docker build -q --network=none"
ba="$buildah bud --layers -q --network none"

# bench CASE TOOL RUNS PREPARE-STEP COMMAND.  Every step ends with a sync, so
# no run pays for the writeback of the one before.
bench() {
	local case=$1 tool=$2 n=$3 prep=$4 cmd=$5
	# dockerd and its containerd keep working after a build (they took a core
	# between builds in an earlier run): frozen while the other tools are
	# measured, as if they were not running; BuildKit's own runs include them
	[ "$tool" = buildkit ] || daemons STOP
	echo "== $case / $tool (load $(load))" >&2
	hyperfine -N --style basic --runs "$n" --prepare "$self --prepare $prep" \
		--export-json "$dir/json/$case.$tool.json" -n "$case $tool" "$cmd" >&2
	echo "$case $tool $(load)" >>"$dir/json/loads"
	daemons CONT
}


w1=$dir/w1 w2=$dir/w2
# Tools take turns within each case so that they share the machine's load
# (other work on it comes and goes), except buildah in W2, last: its runs
# take a minute and delete a 60k-file container tree each (see fresh()).
bench w1-cold cbuild "$runs" cb-w1-cold "$cb -t w1 $w1"
bench w1-cold buildkit "$runs" bk-cold "$bk -t w1 $w1"
bench w1-cold buildah "$runs" ba-w1-cold "$ba -t w1 $w1"
bench w1-cached cbuild "$((runs * 4))" sync "$cb -t w1 $w1"
bench w1-cached buildkit "$runs" sync "$bk -t w1 $w1"
bench w1-cached buildah "$runs" sync "$ba -t w1 $w1"

bench w2-cold cbuild "$slow" cb-w2-cold "$cb -t w2 $w2"
bench w2-cold buildkit "$slow" bk-cold "$bk -t w2 $w2"
bench w2-nochange cbuild "$runs" sync "$cb -t w2 $w2"
bench w2-nochange buildkit "$runs" sync "$bk -t w2 $w2"
bench w2-onefile cbuild "$slow" change "$cb -t w2 $w2"
bench w2-onefile buildkit "$slow" change "$bk -t w2 $w2"
if [ "$bruns" -gt 0 ]; then
	bench w2-cold buildah "$bruns" ba-w2-cold "$ba -t w2 $w2"
	bench w2-nochange buildah "$bruns" sync "$ba -t w2 $w2"
	bench w2-onefile buildah "$bruns" change "$ba -t w2 $w2"
fi

rss() { # COMMAND...: peak RSS in KiB
	/usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ { print $6 }'
}
daemons STOP
"$self" --prepare cb-w2-cold
# shellcheck disable=SC2086 # $cb is a command line, split on purpose
rss_cold=$(rss $cb -t w2 "$w2")
rss_nochange=$(rss $cb -t w2 "$w2")
"$self" --prepare change
# shellcheck disable=SC2086
rss_onefile=$(rss $cb -t w2 "$w2")
daemons CONT
load_end=$(load)

# --- report ---------------------------------------------------------------
section=$(python3 - "$dir/json" <<EOF
import json, os, sys
d = sys.argv[1]
def res(case, tool):
    p = os.path.join(d, f"{case}.{tool}.json")
    return json.load(open(p))["results"][0] if os.path.exists(p) else None
def med(case, tool):
    r = res(case, tool)
    return r["median"] if r else None
def fmt(s):
    return "–" if s is None else f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"
def ratio(a, b):
    return "–" if a is None or b is None else f"{a / b:.1f}x"
cases = [("w1-cold", "W1 cold"), ("w1-cached", "W1 fully cached"),
         ("w2-cold", "W2 cold"), ("w2-nochange", "W2 no change"),
         ("w2-onefile", "W2 one file changed")]
runs = lambda c, t: len(res(c, t)["times"]) if res(c, t) else 0
print("| case | cbuild | BuildKit | buildah | BuildKit/cbuild | buildah/cbuild | cbuild CPU (mean user+sys) | runs cb/bk/ba |")
print("|---|---|---|---|---|---|---|---|")
for c, name in cases:
    cb, bk, ba = med(c, "cbuild"), med(c, "buildkit"), med(c, "buildah")
    r = res(c, "cbuild")
    cpu = fmt(r["user"] + r["system"]) if r else "–"
    print(f"| {name} | {fmt(cb)} | {fmt(bk)} | {fmt(ba)} | {ratio(bk, cb)} | {ratio(ba, cb)} | {cpu} | "
          f"{runs(c, 'cbuild')}/{runs(c, 'buildkit')}/{runs(c, 'buildah')} |")
rc, rn, ro = $rss_cold / 1024, $rss_nochange / 1024, $rss_onefile / 1024
print()
print(f"Peak RSS of cbuild in W2: cold {rc:.1f} MiB, no change {rn:.1f} MiB, one file changed {ro:.1f} MiB.")
print()
def target(name, ok, got):
    print(f"| {name} | {got} | {'holds' if ok else '**does not hold**'} |")
m = med
print("| target (issue 9) | measured | |")
print("|---|---|---|")
target("W1 cold >= 5x BuildKit", m("w1-cold", "buildkit") / m("w1-cold", "cbuild") >= 5,
       ratio(m("w1-cold", "buildkit"), m("w1-cold", "cbuild")))
target("W1 cold >= 40x buildah", m("w1-cold", "buildah") / m("w1-cold", "cbuild") >= 40,
       ratio(m("w1-cold", "buildah"), m("w1-cold", "cbuild")))
target("W1 fully cached <= 20 ms", m("w1-cached", "cbuild") <= 0.020, fmt(m("w1-cached", "cbuild")))
target("W2 cold >= 4x BuildKit", m("w2-cold", "buildkit") / m("w2-cold", "cbuild") >= 4,
       ratio(m("w2-cold", "buildkit"), m("w2-cold", "cbuild")))
target("W2 no change >= 3x BuildKit", m("w2-nochange", "buildkit") / m("w2-nochange", "cbuild") >= 3,
       ratio(m("w2-nochange", "buildkit"), m("w2-nochange", "cbuild")))
target("W2 no change <= 0.3 s (aim)", m("w2-nochange", "cbuild") <= 0.3, fmt(m("w2-nochange", "cbuild")))
target("W2 one file >= 8x BuildKit", m("w2-onefile", "buildkit") / m("w2-onefile", "cbuild") >= 8,
       ratio(m("w2-onefile", "buildkit"), m("w2-onefile", "cbuild")))
target("peak RSS <= 64 MiB", max(rc, rn, ro) <= 64, f"{max(rc, rn, ro):.1f} MiB")
print()
loads = [l.split() for l in open(os.path.join(d, "loads"))]
print("1-minute load average after each measurement: " +
      ", ".join(f"{c} {t} {l1}" for c, t, l1, *_ in loads) + ".")
EOF
)

section="## Builder: W1 and W2 against BuildKit and buildah

\`bench/build.sh\`, $(date -u +%Y-%m-%d).  $v_cpu, $v_mem, Linux $v_kernel,
work directory on $v_fs.  cbuild $v_cbuild (${v_type:-unknown} build);
$v_dockerd (BuildKit of Docker $v_buildkit, DOCKER_BUILDKIT=1, a private daemon);
$v_buildah, overlay storage; ${v_runc:-runc ?}; $v_hyperfine.
W2 context: $ctx_bytes bytes ($ctx_disk on disk) in $ctx_files files
($ctx_entries entries) from ${srcs[*]}; the one-file case appends a line to
\`$(cat "$dir/changed")\`.  Medians of hyperfine runs; load average
$load_start at the start, $load_end at the end.

$section"
echo "$section"
echo "$section" >"$dir/../cbuild-bench-build.md"
