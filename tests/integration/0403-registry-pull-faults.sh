#!/bin/bash
# cbuild pull against a registry that fails on purpose
# (tests/helpers/fake-registry.py): 500 then 200, 429 with Retry-After
# (waited), a connection closed without an answer, each retried; a 503 that
# never ends gives up after 4 attempts; a blob cut short is resumed with
# Range (206) or fetched again (the server ignores Range: 200), a cut
# manifest fetched again; refusals that leave nothing unverified in the
# store and set no tag: a 206 starting elsewhere, a manifest over 4 MiB
# (with and without Content-Length), a blob longer than its descriptor, a
# blob whose bytes do not match its digest.  No request to the storage
# origin (302 and 307 redirects) ever carries Authorization.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/fake-registry-lib.sh"

# 500, 429 + Retry-After: 1, an empty reply: each retried, the pull succeeds
CFG=$(digest_of x/flaky config)
L0=$(digest_of x/flaky 'layers[0]')
t0=$(now)
expect_rc 0 cb pull "$REG/x/flaky:1"
contains "$T/out" "Status: Downloaded newer image for $REG/x/flaky:1"
elapsed "$t0" ">= 1" || fail "Retry-After: 1 was not waited for"
[ "$(nlog "^registry GET /v2/x/flaky/manifests/1 auth=Bearer")" = 2 ] ||
	fail "500 then 200: $(grep manifests/1 "$FLOG")"
[ "$(nlog "^registry GET /v2/x/flaky/blobs/$CFG auth=Bearer")" = 2 ] || fail "429 then 302"
[ "$(nlog "^storage GET /storage/x/flaky/$L0 ")" = 2 ] || fail "empty reply then 200"
[ "$(nlog "^storage GET /storage/x/flaky/")" = 3 ] || fail "storage GETs: $(grep storage "$FLOG")"
has_blob "$L0" && has_blob "$CFG" || fail "the flaky image's blobs are not in the store"
cb fsck >/dev/null || fail "cbuild fsck: $(cat "$T/err")"
cb inspect "$REG/x/flaky:1" >/dev/null || fail "the pulled image does not resolve"
! grep -q "^storage .* auth=[^-]" "$FLOG" || fail "Authorization went to the storage origin on a 302"

# 503 for good: 4 attempts in all, then the status is the error
t0=$(now)
expect_rc 1 cb pull "$REG/x/down:1"
contains "$T/err" "pull \`$REG/x/down:1\`: GET manifest \`1\`: 503 Service Unavailable"
[ "$(nlog "^registry GET /v2/x/down/manifests/1 auth=Bearer")" = 4 ] ||
	fail "attempts on a 503: $(nlog "^registry GET /v2/x/down/manifests/1 auth=Bearer")"
elapsed "$t0" "< 5" || fail "the retries on a 503 took too long"
refused_clean "$REG/x/down:1"

# a cut manifest is fetched again; a cut layer goes on with Range into the same blob
L0=$(digest_of x/cut 'layers[0]')
expect_rc 0 cb pull "$REG/x/cut:1"
[ "$(nlog "^registry GET /v2/x/cut/manifests/1 auth=Bearer")" = 2 ] || fail "cut manifest"
grep -Eq "^storage GET /storage/x/cut/$L0 auth=- range=bytes=[1-9][0-9]*- " "$FLOG" ||
	fail "no Range request after the cut: $(grep storage "$FLOG")"
[ "$(nlog "^storage GET /storage/x/cut/$L0 ")" = 2 ] || fail "cut layer: not one resume"
has_blob "$L0" || fail "the resumed layer is not in the store"
cb fsck >/dev/null || fail "cbuild fsck after a resume: $(cat "$T/err")"

# the server ignores Range (200): the download starts again from zero
L0=$(digest_of x/cut200 'layers[0]')
expect_rc 0 cb pull "$REG/x/cut200:1"
grep -Eq "^storage GET /storage/x/cut200/$L0 auth=- range=bytes=[1-9][0-9]*- " "$FLOG" ||
	fail "no Range request after the cut (200)"
has_blob "$L0" || fail "the layer fetched again is not in the store"
cb fsck >/dev/null || fail "cbuild fsck after a 200 restart: $(cat "$T/err")"

# a 206 that does not start where the blob stopped is refused
L0=$(digest_of x/badrange 'layers[0]')
expect_rc 1 cb pull "$REG/x/badrange:1"
contains "$T/err" "GET blob $L0"
contains "$T/err" "206 starts at byte"
has_blob "$L0" && fail "a blob from a bad 206 entered the store"
refused_clean "$REG/x/badrange:1"

# a manifest over 4 MiB, told or not by Content-Length, is refused at once
for tag in 1 chunked; do
	expect_rc 1 cb pull "$REG/x/huge:$tag"
	contains "$T/err" "GET manifest \`$tag\`"
	contains "$T/err" "larger than 4194304 bytes"
	[ "$(nlog "^registry GET /v2/x/huge/manifests/$tag auth=Bearer")" = 1 ] ||
		fail "a manifest over 4 MiB was asked again ($tag)"
	refused_clean "$REG/x/huge:$tag"
done

# a blob longer than its descriptor, a blob not matching its digest: refused, not retried
L0=$(digest_of x/long 'layers[0]')
expect_rc 1 cb pull "$REG/x/long:1"
contains "$T/err" "GET blob $L0"
grep -Eq "(larger|longer) than" "$T/err" || fail "long body: $(cat "$T/err")"
[ "$(nlog "^storage GET /storage/x/long/$L0 ")" = 1 ] || fail "a long blob was asked again"
has_blob "$L0" && fail "the long blob entered the store"
refused_clean "$REG/x/long:1"
L0=$(digest_of x/baddigest 'layers[0]')
expect_rc 1 cb pull "$REG/x/baddigest:1"
contains "$T/err" "blob $L0: blob digest mismatch"
[ "$(nlog "^storage GET /storage/x/baddigest/$L0 ")" = 1 ] || fail "a bad blob was asked again"
has_blob "$L0" && fail "the blob with the wrong digest entered the store"
refused_clean "$REG/x/baddigest:1"
[ -z "$(find "$ROOT/tmp" -type f 2>/dev/null)" ] || fail "temp files left: $(ls "$ROOT/tmp")"
echo ok
