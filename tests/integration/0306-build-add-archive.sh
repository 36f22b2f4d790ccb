#!/bin/bash
# ADD of a local tar archive extracts it (plain, gzip, bzip2, xz, zstd
# recognised by content, not by name) into the destination directory,
# keeping the archive's modes and owners; a file that only looks like an
# archive by name is copied as is, and COPY never extracts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"
for t in bzip2 xz zstd; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done

ctx c
mkdir -p "$T/arch/top/sub"
echo f >"$T/arch/top/f"
echo s >"$T/arch/top/sub/s"
chmod 0750 "$T/arch/top/sub"
tar -C "$T/arch" --numeric-owner --owner=1000 --group=10 -cf c/plain.tar top
gzip -c c/plain.tar >c/a.tar.gz
bzip2 -c c/plain.tar >c/a.tar.bz2
xz -c c/plain.tar >c/a.tar.xz
zstd -q -c c/plain.tar >c/a.tar.zst
cp c/a.tar.gz c/gz-named-oddly.bin
echo "not a tar" >c/fake.tar.gz
cat >c/Dockerfile <<'EOF'
FROM busybox:test
ADD plain.tar /plain/
ADD a.tar.gz /gz/
ADD a.tar.bz2 /bz2/
ADD a.tar.xz /xz/
ADD a.tar.zst /zst/
ADD gz-named-oddly.bin /odd
ADD fake.tar.gz /fake/
COPY a.tar.gz /copied/
EOF
build -t add:archives c
for d in plain gz bz2 xz zst odd; do
	crun add:archives sh -c "cd /$d && find . | sort && cat top/f top/sub/s &&
		stat -c '%a %u:%g' top/sub top/f" >"$T/got"
	printf '.\n./top\n./top/f\n./top/sub\n./top/sub/s\nf\ns\n750 1000:10\n644 1000:10\n' >"$T/want"
	diff -u "$T/want" "$T/got" || fail "ADD of the archive into /$d"
done
eq "/fake/fake.tar.gz (not an archive)" "$(crun add:archives cat /fake/fake.tar.gz)" "not a tar"
eq "COPY of an archive" "$(crun add:archives sh -c 'cd /copied && find . | sort | tr "\n" " "')" \
	". ./a.tar.gz "
# A compressed file that holds no tar is copied as it is (Docker's IsArchive:
# the first tar header must read), not unpacked.
ctx g
echo "just text" | gzip >g/notes.txt.gz
printf 'FROM busybox:test\nADD notes.txt.gz /n/\n' >g/Dockerfile
build -t add:gzip-text g
eq "/n/notes.txt.gz (gzipped text, kept)" \
	"$(crun add:gzip-text sh -c 'ls /n && gzip -dc /n/notes.txt.gz')" "notes.txt.gz
just text"
finish
