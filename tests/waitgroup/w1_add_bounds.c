// SPDX-License-Identifier: GPL-2.0
/*
 * W1: add(delta) moves the counter by delta; a result below zero fails with
 * EINVAL and a result past INT32_MAX with EOVERFLOW, both leaving the counter
 * as it was.  The counter is not readable, so each check reads it back by
 * counting how many dones it takes to reach zero.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "wgtest.h"

#define RACERS		4
#define RACE_OPS	2000

static struct waitgroup race_wg;
static atomic_int race_ok, race_fail;

/* Expect the counter to be exactly n: n dones succeed, then it is empty. */
static void expect_count(struct waitgroup *wg, int n)
{
	if (n > 0)
		CHECK_EQ(waitgroup_wait_timeout(wg, 0), -EAGAIN);
	CHECK_EQ(waitgroup_add(wg, -n), 0);
	CHECK_EQ(waitgroup_wait_timeout(wg, 0), 0);
	CHECK_EQ(waitgroup_done(wg), -EINVAL);
}

static void *racer(void *delta)
{
	int i, ret;

	for (i = 0; i < RACE_OPS; i++) {
		ret = waitgroup_add(&race_wg, (int)(intptr_t)delta);
		if (ret == 0)
			atomic_fetch_add(&race_ok, 1);
		else if (ret == -EOVERFLOW || ret == -EINVAL)
			atomic_fetch_add(&race_fail, 1);
		else
			FAIL("waitgroup_add returned %d", ret);
	}
	return NULL;
}

/* RACERS threads add delta from start; exactly `room` adds may succeed. */
static void race(int start, int delta, int room)
{
	pthread_t t[RACERS];
	int i;

	waitgroup_init(&race_wg, 0);
	CHECK_EQ(waitgroup_add(&race_wg, start), 0);
	atomic_store(&race_ok, 0);
	atomic_store(&race_fail, 0);
	for (i = 0; i < RACERS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, racer,
					(void *)(intptr_t)delta), 0);
	for (i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(atomic_load(&race_ok), room);
	CHECK_EQ(atomic_load(&race_fail), RACERS * RACE_OPS - room);
	expect_count(&race_wg, start + room * delta);
}

int main(void)
{
	struct waitgroup wg = WAITGROUP_INIT, zeroed;

	test_init("W1");

	/* Zero-filled and WAITGROUP_INIT are both valid empty groups. */
	memset(&zeroed, 0, sizeof(zeroed));
	CHECK_EQ(waitgroup_wait_timeout(&zeroed, 0), 0);
	CHECK_EQ(waitgroup_add(&zeroed, 2), 0);
	expect_count(&zeroed, 2);
	CHECK_EQ(waitgroup_wait(&wg), 0);

	/* Below zero: EINVAL, counter unchanged. */
	CHECK_EQ(waitgroup_done(&wg), -EINVAL);
	CHECK_EQ(waitgroup_add(&wg, -1), -EINVAL);
	CHECK_EQ(waitgroup_add(&wg, INT_MIN), -EINVAL);
	CHECK_EQ(waitgroup_wait_timeout(&wg, 0), 0);
	CHECK_EQ(waitgroup_add(&wg, 0), 0);
	CHECK_EQ(waitgroup_wait_timeout(&wg, 0), 0);
	CHECK_EQ(waitgroup_add(&wg, 5), 0);
	CHECK_EQ(waitgroup_add(&wg, -6), -EINVAL);
	CHECK_EQ(waitgroup_add(&wg, INT_MIN), -EINVAL);
	expect_count(&wg, 5);

	/* By delta, in both directions. */
	CHECK_EQ(waitgroup_add(&wg, 3), 0);
	CHECK_EQ(waitgroup_add(&wg, 4), 0);
	CHECK_EQ(waitgroup_add(&wg, -2), 0);
	CHECK_EQ(waitgroup_done(&wg), 0);
	expect_count(&wg, 4);

	/* Past INT32_MAX: EOVERFLOW, counter unchanged. */
	CHECK_EQ(waitgroup_add(&wg, INT32_MAX), 0);
	CHECK_EQ(waitgroup_add(&wg, 1), -EOVERFLOW);
	CHECK_EQ(waitgroup_add(&wg, INT_MAX), -EOVERFLOW);
	expect_count(&wg, INT32_MAX);
	CHECK_EQ(waitgroup_add(&wg, INT32_MAX - 1), 0);
	CHECK_EQ(waitgroup_add(&wg, 1), 0);
	CHECK_EQ(waitgroup_add(&wg, 1), -EOVERFLOW);
	expect_count(&wg, INT32_MAX);

	/* waitgroup_init empties a group. */
	CHECK_EQ(waitgroup_add(&wg, 7), 0);
	waitgroup_init(&wg, 0);
	CHECK_EQ(waitgroup_wait_timeout(&wg, 0), 0);

	/* Racing at both bounds, each add is all or nothing. */
	race(INT32_MAX - 1000, 1, 1000);
	race(1000, -1, 1000);
	race(INT32_MAX - 3000, 7, 3000 / 7);

	test_pass("-EINVAL below zero, -EOVERFLOW past INT32_MAX, unchanged");
}
