// SPDX-License-Identifier: GPL-2.0
/*
 * O3: chanstat lists the channels a user may see in /proc: per channel its
 * id, element size, len/cap, closed, its holders (pid, command, fd, mode)
 * and its blocked tasks; -p PID shows one process, --json the same for
 * tools, -w refreshes.  Channels here live in three processes; root sees
 * them all, an unprivileged user sees its own and none of root's.
 */
#include "chanstat_run.h"

#include <sys/syscall.h>

#define UID	1000

static unsigned long long id_of(int fd)
{
	return chan_info_of(fd).id;
}

/* The child's end of a pipe: it says it is ready, then blocks. */
static void ready(int fd)
{
	char c = 'r';

	if (write(fd, &c, 1) != 1)
		_exit(3);
}

static void await(int fd)
{
	char c;

	CHECK_EQ("O3", read(fd, &c, 1), 1);
}

static int a, b, c, ra, sb;

/* A child about to become the user lets go of root's channels. */
static void close_root_channels(void)
{
	close(a);
	close(b);
	close(c);
	close(ra);
	close(sb);
}

int main(void)
{
	unsigned long long ida, idb, idc, idu;
	int pfd[2], ufd[2], upid_pipe[2];
	pid_t c1, c2, user_child, user_reader;
	uint64_t v = 5;
	char json[256];

	test_start("O3", "chanstat lists channels, holders and blocked tasks", 120);
	CHECK_SYS("O3", pipe2(pfd, O_CLOEXEC));

	STEP("channels in three processes");
	a = CHECK_OK("O3", chan_make(8, 4, 0));		/* buffered, 2 in it */
	b = CHECK_OK("O3", chan_make(16, 0, 0));	/* a child blocks on it */
	c = CHECK_OK("O3", chan_make(4, 1, 0));		/* ours alone, closed */
	ida = id_of(a), idb = id_of(b), idc = id_of(c);
	CHECK_OK("O3", chan_send(a, &v));
	CHECK_OK("O3", chan_send(a, &v));
	CHECK_OK("O3", chan_close(c));
	ra = CHECK_OK("O3", chan_dup(a, CHAN_RECV_ONLY));
	sb = CHECK_OK("O3", chan_dup(b, CHAN_SEND_ONLY));

	c1 = fork_child();
	if (c1 == 0) {
		/* Holds a (recv only) and b; blocks receiving on b. */
		char buf[16];

		close(a);
		close(c);
		close(sb);
		prctl(PR_SET_NAME, "o3-recv");
		ready(pfd[1]);
		_exit(chan_recv(b, buf) == 1 ? 0 : 1);
	}
	c2 = fork_child();
	if (c2 == 0) {
		/* Holds b (send only): sleeps, ready to send. */
		close(a);
		close(ra);
		close(b);
		close(c);
		prctl(PR_SET_NAME, "o3-send");
		ready(pfd[1]);
		pause();
		_exit(0);
	}
	await(pfd[0]);
	await(pfd[0]);
	wait_waiters(b, 0, 1);

	STEP("root sees every channel, holder and blocked task");
	CHECK_EQ("O3", run_chanstat("O3", NULL), 0);
	CHECK_OUT("O3", "chan %llu  elem 8  len 2/4  open\n", ida);
	CHECK_OUT("O3", "chan %llu  elem 16  len 0/0  open\n", idb);
	CHECK_OUT("O3", "chan %llu  elem 4  len 0/1  closed\n", idc);
	CHECK_OUT("O3", "  holder   pid %-7d %-16s fd %-4d both\n", getpid(),
		  "o3_chanstat", a);
	CHECK_OUT("O3", "  holder   pid %-7d %-16s fd %-4d recv\n", getpid(),
		  "o3_chanstat", ra);
	CHECK_OUT("O3", "  holder   pid %-7d %-16s fd %-4d recv\n", c1,
		  "o3-recv", ra);
	CHECK_OUT("O3", "  holder   pid %-7d %-16s fd %-4d send\n", c2,
		  "o3-send", sb);
	CHECK_OUT("O3", "  blocked  tid %-7d %-16s %-12s ", c1, "o3-recv",
		  "recv");

	STEP("--json");
	CHECK_EQ("O3", run_chanstat("O3", "--json", NULL), 0);
	CHECK("O3", chanstat_out[0] == '{');
	CHECK_OUT("O3",
		  "{\"id\":%llu,\"elem_size\":8,\"len\":2,\"cap\":4,\"closed\":false,\"holders\":[",
		  ida);
	CHECK_OUT("O3",
		  "{\"id\":%llu,\"elem_size\":4,\"len\":0,\"cap\":1,\"closed\":true,",
		  idc);
	CHECK_OUT("O3", "{\"pid\":%d,\"comm\":\"o3-send\",\"fd\":%d,\"mode\":\"send\"}",
		  c2, sb);
	snprintf(json, sizeof(json),
		 "{\"tid\":%d,\"pid\":%d,\"comm\":\"o3-recv\",\"op\":\"recv\",\"since_ns\":",
		 c1, c1);
	CHECK_OUT("O3", "%s", json);
	CHECK_OUT("O3", "\"deadline\":false}],\"unlisted\":0}");
	CHECK_OUT("O3", "],\"hidden_processes\":0}\n");

	STEP("-p PID: that process's channels only");
	CHECK_EQ("O3", run_chanstat("O3", "-p", "1", NULL), 0);
	CHECK_OUT("O3", "no channels\n");
	{
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", c2);
		CHECK_EQ("O3", run_chanstat("O3", "-p", pid, NULL), 0);
	}
	CHECK_OUT("O3", "chan %llu  elem 16", idb);
	CHECK_NOT_OUT("O3", "chan %llu ", ida);
	CHECK_NOT_OUT("O3", "chan %llu ", idc);
	/* Only c2's fd: the other holders of b are not its. */
	CHECK_EQ("O3", count_out("  holder "), 1);
	CHECK_EQ("O3", run_chanstat("O3", "-p", "999999999", NULL), 1);

	STEP("bad arguments fail with 1");
	CHECK_EQ("O3", run_chanstat("O3", "--bogus", NULL), 1);
	CHECK_EQ("O3", run_chanstat("O3", "-n", "0", NULL), 1);

	STEP("-w refreshes");
	{
		int wp[2], n = 0;
		ssize_t r = 0;
		size_t got = 0;
		pid_t w;

		CHECK_SYS("O3", pipe2(wp, O_CLOEXEC));
		w = fork_child();
		if (w == 0) {
			dup2(wp[1], 1);
			execl(CHANSTAT, CHANSTAT, "-w", "-n", "0.2", NULL);
			_exit(127);
		}
		close(wp[1]);
		chanstat_out[0] = '\0';
		/* Four frames, however slowly a debug kernel scans /proc. */
		while (count_out("\033[H\033[J") < 4 &&
		       (r = read(wp[0], chanstat_out + got,
				 sizeof(chanstat_out) - 1 - got)) > 0) {
			got += r;
			chanstat_out[got] = '\0';
		}
		CHECK_SYS("O3", kill(w, SIGTERM));
		close(wp[0]);
		waitpid(w, NULL, 0);
		n = count_out("\033[H\033[J");
		CHECK("O3", n >= 4);
		/* Every complete frame (all but the last) shows chan b. */
		CHECK("O3", count_out("elem 16  len 0/0  open\n") >= n - 1);
	}

	STEP("an unprivileged user's channel");
	CHECK_SYS("O3", pipe2(ufd, O_CLOEXEC));
	CHECK_SYS("O3", pipe2(upid_pipe, O_CLOEXEC));
	user_child = fork_child();
	if (user_child == 0) {
		int u;

		close_root_channels();
		become_user("O3", UID);
		/*
		 * A change of credentials made it undumpable, which hides
		 * its /proc/PID/fd from its own user: a program the user
		 * started (execve) is dumpable.
		 */
		CHECK_SYS("O3", prctl(PR_SET_DUMPABLE, 1));
		u = CHECK_OK("O3", chan_make(8, 2, 0));
		idu = id_of(u);
		CHECK_EQ("O3", write(upid_pipe[1], &idu, sizeof(idu)),
			 (ssize_t)sizeof(idu));
		ready(ufd[1]);
		pause();
		_exit(0);
	}
	CHECK_EQ("O3", read(upid_pipe[0], &idu, sizeof(idu)),
		 (ssize_t)sizeof(idu));
	await(ufd[0]);

	/* Root sees it too. */
	CHECK_EQ("O3", run_chanstat("O3", NULL), 0);
	CHECK_OUT("O3", "chan %llu  elem 8  len 0/2  open\n", idu);

	/* The user sees its own channel, and nothing of root's. */
	user_reader = fork_child();
	if (user_reader == 0) {
		close_root_channels();
		become_user("O3", UID);
		CHECK_EQ("O3", run_chanstat("O3", NULL), 0);
		CHECK_OUT("O3", "chan %llu  elem 8  len 0/2  open\n", idu);
		CHECK_NOT_OUT("O3", "chan %llu ", ida);
		CHECK_NOT_OUT("O3", "chan %llu ", idb);
		CHECK_NOT_OUT("O3", "chan %llu ", idc);
		CHECK_OUT("O3", "processes of other users not shown)\n");
		CHECK_EQ("O3", run_chanstat("O3", "--json", NULL), 0);
		CHECK_NOT_OUT("O3", "\"hidden_processes\":0}");
		CHECK_NOT_OUT("O3", "{\"id\":%llu,", ida);
		/* Root's process named alone: nothing to see there. */
		{
			char pid[16];

			snprintf(pid, sizeof(pid), "%d", getppid());
			CHECK_EQ("O3", run_chanstat("O3", "-p", pid, NULL), 0);
			CHECK_OUT("O3", "no channels\n");
		}
		_exit(0);
	}
	wait_child_ok("O3", user_reader);

	STEP("cleanup");
	CHECK_OK("O3", chan_send(sb, json));
	wait_child_ok("O3", c1);
	kill(c2, SIGKILL);
	kill(user_child, SIGKILL);
	waitpid(c2, NULL, 0);
	waitpid(user_child, NULL, 0);
	test_pass();
}
