#!/bin/bash
# The IA-32 checks' "not applicable" path, tested on any kernel.  With
# CB_TEST_ASSUME_NO_IA32=1 the probe outside the sandbox reports the ABI
# absent, and the seccomp checks -- unit test_runtime_seccomp and
# integration 0103 -- pass under CB_TESTS_MUST_WORK=1 with every 32-bit
# assertion recorded as not applicable, with its reason, while the 64-bit
# halves still run.  Without it, on a kernel that runs IA-32 syscalls, the
# 32-bit checks run in full and nothing is recorded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
: "${CB_UNIT_DIR:?CB_UNIT_DIR must name the build dir of the unit tests (tests/CMakeLists.txt)}"
unit=$CB_UNIT_DIR/test_runtime_seccomp
[ -x "$unit" ] || fail "no $unit"
export CB_TESTS_MUST_WORK=1
# the unit cases with 32-bit checks, and how many i386 calls each makes
cases="test_default_denies:6 test_default_allows:2 test_json_docker:1 test_json_oci:1"

# run_all LOG [VAR=VALUE...]: the cases and 0103 with VARs, N/As into LOG.
run_all() {
	local log=$1 c
	shift
	: >"$log"
	for c in $cases; do
		env "$@" CB_NA_LOG="$log" "$unit" "${c%:*}" >"$T/${c%:*}.out" 2>&1 ||
			fail "${c%:*} exited $?: $(cat "$T/${c%:*}.out")"
	done
	env "$@" CB_NA_LOG="$log" bash "$CB_SOURCE_DIR/tests/integration/0103-runtime-seccomp.sh" \
		>"$T/0103.out" 2>&1 || fail "0103 exited $?: $(cat "$T/0103.out")"
}

# Told the kernel refuses IA-32: every 32-bit check is N/A, none runs.
run_all "$T/na.log" CB_TEST_ASSUME_NO_IA32=1
for c in $cases; do
	contains "$T/${c%:*}.out" "NOT APPLICABLE:"
	! grep -q "i386 checks:" "$T/${c%:*}.out" || fail "${c%:*} ran i386 calls: $(cat "$T/${c%:*}.out")"
	grep -q "^unit.test_runtime_seccomp.${c%:*}: .*CB_TEST_ASSUME_NO_IA32=1" "$T/na.log" ||
		fail "no N/A line for ${c%:*}: $(cat "$T/na.log")"
done
contains "$T/0103.out" "NOT APPLICABLE:"
contains "$T/0103.out" ok
[ "$(grep -c '^integration.0103-runtime-seccomp: .*CB_TEST_ASSUME_NO_IA32=1' "$T/na.log")" = 4 ] ||
	fail "want 4 N/A lines from 0103: $(cat "$T/na.log")"
[ "$(wc -l <"$T/na.log")" = 8 ] || fail "want 8 N/A lines: $(cat "$T/na.log")"

# As the kernel is: where it runs IA-32 syscalls, all 32-bit checks run.
if kernel_ia32; then
	run_all "$T/full.log" -u CB_TEST_ASSUME_NO_IA32
	[ ! -s "$T/full.log" ] || fail "N/A on a kernel with IA-32 syscalls: $(cat "$T/full.log")"
	for c in $cases; do
		contains "$T/${c%:*}.out" "i386 checks: ${c#*:} calls run"
	done
	contains "$T/0103.out" ok
else
	not_applicable "the full run of the 32-bit checks: $WHY"
fi
finish
