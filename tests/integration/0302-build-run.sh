#!/bin/bash
# RUN as BuildKit runs it: shell form through SHELL, exec form, heredocs
# (run by the shell, fed to a command, several at once, <<- chomping), the
# environment (config Env + ARGs), USER and WORKDIR; the layer holds what
# the step changed (a deleted base file is a whiteout), a RUN that changes
# nothing adds nothing (empty_layer, or with Docker 20.10's BuildKit an
# empty layer); history created_by as BuildKit writes it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN echo shell form > /shell
RUN ["/bin/sh", "-c", "echo exec form > /exec"]
RUN ["touch", "/exec-no-shell"]
RUN ["sh", "-c", "echo $HOME $0 > /exec-var"]
RUN echo "quoted \"stuff\"" 'single' \
    continued > /continued
RUN set -e; \
    echo a > /multi; \
    # a comment line inside the continuation
    echo b >> /multi
RUN true
RUN rm /etc/group && rm -r /root
ARG V=1
RUN echo hi
ENV E=from-env
RUN <<EOT
echo heredoc1 > /heredoc
echo "heredoc2 $V $E" >> /heredoc
EOT
RUN <<EOT sh
echo "stdin script $V" > /stdin-sh
EOT
RUN <<A cat > /a && <<B cat > /b
first $E
A
second
B
RUN <<-EOT
	echo tabbed > /tabbed
	EOT
RUN env > /env.txt
SHELL ["/bin/sh", "-ec"]
RUN echo one > /one
SHELL ["/bin/busybox", "sh", "-c"]
RUN echo two > /two
RUN ["/bin/sh", "-c", "echo exec ignores SHELL > /three"]
USER user
WORKDIR /home/user/work
RUN id -u > /tmp/uid && id -g > /tmp/gid && pwd > /tmp/pwd && touch /tmp/owned
EOF
build --progress plain -t run:forms c

# What the steps made.
crun run:forms sh -c 'cat /shell /exec /exec-var /continued /multi /heredoc /stdin-sh /a /b \
	/tabbed /one /two /three /tmp/uid /tmp/gid /tmp/pwd' >"$T/files"
cat >"$T/want" <<'EOF'
shell form
exec form
/root sh
quoted "stuff" single continued
a
b
heredoc1
heredoc2 1 from-env
stdin script 1
first from-env
second
tabbed
one
two
exec ignores SHELL
1000
1000
/home/user/work
EOF
diff -u "$T/want" "$T/files" || fail "the files RUN wrote differ"
crun run:forms test -f /exec-no-shell
eq "owner of /tmp/owned" "$(crun run:forms stat -c %u:%g /tmp/owned)" 1000:1000
eq "owner of WORKDIR made under USER user" "$(crun run:forms stat -c %u:%g /home/user/work)" 1000:1000

# The step environment: config Env, ARGs in scope, HOME, the default PATH.
crun run:forms cat /env.txt >"$T/env"
in_file "$T/env" "E=from-env"
in_file "$T/env" "V=1"
in_file "$T/env" "HOME=/root"
in_file "$T/env" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# The deleted base files are gone, through whiteouts in the RUN's layer.
set +e
cb run --rm run:forms ls /etc/group >/dev/null 2>&1
rc1=$?
cb run --rm run:forms ls /root >/dev/null 2>&1
rc2=$?
set -e
[ "$rc1" != 0 ] || fail "/etc/group survived rm in a RUN"
[ "$rc2" != 0 ] || fail "/root survived rm -r in a RUN"
crun run:forms test -f /etc/passwd

# History: one entry per instruction, BuildKit's text; a RUN that changed
# nothing (RUN true, RUN echo hi) adds nothing (its empty_layer flag is
# checked by no_change below).
history run:forms | sed -E '/^RUN (\|1 V=1 )?\/bin\/sh -c (true|echo hi) # buildkit\t/s/\t(true|false)$/\t-/' \
	>"$T/history"
cat >"$T/want" <<'EOF'
RUN /bin/sh -c echo shell form > /shell # buildkit	false
RUN /bin/sh -c echo exec form > /exec # buildkit	false
RUN touch /exec-no-shell # buildkit	false
RUN sh -c echo $HOME $0 > /exec-var # buildkit	false
RUN /bin/sh -c echo "quoted \"stuff\"" 'single'     continued > /continued # buildkit	false
RUN /bin/sh -c set -e;     echo a > /multi;     echo b >> /multi # buildkit	false
RUN /bin/sh -c true # buildkit	-
RUN /bin/sh -c rm /etc/group && rm -r /root # buildkit	false
ARG V=1	true
RUN |1 V=1 /bin/sh -c echo hi # buildkit	-
ENV E=from-env	true
RUN |1 V=1 /bin/sh -c echo heredoc1 > /heredoc
echo "heredoc2 $V $E" >> /heredoc
 # buildkit	false
RUN |1 V=1 /bin/sh -c <<EOT sh
echo "stdin script $V" > /stdin-sh
EOT # buildkit	false
RUN |1 V=1 /bin/sh -c <<A cat > /a && <<B cat > /b
first $E
A
second
B # buildkit	false
RUN |1 V=1 /bin/sh -c echo tabbed > /tabbed
 # buildkit	false
RUN |1 V=1 /bin/sh -c env > /env.txt # buildkit	false
SHELL [/bin/sh -ec]	true
RUN |1 V=1 /bin/sh -ec echo one > /one # buildkit	false
SHELL [/bin/busybox sh -c]	true
RUN |1 V=1 /bin/busybox sh -c echo two > /two # buildkit	false
RUN |1 V=1 /bin/sh -c echo exec ignores SHELL > /three # buildkit	false
USER user	true
WORKDIR /home/user/work	false
RUN |1 V=1 /bin/busybox sh -c id -u > /tmp/uid && id -g > /tmp/gid && pwd > /tmp/pwd && touch /tmp/owned # buildkit	false
EOF
diff -u "$T/want" "$T/history" || fail "history differs from BuildKit's"
eq "history comments" "$(insp run:forms '[.History[1:][].comment] | unique | join(",")')" \
	buildkit.dockerfile.v0
no_change run:forms "RUN /bin/sh -c true # buildkit"
no_change run:forms "RUN |1 V=1 /bin/sh -c echo hi # buildkit"
# one layer per non-empty history entry, the base's first
eq "layers" "$(layer_count run:forms)" \
	"$((1 + $(history run:forms | grep -c 'false$')))"
eq "the config's Shell" "$(cfg run:forms '.Shell | join(" ")')" "/bin/busybox sh -c"

# The layer of RUN echo shell form > /shell holds the new file and none of
# the base's files; the rm's layer holds the whiteouts.
layer_entries run:forms "$(layer_index run:forms 'RUN /bin/sh -c echo shell form > /shell # buildkit')" \
	>"$T/l1"
in_file "$T/l1" shell
not_in_file "$T/l1" bin/busybox
not_in_file "$T/l1" etc/passwd
layer_entries run:forms "$(layer_index run:forms 'RUN /bin/sh -c rm /etc/group && rm -r /root # buildkit')" \
	>"$T/lrm"
grep -qx 'etc/\.wh\.group' "$T/lrm" || fail "no etc/.wh.group in the rm's layer: $(cat "$T/lrm")"
grep -qx '\.wh\.root' "$T/lrm" || fail "no .wh.root in the rm's layer: $(cat "$T/lrm")"
[ "$(grep -c . "$T/lrm")" -le 3 ] ||
	fail "the rm's layer holds more than etc and 2 whiteouts: $(cat "$T/lrm")"
finish
