// SPDX-License-Identifier: GPL-2.0
/*
 * X1: a select takes 1 to at least 1024 cases (the uapi allows
 * CHAN_SELECT_MAX), each a send or a receive on a channel fd.  Negative fds
 * are nil cases and are ignored, whatever their element pointer.  A case
 * whose fd is not a channel, or whose fd's mode forbids it (C3), fails the
 * whole call with EBADF before anything moves: the other channels keep
 * their elements and their blocked peers stay blocked.
 */
#include "sel.h"

#include <limits.h>
#include <sys/socket.h>

#define NCH	1024

static int chs[NCH];
static struct chan_case cases[CHAN_SELECT_MAX + 1];
static uint64_t vals[CHAN_SELECT_MAX + 1];

static void sizes(void)
{
	uint64_t v = 7, out = 0;
	int ch, i, k;
	const int ready[] = { 0, 1, 511, NCH - 1 };

	STEP("one case");
	ch = CHECK_OK("X1", chan_make(sizeof(v), 1, 0));
	CHECK_EQ("X1", chan_send(ch, &v), 0);
	cases[0] = recv_case(ch, &out);
	CHECK_EQ("X1", chan_select(cases, 1, 0), 0);
	CHECK("X1", cases[0].ok);
	CHECK_EQ("X1", out, 7);
	cases[0] = send_case(ch, &v);
	CHECK_EQ("X1", chan_select(cases, 1, -1), 0);
	CHECK_EQ("X1", len_of(ch), 1);
	close(ch);

	STEP("1024 cases on 1024 channels, one of them ready");
	for (i = 0; i < NCH; i++)
		chs[i] = CHECK_OK("X1", chan_make(sizeof(uint64_t), 1, 0));
	for (k = 0; k < (int)ARRAY_SIZE(ready); k++) {
		v = 1000 + ready[k];
		CHECK_EQ("X1", chan_send(chs[ready[k]], &v), 0);
		for (i = 0; i < NCH; i++) {
			vals[i] = 0;
			cases[i] = recv_case(chs[i], &vals[i]);
		}
		CHECK_EQ("X1", chan_select(cases, NCH, 0), ready[k]);
		CHECK("X1", cases[ready[k]].ok);
		CHECK_EQ("X1", vals[ready[k]], 1000 + ready[k]);
		/* Blocking too: the scan and the queueing cover all 1024. */
		CHECK_EQ("X1", chan_send(chs[ready[k]], &v), 0);
		CHECK_EQ("X1", chan_select(cases, NCH, -1), ready[k]);
	}

	STEP("1024 send cases, all full but one");
	for (i = 0; i < NCH; i++) {
		vals[i] = i;
		cases[i] = send_case(chs[i], &vals[i]);
		if (i != 700)
			CHECK_EQ("X1", chan_send(chs[i], &vals[i]), 0);
	}
	CHECK_EQ("X1", chan_select(cases, NCH, 0), 700);
	CHECK_EQ("X1", chan_recv(chs[700], &out), 1);
	CHECK_EQ("X1", out, 700);
	for (i = 0; i < NCH; i++)
		close(chs[i]);

	STEP("CHAN_SELECT_MAX cases, most of them nil");
	ch = CHECK_OK("X1", chan_make(sizeof(v), 1, 0));
	v = 42;
	CHECK_EQ("X1", chan_send(ch, &v), 0);
	for (i = 0; i < CHAN_SELECT_MAX; i++)
		cases[i] = recv_case(-1, bad_ptr());
	cases[CHAN_SELECT_MAX - 1] = recv_case(ch, &out);
	CHECK_EQ("X1", chan_select(cases, CHAN_SELECT_MAX, 0),
		 CHAN_SELECT_MAX - 1);
	CHECK_EQ("X1", out, 42);

	STEP("CHAN_SELECT_MAX + 1 cases: EINVAL; 0 cases: none ready (X8)");
	CHECK_EQ("X1", chan_send(ch, &v), 0);
	cases[CHAN_SELECT_MAX] = recv_case(ch, &out);
	CHECK_EQ("X8", chan_select(cases, 0, 0), -EAGAIN);
	CHECK_EQ("X1", chan_select(cases, CHAN_SELECT_MAX + 1, 0), -EINVAL);
	CHECK_EQ("X1", len_of(ch), 1);
	close(ch);
}

static void nil_cases(void)
{
	const int nil[] = { -1, -2, INT_MIN, -4096 };
	struct chan_case c[6];
	uint64_t v = 5, out = 0;
	int ch, i;

	STEP("negative fds are ignored, even with bad element pointers");
	ch = CHECK_OK("X1", chan_make(sizeof(v), 1, 0));
	for (i = 0; i < 4; i++)
		c[i] = (i % 2 ? send_case : recv_case)(nil[i], bad_ptr());
	c[4] = recv_case(ch, &out);
	c[5] = recv_case(-1, NULL);
	CHECK_EQ("X1", chan_select(c, 6, 0), -EAGAIN);
	CHECK_EQ("X1", chan_send(ch, &v), 0);
	for (i = 0; i < 50; i++) {
		CHECK_EQ("X1", chan_select(c, 6, 0), 4);
		CHECK("X1", c[4].ok);
		CHECK_EQ("X1", out, 5);
		CHECK_EQ("X1", chan_send(ch, &v), 0);
	}

	STEP("only nil cases: never ready, the call only waits");
	CHECK_EQ("X1", chan_select(c, 4, 0), -EAGAIN);
	CHECK_EQ("X1", chan_select(c, 4, 20 * 1000000), -ETIMEDOUT);
	CHECK_EQ("X1", len_of(ch), 1);
	close(ch);
}

/*
 * Each bad case once first (the library's ioctl then goes to a foreign fd)
 * and once last, among cases that are all ready: EBADF, and nothing moved.
 */
static void check_ebadf(int bad_fd, int bad_op, const char *what)
{
	int buf = CHECK_OK("X1", chan_make(sizeof(uint64_t), 2, 0));
	int unb = CHECK_OK("X1", chan_make(sizeof(uint64_t), 0, 0));
	int unb2 = CHECK_OK("X1", chan_make(sizeof(uint64_t), 0, 0));
	uint64_t v = 77, a = 0, b = 0, c = 0, d = 0;
	struct chan_case cs[4];
	struct peer snd, rcv;
	int first;

	STEP(what);
	CHECK_EQ("X1", chan_send(buf, &v), 0);
	peer_start(&snd, unb, true, 88);
	peer_start(&rcv, unb2, false, 0);
	wait_waiters(unb, 1, 0);
	wait_waiters(unb2, 0, 1);
	for (first = 0; first < 2; first++) {
		struct chan_case bad = { .ch = bad_fd, .op = bad_op, .elem = &d };

		cs[0] = recv_case(buf, &a);
		cs[1] = recv_case(unb, &b);
		cs[2] = send_case(unb2, &c);
		cs[3] = bad;
		if (first) {
			cs[3] = cs[0];
			cs[0] = bad;
		}
		CHECK_EQ("X1", chan_select(cs, 4, 0), -EBADF);
		CHECK_EQ("X1", chan_select(cs, 4, -1), -EBADF);
		CHECK_STATE("X1", buf, 1, 0, 0);
		CHECK_STATE("X1", unb, 0, 1, 0);
		CHECK_STATE("X1", unb2, 0, 0, 1);
		CHECK_EQ("X1", snd.ret, 1000);
		CHECK_EQ("X1", rcv.ret, 1000);
	}
	CHECK_EQ("X1", a + b + c, 0);
	/* The peers were still blocked: they end with close (K4). */
	CHECK_EQ("X1", chan_close(unb), 0);
	CHECK_EQ("X1", chan_close(unb2), 0);
	join(snd.thread);
	join(rcv.thread);
	CHECK_EQ("X1", snd.ret, -EPIPE);
	CHECK_EQ("X1", rcv.ret, 0);
	close(buf);
	close(unb);
	close(unb2);
}

/*
 * The slave of a pty whose master is gone is hung up: its ioctls fail with
 * EIO, which a library that asked the first case's fd passed on.
 */
static int hung_up_pty(void)
{
	int master, slave;

	master = CHECK_SYS("X1", posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
	CHECK_SYS("X1", grantpt(master));
	CHECK_SYS("X1", unlockpt(master));
	slave = CHECK_SYS("X1", open(ptsname(master),
				     O_RDWR | O_NOCTTY | O_CLOEXEC));
	close(master);
	CHECK_EQ("X1", ioctl(slave, TIOCOUTQ, &(int){ 0 }) < 0 ? errno : 0,
		 EIO);
	return slave;
}

static void bad_cases(void)
{
	int p[2], sv[2], ch, ro, wo, dev, file, closed_fd, pty;

	CHECK_SYS("X1", pipe2(p, O_CLOEXEC));
	CHECK_SYS("X1", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	dev = chan_dev_open();
	file = CHECK_SYS("X1", open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
	/* High, so that the channels made meanwhile do not reuse it. */
	closed_fd = CHECK_SYS("X1", fcntl(file, F_DUPFD_CLOEXEC, NCH));
	close(closed_fd);
	ch = CHECK_OK("X1", chan_make(sizeof(uint64_t), 1, 0));
	ro = CHECK_OK("X1", chan_dup(ch, CHAN_RECV_ONLY));
	wo = CHECK_OK("X1", chan_dup(ch, CHAN_SEND_ONLY));

	check_ebadf(p[0], CHAN_OP_RECV, "a pipe's read end: EBADF");
	check_ebadf(p[1], CHAN_OP_SEND, "a pipe's write end: EBADF");
	check_ebadf(sv[0], CHAN_OP_RECV, "a socket: EBADF");
	check_ebadf(dev, CHAN_OP_RECV, "/dev/chan itself is no channel: EBADF");
	check_ebadf(file, CHAN_OP_RECV, "a proc file: EBADF");
	pty = hung_up_pty();
	check_ebadf(pty, CHAN_OP_RECV, "a hung-up pty: EBADF, not its EIO");
	close(pty);
	check_ebadf(closed_fd, CHAN_OP_RECV, "a closed fd number: EBADF");
	check_ebadf(ro, CHAN_OP_SEND, "send case on a receive-only fd (C3): EBADF");
	check_ebadf(wo, CHAN_OP_RECV, "receive case on a send-only fd (C3): EBADF");
	CHECK_STATE("X1", ch, 0, 0, 0);

	STEP("the allowed direction of a one-way fd works");
	{
		uint64_t v = 3, out = 0;
		struct chan_case c = send_case(wo, &v);

		CHECK_EQ("X1", chan_select(&c, 1, 0), 0);
		c = recv_case(ro, &out);
		CHECK_EQ("X1", chan_select(&c, 1, 0), 0);
		CHECK_EQ("X1", out, 3);
	}
	close(ro);
	close(wo);
	close(ch);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	close(dev);
	close(file);
}

int main(void)
{
	test_start("X1", "1 to 1024+ cases, nil cases, EBADF before anything moves",
		   sel_watchdog(240));
	raise_nofile(NCH + 64);
	sizes();
	nil_cases();
	bad_cases();
	test_pass();
}
