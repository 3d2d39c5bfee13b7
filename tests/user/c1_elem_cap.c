// SPDX-License-Identifier: GPL-2.0
/*
 * C1: a channel has an element size (0 to 65536 bytes) and a capacity
 * (0 = unbuffered), both fixed at creation.  Checks that every size and
 * capacity comes back as made, that the capacity is what bounds the buffer,
 * and that neither changes as the channel is used.
 */
#include "check.h"

static const size_t sizes[] = { 0, 1, 8, 4096, 65536 };
static const size_t caps[] = { 0, 1, 3 };

static unsigned char elem[65536], out[65536];

static void check_channel(size_t size, size_t cap)
{
	struct chan_info info;
	int fd, i;

	fd = CHECK_OK("C1", chan_make(size, cap, 0));
	CHECK_EQ("C1", chan_cap(fd), cap);
	CHECK_EQ("C1", chan_len(fd), 0);
	info = chan_info_of(fd);
	CHECK_EQ("C1", info.elem_size, size);
	CHECK_EQ("C1", info.cap, cap);
	CHECK_EQ("C1", info.len, 0);
	CHECK_EQ("C1", info.closed, 0);

	/* The capacity bounds the buffer: cap sends fit, the next would block. */
	for (i = 0; i < (int)cap; i++) {
		memset(elem, i + 1, size);
		CHECK_EQ("C1", chan_try_send(fd, size ? elem : NULL), 0);
		CHECK_EQ("C1", chan_len(fd), i + 1);
	}
	CHECK_EQ("C1", chan_try_send(fd, size ? elem : NULL), -EAGAIN);

	/* Use does not change what the channel is. */
	info = chan_info_of(fd);
	CHECK_EQ("C1", info.elem_size, size);
	CHECK_EQ("C1", info.cap, cap);
	CHECK_EQ("C1", chan_cap(fd), cap);

	for (i = 0; i < (int)cap; i++) {
		memset(out, 0, size);
		CHECK_EQ("C1", chan_try_recv(fd, size ? out : NULL), 1);
		memset(elem, i + 1, size);
		CHECK("C1", memcmp(out, elem, size) == 0);
	}
	CHECK_EQ("C1", chan_try_recv(fd, size ? out : NULL), -EAGAIN);
	CHECK_EQ("C1", chan_cap(fd), cap);
	close(fd);
}

int main(void)
{
	struct chan_query q;
	size_t s, c;

	test_start("C1", "element size 0..65536 and capacity fixed at creation", 60);
	q = chan_query_limits();
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (c = 0; c < ARRAY_SIZE(caps); c++) {
			/* A buffer the module is configured to refuse is L1's business. */
			if (sizes[s] * caps[c] > q.max_buffer_bytes ||
			    caps[c] > q.max_cap)
				continue;
			STEP("make, fill, drain");
			check_channel(sizes[s], caps[c]);
		}
	}

	/* The bounds of C1 themselves. */
	STEP("size bounds");
	CHECK_EQ("C1", chan_make(65537, 0, 0), -EINVAL);
	c = CHECK_OK("C1", chan_make(65536, 0, 0));
	close((int)c);
	test_pass();
}
