#!/bin/bash
# `cbuild run IMAGE` keeps the store open, with the image's snapshots in its
# lease, until the sandbox is gone: removing the image's name and pruning
# everything while it runs leaves its layers in place, and the next prune,
# once the run is over, takes them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/image-lib.sh"
images_init
expect_rc 0 "$CBUILD" load --root "$S" -i "$T/images.tar"
expect_rc 0 "$CBUILD" rmi --root "$S" cfg
mkdir "$T/sig"

# The run holds until the test says go (a handshake, not a fixed window).
run_bg --root "$S" -v "$T/sig:/sig" plain \
	sh -c '/probe await /sig/ready /sig/go >/dev/null && cat /etc/keep /srv/app.txt && ls /opq' \
	>"$T/bg.out" 2>"$T/bg.err"
pid=$!
wait_for "$T/sig/ready"
nsnap=$(ls "$S/snapshots" | wc -l)
[ "$nsnap" = 2 ] || fail "want the image's 2 snapshots, have $nsnap"

# No name keeps the image any more; only the running cbuild's lease does.
expect_rc 0 "$CBUILD" rmi --root "$S" plain
expect_rc 0 "$CBUILD" prune --root "$S" --all
[ "$(ls "$S/snapshots" | wc -l)" = 2 ] || fail "prune removed snapshots in use"
[ "$(ls "$S/leases" | wc -l)" = 1 ] || fail "the run holds no lease: $(ls "$S/leases")"

touch "$T/sig/go"
wait "$pid" || fail "the run failed: $(cat "$T/bg.err")"
[ "$(cat "$T/bg.out")" = "$(printf 'keep\napp2\nnew')" ] || fail "the run saw: $(cat "$T/bg.out")"

# The run is over: its lease went with it, and so do the snapshots now.
[ -z "$(ls "$S/leases")" ] || fail "lease left behind: $(ls "$S/leases")"
expect_rc 0 "$CBUILD" prune --root "$S" --all
[ -z "$(ls "$S/snapshots")" ] || fail "snapshots survived the prune: $(ls "$S/snapshots")"
expect_rc 0 "$CBUILD" fsck --root "$S"

finish
