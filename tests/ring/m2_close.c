// SPDX-License-Identifier: GPL-2.0
/*
 * M2 (K1-K5, P1) on a ring channel: a send after close fails with EPIPE on
 * the fast path too (K2); the buffered elements drain in order, then
 * "closed" forever (K3); close wakes blocked receivers and senders (K4);
 * a mapping does not keep a closed fd's rights alive, so the last sender's
 * close(2) still closes the channel (K5); epoll with EPOLLET wakes for a
 * fast-path send (P1); and a cached mapping does not outlive its fd: a new
 * channel that gets the same fd number is that channel (M1).
 */
#include "ring.h"

#include <sys/epoll.h>

static int ch;

static void *blocked_recv(void *arg)
{
	uint64_t v;

	(void)arg;
	return (void *)(intptr_t)chan_recv(ch, &v);
}

static void *blocked_send(void *arg)
{
	uint64_t v = 99;

	(void)arg;
	return (void *)(intptr_t)chan_send(ch, &v);
}

static void *late_send(void *arg)
{
	uint64_t v = 5;

	(void)arg;
	sleep_ms(100);
	CHECK_EQ("P1", chan_send(ch, &v), 0);
	return NULL;
}

int main(void)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out_ev;
	uint64_t v, out;
	pthread_t t;
	int r, ep, plain;

	test_start("M2 K1 K2 K3 K4 K5 P1", "close, drain and readiness of ring channels", 120);

	STEP("send after close, then drain (K2, K3)");
	ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 8, CHAN_RING));
	for (v = 0; v < 5; v++)
		CHECK_EQ("M2", chan_send(ch, &v), 0);
	CHECK_EQ("K1", chan_close(ch), 0);
	CHECK_EQ("K1", chan_close(ch), -EPIPE);
	v = 100;
	CHECK_EQ("K2", chan_send(ch, &v), -EPIPE);
	CHECK_EQ("K2", chan_try_send(ch, &v), -EPIPE);
	CHECK_EQ("K2", chan_len(ch), 5);
	for (v = 0; v < 5; v++) {
		CHECK_EQ("K3", chan_recv(ch, &out), 1);
		CHECK_EQ("K3", out, v);
	}
	CHECK_EQ("K3", chan_recv(ch, &out), 0);
	CHECK_EQ("K3", chan_try_recv(ch, &out), 0);
	CHECK_EQ("K3", chan_recv_timeout(ch, &out, 1000000), 0);
	CHECK_SYS("K3", close(ch));

	STEP("close wakes a blocked receiver (K4)");
	ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 2, CHAN_RING));
	t = spawn(blocked_recv, NULL);
	wait_waiters(ch, 0, 1);
	CHECK_EQ("K4", chan_close(ch), 0);
	CHECK_EQ("K4", (intptr_t)join(t), 0);
	CHECK_SYS("K4", close(ch));

	STEP("close fails a blocked sender (K2, K4)");
	ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 2, CHAN_RING));
	for (v = 0; v < 2; v++)
		CHECK_EQ("M2", chan_send(ch, &v), 0);
	t = spawn(blocked_send, NULL);
	wait_waiters(ch, 1, 0);
	CHECK_EQ("K4", chan_close(ch), 0);
	CHECK_EQ("K2", (intptr_t)join(t), -EPIPE);
	for (v = 0; v < 2; v++) {
		CHECK_EQ("K3", chan_recv(ch, &out), 1);
		CHECK_EQ("K3", out, v);
	}
	CHECK_EQ("K3", chan_recv(ch, &out), 0);
	CHECK_SYS("K4", close(ch));

	STEP("the last sender's close(2) closes a mapped ring (K5)");
	ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 2, CHAN_RING));
	v = 1;
	CHECK_EQ("M2", chan_send(ch, &v), 0);	/* mapped and used */
	r = CHECK_OK("C3", chan_dup(ch, CHAN_RECV_ONLY));
	CHECK_SYS("K5", close(ch));
	CHECK_EQ("K5", chan_recv_timeout(r, &out, 2000000000), 1);
	CHECK_EQ("K5", chan_recv_timeout(r, &out, 2000000000), 0);
	CHECK_SYS("K5", close(r));

	STEP("epoll with EPOLLET wakes for a fast-path send (P1)");
	ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 4, CHAN_RING));
	ep = CHECK_SYS("P1", epoll_create1(EPOLL_CLOEXEC));
	CHECK_SYS("P1", epoll_ctl(ep, EPOLL_CTL_ADD, ch, &ev));
	CHECK_EQ("P1", epoll_wait(ep, &out_ev, 1, 0), 0);
	t = spawn(late_send, NULL);
	CHECK_EQ("P1", epoll_wait(ep, &out_ev, 1, 5000), 1);
	join(t);
	CHECK_EQ("P1", chan_recv(ch, &out), 1);
	CHECK_EQ("P1", out, 5);
	t = spawn(late_send, NULL);
	CHECK_EQ("P1", epoll_wait(ep, &out_ev, 1, 5000), 1);
	join(t);
	CHECK_SYS("P1", close(ep));

	STEP("a new channel on a closed ring's fd number (M1)");
	r = ch;
	CHECK_SYS("M1", close(ch));
	plain = CHECK_OK("M1", chan_make(sizeof(uint64_t), 4, 0));
	CHECK_EQ("M1", plain, r);
	/* Behind libchan: a dup2 onto the number, no libchan call in between. */
	ch = CHECK_OK("M1", chan_make(sizeof(uint64_t), 4, CHAN_RING));
	v = 7;
	CHECK_EQ("M1", chan_send(ch, &v), 0);
	CHECK_SYS("M1", dup2(plain, ch));
	v = 8;
	CHECK_EQ("M1", chan_send(ch, &v), 0);
	CHECK_EQ("M1", chan_len(plain), 1);
	CHECK_EQ("M1", chan_recv(plain, &out), 1);
	CHECK_EQ("M1", out, 8);
	test_pass();
}
