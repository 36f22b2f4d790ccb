#!/bin/bash
# The two harnesses' "not applicable" (tests/integration/lib.sh,
# tests/helpers/cbtest.c): a whole test that does not apply on this machine
# exits 77 and records "TEST: REASON" in $CB_NA_LOG, and is no failure even
# under CB_TESTS_MUST_WORK=1, where a skip (a missing tool) still is one.
# Also the identity check's both ways (0007): it fails on any difference
# from ../shared and is not applicable without it.
. "$(dirname "$0")/lib.sh"
: "${CB_UNIT_DIR:?CB_UNIT_DIR must name the build dir of the unit tests (tests/CMakeLists.txt)}"
export CB_TESTS_MUST_WORK=1
log=$T/na.log

# run_rc WANT CMD...: run CMD with its own N/A log, expect exit WANT.
run_rc() {
	local want=$1 got
	shift
	: >"$log"
	set +e
	CB_NA_LOG=$log "$@" >"$T/out" 2>&1
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "'$*' exited $got, want $want: $(cat "$T/out")"
}

# shell: skip fails under CB_TESTS_MUST_WORK=1, not_applicable_exit does not
cat >"$T/skips.sh" <<EOS
. "$CB_SOURCE_DIR/tests/integration/lib.sh"
skip "a tool is missing"
EOS
run_rc 1 bash "$T/skips.sh"
contains "$T/out" "skip not allowed, CB_TESTS_MUST_WORK=1"
[ ! -s "$log" ] || fail "a skip was recorded as not applicable: $(cat "$log")"

# 0007 from a source dir with nothing beside it: not applicable, exit 77
mkdir -p "$T/x/src"
ln -s "$CB_SOURCE_DIR/tests" "$T/x/src/tests"
run_rc 77 env CB_SOURCE_DIR="$T/x/src" bash "$CB_SOURCE_DIR/tests/integration/0007-shared-identity.sh"
contains "$T/out" "NOT APPLICABLE: no ../shared beside the clone"
[ "$(cat "$log")" = "integration.0007-shared-identity: no ../shared beside the clone" ] ||
	fail "the N/A log holds: $(cat "$log")"
# ... an identical ../shared: it passes
cp -r "$CB_SOURCE_DIR/tests/data/shared" "$T/x/shared"
run_rc 0 env CB_SOURCE_DIR="$T/x/src" bash "$CB_SOURCE_DIR/tests/integration/0007-shared-identity.sh"
# ... one byte changed, a file added, a file missing, the runner changed: each fails
f=$T/x/shared/testdata/buildkit/shell_vectors.json
cp "$f" "$T/orig"
sed -i '0,/"x"/s//"y"/' "$f"
! cmp -s "$f" "$T/orig" || fail "the test did not change $f"
run_rc 1 env CB_SOURCE_DIR="$T/x/src" bash "$CB_SOURCE_DIR/tests/integration/0007-shared-identity.sh"
contains "$T/out" "shell_vectors.json"
cp "$T/orig" "$f"
echo new >"$T/x/shared/testdata/patternmatcher/extra.json"
run_rc 1 env CB_SOURCE_DIR="$T/x/src" bash "$CB_SOURCE_DIR/tests/integration/0007-shared-identity.sh"
contains "$T/out" "Only in $T/x/src/../shared/testdata/patternmatcher: extra.json"
rm "$T/x/shared/testdata/patternmatcher/extra.json"
mv "$T/x/shared/testdata/image-spec/LICENSE" "$T/lic"
run_rc 1 env CB_SOURCE_DIR="$T/x/src" bash "$CB_SOURCE_DIR/tests/integration/0007-shared-identity.sh"
contains "$T/out" "image-spec: LICENSE"
mv "$T/lic" "$T/x/shared/testdata/image-spec/LICENSE"
echo "# changed" >>"$T/x/shared/tools/run_buildkit_vectors.py"
run_rc 1 env CB_SOURCE_DIR="$T/x/src" bash "$CB_SOURCE_DIR/tests/integration/0007-shared-identity.sh"
contains "$T/out" "run_buildkit_vectors.py differs"

# C: a case that does not apply (root in a user namespace, told the kernel
# has none) exits 77 and records its line; without the override it runs.
unit=$CB_UNIT_DIR/test_layerstore_apply
run_rc 77 env CB_TEST_ASSUME_NO_USERNS=1 "$unit" test_device_refused_without_root
contains "$T/out" "NOT APPLICABLE: root in a user namespace: CB_TEST_ASSUME_NO_USERNS=1"
grep -qx "unit.test_layerstore_apply.test_device_refused_without_root: root in a user namespace: CB_TEST_ASSUME_NO_USERNS=1: .*" "$log" ||
	fail "the N/A log holds: $(cat "$log")"
[ "$(wc -l <"$log")" = 1 ] || fail "the N/A log holds: $(cat "$log")"
if [ "$(id -u)" = 0 ] && CB_TEST_ASSUME_NO_USERNS= kernel_userns; then
	run_rc 0 env -u CB_TEST_ASSUME_NO_USERNS "$unit" test_device_refused_without_root
	[ ! -s "$log" ] || fail "recorded as not applicable on a machine that has it: $(cat "$log")"
fi
echo ok
