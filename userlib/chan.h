/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libchan: Go's channels, wait groups and goroutines for C.
 *
 * Channels are file descriptors handed out by the chan kernel module
 * (/dev/chan); this library is a thin layer over its ioctls.  Wait groups and
 * goroutines live in user space and need no device.
 *
 * Every function returns a negative errno on failure; errno is never the
 * channel of an error.  timeout_ns everywhere: < 0 waits without limit, 0
 * never blocks (-EAGAIN), > 0 is a relative timeout (-ETIMEDOUT on expiry).
 * The rules cited (C1, W3, ...) are those of the chan contract.
 */
#ifndef _CHAN_H
#define _CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/chan.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of chan_make(). */
#define CHAN_NONBLOCK	CHAN_FD_NONBLOCK	/* the fd is O_NONBLOCK */
#define CHAN_INHERIT	CHAN_FD_INHERIT		/* the fd survives exec */
#define CHAN_RING	CHAN_CREATE_RING	/* buffer in shared memory (M1) */

/* Modes of chan_dup() (C3). */
#define CHAN_SEND_ONLY	CHAN_MODE_SEND
#define CHAN_RECV_ONLY	CHAN_MODE_RECV

/*
 * A new channel of elements of elem_size bytes with a buffer of cap elements
 * (C1); returns its fd.  -EPROTONOSUPPORT if the module speaks another API
 * version, -ENOENT if /dev/chan is missing (module not loaded).
 */
int chan_make(size_t elem_size, size_t cap, unsigned int flags);
/* A new close-on-exec fd for the same channel, limited to mode (C3). */
int chan_dup(int ch, unsigned int mode);

int chan_send(int ch, const void *elem);	/* 0; -EPIPE once closed (K2) */
int chan_recv(int ch, void *elem);		/* 1: a value; 0: closed and drained */
int chan_try_send(int ch, const void *elem);	/* -EAGAIN if it would block */
int chan_try_recv(int ch, void *elem);		/* -EAGAIN if it would block */
int chan_send_timeout(int ch, const void *elem, int64_t timeout_ns);
int chan_recv_timeout(int ch, void *elem, int64_t timeout_ns);

int chan_close(int ch);		/* Go's close: 0; -EPIPE if already closed (K1) */
int chan_len(int ch);		/* elements buffered now */
int chan_cap(int ch);		/* capacity */

/* Select (X rules). */
#define CHAN_OP_SEND	1
#define CHAN_OP_RECV	2

struct chan_case {
	int ch;		/* channel fd; negative: the case is ignored (nil channel) */
	int op;		/* CHAN_OP_SEND or CHAN_OP_RECV */
	void *elem;	/* element to send, or where to store the one received */
	bool ok;	/* out, chosen case: true sent/received, false closed (X5) */
};

/*
 * Go's select: exactly one of the n cases proceeds (X2), chosen at random
 * among those ready (X3); returns its index and sets its ok.  n is 0 to
 * CHAN_SELECT_MAX; 0 is Go's select {}, which only waits for the timeout
 * or a signal (X8).  timeout_ns 0 is Go's default: -EAGAIN if no case is
 * ready (X4).  -ETIMEDOUT, -EBADF (a case's fd is not a channel or its mode
 * forbids the case; nothing moved), -EINVAL, -EINTR, -EFAULT (an elem).
 * cases must be n readable and writable structs: the library reads them.
 */
int chan_select(struct chan_case *cases, size_t n, int64_t timeout_ns);

/*
 * Timers (T rules): receive-only channels of int64_t, the CLOCK_MONOTONIC
 * time in ns at which the timer fired.  chan_after() delivers one after ns
 * (at once if ns <= 0), then is closed: Go's time.After.  chan_tick()
 * delivers one every period_ns, keeping only the latest one a receiver has
 * not taken: Go's time.Tick; -EINVAL below CHAN_TIMER_MIN_PERIOD_NS.  Both
 * stop when their last fd is closed.
 */
int chan_after(int64_t ns);
int chan_tick(int64_t period_ns);

/*
 * Select sets (S1-S5): register cases once, wait many times.  A set is an
 * fd (close-on-exec; close(2) frees it) that holds each case's channel
 * until the case is removed or the set closed.  chan_set_add() returns the
 * case's id, >= 0 (-EBADF, -EINVAL, -EMFILE); chan_set_del() 0 or -ENOENT.
 * chan_set_wait() lets exactly one ready case proceed, as chan_select()
 * would over the same cases, and returns its id with *ok set (ok may be
 * NULL); a send case sends what its elem holds at that moment.  Its cost
 * grows with the ready cases, not the registered ones.  -EAGAIN (timeout
 * 0, none ready), -ETIMEDOUT, -EINTR.  The set fd polls EPOLLIN while a
 * case may be ready.
 */
int chan_set_make(void);
int chan_set_add(int set, const struct chan_case *c);
int chan_set_del(int set, int id);
int chan_set_wait(int set, int64_t timeout_ns, bool *ok);

/*
 * Goroutines (G1, G2): fn(arg) on a detached thread with a small stack:
 * 64 KiB, or sysconf(_SC_THREAD_STACK_MIN) if larger, unless
 * chan_go_stack_size() said otherwise; the room the C library takes for
 * the static TLS is added to it.  The thread of a goroutine that returned
 * parks for the next chan_go() of the same stack size (chan_go(3)).
 */
int chan_go(void *(*fn)(void *), void *arg);
/* Stack size of later chan_go() threads; -EINVAL below the system minimum. */
int chan_go_stack_size(size_t bytes);

/*
 * Wait groups (W rules), futex-backed.  The fields are private: use only the
 * functions below.  A zero-filled group is a valid, private, empty group.
 */
struct waitgroup {
	/* counter, waiter flag and release sequence, changed atomically */
	uint64_t state __attribute__((aligned(8)));
	uint32_t flags;
	uint32_t reserved;
};

#define WAITGROUP_INIT		{ 0, 0, 0 }
/* Usable across processes in MAP_SHARED memory (W4). */
#define WAITGROUP_SHARED	(1U << 0)

void waitgroup_init(struct waitgroup *wg, unsigned int flags);
/* 0; -EINVAL below zero, -EOVERFLOW past INT32_MAX: the counter is unchanged. */
int waitgroup_add(struct waitgroup *wg, int delta);
int waitgroup_done(struct waitgroup *wg);	/* waitgroup_add(wg, -1) */
/* 0 once the counter is zero; signals do not interrupt it. */
int waitgroup_wait(struct waitgroup *wg);
/* As waitgroup_wait(); -EAGAIN (timeout 0) or -ETIMEDOUT if still non-zero. */
int waitgroup_wait_timeout(struct waitgroup *wg, int64_t timeout_ns);
/* Adds one, then runs fn(arg) as chan_go() does and calls done after it (W6). */
int waitgroup_go(struct waitgroup *wg, void *(*fn)(void *), void *arg);

#ifdef __cplusplus
}
#endif

#endif /* _CHAN_H */
