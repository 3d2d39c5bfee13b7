// SPDX-License-Identifier: GPL-2.0
/*
 * X8: a select with no cases is Go's select {}: it blocks until its timeout
 * (ETIMEDOUT) or a signal (EINTR), and with a zero timeout (select {
 * default: }) fails at once with EAGAIN.  libchan waits by itself, so no
 * module is needed, and cases is never read (NULL or a bad pointer do).
 * A handled signal ends the wait with EINTR also under SA_RESTART (Go's
 * select {} is never interrupted; here it is the way out); a signal
 * without a handler does not end it.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "wgtest.h"

#define BAD_CASES	((struct chan_case *)(uintptr_t)16)
/* A VM without KVM may be late by this much. */
#define SLACK_NS	(2 * NSEC_PER_SEC)

static atomic_int handled;
static atomic_bool done;
static pthread_t main_thread;
static struct waitgroup pesters;

static void on_signal(int sig)
{
	(void)sig;
	handled++;
}

/* Until done, signal the main thread every 20 ms: one arrives in the wait. */
static void *pester(void *arg)
{
	int sig = (int)(intptr_t)arg;

	while (!atomic_load(&done)) {
		sleep_ns(20 * NSEC_PER_MSEC);
		if (!atomic_load(&done))
			pthread_kill(main_thread, sig);
	}
	return NULL;
}

static void handler(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(sig, &sa, NULL), 0);
}

/* chan_select(cases, 0, timeout) while a thread sends sig; its result. */
static int interrupted(struct chan_case *cases, int64_t timeout, int sig,
		       int64_t *took)
{
	int64_t start;
	int ret;

	atomic_store(&done, false);
	/*
	 * A wait group, not pthread_join(): under qemu-i386 (7.2) a thread
	 * that has handled a signal fails every join with EDEADLK.
	 */
	CHECK_EQ(waitgroup_go(&pesters, pester, (void *)(intptr_t)sig), 0);
	start = now_ns();
	ret = chan_select(cases, 0, timeout);
	*took = now_ns() - start;
	atomic_store(&done, true);
	CHECK_EQ(waitgroup_wait(&pesters), 0);
	return ret;
}

int main(void)
{
	int64_t start, took;
	int before;

	test_init("X8");
	main_thread = pthread_self();

	/* select { default: } */
	start = now_ns();
	CHECK_EQ(chan_select(NULL, 0, 0), -EAGAIN);
	CHECK_EQ(chan_select(BAD_CASES, 0, 0), -EAGAIN);
	CHECK(now_ns() - start < SLACK_NS);

	/* A timeout: ETIMEDOUT, not early, not much late. */
	start = now_ns();
	CHECK_EQ(chan_select(BAD_CASES, 0, 50 * NSEC_PER_MSEC), -ETIMEDOUT);
	took = now_ns() - start;
	if (took < 50 * NSEC_PER_MSEC || took > 50 * NSEC_PER_MSEC + SLACK_NS)
		FAIL("a 50 ms select {} took %lld ns", (long long)took);
	start = now_ns();
	CHECK_EQ(chan_select(NULL, 0, 1), -ETIMEDOUT);
	CHECK(now_ns() - start < SLACK_NS);

	/* select {}: a handled signal ends it, with or without SA_RESTART. */
	handler(SIGUSR1, 0);
	handler(SIGUSR2, SA_RESTART);
	before = handled;
	CHECK_EQ(interrupted(NULL, -1, SIGUSR1, &took), -EINTR);
	CHECK(handled > before);
	before = handled;
	CHECK_EQ(interrupted(BAD_CASES, -1, SIGUSR2, &took), -EINTR);
	CHECK(handled > before);
	/* Also with a timeout, however far: the largest ends as soon. */
	CHECK_EQ(interrupted(NULL, 60 * NSEC_PER_SEC, SIGUSR2, &took), -EINTR);
	CHECK(took < SLACK_NS);
	CHECK_EQ(interrupted(NULL, INT64_MAX, SIGUSR1, &took), -EINTR);
	CHECK(took < SLACK_NS);

	/* A signal nobody handles (SIGURG's default is to ignore it). */
	CHECK_EQ(interrupted(NULL, 300 * NSEC_PER_MSEC, SIGURG, &took),
		 -ETIMEDOUT);
	CHECK(took >= 300 * NSEC_PER_MSEC);
	test_pass("no cases: EAGAIN at once, ETIMEDOUT on time, EINTR on a signal");
}
