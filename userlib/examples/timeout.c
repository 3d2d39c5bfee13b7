// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * timeout: a deadline per request with chan_after in a select, Go's
 *
 *	select {
 *	case r := <-reply:
 *	case <-time.After(50 * time.Millisecond):
 *		fmt.Println("request", i, "timed out")
 *	}
 *
 * A server goroutine answers each request in a goroutine of its own
 * (go handle(req)), taking longer for odd ones (200 ms) than the client
 * waits (50 ms).  The client must see every even request
 * answered with its square and every odd one time out.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <chan.h>

#define REQUESTS	6
#define WAIT_NS		(50 * 1000000LL)

struct request {
	long n;
	int reply;	/* send-only end of a channel of long, cap 1 */
};

static int requests;
static struct request reqs[REQUESTS];

static void *handle(void *arg)
{
	struct request *req = arg;
	long sq = req->n * req->n;
	struct timespec slow = { 0, 200 * 1000000L };

	if (req->n % 2)
		nanosleep(&slow, NULL);
	chan_send(req->reply, &sq);		/* buffered: never blocks */
	close(req->reply);
	return NULL;
}

static void *server(void *arg)
{
	int i;

	while (chan_recv(requests, &i) == 1)
		chan_go(handle, &reqs[i]);	/* go handle(req) */
	return arg;
}

int main(void)
{
	int ok = 0, timed_out = 0;

	requests = chan_make(sizeof(int), 0, 0);
	if (requests < 0 || chan_go(server, NULL)) {
		fprintf(stderr, "timeout: cannot start: %s\n", strerror(-requests));
		return 1;
	}
	for (int i = 0; i < REQUESTS; i++) {
		long answer = -1;
		int64_t fired;
		int reply = chan_make(sizeof(long), 1, 0);
		int timer = chan_after(WAIT_NS);	/* time.After(50ms) */
		struct chan_case cases[] = {
			{ .ch = reply, .op = CHAN_OP_RECV, .elem = &answer },
			{ .ch = timer, .op = CHAN_OP_RECV, .elem = &fired },
		};

		/* The handler's own end: it may answer after we gave up. */
		reqs[i] = (struct request){ .n = i,
			.reply = chan_dup(reply, CHAN_SEND_ONLY) };
		if (reply < 0 || timer < 0 || reqs[i].reply < 0) {
			fprintf(stderr, "timeout: chan_make/chan_after failed\n");
			return 1;
		}
		chan_send(requests, &i);
		switch (chan_select(cases, 2, -1)) {
		case 0:
			printf("request %d: %ld\n", i, answer);
			ok += i % 2 == 0 && answer == i * i;
			break;
		case 1:
			printf("request %d timed out\n", i);
			timed_out += i % 2 == 1;
			break;
		default:
			return 1;
		}
		close(timer);
		close(reply);
	}
	chan_close(requests);
	if (ok != REQUESTS / 2 || timed_out != REQUESTS / 2) {
		fprintf(stderr, "timeout: FAIL: %d answered, %d timed out\n", ok,
			timed_out);
		return 1;
	}
	printf("timeout: %d answered in time, %d timed out, as they should\n",
	       ok, timed_out);
	return 0;
}
