/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h: assertions and helpers shared by the userspace tests of chan.
 *
 * Every test is one static program that exits 0 on success, 77 when it
 * cannot run here (no /dev/chan), and 1 on the first failed check.  A failed
 * check prints file:line, the rule ID it checks (see shared/semantics.md)
 * and the expression, so a red test names the broken rule.
 *
 * Nothing in a test may hang: test_start() arms a watchdog thread that fails
 * the test after a deadline and reports the step it was on.  Children are
 * made with fork_child(), which ties them to the parent so that a failing or
 * timed-out parent does not leave them behind.
 */
#ifndef CHAN_TESTS_USER_CHECK_H
#define CHAN_TESTS_USER_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/chan.h>
#include <chan.h>

#define EXIT_SKIP	77

/*
 * CHAN_TEST_RING=1 runs a suite on ring channels (M2): every buffered
 * channel a test makes with chan_make() is made with CHAN_RING, so that
 * libchan's calls take the fast path where they can and the rules are
 * checked through it.  A ring whose slots do not fit max_buffer_bytes
 * (each slot has an 8-byte header) is made as the test asked.
 */
static inline bool test_ring_mode(void)
{
	static int ring = -1;

	if (ring < 0) {
		const char *e = getenv("CHAN_TEST_RING");

		ring = e && *e == '1';
	}
	return ring;
}

static inline int test_chan_make(size_t elem_size, size_t cap,
				 unsigned int flags)
{
	int fd;

	if (!test_ring_mode() || !cap || (flags & CHAN_RING))
		return chan_make(elem_size, cap, flags);
	fd = chan_make(elem_size, cap, flags | CHAN_RING);
	return fd == -EINVAL ? chan_make(elem_size, cap, flags) : fd;
}
#define chan_make(elem_size, cap, flags) test_chan_make(elem_size, cap, flags)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* What the test is doing now; the watchdog prints it when it fires. */
static const char *volatile check_step __attribute__((unused)) = "start";
static const char *check_rules __attribute__((unused)) = "?";

#define STEP(s)	(check_step = (s))

static inline const char *check_errname(long long v)
{
	const char *name;

	if (v >= 0 || v < -4095)
		return "";
	name = strerrorname_np((int)-v);
	return name ? name : "?";
}

static inline void __attribute__((noreturn, format(printf, 4, 5)))
check_fail(const char *file, int line, const char *rule, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: FAIL [%s] (%s, pid %d, step: %s): ", file, line,
		rule, program_invocation_short_name, (int)getpid(),
		check_step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* _exit: other threads may be blocked in the kernel, exit() handlers too. */
	_exit(1);
}

/* CHECK(rule, expr): expr must be true. */
#define CHECK(rule, expr)						\
	do {								\
		if (!(expr))						\
			check_fail(__FILE__, __LINE__, rule, "%s", #expr); \
	} while (0)

/* CHECK_EQ(rule, a, b): a == b as integers; prints both (and errno names). */
#define CHECK_EQ(rule, a, b)						\
	do {								\
		long long a_ = (long long)(a), b_ = (long long)(b);	\
		if (a_ != b_)						\
			check_fail(__FILE__, __LINE__, rule,		\
				   "%s == %s: %lld%s%s != %lld%s%s",	\
				   #a, #b, a_, *check_errname(a_) ? " " : "", \
				   check_errname(a_), b_,		\
				   *check_errname(b_) ? " " : "",	\
				   check_errname(b_));			\
	} while (0)

/* CHECK_OK(rule, expr): a libchan call (or any -errno call) that must not fail. */
#define CHECK_OK(rule, expr)						\
	({								\
		long long r_ = (long long)(expr);			\
		if (r_ < 0)						\
			check_fail(__FILE__, __LINE__, rule, "%s: %lld %s", \
				   #expr, r_, check_errname(r_));	\
		r_;							\
	})

/* CHECK_SYS(rule, expr): a -1/errno system call that must not fail. */
#define CHECK_SYS(rule, expr)						\
	({								\
		long long r_ = (long long)(expr);			\
		if (r_ < 0)						\
			check_fail(__FILE__, __LINE__, rule, "%s: %s",	\
				   #expr, strerrorname_np(errno));	\
		r_;							\
	})

/* CHECK_ERRNO(rule, expr, err): a -1/errno system call that must fail with err. */
#define CHECK_ERRNO(rule, expr, err)					\
	do {								\
		long long r_ = (long long)(expr);			\
		int e_ = errno;						\
		if (r_ != -1 || e_ != (err))				\
			check_fail(__FILE__, __LINE__, rule,		\
				   "%s: want -1 %s, got %lld %s", #expr, \
				   strerrorname_np(err), r_,		\
				   r_ == -1 ? strerrorname_np(e_) : ""); \
	} while (0)

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline void *check_watchdog(void *arg)
{
	unsigned int secs = (unsigned int)(uintptr_t)arg;
	sigset_t all;

	/* Keep process-directed signals away from this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	sleep_ms(secs * 1000);
	fprintf(stderr, "%s: FAIL [%s] timed out after %u s, step: %s\n",
		program_invocation_short_name, check_rules, secs, check_step);
	_exit(2);
	return NULL;
}

/*
 * Watchdogs and no-progress limits are set for the stock x86-64 VM.  The
 * arm64 VM (qemu-system-aarch64 translating every instruction) does the
 * same work 5 to 10 times slower, so there they are multiplied by this; a
 * debug kernel's (KASAN, lockdep, kmemleak) by 3: b4_killed's full-count
 * streams there missed a 60 s no-progress limit on a loaded machine.
 */
static inline unsigned int test_time_scale(void)
{
	const char *kernel = getenv("CHAN_KERNEL");
	size_t n = kernel ? strlen(kernel) : 0;

	if (n > 6 && !strcmp(kernel + n - 6, "-arm64"))
		return 4;
	return kernel && !strncmp(kernel, "debug", 5) ? 3 : 1;
}

/*
 * test_start(): name the rules under test, skip when there is no /dev/chan,
 * and fail the whole test if it is still running after @timeout_s seconds
 * (times test_time_scale()).
 */
static inline void test_start(const char *rules, const char *what,
			      unsigned int timeout_s)
{
	pthread_t t;
	int err;

	timeout_s *= test_time_scale();
	check_rules = rules;
	setvbuf(stdout, NULL, _IOLBF, 0);
	fprintf(stderr, "%s [%s]: %s\n", program_invocation_short_name, rules,
		what);
	if (access("/dev/chan", F_OK) < 0) {
		fprintf(stderr, "%s [%s]: SKIP: no /dev/chan (module not loaded)\n",
			program_invocation_short_name, rules);
		exit(EXIT_SKIP);
	}
	err = pthread_create(&t, NULL, check_watchdog,
			     (void *)(uintptr_t)timeout_s);
	if (err)
		check_fail(__FILE__, __LINE__, rules, "watchdog: %s",
			   strerrorname_np(err));
	pthread_detach(t);
}

static inline void __attribute__((noreturn)) test_pass(void)
{
	fprintf(stderr, "%s [%s]: PASS\n", program_invocation_short_name,
		check_rules);
	_exit(0);
}

/*
 * test_count(): how many of something a load test does.  The debug kernel
 * (KASAN, lockdep, kmemleak) under software emulation is 20-50 times slower
 * than the stock one, and a select there costs a millisecond: it runs a
 * tenth of the count, enough to stir up races and splats, while the run on
 * the stock kernel does the full count that the rules ask for.
 * CHAN_TEST_FULL=1 forces the full count everywhere.
 */
static inline long test_count(long full)
{
	const char *kernel = getenv("CHAN_KERNEL");
	const char *force = getenv("CHAN_TEST_FULL");

	if (kernel && !strncmp(kernel, "debug", 5) && !(force && *force == '1'))
		return full / 10;
	return full;
}

/* Raw CHAN_IOC_INFO: the tests look at the channel behind libchan's back. */
static inline struct chan_info chan_info_of(int fd)
{
	struct chan_info info;

	memset(&info, 0xa5, sizeof(info));
	if (ioctl(fd, CHAN_IOC_INFO, &info) < 0)
		check_fail(__FILE__, __LINE__, "P4", "CHAN_IOC_INFO on fd %d: %s",
			   fd, strerrorname_np(errno));
	return info;
}

/*
 * Wait until exactly @senders tasks are blocked sending and @receivers
 * receiving on @fd: the deterministic way to know that threads have gone to
 * sleep in the kernel, and in which order.  Bounded by the watchdog.
 */
static inline void wait_waiters(int fd, unsigned int senders,
				unsigned int receivers)
{
	const char *prev = check_step;
	struct chan_info info;
	int64_t start = now_ns();

	check_step = "waiting for CHAN_IOC_INFO waiter counts";
	for (;;) {
		info = chan_info_of(fd);
		if (info.send_waiters == senders &&
		    info.recv_waiters == receivers)
			break;
		/* Poll fast at first, then gently: many threads may be starting. */
		usleep(now_ns() - start < 100000000 ? 200 : 2000);
	}
	check_step = prev;
}

/* A thread that the test cannot run without. */
static inline pthread_t spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, fn, arg);

	if (err)
		check_fail(__FILE__, __LINE__, check_rules, "pthread_create: %s",
			   strerrorname_np(err));
	return t;
}

static inline void *join(pthread_t t)
{
	void *ret;
	int err = pthread_join(t, &ret);

	if (err)
		check_fail(__FILE__, __LINE__, check_rules, "pthread_join: %s",
			   strerrorname_np(err));
	return ret;
}

/*
 * fork() whose child dies with the parent, so a failing test leaves nothing
 * running.  Call it from a thread that outlives the child: PDEATHSIG follows
 * the forking thread, not the process.
 */
static inline pid_t fork_child(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0)
		check_fail(__FILE__, __LINE__, check_rules, "fork: %s",
			   strerrorname_np(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
	}
	return pid;
}

/* Reap @pid and require it to have exited with 0. */
static inline void wait_child_ok(const char *rule, pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		check_fail(__FILE__, __LINE__, rule, "waitpid %d: %s", (int)pid,
			   strerrorname_np(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		check_fail(__FILE__, __LINE__, rule,
			   "child %d failed: %s %d", (int)pid,
			   WIFEXITED(status) ? "exit" : "signal",
			   WIFEXITED(status) ? WEXITSTATUS(status) :
					       WTERMSIG(status));
}

/* Open /dev/chan for the raw ioctls of /dev/chan itself. */
static inline int chan_dev_open(void)
{
	int fd = open("/dev/chan", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		check_fail(__FILE__, __LINE__, check_rules, "open /dev/chan: %s",
			   strerrorname_np(errno));
	return fd;
}

static inline struct chan_query chan_query_limits(void)
{
	struct chan_query q;
	int dev = chan_dev_open();

	memset(&q, 0xa5, sizeof(q));
	if (ioctl(dev, CHAN_IOC_QUERY, &q) < 0)
		check_fail(__FILE__, __LINE__, "L1", "CHAN_IOC_QUERY: %s",
			   strerrorname_np(errno));
	close(dev);
	return q;
}

/*
 * An address no access can succeed on: a reserved PROT_NONE page, so that
 * nothing else is ever mapped there while the test runs (L2 EFAULT cases).
 */
static inline void *bad_ptr(void)
{
	static void *page;

	if (!page) {
		page = mmap(NULL, 4096, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED)
			check_fail(__FILE__, __LINE__, check_rules, "mmap: %s",
				   strerrorname_np(errno));
	}
	return page;
}

/* Raise RLIMIT_NOFILE (soft and, as root, hard) to at least @want. */
static inline void raise_nofile(rlim_t want)
{
	struct rlimit rl;

	CHECK_SYS(check_rules, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	if (rl.rlim_cur < want)
		rl.rlim_cur = want;
	CHECK_SYS(check_rules, setrlimit(RLIMIT_NOFILE, &rl));
}

/* Deliver @sig to one thread of this process. */
/*
 * In a forked child of root: become @uid (its own group, no supplementary
 * ones) for rule @rule.  A change of credentials clears the parent-death
 * signal, so it is set again; a child whose parent died meanwhile exits.
 */
static inline void become_user(const char *rule, uid_t uid)
{
	pid_t parent = getppid();

	CHECK_SYS(rule, setgroups(0, NULL));
	CHECK_SYS(rule, setresgid(uid, uid, uid));
	CHECK_SYS(rule, setresuid(uid, uid, uid));
	CHECK_EQ(rule, geteuid(), uid);
	CHECK_EQ(rule, getegid(), uid);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

static inline void signal_thread(pid_t tid, int sig)
{
	if (tgkill(getpid(), tid, sig) < 0)
		check_fail(__FILE__, __LINE__, check_rules, "tgkill: %s",
			   strerrorname_np(errno));
}

#endif /* CHAN_TESTS_USER_CHECK_H */
