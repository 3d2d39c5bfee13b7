// SPDX-License-Identifier: GPL-2.0
/*
 * T2: chan_tick(p) delivers the time every p ns; a receiver that falls
 * behind finds one tick waiting, the latest, never a backlog; the ticker
 * runs while any fd of it is open (a dup) and its ticks go on after a
 * receive that was interrupted by a deadline.
 */
#include "timer.h"

#define PERIOD	(20 * MS)
#define TICKS	10

int main(void)
{
	int64_t v[TICKS], t0, slept, w;
	int fd, dup, i;

	test_start("T2", "chan_tick: a tick per period, the latest one waits", 120);

	/* Ticks come in order, a period apart on average, none early. */
	t0 = now_ns();
	fd = CHECK_OK("T2", chan_tick(PERIOD));
	for (i = 0; i < TICKS; i++)
		v[i] = timer_recv("T2", fd);
	CHECK("T2", v[0] >= t0 + PERIOD);
	for (i = 1; i < TICKS; i++)
		CHECK("T2", v[i] > v[i - 1]);
	CHECK("T2", v[TICKS - 1] - v[0] >= (TICKS - 1) * PERIOD * 9 / 10);
	CHECK("T2", v[TICKS - 1] >= t0 + TICKS * PERIOD);

	/* Fall behind by 25 periods: one tick waits, and it is recent. */
	slept = now_ns();
	sleep_ms(25 * PERIOD / MS);
	CHECK_EQ("T2", chan_len(fd), 1);
	w = timer_recv("T2", fd);
	if (w < slept + 20 * PERIOD)
		check_fail(__FILE__, __LINE__, "T2",
			   "after %lld ms asleep the waiting tick is %lld ms old: a backlog",
			   (long long)((now_ns() - slept) / MS),
			   (long long)((now_ns() - w) / MS));
	CHECK("T2", chan_len(fd) <= 1);

	/* A dup keeps it ticking after the first fd is closed. */
	dup = CHECK_OK("T2", chan_dup(fd, CHAN_RECV_ONLY));
	CHECK_SYS("T2", close(fd));
	w = timer_recv("T2", dup);
	v[0] = timer_recv("T2", dup);
	CHECK("T2", v[0] > w);
	CHECK_SYS("T2", close(dup));

	/* Periods below the minimum: EINVAL (T4 states it). */
	CHECK_EQ("T2", chan_tick(0), -EINVAL);
	CHECK_EQ("T2", chan_tick(-PERIOD), -EINVAL);
	test_pass();
}
