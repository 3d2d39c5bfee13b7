// SPDX-License-Identifier: GPL-2.0
/*
 * W3: when the counter reaches zero every waiter is released, and the group
 * can be used again.
 *
 * 1. Rounds on one group: waiters sleep, none returns before the release,
 *    all return after it.
 * 2. Reuse before the waiter runs: done() then add(1) at once, while the
 *    waiter sleeps.  The counter is non-zero again when it wakes, but it saw
 *    its release and must return (a futex on the counter would miss this).
 * 3. Hardening rule 23: the waiter frees the group as soon as its wait
 *    returns, while done() may still be running.  Under ASan any touch of
 *    the group after the release is a use-after-free report.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "wgtest.h"

#define WAITERS		16
#define ROUNDS		20
#define REUSE_ROUNDS	20
#define FREE_ROUNDS	500

static struct waitgroup wg;
static atomic_int released_round;	/* the round whose release was done */
static atomic_int returned;
static _Atomic pid_t tids[WAITERS];

static void *waiter(void *arg)
{
	int round = (int)(intptr_t)arg / WAITERS, self = (int)(intptr_t)arg % WAITERS;

	atomic_store(&tids[self], gettid());
	CHECK_EQ(waitgroup_wait(&wg), 0);
	if (atomic_load(&released_round) != round)
		FAIL("waiter of round %d returned before its release", round);
	atomic_fetch_add(&returned, 1);
	return NULL;
}

static void join_within(pthread_t t, int64_t ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ns / NSEC_PER_SEC;
	if (pthread_timedjoin_np(t, NULL, &ts))
		FAIL("a waiter was not released");
}

static void release_rounds(void)
{
	pthread_t t[WAITERS];
	int round, i;

	for (round = 1; round <= ROUNDS; round++) {
		atomic_store(&returned, 0);
		CHECK_EQ(waitgroup_add(&wg, 2), 0);
		for (i = 0; i < WAITERS; i++) {
			atomic_store(&tids[i], 0);
			CHECK_EQ(pthread_create(&t[i], NULL, waiter,
				(void *)(intptr_t)(round * WAITERS + i)), 0);
		}
		for (i = 0; i < WAITERS; i++) {
			while (!atomic_load(&tids[i]))
				sleep_ns(NSEC_PER_MSEC / 10);
			wait_in_futex(atomic_load(&tids[i]));
		}
		CHECK_EQ(waitgroup_done(&wg), 0);
		sleep_ns(NSEC_PER_MSEC);
		CHECK_EQ(atomic_load(&returned), 0);
		atomic_store(&released_round, round);
		CHECK_EQ(waitgroup_done(&wg), 0);
		for (i = 0; i < WAITERS; i++)
			join_within(t[i], RELEASE_NS);
		CHECK_EQ(atomic_load(&returned), WAITERS);
	}
}

static void reuse_before_wakeup(void)
{
	pthread_t t;
	int round;

	for (round = ROUNDS + 1; round <= ROUNDS + REUSE_ROUNDS; round++) {
		CHECK_EQ(waitgroup_add(&wg, 1), 0);
		atomic_store(&tids[0], 0);
		CHECK_EQ(pthread_create(&t, NULL, waiter,
					(void *)(intptr_t)(round * WAITERS)), 0);
		while (!atomic_load(&tids[0]))
			sleep_ns(NSEC_PER_MSEC / 10);
		wait_in_futex(atomic_load(&tids[0]));
		atomic_store(&released_round, round);
		CHECK_EQ(waitgroup_done(&wg), 0);
		CHECK_EQ(waitgroup_add(&wg, 1), 0);
		join_within(t, RELEASE_NS);
		CHECK_EQ(waitgroup_done(&wg), 0);
	}
}

static void *wait_and_free(void *p)
{
	CHECK_EQ(waitgroup_wait(p), 0);
	free(p);
	return NULL;
}

static void free_after_wait(void)
{
	struct waitgroup *g;
	pthread_t t;
	int i;

	for (i = 0; i < FREE_ROUNDS; i++) {
		g = malloc(sizeof(*g));
		CHECK(g);
		waitgroup_init(g, i & 1 ? WAITGROUP_SHARED : 0);
		CHECK_EQ(waitgroup_add(g, 1), 0);
		CHECK_EQ(pthread_create(&t, NULL, wait_and_free, g), 0);
		/* Now and then let the waiter reach the futex first. */
		if (i % 4 == 0)
			sleep_ns(NSEC_PER_MSEC / 20);
		CHECK_EQ(waitgroup_done(g), 0);
		join_within(t, RELEASE_NS);
	}
}

int main(void)
{
	test_init("W3");
	release_rounds();
	reuse_before_wakeup();
	free_after_wait();
	test_pass("all waiters released at zero, also when re-added at once");
}
