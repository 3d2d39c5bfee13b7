/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atomic.h: the body of the select_atomic* tests (X2, R5 under load).
 *
 * 8 selecting tasks (4 send with a select over all 16 shared channels, 4
 * receive with one) race against 8 tasks doing plain sends and receives on
 * the same channels, 100,000 elements in all.  Every element carries its id
 * and the channel it was meant for; a checker in shared memory proves each
 * id was received exactly once, from the channel its select case (or plain
 * send) put it in.  Each test runs one setting, so that each stays short.
 */
#ifndef CHAN_TESTS_SELECT_ATOMIC_H
#define CHAN_TESTS_SELECT_ATOMIC_H

#include "sel.h"

#define NCH		16
#define NELEM_MAX	100000
#define NELEM		((uint64_t)test_count(NELEM_MAX))
#define PER_KIND	4		/* tasks of each of the 4 kinds */
#define PER_TASK	(NELEM / 2 / PER_KIND)

enum role { SEL_SEND, PLAIN_SEND, SEL_RECV, PLAIN_RECV };

struct shared {
	uint8_t seen[NELEM_MAX];
	unsigned int received;
};

static struct shared *sh;
static int chs[NCH];

static void take(uint64_t v, int ch_index)
{
	uint64_t id = v / NCH;

	CHECK("X2", id < NELEM);
	/* The element left the channel that its sender put it in. */
	CHECK_EQ("X2", v % NCH, ch_index);
	CHECK_EQ("R5", __atomic_fetch_add(&sh->seen[id], 1, __ATOMIC_RELAXED), 0);
	__atomic_add_fetch(&sh->received, 1, __ATOMIC_RELAXED);
}

static void sel_send(int t)
{
	struct chan_case cases[NCH];
	uint64_t vals[NCH], id;
	int k, idx;

	for (id = t * PER_TASK; id < (uint64_t)(t + 1) * PER_TASK; id++) {
		for (k = 0; k < NCH; k++) {
			vals[k] = id * NCH + k;
			cases[k] = send_case(chs[k], &vals[k]);
		}
		idx = CHECK_OK("X2", chan_select(cases, NCH, -1));
		CHECK("X2", cases[idx].ok);
	}
}

static void plain_send(int t)
{
	uint64_t id, v;

	for (id = NELEM / 2 + t * PER_TASK;
	     id < NELEM / 2 + (uint64_t)(t + 1) * PER_TASK; id++) {
		v = id * NCH + id % NCH;
		CHECK_EQ("R5", chan_send(chs[id % NCH], &v), 0);
	}
}

static void sel_recv(void)
{
	struct chan_case cases[NCH];
	uint64_t vals[NCH];
	int k, idx, open = NCH;

	for (k = 0; k < NCH; k++)
		cases[k] = recv_case(chs[k], &vals[k]);
	while (open) {
		idx = CHECK_OK("X2", chan_select(cases, NCH, -1));
		if (!cases[idx].ok) {
			cases[idx].ch = -1;	/* closed and drained (X5) */
			open--;
			continue;
		}
		take(vals[idx], idx);
	}
}

/* Plain receiver @t serves channels t, t + 4, ...; selects serve all. */
static void plain_recv(int t)
{
	bool open[NCH / PER_KIND];
	int left = NCH / PER_KIND, j, r;
	uint64_t v;

	for (j = 0; j < NCH / PER_KIND; j++)
		open[j] = true;
	while (left) {
		for (j = 0; j < NCH / PER_KIND; j++) {
			if (!open[j])
				continue;
			r = CHECK_OK("R5", chan_recv(chs[t + j * PER_KIND], &v));
			if (r)
				take(v, t + j * PER_KIND);
			else
				open[j] = false, left--;
		}
	}
}

static void run_task(enum role role, int t)
{
	switch (role) {
	case SEL_SEND:
		sel_send(t);
		break;
	case PLAIN_SEND:
		plain_send(t);
		break;
	case SEL_RECV:
		sel_recv();
		break;
	case PLAIN_RECV:
		plain_recv(t);
		break;
	}
}

static void *task_thread(void *arg)
{
	int n = (int)(uintptr_t)arg;

	run_task(n / PER_KIND, n % PER_KIND);
	return NULL;
}

/* One run: @cap 0 makes selects meet selects as well as plain peers. */
static void atomic_run(const char *what, size_t cap, bool processes)
{
	pthread_t threads[4 * PER_KIND];
	pid_t pids[4 * PER_KIND];
	int64_t t0 = now_ns();
	int n, k;

	test_start("X2 R5", what, sel_watchdog(240));
	STEP(what);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("X2", sh != MAP_FAILED);
	for (k = 0; k < NCH; k++)
		chs[k] = CHECK_OK("X2", chan_make(sizeof(uint64_t), cap, 0));
	for (n = 0; n < 4 * PER_KIND; n++) {
		if (!processes) {
			threads[n] = spawn(task_thread, (void *)(uintptr_t)n);
			continue;
		}
		pids[n] = fork_child();
		if (!pids[n]) {
			run_task(n / PER_KIND, n % PER_KIND);
			_exit(0);
		}
	}
	/* Senders first: once they are done, close lets receivers finish. */
	for (n = 0; n < 2 * PER_KIND; n++) {
		if (processes)
			wait_child_ok("X2", pids[n]);
		else
			join(threads[n]);
	}
	for (k = 0; k < NCH; k++)
		CHECK_EQ("X2", chan_close(chs[k]), 0);
	for (; n < 4 * PER_KIND; n++) {
		if (processes)
			wait_child_ok("X2", pids[n]);
		else
			join(threads[n]);
	}
	CHECK_EQ("R5", sh->received, NELEM);
	for (n = 0; n < (int)NELEM; n++)
		CHECK_EQ("R5", sh->seen[n], 1);
	for (k = 0; k < NCH; k++) {
		CHECK_STATE("R5", chs[k], 0, 0, 0);
		close(chs[k]);
	}
	printf("%s [X2 R5]: %s: %d elements exactly once in %.1f s\n",
	       program_invocation_short_name, what, (int)NELEM,
	       (now_ns() - t0) / 1e9);
	test_pass();
}

#endif /* CHAN_TESTS_SELECT_ATOMIC_H */
