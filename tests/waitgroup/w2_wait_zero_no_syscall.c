// SPDX-License-Identifier: GPL-2.0
/*
 * W2: wait returns at once, and without a system call, when the counter is
 * already zero.
 *
 * Proof by seccomp: a child process installs a filter that kills it on any
 * system call but exit_group, then waits on groups whose counter is zero.  It
 * survives only if no wait made a call.  A control child proves the filter
 * catches a wait that does sleep.  The child cannot print: it reports the
 * first failed check in its exit status.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "seccomp.h"
#include "wgtest.h"

static struct waitgroup sleeper_wg;
static _Atomic pid_t sleeper_tid;

static void *sleeper(void *arg)
{
	(void)arg;
	atomic_store(&sleeper_tid, gettid());
	waitgroup_wait(&sleeper_wg);
	return NULL;
}

/* Exit with the number of the first failed step; 0 if all passed. */
#define STEP(n, cond)							\
	do {								\
		if (!(cond))						\
			syscall(SYS_exit_group, n);			\
	} while (0)

static void child_zero_waits(struct waitgroup *shared)
{
	struct waitgroup fresh = WAITGROUP_INIT, cycled = WAITGROUP_INIT;
	pthread_t t;
	int ret;

	/* A group that had a sleeping waiter and was released since. */
	CHECK_EQ(waitgroup_add(&sleeper_wg, 1), 0);
	CHECK_EQ(pthread_create(&t, NULL, sleeper, NULL), 0);
	while (!atomic_load(&sleeper_tid))
		sleep_ns(NSEC_PER_MSEC / 10);
	wait_in_futex(atomic_load(&sleeper_tid));
	CHECK_EQ(waitgroup_done(&sleeper_wg), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(waitgroup_add(&cycled, 3), 0);
	CHECK_EQ(waitgroup_add(&cycled, -3), 0);

	ret = forbid_syscalls();
	if (ret)
		_exit(TEST_SKIP);

	STEP(10, waitgroup_wait(&fresh) == 0);
	STEP(11, waitgroup_wait_timeout(&fresh, -1) == 0);
	STEP(12, waitgroup_wait_timeout(&fresh, 0) == 0);
	STEP(13, waitgroup_wait_timeout(&fresh, NSEC_PER_SEC) == 0);
	STEP(14, waitgroup_wait_timeout(&fresh, INT64_MAX) == 0);
	STEP(20, waitgroup_wait(&cycled) == 0);
	STEP(21, waitgroup_wait_timeout(&cycled, NSEC_PER_SEC) == 0);
	STEP(30, waitgroup_wait(&sleeper_wg) == 0);
	STEP(31, waitgroup_wait_timeout(&sleeper_wg, NSEC_PER_SEC) == 0);
	STEP(40, waitgroup_wait(shared) == 0);
	STEP(41, waitgroup_wait_timeout(shared, NSEC_PER_SEC) == 0);
	/* Nobody waits: add and done need no call either. */
	STEP(50, waitgroup_add(&fresh, 2) == 0);
	STEP(51, waitgroup_done(&fresh) == 0);
	STEP(52, waitgroup_wait_timeout(&fresh, 0) == -EAGAIN);
	STEP(53, waitgroup_done(&fresh) == 0);
	STEP(54, waitgroup_wait(&fresh) == 0);
	syscall(SYS_exit_group, 0);
}

/* Control: a wait that must sleep dies under the same filter. */
static void child_control(void)
{
	struct waitgroup wg = WAITGROUP_INIT;

	CHECK_EQ(waitgroup_add(&wg, 1), 0);
	if (forbid_syscalls())
		_exit(TEST_SKIP);
	waitgroup_wait_timeout(&wg, NSEC_PER_MSEC);
	syscall(SYS_exit_group, 0);
}

static int run_child(void (*fn)(struct waitgroup *), struct waitgroup *arg)
{
	/* SIGSYS would dump core: the kill is the expected outcome here. */
	struct rlimit no_core = { 0, 0 };
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		fn(arg);
		_exit(99);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	return status;
}

static void control(struct waitgroup *unused)
{
	(void)unused;
	child_control();
}

int main(void)
{
	struct waitgroup *shared;
	int status;

	test_init("W2");

	status = run_child(control, NULL);
	if (WIFEXITED(status) && WEXITSTATUS(status) == TEST_SKIP)
		test_skip("cannot install a seccomp filter");
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
		FAIL("control: a sleeping wait was not killed by seccomp (status %#x)",
		     status);

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED);
	waitgroup_init(shared, WAITGROUP_SHARED);
	CHECK_EQ(waitgroup_add(shared, 1), 0);
	CHECK_EQ(waitgroup_done(shared), 0);

	status = run_child(child_zero_waits, shared);
	if (WIFSIGNALED(status))
		FAIL("a wait on a zero counter made a system call (killed by signal %d)",
		     WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAIL("child failed at step %d", WEXITSTATUS(status));

	test_pass("no system call on a zero counter (seccomp-checked)");
}
