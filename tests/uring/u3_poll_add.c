// SPDX-License-Identifier: GPL-2.0
/*
 * P1, K4, S5 through io_uring: IORING_OP_POLL_ADD on a channel completes
 * when poll(2) would report the event (P1), close wakes it (K4), and on a
 * set it completes once a case is ready, after which a wait takes that
 * case (S5); a multishot poll on a set reports every wake-up until it is
 * removed.
 *
 * 1. POLLIN on an empty channel: nothing until a send.  POLLOUT on a
 *    full channel: nothing until a receive.  POLLOUT on an unbuffered
 *    channel: nothing until a receiver blocks.  POLLIN, then close:
 *    POLLIN and POLLHUP.
 * 2. POLLIN on a set of three receive cases: nothing until the second
 *    channel gets an element; then a wait with a zero timeout returns
 *    that case.
 * 3. A multishot POLLIN on a set: one completion per element that made
 *    a case ready, each with IORING_CQE_F_MORE, until POLL_REMOVE.
 */
#include "uring.h"
#include "../set/set.h"

static struct io_uring ring;

static void poll_add(int fd, unsigned int mask, uint64_t data, bool multi)
{
	struct io_uring_sqe *sqe = uring_sqe(&ring);

	if (multi)
		io_uring_prep_poll_multishot(sqe, fd, mask);
	else
		io_uring_prep_poll_add(sqe, fd, mask);
	sqe->user_data = data;
	uring_submit(&ring, 1);
}

static int poll_result(uint64_t want)
{
	uint64_t data;
	int res = uring_wait(&ring, &data);

	CHECK_EQ("P1", data, want);
	return res;
}

static void channels(void)
{
	uint64_t v = 1;
	struct peer p;
	int ch, res;

	STEP("POLLIN on an empty channel");
	ch = CHECK_OK("P1", chan_make(sizeof(uint64_t), 1, 0));
	poll_add(ch, POLLIN, 1, false);
	CHECK("P1", !uring_completes_within(&ring, 30));
	CHECK_EQ("P1", chan_send(ch, &v), 0);
	res = poll_result(1);
	CHECK("P1", res & POLLIN);

	STEP("POLLOUT on a full channel");
	poll_add(ch, POLLOUT, 2, false);
	CHECK("P1", !uring_completes_within(&ring, 30));
	CHECK_EQ("P1", chan_recv(ch, &v), 1);
	res = poll_result(2);
	CHECK("P1", res & POLLOUT);

	STEP("POLLIN, then close");
	poll_add(ch, POLLIN, 3, false);
	CHECK("K4", !uring_completes_within(&ring, 30));
	CHECK_EQ("K4", chan_close(ch), 0);
	res = poll_result(3);
	CHECK("K4", (res & (POLLIN | POLLHUP)) == (POLLIN | POLLHUP));
	close(ch);

	STEP("POLLOUT on an unbuffered channel");
	ch = CHECK_OK("P1", chan_make(sizeof(uint64_t), 0, 0));
	poll_add(ch, POLLOUT, 4, false);
	CHECK("P1", !uring_completes_within(&ring, 30));
	peer_start(&p, ch, false, 0);
	res = poll_result(4);
	CHECK("P1", res & POLLOUT);
	v = 5;
	CHECK_EQ("P1", chan_try_send(ch, &v), 0);
	join(p.thread);
	CHECK_EQ("R2", p.ret, 1);
	CHECK_EQ("R2", p.val, 5);
	close(ch);
}

static void sets(void)
{
	uint64_t r[3] = { 0 }, v = 6, data;
	unsigned int flags;
	int set, ch[3], id[3], i, res;

	STEP("POLLIN on a set");
	set = CHECK_OK("S5", chan_set_make());
	for (i = 0; i < 3; i++) {
		ch[i] = CHECK_OK("S5", chan_make(sizeof(uint64_t), 2, 0));
		id[i] = set_add(set, ch[i], CHAN_OP_RECV, &r[i]);
	}
	poll_add(set, POLLIN, 10, false);
	CHECK("S5", !uring_completes_within(&ring, 30));
	CHECK_EQ("S5", chan_send(ch[1], &v), 0);
	res = poll_result(10);
	CHECK("S5", res & POLLIN);
	CHECK_EQ("S5", chan_set_wait(set, 0, NULL), id[1]);
	CHECK_EQ("S5", r[1], 6);
	CHECK_EQ("S5", chan_set_wait(set, 0, NULL), -EAGAIN);

	STEP("a multishot POLLIN on a set");
	poll_add(set, POLLIN, 11, true);
	CHECK("S5", !uring_completes_within(&ring, 30));
	for (i = 0; i < 3; i++) {
		v = 20 + i;
		CHECK_EQ("S5", chan_send(ch[2 - i], &v), 0);
		res = uring_wait_flags(&ring, &data, &flags);
		CHECK_EQ("S5", data, 11);
		CHECK("S5", res & POLLIN);
		CHECK("S5", flags & IORING_CQE_F_MORE);
		CHECK_EQ("S5", chan_set_wait(set, 0, NULL), id[2 - i]);
		CHECK_EQ("S5", r[2 - i], 20 + i);
	}
	io_uring_prep_poll_remove(uring_sqe(&ring), 11);
	uring_submit(&ring, 1);
	for (i = 0; i < 2; i++) {
		res = uring_wait_flags(&ring, &data, &flags);
		if (data == 11) {
			CHECK_EQ("S5", res, -ECANCELED);
			CHECK("S5", !(flags & IORING_CQE_F_MORE));
		} else {
			CHECK_EQ("S5", res, 0);
		}
	}
	for (i = 0; i < 3; i++)
		close(ch[i]);
	close(set);
}

int main(void)
{
	test_start("P1 K4 S5", "io_uring POLL_ADD on channels and sets",
		   sel_watchdog(60));
	uring_init(&ring, 8);
	channels();
	sets();
	io_uring_queue_exit(&ring);
	test_pass();
}
