# Sourced by tests/integration/03NN-build-*.sh, after lib.sh.
#
# Gives every test a private store ($ROOT = $T/root) holding busybox:test,
# a busybox rootfs made by tools/make-busybox-rootfs.sh (or, where the tool
# is absent, by the same steps here) from Debian's busybox-static: applet
# symlinks, users root 0, user 1000, other 1001:10, nobody; groups root,
# wheel 10, user 1000, nogroup; /root 0700, /tmp 1777; imported with
# `cbuild import`.  Helpers:
#
#   cb ARGS...                 cbuild --root $ROOT ARGS...
#   ctx DIR                    a fresh context directory DIR; then write files
#   build ARGS...              cbuild --root $ROOT build ARGS...: must exit 0;
#                              its stdout and stderr are in $T/out, $T/err
#   build_fails RC ARGS...     the same, must exit RC
#   cfg IMAGE [JQ]             jq -cr JQ (default .) over the image's config
#                              (inspect's .Config: Docker's key names)
#   insp IMAGE JQ              jq -cr JQ over `cbuild inspect IMAGE`'s .[0]
#   history IMAGE              one line per history entry of the build (the
#                              base's entry left out): CREATED_BY<TAB>EMPTY,
#                              EMPTY being true or false
#   layer_count IMAGE          how many layers the image has
#   layer_entries IMAGE N      the tar entry names of layer N (0 = bottom),
#                              sorted, without a leading ./ or trailing /
#   layer_verbose IMAGE N      `tar -tvz` of layer N
#   crun IMAGE CMD...          cbuild run --rm IMAGE CMD... (stdout)
#   layer_index IMAGE TEXT     the index in RootFS.Layers of the layer of the
#                              (last) history entry whose created_by is TEXT
#   no_change IMAGE TEXT       the step TEXT (a created_by) changed nothing:
#                              an empty_layer entry, or a layer with no entries
#                              but RUN's mount-point stubs (BuildKit 0.8)
#   one_of WHAT GOT WANT...    the file GOT equals one of the files WANT
#   step_status TEXT           CACHED, DONE or NONE: how the step titled
#                              "[stage] TEXT" ended in the last build's
#                              plain progress ($T/err; build with
#                              --progress plain)
#   step_number TEXT           the number N of the last "#N [stage] TEXT"
#                              in that progress (empty when none)
#   statuses                   the step_status of each step TEXT in the
#                              array STEPS, in order, space-separated
#   image_list                 the store's images, one JSON line each
#   eq WHAT GOT WANT           fail unless GOT is WANT
#   in_file FILE STRING / not_in_file FILE STRING
#   finish                     fail when a mount under $T is left; print ok
[ "$(id -u)" = 0 ] || skip "the build tests run as root"
command -v jq >/dev/null || skip "jq is not installed"
BUSYBOX=/bin/busybox
{ [ -x "$BUSYBOX" ] && LC_ALL=C ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic'; } ||
	skip "busybox-static is not installed (/bin/busybox)"
MAKE_ROOTFS=$CB_SOURCE_DIR/tools/make-busybox-rootfs.sh

ROOT=$T/root
unset SOURCE_DATE_EPOCH CBUILD_ROOT

cb() {
	"$CBUILD" --root "$ROOT" "$@"
}

# busybox_tar OUT: the rootfs tar, as tools/make-busybox-rootfs.sh writes it.
busybox_tar() {
	if [ -f "$MAKE_ROOTFS" ]; then
		bash "$MAKE_ROOTFS" "$1" "$BUSYBOX" || fail "make-busybox-rootfs.sh failed"
		return 0
	fi
	local r=$T/busybox-rootfs a
	rm -rf "$r"
	mkdir -p "$r/bin" "$r/etc" "$r/root" "$r/tmp"
	chmod 0755 "$r" "$r/bin" "$r/etc"
	chmod 0700 "$r/root"
	chmod 1777 "$r/tmp"
	cp "$BUSYBOX" "$r/bin/busybox"
	chmod 0755 "$r/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		case $a in busybox | */*) continue ;; esac
		ln -sf busybox "$r/bin/$a"
	done
	cat >"$r/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		user:x:1000:1000:user:/home/user:/bin/sh
		other:x:1001:10:other, primary group wheel:/home/other:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$r/etc/group" <<-'EOF'
		root:x:0:
		wheel:x:10:user
		user:x:1000:
		nogroup:x:65534:
	EOF
	chmod 0644 "$r/etc/passwd" "$r/etc/group"
	tar -C "$r" --sort=name --numeric-owner --owner=0 --group=0 --mtime=@946684800 \
		-cf "$1" bin etc root tmp
	rm -rf "$r"
}

# make_base [TAG]: import the busybox rootfs as TAG (default busybox:test).
make_base() {
	[ -f "$T/busybox.tar" ] || busybox_tar "$T/busybox.tar"
	cb import "$T/busybox.tar" "${1:-busybox:test}" >/dev/null || fail "cbuild import failed"
}
make_base

# ctx DIR: an empty context directory (made anew).
ctx() {
	rm -rf "$1"
	mkdir -p "$1"
}

build() {
	set +e
	"$CBUILD" --root "$ROOT" build "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	set -e
	[ "$rc" = 0 ] || fail "cbuild build $* exited $rc; stderr: $(cat "$T/err")"
}

build_fails() {
	local want=$1 rc
	shift
	set +e
	"$CBUILD" --root "$ROOT" build "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = "$want" ] ||
		fail "cbuild build $* exited $rc, want $want; stdout: $(cat "$T/out"); stderr: $(cat "$T/err")"
}

insp() {
	cb inspect "$1" >"$T/inspect.json" || fail "cbuild inspect $1 failed"
	jq -c -r ".[0] | $2" "$T/inspect.json"
}

cfg() {
	insp "$1" ".Config | ${2:-.}"
}

history() {
	insp "$1" '.History[1:][] | [.created_by, (.empty_layer // false | tostring)] | join("\t")'
}

# history_all IMAGE: as history, with the base image's entries too.
history_all() {
	insp "$1" '.History[] | [.created_by // "", (.empty_layer // false | tostring)] | join("\t")'
}

layer_count() {
	insp "$1" '.RootFS.Layers | length'
}

# _layer_blob IMAGE N: the path of layer N's blob, from an OCI archive of
# IMAGE made with `cbuild save` (unpacked in $T/save-IMAGE).
_layer_blob() {
	local d=$T/save-$(echo "$1" | tr '/:' '__')
	if [ ! -d "$d" ]; then
		mkdir -p "$d"
		cb save --format oci -o "$d.tar" "$1" || fail "cbuild save $1 failed"
		tar -C "$d" -xf "$d.tar"
	fi
	local m
	m=$(jq -r '.manifests[0].digest' "$d/index.json" | sed 's|:|/|')
	echo "$d/blobs/$(jq -r ".layers[$2].digest" "$d/blobs/$m" | sed 's|:|/|')"
}

layer_entries() {
	tar -tf "$(_layer_blob "$1" "$2")" | sed -e 's|^\./||' -e 's|/$||' | grep -v '^\.\?$' |
		LC_ALL=C sort
}

layer_verbose() {
	tar --numeric-owner -tvf "$(_layer_blob "$1" "$2")"
}

crun() {
	local img=$1
	shift
	cb run --rm "$img" "$@" || fail "cbuild run $img $* failed"
}

layer_index() {
	cb inspect "$1" >"$T/inspect.json" || fail "cbuild inspect $1 failed"
	local i
	i=$(jq -r --arg cb "$2" '[.[0].History[] | select((.empty_layer // false) | not) |
		.created_by // ""] | indices($cb) | last // "none"' "$T/inspect.json")
	[ "$i" != none ] || fail "$1 has no layer made by '$2'"
	echo "$i"
}

# Docker 20.10's BuildKit (v0.8, the recorded reference builds of
# tests/data/buildkit-build, NOTES.md) and current BuildKit differ here: v0.8
# keeps an empty diff as a layer (an empty tar, or only the dev, etc, proc,
# sys mount points a RUN leaves), current BuildKit marks it empty_layer.
# Either passes; anything else in the layer fails.
no_change() {
	local e i
	cb inspect "$1" >"$T/inspect.json" || fail "cbuild inspect $1 failed"
	e=$(jq -r --arg cb "$2" '[.[0].History[] | select(.created_by == $cb)] | last |
		if . == null then "none" else (.empty_layer // false) end' "$T/inspect.json")
	[ "$e" != none ] || fail "$1 has no history entry '$2'"
	[ "$e" = false ] || return 0
	i=$(layer_index "$1" "$2")
	layer_entries "$1" "$i" >"$T/no-change"
	! grep -vxE 'dev|etc|proc|sys' "$T/no-change" >/dev/null ||
		fail "'$2' changed nothing, yet its layer $i holds: $(cat "$T/no-change")"
}

# Where the two BuildKit versions write different text, tests give both.
one_of() {
	local what=$1 got=$2 w
	shift 2
	for w in "$@"; do
		cmp -s "$got" "$w" && return 0
	done
	for w in "$@"; do
		diff -u "$w" "$got" >&2 || true
	done
	fail "$what: matches none of the accepted forms"
}

step_number() {
	awk -v s="] $1" 'substr($0, 1, 1) == "#" && length($0) >= length(s) &&
		substr($0, length($0) - length(s) + 1) == s { sub(/^#/, ""); print $1 }' "$T/err" | tail -n 1
}

step_status() {
	local n
	n=$(step_number "$1")
	[ -n "$n" ] || fail "no step '$1' in the progress: $(cat "$T/err")"
	if grep -qx "#$n CACHED" "$T/err"; then
		echo CACHED
	elif grep -q "^#$n DONE" "$T/err"; then
		echo DONE
	else
		echo NONE
	fi
}

statuses() {
	local s out=
	for s in "${STEPS[@]}"; do
		out="$out $(step_status "$s")"
	done
	echo "${out# }"
}

eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

in_file() {
	grep -qF -- "$2" "$1" || fail "$1 lacks '$2'; it holds: $(cat "$1")"
}

not_in_file() {
	! grep -qF -- "$2" "$1" || fail "$1 holds '$2': $(cat "$1")"
}

# The images of the store, one line each (name and ID): to check that a
# failed build left them as they were.
image_list() {
	cb images --format json | jq -r '.[] | tostring' | LC_ALL=C sort
}

finish() {
	if grep -qF "$T" /proc/self/mountinfo; then
		fail "mounts left behind: $(grep -F "$T" /proc/self/mountinfo)"
	fi
	echo ok
}
