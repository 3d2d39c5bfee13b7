// SPDX-License-Identifier: GPL-2.0
/*
 * M2 (P1, S2, X2) on a ring channel watched by a select set: a set's case
 * hooks onto the channel without a poll(2), and its waiter sleeps in the
 * kernel while the ring's fast path moves elements without one.  The fast
 * path must still wake it.
 *
 * 1. A receive case's waiter, asleep on an empty ring, gets the element of
 *    a fast-path send.
 * 2. A send case's waiter, asleep on a full ring, proceeds when a
 *    fast-path receive frees a slot.
 * 3. Under load: a producer thread sends 0..N-1 through the fast path on a
 *    ring of capacity 2, and one thread takes them through set waits:
 *    each value exactly once and in order (R1, R5, X2).
 *
 * Every wait has a deadline, so a lost wake-up fails with ETIMEDOUT
 * instead of hanging.
 */
#include "ring.h"

#include <sys/syscall.h>

#define LOAD_N	test_count(20000)

static int set, ch;
static uint64_t elem;
static volatile pid_t waiter_tid;

/* Whether thread @tid of this process sleeps now (state S in its stat). */
static bool thread_sleeps(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

/* One set wait with a deadline; returns what chan_set_wait() returned. */
static void *waiter(void *arg)
{
	bool ok = false;
	long ret;

	(void)arg;
	waiter_tid = (pid_t)syscall(SYS_gettid);
	ret = chan_set_wait(set, 10000000000LL * test_time_scale(), &ok);
	if (ret >= 0 && !ok)
		ret = -1000;	/* proceeded, but reported closed */
	return (void *)ret;
}

/* Start the waiter and let it fall asleep in the kernel. */
static pthread_t waiter_asleep(void)
{
	pthread_t t;
	int i;

	waiter_tid = 0;
	t = spawn(waiter, NULL);
	while (!waiter_tid)
		usleep(100);
	/* Asleep twice in a row, 10 ms apart: in the set's wait, not in a page fault. */
	for (i = 0; i < 2; ) {
		usleep(10000);
		i = thread_sleeps(waiter_tid) ? i + 1 : 0;
	}
	return t;
}

static void recv_case(void)
{
	uint64_t v = 7;
	pthread_t t;
	int id;

	STEP("a receive case's waiter wakes for a fast-path send (P1, M2)");
	ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 4, CHAN_RING));
	set = CHECK_OK("S2", chan_set_make());
	elem = 0;
	id = chan_set_add(set, &(struct chan_case){
		.ch = ch, .op = CHAN_OP_RECV, .elem = &elem });
	CHECK_OK("S2", id);
	t = waiter_asleep();
	CHECK_EQ("M2", chan_send(ch, &v), 0);
	CHECK_EQ("P1", (long)(intptr_t)join(t), id);
	CHECK_EQ("R5", elem, 7);
	CHECK_EQ("R5", chan_len(ch), 0);
	close(set);
	close(ch);
}

static void send_case(void)
{
	uint64_t v = 1, out;
	pthread_t t;
	int id;

	STEP("a send case's waiter wakes for a fast-path receive (P1, M2)");
	ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 1, CHAN_RING));
	CHECK_EQ("M2", chan_send(ch, &v), 0);
	set = CHECK_OK("S2", chan_set_make());
	elem = 2;
	id = chan_set_add(set, &(struct chan_case){
		.ch = ch, .op = CHAN_OP_SEND, .elem = &elem });
	CHECK_OK("S2", id);
	t = waiter_asleep();
	CHECK_EQ("M2", chan_recv(ch, &out), 1);
	CHECK_EQ("R1", out, 1);
	CHECK_EQ("P1", (long)(intptr_t)join(t), id);
	CHECK_EQ("R5", chan_recv(ch, &out), 1);
	CHECK_EQ("R5", out, 2);
	close(set);
	close(ch);
}

static void *producer(void *arg)
{
	long n = (long)(intptr_t)arg;
	uint64_t v;

	for (v = 0; v < (uint64_t)n; v++)
		CHECK_EQ("M2", chan_send(ch, &v), 0);
	return NULL;
}

static void load(void)
{
	long n = LOAD_N, ret;
	uint64_t want;
	pthread_t t;
	bool ok;
	int id;

	STEP("a producer's fast-path sends, taken through set waits: each once, in order (R1, R5, X2)");
	ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 2, CHAN_RING));
	set = CHECK_OK("S2", chan_set_make());
	id = chan_set_add(set, &(struct chan_case){
		.ch = ch, .op = CHAN_OP_RECV, .elem = &elem });
	CHECK_OK("S2", id);
	t = spawn(producer, (void *)(intptr_t)n);
	for (want = 0; want < (uint64_t)n; want++) {
		elem = UINT64_MAX;
		ret = chan_set_wait(set, 10000000000LL * test_time_scale(), &ok);
		if (ret != id)
			check_fail(__FILE__, __LINE__, "P1", "set wait %" PRIu64 " of %ld returned %ld (%s)",
			      want, n, ret, check_errname(ret));
		CHECK("X5", ok);
		if (elem != want)
			check_fail(__FILE__, __LINE__, "R1", "set wait %" PRIu64 " received %" PRIu64,
			      want, elem);
	}
	join(t);
	CHECK_EQ("R5", chan_len(ch), 0);
	CHECK_EQ("X4", chan_set_wait(set, 0, &ok), -EAGAIN);
	close(set);
	close(ch);
}

int main(void)
{
	test_start("M2 P1 S2 X2", "a select set's waiter on a ring channel wakes for the fast path",
		   300);
	recv_case();
	send_case();
	load();
	test_pass();
}
