// SPDX-License-Identifier: MIT
/*
 * waitgroup: the WaitGroup mistake of the goroutine introduction.
 *
 * Go's text warns against calling wg.Add(1) inside the goroutine: if the
 * goroutine has not been scheduled yet when main calls wg.Wait(), the
 * counter is still zero and Wait returns at once, before any work was done.
 * The cure is to add before the goroutine starts; waitgroup_go() does the
 * add and the start in one call (rule W6), so it cannot be forgotten.
 *
 * Every worker reports that it ran by sending its number on a buffered
 * channel, so chan_len() of that channel at the moment the wait returns is
 * how many workers had finished by then.
 *
 *   1. wrong, forced: whether the scheduler delays the workers is luck, so
 *      a gate (a channel nobody sends on) stands for "not scheduled yet":
 *      each worker waits at the gate before its waitgroup_add().  The wait
 *      then returns with no work done, every time.
 *   2. wrong, left to the scheduler: the same without the gate; how many
 *      workers the wait missed is reported, not checked.
 *   3. right: waitgroup_go(), with the same gate opened only later by
 *      another goroutine.  The wait must see every worker finished.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <chan.h>

#define WORKERS	4

static struct waitgroup wg = WAITGROUP_INIT;

/* Set by main before it starts workers; only read while they run. */
static int gate = -1;		/* closed to let workers on; < 0: no gate */
static int finished;		/* workers send their number here */

static void die(const char *what, int ret)
{
	if (ret < 0)
		fprintf(stderr, "waitgroup: %s: %s\n", what, strerror(-ret));
	else
		fprintf(stderr, "waitgroup: %s: unexpected %d\n", what, ret);
	exit(1);
}

/* Block until the gate is closed (K3: a closed channel's receive is 0). */
static void wait_at_gate(void)
{
	int ret;

	if (gate < 0)
		return;
	ret = chan_recv(gate, NULL);
	if (ret)
		die("chan_recv(gate)", ret);
}

static void work(intptr_t id)
{
	int v = (int)id, ret;

	ret = chan_send(finished, &v);
	if (ret)
		die("chan_send(finished)", ret);
}

/* Go's text, wrong: wg.Add(1) inside the goroutine. */
static void *worker_adds_inside(void *arg)
{
	int ret;

	wait_at_gate();
	ret = waitgroup_add(&wg, 1);
	if (ret)
		die("waitgroup_add", ret);
	work((intptr_t)arg);
	waitgroup_done(&wg);
	return NULL;
}

/* Go's text, right: the caller added one for us; waitgroup_go() calls done. */
static void *worker(void *arg)
{
	wait_at_gate();
	work((intptr_t)arg);
	return NULL;
}

/* Plays a slow scheduler: lets the gated workers run a little later. */
static void *gate_opener(void *arg)
{
	struct timespec later = { .tv_nsec = 50 * 1000 * 1000 };
	int ret;

	(void)arg;
	nanosleep(&later, NULL);
	ret = chan_close(gate);
	if (ret)
		die("chan_close(gate)", ret);
	return NULL;
}

static int make_chan(size_t elem_size, size_t cap)
{
	int ch = chan_make(elem_size, cap, 0);

	if (ch < 0)
		die("chan_make", ch);
	return ch;
}

/* Workers that finished so far. */
static int finished_now(void)
{
	int n = chan_len(finished);

	if (n < 0)
		die("chan_len", n);
	return n;
}

/*
 * After a wrong wait: let every worker through, take its report, and wait
 * again.  This wait is safe: a worker reports after its add, so once all
 * reports are in, every add has happened and the wait cannot miss one.
 */
static void collect_stragglers(void)
{
	int v, ret;

	if (gate >= 0) {
		ret = chan_close(gate);
		if (ret)
			die("chan_close(gate)", ret);
	}
	for (int i = 0; i < WORKERS; i++) {
		ret = chan_recv(finished, &v);
		if (ret != 1)
			die("chan_recv(finished)", ret);
	}
	waitgroup_wait(&wg);
}

static void start_workers(void *(*fn)(void *), int with_wg)
{
	int ret;

	for (intptr_t i = 0; i < WORKERS; i++) {
		if (with_wg)
			ret = waitgroup_go(&wg, fn, (void *)i);
		else
			ret = chan_go(fn, (void *)i);
		if (ret)
			die("starting a worker", ret);
	}
}

int main(void)
{
	int seen, ret, ok = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	finished = make_chan(sizeof(int), WORKERS);

	/* 1. Add inside the goroutine, workers held back: a certain miss. */
	gate = make_chan(0, 0);
	start_workers(worker_adds_inside, 0);
	waitgroup_wait(&wg);
	seen = finished_now();
	printf("add inside, delayed workers: wait returned after %d of %d workers finished\n",
	       seen, WORKERS);
	/* Nobody is past the gate, so nobody can have finished. */
	if (seen != 0) {
		fprintf(stderr, "waitgroup: FAIL: a worker passed the gate before it opened\n");
		ok = 0;
	}
	collect_stragglers();
	close(gate);
	gate = -1;

	/* 2. Add inside the goroutine, timing left to the scheduler. */
	start_workers(worker_adds_inside, 0);
	waitgroup_wait(&wg);
	seen = finished_now();
	printf("add inside, no delay:        wait returned after %d of %d workers finished%s\n",
	       seen, WORKERS, seen < WORKERS ? " (the race)" :
	       " (lucky this time; the race is still there)");
	collect_stragglers();

	/* 3. waitgroup_go(): added before each worker exists (W6). */
	gate = make_chan(0, 0);
	start_workers(worker, 1);
	ret = chan_go(gate_opener, NULL);
	if (ret)
		die("chan_go", ret);
	waitgroup_wait(&wg);
	seen = finished_now();
	printf("waitgroup_go, delayed:       wait returned after %d of %d workers finished\n",
	       seen, WORKERS);
	if (seen != WORKERS) {
		fprintf(stderr, "waitgroup: FAIL: the wait missed a worker\n");
		ok = 0;
	}

	if (!ok)
		return 1;
	printf("waitgroup: ok, waitgroup_go waited for every worker\n");
	return 0;
}
