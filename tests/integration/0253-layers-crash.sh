#!/bin/bash
# kill -9 a `cbuild load` or `cbuild save` at 20 random points: every time
# `cbuild fsck` is clean, and running the command again succeeds.  A killed
# save leaves no half-written archive under the output name.
. "$(dirname "$0")/lib.sh"

export CBUILD_ROOT="$T/store"
export SOURCE_DATE_EPOCH=1700000000

# Two images with layers big enough that a kill lands in the middle.
for n in 1 2; do
	mkdir -p "r$n/data"
	head -c $((24 << 20)) /dev/urandom >"r$n/data/blob"
	seq 1 200000 >"r$n/data/text"
	tar -C "r$n" -cf "r$n.tar" .
	expect_rc 0 "$CBUILD" import "r$n.tar" "crash/img:$n"
done
expect_rc 0 "$CBUILD" save -o src-oci.tar crash/img:1 crash/img:2
expect_rc 0 "$CBUILD" save --format docker -o src-docker.tar crash/img:1 crash/img:2

# How long each takes, to spread the kills over it.
ms() { date +%s%3N; }
t0=$(ms)
CBUILD_ROOT="$T/probe" "$CBUILD" load -q -i src-oci.tar
t1=$(ms)
"$CBUILD" save -o probe.tar crash/img:1 crash/img:2
t2=$(ms)
load_ms=$((t1 - t0 + 20))
save_ms=$((t2 - t1 + 20))

# Each run is killed at a random point inside the measured duration.  A run
# that finished before its kill landed does not count: it is retried with
# a shorter window, until 20 kills have landed mid-run (timings vary under
# a parallel ctest).
killed=0
attempts=0
i=0
while [ "$killed" -lt 20 ]; do
	attempts=$((attempts + 1))
	[ "$attempts" -le 80 ] ||
		fail "only $killed of $attempts runs were killed while running"
	i=$((i + 1))
	if [ $((i % 2)) = 1 ]; then
		store="$T/load-$i"
		src=src-oci.tar
		[ $((i % 4)) = 1 ] || src=src-docker.tar
		CBUILD_ROOT="$store" "$CBUILD" load -q -i "$src" &
		total=$load_ms
	else
		store="$T/store"
		"$CBUILD" save -o "out-$i.tar" crash/img:1 crash/img:2 &
		total=$save_ms
	fi
	pid=$!
	delay=$((RANDOM % total))
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	if kill -9 "$pid" 2>/dev/null; then
		killed=$((killed + 1))
	elif [ "$total" -gt 40 ]; then
		# Finished first: aim earlier from now on.
		if [ $((i % 2)) = 1 ]; then
			load_ms=$((load_ms * 3 / 4))
		else
			save_ms=$((save_ms * 3 / 4))
		fi
	fi
	wait "$pid" 2>/dev/null || true

	CBUILD_ROOT="$store" "$CBUILD" fsck >"$T/fsck" 2>&1 ||
		fail "run $i (killed after ${delay}ms): fsck: $(cat "$T/fsck")"
	if [ $((i % 2)) = 1 ]; then
		CBUILD_ROOT="$store" "$CBUILD" load -i "$src" >"$T/out" 2>"$T/err" ||
			fail "run $i: load again: $(cat "$T/err")"
		contains "$T/out" "docker.io/crash/img:2"
		CBUILD_ROOT="$store" "$CBUILD" inspect crash/img:1 >/dev/null ||
			fail "run $i: image missing after the re-run"
	else
		# Whatever is under the output name is a whole archive.
		if [ -e "out-$i.tar" ]; then
			cmp -s "out-$i.tar" probe.tar || fail "run $i: a partial out-$i.tar"
		fi
		ls | grep -q "out-$i.tar.cbuild-tmp" && rm -f out-"$i".tar.cbuild-tmp-*
		"$CBUILD" save -o "out-$i.tar" crash/img:1 crash/img:2 ||
			fail "run $i: save again"
		cmp -s "out-$i.tar" probe.tar || fail "run $i: the re-run's archive differs"
	fi
	CBUILD_ROOT="$store" "$CBUILD" fsck >"$T/fsck" 2>&1 ||
		fail "run $i: fsck after the re-run: $(cat "$T/fsck")"
	# No temp files of the dead process survive the next open.
	left=$(find "$store/tmp" -mindepth 1 | wc -l)
	[ "$left" = 0 ] || fail "run $i: $left entries left in tmp/"
	[ "$store" = "$T/store" ] || rm -rf "$store"
done
echo "ok ($killed kills landed mid-run in $attempts runs)"
