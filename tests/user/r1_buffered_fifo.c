// SPDX-License-Identifier: GPL-2.0
/*
 * R1: on a buffered channel a send succeeds at once while len < cap and
 * blocks while full; a receive succeeds at once while len > 0 and blocks
 * while empty; elements come out in the order they went in.
 */
#include "check.h"

#define CAP	8
#define STREAM	20000

static int ch;
static volatile int sender_done, receiver_done;
static uint64_t received;

static void *blocked_sender(void *arg)
{
	uint64_t v = (uintptr_t)arg;

	CHECK_EQ("R1", chan_send(ch, &v), 0);
	sender_done = 1;
	return NULL;
}

static void *blocked_receiver(void *arg)
{
	(void)arg;
	CHECK_EQ("R1", chan_recv(ch, &received), 1);
	receiver_done = 1;
	return NULL;
}

static void *producer(void *arg)
{
	uint64_t v;

	(void)arg;
	for (v = 0; v < STREAM; v++)
		CHECK_EQ("R1", chan_send(ch, &v), 0);
	return NULL;
}

int main(void)
{
	uint64_t v, out;
	pthread_t t;

	test_start("R1", "buffered channel: immediate while room, blocks when full, FIFO", 60);
	ch = CHECK_OK("R1", chan_make(sizeof(uint64_t), CAP, 0));

	STEP("fill without blocking");
	for (v = 0; v < CAP; v++) {
		CHECK_EQ("R1", chan_try_send(ch, &v), 0);
		CHECK_EQ("R1", chan_len(ch), v + 1);
	}
	CHECK_EQ("R1", chan_try_send(ch, &v), -EAGAIN);

	STEP("a send to a full channel blocks until a receive makes room");
	t = spawn(blocked_sender, (void *)(uintptr_t)CAP);
	wait_waiters(ch, 1, 0);
	CHECK_EQ("R1", sender_done, 0);
	CHECK_EQ("R1", chan_len(ch), CAP);
	CHECK_EQ("R1", chan_try_recv(ch, &out), 1);
	CHECK_EQ("R1", out, 0);
	join(t);
	CHECK_EQ("R1", sender_done, 1);
	CHECK_EQ("R1", chan_len(ch), CAP);

	STEP("drain in order without blocking");
	for (v = 1; v <= CAP; v++) {
		CHECK_EQ("R1", chan_try_recv(ch, &out), 1);
		CHECK_EQ("R1", out, v);
	}
	CHECK_EQ("R1", chan_len(ch), 0);
	CHECK_EQ("R1", chan_try_recv(ch, &out), -EAGAIN);

	STEP("a receive from an empty channel blocks until a send");
	t = spawn(blocked_receiver, NULL);
	wait_waiters(ch, 0, 1);
	CHECK_EQ("R1", receiver_done, 0);
	v = 99;
	CHECK_EQ("R1", chan_send(ch, &v), 0);
	join(t);
	CHECK_EQ("R1", received, 99);
	CHECK_EQ("R1", chan_len(ch), 0);

	STEP("a concurrent stream keeps its order");
	t = spawn(producer, NULL);
	for (v = 0; v < STREAM; v++) {
		CHECK_EQ("R1", chan_recv(ch, &out), 1);
		CHECK_EQ("R1", out, v);
	}
	join(t);
	CHECK_EQ("R1", chan_try_recv(ch, &out), -EAGAIN);
	close(ch);
	test_pass();
}
