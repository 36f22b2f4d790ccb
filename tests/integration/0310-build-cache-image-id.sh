#!/bin/bash
# A fully cached rebuild gives the same image (same ID, same manifest
# digest), as with BuildKit: a layer's history time is when its cached
# result was made, metadata entries take a neighbouring layer's time, and
# the image's created time is the last history time (exporter/containerimage
# writer.go normalizeLayersAndHistory and patchImageConfig; dockerfile2llb
# leaves Created unset without SOURCE_DATE_EPOCH).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
echo a >c/a
cat >c/Dockerfile <<'EOF'
FROM busybox:test
LABEL before=layers
RUN echo hi > /hi
COPY a /a
ENV A=1
CMD ["cat", "/a"]
EOF
build -q --metadata-file "$T/md1.json" -t id:one c
id1=$(cat "$T/out")
# the times in the config have one-second resolution at least: make sure
# a rebuild happens in another second
sleep 1.1
build --progress plain --metadata-file "$T/md2.json" -t id:two c
eq "CACHED steps" "$(step_status 'RUN echo hi > /hi') $(step_status 'COPY a /a')" "CACHED CACHED"
eq "image ID of the cached rebuild" "$(insp id:two .Id)" "$id1"
eq "manifest digest of the cached rebuild" "$(jq -r '."containerimage.digest"' "$T/md2.json")" \
	"$(jq -r '."containerimage.digest"' "$T/md1.json")"
# every history entry of the build has the time of a layer made in the
# first build: not later than the first image's created time
eq "created of the rebuild" "$(insp id:two .Created)" "$(insp id:one .Created)"

# Metadata only: the times are the base image's.
printf 'FROM busybox:test\nLABEL only=metadata\n' >c/Dockerfile
build -q -t id:meta1 c
sleep 1.1
build -q -t id:meta2 c
eq "image ID of a metadata-only rebuild" "$(insp id:meta2 .Id)" "$(insp id:meta1 .Id)"
eq "created of a metadata-only build" "$(insp id:meta1 .Created)" "$(insp busybox:test .Created)"
finish
