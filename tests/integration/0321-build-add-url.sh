#!/bin/bash
# ADD <http url>: files served by busybox httpd on 127.0.0.1 (a CGI script
# for the responses a plain file cannot give).  What Docker 20.10.24's
# BuildKit (v0.8) did with the same Dockerfiles and server (a private
# dockerd, `docker build`, layers read from `docker save`):
#  - ADD URL /d/ makes /d/a.txt, ADD URL /f.txt makes /f.txt: mode 0600,
#    owner 0:0, mtime = Last-Modified; --chown=5:6 applies (to the made
#    directory too); a new directory is 0755 with the build's time;
#  - no Last-Modified header: mtime 0 (the epoch);
#  - Content-Disposition is ignored: the name is the URL path's last element
#    (the frontend always names the file), "__unnamed__" for "/"; after a
#    redirect the name is still the first URL's, the mtime the last
#    response's;
#  - a .tar.gz URL is not unpacked;
#  - errors: "invalid response status 404", a redirect to ftp:// fails
#    (unsupported protocol scheme "ftp"), connection refused fails; COPY of
#    a URL: "source can't be a URL for COPY";
#  - a rebuild with the same content is CACHED, also when only the file's
#    mtime (Last-Modified) changed (the old mtime stays in the cached layer);
#    a changed content misses;
#  - --chmod on a URL source was ignored by 20.10's frontend (v0.8) and is
#    applied since BuildKit v0.9: cbuild applies it; --checksum is newer
#    than 20.10 (dockerfile 1.5-labs, 1.6 stable): checked against
#    BuildKit's source only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

WWW=$T/www
mkdir -p "$WWW/cgi-bin" "$WWW/dir"
echo hello >"$WWW/a.txt"
touch -d "2021-03-04 05:06:07 UTC" "$WWW/a.txt" # Last-Modified: 1614834367
echo index >"$WWW/index.html"
mkdir -p "$T/tsrc"
echo inner >"$T/tsrc/inner.txt"
tar -C "$T/tsrc" -czf "$WWW/t.tar.gz" inner.txt
echo changing-1 >"$WWW/c.txt"
echo pinned >"$WWW/pinned.txt"
cat >"$WWW/cgi-bin/cd" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\nContent-Disposition: attachment; filename="fromcd.txt"\r\n\r\ncd body\n'
EOF
cat >"$WWW/cgi-bin/ftp" <<'EOF'
#!/bin/sh
printf 'Status: 302 Found\r\nLocation: ftp://127.0.0.1/x\r\n\r\n'
EOF
cat >"$WWW/cgi-bin/redir" <<'EOF'
#!/bin/sh
printf 'Status: 302 Found\r\nLocation: /a.txt\r\n\r\n'
EOF
chmod 0755 "$WWW"/cgi-bin/*

# busybox httpd on a free port (it exits when the bind fails); -vv logs
# each request's url and response status.
HPID=
trap '[ -z "$HPID" ] || kill "$HPID" 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 1 20); do
	PORT=$((20000 + RANDOM % 40000))
	"$BUSYBOX" httpd -f -vv -p "127.0.0.1:$PORT" -h "$WWW" 2>"$T/httpd.log" &
	HPID=$!
	up=
	for _ in $(seq 1 50); do
		kill -0 "$HPID" 2>/dev/null || break
		if "$BUSYBOX" wget -q -O /dev/null "http://127.0.0.1:$PORT/index.html" 2>/dev/null; then
			up=1
			break
		fi
		sleep 0.05
	done
	[ -n "$up" ] && break
	kill "$HPID" 2>/dev/null || true
	wait "$HPID" 2>/dev/null || true
	HPID=
done
[ -n "$HPID" ] || fail "busybox httpd did not start"
U=http://127.0.0.1:$PORT

# requests URL: how many requests for URL (a path) the server logged, and their statuses
requests() {
	awk -v u="url:$1" '$2 == u { getline; sub(/.*response:/, ""); printf "%s ", $0 }' \
		"$T/httpd.log"
}
reset_log() {
	: >"$T/httpd.log"
}

# ---- names, modes, owners, times --------------------------------------------
ctx c
cat >c/Dockerfile <<EOF
FROM busybox:test
ADD $U/a.txt /d/
ADD $U/a.txt /f.txt
ADD --chown=user:wheel $U/a.txt /own/
ADD --chmod=755 $U/a.txt /mod/
ADD --chmod=640 --chown=5:6 $U/a.txt /mod2
ADD $U/cgi-bin/cd /cd/
ADD $U/t.tar.gz /t/
ADD $U/ /root/
ADD $U/cgi-bin/redir /r/
EOF
build -t url:basic c
crun url:basic sh -c 'for f in /d/a.txt /f.txt /own/a.txt /mod/a.txt /mod2 /cd/cd /t/t.tar.gz \
	/r/redir; do stat -c "%n %a %u:%g %Y %s" $f; done; ls /root; cat /root/__unnamed__ /cd/cd
	stat -c "%n %a %u:%g" /own /d' >"$T/got"
cat >"$T/want" <<'EOF'
/d/a.txt 600 0:0 1614834367 6
/f.txt 600 0:0 1614834367 6
/own/a.txt 600 1000:10 1614834367 6
/mod/a.txt 755 0:0 1614834367 6
/mod2 640 5:6 1614834367 6
/cd/cd 600 0:0 0 8
/t/t.tar.gz 600 0:0 TGZ_MTIME TGZ_SIZE
/r/redir 600 0:0 1614834367 6
__unnamed__
index
cd body
/own 755 1000:10
/d 755 0:0
EOF
sed -i -e "s/TGZ_MTIME/$(stat -c %Y "$WWW/t.tar.gz")/" -e "s/TGZ_SIZE/$(stat -c %s "$WWW/t.tar.gz")/" \
	"$T/want"
diff -u "$T/want" "$T/got" || fail "ADD <url>: names, modes, owners or times differ"
eq "history" "$(history url:basic | head -n 1)" "ADD $U/a.txt /d/ # buildkit	false"
eq "the layer of ADD URL /d/" "$(layer_entries url:basic 1 | tr '\n' ' ')" "d d/a.txt "
cmp "$WWW/t.tar.gz" <(crun url:basic cat /t/t.tar.gz) || fail "the .tar.gz is not the served bytes"

# ---- the cache ---------------------------------------------------------------
# Unchanged: every step CACHED, the server answered 304 to If-None-Match
# (busybox's ETag: mtime and size), no body was sent again: five ADDs of
# /a.txt and the redirect to it (If-None-Match goes along).
reset_log
build --progress plain -t url:basic c
for s in "ADD $U/a.txt /d/" "ADD $U/t.tar.gz /t/" "ADD $U/cgi-bin/redir /r/"; do
	eq "rebuild: $s" "$(step_status "$s")" CACHED
done
eq "rebuild: requests for /a.txt" "$(requests /a.txt)" "304 304 304 304 304 304 "
eq "rebuild: requests for /t.tar.gz" "$(requests /t.tar.gz)" "304 "

ctx k
printf 'FROM busybox:test\nADD %s/c.txt /c/\n' "$U" >k/Dockerfile
build -t url:c k
build --progress plain -t url:c k
eq "unchanged c.txt" "$(step_status "ADD $U/c.txt /c/")" CACHED
# Only Last-Modified changed (and with it busybox's ETag): downloaded again,
# same digest, CACHED, as BuildKit (the cached layer keeps the old mtime).
touch -d "2022-02-02 UTC" "$WWW/c.txt"
reset_log
build --progress plain -t url:c k
eq "touched c.txt" "$(step_status "ADD $U/c.txt /c/")" CACHED
eq "touched c.txt: requests" "$(requests /c.txt)" "200 "
# A changed content misses.
echo changing-2 >"$WWW/c.txt"
build --progress plain -t url:c k
eq "changed c.txt" "$(step_status "ADD $U/c.txt /c/")" DONE
eq "changed c.txt: content" "$(crun url:c cat /c/c.txt)" changing-2
# A 304 gives the key; a step that then misses downloads the file after all.
reset_log
printf 'FROM busybox:test\nADD %s/c.txt /elsewhere/\n' "$U" >k/Dockerfile
build --progress plain -t url:c2 k
eq "304 then a miss" "$(step_status "ADD $U/c.txt /elsewhere/")" DONE
eq "304 then a miss: requests" "$(requests /c.txt)" "304 200 "
eq "304 then a miss: content" "$(crun url:c2 cat /elsewhere/c.txt)" changing-2

# ---- --checksum ----------------------------------------------------------------
SUM=sha256:$(sha256sum "$WWW/pinned.txt" | cut -d' ' -f1)
ctx s
printf 'FROM busybox:test\nARG SUM\nADD --checksum=${SUM} %s/pinned.txt /p/\n' "$U" >s/Dockerfile
build --build-arg "SUM=$SUM" -t url:sum s
eq "--checksum: content" "$(crun url:sum cat /p/pinned.txt)" pinned
# the key comes from the checksum: a rebuild asks the server nothing
reset_log
mv "$WWW/pinned.txt" "$WWW/pinned.away"
build --progress plain --build-arg "SUM=$SUM" -t url:sum s
eq "--checksum: cached without a request" "$(step_status "ADD --checksum=\${SUM} $U/pinned.txt /p/")" CACHED
eq "--checksum: requests" "$(requests /pinned.txt)" ""
mv "$WWW/pinned.away" "$WWW/pinned.txt"
BAD=sha256:$(printf '%064d' 0)
before=$(image_list)
build_fails 1 --build-arg "SUM=$BAD" -t url:bad s
in_file "$T/err" "Dockerfile:3: digest mismatch for \`$U/pinned.txt\`: $SUM (expected: $BAD)"
eq "a failed ADD leaves the images" "$(image_list)" "$before"
build_fails 1 --build-arg "SUM=sha256:abc" -t url:bad s
in_file "$T/err" "Dockerfile:3: invalid checksum digest length"
printf 'FROM busybox:test\nADD --checksum=%s a.txt /p/\n' "$SUM" >s/Dockerfile
echo a >s/a.txt
build_fails 1 -t url:bad s
in_file "$T/err" "Dockerfile:2: checksum requires HTTP(S) or Git sources"

# ---- errors ----------------------------------------------------------------------
ctx e
printf 'FROM busybox:test\nRUN true\nADD %s/missing /x/\n' "$U" >e/Dockerfile
build_fails 1 -t url:bad e
in_file "$T/err" "Dockerfile:3: GET \`$U/missing\`: invalid response status 404 (Not Found)"
printf 'FROM busybox:test\nADD %s/cgi-bin/ftp /x/\n' "$U" >e/Dockerfile
build_fails 1 -t url:bad e
in_file "$T/err" "Dockerfile:2: GET \`$U/cgi-bin/ftp\`: redirect to \`ftp://127.0.0.1/x\` refused"
# a port nobody listens on: the server's, once it is stopped
kill "$HPID"
wait "$HPID" 2>/dev/null || true
HPID=
printf 'FROM busybox:test\nADD %s/a.txt /x/\n' "$U" >e/Dockerfile
build_fails 1 -t url:bad e
in_file "$T/err" "Dockerfile:2: GET \`$U/a.txt\`: connect: Connection refused"
printf 'FROM busybox:test\nCOPY %s/a.txt /x/\n' "$U" >e/Dockerfile
build_fails 1 -t url:bad e
in_file "$T/err" "Dockerfile:2: source can't be a URL for COPY"
# nothing half-written: no scratch directory is left in the store
eq "store tmp/ after the failures" "$(find "$ROOT/tmp" -mindepth 1 -maxdepth 1 -name '*.scratch')" ""
finish
