// SPDX-License-Identifier: GPL-2.0
/*
 * L2: a bad user pointer fails with EFAULT and changes nothing; unknown
 * flags or non-zero reserved fields fail with EINVAL; an unknown ioctl fails
 * with ENOTTY.  Raw ioctls, so that nothing between the test and the kernel
 * fixes the input up.  "Changes nothing" is checked on the channel (len,
 * waiters, closed) and on the fd table (no fd leaked by a refused call).
 */
#include "check.h"

#include <termios.h>

#define KERNEL_PTR	((void *)0xffff888000000000UL)

static int next_fd(void)
{
	int fd = CHECK_SYS("L2", dup(0));

	close(fd);
	return fd;
}

/* A pointer whose first bytes are mapped and whose last are not. */
static void *straddling(size_t mapped)
{
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK("L2", p != MAP_FAILED);
	CHECK_SYS("L2", mprotect(p + 4096, 4096, PROT_NONE));
	return p + 4096 - mapped;
}

static void check_state(int fd, unsigned int len)
{
	struct chan_info i = chan_info_of(fd);

	CHECK_EQ("L2", i.len, len);
	CHECK_EQ("L2", i.closed, 0);
	CHECK_EQ("L2", i.send_waiters, 0);
	CHECK_EQ("L2", i.recv_waiters, 0);
	CHECK_EQ("L2", i.reserved[0] | i.reserved[1] | i.reserved[2], 0);
}

static void dev_ioctls(int dev)
{
	struct chan_create cc;
	int before = next_fd();

	STEP("/dev/chan: bad pointers");
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_QUERY, NULL), EFAULT);
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_QUERY, bad_ptr()), EFAULT);
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_QUERY, KERNEL_PTR), EFAULT);
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_CREATE, NULL), EFAULT);
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_CREATE, bad_ptr()), EFAULT);
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_CREATE, KERNEL_PTR), EFAULT);
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_CREATE,
				straddling(sizeof(cc) - 4)), EFAULT);
	CHECK_EQ("L2", next_fd(), before);

	STEP("/dev/chan: unknown flags, non-zero reserved");
	memset(&cc, 0, sizeof(cc));
	cc.elem_size = 8;
	cc.flags = 1U << 2;
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_CREATE, &cc), EINVAL);
	cc.flags = 1U << 31;
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_CREATE, &cc), EINVAL);
	cc.flags = 0;
	cc.reserved[0] = 1;
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_CREATE, &cc), EINVAL);
	cc.reserved[0] = 0;
	cc.reserved[1] = 1ULL << 63;
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_CREATE, &cc), EINVAL);
	CHECK_EQ("L2", next_fd(), before);

	STEP("/dev/chan: unknown ioctls");
	CHECK_ERRNO("L2", ioctl(dev, _IO(CHAN_IOC_MAGIC, 0x7f)), ENOTTY);
	CHECK_ERRNO("L2", ioctl(dev, _IOR(CHAN_IOC_MAGIC, 0x00, __u64)), ENOTTY);
	CHECK_ERRNO("L2", ioctl(dev, TCGETS, &(struct termios){ 0 }), ENOTTY);
	/* Channel ioctls mean nothing on /dev/chan itself. */
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_SEND, &(struct chan_xfer){ 0 }), ENOTTY);
	CHECK_ERRNO("L2", ioctl(dev, CHAN_IOC_CLOSE), ENOTTY);
	CHECK_EQ("L2", next_fd(), before);
}

static void dup_ioctls(int fd)
{
	struct chan_dup d;
	int before = next_fd();

	STEP("CHAN_IOC_DUP: bad pointer, bad mode, flags, reserved");
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_DUP, NULL), EFAULT);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_DUP, bad_ptr()), EFAULT);
	memset(&d, 0, sizeof(d));
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_DUP, &d), EINVAL);
	d.mode = 1U << 2;
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_DUP, &d), EINVAL);
	d.mode = CHAN_MODE_RECV;
	d.flags = 1U << 2;
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_DUP, &d), EINVAL);
	d.flags = 0;
	d.reserved = 1;
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_DUP, &d), EINVAL);
	CHECK_EQ("L2", next_fd(), before);
}

static void xfer_ioctls(int fd)
{
	struct chan_xfer x;
	uint64_t v = 5, out = 0;

	STEP("CHAN_IOC_SEND: bad struct and element pointers send nothing");
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_SEND, NULL), EFAULT);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_SEND, bad_ptr()), EFAULT);
	memset(&x, 0, sizeof(x));
	x.elem = (uintptr_t)bad_ptr();
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_SEND, &x), EFAULT);
	x.elem = (uintptr_t)KERNEL_PTR;
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_SEND, &x), EFAULT);
	/* Half the element readable: still nothing sent. */
	x.elem = (uintptr_t)straddling(4);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_SEND, &x), EFAULT);
	x.elem = 0;
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_SEND, &x), EFAULT);
	check_state(fd, 0);

	STEP("CHAN_IOC_SEND/RECV: unknown flags, both flags, reserved");
	x.elem = (uintptr_t)&v;
	x.flags = 1U << 2;
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_SEND, &x), EINVAL);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_RECV, &x), EINVAL);
	x.flags = CHAN_XFER_NONBLOCK | CHAN_XFER_DEADLINE;
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_SEND, &x), EINVAL);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_RECV, &x), EINVAL);
	x.flags = CHAN_XFER_NONBLOCK;
	x.reserved = 1;
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_SEND, &x), EINVAL);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_RECV, &x), EINVAL);
	check_state(fd, 0);

	STEP("CHAN_IOC_RECV: a bad destination leaves the element in place");
	CHECK_EQ("L2", chan_send(fd, &v), 0);
	memset(&x, 0, sizeof(x));
	x.flags = CHAN_XFER_NONBLOCK;
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_RECV, NULL), EFAULT);
	x.elem = (uintptr_t)bad_ptr();
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_RECV, &x), EFAULT);
	x.elem = (uintptr_t)KERNEL_PTR;
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_RECV, &x), EFAULT);
	x.elem = (uintptr_t)straddling(4);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_RECV, &x), EFAULT);
	check_state(fd, 1);
	x.elem = (uintptr_t)&out;
	CHECK_EQ("L2", ioctl(fd, CHAN_IOC_RECV, &x), 1);
	CHECK_EQ("L2", out, 5);
	check_state(fd, 0);

	STEP("read(2)/write(2) with bad buffers");
	CHECK_ERRNO("L2", write(fd, straddling(12), 16), EFAULT);
	check_state(fd, 0);
	CHECK_EQ("L2", chan_send(fd, &v), 0);
	CHECK_ERRNO("L2", read(fd, KERNEL_PTR, 8), EFAULT);
	check_state(fd, 1);
	CHECK_EQ("L2", chan_recv(fd, &out), 1);

	STEP("CHAN_IOC_INFO: bad pointer");
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_INFO, NULL), EFAULT);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_INFO, bad_ptr()), EFAULT);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_INFO, straddling(8)), EFAULT);
	check_state(fd, 0);
}

static void unbuffered_fault_keeps_sender(void)
{
	uint64_t v = 9, out = 0;
	struct chan_xfer x;
	pid_t pid;
	int fd;

	/*
	 * L2 "changes nothing" and R2 "a send completes only when a receiver
	 * has taken the element": a receive that faults has taken nothing, so
	 * the sender must still be blocked, not released with its element
	 * parked in a channel that has no buffer.
	 */
	STEP("unbuffered: a faulting receive leaves the blocked sender blocked");
	fd = CHECK_OK("L2", chan_make(sizeof(uint64_t), 0, 0));
	pid = fork_child();
	if (pid == 0) {
		CHECK_EQ("L2", chan_send(fd, &v), 0);
		_exit(0);
	}
	wait_waiters(fd, 1, 0);
	memset(&x, 0, sizeof(x));
	x.flags = CHAN_XFER_NONBLOCK;
	x.elem = (uintptr_t)straddling(4);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_RECV, &x), EFAULT);
	CHECK_EQ("L2/R2", chan_info_of(fd).send_waiters, 1);
	CHECK_EQ("L2/R2", chan_len(fd), 0);
	CHECK_EQ("L2", chan_recv(fd, &out), 1);
	CHECK_EQ("L2", out, 9);
	wait_child_ok("L2", pid);
	close(fd);
}

int main(void)
{
	int dev, fd;

	test_start("L2", "bad pointers, flags, reserved fields, unknown ioctls", 60);
	dev = chan_dev_open();
	dev_ioctls(dev);

	fd = CHECK_OK("L2", chan_make(sizeof(uint64_t), 4, 0));
	dup_ioctls(fd);
	xfer_ioctls(fd);

	STEP("channel fd: unknown ioctls");
	CHECK_ERRNO("L2", ioctl(fd, _IO(CHAN_IOC_MAGIC, 0x7f)), ENOTTY);
	CHECK_ERRNO("L2", ioctl(fd, _IOR(CHAN_IOC_MAGIC, 0x14, __u64)), ENOTTY);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_QUERY, &(struct chan_query){ 0 }), ENOTTY);
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_CREATE, &(struct chan_create){ 0 }), ENOTTY);
	CHECK_ERRNO("L2", ioctl(fd, TCGETS, &(struct termios){ 0 }), ENOTTY);
	check_state(fd, 0);
	close(fd);

	unbuffered_fault_keeps_sender();
	close(dev);
	test_pass();
}
