#!/bin/bash
# Four `cbuild load`s of overlapping images (shared layers and configs, both
# archive formats) into one store at the same time: all succeed, every
# image is there, fsck is clean, nothing is left in tmp/.
. "$(dirname "$0")/lib.sh"

export SOURCE_DATE_EPOCH=1700000000
export CBUILD_ROOT="$T/src"

for n in 1 2 3; do
	mkdir -p "r$n"
	head -c $((6 << 20)) /dev/urandom >"r$n/blob"
	echo "image $n" >"r$n/name"
	tar -C "r$n" -cf "r$n.tar" .
	expect_rc 0 "$CBUILD" import "r$n.tar" "par/img:$n"
done
expect_rc 0 "$CBUILD" import --compression zstd r1.tar par/img:1z
expect_rc 0 "$CBUILD" save -o a.tar par/img:1 par/img:2
expect_rc 0 "$CBUILD" save -o b.tar par/img:2 par/img:3 par/img:1z
expect_rc 0 "$CBUILD" save --format docker -o c.tar par/img:1 par/img:3
expect_rc 0 "$CBUILD" save -o d.tar par/img:1 par/img:2 par/img:3

export CBUILD_ROOT="$T/dst"
for round in 1 2 3; do
	rm -rf "$CBUILD_ROOT"
	pids=()
	for a in a b c d; do
		"$CBUILD" load -i "$a.tar" >"$T/$a.out" 2>"$T/$a.err" &
		pids+=($!)
	done
	for i in 0 1 2 3; do
		wait "${pids[$i]}" || fail "round $round: load ${i}: $(cat "$T"/*.err)"
	done
	for n in 1 2 3 1z; do
		"$CBUILD" inspect "par/img:$n" >/dev/null 2>"$T/err" ||
			fail "round $round: par/img:$n missing: $(cat "$T/err")"
	done
	expect_rc 0 "$CBUILD" fsck
	contains "$T/out" "0 problems"
	left=$(find "$CBUILD_ROOT/tmp" -mindepth 1 | wc -l)
	[ "$left" = 0 ] || fail "round $round: $left entries left in tmp/"
done
echo ok
