// SPDX-License-Identifier: GPL-2.0
/*
 * X2 and R5 under load (see atomic.h): 8 select tasks and 8
 * plain tasks on 16 unbuffered channels, so that selects meet selects on
 * both sides of a rendezvous, 100,000 elements exactly once.
 */
#include "atomic.h"

int main(void)
{
	atomic_run("threads, unbuffered channels, selects on both sides", 0, false);
}
