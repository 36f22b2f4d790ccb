#!/bin/bash
# cbuild fsck: a clean store exits 0; a corrupted blob is reported with its
# digest, moved to quarantine/, and fsck exits 1 (and keeps exiting 1 while
# an image needs the missing blob); junk and bad cache entries are found;
# --rebuild-cache runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/store-lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

R="$T/store"
init_store "$R"
seed_image "$R" docker.io/library/app:1 2022-01-01T00:00:00Z "layer one" "layer two" >/dev/null
expect_rc 0 "$CBUILD" fsck --root "$R"
contains "$T/out" "checked 4 blobs and 0 snapshots: 0 problems"

# Flip a byte of the first layer.
layer=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["layers"][0]["digest"][7:])' \
	"$R/blobs/sha256/$("$CBUILD" images --root "$R" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Digest"][7:])')")
chmod u+w "$R/blobs/sha256/$layer"
printf 'X' | dd of="$R/blobs/sha256/$layer" bs=1 seek=20 conv=notrunc 2>/dev/null
expect_rc 1 "$CBUILD" fsck --root "$R"
contains "$T/err" "blob \`sha256:$layer\` is corrupt"
contains "$T/err" "moved to \`quarantine/$layer."
contains "$T/err" "tag \`docker.io/library/app:1\`: layer \`sha256:$layer\` is missing"
contains "$T/out" ": 2 problems"
[ ! -e "$R/blobs/sha256/$layer" ] || fail "the corrupt blob is still in blobs/"
[ "$(ls "$R/quarantine" | wc -l)" = 1 ] || fail "quarantine: $(ls "$R/quarantine")"
# Still broken (the image lacks a layer), but nothing more is quarantined.
expect_rc 1 "$CBUILD" fsck --root "$R" -q
[ ! -s "$T/out" ] || fail "--quiet printed: $(cat "$T/out")"
[ "$(ls "$R/quarantine" | wc -l)" = 1 ] || fail "quarantine grew"
expect_rc 0 "$CBUILD" rmi --root "$R" app:1
expect_rc 0 "$CBUILD" fsck --root "$R"

# Junk: a file that is not a blob, a bad cache entry, a stray snapshot entry.
echo junk >"$R/blobs/sha256/README"
echo nonsense >"$R/cache/$(printf 'b%.0s' $(seq 64))"
expect_rc 1 "$CBUILD" fsck --root "$R" --rebuild-cache
contains "$T/err" "\`blobs/sha256/README\` is not a blob"
contains "$T/err" "does not hold a digest; removed"
contains "$T/err" "rebuilt the cache index: 0 records"
expect_rc 0 "$CBUILD" fsck --root "$R"
expect_rc 2 "$CBUILD" fsck --root "$R" --all
echo ok
