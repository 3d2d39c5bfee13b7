// SPDX-License-Identifier: GPL-2.0
/*
 * M6 (L1, L4, L5): a ring channel's pages are charged like a buffer.  Its
 * slots, with their state words, count against the per-channel limit
 * (EINVAL where a plain channel of the same shape fits) and, with the
 * private page of each mapping, against the user's budget (EMFILE).  A
 * mapping that does not fit the budget fails, and libchan then serves the
 * fd through the kernel: the channel still works.
 */
#include "ring.h"

#define BUDGET	"/sys/module/chan/parameters/user_budget_bytes"

static long read_param(const char *path)
{
	char buf[64] = "";
	int fd = CHECK_SYS("M6", open(path, O_RDONLY));

	CHECK("M6", read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	return atol(buf);
}

static void write_param(const char *path, long v)
{
	char buf[64];
	int fd = CHECK_SYS("M6", open(path, O_WRONLY));
	int n = snprintf(buf, sizeof(buf), "%ld\n", v);

	CHECK_EQ("M6", write(fd, buf, n), n);
	close(fd);
}

static void run(void)
{
	struct chan_query q = chan_query_limits();
	long page = sysconf(_SC_PAGESIZE);
	uint64_t cap = q.max_buffer_bytes / 8, v, out;
	int a, b, fds[512], i, n, m;

	STEP("the per-channel limit counts the slot headers (L1)");
	a = CHECK_OK("L1", chan_make(8, cap, 0));
	close(a);
	CHECK_EQ("M6", chan_make(8, cap, CHAN_RING), -EINVAL);
	a = CHECK_OK("M6", chan_make(8, cap / 2 - 64, CHAN_RING));
	close(a);

	STEP("the budget pays for the pages (L4)");
	/* 32 slots of 16 bytes and the header: one page, plus bookkeeping. */
	write_param(BUDGET, 8 * page);
	for (n = 0; n < 64; n++) {
		fds[n] = chan_make(8, 32, CHAN_RING);
		if (fds[n] < 0)
			break;
	}
	CHECK_EQ("M6", fds[n], -EMFILE);
	/* Each costs at least its page: fewer than 8 fit. */
	CHECK("M6", n >= 1 && n < 8);
	for (i = 0; i < n; i++)
		close(fds[i]);

	STEP("a mapping that does not fit fails; the channel still works (L5)");
	write_param(BUDGET, 1 << 20);
	a = CHECK_OK("M6", chan_make(8, 32, CHAN_RING));
	/* Fill the budget with plain channels until a page no longer fits. */
	for (n = 0; n < 64; n++) {
		fds[n] = chan_make(8, 8192, 0);
		if (fds[n] < 0)
			break;
	}
	CHECK_EQ("M6", fds[n], -EMFILE);
	/* And with the smallest, so not a page is left. */
	for (m = n; m < 512; m++) {
		fds[m] = chan_make(0, 0, 0);
		if (fds[m] < 0)
			break;
	}
	CHECK_EQ("M6", fds[m], -EMFILE);
	b = CHECK_OK("M6", chan_dup(a, CHAN_MODE_BOTH));
	CHECK("M6", mmap(NULL, ring_info_of(b).map_bytes,
			 PROT_READ | PROT_WRITE, MAP_SHARED, b, 0) == MAP_FAILED);
	CHECK_EQ("M6", errno, EMFILE);
	v = 3;
	CHECK_EQ("M6", chan_send(b, &v), 0);	/* through the kernel */
	CHECK_EQ("M6", chan_recv(a, &out), 1);	/* a's own mapping */
	CHECK_EQ("M6", out, 3);
	for (i = 0; i < m; i++)
		close(fds[i]);
	close(a);
	close(b);
}

int main(void)
{
	long budget;
	pid_t pid;

	test_start("M6 L1 L4 L5", "ring channels are charged like buffers", 120);
	if (geteuid() != 0) {
		fprintf(stderr, "m6_budget: SKIP: needs root to set the budget\n");
		return EXIT_SKIP;
	}
	budget = read_param(BUDGET);
	pid = fork_child();
	if (!pid) {
		run();
		_exit(0);
	}
	/* The parameter is put back whatever the child did. */
	{
		int status;

		CHECK_EQ("M6", waitpid(pid, &status, 0), pid);
		write_param(BUDGET, budget);
		CHECK("M6", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	test_pass();
}
