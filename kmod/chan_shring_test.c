// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for chan_shring.c, through chan_ring.c: suite chan_shring
 */
#include <kunit/test.h>
#include <linux/random.h>

#include "chan_ring.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static void chan_shring_test_ring(struct kunit *test, struct chan_ring *ring,
				  u32 elem_size, u32 cap)
{
	struct chan_shring *sh = chan_shring_create(elem_size, cap);

	KUNIT_ASSERT_FALSE(test, IS_ERR(sh));
	*ring = (struct chan_ring){ .elem_size = elem_size, .cap = cap,
				    .sh = sh };
}

/* The kernel's own sends and receives on a shared ring keep order (R1). */
static void chan_shring_test_fifo(struct kunit *test)
{
	struct chan_ring ring;
	u64 v;
	int i;

	chan_shring_test_ring(test, &ring, sizeof(v), 4);
	for (i = 0; i < 10; i++) {
		for (v = 0; v < 4; v++)
			KUNIT_EXPECT_TRUE(test, chan_ring_push_tail(&ring, &v));
		KUNIT_EXPECT_FALSE(test, chan_ring_push_tail(&ring, &v));
		KUNIT_EXPECT_EQ(test, chan_ring_count(&ring), 4U);
		KUNIT_EXPECT_FALSE(test, chan_ring_drained(&ring));
		for (v = 0; v < 4; v++) {
			u64 out = ~0ULL;

			KUNIT_EXPECT_TRUE(test, chan_ring_pop_head(&ring, &out));
			KUNIT_EXPECT_EQ(test, out, v);
		}
		KUNIT_EXPECT_FALSE(test, chan_ring_pop_head(&ring, &v));
		KUNIT_EXPECT_TRUE(test, chan_ring_drained(&ring));
	}
	chan_ring_destroy(&ring);
}

/* A slot held and given back is where it was, for everyone (X2). */
static void chan_shring_test_cancel(struct kunit *test)
{
	struct chan_ring ring;
	const void *head;
	void *tail;
	u64 v = 7, out = 0;

	chan_shring_test_ring(test, &ring, sizeof(v), 2);
	KUNIT_ASSERT_TRUE(test, chan_ring_reserve_tail(&ring, &tail));
	chan_ring_cancel_tail(&ring);
	KUNIT_EXPECT_TRUE(test, chan_ring_drained(&ring));
	KUNIT_EXPECT_TRUE(test, chan_ring_push_tail(&ring, &v));
	KUNIT_ASSERT_TRUE(test, chan_ring_reserve_head(&ring, &head));
	KUNIT_EXPECT_EQ(test, *(const u64 *)head, 7ULL);
	chan_ring_cancel_head(&ring);
	KUNIT_EXPECT_TRUE(test, chan_ring_pop_head(&ring, &out));
	KUNIT_EXPECT_EQ(test, out, 7ULL);
	chan_ring_destroy(&ring);
}

/*
 * A slot whose element a receive took stays claimed until the element is
 * delivered: the ring is no emptier for senders, though it holds no
 * element for receivers, and the release frees the oldest first (L2).
 */
static void chan_shring_test_kept(struct kunit *test)
{
	struct chan_ring ring;
	u64 v, out;
	bool kept;

	chan_shring_test_ring(test, &ring, sizeof(v), 2);
	for (v = 1; v <= 2; v++)
		KUNIT_EXPECT_TRUE(test, chan_ring_push_tail(&ring, &v));
	KUNIT_ASSERT_TRUE(test, chan_ring_take_head(&ring, &out, &kept));
	KUNIT_EXPECT_TRUE(test, kept);
	KUNIT_EXPECT_EQ(test, out, 1ULL);
	KUNIT_EXPECT_EQ(test, chan_ring_kept(&ring), 1U);
	KUNIT_EXPECT_EQ(test, chan_ring_count(&ring), 1U);
	/* Still full for a sender: the taken element keeps its slot. */
	KUNIT_EXPECT_FALSE(test, chan_ring_push_tail(&ring, &v));
	KUNIT_ASSERT_TRUE(test, chan_ring_take_head(&ring, &out, &kept));
	KUNIT_EXPECT_TRUE(test, kept);
	KUNIT_EXPECT_EQ(test, out, 2ULL);
	KUNIT_EXPECT_EQ(test, chan_ring_count(&ring), 0U);
	/* Nothing left for a receiver: drained, though no slot is free. */
	KUNIT_EXPECT_FALSE(test, chan_ring_take_head(&ring, &out, &kept));
	KUNIT_EXPECT_TRUE(test, chan_ring_drained(&ring));
	KUNIT_EXPECT_FALSE(test, chan_ring_push_tail(&ring, &v));
	chan_ring_release(&ring, 1);
	KUNIT_EXPECT_EQ(test, chan_ring_kept(&ring), 1U);
	v = 3;
	KUNIT_EXPECT_TRUE(test, chan_ring_push_tail(&ring, &v));
	KUNIT_EXPECT_FALSE(test, chan_ring_push_tail(&ring, &v));
	chan_ring_release(&ring, 1);
	v = 4;
	KUNIT_EXPECT_TRUE(test, chan_ring_push_tail(&ring, &v));
	for (v = 3; v <= 4; v++) {
		KUNIT_EXPECT_TRUE(test, chan_ring_pop_head(&ring, &out));
		KUNIT_EXPECT_EQ(test, out, v);
	}
	KUNIT_EXPECT_EQ(test, chan_ring_kept(&ring), 0U);
	/* Releasing more than is kept frees nothing else. */
	chan_ring_release(&ring, 5);
	KUNIT_EXPECT_TRUE(test, chan_ring_drained(&ring));
	chan_ring_destroy(&ring);
}

/*
 * M4: whatever the shared pages hold, the kernel's calls stay inside them,
 * end, and count no more than the capacity; KASAN watches the accesses on
 * the debug kernel.
 */
static void chan_shring_test_garbage(struct kunit *test)
{
	const u32 cap = 5, esz = 12;
	struct chan_ring ring;
	struct chan_shring *sh;
	size_t bytes = CHAN_RING_SLOTS_OFFSET + cap * CHAN_RING_STRIDE(esz);
	u8 elem[12] = { 0 };
	const void *head;
	void *tail;
	bool kept;
	int i;

	chan_shring_test_ring(test, &ring, esz, cap);
	sh = ring.sh;
	for (i = 0; i < 20000; i++) {
		u32 r = get_random_u32();

		if (r % 16 == 0) {
			get_random_bytes(sh->hdr, bytes);
		} else if (r % 16 == 1) {
			/* Small numbers: states that almost make sense. */
			u32 *w = (u32 *)sh->hdr + get_random_u32() % (bytes / 4);

			*w = get_random_u32() % 16;
		}
		switch (r % 5) {
		case 0:
			chan_ring_push_tail(&ring, elem);
			break;
		case 1:
			if (r & 32)
				chan_ring_pop_head(&ring, elem);
			else if (chan_ring_take_head(&ring, elem, &kept))
				KUNIT_EXPECT_LE(test, chan_ring_kept(&ring),
						cap);
			else
				chan_ring_release(&ring, r % 3);
			break;
		case 2:
			if (chan_ring_reserve_tail(&ring, &tail))
				chan_ring_cancel_tail(&ring);
			if (chan_ring_reserve_head(&ring, &head))
				chan_ring_cancel_head(&ring);
			break;
		case 3:
			chan_ring_drained(&ring);
			break;
		default:
			KUNIT_EXPECT_LE(test, chan_ring_count(&ring), cap);
		}
	}
	chan_ring_destroy(&ring);
}

static struct kunit_case chan_shring_test_cases[] = {
	KUNIT_CASE(chan_shring_test_fifo),
	KUNIT_CASE(chan_shring_test_cancel),
	KUNIT_CASE(chan_shring_test_kept),
	KUNIT_CASE(chan_shring_test_garbage),
	{}
};

static struct kunit_suite chan_shring_test_suite = {
	.name = "chan_shring",
	.test_cases = chan_shring_test_cases,
};

kunit_test_suite(chan_shring_test_suite);
