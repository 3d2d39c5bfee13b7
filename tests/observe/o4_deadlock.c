// SPDX-License-Identifier: GPL-2.0
/*
 * O4: chanstat --deadlock names the tasks blocked without deadline that no
 * running task can ever complete, and exits 2; 0 when there are none.
 *
 * Found: a process blocked sending on an unbuffered channel it alone
 * holds; a cycle of two processes, each receiving from the other; a chain
 * of three, ending in a channel only the last one holds; a select whose
 * every case is dead.  Not reported: a blocked task whose counterpart is
 * running, sleeping in something else, or blocked with a deadline, or who
 * itself has a deadline, or who receives from a timer channel.
 *
 * The test itself holds none of the channels once its children block: a
 * running holder would make every case trivially live.
 */
#include "chanstat_run.h"

#define MAX_FDS	8

static int fds[MAX_FDS];
static int nfds;

static int new_chan(size_t cap)
{
	int fd = CHECK_OK("O4", chan_make(8, cap, 0));

	fds[nfds++] = fd;
	return fd;
}

static unsigned long long id_of(int fd)
{
	return chan_info_of(fd).id;
}

/*
 * Fork a child that keeps only the fds in @keep (-1 ends the list) and
 * then, after saying it is ready, runs @fn(@arg).
 */
static pid_t spawn_kid(const char *name, const int *keep, int (*fn)(long),
		       long arg)
{
	int p[2], i, j;
	pid_t pid;
	char c;

	CHECK_SYS("O4", pipe2(p, O_CLOEXEC));
	pid = fork_child();
	if (pid == 0) {
		for (i = 0; i < nfds; i++) {
			bool kept = false;

			for (j = 0; keep[j] >= 0; j++)
				kept |= keep[j] == fds[i];
			if (!kept)
				close(fds[i]);
		}
		prctl(PR_SET_NAME, name);
		c = 'r';
		if (write(p[1], &c, 1) != 1)
			_exit(3);
		_exit(fn(arg));
	}
	close(p[1]);
	CHECK_EQ("O4", read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static int do_send(long fd)
{
	uint64_t v = 1;

	return chan_send((int)fd, &v) == 0 ? 0 : 1;
}

static int do_recv(long fd)
{
	uint64_t v;

	return chan_recv((int)fd, &v) >= 0 ? 0 : 1;
}

static int do_recv_timed(long fd)
{
	uint64_t v;

	return chan_recv_timeout((int)fd, &v, 120 * 1000000000LL) >= 0 ? 0 : 1;
}

static int do_spin(long unused)
{
	(void)unused;
	for (;;)
		__asm__ volatile("" ::: "memory");
	return 0;
}

static int do_sleep(long unused)
{
	(void)unused;
	pause();
	return 0;
}

/* A select: receive from fds[arg], send to fds[arg + 1]. */
static int do_select(long i)
{
	uint64_t in, out = 1;
	struct chan_case cases[] = {
		{ fds[i], CHAN_OP_RECV, &in, false },
		{ fds[i + 1], CHAN_OP_SEND, &out, false },
	};

	return chan_select(cases, 2, -1) >= 0 ? 0 : 1;
}

static pid_t kids[8];
static int nkids;

static void kid(const char *name, const int *keep, int (*fn)(long), long arg)
{
	kids[nkids++] = spawn_kid(name, keep, fn, arg);
}

/* Kill the scenario's children. */
static void end_scenario(void)
{
	int i;

	for (i = 0; i < nkids; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	nkids = 0;
	nfds = 0;	/* close_ours() closed them */
}

static void close_ours(void)
{
	int i;

	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

int main(void)
{
	unsigned long long x, y, z;
	int a, b, c;

	test_start("O4", "chanstat --deadlock finds what can never proceed", 240);

	STEP("nothing blocked: exit 0");
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 0);
	CHECK_OUT("O4", "no deadlock\n");

	STEP("one process sends on an unbuffered channel it alone holds");
	a = new_chan(0);
	x = id_of(a);
	kid("o4-alone", (int[]){ a, -1 }, do_send, a);
	wait_waiters(a, 1, 0);
	close_ours();
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 2);
	CHECK_EQ("O4", count_out("deadlock "), 1);
	CHECK_OUT("O4", "deadlock 1: 1 task blocked for good");
	CHECK_OUT("O4", "  tid %d (o4-alone) of pid %d, blocked ", kids[0],
		  kids[0]);
	CHECK_OUT("O4", "    send on chan %llu (elem 8, len 0/0)\n", x);
	CHECK_OUT("O4", "could be completed by pid %d (o4-alone) fd %d both, every thread blocked\n",
		  kids[0], a);
	/* -p: its own deadlock, and none for another process. */
	{
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", kids[0]);
		CHECK_EQ("O4", run_chanstat("O4", "--deadlock", "-p", pid,
					    NULL), 2);
		snprintf(pid, sizeof(pid), "%d", getpid());
		CHECK_EQ("O4", run_chanstat("O4", "--deadlock", "-p", pid,
					    NULL), 0);
	}
	end_scenario();

	STEP("a cycle of two processes");
	a = new_chan(0);
	b = new_chan(0);
	x = id_of(a), y = id_of(b);
	/* Each receives what the other would send after its own receive. */
	kid("o4-cycle-a", (int[]){ a, b, -1 }, do_recv, a);
	kid("o4-cycle-b", (int[]){ a, b, -1 }, do_recv, b);
	wait_waiters(a, 0, 1);
	wait_waiters(b, 0, 1);
	close_ours();
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 2);
	CHECK_EQ("O4", count_out("deadlock "), 1);
	CHECK_OUT("O4", "deadlock 1: 2 tasks blocked for good");
	CHECK_OUT("O4", "  tid %d (o4-cycle-a)", kids[0]);
	CHECK_OUT("O4", "    recv on chan %llu ", x);
	CHECK_OUT("O4", "  tid %d (o4-cycle-b)", kids[1]);
	CHECK_OUT("O4", "    recv on chan %llu ", y);
	CHECK_OUT("O4", "could be completed by pid %d (o4-cycle-b) fd %d both, every thread blocked\n",
		  kids[1], a);
	end_scenario();

	STEP("a chain of three processes");
	a = new_chan(0);
	b = new_chan(0);
	c = new_chan(0);
	x = id_of(a), y = id_of(b), z = id_of(c);
	kid("o4-chain-1", (int[]){ a, -1 }, do_recv, a);
	kid("o4-chain-2", (int[]){ a, b, -1 }, do_recv, b);
	kid("o4-chain-3", (int[]){ b, c, -1 }, do_send, c);
	wait_waiters(a, 0, 1);
	wait_waiters(b, 0, 1);
	wait_waiters(c, 1, 0);
	close_ours();
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 2);
	CHECK_EQ("O4", count_out("deadlock "), 1);
	CHECK_OUT("O4", "deadlock 1: 3 tasks blocked for good");
	CHECK_OUT("O4", "    recv on chan %llu ", x);
	CHECK_OUT("O4", "    recv on chan %llu ", y);
	CHECK_OUT("O4", "    send on chan %llu ", z);
	CHECK_OUT("O4", "could be completed by pid %d (o4-chain-2) fd %d both, every thread blocked\n",
		  kids[1], a);
	CHECK_OUT("O4", "could be completed by pid %d (o4-chain-3) fd %d both, every thread blocked\n",
		  kids[2], b);
	end_scenario();

	STEP("a select whose every case is dead");
	a = new_chan(0);
	b = new_chan(0);
	x = id_of(a), y = id_of(b);
	kid("o4-select", (int[]){ a, b, -1 }, do_select, 0);
	wait_waiters(a, 0, 1);
	wait_waiters(b, 1, 0);
	close_ours();
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 2);
	CHECK_OUT("O4", "deadlock 1: 1 task blocked for good");
	CHECK_OUT("O4", "    select-recv on chan %llu ", x);
	CHECK_OUT("O4", "    select-send on chan %llu ", y);
	end_scenario();

	STEP("not: a select with one case that a running process can complete");
	a = new_chan(0);
	b = new_chan(0);
	kid("o4-select", (int[]){ a, b, -1 }, do_select, 0);
	kid("o4-spin", (int[]){ b, -1 }, do_spin, 0);
	wait_waiters(a, 0, 1);
	wait_waiters(b, 1, 0);
	close_ours();
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 0);
	CHECK_OUT("O4", "no deadlock\n");
	end_scenario();

	STEP("not: the counterpart holder is running");
	a = new_chan(0);
	kid("o4-recv", (int[]){ a, -1 }, do_recv, a);
	kid("o4-spin", (int[]){ a, -1 }, do_spin, 0);
	wait_waiters(a, 0, 1);
	close_ours();
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 0);
	end_scenario();

	STEP("not: the counterpart holder sleeps in something else");
	a = new_chan(0);
	kid("o4-recv", (int[]){ a, -1 }, do_recv, a);
	kid("o4-sleep", (int[]){ a, -1 }, do_sleep, 0);
	wait_waiters(a, 0, 1);
	close_ours();
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 0);
	end_scenario();

	STEP("not: the counterpart is blocked with a deadline");
	a = new_chan(0);
	b = new_chan(0);
	kid("o4-recv", (int[]){ a, -1 }, do_recv, a);
	kid("o4-timed", (int[]){ a, b, -1 }, do_recv_timed, b);
	wait_waiters(a, 0, 1);
	wait_waiters(b, 0, 1);
	close_ours();
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 0);
	end_scenario();

	STEP("not: the blocked task itself has a deadline");
	a = new_chan(0);
	kid("o4-timed", (int[]){ a, -1 }, do_recv_timed, a);
	wait_waiters(a, 0, 1);
	close_ours();
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 0);
	end_scenario();

	STEP("not: a receive from a timer channel, whose timer sends");
	a = CHECK_OK("O4", chan_after(120 * 1000000000LL));
	fds[nfds++] = a;
	kid("o4-timer", (int[]){ a, -1 }, do_recv, a);
	wait_waiters(a, 0, 1);
	close_ours();
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 0);
	{
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", kids[0]);
		CHECK_EQ("O4", run_chanstat("O4", "-p", pid, NULL), 0);
		CHECK_OUT("O4", "len 0/1  open  timer (once)\n");
	}
	end_scenario();

	STEP("found: a receiver whose only running counterpart may only receive");
	/*
	 * The converse of the above: a running holder that can only
	 * receive cannot complete a receive, so this one is reported.
	 */
	a = new_chan(0);
	b = CHECK_OK("O4", chan_dup(a, CHAN_RECV_ONLY));
	fds[nfds++] = b;
	kid("o4-recv", (int[]){ a, -1 }, do_recv, a);
	kid("o4-spin", (int[]){ b, -1 }, do_spin, 0);
	wait_waiters(a, 0, 1);
	close_ours();
	CHECK_EQ("O4", run_chanstat("O4", "--deadlock", NULL), 2);
	CHECK_OUT("O4", "  tid %d (o4-recv)", kids[0]);
	CHECK_OUT("O4", "could be completed by pid %d (o4-recv) fd %d both, every thread blocked\n",
		  kids[0], a);
	CHECK_NOT_OUT("O4", "o4-spin");
	end_scenario();
	test_pass();
}
