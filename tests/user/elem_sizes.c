// SPDX-License-Identifier: GPL-2.0
/*
 * Element sizes (C1, R1, R2, P2, P3): 0, 1, 8, 4096 and 65536-byte elements
 * through buffered and unbuffered channels, by ioctl and by read/write.
 * Every byte arrives as sent, in order, and a receive writes exactly
 * elem_size bytes: a guard zone after the destination stays untouched.
 */
#include "check.h"

#define COUNT	6
#define GUARD	64

static const size_t sizes[] = { 0, 1, 8, 4096, 65536 };

static int ch;
static size_t esize;

/* Element @n of a stream: every byte depends on n and its position. */
static void pattern(unsigned char *p, size_t size, unsigned int n)
{
	size_t i;

	for (i = 0; i < size; i++)
		p[i] = (unsigned char)(n * 31 + i * 7 + (i >> 8));
}

static void *producer(void *arg)
{
	unsigned char *buf = malloc(esize + 1);
	unsigned int n;

	(void)arg;
	CHECK("C1", buf);
	for (n = 0; n < COUNT; n++) {
		pattern(buf, esize, n);
		CHECK_EQ("C1", chan_send(ch, esize ? buf : NULL), 0);
	}
	free(buf);
	return NULL;
}

static void check_received(const unsigned char *got, unsigned char *want,
			   unsigned int n)
{
	size_t i;

	pattern(want, esize, n);
	if (memcmp(got, want, esize) != 0)
		check_fail(__FILE__, __LINE__, "C1",
			   "element %u of %zu bytes corrupted", n, esize);
	for (i = 0; i < GUARD; i++)
		if (got[esize + i] != 0xee)
			check_fail(__FILE__, __LINE__, "C1",
				   "receive of %zu bytes wrote past the element", esize);
}

static void through(size_t cap, unsigned char *got, unsigned char *want)
{
	unsigned int n;
	pthread_t t;

	STEP("ioctl send/recv");
	ch = CHECK_OK("C1", chan_make(esize, cap, 0));
	t = spawn(producer, NULL);
	for (n = 0; n < COUNT; n++) {
		memset(got, 0xee, esize + GUARD);
		CHECK_EQ(cap ? "R1" : "R2", chan_recv(ch, got), 1);
		if (esize)
			check_received(got, want, n);
		else
			CHECK_EQ("C1", got[0], 0xee);
	}
	join(t);
	CHECK_EQ("C1", chan_try_recv(ch, got), -EAGAIN);

	if (esize && cap >= 2) {
		size_t have = 0;
		ssize_t r;

		STEP("write(2)/read(2) of two elements");
		pattern(want, esize, 0);
		pattern(want + esize, esize, 1);
		CHECK_EQ("P3", write(ch, want, 2 * esize), (ssize_t)(2 * esize));
		memset(got, 0xee, 2 * esize + GUARD);
		/* read(2) may return one element at a time (P2). */
		while (have < 2 * esize) {
			r = read(ch, got + have, 2 * esize - have);
			CHECK("P2", r > 0 && r % esize == 0);
			have += r;
		}
		CHECK("P2", memcmp(got, want, 2 * esize) == 0);
		CHECK_EQ("P2", got[2 * esize], 0xee);
		CHECK_EQ("P2", got[2 * esize + GUARD - 1], 0xee);
	}
	close(ch);
}

int main(void)
{
	struct chan_query q;
	unsigned char *got, *want;
	size_t s, cap;

	test_start("C1 R1 R2 P2 P3", "element sizes 0, 1, 8, 4096, 65536", 60);
	q = chan_query_limits();
	got = malloc(2 * 65536 + GUARD);
	want = malloc(2 * 65536 + GUARD);
	CHECK("C1", got && want);
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		esize = sizes[s];
		through(0, got, want);
		cap = 4;
		while (cap && esize * cap > q.max_buffer_bytes)
			cap--;
		if (cap)
			through(cap, got, want);
	}
	free(got);
	free(want);
	test_pass();
}
