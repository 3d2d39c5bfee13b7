// SPDX-License-Identifier: GPL-2.0
/*
 * Triggers a kernel WARNING when loaded: tests/vm/run must see it in the
 * kernel log and fail the run.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init harness_warn_init(void)
{
	WARN_ON(1);
	return 0;
}
module_init(harness_warn_init);

static void __exit harness_warn_exit(void)
{
}
module_exit(harness_warn_exit);

MODULE_DESCRIPTION("chan harness self-test: a WARNING");
MODULE_LICENSE("GPL");
