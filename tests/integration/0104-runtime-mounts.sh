#!/bin/bash
# The sandbox's filesystem: /proc, /dev, /sys, /etc files, Docker's masked
# and read-only paths, extra bind and tmpfs mounts, and targets that are
# symlinks pointing out of the rootfs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
R=$T/rootfs
make_rootfs "$R"

run --rootfs "$R" /probe paths >"$T/out"
for f in /proc/keys /proc/timer_list /proc/sched_debug /proc/interrupts /proc/latency_stats; do
	sz=$(value "size:$f" "$T/out")
	[ "$sz" = 0 ] || [ "$sz" = -2 ] || fail "masked $f reads $sz bytes"
done
[ "$(value size:/proc/interrupts "$T/out")" = 0 ] || fail "/proc/interrupts is not masked"
expect_value list:/proc/acpi ""
expect_value list:/sys/firmware ""
expect_value write:/proc/sys/kernel/domainname EROFS
case "$(value write:/proc/sysrq-trigger "$T/out")" in EROFS | ENOENT) ;; *) fail "/proc/sysrq-trigger is writable" ;; esac
expect_value mkdir:/sys/kernel/probe EROFS
expect_value write:/dev/null OK
expect_value exists:/dev/pts/ptmx 1
expect_value exists:/dev/shm 1
expect_value exists:/dev/mqueue 1

run --rootfs "$R" cat /proc/self/mountinfo >"$T/out"
mnt() { awk -v p="$1" '$5 == p { sub(/.* - /, ""); print }' "$T/out" | tail -n 1; }
opts() { awk -v p="$1" '$5 == p { print $6 }' "$T/out" | tail -n 1; }
case "$(mnt /proc)" in proc*) ;; *) fail "/proc: $(mnt /proc)" ;; esac
case "$(opts /proc)" in *nosuid,nodev,noexec*) ;; *) fail "/proc options: $(opts /proc)" ;; esac
case "$(mnt /dev)" in tmpfs*) ;; *) fail "/dev: $(mnt /dev)" ;; esac
case "$(mnt /dev/pts)" in devpts*) ;; *) fail "/dev/pts: $(mnt /dev/pts)" ;; esac
case "$(mnt /dev/shm)" in tmpfs*) ;; *) fail "/dev/shm: $(mnt /dev/shm)" ;; esac
case "$(mnt /dev/mqueue)" in mqueue*) ;; *) fail "/dev/mqueue: $(mnt /dev/mqueue)" ;; esac
case "$(mnt /sys)" in sysfs*) ;; *) fail "/sys: $(mnt /sys)" ;; esac
case "$(opts /sys)" in ro,*) ;; *) fail "/sys is not read-only: $(opts /sys)" ;; esac
case "$(opts /proc/sys)" in ro,*) ;; *) fail "/proc/sys is not read-only: $(opts /proc/sys)" ;; esac
for f in /etc/hosts /etc/resolv.conf /etc/hostname; do
	[ -n "$(mnt $f)" ] || fail "$f is not mounted"
done
run --rootfs "$R" --hostname h1 sh -c 'cat /etc/hostname; cat /etc/hosts; ls -l /dev/null /dev/zero /dev/tty; readlink /dev/ptmx; readlink /dev/fd' >"$T/out"
contains "$T/out" h1
contains "$T/out" "127.0.0.1	localhost h1"
contains "$T/out" "crw-rw-rw-    1 root     root        1,   3"
contains "$T/out" "pts/ptmx"
contains "$T/out" "/proc/self/fd"
# writes to the generated /etc files stay in the sandbox
run --rootfs "$R" sh -c 'echo 10.0.0.1 extra >>/etc/hosts'
[ ! -s "$R/etc/hosts" ] || fail "a write to /etc/hosts reached the rootfs"

# Extra mounts: bind rw and ro, tmpfs.
mkdir -p "$T/data" "$T/ro"
echo from-host >"$T/ro/file"
run --rootfs "$R" -v "$T/data:/data" -v "$T/ro:/ro:ro" --tmpfs /scratch \
	--mount "type=tmpfs,target=/small,tmpfs-size=65536" \
	--mount "type=bind,source=$T/ro/file,target=/etc/one-file,readonly" \
	sh -c 'echo in-sandbox >/data/new; cat /ro/file; echo x >/ro/x || echo ro-refused;
	       echo t >/scratch/t && cat /scratch/t; df -k /small | tail -n 1; cat /etc/one-file' >"$T/out"
[ "$(cat "$T/data/new")" = in-sandbox ] || fail "a bind mount did not write through"
contains "$T/out" from-host
contains "$T/out" ro-refused
[ ! -e "$T/ro/x" ] || fail "a read-only bind was written"
grep -q '^t$' "$T/out" || fail "tmpfs: $(cat "$T/out")"
grep -q ' 64 ' "$T/out" || fail "tmpfs-size: $(cat "$T/out")"
[ "$(grep -c from-host "$T/out")" = 2 ] || fail "file bind: $(cat "$T/out")"
# a missing target is created (for a plain rootfs, in place), nested ones after their parent
run --rootfs "$R" -v "$T/ro:/new/deep/dir/sub:ro" -v "$T/data:/new/deep/dir" ls /new/deep/dir/sub >"$T/out"
contains "$T/out" file
[ -d "$R/new/deep/dir" ] && [ -d "$T/data/sub" ] || fail "nested mount points were not created"
# ...but not below a read-only mount
expect_rc 125 run --rootfs "$R" -v "$T/ro:/ro:ro" -v "$T/data:/ro/sub" true
contains "$T/err" "create mount point \`/ro/sub\`: Read-only file system"
expect_rc 125 run --rootfs "$R" -v "$T/missing:/x" true
contains "$T/err" "bind source \`$T/missing\`"
expect_rc 125 run --rootfs "$R" --mount type=bind,source=/,target=/../x true
contains "$T/err" "must be an absolute path below /"

# Symlinks in the image never send a mount out of the rootfs.
mkdir -p "$T/outside"
ln -s "../../../../../../$T/outside" "$R/escape"
run --rootfs "$R" -v "$T/data:/escape/inner" true
[ -z "$(ls -A "$T/outside")" ] || fail "a mount target escaped the rootfs: $(ls -A "$T/outside")"
R2=$T/rootfs2
make_rootfs "$R2"
rmdir "$R2/proc"
ln -s /etc "$R2/proc"
expect_rc 125 run --rootfs "$R2" true
contains "$T/err" "\`/proc\` in the rootfs must be a directory, not a symlink"
# a dangling /etc/resolv.conf symlink (images using systemd-resolved) gets the
# resolver through where it points, as with runc
rm -f "$R/etc/resolv.conf"
ln -s ../run/systemd/resolve/stub-resolv.conf "$R/etc/resolv.conf"
run --rootfs "$R" --network host sh -c 'readlink /etc/resolv.conf; cat /etc/resolv.conf' >"$T/out"
contains "$T/out" ../run/systemd/resolve/stub-resolv.conf
[ ! -s /etc/resolv.conf ] || contains "$T/out" "$(head -n 1 /etc/resolv.conf)"
# the private network's (the default) names pasta's DNS forwarder there (0520)
if command -v pasta >/dev/null && awk 'NR > 1 && $2 == "00000000" { f = 1 } END { exit !f }' /proc/net/route; then
	run --rootfs "$R" sh -c 'cat /etc/resolv.conf' >"$T/out"
	contains "$T/out" "nameserver 169.254.1.1"
fi
rm "$R/etc/resolv.conf"

# A plain rootfs without mount points gets them, in place.
R3=$T/rootfs3
mkdir -p "$R3"
cp "$PROBE" "$R3/probe"
run --rootfs "$R3" /probe ns >"$T/out"
expect_value pid 2
for d in proc dev sys; do [ -d "$R3/$d" ] || fail "/$d was not created in the plain rootfs"; done

finish
