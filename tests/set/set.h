/* SPDX-License-Identifier: GPL-2.0 */
/*
 * set.h: helpers the select-set tests share, on top of tests/select/sel.h.
 */
#ifndef CHAN_TESTS_SET_SET_H
#define CHAN_TESTS_SET_SET_H

#include "../select/sel.h"

#include <poll.h>
#include <sys/epoll.h>

/* Register a case that must be accepted; returns its id. */
static inline int set_add(int set, int ch, int op, void *elem)
{
	struct chan_case c = { .ch = ch, .op = op, .elem = elem };
	int id = chan_set_add(set, &c);

	if (id < 0)
		check_fail(__FILE__, __LINE__, check_rules,
			   "chan_set_add(%d, fd %d): %s", set, ch,
			   check_errname(id));
	return id;
}

/* Whether the set fd polls readable now. */
static inline bool set_pollin(int set)
{
	struct pollfd p = { .fd = set, .events = POLLIN };
	int n = poll(&p, 1, 0);

	if (n < 0)
		check_fail(__FILE__, __LINE__, check_rules, "poll: %s",
			   strerrorname_np(errno));
	return n == 1 && (p.revents & POLLIN);
}

/* A thread blocked in chan_set_wait() without limit, and what it got. */
struct set_waiter {
	pthread_t thread;
	int set;
	volatile int ret;
	volatile bool done;
	bool ok;
};

static inline void *set_waiter_main(void *arg)
{
	struct set_waiter *w = arg;

	w->ret = chan_set_wait(w->set, -1, &w->ok);
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static inline void set_waiter_start(struct set_waiter *w, int set)
{
	w->set = set;
	w->ret = -1;
	w->done = false;
	w->thread = spawn(set_waiter_main, w);
}

/* How many of @n waiters have returned. */
static inline int set_waiters_done(struct set_waiter *w, int n)
{
	int i, d = 0;

	for (i = 0; i < n; i++)
		d += __atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE);
	return d;
}

/* Wait until @want of @n waiters have returned (bounded by the watchdog). */
static inline void set_waiters_wait(struct set_waiter *w, int n, int want)
{
	while (set_waiters_done(w, n) < want)
		usleep(500);
}

#endif /* CHAN_TESTS_SET_SET_H */
