// SPDX-License-Identifier: GPL-2.0
/*
 * B1: a non-blocking operation (a try_ call, an O_NONBLOCK fd made with
 * CHAN_NONBLOCK or set by fcntl, a zero timeout) fails with EAGAIN where it
 * would block, and changes nothing.
 */
#include "check.h"

#define CAP	3

/* The buffer holds exactly 0..CAP-1 in order; drained and refilled. */
static void check_contents(int fd)
{
	uint64_t v, out;

	CHECK_EQ("B1", chan_len(fd), CAP);
	for (v = 0; v < CAP; v++) {
		CHECK_EQ("B1", chan_try_recv(fd, &out), 1);
		CHECK_EQ("B1", out, v);
	}
	for (v = 0; v < CAP; v++)
		CHECK_EQ("B1", chan_try_send(fd, &v), 0);
}

static void check_would_block_send(int fd)
{
	uint64_t v = 100, batch[2] = { 101, 102 };
	int64_t start = now_ns();

	CHECK_EQ("B1", chan_try_send(fd, &v), -EAGAIN);
	CHECK_EQ("B1", chan_send_timeout(fd, &v, 0), -EAGAIN);
	if (fcntl(fd, F_GETFL) & O_NONBLOCK) {
		CHECK_EQ("B1", chan_send(fd, &v), -EAGAIN);
		CHECK_ERRNO("B1", write(fd, batch, sizeof(batch)), EAGAIN);
		/* A deadline does not make an O_NONBLOCK fd wait either. */
		CHECK_EQ("B1", chan_send_timeout(fd, &v, 2000000000LL), -EAGAIN);
	}
	/* None of that waited (the VM is slow, but not 2 s per call slow). */
	CHECK("B1", now_ns() - start < 2000000000LL);
}

static void check_would_block_recv(int fd)
{
	uint64_t out = 55, batch[2];

	CHECK_EQ("B1", chan_try_recv(fd, &out), -EAGAIN);
	CHECK_EQ("B1", chan_recv_timeout(fd, &out, 0), -EAGAIN);
	if (fcntl(fd, F_GETFL) & O_NONBLOCK) {
		CHECK_EQ("B1", chan_recv(fd, &out), -EAGAIN);
		CHECK_ERRNO("B1", read(fd, batch, sizeof(batch)), EAGAIN);
		CHECK_EQ("B1", chan_recv_timeout(fd, &out, 2000000000LL), -EAGAIN);
	}
	/* A failed receive stores nothing. */
	CHECK_EQ("B1", out, 55);
}

static void run(int fd)
{
	uint64_t v;
	int un;

	STEP("full buffered channel: sends would block");
	for (v = 0; v < CAP; v++)
		CHECK_EQ("B1", chan_try_send(fd, &v), 0);
	check_would_block_send(fd);
	check_contents(fd);

	STEP("empty buffered channel: receives would block");
	for (v = 0; v < CAP; v++)
		CHECK_EQ("B1", chan_try_recv(fd, &v), 1);
	check_would_block_recv(fd);
	CHECK_EQ("B1", chan_len(fd), 0);

	STEP("unbuffered channel without partner: both would block");
	un = CHECK_OK("B1", chan_make(sizeof(uint64_t), 0,
				      (fcntl(fd, F_GETFL) & O_NONBLOCK) ?
				      CHAN_NONBLOCK : 0));
	check_would_block_send(un);
	check_would_block_recv(un);
	CHECK_EQ("B1", chan_info_of(un).send_waiters, 0);
	CHECK_EQ("B1", chan_info_of(un).recv_waiters, 0);
	close(un);
}

int main(void)
{
	int fd;

	test_start("B1", "try_, O_NONBLOCK and zero timeout: EAGAIN, nothing changes", 30);

	STEP("blocking fd, try_ calls and zero timeouts");
	fd = CHECK_OK("B1", chan_make(sizeof(uint64_t), CAP, 0));
	CHECK_EQ("B1", fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	run(fd);
	close(fd);

	STEP("CHAN_NONBLOCK fd");
	fd = CHECK_OK("B1", chan_make(sizeof(uint64_t), CAP, CHAN_NONBLOCK));
	CHECK("B1", fcntl(fd, F_GETFL) & O_NONBLOCK);
	run(fd);

	STEP("O_NONBLOCK cleared by fcntl: blocking again (a timed send waits)");
	CHECK_SYS("B1", fcntl(fd, F_SETFL, 0));
	{
		uint64_t v = 1;
		int i;

		for (i = 0; i < CAP; i++)
			CHECK_EQ("B1", chan_send(fd, &v), 0);
		CHECK_EQ("B1", chan_send_timeout(fd, &v, 10000000), -ETIMEDOUT);
	}
	close(fd);

	STEP("O_NONBLOCK set by fcntl");
	fd = CHECK_OK("B1", chan_make(sizeof(uint64_t), CAP, 0));
	CHECK_SYS("B1", fcntl(fd, F_SETFL, O_NONBLOCK));
	run(fd);
	close(fd);
	test_pass();
}
