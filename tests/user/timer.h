/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers of the timer channel tests (T1-T4). */
#ifndef CHAN_TESTS_USER_TIMER_H
#define CHAN_TESTS_USER_TIMER_H

#include "check.h"

#define MS	1000000LL
/* Later than this, a timer is taken for broken even under emulation. */
#define LATE_NS	(5000 * MS)

/* Receive one tick from @fd within LATE_NS; returns its time. */
static inline int64_t timer_recv(const char *rule, int fd)
{
	int64_t v = -1;

	CHECK_EQ(rule, chan_recv_timeout(fd, &v, LATE_NS), 1);
	return v;
}

#endif /* CHAN_TESTS_USER_TIMER_H */
