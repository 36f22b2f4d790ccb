#!/bin/bash
# Escape hygiene: inherited fds are closed, the cwd cannot be outside the
# root (CVE-2024-21626), and nothing in the sandbox can reach the cbuild
# binary, or overwrite what it reaches, through /proc/*/exe (CVE-2019-5736).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
R=$T/rootfs
make_rootfs "$R"
mkdir -p "$T/shared"

# fds: only 0, 1, 2, whatever cbuild inherited
exec 5</etc/passwd 6>/dev/null 9<"$T"
run --rootfs "$R" /probe fds >"$T/out"
exec 5<&- 6>&- 9<&-
expect_value fds 0,1,2

# cwd: /proc/self/fd/N (a leaked fd to a host directory) is refused; a
# symlink out of the rootfs resolves inside it.
for fd in 3 4 5 6 7 8; do
	expect_rc 125 run --rootfs "$R" -w "/proc/self/fd/$fd" /probe cwd
	contains "$T/err" "chdir to \`/proc/self/fd/$fd\`"
done
ln -s ../../../../../../.. "$R/up"
run --rootfs "$R" -w /up /probe cwd >"$T/out"
expect_value cwd /

# No process in the sandbox is a copy of cbuild: PID 1 is cbuild-init, run
# from a sealed memfd, and non-dumpable, so /proc/1/exe is closed to the step.
run --rootfs "$R" /probe exe >"$T/out"
expect_value open_proc1_exe EACCES
expect_value readlink_proc1_exe EACCES
expect_value open_proc1_mem EACCES
run --rootfs "$R" sh -c 'tr "\0" " " </proc/1/cmdline' >"$T/out"
contains "$T/out" "cbuild-init"
# Running /proc/self/exe from the sandbox (with cbuild's libraries in the
# rootfs, as a glibc image would have them) reaches cbuild-init, not cbuild.
for lib in $(ldd "$CBUILD" | grep -o '/[^ ]*'); do
	mkdir -p "$R$(dirname "$lib")"
	cp -L "$lib" "$R$lib"
done
expect_rc 2 run --rootfs "$R" /proc/self/exe version
contains "$T/err" "cbuild-init: the init of cbuild's sandbox"
! grep -q "cbuild version" "$T/out" || fail "cbuild itself ran in the sandbox"

# CVE-2019-5736: take an O_PATH handle on the init's executable through
# /proc/PID/exe while a step runs (what a step would do through /proc/1/exe
# if it could), and write through it once the step is over.  The init runs
# from a sealed memfd: the write fails, and nothing on disk is reachable.
command -v python3 >/dev/null || skip "python3 is not installed"
cat >"$T/attack.py" <<'PY'
import os, subprocess, sys, time
cbuild, T, cgp, rootfs = sys.argv[1:5]
# The step waits until the handle is taken (a handshake, not a fixed window).
p = subprocess.Popen([cbuild, "run", "--cgroup-parent", cgp, "--rootfs", rootfs,
                      "-v", T + "/shared:/shared", "/probe", "await", "/shared/ready",
                      "/shared/go"], stdout=subprocess.DEVNULL)
for _ in range(600):
    if os.path.exists(T + "/shared/ready"):
        break
    time.sleep(0.05)
else:
    p.kill()
    sys.exit("the step did not start")
init = int(open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()[0])
print("exe:init=" + os.readlink(f"/proc/{init}/exe"))
print("nnp:init=" + [l for l in open(f"/proc/{init}/status") if l.startswith("NoNewPrivs")][0].split()[1])
fd = os.open(f"/proc/{init}/exe", os.O_PATH)
open(T + "/shared/go", "w").close()
if p.wait(timeout=60) != 0:
    sys.exit("the step failed")
try:
    w = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY)
    os.write(w, b"PWNED")
    print("write=OK")
except OSError as e:
    print("write=" + (e.strerror or "error"))
PY
python3 "$T/attack.py" "$CBUILD" "$T" "$CGP" "$R" >"$T/out"
case "$(value exe:init "$T/out")" in /memfd:cbuild-init*) ;; *) fail "the init runs from $(value exe:init "$T/out")" ;; esac
expect_value nnp:init 1
! grep -q '^write=OK' "$T/out" || fail "wrote to the init's executable: $(cat "$T/out")"

finish
