#!/bin/bash
# cbuild push through a fault-injecting proxy (tests/helpers/fault-proxy.py)
# in front of Debian's docker-registry: a chunked upload (512 KiB chunks of
# a 4 MiB layer) whose connection is dropped at ~50 % asks the registry how
# much it holds and resumes from there, no byte before that offset sent
# again; the image then reads back whole (skopeo inspect, skopeo copy,
# cbuild pull).  Also: a chunk cut half-way (docker-registry then drops the
# upload) starts the upload anew; a 503 on a chunk resumes; a failed
# monolithic PUT starts over; a registry that keeps failing is given up on
# after 5 attempts; a registry claiming more bytes than were sent is an
# error.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

export CBUILD_REGISTRY_RETRY_MS=20
CHUNK=524288

# one layer of 4 MiB that does not compress, imported
mkdir -p "$T/data"
head -c 4194304 /dev/urandom >"$T/data/data.bin"
tar -C "$T/data" -cf "$T/data.tar" data.bin
expect_rc 0 cb import "$T/data.tar" big:1
LAYER=$(cb inspect big:1 | jq -r '.[0].RootFS.Layers | length')
[ "$LAYER" = 1 ] || fail "the imported image has $LAYER layers"

# the layer's blob in the store: its digest and size
saved_manifest big:1
jq -r '.layers[0].digest, .layers[0].size' "$MAN" >"$T/ld"
{ read -r LDIGEST && read -r LSIZE; } <"$T/ld"
[ "$LSIZE" -gt $((7 * CHUNK)) ] || fail "the layer is only $LSIZE bytes"
CUT=$((LSIZE / 2)) # ~50 %, inside a chunk
WHOLE=$(((CUT / CHUNK) * CHUNK)) # what the registry holds when that chunk never reaches it

# --- a dropped connection at ~50 %: resumed from the registry's offset ---
fault_proxy swallow --cut "$CUT"
DEST=127.0.0.1:$PPORT/test/big:1
expect_rc 0 cb push --chunk-size $CHUNK big:1 "$DEST"
cp "$T/out" "$T/push1"
grep -Eq ": Retrying in [0-9]+ ms: " "$T/push1" || fail "no retry line: $(cat "$T/push1")"
contains "$T/push1" "Resuming the upload at byte $WHOLE"
contains "$T/push1" ": Pushed"
last=$(tail -1 "$T/push1")
DIGEST=$(echo "$last" | awk '{print $3}')
log=$T/swallow.log
grep -q "^PATCH .* status=cut" "$log" || fail "the proxy cut nothing: $(cat "$log")"
# the registry was asked, and said what it holds
grep -q "^GET /v2/test/big/blobs/uploads/.* status=204 answer-range=0-$((WHOLE - 1)) " "$log" ||
	fail "no upload status of $WHOLE bytes: $(cat "$log")"
# the layer's chunks that reached the registry: each byte once, in order
grep '^PATCH ' "$log" | grep -v 'status=cut' | sed 's/.* range=\([0-9]*\)-\([0-9]*\) sent=\([0-9]*\) status=202 .*/\1 \2 \3/' >"$T/ranges"
[ "$(wc -l <"$T/ranges")" = $(((LSIZE + CHUNK - 1) / CHUNK)) ] || fail "chunks: $(cat "$T/ranges")"
next=0
while read -r a b n; do
	[ "$a" = "$next" ] || fail "a chunk at $a, the registry held $next: $(cat "$T/ranges")"
	[ "$n" = $((b - a + 1)) ] || fail "chunk $a-$b sent $n bytes"
	next=$((b + 1))
done <"$T/ranges"
[ "$next" = "$LSIZE" ] || fail "the chunks end at $next, the layer has $LSIZE bytes"
# after the cut, nothing before the registry's offset was sent again
sed -n '/status=cut/,$p' "$log" | grep '^PATCH ' | grep -v status=cut | head -1 |
	grep -q " range=$WHOLE-" || fail "the resumed PATCH does not start at $WHOLE: $(cat "$log")"

# the registry has the image whole
skopeo inspect --tls-verify=false --raw "docker://$REG/test/big:1" >"$T/raw" ||
	fail "skopeo inspect failed"
[ "sha256:$(sha256sum <"$T/raw" | cut -d' ' -f1)" = "$DIGEST" ] ||
	fail "the registry's manifest is not $DIGEST"
[ "$(jq -r '.layers[0].digest' "$T/raw")" = "$LDIGEST" ] || fail "layer digest differs"
skopeo copy -q --src-tls-verify=false "docker://$REG/test/big:1" "oci:$T/oci:big" ||
	fail "skopeo copy from the registry failed"
mkdir -p "$T/x"
tar -C "$T/x" -xzf "$T/oci/blobs/sha256/${LDIGEST#sha256:}" || fail "the layer is not a gzip tar"
cmp "$T/x/data.bin" "$T/data/data.bin" || fail "data.bin differs"
ROOT=$T/root2 expect_rc 0 cb pull "$REG/test/big:1"
contains "$T/out" "Digest: $DIGEST"
ROOT=$T/root2 cb save -o "$T/back.tar" "$REG/test/big:1" || fail "save of the pulled image"
mkdir -p "$T/back"
tar -C "$T/back" -xf "$T/back.tar"
cmp "$T/back/blobs/sha256/${LDIGEST#sha256:}" "$T/saved/blobs/sha256/${LDIGEST#sha256:}" ||
	fail "the pulled layer differs"

# --- a chunk cut half-way: docker-registry drops the upload; it starts anew ---
# (a new proxy is another host: nothing to mount from)
fault_proxy partial --cut "$CUT" --mode partial
expect_rc 0 cb push --chunk-size $CHUNK big:1 "127.0.0.1:$PPORT/test/partial:1"
contains "$T/out" "Restarting the upload"
grep -q "^GET /v2/test/partial/blobs/uploads/.* status=404" "$T/partial.log" ||
	fail "no lost upload: $(cat "$T/partial.log")"
[ "$(grep -c '^POST /v2/test/partial/blobs/uploads/' "$T/partial.log")" -ge 3 ] ||
	fail "no second upload of the layer: $(cat "$T/partial.log")"
skopeo inspect --tls-verify=false "docker://$REG/test/partial:1" >/dev/null ||
	fail "skopeo inspect of the restarted push failed"

# --- a 503 on a chunk: resumed ---
fault_proxy status5 --cut "$CUT" --mode status5
expect_rc 0 cb push --chunk-size $CHUNK big:1 "127.0.0.1:$PPORT/test/s503:1"
contains "$T/out" "503 Service Unavailable"
contains "$T/out" "Resuming the upload at byte $WHOLE"
[ "$(grep -c '^POST /v2/test/s503/blobs/uploads/' "$T/status5.log")" = 2 ] ||
	fail "the 503 started another upload: $(cat "$T/status5.log")"

# --- a failed monolithic PUT: started over ---
fault_proxy mono --cut 1 --method PUT --mode swallow
expect_rc 0 cb push big:1 "127.0.0.1:$PPORT/test/mono:1"
grep -Eq ": Retrying in [0-9]+ ms: " "$T/out" || fail "no retry line: $(cat "$T/out")"
grep -q "^PUT /v2/test/mono/blobs/uploads/.* status=cut" "$T/mono.log" || fail "no PUT was cut"
grep -q "^PUT /v2/test/mono/blobs/uploads/.* sent=$LSIZE status=201" "$T/mono.log" ||
	fail "the layer was not PUT again: $(cat "$T/mono.log")"
skopeo inspect --tls-verify=false "docker://$REG/test/mono:1" >/dev/null ||
	fail "skopeo inspect of the monolithic push failed"

# --- a registry that keeps failing: 5 attempts, then an error ---
fault_proxy always --cut 0 --mode status5 --times 1000
start=$(date +%s)
expect_rc 1 cb push --chunk-size $CHUNK big:1 "127.0.0.1:$PPORT/test/always:1"
contains "$T/err" "5 attempts failed, the last"
contains "$T/err" "503 Service Unavailable"
[ "$(grep -c ' status=503 ' "$T/always.log")" = 5 ] || fail "tries: $(cat "$T/always.log")"
[ $(($(date +%s) - start)) -lt 20 ] || fail "giving up took too long"

# --- a registry claiming more than was sent: an error, not trusted ---
fault_proxy liar --cut "$CUT" --lie-range
expect_rc 1 cb push --chunk-size $CHUNK big:1 "127.0.0.1:$PPORT/test/liar:1"
contains "$T/err" "the registry claims 1000000000 bytes of blob $LDIGEST"
echo ok
