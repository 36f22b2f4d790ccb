#!/bin/bash
# The peer data the suite reads is the project's own copy in
# tests/data/shared (no test needs anything beside the clone).  Where
# ../shared is beside the source dir -- the checkout the project grew in,
# and CI's -- that copy must be identical to it: every file of
# ../shared/testdata (none missing, none extra, same bytes) and the vector
# runner.  A clone with nothing beside it has nothing to compare: the check
# is not applicable there, and says so.
. "$(dirname "$0")/lib.sh"

shared=$CB_SOURCE_DIR/../shared
ours=$CB_SOURCE_DIR/tests/data/shared
[ -e "$shared" ] || not_applicable_exit "no ../shared beside the clone"
command -v diff >/dev/null || skip "diff (diffutils) is missing"
command -v cmp >/dev/null || skip "cmp (diffutils) is missing"
[ -d "$shared/testdata" ] || fail "$shared has no testdata/"

if ! diff -r "$shared/testdata" "$ours/testdata" >"$T/diff" 2>&1; then
	echo "tests/data/shared/testdata differs from ../shared/testdata;" \
		"copy it again (tests/data/shared/README.md):" >&2
	head -n 40 "$T/diff" >&2
	fail "the project's copy of the shared test data is not identical to ../shared"
fi
cmp "$shared/tools/run_buildkit_vectors.py" "$ours/tools/run_buildkit_vectors.py" ||
	fail "tests/data/shared/tools/run_buildkit_vectors.py differs from ../shared/tools's"
n=$(find "$shared/testdata" -type f | wc -l)
[ "$n" -gt 0 ] || fail "../shared/testdata holds no files"
echo "ok: $n files and the vector runner identical to ../shared"
