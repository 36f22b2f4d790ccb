#!/bin/bash
# cbuild's AST dump against BuildKit's on fuzzer-made Dockerfiles
# (tests/data/buildkit-ast/README.md): the same bytes, or the same error.
. "$(dirname "$0")/lib.sh"

dir=$CB_SOURCE_DIR/tests/data/buildkit-ast
n=0
for f in "$dir"/*.Dockerfile; do
	base=${f%.Dockerfile}
	name=$(basename "$f")
	n=$((n + 1))
	set +e
	"$CBUILD" parse --dump-ast "$f" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	if [ -f "$base.dump" ]; then
		[ "$rc" = 0 ] || fail "$name: BuildKit parses it, cbuild says: $(cat "$T/err")"
		cmp -s "$T/out" "$base.dump" ||
			fail "$name: dump differs: $(diff "$base.dump" "$T/out" | head -n 5)"
	else
		[ "$rc" = 1 ] || fail "$name: BuildKit refuses it ($(cat "$base.err")), cbuild exits $rc"
		grep -qF "$name:" "$T/err" || fail "$name: the error names no file:line: $(cat "$T/err")"
		grep -qF -- "$(cat "$base.err")" "$T/err" ||
			fail "$name: want \"$(cat "$base.err")\", got: $(cat "$T/err")"
	fi
done
[ "$n" -ge 100 ] || fail "only $n vectors in $dir"
echo "ok ($n files)"
