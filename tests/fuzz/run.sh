#!/bin/sh
# Run every fuzz target for SECONDS each (default 60), both cores busy.
# Usage: tests/fuzz/run.sh [SECONDS]
# Builds the targets with clang in build-fuzz/ first.  Each run writes
# build-fuzz/tests/fuzz/fuzz-<name>.log; crashes land in build-fuzz/tests/fuzz/.
set -eu
secs=${1:-60}
cd "$(dirname "$0")/../.."
top=$(pwd)
CC=clang cmake -S . -B build-fuzz -DCB_TESTS=OFF -DCB_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
targets=$(for src in tests/fuzz/fuzz_*.c; do basename "$src" .c; done)
# shellcheck disable=SC2086
cmake --build build-fuzz -j "$(nproc)" --target $targets >/dev/null
out=$top/build-fuzz/tests/fuzz
status=0
pids=""
for src in tests/fuzz/fuzz_*.c; do
	exe=$(basename "$src" .c)
	name=${exe#fuzz_}
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=$top/tests/fuzz/$name.dict"
	mkdir -p "$out/corpus-$name"
	(
		cd "$out"
		# shellcheck disable=SC2086
		ASAN_OPTIONS=detect_leaks=1 "./$exe" -max_total_time="$secs" -max_len=4096 \
			-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $dict \
			"corpus-$name" "$top/tests/fuzz/corpus/$name" >"fuzz-$name.log" 2>&1
	) &
	pids="$pids $!"
done
for pid in $pids; do
	wait "$pid" || status=1
done
for log in "$out"/fuzz-*.log; do
	printf '%s: %s\n' "$(basename "$log" .log)" \
		"$(grep -E 'stat::number_of_executed_units' "$log" | awk '{print $2 " executions"}')"
	grep -E 'ERROR|SUMMARY|crash-|leak' "$log" | head -5 || true
done
exit $status
