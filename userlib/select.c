// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Select (X rules): Go's select over channel fds, one CHAN_IOC_SELECT.
 *
 * The kernel does the work; this file translates the cases, turns the
 * relative timeout into the absolute deadline the kernel wants (so a call
 * restarted after a signal waits no longer than asked, B2), and finds an fd
 * to issue the ioctl on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "internal.h"

/* Cases up to this many are translated on the stack: no malloc per call. */
#define SELECT_STACK_CASES	16

_Static_assert(CHAN_OP_SEND == CHAN_SELECT_SEND &&
	       CHAN_OP_RECV == CHAN_SELECT_RECV,
	       "chan_case.op goes to the kernel as it is");

/*
 * CHAN_IOC_SELECT works on any channel fd, which saves opening /dev/chan.
 * The first live case's fd may not be a channel, though: its driver then
 * rejects the unknown ioctl (ENOTTY, or EINVAL from some), and /dev/chan
 * gives the real answer, EBADF for that case.  Asking again is safe: the
 * kernel checks every case before anything moves (X1).
 */
static int select_ioctl(int fd, struct chan_select *s)
{
	int dev, ret;

	if (fd >= 0) {
		ret = ioctl(fd, CHAN_IOC_SELECT, s);
		if (ret >= 0)
			return ret;
		if (errno != ENOTTY && errno != EINVAL)
			return -errno;
	}
	/* Only nil cases, or a foreign fd first: ask /dev/chan itself. */
	dev = open("/dev/chan", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	ret = ioctl(dev, CHAN_IOC_SELECT, s);
	if (ret < 0)
		ret = -errno;
	close(dev);
	return ret;
}

int chan_select(struct chan_case *cases, size_t n, int64_t timeout_ns)
{
	struct chan_select_case stack[SELECT_STACK_CASES];
	struct chan_select_case *kc = stack;
	/* ok = 1: right even if the kernel could not write back (uapi). */
	struct chan_select s = { .ncases = (uint32_t)n, .ok = 1 };
	int fd = -1, ret;
	size_t i;

	if (!n || n > CHAN_SELECT_MAX)
		return -EINVAL;
	if (timeout_ns == 0) {
		s.flags = CHAN_XFER_NONBLOCK;
	} else if (timeout_ns > 0) {
		s.flags = CHAN_XFER_DEADLINE;
		ret = chan_deadline_after(timeout_ns, &s.deadline_ns);
		if (ret)
			return ret;
	}
	if (n > SELECT_STACK_CASES) {
		kc = malloc(n * sizeof(*kc));
		if (!kc)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		/* A negative fd keeps its top bit: a nil case (X1). */
		kc[i] = (struct chan_select_case){
			.fd = (uint32_t)cases[i].ch,
			.op = (uint32_t)cases[i].op,
			.elem = (uintptr_t)cases[i].elem,
		};
		if (fd < 0 && cases[i].ch >= 0)
			fd = cases[i].ch;
	}
	s.cases = (uintptr_t)kc;

	ret = select_ioctl(fd, &s);
	if (ret >= 0)
		cases[ret].ok = s.ok;
	if (kc != stack)
		free(kc);
	return ret;
}
