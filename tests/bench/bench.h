/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h: what the C benchmarks of tests/bench share.
 *
 * A benchmark program prints one CSV line per measurement on stdout:
 *
 *   sample,WORKLOAD,CASE,IMPL,NS_PER_OP,OPS
 *   na,WORKLOAD,CASE,IMPL,REASON
 *   info,WORKLOAD,CASE,IMPL,TEXT
 *
 * and tests/bench/report turns the samples of all repetitions into medians,
 * ratios, the table and the plots.  Every measurement checks its result
 * (count and checksum); a mismatch prints why on stderr and exits 1, so a
 * broken channel can never look fast.
 *
 * The assertion macros come from the userspace tests (tests/user/check.h);
 * their "rule" argument is the workload here.
 */
#ifndef CHAN_TESTS_BENCH_H
#define CHAN_TESTS_BENCH_H

#include "../user/check.h"

/* BENCH_QUICK=1: tiny counts, enough to check every result, not to measure. */
static inline long bench_count(long full)
{
	const char *quick = getenv("BENCH_QUICK");
	const char *scale = getenv("BENCH_SCALE");
	long n = full;

	if (quick && *quick == '1')
		n = full / 20;
	else if (scale && atof(scale) > 0)
		n = (long)(full * atof(scale));
	return n < 64 ? 64 : n - n % 64;	/* batches of 64 divide it */
}

static inline void bench_sample(const char *workload, const char *cas,
				const char *impl, int64_t ns, long ops)
{
	printf("sample,%s,%s,%s,%.2f,%ld\n", workload, cas, impl,
	       (double)ns / (double)ops, ops);
	fflush(stdout);
}

static inline void bench_na(const char *workload, const char *cas,
			    const char *impl, const char *why)
{
	printf("na,%s,%s,%s,%s\n", workload, cas, impl, why);
	fflush(stdout);
}

/* The value of element i: distinct, spread over all 64 bits. */
static inline uint64_t bench_val(uint64_t i)
{
	return (i + 1) * 0x9E3779B97F4A7C15ULL;
}

/*
 * Sum of bench_val(0..n-1): what a consumer must add up to.  Unsigned
 * arithmetic wraps, the same on both sides.
 */
static inline uint64_t bench_sum(uint64_t n)
{
	return (n * (n + 1) / 2) * 0x9E3779B97F4A7C15ULL;
}

/* A result that does not match: the benchmark is wrong or the channel is. */
#define BENCH_VERIFY(workload, what, got, want)				\
	do {								\
		unsigned long long g_ = (got), w_ = (want);		\
		if (g_ != w_)						\
			check_fail(__FILE__, __LINE__, workload,	\
				   "%s: result mismatch: %s is %llu (%#llx), " \
				   "want %llu (%#llx)", check_step, what, \
				   g_, g_, w_, w_);			\
	} while (0)

/* Memory that survives fork() shared between parent and child. */
static inline void *bench_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		check_fail(__FILE__, __LINE__, "bench", "mmap: %s",
			   strerrorname_np(errno));
	memset(p, 0, size);
	return p;
}

/* read()/write() until all n bytes moved; a channel may return fewer (P2). */
static inline void bench_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			check_fail(__FILE__, __LINE__, "bench",
				   "read fd %d: %zd %s (step %s)", fd, r,
				   r < 0 ? strerrorname_np(errno) : "EOF",
				   check_step);
		got += (size_t)r;
	}
}

static inline void bench_write_full(int fd, const void *buf, size_t n)
{
	size_t put = 0;

	while (put < n) {
		ssize_t r = write(fd, (const char *)buf + put, n - put);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			check_fail(__FILE__, __LINE__, "bench",
				   "write fd %d: %zd %s (step %s)", fd, r,
				   r < 0 ? strerrorname_np(errno) : "",
				   check_step);
		put += (size_t)r;
	}
}

/*
 * Watchdog: a benchmark that hangs (a lost wake-up) must fail, not stall the
 * run.  Same thread as check.h's, without its /dev/chan skip.
 */
static inline void bench_start(const char *what, unsigned int timeout_s)
{
	pthread_t t;

	check_rules = what;
	if (pthread_create(&t, NULL, check_watchdog,
			   (void *)(uintptr_t)timeout_s))
		check_fail(__FILE__, __LINE__, what, "watchdog thread");
	pthread_detach(t);
}

#endif /* CHAN_TESTS_BENCH_H */
