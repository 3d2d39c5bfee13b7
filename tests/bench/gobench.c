// SPDX-License-Identifier: GPL-2.0
/*
 * gobench: goroutines and timer channels (G2, G3, T2), in the VM (it needs
 * /dev/chan).  Go's own figures come from gochan.go's goroutine workload.
 *
 *   gobench [-r REPS] goroutine
 *
 * Cases:
 *   spawn      ns per chan_go() that finds a parked thread: rounds of
 *              SPAWN_K goroutines, each chan_go() timed alone; a goroutine
 *              tells from a thread-local count whether its thread ran one
 *              before, and only those spawns make the figure (the others,
 *              which started a thread, are counted apart)
 *   chain      Go's test/chan/goroutines.go: 10,000 goroutines (2,000 with
 *              BENCH_QUICK=1) pass a value along a chain of 10,001
 *              unbuffered channels, ns per
 *              goroutine from the first chan_make() to the value's arrival.
 *              The program sets no rlimit: libchan raises the soft
 *              RLIMIT_NOFILE when the fd table fills (G3)
 *   tick-1ms   a chan_tick() of 1 ms received for 10 s (0.5 s with
 *              BENCH_QUICK=1): ns per tick delivered, from the times the
 *              ticks carry
 *
 * Every measurement checks its result: the work of every goroutine, the
 * value at the chain's end, and ticks that increase.
 */
#include "bench.h"		/* first: it defines _GNU_SOURCE */

#include <stdatomic.h>
#include <sys/syscall.h>

#define SPAWN_K		64
#define CHAIN_N		10000
#define TICK_NS		1000000LL

static int reps = 1;

/* ---- spawn ---- */

/* Goroutines this thread ran: a pool thread keeps the program's TLS. */
static __thread long runs;

struct spawn_arg {
	struct waitgroup *wg;
	_Atomic uint64_t *work;
	uint64_t share;
	bool reused;		/* out: its thread had run a goroutine before */
};

static void *spawned(void *p)
{
	struct spawn_arg *a = p;

	a->reused = runs++ > 0;
	atomic_fetch_add(a->work, a->share);
	waitgroup_done(a->wg);
	return NULL;
}

struct spawn_cost {
	int64_t ns[2];		/* [reused]: total ns of such spawns */
	long n[2];
};

/*
 * @rounds rounds of SPAWN_K goroutines, each chan_go() (with its
 * waitgroup_add()) timed alone and counted by whether its goroutine ran on
 * a parked thread or a new one.
 */
static void spawn_once(long rounds, struct spawn_cost *c)
{
	struct spawn_arg a[SPAWN_K];
	struct waitgroup wg;
	_Atomic uint64_t work = 0;
	int64_t dt[SPAWN_K], t0;
	uint64_t want = 0;
	long r;
	int i;

	waitgroup_init(&wg, 0);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < SPAWN_K; i++)
			a[i] = (struct spawn_arg){
				&wg, &work, (uint64_t)(r * SPAWN_K + i), false
			};
		for (i = 0; i < SPAWN_K; i++) {
			t0 = now_ns();
			CHECK_OK("goroutine", waitgroup_add(&wg, 1));
			CHECK_OK("goroutine", chan_go(spawned, &a[i]));
			dt[i] = now_ns() - t0;
		}
		CHECK_OK("goroutine", waitgroup_wait(&wg));
		for (i = 0; i < SPAWN_K; i++) {
			want += (uint64_t)(r * SPAWN_K + i);
			c->ns[a[i].reused] += dt[i];
			c->n[a[i].reused]++;
		}
		BENCH_VERIFY("goroutine", "work of the goroutines",
			     atomic_load(&work), want);
		/* Untimed: the goroutines' threads park. */
		usleep(10000);
	}
}

static void bench_spawn(void)
{
	long n = bench_count(20000) / SPAWN_K;
	struct spawn_cost c;
	int r;

	STEP("goroutine spawn warm-up");
	memset(&c, 0, sizeof(c));
	spawn_once(2, &c);
	for (r = 0; r < reps; r++) {
		STEP("goroutine spawn chan");
		memset(&c, 0, sizeof(c));
		spawn_once(n, &c);
		if (c.n[1])
			bench_sample("goroutine", "spawn", "chan", c.ns[1],
				     c.n[1]);
		else
			bench_na("goroutine", "spawn", "chan",
				 "no spawn found a parked thread");
		printf("info,goroutine,spawn,chan,%ld of %ld spawns found a parked thread; %ld started one, at %.2f us each\n",
		       c.n[1], c.n[0] + c.n[1], c.n[0],
		       c.n[0] ? c.ns[0] / 1e3 / c.n[0] : 0.0);
	}
}

/* ---- chain ---- */

static int chain[CHAIN_N + 1];
static long chain_n = CHAIN_N;

/* Goroutine i: left <- 1 + <-right. */
static void *chain_link(void *p)
{
	long i = (long)p;
	int v;

	if (chan_recv(chain[i + 1], &v) != 1)
		check_fail(__FILE__, __LINE__, "goroutine", "chain %ld: recv",
			   i);
	v++;
	CHECK_OK("goroutine", chan_send(chain[i], &v));
	return NULL;
}

static int64_t chain_once(void)
{
	int64_t t0, t1;
	long i;
	int v = 1;

	t0 = now_ns();
	for (i = 0; i <= chain_n; i++)
		chain[i] = CHECK_OK("goroutine", chan_make(sizeof(int), 0, 0));
	for (i = 0; i < chain_n; i++)
		CHECK_OK("goroutine", chan_go(chain_link, (void *)i));
	CHECK_OK("goroutine", chan_send(chain[chain_n], &v));
	CHECK_EQ("goroutine", chan_recv(chain[0], &v), 1);
	t1 = now_ns();
	BENCH_VERIFY("goroutine", "value at the chain's end", v, chain_n + 1);
	for (i = 0; i <= chain_n; i++)
		close(chain[i]);
	return t1 - t0;
}

static void bench_chain(void)
{
	const char *quick = getenv("BENCH_QUICK");
	struct rlimit before, after;
	int r;

	/* Quick: still past the 1024 fds of a default soft limit. */
	if (quick && *quick == '1')
		chain_n = 2000;
	CHECK_SYS("goroutine", getrlimit(RLIMIT_NOFILE, &before));
	for (r = 0; r < reps; r++) {
		STEP("goroutine chain chan");
		bench_sample("goroutine", "chain", "chan", chain_once(),
			     chain_n);
	}
	CHECK_SYS("goroutine", getrlimit(RLIMIT_NOFILE, &after));
	printf("info,goroutine,chain,chan,%ld goroutines over %ld channels; soft RLIMIT_NOFILE %llu at the start (the program sets none); %llu after libchan's raise (G3)\n",
	       chain_n, chain_n + 1, (unsigned long long)before.rlim_cur,
	       (unsigned long long)after.rlim_cur);
}

/* ---- tick-1ms ---- */

static void bench_tick(void)
{
	const char *quick = getenv("BENCH_QUICK");
	int64_t ms = quick && *quick == '1' ? 500 : 10000;
	int64_t first, prev, t, end;
	long ticks, late;
	int r, tk;

	for (r = 0; r < reps; r++) {
		STEP("goroutine tick-1ms chan");
		tk = CHECK_OK("goroutine", chan_tick(TICK_NS));
		CHECK_EQ("goroutine", chan_recv(tk, &first), 1);
		prev = first;
		ticks = 0;
		late = 0;
		end = now_ns() + ms * 1000000;
		while (now_ns() < end) {
			CHECK_EQ("goroutine", chan_recv(tk, &t), 1);
			/* T2: the latest tick, never one twice or out of order. */
			if (t <= prev)
				check_fail(__FILE__, __LINE__, "goroutine",
					   "tick %lld after %lld", (long long)t,
					   (long long)prev);
			late += t - prev > TICK_NS * 3 / 2;
			prev = t;
			ticks++;
		}
		close(tk);
		bench_sample("goroutine", "tick-1ms", "chan", prev - first,
			     ticks);
		printf("info,goroutine,tick-1ms,chan,%ld ticks in %lld ms; %ld gaps over 1.5 ms (ticks coalesced)\n",
		       ticks, (long long)ms, late);
	}
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt == 'r' && atoi(optarg) > 0) {
			reps = atoi(optarg);
		} else {
			fprintf(stderr, "usage: gobench [-r REPS] goroutine\n");
			return 2;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "goroutine")) {
		fprintf(stderr, "usage: gobench [-r REPS] goroutine\n");
		return 2;
	}
	if (access("/dev/chan", F_OK) < 0) {
		fprintf(stderr, "gobench: no /dev/chan (module not loaded)\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_start("goroutine", 1200);
	bench_spawn();
	/* Before the chain, whose 10,000 threads then exit. */
	bench_tick();
	bench_chain();
	return 0;
}
