// SPDX-License-Identifier: GPL-2.0
/*
 * G1: chan_go runs a function on a new detached thread with a small stack
 * (64 KiB by default, or the C library's minimum if larger; settable), so that thousands can block at once.
 *
 * 10,000 goroutines block together on a wait group (as they would on a
 * channel), all alive at the same time; the memory they cost is measured
 * against a budget that fits a 1 GiB VM.  On the debug kernel, where KASAN
 * and kmemleak make each thread costly to create and no chan code runs,
 * 2,000 do (CHAN_TEST_FULL=1: all of them).  The stack size each goroutine
 * gets is read back from the thread itself.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>

#include "wgtest.h"

#define GOROUTINES	10000
#define GOROUTINES_DEBUG 2000
/* Half of a 1 GiB VM for 10,000 blocked goroutines, user and kernel side. */
#define BUDGET_BYTES	(512LL << 20)

#ifdef __SANITIZE_ADDRESS__
/*
 * ASan's per-thread state costs about 100 KiB a thread, and its leak check
 * at exit takes tens of seconds with 10,000 threads: the memory budget is
 * only checked without it, and the leak check is W6's (waitgroup_go).
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#define CHECK_BUDGET	0
#else
#define CHECK_BUDGET	1
#endif

static struct waitgroup started, gate, finished;
static int goroutines = GOROUTINES;
static atomic_int passed;

struct probe {
	size_t stack;
	struct waitgroup done;
};

static void *stack_probe(void *p)
{
	struct probe *pr = p;

	pr->stack = own_stack_size();
	CHECK_EQ(waitgroup_done(&pr->done), 0);
	return NULL;
}

static size_t probe_stack(void)
{
	struct probe pr = { 0 };

	CHECK_EQ(waitgroup_add(&pr.done, 1), 0);
	CHECK_EQ(chan_go(stack_probe, &pr), 0);
	CHECK_EQ(waitgroup_wait(&pr.done), 0);
	return pr.stack;
}

static void *blocked(void *arg)
{
	(void)arg;
	CHECK_EQ(waitgroup_done(&started), 0);
	CHECK_EQ(waitgroup_wait(&gate), 0);
	atomic_fetch_add(&passed, 1);
	return NULL;
}

static long long meminfo_kib(const char *key)
{
	char line[256];
	long long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = atoll(line + n + 1);
	fclose(f);
	return v;
}

static long long rss_kib(void)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			v = atoll(line + 6);
	fclose(f);
	return v;
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	CHECK(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * A 1 GiB VM allows about 8,000 threads (4,000 with KASAN's bigger kernel
 * stacks) by default: kernel.threads-max is derived from RAM, not from what
 * threads really cost.  Raise it when we may; that is a system setting, not
 * a goroutine's cost.
 */
static void make_room_for_threads(int want)
{
	struct rlimit rl;
	long max = 0;
	FILE *f;

	if (!getrlimit(RLIMIT_NPROC, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NPROC, &rl);
	}
	f = fopen("/proc/sys/kernel/threads-max", "r");
	if (!f)
		return;
	if (fscanf(f, "%ld", &max) != 1)
		max = 0;
	fclose(f);
	if (max >= want)
		return;
	f = fopen("/proc/sys/kernel/threads-max", "w");
	if (!f || fprintf(f, "%d\n", want) < 0 || fclose(f))
		fprintf(stderr, "G1: threads-max is %ld and cannot be raised to %d\n",
			max, want);
	else
		fprintf(stderr, "G1: raised threads-max from %ld to %d\n", max, want);
}

int main(void)
{
	long long rss0, ks0, pt0, rss, ks, pt, cost;
	size_t stack;
	int i, ret;

	test_init("G1");
	if (getenv("CHAN_KERNEL") && !strncmp(getenv("CHAN_KERNEL"), "debug", 5) &&
	    !getenv("CHAN_TEST_FULL"))
		goroutines = GOROUTINES_DEBUG;

	/* Default and settable stack size, as the threads see it. */
	stack = probe_stack();
	if (stack < goroutine_default_stack() || stack > goroutine_default_stack() + 64 * 1024)
		FAIL("default goroutine stack is %zu bytes, expected %zu",
		     stack, goroutine_default_stack());
	CHECK_EQ(chan_go_stack_size(1), -EINVAL);
	CHECK_EQ(chan_go_stack_size(256 * 1024), 0);
	stack = probe_stack();
	if (stack < 256 * 1024 || stack > 320 * 1024)
		FAIL("goroutine stack is %zu bytes after setting 256 KiB", stack);
	CHECK_EQ(chan_go_stack_size(goroutine_default_stack()), 0);
	CHECK_EQ(chan_go(NULL, NULL), -EINVAL);

	make_room_for_threads(goroutines + 1000);
	rss0 = rss_kib();
	ks0 = meminfo_kib("KernelStack");
	pt0 = meminfo_kib("PageTables");

	CHECK_EQ(waitgroup_add(&started, goroutines), 0);
	CHECK_EQ(waitgroup_add(&gate, 1), 0);
	for (i = 0; i < goroutines; i++) {
		ret = waitgroup_go(&finished, blocked, NULL);
		if (ret)
			FAIL("goroutine %d of %d: %s", i, goroutines, strerror(-ret));
	}
	CHECK_EQ(waitgroup_wait_timeout(&started, 120 * NSEC_PER_SEC), 0);

	/* All alive and blocked at once: none got past the closed gate. */
	i = count_threads();
	if (i < goroutines + 1)
		FAIL("only %d threads alive at once", i);
	CHECK_EQ(atomic_load(&passed), 0);

	rss = rss_kib() - rss0;
	ks = meminfo_kib("KernelStack") - ks0;
	pt = meminfo_kib("PageTables") - pt0;
	cost = (rss + ks + pt) * 1024;
	fprintf(stderr, "G1: %d blocked goroutines: user RSS %lld KiB, kernel stacks %lld KiB, page tables %lld KiB: %lld bytes each\n",
		goroutines, rss, ks, pt, cost / goroutines);
	/* The budget is per goroutine when fewer run. */
	if (CHECK_BUDGET && cost / goroutines > BUDGET_BYTES / GOROUTINES)
		FAIL("%d goroutines cost %lld MiB, budget %lld MiB", goroutines,
		     cost >> 20, BUDGET_BYTES / GOROUTINES * goroutines >> 20);

	CHECK_EQ(waitgroup_done(&gate), 0);
	CHECK_EQ(waitgroup_wait_timeout(&finished, 120 * NSEC_PER_SEC), 0);
	CHECK_EQ(atomic_load(&passed), goroutines);
	printf("G1: pass: %d goroutines blocked at once, %lld bytes each\n",
	       goroutines, cost / goroutines);
	return 0;
}
