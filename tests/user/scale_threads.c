// SPDX-License-Identifier: GPL-2.0
/*
 * Scale (K4): 1,000 threads blocked receiving on one channel are all
 * released by one close and report "closed".  (Blocked senders released by
 * close are k2/k4's business; a second 1,000 threads would double the
 * minute this takes on the debug kernel.)
 */
#include "check.h"

#define THREADS	1000

static int ch;
static int results[THREADS];

static void *receiver(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	uint64_t v;

	results[i] = chan_recv(ch, &v);
	return NULL;
}

static void lap(const char *what, int64_t *since)
{
	int64_t now = now_ns();

	fprintf(stderr, "scale_threads: %s: %lld ms\n", what,
		(long long)((now - *since) / 1000000));
	*since = now;
}

int main(void)
{
	static pthread_t t[THREADS];
	int64_t since = now_ns();
	pthread_attr_t attr;
	uintptr_t i;
	uint64_t v;
	int err;

	test_start("K4", "1,000 blocked threads released by one close", 180);
	ch = CHECK_OK("K4", chan_make(sizeof(uint64_t), 4, 0));

	STEP("start 1,000 receivers");
	/* Small stacks, as chan_go would give: 1,000 threads fit easily. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < THREADS; i++) {
		results[i] = 12345;
		err = pthread_create(&t[i], &attr, receiver, (void *)i);
		if (err)
			check_fail(__FILE__, __LINE__, "K4",
				   "pthread_create %d: %s", (int)i,
				   strerrorname_np(err));
	}
	pthread_attr_destroy(&attr);
	lap("started", &since);

	STEP("1,000 receivers blocked");
	wait_waiters(ch, 0, THREADS);
	lap("all blocked", &since);

	STEP("one close releases them all");
	CHECK_EQ("K4", chan_close(ch), 0);
	for (i = 0; i < THREADS; i++)
		join(t[i]);
	lap("all released", &since);
	for (i = 0; i < THREADS; i++)
		CHECK_EQ("K4", results[i], 0);
	wait_waiters(ch, 0, 0);
	CHECK_EQ("K3", chan_try_recv(ch, &v), 0);
	close(ch);
	test_pass();
}
