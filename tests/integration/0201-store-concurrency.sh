#!/bin/bash
# Several cbuild processes on one store: 4 parallel taggers of overlapping
# names beside a pruner and fsck runs; processes killed with SIGKILL at
# random points.  Afterwards every tag resolves, nothing a tag needs was
# pruned, no lease or temp file is left, and fsck is clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/store-lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

R="$T/store"
init_store "$R"
for i in 0 1 2 3; do
	seed_image "$R" "docker.io/library/base$i:latest" 2021-01-01T00:00:00Z "shared" "layer $i" >/dev/null
done

# 4 taggers, each 15 names of its own and 15 shared ones, and a pruner.
for w in 0 1 2 3; do
	(
		for k in $(seq 1 15); do
			"$CBUILD" tag --root "$R" "base$w" "localhost:5000/w$w/img:$k" || exit 1
			"$CBUILD" tag --root "$R" "base$(((w + k) % 4))" "shared:$k" || exit 1
		done
	) &
done
(
	for k in $(seq 1 10); do
		"$CBUILD" prune --root "$R" --all >/dev/null || exit 1
		"$CBUILD" fsck --root "$R" -q || exit 1
	done
) &
for job in $(jobs -p); do
	wait "$job" || fail "a parallel cbuild failed"
done

expect_rc 0 "$CBUILD" images --root "$R" --format json
[ "$(json_get "$T/out" 'len(j)')" = $((4 + 4 * 15 + 15)) ] || fail "tags: $(json_get "$T/out" 'len(j)')"
[ "$(json_get "$T/out" 'sum(1 for x in j if x["ID"] is None)')" = 0 ] || fail "a broken image"

# SIGKILL at random points of tag, prune, fsck and df.
for i in $(seq 1 20); do
	case $((i % 4)) in
	0) "$CBUILD" tag --root "$R" base1 "killed:$i" & ;;
	1) "$CBUILD" prune --root "$R" >/dev/null & ;;
	2) "$CBUILD" fsck --root "$R" -q & ;;
	3) "$CBUILD" df --root "$R" >/dev/null & ;;
	esac
	pid=$!
	sleep "0.00$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
done

# The next process cleans up after the dead, and the store is whole.
expect_rc 0 "$CBUILD" fsck --root "$R"
contains "$T/out" ": 0 problems"
[ -z "$(ls "$R/tmp")" ] || fail "tmp/ not cleaned: $(ls "$R/tmp")"
[ -z "$(ls "$R/leases")" ] || fail "leases left: $(ls "$R/leases")"
expect_rc 0 "$CBUILD" inspect --root "$R" localhost:5000/w3/img:15 shared:15 base0
expect_rc 0 "$CBUILD" prune --root "$R" --all
expect_rc 0 "$CBUILD" fsck --root "$R"
echo ok
