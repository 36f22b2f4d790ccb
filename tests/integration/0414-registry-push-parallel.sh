#!/bin/bash
# cbuild push uploads 4 blobs at a time, through tests/helpers/fault-proxy.py
# (--slow: each upload request held, the uploads in flight logged) in front
# of Debian's docker-registry: 4 in flight at once and never more; the
# layer lines in the manifest's order although later layers finish first;
# a 400 on one blob's PUT stops the others at once, is the error shown,
# and no manifest is PUT; a chunked upload cut at ~50 % is resumed while
# the other workers go on; skopeo inspect and copy read the image back.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-lib.sh"
command -v python3 >/dev/null || fail "python3 is not installed"

export CBUILD_REGISTRY_RETRY_MS=20
CHUNK=262144

now() { date +%s.%N; }
# Did the time since $1 (a now()) pass the awk test $2 ("< 3")?
elapsed() { awk -v a="$1" -v b="$(now)" "BEGIN { exit !((b - a) $2) }"; }

# 7 layers: busybox, 1.5 MiB that does not compress (6 PATCH chunks), 4 of
# 64 KiB, and the layer of s2.bin again (the same digest)
ctx "$T/c"
head -c 1572864 /dev/urandom >"$T/c/big.bin"
for i in 2 3 4 5; do head -c 65536 /dev/urandom >"$T/c/s$i.bin"; done
cat >"$T/c/Dockerfile" <<'DF'
FROM busybox:test
COPY big.bin /big.bin
COPY s2.bin /s2.bin
COPY s3.bin /s3.bin
COPY s4.bin /s4.bin
COPY s5.bin /s5.bin
COPY s2.bin /s2.bin
DF
build -t par:1 "$T/c"
saved_manifest par:1
mapfile -t L < <(jq -r '.layers[].digest' "$MAN")
[ "${#L[@]}" = 7 ] || fail "the image has ${#L[@]} layers"
[ "${L[6]}" = "${L[2]}" ] || fail "the same COPY twice made two layers"
BIGSIZE=$(jq -r '.layers[1].size' "$MAN")
[ "$BIGSIZE" -gt $((5 * CHUNK)) ] || fail "the big layer is only $BIGSIZE bytes"

# --- 7 blobs, each upload request held 300 ms: 4 at once, lines in order,
# the repeated layer pushed once ---
fault_proxy slow --slow 300
expect_rc 0 cb push --chunk-size $CHUNK par:1 "127.0.0.1:$PPORT/test/par:1"
cp "$T/out" "$T/push1"
log=$T/slow.log
max=$(grep ' inflight=' "$log" | sed 's/.* inflight=//' | sort -n | tail -1)
[ "$max" = 4 ] || fail "at most $max uploads in flight, want 4: $(cat "$log")"
[ "$(grep -c '^PUT /v2/test/par/blobs/uploads/.* status=201 ' "$log")" = 7 ] ||
	fail "not 7 blobs PUT: $(cat "$log")"
[ "$(grep -c "^HEAD /v2/test/par/blobs/${L[2]} " "$log")" = 1 ] ||
	fail "the repeated layer was asked for twice: $(cat "$log")"
# the small last layer finished before the big one, its line still after it
big_put=$(grep -n "^PUT .* digest=${L[1]} " "$log" | cut -d: -f1)
last_put=$(grep -n "^PUT .* digest=${L[5]} " "$log" | cut -d: -f1)
[ -n "$big_put" ] && [ -n "$last_put" ] || fail "no PUT of layer 1 or 5: $(cat "$log")"
[ "$last_put" -lt "$big_put" ] || fail "layer 5 did not finish before layer 1: $(cat "$log")"
want=$(printf '%s\n' "${L[@]:0:6}" | cut -c8-19 | sed 's/$/: Pushed/'
	echo "${L[6]:7:12}: Layer already exists")
got=$(grep -E ': (Pushed|Layer already exists|Mounted from)' "$T/push1")
[ "$got" = "$want" ] || fail "layer lines: got
$got
want
$want"
last=$(tail -1 "$T/push1")
DIGEST=$(echo "$last" | awk '{print $3}')
[ "$DIGEST" = "$MDIG" ] || fail "pushed $DIGEST, the image is $MDIG: $last"
# the manifest went last, after every blob
[ "$(grep -n '' "$log" | grep '^[0-9]*:PUT /v2/test/par/manifests/1 .*status=201' | cut -d: -f1)" = \
	"$(wc -l <"$log")" ] || fail "the manifest was not the last request: $(cat "$log")"

# --- a 400 on the PUT of layer 2: the others stopped, its error shown ---
fault_proxy fail --slow 3000 --refuse-put "${L[2]}"
t0=$(now)
expect_rc 1 cb push --chunk-size $CHUNK par:1 "127.0.0.1:$PPORT/test/fail:1"
elapsed "$t0" "< 2.5" || fail "the other uploads were not stopped at the first failure"
contains "$T/err" "push \`127.0.0.1:$PPORT/test/fail:1\`: PUT blob ${L[2]}: 400 Bad Request"
grep -qi cancel "$T/err" && fail "a cancelled upload's error was shown: $(cat "$T/err")"
grep -q "/manifests/" "$T/fail.log" && fail "a manifest was sent: $(cat "$T/fail.log")"
for i in 4 5; do
	grep -q "blobs/${L[$i]}" "$T/fail.log" && fail "layer $i was started after the failure"
done
grep -q "^PUT .* status=400 " "$T/fail.log" || fail "no refused PUT: $(cat "$T/fail.log")"
expect_rc 1 skopeo inspect --tls-verify=false "docker://$REG/test/fail:1"

# --- the big layer's upload cut at ~50 %: resumed, the others go on ---
CUT=$((BIGSIZE / 2))
fault_proxy cut --cut "$CUT" --slow 50
expect_rc 0 cb push --chunk-size $CHUNK par:1 "127.0.0.1:$PPORT/test/resume:1"
grep -q "^PATCH .* status=cut" "$T/cut.log" || fail "the proxy cut nothing: $(cat "$T/cut.log")"
grep -Eq ": Resuming the upload at byte [0-9]+" "$T/out" || fail "no resume: $(cat "$T/out")"
max=$(grep ' inflight=' "$T/cut.log" | sed 's/.* inflight=//' | sort -n | tail -1)
[ "$max" -ge 2 ] && [ "$max" -le 4 ] || fail "$max uploads in flight: $(cat "$T/cut.log")"
[ "$(grep -c ': Pushed' "$T/out")" = 6 ] || fail "layer lines: $(cat "$T/out")"

# the registry has both images whole
for repo in par resume; do
	skopeo inspect --tls-verify=false --raw "docker://$REG/test/$repo:1" >"$T/raw" ||
		fail "skopeo inspect of test/$repo failed"
	[ "sha256:$(sha256sum <"$T/raw" | cut -d' ' -f1)" = "$MDIG" ] ||
		fail "the registry's test/$repo manifest is not $MDIG"
	skopeo copy -q --src-tls-verify=false "docker://$REG/test/$repo:1" "oci:$T/oci-$repo:x" ||
		fail "skopeo copy of test/$repo failed"
	for d in "${L[@]}" "$(jq -r .config.digest "$MAN")"; do
		cmp "$T/oci-$repo/blobs/sha256/${d#sha256:}" "$T/saved/blobs/sha256/${d#sha256:}" ||
			fail "blob $d of test/$repo differs"
	done
done
echo ok
