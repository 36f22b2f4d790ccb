#!/bin/bash
# cbuild against Docker's BuildKit: every recorded case of
# tests/data/buildkit-build (what dockerd 20.10's BuildKit made from the same
# Dockerfile and context) is built with cbuild and compared: config and
# history fields, every layer's entries, the merged rootfs and files the
# steps wrote (tests/integration/build-ref-lib.sh says what is compared).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-ref-lib.sh"
[ "$(id -u)" = 0 ] || skip "RUN steps need root here"
command -v python3 >/dev/null || skip "python3 is not installed"
command -v busybox >/dev/null || skip "busybox-static is not installed"
export ROOT=$T/store BKREF_WORK=$T/bkref
mkdir -p "$BKREF_WORK"
pass=0 failed=0 skipped=0 bad=""
for c in "$CB_SOURCE_DIR"/tests/data/buildkit-build/[0-9]*/; do
	set +e
	buildkit_ref_compare "$c"
	rc=$?
	set -e
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)) bad="$bad $(basename "$c")" ;;
	esac
done
echo "buildkit reference cases: $pass match, $failed differ, $skipped not comparable (BuildKit 0.8 lacks the feature)"
[ "$failed" = 0 ] || fail "cbuild differs from BuildKit in:$bad"
[ "$pass" -ge 50 ] || fail "only $pass cases compared"
