// SPDX-License-Identifier: GPL-2.0
/*
 * G1: a program whose static TLS is large (a 60 KB __thread array) still
 * starts goroutines with the default stack, and each can use that stack:
 * glibc carves static TLS out of a thread's stack, so libchan adds its
 * size.  Without that every chan_go() failed with EINVAL.
 */
#include <pthread.h>

#include "wgtest.h"

#define TLS_BYTES	(60 * 1000)
#define USE_BYTES	(48 * 1024)	/* most of the 64 KiB default */
#define GOROUTINES	8

static __thread unsigned char big[TLS_BYTES];
static struct waitgroup wg, arrived;
static _Atomic int good;
static size_t use_bytes = USE_BYTES;

static size_t __attribute__((noinline)) use_stack(size_t bytes)
{
	volatile unsigned char *buf = __builtin_alloca(bytes);
	size_t i, sum = 0;

	for (i = 0; i < bytes; i += 256)
		buf[i] = (unsigned char)(i >> 8);
	for (i = 0; i < bytes; i += 256)
		sum += buf[i] == (unsigned char)(i >> 8);
	return sum * 256;
}

static void *work(void *arg)
{
	unsigned char id = (unsigned char)(uintptr_t)arg;
	size_t i, ok = 1;

	CHECK_EQ(waitgroup_done(&arrived), 0);
	CHECK_EQ(waitgroup_wait(&arrived), 0);
	/*
	 * Every byte of this thread's copy is its own: zero on a new thread,
	 * or what the goroutine before left on a parked thread that chan_go()
	 * reused (chan_go(3): the program's __thread variables carry over).
	 * The second round reuses the first's threads where the default stack
	 * is the C library's minimum (aarch64: 128 KiB both).
	 */
	ok &= big[0] != 0xff;
	for (i = 0; i < TLS_BYTES; i++)
		ok &= big[i] == big[0];
	memset(big, id, TLS_BYTES);
	ok &= use_stack(use_bytes) == use_bytes;
	for (i = 0; i < TLS_BYTES; i += 97)
		ok &= big[i] == id;
	if (ok)
		good++;
	return NULL;
}

int main(void)
{
	int i;

	test_init("G1");
	memset(big, 0xff, TLS_BYTES);
	CHECK_EQ(waitgroup_add(&arrived, GOROUTINES), 0);
	for (i = 0; i < GOROUTINES; i++)
		CHECK_EQ(waitgroup_go(&wg, work, (void *)(uintptr_t)(i + 1)), 0);
	CHECK_EQ(waitgroup_wait(&wg), 0);
	CHECK_EQ(good, GOROUTINES);

	/* The same with the smallest stack chan_go_stack_size() accepts. */
	CHECK_EQ(chan_go_stack_size((size_t)sysconf(_SC_THREAD_STACK_MIN)), 0);
	use_bytes = (size_t)sysconf(_SC_THREAD_STACK_MIN) - 8 * 1024;
	good = 0;
	CHECK_EQ(waitgroup_add(&arrived, GOROUTINES), 0);
	for (i = 0; i < GOROUTINES; i++)
		CHECK_EQ(waitgroup_go(&wg, work, (void *)(uintptr_t)(i + 1)), 0);
	CHECK_EQ(waitgroup_wait(&wg), 0);
	CHECK_EQ(good, GOROUTINES);
	CHECK(big[0] == 0xff && big[TLS_BYTES - 1] == 0xff);
	test_pass("60 KB of static TLS, goroutines with the default stack");
}
