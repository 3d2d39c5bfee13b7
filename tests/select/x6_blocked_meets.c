// SPDX-License-Identifier: GPL-2.0
/*
 * X6 (with R2, R3): a blocked select waits on every channel at once; a
 * plain sender or receiver on any of them, including an unbuffered
 * rendezvous, completes with it, and only the first to come does.  Two
 * selects meet each other on an unbuffered channel, whichever blocked
 * first, and also when both arrive at the same moment.
 */
#include "sel.h"

#define NWIDE	64
#define ROUNDS	300

/* A select blocked on @n channels; a plain peer on channel @k meets it. */
static void one_of_many(int cap, bool sel_sends, int k)
{
	static struct chan_case cases[NWIDE];
	static uint64_t vals[NWIDE];
	struct sel_wait call = { cases, NWIDE, 1000 };
	int chs[NWIDE], i;
	uint64_t v, old = 7;
	pthread_t t;

	for (i = 0; i < NWIDE; i++) {
		chs[i] = CHECK_OK("X6", chan_make(sizeof(uint64_t), cap, 0));
		/* Full buffers, so a send case blocks. */
		if (cap && sel_sends)
			CHECK_EQ("X6", chan_send(chs[i], &old), 0);
		vals[i] = sel_sends ? 1000 + i : 0;
		cases[i] = sel_sends ? send_case(chs[i], &vals[i])
				     : recv_case(chs[i], &vals[i]);
	}
	t = spawn(sel_wait_thread, &call);
	for (i = 0; i < NWIDE; i++)
		wait_waiters(chs[i], sel_sends, !sel_sends);
	if (sel_sends) {
		/* The head goes out; the select's element moves in (R3). */
		CHECK_EQ("X6", chan_recv(chs[k], &v), 1);
		CHECK_EQ("X6", v, cap ? old : 1000 + (uint64_t)k);
	} else {
		v = 500 + k;
		CHECK_EQ("X6", chan_send(chs[k], &v), 0);
	}
	join(t);
	CHECK_EQ("X6", call.ret, k);
	CHECK("X6", cases[k].ok);
	if (!sel_sends)
		CHECK_EQ("X6", vals[k], 500 + k);
	for (i = 0; i < NWIDE; i++) {
		/* Handed over directly: a buffered channel stays empty. */
		CHECK_STATE("X6", chs[i], cap && sel_sends ? 1 : 0, 0, 0);
		if (i == k && cap && sel_sends) {
			CHECK_EQ("X6", chan_recv(chs[i], &v), 1);
			CHECK_EQ("X6", v, 1000 + (uint64_t)k);
		}
		close(chs[i]);
	}
}

static void plain_peers(void)
{
	const int ks[] = { 0, 31, NWIDE - 1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ks); i++) {
		STEP("select receiving on 64 unbuffered channels, one sender");
		one_of_many(0, false, ks[i]);
		STEP("select sending on 64 unbuffered channels, one receiver");
		one_of_many(0, true, ks[i]);
		STEP("select receiving on 64 empty buffered channels, one sender");
		one_of_many(2, false, ks[i]);
		STEP("select sending on 64 full buffered channels, one receiver");
		one_of_many(1, true, ks[i]);
	}
}

static void first_come(void)
{
	int a = CHECK_OK("X6", chan_make(sizeof(uint64_t), 0, 0));
	int b = CHECK_OK("X6", chan_make(sizeof(uint64_t), 0, 0));
	uint64_t va = 0, vb = 0, v;
	struct chan_case cases[2] = { recv_case(a, &va), recv_case(b, &vb) };
	struct sel_wait call = { cases, 2, 1000 };
	struct peer pb;
	pthread_t t;

	STEP("the first counterpart completes the select; the next one waits");
	t = spawn(sel_wait_thread, &call);
	wait_waiters(a, 0, 1);
	wait_waiters(b, 0, 1);
	v = 1;
	CHECK_EQ("X6", chan_send(b, &v), 0);
	peer_start(&pb, a, true, 2);
	join(t);
	CHECK_EQ("X6", call.ret, 1);
	CHECK_EQ("X6", vb, 1);
	CHECK_EQ("X6", va, 0);
	wait_waiters(a, 1, 0);
	CHECK_EQ("X6", pb.ret, 1000);
	CHECK_EQ("X6", chan_recv(a, &v), 1);
	join(pb.thread);
	CHECK_EQ("X6", v, 2);
	CHECK_EQ("X6", pb.ret, 0);
	close(a);
	close(b);
}

/* Two selects: one sends on @c, the other receives on it; idle cases too. */
static void selects_meet_in_order(bool sender_first)
{
	int c = CHECK_OK("X6", chan_make(sizeof(uint64_t), 0, 0));
	int idle1 = CHECK_OK("X6", chan_make(sizeof(uint64_t), 0, 0));
	int idle2 = CHECK_OK("X6", chan_make(sizeof(uint64_t), 0, 0));
	uint64_t out = 0, in = 0, v = 77, w = 0;
	struct chan_case sc[2] = { recv_case(idle1, &w), send_case(c, &v) };
	struct chan_case rc[2] = { recv_case(c, &in), send_case(idle2, &out) };
	struct sel_wait scall = { sc, 2, 1000 }, rcall = { rc, 2, 1000 };
	pthread_t st, rt;

	STEP(sender_first ? "a blocked select sender meets a select receiver"
			  : "a blocked select receiver meets a select sender");
	if (sender_first) {
		st = spawn(sel_wait_thread, &scall);
		wait_waiters(c, 1, 0);
		rt = spawn(sel_wait_thread, &rcall);
	} else {
		rt = spawn(sel_wait_thread, &rcall);
		wait_waiters(c, 0, 1);
		st = spawn(sel_wait_thread, &scall);
	}
	join(st);
	join(rt);
	CHECK_EQ("X6", scall.ret, 1);
	CHECK_EQ("X6", rcall.ret, 0);
	CHECK_EQ("X6", in, 77);
	CHECK_STATE("X6", c, 0, 0, 0);
	CHECK_STATE("X6", idle1, 0, 0, 0);
	CHECK_STATE("X6", idle2, 0, 0, 0);
	close(c);
	close(idle1);
	close(idle2);
}

/*
 * Two selects arrive at once, each sending on one channel and receiving on
 * the other: they must pair up one way or the other, never both, never
 * neither (that would leave both blocked: the watchdog catches it).
 */
static int m_ch[2];
static uint64_t m_send[2], m_recv[2];
static struct chan_case m_cases[2][2];
static struct sel_wait m_call[2];
static pthread_barrier_t m_bar;
static volatile bool m_over;

static void *meeter(void *arg)
{
	int me = (int)(uintptr_t)arg;

	for (;;) {
		pthread_barrier_wait(&m_bar);
		if (m_over)
			return NULL;
		sel_wait_thread(&m_call[me]);
		pthread_barrier_wait(&m_bar);
	}
}

static void selects_meet_racing(void)
{
	unsigned int ways[2] = { 0 };
	pthread_t t[2];
	int r, me;

	STEP("two selects arrive together, each able to send or receive");
	m_ch[0] = CHECK_OK("X6", chan_make(sizeof(uint64_t), 0, 0));
	m_ch[1] = CHECK_OK("X6", chan_make(sizeof(uint64_t), 0, 0));
	CHECK_EQ("X6", pthread_barrier_init(&m_bar, NULL, 3), 0);
	for (me = 0; me < 2; me++)
		t[me] = spawn(meeter, (void *)(uintptr_t)me);
	for (r = 0; r < ROUNDS; r++) {
		for (me = 0; me < 2; me++) {
			m_send[me] = r * 2 + me;
			m_recv[me] = 0;
			m_cases[me][0] = send_case(m_ch[me], &m_send[me]);
			m_cases[me][1] = recv_case(m_ch[!me], &m_recv[me]);
			m_call[me] = (struct sel_wait){ m_cases[me], 2, 1000 };
		}
		pthread_barrier_wait(&m_bar);	/* go */
		pthread_barrier_wait(&m_bar);	/* both done */
		/* One sent on its channel, the other received from it. */
		me = m_call[0].ret == 0 ? 0 : 1;
		CHECK_EQ("X6", m_call[me].ret, 0);
		CHECK_EQ("X6", m_call[!me].ret, 1);
		CHECK_EQ("X6", m_recv[!me], r * 2 + me);
		ways[me]++;
	}
	m_over = true;
	pthread_barrier_wait(&m_bar);
	join(t[0]);
	join(t[1]);
	CHECK_STATE("X6", m_ch[0], 0, 0, 0);
	CHECK_STATE("X6", m_ch[1], 0, 0, 0);
	printf("x6_blocked_meets [X6]: %d racing pairs: %u one way, %u the other\n",
	       ROUNDS, ways[0], ways[1]);
	close(m_ch[0]);
	close(m_ch[1]);
}

int main(void)
{
	test_start("X6 R2 R3", "a blocked select meets senders, receivers, selects",
		   sel_watchdog(240));
	plain_peers();
	first_come();
	selects_meet_in_order(true);
	selects_meet_in_order(false);
	selects_meet_racing();
	test_pass();
}
