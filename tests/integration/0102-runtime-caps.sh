#!/bin/bash
# Capabilities and users: Docker's 14 for root (CapEff 00000000a80425fb),
# none for other users, inheritable and ambient empty; users and groups
# from the rootfs's /etc/passwd and /etc/group; no_new_privs off unless
# asked for, so setuid binaries (sudo) work.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
R=$T/rootfs
make_rootfs "$R"

run --rootfs "$R" /probe caps >"$T/out"
expect_value CapEff 00000000a80425fb
expect_value CapPrm 00000000a80425fb
expect_value CapBnd 00000000a80425fb
expect_value CapInh 0000000000000000
expect_value CapAmb 0000000000000000
expect_value NoNewPrivs 0
expect_value Seccomp 2
expect_value uid 0
expect_value gid 0
expect_value groups 0,10
expect_value home /root

for u in 1000 user; do
	run --rootfs "$R" -u "$u" /probe caps >"$T/out"
	expect_value CapEff 0000000000000000
	expect_value CapPrm 0000000000000000
	expect_value CapInh 0000000000000000
	expect_value CapAmb 0000000000000000
	expect_value CapBnd 00000000a80425fb
	expect_value uid 1000
	expect_value gid 1000
	# docker run's set: the memberships plus the primary gid
	expect_value groups 10,29,1000
	expect_value home /home/user
done
run --rootfs "$R" -u user:audio /probe caps >"$T/out"
expect_value gid 29
expect_value groups 29
run --rootfs "$R" -u 1000:10 --group-add 4242 /probe caps >"$T/out"
expect_value gid 10
expect_value groups 10,4242
run --rootfs "$R" -u 4321 /probe caps >"$T/out"
expect_value uid 4321
expect_value gid 0
expect_value home /
expect_rc 125 run --rootfs "$R" -u nosuch true
contains "$T/err" "unable to find user nosuch: no matching entries in passwd file"
expect_rc 125 run --rootfs "$R" -u user:nosuch true
contains "$T/err" "unable to find group nosuch: no matching entries in group file"

# --cap-drop/--cap-add change the set; the seccomp rules follow the set.
run --rootfs "$R" --cap-drop ALL /probe caps >"$T/out"
expect_value CapEff 0000000000000000
expect_value CapBnd 0000000000000000
run --rootfs "$R" --cap-drop NET_RAW --cap-add CAP_SYS_ADMIN /probe caps >"$T/out"
expect_value CapEff 00000000a82405fb
run --rootfs "$R" --cap-add SYS_ADMIN /probe seccomp >"$T/out"
expect_value unshare_64 OK
expect_value clone3_64 EINVAL

# no_new_privs is off by default: a setuid-root binary raises a user to euid 0
# (as sudo needs); --security-opt no-new-privileges stops that.
cp "$PROBE" "$R/suid-probe"
chmod 4755 "$R/suid-probe"
run --rootfs "$R" -u 1000 /suid-probe caps >"$T/out"
expect_value euid 0
expect_value CapEff 00000000a80425fb
run --rootfs "$R" -u 1000 --security-opt no-new-privileges /suid-probe caps >"$T/out"
expect_value euid 1000
expect_value NoNewPrivs 1
expect_value CapEff 0000000000000000
expect_value Seccomp 2

finish
