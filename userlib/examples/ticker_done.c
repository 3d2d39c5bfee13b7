// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * ticker_done: workers driven by a ticker that stop when a done channel is
 * closed, Go's context cancellation pattern:
 *
 *	for {
 *		select {
 *		case <-ctx.Done():
 *			return
 *		case <-ticker.C:
 *			work()
 *		}
 *	}
 *
 * Closing done is a broadcast: every receiver, now and later, sees it
 * closed.  Three workers each do work on their own 10 ms ticker; main
 * cancels after 200 ms and checks that all three stopped, each after doing
 * some work, and that none worked any more 100 ms after the cancel.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <chan.h>

#define WORKERS	3

static int done;
static atomic_int stopped;
static atomic_int ticks[WORKERS];

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	int ticker = chan_tick(10 * 1000000LL);	/* time.NewTicker(10ms) */
	int64_t t;
	struct chan_case cases[] = {
		{ .ch = done, .op = CHAN_OP_RECV, .elem = NULL },
		{ .ch = ticker, .op = CHAN_OP_RECV, .elem = &t },
	};

	for (;;) {
		int i = chan_select(cases, 2, -1);

		if (i == 0 || i < 0)
			break;				/* <-ctx.Done() */
		atomic_fetch_add(&ticks[id], 1);	/* work() */
	}
	close(ticker);					/* ticker.Stop() */
	atomic_fetch_add(&stopped, 1);
	return NULL;
}

int main(void)
{
	struct timespec run = { 0, 200 * 1000000L }, settle = { 0, 100 * 1000000L };
	int before[WORKERS], i;

	done = chan_make(0, 0, 0);			/* ctx, cancel := ... */
	if (done < 0)
		return 1;
	for (i = 0; i < WORKERS; i++)
		if (chan_go(worker, (void *)(intptr_t)i))
			return 1;
	nanosleep(&run, NULL);
	chan_close(done);				/* cancel() */
	nanosleep(&settle, NULL);
	for (i = 0; i < WORKERS; i++)
		before[i] = ticks[i];
	nanosleep(&settle, NULL);
	for (i = 0; i < WORKERS; i++) {
		printf("worker %d: %d ticks\n", i, ticks[i]);
		if (!ticks[i] || ticks[i] != before[i]) {
			fprintf(stderr, "ticker_done: FAIL: worker %d did %d ticks, then %d\n",
				i, before[i], ticks[i]);
			return 1;
		}
	}
	if (atomic_load(&stopped) != WORKERS) {
		fprintf(stderr, "ticker_done: FAIL: %d of %d workers stopped\n",
			atomic_load(&stopped), WORKERS);
		return 1;
	}
	printf("ticker_done: all %d workers stopped when done was closed\n", WORKERS);
	return 0;
}
