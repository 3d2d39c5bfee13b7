// SPDX-License-Identifier: GPL-2.0
/*
 * W4 stress: 8 processes doing random add, done and wait on one shared group
 * in MAP_SHARED memory, checked as stress.h explains.  WG_SEED=n replays a
 * run's choices.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "stress.h"

#define PROCS	8
#define ITERS	2000

int main(void)
{
	struct stress *st;
	pid_t pids[PROCS];
	unsigned int seed;
	int i, status;

	test_init("W4 W1 W2 W3 stress, processes");
	seed = stress_seed();
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(st != MAP_FAILED);
	stress_init(st, PROCS, ITERS, WAITGROUP_SHARED);
	for (i = 0; i < PROCS; i++) {
		fflush(NULL);
		pids[i] = fork();
		CHECK(pids[i] >= 0);
		if (pids[i] == 0) {
			stress_worker(st, i, seed + i);
			_exit(0);
		}
	}
	CHECK_EQ(waitgroup_done(&st->start), 0);
	for (i = 0; i < PROCS; i++) {
		CHECK_EQ(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			FAIL("worker process %d failed (status %#x)", i, status);
	}
	stress_verdict(st, seed);
	return 0;
}
