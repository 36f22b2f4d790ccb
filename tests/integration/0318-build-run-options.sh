#!/bin/bash
# The build flags that shape RUN steps: --network none (loopback only) and
# host (the host's interfaces), --memory, --pids-limit and --cpus (the
# step's cgroup limits, cgroup v1 or v2), --security-opt no-new-privileges
# and seccomp=unconfined (Docker's default profile otherwise); and
# --progress plain (every output line of a step) and quiet (no progress).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-lib.sh"

ctx c
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN ls /sys/class/net | sort | tr '\n' ' ' > /net
EOF
build --network none -t opt:none c
eq "interfaces with --network none" "$(crun opt:none cat /net)" "lo "
# The RUN steps of a build share one network namespace made once (lo up in
# it), not one each, whatever their stage (issue 11); none is the host's.
cat >c/Dockerfile <<'EOF'
FROM busybox:test AS a
RUN readlink /proc/self/ns/net > /ns1 && cat /sys/class/net/lo/flags > /lo1
RUN readlink /proc/self/ns/net > /ns2 && cat /sys/class/net/lo/flags > /lo2
FROM busybox:test AS b
RUN readlink /proc/self/ns/net > /nsb
FROM busybox:test
COPY --from=a /ns1 /ns2 /lo1 /lo2 /
COPY --from=b /nsb /
EOF
build --network none -t opt:netns c
ns1=$(crun opt:netns cat /ns1)
eq "the second step's network namespace" "$(crun opt:netns cat /ns2)" "$ns1"
eq "the other stage's network namespace" "$(crun opt:netns cat /nsb)" "$ns1"
[ "$ns1" != "$(readlink /proc/self/ns/net)" ] || fail "--network none ran in the host's namespace"
for f in lo1 lo2; do
	# IFF_UP (0x1) set in lo's flags, in the step that made it and the one after
	[ $(($(crun opt:netns cat /$f) & 1)) = 1 ] || fail "lo is down in the step that wrote /$f"
done
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN ls /sys/class/net | sort | tr '\n' ' ' > /net
EOF
build --network host -t opt:host c
# the host's interfaces (other tests may add some meanwhile: each one seen
# must be the host's, and the default route's must be seen)
for i in $(crun opt:host cat /net); do
	[ -e "/sys/class/net/$i" ] || fail "--network host: the step saw '$i', the host has no such interface"
done
dev=$(awk 'NR > 1 && $2 == "00000000" { print $1; exit }' /proc/net/route)
if [ -n "$dev" ]; then
	case " $(crun opt:host cat /net)" in
	*" $dev "*) ;;
	*) fail "--network host: the step did not see $dev: $(crun opt:host cat /net)" ;;
	esac
else
	not_applicable "the host has no default route: --network host checked by names only"
fi

# Limits: whichever cgroup layout the step sees.
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN cd /sys/fs/cgroup && \
    { cat pids/pids.max 2>/dev/null || cat pids.max 2>/dev/null || echo none; } > /pids && \
    { cat memory/memory.limit_in_bytes 2>/dev/null || cat memory.max 2>/dev/null || echo none; } > /mem && \
    { cat cpu/cpu.cfs_quota_us 2>/dev/null || cut -d' ' -f1 cpu.max 2>/dev/null || echo none; } > /cpu
EOF
build --memory 64m --pids-limit 50 --cpus 1.5 -t opt:limits c
if [ "$(crun opt:limits cat /pids)" = none ]; then
	not_applicable "RUN steps see no cgroup files here (host cgroups: $(host_cgroups))"
else
	eq "pids limit" "$(crun opt:limits cat /pids)" 50
	eq "memory limit" "$(crun opt:limits cat /mem)" 67108864
	eq "cpu quota (per 100 ms)" "$(crun opt:limits cat /cpu)" 150000
fi

# Security options.
printf 'FROM busybox:test\nRUN grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\\t " " " > /sec\n' \
	>c/Dockerfile
build -t opt:default-sec c
eq "default security" "$(crun opt:default-sec cat /sec)" "NoNewPrivs: 0
Seccomp: 2"
build --no-cache --security-opt no-new-privileges -t opt:nnp c
eq "no-new-privileges" "$(crun opt:nnp cat /sec)" "NoNewPrivs: 1
Seccomp: 2"
build --no-cache --security-opt seccomp=unconfined -t opt:unconfined c
eq "seccomp=unconfined" "$(crun opt:unconfined cat /sec)" "NoNewPrivs: 0
Seccomp: 0"

# --progress plain: every line of the step's output, none clipped.
cat >c/Dockerfile <<'EOF'
FROM busybox:test
RUN for i in $(seq 1 200); do echo "line $i of the step $(printf '%0200d' 0)"; done
EOF
build --progress plain -t opt:plain c
for i in 1 100 200; do
	grep -q "line $i of the step $(printf '%0200d' 0)\$" "$T/err" ||
		fail "--progress plain lacks line $i (or clipped it)"
done
# --progress quiet: no progress at all (buildx prints the ID for -q only).
build --no-cache --progress quiet -t opt:quiet c
eq "--progress quiet's stdout" "$(cat "$T/out")" ""
not_in_file "$T/err" "line 1 of"
not_in_file "$T/err" "#1"
finish
