#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmbench.sh REPS WORKLOAD...: the guest side of tests/bench/run (busybox
# sh, in the stock-kernel VM, in /work with the benchmark binaries).  For
# each workload, REPS repetitions; each repetition runs chanbench and then,
# where Go has the workload and was built, gochan, so that chan and every
# peer are measured side by side.  The CSV lines of the programs go to
# stdout; progress lines start with '#'.  Exits 1 if any program failed (a
# result that did not check out), after running the rest.
reps=$1
shift
status=0
for w in "$@"; do
	r=1
	while [ "$r" -le "$reps" ]; do
		echo "# $w: repetition $r of $reps"
		./chanbench -r 1 "$w" || { echo "# FAIL: chanbench $w (exit $?)"; status=1; }
		case $w in
		pingpong|spsc|mpmc)
			if [ -x ./gochan ]; then
				./gochan -r 1 "$w" || { echo "# FAIL: gochan $w (exit $?)"; status=1; }
			fi
			;;
		esac
		r=$((r + 1))
	done
done
exit $status
