#!/bin/bash
# With SOURCE_DATE_EPOCH the image's files are what its layers hold: a
# container of the built image (and the next RUN step) sees the clamped
# mtimes the layer tars carry, the same as in a store that extracted the
# layers from an archive.  The snapshot a step leaves must not differ from
# the layer it is the snapshot of.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

EPOCH=1700000000
ctx c
echo new >c/new.txt
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN mkdir -p /made && echo run > /made/f
COPY new.txt /copied.txt
RUN stat -c %Y /made/f /copied.txt > /seen-by-next-step
EOF
SOURCE_DATE_EPOCH=$EPOCH build -t epoch:snap c
# the layer says
tar --full-time -tvf "$(_layer_blob epoch:snap 1)" | grep -q " 2023-11-14 22:13:20 made/f$" ||
	fail "made/f in layer 1 is not at the epoch: $(tar --full-time -tvf "$(_layer_blob epoch:snap 1)")"
# the image, as the local store runs it
eq "mtime of /made/f" "$(crun epoch:snap stat -c %Y /made/f)" "$EPOCH"
eq "mtime of /copied.txt" "$(crun epoch:snap stat -c %Y /copied.txt)" "$EPOCH"
eq "what the next RUN saw" "$(crun epoch:snap cat /seen-by-next-step)" "$EPOCH
$EPOCH"
# the same image extracted from an archive in another store
cb save -o "$T/img.tar" epoch:snap
"$CBUILD" --root "$T/root2" load -i "$T/img.tar" >/dev/null
eq "mtime of /made/f after save and load" \
	"$("$CBUILD" --root "$T/root2" run --rm epoch:snap stat -c %Y /made/f)" "$EPOCH"
finish
