// SPDX-License-Identifier: GPL-2.0
/*
 * P2, P3, R5 through io_uring, and no worker thread: channel fds honour
 * IOCB_NOWAIT (and are FMODE_NOWAIT), so io_uring never hands a READ or
 * WRITE on one to an io-wq worker thread; one that must wait polls, and is
 * completed in the submitting task when the channel is ready.
 *
 * 1. The count of io-wq threads (iou-wrk-PID in /proc/self/task) sees
 *    workers: a READ forced onto one (IOSQE_ASYNC), in a child process,
 *    makes one within two seconds.  Without this, a count of 0 below would
 *    prove nothing.
 * 2. 64 READs wait on 64 blocking channels; a thread sends to each; every
 *    READ gets its channel's element.  64 WRITEs wait on 64 full
 *    channels; receives make room; every element arrives after the one
 *    that was there (R1).  No worker while they wait or after.
 * 3. Sixteen READs on one channel against four blocked senders: every
 *    element wakes all sixteen, and all but one find it taken and poll
 *    again.  Every element sent is received exactly once (R5).  Workers
 *    are counted, not checked: io_uring hands a request whose poll fired
 *    128 times without success to an io-wq worker (APOLL_MAX_RETRY), which
 *    a contended channel can reach (chan(4), io_uring); it completes there
 *    all the same.
 */
#include "uring.h"

#define NCH	64
#define NREAD	16
#define NSEND	4

static struct io_uring ring;

static void workers_are_seen(void)
{
	pid_t pid;

	STEP("a READ forced onto an io-wq worker is seen");
	pid = fork_child();
	if (pid == 0) {
		struct io_uring r;
		struct io_uring_sqe *sqe;
		uint64_t v = 0, s = 3, data;
		int ch = CHECK_OK("P2", chan_make(sizeof(uint64_t), 1, 0));
		int64_t t0;

		uring_init(&r, 4);
		sqe = uring_sqe(&r);
		io_uring_prep_read(sqe, ch, &v, sizeof(v), 0);
		sqe->flags |= IOSQE_ASYNC;
		sqe->user_data = 1;
		uring_submit(&r, 1);
		/* The worker lingers for seconds after its request polled. */
		t0 = now_ns();
		while (!uring_workers()) {
			CHECK("P2", now_ns() - t0 < 2000000000LL *
						    test_time_scale());
			usleep(1000);
		}
		CHECK_EQ("P2", chan_send(ch, &s), 0);
		CHECK_EQ("P2", uring_wait(&r, &data), sizeof(v));
		CHECK_EQ("P2", v, 3);
		_exit(0);
	}
	wait_child_ok("P2", pid);
}

struct fan {
	int *ch;
	int n;
	uint64_t base;
};

static void *send_each(void *arg)
{
	struct fan *f = arg;
	uint64_t v;
	int i;

	for (i = 0; i < f->n; i++) {
		v = f->base + i;
		CHECK_EQ("R5", chan_send(f->ch[i], &v), 0);
	}
	return NULL;
}

static void many_channels(void)
{
	static uint64_t got[NCH];
	int ch[NCH], i;
	struct fan f = { ch, NCH, 1000 };
	uint64_t data, v;
	pthread_t t;

	STEP("64 READs wait on 64 channels");
	for (i = 0; i < NCH; i++) {
		struct io_uring_sqe *sqe = uring_sqe(&ring);

		ch[i] = CHECK_OK("P2", chan_make(sizeof(uint64_t), 1, 0));
		io_uring_prep_read(sqe, ch[i], &got[i], sizeof(got[i]), 0);
		sqe->user_data = i;
	}
	uring_submit(&ring, NCH);
	CHECK("P2", !uring_completes_within(&ring, 50));
	CHECK_EQ("P2", uring_workers(), 0);
	t = spawn(send_each, &f);
	for (i = 0; i < NCH; i++) {
		CHECK_EQ("P2", uring_wait(&ring, &data), sizeof(uint64_t));
		CHECK("P2", data < NCH);
		CHECK_EQ("R5", got[data], 1000 + data);
	}
	join(t);
	CHECK_EQ("P2", uring_workers(), 0);

	STEP("64 WRITEs wait on 64 full channels");
	f.base = 2000;
	send_each(&f);
	for (i = 0; i < NCH; i++) {
		struct io_uring_sqe *sqe = uring_sqe(&ring);

		got[i] = 3000 + i;
		io_uring_prep_write(sqe, ch[i], &got[i], sizeof(got[i]), 0);
		sqe->user_data = i;
	}
	uring_submit(&ring, NCH);
	CHECK("P3", !uring_completes_within(&ring, 50));
	CHECK_EQ("P3", uring_workers(), 0);
	for (i = 0; i < NCH; i++) {
		CHECK_EQ("R1", chan_recv(ch[i], &v), 1);
		CHECK_EQ("R1", v, 2000 + i);
	}
	for (i = 0; i < NCH; i++) {
		CHECK_EQ("P3", uring_wait(&ring, &data), sizeof(uint64_t));
		CHECK("P3", data < NCH);
	}
	for (i = 0; i < NCH; i++) {
		CHECK_EQ("R1", chan_try_recv(ch[i], &v), 1);
		CHECK_EQ("R1", v, 3000 + i);
		close(ch[i]);
	}
	CHECK_EQ("P3", uring_workers(), 0);
}

struct sender {
	int ch;
	uint64_t first;
	long n;
};

static void *send_run(void *arg)
{
	struct sender *s = arg;
	uint64_t v;
	long i;

	for (i = 0; i < s->n; i++) {
		v = s->first + i;
		CHECK_EQ("R5", chan_send(s->ch, &v), 0);
	}
	return NULL;
}

static void one_channel_race(void)
{
	long per = test_count(5000), total = per * NSEND, done = 0, i;
	static uint64_t slot[NREAD];
	struct sender s[NSEND];
	pthread_t t[NSEND];
	unsigned char *seen;
	uint64_t data;
	int ch, res;

	STEP("16 READs on one channel against 4 senders");
	seen = calloc(total, 1);
	CHECK("R5", seen);
	ch = CHECK_OK("R5", chan_make(sizeof(uint64_t), 4, 0));
	for (i = 0; i < NREAD; i++) {
		struct io_uring_sqe *sqe = uring_sqe(&ring);

		io_uring_prep_read(sqe, ch, &slot[i], sizeof(slot[i]), 0);
		sqe->user_data = i;
	}
	uring_submit(&ring, NREAD);
	for (i = 0; i < NSEND; i++) {
		s[i] = (struct sender){ ch, (uint64_t)i * per, per };
		t[i] = spawn(send_run, &s[i]);
	}
	while (done < total) {
		struct io_uring_sqe *sqe;

		res = uring_wait(&ring, &data);
		CHECK_EQ("P2", res, sizeof(uint64_t));
		CHECK("R5", data < NREAD && slot[data] < (uint64_t)total);
		CHECK("R5", !seen[slot[data]]++);
		done++;
		if (done + NREAD > total)
			continue;
		sqe = uring_sqe(&ring);
		io_uring_prep_read(sqe, ch, &slot[data], sizeof(slot[data]),
				   0);
		sqe->user_data = data;
		uring_submit(&ring, 1);
	}
	for (i = 0; i < NSEND; i++)
		join(t[i]);
	CHECK_EQ("R5", len_of(ch), 0);
	fprintf(stderr, "%s: %ld elements to %d contending READs: %d io-wq workers\n",
		program_invocation_short_name, total, NREAD, uring_workers());
	close(ch);
	free(seen);
}

int main(void)
{
	test_start("P2 P3 R1 R5", "no io-wq worker for channel READs and WRITEs",
		   sel_watchdog(120));
	workers_are_seen();
	uring_init(&ring, 128);
	many_channels();
	one_channel_race();
	io_uring_queue_exit(&ring);
	test_pass();
}
