// SPDX-License-Identifier: GPL-2.0
/*
 * M2: libchan keeps its mapping of a ring channel per fd number, and unmaps
 * it once it sees that the number names another file.  A thread may still
 * be inside a fast-path send or receive through that mapping when another
 * thread closes the fd, reuses the number and notices: the mapping must
 * not go away under it.
 *
 * WORKERS threads send and receive on fd number N as fast as they can,
 * while a thread replaces the file behind N (dup2(2)) with another ring
 * channel's, then back, again and again; each replacement makes the next
 * libchan call on N, in any of the threads, unmap the mapping it cached.
 * The file behind N is always a ring channel that may send and receive,
 * so every call must succeed or find the channel full or empty (EAGAIN).
 * Checked: no thread faults (the process would die of SIGSEGV), and the
 * elements sent through N, whichever channel it named, are the ones
 * received through it plus those still buffered (R5).
 */
#include "ring.h"

#define WORKERS		3
#define SECONDS		4
#define CHANS		2

static int fdn;				/* the number every worker uses */
static int chans[CHANS];		/* the channels, at numbers of their own */
static _Atomic int stop;
static _Atomic long got;

static void *worker(void *arg)
{
	uint64_t v = (uintptr_t)arg;
	long k = 0;
	int r;

	while (!atomic_load(&stop)) {
		r = chan_try_send(fdn, &v);
		if (r == 0)
			k++;
		else
			CHECK_EQ("M2", r, -EAGAIN);
		r = chan_try_recv(fdn, &v);
		if (r == 1)
			atomic_fetch_add(&got, 1);
		else
			CHECK_EQ("M2", r, -EAGAIN);
	}
	return (void *)k;
}

int main(void)
{
	pthread_t t[WORKERS];
	long total = 0, left;
	uint64_t v;
	time_t end;
	int i, r, flips = 0;

	test_start("M2 R5", "a ring's fd number reused while threads use it",
		   60);
	for (i = 0; i < CHANS; i++)
		chans[i] = CHECK_OK("M2", chan_make(8, 64, CHAN_RING));
	fdn = CHECK_SYS("M2", dup(chans[0]));
	for (i = 0; i < WORKERS; i++)
		CHECK_EQ("M2", pthread_create(&t[i], NULL, worker,
					      (void *)(uintptr_t)i), 0);
	end = time(NULL) + SECONDS;
	while (time(NULL) < end) {
		CHECK_SYS("M2", dup2(chans[++flips % CHANS], fdn));
		usleep(200);
	}
	atomic_store(&stop, 1);
	for (i = 0; i < WORKERS; i++) {
		void *k;

		CHECK_EQ("M2", pthread_join(t[i], &k), 0);
		total += (long)k;
	}
	/* What is still buffered was sent and not yet received. */
	left = 0;
	for (i = 0; i < CHANS; i++) {
		while ((r = chan_try_recv(chans[i], &v)) == 1)
			left++;
		CHECK_EQ("M2", r, -EAGAIN);
	}
	CHECK_EQ("R5", (long long)(atomic_load(&got) + left), (long long)total);
	printf("m2_fd_reuse: %d replacements of fd %d, %ld elements sent and "
	       "received, no fault\n", flips, fdn, total);
	test_pass();
}
