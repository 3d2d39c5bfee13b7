// SPDX-License-Identifier: GPL-2.0
/*
 * R2: on an unbuffered channel a send completes only when a receiver has
 * taken the element, and a receive completes when a sender hands one over.
 * Nothing is ever buffered (len stays 0).
 */
#include "check.h"

#define PINGS	2000

static int ch, back;
static volatile int sender_done;

static void *blocked_sender(void *arg)
{
	uint64_t v = (uintptr_t)arg;

	CHECK_EQ("R2", chan_send(ch, &v), 0);
	sender_done = 1;
	return NULL;
}

static void *blocked_receiver(void *arg)
{
	uint64_t *out = arg;

	CHECK_EQ("R2", chan_recv(ch, out), 1);
	return NULL;
}

static void *ponger(void *arg)
{
	uint64_t v;

	(void)arg;
	for (;;) {
		int r = chan_recv(ch, &v);

		CHECK("R2", r >= 0);
		if (r == 0)
			return NULL;
		v++;
		CHECK_EQ("R2", chan_send(back, &v), 0);
	}
}

int main(void)
{
	uint64_t v = 1, out = 0;
	pthread_t t;
	int i;

	test_start("R2", "unbuffered rendezvous", 60);
	ch = CHECK_OK("R2", chan_make(sizeof(uint64_t), 0, 0));
	back = CHECK_OK("R2", chan_make(sizeof(uint64_t), 0, 0));

	STEP("no partner: neither side can complete");
	CHECK_EQ("R2", chan_try_send(ch, &v), -EAGAIN);
	CHECK_EQ("R2", chan_try_recv(ch, &out), -EAGAIN);
	CHECK_EQ("R2", chan_send_timeout(ch, &v, 20000000), -ETIMEDOUT);
	/* The timed-out element was not left behind. */
	CHECK_EQ("R2", chan_try_recv(ch, &out), -EAGAIN);

	STEP("a blocked sender waits for its receiver");
	t = spawn(blocked_sender, (void *)(uintptr_t)17);
	wait_waiters(ch, 1, 0);
	sleep_ms(20);
	CHECK_EQ("R2", sender_done, 0);
	CHECK_EQ("R2", chan_len(ch), 0);
	/* A receiver can take from a waiting sender without blocking. */
	CHECK_EQ("R2", chan_try_recv(ch, &out), 1);
	CHECK_EQ("R2", out, 17);
	join(t);
	CHECK_EQ("R2", sender_done, 1);
	wait_waiters(ch, 0, 0);

	STEP("a blocked receiver takes a sender's element");
	t = spawn(blocked_receiver, &out);
	wait_waiters(ch, 0, 1);
	v = 18;
	/* A sender can hand to a waiting receiver without blocking. */
	CHECK_EQ("R2", chan_try_send(ch, &v), 0);
	join(t);
	CHECK_EQ("R2", out, 18);
	CHECK_EQ("R2", chan_len(ch), 0);

	STEP("ping-pong");
	t = spawn(ponger, NULL);
	for (i = 0; i < PINGS; i++) {
		v = (uint64_t)i * 2;
		CHECK_EQ("R2", chan_send(ch, &v), 0);
		CHECK_EQ("R2", chan_recv(back, &out), 1);
		CHECK_EQ("R2", out, v + 1);
	}
	CHECK_EQ("R2", chan_close(ch), 0);
	join(t);
	close(ch);
	close(back);
	test_pass();
}
