// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * select: Go's select, with a timeout and a default, in C.
 *
 * A ticker goroutine sends ticks; a worker goroutine sends one result after
 * a while; main waits on both with a timeout, the way a Go program writes
 *
 *	select {
 *	case t := <-ticks:   ...
 *	case r := <-results: ...
 *	case <-time.After(500 * time.Millisecond): ...
 *	}
 *
 * and before it starts, polls them with Go's default:
 *
 *	select {
 *	case r := <-results: ...
 *	default: fmt.Println("nothing ready yet")
 *	}
 *
 * It checks what it can be sure of, however the threads are scheduled: the
 * default finds nothing, the result arrives exactly once, the ticks come in
 * order, and once both goroutines are done the timeout fires.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <chan.h>

#define TICKS	5

static int ticks, results;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void *ticker(void *arg)
{
	for (long t = 1; t <= TICKS; t++) {
		sleep_ms(20);
		chan_send(ticks, &t);			/* ticks <- t */
	}
	chan_close(ticks);				/* close(ticks) */
	return arg;
}

static void *worker(void *arg)
{
	long answer = 42;

	sleep_ms(50);
	chan_send(results, &answer);			/* results <- 42 */
	return arg;
}

int main(void)
{
	long tick = 0, last_tick = 0, result = 0;
	int nresults = 0, r;
	bool ticking = true;
	struct chan_case cases[] = {
		{ .ch = -1, .op = CHAN_OP_RECV, .elem = &tick },
		{ .ch = -1, .op = CHAN_OP_RECV, .elem = &result },
	};

	ticks = chan_make(sizeof(long), 0, 0);
	results = chan_make(sizeof(long), 0, 0);
	if (ticks < 0 || results < 0) {
		fprintf(stderr, "select: chan_make: %s\n", strerror(-ticks));
		return 1;
	}
	cases[0].ch = ticks;
	cases[1].ch = results;

	/* Nothing has started yet: a select with default does not wait. */
	r = chan_select(cases, 2, 0);
	printf("select with default: %s\n",
	       r == -EAGAIN ? "nothing ready yet" : "something was ready?");
	if (r != -EAGAIN)
		return 1;

	chan_go(ticker, NULL);
	chan_go(worker, NULL);
	while (ticking || !nresults) {
		r = chan_select(cases, 2, 500 * 1000 * 1000);	/* 500 ms */
		switch (r) {
		case 0:
			if (!cases[0].ok) {
				/* Closed: as in Go, a nil channel is never ready. */
				printf("ticks closed\n");
				cases[0].ch = -1;
				ticking = false;
				break;
			}
			printf("tick %ld\n", tick);
			if (tick != last_tick + 1)
				return 1;
			last_tick = tick;
			break;
		case 1:
			printf("result %ld\n", result);
			nresults++;
			break;
		case -ETIMEDOUT:
			/* A slow machine: the goroutines are still coming. */
			printf("timeout: nothing for 500 ms, waiting on\n");
			break;
		default:
			fprintf(stderr, "select: %s\n", strerror(-r));
			return 1;
		}
	}
	/* Both goroutines are done: nothing can come, so the timeout fires. */
	r = chan_select(cases, 2, 500 * 1000 * 1000);
	printf("%s\n", r == -ETIMEDOUT ? "timeout: nothing for 500 ms" :
					 "select returned early?");
	printf("%ld ticks, %d result, then a timeout\n", last_tick, nresults);
	return r == -ETIMEDOUT && last_tick == TICKS && nresults == 1 &&
	       result == 42 ? 0 : 1;
}
