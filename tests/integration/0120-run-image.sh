#!/bin/bash
# `cbuild run IMAGE`: an image of the store runs as docker run runs it.  The
# config's entrypoint, cmd, env, workdir and user are honoured and the
# options override them; a missing working directory is created; the layers
# stack with their whiteouts; writes are thrown away and the store does not
# change; limits pass through; cbuild's own failures exit 125.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/image-lib.sh"
images_init
# nowd: cfg with a WorkingDir that no layer has.
umoci config --image "$T/imgwork/oci:cfg" --tag nowd --config.workingdir /new/wd
tar -C "$T/imgwork/oci" -cf "$T/images.tar" .
expect_rc 0 "$CBUILD" load --root "$S" -i "$T/images.tar"
irun() { run --root "$S" "$@"; }

# The config: entrypoint + cmd, env (the image's PATH), workdir, user, HOME
# from its passwd, and a Docker-like hostname in HOSTNAME.
expect_rc 0 irun cfg
[ "$(head -n 4 "$T/out" | tr '\n' ' ')" = "cmd-from-image /srv 1000 1000 " ] ||
	fail "the config was not honoured: $(cat "$T/out")"
expect_value FOO from-image
expect_value KEEP k
expect_value PATH /bin:/usr/bin
expect_value HOME /home/user
value HOSTNAME "$T/out" | grep -Eq '^[0-9a-f]{12}$' || fail "HOSTNAME: $(cat "$T/out")"

# COMMAND replaces the cmd, not the entrypoint (sh -c here).
expect_rc 0 irun cfg 'echo "$0|$FOO"; pwd'
[ "$(cat "$T/out")" = "$(printf '/bin/sh|from-image\n/srv')" ] || fail "CMD override: $(cat "$T/out")"
# --entrypoint replaces the entrypoint and drops the image's cmd.
expect_rc 0 irun --entrypoint /probe cfg cwd
expect_value cwd /srv
expect_rc 125 irun --entrypoint "" cfg
contains "$T/err" "cbuild run: no command specified"

# -e: KEY=VALUE replaces or adds; a bare KEY takes cbuild's value, or
# removes the image's when cbuild has none.
expect_rc 0 env -u KEEP HOSTVAR=from-host "$CBUILD" run --cgroup-parent "$CGP" --root "$S" \
	-e FOO=cli -e NEW=1 -e HOSTVAR -e KEEP cfg env
expect_value FOO cli
expect_value NEW 1
expect_value HOSTVAR from-host
grep -q '^KEEP=' "$T/out" && fail "-e KEEP (unset here) did not remove it: $(cat "$T/out")"
expect_value PATH /bin:/usr/bin

# -w and --user override the config; --hostname too.
expect_rc 0 irun -w /etc -u root --hostname box cfg 'pwd; id -u; hostname; echo "$HOSTNAME|$HOME"'
[ "$(cat "$T/out")" = "$(printf '/etc\n0\nbox\nbox|/root')" ] || fail "overrides: $(cat "$T/out")"
expect_rc 0 irun -u user:wheel cfg 'id -u; id -g'
[ "$(cat "$T/out")" = "$(printf '1000\n10')" ] || fail "--user user:wheel: $(cat "$T/out")"
# docker run's groups: the primary gid plus /etc/group memberships, or only
# the gid given (BuildKit's RUN steps leave the primary gid out).
expect_rc 0 irun cfg 'id -G'
[ "$(cat "$T/out")" = "1000 10 29" ] || fail "groups of user: $(cat "$T/out")"
expect_rc 0 irun -u user:wheel cfg 'id -G'
[ "$(cat "$T/out")" = "10" ] || fail "groups of user:wheel: $(cat "$T/out")"
expect_rc 0 irun -u 4321:8765 cfg 'id -G'
[ "$(cat "$T/out")" = "8765" ] || fail "groups of 4321:8765: $(cat "$T/out")"
expect_rc 125 irun -w relative cfg true
contains "$T/err" "the working directory \`relative\` is invalid, it needs to be an absolute path"

# No config at all: Docker's default PATH, root, /, and COMMAND is required.
expect_rc 0 irun plain sh -c 'echo "$PATH"; id -u; pwd'
[ "$(cat "$T/out")" = "$(printf '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n0\n/')" ] ||
	fail "defaults: $(cat "$T/out")"
expect_rc 125 irun plain
contains "$T/err" "cbuild run: no command specified"

# Layers: the upper layer's whiteout hides /etc/gone, its opaque /opq hides
# /opq/old, its /srv/app.txt wins; the image ID and digest name it too.
expect_rc 0 irun plain sh -c 'ls /opq; test -e /etc/gone && echo gone-present; cat /srv/app.txt /etc/keep'
[ "$(cat "$T/out")" = "$(printf 'new\napp2\nkeep')" ] || fail "layers: $(cat "$T/out")"
id=$("$CBUILD" images --root "$S" --format json | python3 -c \
	'import json, sys; print([i["ID"] for i in json.load(sys.stdin) if i["Repository"] == "plain"][0])')
expect_rc 0 irun "${id#sha256:}" cat /srv/app.txt
contains "$T/out" app2

# Writes are thrown away: nothing reaches the next run or the store.
snap_state() {
	(cd "$S" && find blobs snapshots tags.json -printf '%p %y %m %s %T@\n' | sort)
}
snap_state >"$T/before"
expect_rc 0 irun plain sh -c 'echo changed >/etc/keep; touch /newfile; rm /srv/app.txt; rm -r /opq'
expect_rc 0 irun plain sh -c 'cat /etc/keep; test -e /newfile && echo newfile; cat /srv/app.txt; ls /opq'
[ "$(cat "$T/out")" = "$(printf 'keep\napp2\nnew')" ] || fail "a write survived: $(cat "$T/out")"
snap_state >"$T/after"
diff "$T/before" "$T/after" >"$T/diff" || fail "the store changed: $(cat "$T/diff")"
[ -z "$(ls "$S/tmp")" ] || fail "tmp/ not empty: $(ls "$S/tmp")"
[ -z "$(ls "$S/leases")" ] || fail "a lease was left: $(ls "$S/leases")"
expect_rc 0 "$CBUILD" fsck --root "$S"

# A missing working directory is created, as Docker creates it: the image's
# WorkingDir or -w, mkdir -p, mode 0755, owned by root whoever runs (cfg's
# user is uid 1000), also on a read-only root; it goes to the throwaway
# upper, so neither the next run nor the store sees it.
expect_rc 0 irun nowd 'pwd; id -u; ls -lnd /new /new/wd'
[ "$(awk 'NR <= 2 { print } NR > 2 { print $1, $3, $4, $NF }' "$T/out")" = \
	"$(printf '/new/wd\n1000\ndrwxr-xr-x 0 0 /new\ndrwxr-xr-x 0 0 /new/wd')" ] ||
	fail "WorkingDir /new/wd: $(cat "$T/out")"
expect_rc 0 irun -w /w/x/y --read-only plain sh -c 'pwd; ls -lnd /w/x/y'
[ "$(awk 'NR == 1 { print } NR > 1 { print $1, $3, $4 }' "$T/out")" = \
	"$(printf '/w/x/y\ndrwxr-xr-x 0 0')" ] || fail "-w /w/x/y: $(cat "$T/out")"
expect_rc 0 irun plain sh -c 'ls -d /new /w 2>/dev/null; echo end'
[ "$(cat "$T/out")" = end ] || fail "a created working directory survived: $(cat "$T/out")"
snap_state >"$T/after"
diff "$T/before" "$T/after" >"$T/diff" || fail "the store changed: $(cat "$T/diff")"
[ -z "$(ls "$S/tmp")" ] || fail "tmp/ not empty: $(ls "$S/tmp")"
# Something else in the way is an error of cbuild's.
expect_rc 125 irun -w /etc/keep/sub plain true
contains "$T/err" "working directory \`/etc/keep/sub\`: Not a directory"

# Exit statuses are the command's; limits and the sandbox's options pass through.
expect_rc 3 irun plain sh -c 'exit 3'
expect_rc 127 irun plain no-such-command
contains "$T/err" 'executable file not found in $PATH'
expect_rc 137 irun --memory 64m plain /probe alloc 200
contains "$T/err" "cbuild run: killed: out of memory (limit 64 MiB)"
expect_rc 1 irun --pids-limit 32 plain /probe forkbomb
contains "$T/err" "pids limit 32"
expect_rc 0 irun --network none plain /probe ns
expect_value netifs lo
expect_value pid 2
expect_rc 1 irun --read-only plain touch /x
expect_rc 0 irun --rm -v "$T:/host" plain sh -c 'echo via-volume >/host/v'
[ "$(cat "$T/v")" = via-volume ] || fail "-v did not reach the host"

# cbuild's own failures: 125, like docker's.
expect_rc 125 irun nosuch
contains "$T/err" "cbuild run: image \`nosuch\` not found in the store"
expect_rc 2 run --rootfs "$T" --entrypoint /x true
contains "$T/err" "--root and --entrypoint go with IMAGE"
expect_rc 2 run --root "" plain true

finish
