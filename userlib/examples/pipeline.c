// SPDX-License-Identifier: MIT
/*
 * pipeline: stages in separate processes, connected by channels.
 *
 * Go's pipeline, sq(sq(gen(1..N))), with every stage a process of its own:
 *
 *   gen --c[0]--> sq --c[1]--> sq --c[2]--> main (sums)
 *
 * A channel is a file descriptor, so fork() hands it to the child like a
 * pipe.  Each stage receives until its input is closed and drained (Go's
 * "for n := range in"), then closes its output: the close travels down the
 * pipeline and shuts it down stage by stage.
 *
 * Each child keeps only the two ends it uses, narrowed by the kernel to
 * receive-only and send-only (Go's <-chan and chan<-), and close(2)s every
 * other channel fd it inherited.  That matters beyond tidiness: when the
 * only process that can send on a channel dies, the channel closes by
 * itself (rule K5), so a crashed stage ends the pipeline instead of hanging
 * it.  The unbuffered channels make every element a rendezvous between two
 * processes, as in Go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chan.h>

#define N	1000
#define STAGES	3	/* gen, sq, sq */

static void die(const char *who, const char *what, int ret)
{
	if (ret < 0)
		fprintf(stderr, "pipeline: %s: %s: %s\n", who, what, strerror(-ret));
	else
		fprintf(stderr, "pipeline: %s: %s: unexpected %d\n", who, what, ret);
	exit(1);
}

static void send_or_die(const char *who, int out, long v)
{
	int ret = chan_send(out, &v);

	if (ret)
		die(who, "chan_send", ret);
}

static void close_or_die(const char *who, int out)
{
	int ret = chan_close(out);

	if (ret)
		die(who, "chan_close", ret);
}

/* Go: for i := 1; i <= N; i++ { out <- i }; close(out) */
static void gen(int in, int out)
{
	(void)in;
	for (long i = 1; i <= N; i++)
		send_or_die("gen", out, i);
	close_or_die("gen", out);
}

/* Go: for n := range in { out <- n * n }; close(out) */
static void sq(int in, int out)
{
	long n;
	int ret;

	while ((ret = chan_recv(in, &n)) == 1)
		send_or_die("sq", out, n * n);
	if (ret)
		die("sq", "chan_recv", ret);
	close_or_die("sq", out);
}

/*
 * Runs fn(in, out) in a child process.  chans[0..nchans) are all the
 * channel fds the parent holds; in (< 0 for none) and out are two of them.
 */
static pid_t stage(void (*fn)(int in, int out), const char *name,
		   int in, int out, const int *chans, int nchans)
{
	int rx = -1, tx;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		perror("pipeline: fork");
		exit(1);
	}
	if (pid > 0)
		return pid;

	if (in >= 0) {
		rx = chan_dup(in, CHAN_RECV_ONLY);
		if (rx < 0)
			die(name, "chan_dup", rx);
	}
	tx = chan_dup(out, CHAN_SEND_ONLY);
	if (tx < 0)
		die(name, "chan_dup", tx);
	for (int i = 0; i < nchans; i++)
		close(chans[i]);

	fn(rx, tx);
	_exit(0);
}

int main(void)
{
	int c[STAGES], final, ret, status, failed = 0;
	pid_t pids[STAGES];
	long v, sum = 0, received = 0;
	/* 1^4 + ... + N^4, in closed form. */
	long want = (long)N * (N + 1) * (2 * N + 1) * (3L * N * N + 3 * N - 1) / 30;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < STAGES; i++) {
		c[i] = chan_make(sizeof(long), 0, 0);
		if (c[i] < 0)
			die("main", "chan_make", c[i]);
	}

	pids[0] = stage(gen, "gen", -1, c[0], c, STAGES);
	pids[1] = stage(sq, "sq", c[0], c[1], c, STAGES);
	pids[2] = stage(sq, "sq", c[1], c[2], c, STAGES);

	/*
	 * main keeps a receive-only end of the last channel and nothing else:
	 * if it held a sending end, a dead last stage could not close c[2] (K5).
	 */
	final = chan_dup(c[STAGES - 1], CHAN_RECV_ONLY);
	if (final < 0)
		die("main", "chan_dup", final);
	for (int i = 0; i < STAGES; i++)
		close(c[i]);

	/* Go: for v := range sq(sq(gen(1..N))) { sum += v } */
	while ((ret = chan_recv(final, &v)) == 1) {
		sum += v;
		received++;
	}
	if (ret)
		die("main", "chan_recv", ret);
	close(final);

	for (int i = 0; i < STAGES; i++) {
		if (waitpid(pids[i], &status, 0) < 0) {
			perror("pipeline: waitpid");
			return 1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "pipeline: stage %d (pid %d) failed (status %#x)\n",
				i, (int)pids[i], status);
			failed = 1;
		}
	}

	printf("pipeline: gen | sq | sq | sum in %d processes: %ld values\n",
	       STAGES + 1, received);
	printf("pipeline: sum of i^4 for i = 1..%d is %ld (want %ld)\n",
	       N, sum, want);
	if (failed || received != N || sum != want) {
		fprintf(stderr, "pipeline: FAIL\n");
		return 1;
	}
	printf("pipeline: ok, every stage ended when its input closed\n");
	return 0;
}
