// SPDX-License-Identifier: GPL-2.0
/*
 * Scale (K4): 1,000 threads blocked receiving on one channel are all
 * released by one close and report "closed"; then 1,000 threads blocked
 * sending on one unbuffered channel are all released by one close with
 * EPIPE, their elements undelivered (K2).
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

static void *sender(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	uint64_t v = i;

	results[i] = chan_send(ch, &v);
	return NULL;
}

static void run(void *(*fn)(void *), bool receivers)
{
	static pthread_t t[THREADS];
	pthread_attr_t attr;
	uintptr_t i;
	uint64_t v;
	int err;

	/* Small stacks, as chan_go would give: 1,000 threads fit easily. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < THREADS; i++) {
		results[i] = 12345;
		err = pthread_create(&t[i], &attr, fn, (void *)i);
		if (err)
			check_fail(__FILE__, __LINE__, "K4",
				   "pthread_create %d: %s", (int)i,
				   strerrorname_np(err));
	}
	pthread_attr_destroy(&attr);

	if (receivers) {
		STEP("1,000 receivers blocked");
		wait_waiters(ch, 0, THREADS);
	} else {
		STEP("1,000 senders blocked");
		wait_waiters(ch, THREADS, 0);
	}

	STEP("one close releases them all");
	CHECK_EQ("K4", chan_close(ch), 0);
	for (i = 0; i < THREADS; i++)
		join(t[i]);
	for (i = 0; i < THREADS; i++)
		CHECK_EQ("K4", results[i], receivers ? 0 : -EPIPE);
	wait_waiters(ch, 0, 0);
	CHECK_EQ("K2", chan_try_recv(ch, &v), 0);
}

int main(void)
{
	test_start("K4", "1,000 blocked threads released by one close", 120);
	ch = CHECK_OK("K4", chan_make(sizeof(uint64_t), 4, 0));
	run(receiver, true);
	close(ch);
	ch = CHECK_OK("K4", chan_make(sizeof(uint64_t), 0, 0));
	run(sender, false);
	close(ch);
	test_pass();
}
