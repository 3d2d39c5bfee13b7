// SPDX-License-Identifier: GPL-2.0
/*
 * X4 (with B1, B2): a zero timeout is Go's default: EAGAIN when no case is
 * ready, and nothing changes.  A timeout that expires gives ETIMEDOUT, not
 * before the time asked, and leaves nothing queued.  A negative timeout
 * (and a huge one, which saturates) waits until a case is ready.
 */
#include "sel.h"

#define MS	1000000LL

struct sel_call {
	struct chan_case *cases;
	size_t n;
	int64_t timeout;
	volatile int ret;
	volatile bool done;
};

static void *select_thread(void *arg)
{
	struct sel_call *c = arg;

	c->ret = chan_select(c->cases, c->n, c->timeout);
	c->done = true;
	return NULL;
}

static void zero_timeout(int empty, int full, int unb)
{
	uint64_t a = 0, b = 1, c = 2, d = 0;
	struct chan_case cases[4] = {
		recv_case(empty, &a), send_case(full, &b),
		send_case(unb, &c), recv_case(unb, &d),
	};
	int i;

	STEP("timeout 0, nothing ready: EAGAIN, nothing changed (B1)");
	for (i = 0; i < 100; i++)
		CHECK_EQ("X4", chan_select(cases, 4, 0), -EAGAIN);
	CHECK_STATE("X4", empty, 0, 0, 0);
	CHECK_STATE("X4", full, 1, 0, 0);
	CHECK_STATE("X4", unb, 0, 0, 0);
	CHECK_EQ("X4", a + d, 0);

	STEP("timeout 0 with a case ready: that case");
	b = 3;
	CHECK_EQ("X4", chan_send(empty, &b), 0);
	CHECK_EQ("X4", chan_select(cases, 4, 0), 0);
	CHECK("X4", cases[0].ok);
	CHECK_EQ("X4", a, 3);
}

static void expiry(int empty, int full, int unb)
{
	const int64_t timeouts[] = { 1, 1 * MS, 30 * MS, 200 * MS };
	uint64_t a = 0, b = 1, c = 2, d = 0;
	struct chan_case cases[4] = {
		recv_case(empty, &a), send_case(full, &b),
		send_case(unb, &c), recv_case(unb, &d),
	};
	int64_t t0, took;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
		STEP("a timeout expires: ETIMEDOUT, not early (B2)");
		t0 = now_ns();
		CHECK_EQ("X4", chan_select(cases, 4, timeouts[i]), -ETIMEDOUT);
		took = now_ns() - t0;
		printf("x4_default_timeout [X4]: timeout %lld ns took %lld ns\n",
		       (long long)timeouts[i], (long long)took);
		CHECK("X4", took >= timeouts[i]);
		CHECK_STATE("X4", empty, 0, 0, 0);
		CHECK_STATE("X4", full, 1, 0, 0);
		CHECK_STATE("X4", unb, 0, 0, 0);
	}

	STEP("only nil cases: ETIMEDOUT, not early");
	cases[0].ch = cases[1].ch = cases[2].ch = cases[3].ch = -1;
	t0 = now_ns();
	CHECK_EQ("X4", chan_select(cases, 4, 50 * MS), -ETIMEDOUT);
	CHECK("X4", now_ns() - t0 >= 50 * MS);
}

/* A select with @timeout that no time limit may end: only a case can. */
static void waits_for_case(int unb, int64_t timeout)
{
	uint64_t got = 0, v = 11;
	struct chan_case cases[2] = { recv_case(unb, &got), recv_case(-1, NULL) };
	struct sel_call call = { cases, 2, timeout, 0, false };
	pthread_t t;

	t = spawn(select_thread, &call);
	wait_waiters(unb, 0, 1);
	/* Long enough for a wrongly short or overflowed deadline to show. */
	sleep_ms(300);
	CHECK("X4", !call.done);
	CHECK_STATE("X4", unb, 0, 0, 1);
	CHECK_EQ("X4", chan_send(unb, &v), 0);
	join(t);
	CHECK_EQ("X4", call.ret, 0);
	CHECK("X4", cases[0].ok);
	CHECK_EQ("X4", got, 11);
}

static void no_limit(int unb)
{
	STEP("negative timeout: waits until a case is ready");
	waits_for_case(unb, -1);
	waits_for_case(unb, INT64_MIN);
	STEP("INT64_MAX timeout saturates: waits until a case is ready");
	waits_for_case(unb, INT64_MAX);
	waits_for_case(unb, INT64_MAX - 1);
	STEP("a timed select that a case ends before its deadline");
	waits_for_case(unb, 3600 * 1000 * MS);
}

int main(void)
{
	uint64_t v = 1;
	int empty, full, unb;

	test_start("X4 B1 B2", "default (timeout 0), expiry, no limit",
		   sel_watchdog(120));
	empty = CHECK_OK("X4", chan_make(sizeof(uint64_t), 1, 0));
	full = CHECK_OK("X4", chan_make(sizeof(uint64_t), 1, 0));
	unb = CHECK_OK("X4", chan_make(sizeof(uint64_t), 0, 0));
	CHECK_EQ("X4", chan_send(full, &v), 0);
	zero_timeout(empty, full, unb);
	expiry(empty, full, unb);
	no_limit(unb);
	test_pass();
}
