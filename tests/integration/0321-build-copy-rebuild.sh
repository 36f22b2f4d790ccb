#!/bin/bash
# Rebuilding COPY and ADD steps.  Once the stat cache knows the context's
# files, an unchanged source is checked without a plan (the key is hashed
# as the sources are walked): every form of the step must come out CACHED,
# that is with the key the first build made from its plan (a whole context
# with a re-included file in an excluded directory, several sources into
# one directory, --parents, --exclude, an archive ADD unpacks, a heredoc,
# --from a stage, --link).  A file touched with the same content is still
# cached; a changed, added or removed file is a miss that names it; a
# garbled explain file only explains less.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
mkdir -p c/app/sub/deep c/app/logs c/other
echo 1 >c/app/a.txt
echo 2 >c/app/sub/b.txt
echo 3 >c/app/sub/deep/c.txt
echo log >c/app/logs/x.log
echo keep >c/app/logs/keep.log
ln -s a.txt c/app/link
echo o >c/other/o.txt
tar -C c/other -czf c/arch.tgz o.txt
printf 'app/logs\n!app/logs/keep.log\n' >c/.dockerignore
cat >c/Dockerfile <<'EOF'
FROM busybox:test AS src
RUN mkdir -p /out/x && echo made >/out/x/m

FROM busybox:test
COPY . /ctx
COPY app/ other/ /multi/
COPY --parents ./app/./sub/deep/c.txt /parents/
COPY --exclude=*.txt app /excl
ADD arch.tgz /unpacked/
COPY <<EOT /heredoc.txt
hello
EOT
COPY --from=src /out /fromstage
COPY --link app/a.txt /linked/
EOF
STEPS=("COPY . /ctx" "COPY app/ other/ /multi/" "COPY --parents ./app/./sub/deep/c.txt /parents/"
	"COPY --exclude=*.txt app /excl" "ADD arch.tgz /unpacked/" "COPY <<EOT /heredoc.txt"
	"COPY --from=src /out /fromstage" "COPY --link app/a.txt /linked/")

# why TEXT: the reason the step TEXT missed the cache in the last build.
why() {
	sed -n "s/^#$(step_number "$1") cache miss: //p" "$T/err"
}

# rebuild: build c as rb, the plain progress in $T/err (statuses and why read it).
rebuild() {
	build --progress plain -t rb c
}

rebuild
eq "first build" "$(statuses)" "DONE DONE DONE DONE DONE DONE DONE DONE"
crun rb sh -c 'find /ctx/app /multi /parents /excl /unpacked /fromstage /linked | sort' >"$T/tree0"
in_file "$T/tree0" /ctx/app/logs/keep.log
not_in_file "$T/tree0" /ctx/app/logs/x.log

# Files changed within two seconds are not remembered: age them, then a
# build fills the stat cache, and the next one checks without a plan.
sleep 2.2
rebuild
eq "second build" "$(statuses)" "CACHED CACHED CACHED CACHED CACHED CACHED CACHED CACHED"
cache=$(ls "$ROOT"/aux/statcache-*)
[ "$(head -c 8 "$cache")" = cbstat02 ] || fail "no stat cache: $(ls -l "$ROOT/aux")"
rebuild
eq "third build (streamed keys)" "$(statuses)" "CACHED CACHED CACHED CACHED CACHED CACHED CACHED CACHED"

# touched, same content: hashed again, still cached
touch c/app/a.txt c/arch.tgz
rebuild
eq "after touch" "$(statuses)" "CACHED CACHED CACHED CACHED CACHED CACHED CACHED CACHED"

# a changed file: named by the first step that copies it, the later ones
# miss because of it (but --link, whose key is its own)
echo three >c/app/sub/deep/c.txt
rebuild
eq "after a change" "$(statuses)" "DONE DONE DONE DONE DONE DONE DONE CACHED"
eq "why COPY ." "$(why "COPY . /ctx")" 'file `/ctx/app/sub/deep/c.txt` changed'
eq "why COPY multi" "$(why "COPY app/ other/ /multi/")" "an earlier step changed"
eq "/ctx/app/sub/deep/c.txt" "$(crun rb cat /ctx/app/sub/deep/c.txt)" three

# added, removed
echo new >c/app/new.txt
rebuild
eq "why COPY . (added)" "$(why "COPY . /ctx")" 'file `/ctx/app/new.txt` was added'
rm c/app/sub/b.txt
rebuild
eq "why COPY . (removed)" "$(why "COPY . /ctx")" 'file `/ctx/app/sub/b.txt` was removed'
eq "why --exclude" "$(why "COPY --exclude=*.txt app /excl")" "an earlier step changed"

# a garbled or torn explain file: no crash, the miss is just not explained
explain=$(ls "$ROOT"/aux/explain-*)
head -c 4000 /dev/urandom >"$explain"
echo four >c/app/a.txt
rebuild
eq "why with a garbled file" "$(why "COPY . /ctx")" "no earlier build of this step"
echo five >c/app/a.txt
rebuild
eq "why after it was rewritten" "$(why "COPY . /ctx")" 'file `/ctx/app/a.txt` changed'
size=$(stat -c %s "$explain")
head -c $((size - 9)) "$explain" >"$T/torn" && cp "$T/torn" "$explain"
echo six >c/app/a.txt
rebuild
eq "why with a torn file" "$(why "COPY . /ctx")" 'file `/ctx/app/a.txt` changed'

cb fsck >"$T/fsck" 2>&1 || fail "fsck after the builds: $(cat "$T/fsck")"
finish
