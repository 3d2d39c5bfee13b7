// SPDX-License-Identifier: GPL-2.0
/*
 * L5 (with L4, R1, R5): the memory a read(2) holds while it blocks, and the
 * elements a failed read puts back, are charged to the reader's budget, or
 * stay within a small bound: an unprivileged user cannot pin more kernel
 * memory than its budget through them.
 *
 * As uid 1000 with user_budget_bytes at 4 MiB, in a memory cgroup of its
 * own so that memory.current counts what the kernel holds for it:
 *
 * A. Put-backs, round after round on a new channel (element size 1, cap 1
 *    and cap 0 in turn), all kept open: a thread blocks in read(fd, buf,
 *    65536); the buffer is made read-only; one element is sent, and on the
 *    buffered channel at once a second one if it fits.  The read fails with
 *    EFAULT and the element goes back.  The growth of memory.current over
 *    all rounds must stay under the budget plus 2 MiB (what ~800 channels'
 *    files cost); the budget may instead refuse later channels or reads
 *    with EMFILE.  After every put-back on the buffered channel len <= cap
 *    (CHAN_IOC_INFO), and at the end every channel gives its elements back
 *    in the order they were sent (R1), each once (R5).
 * B. Blocked reads: 64 threads each block in read(2) of 65536 bytes on its
 *    own channel; memory.current may grow by at most the budget plus 1 MiB
 *    more than when they block in reads of 1 byte (or the reads fail with
 *    EMFILE once the budget is spent).
 */
#include "hard.h"

#include <semaphore.h>

#define UID		1000
#define BUDGET		(4LL << 20)
#define SCRATCH		65536
#define ROUNDS		800
#define READERS		64

static uint8_t *buf;		/* SCRATCH bytes, page-aligned */

/* The reader of part A: one read(2) per round, on command. */
static struct {
	sem_t go, done;
	int fd;
	volatile int finished;	/* the read of this round returned */
	ssize_t ret;
	int err;
} rd;

static void *reader(void *arg)
{
	(void)arg;
	for (;;) {
		while (sem_wait(&rd.go) < 0)
			;
		if (rd.fd < 0)
			return NULL;
		rd.ret = read(rd.fd, buf, SCRATCH);
		rd.err = errno;
		rd.finished = 1;
		sem_post(&rd.done);
	}
}

/* Wait until the reader blocks on @fd (1) or its read returned (0). */
static int reader_blocked(int fd)
{
	STEP("waiting for the reader to block");
	for (;;) {
		if (rd.finished)
			return 0;
		if (chan_info_of(fd).recv_waiters == 1)
			return 1;
		usleep(100);
	}
}

struct chan_round {
	int fd;
	int cap;
	int sent;		/* elements sent: 1 or 2 */
};

static struct chan_round rounds[ROUNDS];

static void part_a(void)
{
	int n = test_count(ROUNDS), i, refused = 0, over_cap = 0, done = 0;
	long long m0, m1;
	uint8_t v;
	pthread_t t;

	STEP("A: put-backs on one channel after another");
	sem_init(&rd.go, 0, 0);
	sem_init(&rd.done, 0, 0);
	t = spawn(reader, NULL);
	m0 = hard_mem();
	for (i = 0; i < n; i++) {
		struct chan_round *r = &rounds[i];

		r->cap = i % 2 ? 0 : 1;
		r->fd = chan_make(1, r->cap, 0);
		if (r->fd < 0) {
			CHECK_EQ("L5", r->fd, -EMFILE);
			refused = 1;
			break;
		}
		rd.fd = r->fd;
		rd.finished = 0;
		sem_post(&rd.go);
		if (!reader_blocked(r->fd)) {
			/* The budget refused the read's scratch up front. */
			while (sem_wait(&rd.done) < 0)
				;
			CHECK_EQ("L5", rd.ret, -1);
			CHECK_EQ("L5", rd.err, EMFILE);
			done++;
			refused = 2;
			break;
		}
		STEP("A: the read's buffer made read-only, an element sent");
		CHECK_SYS("L5", mprotect(buf, SCRATCH, PROT_READ));
		v = (uint8_t)(2 * i);
		CHECK_EQ("R2", chan_send(r->fd, &v), 0);
		r->sent = 1;
		if (r->cap) {
			/* The slot is free until the element comes back. */
			v = (uint8_t)(2 * i + 1);
			if (chan_try_send(r->fd, &v) == 0)
				r->sent = 2;
		}
		while (sem_wait(&rd.done) < 0)
			;
		CHECK_EQ("L2", rd.ret, -1);
		CHECK_EQ("L2", rd.err, EFAULT);
		CHECK_SYS("L5", mprotect(buf, SCRATCH, PROT_READ | PROT_WRITE));
		if (r->cap && chan_info_of(r->fd).len > (uint32_t)r->cap)
			over_cap++;
		done++;
	}
	m1 = hard_mem();
	rd.fd = -1;
	sem_post(&rd.go);
	join(t);

	fprintf(stderr, "l5_putback_budget: A: %d put-backs on %d channels%s; memory.current grew %lld KiB (budget %lld KiB); len > cap after %d put-backs\n",
		done - (refused == 2), i,
		refused == 1 ? ", then chan_make: EMFILE" :
		refused == 2 ? ", then read: EMFILE" : "",
		(m1 - m0) >> 10, BUDGET >> 10, over_cap);
	SOFT("L5", m1 - m0 <= BUDGET + (2LL << 20),
	     "%d put-backs pinned %lld KiB, over the budget of %lld KiB + 2 MiB",
	     done, (m1 - m0) >> 10, BUDGET >> 10);
	SOFT("R1", over_cap == 0,
	     "a put-back left len above cap on %d buffered channels", over_cap);

	STEP("A: every element comes back once, in order");
	for (int j = 0; j < i; j++) {
		struct chan_round *r = &rounds[j];
		uint8_t got;
		int k;

		for (k = 0; k < r->sent; k++) {
			got = 0xff;
			CHECK_EQ("R5", chan_try_recv(r->fd, &got), 1);
			SOFT("R1", got == (uint8_t)(2 * j + k),
			     "channel %d (cap %d): element %d is %u, want %u",
			     j, r->cap, k, got, (uint8_t)(2 * j + k));
		}
		CHECK_EQ("R5", chan_try_recv(r->fd, &got), -EAGAIN);
		close(r->fd);
	}
	if (refused)
		close(rounds[i].fd);
}

/* Part B: READERS threads blocked in read(2) of @bytes each. */
static int b_fds[READERS];
static size_t b_bytes;
static volatile int b_refused;

static void *b_reader(void *arg)
{
	int fd = (int)(intptr_t)arg;
	ssize_t r = read(fd, buf, b_bytes);

	if (r < 0 && errno == EMFILE)
		__atomic_add_fetch(&b_refused, 1, __ATOMIC_SEQ_CST);
	else
		CHECK_EQ("K3", r, 0);
	return NULL;
}

static long long blocked_growth(size_t bytes, int *refused)
{
	pthread_t t[READERS];
	pthread_attr_t attr;
	long long m0, m1;
	int i;

	b_bytes = bytes;
	b_refused = 0;
	for (i = 0; i < READERS; i++)
		b_fds[i] = CHECK_OK("L5", chan_make(1, 0, 0));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	m0 = hard_mem();
	for (i = 0; i < READERS; i++)
		CHECK_EQ("L5", pthread_create(&t[i], &attr, b_reader,
					      (void *)(intptr_t)b_fds[i]), 0);
	STEP("B: waiting for the readers to block (or be refused)");
	for (;;) {
		int blocked = 0;

		for (i = 0; i < READERS; i++)
			blocked += chan_info_of(b_fds[i]).recv_waiters;
		if (blocked + b_refused == READERS)
			break;
		usleep(1000);
	}
	sleep_ms(100);
	m1 = hard_mem();
	for (i = 0; i < READERS; i++)
		CHECK_EQ("K1", chan_close(b_fds[i]), 0);
	for (i = 0; i < READERS; i++)
		join(t[i]);
	for (i = 0; i < READERS; i++)
		close(b_fds[i]);
	*refused = b_refused;
	return m1 - m0;
}

static void part_b(void)
{
	long long small, big;
	int r_small, r_big;

	STEP("B: reads blocked with 1 byte, then 64 KiB");
	small = blocked_growth(1, &r_small);
	big = blocked_growth(SCRATCH, &r_big);
	fprintf(stderr, "l5_putback_budget: B: %d reads blocked: memory.current +%lld KiB with 1 byte each, +%lld KiB with 64 KiB each (%d refused with EMFILE)\n",
		READERS, small >> 10, big >> 10, r_big);
	CHECK_EQ("L5", r_small, 0);
	SOFT("L5", big - small <= BUDGET + (1LL << 20),
	     "%d blocked reads of 64 KiB hold %lld KiB more than reads of 1 byte, over the budget of %lld KiB + 1 MiB",
	     READERS - r_big, (big - small) >> 10, BUDGET >> 10);
}

static void body(void)
{
	hard_set_param("user_budget_bytes", BUDGET);
	raise_nofile(ROUNDS + READERS + 100);
	become_user("L4", UID);
	buf = mmap(NULL, SCRATCH, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("L5", buf != MAP_FAILED);
	memset(buf, 0, SCRATCH);

	part_a();
	part_b();
	hard_finish();
}

int main(void)
{
	hard_main("L5 L4 R1 R5", "put-backs and blocked reads are within the user's budget",
		  120, HARD_CGROUP, body);
}
