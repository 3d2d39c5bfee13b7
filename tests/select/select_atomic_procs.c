// SPDX-License-Identifier: GPL-2.0
/*
 * X2 and R5 under load (see atomic.h): 8 select tasks and 8
 * plain tasks, all processes, on 16 buffered channels, 100,000 elements
 * exactly once.
 */
#include "atomic.h"

int main(void)
{
	atomic_run("processes, buffered channels", 4, true);
}
