// SPDX-License-Identifier: GPL-2.0
/*
 * S2: a wait on a set lets exactly one ready case proceed, with what a
 * select promises for the same cases (X2-X6), and returns its id; a send
 * case sends what its element address holds at that moment.
 *
 * 1. A send case sends the value its address holds at the wait, not at
 *    registration; an element larger than the kernel's stack copy too.
 * 2. X4: 0 timeout gives EAGAIN, a timeout that expires ETIMEDOUT, and
 *    neither moves anything.
 * 3. X5: a closed channel's send case is ready with ok = false and sends
 *    nothing; a receive case drains, then reports ok = false.
 * 4. X6: a wait blocked on an unbuffered channel meets a plain sender, a
 *    plain receiver and a chan_select on the other side.
 * 5. R5/L2: a receive case whose address faults fails with EFAULT and the
 *    element stays in its channel, first in line.
 * 6. X2 under load: four producer threads send 0..N-1 on four channels
 *    (one unbuffered), one waiter takes them through the set: each value
 *    exactly once, and in order per channel.
 * 7. Processes: producers in child processes, the set in the parent.
 */
#include "set.h"

#define BIG	1000
#define LOAD_N	test_count(20000)

static void send_reads_at_wait(void)
{
	uint64_t v = 1, got;
	static uint8_t big[BIG], out[BIG];
	int set, ch, bch, id, bid, i;
	bool ok;

	STEP("a send case sends what its address holds at the wait");
	set = CHECK_OK("S2", chan_set_make());
	ch = CHECK_OK("S2", chan_make(sizeof(v), 1, 0));
	id = set_add(set, ch, CHAN_OP_SEND, &v);
	v = 42;
	CHECK_EQ("S2", chan_set_wait(set, -1, &ok), id);
	CHECK("S2", ok);
	CHECK_EQ("S2", chan_recv(ch, &got), 1);
	CHECK_EQ("S2", got, 42);
	CHECK_EQ("S2", chan_set_del(set, id), 0);

	bch = CHECK_OK("S2", chan_make(BIG, 1, 0));
	bid = set_add(set, bch, CHAN_OP_SEND, big);
	for (i = 0; i < BIG; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ("S2", chan_set_wait(set, -1, &ok), bid);
	CHECK_EQ("S2", chan_recv(bch, out), 1);
	CHECK("S2", !memcmp(big, out, BIG));
	close(bch);
	close(ch);
	close(set);
}

static void timeouts(void)
{
	uint64_t v = 0;
	int set, ch;
	int64_t t0, dt;

	STEP("X4: EAGAIN, ETIMEDOUT");
	set = CHECK_OK("X4", chan_set_make());
	ch = CHECK_OK("X4", chan_make(sizeof(v), 0, 0));
	set_add(set, ch, CHAN_OP_RECV, &v);
	set_add(set, ch, CHAN_OP_SEND, &v);
	CHECK_EQ("X4", chan_set_wait(set, 0, NULL), -EAGAIN);
	t0 = now_ns();
	CHECK_EQ("X4", chan_set_wait(set, 50000000, NULL), -ETIMEDOUT);
	dt = now_ns() - t0;
	CHECK("X4", dt >= 50000000);
	CHECK_STATE("X4", ch, 0, 0, 0);
	close(ch);
	close(set);
}

static void closed(void)
{
	uint64_t v = 5, r = 0;
	int set, ch, sid, rid, id, n;
	bool ok;

	STEP("X5: closed channels");
	set = CHECK_OK("X5", chan_set_make());
	ch = CHECK_OK("X5", chan_make(sizeof(v), 2, 0));
	CHECK_EQ("X5", chan_send(ch, &v), 0);
	CHECK_EQ("X5", chan_close(ch), 0);
	sid = set_add(set, ch, CHAN_OP_SEND, &v);
	rid = set_add(set, ch, CHAN_OP_RECV, &r);
	/* Both ready: the send reports closed, the receive gets 5 first. */
	for (n = 0; n < 3; n++) {
		ok = true;
		id = CHECK_OK("X5", chan_set_wait(set, 0, &ok));
		if (id == sid) {
			CHECK("X5", !ok);
			CHECK_EQ("X5", chan_set_del(set, sid), 0);
		} else {
			CHECK_EQ("X5", id, rid);
			break;
		}
	}
	CHECK_EQ("X5", id, rid);
	CHECK("X5", ok);
	CHECK_EQ("X5", r, 5);
	ok = true;
	r = 77;
	CHECK_EQ("X5", chan_set_wait(set, 0, &ok), rid);
	CHECK("X5", !ok);
	CHECK_EQ("X5", r, 77);
	close(ch);
	close(set);
}

struct sel_peer {
	int ch;
	uint64_t val;
	int ret;
};

static void *select_sender(void *arg)
{
	struct sel_peer *p = arg;
	struct chan_case c = send_case(p->ch, &p->val);

	p->ret = chan_select(&c, 1, -1);
	return NULL;
}

static void unbuffered(void)
{
	uint64_t r = 0, s = 0;
	struct sel_peer sp = { .val = 31 };
	struct peer p;
	int set, ch, rid, sid;
	bool ok;

	STEP("X6: an unbuffered channel, every kind of counterpart");
	ch = CHECK_OK("X6", chan_make(sizeof(r), 0, 0));
	set = CHECK_OK("X6", chan_set_make());
	rid = set_add(set, ch, CHAN_OP_RECV, &r);

	/* The counterpart arrives first. */
	peer_start(&p, ch, true, 11);
	wait_waiters(ch, 1, 0);
	CHECK_EQ("X6", chan_set_wait(set, -1, &ok), rid);
	join(p.thread);
	CHECK_EQ("X6", p.ret, 0);
	CHECK_EQ("X6", r, 11);

	/* The wait blocks first. */
	{
		struct set_waiter w;

		set_waiter_start(&w, set);
		sleep_ms(50);
		CHECK("X6", !w.done);
		peer_start(&p, ch, true, 12);
		join(w.thread);
		join(p.thread);
		CHECK_EQ("X6", w.ret, rid);
		CHECK("X6", w.ok);
		CHECK_EQ("X6", r, 12);

		/* A select on the other side. */
		set_waiter_start(&w, set);
		sleep_ms(50);
		sp.ch = ch;
		p.thread = spawn(select_sender, &sp);
		join(w.thread);
		join(p.thread);
		CHECK_EQ("X6", sp.ret, 0);
		CHECK_EQ("X6", w.ret, rid);
		CHECK_EQ("X6", r, 31);
	}
	CHECK_EQ("X6", chan_set_del(set, rid), 0);

	/* A send case meets a blocked plain receiver. */
	sid = set_add(set, ch, CHAN_OP_SEND, &s);
	s = 13;
	peer_start(&p, ch, false, 0);
	wait_waiters(ch, 0, 1);
	CHECK_EQ("X6", chan_set_wait(set, -1, &ok), sid);
	CHECK("X6", ok);
	join(p.thread);
	CHECK_EQ("X6", p.ret, 1);
	CHECK_EQ("X6", p.val, 13);
	close(ch);
	close(set);
}

static void fault_puts_back(void)
{
	uint64_t v, a = 1, b = 2;
	int set, ch;

	STEP("R5: a faulting receive case leaves the element first in line");
	ch = CHECK_OK("R5", chan_make(sizeof(v), 2, 0));
	CHECK_EQ("R5", chan_send(ch, &a), 0);
	CHECK_EQ("R5", chan_send(ch, &b), 0);
	set = CHECK_OK("R5", chan_set_make());
	set_add(set, ch, CHAN_OP_RECV, bad_ptr());
	CHECK_EQ("R5", chan_set_wait(set, 0, NULL), -EFAULT);
	CHECK_EQ("R5", len_of(ch), 2);
	CHECK_EQ("R5", chan_recv(ch, &v), 1);
	CHECK_EQ("R5", v, 1);
	CHECK_EQ("R5", chan_recv(ch, &v), 1);
	CHECK_EQ("R5", v, 2);
	close(ch);
	close(set);
}

struct producer {
	int ch;
	long n;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	uint64_t i;

	for (i = 0; i < (uint64_t)p->n; i++)
		if (chan_send(p->ch, &i) != 0)
			_exit(3);
	return NULL;
}

/* Take 4 * LOAD_N values through the set: each exactly once, in order. */
static void consume(int set, const int *ids, uint64_t *vals)
{
	uint64_t next[4] = { 0 };
	long total = 0;
	int id, k;
	bool ok;

	while (total < 4 * LOAD_N) {
		id = CHECK_OK("S2", chan_set_wait(set, -1, &ok));
		CHECK("S2", ok);
		for (k = 0; k < 4 && ids[k] != id; k++)
			;
		CHECK("S2", k < 4);
		CHECK_EQ("S2", vals[k], next[k]);
		next[k]++;
		total++;
	}
	CHECK_EQ("S2", chan_set_wait(set, 0, NULL), -EAGAIN);
}

static void load(bool procs)
{
	static uint64_t vals[4];
	struct producer p[4];
	pthread_t t[4];
	pid_t pid[4];
	int set, chs[4], ids[4], k;

	STEP(procs ? "X2: producer processes" : "X2: producer threads");
	set = CHECK_OK("S2", chan_set_make());
	for (k = 0; k < 4; k++) {
		chs[k] = CHECK_OK("S2", chan_make(sizeof(uint64_t), k ? 4 : 0, 0));
		ids[k] = set_add(set, chs[k], CHAN_OP_RECV, &vals[k]);
		p[k] = (struct producer){ .ch = chs[k], .n = LOAD_N };
	}
	for (k = 0; k < 4; k++) {
		if (!procs) {
			t[k] = spawn(produce, &p[k]);
			continue;
		}
		pid[k] = fork_child();
		if (!pid[k]) {
			produce(&p[k]);
			_exit(0);
		}
	}
	consume(set, ids, vals);
	for (k = 0; k < 4; k++) {
		if (procs)
			wait_child_ok("S2", pid[k]);
		else
			join(t[k]);
		CHECK_STATE("S2", chs[k], 0, 0, 0);
		close(chs[k]);
	}
	close(set);
}

int main(void)
{
	test_start("S2 X2 X4 X5 X6", "one ready case proceeds per wait",
		   sel_watchdog(180));
	send_reads_at_wait();
	timeouts();
	closed();
	unbuffered();
	fault_puts_back();
	load(false);
	load(true);
	test_pass();
}
