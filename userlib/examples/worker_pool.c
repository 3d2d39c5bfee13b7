// SPDX-License-Identifier: MIT
/*
 * worker_pool: fan-out, fan-in.
 *
 * A producer sends JOBS job numbers on a jobs channel and closes it; WORKERS
 * goroutines take jobs from it (fan-out), square them and send the results
 * on one results channel (fan-in).  A wait group tells when the last worker
 * is done, and then the results channel is closed, so that main can read it
 * Go's "for r := range results" way.  Nobody shares memory but the channels.
 *
 * Workers get narrowed fds, the kernel-enforced version of Go's signature
 * worker(jobs <-chan int, results chan<- result): a worker can only take
 * jobs and only hand in results.
 *
 * main checks that every job came back exactly once with the right value.
 * Which worker did how many jobs is up to the scheduler and is only shown.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chan.h>

#define WORKERS	4
#define JOBS	1000

struct result {
	int job;
	int worker;
	long value;
};

struct worker_args {
	int id;
	int jobs;	/* receive-only */
	int results;	/* send-only */
};

struct producer_args {
	int jobs;	/* send-only */
};

struct closer_args {
	struct waitgroup *wg;
	int results;
};

static void die(const char *what, int ret)
{
	if (ret < 0)
		fprintf(stderr, "worker_pool: %s: %s\n", what, strerror(-ret));
	else
		fprintf(stderr, "worker_pool: %s: unexpected %d\n", what, ret);
	exit(1);
}

static void *producer(void *arg)
{
	struct producer_args *p = arg;
	int ret;

	for (int job = 1; job <= JOBS; job++) {
		ret = chan_send(p->jobs, &job);
		if (ret)
			die("chan_send(jobs)", ret);
	}
	/* No more jobs: each worker's receive returns 0 once they are taken. */
	ret = chan_close(p->jobs);
	if (ret)
		die("chan_close(jobs)", ret);
	close(p->jobs);
	return NULL;
}

static void *worker(void *arg)
{
	struct worker_args *w = arg;
	struct result r = { .worker = w->id };
	int ret;

	/* Go: for job := range jobs */
	while ((ret = chan_recv(w->jobs, &r.job)) == 1) {
		r.value = (long)r.job * r.job;
		ret = chan_send(w->results, &r);
		if (ret)
			die("chan_send(results)", ret);
	}
	if (ret)
		die("chan_recv(jobs)", ret);
	close(w->jobs);
	close(w->results);
	return NULL;
}

/*
 * Closes results once every worker has returned, so that nobody sends on
 * a closed channel.  main cannot do this itself: it is busy receiving, and
 * the workers block in chan_send until it does.
 */
static void *closer(void *arg)
{
	struct closer_args *c = arg;
	int ret;

	waitgroup_wait(c->wg);
	ret = chan_close(c->results);
	if (ret)
		die("chan_close(results)", ret);
	return NULL;
}

static int dup_or_die(int ch, unsigned int mode)
{
	int fd = chan_dup(ch, mode);

	if (fd < 0)
		die("chan_dup", fd);
	return fd;
}

int main(void)
{
	static unsigned char seen[JOBS + 1];
	struct worker_args w[WORKERS];
	struct waitgroup wg = WAITGROUP_INIT;
	struct producer_args p;
	struct closer_args c;
	int per_worker[WORKERS] = { 0 };
	long sum = 0, want = (long)JOBS * (JOBS + 1) * (2 * JOBS + 1) / 6;
	int jobs, results, received = 0, bad = 0, ret;
	struct result r;

	setvbuf(stdout, NULL, _IOLBF, 0);

	/* A small jobs buffer: the producer runs only a little ahead. */
	jobs = chan_make(sizeof(int), 16, 0);
	if (jobs < 0)
		die("chan_make(jobs)", jobs);
	results = chan_make(sizeof(struct result), 0, 0);
	if (results < 0)
		die("chan_make(results)", results);

	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker_args){
			.id = i,
			.jobs = dup_or_die(jobs, CHAN_RECV_ONLY),
			.results = dup_or_die(results, CHAN_SEND_ONLY),
		};
		ret = waitgroup_go(&wg, worker, &w[i]);
		if (ret)
			die("waitgroup_go", ret);
	}
	p.jobs = dup_or_die(jobs, CHAN_SEND_ONLY);
	ret = chan_go(producer, &p);
	if (ret)
		die("chan_go(producer)", ret);
	c = (struct closer_args){ .wg = &wg, .results = results };
	ret = chan_go(closer, &c);
	if (ret)
		die("chan_go(closer)", ret);

	/* Go: for r := range results */
	while ((ret = chan_recv(results, &r)) == 1) {
		if (r.job < 1 || r.job > JOBS || seen[r.job]++ ||
		    r.value != (long)r.job * r.job ||
		    r.worker < 0 || r.worker >= WORKERS) {
			fprintf(stderr, "worker_pool: bad result: job %d, worker %d, value %ld\n",
				r.job, r.worker, r.value);
			bad++;
			continue;
		}
		per_worker[r.worker]++;
		sum += r.value;
		received++;
	}
	if (ret)
		die("chan_recv(results)", ret);
	close(jobs);
	close(results);

	printf("worker_pool: %d workers squared %d of %d jobs, sum %ld (want %ld)\n",
	       WORKERS, received, JOBS, sum, want);
	for (int i = 0; i < WORKERS; i++)
		printf("  worker %d did %d jobs\n", i, per_worker[i]);
	if (bad || received != JOBS || sum != want) {
		fprintf(stderr, "worker_pool: FAIL\n");
		return 1;
	}
	printf("worker_pool: ok, every job done exactly once\n");
	return 0;
}
