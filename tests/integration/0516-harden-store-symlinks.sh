#!/bin/bash
# Issue 11, finding 3 (symlinks in the store): a symlink planted where the
# store's layout has its own directory or file is never followed.  `tmp`
# -> a host directory (the next open's cleanup used to empty it),
# `blobs/sha256` -> a host directory (fsck used to move its files into
# quarantine/), `tags.json` -> a host file: images, df, prune, rmi, load
# and build refuse, naming the link and `cbuild fsck`; fsck moves the link
# itself into quarantine/, reports it and exits 1; the store works again
# afterwards; the host files are untouched throughout.  `snapshots/<id>`
# -> a host tree: a build FROM the image refuses it (it used to use the
# host tree as its base layer), fsck quarantines the link.  A lease or a
# cache index entry that is a symlink is removed as a link, its target
# untouched.  As root, and the `tmp` case as an ordinary user.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/store-lib.sh"
[ "$(id -u)" = 0 ] || skip "the test runs as root (and as uid 1000 through setpriv)"
command -v python3 >/dev/null || skip "python3 is not installed"
command -v setpriv >/dev/null || skip "setpriv is not installed"
chmod 755 "$T"

# A pristine store: an image, an archive of it, a build context FROM it.
P=$T/pristine
init_store "$P"
seed_image "$P" docker.io/library/app:1 2022-01-01T00:00:00Z "layer one" >/dev/null
"$CBUILD" save --root "$P" -o "$T/app.tar" app:1 || fail "save"
chmod 644 "$T/app.tar"
mkdir "$T/ctx"
echo hello >"$T/ctx/a"
printf 'FROM scratch\nCOPY a /a\n' >"$T/ctx/Dockerfile"
chmod -R a+rX "$T/ctx"

# host DIR: a host directory with files a cleaner or fsck would take:
# named like a dead lease's temp file, like a blob, and anything.
host() {
	mkdir -p "$1"
	echo keep >"$1/precious"
	echo keep >"$1/123-0123456789abcdef.1.blob"
	echo keep >"$1/$(printf 'a%.0s' $(seq 64))"
	find "$1" -type f | sort | xargs sha256sum >"$1.sums"
}
host_intact() {
	(cd / && sha256sum --quiet -c "$1.sums") >/dev/null 2>&1 ||
		fail "$2 changed the host directory $1: $(ls -la "$1")"
	[ "$(find "$1" -type f | wc -l)" = 3 ] || fail "$2 added to $1: $(ls -la "$1")"
}

# planted S ENTRY TARGET KIND RUNNER...: every command but fsck refuses the
# store S whose ENTRY is a symlink to TARGET (a KIND: directory or file);
# fsck sets the link aside; the store works again.
planted() {
	local s=$1 entry=$2 target=$3 kind=$4 c
	shift 4
	for c in images df prune "rmi app:1" "load -i $T/app.tar" "build -t x $T/ctx"; do
		# shellcheck disable=SC2086
		expect_rc 1 "$@" "$CBUILD" $c --root "$s"
		contains "$T/err" "\`$entry\` is a symlink to \`$target\`, not the store's $kind; \`cbuild fsck\` moves it to \`quarantine/\`"
		[ -L "$s/$entry" ] || fail "$c removed the planted $entry"
		if [ "$kind" = directory ]; then host_intact "$target" "cbuild $c"; fi
	done
	expect_rc 1 "$@" "$CBUILD" fsck --root "$s"
	contains "$T/err" "\`$entry\` was a symlink to \`$target\`, not the store's $kind; moved it to \`quarantine/$(echo "$entry" | tr / -)."
	[ -d "$s/$entry" ] || [ "$kind" = file ] || fail "fsck did not make a new $entry"
	[ "$(find "$s/quarantine" -maxdepth 1 -type l | wc -l)" = 1 ] ||
		fail "quarantine/ lacks the link: $(ls -la "$s/quarantine")"
	if [ "$kind" = directory ]; then host_intact "$target" "cbuild fsck"; fi
	expect_rc 0 "$@" "$CBUILD" images --root "$s"
	expect_rc 0 "$@" "$CBUILD" load --root "$s" -i "$T/app.tar"
}

# --- tmp -> a host directory ----------------------------------------------
S=$T/s-tmp
cp -a "$P" "$S"
host "$T/host-tmp"
rm -rf "$S/tmp"
ln -s "$T/host-tmp" "$S/tmp"
planted "$S" tmp "$T/host-tmp" directory env
host_intact "$T/host-tmp" "the repaired store"

# --- blobs/sha256 -> a host directory -------------------------------------
S=$T/s-blobs
cp -a "$P" "$S"
host "$T/host-blobs"
mv "$S/blobs/sha256" "$S/blobs-aside"
ln -s "$T/host-blobs" "$S/blobs/sha256"
planted "$S" blobs/sha256 "$T/host-blobs" directory env

# --- tags.json -> a host file ---------------------------------------------
S=$T/s-tags
cp -a "$P" "$S"
cp "$P/tags.json" "$T/host-tags.json"
sum=$(sha256sum <"$T/host-tags.json")
rm "$S/tags.json"
ln -s "$T/host-tags.json" "$S/tags.json"
planted "$S" tags.json "$T/host-tags.json" file env
[ "$(sha256sum <"$T/host-tags.json")" = "$sum" ] || fail "the host tags file changed"

# --- snapshots/<id> -> a host tree ----------------------------------------
S=$T/s-snap
cp -a "$P" "$S"
"$CBUILD" build --root "$S" -t base "$T/ctx" >"$T/out" 2>&1 || fail "build base: $(cat "$T/out")"
chain=$(ls "$S/snapshots")
[ "$(echo "$chain" | wc -l)" = 1 ] || fail "snapshots: $chain"
mkdir -p "$T/host-snap/fs"
echo evil >"$T/host-snap/fs/evil"
mv "$S/snapshots/$chain" "$S/snap-aside"
ln -s "$T/host-snap" "$S/snapshots/$chain"
mkdir "$T/ctx2"
echo b >"$T/ctx2/b"
printf 'FROM base\nCOPY b /b\n' >"$T/ctx2/Dockerfile"
expect_rc 1 "$CBUILD" build --root "$S" -t top "$T/ctx2"
contains "$T/err" "snapshot sha256:$chain: \`$S/snapshots/$chain\` is not a directory the store made (a symlink); run \`cbuild fsck\`"
expect_rc 1 "$CBUILD" save --root "$S" -o "$T/base.tar" base
contains "$T/err" "a symlink is on the way, where the store never makes one; run \`cbuild fsck\`"
expect_rc 0 "$CBUILD" df --root "$S"
expect_rc 1 "$CBUILD" fsck --root "$S"
contains "$T/err" "\`snapshots/$chain\` is a symlink, not a snapshot directory; moved it to \`quarantine/$chain."
links=$(find "$S/quarantine" -maxdepth 1 -type l -name "$chain.*" | wc -l)
[ ! -e "$S/snapshots/$chain" ] && [ "$links" = 1 ] ||
	fail "the snapshot link was not quarantined as a link: $(ls -la "$S/snapshots" "$S/quarantine")"
expect_rc 0 "$CBUILD" prune --root "$S" --all
[ "$(cat "$T/host-snap/fs/evil")" = evil ] || fail "the host tree changed"

# --- a lease and a cache index entry -> a host file -----------------------
S=$T/s-lease
cp -a "$P" "$S"
echo keep >"$T/victim"
ln -s "$T/victim" "$S/leases/1-0123456789abcdef"
ln -s "$T/victim" "$S/cache/$(printf 'b%.0s' $(seq 64))"
expect_rc 0 "$CBUILD" images --root "$S"
[ ! -L "$S/leases/1-0123456789abcdef" ] || fail "a symlinked lease was kept as live"
expect_rc 1 "$CBUILD" fsck --root "$S"
[ ! -L "$S/cache/$(printf 'b%.0s' $(seq 64))" ] || fail "fsck kept a symlinked cache entry"
[ "$(cat "$T/victim")" = keep ] || fail "the lease's target changed"

# --- rootless: tmp -> a host directory of that user -----------------------
U=(setpriv --reuid 1000 --regid 1000 --clear-groups)
mkdir "$T/u"
chown 1000:1000 "$T/u"
"${U[@]}" "$CBUILD" images --root "$T/u/store" >/dev/null || fail "a rootless store"
"${U[@]}" bash -c "$(declare -f host); host '$T/u/host'"
rm -rf "$T/u/store/tmp"
"${U[@]}" ln -s "$T/u/host" "$T/u/store/tmp"
planted "$T/u/store" tmp "$T/u/host" directory "${U[@]}"
host_intact "$T/u/host" "the repaired rootless store"
echo ok
