#!/bin/bash
# cbuild build with `FROM <registry image>` the store lacks, against
# Debian's docker-registry on 127.0.0.1: --pull missing (the default)
# pulls it once and then uses the store's; --pull never fails with
# Dockerfile:1 naming the image (and works once the store has it); a tag
# pushed again with new content is seen only with --pull always, which
# misses the cache (keyed by the manifest digest) and, for an unchanged
# tag, fetches no blob; an unknown image fails with Dockerfile:N naming it;
# three stages FROM one missing image (two in parallel) pull it once.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-lib.sh"

# two versions of a base image, marked v1 and v2, pushed as $REG/base:1
for v in v1 v2; do
	ctx "$T/$v"
	printf 'FROM busybox:test\nRUN echo %s >/marker\n' "$v" >"$T/$v/Dockerfile"
	build -q -t "base:$v" "$T/$v"
done
expect_rc 0 cb push base:v1 "$REG/base:1"
expect_rc 0 cb push base:v1 "$REG/base:2"

# a fresh store, without busybox or the base
ROOT=$T/root2
ctx "$T/app"
cat >"$T/app/Dockerfile" <<DF
FROM $REG/base:1
RUN cat /marker >/seen
DF
mgets() { grep -c "\"GET /v2/base/manifests/$1 " "$T/registry.log" || true; }
bgets() { grep -c '"GET /v2/base/blobs/' "$T/registry.log" || true; }

# --pull never: not in the store, not pulled
build_fails 1 --pull never -t app:1 "$T/app"
contains "$T/err" "Dockerfile:1"
contains "$T/err" "$REG/base:1"
contains "$T/err" "--pull never"
eq "manifest GETs after --pull never" "$(mgets 1)" 0
expect_rc 1 cb inspect "$REG/base:1"

# missing (the default): pulled, then run; the pull's bytes under the FROM step
build --progress plain -t app:1 "$T/app"
eq "manifest GETs" "$(mgets 1)" 1
grep -Eq "^#[0-9]+ [0-9.]+ downloading sha256:[0-9a-f]{64} .* done$" "$T/err" ||
	fail "no download lines: $(cat "$T/err")"
contains "$T/err" "resolve $REG/base:1"
[ "$(bgets)" -ge 3 ] || fail "the pull fetched $(bgets) blobs"
eq "app:1 /seen" "$(crun app:1 cat /seen)" v1
cb inspect "$REG/base:1" >/dev/null || fail "the pulled base is not in the store"

# again: the store's, no request, the RUN step cached
build --progress plain -t app:1 "$T/app"
eq "manifest GETs of a second build" "$(mgets 1)" 1
eq "RUN" "$(step_status 'RUN cat /marker >/seen')" CACHED
# --pull never works now
build --pull=never -t app:1 "$T/app"

# the tag pushed again with v2: missing keeps the store's v1 ...
ROOT=$T/root expect_rc 0 cb push base:v2 "$REG/base:1"
build -t app:1 "$T/app"
eq "manifest GETs with the tag moved, --pull missing" "$(mgets 1)" 1
eq "app:1 /seen under missing" "$(crun app:1 cat /seen)" v1
# ... always resolves it: the new image, the RUN step not cached
build --progress plain --pull always -t app:2 "$T/app"
eq "manifest GETs with --pull always" "$(mgets 1)" 2
eq "RUN after the tag moved" "$(step_status 'RUN cat /marker >/seen')" DONE
eq "app:2 /seen" "$(crun app:2 cat /seen)" v2
# ... and for an unchanged tag asks the registry but fetches no blob (bare --pull = always)
before=$(bgets)
build --progress plain --pull -t app:2 "$T/app"
eq "manifest GETs with a bare --pull" "$(mgets 1)" 3
eq "blob GETs for an unchanged tag" "$(bgets)" "$before"
eq "RUN, unchanged tag" "$(step_status 'RUN cat /marker >/seen')" CACHED
build --pull always -t app:2 "$T/app"
eq "manifest GETs with --pull always" "$(mgets 1)" 4

# an image the registry does not have: Dockerfile:2, the name, the status
ctx "$T/bad"
printf '# a comment\nFROM %s/nosuch:1\nRUN true\n' "$REG" >"$T/bad/Dockerfile"
build_fails 1 "$T/bad"
contains "$T/err" "Dockerfile:2"
contains "$T/err" "$REG/nosuch:1"
grep -Eq "404|not found|unknown" "$T/err" || fail "no status in: $(cat "$T/err")"

# three stages FROM one missing image, two of them at once: one pull
ctx "$T/par"
cat >"$T/par/Dockerfile" <<DF
FROM $REG/base:2 AS a
RUN cat /marker >/a
FROM $REG/base:2 AS b
RUN cat /marker >/b
FROM $REG/base:2
COPY --from=a /a /a
COPY --from=b /b /b
DF
blobs_before=$(bgets)
build --jobs 2 --pull always -t par:1 "$T/par"
eq "manifest GETs of three stages FROM base:2" "$(mgets 2)" 1
eq "par:1" "$(crun par:1 cat /a /b)" "v1
v1"
# only the config is new (the layers are base:1's v1, in the store already)
[ "$(bgets)" -le $((blobs_before + 1)) ] || fail "blobs fetched twice: $blobs_before -> $(bgets)"
cb fsck >/dev/null || fail "cbuild fsck finds a bad store"
finish
