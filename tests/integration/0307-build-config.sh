#!/bin/bash
# The instructions that only change the image config, into the config and
# history as BuildKit (dockerfile2llb, HEAD) writes them: LABEL (and
# --label), EXPOSE, VOLUME, USER, WORKDIR (a directory made, owned by USER),
# ENTRYPOINT (resets an inherited CMD, not one of its own stage), CMD,
# HEALTHCHECK (exec, shell, NONE), STOPSIGNAL, MAINTAINER, SHELL; ONBUILD
# triggers of a stored base image and of a base stage run first; FROM
# scratch.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
cat >c/Dockerfile <<'EOF'
FROM busybox:test AS parent
CMD ["echo", "inherited"]
LABEL base.only=yes override=base

FROM parent
ARG PORT=9000
LABEL version=1.0 "quoted key"="quoted value" multi="line \
continued" override=child
LABEL empty=""
LABEL single='$PORT not expanded' expanded=$PORT escaped=\$PORT
LABEL old-form value with spaces
EXPOSE 80 443/tcp 53/udp
EXPOSE $PORT 7000-7001/udp
VOLUME ["/data", "/logs"]
VOLUME /v1 /v2
USER user
WORKDIR /made/by/workdir
WORKDIR rel
USER root
WORKDIR /etc
ENTRYPOINT ["/bin/echo", "entry"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["true"]
STOPSIGNAL SIGUSR1
MAINTAINER Jane Doe <jane@example.com>
SHELL ["/bin/sh", "-xc"]
EOF
build -t cfg:all --label cli.label=from-cli --label override=cli c
cfg cfg:all '{Labels, ExposedPorts, Volumes, User, WorkingDir, Entrypoint, Cmd, Healthcheck,
	StopSignal, Shell}' >"$T/got"
jq -S . >"$T/want" <<'EOF'
{
  "Labels": {
    "base.only": "yes",
    "cli.label": "from-cli",
    "empty": "",
    "escaped": "$PORT",
    "expanded": "9000",
    "multi": "line continued",
    "old-form": "value with spaces",
    "override": "cli",
    "quoted key": "quoted value",
    "single": "$PORT not expanded",
    "version": "1.0"
  },
  "ExposedPorts": {"443/tcp": {}, "53/udp": {}, "7000/udp": {}, "7001/udp": {}, "80/tcp": {},
    "9000/tcp": {}},
  "Volumes": {"/data": {}, "/logs": {}, "/v1": {}, "/v2": {}},
  "User": "root",
  "WorkingDir": "/etc",
  "Entrypoint": ["/bin/echo", "entry"],
  "Cmd": null,
  "Healthcheck": {"Test": ["CMD", "true"], "Interval": 30000000000, "Timeout": 5000000000,
    "StartPeriod": 10000000000, "Retries": 3},
  "StopSignal": "SIGUSR1",
  "Shell": ["/bin/sh", "-xc"]
}
EOF
jq -S . "$T/got" >"$T/got.sorted"
diff -u "$T/want" "$T/got.sorted" || fail "the config differs"
eq "Author (MAINTAINER)" "$(insp cfg:all .Author)" "Jane Doe <jane@example.com>"
eq "owner of the WORKDIR made under USER user" \
	"$(cb run --rm --entrypoint '' cfg:all stat -c %u:%g /made /made/by/workdir/rel)" "1000:1000
1000:1000"

history cfg:all >"$T/history"
cat >"$T/want" <<'EOF'
CMD ["echo" "inherited"]	true
LABEL base.only=yes override=base	true
ARG PORT=9000	true
LABEL version=1.0 quoted key=quoted value multi=line continued override=child	true
LABEL empty=	true
LABEL single=$PORT not expanded expanded=9000 escaped=$PORT	true
LABEL old-form=value with spaces	true
EXPOSE [443/tcp 53/udp 80/tcp]	true
EXPOSE [9000/tcp 7000/udp 7001/udp]	true
VOLUME [/data /logs]	true
VOLUME [/v1 /v2]	true
USER user	true
WORKDIR /made/by/workdir	false
WORKDIR /made/by/workdir/rel	false
USER root	true
WORKDIR /etc	true
ENTRYPOINT ["/bin/echo" "entry"]	true
HEALTHCHECK {Test:[CMD true] Interval:30s Timeout:5s StartPeriod:10s StartInterval:0s Retries:3}	true
STOPSIGNAL SIGUSR1	true
MAINTAINER Jane Doe <jane@example.com>	true
SHELL [/bin/sh -xc]	true
EOF
# Docker 20.10's BuildKit (v0.8, tests/data/buildkit-build 029, 033, 042)
# prints EXPOSE's Go map and HEALTHCHECK's %q of a pointer, and keeps
# WORKDIR /etc (which made nothing) as an empty layer.
sed -e 's|^EXPOSE \[443/tcp 53/udp 80/tcp\]|EXPOSE map[443/tcp:{} 53/udp:{} 80/tcp:{}]|' \
	-e 's|^EXPOSE \[9000/tcp 7000/udp 7001/udp\]|EXPOSE map[7000/udp:{} 7001/udp:{} 9000/tcp:{}]|' \
	-e 's|^HEALTHCHECK {.*}\t|HEALTHCHECK \&{["CMD" "true"] "30s" "5s" "10s" '"'"'\\x03'"'"'}\t|' \
	-e 's|^WORKDIR /etc\ttrue$|WORKDIR /etc\tfalse|' "$T/want" >"$T/want-v0.8"
one_of "history" "$T/history" "$T/want" "$T/want-v0.8"
no_change cfg:all "WORKDIR /etc"
# only the WORKDIRs added layers
eq "layers" "$(layer_count cfg:all)" "$((1 + $(grep -c 'false$' "$T/history")))"

# CMD and ENTRYPOINT forms; an ENTRYPOINT keeps a CMD of its own stage;
# HEALTHCHECK shell form and NONE.
cat >c/Dockerfile <<'EOF'
FROM busybox:test AS parent
ENTRYPOINT ["/bin/echo"]
CMD ["parent-cmd"]
HEALTHCHECK --retries=7 CMD ["true"]

FROM parent AS child
CMD [echo, not json]
CMD ["child-cmd"]
ENTRYPOINT echo shell form entrypoint
HEALTHCHECK --interval=1m30s --timeout=500ms CMD wget -q localhost || exit 1
HEALTHCHECK CMD echo "defaults only"

FROM parent AS none
HEALTHCHECK NONE
CMD echo shell form
EOF
build --target child -t cfg:cmd c
eq "Cmd" "$(cfg cfg:cmd .Cmd)" '["child-cmd"]'
eq "Entrypoint" "$(cfg cfg:cmd .Entrypoint)" '["/bin/sh","-c","echo shell form entrypoint"]'
eq "Healthcheck" "$(cfg cfg:cmd .Healthcheck)" '{"Test":["CMD-SHELL","echo \"defaults only\""]}'
eq "run of the image" "$(crun cfg:cmd)" "shell form entrypoint"
history cfg:cmd | tail -n 5 >"$T/history"
cat >"$T/want" <<'EOF'
CMD ["/bin/sh" "-c" "[echo, not json]"]	true
CMD ["child-cmd"]	true
ENTRYPOINT ["/bin/sh" "-c" "echo shell form entrypoint"]	true
HEALTHCHECK {Test:[CMD-SHELL wget -q localhost || exit 1] Interval:1m30s Timeout:500ms StartPeriod:0s StartInterval:0s Retries:0}	true
HEALTHCHECK {Test:[CMD-SHELL echo "defaults only"] Interval:0s Timeout:0s StartPeriod:0s StartInterval:0s Retries:0}	true
EOF
cat >"$T/want-v0.8" <<'EOF'
CMD ["/bin/sh" "-c" "[echo, not json]"]	true
CMD ["child-cmd"]	true
ENTRYPOINT ["/bin/sh" "-c" "echo shell form entrypoint"]	true
HEALTHCHECK &{["CMD-SHELL" "wget -q localhost || exit 1"] "1m30s" "500ms" "0s" '\x00'}	true
HEALTHCHECK &{["CMD-SHELL" "echo \"defaults only\""] "0s" "0s" "0s" '\x00'}	true
EOF
one_of "CMD/ENTRYPOINT/HEALTHCHECK history" "$T/history" "$T/want" "$T/want-v0.8"
build --target none -t cfg:none c
eq "Healthcheck NONE" "$(cfg cfg:none .Healthcheck)" '{"Test":["NONE"]}'
eq "Cmd shell form" "$(cfg cfg:none .Cmd)" '["/bin/sh","-c","echo shell form"]'
eq "inherited Entrypoint" "$(cfg cfg:none .Entrypoint)" '["/bin/echo"]'
eq "run of cfg:none" "$(crun cfg:none)" "/bin/sh -c echo shell form"

# ONBUILD: the triggers of a stored base image run first, in order; the
# child's OnBuild holds only its own; a grandchild runs those.
echo a >c/a.txt
cat >c/Dockerfile.base <<'EOF'
FROM busybox:test
LABEL base=yes
ONBUILD RUN echo triggered > /onbuild.txt
ONBUILD COPY a.txt /from-trigger/
ONBUILD ENV TRIGGERED=yes
EOF
build -f c/Dockerfile.base -t cfg:onbuild-base c
eq "base OnBuild" "$(cfg cfg:onbuild-base .OnBuild)" \
	'["RUN echo triggered > /onbuild.txt","COPY a.txt /from-trigger/","ENV TRIGGERED=yes"]'
eq "base history" "$(history cfg:onbuild-base)" "LABEL base=yes	true"
eq "base layers" "$(layer_count cfg:onbuild-base)" 1
cat >c/Dockerfile <<'EOF'
FROM cfg:onbuild-base
RUN test -f /onbuild.txt && echo child > /child.txt
ONBUILD RUN echo for-grandchildren
EOF
build -t cfg:onbuild-child c
eq "child OnBuild" "$(cfg cfg:onbuild-child .OnBuild)" '["RUN echo for-grandchildren"]'
eq "TRIGGERED in the child" "$(cfg cfg:onbuild-child '.Env[] | select(startswith("TRIGGERED="))')" \
	TRIGGERED=yes
eq "child files" "$(crun cfg:onbuild-child cat /onbuild.txt /child.txt /from-trigger/a.txt)" \
	"triggered
child
a"
history cfg:onbuild-child >"$T/history"
cat >"$T/want" <<'EOF'
LABEL base=yes	true
RUN /bin/sh -c echo triggered > /onbuild.txt # buildkit	false
COPY a.txt /from-trigger/ # buildkit	false
ENV TRIGGERED=yes	true
RUN /bin/sh -c test -f /onbuild.txt && echo child > /child.txt # buildkit	false
EOF
diff -u "$T/want" "$T/history" || fail "ONBUILD child history differs"
printf 'FROM cfg:onbuild-child\nLABEL grandchild=yes\n' >c/Dockerfile
build -t cfg:onbuild-grandchild c
eq "grandchild OnBuild" "$(cfg cfg:onbuild-grandchild .OnBuild)" null
eq "grandchild history" "$(history cfg:onbuild-grandchild | tail -n 2 | cut -f1)" \
	"RUN /bin/sh -c echo for-grandchildren # buildkit
LABEL grandchild=yes"
no_change cfg:onbuild-grandchild "RUN /bin/sh -c echo for-grandchildren # buildkit"

# ONBUILD of a stage the next stage is FROM, in one Dockerfile.
cat >c/Dockerfile <<'EOF'
FROM busybox:test AS base
ONBUILD RUN echo from-stage-trigger > /stage-trigger.txt
FROM base
RUN cat /stage-trigger.txt > /seen.txt
EOF
build -t cfg:onbuild-stage c
eq "/seen.txt" "$(crun cfg:onbuild-stage cat /seen.txt)" from-stage-trigger
eq "OnBuild after the triggers ran" "$(cfg cfg:onbuild-stage .OnBuild)" null

# FROM scratch: no layers, BuildKit's empty image config.
printf 'FROM scratch\nLABEL a=b\n' >c/Dockerfile
build -t cfg:scratch c
eq "scratch layers" "$(layer_count cfg:scratch)" 0
eq "scratch config" "$(cfg cfg:scratch '{Env, WorkingDir, Labels}')" \
	'{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"WorkingDir":"/","Labels":{"a":"b"}}'
eq "scratch platform" "$(insp cfg:scratch '.Os + "/" + .Architecture')" linux/amd64
eq "scratch history" "$(history_all cfg:scratch)" "LABEL a=b	true"
finish
