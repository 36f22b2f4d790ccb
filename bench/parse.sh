#!/bin/bash
# Parse benchmark: one cbuild process parses (and checks) every Dockerfile
# of tests/data/shared/testdata/dockerfiles-corpus that is meant to parse (the
# intentional failures of tests/data/corpus-expected-failures.tsv are left
# out).  Target: under 100 ms for the whole corpus.
# Usage: bench/parse.sh [CBUILD]   (default build/cli/cbuild)
set -euo pipefail
cd "$(dirname "$0")/.."
cbuild=${1:-build/cli/cbuild}
corpus=tests/data/shared/testdata/dockerfiles-corpus
[ -x "$cbuild" ] || { echo "build cbuild first (cmake --build build)" >&2; exit 1; }
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 1; }

list=$(mktemp)
trap 'rm -f "$list"' EXIT
skip=$(grep -v '^#' tests/data/corpus-expected-failures.tsv | cut -f1)
find "$corpus" -type f -name '*Dockerfile*' | sort | while read -r f; do
	rel=${f#"$corpus"/}
	grep -qxF "$rel" <<<"$skip" || echo "$f"
done >"$list"
n=$(wc -l <"$list")
bytes=$(xargs cat <"$list" | wc -c)
mapfile -t files <"$list"
"$cbuild" parse --fragment -q "${files[@]}"
echo "corpus: $n files, $bytes bytes"
if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 5 --runs 50 --export-json /tmp/cbuild-parse-bench.json \
		--command-name "cbuild parse ($n files)" "$cbuild parse --fragment -q ${files[*]}"
	median=$(python3 -c "import json;print('%.1f' % (json.load(open('/tmp/cbuild-parse-bench.json'))['results'][0]['median']*1000))")
else
	start=$(date +%s%N)
	for _ in $(seq 20); do "$cbuild" parse --fragment -q "${files[@]}"; done
	median=$(( ($(date +%s%N) - start) / 20 / 1000000 ))
fi
echo "median: $median ms (target < 100 ms)"
awk -v m="$median" 'BEGIN { exit !(m < 100) }'
