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
 *
 * The second round adds a thread that signals the workers as fast as it
 * can; their handler does a chan_try_send and a chan_try_recv on a ring
 * channel of its own (a Go program's signal.Notify), interrupting the
 * workers' fast-path calls at any instruction.  The handler's calls must
 * not leave the interrupted call's mapping unprotected.
 *
 * Checked: no thread faults (the process would die of SIGSEGV), and the
 * elements sent through N, whichever channel it named, are the ones
 * received through it plus those still buffered (R5); the same for the
 * handlers' channel.
 */
#include "ring.h"

#include <signal.h>

#define WORKERS		3
/* The signals' round is the longer: its race needs more tries to show. */
#define SECONDS		2
#define SIGNAL_SECONDS	5
#define CHANS		2

static int fdn;				/* the number every worker uses */
static int chans[CHANS];		/* the channels, at numbers of their own */
static int sigch;			/* the handlers' channel */
static pthread_t workers[WORKERS];
static _Atomic int stop;
static _Atomic long got, sig_sent, sig_got, handled;

static void on_usr1(int sig)
{
	uint64_t v = (uint64_t)sig;
	int saved = errno, r;

	r = chan_try_send(sigch, &v);
	if (r == 0)
		atomic_fetch_add(&sig_sent, 1);
	else if (r != -EAGAIN)
		_exit(3);
	r = chan_try_recv(sigch, &v);
	if (r == 1)
		atomic_fetch_add(&sig_got, 1);
	else if (r != -EAGAIN)
		_exit(4);
	atomic_fetch_add(&handled, 1);
	errno = saved;
}

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

static void *signaller(void *unused)
{
	unsigned int i = 0;

	(void)unused;
	while (!atomic_load(&stop)) {
		pthread_kill(workers[i++ % WORKERS], SIGUSR1);
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

/* How many elements are buffered in @ch: all received. */
static long drain(int ch)
{
	long n = 0;
	uint64_t v;
	int r;

	while ((r = chan_try_recv(ch, &v)) == 1)
		n++;
	CHECK_EQ("M2", r, -EAGAIN);
	return n;
}

/* One round: workers on fd N while it flips, with signals or not. */
static void round_of(bool signals)
{
	long total = 0, left = 0;
	pthread_t sig_thread;
	int i, flips = 0;
	time_t end;

	atomic_store(&stop, 0);
	atomic_store(&got, 0);
	for (i = 0; i < WORKERS; i++)
		CHECK_EQ("M2", pthread_create(&workers[i], NULL, worker,
					      (void *)(uintptr_t)i), 0);
	if (signals)
		CHECK_EQ("M2", pthread_create(&sig_thread, NULL, signaller,
					      NULL), 0);
	end = time(NULL) + (signals ? SIGNAL_SECONDS : SECONDS);
	while (time(NULL) < end) {
		CHECK_SYS("M2", dup2(chans[++flips % CHANS], fdn));
		usleep(200);
	}
	atomic_store(&stop, 1);
	if (signals)
		CHECK_EQ("M2", pthread_join(sig_thread, NULL), 0);
	for (i = 0; i < WORKERS; i++) {
		void *k;

		CHECK_EQ("M2", pthread_join(workers[i], &k), 0);
		total += (long)k;
	}
	/* What is still buffered was sent and not yet received. */
	for (i = 0; i < CHANS; i++)
		left += drain(chans[i]);
	CHECK_EQ("R5", (long long)(atomic_load(&got) + left), (long long)total);
	printf("m2_fd_reuse: %d replacements of fd %d, %ld elements sent and "
	       "received, %ld signals handled, no fault\n", flips, fdn, total,
	       atomic_load(&handled));
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };

	test_start("M2 R5", "a ring's fd number reused while threads use it, also from signal handlers",
		   60);
	for (int i = 0; i < CHANS; i++)
		chans[i] = CHECK_OK("M2", chan_make(8, 64, CHAN_RING));
	sigch = CHECK_OK("M2", chan_make(8, 16, CHAN_RING));
	fdn = CHECK_SYS("M2", dup(chans[0]));
	CHECK_SYS("M2", sigaction(SIGUSR1, &sa, NULL));

	STEP("threads on a reused fd");
	round_of(false);
	STEP("threads on a reused fd, interrupted by handlers on a ring");
	round_of(true);
	CHECK("M2", atomic_load(&handled) > 0);
	CHECK_EQ("R5", (long long)(atomic_load(&sig_got) + drain(sigch)),
		 (long long)atomic_load(&sig_sent));
	test_pass();
}
