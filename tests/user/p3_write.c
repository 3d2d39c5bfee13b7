// SPDX-License-Identifier: GPL-2.0
/*
 * P3: write(2) of n bytes (a non-zero multiple of the element size) sends
 * the elements in order, blocking until all are sent; with O_NONBLOCK it
 * sends what it can and returns that many bytes, or EAGAIN if none.  EPIPE
 * if the channel is closed before the first element, a short count if it
 * closes midway.  Element size 0 rejects write(2) with EINVAL.
 */
#include "check.h"

#define BIG	10

static int ch;
static uint64_t batch[BIG];
static ssize_t written;

static void *writer(void *arg)
{
	(void)arg;
	written = write(ch, batch, sizeof(batch));
	return NULL;
}

static void *receiver(void *arg)
{
	uint64_t v, n = (uintptr_t)arg, i;

	for (i = 0; i < n; i++) {
		CHECK_EQ("P3", chan_recv(ch, &v), 1);
		CHECK_EQ("P3", v, batch[i]);
	}
	return NULL;
}

int main(void)
{
	uint64_t v, out;
	pthread_t t;
	int z, i, got;

	test_start("P3", "write(2): batches of whole elements", 60);
	for (i = 0; i < BIG; i++)
		batch[i] = 1000 + i;
	ch = CHECK_OK("P3", chan_make(sizeof(uint64_t), 4, 0));

	STEP("bad sizes and buffers: EINVAL / EFAULT, nothing sent");
	CHECK_ERRNO("P3", write(ch, batch, 0), EINVAL);
	CHECK_ERRNO("P3", write(ch, batch, 12), EINVAL);
	CHECK_ERRNO("P3", write(ch, bad_ptr(), 16), EFAULT);
	CHECK_EQ("P3", chan_len(ch), 0);

	STEP("a batch that fits goes in, in order");
	CHECK_EQ("P3", write(ch, batch, 3 * sizeof(uint64_t)), 3 * sizeof(uint64_t));
	CHECK_EQ("P3", chan_len(ch), 3);
	for (i = 0; i < 3; i++) {
		CHECK_EQ("P3", chan_recv(ch, &out), 1);
		CHECK_EQ("P3", out, batch[i]);
	}

	STEP("a batch larger than the buffer blocks until all are sent");
	t = spawn(writer, NULL);
	wait_waiters(ch, 1, 0);
	for (i = 0; i < BIG; i++) {
		CHECK_EQ("P3", chan_recv(ch, &out), 1);
		CHECK_EQ("P3", out, batch[i]);
	}
	join(t);
	CHECK_EQ("P3", written, sizeof(batch));

	STEP("O_NONBLOCK: what fits, then EAGAIN");
	v = 1;
	CHECK_EQ("P3", chan_send(ch, &v), 0);
	CHECK_SYS("P3", fcntl(ch, F_SETFL, O_NONBLOCK));
	CHECK_EQ("P3", write(ch, batch, 6 * sizeof(uint64_t)), 3 * sizeof(uint64_t));
	CHECK_ERRNO("P3", write(ch, batch, sizeof(batch)), EAGAIN);
	CHECK_EQ("P3", chan_len(ch), 4);
	CHECK_SYS("P3", fcntl(ch, F_SETFL, 0));
	CHECK_EQ("P3", chan_recv(ch, &out), 1);
	CHECK_EQ("P3", out, 1);
	for (i = 0; i < 3; i++) {
		CHECK_EQ("P3", chan_recv(ch, &out), 1);
		CHECK_EQ("P3", out, batch[i]);
	}

	STEP("close midway: a short count covering exactly what was sent");
	t = spawn(writer, NULL);
	wait_waiters(ch, 1, 0);
	CHECK_EQ("P3", chan_recv(ch, &out), 1);
	CHECK_EQ("P3", out, batch[0]);
	got = 1;
	wait_waiters(ch, 1, 0);
	CHECK_EQ("P3", chan_close(ch), 0);
	join(t);
	while (chan_recv(ch, &out) == 1) {
		CHECK_EQ("P3", out, batch[got]);
		got++;
	}
	CHECK_EQ("P3", written, got * (ssize_t)sizeof(uint64_t));
	CHECK("P3", got < BIG);

	STEP("closed before the first element: EPIPE");
	CHECK_ERRNO("P3", write(ch, batch, sizeof(batch)), EPIPE);
	close(ch);

	STEP("unbuffered: every element meets a receiver");
	ch = CHECK_OK("P3", chan_make(sizeof(uint64_t), 0, 0));
	t = spawn(receiver, (void *)(uintptr_t)5);
	CHECK_EQ("P3", write(ch, batch, 5 * sizeof(uint64_t)), 5 * sizeof(uint64_t));
	join(t);
	CHECK_EQ("P3", chan_info_of(ch).send_waiters, 0);
	close(ch);

	STEP("element size 0: EINVAL");
	z = CHECK_OK("P3", chan_make(0, 4, 0));
	CHECK_ERRNO("P3", write(z, batch, 8), EINVAL);
	CHECK_ERRNO("P3", write(z, batch, 0), EINVAL);
	CHECK_EQ("P3", chan_len(z), 0);
	close(z);
	test_pass();
}
