#!/bin/bash
# Issue 11, finding 9, in the build's progress output: control characters
# from a Dockerfile line or an image reach the terminal escaped (`\x1b`),
# in plain and tty modes.  A step's own output written to a file or pipe
# stays as the step wrote it, as BuildKit's plain log keeps it (CI logs
# rely on that); written to a terminal it is escaped too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"
command -v script >/dev/null || fail "script (util-linux) is not installed"
ESC=$'\x1b'

ctx "$T/c"
cat >"$T/c/Dockerfile" <<EOF
FROM busybox:test
RUN echo "${ESC}[2Jcleared" >/dev/null
RUN printf 'out:\\033]0;title\\007:end\\n'
EOF

# plain, to a file: the step's label escaped, its output as written
build --progress plain --no-cache -t esc "$T/c"
grep -q '\[stage-0\] RUN echo "\\x1b\[2Jcleared"' "$T/err" ||
	fail "the step's label is not escaped: $(cat -v "$T/err")"
if grep 'RUN echo' "$T/err" | LC_ALL=C grep -q $'\x1b'; then
	fail "a raw ESC in the step's label: $(cat -v "$T/err")"
fi
LC_ALL=C grep -q $'out:\x1b]0;title\a:end' "$T/err" ||
	fail "the step's output to a file is not kept as written: $(cat -v "$T/err")"

# plain, to a terminal: the output escaped as well
script -qec "\"$CBUILD\" --root \"$ROOT\" build --progress plain --no-cache -t esc \"$T/c\"" \
	"$T/tty-plain" >/dev/null || fail "the build on a tty failed: $(cat -v "$T/tty-plain")"
grep -q 'out:\\x1b\]0;title\\x07:end' "$T/tty-plain" ||
	fail "the step's output on a terminal is not escaped: $(cat -v "$T/tty-plain")"
if LC_ALL=C grep -q $'[\a]\|\x1b\\[2J\|\x1b]0' "$T/tty-plain"; then
	fail "raw control sequences on the terminal: $(cat -v "$T/tty-plain")"
fi

# tty: the redrawn view shows both escaped; its own cursor movement aside,
# no ESC from the build reaches the terminal
script -qec "COLUMNS=200 \"$CBUILD\" --root \"$ROOT\" build --progress tty --no-cache -t esc \"$T/c\"" \
	"$T/tty" >/dev/null || fail "the build on a tty failed: $(cat -v "$T/tty")"
grep -q 'RUN echo "\\x1b\[2Jcleared"' "$T/tty" || fail "the tty label is not escaped: $(cat -v "$T/tty")"
if LC_ALL=C grep -q $'[\a]\|\x1b\\[2J\|\x1b]0' "$T/tty"; then
	fail "raw control sequences in the tty view: $(cat -v "$T/tty")"
fi
finish
