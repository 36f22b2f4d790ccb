#!/bin/bash
# COPY (and ADD of a local plain file) as BuildKit does them: a file, a
# directory's contents, globs, several sources into dir/, a relative
# destination under WORKDIR, a destination through symlinks, dangling ones
# too (resolved in the image's root, never on the host), --chown by name and by number,
# --chmod octal, heredoc sources, --from a stage and an image,
# .dockerignore (an excluded source, one re-included with !), the errors
# for a missing or an excluded source; modes and mtimes kept; BuildKit's
# history text.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

# The image's directory that symlinks in destinations point to; the host
# has no such directory, and must not have one after the build.
REAL=/cbuild-test-copy-$$
[ ! -e "$REAL" ] || fail "$REAL exists on the host"

ctx c
echo a >c/a.txt
echo b >c/b.txt
echo c >c/c.md
printf '#!/bin/sh\necho script\n' >c/script.sh
chmod 0755 c/script.sh
echo private >c/private.txt
chmod 0600 c/private.txt
mkdir -p c/dir/sub c/dir/empty
echo d1 >c/dir/d1
echo s >c/dir/sub/s
echo secret >c/secret.key
echo keep >c/keep.key
mkdir -p c/ignored-dir
echo x >c/ignored-dir/x
printf '*.key\n!keep.key\nignored-dir\n' >c/.dockerignore
cat >c/Dockerfile <<EOF
FROM busybox:test AS st
RUN echo from-stage > /stagefile

FROM busybox:test
ARG V=v1
COPY a.txt /file-a
COPY script.sh private.txt /modes/
COPY dir /dst-dir
COPY *.txt /globbed/
COPY a.txt b.txt c.md /multi/
WORKDIR /wd
COPY a.txt rel/
COPY a.txt rel-file
RUN mkdir -p $REAL /deep/er && ln -s $REAL /link && ln -s ../../../../..$REAL /deep/er/up
COPY a.txt /link/through-abs
COPY b.txt /deep/er/up/through-rel
COPY --chown=user:wheel a.txt /own-names
COPY --chown=1001:10 a.txt /own-ids
COPY --chown=user a.txt /own-user-only
COPY --chown=other dir /own-dir
COPY --chmod=0640 a.txt /mode640
COPY --chmod=755 dir /mode-dir
COPY <<EOT /heredoc.txt
hello \$V
EOT
COPY <<"EOT" /heredoc-quoted.txt
hello \$V
EOT
COPY --from=st /stagefile /from-stage
COPY --from=busybox:test /etc/passwd /from-image
COPY . /ctx/
ADD a.txt /added
EOF
touch -d @1577836800 c/a.txt
build -t copy:all c
[ ! -e "$REAL" ] || {
	rm -rf "$REAL"
	fail "COPY through a symlink wrote $REAL on the host"
}

# Every file, with mode, owner and content.
crun copy:all sh -c 'cd / && find file-a modes dst-dir globbed multi wd '"${REAL#/}"' own-names \
	own-ids own-user-only own-dir mode640 mode-dir heredoc.txt heredoc-quoted.txt from-stage \
	from-image added | sort | while read -r f; do
		if [ -f "$f" ]; then
			echo "$f $(stat -c "%a %u:%g" "$f") $(cat "$f" | head -n 1)"
		else
			echo "$f/ $(stat -c "%a %u:%g" "$f")"
		fi
	done' | LC_ALL=C sort >"$T/files"
LC_ALL=C sort >"$T/want" <<EOF
added 644 0:0 a
dst-dir/ 755 0:0
dst-dir/d1 644 0:0 d1
dst-dir/empty/ 755 0:0
dst-dir/sub/ 755 0:0
dst-dir/sub/s 644 0:0 s
file-a 644 0:0 a
from-image 644 0:0 root:x:0:0:root:/root:/bin/sh
from-stage 644 0:0 from-stage
globbed/ 755 0:0
globbed/a.txt 644 0:0 a
globbed/b.txt 644 0:0 b
globbed/private.txt 600 0:0 private
heredoc-quoted.txt 644 0:0 hello \$V
heredoc.txt 644 0:0 hello v1
mode-dir/ 755 0:0
mode-dir/d1 755 0:0 d1
mode-dir/empty/ 755 0:0
mode-dir/sub/ 755 0:0
mode-dir/sub/s 755 0:0 s
mode640 640 0:0 a
modes/ 755 0:0
modes/private.txt 600 0:0 private
modes/script.sh 755 0:0 #!/bin/sh
multi/ 755 0:0
multi/a.txt 644 0:0 a
multi/b.txt 644 0:0 b
multi/c.md 644 0:0 c
own-dir/ 755 1001:10
own-dir/d1 644 1001:10 d1
own-dir/empty/ 755 1001:10
own-dir/sub/ 755 1001:10
own-dir/sub/s 644 1001:10 s
own-ids 644 1001:10 a
own-names 644 1000:10 a
own-user-only 644 1000:1000 a
${REAL#/}/ 755 0:0
${REAL#/}/through-abs 644 0:0 a
${REAL#/}/through-rel 644 0:0 b
wd/ 755 0:0
wd/rel/ 755 0:0
wd/rel-file 644 0:0 a
wd/rel/a.txt 644 0:0 a
EOF
diff -u "$T/want" "$T/files" || fail "the copied files differ"
# the symlinks in the destination paths are still symlinks
eq "/link" "$(crun copy:all readlink /link)" "$REAL"

# COPY . takes the context minus .dockerignore, keep.key re-included by !.
crun copy:all sh -c 'cd /ctx && find . | sort' >"$T/ctx"
in_file "$T/ctx" ./keep.key
in_file "$T/ctx" ./a.txt
in_file "$T/ctx" ./dir/sub/s
not_in_file "$T/ctx" secret.key
not_in_file "$T/ctx" ignored-dir/x

# A copied file keeps its mtime (the context's), in the layer too.
eq "mtime of /file-a" "$(crun copy:all stat -c %Y /file-a)" 1577836800
layer_verbose copy:all 1 >"$T/l1"
grep -q ' 2020-01-01 00:00 file-a$' "$T/l1" || fail "file-a's mtime in layer 1: $(cat "$T/l1")"
# the layer of COPY a.txt /file-a holds that file only
eq "layer 1" "$(layer_entries copy:all 1)" file-a

# History: BuildKit's text (COPY --from shows no --from; a heredoc source
# is <<NAME).  Current BuildKit shows --chown and --chmod, Docker 20.10's
# (v0.8, tests/data/buildkit-build NOTES.md) drops every flag.
history copy:all | grep -E '^(COPY|ADD)' >"$T/history"
cat >"$T/want" <<'EOF'
COPY a.txt /file-a # buildkit	false
COPY script.sh private.txt /modes/ # buildkit	false
COPY dir /dst-dir # buildkit	false
COPY *.txt /globbed/ # buildkit	false
COPY a.txt b.txt c.md /multi/ # buildkit	false
COPY a.txt rel/ # buildkit	false
COPY a.txt rel-file # buildkit	false
COPY a.txt /link/through-abs # buildkit	false
COPY b.txt /deep/er/up/through-rel # buildkit	false
COPY --chown=user:wheel a.txt /own-names # buildkit	false
COPY --chown=1001:10 a.txt /own-ids # buildkit	false
COPY --chown=user a.txt /own-user-only # buildkit	false
COPY --chown=other dir /own-dir # buildkit	false
COPY --chmod=0640 a.txt /mode640 # buildkit	false
COPY --chmod=755 dir /mode-dir # buildkit	false
COPY <<EOT /heredoc.txt # buildkit	false
COPY <<EOT /heredoc-quoted.txt # buildkit	false
COPY /stagefile /from-stage # buildkit	false
COPY /etc/passwd /from-image # buildkit	false
COPY . /ctx/ # buildkit	false
ADD a.txt /added # buildkit	false
EOF
sed -E 's/ --ch(own|mod)=[^ ]*//g' "$T/want" >"$T/want-v0.8"
one_of "COPY history" "$T/history" "$T/want" "$T/want-v0.8"

# A destination through dangling symlinks: BuildKit (fsutil copy: RootPath,
# then MkdirAll) makes their targets inside the image.  The absolute target
# is a directory of the host (this test's), which must stay empty.
mkdir "$T/host-only"
cat >c/Dockerfile <<EOF
FROM busybox:test
RUN ln -s $T/host-only /to-host-dir && ln -s /nonexistent/deeper /to-missing-file
COPY c.md /to-host-dir/
COPY a.txt /to-missing-file
EOF
build -t copy:dangling c
[ -z "$(ls -A "$T/host-only")" ] || fail "COPY wrote on the host: $(ls -A "$T/host-only")"
eq "the image's $T/host-only/c.md" "$(crun copy:dangling cat "$T/host-only/c.md")" c
eq "/nonexistent/deeper" "$(crun copy:dangling cat /nonexistent/deeper)" a
eq "/to-missing-file" "$(crun copy:dangling readlink /to-missing-file)" /nonexistent/deeper

# Errors that name the source: missing, excluded by .dockerignore, a
# directory excluded as a whole.
for src in missing.txt secret.key ignored-dir/x; do
	printf 'FROM busybox:test\nCOPY a.txt /ok\nCOPY %s /dst\n' "$src" >c/Dockerfile
	build_fails 1 -t copy:bad c
	in_file "$T/err" "$src"
	in_file "$T/err" "Dockerfile:3"
done
finish
