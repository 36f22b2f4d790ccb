#!/bin/bash
# cbuild pull fetches blobs 4 at a time (tests/helpers/fake-registry.py):
# never more than 4 transfers at once and 4 reached, the layer lines in the
# manifest's order although later layers finish first; the first failure
# stops the others at once and is the error reported, nothing of the
# stopped downloads in the store; a 401 insufficient_scope on the blobs of
# several threads costs one token request for the new scopes (both sent,
# the repository's own first although the challenge lists it second),
# shared by all of them; a layer named twice is fetched once.  No Authorization ever reaches the storage origin.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/fake-registry-lib.sh"

# 6 slow layers, the first slowest: 4 at once, reported in order
t0=$(now)
expect_rc 0 cb pull "$REG/x/par:1"
max=$(grep "^storage GET /storage/x/par/" "$FLOG" | sed 's/.*inflight=//' | sort -n | tail -1)
[ "$max" = 4 ] || fail "at most $max blob transfers at once, want 4: $(grep storage "$FLOG")"
# 0.2 s * (6+5+4+3+2+1) = 4.2 s one after another
elapsed "$t0" "< 3" || fail "the layers were not fetched in parallel"
want=$(jq -r '.["x/par"].layers[]' "$DIGESTS" | cut -c8-19 | sed 's/$/: Pull complete/')
got=$(grep ': Pull complete' "$T/out")
[ "$got" = "$want" ] || fail "layer lines: got
$got
want
$want"
cb fsck >/dev/null || fail "cbuild fsck: $(cat "$T/err")"
for i in 0 1 2 3 4 5; do has_blob "$(digest_of x/par "layers[$i]")" || fail "layer $i missing"; done

# again: nothing fetched, every layer "Already exists", in order
: >"$FLOG"
expect_rc 0 cb pull "$REG/x/par:1"
[ "$(nlog "^storage ")" = 0 ] || fail "present blobs were fetched again"
[ "$(grep -c ': Already exists' "$T/out")" = 6 ] || fail "present layers: $(cat "$T/out")"

# layer 0 fails at once (404): the others (5 s each) are stopped, its error reported
L0=$(digest_of x/failfast 'layers[0]')
t0=$(now)
expect_rc 1 cb pull "$REG/x/failfast:1"
elapsed "$t0" "< 3" || fail "the other downloads were not stopped at the first failure"
contains "$T/err" "pull \`$REG/x/failfast:1\`: GET blob $L0: 404 Not Found"
grep -q cancel "$T/err" && fail "a cancelled download's error was reported: $(cat "$T/err")"
for i in 0 1 2 3 4; do
	has_blob "$(digest_of x/failfast "layers[$i]")" && fail "layer $i of a failed pull was kept"
done
refused_clean "$REG/x/failfast:1"
[ -z "$(find "$ROOT/tmp" -type f 2>/dev/null)" ] || fail "temp files left: $(ls "$ROOT/tmp")"

# insufficient_scope on every blob: one new token for both scopes, for all threads
: >"$FLOG"
expect_rc 0 cb pull "$REG/x/scope:1"
[ "$(nlog "^registry GET /token")" = 2 ] || fail "token requests: $(grep /token "$FLOG")"
grep -q "^registry GET /token?service=fake&scope=repository%3Ax%2Fscope%3Apull auth=Basic" "$FLOG" ||
	fail "no token for the manifest's scope"
grep -q "^registry GET /token?service=fake&scope=repository%3Ax%2Fscope%3Apull&scope=repository%3Ax%2Fbase%3Apull auth=Basic" "$FLOG" ||
	fail "no token for the challenged scopes: $(grep /token "$FLOG")"
[ "$(nlog "^storage GET /storage/x/scope/")" = 4 ] || fail "blobs: $(grep storage "$FLOG")"
cb inspect "$REG/x/scope:1" >/dev/null || fail "the image pulled with a wider token does not resolve"

# the same layer twice in a manifest is fetched once
L0=$(digest_of x/dup 'layers[0]')
expect_rc 0 cb pull "$REG/x/dup:1"
[ "$(nlog "^storage GET /storage/x/dup/$L0 ")" = 1 ] || fail "a repeated layer was fetched twice"
[ "$(grep -c "^${L0:7:12}: " "$T/out")" = 2 ] || fail "repeated layer lines: $(cat "$T/out")"
! grep -q "^storage .* auth=[^-]" "$FLOG" || fail "Authorization went to the storage origin"
echo ok
