// SPDX-License-Identifier: GPL-2.0
/* iter_iov(): the current iovec of an iov_iter, whose member is private (6.4). */
#include <linux/uio.h>

const struct iovec *chan_probe(const struct iov_iter *i);
const struct iovec *chan_probe(const struct iov_iter *i)
{
	return iter_iov(i);
}
