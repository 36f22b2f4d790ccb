#!/bin/bash
# Issue 11, seccomp: the default profile follows Docker's current one (moby
# profiles/seccomp/default.json): calls it added since 2024 (cachestat,
# fchmodat2, map_shadow_stack, futex_wake, ...) reach the kernel, which
# answers as it does without a filter, instead of the stub's ENOSYS for a
# call newer than the profile.  As root and rootless, native and (where
# the kernel runs it) i386.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
chmod 755 "$T"
R=$T/rootfs
make_rootfs "$R"

seccomp_abis "i386 checks of the newer calls"
run --rootfs "$R" --security-opt seccomp=unconfined /probe seccomp >"$T/free"
# a kernel older than the calls answers ENOSYS unfiltered too: nothing to tell apart
if ! grep -qE '^(cachestat|fchmodat2|futex_wake)_64=(OK|E[A-Z0-9]+)$' "$T/free" ||
	[ "$(grep -cE '^(cachestat|fchmodat2|futex_wake)_64=ENOSYS$' "$T/free")" = 3 ]; then
	not_applicable_exit "this kernel has none of cachestat, fchmodat2, futex_wake (6.5-6.7)"
fi
# same_as_unconfined OUT: each newer call gets the answer it gets unfiltered
same_as_unconfined() {
	for abi in $ABIS; do
		for call in cachestat fchmodat2 map_shadow_stack futex_wake; do
			want=$(sed -n "s/^${call}_$abi=//p" "$T/free")
			[ -n "$want" ] || fail "no unfiltered answer for ${call}_$abi: $(cat "$T/free")"
			expect_value "${call}_$abi" "$want"
		done
		# and the profile's refusals are still there
		expect_value "keyctl_$abi" EPERM
	done
}
seccomp_root_and_rootless same_as_unconfined "rootless checks of the newer calls"
finish
