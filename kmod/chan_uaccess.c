// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of user memory made before anything moves.
 *
 * A receive must know that its destination can take the element before it
 * takes one: once an element has left its channel, a fault while copying it
 * out can be undone only by putting it back, and a sender that was already
 * let go cannot be held back (L2: a bad pointer changes nothing).  The check
 * may not write to the buffer to find out: another thread may be writing
 * there at the same moment, and a probe would overwrite its bytes.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "chan_uaccess.h"

/* Pages looked up at once without the mmap lock; an element spans few. */
#define CHAN_FAST_PAGES	2

/**
 * chan_user_writable() - whether @n bytes at @p can be written now
 * @p: a user buffer
 * @n: its size
 *
 * Pages present and writable are found by get_user_pages_fast_only(),
 * which takes no lock; that is the common case, and it costs a page walk
 * instead of the mmap lock and a fault per page.  Otherwise the pages are
 * faulted in as a write would fault them (copy-on-write broken, swapped in).
 * A page can still go away before the copy (a racing munmap); callers undo.
 *
 * Return: 0, or -EFAULT.
 */
int chan_user_writable(void __user *p, size_t n)
{
	unsigned long start = untagged_addr((unsigned long)p);
	struct page *pages[CHAN_FAST_PAGES];
	int nr, got, i;

	if (!n)
		return 0;
	if (!access_ok(p, n))
		return -EFAULT;
	nr = ((start + n - 1) >> PAGE_SHIFT) - (start >> PAGE_SHIFT) + 1;
	if (nr <= CHAN_FAST_PAGES) {
		got = get_user_pages_fast_only(start & PAGE_MASK, nr,
					       FOLL_WRITE, pages);
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		if (got == nr)
			return 0;
	}
	return fault_in_safe_writeable(p, n) ? -EFAULT : 0;
}

/**
 * chan_user_writable_in() - chan_user_writable(), skipping pages checked
 * @span: the pages a run of checks found writable so far; start it with
 *	CHAN_USER_SPAN_EMPTY
 * @p: a user buffer
 * @n: its size
 *
 * A select checks the destination of every receive case, and they often
 * share a page (one variable, or an array of them): a page checked once in
 * the call is not checked again.
 *
 * Return: 0, or -EFAULT.
 */
int chan_user_writable_in(struct chan_user_span *span, void __user *p,
			  size_t n)
{
	unsigned long lo = (unsigned long)p, hi = lo + n - 1;
	int err;

	if (n && hi >= lo && lo >= span->lo && hi <= span->hi)
		return 0;
	err = chan_user_writable(p, n);
	if (!err && n) {
		span->lo = lo & PAGE_MASK;
		span->hi = hi | ~PAGE_MASK;
	}
	return err;
}

/**
 * chan_iter_writable() - whether the first @n bytes of @i can be written now
 * @i: where a read(2), readv(2) or io_uring read delivers
 * @n: how many bytes will be copied there, at most iov_iter_count(@i)
 *
 * chan_user_writable() for each user segment the bytes fall in.  An
 * iterator over kernel memory (kvec, bvec) cannot fault.
 *
 * Return: 0, or -EFAULT.
 */
int chan_iter_writable(const struct iov_iter *i, size_t n)
{
	const struct iovec *iov;
	unsigned long seg;
	size_t off, len;
	int err;

	if (iter_is_ubuf(i))
		return chan_user_writable(i->ubuf + i->iov_offset, n);
	if (!iter_is_iovec(i))
		return 0;
	iov = iter_iov(i);
	off = i->iov_offset;
	for (seg = 0; n && seg < i->nr_segs; seg++) {
		len = min(iov[seg].iov_len - off, n);
		err = chan_user_writable(iov[seg].iov_base + off, len);
		if (err)
			return err;
		n -= len;
		off = 0;
	}
	return 0;
}
