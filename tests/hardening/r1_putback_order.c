// SPDX-License-Identifier: GPL-2.0
/*
 * R1, R5 (with L2): elements that receivers could not deliver go back in
 * the order they were sent.
 *
 * A buffered channel (cap 2, 512-byte elements, past the small-element
 * path).  Receiver 1 blocks, then receiver 2 (CHAN_IOC_INFO shows each),
 * each into a page of its own; both pages are made read-only; e1 and e2 are
 * sent, e1 going to receiver 1 and e2 to receiver 2.  Both receives fail
 * with EFAULT and put their element back.  Two receives must then give e1,
 * then e2, in every one of 30 trials; once with CHAN_IOC_RECV, once with
 * read(2).
 */
#include "hard.h"

#define ESZ	512
#define TRIALS	30

static int ch;
static bool use_read;

static void *receiver(void *arg)
{
	uint8_t *page = arg;
	long r;

	if (use_read)
		r = read(ch, page, ESZ) < 0 ? -errno : 1;
	else
		r = chan_recv(ch, page);
	return (void *)r;
}

static int trials(bool by_read)
{
	uint8_t *pages, e[ESZ], got[ESZ];
	int t, wrong = 0;
	pthread_t r1, r2;

	use_read = by_read;
	pages = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("R1", pages != MAP_FAILED);
	for (t = 0; t < TRIALS; t++) {
		ch = CHECK_OK("R1", chan_make(ESZ, 2, 0));
		CHECK_SYS("R1", mprotect(pages, 2 * 4096, PROT_READ | PROT_WRITE));
		memset(pages, 0, 2 * 4096);
		STEP("receiver 1 blocks, then receiver 2");
		r1 = spawn(receiver, pages);
		wait_waiters(ch, 0, 1);
		r2 = spawn(receiver, pages + 4096);
		wait_waiters(ch, 0, 2);
		CHECK_SYS("R1", mprotect(pages, 2 * 4096, PROT_READ));
		STEP("e1, e2 sent; both receives fault");
		memset(e, 1, ESZ);
		CHECK_EQ("R1", chan_send(ch, e), 0);
		memset(e, 2, ESZ);
		CHECK_EQ("R1", chan_send(ch, e), 0);
		CHECK_EQ("L2", (long)join(r1), -EFAULT);
		CHECK_EQ("L2", (long)join(r2), -EFAULT);
		STEP("both come back, in order");
		CHECK_EQ("R5", chan_info_of(ch).len, 2);
		CHECK_EQ("R5", chan_try_recv(ch, got), 1);
		if (got[0] != 1)
			wrong++;
		CHECK("R5", got[0] == 1 || got[0] == 2);
		CHECK_EQ("R5", got[0], got[ESZ - 1]);
		CHECK_EQ("R5", chan_try_recv(ch, got), 1);
		CHECK("R5", got[0] == 1 || got[0] == 2);
		CHECK_EQ("R5", got[0], got[ESZ - 1]);
		CHECK_EQ("R5", chan_try_recv(ch, got), -EAGAIN);
		close(ch);
	}
	munmap(pages, 2 * 4096);
	return wrong;
}

static void body(void)
{
	int w_ioctl = trials(false), w_read = trials(true);

	fprintf(stderr, "r1_putback_order: put-backs out of order in %d of %d trials with CHAN_IOC_RECV, %d of %d with read(2)\n",
		w_ioctl, TRIALS, w_read, TRIALS);
	SOFT("R1", w_ioctl == 0, "CHAN_IOC_RECV: e2 came out before e1 in %d of %d trials",
	     w_ioctl, TRIALS);
	SOFT("R1", w_read == 0, "read(2): e2 came out before e1 in %d of %d trials",
	     w_read, TRIALS);
	hard_finish();
}

int main(void)
{
	hard_main("R1 R5", "put-backs keep the order elements were sent in",
		  120, 0, body);
}
