// SPDX-License-Identifier: MIT
/*
 * deadlock: two programs that deadlock on purpose, and chanstat naming them.
 *
 *   deadlock send    Go's first deadlock: an unbuffered send with nobody to
 *                    receive.  Go says "all goroutines are asleep -
 *                    deadlock!"; here the process just sleeps.
 *   deadlock cycle   two processes, each waiting to receive what the other
 *                    would send only after its own receive.
 *   deadlock         both, in child processes, then `chanstat --deadlock`
 *                    (found in $CHANSTAT, ./chanstat, ../chanstat or PATH),
 *                    which must find two deadlocks and exit 2.  The
 *                    children are killed at the end.  Exits 77 if there is
 *                    no chanstat to run.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chan.h>

static void die(const char *what, int ret)
{
	fprintf(stderr, "deadlock: %s: %s\n", what, strerror(ret < 0 ? -ret : errno));
	exit(1);
}

/* ch := make(chan int); ch <- 1: blocks for ever. */
static void deadlock_send(void)
{
	int v = 1, ch = chan_make(sizeof(v), 0, 0);

	if (ch < 0)
		die("chan_make", ch);
	printf("deadlock send: pid %d sends on an unbuffered channel nobody receives from\n",
	       (int)getpid());
	fflush(stdout);
	chan_send(ch, &v);
	exit(1);	/* not reached */
}

/* Each side receives first, then would send: neither gets to send. */
static void deadlock_cycle(void)
{
	int v, a = chan_make(sizeof(v), 0, 0), b = chan_make(sizeof(v), 0, 0);
	pid_t pid;

	if (a < 0 || b < 0)
		die("chan_make", a < 0 ? a : b);
	pid = fork();
	if (pid < 0)
		die("fork", -errno);
	printf("deadlock cycle: pid %d receives from chan %s, then would send on the other\n",
	       (int)getpid(), pid ? "a" : "b");
	fflush(stdout);
	if (chan_recv(pid ? a : b, &v) == 1)
		chan_send(pid ? b : a, &v);
	exit(1);	/* not reached */
}

/* Whether @n tasks are blocked on the channels of @pid, by its fdinfo. */
static int blocked_in(pid_t pid, int n)
{
	char cmd[128];
	int count = 0;
	FILE *f;

	/* A channel's waiters show in each of its fds: one fd per channel. */
	snprintf(cmd, sizeof(cmd),
		 "cat /proc/%d/fdinfo/* 2>/dev/null | grep '^chan-waiter:' | sort -u | wc -l",
		 (int)pid);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &count) != 1)
		count = 0;
	pclose(f);
	return count >= n;
}

static const char *find_chanstat(void)
{
	static const char *const places[] = { "./chanstat", "../chanstat" };
	const char *env = getenv("CHANSTAT");
	size_t i;

	if (env && *env)
		return env;
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		if (access(places[i], X_OK) == 0)
			return places[i];
	if (system("command -v chanstat >/dev/null 2>&1") == 0)
		return "chanstat";
	return NULL;
}

static pid_t spawn(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork", -errno);
	if (pid == 0) {
		/* A process group of its own: the cycle's two die together. */
		setpgid(0, 0);
		fn();
	}
	setpgid(pid, pid);
	return pid;
}

int main(int argc, char **argv)
{
	const char *chanstat = find_chanstat();
	struct timespec tick = { 0, 20 * 1000000 };
	pid_t send_pid, cycle_pid;
	char cmd[256], line[256];
	int i, status, found = 0;
	FILE *f;

	if (argc > 1 && strcmp(argv[1], "send") == 0)
		deadlock_send();
	if (argc > 1 && strcmp(argv[1], "cycle") == 0)
		deadlock_cycle();
	if (argc > 1) {
		fprintf(stderr, "usage: deadlock [send|cycle]\n");
		return 1;
	}
	if (!chanstat) {
		printf("deadlock: no chanstat to run (make builds build/chanstat; set CHANSTAT=)\n");
		return 77;
	}

	send_pid = spawn(deadlock_send);
	cycle_pid = spawn(deadlock_cycle);
	for (i = 0; i < 500 && !(blocked_in(send_pid, 1) &&
				 blocked_in(cycle_pid, 2)); i++)
		nanosleep(&tick, NULL);

	printf("$ chanstat --deadlock\n");
	fflush(stdout);
	snprintf(cmd, sizeof(cmd), "%s --deadlock", chanstat);
	f = popen(cmd, "r");
	if (!f)
		die("popen", -errno);
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stdout);
		found += strncmp(line, "deadlock ", 9) == 0;
	}
	status = pclose(f);
	kill(-send_pid, SIGKILL);
	kill(-cycle_pid, SIGKILL);
	while (wait(NULL) > 0)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2 || found != 2) {
		fprintf(stderr, "deadlock: chanstat --deadlock should report 2 deadlocks and exit 2\n");
		return 1;
	}
	printf("chanstat named both deadlocks (exit 2)\n");
	return 0;
}
