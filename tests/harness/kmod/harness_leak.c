// SPDX-License-Identifier: GPL-2.0
/*
 * Leaks an allocation when loaded: kmemleak must report it, and so the run
 * must fail, on the debug kernel.
 */
#include <linux/module.h>
#include <linux/slab.h>

static int __init harness_leak_init(void)
{
	void *p = kmalloc(128, GFP_KERNEL);

	/* Dropping the only pointer is the leak under test. */
	pr_info("harness_leak: leaking %p\n", p);
	return 0;
}
module_init(harness_leak_init);

static void __exit harness_leak_exit(void)
{
}
module_exit(harness_leak_exit);

MODULE_DESCRIPTION("chan harness self-test: a memory leak");
MODULE_LICENSE("GPL");
