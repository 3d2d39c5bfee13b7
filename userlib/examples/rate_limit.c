// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * rate_limit: Go by Example's rate limiting, on a ticker:
 *
 *	limiter := time.Tick(20 * time.Millisecond)
 *	for req := range requests {
 *		<-limiter
 *		fmt.Println("request", req, time.Now())
 *	}
 *
 * Ten requests wait in a buffered channel; each is served after a tick, so
 * serving them takes at least nine periods, and no two are served less
 * than half a period apart (a ticker keeps no backlog of ticks to burst).
 */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <chan.h>

#define REQUESTS	10
#define PERIOD_NS	(20 * 1000000LL)

int main(void)
{
	int requests = chan_make(sizeof(int), REQUESTS, 0);
	int limiter = chan_tick(PERIOD_NS);
	int64_t served[REQUESTS], tick;
	int req, n = 0;

	if (requests < 0 || limiter < 0) {
		fprintf(stderr, "rate_limit: chan_make/chan_tick failed\n");
		return 1;
	}
	for (req = 1; req <= REQUESTS; req++)
		chan_send(requests, &req);
	chan_close(requests);

	while (chan_recv(requests, &req) == 1) {	/* for req := range requests */
		if (chan_recv(limiter, &tick) != 1)	/* <-limiter */
			return 1;
		served[n++] = tick;
		printf("request %d at tick %lld ms\n", req,
		       (long long)((tick - served[0]) / 1000000));
	}
	close(limiter);
	if (n != REQUESTS) {
		fprintf(stderr, "rate_limit: FAIL: %d requests served\n", n);
		return 1;
	}
	for (int i = 1; i < n; i++)
		if (served[i] - served[i - 1] < PERIOD_NS / 2) {
			fprintf(stderr, "rate_limit: FAIL: requests %d and %d %lld ns apart\n",
				i, i + 1, (long long)(served[i] - served[i - 1]));
			return 1;
		}
	if (served[n - 1] - served[0] < (n - 1) * PERIOD_NS * 9 / 10) {
		fprintf(stderr, "rate_limit: FAIL: %d requests in %lld ms\n", n,
			(long long)((served[n - 1] - served[0]) / 1000000));
		return 1;
	}
	printf("rate_limit: %d requests, one per tick of %lld ms\n", n,
	       (long long)(PERIOD_NS / 1000000));
	return 0;
}
