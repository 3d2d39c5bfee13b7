// SPDX-License-Identifier: GPL-2.0
/*
 * W4: a group flagged WAITGROUP_SHARED works across processes in MAP_SHARED
 * memory.
 *
 * 1. Workers in child processes call done; waiters in other children and
 *    the parent sleep until all are done, and then see all the work.
 * 2. The group is mapped at a different address in each process (a memfd
 *    mapped again after fork): the futex must be keyed by the page, not the
 *    address, or the sleeping child is never woken and times out.
 */
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "wgtest.h"

#define WORKERS		8
#define WAITER_PROCS	3
#define ROUNDS		5

struct shared {
	struct waitgroup wg;
	atomic_int work[WORKERS];
};

static void reap(pid_t pid)
{
	int status;

	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAIL("child %d failed (status %#x)", (int)pid, status);
}

static void check_work(struct shared *sh, int round)
{
	int i;

	for (i = 0; i < WORKERS; i++)
		CHECK_EQ(atomic_load(&sh->work[i]), round);
}

static void workers_and_waiters(struct shared *sh)
{
	pid_t pids[WORKERS + WAITER_PROCS];
	int round, i;

	for (round = 1; round <= ROUNDS; round++) {
		CHECK_EQ(waitgroup_add(&sh->wg, WORKERS), 0);
		for (i = 0; i < WAITER_PROCS; i++) {
			fflush(NULL);
			pids[WORKERS + i] = fork();
			CHECK(pids[WORKERS + i] >= 0);
			if (pids[WORKERS + i] == 0) {
				/* Workers still have to be forked. */
				CHECK_EQ(waitgroup_wait_timeout(&sh->wg,
						2 * RELEASE_NS), 0);
				check_work(sh, round);
				_exit(0);
			}
		}
		/* Workers start once the waiters sleep. */
		for (i = 0; i < WAITER_PROCS; i++)
			wait_in_futex(pids[WORKERS + i]);
		for (i = 0; i < WORKERS; i++) {
			fflush(NULL);
			pids[i] = fork();
			CHECK(pids[i] >= 0);
			if (pids[i] == 0) {
				sleep_ns((i + 1) * NSEC_PER_MSEC);
				atomic_store(&sh->work[i], round);
				CHECK_EQ(waitgroup_done(&sh->wg), 0);
				_exit(0);
			}
		}
		CHECK_EQ(waitgroup_wait_timeout(&sh->wg, 2 * RELEASE_NS), 0);
		check_work(sh, round);
		for (i = 0; i < WORKERS + WAITER_PROCS; i++)
			reap(pids[i]);
	}
}

static void other_address(void)
{
	struct waitgroup *here, *there;
	int fd, round;
	pid_t pid;

	fd = memfd_create("w4", MFD_CLOEXEC);
	if (fd < 0)
		test_skip("no memfd_create");
	CHECK_EQ(ftruncate(fd, 4096), 0);
	here = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(here != MAP_FAILED);
	waitgroup_init(here, WAITGROUP_SHARED);

	for (round = 0; round < ROUNDS; round++) {
		CHECK_EQ(waitgroup_add(here, 1), 0);
		fflush(NULL);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			/* here stays mapped, so this mapping lands elsewhere. */
			there = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				     MAP_SHARED, fd, 0);
			CHECK(there != MAP_FAILED && there != here);
			CHECK_EQ(waitgroup_wait_timeout(there, RELEASE_NS), 0);
			_exit(0);
		}
		wait_in_futex(pid);
		CHECK_EQ(waitgroup_done(here), 0);
		reap(pid);
	}
	munmap(here, 4096);
	close(fd);
}

int main(void)
{
	struct shared *sh;

	test_init("W4");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED);
	waitgroup_init(&sh->wg, WAITGROUP_SHARED);
	workers_and_waiters(sh);
	other_address();
	test_pass("waiters in other processes released, at any address");
}
