#!/bin/bash
# A context of - (a tar on stdin) with -f NAME: NAME is the Dockerfile's
# path inside the tar, as docs.docker.com/build/concepts/context/ says
# (`docker build --file test.Dockerfile - < foo.tar.gz`).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

mkdir -p tarctx/df
echo in-tar >tarctx/t.txt
printf 'FROM busybox:test\nCOPY t.txt /default.txt\n' >tarctx/Dockerfile
printf 'FROM busybox:test\nCOPY t.txt /alt.txt\n' >tarctx/df/alt.Dockerfile
# no file of that name in the working directory: only the tar has it
[ ! -e df/alt.Dockerfile ]
tar -C tarctx -cf - . | build -f df/alt.Dockerfile -t stdin:alt -
eq "/alt.txt" "$(crun stdin:alt cat /alt.txt)" in-tar
set +e
cb run --rm stdin:alt cat /default.txt >/dev/null 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "the tar's ./Dockerfile was built, not df/alt.Dockerfile"
tar -C tarctx -czf - . | build --file=df/alt.Dockerfile -t stdin:alt-gz -
eq "/alt.txt (gzip context)" "$(crun stdin:alt-gz cat /alt.txt)" in-tar
finish
