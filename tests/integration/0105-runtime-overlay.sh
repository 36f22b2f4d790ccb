#!/bin/bash
# Overlay roots: the layers a RUN step gets.  No mount point the runtime
# needs may be left in the upperdir (Docker and BuildKit leave none, buildah
# does): they go to a separate stubs layer, and the image's directories keep
# their metadata.  Checked by inspecting the upperdir after each run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
kernel_fs overlay || not_applicable_exit "overlay roots: $WHY"

# lower: a base layer without /proc, /dev, /sys or any /etc file the runtime
# binds, with an /etc of unusual mode and age; top: one more file.
L1=$T/l1 L2=$T/l2 U=$T/upper W=$T/work
make_rootfs "$L1"
rmdir "$L1/proc" "$L1/dev" "$L1/sys"
chmod 750 "$L1/etc"
chown 1000:29 "$L1/etc"
touch -d '2001-01-01 00:00:00 UTC' "$L1/etc" "$L1/root"
mkdir -p "$L2/app" "$U" "$W" "$T/cache"
echo app >"$L2/app/file"
OVL="--overlay-lower $L2 --overlay-lower $L1 --overlay-upper $U --overlay-work $W"
upper_entries() { (cd "$U" && find . -mindepth 1 | sort); }

# shellcheck disable=SC2086
run $OVL -v "$T/cache:/root/.cache/go-build" --tmpfs /run/secrets /probe ns >"$T/out"
expect_value pid 2
[ -z "$(upper_entries)" ] || fail "the upperdir holds: $(upper_entries)"

# The step sees the image's /etc as it is (mode and times), and the stubs.
# shellcheck disable=SC2086
run $OVL sh -c 'stat -c "%a %u:%g %Y" /etc; ls /etc; cat /app/file' >"$T/out"
contains "$T/out" "750 1000:29 978307200"
contains "$T/out" hosts
contains "$T/out" app
[ -z "$(upper_entries)" ] || fail "the upperdir holds: $(upper_entries)"

# A write into /etc copies /etc up with the image's metadata, and nothing else.
# shellcheck disable=SC2086
run $OVL sh -c 'echo new >/etc/newfile; rm /app/file; mkdir /root/.cache'
[ "$(upper_entries | tr '\n' ' ')" = "./app ./app/file ./etc ./etc/newfile ./root ./root/.cache " ] ||
	fail "the upperdir holds: $(upper_entries | tr '\n' ' ')"
[ "$(stat -c %a "$U/etc")" = 750 ] || fail "upper /etc has mode $(stat -c %a "$U/etc")"
[ "$(stat -c %u:%g "$U/etc")" = 1000:29 ] || fail "upper /etc is owned by $(stat -c %u:%g "$U/etc")"
[ "$(stat -c %F "$U/app/file")" = "character special file" ] || fail "no whiteout for /app/file"
[ "$(cat "$L2/app/file")" = app ] || fail "a lower layer was written"

# The same layers again: the upper's changes are visible, work dir reusable.
# shellcheck disable=SC2086
run $OVL sh -c 'cat /etc/newfile; [ ! -e /app/file ] && echo deleted' >"$T/out"
contains "$T/out" new
contains "$T/out" deleted

# Without an upperdir (cbuild run --rm): writes go to a throwaway layer.
run --overlay-lower "$L2" --overlay-lower "$L1" sh -c 'echo t >/app/tmp; cat /app/tmp' >"$T/out"
contains "$T/out" t
[ ! -e "$L2/app/tmp" ] || fail "--rm wrote to a layer"
[ ! -e "$L1/proc" ] && [ ! -e "$L1/etc/hosts" ] || fail "a stub landed in a lower layer"
expect_rc 125 run --overlay-lower "$L1" --overlay-upper "$U" true
contains "$T/err" "an overlay upperdir needs a workdir"

finish
