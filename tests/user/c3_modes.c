// SPDX-License-Identifier: GPL-2.0
/*
 * C3: an fd is send-only, receive-only or both.  A new channel's fd is both;
 * chan_dup makes the narrower ones; an operation the fd's mode forbids fails
 * with EBADF and changes nothing.  Also K1: closing needs an fd that may send.
 */
#include "check.h"

static void check_mode(int fd, unsigned int mode)
{
	CHECK_EQ("C3", chan_info_of(fd).mode, mode);
}

int main(void)
{
	uint64_t v = 7, out = 0;
	struct chan_dup d;
	int fd, s, r, s2, bad;

	test_start("C3", "send-only / receive-only fds, EBADF where forbidden", 30);
	fd = CHECK_OK("C3", chan_make(sizeof(v), 4, 0));
	check_mode(fd, CHAN_MODE_BOTH);
	s = CHECK_OK("C3", chan_dup(fd, CHAN_SEND_ONLY));
	r = CHECK_OK("C3", chan_dup(fd, CHAN_RECV_ONLY));
	check_mode(s, CHAN_MODE_SEND);
	check_mode(r, CHAN_MODE_RECV);
	/* Same channel behind all three. */
	CHECK_EQ("C3", chan_info_of(s).id, chan_info_of(fd).id);
	CHECK_EQ("C3", chan_info_of(r).id, chan_info_of(fd).id);

	STEP("forbidden sends on a receive-only fd");
	CHECK_EQ("C3", chan_send(r, &v), -EBADF);
	CHECK_EQ("C3", chan_try_send(r, &v), -EBADF);
	CHECK_EQ("C3", chan_send_timeout(r, &v, 1000000), -EBADF);
	CHECK_ERRNO("C3", write(r, &v, sizeof(v)), EBADF);
	CHECK_EQ("C3", chan_len(fd), 0);

	STEP("allowed send, forbidden receives on a send-only fd");
	CHECK_EQ("C3", chan_send(s, &v), 0);
	CHECK_EQ("C3", chan_len(fd), 1);
	CHECK_EQ("C3", chan_recv(s, &out), -EBADF);
	CHECK_EQ("C3", chan_try_recv(s, &out), -EBADF);
	CHECK_EQ("C3", chan_recv_timeout(s, &out, 1000000), -EBADF);
	CHECK_ERRNO("C3", read(s, &out, sizeof(out)), EBADF);
	/* The element is still there: the refused receives took nothing. */
	CHECK_EQ("C3", chan_len(fd), 1);
	CHECK_EQ("C3", out, 0);
	CHECK_EQ("C3", chan_recv(r, &out), 1);
	CHECK_EQ("C3", out, 7);

	STEP("write(2)/read(2) by mode");
	CHECK_EQ("C3", write(s, &v, sizeof(v)), sizeof(v));
	CHECK_EQ("C3", read(r, &out, sizeof(out)), sizeof(out));

	STEP("dup may narrow, never widen");
	s2 = CHECK_OK("C3", chan_dup(s, CHAN_SEND_ONLY));
	check_mode(s2, CHAN_MODE_SEND);
	close(s2);
	bad = chan_dup(s, CHAN_RECV_ONLY);
	CHECK("C3", bad == -EBADF || bad == -EINVAL);
	bad = chan_dup(r, CHAN_SEND_ONLY);
	CHECK("C3", bad == -EBADF || bad == -EINVAL);
	memset(&d, 0, sizeof(d));
	d.mode = CHAN_MODE_BOTH;
	CHECK_EQ("C3", ioctl(s, CHAN_IOC_DUP, &d), -1);
	CHECK("C3", errno == EBADF || errno == EINVAL);

	/* K1: a receive-only fd may not close the channel. */
	STEP("close by mode");
	CHECK_EQ("K1", chan_close(r), -EBADF);
	CHECK_EQ("K1", chan_info_of(fd).closed, 0);
	CHECK_EQ("K1", chan_close(s), 0);
	CHECK_EQ("K1", chan_info_of(r).closed, 1);

	close(s);
	close(r);
	close(fd);
	test_pass();
}
