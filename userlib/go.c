// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Goroutines (G1): detached threads with small stacks, so that thousands can
 * block on channels at once.  The stack is mapped lazily: a blocked goroutine
 * costs the pages it touched, its kernel stack and its task.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "chan.h"

#define CHAN_GO_DEFAULT_STACK	(64 * 1024)

static atomic_size_t go_stack_size = CHAN_GO_DEFAULT_STACK;

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
	atomic_store_explicit(&go_stack_size, bytes, memory_order_relaxed);
	return 0;
}

int chan_go(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	if (!fn)
		return -EINVAL;
	err = pthread_attr_init(&attr);
	if (err)
		return -err;
	err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!err)
		err = pthread_attr_setstacksize(&attr,
			atomic_load_explicit(&go_stack_size,
					     memory_order_relaxed));
	if (!err)
		err = pthread_create(&thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -err;
}
