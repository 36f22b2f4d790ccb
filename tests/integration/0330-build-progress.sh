#!/bin/bash
# What a build prints: plain progress (numbered steps, every output line
# prefixed by its step, CACHED, DONE), the tty display redrawn in place
# (through a pseudo-terminal from script(1)), why each step missed the
# cache (--explain-cache, and always in plain mode), and -q.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"
command -v script >/dev/null || skip "script (util-linux) is not installed"

ctx c
cat >c/Dockerfile <<'DF'
FROM busybox:test
ARG V=1
RUN echo "step output $V"
COPY a.txt b.txt /files/
RUN cat /files/a.txt
DF
echo a >c/a.txt
echo b >c/b.txt

# plain: headers, prefixed output lines, DONE; a first build explains nothing away
build --progress plain -t p c
in_file "$T/err" "#2 [stage-0] RUN echo \"step output \$V\""
grep -qE '^#2 [0-9.]+ step output 1$' "$T/err" || fail "no prefixed output line: $(cat "$T/err")"
grep -qE '^#2 DONE [0-9.]+s$' "$T/err" || fail "no DONE line: $(cat "$T/err")"
in_file "$T/err" "#2 cache miss: no earlier build of this step"

# a rebuild: every step CACHED, nothing missed
build --progress plain -t p c
[ "$(grep -c ' CACHED$' "$T/err")" = 3 ] || fail "want 3 CACHED steps: $(cat "$T/err")"
not_in_file "$T/err" "cache miss"

# an ARG value changed: that step says so, the later ones blame it
build --progress plain --build-arg V=2 -t p c
in_file "$T/err" '#2 cache miss: ARG/ENV V changed: `1` -> `2`'
in_file "$T/err" "#3 cache miss: an earlier step changed"

# a file changed: --explain-cache names it even without plain progress
echo changed >c/b.txt
build --explain-cache --progress quiet --build-arg V=2 -t p c
[ ! -s "$T/err" ] || fail "quiet printed something: $(cat "$T/err")"
echo changed again >c/b.txt
build --explain-cache --progress tty --build-arg V=2 -t p c
in_file "$T/err" 'cache miss: file `/files/b.txt` changed'
echo again >c/b.txt
script -qec "\"$CBUILD\" --root \"$ROOT\" build --explain-cache --build-arg V=2 -t p c" "$T/tty" >/dev/null ||
	fail "the build on a tty failed: $(cat "$T/tty")"
grep -q '\[+\] Building .* FINISHED' "$T/tty" || fail "no tty summary: $(cat -v "$T/tty")"
grep -q $'\x1b\\[[0-9]*A' "$T/tty" || fail "the tty display is not redrawn in place: $(cat -v "$T/tty")"
grep -q ' => CACHED \[stage-0\] RUN echo' "$T/tty" || fail "no CACHED step on the tty: $(cat -v "$T/tty")"
grep -q 'cache miss: file `/files/b.txt` changed' "$T/tty" ||
	fail "the tty display does not explain the miss: $(cat -v "$T/tty")"

# a base whose layers are not extracted yet (a loaded archive): FROM reports
# the extraction of each layer, as BuildKit's "extracting sha256:..." lines
cb save --format docker -o "$T/base.tar" busybox:test || fail "save failed"
"$CBUILD" --root "$T/root2" load -i "$T/base.tar" >/dev/null || fail "load failed"
layer=$(cb inspect busybox:test | jq -r '.[0].RootFS.Layers[0]')
ctx c2
printf 'FROM busybox:test\nRUN true\n' >c2/Dockerfile
"$CBUILD" --root "$T/root2" build --progress plain -t p2 c2 >"$T/out" 2>"$T/err" ||
	fail "the build on a loaded base failed: $(cat "$T/err")"
grep -qE "^#1 [0-9.]+ extracting $layer 0B / [0-9.]+[kM]B$" "$T/err" ||
	fail "no start of the extraction under FROM: $(cat "$T/err")"
grep -qE "^#1 [0-9.]+ extracting $layer ([0-9.]+[kM]B) / \1 done$" "$T/err" ||
	fail "no end of the extraction under FROM: $(cat "$T/err")"
# the snapshot is there now: the next build extracts nothing
"$CBUILD" --root "$T/root2" build --progress plain --no-cache -t p2 c2 >"$T/out" 2>"$T/err" ||
	fail "the second build failed: $(cat "$T/err")"
not_in_file "$T/err" "extracting"

# -q: the image ID alone on stdout, nothing on stderr
build -q -t p c
grep -qxE 'sha256:[0-9a-f]{64}' "$T/out" || fail "-q printed: $(cat "$T/out")"
[ ! -s "$T/err" ] || fail "-q wrote to stderr: $(cat "$T/err")"
finish
