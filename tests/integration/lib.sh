# Sourced by tests/integration/NNNN-*.sh.  CTest sets CBUILD (the binary),
# CB_SOURCE_DIR and CB_SHARED_TESTDATA.  Each test runs in a fresh temp dir.
set -eu
: "${CBUILD:?CBUILD must point at the cbuild binary}"
: "${CB_SOURCE_DIR:?}"
: "${CB_SHARED_TESTDATA:=$CB_SOURCE_DIR/../shared/testdata}"
T=$(mktemp -d /tmp/cbit-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# skip REASON: exit 77 (CTest "skipped"), or fail when CI demands that every
# test really runs (CB_TESTS_MUST_WORK=1).
skip() {
	if [ "${CB_TESTS_MUST_WORK:-0}" = 1 ]; then
		echo "FAIL (skip not allowed, CB_TESTS_MUST_WORK=1): $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

# expect_rc RC CMD...: run CMD, capture stdout/stderr in $T/out and $T/err.
expect_rc() {
	want=$1
	shift
	set +e
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "'$*' exited $got, want $want; stderr: $(cat "$T/err")"
}

# contains FILE STRING
contains() {
	grep -qF -- "$2" "$1" || fail "$1 lacks '$2'; it holds: $(cat "$1")"
}
