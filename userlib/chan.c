// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Channels: thin wrappers over the ioctls of /dev/chan and of channel fds.
 *
 * Element pointers go to the kernel as they are, so a bad one fails with
 * -EFAULT there instead of crashing here.  Every uapi struct is built with a
 * designated initializer, which zeroes the reserved fields the kernel checks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* watchdog.h: open_memstream, pthread_setname_np */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "internal.h"
#include "ring.h"
/* CHAN_DEADLOCK: in chan.o, which every program that makes channels links. */
#include "watchdog.h"

/*
 * Set once CHAN_IOC_QUERY has shown a module with our API version.  Failures
 * are not cached: the module may be loaded (or replaced) later.
 */
static atomic_bool api_checked;

static int check_api(int dev)
{
	int err;

	if (atomic_load_explicit(&api_checked, memory_order_acquire))
		return 0;
	err = chan_query_api(dev);
	if (!err)
		atomic_store_explicit(&api_checked, true, memory_order_release);
	return err;
}

/*
 * G3: a program of many channels runs out of fds at the soft
 * RLIMIT_NOFILE, 1024 on most systems, long before any real limit: the
 * soft limit stays that low only for programs that use select(2)'s
 * fd_set.  As Go's runtime does at start (since Go 1.19), raise it to the
 * hard limit, here when the fd table is first found full; with
 * CHAN_NO_RLIMIT_RAISE set in the environment, never.  Returns true if
 * the limit was raised, so that the call is worth trying once more.
 */
static bool raise_nofile(void)
{
	struct rlimit rl;

	if (getenv("CHAN_NO_RLIMIT_RAISE") || getrlimit(RLIMIT_NOFILE, &rl) ||
	    rl.rlim_cur >= rl.rlim_max)
		return false;
	rl.rlim_cur = rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/*
 * The module's budget (L1) fails with EMFILE too, and raising the fd limit
 * would not help it.  @fd is an open fd of the caller's: if the table has
 * no room for a copy of it, the EMFILE was the table's.
 */
static bool fd_table_full(int fd)
{
	int probe = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (probe < 0)
		return errno == EMFILE;
	close(probe);
	return false;
}

/* Open /dev/chan; only a full fd table fails an open with EMFILE. */
static int open_dev(void)
{
	int dev = open("/dev/chan", O_RDWR | O_CLOEXEC);

	if (dev >= 0)
		return dev;
	if (errno != EMFILE)
		return -errno;
	if (!raise_nofile())
		return -EMFILE;
	dev = open("/dev/chan", O_RDWR | O_CLOEXEC);
	return dev < 0 ? -errno : dev;
}

/*
 * One ioctl on /dev/chan that makes a channel fd: @req is its struct.  If
 * the fd table was full, once more after raising the limit (G3).  The fd
 * number may have been another file's, so its ring cache entry is stale:
 * @ring says whether the new fd is a ring channel's, mapped at once (M1).
 */
static int make_on_dev(unsigned long cmd, void *req, bool ring)
{
	int dev, fd, err;

	ring_sweep();
	dev = open_dev();
	if (dev < 0)
		return dev;
	err = check_api(dev);
	if (!err) {
		fd = ioctl(dev, cmd, req);
		err = fd < 0 ? -errno : fd;
		if (err == -EMFILE && fd_table_full(dev) && raise_nofile()) {
			fd = ioctl(dev, cmd, req);
			err = fd < 0 ? -errno : fd;
		}
	}
	close(dev);
	if (err >= 0)
		ring_set(err, ring ? NULL : RING_NONE);
	if (err >= 0 && err < RING_FDS && ring)
		ring_lookup(err);
	return err;
}

int chan_make(size_t elem_size, size_t cap, unsigned int flags)
{
	struct chan_create c;

	/* The kernel sees 32 bits: reject what would silently truncate. */
	if (elem_size > UINT32_MAX || cap > UINT32_MAX)
		return -EINVAL;
	c = (struct chan_create){
		.elem_size = (uint32_t)elem_size,
		.cap = (uint32_t)cap,
		.flags = flags,
	};
	return make_on_dev(CHAN_IOC_CREATE, &c, flags & CHAN_RING);
}

static int dup_fd(int ch, unsigned int mode)
{
	struct chan_dup d = { .mode = mode };
	int fd = ioctl(ch, CHAN_IOC_DUP, &d);

	return fd < 0 ? -errno : fd;
}

int chan_dup(int ch, unsigned int mode)
{
	int fd = dup_fd(ch, mode);

	if (fd == -EMFILE && fd_table_full(ch) && raise_nofile())
		fd = dup_fd(ch, mode);
	if (fd < 0)
		return fd;
	/* Mapped on first use, if the new fd may map at all (M1). */
	ring_set(fd, ch >= 0 && ch < RING_FDS &&
		 atomic_load(&ring_tab[ch]) == RING_NONE ? RING_NONE : NULL);
	return fd;
}

int chan_after(int64_t ns)
{
	struct chan_timer_create c = { .delay_ns = ns };

	return make_on_dev(CHAN_IOC_TIMER, &c, false);
}

int chan_tick(int64_t period_ns)
{
	struct chan_timer_create c = {
		.delay_ns = period_ns,
		.period_ns = (uint64_t)period_ns,
	};

	/* 0 would ask the module for a one-shot timer. */
	if (period_ns < CHAN_TIMER_MIN_PERIOD_NS)
		return -EINVAL;
	return make_on_dev(CHAN_IOC_TIMER, &c, false);
}

static int xfer(int ch, unsigned long cmd, const void *elem, int64_t timeout_ns)
{
	struct chan_xfer x = { .elem = (uintptr_t)elem };
	int ret;

	if (timeout_ns == 0) {
		x.flags = CHAN_XFER_NONBLOCK;
	} else if (timeout_ns > 0) {
		x.flags = CHAN_XFER_DEADLINE;
		ret = chan_deadline_after(timeout_ns, &x.deadline_ns);
		if (ret)
			return ret;
	}
	ret = ioctl(ch, cmd, &x);
	return ret < 0 ? -errno : ret;
}

/* One look of the fast path: ring_send() (@send) or ring_recv(). */
static inline int ring_try(int ch, struct ring_map *m, void *elem, bool send,
			   bool nonblock)
{
	return send ? ring_send(ch, m, elem, nonblock) :
		      ring_recv(ch, m, elem, nonblock);
}

/*
 * A ring channel's send or receive that needs no one else's help is done
 * in its shared pages (ring.h), after a few more looks if a blocking call
 * found it full or empty; everything else is the kernel's.
 */
static int xfer_any(int ch, void *elem, int64_t timeout_ns, bool send)
{
	struct ring_map *m = ring_enter(ch);

	if (m) {
		int ret = ring_try(ch, m, elem, send, timeout_ns == 0);
		uint32_t looks = 0, most;

		if (ret == RING_WAIT) {
			most = ring_spin_limit(m);
			while (ret == RING_WAIT && looks < most) {
				ring_relax();
				looks++;
				ret = ring_try(ch, m, elem, send, false);
			}
			ring_spin_learn(m, ret == RING_WAIT ? 0 : looks);
		}
		ring_leave();
		if (ret != RING_SLOW && ret != RING_WAIT)
			return ret;
	}
	return xfer(ch, send ? CHAN_IOC_SEND : CHAN_IOC_RECV, elem, timeout_ns);
}

static int send_any(int ch, const void *elem, int64_t timeout_ns)
{
	/* Only read: ring_send() and CHAN_IOC_SEND take it as const. */
	return xfer_any(ch, (void *)elem, timeout_ns, true);
}

static int recv_any(int ch, void *elem, int64_t timeout_ns)
{
	return xfer_any(ch, elem, timeout_ns, false);
}

int chan_send(int ch, const void *elem)
{
	return send_any(ch, elem, -1);
}

int chan_recv(int ch, void *elem)
{
	return recv_any(ch, elem, -1);
}

int chan_try_send(int ch, const void *elem)
{
	return send_any(ch, elem, 0);
}

int chan_try_recv(int ch, void *elem)
{
	return recv_any(ch, elem, 0);
}

int chan_send_timeout(int ch, const void *elem, int64_t timeout_ns)
{
	return send_any(ch, elem, timeout_ns);
}

int chan_recv_timeout(int ch, void *elem, int64_t timeout_ns)
{
	return recv_any(ch, elem, timeout_ns);
}

int chan_close(int ch)
{
	return ioctl(ch, CHAN_IOC_CLOSE) < 0 ? -errno : 0;
}

static int info(int ch, struct chan_info *ci)
{
	*ci = (struct chan_info){ 0 };
	return ioctl(ch, CHAN_IOC_INFO, ci) < 0 ? -errno : 0;
}

/* Counts are __u32 in the uapi; one past INT_MAX would read as an errno. */
static int count_or_overflow(uint32_t n)
{
	return n > INT_MAX ? -EOVERFLOW : (int)n;
}

int chan_len(int ch)
{
	struct chan_info ci;
	int ret = info(ch, &ci);

	return ret ? ret : count_or_overflow(ci.len);
}

int chan_cap(int ch)
{
	struct chan_info ci;
	int ret = info(ch, &ci);

	return ret ? ret : count_or_overflow(ci.cap);
}
