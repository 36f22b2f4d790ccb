#!/bin/bash
# .dockerignore with exceptions (!): what COPY . sees is what BuildKit's
# context transfer sends (fsutil's filter): an excluded directory that
# nothing re-includes is not there at all, not even empty; a directory
# holding a re-included file is.  Docker's own BuildKit gave exactly the
# `want` list below for this context.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
mkdir -p c/build c/docs/draft c/logs c/nested/deep c/empty-excluded
for f in build/keep.o build/out.o docs/draft/x.md docs/readme.md keep.txt logs/a.log \
	logs/important.log nested/deep/file.tmp nested/deep/file.txt secret.key top.tmp; do
	echo "$f" >"c/$f"
done
cat >c/.dockerignore <<'EOF'
# comment
*.key
logs/*.log
!logs/important.log
docs/draft
**/*.tmp
build
!build/keep.o
empty-excluded
EOF
printf 'FROM busybox:test\nCOPY . /ctx\n' >c/Dockerfile
build -t ignore:ctx c
crun ignore:ctx find /ctx | LC_ALL=C sort >"$T/got"
cat >"$T/want" <<'EOF'
/ctx
/ctx/.dockerignore
/ctx/Dockerfile
/ctx/build
/ctx/build/keep.o
/ctx/docs
/ctx/docs/readme.md
/ctx/keep.txt
/ctx/logs
/ctx/logs/important.log
/ctx/nested
/ctx/nested/deep
/ctx/nested/deep/file.txt
EOF
diff -u "$T/want" "$T/got" || fail "COPY . saw other files than BuildKit's context"

# The same without any exception: excluded directories are skipped whole.
printf 'docs/draft\nbuild\n*.tmp\n' >c/.dockerignore
build -t ignore:plain c
crun ignore:plain find /ctx/docs /ctx/nested | LC_ALL=C sort >"$T/got"
printf '/ctx/docs\n/ctx/docs/readme.md\n/ctx/nested\n/ctx/nested/deep\n/ctx/nested/deep/file.tmp\n/ctx/nested/deep/file.txt\n' >"$T/want"
diff -u "$T/want" "$T/got" || fail "COPY . with plain excludes"
set +e
cb run --rm ignore:plain ls -d /ctx/build >/dev/null 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "/ctx/build (excluded) is in the image"
finish
