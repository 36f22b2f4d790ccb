#!/bin/bash
# The store commands on real images: images (table, json, -q), inspect,
# tag, rmi, prune, df, and what bad input does (clear message, exit code,
# store untouched).  Every command runs with --root in the test's temp dir.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/store-lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

R="$T/store"
expect_rc 0 "$CBUILD" images --root "$R"
contains "$T/out" "REPOSITORY   TAG   IMAGE ID   CREATED   SIZE"
[ "$(stat -c %a "$R")" = 700 ] || fail "store root mode is $(stat -c %a "$R")"
expect_rc 0 "$CBUILD" images --root "$R" --format json
[ "$(cat "$T/out")" = "[]" ] || fail "empty json: $(cat "$T/out")"

# Hex text that compresses to sizes whose 3- and 4-digit roundings differ.
BASE="busybox layer $(for i in $(seq 1 60); do echo "$i" | sha256sum; done)"
BB=$(seed_image "$R" docker.io/library/busybox:latest 2019-01-01T00:00:00Z "$BASE")
APP=$(seed_image "$R" localhost:5000/team/app:v1 2020-02-02T00:00:00Z "$BASE" "app layer")

# images: familiar names, 12-hex IDs, ages, sizes.
expect_rc 0 "$CBUILD" images --root "$R"
grep -Eq '^busybox +latest +[0-9a-f]{12} +[0-9]+ years ago +[0-9.]+k?B$' "$T/out" ||
	fail "images: $(cat "$T/out")"
grep -Eq '^localhost:5000/team/app +v1 +[0-9a-f]{12} ' "$T/out" || fail "images: $(cat "$T/out")"
expect_rc 0 "$CBUILD" images --root="$R" --format json
[ "$(json_get "$T/out" 'len(j)')" = 2 ] || fail "json: $(cat "$T/out")"
[ "$(json_get "$T/out" 'j[0]["Name"]')" = docker.io/library/busybox:latest ] || fail "json order"
[ "$(json_get "$T/out" 'j[0]["Digest"]')" = "$BB" ] || fail "json digest"
[ "$(json_get "$T/out" 'j[1]["Repository"] + " " + j[1]["Tag"]')" = "localhost:5000/team/app v1" ] ||
	fail "json repository"
ID=$(json_get "$T/out" 'j[0]["ID"]')
# The table's SIZE is docker images' rounding: 3 significant digits.
cp "$T/out" "$T/images.json"
WANT=$(python3 -c 'import json,sys
n = json.load(open(sys.argv[1]))[1]["Size"]; u = ["B", "kB", "MB", "GB"]; i = 0
while n >= 1000: n /= 1000; i += 1
print("%.3g%s" % (n, u[i]))' "$T/images.json")
expect_rc 0 "$CBUILD" images --root "$R"
grep -Eq "^localhost:5000/team/app +v1 .* $WANT\$" "$T/out" ||
	fail "images SIZE is not $WANT: $(cat "$T/out")"
SHORT=$(echo "$ID" | cut -c8-19)
expect_rc 0 "$CBUILD" images --root "$R" -q
[ "$(wc -l <"$T/out")" = 2 ] && grep -qx "$SHORT" "$T/out" || fail "images -q: $(cat "$T/out")"
expect_rc 0 "$CBUILD" images --root "$R" --no-trunc
contains "$T/out" "$ID"

# inspect: by familiar name, ID prefix, digest; raw blobs hash to their names.
expect_rc 0 "$CBUILD" inspect --root "$R" busybox
[ "$(json_get "$T/out" 'j[0]["Id"]')" = "$ID" ] || fail "inspect Id"
[ "$(json_get "$T/out" 'j[0]["RepoTags"]')" = "['docker.io/library/busybox:latest']" ] ||
	fail "inspect RepoTags: $(cat "$T/out")"
[ "$(json_get "$T/out" 'j[0]["Config"]["Cmd"]')" = "['sh']" ] || fail "inspect Config"
[ "$(json_get "$T/out" 'len(j[0]["Layers"])')" = 1 ] || fail "inspect Layers"
[ "$(json_get "$T/out" 'j[0]["RepoDigests"], j[0]["Parent"], j[0]["DockerVersion"]')" = "([], '', '')" ] ||
	fail "inspect docker fields: $(cat "$T/out")"
# Comment falls back to the last history entry's, as docker inspect's does.
mkdir -p "$T/cm/etc" && echo x >"$T/cm/etc/x" && tar -C "$T/cm" -cf "$T/cm.tar" .
expect_rc 0 "$CBUILD" import --root "$R" "$T/cm.tar" comment/img:1
expect_rc 0 "$CBUILD" inspect --root "$R" comment/img:1
[ "$(json_get "$T/out" 'j[0]["Comment"]')" = "imported from a rootfs tarball" ] ||
	fail "inspect Comment: $(cat "$T/out")"
expect_rc 0 "$CBUILD" rmi --root "$R" comment/img:1
expect_rc 0 "$CBUILD" inspect --root "$R" "${SHORT:0:6}" "$APP"
[ "$(json_get "$T/out" 'j[1]["Digest"]')" = "$APP" ] || fail "inspect by digest"
expect_rc 0 "$CBUILD" inspect --root "$R" --format manifest localhost:5000/team/app:v1
[ "sha256:$(sha256sum <"$T/out" | cut -d' ' -f1)" = "$APP" ] || fail "raw manifest"
expect_rc 0 "$CBUILD" inspect --root "$R" --format config busybox
[ "sha256:$(sha256sum <"$T/out" | cut -d' ' -f1)" = "$ID" ] || fail "raw config"
expect_rc 1 "$CBUILD" inspect --root "$R" nope
contains "$T/err" "image \`nope\` not found in the store"
expect_rc 2 "$CBUILD" inspect --root "$R"
expect_rc 2 "$CBUILD" inspect --root "$R" --format yaml busybox

# tag: familiar and full names, names with ports, refusals.
expect_rc 0 "$CBUILD" tag --root "$R" busybox mybox:1
expect_rc 0 "$CBUILD" tag --root "$R" "$SHORT" localhost:5000/mirror/busybox:2
expect_rc 0 "$CBUILD" images --root "$R"
grep -Eq "^mybox +1 +$SHORT " "$T/out" || fail "tag: $(cat "$T/out")"
grep -Eq "^localhost:5000/mirror/busybox +2 +$SHORT " "$T/out" || fail "tag: $(cat "$T/out")"
before=$(cat "$R/tags.json")
expect_rc 1 "$CBUILD" tag --root "$R" busybox "x@$BB"
contains "$T/err" "refusing to create a tag with a digest reference"
expect_rc 1 "$CBUILD" tag --root "$R" busybox Upper/Case
contains "$T/err" "must be lowercase"
expect_rc 1 "$CBUILD" tag --root "$R" missing:1 other:1
contains "$T/err" "not found in the store"
expect_rc 2 "$CBUILD" tag --root "$R" busybox
[ "$(cat "$R/tags.json")" = "$before" ] || fail "a refused tag changed tags.json"

# rmi: a name removes that name; an ID with several names needs --force.
expect_rc 0 "$CBUILD" rmi --root "$R" mybox:1
contains "$T/out" "Untagged: mybox:1"
expect_rc 1 "$CBUILD" rmi --root "$R" "$SHORT"
contains "$T/err" "has 2 names"
n=$(blob_count "$R")
expect_rc 0 "$CBUILD" rmi --root "$R" --force "$SHORT"
contains "$T/out" "Untagged: busybox:latest"
contains "$T/out" "Untagged: localhost:5000/mirror/busybox:2"
# busybox's own config and manifest go; its layer stays (the app uses it).
[ "$(blob_count "$R")" = $((n - 2)) ] || fail "rmi left $(blob_count "$R") of $n blobs"
expect_rc 1 "$CBUILD" rmi --root "$R" busybox
contains "$T/err" "not found in the store"

# prune: a loose blob goes, the tagged image stays.
seed_blob "$R" "nobody needs me" >/dev/null
expect_rc 0 "$CBUILD" prune --root "$R"
contains "$T/out" "Deleted 1 blobs (15B), 0 snapshots (0B), 0 cache records (0B)"
contains "$T/out" "Total reclaimed space: 15B"
expect_rc 0 "$CBUILD" inspect --root "$R" localhost:5000/team/app:v1
expect_rc 0 "$CBUILD" prune --root "$R" --all --keep-storage 1GB --format json
[ "$(json_get "$T/out" 'j["Blobs"]')" = 0 ] || fail "prune json: $(cat "$T/out")"
expect_rc 2 "$CBUILD" prune --root "$R" --keep-storage lots
contains "$T/err" "bad size \`lots\`"

# df
expect_rc 0 "$CBUILD" df --root "$R"
grep -Eq '^Images +1 +-$' "$T/out" || fail "df: $(cat "$T/out")"
grep -Eq '^Blobs +4 ' "$T/out" || fail "df: $(cat "$T/out")"
contains "$T/out" "Build cache"
expect_rc 0 "$CBUILD" df --root "$R" --format json
[ "$(json_get "$T/out" 'j["Blobs"]')" = 4 ] || fail "df json: $(cat "$T/out")"

# Bad input: usage errors exit 2, a foreign directory is refused untouched.
expect_rc 2 "$CBUILD" images --root "$R" --bogus
contains "$T/err" "unknown option \`--bogus\`"
expect_rc 2 "$CBUILD" images --root
expect_rc 2 "$CBUILD" df --root "$R" extra
mkdir "$T/home" && echo hi >"$T/home/notes"
expect_rc 1 "$CBUILD" images --root "$T/home"
contains "$T/err" "not a cbuild store"
[ "$(ls "$T/home")" = notes ] || fail "a foreign dir was changed: $(ls "$T/home")"
# CBUILD_ROOT is the default root.
CBUILD_ROOT="$R" expect_rc 0 "$CBUILD" images
contains "$T/out" "localhost:5000/team/app"

# Our manifests and configs satisfy the OCI image-spec schemas, when a
# validator is at hand (python3-jsonschema); the unit tests pin the bytes.
schema="$CB_SOURCE_DIR/tests/data/shared/testdata/image-spec/schema"
[ -d "$schema" ] || fail "no $schema: the schemas are part of the clone"
if python3 -c 'import jsonschema' 2>/dev/null; then
	img=localhost:5000/team/app:v1
	# Once `cbuild import` exists, check an image cbuild wrote itself.
	if "$CBUILD" help import >/dev/null 2>&1; then
		mkdir rootfs && echo hi >rootfs/hello && tar -C rootfs -cf rootfs.tar .
		"$CBUILD" import --root "$R" rootfs.tar cbuild.local/imported:1 >/dev/null &&
			img=cbuild.local/imported:1
	fi
	"$CBUILD" inspect --root "$R" --format manifest "$img" >m.json
	"$CBUILD" inspect --root "$R" --format config "$img" >c.json
	python3 - "$schema" <<'EOF' || fail "image-spec schema validation"
import json, os, sys, jsonschema
d = sys.argv[1]
files = {f: json.load(open(os.path.join(d, f))) for f in os.listdir(d) if f.endswith(".json")}
# $refs are relative to nested "id"s: offer every file under every id's directory.
ids = set()
def walk(v):
    if isinstance(v, dict):
        if isinstance(v.get("id"), str): ids.add(v["id"])
        for x in v.values(): walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
for s in files.values(): walk(s)
store = {}
for i in ids:
    for base in (i.rstrip("/") + "/", i.rsplit("/", 1)[0] + "/"):
        for f, s in files.items():
            store[base + f] = s
def check(doc, schema):
    s = json.load(open(os.path.join(d, schema)))
    r = jsonschema.RefResolver(base_uri="file://" + d + "/", referrer=s, store=store)
    jsonschema.validate(json.load(open(doc)), s, resolver=r)
check("m.json", "image-manifest-schema.json")
check("c.json", "config-schema.json")
EOF
fi
echo ok
