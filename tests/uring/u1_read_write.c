// SPDX-License-Identifier: GPL-2.0
/*
 * P2, P3, B1, R2, R5, K2, K3, L2 through io_uring: IORING_OP_READ and
 * IORING_OP_WRITE on channel fds complete as read(2) and write(2) do, and
 * one that finds the channel not ready waits for it without a worker
 * thread: io_uring tries it without blocking (IOCB_NOWAIT), arms poll, and
 * tries again in the submitter's context when the channel is ready.
 *
 * 1. Ready at once: a READ of one element; a READ of four with two
 *    buffered gets the two (P2).  A WRITE of three with room for one
 *    completes short, with the first element sent (P3, R5).
 * 2. A READ that waits, on a blocking and on an O_NONBLOCK fd (io_uring
 *    waits on both, as for pipes): no completion until a send, then the
 *    element.  A WRITE that waits on a full channel: completes once a
 *    receive made room, in order (R1).
 * 3. RWF_NOWAIT (io_uring, preadv2, pwritev2): EAGAIN where it would
 *    block, and nothing changes (B1).
 * 4. Unbuffered (R2): a waiting READ meets a sender that blocks later, a
 *    waiting WRITE a receiver that blocks later.
 * 5. Closed: a READ of a drained closed channel completes with 0 (K3), a
 *    WRITE fails with EPIPE (K2); a waiting READ ends with 0 at close.
 * 6. A READ into a bad buffer fails with EFAULT and the element stays
 *    (L2); readv(2) fills its segments across element boundaries (P2).
 * Throughout, no io-wq worker thread is made.
 */
#include "uring.h"

static struct io_uring ring;

/* One READ or WRITE of @n bytes at @buf on @fd with @rw_flags, submitted. */
static void submit_rw(bool write, int fd, void *buf, unsigned int n,
		      int rw_flags, uint64_t data)
{
	struct io_uring_sqe *sqe = uring_sqe(&ring);

	if (write)
		io_uring_prep_write(sqe, fd, buf, n, 0);
	else
		io_uring_prep_read(sqe, fd, buf, n, 0);
	sqe->rw_flags = rw_flags;
	sqe->user_data = data;
	uring_submit(&ring, 1);
}

static int rw_now(bool write, int fd, void *buf, unsigned int n, int flags)
{
	uint64_t data;
	int res;

	submit_rw(write, fd, buf, n, flags, 7);
	res = uring_wait(&ring, &data);
	CHECK_EQ("P2", data, 7);
	return res;
}

static void ready_at_once(void)
{
	uint64_t v[4] = { 0 }, w[3] = { 11, 12, 13 };
	int ch;

	STEP("ready at once");
	ch = CHECK_OK("P2", chan_make(sizeof(uint64_t), 4, 0));
	v[0] = 5;
	CHECK_EQ("P2", chan_send(ch, &v[0]), 0);
	v[0] = 0;
	CHECK_EQ("P2", rw_now(false, ch, v, sizeof(v[0]), 0), sizeof(v[0]));
	CHECK_EQ("P2", v[0], 5);

	v[0] = 6;
	v[1] = 7;
	CHECK_EQ("P2", chan_send(ch, &v[0]), 0);
	CHECK_EQ("P2", chan_send(ch, &v[1]), 0);
	memset(v, 0, sizeof(v));
	CHECK_EQ("P2", rw_now(false, ch, v, sizeof(v), 0), 2 * sizeof(v[0]));
	CHECK("P2", v[0] == 6 && v[1] == 7 && v[2] == 0);
	close(ch);

	ch = CHECK_OK("P3", chan_make(sizeof(uint64_t), 1, 0));
	CHECK_EQ("P3", rw_now(true, ch, w, sizeof(w), 0), sizeof(w[0]));
	CHECK_EQ("R5", len_of(ch), 1);
	CHECK_EQ("R5", chan_try_recv(ch, &v[0]), 1);
	CHECK_EQ("R5", v[0], 11);
	close(ch);
}

static void waiting(unsigned int flags)
{
	uint64_t v = 0, r[2] = { 21, 22 }, data;
	int ch;

	STEP("a READ that waits");
	ch = CHECK_OK("P2", chan_make(sizeof(uint64_t), 2, flags));
	submit_rw(false, ch, &v, sizeof(v), 0, 1);
	CHECK("P2", !uring_completes_within(&ring, 50));
	r[0] = 9;
	CHECK_EQ("P2", chan_send(ch, &r[0]), 0);
	CHECK_EQ("P2", uring_wait(&ring, &data), sizeof(v));
	CHECK_EQ("P2", data, 1);
	CHECK_EQ("R5", v, 9);
	CHECK_EQ("R5", len_of(ch), 0);

	STEP("a WRITE that waits");
	r[0] = 21;
	CHECK_EQ("P3", chan_send(ch, &r[0]), 0);
	CHECK_EQ("P3", chan_send(ch, &r[1]), 0);
	v = 23;
	submit_rw(true, ch, &v, sizeof(v), 0, 2);
	CHECK("P3", !uring_completes_within(&ring, 50));
	CHECK_EQ("P3", chan_recv(ch, &r[0]), 1);
	CHECK_EQ("R1", r[0], 21);
	CHECK_EQ("P3", uring_wait(&ring, &data), sizeof(v));
	CHECK_EQ("P3", data, 2);
	CHECK_EQ("R1", chan_recv(ch, &r[0]), 1);
	CHECK_EQ("R1", r[0], 22);
	CHECK_EQ("R1", chan_recv(ch, &r[0]), 1);
	CHECK_EQ("R1", r[0], 23);
	close(ch);
}

static void nowait(void)
{
	uint64_t v = 0, full[1] = { 31 };
	struct iovec iov = { &v, sizeof(v) };
	int ch;

	STEP("RWF_NOWAIT");
	ch = CHECK_OK("B1", chan_make(sizeof(uint64_t), 1, 0));
	CHECK_EQ("B1", rw_now(false, ch, &v, sizeof(v), RWF_NOWAIT), -EAGAIN);
	CHECK_ERRNO("B1", preadv2(ch, &iov, 1, -1, RWF_NOWAIT), EAGAIN);
	CHECK_EQ("B1", chan_send(ch, full), 0);
	v = 32;
	CHECK_EQ("B1", rw_now(true, ch, &v, sizeof(v), RWF_NOWAIT), -EAGAIN);
	CHECK_ERRNO("B1", pwritev2(ch, &iov, 1, -1, RWF_NOWAIT), EAGAIN);
	CHECK_EQ("B1", len_of(ch), 1);
	CHECK_EQ("B1", rw_now(false, ch, &v, sizeof(v), RWF_NOWAIT), sizeof(v));
	CHECK_EQ("R5", v, 31);
	CHECK_EQ("B1", len_of(ch), 0);
	close(ch);
}

static void unbuffered(void)
{
	uint64_t v = 0, data;
	struct peer p;
	int ch;

	STEP("unbuffered: a waiting READ meets a sender");
	ch = CHECK_OK("R2", chan_make(sizeof(uint64_t), 0, 0));
	submit_rw(false, ch, &v, sizeof(v), 0, 1);
	CHECK("R2", !uring_completes_within(&ring, 20));
	peer_start(&p, ch, true, 41);
	CHECK_EQ("R2", uring_wait(&ring, &data), sizeof(v));
	join(p.thread);
	CHECK_EQ("R2", p.ret, 0);
	CHECK_EQ("R2", v, 41);

	STEP("unbuffered: a waiting WRITE meets a receiver");
	v = 42;
	submit_rw(true, ch, &v, sizeof(v), 0, 2);
	CHECK("R2", !uring_completes_within(&ring, 20));
	peer_start(&p, ch, false, 0);
	CHECK_EQ("R2", uring_wait(&ring, &data), sizeof(v));
	join(p.thread);
	CHECK_EQ("R2", p.ret, 1);
	CHECK_EQ("R2", p.val, 42);
	close(ch);
}

static void closed(void)
{
	uint64_t v = 51, data;
	int ch;

	STEP("closed");
	ch = CHECK_OK("K3", chan_make(sizeof(uint64_t), 1, 0));
	submit_rw(false, ch, &v, sizeof(v), 0, 1);
	CHECK("K4", !uring_completes_within(&ring, 20));
	CHECK_EQ("K4", chan_close(ch), 0);
	CHECK_EQ("K4", uring_wait(&ring, &data), 0);
	CHECK_EQ("K3", rw_now(false, ch, &v, sizeof(v), 0), 0);
	CHECK_EQ("K2", rw_now(true, ch, &v, sizeof(v), 0), -EPIPE);
	close(ch);
}

static void bad_buffer_and_readv(void)
{
	uint64_t v[3] = { 61, 62, 63 }, got[3], r = 0;
	unsigned char a[12], b[12];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	int ch;

	STEP("a READ into a bad buffer");
	ch = CHECK_OK("L2", chan_make(sizeof(uint64_t), 3, 0));
	CHECK_EQ("L2", chan_send(ch, &v[0]), 0);
	CHECK_EQ("L2", rw_now(false, ch, bad_ptr(), sizeof(r), 0), -EFAULT);
	CHECK_EQ("L2", len_of(ch), 1);
	CHECK_EQ("L2", chan_recv(ch, &r), 1);
	CHECK_EQ("R5", r, 61);

	STEP("readv across element boundaries");
	CHECK_EQ("P2", chan_send(ch, &v[0]), 0);
	CHECK_EQ("P2", chan_send(ch, &v[1]), 0);
	CHECK_EQ("P2", chan_send(ch, &v[2]), 0);
	CHECK_EQ("P2", readv(ch, iov, 2), sizeof(v));
	memcpy(got, a, sizeof(a));
	memcpy((char *)got + sizeof(a), b, sizeof(b));
	CHECK("R5", !memcmp(got, v, sizeof(v)));
	close(ch);
}

int main(void)
{
	test_start("P2 P3 B1 R2 R5 K2 K3 L2", "io_uring READ and WRITE on channel fds",
		   sel_watchdog(60));
	uring_init(&ring, 8);
	ready_at_once();
	waiting(0);
	waiting(CHAN_NONBLOCK);
	nowait();
	unbuffered();
	closed();
	bad_buffer_and_readv();
	CHECK_EQ("P2", uring_workers(), 0);
	io_uring_queue_exit(&ring);
	test_pass();
}
