// SPDX-License-Identifier: GPL-2.0
/*
 * K1: closing a channel (Go's close, CHAN_IOC_CLOSE) needs an fd that may
 * send; closing a closed channel fails with EPIPE.  The close is of the
 * channel, seen through every fd, and is not close(2).
 */
#include "check.h"

int main(void)
{
	int fd, s, r, other;

	test_start("K1", "close needs a send-capable fd; a second close is EPIPE", 30);
	fd = CHECK_OK("K1", chan_make(sizeof(uint64_t), 2, 0));
	s = CHECK_OK("K1", chan_dup(fd, CHAN_SEND_ONLY));
	r = CHECK_OK("K1", chan_dup(fd, CHAN_RECV_ONLY));
	other = CHECK_OK("K1", chan_make(sizeof(uint64_t), 2, 0));

	STEP("receive-only fd may not close");
	CHECK_EQ("K1", chan_close(r), -EBADF);
	CHECK_ERRNO("K1", ioctl(r, CHAN_IOC_CLOSE), EBADF);
	CHECK_EQ("K1", chan_info_of(fd).closed, 0);

	STEP("send-only fd closes the channel for every fd");
	CHECK_EQ("K1", chan_close(s), 0);
	CHECK_EQ("K1", chan_info_of(fd).closed, 1);
	CHECK_EQ("K1", chan_info_of(r).closed, 1);
	CHECK_EQ("K1", chan_info_of(s).closed, 1);
	/* Another channel is untouched. */
	CHECK_EQ("K1", chan_info_of(other).closed, 0);

	STEP("closing again fails with EPIPE, through any send-capable fd");
	CHECK_EQ("K1", chan_close(fd), -EPIPE);
	CHECK_EQ("K1", chan_close(s), -EPIPE);
	CHECK_ERRNO("K1", ioctl(fd, CHAN_IOC_CLOSE), EPIPE);
	/* A receive-only fd still is refused for its mode, not for the state. */
	CHECK_EQ("K1", chan_close(r), -EBADF);

	/* The fds stay open and usable for what close allows (K3). */
	CHECK_EQ("K1", fcntl(fd, F_GETFD) >= 0, 1);
	CHECK_EQ("K1", chan_recv(r, &(uint64_t){ 0 }), 0);

	STEP("both-mode fd closes");
	CHECK_EQ("K1", chan_close(other), 0);
	CHECK_EQ("K1", chan_close(other), -EPIPE);
	close(fd);
	close(s);
	close(r);
	close(other);
	test_pass();
}
