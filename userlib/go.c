// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Goroutines (G1): detached threads with small stacks, so that thousands can
 * block on channels at once.  The stack is mapped lazily: a blocked goroutine
 * costs the pages it touched, its kernel stack and its task.
 *
 * A thread whose goroutine returned parks in a pool for the next chan_go()
 * (G2), as Go keeps dead goroutines for reuse (gfput/gfget): waking a parked
 * thread costs a futex wake-up, creating one costs a clone(), an mmap() of
 * its stack and, for a stack the C library had not cached, its page faults.
 * A parked thread is reused only for a goroutine that asked for its stack
 * size; at most GO_POOL_MAX park, and each leaves after GO_IDLE_SEC unused.
 * Before each goroutine the thread is reset to what a new thread would be:
 * the signal mask of the thread that called chan_go(), cancellation enabled
 * and deferred, errno 0.  The pool owns no thread-local variable.
 *
 * Locking: pool_lock guards the idle list and every go_worker's fields
 * while the worker is on it.  The thread that takes a worker off the list
 * hands it its goroutine and signals it under pool_lock, so a worker that
 * timed out at the same moment sees the claim before it leaves.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* dl_iterate_phdr */
#endif
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"

#define CHAN_GO_DEFAULT_STACK	(64 * 1024)

/*
 * Parked threads kept at most, and how long one waits for a goroutine
 * before it exits: a burst of goroutines leaves no more than this many
 * threads behind, and an idle program none after a few seconds.  Creating
 * a thread again costs microseconds, nothing against GO_IDLE_SEC.
 */
#define GO_POOL_MAX	256
#define GO_IDLE_SEC	2

/*
 * The pool's frames below the goroutine's (worker_main(), worker_run() and
 * its cleanup buffer; larger under sanitizers): added to the stack, as the
 * static TLS is, so that the goroutine keeps what it asked for.
 */
#define GO_FRAMES	1024

/**
 * struct go_worker - a pool thread
 * @prev: neighbours on the idle list, while parked
 * @next: see @prev
 * @wake: signalled when a goroutine is handed over; waited on with pool_lock
 * @stack: the thread's stack size, static TLS included
 * @fn: the goroutine to run next; NULL while parked and unclaimed
 * @arg: its argument
 * @mask: the signal mask it starts with, its caller's
 */
struct go_worker {
	struct go_worker *prev;
	struct go_worker *next;
	pthread_cond_t wake;
	size_t stack;
	void *(*fn)(void *);
	void *arg;
	sigset_t mask;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
/* Parked workers, the latest parked first (its stack is the warmest). */
static struct go_worker *pool_idle;
static unsigned int pool_nidle;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

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
	if (bytes > SIZE_MAX - tls_size() - GO_FRAMES)
		return -EINVAL;
	atomic_store_explicit(&go_stack_size, bytes, memory_order_relaxed);
	return 0;
}

/*
 * fork() copies the idle list but none of its threads: the child starts
 * with an empty pool.  Holding pool_lock across fork() keeps the list
 * consistent in the child, which then owns the lock and drops it.  The
 * parked workers' memory is the parent's; in the child it is lost, once.
 */
static void pool_prepare(void)
{
	pthread_mutex_lock(&pool_lock);
}

static void pool_parent(void)
{
	pthread_mutex_unlock(&pool_lock);
}

static void pool_child(void)
{
	pool_idle = NULL;
	pool_nidle = 0;
	pthread_mutex_unlock(&pool_lock);
}

static void pool_init(void)
{
	/* Without the handlers a child would hand goroutines to no thread. */
	if (pthread_atfork(pool_prepare, pool_parent, pool_child))
		abort();
}

static void pool_unlink(struct go_worker *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		pool_idle = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pool_nidle--;
}

static void worker_free(void *p)
{
	struct go_worker *w = p;

	pthread_cond_destroy(&w->wake);
	free(w);
}

/*
 * Run the goroutine handed to @w as on a new thread.  If it ends its
 * thread (pthread_exit(), or cancellation) the worker goes with it.
 */
static void worker_run(struct go_worker *w)
{
	pthread_cleanup_push(worker_free, w);
	pthread_sigmask(SIG_SETMASK, &w->mask, NULL);
	errno = 0;
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	w->fn(w->arg);
	/*
	 * A cancellation request the goroutine left pending (it returned
	 * with cancellation disabled) ends this thread here rather than
	 * the next goroutine at its first cancellation point.
	 */
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	pthread_testcancel();
	/* A parked thread is nobody's: no cancellation, and no signals. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_cleanup_pop(0);
}

/* Park @w until a goroutine is handed to it (true) or it should exit. */
static bool worker_park(struct go_worker *w)
{
	struct timespec deadline;
	sigset_t all;
	bool claimed;

	/* Signals sent to the process go to a thread that runs code. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += GO_IDLE_SEC;

	pthread_mutex_lock(&pool_lock);
	if (pool_nidle >= GO_POOL_MAX) {
		pthread_mutex_unlock(&pool_lock);
		return false;
	}
	w->fn = NULL;
	w->prev = NULL;
	w->next = pool_idle;
	if (pool_idle)
		pool_idle->prev = w;
	pool_idle = w;
	pool_nidle++;
	while (!w->fn) {
		if (pthread_cond_timedwait(&w->wake, &pool_lock, &deadline) ==
		    ETIMEDOUT && !w->fn) {
			pool_unlink(w);
			break;
		}
	}
	claimed = w->fn;
	pthread_mutex_unlock(&pool_lock);
	return claimed;
}

static void *worker_main(void *p)
{
	struct go_worker *w = p;

	do
		worker_run(w);
	while (worker_park(w));
	worker_free(w);
	return NULL;
}

/* Hand fn(arg) to a parked thread with @stack; false if there is none. */
static bool pool_get(size_t stack, void *(*fn)(void *), void *arg,
		     const sigset_t *mask)
{
	struct go_worker *w;

	pthread_mutex_lock(&pool_lock);
	for (w = pool_idle; w; w = w->next)
		if (w->stack == stack)
			break;
	if (w) {
		pool_unlink(w);
		w->fn = fn;
		w->arg = arg;
		w->mask = *mask;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&pool_lock);
	return w;
}

static int worker_start(size_t stack, void *(*fn)(void *), void *arg,
			const sigset_t *mask)
{
	pthread_condattr_t cattr;
	pthread_attr_t attr;
	struct go_worker *w;
	pthread_t thread;
	int err;

	w = malloc(sizeof(*w));
	if (!w)
		return -EAGAIN;
	*w = (struct go_worker){ .stack = stack, .fn = fn, .arg = arg,
				 .mask = *mask };
	err = pthread_condattr_init(&cattr);
	if (err)
		goto free_w;
	err = pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(&w->wake, &cattr);
	pthread_condattr_destroy(&cattr);
	if (err)
		goto free_w;

	err = pthread_attr_init(&attr);
	if (err)
		goto destroy_cond;
	err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!err)
		err = pthread_attr_setstacksize(&attr, stack);
	if (!err)
		err = pthread_create(&thread, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (!err)
		return 0;
destroy_cond:
	pthread_cond_destroy(&w->wake);
free_w:
	free(w);
	return -err;
}

/**
 * chan_go() - run fn(arg) on a detached thread with a small stack
 * @fn: the goroutine's function; what it returns is thrown away
 * @arg: its argument
 *
 * Takes a parked thread of the same stack size if there is one (G2), else
 * starts a new one.
 *
 * Return: 0, -EINVAL if @fn is NULL, -EAGAIN without resources.
 */
int chan_go(void *(*fn)(void *), void *arg)
{
	size_t stack = atomic_load_explicit(&go_stack_size,
					    memory_order_relaxed);
	sigset_t mask;

	if (!fn)
		return -EINVAL;
	if (!stack)
		stack = default_stack();
	/* chan_go_stack_size() made sure that this cannot wrap. */
	stack += tls_size() + GO_FRAMES;
	pthread_once(&pool_once, pool_init);
	/* A goroutine starts with its caller's mask, as a new thread would. */
	pthread_sigmask(SIG_SETMASK, NULL, &mask);
	if (pool_get(stack, fn, arg, &mask))
		return 0;
	return worker_start(stack, fn, arg, &mask);
}
