// SPDX-License-Identifier: GPL-2.0
/*
 * X7 (with X2, X6): one channel may appear in several cases of a select, in
 * either direction.  Exactly one of those cases proceeds, and a select
 * never meets itself: its send case on an unbuffered channel does not hand
 * the element to its own receive case on that channel.  Two such selects
 * do meet each other.
 */
#include "sel.h"

#define ROUNDS	400

struct sel_call {
	struct chan_case *cases;
	size_t n;
	int64_t timeout;
	volatile int ret;
};

static void *select_thread(void *arg)
{
	struct sel_call *c = arg;

	c->ret = chan_select(c->cases, c->n, c->timeout);
	return NULL;
}

static void buffered_both_ways(void)
{
	int ch = CHECK_OK("X7", chan_make(sizeof(uint64_t), 2, 0));
	uint64_t v = 1, r[3], s[2] = { 10, 11 }, out;
	struct chan_case cases[5] = {
		recv_case(ch, &r[0]), send_case(ch, &s[0]), recv_case(ch, &r[1]),
		send_case(ch, &s[1]), recv_case(ch, &r[2]),
	};
	unsigned int count[5] = { 0 };
	int i, idx;

	STEP("one buffered channel in 5 cases, both directions");
	CHECK_EQ("X7", chan_send(ch, &v), 0);
	for (i = 0; i < ROUNDS; i++) {
		idx = CHECK_OK("X7", chan_select(cases, 5, 0));
		count[idx]++;
		CHECK("X7", cases[idx].ok);
		if (cases[idx].op == CHAN_OP_RECV) {
			/* Took the one element: put it back. */
			CHECK_EQ("X7", len_of(ch), 0);
			CHECK_EQ("X7", r[idx / 2], 1);
			CHECK_EQ("X7", chan_send(ch, &v), 0);
		} else {
			CHECK_EQ("X7", len_of(ch), 2);
			CHECK_EQ("X7", chan_recv(ch, &out), 1);
			CHECK_EQ("X7", out, 1);
			CHECK_EQ("X7", chan_recv(ch, &out), 1);
			CHECK_EQ("X7", out, s[idx / 2]);
			CHECK_EQ("X7", chan_send(ch, &v), 0);
		}
	}
	printf("x7_same_channel [X7]: cases chosen %u %u %u %u %u times\n",
	       count[0], count[1], count[2], count[3], count[4]);
	for (i = 0; i < 5; i++)
		CHECK("X7", count[i] > 0);

	STEP("full buffer: only the receive cases are ready");
	CHECK_EQ("X7", chan_send(ch, &v), 0);
	for (i = 0; i < 50; i++) {
		idx = CHECK_OK("X7", chan_select(cases, 5, -1));
		CHECK_EQ("X7", cases[idx].op, CHAN_OP_RECV);
		CHECK_EQ("X7", chan_send(ch, &v), 0);
	}
	close(ch);
}

static void never_itself(void)
{
	int ch = CHECK_OK("X7", chan_make(sizeof(uint64_t), 0, 0));
	uint64_t s = 5, r = 0, out;
	struct chan_case cases[3] = {
		send_case(ch, &s), recv_case(ch, &r), send_case(ch, &s),
	};
	struct sel_call call = { cases, 3, -1, 1000 };
	pthread_t t;

	STEP("send and receive on one unbuffered channel: no self-rendezvous");
	CHECK_EQ("X7", chan_select(cases, 3, 0), -EAGAIN);
	CHECK_EQ("X7", chan_select(cases, 3, 20 * 1000000), -ETIMEDOUT);
	CHECK_STATE("X7", ch, 0, 0, 0);

	STEP("blocked on both sides of one channel; a plain receiver meets it");
	t = spawn(select_thread, &call);
	wait_waiters(ch, 2, 1);
	CHECK_EQ("X7", chan_recv(ch, &out), 1);
	join(t);
	CHECK("X7", call.ret == 0 || call.ret == 2);
	CHECK_EQ("X7", out, 5);
	CHECK_STATE("X7", ch, 0, 0, 0);

	STEP("blocked on both sides of one channel; a plain sender meets it");
	call.ret = 1000;
	t = spawn(select_thread, &call);
	wait_waiters(ch, 2, 1);
	out = 6;
	CHECK_EQ("X7", chan_send(ch, &out), 0);
	join(t);
	CHECK_EQ("X7", call.ret, 1);
	CHECK_EQ("X7", r, 6);
	CHECK_STATE("X7", ch, 0, 0, 0);
	close(ch);
}

static void two_selves(void)
{
	int ch = CHECK_OK("X7", chan_make(sizeof(uint64_t), 0, 0));
	uint64_t s[2], r[2];
	struct chan_case c[2][2];
	struct sel_call call[2];
	pthread_t t[2];
	int i, me;

	STEP("two selects, each sending and receiving on one channel, meet");
	for (i = 0; i < ROUNDS / 4; i++) {
		for (me = 0; me < 2; me++) {
			s[me] = i * 2 + me;
			r[me] = 0;
			c[me][0] = send_case(ch, &s[me]);
			c[me][1] = recv_case(ch, &r[me]);
			call[me] = (struct sel_call){ c[me], 2, -1, 1000 };
		}
		t[0] = spawn(select_thread, &call[0]);
		/* Every other round the first is queued before the second comes. */
		if (i % 2)
			wait_waiters(ch, 1, 1);
		t[1] = spawn(select_thread, &call[1]);
		join(t[0]);
		join(t[1]);
		me = call[0].ret == 0 ? 0 : 1;
		CHECK_EQ("X7", call[me].ret, 0);
		CHECK_EQ("X7", call[!me].ret, 1);
		CHECK_EQ("X7", r[!me], i * 2 + me);
		CHECK_STATE("X7", ch, 0, 0, 0);
	}
	close(ch);
}

int main(void)
{
	test_start("X7 X2 X6", "one channel in several cases, both directions",
		   sel_watchdog(120));
	buffered_both_ways();
	never_itself();
	two_selves();
	test_pass();
}
