#!/bin/bash
# COPY's newer flags, as current BuildKit (dockerfile 1.7+) does them:
# --parents (keeps the source's parent directories; ./ marks where they
# start), --exclude (patterns left out of the copy), --link (the same
# files), --chmod in symbolic form.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
mkdir -p c/a/b c/x/y c/src/docs
echo 1 >c/a/b/c.txt
echo 2 >c/a/d.md
echo 3 >c/x/y/z.txt
echo 4 >c/src/main.c
echo 5 >c/src/docs/readme.md
echo 6 >c/src/notes.md
cat >c/Dockerfile <<'EOF'
FROM busybox:test
COPY --parents a/b/c.txt x/y/z.txt /p/
COPY --parents ./x/./y/*.txt /pivot/
COPY --exclude=*.md --exclude=docs src /e/
COPY --link a/b/c.txt /linked
COPY --chmod=u=rwx,go=r a/b/c.txt /sym
EOF
build -t flags:x c
crun flags:x sh -c 'find /p /pivot /e /linked | sort; stat -c %a /sym' >"$T/got"
cat >"$T/want" <<'EOF'
/e
/e/main.c
/linked
/p
/p/a
/p/a/b
/p/a/b/c.txt
/p/x
/p/x/y
/p/x/y/z.txt
/pivot
/pivot/y
/pivot/y/z.txt
744
EOF
diff -u "$T/want" "$T/got" || fail "the files COPY's flags made differ"
eq "/p/x/y/z.txt" "$(crun flags:x cat /p/x/y/z.txt)" 3
history flags:x >"$T/history"
cat >"$T/want" <<'EOF'
COPY --parents a/b/c.txt x/y/z.txt /p/ # buildkit	false
COPY --parents ./x/./y/*.txt /pivot/ # buildkit	false
COPY src /e/ # buildkit	false
COPY a/b/c.txt /linked # buildkit	false
COPY --chmod=u=rwx,go=r a/b/c.txt /sym # buildkit	false
EOF
sed -E 's/ --(parents|chmod=[^ ]*)//g' "$T/want" >"$T/want-v0.8"
one_of "history" "$T/history" "$T/want" "$T/want-v0.8"
finish
