// SPDX-License-Identifier: GPL-2.0
/*
 * X2: exactly one case of a select proceeds, atomically; no other case's
 * operation takes effect, even when other tasks race on the same channels.
 *
 * 1. Many cases ready at once (buffered elements, room, blocked peers):
 *    after each select exactly one element moved.
 * 2. A blocked select and a counterpart on every one of its channels,
 *    released at the same moment: one of them completes with the select,
 *    every other stays blocked until served by someone else.
 * 3. Selects racing with selects over shared channels: every element is
 *    taken by exactly one select.
 * 4. A case that did not proceed leaves its memory alone: a receive case's
 *    buffer keeps its bytes (also when the call fails), and a send case
 *    sends its element as it was, even if that memory is another case's
 *    receive buffer (Go's `case ch1 <- v:` and `case v = <-ch2:`).
 */
#include "sel.h"

#define NREADY	64
#define NRACE	8
#define ROUNDS	200
#define STRESS	20000
#define NPROD	2
#define NCONS	4

static void all_ready(void)
{
	static int chs[NREADY];
	static uint64_t vals[NREADY];
	struct chan_case cases[NREADY];
	bool seen[NREADY] = { false };
	unsigned int total;
	int i, j, idx;

	STEP("64 buffered channels with an element each: one per select");
	for (i = 0; i < NREADY; i++) {
		uint64_t v = i;

		chs[i] = CHECK_OK("X2", chan_make(sizeof(v), 1, 0));
		CHECK_EQ("X2", chan_send(chs[i], &v), 0);
		cases[i] = recv_case(chs[i], &vals[i]);
	}
	for (j = 0; j < NREADY; j++) {
		idx = CHECK_OK("X2", chan_select(cases, NREADY, 0));
		CHECK("X2", !seen[idx]);
		seen[idx] = true;
		CHECK("X2", cases[idx].ok);
		CHECK_EQ("X2", vals[idx], idx);
		for (total = 0, i = 0; i < NREADY; i++)
			total += len_of(chs[i]);
		CHECK_EQ("X2", total, NREADY - 1 - j);
	}
	CHECK_EQ("X2", chan_select(cases, NREADY, 0), -EAGAIN);

	STEP("64 empty buffered channels, send cases: one element per select");
	for (i = 0; i < NREADY; i++) {
		vals[i] = 100 + i;
		cases[i] = send_case(chs[i], &vals[i]);
		seen[i] = false;
	}
	for (j = 0; j < NREADY; j++) {
		idx = CHECK_OK("X2", chan_select(cases, NREADY, -1));
		CHECK("X2", !seen[idx]);
		seen[idx] = true;
		CHECK_EQ("X2", len_of(chs[idx]), 1);
		for (total = 0, i = 0; i < NREADY; i++)
			total += len_of(chs[i]);
		CHECK_EQ("X2", total, j + 1);
	}
	for (i = 0; i < NREADY; i++) {
		uint64_t out;

		CHECK_EQ("X2", chan_recv(chs[i], &out), 1);
		CHECK_EQ("X2", out, 100 + i);
		close(chs[i]);
	}
}

/* Blocked peers on every channel: one select takes exactly one of them. */
static void blocked_peers(bool peers_send)
{
	struct chan_case cases[NRACE];
	struct peer p[NRACE];
	uint64_t vals[NRACE];
	int chs[NRACE], i, j, idx, left = NRACE;

	STEP(peers_send ? "8 blocked senders, select receives: one at a time"
			: "8 blocked receivers, select sends: one at a time");
	for (i = 0; i < NRACE; i++) {
		chs[i] = CHECK_OK("X2", chan_make(sizeof(uint64_t), 0, 0));
		vals[i] = peers_send ? 0 : 500 + i;
		cases[i] = peers_send ? recv_case(chs[i], &vals[i])
				      : send_case(chs[i], &vals[i]);
		peer_start(&p[i], chs[i], peers_send, 300 + i);
	}
	for (i = 0; i < NRACE; i++)
		wait_waiters(chs[i], peers_send, !peers_send);
	while (left--) {
		idx = CHECK_OK("X2", chan_select(cases, NRACE, 0));
		join(p[idx].thread);
		CHECK_EQ("X2", p[idx].ret, peers_send ? 0 : 1);
		if (peers_send)
			CHECK_EQ("X2", vals[idx], 300 + idx);
		else
			CHECK_EQ("X2", p[idx].val, 500 + idx);
		/* The served channel is now nil; the others are untouched. */
		cases[idx].ch = -1;
		for (j = 0; j < NRACE; j++)
			if (cases[j].ch >= 0)
				CHECK_STATE("X2", chs[j], 0, peers_send,
					    !peers_send);
	}
	CHECK_EQ("X2", chan_select(cases, NRACE, 0), -EAGAIN);
	for (i = 0; i < NRACE; i++)
		close(chs[i]);
}

/* Part 2: counterparts released together against one blocked select. */
static struct peer racers[NRACE];
static pthread_barrier_t go_bar, done_bar;
static volatile bool race_over;

static void *racer(void *arg)
{
	struct peer *p = arg;

	for (;;) {
		pthread_barrier_wait(&go_bar);
		if (race_over)
			return NULL;
		peer_main(p);
		pthread_barrier_wait(&done_bar);
	}
}

static void racing_counterparts(void)
{
	struct chan_case cases[NRACE];
	struct sel_wait call = { cases, NRACE, 0 };
	pthread_t threads[NRACE], st;
	uint64_t vals[NRACE], v;
	int chs[NRACE], i, r, idx;

	STEP("a blocked select against 8 counterparts released at once");
	CHECK_EQ("X2", pthread_barrier_init(&go_bar, NULL, NRACE + 1), 0);
	CHECK_EQ("X2", pthread_barrier_init(&done_bar, NULL, NRACE + 1), 0);
	for (i = 0; i < NRACE; i++) {
		chs[i] = CHECK_OK("X2", chan_make(sizeof(uint64_t), 0, 0));
		/* Half the counterparts send, half receive. */
		racers[i].ch = chs[i];
		racers[i].send = i % 2 == 0;
		threads[i] = spawn(racer, &racers[i]);
	}
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NRACE; i++) {
			racers[i].val = racers[i].send ? r * 100 + i : 0;
			racers[i].ret = 1000;
			vals[i] = racers[i].send ? 0 : r * 1000 + i;
			cases[i] = racers[i].send ? recv_case(chs[i], &vals[i])
						  : send_case(chs[i], &vals[i]);
		}
		/* The select waits on all 8 first; then all come at once. */
		st = spawn(sel_wait_thread, &call);
		for (i = 0; i < NRACE; i++)
			wait_waiters(chs[i], !racers[i].send, racers[i].send);
		pthread_barrier_wait(&go_bar);
		join(st);
		idx = CHECK_OK("X2", call.ret);
		CHECK("X2", cases[idx].ok);
		/* Every other counterpart is blocked: serve it by hand. */
		for (i = 0; i < NRACE; i++) {
			if (i == idx)
				continue;
			wait_waiters(chs[i], racers[i].send, !racers[i].send);
			if (racers[i].send) {
				CHECK_EQ("X2", chan_recv(chs[i], &v), 1);
				CHECK_EQ("X2", v, r * 100 + i);
			} else {
				v = 7;
				CHECK_EQ("X2", chan_send(chs[i], &v), 0);
			}
		}
		pthread_barrier_wait(&done_bar);
		for (i = 0; i < NRACE; i++) {
			CHECK_EQ("X2", racers[i].ret, racers[i].send ? 0 : 1);
			CHECK_STATE("X2", chs[i], 0, 0, 0);
			if (i != idx && !racers[i].send)
				CHECK_EQ("X2", racers[i].val, 7);
		}
		if (racers[idx].send)
			CHECK_EQ("X2", vals[idx], r * 100 + idx);
		else
			CHECK_EQ("X2", racers[idx].val, r * 1000 + idx);
	}
	race_over = true;
	pthread_barrier_wait(&go_bar);
	for (i = 0; i < NRACE; i++) {
		join(threads[i]);
		close(chs[i]);
	}
}

/* Part 3: selects racing with selects over shared buffered channels. */
static int stress_chs[NRACE];
static uint8_t seen[STRESS];

static void *producer(void *arg)
{
	uint64_t first = (uintptr_t)arg, id, vals[NRACE];
	struct chan_case cases[NRACE];
	int i, idx;

	for (id = first; id < STRESS; id += NPROD) {
		/* Every case carries the id, tagged with its channel. */
		for (i = 0; i < NRACE; i++) {
			vals[i] = id * NRACE + i;
			cases[i] = send_case(stress_chs[i], &vals[i]);
		}
		idx = CHECK_OK("X2", chan_select(cases, NRACE, -1));
		CHECK("X2", cases[idx].ok);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct chan_case cases[NRACE];
	uint64_t vals[NRACE];
	int i, idx, open = NRACE;
	uintptr_t got = 0;

	(void)arg;
	for (i = 0; i < NRACE; i++)
		cases[i] = recv_case(stress_chs[i], &vals[i]);
	while (open) {
		idx = CHECK_OK("X2", chan_select(cases, NRACE, -1));
		if (!cases[idx].ok) {
			/* Closed and drained: Go sets such a channel to nil. */
			cases[idx].ch = -1;
			open--;
			continue;
		}
		CHECK_EQ("X2", vals[idx] % NRACE, idx);
		CHECK("X2", vals[idx] / NRACE < STRESS);
		CHECK_EQ("X2", __atomic_fetch_add(&seen[vals[idx] / NRACE], 1,
						  __ATOMIC_RELAXED), 0);
		got++;
	}
	return (void *)got;
}

static void racing_selects(void)
{
	pthread_t prod[NPROD], cons[NCONS];
	uintptr_t total = 0;
	int i;

	STEP("2 select senders, 4 select receivers, 8 shared channels");
	for (i = 0; i < NRACE; i++)
		stress_chs[i] = CHECK_OK("X2", chan_make(sizeof(uint64_t), 4, 0));
	for (i = 0; i < NCONS; i++)
		cons[i] = spawn(consumer, NULL);
	for (i = 0; i < NPROD; i++)
		prod[i] = spawn(producer, (void *)(uintptr_t)i);
	for (i = 0; i < NPROD; i++)
		join(prod[i]);
	for (i = 0; i < NRACE; i++)
		CHECK_EQ("X2", chan_close(stress_chs[i]), 0);
	for (i = 0; i < NCONS; i++)
		total += (uintptr_t)join(cons[i]);
	CHECK_EQ("X2", total, STRESS);
	for (i = 0; i < STRESS; i++)
		CHECK_EQ("X2", seen[i], 1);
	for (i = 0; i < NRACE; i++)
		close(stress_chs[i]);
}

#define PATTERN	0x1122334455667788ULL

static void untouched(void)
{
	int empty = CHECK_OK("X2", chan_make(sizeof(uint64_t), 0, 0));
	int room = CHECK_OK("X2", chan_make(sizeof(uint64_t), 1, 0));
	uint64_t v = PATTERN, out = PATTERN, got;
	struct chan_case cases[2];

	STEP("a receive case that fails or is not chosen keeps its buffer");
	cases[0] = recv_case(empty, &out);
	CHECK_EQ("X2", chan_select(cases, 1, 0), -EAGAIN);
	CHECK_EQ("X2", chan_select(cases, 1, 1000), -ETIMEDOUT);
	cases[1] = send_case(room, &v);
	CHECK_EQ("X2", chan_select(cases, 2, 0), 1);
	CHECK_EQ("X2", out, PATTERN);
	CHECK_EQ("X2", chan_recv(room, &got), 1);
	CHECK_EQ("X2", got, PATTERN);

	STEP("one variable sent by a case and received by another");
	cases[0] = recv_case(empty, &v);
	cases[1] = send_case(room, &v);
	CHECK_EQ("X2", chan_select(cases, 2, 0), 1);
	CHECK_EQ("X2", v, PATTERN);
	CHECK_EQ("X2", chan_recv(room, &got), 1);
	CHECK_EQ("X2", got, PATTERN);
	close(empty);
	close(room);
}

int main(void)
{
	test_start("X2", "exactly one case proceeds, also under races",
		   sel_watchdog(240));
	all_ready();
	blocked_peers(true);
	blocked_peers(false);
	racing_counterparts();
	racing_selects();
	untouched();
	test_pass();
}
