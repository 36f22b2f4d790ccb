# bench/lib.sh - the prologue the benchmark scripts share (sourced by
# build.sh, registry.sh and network.sh): new stores for cold runs, the
# checks before a run, mounts left behind, the load average, the versions
# printed with the results, and a private dockerd (on $dd, with $docker and
# $DOCKER_HOST set by the caller, its base image from $dir/bb.tar).
# Sourcing it runs nothing.
# shellcheck shell=bash disable=SC2034 # the v_* variables are the caller's

# fresh LINK: point the symlink LINK at a new, empty directory.  Cold runs
# start from new stores instead of deleting the last run's: this ext4 has
# no journal, and then it skips inodes freed in the last minute (six when
# their inode table block is still dirty) when it allocates, a scan that
# made the next 60k-file tree 1.5-3x slower to write, for every builder
# (see bench/RESULTS.md).  The old stores are removed at the end.
fresh() {
	local d
	d=$(mktemp -d "$1.XXXXXX")
	ln -sfn "$(basename "$d")" "$1"
}

# bench_init NAME [CBUILD]: go to the top of the tree; set top, self (this
# benchmark, bench/NAME, which hyperfine's --prepare calls again) and
# cbuild (CBUILD, default build/cli/cbuild, as an absolute path).
bench_init() {
	cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
	top=$(pwd)
	self=$top/bench/$1
	cbuild=$(realpath "${2:-build/cli/cbuild}")
}

# bench_require TOOL...: root, cbuild built, and each TOOL installed; else
# a message and exit 1.
bench_require() {
	local name t
	name=$(basename "$self")
	[ "$(id -u)" = 0 ] || { echo "$name: run as root" >&2; exit 1; }
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$name: $t is not installed" >&2; exit 1; }
	done
	[ -x "$cbuild" ] || { echo "$name: build cbuild first ($cbuild)" >&2; exit 1; }
}

# bench_umount_under DIR...: lazily unmount what is mounted below each DIR
# (what the daemons and buildah leave behind), deepest first.
bench_umount_under() {
	local root m
	for root in "$@"; do
		findmnt -rn -o TARGET | grep "^$root/" | sort -r | while read -r m; do
			umount -l "$m"
		done
	done
}

# load: the load averages (1, 5 and 15 minutes).
load() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_versions DIR: what the results name of this machine and of cbuild:
# v_cbuild, v_type (its build type), v_hyperfine, v_kernel, v_cpu, v_mem
# and v_fs (the file system of DIR, the work directory).
bench_versions() {
	v_cbuild=${CBUILD_DESCRIBE:-$(git -C "$top" describe --always --dirty --tags 2>/dev/null || echo unknown)}
	v_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$cbuild")/../CMakeCache.txt" 2>/dev/null)
	v_hyperfine=$(hyperfine --version)
	v_kernel=$(uname -r)
	v_cpu="$(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	v_mem=$(free -g | awk '/^Mem:/ { print $2 " GiB" }')
	v_fs=$(df --output=fstype "$1" | tail -1)
}

# daemons STOP|CONT: freeze or thaw the benchmark's dockerd and containerd.
daemons() {
	local pid
	for pid in $(cat "$dd/docker.pid" 2>/dev/null) $(pgrep -f "containerd --config $dd/" || true); do
		kill -"$1" "$pid" 2>/dev/null || true
	done
}

# dockerd_stop: stop the benchmark's dockerd, if it runs (thawed first:
# bench() freezes it while other tools are measured).
dockerd_stop() {
	local pid
	pid=$(cat "$dd/docker.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
		kill -CONT "$pid" 2>/dev/null || true
		stop_pid "$pid" 150 0.1
	fi
}

# stop_pid PID TRIES DELAY: SIGTERM, up to TRIES waits of DELAY seconds for
# PID to end, then SIGKILL.
stop_pid() {
	kill "$1" 2>/dev/null || true
	for _ in $(seq 1 "$2"); do
		kill -0 "$1" 2>/dev/null || break
		sleep "$3"
	done
	kill -9 "$1" 2>/dev/null || true
}

# dockerd_fresh: stop the benchmark's dockerd, start one on a new data root
# and import the base into it.
dockerd_fresh() {
	dockerd_stop
	fresh "$dd/data"
	dockerd --host "$DOCKER_HOST" --data-root "$dd/data" --exec-root "$dd/exec" \
		--pidfile "$dd/docker.pid" --iptables=false --bridge=none \
		</dev/null >>"$dd/log" 2>&1 &
	for _ in $(seq 1 150); do
		$docker version >/dev/null 2>&1 && break
		sleep 0.2
	done
	$docker version >/dev/null || { tail "$dd/log" >&2; return 1; }
	$docker import "$dir/bb.tar" busybox:bench >/dev/null
}
