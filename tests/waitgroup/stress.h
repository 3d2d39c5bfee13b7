/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Random add/done/wait on one group, by threads or processes, with a checker.
 *
 * Each worker holds tokens: it adds some, gives some back, and waits only
 * while it holds none (else it would wait for itself).  It counts what it
 * added after each add and what it gave back before each done.  The check:
 * a wait returns only after the counter was zero at some moment since the
 * wait began, when no worker held a token; so every token added before the
 * wait began has been given back when the wait returns, and the done that
 * gave it back happened before the wait's return (W2, W3).
 */
#ifndef STRESS_H
#define STRESS_H

#include <stdatomic.h>

#include "wgtest.h"

#define STRESS_MAX_WORKERS	64
#define STRESS_MAX_HELD		8

struct stress {
	struct waitgroup wg;
	struct waitgroup start;		/* held at one until all workers exist */
	int workers;
	int iters;
	atomic_ullong added[STRESS_MAX_WORKERS];
	atomic_ullong given[STRESS_MAX_WORKERS];
	atomic_ullong waits, timeouts, zero_hits;
	atomic_int violations;
};

static inline unsigned int stress_seed(void)
{
	const char *env = getenv("WG_SEED");

	return env ? (unsigned int)strtoul(env, NULL, 0)
		   : (unsigned int)now_ns();
}

static void stress_give(struct stress *st, int self, int *held, int n)
{
	int ret;

	atomic_fetch_add(&st->given[self], n);
	ret = waitgroup_add(&st->wg, -n);
	/* The counter includes our tokens, so this cannot go below zero. */
	if (ret)
		FAIL("worker %d: giving back %d of %d: %d", self, n, *held, ret);
	*held -= n;
}

static void stress_wait(struct stress *st, int self, unsigned int *seed)
{
	unsigned long long before[STRESS_MAX_WORKERS];
	int64_t timeout;
	int i, ret;

	for (i = 0; i < st->workers; i++)
		before[i] = atomic_load(&st->added[i]);
	switch (rand_r(seed) % 3) {
	case 0:
		ret = waitgroup_wait(&st->wg);
		break;
	case 1:
		ret = waitgroup_wait_timeout(&st->wg, 0);
		break;
	default:
		timeout = (1 + (int64_t)(rand_r(seed) % 2000)) * 1000;
		ret = waitgroup_wait_timeout(&st->wg, timeout);
		break;
	}
	if (ret == -EAGAIN || ret == -ETIMEDOUT) {
		atomic_fetch_add(&st->timeouts, 1);
		return;
	}
	if (ret)
		FAIL("worker %d: wait returned %d", self, ret);
	atomic_fetch_add(&st->waits, 1);
	for (i = 0; i < st->workers; i++) {
		unsigned long long given = atomic_load(&st->given[i]);

		if (given < before[i] &&
		    atomic_fetch_add(&st->violations, 1) < 10)
			fprintf(stderr, "worker %d: wait returned, worker %d gave back %llu of %llu tokens added before it\n",
				self, i, given, before[i]);
	}
}

static void stress_worker(struct stress *st, int self, unsigned int seed)
{
	int held = 0, i, n;

	CHECK_EQ(waitgroup_wait(&st->start), 0);
	for (i = 0; i < st->iters; i++) {
		switch (rand_r(&seed) % 8) {
		case 0: case 1: case 2:
			n = 1 + rand_r(&seed) % 3;
			if (held + n > STRESS_MAX_HELD)
				break;
			CHECK_EQ(waitgroup_add(&st->wg, n), 0);
			held += n;
			atomic_fetch_add(&st->added[self], n);
			/* Work a while with tokens held, so waiters sleep. */
			if (rand_r(&seed) % 4 == 0)
				sleep_ns(rand_r(&seed) % 200000);
			break;
		case 3: case 4:
			if (held)
				stress_give(st, self, &held,
					    1 + rand_r(&seed) % held);
			break;
		default:
			if (held)
				stress_give(st, self, &held, held);
			stress_wait(st, self, &seed);
			break;
		}
	}
	if (held)
		stress_give(st, self, &held, held);
}

static inline void stress_init(struct stress *st, int workers, int iters,
			       unsigned int flags)
{
	waitgroup_init(&st->wg, flags);
	waitgroup_init(&st->start, flags);
	CHECK_EQ(waitgroup_add(&st->start, 1), 0);
	st->workers = workers;
	st->iters = iters;
}

/* After all workers are gone: the group is empty and the checker was happy. */
static void stress_verdict(struct stress *st, unsigned int seed)
{
	int i;

	CHECK_EQ(waitgroup_wait_timeout(&st->wg, 0), 0);
	CHECK_EQ(waitgroup_done(&st->wg), -EINVAL);
	for (i = 0; i < st->workers; i++)
		CHECK_EQ(atomic_load(&st->added[i]), atomic_load(&st->given[i]));
	if (atomic_load(&st->violations))
		FAIL("%d waits returned early (WG_SEED=%u)",
		     atomic_load(&st->violations), seed);
	/* A checker that saw no completed wait proved nothing. */
	CHECK(atomic_load(&st->waits) > 0);
	printf("%s: pass: %d x %d ops, WG_SEED=%u: %llu waits checked, %llu timed out\n",
	       test_rule, st->workers, st->iters, seed,
	       atomic_load(&st->waits), atomic_load(&st->timeouts));
}

#endif /* STRESS_H */
