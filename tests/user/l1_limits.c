// SPDX-License-Identifier: GPL-2.0
/*
 * L1: an element over 65536 bytes fails with EINVAL; a buffer over the
 * per-channel limit (capacity or bytes) fails with EINVAL; over the calling
 * user's budget with EMFILE.  The limits come from CHAN_IOC_QUERY.  The
 * budget is charged for the worst-case buffer at creation and given back
 * on the last close(2) (C2), so a second round fits exactly as the first.
 * A refused creation leaves no fd behind.
 */
#include "check.h"

#define MAX_CHANNELS	200000

static int fds[MAX_CHANNELS];

/* The lowest free fd number: what the next open would get. */
static int next_fd(void)
{
	int fd = CHECK_SYS("L1", dup(0));

	close(fd);
	return fd;
}

static void check_refused(size_t elem, size_t cap, int err)
{
	int before = next_fd();

	CHECK_EQ("L1", chan_make(elem, cap, 0), err);
	CHECK_EQ("L1", next_fd(), before);
}

/* Make channels of @elem x @cap until the budget refuses; returns how many. */
static int fill_budget(size_t elem, size_t cap)
{
	int n = 0, r;

	for (;;) {
		r = chan_make(elem, cap, 0);
		if (r < 0)
			break;
		if (n == MAX_CHANNELS)
			check_fail(__FILE__, __LINE__, "L1",
				   "%d channels of %zu bytes and no EMFILE", n,
				   elem * cap);
		fds[n++] = r;
	}
	CHECK_EQ("L1", r, -EMFILE);
	return n;
}

int main(void)
{
	size_t elem, cap, per, expect;
	struct chan_query q;
	struct chan_create cc;
	int dev, n, n2, i, fd;

	test_start("L1", "element, buffer and per-user budget limits", 120);
	raise_nofile(MAX_CHANNELS + 1000);

	STEP("CHAN_IOC_QUERY");
	q = chan_query_limits();
	CHECK_EQ("L1", q.version, CHAN_API_VERSION);
	CHECK_EQ("L1", q.max_elem_size, CHAN_MAX_ELEM_SIZE);
	CHECK_EQ("L1", q.reserved[0] | q.reserved[1] | q.reserved[2], 0);
	CHECK("L1", q.max_cap > 0 && q.max_buffer_bytes > 0);
	fprintf(stderr, "l1: max_cap %llu, max_buffer_bytes %llu, user_budget_bytes %llu\n",
		(unsigned long long)q.max_cap,
		(unsigned long long)q.max_buffer_bytes,
		(unsigned long long)q.user_budget_bytes);

	STEP("element size");
	check_refused(65537, 0, -EINVAL);
	check_refused(65537, 1, -EINVAL);
	check_refused(1 << 20, 0, -EINVAL);
	dev = chan_dev_open();
	memset(&cc, 0, sizeof(cc));
	cc.elem_size = UINT32_MAX;
	CHECK_ERRNO("L1", ioctl(dev, CHAN_IOC_CREATE, &cc), EINVAL);

	STEP("capacity and buffer bytes");
	if (q.max_cap < UINT32_MAX) {
		check_refused(0, q.max_cap + 1, -EINVAL);
		check_refused(1, q.max_cap + 1, -EINVAL);
	}
	cap = q.max_buffer_bytes / 65536 + 1;
	check_refused(65536, cap, -EINVAL);
	if (q.max_buffer_bytes < UINT32_MAX)
		check_refused(1, q.max_buffer_bytes + 1, -EINVAL);
	/* elem * cap overflows 32 bits: must not wrap into a small buffer. */
	memset(&cc, 0, sizeof(cc));
	cc.elem_size = 65536;
	cc.cap = 65536;
	CHECK_ERRNO("L1", ioctl(dev, CHAN_IOC_CREATE, &cc), EINVAL);
	cc.cap = UINT32_MAX;
	CHECK_ERRNO("L1", ioctl(dev, CHAN_IOC_CREATE, &cc), EINVAL);
	close(dev);

	/* The biggest buffer one channel may have: the limits are inclusive. */
	elem = 65536;
	cap = q.max_buffer_bytes / elem;
	if (cap > q.max_cap)
		cap = q.max_cap;
	if (cap == 0) {
		elem = q.max_buffer_bytes;
		cap = 1;
	}
	per = elem * cap;
	CHECK("L1", per > 0);
	if (q.user_budget_bytes >= per) {
		STEP("the largest allowed buffer");
		fd = CHECK_OK("L1", chan_make(elem, cap, 0));
		close(fd);
	}

	STEP("user budget: EMFILE once the buffers would exceed it");
	n = fill_budget(elem, cap);
	expect = q.user_budget_bytes / per;
	fprintf(stderr, "l1: %d channels of %zu bytes before EMFILE (budget/buffer = %zu)\n",
		n, per, expect);
	CHECK("L1", (size_t)n <= expect);
	/* Per-channel overhead may be charged too, but not a buffer's worth. */
	CHECK("L1", (size_t)n + 1 + expect / 8 >= expect);
	check_refused(elem, cap, -EMFILE);

	STEP("close(2) gives the budget back");
	close(fds[--n]);
	fds[n] = CHECK_OK("L1", chan_make(elem, cap, 0));
	n++;
	check_refused(elem, cap, -EMFILE);
	for (i = 0; i < n; i++)
		close(fds[i]);
	n2 = fill_budget(elem, cap);
	CHECK_EQ("L1", n2, n);
	for (i = 0; i < n2; i++)
		close(fds[i]);
	test_pass();
}
