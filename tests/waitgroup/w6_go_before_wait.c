// SPDX-License-Identifier: GPL-2.0
/*
 * W6: waitgroup_go adds one before the new thread exists, so a wait that
 * follows it cannot miss the thread.
 *
 * Each goroutine sleeps before it does its work, so that with an add inside
 * the thread the wait would usually find the counter still at zero.  The
 * counter is also checked right after each waitgroup_go returns, when the
 * thread may not have run at all.  Failures leave the counter unchanged and
 * run nothing; a goroutine leaving by pthread_exit still counts as done.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "wgtest.h"

#define GOROUTINES	64
#define ROUNDS		5

static atomic_int finished;
static struct waitgroup gate;
/* Plain memory: the wait alone orders these writes before the reads. */
static int results[GOROUTINES];

static void *work(void *arg)
{
	intptr_t i = (intptr_t)arg;

	sleep_ns((1 + i % 4) * NSEC_PER_MSEC);
	results[i] = (int)i + 1;
	atomic_fetch_add(&finished, 1);
	return NULL;
}

static void *gated(void *arg)
{
	(void)arg;
	CHECK_EQ(waitgroup_wait(&gate), 0);
	atomic_fetch_add(&finished, 1);
	return NULL;
}

static void *must_not_run(void *arg)
{
	(void)arg;
	FAIL("a goroutine ran after waitgroup_go failed");
}

static void *exits_early(void *arg)
{
	(void)arg;
	pthread_exit(NULL);
}

int main(void)
{
	struct waitgroup wg = WAITGROUP_INIT;
	void *hold;
	int round, i;

	test_init("W6");

	for (round = 1; round <= ROUNDS; round++) {
		atomic_store(&finished, 0);
		memset(results, 0, sizeof(results));
		for (i = 0; i < GOROUTINES; i++)
			CHECK_EQ(waitgroup_go(&wg, work, (void *)(intptr_t)i), 0);
		CHECK_EQ(waitgroup_wait(&wg), 0);
		/* Before any atomic of ours could order them (for TSan). */
		for (i = 0; i < GOROUTINES; i++)
			CHECK_EQ(results[i], i + 1);
		CHECK_EQ(atomic_load(&finished), GOROUTINES);
	}

	/* Counted on return, before the (gated) thread can have finished. */
	atomic_store(&finished, 0);
	CHECK_EQ(waitgroup_add(&gate, 1), 0);
	for (i = 0; i < GOROUTINES; i++) {
		CHECK_EQ(waitgroup_go(&wg, gated, NULL), 0);
		CHECK_EQ(waitgroup_wait_timeout(&wg, 0), -EAGAIN);
	}
	CHECK_EQ(waitgroup_wait_timeout(&wg, 10 * NSEC_PER_MSEC), -ETIMEDOUT);
	CHECK_EQ(waitgroup_done(&gate), 0);
	CHECK_EQ(waitgroup_wait(&wg), 0);
	CHECK_EQ(atomic_load(&finished), GOROUTINES);

	/* pthread_exit() from the goroutine still counts as done. */
	CHECK_EQ(waitgroup_go(&wg, exits_early, NULL), 0);
	CHECK_EQ(waitgroup_wait_timeout(&wg, RELEASE_NS), 0);

	/* Failures: nothing runs, the counter is as it was. */
	CHECK_EQ(waitgroup_go(&wg, NULL, NULL), -EINVAL);
	CHECK_EQ(waitgroup_add(&wg, INT32_MAX), 0);
	CHECK_EQ(waitgroup_go(&wg, must_not_run, NULL), -EOVERFLOW);
	CHECK_EQ(waitgroup_add(&wg, -INT32_MAX), 0);
	CHECK_EQ(waitgroup_wait_timeout(&wg, 0), 0);
	/*
	 * No thread can get a stack this large: pthread_create fails.  On a
	 * 32-bit ABI that needs help: three quarters of the address space can
	 * be free in a small static program on a 64-bit kernel, so a quarter
	 * of it is taken first (PROT_NONE, nothing committed).
	 */
	hold = MAP_FAILED;
	if (sizeof(size_t) < 8) {
		hold = mmap(NULL, SIZE_MAX / 4 + 1, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		CHECK(hold != MAP_FAILED);
	}
	CHECK_EQ(chan_go_stack_size(SIZE_MAX / 4 * 3), 0);
	i = waitgroup_go(&wg, must_not_run, NULL);
	if (hold != MAP_FAILED)
		CHECK_EQ(munmap(hold, SIZE_MAX / 4 + 1), 0);
	if (i != -EAGAIN && i != -ENOMEM)
		FAIL("waitgroup_go with an impossible stack returned %d", i);
	CHECK_EQ(waitgroup_wait_timeout(&wg, 0), 0);
	CHECK_EQ(chan_go_stack_size(goroutine_default_stack()), 0);
	sleep_ns(10 * NSEC_PER_MSEC);

	test_pass("counted before the thread exists; failures undo");
}
