#!/bin/bash
# The build cache: a second build prints CACHED for every step and runs
# nothing; a copied file's content (or mode) change re-runs that COPY and
# every step after it, an mtime-only change (touch) or a new file nobody
# copies does not; an ARG value change misses from the first step that sees
# it; another Dockerfile sharing the first steps reuses them; --no-cache
# runs everything; --no-cache-filter STAGE runs only that stage.  Each RUN
# writes a random value, so "ran again" is seen in the files too, not only
# in the progress.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
echo a1 >c/a
echo b1 >c/b
cat >c/Dockerfile <<'EOF'
FROM busybox:test
ARG V=1
RUN cat /proc/sys/kernel/random/uuid > /r1
COPY a /a
RUN cat /proc/sys/kernel/random/uuid > /r2
COPY b /b
RUN echo "$V" > /v && cat /proc/sys/kernel/random/uuid > /r3
ENV DONE=yes
EOF
STEPS=("RUN cat /proc/sys/kernel/random/uuid > /r1" "COPY a /a"
	"RUN cat /proc/sys/kernel/random/uuid > /r2" "COPY b /b"
	'RUN echo "$V" > /v && cat /proc/sys/kernel/random/uuid > /r3')

# randoms IMAGE: the values the RUNs wrote.
randoms() {
	crun "$1" cat /r1 /r2 /r3 | tr '\n' ' '
}

build --progress plain -t cache:x c
eq "first build" "$(statuses)" "DONE DONE DONE DONE DONE"
r0=$(randoms cache:x)
layers0=$(insp cache:x '.RootFS.Layers | join(",")')

build --progress plain -t cache:x c
eq "second build" "$(statuses)" "CACHED CACHED CACHED CACHED CACHED"
eq "values after the second build" "$(randoms cache:x)" "$r0"
eq "layers after the second build" "$(insp cache:x '.RootFS.Layers | join(",")')" "$layers0"

# mtime only, and a file no step copies: still cached.
touch -d '2001-02-03 04:05:06' c/a c/b
echo new >c/unrelated
build --progress plain -t cache:x c
eq "after touch and a new context file" "$(statuses)" "CACHED CACHED CACHED CACHED CACHED"
eq "values after touch" "$(randoms cache:x)" "$r0"

# b's content: COPY b and what follows run again.
echo b2 >c/b
build --progress plain -t cache:x c
eq "after b changed" "$(statuses)" "CACHED CACHED CACHED DONE DONE"
set -- $r0
r1=$(randoms cache:x)
set -- $r0
old1=$1 old2=$2 old3=$3
set -- $r1
eq "/r1 after b changed" "$1" "$old1"
eq "/r2 after b changed" "$2" "$old2"
[ "$3" != "$old3" ] || fail "/r3 was not written again after b changed"
eq "/b" "$(crun cache:x cat /b)" b2

# a's mode: part of the key.
chmod 0600 c/a
build --progress plain -t cache:x c
eq "after a's mode changed" "$(statuses)" "CACHED DONE DONE DONE DONE"
eq "mode of /a" "$(crun cache:x stat -c %a /a)" 600

# Back to the first contents: the first build's layers are still cached.
echo b1 >c/b
chmod 0644 c/a
build --progress plain -t cache:x c
eq "back to the first contents" "$(statuses)" "CACHED CACHED CACHED CACHED CACHED"
eq "values back at the start" "$(randoms cache:x)" "$r0"

# An ARG value: a miss from the first RUN (which sees it) on.
build --progress plain --build-arg V=2 -t cache:v2 c
eq "with V=2" "$(statuses)" "DONE DONE DONE DONE DONE"
eq "/v with V=2" "$(crun cache:v2 cat /v)" 2
build --progress plain --build-arg V=2 -t cache:v2 c
eq "with V=2 again" "$(statuses)" "CACHED CACHED CACHED CACHED CACHED"

# Another Dockerfile with the same first steps reuses them.
head -n 4 c/Dockerfile >"$T/prefix.Dockerfile"
echo 'RUN echo other > /other' >>"$T/prefix.Dockerfile"
build --progress plain -f "$T/prefix.Dockerfile" -t cache:prefix c
eq "shared steps" "$(step_status "${STEPS[0]}") $(step_status "${STEPS[1]}")" "CACHED CACHED"
eq "the new step" "$(step_status 'RUN echo other > /other')" DONE
eq "/r1 of the other Dockerfile" "$(crun cache:prefix cat /r1)" "$old1"

# --no-cache: everything runs.
build --progress plain --no-cache -t cache:x c
eq "--no-cache" "$(statuses)" "DONE DONE DONE DONE DONE"
set -- $(randoms cache:x)
[ "$1" != "$old1" ] || fail "/r1 was not written again with --no-cache"

# --no-cache-filter STAGE: that stage's steps run, the others' are cached.
cat >c/Dockerfile <<'EOF'
FROM busybox:test AS one
RUN cat /proc/sys/kernel/random/uuid > /one

FROM busybox:test AS two
RUN cat /proc/sys/kernel/random/uuid > /two

FROM busybox:test
COPY --from=one /one /one
COPY --from=two /two /two
EOF
build --progress plain -t cache:stages c
one=$(crun cache:stages cat /one)
two=$(crun cache:stages cat /two)
build --progress plain --no-cache-filter two -t cache:stages c
eq "stage one with --no-cache-filter two" "$(step_status 'RUN cat /proc/sys/kernel/random/uuid > /one')" CACHED
eq "stage two with --no-cache-filter two" "$(step_status 'RUN cat /proc/sys/kernel/random/uuid > /two')" DONE
eq "/one" "$(crun cache:stages cat /one)" "$one"
[ "$(crun cache:stages cat /two)" != "$two" ] || fail "/two was not written again"

cb fsck >"$T/fsck" 2>&1 || fail "fsck after the builds: $(cat "$T/fsck")"
finish
