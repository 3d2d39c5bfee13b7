// SPDX-License-Identifier: GPL-2.0
/*
 * W5: a timed wait that expires fails with ETIMEDOUT and changes nothing.
 * Also the rest of the timeout convention: 0 never blocks (-EAGAIN), < 0
 * waits without limit, a release before the deadline returns 0, and signals
 * neither cut a wait short nor stretch a deadline.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "wgtest.h"

#define TIMED_WAITERS	8
/* Slack for a slow VM: an expiry may come late, never early. */
#define LATE_NS		(5 * NSEC_PER_SEC)

static struct waitgroup wg;

struct release {
	struct waitgroup *wg;
	int64_t after_ns;
};

static void *release_later(void *p)
{
	struct release *r = p;

	sleep_ns(r->after_ns);
	CHECK_EQ(waitgroup_done(r->wg), 0);
	return NULL;
}

static void check_elapsed(int64_t start, int64_t min_ns, int64_t max_ns)
{
	int64_t took = now_ns() - start;

	if (took < min_ns || took > max_ns)
		FAIL("took %lld ns, expected %lld to %lld", (long long)took,
		     (long long)min_ns, (long long)max_ns);
}

/* wait_timeout(timeout) while another thread releases the group after `after`. */
static void released_during(int64_t timeout, int64_t after)
{
	struct release r = { &wg, after };
	int64_t start;
	pthread_t t;

	CHECK_EQ(waitgroup_add(&wg, 1), 0);
	start = now_ns();
	CHECK_EQ(pthread_create(&t, NULL, release_later, &r), 0);
	CHECK_EQ(waitgroup_wait_timeout(&wg, timeout), 0);
	check_elapsed(start, after, after + LATE_NS);
	pthread_join(t, NULL);
}

static void *timed_waiter(void *arg)
{
	(void)arg;
	CHECK_EQ(waitgroup_wait_timeout(&wg, 20 * NSEC_PER_MSEC), -ETIMEDOUT);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

struct pester {
	pthread_t target;
	atomic_bool stop;
};

static void *pester(void *p)
{
	struct pester *ps = p;

	while (!atomic_load(&ps->stop)) {
		pthread_kill(ps->target, SIGUSR1);
		sleep_ns(2 * NSEC_PER_MSEC);
	}
	return NULL;
}

static void under_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct pester ps = { .target = pthread_self() };
	struct release r = { &wg, 100 * NSEC_PER_MSEC };
	pthread_t p, t;
	int64_t start;

	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	CHECK_EQ(pthread_create(&p, NULL, pester, &ps), 0);

	/* A deadline holds across interruptions: not shorter, not longer. */
	CHECK_EQ(waitgroup_add(&wg, 1), 0);
	start = now_ns();
	CHECK_EQ(waitgroup_wait_timeout(&wg, 100 * NSEC_PER_MSEC), -ETIMEDOUT);
	check_elapsed(start, 100 * NSEC_PER_MSEC, 100 * NSEC_PER_MSEC + LATE_NS);

	/* An untimed wait is not ended by a signal, only by the release. */
	start = now_ns();
	CHECK_EQ(pthread_create(&t, NULL, release_later, &r), 0);
	CHECK_EQ(waitgroup_wait(&wg), 0);
	check_elapsed(start, r.after_ns, r.after_ns + LATE_NS);
	pthread_join(t, NULL);

	atomic_store(&ps.stop, true);
	pthread_join(p, NULL);
}

int main(void)
{
	pthread_t t[TIMED_WAITERS];
	int64_t start;
	int i;

	test_init("W5");

	/* Expiry: -ETIMEDOUT, not early, and the counter is unchanged. */
	CHECK_EQ(waitgroup_add(&wg, 1), 0);
	start = now_ns();
	CHECK_EQ(waitgroup_wait_timeout(&wg, 50 * NSEC_PER_MSEC), -ETIMEDOUT);
	check_elapsed(start, 50 * NSEC_PER_MSEC, 50 * NSEC_PER_MSEC + LATE_NS);
	CHECK_EQ(waitgroup_wait_timeout(&wg, 1), -ETIMEDOUT);

	/* Zero timeout: -EAGAIN at once while non-zero, 0 when zero. */
	start = now_ns();
	CHECK_EQ(waitgroup_wait_timeout(&wg, 0), -EAGAIN);
	check_elapsed(start, 0, LATE_NS);
	CHECK_EQ(waitgroup_done(&wg), 0);
	CHECK_EQ(waitgroup_wait_timeout(&wg, 0), 0);
	CHECK_EQ(waitgroup_done(&wg), -EINVAL);

	/* Many waiters expire together; the group still works after. */
	CHECK_EQ(waitgroup_add(&wg, 1), 0);
	for (i = 0; i < TIMED_WAITERS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, timed_waiter, NULL), 0);
	for (i = 0; i < TIMED_WAITERS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(waitgroup_done(&wg), 0);
	CHECK_EQ(waitgroup_wait_timeout(&wg, 0), 0);

	/* A release before the deadline, whatever the timeout's size. */
	released_during(10 * NSEC_PER_SEC, 30 * NSEC_PER_MSEC);
	released_during(-1, 30 * NSEC_PER_MSEC);
	released_during(INT64_MAX, 30 * NSEC_PER_MSEC);

	under_signals();
	test_pass("-ETIMEDOUT on time despite signals, -EAGAIN for 0");
}
