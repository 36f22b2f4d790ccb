#!/bin/bash
# cbuild parse against BuildKit's parser and instruction parser on
# fuzzer-made Dockerfiles (tests/data/buildkit-parse/README.md): the same
# files parse, and the others fail at the same line with the same message.
. "$(dirname "$0")/lib.sh"

dir=$CB_SOURCE_DIR/tests/data/buildkit-parse
n=0
for f in "$dir"/*.Dockerfile; do
	name=$(basename "$f")
	want=$(cat "${f%.Dockerfile}.out")
	n=$((n + 1))
	set +e
	"$CBUILD" parse -q "$f" >/dev/null 2>"$T/err"
	rc=$?
	set -e
	case "$want" in
	OK*)
		[ "$rc" = 0 ] || fail "$name: BuildKit parses it, cbuild says: $(cat "$T/err")"
		continue
		;;
	esac
	[ "$rc" = 1 ] || fail "$name: BuildKit says \"$want\", cbuild exits $rc"
	msg=${want#* }
	line=""
	case "$msg" in "dockerfile parse error on line "*)
		msg=${msg#dockerfile parse error on line }
		line=${msg%%:*}
		msg=${msg#*: }
		;;
	esac
	case "$msg" in *" (did you mean "*)
		grep -qF "(did you mean " "$T/err" || fail "$name: no suggestion: $(cat "$T/err")"
		msg=${msg%% (did you mean *}
		;;
	esac
	grep -qF -- "$msg" "$T/err" || fail "$name: want \"$msg\", got: $(cat "$T/err")"
	if [ -n "$line" ]; then
		grep -qF -- "$name:$line: " "$T/err" || fail "$name: want line $line, got: $(cat "$T/err")"
	else
		grep -qE -- "$name:[0-9]+: " "$T/err" || fail "$name: no FILE:LINE: $(cat "$T/err")"
	fi
done
[ "$n" -ge 100 ] || fail "only $n vectors in $dir"
echo "ok ($n files)"
