// SPDX-License-Identifier: MIT
/*
 * race: the race condition of the goroutine introduction, then its cure.
 *
 * Go's text starts a goroutine that does sharedData++ while main reads
 * sharedData: what main sees depends on who is scheduled first.  Here a
 * goroutine and main both add 1 to one counter, many times over:
 *
 *   1. sharing memory: each increment is a load and a store, and an
 *      increment of the other side that lands between them is lost.  How
 *      many are lost depends on the scheduler, so they are reported, never
 *      checked: a run that loses none is just lucky.
 *   2. communicating instead: the counter lives in a channel with room for
 *      one value.  Whoever wants to add takes the value out, adds, and puts
 *      it back; while one side holds it the other blocks in chan_recv, so
 *      no increment can be lost and the total must be exact.
 *
 * Go's text names locking (a mutex) as the usual cure; the channel is the CSP
 * answer it goes on to: do not communicate by sharing memory, share memory
 * by communicating.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chan.h>

#define ROUNDS_SHARED	10000000
/* Every round trip is two system calls on each side: fewer rounds. */
#define ROUNDS_CHAN	10000

/* A call returned ret where it should not have: say so and fail. */
static void die(const char *what, int ret)
{
	if (ret < 0)
		fprintf(stderr, "race: %s: %s\n", what, strerror(-ret));
	else
		fprintf(stderr, "race: %s: unexpected %d\n", what, ret);
	exit(1);
}

/*
 * The racy counter.  counter++ on a plain int from two threads is undefined
 * behaviour in C, and the compiler may turn the loop into a single add of
 * ROUNDS_SHARED that hides the race.  Relaxed atomic loads and stores keep
 * the program defined and the load and the store apart, exactly where the
 * CPU's own counter++ would race.
 */
static atomic_long shared;
static struct waitgroup shared_wg = WAITGROUP_INIT;

static void add_shared(void)
{
	for (long i = 0; i < ROUNDS_SHARED; i++) {
		long v = atomic_load_explicit(&shared, memory_order_relaxed);

		atomic_store_explicit(&shared, v + 1, memory_order_relaxed);
	}
}

/*
 * Starting a thread takes longer than many increments, so a goroutine that
 * just ran off could finish before main began and hide the race.  Both
 * sides meet on an unbuffered channel first (a send completes only when
 * the receive does, R2) and so start counting at about the same moment.
 */
static void *shared_goroutine(void *arg)
{
	int start = *(int *)arg, ret;

	ret = chan_send(start, NULL);
	if (ret)
		die("chan_send(start)", ret);
	add_shared();
	return NULL;
}

static void race_by_sharing(void)
{
	long want = 2L * ROUNDS_SHARED, got;
	int start, ret;

	start = chan_make(0, 0, 0);
	if (start < 0)
		die("chan_make(start)", start);
	ret = waitgroup_go(&shared_wg, shared_goroutine, &start);
	if (ret)
		die("waitgroup_go", ret);
	ret = chan_recv(start, NULL);
	if (ret != 1)
		die("chan_recv(start)", ret);
	add_shared();
	waitgroup_wait(&shared_wg);	/* cannot fail */
	close(start);

	got = atomic_load(&shared);
	printf("sharing memory:   %ld increments, counter %ld: %ld lost%s\n",
	       want, got, want - got,
	       got == want ? " (lucky this time; the race is still there)" :
			     " to the race");
}

/* The channel that holds the counter, and the one that says "finished". */
struct counter_chans {
	int counter;
	int done;
};

/* Take the counter out of its channel, add one, put it back. */
static void add_by_channel(int counter)
{
	long v;
	int ret;

	for (long i = 0; i < ROUNDS_CHAN; i++) {
		ret = chan_recv(counter, &v);
		if (ret != 1)
			die("chan_recv(counter)", ret);
		v++;
		ret = chan_send(counter, &v);
		if (ret)
			die("chan_send(counter)", ret);
	}
}

static void *chan_goroutine(void *arg)
{
	struct counter_chans *t = arg;
	int err;

	add_by_channel(t->counter);
	/* A close is seen by every receiver: Go's close(done). */
	err = chan_close(t->done);
	if (err)
		die("chan_close(done)", err);
	return NULL;
}

static int race_by_communicating(void)
{
	struct counter_chans t;
	long v = 0, want = 2L * ROUNDS_CHAN;
	int ret;

	/* cap 1: the value has a place to rest while nobody holds it. */
	t.counter = chan_make(sizeof(long), 1, 0);
	if (t.counter < 0)
		die("chan_make(counter)", t.counter);
	/* Element size 0: Go's chan struct{}, a pure signal. */
	t.done = chan_make(0, 0, 0);
	if (t.done < 0)
		die("chan_make(done)", t.done);

	ret = chan_send(t.counter, &v);
	if (ret)
		die("chan_send(counter)", ret);
	ret = chan_go(chan_goroutine, &t);
	if (ret)
		die("chan_go", ret);
	add_by_channel(t.counter);

	/* 0: done was closed, so the goroutine will not touch counter again. */
	ret = chan_recv(t.done, NULL);
	if (ret)
		die("chan_recv(done)", ret);
	ret = chan_recv(t.counter, &v);
	if (ret != 1)
		die("chan_recv(counter)", ret);

	printf("communicating:    %ld increments, counter %ld: %ld lost\n",
	       want, v, want - v);
	close(t.counter);
	close(t.done);
	return v == want;
}

int main(void)
{
	/* Output order must not depend on buffering if stdout is a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	race_by_sharing();
	if (!race_by_communicating()) {
		fprintf(stderr, "race: FAIL: the channel lost increments\n");
		return 1;
	}
	printf("race: ok, the channel version is exact\n");
	return 0;
}
