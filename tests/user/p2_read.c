// SPDX-License-Identifier: GPL-2.0
/*
 * P2: read(2) of n bytes, n a non-zero multiple of the element size (else
 * EINVAL), receives between 1 and n/elem_size elements, blocking until at
 * least one is there (O_NONBLOCK: EAGAIN), and returns the bytes read; 0 once
 * closed and drained.  Element size 0 rejects read(2) with EINVAL.
 */
#include "check.h"

#define CAP	8

static int ch;

static void *reader(void *arg)
{
	uint64_t buf[4] = { 0 };

	(void)arg;
	/* Blocks on an empty channel, then returns what is there: one element. */
	CHECK_EQ("P2", read(ch, buf, sizeof(buf)), sizeof(uint64_t));
	CHECK_EQ("P2", buf[0], 500);
	return NULL;
}

static void *sender(void *arg)
{
	uint64_t v = (uintptr_t)arg;

	CHECK_EQ("P2", chan_send(ch, &v), 0);
	return NULL;
}

int main(void)
{
	uint64_t v, buf[CAP * 2], next = 0;
	pthread_t t[3];
	ssize_t n;
	int z, i;

	test_start("P2", "read(2): batches of whole elements", 60);
	ch = CHECK_OK("P2", chan_make(sizeof(uint64_t), CAP, 0));
	for (v = 0; v < 5; v++)
		CHECK_EQ("P2", chan_send(ch, &v), 0);

	STEP("bad sizes: EINVAL, nothing taken");
	CHECK_ERRNO("P2", read(ch, buf, 0), EINVAL);
	CHECK_ERRNO("P2", read(ch, buf, 7), EINVAL);
	CHECK_ERRNO("P2", read(ch, buf, 12), EINVAL);
	CHECK_EQ("P2", chan_len(ch), 5);

	STEP("a batch: 1 to n/elem_size elements, in order");
	n = read(ch, buf, 3 * sizeof(uint64_t));
	CHECK("P2", n > 0 && n <= 3 * (ssize_t)sizeof(uint64_t));
	CHECK_EQ("P2", n % sizeof(uint64_t), 0);
	for (i = 0; i < n / 8; i++)
		CHECK_EQ("P2", buf[i], next++);
	while (next < 5) {
		n = read(ch, buf, sizeof(buf));
		CHECK("P2", n > 0 && n % 8 == 0);
		for (i = 0; i < n / 8; i++)
			CHECK_EQ("P2", buf[i], next++);
	}
	CHECK_EQ("P2", chan_len(ch), 0);

	STEP("bad buffer: EFAULT, the element stays");
	v = 7;
	CHECK_EQ("P2", chan_send(ch, &v), 0);
	CHECK_ERRNO("P2", read(ch, bad_ptr(), sizeof(uint64_t)), EFAULT);
	CHECK_EQ("P2", chan_len(ch), 1);
	CHECK_EQ("P2", read(ch, buf, sizeof(buf)), sizeof(uint64_t));
	CHECK_EQ("P2", buf[0], 7);

	STEP("empty: O_NONBLOCK gives EAGAIN, blocking read waits for one");
	CHECK_SYS("P2", fcntl(ch, F_SETFL, O_NONBLOCK));
	CHECK_ERRNO("P2", read(ch, buf, sizeof(buf)), EAGAIN);
	CHECK_SYS("P2", fcntl(ch, F_SETFL, 0));
	t[0] = spawn(reader, NULL);
	wait_waiters(ch, 0, 1);
	v = 500;
	CHECK_EQ("P2", chan_send(ch, &v), 0);
	join(t[0]);
	close(ch);

	STEP("unbuffered: read takes from waiting senders");
	ch = CHECK_OK("P2", chan_make(sizeof(uint64_t), 0, 0));
	for (i = 0; i < 3; i++) {
		t[i] = spawn(sender, (void *)(uintptr_t)(600 + i));
		wait_waiters(ch, i + 1, 0);
	}
	next = 600;
	while (next < 603) {
		n = read(ch, buf, sizeof(buf));
		CHECK("P2", n > 0 && n % 8 == 0 && n <= 3 * 8);
		for (i = 0; i < n / 8; i++)
			CHECK_EQ("P2", buf[i], next++);
	}
	for (i = 0; i < 3; i++)
		join(t[i]);

	STEP("closed and drained: 0");
	CHECK_EQ("P2", chan_close(ch), 0);
	CHECK_EQ("P2", read(ch, buf, sizeof(buf)), 0);
	CHECK_EQ("P2", read(ch, buf, sizeof(buf)), 0);
	close(ch);

	STEP("element size 0: EINVAL");
	z = CHECK_OK("P2", chan_make(0, 4, 0));
	CHECK_EQ("P2", chan_send(z, NULL), 0);
	CHECK_ERRNO("P2", read(z, buf, 8), EINVAL);
	CHECK_ERRNO("P2", read(z, buf, 0), EINVAL);
	CHECK_EQ("P2", chan_len(z), 1);
	close(z);
	test_pass();
}
