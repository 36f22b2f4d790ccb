#!/bin/bash
# RUN with a heredoc that starts with #!: BuildKit writes it to
# /dev/pipes/NAME (mode 0755, read-only mount) and runs it through the
# shell, `/bin/sh -c /dev/pipes/NAME` (dockerfile2llb dispatchRun: the
# shebang branch sets args to the file, then PrependShell wraps it), which
# is also the history text.  The file is not part of the image.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
cat >c/Dockerfile <<'EOF'
FROM busybox:test
ARG V=1
RUN <<EOT
#!/bin/sh -e
echo "shebang $0 $V" > /shebang
stat -c %a "$0" >> /shebang
EOT
SHELL ["/bin/sh", "-ec"]
RUN <<SCRIPT
#!/bin/busybox sh
echo "second $0" > /second
SCRIPT
EOF
build -t run:shebang c
eq "/shebang" "$(crun run:shebang cat /shebang)" "shebang /dev/pipes/EOT 1
755"
eq "/second" "$(crun run:shebang cat /second)" "second /dev/pipes/SCRIPT"
history run:shebang >"$T/history"
cat >"$T/want" <<'EOF'
ARG V=1	true
RUN |1 V=1 /bin/sh -c /dev/pipes/EOT # buildkit	false
SHELL [/bin/sh -ec]	true
RUN |1 V=1 /bin/sh -ec /dev/pipes/SCRIPT # buildkit	false
EOF
diff -u "$T/want" "$T/history" || fail "history differs from BuildKit's"
# the script is not left in the image
for n in 1 2; do
	layer_entries run:shebang "$n" >"$T/l$n"
	not_in_file "$T/l$n" "dev/pipes"
done
finish
