// SPDX-License-Identifier: GPL-2.0
/*
 * K3: after close, receives return the buffered elements in order, then
 * report "closed" (libchan 0, read(2) 0) at once and forever, whatever the
 * kind of receive (blocking, try, timed, read(2)).
 */
#include "check.h"

#define CAP	5

int main(void)
{
	uint64_t v, out, batch[2];
	int64_t start;
	ssize_t n;
	int fd, r, i;

	test_start("K3", "receives after close drain in order, then report closed", 30);
	fd = CHECK_OK("K3", chan_make(sizeof(uint64_t), CAP, 0));
	r = CHECK_OK("K3", chan_dup(fd, CHAN_RECV_ONLY));
	for (v = 0; v < CAP; v++)
		CHECK_EQ("K3", chan_send(fd, &v), 0);
	CHECK_EQ("K3", chan_close(fd), 0);

	STEP("drain the buffer in order");
	CHECK_EQ("K3", chan_len(fd), CAP);
	CHECK_EQ("K3", chan_recv(fd, &out), 1);
	CHECK_EQ("K3", out, 0);
	CHECK_EQ("K3", chan_try_recv(r, &out), 1);
	CHECK_EQ("K3", out, 1);
	CHECK_EQ("K3", chan_recv_timeout(fd, &out, 1000000), 1);
	CHECK_EQ("K3", out, 2);
	n = read(r, batch, sizeof(batch));
	/* read(2) takes one or two elements (P2): take whatever it left. */
	CHECK("K3", n == 8 || n == 16);
	CHECK_EQ("K3", batch[0], 3);
	if (n == 8) {
		CHECK_EQ("K3", chan_recv(fd, &out), 1);
		CHECK_EQ("K3", out, 4);
	} else {
		CHECK_EQ("K3", batch[1], 4);
	}
	CHECK_EQ("K3", chan_len(fd), 0);

	STEP("closed and drained: 0 at once, forever");
	start = now_ns();
	for (i = 0; i < 100; i++) {
		out = 12345;
		CHECK_EQ("K3", chan_recv(fd, &out), 0);
		CHECK_EQ("K3", chan_recv(r, &out), 0);
		CHECK_EQ("K3", chan_try_recv(fd, &out), 0);
		CHECK_EQ("K3", chan_recv_timeout(r, &out, 0), 0);
		CHECK_EQ("K3", chan_recv_timeout(r, &out, 5000000000LL), 0);
		CHECK_EQ("K3", read(fd, batch, sizeof(batch)), 0);
		/* "Closed" stores nothing. */
		CHECK_EQ("K3", out, 12345);
	}
	/* 600 receives that must not block: far below one 5 s timeout. */
	CHECK("K3", now_ns() - start < 5000000000LL);
	close(r);
	close(fd);

	STEP("unbuffered: closed at once");
	fd = CHECK_OK("K3", chan_make(sizeof(uint64_t), 0, 0));
	CHECK_EQ("K3", chan_close(fd), 0);
	CHECK_EQ("K3", chan_recv(fd, &out), 0);
	CHECK_EQ("K3", chan_try_recv(fd, &out), 0);
	close(fd);
	test_pass();
}
