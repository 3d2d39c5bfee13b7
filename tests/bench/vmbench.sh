#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmbench.sh REPS WORKLOAD...: the guest side of tests/bench/run (busybox
# sh, in the stock-kernel VM, in /work with the benchmark binaries).  For
# each workload, REPS repetitions; each repetition runs chanbench (gobench
# for goroutine) and then, where Go has the workload and was built, gochan,
# so that chan and every peer are measured side by side.  The CSV lines of
# the programs go to stdout; progress lines start with '#'.  Exits 1 if any
# program failed (a result that did not check out), after running the rest.
reps=$1
shift
# The fd limits of a login on Debian, which systemd sets (1024 soft, 524288
# hard), rather than the kernel's 1024/4096 that the VM's init inherits:
# the chain of gobench's goroutine workload makes 10,001 channels and
# leaves the soft limit to libchan's raise (G3).
# shellcheck disable=SC3045 # busybox sh's ulimit has -H and -S
if ! { ulimit -Hn 524288 && ulimit -Sn 1024; }; then
	echo "# FAIL: ulimit -n"
	exit 1
fi
status=0
for w in "$@"; do
	r=1
	while [ "$r" -le "$reps" ]; do
		echo "# $w: repetition $r of $reps"
		prog=./chanbench
		[ "$w" != goroutine ] || prog=./gobench
		$prog -r 1 "$w" || { echo "# FAIL: $prog $w (exit $?)"; status=1; }
		case $w in
		pingpong|spsc|mpmc|goroutine)
			if [ -x ./gochan ]; then
				./gochan -r 1 "$w" || { echo "# FAIL: gochan $w (exit $?)"; status=1; }
			fi
			;;
		esac
		r=$((r + 1))
	done
done
exit $status
