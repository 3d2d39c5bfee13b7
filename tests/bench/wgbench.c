// SPDX-License-Identifier: GPL-2.0
/*
 * wgbench: libchan's wait groups against a mutex+condvar wait group and a
 * pthread barrier, on the host (wait groups need no device).
 *
 *   wgbench [-r REPS] wg
 *
 * Cases (ns per operation):
 *   adddone-N  N threads each make add(1)+done() pairs on one group while a
 *              waiter sleeps on it: ns per pair (N = 1 is uncontended)
 *   rounds-N   fork-join rounds: the main thread opens a round, N threads
 *              each do their share and done(), the main thread waits: ns
 *              per round; the barrier peer is one pthread_barrier_wait of
 *              N + 1 threads per round
 *   gojoin-N   fork-join rounds of goroutines (G2): the main thread starts
 *              N goroutines, each does its share and done(), the main
 *              thread waits: ns per round.  chan is waitgroup_go(), whose
 *              chan_go() finds the threads of the last round parked;
 *              thread is a new detached thread per goroutine with
 *              chan_go()'s stack, what chan_go() did before it kept them
 *   zero-wait  wait on a group whose counter is zero, against getppid() as
 *              the price of one system call; a child process that seccomp
 *              kills on any system call proves that the wait makes none
 *
 * Go's sync.WaitGroup does the same in gochan.go.  Every measurement checks
 * its result: a waiter released early, or a round whose work was not all
 * done when its wait returned, fails the run (exit 1).
 */
#include "bench.h"		/* first: it defines _GNU_SOURCE */

#include <stdatomic.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "../waitgroup/seccomp.h"

static int reps = 1;

/* ---- The peer: a wait group on one mutex and one condvar ---- */

struct cvwg {
	pthread_mutex_t lock;
	pthread_cond_t zero;
	long count;
};

static void cvwg_init(struct cvwg *g)
{
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->zero, NULL);
	g->count = 0;
}

static void cvwg_add(struct cvwg *g, int delta)
{
	pthread_mutex_lock(&g->lock);
	g->count += delta;
	if (g->count < 0)
		check_fail(__FILE__, __LINE__, "wg", "cvwg below zero");
	if (!g->count)
		pthread_cond_broadcast(&g->zero);
	pthread_mutex_unlock(&g->lock);
}

static void cvwg_wait(struct cvwg *g)
{
	pthread_mutex_lock(&g->lock);
	while (g->count)
		pthread_cond_wait(&g->zero, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

enum wg_impl { W_CHAN, W_CONDVAR, W_BARRIER, W_THREAD };
static const char *const wg_name[] = { "chan", "condvar", "barrier",
				       "thread" };

/* One group of either kind. */
struct bench_group {
	struct waitgroup wg;
	struct cvwg cv;
};

static void group_init(struct bench_group *g)
{
	waitgroup_init(&g->wg, 0);
	cvwg_init(&g->cv);
}

static void group_add(enum wg_impl how, struct bench_group *g, int delta)
{
	if (how == W_CHAN)
		CHECK_OK("wg", waitgroup_add(&g->wg, delta));
	else
		cvwg_add(&g->cv, delta);
}

static void group_wait(enum wg_impl how, struct bench_group *g)
{
	if (how == W_CHAN)
		CHECK_OK("wg", waitgroup_wait(&g->wg));
	else
		cvwg_wait(&g->cv);
}

/* ---- add+done pairs ---- */

struct adddone {
	enum wg_impl how;
	struct bench_group *g;
	long per;
	pthread_barrier_t *start;
	_Atomic int *finished, *early;
	int64_t t0, t1;		/* first and last pair of this worker */
};

static void *adddone_worker(void *arg)
{
	struct adddone *a = arg;
	long i;

	pthread_barrier_wait(a->start);
	/* Each worker's own clock: the main thread may run late. */
	a->t0 = now_ns();
	for (i = 0; i < a->per; i++) {
		group_add(a->how, a->g, 1);
		group_add(a->how, a->g, -1);
	}
	a->t1 = now_ns();
	return NULL;
}

static void *adddone_waiter(void *arg)
{
	struct adddone *a = arg;

	group_wait(a->how, a->g);
	if (!atomic_load(a->finished))
		atomic_store(a->early, 1);
	return NULL;
}

static int64_t adddone_once(enum wg_impl how, int nt, long n)
{
	struct adddone a[16];
	_Atomic int finished = 0, early = 0;
	pthread_barrier_t start;
	pthread_t t[16], waiter;
	struct bench_group g;
	int64_t t0, t1;
	int i;

	group_init(&g);
	pthread_barrier_init(&start, NULL, (unsigned int)nt + 1);
	/* Held until every pair is done: the waiter must sleep through. */
	group_add(how, &g, 1);
	for (i = 0; i < nt; i++) {
		a[i] = (struct adddone){ how, &g, n / nt, &start, &finished,
					 &early, 0, 0 };
		t[i] = spawn(adddone_worker, &a[i]);
	}
	waiter = spawn(adddone_waiter, &a[0]);
	pthread_barrier_wait(&start);
	for (i = 0; i < nt; i++)
		join(t[i]);
	/* From the first worker's start to the last one's end. */
	t0 = a[0].t0;
	t1 = a[0].t1;
	for (i = 1; i < nt; i++) {
		t0 = a[i].t0 < t0 ? a[i].t0 : t0;
		t1 = a[i].t1 > t1 ? a[i].t1 : t1;
	}
	atomic_store(&finished, 1);
	group_add(how, &g, -1);
	join(waiter);
	BENCH_VERIFY("wg", "waiter released before the counter reached zero",
		     atomic_load(&early), 0);
	pthread_barrier_destroy(&start);
	return t1 - t0;
}

/* ---- fork-join rounds ---- */

struct rounds {
	enum wg_impl how;
	long rounds;
	struct bench_group *start, *done;	/* [2] each */
	pthread_barrier_t *barrier;
	_Atomic uint64_t *work;
};

static void *rounds_worker(void *arg)
{
	struct rounds *a = arg;
	long r;

	for (r = 0; r < a->rounds; r++) {
		if (a->how == W_BARRIER) {
			atomic_fetch_add(a->work, (uint64_t)r + 1);
			pthread_barrier_wait(a->barrier);
			continue;
		}
		group_wait(a->how, &a->start[r % 2]);
		atomic_fetch_add(a->work, (uint64_t)r + 1);
		group_add(a->how, &a->done[r % 2], -1);
	}
	return NULL;
}

/*
 * Round r: open start[r % 2], wait on done[r % 2].  The groups of round r + 1
 * are armed before round r opens; those of round r are reused two rounds
 * later, when every wait on them has returned (W3 allows it, Go too).
 */
static int64_t rounds_once(enum wg_impl how, int nt, long rounds)
{
	struct bench_group start[2], done[2];
	_Atomic uint64_t work = 0;
	pthread_barrier_t barrier;
	struct rounds a;
	pthread_t t[16];
	uint64_t want = 0;
	int64_t t0, t1;
	long r;
	int i;

	for (i = 0; i < 2; i++) {
		group_init(&start[i]);
		group_init(&done[i]);
	}
	pthread_barrier_init(&barrier, NULL, (unsigned int)nt + 1);
	a = (struct rounds){ how, rounds, start, done, &barrier, &work };
	if (how != W_BARRIER) {
		group_add(how, &start[0], 1);
		group_add(how, &done[0], nt);
	}
	for (i = 0; i < nt; i++)
		t[i] = spawn(rounds_worker, &a);
	t0 = now_ns();
	for (r = 0; r < rounds; r++) {
		if (how == W_BARRIER) {
			pthread_barrier_wait(&barrier);
		} else {
			if (r + 1 < rounds) {
				group_add(how, &start[(r + 1) % 2], 1);
				group_add(how, &done[(r + 1) % 2], nt);
			}
			group_add(how, &start[r % 2], -1);
			group_wait(how, &done[r % 2]);
		}
		want += (uint64_t)nt * ((uint64_t)r + 1);
		/*
		 * The wait groups hold the workers until the next round opens;
		 * past a barrier they may already add to the next round.
		 */
		if (how != W_BARRIER || atomic_load(&work) < want)
			BENCH_VERIFY("wg", "work done before the wait returned",
				     atomic_load(&work), want);
	}
	t1 = now_ns();
	for (i = 0; i < nt; i++)
		join(t[i]);
	BENCH_VERIFY("wg", "work of all rounds", atomic_load(&work), want);
	pthread_barrier_destroy(&barrier);
	return t1 - t0;
}

/* ---- fork-join rounds of goroutines started per round ---- */

struct gojoin {
	struct waitgroup *wg;
	_Atomic uint64_t *work;
	uint64_t share;
};

static void *gojoin_share(void *arg)
{
	struct gojoin *g = arg;

	atomic_fetch_add(g->work, g->share);
	return NULL;
}

/* The thread peer: what waitgroup_go() does, on a new thread. */
static void *gojoin_thread(void *arg)
{
	struct gojoin *g = arg;

	gojoin_share(g);
	waitgroup_done(g->wg);
	return NULL;
}

static void gojoin_spawn_thread(pthread_attr_t *attr, struct gojoin *g)
{
	pthread_t t;
	int err;

	CHECK_OK("wg", waitgroup_add(g->wg, 1));
	err = pthread_create(&t, attr, gojoin_thread, g);
	if (err)
		check_fail(__FILE__, __LINE__, "wg", "pthread_create: %s",
			   strerrorname_np(err));
}

static int64_t gojoin_once(enum wg_impl how, int nt, long rounds)
{
	struct waitgroup wg = WAITGROUP_INIT;
	_Atomic uint64_t work = 0;
	struct gojoin g[16];
	pthread_attr_t attr;
	uint64_t want = 0;
	int64_t t0, t1;
	long r;
	int i;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	t0 = now_ns();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < nt; i++) {
			g[i] = (struct gojoin){ &wg, &work, (uint64_t)r + 1 };
			if (how == W_CHAN)
				CHECK_OK("wg", waitgroup_go(&wg, gojoin_share,
							    &g[i]));
			else
				gojoin_spawn_thread(&attr, &g[i]);
		}
		CHECK_OK("wg", waitgroup_wait(&wg));
		want += (uint64_t)nt * ((uint64_t)r + 1);
		BENCH_VERIFY("wg", "work done before the wait returned",
			     atomic_load(&work), want);
	}
	t1 = now_ns();
	pthread_attr_destroy(&attr);
	return t1 - t0;
}

/* ---- wait on a zero counter ---- */

/*
 * 1: n waits on a zero counter ran under the filter and the child exited 0;
 * 0: the filter killed it (a wait made a system call).  The control (a wait
 * on a group whose counter is 1, with a timeout so it sleeps) must be
 * killed, or the filter proves nothing.
 */
static int zero_wait_no_syscall(bool control, long n)
{
	struct waitgroup wg = WAITGROUP_INIT;
	int status;
	pid_t pid;
	long i;

	if (control)
		CHECK_OK("wg", waitgroup_add(&wg, 1));
	pid = fork_child();
	if (!pid) {
		if (forbid_syscalls())
			syscall(SYS_exit_group, 3);
		for (i = 0; i < n; i++)
			if (waitgroup_wait_timeout(&wg, control ? 1000 : -1))
				syscall(SYS_exit_group, 4);
		syscall(SYS_exit_group, 0);
	}
	CHECK_SYS("wg", waitpid(pid, &status, 0));
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		return 0;
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 1;
	check_fail(__FILE__, __LINE__, "wg",
		   "seccomp child: status %#x (exit 3: no filter)", status);
}

static void bench_zero_wait(void)
{
	struct waitgroup wg = WAITGROUP_INIT;
	long n = bench_count(1000000), i;
	int64_t t0, t1;
	int r;

	STEP("zero-wait: seccomp proof");
	if (!zero_wait_no_syscall(false, n))
		check_fail(__FILE__, __LINE__, "wg",
			   "a wait on a zero counter made a system call");
	if (zero_wait_no_syscall(true, 1))
		check_fail(__FILE__, __LINE__, "wg",
			   "control: a sleeping wait survived the seccomp filter");
	printf("info,wg,zero-wait,chan,%ld waits on a zero counter made no system call (seccomp)\n",
	       n);
	STEP("zero-wait: timing");
	for (r = -1; r < reps; r++) {
		t0 = now_ns();
		for (i = 0; i < n; i++)
			CHECK_OK("wg", waitgroup_wait(&wg));
		t1 = now_ns();
		if (r >= 0)
			bench_sample("wg", "zero-wait", "chan", t1 - t0, n);
		/* The price of one real system call, for scale. */
		t0 = now_ns();
		for (i = 0; i < n / 10; i++)
			CHECK("wg", syscall(SYS_getppid) > 0);
		t1 = now_ns();
		if (r >= 0)
			bench_sample("wg", "zero-wait", "getppid", t1 - t0,
				     n / 10);
	}
}

/*
 * Every case PREFIX-N, N = 1, 4 and 16 threads, with each of @impls: a
 * warm-up pass of @warm, then one sample of @full per repetition.
 */
static void bench_cases(const char *prefix, const enum wg_impl *impls,
			size_t nimpls,
			int64_t (*once)(enum wg_impl, int, long), long full,
			long warm)
{
	static const int nts[] = { 1, 4, 16 };
	char cas[32], step[96];
	size_t ti, i;
	int r;

	for (ti = 0; ti < ARRAY_SIZE(nts); ti++) {
		snprintf(cas, sizeof(cas), "%s-%d", prefix, nts[ti]);
		for (r = -1; r < reps; r++) {
			for (i = 0; i < nimpls; i++) {
				long cnt = r < 0 ? warm : full;
				int64_t ns;

				snprintf(step, sizeof(step), "wg %s %s", cas,
					 wg_name[impls[i]]);
				STEP(step);
				ns = once(impls[i], nts[ti], cnt);
				if (r >= 0)
					bench_sample("wg", cas,
						     wg_name[impls[i]], ns,
						     cnt);
			}
		}
	}
}

int main(int argc, char **argv)
{
	static const enum wg_impl add_impls[] = { W_CHAN, W_CONDVAR };
	static const enum wg_impl round_impls[] = { W_CHAN, W_CONDVAR,
						    W_BARRIER };
	static const enum wg_impl gojoin_impls[] = { W_CHAN, W_THREAD };
	long n = bench_count(1000000), rounds = bench_count(20000);
	int opt;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt == 'r' && atoi(optarg) > 0) {
			reps = atoi(optarg);
		} else {
			fprintf(stderr, "usage: wgbench [-r REPS] wg\n");
			return 2;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "wg")) {
		fprintf(stderr, "usage: wgbench [-r REPS] wg\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_start("wg", 1200);
	/* Whole shares for up to 16 threads. */
	bench_cases("adddone", add_impls, ARRAY_SIZE(add_impls), adddone_once,
		    n / 16 * 16, n / 10 / 16 * 16);
	bench_cases("rounds", round_impls, ARRAY_SIZE(round_impls),
		    rounds_once, rounds, rounds / 10);
	/* A round starts N threads: fewer rounds. */
	bench_cases("gojoin", gojoin_impls, ARRAY_SIZE(gojoin_impls),
		    gojoin_once, bench_count(4000) / 4, 64);
	bench_zero_wait();
	return 0;
}
