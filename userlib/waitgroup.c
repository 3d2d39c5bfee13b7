// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Wait groups (rules W1-W6), on a futex.
 *
 * The whole state is one 64-bit word, changed only by compare-and-swap:
 *
 *   bits  0-31  release sequence: bumped each time the counter reaches zero;
 *               this half is the futex word that waiters sleep on
 *   bits 32-62  counter, 0 to INT32_MAX
 *   bit     63  a waiter may be asleep: the release must FUTEX_WAKE
 *
 * Waiters sleep on the sequence rather than on the counter, so that adds and
 * dones that leave the counter above zero do not wake them, and so that a
 * waiter still finds its release when the group has been reused (counter
 * back above zero) before it got to run (W3).  Putting counter, flag and
 * sequence in one word makes "register as a waiter while the counter is
 * non-zero" and "reach zero, clear the flag, bump the sequence" single atomic
 * steps: no waiter count has to be given back after a release, so a released
 * waiter never writes to the group again (hardening rule 23).
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"

#define WG_SEQ_MASK	0xffffffffULL
#define WG_COUNT_SHIFT	32
#define WG_COUNT_MASK	(0x7fffffffULL << WG_COUNT_SHIFT)
#define WG_WAITERS	(1ULL << 63)

/*
 * __alignof__, GCC's preferred alignment, is never below _Alignof, so the
 * check is as strict; _Alignof of an _Atomic 64-bit type makes GCC print a
 * -Wpsabi note on i386 (its alignment in structs changed in GCC 11.1).
 */
_Static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t) &&
	       __alignof__(_Atomic uint64_t) <= 8,
	       "struct waitgroup.state must be able to hold an atomic");
/*
 * A C library that emulates 64-bit atomics with a lock keeps the lock in
 * its own process: a group shared by processes (W4) would not be atomic.
 */
_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
	       "wait groups need lock-free 64-bit atomics");

static _Atomic uint64_t *wg_state(struct waitgroup *wg)
{
	return (_Atomic uint64_t *)&wg->state;
}

/* The sequence half of the state word, wherever the byte order puts it. */
static uint32_t *wg_futex(struct waitgroup *wg)
{
	return (uint32_t *)&wg->state +
	       (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
}

static uint32_t wg_count(uint64_t s)
{
	return (uint32_t)((s & WG_COUNT_MASK) >> WG_COUNT_SHIFT);
}

/*
 * The futex call whose timeout is this program's struct timespec.  Where a
 * 32-bit ABI has a 64-bit time_t (_TIME_BITS=64, Debian's armhf default
 * since trixie), SYS_futex reads the old 32-bit layout, and a deadline's
 * nanoseconds would be read as zero: that is futex_time64's.  x32 and the
 * 64-bit ABIs have no futex_time64, and need none.
 */
static long wg_futex_call(uint32_t *uaddr, int op, uint32_t val,
			  const struct timespec *ts, uint32_t val3)
{
#ifdef SYS_futex_time64
	if (sizeof(time_t) > sizeof(long)) {
		long ret = syscall(SYS_futex_time64, uaddr, op, val, ts, NULL,
				   val3);
#ifdef SYS_futex
		/* A kernel before 5.1: its old call, with a 32-bit deadline. */
		if (ret < 0 && errno == ENOSYS) {
			struct { long tv_sec, tv_nsec; } old, *oldp = NULL;

			if (ts) {
				old.tv_sec = ts->tv_sec > LONG_MAX ? LONG_MAX
								   : (long)ts->tv_sec;
				old.tv_nsec = ts->tv_nsec;
				oldp = &old;
			}
			ret = syscall(SYS_futex, uaddr, op, val, oldp, NULL,
				      val3);
		}
#endif
		return ret;
	}
#endif
#ifdef SYS_futex
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, val3);
#endif
}

/* Hardening rule 24: only a group that never leaves the process is private. */
static int wg_futex_private(const struct waitgroup *wg)
{
	return wg->flags & WAITGROUP_SHARED ? 0 : FUTEX_PRIVATE_FLAG;
}

void waitgroup_init(struct waitgroup *wg, unsigned int flags)
{
	atomic_init(wg_state(wg), 0);
	wg->flags = flags & WAITGROUP_SHARED;
	wg->reserved = 0;
}

int waitgroup_add(struct waitgroup *wg, int delta)
{
	_Atomic uint64_t *state = wg_state(wg);
	uint32_t *uaddr = wg_futex(wg);
	/*
	 * Read before the counter can reach zero: from then on a waiter may
	 * free or reuse the group, so the wake below must not read it.
	 */
	int priv = wg_futex_private(wg);
	uint64_t old = atomic_load_explicit(state, memory_order_relaxed);
	uint64_t new;
	int64_t count;

	do {
		count = (int64_t)wg_count(old) + delta;
		if (count < 0)
			return -EINVAL;
		if (count > INT32_MAX)
			return -EOVERFLOW;
		if (count == 0 && wg_count(old) != 0)
			/* Release: bump the sequence, clear the waiter flag. */
			new = (old + 1) & WG_SEQ_MASK;
		else
			new = (old & ~WG_COUNT_MASK) |
			      (uint64_t)count << WG_COUNT_SHIFT;
	} while (!atomic_compare_exchange_weak_explicit(state, &old, new,
			memory_order_acq_rel, memory_order_relaxed));

	/*
	 * Only the address goes to the kernel; the memory may already be freed
	 * or reused by now.  A private wake then only hashes the address, a
	 * shared one fails with EFAULT or wakes some other futex spuriously,
	 * which futex users must tolerate anyway (glibc mutexes do the same).
	 */
	if ((old & WG_WAITERS) && !(new & WG_WAITERS))
		wg_futex_call(uaddr, FUTEX_WAKE | priv, INT_MAX, NULL, 0);
	return 0;
}

int waitgroup_done(struct waitgroup *wg)
{
	return waitgroup_add(wg, -1);
}

/* deadline: absolute CLOCK_MONOTONIC, or NULL to wait without limit. */
static int wg_sleep(struct waitgroup *wg, uint64_t s,
		    const struct timespec *deadline)
{
	_Atomic uint64_t *state = wg_state(wg);
	int op = FUTEX_WAIT_BITSET | wg_futex_private(wg);
	uint32_t seq;
	long ret;

	/* Raise the waiter flag, unless the counter reaches zero meanwhile. */
	while (!(s & WG_WAITERS)) {
		if (atomic_compare_exchange_weak_explicit(state, &s,
				s | WG_WAITERS, memory_order_acquire,
				memory_order_acquire))
			s |= WG_WAITERS;
		else if (wg_count(s) == 0)
			return 0;
	}
	seq = (uint32_t)s;

	/*
	 * FUTEX_WAIT returns at once if the sequence has moved on, and any
	 * return may be spurious (a stale wake for memory this group reuses),
	 * so the sequence alone decides.  Once it has moved the group is not
	 * touched again.
	 */
	for (;;) {
		ret = wg_futex_call(wg_futex(wg), op, seq, deadline,
				    FUTEX_BITSET_MATCH_ANY);
		if (ret < 0 && errno != EAGAIN && errno != EINTR &&
		    errno != ETIMEDOUT)
			return -errno;
		s = atomic_load_explicit(state, memory_order_acquire);
		if ((uint32_t)s != seq)
			return 0;
		if (ret < 0 && errno == ETIMEDOUT)
			return -ETIMEDOUT;
	}
}

int waitgroup_wait(struct waitgroup *wg)
{
	uint64_t s = atomic_load_explicit(wg_state(wg), memory_order_acquire);

	/* W2: a zero counter costs one load and no system call. */
	if (wg_count(s) == 0)
		return 0;
	return wg_sleep(wg, s, NULL);
}

int waitgroup_wait_timeout(struct waitgroup *wg, int64_t timeout_ns)
{
	uint64_t s = atomic_load_explicit(wg_state(wg), memory_order_acquire);
	struct timespec deadline;
	int64_t now_ns, end_ns, end_sec;

	/* Checked before the clock, which may be a system call (W2). */
	if (wg_count(s) == 0)
		return 0;
	if (timeout_ns < 0)
		return wg_sleep(wg, s, NULL);
	if (timeout_ns == 0)
		return -EAGAIN;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline))
		return -errno;
	now_ns = (int64_t)deadline.tv_sec * 1000000000 + deadline.tv_nsec;
	end_ns = timeout_ns > INT64_MAX - now_ns ? INT64_MAX
						  : now_ns + timeout_ns;
	/* A 32-bit time_t holds 68 years of uptime: wait that long at most. */
	end_sec = end_ns / 1000000000;
	if (sizeof(time_t) < sizeof(int64_t) && end_sec > INT32_MAX)
		end_sec = INT32_MAX;
	deadline.tv_sec = (time_t)end_sec;
	deadline.tv_nsec = end_ns % 1000000000;
	return wg_sleep(wg, s, &deadline);
}

struct wg_go {
	struct waitgroup *wg;
	void *(*fn)(void *arg);
	void *arg;
};

static void wg_go_done(void *wg)
{
	waitgroup_done(wg);
}

static void *wg_go_main(void *p)
{
	struct wg_go go = *(struct wg_go *)p;

	free(p);
	/* Done also when fn leaves by pthread_exit(), like Go's deferred Done. */
	pthread_cleanup_push(wg_go_done, go.wg);
	go.fn(go.arg);
	pthread_cleanup_pop(1);
	return NULL;
}

int waitgroup_go(struct waitgroup *wg, void *(*fn)(void *), void *arg)
{
	struct wg_go *go;
	int ret;

	if (!fn)
		return -EINVAL;
	/* W6: counted before the thread exists, so no wait can miss it. */
	ret = waitgroup_add(wg, 1);
	if (ret)
		return ret;
	go = malloc(sizeof(*go));
	if (!go) {
		ret = -ENOMEM;
		goto undo;
	}
	*go = (struct wg_go){ .wg = wg, .fn = fn, .arg = arg };
	ret = chan_go(wg_go_main, go);
	if (!ret)
		return 0;
	free(go);
undo:
	waitgroup_done(wg);
	return ret;
}
