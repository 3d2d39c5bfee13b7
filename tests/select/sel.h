/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sel.h: small helpers the select tests share, on top of tests/user/check.h
 * (assertions, watchdog, waiter counts).
 */
#ifndef CHAN_TESTS_SELECT_SEL_H
#define CHAN_TESTS_SELECT_SEL_H

#include "../user/check.h"

#include <sys/syscall.h>

/*
 * Watchdog seconds: the debug kernel (KASAN, lockdep) under TCG is 20-50
 * times slower than the stock one, so it gets more time, not less work.
 */
static inline unsigned int sel_watchdog(unsigned int stock_s)
{
	const char *kernel = getenv("CHAN_KERNEL");

	return kernel && !strncmp(kernel, "debug", 5) ? stock_s * 5 : stock_s;
}

static inline struct chan_case send_case(int ch, void *elem)
{
	return (struct chan_case){ .ch = ch, .op = CHAN_OP_SEND, .elem = elem };
}

static inline struct chan_case recv_case(int ch, void *elem)
{
	return (struct chan_case){ .ch = ch, .op = CHAN_OP_RECV, .elem = elem };
}

/*
 * A select without a time limit on a thread of its own, for tests that act
 * on its channels while it blocks; @ret is its result once joined.
 */
struct sel_wait {
	struct chan_case *cases;
	size_t n;
	volatile int ret;
};

static inline void *sel_wait_thread(void *arg)
{
	struct sel_wait *c = arg;

	c->ret = chan_select(c->cases, c->n, -1);
	return NULL;
}

static inline pid_t sel_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Elements buffered in @fd now, as the kernel counts them. */
static inline unsigned int len_of(int fd)
{
	return chan_info_of(fd).len;
}

/* Require @fd to have exactly this many buffered elements and waiters. */
#define CHECK_STATE(rule, fd, n, senders, receivers)			\
	do {								\
		struct chan_info i_ = chan_info_of(fd);			\
		CHECK_EQ(rule, i_.len, n);				\
		CHECK_EQ(rule, i_.send_waiters, senders);		\
		CHECK_EQ(rule, i_.recv_waiters, receivers);		\
	} while (0)

/* A thread blocked in one plain send or receive, and what it got. */
struct peer {
	pthread_t thread;
	int ch;
	bool send;
	uint64_t val;		/* sent, or received */
	int ret;
};

static inline void *peer_main(void *arg)
{
	struct peer *p = arg;

	p->ret = p->send ? chan_send(p->ch, &p->val) : chan_recv(p->ch, &p->val);
	return NULL;
}

/* Start a plain sender (of @val) or receiver on @ch; it blocks or not. */
static inline void peer_start(struct peer *p, int ch, bool send, uint64_t val)
{
	p->ch = ch;
	p->send = send;
	p->val = val;
	p->ret = 1000;
	p->thread = spawn(peer_main, p);
}

/*
 * Pearson's chi-square of @k counts against a uniform choice among them
 * (X3, S4).
 */
static inline double chi_square(const unsigned int *count, int k,
				unsigned int total)
{
	double expect = (double)total / k, x = 0;
	int i;

	for (i = 0; i < k; i++)
		x += (count[i] - expect) * (count[i] - expect) / expect;
	return x;
}

#endif /* CHAN_TESTS_SELECT_SEL_H */
