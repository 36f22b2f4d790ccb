#!/bin/bash
# Round trips through Debian's docker-registry on 127.0.0.1 with skopeo on
# the other side: a cbuild-built image saved as an OCI archive, copied in
# by skopeo, then cbuild pull into a fresh store and cbuild run print what
# the image's CMD says (on a terminal, pull and push draw a bar per blob);
# a multi-arch index made here by hand (the host's
# image and one for another architecture, copied in by skopeo --all):
# pull takes the host's platform (and prints the index digest), --platform
# takes the other, and a build FROM the index runs on the host's, also
# where the store's tag held the other platform's image.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-lib.sh"

case $(uname -m) in
x86_64) ARCH=amd64 OTHER=arm64 ;;
aarch64) ARCH=arm64 OTHER=amd64 ;;
*) ARCH=$(uname -m) OTHER=amd64 ;;
esac

ctx "$T/c"
cat >"$T/c/Dockerfile" <<'DF'
FROM busybox:test
RUN echo host >/arch
CMD ["echo", "hello from a skopeo round trip"]
DF
build -t rt:1 "$T/c"

# skopeo copy of the OCI archive into the registry -> cbuild pull -> cbuild run
cb save --format oci -o "$T/rt.tar" rt:1 || fail "cbuild save failed"
skopeo copy -q --dest-tls-verify=false "oci-archive:$T/rt.tar" "docker://$REG/rt/app:1" ||
	fail "skopeo copy into the registry failed"
D=$(skopeo inspect --tls-verify=false "docker://$REG/rt/app:1" | jq -r .Digest)
ROOT=$T/root2
expect_rc 0 cb pull "$REG/rt/app:1"
contains "$T/out" "Digest: $D"
expect_rc 0 cb run --rm "$REG/rt/app:1"
eq "cbuild run" "$(cat "$T/out")" "hello from a skopeo round trip"

# on a terminal (script(1) gives one): a bar per blob, then its report line;
# through a pipe only the lines (above)
command -v script >/dev/null || skip "script (util-linux) is not installed"
ROOT=$T/root-tty
script -qec "$CBUILD --root $ROOT pull $REG/rt/app:1" /dev/null >"$T/tty" 2>&1 ||
	fail "pull on a tty failed: $(cat "$T/tty")"
contains "$T/tty" ": Downloading ["
contains "$T/tty" "B/s"
contains "$T/tty" ": Download complete"
contains "$T/tty" ": Pull complete"
grep -q "$(printf '\033')\[[0-9]*A" "$T/tty" || fail "no redraw in place: $(cat -v "$T/tty")"
! grep -q "Downloading \[" "$T/out" || fail "a bar without a terminal: $(cat "$T/out")"
script -qec "$CBUILD --root $ROOT push $REG/rt/app:1 $REG/rt/tty:1" /dev/null >"$T/tty" 2>&1 ||
	fail "push on a tty failed: $(cat "$T/tty")"
contains "$T/tty" ": Pushing ["
contains "$T/tty" ": Pushed"
contains "$T/tty" "1: digest: sha256:"

# a multi-arch index by hand: the host's image and one for $OTHER
ROOT=$T/root
mkdir -p "$T/oci"
tar -C "$T/oci" -xf "$T/rt.tar"
B=$T/oci/blobs/sha256
blob() { # FILE -> its digest; the file moved into the layout
	local d
	d=$(sha256sum <"$1" | cut -d' ' -f1)
	mv "$1" "$B/$d"
	echo "sha256:$d"
}
HOSTM=$(jq -r '.manifests[0].digest' "$T/oci/index.json")
HOSTS=$(stat -c %s "$B/${HOSTM#sha256:}")
mkdir -p "$T/other"
echo "$OTHER" >"$T/other/arch"
tar -C "$T/other" --owner=0 --group=0 --numeric-owner -cf "$T/layer.tar" arch
DIFF=sha256:$(sha256sum <"$T/layer.tar" | cut -d' ' -f1)
gzip -n <"$T/layer.tar" >"$T/layer.tgz"
LS=$(stat -c %s "$T/layer.tgz")
L=$(blob "$T/layer.tgz")
HOSTC=$(jq -r .config.digest "$B/${HOSTM#sha256:}")
jq -c --arg a "$OTHER" --arg d "$DIFF" \
	'.architecture = $a | .rootfs.diff_ids = [$d] | del(.history) | del(.variant)' \
	"$B/${HOSTC#sha256:}" >"$T/config.json"
CS=$(stat -c %s "$T/config.json")
C=$(blob "$T/config.json")
jq -nc --arg c "$C" --argjson cs "$CS" --arg l "$L" --argjson ls "$LS" '{schemaVersion: 2,
	mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
	layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l,
		size: $ls}]}' >"$T/m.json"
MS=$(stat -c %s "$T/m.json")
M=$(blob "$T/m.json")
jq -nc --arg h "$HOSTM" --argjson hs "$HOSTS" --arg a "$ARCH" --arg m "$M" --argjson ms "$MS" \
	--arg o "$OTHER" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
	manifests: [
	{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
		platform: {os: "linux", architecture: $o}},
	{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $h, size: $hs,
		platform: {os: "linux", architecture: $a}}]}' >"$T/idx.json"
IS=$(stat -c %s "$T/idx.json")
I=$(blob "$T/idx.json")
jq -nc --arg i "$I" --argjson is "$IS" '{schemaVersion: 2, manifests: [
	{mediaType: "application/vnd.oci.image.index.v1+json", digest: $i, size: $is,
		annotations: {"org.opencontainers.image.ref.name": "multi"}}]}' >"$T/oci/index.json"
skopeo copy -q --all --dest-tls-verify=false "oci:$T/oci:multi" "docker://$REG/rt/multi:1" ||
	fail "skopeo copy --all of the index failed"
skopeo inspect --raw --tls-verify=false "docker://$REG/rt/multi:1" >"$T/raw"
eq "the registry's index" "$(jq -r '.manifests | length' "$T/raw")" 2
IDX=sha256:$(sha256sum <"$T/raw" | cut -d' ' -f1)

# pull: the host's platform, the index digest printed
ROOT=$T/root3
expect_rc 0 cb pull "$REG/rt/multi:1"
contains "$T/out" "Digest: $IDX"
eq "pulled architecture" "$(insp "$REG/rt/multi:1" .Architecture)" "$ARCH"
eq "run of the index" "$(crun "$REG/rt/multi:1" cat /arch)" host
# --platform: the other one
ROOT=$T/root4
expect_rc 0 cb pull --platform "linux/$OTHER" "$REG/rt/multi:1"
eq "--platform linux/$OTHER" "$(insp "$REG/rt/multi:1" .Architecture)" "$OTHER"
# a build FROM the index, in a store whose tag holds the other platform's
# image: --pull missing pulls the host's (the build's platform is missing)
ctx "$T/f"
printf 'FROM %s/rt/multi:1\nRUN cat /arch >/seen\n' "$REG" >"$T/f/Dockerfile"
build -t f:1 "$T/f"
eq "build FROM the index" "$(crun f:1 cat /seen)" host
eq "the tag after the build" "$(insp "$REG/rt/multi:1" .Architecture)" "$ARCH"
ROOT=$T/root5
build --pull always -t f:2 "$T/f"
eq "build --pull always FROM the index" "$(crun f:2 cat /seen)" host
finish
