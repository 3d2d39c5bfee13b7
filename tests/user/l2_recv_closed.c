// SPDX-License-Identifier: GPL-2.0
/*
 * L2 on a closed channel: CHAN_IOC_RECV with a bad element address fails
 * with EFAULT on a closed, drained channel as on an open, empty one (and as
 * a select's receive case does), rather than reporting "closed" without
 * looking at the pointer.  The fuzzer found a receive that returned 0 here.
 */
#include "check.h"

int main(void)
{
	struct chan_xfer x = { .elem = 0, .flags = CHAN_XFER_NONBLOCK };
	int ch;

	test_start("L2", "RECV into NULL on a closed, drained channel", 30);
	ch = CHECK_OK("L2", chan_make(8, 1, 0));
	CHECK_ERRNO("L2", ioctl(ch, CHAN_IOC_RECV, &x), EFAULT);
	CHECK_EQ("L2", chan_close(ch), 0);
	x.elem = (uintptr_t)bad_ptr();
	CHECK_ERRNO("L2", ioctl(ch, CHAN_IOC_RECV, &x), EFAULT);
	x.elem = 0;
	CHECK_ERRNO("L2", ioctl(ch, CHAN_IOC_RECV, &x), EFAULT);
	test_pass();
}
