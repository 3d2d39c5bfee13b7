// SPDX-License-Identifier: GPL-2.0
/*
 * R3: a send to a channel with blocked receivers gives the element straight
 * to the receiver that has waited longest (it never sits in the buffer); a
 * receive from a full channel with blocked senders takes the head of the
 * buffer and moves the longest-waiting sender's element in, keeping order.
 */
#include "check.h"

#define N	3

static int ch;
static uint64_t got[N];
static volatile int sent[N];

static void *receiver(void *arg)
{
	uintptr_t i = (uintptr_t)arg;

	CHECK_EQ("R3", chan_recv(ch, &got[i]), 1);
	return NULL;
}

static void *sender(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	uint64_t v = 100 + i;

	CHECK_EQ("R3", chan_send(ch, &v), 0);
	sent[i] = 1;
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	uint64_t v, out;
	uintptr_t i;

	test_start("R3", "hand-off to waiting receivers, blocked senders refill the buffer", 60);
	ch = CHECK_OK("R3", chan_make(sizeof(uint64_t), 2, 0));

	STEP("receivers block one after another");
	for (i = 0; i < N; i++) {
		t[i] = spawn(receiver, (void *)i);
		wait_waiters(ch, 0, i + 1);
	}
	STEP("each send goes straight to the longest waiter");
	for (i = 0; i < N; i++) {
		v = 10 + i;
		CHECK_EQ("R3", chan_send(ch, &v), 0);
		/* Handed over, not buffered, even though the buffer has room. */
		CHECK_EQ("R3", chan_len(ch), 0);
		wait_waiters(ch, 0, N - 1 - i);
	}
	for (i = 0; i < N; i++) {
		join(t[i]);
		CHECK_EQ("R3", got[i], 10 + i);
	}

	STEP("fill the buffer, then senders block one after another");
	for (v = 0; v < 2; v++)
		CHECK_EQ("R3", chan_try_send(ch, &v), 0);
	for (i = 0; i < N; i++) {
		t[i] = spawn(sender, (void *)i);
		wait_waiters(ch, i + 1, 0);
	}
	STEP("each receive takes the head and pulls the longest waiter in");
	for (v = 0; v < 2 + N; v++) {
		CHECK_EQ("R3", chan_try_recv(ch, &out), 1);
		CHECK_EQ("R3", out, v < 2 ? v : 100 + v - 2);
		if (v < N) {
			/* The oldest blocked sender's element took the free slot. */
			CHECK_EQ("R3", chan_len(ch), 2);
			wait_waiters(ch, N - 1 - v, 0);
		}
	}
	CHECK_EQ("R3", chan_len(ch), 0);
	for (i = 0; i < N; i++) {
		join(t[i]);
		CHECK_EQ("R3", sent[i], 1);
	}
	close(ch);
	test_pass();
}
