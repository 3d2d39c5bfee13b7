// SPDX-License-Identifier: GPL-2.0
/*
 * T1: chan_after(d) is a receive-only channel that delivers one int64_t,
 * the CLOCK_MONOTONIC time in ns at which it fired, no earlier than d ns
 * after the call, and is then closed; d <= 0 fires at once.  A select
 * with chan_after as one case is Go's timeout per operation.
 */
#include "timer.h"

static void after_once(int64_t d)
{
	int64_t t0 = now_ns(), v;
	int fd = CHECK_OK("T1", chan_after(d));

	CHECK_EQ("T1", chan_cap(fd), 1);
	CHECK_EQ("T1", chan_info_of(fd).mode, CHAN_MODE_RECV);
	CHECK_EQ("T1", chan_send(fd, &t0), -EBADF);
	CHECK_EQ("T1", chan_close(fd), -EBADF);
	v = timer_recv("T1", fd);
	if (v < t0 + (d > 0 ? d : 0) || v > now_ns())
		check_fail(__FILE__, __LINE__, "T1",
			   "chan_after(%lld) called at %lld fired at %lld, received at %lld",
			   (long long)d, (long long)t0, (long long)v,
			   (long long)now_ns());
	/* One element, then closed (K3). */
	CHECK_EQ("T1", chan_recv_timeout(fd, &v, LATE_NS), 0);
	CHECK_EQ("T1", chan_info_of(fd).closed, 1);
	CHECK_SYS("T1", close(fd));
}

int main(void)
{
	int64_t v, t0;
	int never, after, i;

	test_start("T1", "chan_after delivers its time once, then closes", 120);
	after_once(50 * MS);
	after_once(0);
	after_once(-1);
	after_once(1);

	/* select { case <-never: case <-time.After(30ms): } */
	never = CHECK_OK("T1", chan_make(sizeof(int64_t), 0, 0));
	for (i = 0; i < 3; i++) {
		struct chan_case cases[2] = {
			{ .ch = never, .op = CHAN_OP_RECV, .elem = &v },
			{ .op = CHAN_OP_RECV, .elem = &v },
		};

		t0 = now_ns();
		cases[1].ch = CHECK_OK("T1", chan_after(30 * MS));
		CHECK_EQ("T1", chan_select(cases, 2, LATE_NS), 1);
		CHECK("T1", cases[1].ok);
		CHECK("T1", v >= t0 + 30 * MS && v <= now_ns());
		CHECK_SYS("T1", close(cases[1].ch));
	}

	/* Not yet fired: a select with a shorter timeout times out. */
	after = CHECK_OK("T1", chan_after(500 * MS));
	{
		struct chan_case c = { .ch = after, .op = CHAN_OP_RECV,
				       .elem = &v };

		CHECK_EQ("T1", chan_select(&c, 1, 20 * MS), -ETIMEDOUT);
		CHECK_EQ("T1", chan_select(&c, 1, LATE_NS), 0);
		CHECK("T1", c.ok);
	}
	CHECK_SYS("T1", close(after));
	CHECK_SYS("T1", close(never));
	test_pass();
}
