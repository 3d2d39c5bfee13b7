// SPDX-License-Identifier: GPL-2.0
/*
 * L6 (with X2, X5): a select's waiters that can no longer be had, because
 * another case of it won, cost their queue nothing after the first look;
 * no loop under a channel's lock walks them again for every element.
 *
 * Channel A (1-byte elements, cap 131072) and channel B (unbuffered).  Four
 * processes, pinned to CPU 0, each block in a select over 4095 receive
 * cases on A and one on B, so A has 16380 receive waiters.  Then this
 * process, pinned to CPU 0 as SCHED_FIFO with RT throttling off, so the
 * selectors cannot run, closes B: that wins every select, but their
 * waiters stay on A until their owners run.  It writes one element to A,
 * which must find that no waiter on A can be had, and reads its fdinfo
 * still holding the CPU: chan-recv-waiters must be 0 (L6: pruned at the
 * first look).  A write(2) of 65536 elements to A must then take about as
 * long as on an idle channel: under 5 s (30 s on the debug kernel), not
 * 16380 waiters * 65536 elements under the lock (if the waiters are still
 * there, a write of 2048 elements against a bound cut to scale shows the
 * walk without holding the lock for minutes).  Afterwards each select
 * returns B's case with ok = 0 (X5), and A holds all 65537 elements (R5).
 *
 * The same again with the selects' 4095 cases sending to a full A: once B
 * is closed, two read(2)s empty A (and look at its send queue), then
 * chan-send-waiters must be 0 and the batch written into the free buffer
 * must be as fast, not walk the dead senders for each element.
 */
#include "hard.h"

#define NSEL		4
#define PER_SEL		4095	/* cases on A; one more on B */
#define ACAP		131072
#define BATCH		65536

static int a, b;

/* A selector: 4095 cases on A (receive, or send), the last one on B. */
static void selector(bool send)
{
	static struct chan_select_case cases[PER_SEL + 1];
	struct chan_select s;
	uint8_t dst[2] = { 9, 9 };
	int i, r;

	hard_pin(0);
	for (i = 0; i <= PER_SEL; i++) {
		cases[i].fd = (uint32_t)(i < PER_SEL ? a : b);
		cases[i].op = i < PER_SEL && send ? CHAN_SELECT_SEND :
						    CHAN_SELECT_RECV;
		cases[i].elem = (uintptr_t)&dst[i < PER_SEL ? 0 : 1];
		cases[i].reserved = 0;
	}
	memset(&s, 0, sizeof(s));
	s.cases = (uintptr_t)cases;
	s.ncases = PER_SEL + 1;
	s.index = 0xdeadbeef;
	s.ok = 0xdeadbeef;
	r = ioctl(a, CHAN_IOC_SELECT, &s);
	if (r != PER_SEL || s.index != PER_SEL || s.ok != 0) {
		fprintf(stderr, "l6_dead_waiters: selector %d: ioctl %d (%s), index %u, ok %u; want B's case %d with ok 0\n",
			(int)getpid(), r, r < 0 ? strerrorname_np(errno) : "",
			s.index, s.ok, PER_SEL);
		_exit(3);
	}
	_exit(0);
}

static void set_sched(int policy, int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	CHECK_SYS("L6", sched_setscheduler(0, policy, &sp));
}

/* write(2) all of @n bytes to A. */
static void write_all(const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(a, p, n);

		CHECK("P3", w > 0);
		p += w;
		n -= (size_t)w;
	}
}

static void phase(bool send)
{
	const char *kernel = getenv("CHAN_KERNEL");
	const char *key = send ? "chan-send-waiters" : "chan-recv-waiters";
	const char *what = send ? "senders" : "receivers";
	int64_t bound = kernel && !strcmp(kernel, "debug") ? 30 : 5;
	int64_t t0, t1, t2, bound_ns;
	long long waiters;
	pid_t pid[NSEL];
	static uint8_t big[BATCH];
	uint8_t x = 1;
	ssize_t n, nw;
	size_t len0;
	int i;

	a = CHECK_OK("L6", chan_make(1, ACAP, 0));
	b = CHECK_OK("L6", chan_make(1, 0, 0));
	memset(big, 2, sizeof(big));
	if (send) {
		STEP("A filled, so that send cases wait");
		write_all(big, sizeof(big));
		write_all(big, sizeof(big));
	}

	STEP("four selects queue 4095 cases each on A");
	for (i = 0; i < NSEL; i++) {
		pid[i] = fork_child();
		if (pid[i] == 0)
			selector(send);
	}
	while (hard_fdinfo(a, key) != NSEL * PER_SEL) {
		for (i = 0; i < NSEL; i++)
			CHECK_EQ("L6", hard_wait_for(pid[i], 0), -1);
		usleep(10000);
	}

	STEP("SCHED_FIFO on CPU 0: close B, then A's queue looked at");
	hard_write("/proc/sys/kernel/sched_rt_runtime_us", "-1");
	hard_pin(0);
	set_sched(SCHED_FIFO, 50);
	CHECK_EQ("K1", chan_close(b), 0);
	t0 = now_ns();
	if (send) {
		/*
		 * Empty A: each read's commit looks for senders to admit.  A
		 * read may return fewer than asked (P2): read until all 2 *
		 * sizeof(big) buffered elements are out.
		 */
		size_t left = 2 * sizeof(big);
		ssize_t got;

		while (left) {
			got = read(a, big, left < sizeof(big) ? left : sizeof(big));
			CHECK("P2", got > 0);
			if (got <= 0)
				break;
			left -= got;
		}
		memset(big, 2, sizeof(big));
	}
	CHECK_EQ("P3", write(a, &x, 1), 1);
	t1 = now_ns();
	waiters = hard_fdinfo(a, key);

	/*
	 * The batch: 65536 elements.  If the waiters were not pruned, the
	 * old quadratic walk would hold the lock for a minute or more (and
	 * stall RCU): a batch of 2048 shows it, against a bound cut to scale.
	 */
	nw = waiters == 0 ? BATCH : BATCH / 32;
	bound_ns = bound * 1000000000 / (BATCH / nw);
	STEP("SCHED_FIFO on CPU 0: a write(2) to A past the dead waiters");
	t2 = now_ns();
	n = write(a, big, nw);
	t2 = now_ns() - t2;
	set_sched(SCHED_OTHER, 0);

	fprintf(stderr, "l6_dead_waiters: %s: %d dead %s on A: first look %lld us; %s then %lld; write(2) of %zd elements: %lld ms\n",
		send ? "send cases" : "receive cases", NSEL * PER_SEL, what,
		(long long)(t1 - t0) / 1000, key, waiters, nw,
		(long long)t2 / 1000000);
	CHECK_EQ("P3", n, nw);
	SOFT("L6", waiters == 0,
	     "%s is %lld after A's queue was looked at; want 0 (dead waiters pruned at the first look)",
	     key, waiters);
	SOFT("L6", t2 < bound_ns,
	     "a write(2) of %zd elements past dead %s took %lld ms, want < %lld ms",
	     nw, what, (long long)t2 / 1000000, (long long)bound_ns / 1000000);

	STEP("the selects return B's case, closed");
	for (i = 0; i < NSEL; i++) {
		int status = hard_wait_for(pid[i], 60000);

		CHECK("X5", status != -1);
		SOFT("X5", WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "selector %d ended with status %#x", (int)pid[i], status);
	}
	CHECK_EQ("L6", hard_fdinfo(a, "chan-recv-waiters"), 0);
	CHECK_EQ("L6", hard_fdinfo(a, "chan-send-waiters"), 0);
	len0 = chan_info_of(a).len;
	CHECK_EQ("R5", len0, nw + 1);
	close(a);
	close(b);
}

static void body(void)
{
	phase(false);
	phase(true);
	hard_finish();
}

int main(void)
{
	hard_main("L6 X5", "dead select waiters cost a batch nothing",
		  240, 0, body);
}
