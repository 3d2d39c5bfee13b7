// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * fanout: fan-out and fan-in with 10,000 goroutines, as a Go programmer
 * writes it without a second thought:
 *
 *	jobs := gen(1..N)			// one goroutine, closes jobs
 *	for w := 0; w < 10000; w++ {
 *		wg.Add(1)
 *		go func() {			// fan-out: all read jobs
 *			defer wg.Done()
 *			for j := range jobs {
 *				results <- j * j	// fan-in: all write results
 *			}
 *		}()
 *	}
 *	go func() { wg.Wait(); close(results) }()
 *	for r := range results { sum += r }
 *
 * Each goroutine is a thread with a small stack (chan_go()), and all
 * 10,000 may be blocked in the kernel at once, waiting for a job.  main checks
 * the count and the sum of what came back, and that the jobs were spread
 * over the workers.
 *
 * Unlike Go's, these goroutines count against the user's thread limit
 * (ulimit -u, RLIMIT_NPROC), which Linux sets from the memory size: about
 * 7,800 on a machine of 2 GiB, such as the test VM, where root is exempt
 * and a user is not.  As libchan does for fds (G3), main raises the soft
 * limit to the hard one; where that is still too low, it says so and runs
 * with the goroutines it could start.
 *
 * The project's debug kernel (KASAN, lockdep and kmemleak, under
 * emulation) runs this 20 to 50 times slower: where its test harness says
 * so (CHAN_KERNEL=debug...), a tenth of the goroutines and jobs, as the
 * tests do.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <chan.h>

#define WORKERS	10000
#define JOBS	5000

static int jobs, results, njobs = JOBS;
static struct waitgroup wg = WAITGROUP_INIT;
static atomic_int took[WORKERS];
static atomic_int started;

static void *gen(void *arg)
{
	for (int64_t j = 1; j <= njobs; j++)
		if (chan_send(jobs, &j))		/* jobs <- j */
			break;
	chan_close(jobs);				/* close(jobs) */
	return arg;
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	int64_t j;

	atomic_fetch_add(&started, 1);
	while (chan_recv(jobs, &j) > 0) {		/* for j := range jobs */
		j *= j;
		chan_send(results, &j);			/* results <- j * j */
		atomic_fetch_add(&took[id], 1);
	}
	return NULL;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *closer(void *arg)
{
	waitgroup_wait(&wg);				/* wg.Wait() */
	chan_close(results);				/* close(results) */
	return arg;
}

int main(void)
{
	int64_t r, sum = 0, want = 0, n = 0;
	const char *kernel = getenv("CHAN_KERNEL");
	int w, nw, busy = 0, most = 0, err, workers = WORKERS;
	struct rlimit rl;
	double t0, t1, t2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (kernel && !strncmp(kernel, "debug", 5)) {
		workers /= 10;
		njobs /= 10;
		printf("the debug kernel: %d goroutines and jobs, a tenth\n",
		       workers);
	}
	jobs = chan_make(sizeof(int64_t), 0, 0);	/* make(chan int64) */
	results = chan_make(sizeof(int64_t), 100, 0);	/* make(chan int64, 100) */
	if (jobs < 0 || results < 0) {
		fprintf(stderr, "fanout: chan_make: %d %d\n", jobs, results);
		return 1;
	}
	/*
	 * gen and the closer first, so that a thread limit leaves them room;
	 * main's hold on wg keeps the closer waiting until every worker is
	 * counted.
	 */
	waitgroup_add(&wg, 1);
	if (chan_go(gen, NULL) || chan_go(closer, NULL)) {
		fprintf(stderr, "fanout: FAIL: chan_go\n");
		return 1;
	}
	if (getrlimit(RLIMIT_NPROC, &rl))
		rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NPROC, &rl);
	}
	t0 = now_ms();
	for (w = 0; w < workers; w++) {
		err = waitgroup_go(&wg, worker, (void *)(intptr_t)w);
		if (err == -EAGAIN && rl.rlim_cur < (rlim_t)workers + 100 &&
		    w >= workers / 2) {
			printf("the thread limit of this user (ulimit -u: %llu) stopped the spawn at %d goroutines\n",
			       (unsigned long long)rl.rlim_cur, w);
			break;
		}
		if (err) {
			fprintf(stderr, "fanout: FAIL: goroutine %d: waitgroup_go: %d\n",
				w, err);
			return 1;
		}
	}
	nw = w;
	waitgroup_done(&wg);
	t1 = now_ms();
	while (chan_recv(results, &r) > 0) {		/* for r := range results */
		sum += r;
		n++;
	}
	t2 = now_ms();

	for (int64_t j = 1; j <= njobs; j++)
		want += j * j;
	for (w = 0; w < nw; w++) {
		busy += took[w] > 0;
		most = took[w] > most ? took[w] : most;
	}
	printf("%d goroutines started; %lld results, sum of squares %lld\n",
	       atomic_load(&started), (long long)n, (long long)sum);
	printf("%d workers took jobs, at most %d each\n", busy, most);
	printf("%.0f ms to start the goroutines, %.0f ms more until the last result\n",
	       t1 - t0, t2 - t1);
	if (atomic_load(&started) != nw || n != njobs || sum != want) {
		fprintf(stderr, "fanout: FAIL: want %d goroutines, %d results, sum %lld\n",
			nw, njobs, (long long)want);
		return 1;
	}
	/* Fan-out: the jobs went to many workers, not one or a few. */
	if (busy < nw / 10) {
		fprintf(stderr, "fanout: FAIL: only %d of %d workers took a job\n",
			busy, nw);
		return 1;
	}
	printf("fanout: ok\n");
	return 0;
}
