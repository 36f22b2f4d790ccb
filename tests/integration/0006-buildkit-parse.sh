#!/bin/bash
# cbuild parse against BuildKit's parser and instruction parser on
# fuzzer-made Dockerfiles (tests/data/buildkit-parse/README.md): the same
# files parse, and the others fail at the same line with the same message.
. "$(dirname "$0")/lib.sh"

dir=$CB_SOURCE_DIR/tests/data/buildkit-parse
n=0

# BuildKit's message as cbuild prints it: control characters escaped as
# \xNN (common/utf8.c, cb_strbuf_add_escaped; newline and tab kept), the
# rest byte for byte
escaped() {
	if LC_ALL=C grep -q '^[[:print:]]*$' <<<"$1"; then
		printf '%s' "$1" # printable ASCII only: as it is
		return
	fi
	printf '%s' "$1" | python3 -c '
import sys
b = sys.stdin.buffer.read()
out, i = bytearray(), 0
while i < len(b):
    r, w = None, 1
    if b[i] < 0x80:
        r = b[i]
    else:
        for n in (2, 3, 4):
            try:
                ch = b[i:i + n].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                r, w = ord(ch), n
                break
    esc = 0x80 <= b[i] <= 0x9f if r is None else (r < 0x20 and r not in (9, 10)) or 0x7f <= r <= 0x9f
    out += b"".join(b"\\x%02x" % x for x in b[i:i + w]) if esc else b[i:i + w]
    i += w
sys.stdout.buffer.write(bytes(out))'
}
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
	msg=$(escaped "$msg")
	grep -qF -- "$msg" "$T/err" || fail "$name: want \"$msg\", got: $(cat "$T/err")"
	if [ -n "$line" ]; then
		grep -qF -- "$name:$line: " "$T/err" || fail "$name: want line $line, got: $(cat "$T/err")"
	else
		grep -qE -- "$name:[0-9]+: " "$T/err" || fail "$name: no FILE:LINE: $(cat "$T/err")"
	fi
done
[ "$n" -ge 100 ] || fail "only $n vectors in $dir"
echo "ok ($n files)"
