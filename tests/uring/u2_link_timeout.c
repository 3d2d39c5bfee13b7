// SPDX-License-Identifier: GPL-2.0
/*
 * B2, R5 through io_uring: a READ or WRITE on a channel linked with
 * IORING_OP_LINK_TIMEOUT is cancelled when the timeout expires and then
 * has changed nothing, as a timed receive or send that expires (B2): no
 * element taken, none sent.  One that completes in time cancels the
 * timeout.  No io-wq worker thread is made.
 *
 * 1. A READ of an empty channel times out: ECANCELED, ETIME; an element
 *    sent afterwards is still there for a plain receive (R5).
 * 2. A READ that an element reaches in time: the element; the timeout
 *    is cancelled.
 * 3. A WRITE to a full channel times out: the buffer holds what it held
 *    (R5); to an unbuffered channel without receiver: nothing is sent.
 */
#include "uring.h"

enum { OP = 1, TIMEOUT = 2 };

static struct io_uring ring;

/* A READ or WRITE on @fd linked with a timeout of @ms, submitted. */
static void submit_linked(bool write, int fd, uint64_t *v, unsigned int ms)
{
	static struct __kernel_timespec ts;
	struct io_uring_sqe *sqe = uring_sqe(&ring);

	if (write)
		io_uring_prep_write(sqe, fd, v, sizeof(*v), 0);
	else
		io_uring_prep_read(sqe, fd, v, sizeof(*v), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = OP;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	sqe = uring_sqe(&ring);
	io_uring_prep_link_timeout(sqe, &ts, 0);
	sqe->user_data = TIMEOUT;
	uring_submit(&ring, 2);
}

/* Both completions of a linked pair: the operation's and the timeout's. */
static void reap(int *op, int *timeout)
{
	uint64_t data;
	int i, res;

	*op = *timeout = 1000;
	for (i = 0; i < 2; i++) {
		res = uring_wait(&ring, &data);
		CHECK("B2", data == OP || data == TIMEOUT);
		*(data == OP ? op : timeout) = res;
	}
	CHECK("B2", *op != 1000 && *timeout != 1000);
}

static void read_times_out(void)
{
	uint64_t v = 0, s = 7, r = 0;
	int ch, op, timeout;
	int64_t t0;

	STEP("a READ of an empty channel times out");
	ch = CHECK_OK("B2", chan_make(sizeof(uint64_t), 1, 0));

	t0 = now_ns();
	submit_linked(false, ch, &v, 30);
	reap(&op, &timeout);
	CHECK_EQ("B2", op, -ECANCELED);
	CHECK_EQ("B2", timeout, -ETIME);
	CHECK("B2", now_ns() - t0 >= 30000000);
	CHECK_EQ("R5", chan_send(ch, &s), 0);
	CHECK_EQ("R5", chan_try_recv(ch, &r), 1);
	CHECK_EQ("R5", r, 7);
	CHECK_EQ("R5", v, 0);

	STEP("a READ that an element reaches in time");
	submit_linked(false, ch, &v, 10000);
	CHECK("B2", !uring_completes_within(&ring, 20));
	s = 8;
	CHECK_EQ("R5", chan_send(ch, &s), 0);
	reap(&op, &timeout);
	CHECK_EQ("B2", op, sizeof(v));
	CHECK_EQ("B2", timeout, -ECANCELED);
	CHECK_EQ("R5", v, 8);
	CHECK_EQ("R5", len_of(ch), 0);
	close(ch);
}

static void write_times_out(void)
{
	uint64_t v = 9, s = 10, r = 0;
	int ch, op, timeout;

	STEP("a WRITE to a full channel times out");
	ch = CHECK_OK("B2", chan_make(sizeof(uint64_t), 1, 0));
	CHECK_EQ("B2", chan_send(ch, &s), 0);
	submit_linked(true, ch, &v, 30);
	reap(&op, &timeout);
	CHECK_EQ("B2", op, -ECANCELED);
	CHECK_EQ("B2", timeout, -ETIME);
	CHECK_EQ("R5", len_of(ch), 1);
	CHECK_EQ("R5", chan_try_recv(ch, &r), 1);
	CHECK_EQ("R5", r, 10);
	CHECK_EQ("R5", chan_try_recv(ch, &r), -EAGAIN);
	close(ch);

	STEP("a WRITE to an unbuffered channel without receiver times out");
	ch = CHECK_OK("B2", chan_make(sizeof(uint64_t), 0, 0));
	submit_linked(true, ch, &v, 30);
	reap(&op, &timeout);
	CHECK_EQ("B2", op, -ECANCELED);
	CHECK_EQ("B2", timeout, -ETIME);
	CHECK_EQ("R5", chan_info_of(ch).send_waiters, 0);
	CHECK_EQ("R5", chan_try_recv(ch, &r), -EAGAIN);
	close(ch);
}

int main(void)
{
	test_start("B2 R5", "io_uring READ and WRITE linked with a timeout",
		   sel_watchdog(60));
	uring_init(&ring, 8);
	read_times_out();
	write_times_out();
	CHECK_EQ("B2", uring_workers(), 0);
	io_uring_queue_exit(&ring);
	test_pass();
}
