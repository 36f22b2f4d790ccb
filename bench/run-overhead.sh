#!/bin/sh
# Start-to-exit cost of one sandboxed step: `cbuild run --rm --rootfs DIR
# true` against `runc run` of the same busybox rootfs (a bundle from `runc
# spec`), 100 runs each with hyperfine, interleaved in one hyperfine call
# so both see the same machine load.  Target: median <= 10 ms and no more
# than a third of runc's.
#
# Usage: bench/run-overhead.sh [CBUILD] [RUNS]    (as root)
# Needs: hyperfine, busybox-static, runc (apt-get install runc), python3.
# Prints a Markdown table (median, mean, min wall time; mean CPU time, which
# other load on the machine disturbs less) for bench/RESULTS.md.
set -eu
CBUILD=${1:-$(dirname "$0")/../build/cli/cbuild}
RUNS=${2:-100}
[ "$(id -u)" = 0 ] || { echo "run-overhead: run as root" >&2; exit 1; }
for tool in hyperfine busybox python3; do
	command -v "$tool" >/dev/null || { echo "run-overhead: $tool is missing" >&2; exit 1; }
done
CBUILD=$(cd "$(dirname "$CBUILD")" && pwd)/$(basename "$CBUILD")
W=$(mktemp -d /tmp/cbuild-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT

R=$W/bundle/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/proc" "$R/dev" "$R/sys" "$R/tmp"
cp "$(command -v busybox)" "$R/bin/busybox"
for a in sh true; do ln -s busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
: >"$R/etc/hosts"
: >"$R/etc/resolv.conf"
: >"$R/etc/hostname"

# runc's default spec gives a network namespace of lo only: --network none is
# the like-for-like command; the default (private, with pasta) is listed too
set -- "$CBUILD run --rm --network none --rootfs $R true" \
	"$CBUILD run --network none --rootfs $R true" \
	"$CBUILD run --rm --network host --rootfs $R true" \
	"$CBUILD run --rm --rootfs $R true"
if command -v runc >/dev/null; then
	(cd "$W/bundle" && runc spec)
	python3 - "$W/bundle/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["true"]
c["process"]["terminal"] = False
json.dump(c, open(sys.argv[1], "w"))
EOF
	set -- "$@" "runc run --bundle $W/bundle cbuild-bench-$$"
else
	echo "run-overhead: runc is not installed (apt-get install runc); cbuild only" >&2
fi

hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$W/results.json" "$@" >&2

python3 - "$W/results.json" "$CBUILD" <<'EOF'
import json, os, sys
res = json.load(open(sys.argv[1]))["results"]
cb = os.path.dirname(sys.argv[2])
print("| command | median | mean | min | CPU user+sys |")
print("|---|---|---|---|---|")
med = {}
for r in res:
    name = r["command"].replace(sys.argv[2], "cbuild")
    name = " ".join(w if not w.startswith("/tmp/cbuild-bench") else "DIR" for w in name.split())
    med[name] = r["median"] * 1000
    cpu = (r["user"] + r["system"]) * 1000
    print(f"| `{name}` | {r['median']*1000:.1f} ms | {r['mean']*1000:.1f} ms | "
          f"{r['min']*1000:.1f} ms | {cpu:.1f} ms |")
runc = [v for k, v in med.items() if k.startswith("runc")]
ours = med.get("cbuild run --rm --network none --rootfs DIR true")
if runc and ours:
    print(f"\ncbuild run --rm --network none / runc run: {ours / runc[0]:.2f} (target <= 0.33); "
          f"median {ours:.1f} ms (target <= 10 ms)")
EOF
