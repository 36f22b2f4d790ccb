#!/bin/bash
# Issue 11, finding 3 (store root): a store root the caller did not make.
# An existing directory owned by another user is refused with a clear
# message and left as it was (owner, mode, contents); so is a root that
# its group or others may write to (0775, 0777, 1777); a root symlink
# owned by another user is refused; a new root is 0700 (its parents 0755,
# as mkdir -p); an older cbuild's 0755 root stays usable.  As root and as
# an ordinary user (uid 1000).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "the test runs as root (it makes directories of another user)"
command -v setpriv >/dev/null || skip "setpriv is not installed"
chmod 755 "$T"

mode() { stat -c %a "$1"; }
owner() { stat -c %u "$1"; }

# refused AS_UID RUNNER... -- DIR WANT: every store command refuses DIR
# naming WANT, and DIR keeps its owner, mode and (empty) contents.
refused() {
	local dir msg m o
	dir=$1 msg=$2
	shift 2
	m=$(mode "$dir") o=$(owner "$dir")
	for cmd in images fsck prune df "rmi x"; do
		# shellcheck disable=SC2086
		expect_rc 1 "$@" "$CBUILD" $cmd --root "$dir"
		contains "$T/err" "$msg"
		[ -z "$(ls -A "$dir")" ] || fail "$cmd wrote into $dir: $(ls -A "$dir")"
		[ "$(mode "$dir")" = "$m" ] && [ "$(owner "$dir")" = "$o" ] ||
			fail "$cmd changed $dir to $(owner "$dir") $(mode "$dir")"
	done
}

# --- as root ---------------------------------------------------------------
mkdir "$T/theirs"
chown 1000:1000 "$T/theirs"
refused "$T/theirs" "store root \`$T/theirs\` is owned by uid 1000, not by you (uid 0)" env
for m in 775 777 757 1777; do
	mkdir "$T/open$m"
	chmod "$m" "$T/open$m"
	refused "$T/open$m" "store root \`$T/open$m\` is writable by others (mode $(printf %04o "0$m"))" env
done
mkdir "$T/target"
ln -s "$T/target" "$T/theirlink"
chown -h 1000:1000 "$T/theirlink"
expect_rc 1 "$CBUILD" images --root "$T/theirlink"
contains "$T/err" "store root \`$T/theirlink\` is a symlink owned by uid 1000, not by you (uid 0) or root"
[ -z "$(ls -A "$T/target")" ] || fail "the open through another user's symlink wrote: $(ls -A "$T/target")"

(umask 0 && "$CBUILD" images --root "$T/new/a/store" >/dev/null) || fail "a new root: $?"
[ "$(mode "$T/new/a/store")" = 700 ] || fail "a new root is $(mode "$T/new/a/store"), want 700"
[ "$(mode "$T/new/a")" = 755 ] && [ "$(mode "$T/new")" = 755 ] ||
	fail "a new root's parents are $(mode "$T/new") $(mode "$T/new/a"), want 755"

mkdir "$T/old"
chmod 755 "$T/old"
expect_rc 0 "$CBUILD" images --root "$T/old"
[ "$(mode "$T/old")" = 755 ] || fail "an older 0755 root became $(mode "$T/old")"
[ -f "$T/old/layout" ] || fail "the 0755 root was not made a store"

# --- as an ordinary user ---------------------------------------------------
U=(setpriv --reuid 1000 --regid 1000 --clear-groups)
mkdir "$T/u"
chown 1000:1000 "$T/u"
mkdir "$T/u/roots"
refused "$T/u/roots" "store root \`$T/u/roots\` is owned by uid 0, not by you (uid 1000)" "${U[@]}"
mkdir "$T/u/mine"
chown 1000:1000 "$T/u/mine"
chmod 777 "$T/u/mine"
refused "$T/u/mine" "store root \`$T/u/mine\` is writable by others (mode 0777)" "${U[@]}"
chmod 755 "$T/u/mine"
expect_rc 0 "${U[@]}" "$CBUILD" images --root "$T/u/mine"
(umask 0 && "${U[@]}" "$CBUILD" images --root "$T/u/new/store" >/dev/null) || fail "a new rootless root: $?"
[ "$(mode "$T/u/new/store")" = 700 ] && [ "$(owner "$T/u/new/store")" = 1000 ] ||
	fail "a new rootless root is $(owner "$T/u/new/store") $(mode "$T/u/new/store")"
echo ok
