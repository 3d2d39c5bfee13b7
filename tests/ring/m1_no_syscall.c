// SPDX-License-Identifier: GPL-2.0
/*
 * M1: a send while there is room and nobody is blocked, and a receive while
 * an element is buffered and nobody is blocked, make no system call.  A
 * child installs a seccomp filter that kills it on any ioctl of chan's
 * (type 0xC6) and on read(2) or write(2) of the channel fd (it names the
 * call, then dies of SIGSYS), then sends and
 * receives many elements one at a time, with threads and wrapping around
 * the ring many times.  The filter is shown to bite: the same child doing
 * one send on a plain channel is killed.  Also M1's shape: cap 0 is EINVAL,
 * and the mapping is what CHAN_IOC_RING_INFO says.
 */
#include "ring.h"

#define CAP	64
#define ROUNDS	2000	/* times around the ring */

static int ch;

/*
 * One producer and one consumer thread that never block: a try that finds
 * the ring full or empty fails with EAGAIN without a call too (B1).
 */
static void *producer(void *arg)
{
	uint64_t v;

	(void)arg;
	for (v = 0; v < ROUNDS * CAP; v++)
		while (chan_try_send(ch, &v) != 0)
			;
	return NULL;
}

static void *consumer(void *arg)
{
	uint64_t v, out;
	int r;

	(void)arg;
	for (v = 0; v < ROUNDS * CAP; v++) {
		while ((r = chan_try_recv(ch, &out)) == -EAGAIN)
			;
		if (r != 1 || out != v)
			_exit(4);
	}
	return NULL;
}

/* One thread around the ring many times: send half of it, receive it. */
static void wrap_around(void)
{
	uint64_t v, out;
	int i, j;

	for (i = 0; i < ROUNDS; i++) {
		for (j = 0; j < CAP / 2; j++) {
			v = (uint64_t)i * CAP + j;
			if (chan_send(ch, &v) != 0)
				_exit(3);
		}
		for (j = 0; j < CAP / 2; j++)
			if (chan_recv(ch, &out) != 1 || out != (uint64_t)i * CAP + j)
				_exit(4);
	}
	if (chan_try_recv(ch, &out) != -EAGAIN)
		_exit(6);
}

static int child_status(pid_t pid)
{
	int status;

	CHECK_EQ("M1", waitpid(pid, &status, 0), pid);
	return status;
}

int main(void)
{
	struct chan_ring_info ri;
	uint64_t v = 7, out;
	int status, plain;
	pthread_t t[2];
	pid_t pid;

	test_start("M1", "ring channels send and receive without system calls", 120);

	STEP("shape");
	CHECK_EQ("M1", chan_make(8, 0, CHAN_RING), -EINVAL);
	ch = CHECK_OK("M1", chan_make(sizeof(uint64_t), CAP, CHAN_RING));
	ri = ring_info_of(ch);
	CHECK_EQ("M1", ri.cap, CAP);
	CHECK_EQ("M1", ri.elem_size, 8);
	CHECK_EQ("M1", ri.stride, CHAN_RING_STRIDE(8));
	CHECK_EQ("M1", ri.map_bytes % sysconf(_SC_PAGESIZE), 0);
	CHECK("M1", ri.map_bytes >= (uint64_t)sysconf(_SC_PAGESIZE) +
		    CHAN_RING_SLOTS_OFFSET + CAP * ri.stride);
	plain = CHECK_OK("M1", chan_make(sizeof(uint64_t), CAP, 0));
	CHECK_ERRNO("M1", ioctl(plain, CHAN_IOC_RING_INFO, &ri), ENODEV);

	STEP("the filter kills a plain channel's send");
	pid = fork_child();
	if (!pid) {
		no_chan_calls(plain);
		chan_send(plain, &v);
		_exit(0);
	}
	status = child_status(pid);
	CHECK("M1", WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);

	STEP("a ring's sends and receives pass the filter");
	/* Mapped by the parent's chan_make(); a forked child maps anew. */
	CHECK_EQ("M1", chan_send(ch, &v), 0);
	pid = fork_child();
	if (!pid) {
		/* The child's first use maps the ring: before the filter. */
		if (chan_recv(ch, &out) != 1 || out != 7)
			_exit(5);
		no_chan_calls(ch);
		wrap_around();
		t[0] = spawn(producer, NULL);
		t[1] = spawn(consumer, NULL);
		join(t[0]);
		join(t[1]);
		_exit(0);
	}
	status = child_status(pid);
	if (WIFSIGNALED(status))
		check_fail(__FILE__, __LINE__, "M1", "child killed by signal %d%s",
			   WTERMSIG(status), WTERMSIG(status) == SIGSYS ?
			   " (a chan system call on the fast path)" : "");
	CHECK_EQ("M1", WEXITSTATUS(status), 0);
	CHECK_EQ("M1", chan_len(ch), 0);
	test_pass();
}
