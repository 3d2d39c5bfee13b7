// SPDX-License-Identifier: GPL-2.0
/*
 * W5 on a kernel before 5.1, as a 32-bit program with a 64-bit time_t sees
 * it: futex_time64 fails with ENOSYS (a seccomp filter says so here), and
 * libchan falls back to the old futex call with a 32-bit timespec.  Timed
 * waits must still expire on time, and releases still wake waiters.
 * Where there is no futex_time64 to fall back from (64-bit ABIs, 32-bit
 * time_t) the test skips.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

#include "wgtest.h"

#define LATE_NS		(5 * NSEC_PER_SEC)

#ifdef SYS_futex_time64
static struct waitgroup wg;

static void *release_later(void *arg)
{
	(void)arg;
	sleep_ns(50 * NSEC_PER_MSEC);
	CHECK_EQ(waitgroup_done(&wg), 0);
	return NULL;
}
#endif

int main(void)
{
#ifdef SYS_futex_time64
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex_time64, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(*filter),
		.filter = filter,
	};
	int64_t start, took;
	pthread_t t;
#endif

	test_init("W5");
#ifndef SYS_futex_time64
	test_skip("no futex_time64 on this ABI");
#else
	if (sizeof(time_t) <= sizeof(long))
		test_skip("a 32-bit time_t uses the old futex call anyway");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		test_skip("cannot install a seccomp filter");
	errno = 0;
	CHECK_EQ(syscall(SYS_futex_time64, &wg, 0, 0, NULL, NULL, 0), -1);
	CHECK_EQ(errno, ENOSYS);

	/* Expiry: not early (the bug this guards against), not very late. */
	CHECK_EQ(waitgroup_add(&wg, 1), 0);
	start = now_ns();
	CHECK_EQ(waitgroup_wait_timeout(&wg, 250 * NSEC_PER_MSEC), -ETIMEDOUT);
	took = now_ns() - start;
	if (took < 250 * NSEC_PER_MSEC || took > 250 * NSEC_PER_MSEC + LATE_NS)
		FAIL("a 250 ms wait took %lld ns", (long long)took);

	/* A release wakes a timed waiter, and one without a limit. */
	CHECK_EQ(pthread_create(&t, NULL, release_later, NULL), 0);
	start = now_ns();
	CHECK_EQ(waitgroup_wait_timeout(&wg, 60 * NSEC_PER_SEC), 0);
	CHECK(now_ns() - start < LATE_NS);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(waitgroup_add(&wg, 1), 0);
	CHECK_EQ(pthread_create(&t, NULL, release_later, NULL), 0);
	CHECK_EQ(waitgroup_wait(&wg), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	/* The largest timeout: its deadline saturates for the old call. */
	CHECK_EQ(waitgroup_add(&wg, 1), 0);
	CHECK_EQ(pthread_create(&t, NULL, release_later, NULL), 0);
	CHECK_EQ(waitgroup_wait_timeout(&wg, INT64_MAX), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	test_pass("timed waits right with the pre-5.1 futex call");
#endif
}
