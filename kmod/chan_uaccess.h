/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CHAN_UACCESS_H
#define _CHAN_UACCESS_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct iov_iter;

int chan_user_writable(void __user *p, size_t n);
int chan_iter_writable(const struct iov_iter *i, size_t n);

/**
 * struct chan_user_span - user pages known to be writable, for a run of checks
 * @lo: first byte of the span
 * @hi: last byte of the span; below @lo while the span is empty
 */
struct chan_user_span {
	unsigned long lo;
	unsigned long hi;
};

#define CHAN_USER_SPAN_EMPTY	((struct chan_user_span){ .lo = 1, .hi = 0 })

int chan_user_writable_in(struct chan_user_span *span, void __user *p,
			  size_t n);

#endif /* _CHAN_UACCESS_H */
