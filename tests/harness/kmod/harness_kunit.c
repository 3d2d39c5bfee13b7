// SPDX-License-Identifier: GPL-2.0
/*
 * A KUnit suite with one passing and one failing test: the harness must
 * report the failure (and the pass) and fail the run.
 */
#include <kunit/test.h>

static void harness_passes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1 + 1, 2);
}

static void harness_fails(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1 + 1, 3);
}

static struct kunit_case harness_cases[] = {
	KUNIT_CASE(harness_passes),
	KUNIT_CASE(harness_fails),
	{}
};

static struct kunit_suite harness_suite = {
	.name = "harness_selftest",
	.test_cases = harness_cases,
};
kunit_test_suite(harness_suite);

MODULE_DESCRIPTION("chan harness self-test: a failing KUnit expectation");
MODULE_LICENSE("GPL");
