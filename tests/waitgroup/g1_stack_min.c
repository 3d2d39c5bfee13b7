// SPDX-License-Identifier: GPL-2.0
/*
 * G1: the default goroutine stack is 64 KiB or the C library's minimum
 * (sysconf(_SC_THREAD_STACK_MIN)), whichever is larger.  glibc's minimum
 * is 128 KiB on aarch64, where a fixed 64 KiB made every chan_go() fail
 * with EINVAL.  The goroutine must start with the default, see a stack at
 * least that large, and be able to use most of it.
 */
#include <pthread.h>

#include "wgtest.h"


struct probe {
	size_t stack;
	size_t used;
	struct waitgroup done;
};

/* Touch @bytes of stack in one frame; a stack too small faults here. */
static size_t __attribute__((noinline)) use_stack(size_t bytes)
{
	volatile unsigned char *buf = __builtin_alloca(bytes);
	size_t i, sum = 0;

	for (i = 0; i < bytes; i += 512)
		buf[i] = (unsigned char)i;
	for (i = 0; i < bytes; i += 512)
		sum += buf[i] == (unsigned char)i;
	return sum * 512;
}

static size_t want;

static void *probe(void *p)
{
	struct probe *pr = p;

	pr->stack = own_stack_size();
	/* All but 8 KiB: room for the frames above us and the C library's. */
	pr->used = use_stack(want - 8 * 1024);
	CHECK_EQ(waitgroup_done(&pr->done), 0);
	return NULL;
}

int main(void)
{
	long min = sysconf(_SC_THREAD_STACK_MIN);
	struct probe pr = { 0 };

	test_init("G1");
	CHECK(min > 0);
	want = goroutine_default_stack();

	CHECK_EQ(waitgroup_add(&pr.done, 1), 0);
	CHECK_EQ(chan_go(probe, &pr), 0);
	CHECK_EQ(waitgroup_wait(&pr.done), 0);
	if (pr.stack < want)
		FAIL("default goroutine stack is %zu bytes, expected at least %zu",
		     pr.stack, want);
	CHECK_EQ(pr.used, want - 8 * 1024);
	printf("G1: stack minimum %ld bytes, default goroutine stack %zu\n",
	       min, pr.stack);

	/* Below the minimum is refused at once, and the default stays. */
	CHECK_EQ(chan_go_stack_size((size_t)min - 1), -EINVAL);
	CHECK_EQ(chan_go_stack_size((size_t)min), 0);
	pr = (struct probe){ 0 };
	want = (size_t)min;
	CHECK_EQ(waitgroup_add(&pr.done, 1), 0);
	CHECK_EQ(chan_go(probe, &pr), 0);
	CHECK_EQ(waitgroup_wait(&pr.done), 0);
	CHECK(pr.stack >= (size_t)min);
	CHECK_EQ(pr.used, (size_t)min - 8 * 1024);
	test_pass("the default stack is at least the C library's minimum");
}
