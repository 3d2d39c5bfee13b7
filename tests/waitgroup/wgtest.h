/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the wait group and goroutine tests.
 *
 * Contract with the harness: exit 0 = pass, 77 = skip, anything else = fail;
 * diagnostics on stderr, a one-line summary on stdout.  Every test names the
 * rule it checks (W1 ... G1) in its output.
 */
#ifndef WGTEST_H
#define WGTEST_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <chan.h>

#define TEST_SKIP	77
#define NSEC_PER_MSEC	1000000LL
#define NSEC_PER_SEC	1000000000LL

/* The harness also runs us in a VM without KVM: bound a hang generously. */
#define TEST_WATCHDOG_SEC	300
/* A released waiter is late, and its wake-up taken for lost, after this. */
#define RELEASE_NS		(10 * NSEC_PER_SEC)

static const char *test_rule = "?";

static inline void test_init(const char *rule)
{
	test_rule = rule;
	/* SIGALRM's default action ends a hung test as a failure. */
	alarm(TEST_WATCHDOG_SEC);
}

static inline void test_pass(const char *what)
{
	printf("%s: pass: %s\n", test_rule, what);
	exit(0);
}

static inline void test_skip(const char *why)
{
	printf("%s: skip: %s\n", test_rule, why);
	exit(TEST_SKIP);
}

#define FAIL(...)							\
	do {								\
		fprintf(stderr, "%s: FAIL %s:%d: ", test_rule,		\
			__FILE__, __LINE__);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		exit(1);						\
	} while (0)

#define CHECK(cond)							\
	do {								\
		if (!(cond))						\
			FAIL("%s", #cond);				\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		long long _a = (a), _b = (b);				\
		if (_a != _b)						\
			FAIL("%s == %lld, expected %s == %lld",		\
			     #a, _a, #b, _b);				\
	} while (0)

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* chan_go()'s default stack: 64 KiB, or the C library's minimum if larger. */
static inline size_t goroutine_default_stack(void)
{
	long min = sysconf(_SC_THREAD_STACK_MIN);

	return min > 64 * 1024 ? (size_t)min : 64 * 1024;
}

/* The stack size of the calling thread, as the C library reports it. */
static inline size_t own_stack_size(void)
{
	pthread_attr_t attr;
	size_t size = 0;
	void *addr;

	CHECK_EQ(pthread_getattr_np(pthread_self(), &attr), 0);
	CHECK_EQ(pthread_attr_getstack(&attr, &addr, &size), 0);
	pthread_attr_destroy(&attr);
	return size;
}

static inline void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * A thread's scheduler state letter ('S' = asleep), or 0; /proc/TID works for
 * any thread id, of this process or another.
 */
static inline char task_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold anything; the state follows its ')'. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* The system call thread tid is blocked in, -1 if none, or -2 if unknown. */
static inline long task_syscall(pid_t tid)
{
	char path[64];
	long nr;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -2;
	/* "running" or "-1 ..." (not in a call) make this -1 or fail. */
	n = fscanf(f, "%ld", &nr);
	fclose(f);
	return n == 1 ? nr : -1;
}

/* A 32-bit ABI's futex call with a 64-bit timespec (libchan's with time64). */
static inline int in_futex_time64(long nr)
{
#ifdef SYS_futex_time64
	return nr == SYS_futex_time64;
#else
	(void)nr;
	return 0;
#endif
}

/*
 * Wait until thread tid sleeps in futex(2), up to 10 s; where /proc does not
 * tell the call, asleep is taken for asleep in the futex.  Under qemu's
 * user-mode emulation (CHAN_TEST_EMULATED set) /proc tells the host's call,
 * whose number means something else here: it is not asked.
 */
static inline void wait_in_futex(pid_t tid)
{
	int64_t end = now_ns() + 10 * NSEC_PER_SEC;
	long nr;

	for (;;) {
		if (task_state(tid) == 'S') {
			nr = getenv("CHAN_TEST_EMULATED") ? -2 : task_syscall(tid);
			if (nr == SYS_futex || nr == -2 || in_futex_time64(nr))
				return;
		}
		if (now_ns() > end)
			FAIL("thread %d never went to sleep in futex", (int)tid);
		sleep_ns(NSEC_PER_MSEC / 10);
	}
}

#endif /* WGTEST_H */
