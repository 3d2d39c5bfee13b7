// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for chan_ring.c: suite chan_ring
 */
#include <kunit/test.h>

#include "chan_ring.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static void chan_ring_test_fifo(struct kunit *test)
{
	struct chan_ring ring;
	u64 v;

	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, sizeof(v), 3), 0);
	for (v = 1; v <= 3; v++)
		chan_ring_push_tail(&ring, &v);
	KUNIT_EXPECT_TRUE(test, chan_ring_full(&ring));
	KUNIT_EXPECT_EQ(test, chan_ring_room(&ring), 0U);

	chan_ring_pop_head(&ring, &v);
	KUNIT_EXPECT_EQ(test, v, 1ULL);
	chan_ring_pop_head(&ring, &v);
	KUNIT_EXPECT_EQ(test, v, 2ULL);
	KUNIT_EXPECT_EQ(test, ring.len, 1U);
	chan_ring_destroy(&ring);
}

/* Positions wrap past the end of the slots without reordering (R1). */
static void chan_ring_test_wraparound(struct kunit *test)
{
	struct chan_ring ring;
	u32 i, v, next_in = 0, next_out = 0;

	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, sizeof(v), 4), 0);
	for (i = 0; i < 100; i++) {
		while (!chan_ring_full(&ring)) {
			v = next_in++;
			chan_ring_push_tail(&ring, &v);
		}
		chan_ring_pop_head(&ring, &v);
		KUNIT_EXPECT_EQ(test, v, next_out++);
		chan_ring_pop_head(&ring, &v);
		KUNIT_EXPECT_EQ(test, v, next_out++);
	}
	chan_ring_destroy(&ring);
}

/* An element put back at the head comes out first (R5). */
static void chan_ring_test_push_head(struct kunit *test)
{
	struct chan_ring ring;
	u16 v;

	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, sizeof(v), 3), 0);
	v = 2;
	chan_ring_push_tail(&ring, &v);
	v = 3;
	chan_ring_push_tail(&ring, &v);
	v = 1;
	chan_ring_push_head(&ring, &v);
	for (v = 1; v <= 3; v++) {
		u16 got;

		chan_ring_pop_head(&ring, &got);
		KUNIT_EXPECT_EQ(test, got, v);
	}
	KUNIT_EXPECT_EQ(test, ring.len, 0U);
	chan_ring_destroy(&ring);
}

/* Zero-size elements (Go's chan struct{}) are counted, not stored (C1). */
static void chan_ring_test_zero_size(struct kunit *test)
{
	struct chan_ring ring;

	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, 0, 1000), 0);
	KUNIT_EXPECT_NULL(test, ring.slots);
	chan_ring_push_tail(&ring, NULL);
	chan_ring_push_head(&ring, NULL);
	KUNIT_EXPECT_EQ(test, ring.len, 2U);
	chan_ring_pop_head(&ring, NULL);
	KUNIT_EXPECT_EQ(test, ring.len, 1U);
	chan_ring_destroy(&ring);
}

/* Every byte of a large element survives the trip. */
static void chan_ring_test_large_elements(struct kunit *test)
{
	const u32 size = 65536;
	struct chan_ring ring;
	u8 *in, *out;

	in = kunit_kmalloc(test, size, GFP_KERNEL);
	out = kunit_kmalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_ASSERT_NOT_NULL(test, out);
	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, size, 2), 0);
	memset(in, 0xa5, size);
	chan_ring_push_tail(&ring, in);
	memset(in, 0x5a, size);
	chan_ring_push_tail(&ring, in);
	chan_ring_pop_head(&ring, out);
	KUNIT_EXPECT_NULL(test, memchr_inv(out, 0xa5, size));
	chan_ring_pop_head(&ring, out);
	KUNIT_EXPECT_NULL(test, memchr_inv(out, 0x5a, size));
	chan_ring_destroy(&ring);
}

static struct kunit_case chan_ring_test_cases[] = {
	KUNIT_CASE(chan_ring_test_fifo),
	KUNIT_CASE(chan_ring_test_wraparound),
	KUNIT_CASE(chan_ring_test_push_head),
	KUNIT_CASE(chan_ring_test_zero_size),
	KUNIT_CASE(chan_ring_test_large_elements),
	{}
};

static struct kunit_suite chan_ring_test_suite = {
	.name = "chan_ring",
	.test_cases = chan_ring_test_cases,
};

kunit_test_suite(chan_ring_test_suite);
