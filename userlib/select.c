// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Select (X rules): Go's select over channel fds, one CHAN_IOC_SELECT.
 *
 * The kernel does the work; this file translates the cases, turns the
 * relative timeout into the absolute deadline the kernel wants (so a call
 * restarted after a signal waits no longer than asked, B2), issues the
 * ioctl on a /dev/chan fd of its own, and waits by itself when there is no
 * case at all (X8).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* ppoll */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
 * The /dev/chan fd every select is issued on.  A case's fd will not do: it
 * may be anything, and its driver answers CHAN_IOC_SELECT its own way (a
 * hung-up tty with EIO, FUSE by asking its server) where X1 wants EBADF
 * from the kernel's check of every case.
 *
 * Opened once per process, close-on-exec, and published with its device
 * number in one atomic word (fd in the low half, the kernel's 12:20 dev_t in
 * the high half; 0: none yet), so that threads need no lock: the first to
 * publish wins, the others close theirs.  A child made by fork() inherits
 * fd and word together, and exec() closes the fd as it clears the word.
 *
 * While the fd is open the module cannot be unloaded (L3), so the fd stays
 * /dev/chan unless the program itself closes it (closefrom() in a daemon, a
 * loop over /proc/self/fd), which chan_select(3) asks programs not to do, as
 * for any library's descriptors.  A select does not pay a system call to
 * check it: when the ioctl fails in a way that a closed or foreign fd
 * would (EBADF, ENOTTY, ENODEV, EINVAL, EIO), fstat() tells whether the fd
 * is still a character device with /dev/chan's number.  If not, the number
 * is no longer ours to close; a new /dev/chan fd is opened, which also finds
 * a module reloaded meanwhile under another minor number, and the select is
 * issued once more.
 */
static _Atomic uint64_t dev_word;

static uint32_t kernel_dev(dev_t dev)
{
	return (uint32_t)(major(dev) << 20 | minor(dev));
}

static int word_fd(uint64_t word)
{
	return (int)(uint32_t)word;
}

static int still_dev(uint64_t word)
{
	struct stat st;

	return !fstat(word_fd(word), &st) && S_ISCHR(st.st_mode) &&
	       kernel_dev(st.st_rdev) == (uint32_t)(word >> 32);
}

/*
 * The /dev/chan fd, opened if need be; or -errno.  @check: make sure the
 * published fd is still /dev/chan, and replace it if not.
 */
static int chan_dev(int check)
{
	uint64_t word = atomic_load_explicit(&dev_word, memory_order_acquire);
	struct stat st;
	int fd, err;

	for (;;) {
		if (word && (!check || still_dev(word)))
			return word_fd(word);
		fd = open("/dev/chan", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st))
			err = -errno;
		else if (!S_ISCHR(st.st_mode))
			err = -ENODEV;
		else
			err = chan_query_api(fd);
		if (err) {
			close(fd);
			return err;
		}
		/* A character device's number is never 0: neither is this. */
		if (atomic_compare_exchange_strong_explicit(&dev_word, &word,
				(uint64_t)kernel_dev(st.st_rdev) << 32 |
				(uint32_t)fd,
				memory_order_acq_rel, memory_order_acquire))
			return fd;
		/* Another thread published first: check and use its fd. */
		close(fd);
	}
}

/*
 * Whether a select that failed with @err may have gone to a file that is no
 * longer our /dev/chan fd @dev (closed, or its number reused).
 */
static int dev_suspect(int err, int dev)
{
	uint64_t word = atomic_load_explicit(&dev_word, memory_order_acquire);

	switch (err) {
	case EBADF: case ENOTTY: case ENODEV: case EINVAL: case EIO:
		return word_fd(word) != dev || !still_dev(word);
	default:
		return 0;
	}
}

/*
 * X8: no case is Go's select {}: wait for the deadline or a signal.  Go's
 * select {} blocks forever; here a signal handler ends it with EINTR, even
 * under SA_RESTART, as it ends pause(): a restart would make the call a
 * hang that nothing but the timeout could end.
 */
static int select_none(int64_t timeout_ns)
{
	struct timespec ts;
	__u64 deadline = 0;
	int ret;

	if (timeout_ns == 0)
		return -EAGAIN;
	if (timeout_ns < 0) {
		/* Ends only by a signal with a handler: EINTR. */
		ret = ppoll(NULL, 0, NULL, NULL);
		return ret < 0 ? -errno : -EINTR;
	}
	ret = chan_deadline_after(timeout_ns, &deadline);
	if (ret)
		return ret;
	/* A 32-bit time_t holds 68 years of uptime: wait that long at most. */
	if (sizeof(time_t) < sizeof(int64_t) &&
	    deadline / 1000000000 > INT32_MAX)
		deadline = (__u64)INT32_MAX * 1000000000;
	ts.tv_sec = (time_t)(deadline / 1000000000);
	ts.tv_nsec = (long)(deadline % 1000000000);
	/* Absolute: a stop and continue (SIGSTOP, ptrace) restarts it as is. */
	ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	return ret ? -ret : -ETIMEDOUT;
}

/**
 * chan_select() - Go's select: exactly one of n cases proceeds
 * @cases: the cases; read before the call and, for the chosen case's @ok,
 *	written after it.  Not read at all when @n is 0.
 * @n: 0 to CHAN_SELECT_MAX
 * @timeout_ns: < 0 without limit, 0 never blocks, > 0 relative timeout
 *
 * Return: the index of the case that proceeded, or -errno.
 */
int chan_select(struct chan_case *cases, size_t n, int64_t timeout_ns)
{
	struct chan_select_case stack[SELECT_STACK_CASES];
	struct chan_select_case *kc = stack;
	/* ok = 1: right even if the kernel could not write back (uapi). */
	struct chan_select s = { .ncases = (uint32_t)n, .ok = 1 };
	int dev, ret;
	size_t i;

	if (!n)
		return select_none(timeout_ns);
	if (n > CHAN_SELECT_MAX)
		return -EINVAL;
	if (timeout_ns == 0) {
		s.flags = CHAN_XFER_NONBLOCK;
	} else if (timeout_ns > 0) {
		s.flags = CHAN_XFER_DEADLINE;
		ret = chan_deadline_after(timeout_ns, &s.deadline_ns);
		if (ret)
			return ret;
	}
	dev = chan_dev(0);
	if (dev < 0)
		return dev;
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
	}
	s.cases = (uintptr_t)kc;

	ret = ioctl(dev, CHAN_IOC_SELECT, &s);
	if (ret < 0 && dev_suspect(errno, dev)) {
		dev = chan_dev(1);
		if (dev < 0) {
			ret = dev;
			goto out;
		}
		ret = ioctl(dev, CHAN_IOC_SELECT, &s);
	}
	if (ret < 0)
		ret = -errno;
	else
		cases[ret].ok = s.ok;
out:
	if (kc != stack)
		free(kc);
	return ret;
}
