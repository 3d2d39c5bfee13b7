/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * fan_in.h: the clients of the fan-in servers (fan_in_set.c and
 * fan_in_uring.c).  Ten producer goroutines own 100 client channels each
 * and send MSGS numbered messages on every one of them, then close them;
 * the server must see every message once, each client's in the order they
 * were sent.
 */
#ifndef FAN_IN_H
#define FAN_IN_H

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <chan.h>

#define CLIENTS		1000
#define PRODUCERS	10
#define MSGS		20

struct msg {
	int client;
	int seq;
};

static int chans[CLIENTS];	/* client c's channel, capacity 4 */
static int next_seq[CLIENTS];	/* the next message the server expects */

static void *fan_in_produce(void *arg)
{
	int first = (int)(long)arg, seq, c;

	for (seq = 0; seq < MSGS; seq++) {
		for (c = first; c < first + CLIENTS / PRODUCERS; c++) {
			struct msg m = { c, seq };

			chan_send(chans[c], &m);
		}
	}
	for (c = first; c < first + CLIENTS / PRODUCERS; c++)
		chan_close(chans[c]);
	return NULL;
}

/* Make the clients' channels: 0, or -1 with a message. */
static int fan_in_make(const char *prog)
{
	struct rlimit nofile;
	int c;

	/* 1,000 channel fds and a few more. */
	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < 1100) {
		nofile.rlim_cur = nofile.rlim_max < 1100 ? nofile.rlim_max : 1100;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	for (c = 0; c < CLIENTS; c++) {
		chans[c] = chan_make(sizeof(struct msg), 4, 0);
		if (chans[c] < 0) {
			fprintf(stderr, "%s: chan_make: %s\n", prog,
				strerror(-chans[c]));
			return -1;
		}
	}
	return 0;
}

/* Start the producers: 0, or -1 with a message. */
static int fan_in_start(const char *prog)
{
	int p;

	for (p = 0; p < PRODUCERS; p++) {
		if (chan_go(fan_in_produce,
			    (void *)(long)(p * (CLIENTS / PRODUCERS)))) {
			fprintf(stderr, "%s: cannot start a producer\n", prog);
			return -1;
		}
	}
	return 0;
}

/* A message for client @c: whether it is the one expected next. */
static int fan_in_take(int c, const struct msg *m)
{
	if (c < 0 || c >= CLIENTS || m->client != c || m->seq != next_seq[c])
		return 0;
	next_seq[c]++;
	return 1;
}

/* Every message arrived, once and in order: 0, or 1 with a message. */
static int fan_in_check(const char *prog, long total, int bad)
{
	int c;

	for (c = 0; c < CLIENTS; c++)
		bad += next_seq[c] != MSGS;
	if (bad || total != (long)CLIENTS * MSGS) {
		fprintf(stderr, "%s: FAIL: %ld messages, %d out of place or missing\n",
			prog, total, bad);
		return 1;
	}
	return 0;
}

#endif /* FAN_IN_H */
