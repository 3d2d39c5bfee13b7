// SPDX-License-Identifier: GPL-2.0
/*
 * G2: the pool of parked threads is bounded in size and in time.  300
 * goroutines block at once and then return: at most 256 threads stay
 * parked (chan_go(3)), and every parked thread exits once it has been idle
 * for 2 s, so an idle program is left with its main thread.  A fork() after
 * all that starts goroutines in the child: the pool does not hand them to
 * threads that only the parent has.
 */
#include <sys/wait.h>

#include "wgtest.h"

#define GOROUTINES	300
#define POOL_MAX	256
#define IDLE_NS		(2 * NSEC_PER_SEC)

static struct waitgroup gate, done;

static void *block(void *unused)
{
	(void)unused;
	CHECK_EQ(waitgroup_wait(&gate), 0);
	CHECK_EQ(waitgroup_done(&done), 0);
	return NULL;
}

static void *nothing(void *unused)
{
	(void)unused;
	CHECK_EQ(waitgroup_done(&done), 0);
	return NULL;
}

static int threads(void)
{
	char line[256];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	CHECK(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	CHECK(n > 0);
	return n;
}

/* Wait up to @ns for the thread count to drop to @most or below. */
static int threads_within(int most, int64_t ns)
{
	int64_t end = now_ns() + ns;
	int n;

	while ((n = threads()) > most && now_ns() < end)
		sleep_ns(10 * NSEC_PER_MSEC);
	return n;
}

static void child(void)
{
	int i;

	/* Goroutines before fork() parked; here they would never run. */
	CHECK_EQ(waitgroup_add(&done, 4), 0);
	for (i = 0; i < 4; i++)
		CHECK_EQ(chan_go(nothing, NULL), 0);
	CHECK_EQ(waitgroup_wait_timeout(&done, RELEASE_NS), 0);
	exit(0);
}

int main(void)
{
	int64_t start;
	int i, n, status;
	pid_t pid;

	test_init("G2");
	CHECK_EQ(threads(), 1);
	CHECK_EQ(waitgroup_add(&gate, 1), 0);
	CHECK_EQ(waitgroup_add(&done, GOROUTINES), 0);
	for (i = 0; i < GOROUTINES; i++)
		CHECK_EQ(chan_go(block, NULL), 0);
	CHECK_EQ(threads(), 1 + GOROUTINES);
	/* No thread parks before this: their idle time starts later. */
	start = now_ns();
	CHECK_EQ(waitgroup_done(&gate), 0);
	CHECK_EQ(waitgroup_wait(&done), 0);

	/*
	 * Those beyond the bound exit as soon as they return; no parked
	 * thread may leave before IDLE_NS from start.  A machine too slow to
	 * let 44 threads exit within that time cannot tell the two apart.
	 */
	n = threads_within(1 + POOL_MAX, IDLE_NS * 3 / 4);
	if (n > 1 + POOL_MAX && now_ns() - start < IDLE_NS * 3 / 4)
		FAIL("%d threads left after %d goroutines returned, at most %d may park",
		     n - 1, GOROUTINES, POOL_MAX);
	if (n > 1 + POOL_MAX)
		printf("G2: bound not checked: %d threads left %lld ms after the release, too slow to tell\n",
		       n - 1, (long long)((now_ns() - start) / NSEC_PER_MSEC));
	else
		printf("G2: %d of %d threads parked\n", n - 1, GOROUTINES);

	/* fork() with a full pool: the child's goroutines run. */
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		child();
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		FAIL("the child's goroutines after fork() failed (status %#x)",
		     status);

	/* Idle: all exit; allow the emulated VM a few seconds' lateness. */
	n = threads_within(1, IDLE_NS + RELEASE_NS);
	if (n != 1)
		FAIL("%d parked threads still there after %lld ms idle", n - 1,
		     (long long)((now_ns() - start) / NSEC_PER_MSEC));
	if (now_ns() - start < IDLE_NS * 9 / 10)
		FAIL("parked threads exited after %lld ms, before their idle time",
		     (long long)((now_ns() - start) / NSEC_PER_MSEC));
	test_pass("at most 256 threads park, none for longer than 2 s idle; fork() works");
}
