// SPDX-License-Identifier: GPL-2.0
/*
 * M2 (R3, R4) on a ring channel: a fast-path receive from a full ring with
 * blocked senders lets the longest-waiting sender's element into the slot
 * it freed, before any new fast-path send can take it, so the order of the
 * senders is kept; and blocked receivers are served first come first
 * served when fast-path sends arrive.
 */
#include "ring.h"

static int ch;

static void *sender(void *arg)
{
	uint64_t v = (uintptr_t)arg;

	CHECK_EQ("R4", chan_send(ch, &v), 0);
	return NULL;
}

static void *receiver(void *arg)
{
	uint64_t v;

	(void)arg;
	CHECK_EQ("R4", chan_recv(ch, &v), 1);
	return (void *)(uintptr_t)v;
}

int main(void)
{
	uint64_t v, out;
	pthread_t t[3];
	int i;

	test_start("M2 R3 R4", "blocked tasks keep their turn on a ring channel", 120);

	STEP("blocked senders go before new fast-path sends (R3, R4)");
	ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 2, CHAN_RING));
	for (v = 0; v < 2; v++)
		CHECK_EQ("M2", chan_send(ch, &v), 0);
	for (i = 0; i < 2; i++) {
		t[i] = spawn(sender, (void *)(uintptr_t)(10 + i));
		wait_waiters(ch, i + 1, 0);
	}
	CHECK_EQ("R3", chan_recv(ch, &out), 1);
	CHECK_EQ("R3", out, 0);
	/* The slot went to sender 10: the ring is full again. */
	v = 99;
	CHECK_EQ("R3", chan_try_send(ch, &v), -EAGAIN);
	join(t[0]);
	CHECK_EQ("R3", chan_recv(ch, &out), 1);
	CHECK_EQ("R3", out, 1);
	join(t[1]);
	for (v = 10; v < 12; v++) {
		CHECK_EQ("R4", chan_recv(ch, &out), 1);
		CHECK_EQ("R4", out, v);
	}
	CHECK_EQ("R4", chan_try_recv(ch, &out), -EAGAIN);

	STEP("blocked receivers are served in order (R4)");
	for (i = 0; i < 3; i++) {
		t[i] = spawn(receiver, NULL);
		wait_waiters(ch, 0, i + 1);
	}
	for (v = 20; v < 23; v++)
		CHECK_EQ("R4", chan_send(ch, &v), 0);
	for (i = 0; i < 3; i++)
		CHECK_EQ("R4", (uintptr_t)join(t[i]), 20 + i);
	CHECK_EQ("R4", chan_len(ch), 0);
	test_pass();
}
