#!/bin/bash
# Registry benchmarks (issue 10): `cbuild push` and `cbuild pull` against
# `skopeo copy` and `buildah push`, through Debian's docker-registry on
# 127.0.0.1 (plain HTTP, filesystem storage, a private config and storage
# under the bench directory), same machine, same image, one run, hyperfine
# medians.
#
# The image: FROM scratch and 4 COPY steps, so 4 layers of about 50 MB of
# gzip each (about 200 MB in all), as `cbuild build` makes them:
#   /libs    shared libraries of /usr/lib/x86_64-linux-gnu (binaries)
#   /lang    /usr/lib/python3*, /usr/share/perl*, /usr/share/cmake*,
#            /usr/lib/node_modules (source text, some .so)
#   /docs    /usr/share/doc, man, locale (text, gzipped man pages, .mo)
#   /assets  32 MiB of seeded pseudo-random bytes (Python's random, seed 10:
#            incompressible, as media or compressed archives are) and the
#            rest from /usr/share/vim, icons, fonts
# The files of each directory are taken in sorted path order until zlib -1
# says the layer's gzip is about LAYER_MB MB (regular files under 16 MiB);
# the image is built with SOURCE_DATE_EPOCH=0, so on one machine it is the
# same image every time.  No network is used but 127.0.0.1.
#
#   push   cbuild push IMG 127.0.0.1:PORT/bench/cb:1 from its store, the
#          gzip blobs already made (by the `cbuild save` that wrote the
#          archive the other tools start from)
#          vs skopeo copy --preserve-digests oci:DIR (the same blobs, not
#          recompressed: the manifest digest must equal cbuild's)
#          vs buildah push from its own storage (a private --root/--runroot,
#          filled by `buildah pull oci-archive:`), which recompresses
#          cold: before each run the registry is stopped, its storage
#          deleted and the registry started again on the same port: it
#          has no blob, every layer is uploaded
#   pull   cbuild pull REF into a new, empty --root (the layers' digests
#          and sizes verified as they stream, the blobs committed to the
#          store; layers stay compressed)
#          vs skopeo copy docker://REF oci:DIR into a removed DIR (skopeo
#          verifies the digests too)
#          cold: the destination is empty; the registry holds the image
#          (pushed once by cbuild) and its files are in the page cache
#          vs dd of as many bytes (the layers') into a new file: the floor
#          of writing them, which this VM's page cache made vary 4x
#   first  (one run, not a hyperfine case) cbuild push right after the
#          build, when the gzip blobs are still to be made: what a user
#          pays after `cbuild build`, and what buildah pays every time
#   RSS    peak RSS (/usr/bin/time -v) of cbuild push and pull, the largest
#          of RSS_RUNS cold runs each
#
# Every --prepare ends with `sync`, so no run pays for the writeback of
# the one before.  The tools take turns within each case, one run each per
# round (hyperfine --runs 1 each time), so that load from other work on the
# machine falls on all of them alike; the medians are over the rounds, and
# "paired" is the median of the rounds' tool / cbuild ratios.
#
# Targets (issue 10): push no slower than skopeo and >= 5x faster than
# buildah push; pull <= 0.8x the time of skopeo; peak RSS <= 64 MiB.
#
# Usage: bench/registry.sh [CBUILD]   (as root; default build/cli/cbuild)
#   BENCH_DIR      work directory (default /tmp/cbuild-bench-registry; ~3 GB)
#   RUNS           runs of each case (default 7)
#   RSS_RUNS       runs of each RSS measurement (default 3)
#   LAYER_MB       gzip MB per layer aimed at (default 50)
#   CBUILD_DESCRIBE  the version to print for cbuild (default: git describe
#                  of this tree, right only when CBUILD was built from it)
# The registry and everything else live under BENCH_DIR and are removed at
# the end (trap).  Prints a Markdown section for bench/RESULTS.md on
# standard output (also left in $BENCH_DIR/../cbuild-bench-registry.md);
# hyperfine's own output goes to standard error.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=${BENCH_DIR:-/tmp/cbuild-bench-registry}
reg=$dir/reg
bd=$dir/buildah
buildah="buildah --root $bd/root --runroot $bd/run --storage-driver overlay"
REGISTRY=/usr/bin/docker-registry

# registry_cpu: the CPU seconds (user + system) the registry has used so far.
registry_cpu() {
	local pid
	pid=$(cat "$reg/pid" 2>/dev/null || true)
	if [ -z "$pid" ] || [ ! -r "/proc/$pid/stat" ]; then
		echo 0
		return 0
	fi
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$pid/stat"
}

# registry_stop: stop the benchmark's registry, if it runs; its CPU seconds
# are appended to $reg/cpu.
registry_stop() {
	local pid
	pid=$(cat "$reg/pid" 2>/dev/null || true)
	[ -n "$pid" ] || return 0
	if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = docker-registry ]; then
		registry_cpu >>"$reg/cpu"
		stop_pid "$pid" 100 0.05
	fi
	rm -f "$reg/pid"
}

# registry_start: start the registry on $reg/port's port with its storage
# at $reg/data; wait until /v2/ answers.
registry_start() {
	local port pid
	read -r port <"$reg/port"
	# docker-registry reads REGISTRY_* variables as its config
	env -u REGISTRY_AUTH_FILE setsid "$REGISTRY" serve "$reg/config.yml" \
		</dev/null >>"$reg/log" 2>&1 &
	pid=$!
	echo "$pid" >"$reg/pid"
	for _ in $(seq 1 200); do
		kill -0 "$pid" 2>/dev/null || break
		curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null && return 0
		sleep 0.05
	done
	tail -5 "$reg/log" >&2
	return 1
}

# registry_empty: the registry restarted on an empty storage.
registry_empty() {
	registry_stop
	rm -rf "$reg/data"
	mkdir -p "$reg/data"
	registry_start
}

# The --prepare steps of hyperfine call this script again.
if [ "${1:-}" = --prepare ]; then
	case $2 in
	push) registry_empty ;;
	cb-pull) fresh "$dir/cb-pull" ;;
	sk-pull) rm -rf "$dir/sk-pull" ;;
	dd) rm -f "$dir/dd.out" ;;
	sync) ;;
	*) echo "registry.sh: unknown prepare step $2" >&2; exit 2 ;;
	esac
	sync
	exit 0
fi

bench_init registry.sh "${1:-}"
runs=${RUNS:-7}
rss_runs=${RSS_RUNS:-3}
layer_mb=${LAYER_MB:-50}

bench_require hyperfine skopeo buildah curl python3 "$REGISTRY" /usr/bin/time

cleanup() {
	set +e
	registry_stop
	bench_umount_under "$bd"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$dir"
mkdir -p "$dir/json" "$reg/data" "$bd"
load_start=$(load)

# --- the image -----------------------------------------------------------
echo "making the context (4 x ~$layer_mb MB of gzip) ..." >&2
python3 - "$dir/ctx" "$layer_mb" >"$dir/ctx.txt" <<'EOF'
import os, random, shutil, sys, zlib
ctx, target = sys.argv[1], int(sys.argv[2]) * 1000 * 1000
MAX_FILE = 16 << 20

def gz_size(path):
    c = zlib.compressobj(1, zlib.DEFLATED, 31)
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            n += len(c.compress(b))
    return n + len(c.flush())

def files(roots):
    for root in roots:
        for d, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(names):
                p = os.path.join(d, name)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                try:
                    if os.path.getsize(p) <= MAX_FILE and os.access(p, os.R_OK):
                        yield p
                except OSError:
                    pass

def fill(layer, roots, have=0):
    raw = n = 0
    for p in files(roots):
        if have >= target:
            break
        dst = os.path.join(ctx, layer, p.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        try:
            shutil.copyfile(p, dst)
        except OSError:
            continue
        have += gz_size(p)
        raw += os.path.getsize(p)
        n += 1
    return raw, n, have

def glob_dirs(parent, prefix):
    return [os.path.join(parent, d) for d in sorted(os.listdir(parent)) if d.startswith(prefix)]

os.makedirs(os.path.join(ctx, "assets"))
rng = random.Random(10)
rand = 0
for i in range(8):
    with open(os.path.join(ctx, "assets", f"blob{i}.bin"), "wb") as f:
        f.write(rng.randbytes(4 << 20))
    rand += 4 << 20
layers = [
    ("libs", ["/usr/lib/x86_64-linux-gnu"], 0),
    ("lang", glob_dirs("/usr/lib", "python3") + glob_dirs("/usr/share", "perl")
     + glob_dirs("/usr/share", "cmake") + ["/usr/lib/node_modules"], 0),
    ("docs", ["/usr/share/doc", "/usr/share/man", "/usr/share/locale"], 0),
    ("assets", ["/usr/share/vim", "/usr/share/icons", "/usr/share/fonts"], rand),
]
for name, roots, have in layers:
    raw, n, gz = fill(name, roots, have)
    if name == "assets":
        raw, n = raw + rand, n + 8
    print(f"/{name}: {n} files, {raw / 1e6:.0f} MB ({gz / 1e6:.0f} MB zlib -1) from {' '.join(roots)}"
          + (" and 32 MiB of random bytes" if name == "assets" else ""))
with open(os.path.join(ctx, "Dockerfile"), "w") as f:
    f.write("FROM scratch\n" + "".join(f"COPY {n} /{n}\n" for n, *_ in layers))
EOF
ctx_bytes=$(du -sb "$dir/ctx" | cut -f1)
ctx_files=$(find "$dir/ctx" -type f | wc -l)

cb="$cbuild --root $dir/cb" # for hyperfine
cba=("$cbuild" --root "$dir/cb")
echo "building ..." >&2
SOURCE_DATE_EPOCH=0 "${cba[@]}" build -q --network none -t bench/reg:1 "$dir/ctx" >/dev/null
rm -rf "$dir/ctx"

# the registry's config, on a free port
for _ in $(seq 1 20); do
	port=$((20000 + RANDOM % 40000))
	echo "$port" >"$reg/port"
	cat >"$reg/config.yml" <<-CFG
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $reg/data
		  delete:
		    enabled: true
		http:
		  addr: 127.0.0.1:$port
	CFG
	registry_empty && break
	registry_stop
	port=
done
[ -n "$port" ] || { echo "registry.sh: docker-registry did not start" >&2; exit 1; }
R=127.0.0.1:$port

# first push: the gzip blobs are made here (then remembered by the store)
rss() { # COMMAND...: peak RSS in KiB, "wall-seconds KiB"
	/usr/bin/time -f '%e %M' -o "$dir/time.out" "$@" >/dev/null 2>"$dir/time.err" ||
		{ cat "$dir/time.err" >&2; return 1; }
	cat "$dir/time.out"
}
read -r first_s first_kib < <(rss "${cba[@]}" push -q bench/reg:1 "$R/bench/cb:1")
registry_empty

"${cba[@]}" save --format oci -o "$dir/img.tar" bench/reg:1
mkdir "$dir/oci"
tar -xf "$dir/img.tar" -C "$dir/oci"
ref=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$dir/oci/index.json")
sizes=$(python3 - "$dir/oci" <<'EOF'
import json, os, sys
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
h = idx["manifests"][0]["digest"].split(":")[1]
m = json.load(open(os.path.join(d, "blobs", "sha256", h)))
ls = [l["size"] for l in m["layers"]]
print(f"{len(ls)} layers of " + ", ".join(f"{s / 1e6:.1f}" for s in ls)
      + f" MB of gzip ({sum(ls) / 1e6:.1f} MB in all)")
print(sum(ls))
EOF
)
layer_bytes=$(tail -1 <<<"$sizes")
sizes=$(head -1 <<<"$sizes")
mdigest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$dir/oci/index.json")

fresh "$bd/root"
fresh "$bd/run"
$buildah pull -q "oci-archive:$dir/img.tar" >/dev/null
ba_img=$($buildah images -q | head -1)
[ -n "$ba_img" ] || { echo "registry.sh: buildah pulled no image" >&2; exit 1; }

bench_versions "$dir"
v_skopeo=$(skopeo --version)
v_buildah=$(buildah --version)
v_registry=$("$REGISTRY" --version | awk '{ print $2, $3 }')

# --- measurements ---------------------------------------------------------
# bench CASE TOOL PREPARE-STEP COMMAND: one run of hyperfine, into
# json/CASE.TOOL.ROUND.json; the registry's CPU seconds during it are
# appended to json/CASE.TOOL.reg.  A push case's prepare restarts the
# registry (registry_stop notes what the one stopped used), so one more
# prepare after the run notes the run's; in a pull case it runs throughout.
bench() {
	local case=$1 tool=$2 prep=$3 cmd=$4 c0
	echo "== $case / $tool, round $round (load $(load))" >&2
	c0=$(registry_cpu)
	hyperfine -N --style basic --runs 1 --prepare "$self --prepare $prep" \
		--export-json "$dir/json/$case.$tool.$round.json" -n "$case $tool" "$cmd" >&2
	echo "$case $tool $(load)" >>"$dir/json/loads"
	if [ "$prep" = push ]; then
		"$self" --prepare push
		tail -1 "$reg/cpu" >>"$dir/json/$case.$tool.reg"
	else
		awk -v a="$c0" -v b="$(registry_cpu)" 'BEGIN { print b - a }' >>"$dir/json/$case.$tool.reg"
	fi
}

# The tools take turns, one run each per round, so that they share the
# machine's load as it comes and goes (other work runs on it).
sk="skopeo copy -q --preserve-digests"
for round in $(seq 1 "$runs"); do
	bench push cbuild push "$cb push -q bench/reg:1 $R/bench/cb:1"
	bench push skopeo push "$sk --dest-tls-verify=false oci:$dir/oci:$ref docker://$R/bench/sk:1"
	bench push buildah push "$buildah push -q --tls-verify=false $ba_img docker://$R/bench/ba:1"
done

# the skopeo push kept the blobs: the registry's manifest is cbuild's
"$self" --prepare push
$sk --dest-tls-verify=false "oci:$dir/oci:$ref" "docker://$R/bench/sk:1"
sk_digest=$(curl -fsS -o /dev/null -D - -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$R/v2/bench/sk/manifests/1" | tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }')
[ "$sk_digest" = "$mdigest" ] ||
	{ echo "registry.sh: skopeo pushed $sk_digest, not $mdigest: it recompressed" >&2; exit 1; }

# the write floor of a pull: dd of as many bytes into a new file (this VM's
# page cache writes ran at 0.3-1.3 GB/s, from one hour to the next)
dd_count=$(python3 -c 'import sys; print(-(-int(sys.argv[1]) // 262144))' "$layer_bytes")

# the image to pull: pushed once by cbuild
"$self" --prepare push
"${cba[@]}" push -q bench/reg:1 "$R/bench/cb:1" >/dev/null
for round in $(seq 1 "$runs"); do
	bench pull cbuild cb-pull "$cbuild --root $dir/cb-pull pull -q $R/bench/cb:1"
	bench pull skopeo sk-pull "skopeo copy -q --src-tls-verify=false docker://$R/bench/cb:1 oci:$dir/sk-pull:1"
	bench pull dd dd "dd if=/dev/zero of=$dir/dd.out bs=256k count=$dd_count status=none"
done

rss_push=0 rss_pull=0
for _ in $(seq 1 "$rss_runs"); do
	"$self" --prepare push
	read -r _ k < <(rss "${cba[@]}" push -q bench/reg:1 "$R/bench/cb:1")
	[ "$k" -le "$rss_push" ] || rss_push=$k
done
for _ in $(seq 1 "$rss_runs"); do
	"$self" --prepare cb-pull
	read -r _ k < <(rss "$cbuild" --root "$dir/cb-pull" pull -q "$R/bench/cb:1")
	[ "$k" -le "$rss_pull" ] || rss_pull=$k
done
load_end=$(load)

# --- report ---------------------------------------------------------------
section=$(python3 - "$dir/json" <<EOF
import json, os, sys
d = sys.argv[1]
import glob, statistics
def runs(case, tool):
    """[(wall, user+sys), ...] of the rounds, in order"""
    out = []
    for p in sorted(glob.glob(os.path.join(d, f"{case}.{tool}.*.json")),
                    key=lambda p: int(p.split(".")[-2])):
        r = json.load(open(p))["results"][0]
        out.append((r["times"][0], r["user"] + r["system"]))
    return out
def med(case, tool):
    r = runs(case, tool)
    return statistics.median(w for w, _ in r) if r else None
def fmt(s):
    return "–" if s is None else f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"
def cpu(case, tool):
    r = runs(case, tool)
    return fmt(statistics.mean(c for _, c in r)) if r else "–"
def reg(case, tool):
    p = os.path.join(d, f"{case}.{tool}.reg")
    v = [float(x) for x in open(p).read().split()] if os.path.exists(p) else []
    return fmt(statistics.mean(v)) if v else "–"
def spread(case, tool):
    r = [w for w, _ in runs(case, tool)]
    return f"{fmt(min(r))}–{fmt(max(r))}" if r else "–"
def paired(case, tool):
    """the median of the rounds' tool / cbuild ratios"""
    a, b = runs(case, tool), runs(case, "cbuild")
    return statistics.median(x[0] / y[0] for x, y in zip(a, b))
m = med
print("| case | tool | median | min–max | CPU (mean user+sys) | registry CPU (mean) | tool / cbuild (medians) | (paired) | runs |")
print("|---|---|---|---|---|---|---|---|---|")
for c, tools in (("push", ("cbuild", "skopeo", "buildah")), ("pull", ("cbuild", "skopeo", "dd"))):
    for t in tools:
        print(f"| {c} | {t} | {fmt(m(c, t))} | {spread(c, t)} | {cpu(c, t)} | {reg(c, t)} | "
              f"{m(c, t) / m(c, 'cbuild'):.2f}x | {paired(c, t):.2f}x | {len(runs(c, t))} |")
rp, rl = $rss_push / 1024, $rss_pull / 1024
print()
print(f"First push after the build (one run, the gzip blobs made in it): {fmt($first_s)}, "
      f"peak RSS {$first_kib / 1024:.1f} MiB.")
print(f"Peak RSS of cold runs (largest of $rss_runs): push {rp:.1f} MiB, pull {rl:.1f} MiB.")
print()
def target(name, ok, got):
    print(f"| {name} | {got} | {'holds' if ok else '**does not hold**'} |")
print("| target (issue 10) | measured | |")
print("|---|---|---|")
target("push no slower than skopeo", m("push", "cbuild") <= m("push", "skopeo"),
       f"cbuild / skopeo {m('push', 'cbuild') / m('push', 'skopeo'):.2f}x")
target("push >= 5x faster than buildah", m("push", "buildah") / m("push", "cbuild") >= 5,
       f"{m('push', 'buildah') / m('push', 'cbuild'):.1f}x")
target("pull <= 0.8x skopeo", m("pull", "cbuild") <= 0.8 * m("pull", "skopeo"),
       f"cbuild / skopeo {m('pull', 'cbuild') / m('pull', 'skopeo'):.2f}x")
target("peak RSS <= 64 MiB", max(rp, rl) <= 64, f"{max(rp, rl):.1f} MiB")
print()
loads = [l.split() for l in open(os.path.join(d, "loads"))]
def lrange(case, tool):
    v = [float(l1) for c, t, l1, *_ in loads if (c, t) == (case, tool)]
    return f"{min(v):.2f}–{max(v):.2f}"
print("1-minute load average after the runs (min–max): " +
      ", ".join(f"{c} {t} {lrange(c, t)}" for c, t in
                (("push", "cbuild"), ("push", "skopeo"), ("push", "buildah"),
                 ("pull", "cbuild"), ("pull", "skopeo"), ("pull", "dd"))) + ".")
EOF
)

section="## Registry: push and pull against skopeo and buildah

\`bench/registry.sh\`, $(date -u +%Y-%m-%d).  $v_cpu, $v_mem, Linux $v_kernel,
work directory on $v_fs.  cbuild $v_cbuild (${v_type:-unknown} build);
$v_skopeo; $v_buildah, overlay storage; docker-registry $v_registry
(filesystem storage, plain HTTP on 127.0.0.1); $v_hyperfine.
The image (manifest \`${mdigest:0:19}…\`): $sizes; $ctx_bytes bytes in $ctx_files files:
$(sed 's/^/- /' "$dir/ctx.txt")

Medians of hyperfine runs; load average $load_start at the start, $load_end at the end.

$section"
echo "$section"
echo "$section" >"$dir/../cbuild-bench-registry.md"
