#!/bin/bash
# The command table, help and version, and how parse errors are reported.
. "$(dirname "$0")/lib.sh"

expect_rc 0 "$CBUILD" --version
contains "$T/out" "cbuild version "
expect_rc 0 "$CBUILD" version
expect_rc 0 "$CBUILD" --help
contains "$T/out" "usage: cbuild"
for cmd in parse debug help version; do
	contains "$T/out" "  $cmd "
	expect_rc 0 "$CBUILD" help "$cmd"
	contains "$T/out" "usage: cbuild $cmd"
	expect_rc 0 "$CBUILD" "$cmd" --help
	contains "$T/out" "usage: cbuild $cmd"
	"$CBUILD" --help >"$T/out"
done
expect_rc 2 "$CBUILD" help no-such-command
expect_rc 2 "$CBUILD" no-such-command
contains "$T/err" "unknown command \`no-such-command\`"
expect_rc 2 "$CBUILD"
expect_rc 2 "$CBUILD" parse
expect_rc 2 "$CBUILD" parse --bogus Dockerfile

# A valid file: stages are listed.
printf 'ARG V=1\nFROM busybox AS base\nRUN true\nFROM base\nCOPY --from=base / /\n' >Dockerfile
expect_rc 0 "$CBUILD" parse Dockerfile
contains "$T/out" "Dockerfile: 5 instructions, 2 stages"
contains "$T/out" "stage 0 base: FROM busybox (1 instructions)"

# Errors read FILE:LINE: message on stderr and exit 1.
printf 'FROM scratch\n\nCOPPY a b\n' >Dockerfile
expect_rc 1 "$CBUILD" parse Dockerfile
contains "$T/err" "Dockerfile:3: unknown instruction: COPPY (did you mean COPY?)"
printf 'from scratch\ncopyy a b\n' >Dockerfile
expect_rc 1 "$CBUILD" parse Dockerfile
contains "$T/err" "Dockerfile:2: unknown instruction: copyy (did you mean copy?)"
printf 'FROM scratch\nRUN --mount=type=cache,target=/x,from=$S true\n' >Dockerfile
expect_rc 1 "$CBUILD" parse Dockerfile
contains "$T/err" "Dockerfile:2: 'from' doesn't support variable expansion, define alias stage instead"
# other mount values are BuildKit's dispatch-time checks: they parse
printf 'FROM scratch\nRUN --mount=type=cache,target=/x,sharing=bogus true\n' >Dockerfile
expect_rc 0 "$CBUILD" parse Dockerfile
printf 'FROM scratch\nCOPY --form=a b c\n' >Dockerfile
expect_rc 1 "$CBUILD" parse Dockerfile
contains "$T/err" "Dockerfile:2: unknown flag: --form (did you mean from?)"
printf 'FROM scratch\nENV A\n' >Dockerfile
expect_rc 1 "$CBUILD" parse Dockerfile
contains "$T/err" "Dockerfile:2: ENV must have two arguments"
printf 'RUN true\n' >Dockerfile
expect_rc 1 "$CBUILD" parse Dockerfile
contains "$T/err" "Dockerfile:1: no build stage in current context"
expect_rc 0 "$CBUILD" parse --fragment Dockerfile

# The file's own name is used; several files are checked in one run.
printf 'FROM scratch\n' >good.Dockerfile
printf 'FROM scratch\nRUN <<EOF\nno end\n' >bad.Dockerfile
expect_rc 1 "$CBUILD" parse -q good.Dockerfile bad.Dockerfile
contains "$T/err" "bad.Dockerfile:2: unterminated heredoc"
[ ! -s "$T/out" ] || fail "--quiet printed: $(cat "$T/out")"

# A line over 65535 bytes is refused cleanly, naming its line.
{ printf 'FROM scratch\nRUN echo '; head -c 70000 /dev/zero | tr '\0' a; printf '\n'; } >Dockerfile
expect_rc 1 "$CBUILD" parse Dockerfile
contains "$T/err" "Dockerfile:2: dockerfile line greater than max allowed size of 65535"

# Warnings go to stderr with a location, and do not fail the parse.
printf 'FROM scratch\nRUN echo a \\\n\n  b\n' >Dockerfile
expect_rc 0 "$CBUILD" parse Dockerfile
contains "$T/err" "Dockerfile:4: warning: Empty continuation line found in: RUN echo a   b"

# Standard input.
printf 'FROM scratch\nLABEL a=b\n' | "$CBUILD" parse - >"$T/out"
contains "$T/out" "Dockerfile: 2 instructions, 1 stages"

# parse --dump-ast / --dump-lines
printf 'FROM scratch\nRUN a \\\n b\nONBUILD RUN ["x"]\n' >Dockerfile
expect_rc 0 "$CBUILD" parse --dump-ast Dockerfile
printf '(from "scratch")\n(run "a  b")\n(onbuild (run "x"))\n' >want
cmp -s want "$T/out" || fail "dump-ast: $(cat "$T/out")"
expect_rc 0 "$CBUILD" parse --dump-lines Dockerfile
printf '1 4\n1 1\n2 3\n4 4\n' >want
cmp -s want "$T/out" || fail "dump-lines: $(cat "$T/out")"
echo ok
