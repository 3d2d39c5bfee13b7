// SPDX-License-Identifier: GPL-2.0
/*
 * R4: blocked senders are served first come first served, and so are
 * blocked receivers, on unbuffered and on buffered channels.  Each thread is
 * started only once the previous one is counted as blocked, so the order in
 * which they went to sleep is known.
 */
#include "check.h"

#define N	8
#define ROUNDS	5

static int ch;
static uint64_t got[N];

static void *sender(void *arg)
{
	uint64_t v = (uintptr_t)arg;

	CHECK_EQ("R4", chan_send(ch, &v), 0);
	return NULL;
}

static void *receiver(void *arg)
{
	uintptr_t i = (uintptr_t)arg;

	CHECK_EQ("R4", chan_recv(ch, &got[i]), 1);
	return NULL;
}

static void senders_in_order(size_t cap, int round)
{
	pthread_t t[N];
	uint64_t v, out;
	uintptr_t i;

	STEP("senders queue in order");
	for (v = 0; v < cap; v++)
		CHECK_EQ("R4", chan_try_send(ch, &v), 0);
	for (i = 0; i < N; i++) {
		/* A different value each round: a stale element would show. */
		t[i] = spawn(sender, (void *)(uintptr_t)(1000 * round + i));
		wait_waiters(ch, i + 1, 0);
	}
	for (v = 0; v < cap; v++) {
		CHECK_EQ("R4", chan_recv(ch, &out), 1);
		CHECK_EQ("R4", out, v);
	}
	for (i = 0; i < N; i++) {
		CHECK_EQ("R4", chan_recv(ch, &out), 1);
		CHECK_EQ("R4", out, 1000 * round + i);
	}
	for (i = 0; i < N; i++)
		join(t[i]);
	CHECK_EQ("R4", chan_try_recv(ch, &out), -EAGAIN);
}

static void receivers_in_order(int round)
{
	pthread_t t[N];
	uintptr_t i;
	uint64_t v;

	STEP("receivers queue in order");
	for (i = 0; i < N; i++) {
		t[i] = spawn(receiver, (void *)i);
		wait_waiters(ch, 0, i + 1);
	}
	for (i = 0; i < N; i++) {
		v = 1000 * round + i;
		CHECK_EQ("R4", chan_send(ch, &v), 0);
	}
	for (i = 0; i < N; i++) {
		join(t[i]);
		CHECK_EQ("R4", got[i], 1000 * round + i);
	}
}

int main(void)
{
	static const size_t caps[] = { 0, 1, 4 };
	int round;
	size_t c;

	test_start("R4", "FIFO order of blocked senders and of blocked receivers", 90);
	for (c = 0; c < ARRAY_SIZE(caps); c++) {
		ch = CHECK_OK("R4", chan_make(sizeof(uint64_t), caps[c], 0));
		for (round = 1; round <= ROUNDS; round++) {
			senders_in_order(caps[c], round);
			receivers_in_order(round);
		}
		close(ch);
	}
	test_pass();
}
