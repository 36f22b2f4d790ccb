#!/bin/bash
# Multi-stage builds: FROM a stage (its files and config), stage names
# case-insensitive, COPY --from by name and by index; --target picks a
# stage and only what it needs runs (a `RUN false` stage and a stage with a
# bad RUN --mount do not fail the build when nothing needs them); a stage
# named later is found (BuildKit resolves COPY --from against every stage)
# but a stage copying from itself is a circular dependency; an unknown
# --target fails; independent stages run at once with --jobs 2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
cat >c/Dockerfile <<'EOF'
FROM busybox:test AS Builder
RUN echo built > /artifact
ENV FROM_BUILDER=yes
WORKDIR /src

FROM busybox:test AS broken
RUN false

FROM busybox:test AS badmount
RUN --mount=type=nope echo never

FROM builder AS derived
RUN echo derived > /derived

FROM busybox:test AS final
COPY --from=BUILDER /artifact /by-name
COPY --from=0 /artifact /by-index
COPY --from=derived /derived /derived
EOF
build --progress plain -t ms:final c
eq "files of the final stage" "$(crun ms:final cat /by-name /by-index /derived)" "built
built
derived"
not_in_file "$T/err" "RUN false"
not_in_file "$T/err" "type=nope"
# the final stage is FROM busybox:test: nothing of builder's config
eq "Env of final" "$(cfg ms:final '[.Env[]? | select(startswith("FROM_BUILDER"))] | length')" 0

# FROM a stage: its files, Env and WorkingDir.
build --target derived -t ms:derived c
eq "derived files" "$(crun ms:derived cat /artifact /derived)" "built
derived"
eq "derived Env" "$(cfg ms:derived '[.Env[] | select(startswith("FROM_BUILDER"))] | join(",")')" \
	FROM_BUILDER=yes
eq "derived WorkingDir" "$(cfg ms:derived .WorkingDir)" /src
# --target: the stages after it and the ones it does not need do not run
not_in_file "$T/err" "[final]"
not_in_file "$T/err" "RUN false"
eq "derived history" "$(history ms:derived | cut -f1)" "RUN /bin/sh -c echo built > /artifact # buildkit
ENV FROM_BUILDER=yes
WORKDIR /src
RUN /bin/sh -c echo derived > /derived # buildkit"

# --target of the broken stages fails: their errors are real.
before=$(image_list)
build_fails 1 --target broken -t ms:broken c
in_file "$T/err" "Dockerfile:7"
build_fails 1 --target badmount -t ms:badmount c
in_file "$T/err" "Dockerfile:10"
build_fails 1 --target nosuch -t ms:nosuch c
in_file "$T/err" nosuch
eq "images after the failed builds" "$(image_list)" "$before"

# COPY --from a stage defined later: BuildKit resolves it by name among all
# stages (dockerfile2llb buildStageDependencyGraph), so it works.
cat >c/Dockerfile <<'EOF'
FROM busybox:test AS first
COPY --from=later /x /x

FROM busybox:test AS later
RUN echo later > /x

FROM first
EOF
build -t ms:later c
eq "/x from a later stage" "$(crun ms:later cat /x)" later
# ... but a cycle is an error.
printf 'FROM busybox:test AS self\nCOPY --from=self /x /x\n' >c/Dockerfile
build_fails 1 -t ms:cycle c
in_file "$T/err" "circular dependency"

# Independent stages run at the same time with --jobs 2: each stage's RUN
# is inside the other's (uptime in 1/100 s, one kernel).
cat >c/Dockerfile <<'EOF'
FROM busybox:test AS a
RUN cut -d' ' -f1 /proc/uptime > /start && sleep 2 && cut -d' ' -f1 /proc/uptime > /end

FROM busybox:test AS b
RUN cut -d' ' -f1 /proc/uptime > /start && sleep 2 && cut -d' ' -f1 /proc/uptime > /end

FROM busybox:test
COPY --from=a /start /a.start
COPY --from=a /end /a.end
COPY --from=b /start /b.start
COPY --from=b /end /b.end
EOF
build --jobs 2 -t ms:parallel c
set -- $(crun ms:parallel cat /a.start /a.end /b.start /b.end | tr -d .)
[ "$1" -lt "$4" ] && [ "$3" -lt "$2" ] ||
	fail "stages a ($1..$2) and b ($3..$4) did not overlap with --jobs 2"
finish
