// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Select sets (S rules): cases registered once with the kernel, waited on
 * many times.  Each call is one ioctl: CHAN_IOC_SET_MAKE on /dev/chan, the
 * others on the set fd.  The relative timeout becomes the absolute
 * deadline the kernel wants, so a wait restarted after a signal waits no
 * longer than asked (B2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "chan.h"
#include "internal.h"

int chan_set_make(void)
{
	struct chan_set_make m = { 0 };
	int dev, fd, err;

	dev = open("/dev/chan", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	err = chan_query_api(dev);
	if (!err) {
		fd = ioctl(dev, CHAN_IOC_SET_MAKE, &m);
		err = fd < 0 ? -errno : fd;
	}
	close(dev);
	return err;
}

int chan_set_add(int set, const struct chan_case *c)
{
	struct chan_set_case k;
	int ret;

	/* A nil case would never be ready: nothing to register. */
	if (c->ch < 0)
		return -EBADF;
	k = (struct chan_set_case){
		.fd = (uint32_t)c->ch,
		.op = (uint32_t)c->op,
		.elem = (uintptr_t)c->elem,
	};
	ret = ioctl(set, CHAN_IOC_SET_ADD, &k);
	return ret < 0 ? -errno : ret;
}

int chan_set_del(int set, int id)
{
	struct chan_set_del d = { .id = (uint32_t)id };
	int ret;

	if (id < 0)
		return -ENOENT;
	ret = ioctl(set, CHAN_IOC_SET_DEL, &d);
	return ret < 0 ? -errno : ret;
}

int chan_set_wait(int set, int64_t timeout_ns, bool *ok)
{
	/* ok = 1: right even if the kernel could not write back (uapi). */
	struct chan_set_wait w = { .ok = 1 };
	int ret;

	if (timeout_ns == 0) {
		w.flags = CHAN_XFER_NONBLOCK;
	} else if (timeout_ns > 0) {
		w.flags = CHAN_XFER_DEADLINE;
		ret = chan_deadline_after(timeout_ns, &w.deadline_ns);
		if (ret)
			return ret;
	}
	ret = ioctl(set, CHAN_IOC_SET_WAIT, &w);
	if (ret < 0)
		return -errno;
	if (ok)
		*ok = w.ok;
	return ret;
}
