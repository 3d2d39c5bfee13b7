// SPDX-License-Identifier: GPL-2.0
/*
 * W1 W2 W3 stress: 64 threads doing random add, done and wait on one private
 * group, checked as stress.h explains.  WG_SEED=n replays a run's choices.
 */
#include <pthread.h>

#include "stress.h"

#define THREADS	64
#define ITERS	1000

static struct stress st;
static unsigned int seed;

static void *worker(void *arg)
{
	int self = (int)(intptr_t)arg;

	stress_worker(&st, self, seed + self);
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	int i;

	test_init("W1 W2 W3 stress, threads");
	seed = stress_seed();
	stress_init(&st, THREADS, ITERS, 0);
	for (i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
	CHECK_EQ(waitgroup_done(&st.start), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	stress_verdict(&st, seed);
	return 0;
}
