#!/bin/bash
# `cbuild run`: usage, exit codes, env, cwd, stdio, read-only rootfs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
R=$T/rootfs
make_rootfs "$R"

expect_rc 0 "$CBUILD" help run
contains "$T/out" "usage: cbuild run"
expect_rc 0 "$CBUILD" --help
contains "$T/out" "  run "
expect_rc 2 run
contains "$T/err" "give IMAGE, --rootfs or --overlay-lower"
expect_rc 2 run --rootfs "$R"
contains "$T/err" "no command given"
expect_rc 2 run --overlay-upper "$T" -- true
contains "$T/err" "give either --rootfs or --overlay-lower"
expect_rc 2 run --bogus --rootfs "$R" true
expect_rc 2 run --network bogus --rootfs "$R" true
expect_rc 2 run --memory lots --rootfs "$R" true
expect_rc 2 run --cpus 0 --rootfs "$R" true
expect_rc 2 run --cap-add CAP_NOPE --rootfs "$R" true
expect_rc 2 run --rm --overlay-lower "$R" --overlay-upper "$T" true
expect_rc 125 run --rootfs "$T/missing" true
contains "$T/err" "rootfs \`$T/missing\`: No such file or directory"
expect_rc 125 run --memory 1m --rootfs "$R" true
contains "$T/err" "minimum memory limit allowed is 6MB"

# Exit codes: the step's own; 127/126 when the command cannot run; 128+N for a signal.
expect_rc 0 run --rootfs "$R" true
expect_rc 3 run --rootfs "$R" sh -c 'exit 3'
expect_rc 127 run --rootfs "$R" no-such-command
contains "$T/err" 'exec: "no-such-command": executable file not found in $PATH'
expect_rc 127 run --rootfs "$R" /no/such/file
contains "$T/err" "exec \`/no/such/file\`: No such file or directory"
printf 'not a program\n' >"$R/notexec" && chmod 644 "$R/notexec"
expect_rc 126 run --rootfs "$R" /notexec
contains "$T/err" "Permission denied"
expect_rc 137 run --rootfs "$R" sh -c 'kill -9 $$'
contains "$T/err" "killed by signal 9 (SIGKILL)"

# stdio passes through; the environment is the given one plus PATH and HOME.
echo hello | run -i --rootfs "$R" cat >"$T/out"
contains "$T/out" hello
run --rootfs "$R" -e A=1 -e 'B=two words' sh -c 'echo "A=$A"; echo "B=$B"; echo "PATH=$PATH"; echo "HOME=$HOME"' >"$T/out"
contains "$T/out" "A=1"
contains "$T/out" "B=two words"
contains "$T/out" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
contains "$T/out" "HOME=/root"
FROMHOST=yes run --rootfs "$R" -e FROMHOST -e HOME=/x sh -c 'echo "F=$FROMHOST H=$HOME"' >"$T/out"
contains "$T/out" "F=yes H=/x"
run --rootfs "$R" -e PATH=/nowhere /bin/sh -c 'echo "$PATH"' >"$T/out"
contains "$T/out" "/nowhere"
expect_rc 127 run --rootfs "$R" -e PATH=/nowhere sh -c true

# The working directory must exist.
mkdir -p "$R/work/dir"
run --rootfs "$R" -w /work/dir /probe cwd >"$T/out"
expect_value cwd /work/dir
expect_rc 125 run --rootfs "$R" -w /missing true
contains "$T/err" "chdir to \`/missing\`: No such file or directory"
expect_rc 125 run --rootfs "$R" -w relative true
contains "$T/err" "working directory \`relative\` is not absolute"

# A plain rootfs is used in place; --read-only and --rm keep it unchanged.
run --rootfs "$R" sh -c 'echo kept >/kept'
[ "$(cat "$R/kept")" = kept ] || fail "a plain rootfs is written in place"
expect_rc 1 run --read-only --rootfs "$R" sh -c 'echo x >/ro-file'
contains "$T/err" "Read-only file system"
[ ! -e "$R/ro-file" ] || fail "--read-only wrote to the rootfs"
run --rm --rootfs "$R" sh -c 'echo gone >/gone; rm /kept; cat /gone' >"$T/out"
contains "$T/out" gone
[ ! -e "$R/gone" ] && [ -e "$R/kept" ] || fail "--rm changed the rootfs"

finish
