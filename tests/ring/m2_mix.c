// SPDX-License-Identifier: GPL-2.0
/*
 * M2 (R1 R5 K3 P1 X2 on a ring channel): producers and consumers in several
 * processes, two threads each, mix every way in: libchan's fast path, the
 * raw CHAN_IOC_SEND/RECV ioctls, write(2)/read(2) batches, a select, and
 * poll(2) before a try, on a small ring that fills and empties all the
 * time, so that the fast path, the kernel's blocked tasks and the kicks
 * between them all run.  One producer uses a dup'd fd, one consumer a
 * receive-only fd (the kernel's path only).  Checked: each consumer thread
 * sees each producer thread's elements in order (R1), every element sent
 * is received exactly once (R5, X2), and after the close every consumer
 * ends with "closed" once the ring is drained (K3).
 */
#include "ring.h"

#include <poll.h>

#define PROCS		3	/* producer processes, and 2 consumer ones */
#define THREADS		2
#define SENDERS		(PROCS * THREADS)
#define MAXN		20000

static int ch;
static long n;
static _Atomic unsigned char (*got)[MAXN];	/* shared: [sender][seq] */

static int send_one(int fd, uint64_t *v, int how)
{
	struct chan_xfer x = { .elem = (uintptr_t)v };

	switch (how) {
	case 0:
		return chan_send(fd, v);
	case 1:
		return ioctl(fd, CHAN_IOC_SEND, &x) < 0 ? -errno : 0;
	default:
		return write(fd, v, sizeof(*v)) == sizeof(*v) ? 0 : -errno;
	}
}

static void *producer(void *arg)
{
	uintptr_t w = (uintptr_t)arg;
	int fd = w % 2 ? ch : (int)CHECK_OK("C3", chan_dup(ch, CHAN_MODE_BOTH));
	uint64_t batch[3];
	long seq = 0;
	int k;

	while (seq < n) {
		switch (seq % 4) {
		case 3:	/* a write(2) batch of up to three, in order (P3) */
			for (k = 0; k < 3 && seq + k < n; k++)
				batch[k] = ring_elem(w, seq + k);
			CHECK_EQ("M2", write(fd, batch, k * sizeof(uint64_t)),
				 (long)(k * sizeof(uint64_t)));
			seq += k;
			break;
		default:
			batch[0] = ring_elem(w, seq);
			CHECK_EQ("M2", send_one(fd, batch, seq % 4), 0);
			seq++;
		}
	}
	return NULL;
}

/* Receive up to 4 elements one way or another; 0 once closed and drained. */
static int recv_some(int fd, uint64_t *v, int how)
{
	struct chan_xfer x = { .elem = (uintptr_t)v };
	struct chan_case c = { .ch = fd, .op = CHAN_OP_RECV, .elem = v };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;
	int ret;

	switch (how) {
	case 0:
		return chan_recv(fd, v);
	case 1:
		ret = ioctl(fd, CHAN_IOC_RECV, &x);
		return ret < 0 ? -errno : ret;
	case 2:
		r = read(fd, v, 4 * sizeof(*v));
		return r < 0 ? -errno : (int)(r / sizeof(*v));
	case 3:
		ret = chan_select(&c, 1, -1);
		return ret < 0 ? ret : c.ok;
	default:
		/* No lost wake-up (P1): poll sleeps until a fast send kicks it. */
		for (;;) {
			CHECK_SYS("P1", poll(&p, 1, -1));
			ret = chan_try_recv(fd, v);
			if (ret != -EAGAIN)
				return ret;
		}
	}
}

static void *consumer(void *arg)
{
	int fd = (uintptr_t)arg ? ch : (int)CHECK_OK("C3",
					chan_dup(ch, CHAN_RECV_ONLY));
	long last[SENDERS], i = 0;
	uint64_t v[4];
	int r, k;

	for (k = 0; k < SENDERS; k++)
		last[k] = -1;
	for (;; i++) {
		for (k = 0; k < 4; k++)
			v[k] = ~0ULL;	/* nothing received yet */
		r = recv_some(fd, v, i % 5);
		if (r == 0)
			break;
		CHECK("M2", r > 0);
		for (k = 0; k < r; k++) {
			uint32_t w = v[k] >> 32, seq = (uint32_t)v[k];

			CHECK("R5", w < SENDERS && seq < n);
			if ((long)seq <= last[w])
				check_fail(__FILE__, __LINE__, "R1",
					   "sender %u: element %u after %ld (call kind %ld, %d of %d; received %d times before)",
					   w, seq, last[w], i % 5, k + 1, r,
					   atomic_load(&got[w][seq]));
			last[w] = seq;
			CHECK_EQ("R5", atomic_fetch_add(&got[w][seq], 1), 0);
		}
	}
	/* Closed and drained stays so (K3). */
	CHECK_EQ("K3", chan_try_recv(fd, v), 0);
	return NULL;
}

static pid_t run_procs(void *(*fn)(void *), uintptr_t base)
{
	pthread_t t[THREADS];
	pid_t pid = fork_child();
	int i;

	if (pid)
		return pid;
	for (i = 0; i < THREADS; i++)
		t[i] = spawn(fn, (void *)(base + i));
	for (i = 0; i < THREADS; i++)
		join(t[i]);
	_exit(0);
}

int main(void)
{
	pid_t prod[PROCS], cons[2];
	long w, seq;
	int i;

	test_start("M2 R1 R5 K3 P1 X2", "a ring channel under every kind of call at once", 600);
	n = test_count(MAXN);
	got = mmap(NULL, sizeof(*got) * SENDERS, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("M2", got != MAP_FAILED);
	ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 4, CHAN_RING));

	STEP("producers and consumers run");
	for (i = 0; i < 2; i++)
		cons[i] = run_procs(consumer, i);
	for (i = 0; i < PROCS; i++)
		prod[i] = run_procs(producer, i * THREADS);
	for (i = 0; i < PROCS; i++)
		wait_child_ok("M2", prod[i]);
	STEP("close, consumers drain");
	CHECK_EQ("K1", chan_close(ch), 0);
	for (i = 0; i < 2; i++)
		wait_child_ok("M2", cons[i]);

	STEP("the ledger");
	for (w = 0; w < SENDERS; w++)
		for (seq = 0; seq < n; seq++)
			if (got[w][seq] != 1)
				check_fail(__FILE__, __LINE__, "R5",
					   "element %ld of sender %ld received %d times",
					   seq, w, got[w][seq]);
	test_pass();
}
