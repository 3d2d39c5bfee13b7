// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for chan_limits.c: suite chan_limits
 */
#include <kunit/test.h>

#include <linux/chan.h>

#include "chan_limits.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* Users no real task of the test VM runs as. */
#define CHAN_TEST_UID_A	KUIDT_INIT(4200001)
#define CHAN_TEST_UID_B	KUIDT_INIT(4200002)

/* L1: too large an element or buffer is EINVAL, before any charge. */
static void chan_limits_test_shape(struct kunit *test)
{
	struct chan_query q = {};

	chan_limits_query(&q);
	KUNIT_EXPECT_EQ(test, chan_limits_check(0, 0), 0);
	KUNIT_EXPECT_EQ(test, chan_limits_check(CHAN_MAX_ELEM_SIZE, 1), 0);
	KUNIT_EXPECT_EQ(test, chan_limits_check(CHAN_MAX_ELEM_SIZE + 1, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, chan_limits_check(0, q.max_cap), 0);
	KUNIT_EXPECT_EQ(test, chan_limits_check(0, q.max_cap + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, chan_limits_check(CHAN_MAX_ELEM_SIZE, U32_MAX),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, chan_limits_check(1, q.max_buffer_bytes + 1),
			-EINVAL);
}

/* Charges add up per user and return to zero (L1, L4). */
static void chan_limits_test_charge_returns_to_zero(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, chan_limits_charged(CHAN_TEST_UID_A), 0UL);
	KUNIT_ASSERT_EQ(test, chan_limits_charge(CHAN_TEST_UID_A, 100), 0);
	KUNIT_ASSERT_EQ(test, chan_limits_charge(CHAN_TEST_UID_A, 50), 0);
	KUNIT_ASSERT_EQ(test, chan_limits_charge(CHAN_TEST_UID_B, 7), 0);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID_A), 150UL);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID_B), 7UL);

	chan_limits_uncharge(CHAN_TEST_UID_A, 100);
	chan_limits_uncharge(CHAN_TEST_UID_B, 7);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID_A), 50UL);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID_B), 0UL);
	chan_limits_uncharge(CHAN_TEST_UID_A, 50);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID_A), 0UL);
}

/* L1: past the user's budget is EMFILE and charges nothing. */
static void chan_limits_test_budget(struct kunit *test)
{
	struct chan_query q = {};

	chan_limits_query(&q);
	KUNIT_ASSERT_EQ(test, chan_limits_charge(CHAN_TEST_UID_A,
						 q.user_budget_bytes), 0);
	KUNIT_EXPECT_EQ(test, chan_limits_charge(CHAN_TEST_UID_A, 1), -EMFILE);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID_A),
			(size_t)q.user_budget_bytes);
	/* Another user's budget is its own. */
	KUNIT_EXPECT_EQ(test, chan_limits_charge(CHAN_TEST_UID_B, 1), 0);
	chan_limits_uncharge(CHAN_TEST_UID_B, 1);
	chan_limits_uncharge(CHAN_TEST_UID_A, q.user_budget_bytes);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID_A), 0UL);
	/* A charge that overflows is refused, not wrapped. */
	KUNIT_EXPECT_EQ(test, chan_limits_charge(CHAN_TEST_UID_A, SIZE_MAX),
			-EMFILE);
}

static struct kunit_case chan_limits_test_cases[] = {
	KUNIT_CASE(chan_limits_test_shape),
	KUNIT_CASE(chan_limits_test_charge_returns_to_zero),
	KUNIT_CASE(chan_limits_test_budget),
	{}
};

static struct kunit_suite chan_limits_test_suite = {
	.name = "chan_limits",
	.test_cases = chan_limits_test_cases,
};

kunit_test_suite(chan_limits_test_suite);
