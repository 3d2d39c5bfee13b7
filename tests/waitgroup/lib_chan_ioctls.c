// SPDX-License-Identifier: GPL-2.0
/*
 * libchan's channel calls, checked against a fake device (C1 C3 B1 B2 L2,
 * library side): no module is needed.  The test defines open, ioctl and
 * close, which take the place of the C library's in libchan; they record
 * what the library would hand the kernel, and pass every other fd on to the
 * real system calls.
 *
 * Checked: the structs (flags, modes, element pointers untouched, reserved
 * fields zero even on a dirty stack), timeouts as flags and absolute
 * CLOCK_MONOTONIC deadlines (saturating), the API version check (cached
 * only on success), size_t values that would truncate, return values and
 * -errno, and that /dev/chan is closed on every path.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/ioctl.h>

#include "wgtest.h"

#define DEV_FD		900	/* what the fake open of /dev/chan returns */
#define CHAN_FD		1000	/* the channel fd the fake create returns */
#define DUP_FD		1001

static struct {
	int open_flags;
	int open_errno;		/* open fails with this, if set */
	int dev_open;		/* /dev/chan fds open now */
	unsigned int version;
	int queries;
	int query_errno;
	int create_errno;
	struct chan_create create;
	struct chan_dup dup;
	struct chan_xfer xfer;
	unsigned long xfer_cmd;
	int xfer_ret;		/* >= 0: returned; < 0: fails with -xfer_ret */
	int closes;		/* CHAN_IOC_CLOSE calls */
	struct chan_info info;
} fake;

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = flags & (O_CREAT | O_TMPFILE) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if (strcmp(path, "/dev/chan"))
		return syscall(SYS_openat, AT_FDCWD, path, flags, mode);
	fake.open_flags = flags;
	if (fake.open_errno) {
		errno = fake.open_errno;
		return -1;
	}
	fake.dev_open++;
	return DEV_FD;
}

int close(int fd)
{
	if (fd != DEV_FD)
		return syscall(SYS_close, fd);
	CHECK(fake.dev_open > 0);
	fake.dev_open--;
	return 0;
}

static int fail_with(int err)
{
	errno = err;
	return -1;
}

int ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (fd == DEV_FD && cmd == CHAN_IOC_QUERY) {
		struct chan_query *q = arg;

		fake.queries++;
		if (fake.query_errno)
			return fail_with(fake.query_errno);
		*q = (struct chan_query){ .version = fake.version };
		return 0;
	}
	if (fd == DEV_FD && cmd == CHAN_IOC_CREATE) {
		fake.create = *(struct chan_create *)arg;
		if (fake.create_errno)
			return fail_with(fake.create_errno);
		return CHAN_FD;
	}
	/* As the kernel would: qemu's user mode fails unknown ioctls ENOSYS. */
	if (fd < 0)
		return fail_with(EBADF);
	if (fd != CHAN_FD)
		return syscall(SYS_ioctl, fd, cmd, arg);

	switch (cmd) {
	case CHAN_IOC_DUP:
		fake.dup = *(struct chan_dup *)arg;
		return DUP_FD;
	case CHAN_IOC_SEND:
	case CHAN_IOC_RECV:
		fake.xfer_cmd = cmd;
		fake.xfer = *(struct chan_xfer *)arg;
		return fake.xfer_ret < 0 ? fail_with(-fake.xfer_ret)
					 : fake.xfer_ret;
	case CHAN_IOC_CLOSE:
		fake.closes++;
		return 0;
	case CHAN_IOC_INFO:
		*(struct chan_info *)arg = fake.info;
		return 0;
	}
	return fail_with(ENOTTY);
}

/*
 * Leave garbage where the library's next stack frame will be, so that a
 * field it forgets to zero is not zero by luck.  volatile keeps the stores.
 */
static void __attribute__((noinline)) dirty_stack(void)
{
	volatile unsigned char junk[4096];
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = 0xa5;
}

static void check_make(void)
{
	fake.version = 2;
	CHECK_EQ(chan_make(8, 4, 0), -EPROTONOSUPPORT);
	CHECK_EQ(fake.open_flags, O_RDWR | O_CLOEXEC);
	CHECK_EQ(fake.dev_open, 0);
	fake.query_errno = ENOTTY;
	CHECK_EQ(chan_make(8, 4, 0), -ENOTTY);
	CHECK_EQ(fake.dev_open, 0);
	fake.query_errno = 0;
	fake.version = CHAN_API_VERSION;
	fake.queries = 0;

	dirty_stack();
	CHECK_EQ(chan_make(8, 4, CHAN_NONBLOCK | CHAN_INHERIT), CHAN_FD);
	CHECK_EQ(fake.queries, 1);
	CHECK_EQ(fake.create.elem_size, 8);
	CHECK_EQ(fake.create.cap, 4);
	CHECK_EQ(fake.create.flags, CHAN_FD_NONBLOCK | CHAN_FD_INHERIT);
	CHECK_EQ(fake.create.reserved[0], 0);
	CHECK_EQ(fake.create.reserved[1], 0);
	CHECK_EQ(fake.dev_open, 0);

	/* Checked once: later makes do not ask again. */
	dirty_stack();
	CHECK_EQ(chan_make(0, 0, 0), CHAN_FD);
	CHECK_EQ(fake.queries, 1);
	CHECK_EQ(fake.create.elem_size, 0);
	CHECK_EQ(fake.create.cap, 0);
	CHECK_EQ(fake.create.flags, 0);
	CHECK_EQ(fake.create.reserved[0] | fake.create.reserved[1], 0);

	/* Limits are the kernel's (C1, L1) as long as nothing truncates. */
	CHECK_EQ(chan_make(UINT32_MAX, UINT32_MAX, 0), CHAN_FD);
	CHECK_EQ(fake.create.elem_size, UINT32_MAX);
	CHECK_EQ(fake.create.cap, UINT32_MAX);
	fake.create = (struct chan_create){ 0 };
	/* Only a 64-bit size_t holds more than the kernel's 32 bits. */
	if (sizeof(size_t) > sizeof(uint32_t)) {
		CHECK_EQ(chan_make((size_t)UINT64_MAX >> 31, 1, 0), -EINVAL);
		CHECK_EQ(chan_make(1, (size_t)UINT64_MAX >> 31, 0), -EINVAL);
		CHECK_EQ(chan_make(SIZE_MAX, 1, 0), -EINVAL);
		CHECK_EQ(fake.create.elem_size, 0);
	}

	fake.create_errno = EMFILE;
	CHECK_EQ(chan_make(8, 1, 0), -EMFILE);
	CHECK_EQ(fake.dev_open, 0);
	fake.create_errno = 0;
	fake.open_errno = ENOENT;
	CHECK_EQ(chan_make(8, 1, 0), -ENOENT);
	fake.open_errno = 0;
}

static void check_dup_close_info(void)
{
	dirty_stack();
	CHECK_EQ(chan_dup(CHAN_FD, CHAN_SEND_ONLY), DUP_FD);
	CHECK_EQ(fake.dup.mode, CHAN_MODE_SEND);
	CHECK_EQ(fake.dup.flags, 0);
	CHECK_EQ(fake.dup.reserved, 0);
	CHECK_EQ(chan_dup(CHAN_FD, CHAN_RECV_ONLY), DUP_FD);
	CHECK_EQ(fake.dup.mode, CHAN_MODE_RECV);
	CHECK_EQ(chan_dup(-1, CHAN_RECV_ONLY), -EBADF);

	CHECK_EQ(chan_close(CHAN_FD), 0);
	CHECK_EQ(fake.closes, 1);
	CHECK_EQ(chan_close(-1), -EBADF);

	fake.info = (struct chan_info){ .len = 3, .cap = 5 };
	CHECK_EQ(chan_len(CHAN_FD), 3);
	CHECK_EQ(chan_cap(CHAN_FD), 5);
	/* A count an int cannot hold must not read as an error number. */
	fake.info = (struct chan_info){ .len = INT_MAX, .cap = 0x80000000u };
	CHECK_EQ(chan_len(CHAN_FD), INT_MAX);
	CHECK_EQ(chan_cap(CHAN_FD), -EOVERFLOW);
	CHECK_EQ(chan_len(-1), -EBADF);
}

/* One transfer; returns what the library returned, fake.xfer has the rest. */
static int xfer(int send, void *elem, int64_t timeout_ns, int64_t *lo, int64_t *hi)
{
	int ret;

	dirty_stack();
	*lo = now_ns();
	ret = send ? chan_send_timeout(CHAN_FD, elem, timeout_ns)
		   : chan_recv_timeout(CHAN_FD, elem, timeout_ns);
	*hi = now_ns();
	CHECK_EQ(fake.xfer_cmd, send ? CHAN_IOC_SEND : CHAN_IOC_RECV);
	CHECK_EQ(fake.xfer.reserved, 0);
	return ret;
}

static void check_xfer(void)
{
	void *bad = (void *)(uintptr_t)0x10;	/* never dereferenced here */
	int64_t lo, hi, sec = NSEC_PER_SEC;
	int send, v = 7;

	for (send = 0; send <= 1; send++) {
		fake.xfer_ret = 0;
		CHECK_EQ(xfer(send, &v, -1, &lo, &hi), 0);
		CHECK_EQ(fake.xfer.elem, (uintptr_t)&v);
		CHECK_EQ(fake.xfer.flags, 0);
		CHECK_EQ(fake.xfer.deadline_ns, 0);

		CHECK_EQ(xfer(send, bad, 0, &lo, &hi), 0);
		CHECK_EQ(fake.xfer.elem, 0x10);
		CHECK_EQ(fake.xfer.flags, CHAN_XFER_NONBLOCK);
		CHECK_EQ(fake.xfer.deadline_ns, 0);

		/* B2: relative timeouts become absolute monotonic deadlines. */
		CHECK_EQ(xfer(send, NULL, 5 * sec, &lo, &hi), 0);
		CHECK_EQ(fake.xfer.elem, 0);
		CHECK_EQ(fake.xfer.flags, CHAN_XFER_DEADLINE);
		CHECK((int64_t)fake.xfer.deadline_ns >= lo + 5 * sec);
		CHECK((int64_t)fake.xfer.deadline_ns <= hi + 5 * sec);
		CHECK_EQ(xfer(send, &v, 1, &lo, &hi), 0);
		CHECK((int64_t)fake.xfer.deadline_ns >= lo + 1);
		CHECK((int64_t)fake.xfer.deadline_ns <= hi + 1);
		CHECK_EQ(xfer(send, &v, INT64_MAX, &lo, &hi), 0);
		CHECK_EQ(fake.xfer.flags, CHAN_XFER_DEADLINE);
		CHECK_EQ(fake.xfer.deadline_ns, INT64_MAX);
		CHECK_EQ(xfer(send, &v, INT64_MAX - 1000, &lo, &hi), 0);
		CHECK_EQ(fake.xfer.deadline_ns, INT64_MAX);

		/* Kernel errors come back as -errno. */
		fake.xfer_ret = -EPIPE;
		CHECK_EQ(xfer(send, &v, -1, &lo, &hi), -EPIPE);
		fake.xfer_ret = -ETIMEDOUT;
		CHECK_EQ(xfer(send, &v, sec, &lo, &hi), -ETIMEDOUT);
		fake.xfer_ret = -EFAULT;
		CHECK_EQ(xfer(send, bad, -1, &lo, &hi), -EFAULT);
	}

	/* The plain and try_ forms: flags, and recv's 1 (value) or 0 (closed). */
	fake.xfer_ret = 1;
	CHECK_EQ(chan_recv(CHAN_FD, &v), 1);
	CHECK_EQ(fake.xfer.flags, 0);
	fake.xfer_ret = 0;
	CHECK_EQ(chan_recv(CHAN_FD, &v), 0);
	CHECK_EQ(chan_send(CHAN_FD, &v), 0);
	CHECK_EQ(fake.xfer_cmd, CHAN_IOC_SEND);
	CHECK_EQ(fake.xfer.flags, 0);
	fake.xfer_ret = -EAGAIN;
	CHECK_EQ(chan_try_send(CHAN_FD, &v), -EAGAIN);
	CHECK_EQ(fake.xfer_cmd, CHAN_IOC_SEND);
	CHECK_EQ(fake.xfer.flags, CHAN_XFER_NONBLOCK);
	CHECK_EQ(chan_try_recv(CHAN_FD, &v), -EAGAIN);
	CHECK_EQ(fake.xfer_cmd, CHAN_IOC_RECV);
	CHECK_EQ(fake.xfer.flags, CHAN_XFER_NONBLOCK);
	fake.xfer_ret = -EINTR;
	CHECK_EQ(chan_recv(CHAN_FD, &v), -EINTR);
	CHECK_EQ(chan_send(-1, &v), -EBADF);
}

int main(void)
{
	test_init("C1 C3 B1 B2 L2 (libchan side)");
	check_make();
	check_dup_close_info();
	check_xfer();
	test_pass("structs, flags, deadlines, zeroed reserved fields");
}
