/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * internal.h: what libchan's files share and its users do not see.  It is
 * all static inline, so that libchan.a and libchan.so define no symbol
 * but the API of chan.h (tests/install/check holds them to libchan.map).
 */
#ifndef CHAN_INTERNAL_H
#define CHAN_INTERNAL_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>
#include <linux/chan.h>

/*
 * An absolute CLOCK_MONOTONIC deadline, so a restarted call waits no longer.
 * The kernel keeps time in a signed 64-bit ktime: saturate there.
 */
static inline int chan_deadline_after(int64_t timeout_ns, __u64 *deadline)
{
	struct timespec now;
	int64_t now_ns;

	if (clock_gettime(CLOCK_MONOTONIC, &now))
		return -errno;
	now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (timeout_ns > INT64_MAX - now_ns)
		*deadline = INT64_MAX;
	else
		*deadline = (uint64_t)(now_ns + timeout_ns);
	return 0;
}

/* 0 if the module behind dev speaks our API version. */
static inline int chan_query_api(int dev)
{
	struct chan_query q = { 0 };

	if (ioctl(dev, CHAN_IOC_QUERY, &q) < 0)
		return -errno;
	return q.version == CHAN_API_VERSION ? 0 : -EPROTONOSUPPORT;
}

#endif /* CHAN_INTERNAL_H */
