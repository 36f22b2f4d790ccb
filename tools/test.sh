#!/bin/sh
# The whole test suite, as CI runs it: install dependencies, build with
# -Werror, run every unit and integration test, check the format
# (clang-format, the `format-check` target), then the unit tests again
# under ASan+UBSan, then the fuzz targets over their corpora.  Ends with
# ctest's summary line of each stage, then one line per check that was not
# applicable on this machine (a kernel feature it lacks), with the reason.
# Usage: tools/test.sh            (from the repository root or anywhere)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

"$top/tools/install-deps.sh" test

: "${CB_TESTS_MUST_WORK:=1}"
export CB_TESTS_MUST_WORK

status=0
summary=""
na=""

run_ctest() { # NAME BUILD_DIR [ctest args...]
	name=$1 dir=$2
	shift 2
	log="$dir/ctest.log"
	# each test appends what did not apply here (tests/CMakeLists.txt: CB_NA_LOG)
	rm -f "$dir/not-applicable.log"
	if ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@" >"$log" 2>&1; then
		:
	else
		status=1
		cat "$log"
	fi
	line=$(grep -E 'tests passed|tests failed' "$log" | tail -n 1)
	summary="$summary$name: ${line:-no ctest summary}
"
	if [ -s "$dir/not-applicable.log" ]; then
		na="$na$(sort "$dir/not-applicable.log" | sed "s/^/not applicable ($name): /")
"
	fi
}

echo "== build (-Werror)"
cmake -S . -B build-ci -DCB_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-ci -j "$jobs" >/dev/null
run_ctest "tests" build-ci

echo "== format check (clang-format, .clang-format)"
if ! command -v clang-format >/dev/null; then
	status=1
	summary="${summary}format: clang-format is not installed (tools/install-deps.sh test)
"
elif cmake --build build-ci --target format-check >build-ci/format.log 2>&1; then
	summary="${summary}format: every source file is formatted
"
else
	status=1
	grep -E 'warning: code should be clang-formatted|error' build-ci/format.log | head -n 40
	files=$(grep -oE '^[^:]+\.[ch]:' build-ci/format.log | sort -u | wc -l)
	summary="${summary}format: $files files differ from clang-format (cmake --build build-ci --target format)
"
fi

echo "== unit tests under ASan+UBSan"
cmake -S . -B build-asan -DCB_WERROR=ON -DCB_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j "$jobs" >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_ctest "asan+ubsan" build-asan -L unit

echo "== fuzz targets over their corpora (clang, libFuzzer)"
CC=clang cmake -S . -B build-fuzz -DCB_WERROR=ON -DCB_TESTS=OFF -DCB_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j "$jobs" >/dev/null
run_ctest "fuzz" build-fuzz -L fuzz

printf '\n%s' "$summary"
printf '%s' "$na"
exit $status
