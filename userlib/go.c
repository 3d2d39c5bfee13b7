// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Goroutines (G1): detached threads with small stacks, so that thousands can
 * block on channels at once.  The stack is mapped lazily: a blocked goroutine
 * costs the pages it touched, its kernel stack and its task.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* dl_iterate_phdr */
#endif
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "chan.h"

#define CHAN_GO_DEFAULT_STACK	(64 * 1024)

/* What chan_go_stack_size() set; 0 until then: the default. */
static atomic_size_t go_stack_size;
/* Computed once; a racing second computation stores the same values. */
static atomic_size_t go_default_stack;
static atomic_size_t go_tls_size = SIZE_MAX;

/*
 * 64 KiB, or the C library's minimum where that is larger: glibc's
 * PTHREAD_STACK_MIN is 128 KiB on aarch64, and pthread_attr_setstacksize()
 * refuses anything below it.
 */
static size_t default_stack(void)
{
	size_t size = atomic_load_explicit(&go_default_stack,
					   memory_order_relaxed);
	long min;

	if (size)
		return size;
	min = sysconf(_SC_THREAD_STACK_MIN);
	size = min > CHAN_GO_DEFAULT_STACK ? (size_t)min
					   : CHAN_GO_DEFAULT_STACK;
	atomic_store_explicit(&go_default_stack, size, memory_order_relaxed);
	return size;
}

static int add_tls(struct dl_phdr_info *info, size_t len, void *sum)
{
	size_t i, align, size;

	(void)len;
	for (i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_TLS)
			continue;
		align = info->dlpi_phdr[i].p_align ? info->dlpi_phdr[i].p_align
						   : 1;
		size = info->dlpi_phdr[i].p_memsz;
		*(size_t *)sum += (size + align - 1) / align * align;
	}
	return 0;
}

/*
 * glibc places a thread's static TLS (the __thread variables of the program
 * and of the libraries it started with) at the top of the thread's stack,
 * inside the size asked for: a 60 KB __thread array leaves a 64 KiB stack
 * nothing, and pthread_create() fails with EINVAL.  Adding the TLS blocks'
 * sizes gives the goroutine the stack it was promised.  Libraries loaded
 * later are counted too if they are loaded by the first chan_go(): their
 * TLS is allocated elsewhere, so that only costs address space.
 */
static size_t tls_size(void)
{
	size_t sum = atomic_load_explicit(&go_tls_size, memory_order_relaxed);

	if (sum != SIZE_MAX)
		return sum;
	sum = 0;
	dl_iterate_phdr(add_tls, &sum);
	atomic_store_explicit(&go_tls_size, sum, memory_order_relaxed);
	return sum;
}

/**
 * chan_go_stack_size() - set the stack size of later goroutines
 * @bytes: stack the goroutine may use; the room for the program's static
 *	TLS is added to it
 *
 * Return: 0, or -EINVAL if the C library refuses @bytes as a stack size.
 */
int chan_go_stack_size(size_t bytes)
{
	pthread_attr_t attr;
	int err;

	/* Let the C library judge the size now, not at some later chan_go. */
	err = pthread_attr_init(&attr);
	if (err)
		return -err;
	err = pthread_attr_setstacksize(&attr, bytes);
	pthread_attr_destroy(&attr);
	if (err)
		return -err;
	if (bytes > SIZE_MAX - tls_size())
		return -EINVAL;
	atomic_store_explicit(&go_stack_size, bytes, memory_order_relaxed);
	return 0;
}

/**
 * chan_go() - run fn(arg) on a new detached thread with a small stack
 * @fn: the goroutine's function; what it returns is thrown away
 * @arg: its argument
 *
 * Return: 0, -EINVAL if @fn is NULL, -EAGAIN without resources.
 */
int chan_go(void *(*fn)(void *), void *arg)
{
	size_t stack = atomic_load_explicit(&go_stack_size,
					    memory_order_relaxed);
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	if (!fn)
		return -EINVAL;
	if (!stack)
		stack = default_stack();
	/* chan_go_stack_size() made sure that this cannot wrap. */
	stack += tls_size();
	err = pthread_attr_init(&attr);
	if (err)
		return -err;
	err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!err)
		err = pthread_attr_setstacksize(&attr, stack);
	if (!err)
		err = pthread_create(&thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -err;
}
