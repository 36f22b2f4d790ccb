#!/bin/bash
# The memory a rebuild of an unchanged COPY takes does not grow with the
# number of files copied: the key is hashed as the sources are walked, no
# plan of the copy is kept (only the stat cache, 80 bytes a file, grows).
# Peak RSS of the rebuild of a 4,000-file context against a 40,000-file
# one, in directories of 100 files; a plan kept in memory costs some 300
# bytes a file, that is 10 MB more.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"
[ -x /usr/bin/time ] || skip "/usr/bin/time (package time) is not installed"
ldd "$CBUILD" 2>/dev/null | grep -qE 'lib(a|ub|t)san' &&
	not_applicable_exit "a sanitizer build: its memory is the sanitizer's"

# tree DIR DIRS: DIRS directories of 100 empty files each
tree() {
	local d
	for d in $(seq 1 "$2"); do
		mkdir -p "$1/dir-$d"
		(cd "$1/dir-$d" && seq 1 100 | sed 's/^/a-file-name-/' | xargs touch)
	done
}

# rss CONTEXT: peak RSS (KB) of a build of CONTEXT
rss() {
	/usr/bin/time -f %M -o "$T/rss" "$CBUILD" --root "$ROOT" build -q -t "m:$(basename "$1")" "$1" \
		>"$T/out" 2>"$T/err" || fail "build $1: $(cat "$T/err")"
	cat "$T/rss"
}

for n in 40 400; do
	ctx "c$n"
	printf 'FROM scratch\nCOPY . /app\n' >"c$n/Dockerfile"
	tree "c$n" $n
done
sleep 2.2 # older than the stat cache's racy window
for n in 40 400; do
	rss "c$n" >/dev/null # the first build: a copy
	rss "c$n" >/dev/null # fills the stat cache
done
small=$(rss c40)
big=$(rss c400)
[ $((big - small)) -lt 6000 ] ||
	fail "a rebuild of 40,000 files took $((big - small)) KB more than one of 4,000 ($big KB, $small KB)"
finish
