// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Channels: thin wrappers over the ioctls of /dev/chan and of channel fds.
 *
 * Element pointers go to the kernel as they are, so a bad one fails with
 * -EFAULT there instead of crashing here.  Every uapi struct is built with a
 * designated initializer, which zeroes the reserved fields the kernel checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "internal.h"
#include "ring.h"

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

int chan_make(size_t elem_size, size_t cap, unsigned int flags)
{
	struct chan_create c;
	int dev, fd, err;

	/* The kernel sees 32 bits: reject what would silently truncate. */
	if (elem_size > UINT32_MAX || cap > UINT32_MAX)
		return -EINVAL;

	ring_sweep();
	dev = open("/dev/chan", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	err = check_api(dev);
	if (!err) {
		c = (struct chan_create){
			.elem_size = (uint32_t)elem_size,
			.cap = (uint32_t)cap,
			.flags = flags,
		};
		fd = ioctl(dev, CHAN_IOC_CREATE, &c);
		err = fd < 0 ? -errno : fd;
	}
	close(dev);
	/*
	 * The fd number may have been another file's: its cache entry is
	 * stale.  A ring channel is mapped at once (M1), a plain one never.
	 */
	if (err >= 0)
		ring_set(err, (flags & CHAN_RING) ? NULL : RING_NONE);
	if (err >= 0 && (flags & CHAN_RING))
		ring_get(err);
	return err;
}

int chan_dup(int ch, unsigned int mode)
{
	struct chan_dup d = { .mode = mode };
	int fd = ioctl(ch, CHAN_IOC_DUP, &d);

	if (fd < 0)
		return -errno;
	/* Mapped on first use, if the new fd may map at all (M1). */
	ring_set(fd, ch >= 0 && ch < RING_FDS &&
		 atomic_load(&ring_tab[ch]) == RING_NONE ? RING_NONE : NULL);
	return fd;
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

/*
 * A ring channel's send or receive that needs no one else's help is done
 * in its shared pages (ring.h); everything else is the kernel's.
 */
static int send_any(int ch, const void *elem, int64_t timeout_ns)
{
	const struct ring_map *m = ring_get(ch);

	if (m) {
		int ret = ring_send(ch, m, elem, timeout_ns == 0);

		if (ret != RING_SLOW)
			return ret;
	}
	return xfer(ch, CHAN_IOC_SEND, elem, timeout_ns);
}

static int recv_any(int ch, void *elem, int64_t timeout_ns)
{
	const struct ring_map *m = ring_get(ch);

	if (m) {
		int ret = ring_recv(ch, m, elem, timeout_ns == 0);

		if (ret != RING_SLOW)
			return ret;
	}
	return xfer(ch, CHAN_IOC_RECV, elem, timeout_ns);
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
