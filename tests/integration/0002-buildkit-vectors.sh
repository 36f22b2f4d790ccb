#!/bin/bash
# BuildKit's parser, shell-word and patternmatcher vectors
# (tests/data/shared/testdata), run through the vector runner copied with
# them (tests/data/shared/tools/run_buildkit_vectors.py): all 493 pass.
. "$(dirname "$0")/lib.sh"

runner=$CB_SOURCE_DIR/tests/data/shared/tools/run_buildkit_vectors.py
[ -f "$runner" ] || fail "no $runner: the vectors are part of the clone"
command -v python3 >/dev/null || skip "python3 is missing"

set +e
python3 "$runner" --cbuild "$CBUILD" -v >"$T/out" 2>&1
rc=$?
set -e
cat "$T/out"

for suite in 'parse: 33 passed, 0 failed' 'negative: 4 passed, 0 failed' \
	'lines: 1 passed, 0 failed' 'words: 8 passed, 0 failed' 'envvar: 228 passed, 0 failed' \
	'wordstest: 24 passed, 0 failed' 'processword: 56 passed, 0 failed' \
	'ignore: 138 passed, 0 failed' 'ignorefile: 1 passed, 0 failed'; do
	contains "$T/out" "$suite"
done
contains "$T/out" '493 passed, 0 failed'
[ "$rc" = 0 ] || fail "the vector runner exited $rc"
echo "ok: 493/493"
