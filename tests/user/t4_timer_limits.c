// SPDX-License-Identifier: GPL-2.0
/*
 * T4: a timer channel is charged to its creator's budget like a channel,
 * and the charge goes back when its last fd closes (which stops the
 * timer: T2, T3); a ticker below CHAN_TIMER_MIN_PERIOD_NS, unknown flags
 * and non-zero reserved fields fail with EINVAL.
 */
#include "timer.h"

#include <sys/resource.h>

#define MAX_FDS		100000

static int timer_ioctl(struct chan_timer_create *c)
{
	int dev = chan_dev_open(), ret;

	ret = ioctl(dev, CHAN_IOC_TIMER, c);
	ret = ret < 0 ? -errno : ret;
	close(dev);
	return ret;
}

static int fill(int *fds, int max, int (*make)(void))
{
	int n, fd = 0;

	for (n = 0; n < max; n++) {
		fd = make();
		if (fd < 0)
			break;
		fds[n] = fd;
	}
	CHECK_EQ("T4", fd, -EMFILE);
	return n;
}

static int big_chan(void)
{
	return chan_make(1, chan_query_limits().max_buffer_bytes, 0);
}

static int ticker(void)
{
	return chan_tick(1000 * MS);
}

static void close_all(int *fds, int n)
{
	while (n--)
		CHECK_SYS("T4", close(fds[n]));
}

int main(void)
{
	static int big[4096], timers[MAX_FDS];
	struct chan_timer_create c;
	struct chan_query q;
	int fd, nbig, n, again;

	test_start("T4", "timer channels: budget charge, minimum period, bad input", 300);
	raise_nofile(MAX_FDS + 4200);
	q = chan_query_limits();
	CHECK("T4", q.features & CHAN_FEAT_TIMER);

	CHECK_EQ("T4", chan_tick(CHAN_TIMER_MIN_PERIOD_NS - 1), -EINVAL);
	fd = CHECK_OK("T4", chan_tick(CHAN_TIMER_MIN_PERIOD_NS));
	timer_recv("T4", fd);
	CHECK_SYS("T4", close(fd));

	c = (struct chan_timer_create){ .period_ns = 1 };
	CHECK_EQ("T4", timer_ioctl(&c), -EINVAL);
	c = (struct chan_timer_create){ .period_ns = (uint64_t)INT64_MAX + 1 };
	CHECK_EQ("T4", timer_ioctl(&c), -EINVAL);
	c = (struct chan_timer_create){ .flags = 1U << 7 };
	CHECK_EQ("T4", timer_ioctl(&c), -EINVAL);
	c = (struct chan_timer_create){ .reserved[1] = 1 };
	CHECK_EQ("T4", timer_ioctl(&c), -EINVAL);
	c = (struct chan_timer_create){ .delay_ns = 1000 * LATE_NS,
					 .flags = CHAN_FD_NONBLOCK };
	fd = CHECK_OK("T4", timer_ioctl(&c));
	CHECK_EQ("T4", c.fd, fd);
	CHECK_EQ("T4", chan_recv(fd, &c), -EAGAIN);
	CHECK_SYS("T4", close(fd));

	/*
	 * The budget: spend most of it on channels with the largest buffer,
	 * then make tickers until the budget is spent too.  Closing them must
	 * give everything back: as many tickers again.
	 */
	nbig = fill(big, 4096, big_chan);
	CHECK("T4", nbig > 0);
	n = fill(timers, MAX_FDS, ticker);
	CHECK("T4", n > 0 && n < MAX_FDS);
	close_all(timers, n);
	again = fill(timers, MAX_FDS, ticker);
	CHECK_EQ("T4", again, n);
	close_all(timers, again);
	close_all(big, nbig);
	fprintf(stderr, "t4_timer_limits [T4]: %d tickers filled what %d largest channels left of the budget\n",
		n, nbig);
	test_pass();
}
