#!/bin/bash
# A big COPY (hundreds of items, tens of MB) writes its tree on two threads
# (step-copy.c write_parallel): directories first, then the files in two
# runs.  The result must be exactly the context: every file's bytes, mode
# and mtime, every directory's mode and mtime (set after their children),
# symlinks; also when a rebuild links unchanged files from the last result.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
mkdir -p c/d/dir10/sub/deeper c/d/dir20
# the work splits inside a subtree (after dir10/sub/deeper/big1): the second
# thread's files need the directories holding that point, made first
head -c $((17 << 20)) /dev/urandom >c/d/dir10/sub/deeper/big1
head -c $((17 << 20)) /dev/urandom >c/d/dir20/big2
for i in $(seq 1 30); do
	mkdir -p "c/d/dir$i/sub"
	for j in $(seq 1 10); do
		echo "file $i $j" >"c/d/dir$i/f$j"
		printf 'nested %s %s\n' "$i" "$j" >"c/d/dir$i/sub/n$j"
	done
	ln -s f1 "c/d/dir$i/link"
	chmod 0640 "c/d/dir$i/f2"
	chmod 0711 "c/d/dir$i/sub"
	touch -h -d "2021-0$((i % 9 + 1))-1$((i % 9)) 12:00:00" "c/d/dir$i/f3" "c/d/dir$i/link"
done
find c/d -type d -exec touch -d '2020-05-05 05:05:05' {} +
cat >c/Dockerfile <<'EOF'
FROM scratch
COPY d /app
EOF

# one line per entry below the root (whose metadata the copy rules set, not
# this test): path, type, mode, mtime (seconds), size or target
describe() {
	(cd "$1" && find . -mindepth 1 -printf '%P %y %m %T@ %s %l\n' | sed 's/\.[0-9]* / /' |
		LC_ALL=C sort)
}
contents() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}
check() { # WHAT
	rm -rf "$T/exp"
	cb build -q -o type=local,dest="$T/exp" c >/dev/null 2>"$T/err" ||
		fail "$1: export failed: $(cat "$T/err")"
	describe c/d >"$T/want"
	describe "$T/exp/app" >"$T/got"
	diff -u "$T/want" "$T/got" >"$T/diff" || fail "$1: the tree differs: $(head -20 "$T/diff")"
	[ "$(contents c/d)" = "$(contents "$T/exp/app")" ] || fail "$1: file contents differ"
}

sleep 2.1 # past the stat cache's racy window, so the rebuild links
build -t par:1 c
check "first build"
echo changed >c/d/dir7/f5
touch -d '2020-05-05 05:05:05' c/d/dir7
build -t par:2 c
check "rebuild linking unchanged files"
eq "layer count" "$(layer_count par:2)" 1
finish
