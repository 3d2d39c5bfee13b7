// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * fan_in_uring: a server that fans in from 1,000 channels in an io_uring
 * loop (liburing), with no thread of its own per channel and none of the
 * kernel's either.
 *
 * The clients are those of fan_in.h: 1,000 channels fed by ten producer
 * goroutines, closed at the end.  The server keeps one IORING_OP_READ in flight on each channel, of up to BATCH
 * messages (a read takes what is there, at least one, as read(2) does);
 * each completion is handled and the read submitted again, until a read
 * completes with 0: the client closed its channel and it is drained.  A
 * read that finds its channel empty does not block a worker thread: the
 * channel fd honours IOCB_NOWAIT, so io_uring polls it and completes the
 * read in this thread once a message is there (chan(4), io_uring).
 * It must see every message once, each client's in the order they were
 * sent.
 */
#include <dirent.h>
#include <errno.h>
#include <unistd.h>

#include <liburing.h>

#include "fan_in.h"

#define BATCH		4

static struct msg bufs[CLIENTS][BATCH];

static void read_next(struct io_uring *ring, int c)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	/* One read per channel in flight: never more than CLIENTS. */
	io_uring_prep_read(sqe, chans[c], bufs[c], sizeof(bufs[c]), 0);
	io_uring_sqe_set_data64(sqe, (__u64)c);
}

/* io-wq worker threads of this process (io_uring names them iou-wrk-PID). */
static int workers(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	char path[300], comm[32];
	int n = 0;

	while (d && (e = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = e->d_name[0] != '.' ? fopen(path, "r") : NULL;
		if (!f)
			continue;
		n += fgets(comm, sizeof(comm), f) && !strncmp(comm, "iou-wrk", 7);
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	struct io_uring ring;
	int c, ret, left = CLIENTS, bad = 0;
	long total = 0, reads = 0;

	if (fan_in_make("fan_in_uring"))
		return 1;
	ret = io_uring_queue_init(CLIENTS + 24, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "fan_in_uring: io_uring_queue_init: %s\n",
			strerror(-ret));
		/* A kernel without io_uring, or one that forbids it: skip. */
		return ret == -ENOSYS || ret == -EPERM ? 77 : 1;
	}
	for (c = 0; c < CLIENTS; c++)
		read_next(&ring, c);
	if (io_uring_submit(&ring) != CLIENTS) {
		fprintf(stderr, "fan_in_uring: io_uring_submit failed\n");
		return 1;
	}
	if (fan_in_start("fan_in_uring"))
		return 1;

	while (left > 0) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			fprintf(stderr, "fan_in_uring: io_uring_wait_cqe: %s\n",
				strerror(-ret));
			return 1;
		}
		io_uring_for_each_cqe(&ring, head, cqe) {
			int n = cqe->res, i;

			c = (int)io_uring_cqe_get_data64(cqe);
			seen++;
			reads++;
			if (n < 0 || n % (int)sizeof(struct msg)) {
				fprintf(stderr, "fan_in_uring: read of client %d: %s\n",
					c, n < 0 ? strerror(-n) : "a partial message");
				return 1;
			}
			if (n == 0) {		/* closed and drained */
				close(chans[c]);
				left--;
				continue;
			}
			/* Once each, in the client's order. */
			for (i = 0; i < n / (int)sizeof(struct msg); i++, total++)
				bad += !fan_in_take(c, &bufs[c][i]);
			read_next(&ring, c);
		}
		io_uring_cq_advance(&ring, seen);
		io_uring_submit(&ring);
	}
	if (fan_in_check("fan_in_uring", total, bad))
		return 1;
	printf("fan_in_uring: %ld messages from %d channels in %ld reads: each once, in its channel's order; io-wq worker threads: %d\n",
	       total, CLIENTS, reads, workers());
	io_uring_queue_exit(&ring);
	return 0;
}
