#!/bin/bash
# SOURCE_DATE_EPOCH (environment or --build-arg): the same Dockerfile and
# context built into two different stores (so every step really runs twice)
# give the same manifest digest and image ID; the image's created time and
# the new history entries are the epoch (the base image's entries keep
# theirs, as BuildKit does); files in the new layers have mtimes clamped to
# the epoch (older ones keep theirs); another epoch, another digest.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

EPOCH=1700000000
EPOCH_TIME=2023-11-14T22:13:20Z
ROOT2=$T/root2
# the same base image in the second store: saved and loaded
cb save -o "$T/base.tar" busybox:test
"$CBUILD" --root "$ROOT2" load -i "$T/base.tar" >/dev/null || fail "load into the second store failed"
base_created=$(insp busybox:test '.History[0].created')

ctx c
echo new >c/new.txt
echo old >c/old.txt
touch -d @1600000000 c/old.txt
mkdir c/dir
echo in-dir >c/dir/f
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN mkdir -p /made/sub && echo run > /made/sub/f && touch /made/empty && ln -s sub/f /made/link
COPY new.txt old.txt /copied/
COPY dir /copied-dir
WORKDIR /wd
ENV A=1
LABEL l=v
RUN rm /etc/group
EOF

SOURCE_DATE_EPOCH=$EPOCH build --metadata-file "$T/md1.json" -t repro:x c
SOURCE_DATE_EPOCH=$EPOCH "$CBUILD" --root "$ROOT2" build --metadata-file "$T/md2.json" -t repro:x c \
	2>"$T/err" || fail "the build in the second store failed: $(cat "$T/err")"
d1=$(jq -r '."containerimage.digest"' "$T/md1.json")
d2=$(jq -r '."containerimage.digest"' "$T/md2.json")
eq "manifest digest in two stores" "$d2" "$d1"
eq "config digest in two stores" "$(jq -r '."containerimage.config.digest"' "$T/md2.json")" \
	"$(jq -r '."containerimage.config.digest"' "$T/md1.json")"
eq "inspect's Digest" "$(insp repro:x .Digest)" "$d1"

# The times in the config.
eq "created" "$(insp repro:x .Created)" "$EPOCH_TIME"
eq "the base's history entry" "$(insp repro:x '.History[0].created')" "$base_created"
eq "the build's history times" "$(insp repro:x '[.History[1:][].created] | unique | join(",")')" \
	"$EPOCH_TIME"

# The mtimes in the new layers: none after the epoch, an older one kept.
n=$(layer_count repro:x)
for i in $(seq 1 $((n - 1))); do
	tar --full-time --numeric-owner -tvf "$(_layer_blob repro:x "$i")" >>"$T/entries"
done
[ -s "$T/entries" ] || fail "no entries in the new layers"
awk -v max="$(date -u -d @$EPOCH '+%Y-%m-%d %H:%M:%S')" '{ t = $4 " " $5; if (t > max) print }' \
	"$T/entries" >"$T/late"
[ ! -s "$T/late" ] || fail "entries after the epoch: $(cat "$T/late")"
grep -q ' copied/old.txt$' "$T/entries" || fail "no copied/old.txt in the layers: $(cat "$T/entries")"
grep -q " $(date -u -d @1600000000 '+%Y-%m-%d %H:%M:%S') copied/old.txt$" "$T/entries" ||
	fail "copied/old.txt lost its mtime: $(grep old.txt "$T/entries")"

# --build-arg SOURCE_DATE_EPOCH is the same.
"$CBUILD" --root "$ROOT2" build --no-cache --build-arg SOURCE_DATE_EPOCH=$EPOCH \
	--metadata-file "$T/md3.json" -t repro:arg c 2>"$T/err" || fail "--build-arg build failed: $(cat "$T/err")"
eq "manifest digest with --build-arg" "$(jq -r '."containerimage.digest"' "$T/md3.json")" "$d1"

# Another epoch: another image.
SOURCE_DATE_EPOCH=$((EPOCH + 60)) build --metadata-file "$T/md4.json" -t repro:later c
[ "$(jq -r '."containerimage.digest"' "$T/md4.json")" != "$d1" ] ||
	fail "another SOURCE_DATE_EPOCH gave the same digest"
eq "created with epoch+60" "$(insp repro:later .Created)" 2023-11-14T22:14:20Z

# A value that is not a count of seconds is an error, from either place (as
# BuildKit's "invalid SOURCE_DATE_EPOCH"), not silently ignored.
SOURCE_DATE_EPOCH=yesterday build_fails 1 -t repro:bad c
in_file "$T/err" 'invalid SOURCE_DATE_EPOCH `yesterday`'
build_fails 1 --build-arg SOURCE_DATE_EPOCH=-5 -t repro:bad c
in_file "$T/err" 'invalid SOURCE_DATE_EPOCH `-5`'
SOURCE_DATE_EPOCH=99999999999999999999 build_fails 1 -t repro:bad c
in_file "$T/err" 'invalid SOURCE_DATE_EPOCH'
finish
