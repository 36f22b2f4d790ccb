#!/bin/bash
# ENV and ARG as BuildKit scopes and expands them: ENV forms and
# expansion ($V, ${V:-x}, ${V:+x}, quotes, escapes); the default PATH in the
# config when the base image has none; global ARGs (used in FROM, seen in a
# stage only when redeclared), defaults, --build-arg K=V and K (from the
# environment), an ENV beating an ARG, a warning for an unused
# --build-arg; the predefined TARGET*/BUILD* ARGs; proxy build args reach
# RUN but not the history; the RUN history's |N list.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
case $(uname -m) in
x86_64) ARCH=amd64 ;;
aarch64) ARCH=arm64 ;;
*) skip "no GOARCH name for $(uname -m) here" ;;
esac

# The base image has no Env: BuildKit puts the default PATH in the config.
ctx c
printf 'FROM busybox:test\n' >c/Dockerfile
build -t env:bare c
eq "Env of FROM busybox:test" "$(cfg env:bare .Env)" "[\"PATH=$DEFAULT_PATH\"]"

# ENV forms.
echo f >c/f.txt
cat >c/Dockerfile <<'EOF'
FROM busybox:test
ENV A=1 B="two words" C=three\ words
ENV D 4 and  more   spaces
ENV E=$A-${B} F="${A}x" G='$A' H=${UNDEFINED:-fallback} I=${A:+alt}
ENV PATH=/opt/bin:$PATH
ENV A=override
WORKDIR /w/$A
COPY f.txt /env/$E/
LABEL env=$E
USER ${A}
USER root
RUN echo "$A|$B|$C|$D|$E|$F|$G|$H|$I" > /env/out
EOF
build -t env:forms c
eq "Env" "$(cfg env:forms .Env)" \
	"[\"PATH=/opt/bin:$DEFAULT_PATH\",\"A=override\",\"B=two words\",\"C=three words\",\"D=4 and  more   spaces\",\"E=1-two words\",\"F=1x\",\"G=\$A\",\"H=fallback\",\"I=alt\"]"
eq "WorkingDir" "$(cfg env:forms .WorkingDir)" /w/override
eq "Labels" "$(cfg env:forms .Labels)" '{"env":"1-two words"}'
eq "/env/out" "$(crun env:forms cat /env/out)" \
	'override|two words|three words|4 and  more   spaces|1-two words|1x|$A|fallback|alt'
eq "COPY to /env/\$E/" "$(crun env:forms cat "/env/1-two words/f.txt")" f
history env:forms | head -n 5 >"$T/history"
cat >"$T/want" <<'EOF'
ENV A=1 B=two words C=three words	true
ENV D=4 and  more   spaces	true
ENV E=1-two words F=1x G=$A H=fallback I=alt	true
ENV PATH=/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin	true
ENV A=override	true
EOF
diff -u "$T/want" "$T/history" || fail "ENV history differs"

# Global ARGs: in FROM; in a stage only when redeclared (taking the global
# value, or a new default).
cat >c/Dockerfile <<'EOF'
ARG BASE=busybox:test
ARG GLOBAL=g1
ARG NOTREDECLARED=nr

FROM ${BASE} AS first
ARG GLOBAL
RUN echo "global=$GLOBAL notredeclared=$NOTREDECLARED" > /args.txt

FROM $BASE
ARG GLOBAL=local-default
ARG NOTREDECLARED
ENV FROM_ARG=$GLOBAL NR=$NOTREDECLARED
LABEL global=$GLOBAL
COPY --from=first /args.txt /
EOF
build -t env:global c
eq "/args.txt" "$(crun env:global cat /args.txt)" "global=g1 notredeclared="
eq "Env" "$(cfg env:global .Env)" "[\"PATH=$DEFAULT_PATH\",\"FROM_ARG=local-default\",\"NR=nr\"]"
eq "Labels" "$(cfg env:global .Labels)" '{"global":"local-default"}'
# a --build-arg overrides the global default, also in FROM
build --build-arg GLOBAL=from-cli -t env:global-cli c
eq "/args.txt with --build-arg" "$(crun env:global-cli cat /args.txt)" \
	"global=from-cli notredeclared="
eq "Labels with --build-arg" "$(cfg env:global-cli .Labels)" '{"global":"from-cli"}'

# Defaults, --build-arg K=V and K (the value from the environment), a
# redeclared ARG, ENV beating ARG, an unused --build-arg warned about.
cat >c/Dockerfile <<'EOF'
FROM busybox:test
ARG A=default-a
ARG B
ARG C=c
ARG UNSET
ARG FROMENV
ENV ENV_A=$A ENV_B=${B:-unset} ENV_UNSET=${UNSET:-unset}
RUN echo "$A $B $C [$UNSET] $FROMENV" > /abc
ARG A=redefined
RUN echo "$A" > /a2
ENV C=from-env
RUN echo "$C" > /c-env-wins
LABEL c=$C b=$B
EOF
FROMENV=from-environment build --build-arg B=from-cli --build-arg "C=cli c with spaces" \
	--build-arg FROMENV --build-arg NOTDECLARED=x -t env:args c
in_file "$T/err" NOTDECLARED
eq "/abc" "$(crun env:args cat /abc)" "default-a from-cli cli c with spaces [] from-environment"
eq "/a2" "$(crun env:args cat /a2)" redefined
eq "/c-env-wins" "$(crun env:args cat /c-env-wins)" from-env
eq "Env" "$(cfg env:args .Env)" \
	"[\"PATH=$DEFAULT_PATH\",\"ENV_A=default-a\",\"ENV_B=from-cli\",\"ENV_UNSET=unset\",\"C=from-env\"]"
eq "Labels" "$(cfg env:args .Labels)" '{"b":"from-cli","c":"from-env"}'
history env:args >"$T/history"
cat >"$T/want" <<'EOF'
ARG A=default-a	true
ARG B=from-cli	true
ARG C=cli c with spaces	true
ARG UNSET	true
ARG FROMENV=from-environment	true
ENV ENV_A=default-a ENV_B=from-cli ENV_UNSET=unset	true
RUN |5 A=default-a B=from-cli C=cli c with spaces UNSET= FROMENV=from-environment /bin/sh -c echo "$A $B $C [$UNSET] $FROMENV" > /abc # buildkit	false
ARG A=redefined	true
RUN |5 A=redefined B=from-cli C=cli c with spaces UNSET= FROMENV=from-environment /bin/sh -c echo "$A" > /a2 # buildkit	false
ENV C=from-env	true
RUN |5 A=redefined B=from-cli C=from-env UNSET= FROMENV=from-environment /bin/sh -c echo "$C" > /c-env-wins # buildkit	false
LABEL c=from-env b=from-cli	true
EOF
# Docker 20.10's BuildKit (v0.8, tests/data/buildkit-build/009) writes an
# ARG as the Dockerfile has it (never the --build-arg value) and lists a
# redeclared ARG twice in RUN's |N.
cat >"$T/want-v0.8" <<'EOF'
ARG A=default-a	true
ARG B	true
ARG C=c	true
ARG UNSET	true
ARG FROMENV	true
ENV ENV_A=default-a ENV_B=from-cli ENV_UNSET=unset	true
RUN |5 A=default-a B=from-cli C=cli c with spaces UNSET= FROMENV=from-environment /bin/sh -c echo "$A $B $C [$UNSET] $FROMENV" > /abc # buildkit	false
ARG A=redefined	true
RUN |6 A=redefined B=from-cli C=cli c with spaces UNSET= FROMENV=from-environment A=redefined /bin/sh -c echo "$A" > /a2 # buildkit	false
ENV C=from-env	true
RUN |6 A=redefined B=from-cli C=from-env UNSET= FROMENV=from-environment A=redefined /bin/sh -c echo "$C" > /c-env-wins # buildkit	false
LABEL c=from-env b=from-cli	true
EOF
one_of "ARG history" "$T/history" "$T/want" "$T/want-v0.8"

# The predefined platform ARGs: seen only when declared.
cat >c/Dockerfile <<'EOF'
FROM busybox:test AS nodecl
RUN echo "[$TARGETPLATFORM][$TARGETOS][$TARGETARCH][$BUILDPLATFORM]" > /nodecl

FROM busybox:test
ARG TARGETPLATFORM
ARG TARGETOS
ARG TARGETARCH
ARG TARGETVARIANT
ARG BUILDPLATFORM
ARG BUILDOS
ARG BUILDARCH
RUN echo "$TARGETPLATFORM $TARGETOS $TARGETARCH [$TARGETVARIANT] $BUILDPLATFORM $BUILDOS $BUILDARCH" > /platform
LABEL arch=$TARGETARCH
COPY --from=nodecl /nodecl /
EOF
build -t env:platform c
eq "/platform" "$(crun env:platform cat /platform)" \
	"linux/$ARCH linux $ARCH [] linux/$ARCH linux $ARCH"
eq "/nodecl" "$(crun env:platform cat /nodecl)" "[][][][]"
eq "Labels" "$(cfg env:platform .Labels)" "{\"arch\":\"$ARCH\"}"
history env:platform | grep -F 'ARG TARGETARCH' >"$T/history" || true
printf 'ARG TARGETARCH=%s\ttrue\n' "$ARCH" >"$T/want"
printf 'ARG TARGETARCH\ttrue\n' >"$T/want-v0.8"
one_of "ARG TARGETARCH history" "$T/history" "$T/want" "$T/want-v0.8"

# Proxy build args: in RUN's environment without an ARG, never in the
# history, no "unused" warning.
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN echo "$HTTP_PROXY|$http_proxy|$NO_PROXY|$no_proxy" > /proxy
EOF
build --build-arg HTTP_PROXY=http://proxy.invalid:3128 --build-arg no_proxy=example.invalid \
	-t env:proxy c
eq "/proxy" "$(crun env:proxy cat /proxy)" \
	"http://proxy.invalid:3128|http://proxy.invalid:3128|example.invalid|example.invalid"
! grep -i warn "$T/err" | grep -qi proxy || fail "a warning about a proxy build arg: $(cat "$T/err")"
eq "proxy history" "$(history env:proxy)" \
	'RUN /bin/sh -c echo "$HTTP_PROXY|$http_proxy|$NO_PROXY|$no_proxy" > /proxy # buildkit	false'
finish
