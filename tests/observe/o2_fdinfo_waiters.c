// SPDX-License-Identifier: GPL-2.0
/*
 * O2: fdinfo lists each task blocked on the channel, one line each:
 *
 *   chan-waiter:	tid=T pid=P op=OP since-ns=NS waited-ms=MS deadline=0|1
 *
 * OP is send, recv, select-send or select-recv; since-ns is when it
 * blocked (CLOCK_MONOTONIC_COARSE: it stays the same while the task
 * waits, and tells one wait from the next); waited-ms grows as it waits;
 * deadline says whether the wait has one.
 * Checked for threads of this process and for another process, through
 * the fdinfo of every fd that refers to the channel, and gone once the
 * tasks are no longer blocked.
 */
#include "../user/check.h"

#include <sys/syscall.h>

struct waiter {
	int tid, pid;
	char op[16];
	long long since_ns, waited_ms;
	int deadline;
};

static int read_waiters(pid_t pid, int fd, struct waiter *w, int max)
{
	char path[64], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = fopen(path, "re");
	if (!f)
		check_fail(__FILE__, __LINE__, "O2", "open %s: %s", path,
			   strerrorname_np(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "chan-waiter:\t", 13) != 0)
			continue;
		CHECK("O2", n < max);
		if (sscanf(line + 13,
			   "tid=%d pid=%d op=%15s since-ns=%lld waited-ms=%lld deadline=%d",
			   &w[n].tid, &w[n].pid, w[n].op, &w[n].since_ns,
			   &w[n].waited_ms, &w[n].deadline) != 6)
			check_fail(__FILE__, __LINE__, "O2", "%s: bad line: %s",
				   path, line);
		n++;
	}
	fclose(f);
	return n;
}

static const struct waiter *find(const struct waiter *w, int n, int tid,
				 const char *op)
{
	int i;

	for (i = 0; i < n; i++)
		if (w[i].tid == tid && strcmp(w[i].op, op) == 0)
			return &w[i];
	return NULL;
}

static int a, b;

struct task {
	int tid;
	int ret;
};

static int gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

static void *recv_forever(void *arg)
{
	struct task *t = arg;
	uint64_t v;

	t->tid = gettid_();
	t->ret = chan_recv(a, &v);
	return NULL;
}

static void *recv_timed(void *arg)
{
	struct task *t = arg;
	uint64_t v;

	t->tid = gettid_();
	t->ret = chan_recv_timeout(a, &v, 60 * 1000000000LL);
	return NULL;
}

static void *select_both(void *arg)
{
	struct task *t = arg;
	uint64_t in, out = 7;
	struct chan_case cases[] = {
		{ a, CHAN_OP_RECV, &in, false },
		{ b, CHAN_OP_SEND, &out, false },
	};

	t->tid = gettid_();
	t->ret = chan_select(cases, 2, -1);
	return NULL;
}

static void check_waiter(const struct waiter *w, int pid, int deadline,
			 long long before)
{
	CHECK("O2", w);
	CHECK_EQ("O2", w->pid, pid);
	CHECK_EQ("O2", w->deadline, deadline);
	CHECK("O2", w->since_ns > 0);
	/* Blocked after @before, and no longer than since then. */
	CHECK("O2", w->waited_ms >= 0 &&
		    w->waited_ms <= (now_ns() - before) / 1000000 + 1);
}

int main(void)
{
	struct task t1 = {}, t2 = {}, t3 = {};
	struct waiter w[16], w2[16];
	long long before, since1;
	pthread_t p1, p2, p3;
	uint64_t v = 1;
	int n, ra, child_ch;
	pid_t child;

	test_start("O2", "fdinfo lists the blocked tasks", 120);
	a = CHECK_OK("O2", chan_make(8, 0, 0));
	b = CHECK_OK("O2", chan_make(8, 0, 0));
	ra = CHECK_OK("O2", chan_dup(a, CHAN_RECV_ONLY));

	STEP("nobody blocked: no chan-waiter line");
	CHECK_EQ("O2", read_waiters(getpid(), a, w, 16), 0);

	STEP("three threads block: receive, timed receive, select");
	before = now_ns();
	p1 = spawn(recv_forever, &t1);
	wait_waiters(a, 0, 1);
	p2 = spawn(recv_timed, &t2);
	wait_waiters(a, 0, 2);
	p3 = spawn(select_both, &t3);
	wait_waiters(a, 0, 3);
	wait_waiters(b, 1, 0);

	n = read_waiters(getpid(), a, w, 16);
	CHECK_EQ("O2", n, 3);
	check_waiter(find(w, n, t1.tid, "recv"), getpid(), 0, before);
	check_waiter(find(w, n, t2.tid, "recv"), getpid(), 1, before);
	check_waiter(find(w, n, t3.tid, "select-recv"), getpid(), 0, before);
	/* Longest waiting first (R4): the order they blocked in. */
	CHECK_EQ("O2", w[0].tid, t1.tid);
	CHECK_EQ("O2", w[1].tid, t2.tid);
	CHECK_EQ("O2", w[2].tid, t3.tid);
	since1 = w[0].since_ns;
	n = read_waiters(getpid(), b, w, 16);
	CHECK_EQ("O2", n, 1);
	check_waiter(find(w, n, t3.tid, "select-send"), getpid(), 0, before);

	STEP("every fd of the channel shows the same tasks; time goes on");
	sleep_ms(200);
	n = read_waiters(getpid(), ra, w2, 16);
	CHECK_EQ("O2", n, 3);
	CHECK("O2", find(w2, n, t1.tid, "recv"));
	CHECK_EQ("O2", find(w2, n, t1.tid, "recv")->since_ns, since1);
	CHECK("O2", find(w2, n, t1.tid, "recv")->waited_ms >= 190);

	STEP("the tasks leave: their lines go");
	CHECK_OK("O2", chan_send(a, &v));	/* the longest waiting: t1 */
	join(p1);
	CHECK_EQ("O2", t1.ret, 1);
	n = read_waiters(getpid(), a, w, 16);
	CHECK_EQ("O2", n, 2);
	CHECK("O2", !find(w, n, t1.tid, "recv"));
	CHECK_OK("O2", chan_recv(b, &v));	/* the select's send case */
	join(p3);
	CHECK_EQ("O2", t3.ret, 1);
	CHECK_EQ("O2", read_waiters(getpid(), b, w, 16), 0);
	n = read_waiters(getpid(), a, w, 16);
	CHECK_EQ("O2", n, 1);
	CHECK_EQ("O2", w[0].tid, t2.tid);
	CHECK_OK("O2", chan_send(a, &v));
	join(p2);
	CHECK_EQ("O2", t2.ret, 1);
	CHECK_EQ("O2", read_waiters(getpid(), a, w, 16), 0);

	STEP("another process blocks sending on an inherited fd");
	child_ch = CHECK_OK("O2", chan_make(8, 0, 0));
	before = now_ns();
	child = fork_child();
	if (child == 0) {
		v = 99;
		_exit(chan_send(child_ch, &v) == 0 ? 0 : 1);
	}
	wait_waiters(child_ch, 1, 0);
	n = read_waiters(getpid(), child_ch, w, 16);
	CHECK_EQ("O2", n, 1);
	check_waiter(find(w, n, child, "send"), child, 0, before);
	/* The child's own fd shows it too. */
	n = read_waiters(child, child_ch, w2, 16);
	CHECK_EQ("O2", n, 1);
	CHECK_EQ("O2", w2[0].tid, child);
	CHECK_EQ("O2", w2[0].since_ns, w[0].since_ns);
	CHECK_EQ("O2", chan_recv(child_ch, &v), 1);
	CHECK_EQ("O2", v, 99);
	wait_child_ok("O2", child);
	CHECK_EQ("O2", read_waiters(getpid(), child_ch, w, 16), 0);
	test_pass();
}
