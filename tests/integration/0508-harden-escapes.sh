#!/bin/bash
# Issue 11, finding 9: names from archives and the command line reached
# stderr raw, so a tarball or an argument could drive the terminal (ESC
# sequences, BEL).  Every message goes out with its control characters
# escaped as `\x1b`; the rest of the message is unchanged.
. "$(dirname "$0")/lib.sh"
S=$T/store
ESC=$'\x1b'
BEL=$'\a'

# no_raw_controls FILE: no ESC, BEL, CR or 8-bit CSI byte in FILE
no_raw_controls() {
	if LC_ALL=C grep -q $'[\x1b\a\r\x9b]' "$1"; then
		fail "raw control characters in $1: $(od -c "$1" | head -n 5)"
	fi
}

# the command line: an unknown command, and `help` of one
expect_rc 2 "$CBUILD" "${ESC}[2J${BEL}bogus"
contains "$T/err" 'unknown command `\x1b[2J\x07bogus`'
no_raw_controls "$T/err"
expect_rc 2 "$CBUILD" help "${ESC}]0;title${BEL}"
contains "$T/err" 'unknown command `\x1b]0;title\x07`'
no_raw_controls "$T/err"
# an option's value
expect_rc 2 "$CBUILD" run --network "${ESC}[31mred" --rootfs / true
contains "$T/err" '\x1b[31mred'
no_raw_controls "$T/err"

# archives: an entry whose name leaves the root, with escapes in it, for
# import and layer apply; and a file name with a C1 CSI (U+009B)
python3 - "$T" <<'PY'
import io, sys, tarfile
def tar(path, name):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo(name)
        ti.size = 2
        t.addfile(ti, io.BytesIO(b"x\n"))
tar(sys.argv[1] + "/esc.tar", "\x1b[2J\x1b[31m/../../\x07evil")
PY
expect_rc 1 "$CBUILD" import --root "$S" "$T/esc.tar" esc
contains "$T/err" '\x1b[2J\x1b[31m'
contains "$T/err" '\x07evil'
no_raw_controls "$T/err"
mkdir "$T/dir"
expect_rc 1 "$CBUILD" layer apply "$T/esc.tar" "$T/dir"
contains "$T/err" '\x1b[2J\x1b[31m'
no_raw_controls "$T/err"
# a missing file named on the command line
expect_rc 1 "$CBUILD" import --root "$S" "$T/no${ESC}[1mfile.tar" x
contains "$T/err" 'no\x1b[1mfile.tar'
no_raw_controls "$T/err"
# an image name that is not in the store
expect_rc 0 "$CBUILD" import --root "$S" <(tar -C "$T/dir" -cf - .) good
expect_rc 1 "$CBUILD" rmi --root "$S" "nosuch${ESC}[8m"
no_raw_controls "$T/err"
contains "$T/err" '\x1b[8m'
