// SPDX-License-Identifier: GPL-2.0
/*
 * The README's quick start, built by tests/install/check against an
 * installed libchan (pkg-config, and -l:libchan.a), the way a program
 * outside this tree builds.  It checks its own answer.
 */
#include <stdio.h>
#include <chan.h>

static int jobs, results;

static void *worker(void *arg)
{
	int j;

	while (chan_recv(jobs, &j) > 0) {		/* for j := range jobs */
		j *= j;
		chan_send(results, &j);			/* results <- j * j */
	}
	return arg;
}

int main(void)
{
	struct waitgroup wg = WAITGROUP_INIT;
	int r, sum = 0;

	jobs = chan_make(sizeof(int), 100, 0);		/* make(chan int, 100) */
	results = chan_make(sizeof(int), 100, 0);
	if (jobs < 0 || results < 0) {
		fprintf(stderr, "quickstart: chan_make: %d %d\n", jobs, results);
		return 1;
	}
	for (int w = 0; w < 3; w++)
		waitgroup_go(&wg, worker, NULL);	/* wg.Go(worker) */
	for (int j = 1; j <= 100; j++)
		chan_send(jobs, &j);			/* jobs <- j */
	chan_close(jobs);				/* close(jobs): workers finish */
	waitgroup_wait(&wg);				/* wg.Wait() */
	chan_close(results);
	while (chan_recv(results, &r) > 0)		/* for r := range results */
		sum += r;
	printf("sum of squares 1..100: %d\n", sum);	/* 338350 */
	return sum == 338350 ? 0 : 1;
}
