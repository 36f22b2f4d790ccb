#!/bin/bash
# Every Dockerfile of the corpus (tests/data/shared/testdata/
# dockerfiles-corpus) parses (the real-world ones as whole Dockerfiles, the
# reference snippets as fragments), except the intentional failures listed in
# tests/data/corpus-expected-failures.tsv, which must fail with the listed
# line and message.
. "$(dirname "$0")/lib.sh"

corpus=$CB_SOURCE_DIR/tests/data/shared/testdata/dockerfiles-corpus
[ -d "$corpus" ] || fail "no $corpus: the corpus is part of the clone"
expected=$CB_SOURCE_DIR/tests/data/corpus-expected-failures.tsv

declare -A want
while IFS=$'\t' read -r path line msg; do
	case "$path" in '#'* | '') continue ;; esac
	want[$path]="$line	$msg"
done <"$expected"

total=0 ok=0 bad=0 xfail=0
while IFS= read -r -d '' f; do
	rel=${f#"$corpus"/}
	case "$rel" in MANIFEST.tsv | */index.json) continue ;; esac
	total=$((total + 1))
	mode=()
	case "$rel" in buildkit-reference-md/*) mode=(--fragment) ;; esac
	set +e
	"$CBUILD" parse -q "${mode[@]}" "$f" >/dev/null 2>"$T/err"
	rc=$?
	set -e
	if [ -n "${want[$rel]+x}" ]; then
		line=${want[$rel]%%	*}
		msg=${want[$rel]#*	}
		name=$(basename "$f")
		if [ "$rc" = 1 ] && grep -qF -- "$name:$line: $msg" "$T/err"; then
			xfail=$((xfail + 1))
		else
			echo "FAIL $rel: expected '$name:$line: $msg', got rc=$rc: $(cat "$T/err")"
			bad=$((bad + 1))
		fi
	elif [ "$rc" = 0 ]; then
		ok=$((ok + 1))
	else
		echo "FAIL $rel: $(cat "$T/err")"
		bad=$((bad + 1))
	fi
done < <(find "$corpus" -type f -print0 | sort -z)

echo "$total files: $ok parsed, $xfail failed as listed, $bad wrong"
[ "$total" -ge 392 ] || fail "only $total corpus files found"
[ "$xfail" = "${#want[@]}" ] || fail "expected ${#want[@]} listed failures, saw $xfail"
[ "$bad" = 0 ] || fail "$bad files did not parse as expected"
