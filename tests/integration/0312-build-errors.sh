#!/bin/bash
# Failing builds: a failing RUN exits 1 and says its instruction,
# Dockerfile:LINE, its exit code and its last output lines; parse errors
# exit 1 with Dockerfile:LINE:; other step errors (an unknown USER, a
# missing executable, a # syntax= frontend other than docker/dockerfile)
# exit 1 naming the line; several COPY sources into a non-directory either
# fail so (the Dockerfile reference) or leave the last (BuildKit);
# a failed build leaves the store's images as they were (an existing tag
# keeps its image), no mounts, and a store fsck calls clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
echo a >c/a
echo b >c/b

# A good image under the tag the failing builds use.
printf 'FROM busybox:test\nRUN echo good > /good\n' >c/Dockerfile
build -t err:tag c
good=$(insp err:tag .Id)
before=$(image_list)

# RUN exit 3.
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN echo before > /before
RUN echo "output line 1"; echo "output line 2" >&2; exit 3
RUN echo never > /never
EOF
build_fails 1 --progress plain -t err:tag c
in_file "$T/err" "Dockerfile:3"
in_file "$T/err" "exit code: 3"
in_file "$T/err" 'echo "output line 1"; echo "output line 2" >&2; exit 3'
# the last output lines, after the error line
sed -n '/Dockerfile:3/,$p' "$T/err" >"$T/tail"
in_file "$T/tail" "output line 1"
in_file "$T/tail" "output line 2"
not_in_file "$T/err" "echo never"
# the same with -q: still the error and the output
build_fails 1 -q -t err:tag c
in_file "$T/err" "Dockerfile:3"
in_file "$T/err" "exit code: 3"
in_file "$T/err" "output line 2"
eq "stdout of a failed -q build" "$(cat "$T/out")" ""

# A continued RUN: the line of the instruction's start.
printf 'FROM busybox:test\nRUN echo one; \\\n  echo two; \\\n  exit 4\n' >c/Dockerfile
build_fails 1 -t err:tag c
in_file "$T/err" "Dockerfile:2"
in_file "$T/err" "exit code: 4"

# Parse errors: Dockerfile:LINE:, nothing run.
for df in 'FROM busybox:test\nRUN echo ok > /ok\nFOO bar\n:Dockerfile:3:' \
	'FROM busybox:test\nENV\n:Dockerfile:2:' \
	'FROM busybox:test\nCOPY a\n:Dockerfile:2:' \
	'FROM busybox:test\nRUN echo ok\nHEALTHCHECK --interval=x CMD true\n:Dockerfile:3:'; do
	printf "${df%:Dockerfile:*}" >c/Dockerfile
	build_fails 1 --progress plain -t err:tag c
	in_file "$T/err" "Dockerfile:${df##*:Dockerfile:}"
	not_in_file "$T/err" "RUN echo ok"
done
printf 'FROM busybox:test\nFOO bar\n' >c/Dockerfile
build_fails 1 -t err:tag c
in_file "$T/err" FOO
printf 'RUN true\n' >c/Dockerfile
build_fails 1 -t err:tag c
in_file "$T/err" "Dockerfile:1"

# Step errors naming their line.
printf 'FROM busybox:test\nUSER nosuchuser\nRUN true\n' >c/Dockerfile
build_fails 1 -t err:tag c
in_file "$T/err" "Dockerfile:3"
in_file "$T/err" nosuchuser
printf 'FROM busybox:test\nRUN ["/nonexistent", "arg"]\n' >c/Dockerfile
build_fails 1 -t err:tag c
in_file "$T/err" "Dockerfile:2"
in_file "$T/err" "/nonexistent"
# Several sources into a destination without a trailing slash: the
# Dockerfile reference says "the destination must be a directory (must end
# with a slash /)", an error; Docker's BuildKit (v0.8 and current: nothing in
# dockerfile2llb checks it, tests/data/buildkit-build/043) copies each source
# in turn to that path, leaving the last one as the file.  One of the two.
printf 'FROM busybox:test\nCOPY a b /notadir\n' >c/Dockerfile
set +e
cb build -t err:multi c >"$T/out" 2>"$T/err"
rc=$?
set -e
if [ "$rc" = 0 ]; then
	eq "/notadir (BuildKit: the last source)" "$(crun err:multi cat /notadir)" b
	cb rmi err:multi >/dev/null
else
	eq "exit status of COPY a b /notadir" "$rc" 1
	in_file "$T/err" "Dockerfile:2"
	in_file "$T/err" "end with a /"
fi
# Another frontend is refused, never pulled; docker/dockerfile:1.x is built in.
printf '# syntax=example.com/frontend:1\nFROM busybox:test\n' >c/Dockerfile
build_fails 1 -t err:tag c
in_file "$T/err" "example.com/frontend:1"

eq "images after the failed builds" "$(image_list)" "$before"
eq "err:tag" "$(insp err:tag .Id)" "$good"
eq "/good of err:tag" "$(crun err:tag cat /good)" good
cb fsck >"$T/fsck" 2>&1 || fail "fsck after the failed builds: $(cat "$T/fsck")"

printf '# syntax=docker/dockerfile:1.7\nFROM busybox:test\nRUN echo ok > /ok\n' >c/Dockerfile
build -t err:syntax c
eq "/ok with # syntax=docker/dockerfile:1.7" "$(crun err:syntax cat /ok)" ok
finish
