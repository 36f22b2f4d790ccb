#!/bin/bash
# cbuild build's command line as docker users type it: the bare form,
# --root before or after the command (or $CBUILD_ROOT), flags after
# CONTEXT, -f FILE, -f - (the Dockerfile on stdin), a context of - (a tar,
# also gzipped, on stdin), -t repeated, --label, -q, --iidfile,
# --metadata-file, --platform, and exit 2 for usage errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
echo from-context >c/f.txt
cat >c/Dockerfile <<'EOF'
FROM busybox:test
COPY f.txt /f.txt
RUN echo "dockerfile: context" >/which
EOF

# The build subcommand, with --root before it.
build --progress plain -t cli:one c
eq "/f.txt of cli:one" "$(crun cli:one cat /f.txt)" from-context
eq "/which of cli:one" "$(crun cli:one cat /which)" "dockerfile: context"
layers=$(insp cli:one '.RootFS.Layers | join(",")')

# The bare form (a first argument that is a flag means build), and --root
# after the command or in $CBUILD_ROOT.
"$CBUILD" --root "$ROOT" -t cli:bare c 2>"$T/err" || fail "the bare form failed: $(cat "$T/err")"
eq "layers of the bare form's image" "$(insp cli:bare '.RootFS.Layers | join(",")')" "$layers"
"$CBUILD" build --root "$ROOT" -t cli:after c 2>"$T/err" ||
	fail "--root after the command failed: $(cat "$T/err")"
eq "layers with --root after build" "$(insp cli:after '.RootFS.Layers | join(",")')" "$layers"
CBUILD_ROOT=$ROOT "$CBUILD" build -t cli:env c 2>"$T/err" ||
	fail "CBUILD_ROOT failed: $(cat "$T/err")"
eq "layers with CBUILD_ROOT" "$(insp cli:env '.RootFS.Layers | join(",")')" "$layers"

# Flags after CONTEXT, as `docker build . -t app` takes them.
"$CBUILD" --root "$ROOT" build c -t cli:flags-after --label after=yes 2>"$T/err" ||
	fail "flags after CONTEXT failed: $(cat "$T/err")"
eq "label given after CONTEXT" "$(cfg cli:flags-after .Labels.after)" yes
"$CBUILD" c -t cli:bare-after --root "$ROOT" 2>"$T/err" ||
	fail "the bare form with flags after CONTEXT failed: $(cat "$T/err")"
eq "layers of cli:bare-after" "$(insp cli:bare-after '.RootFS.Layers | join(",")')" "$layers"

# -f FILE: a Dockerfile outside the context; COPY still reads the context.
cat >"$T/other.Dockerfile" <<'EOF'
FROM busybox:test
COPY f.txt /copied.txt
RUN echo "dockerfile: -f" >/which
EOF
build -f "$T/other.Dockerfile" -t cli:file c
eq "/which with -f" "$(crun cli:file cat /which)" "dockerfile: -f"
eq "/copied.txt with -f" "$(crun cli:file cat /copied.txt)" from-context

# -f -: the Dockerfile on stdin, the context a directory.
printf 'FROM busybox:test\nCOPY f.txt /stdin-df.txt\nRUN echo "dockerfile: stdin" >/which\n' |
	build -f - -t cli:stdin-df c
eq "/which with -f -" "$(crun cli:stdin-df cat /which)" "dockerfile: stdin"
eq "/stdin-df.txt with -f -" "$(crun cli:stdin-df cat /stdin-df.txt)" from-context

# A context of -: a tar on stdin, its Dockerfile at the root.
mkdir -p tarctx/sub
echo in-tar >tarctx/sub/t.txt
printf 'FROM busybox:test\nCOPY sub/t.txt /t.txt\n' >tarctx/Dockerfile
tar -C tarctx -cf - . | build -t cli:tarctx -
eq "/t.txt from a tar context" "$(crun cli:tarctx cat /t.txt)" in-tar
# ... also a gzip-compressed one, as docker build - < ctx.tar.gz
tar -C tarctx -czf - . | build -t cli:tgzctx -
eq "/t.txt from a tar.gz context" "$(crun cli:tgzctx cat /t.txt)" in-tar

# Both the Dockerfile and the context on stdin cannot be.
build_fails 2 -f - -t cli:both - </dev/null

# -t repeated: every name; --label: into the config.
build -t cli:a -t cli:b --label org.example.from=cli --label "with space=a b" c
eq "cli:a and cli:b" "$(insp cli:a .Id)" "$(insp cli:b .Id)"
eq "label from --label" "$(cfg cli:a '.Labels["org.example.from"]')" cli
eq "label with a space" "$(cfg cli:a '.Labels["with space"]')" "a b"

# -q: only the image ID on stdout, no progress anywhere.
build -q -t cli:quiet c
grep -qxE 'sha256:[0-9a-f]{64}' "$T/out" || fail "-q printed: $(cat "$T/out")"
eq "lines printed by -q" "$(wc -l <"$T/out")" 1
eq "-q's ID" "$(cat "$T/out")" "$(insp cli:quiet .Id)"
not_in_file "$T/err" "#1"

# --iidfile and --metadata-file.
build --iidfile "$T/iid" --metadata-file "$T/md.json" -t cli:meta c
eq "--iidfile" "$(cat "$T/iid")" "$(insp cli:meta .Id)"
jq -e . "$T/md.json" >/dev/null || fail "--metadata-file is not JSON: $(cat "$T/md.json")"
eq "containerimage.config.digest" "$(jq -r '."containerimage.config.digest"' "$T/md.json")" \
	"$(insp cli:meta .Id)"
eq "containerimage.digest" "$(jq -r '."containerimage.digest"' "$T/md.json")" \
	"$(insp cli:meta .Digest)"
eq "containerimage.descriptor.digest" \
	"$(jq -r '."containerimage.descriptor".digest' "$T/md.json")" "$(insp cli:meta .Digest)"
eq "containerimage.descriptor.mediaType" \
	"$(jq -r '."containerimage.descriptor".mediaType' "$T/md.json")" \
	"$(insp cli:meta .ManifestMediaType)"
# the descriptor's size is the manifest's (the store's: an OCI archive gzips a build's layers)
m=$(jq -r '."containerimage.digest"' "$T/md.json" | sed 's|:|/|')
eq "containerimage.descriptor.size" "$(jq -r '."containerimage.descriptor".size' "$T/md.json")" \
	"$(stat -c %s "$ROOT/blobs/$m")"

# --platform: the host's builds; another is an error naming it.
build --platform linux/amd64 -t cli:platform c
set +e
cb build --platform linux/arm64 -t cli:arm c >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" != 0 ] || fail "--platform linux/arm64 built"
in_file "$T/err" linux/arm64

# Usage errors exit 2 and build nothing.
before=$(image_list)
build_fails 2 --bogus-flag c
build_fails 2 -t cli:x
build_fails 2 -t cli:x c c
build_fails 2 --progress=fancy c
build_fails 2 --network=bridge c
build_fails 2 -o type=nope,dest=x c
build_fails 2 --jobs=x c
build_fails 2 --memory=lots c
build_fails 2 -t 'Not:A:Tag' c
eq "images after the usage errors" "$(image_list)" "$before"
finish
