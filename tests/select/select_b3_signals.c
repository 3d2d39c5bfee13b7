// SPDX-License-Identifier: GPL-2.0
/*
 * B3 for select (with X2, X4, B2): a select interrupted by a signal has
 * either completed (a case proceeded, and it reports which) or had no
 * effect (EINTR, or, under SA_RESTART, it restarts by itself and carries
 * on waiting).  A restarted timed select keeps its absolute deadline.
 *
 * 1. One interruption of a blocked select, without and with SA_RESTART,
 *    with few cases (the library's stack array) and many (its heap array).
 * 2. A stream of numbered elements between a select sender and a select
 *    receiver under a hail of signals: the receiver sees exactly the
 *    elements whose select reported success, each once, in order.
 * 3. A timed select under a hail of SA_RESTART signals ends with ETIMEDOUT.
 */
#include "sel.h"

#define NCASES_MAX	24
#define STREAM		3000
#define MS		1000000LL

static volatile sig_atomic_t handled;
static volatile pid_t tid_sel, tid_snd, tid_rcv;
static volatile bool hail_stop;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void set_handler(bool restart)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	sa.sa_flags = restart ? SA_RESTART : 0;
	CHECK_SYS("B3", sigaction(SIGUSR1, &sa, NULL));
}

struct sel_call {
	struct chan_case *cases;
	size_t n;
	int64_t timeout;
	volatile int ret;
};

static void *select_thread(void *arg)
{
	struct sel_call *c = arg;

	tid_sel = sel_gettid();
	c->ret = chan_select(c->cases, c->n, c->timeout);
	return NULL;
}

/*
 * A select on @n cases: receives from unbuffered channels, and one send
 * into a full buffered channel; everything blocks until the test acts.
 */
static void single(bool restart, size_t n)
{
	struct chan_case cases[NCASES_MAX];
	uint64_t vals[NCASES_MAX], v, out;
	struct sel_call call = { cases, n, -1, 1000 };
	int chs[NCASES_MAX], full, before;
	pthread_t t;
	size_t i;

	STEP(restart ? "SA_RESTART: an interrupted select waits on"
		     : "no SA_RESTART: an interrupted select fails with EINTR");
	set_handler(restart);
	full = CHECK_OK("B3", chan_make(sizeof(uint64_t), 1, 0));
	v = 1;
	CHECK_EQ("B3", chan_send(full, &v), 0);
	for (i = 0; i < n - 1; i++) {
		chs[i] = CHECK_OK("B3", chan_make(sizeof(uint64_t), 0, 0));
		vals[i] = 55;
		cases[i] = recv_case(chs[i], &vals[i]);
	}
	vals[n - 1] = 2;
	cases[n - 1] = send_case(full, &vals[n - 1]);
	tid_sel = 0;
	before = handled;
	t = spawn(select_thread, &call);
	for (i = 0; i < n - 1; i++)
		wait_waiters(chs[i], 0, 1);
	wait_waiters(full, 1, 0);
	signal_thread(tid_sel, SIGUSR1);
	while (handled == before)
		sleep_ms(1);
	if (!restart) {
		join(t);
		CHECK_EQ("B3", call.ret, -EINTR);
		for (i = 0; i < n - 1; i++)
			CHECK_STATE("B3", chs[i], 0, 0, 0);
		CHECK_STATE("B3", full, 1, 0, 0);
		CHECK_EQ("B3", chan_recv(full, &out), 1);
		CHECK_EQ("B3", out, 1);
	} else {
		/*
		 * Back asleep on every channel after the handler; a select
		 * that returned instead failed to restart.
		 */
		STEP("SA_RESTART: the select is back on every channel");
		for (;;) {
			CHECK_EQ("B3", call.ret, 1000);
			for (i = 0; i < n - 1; i++)
				if (chan_info_of(chs[i]).recv_waiters != 1)
					break;
			if (i == n - 1 && chan_info_of(full).send_waiters == 1)
				break;
			sleep_ms(1);
		}
		v = 99;
		CHECK_EQ("B3", chan_send(chs[n / 2], &v), 0);
		join(t);
		CHECK_EQ("B3", call.ret, (int)(n / 2));
		CHECK("B3", cases[n / 2].ok);
		CHECK_EQ("B3", vals[n / 2], 99);
		CHECK_STATE("B3", full, 1, 0, 0);
	}
	for (i = 0; i < n - 1; i++)
		close(chs[i]);
	close(full);
	printf("select_b3_signals [B3]: %s, %zu cases: ok\n",
	       restart ? "SA_RESTART" : "no SA_RESTART", n);
}

/* Part 2: a stream between selects under signals. */
static int s_ch[2];
static unsigned char sent_ok[STREAM], got[STREAM];
static unsigned int eintr_seen;

static void *stream_sender(void *arg)
{
	struct chan_case cases[3];
	uint64_t v, vals[2];
	int r;

	(void)arg;
	tid_snd = sel_gettid();
	for (v = 0; v < STREAM; v++) {
		vals[0] = vals[1] = v;
		cases[0] = send_case(s_ch[0], &vals[0]);
		cases[1] = send_case(s_ch[1], &vals[1]);
		cases[2] = recv_case(-1, NULL);
		r = chan_select(cases, 3, -1);
		CHECK("B3", r == 0 || r == 1 || r == -EINTR);
		if (r >= 0)
			CHECK("B3", cases[r].ok);
		sent_ok[v] = r >= 0;
		if (r == -EINTR)
			__atomic_add_fetch(&eintr_seen, 1, __ATOMIC_RELAXED);
	}
	CHECK_EQ("B3", chan_close(s_ch[0]), 0);
	CHECK_EQ("B3", chan_close(s_ch[1]), 0);
	return NULL;
}

static void *stream_receiver(void *arg)
{
	struct chan_case cases[2];
	int64_t last = -1;
	uint64_t vals[2];
	int r, open = 2;

	(void)arg;
	tid_rcv = sel_gettid();
	cases[0] = recv_case(s_ch[0], &vals[0]);
	cases[1] = recv_case(s_ch[1], &vals[1]);
	while (open) {
		r = chan_select(cases, 2, -1);
		if (r == -EINTR) {
			__atomic_add_fetch(&eintr_seen, 1, __ATOMIC_RELAXED);
			continue;
		}
		CHECK("B3", r == 0 || r == 1);
		if (!cases[r].ok) {
			cases[r].ch = -1;
			open--;
			continue;
		}
		CHECK("B3", vals[r] < STREAM);
		/* One sender: whatever channel, the order is the send order. */
		CHECK("B3", (int64_t)vals[r] > last);
		last = (int64_t)vals[r];
		got[vals[r]]++;
	}
	return NULL;
}

/*
 * Signal a thread that may have finished already: the hail goes on until
 * the test joined every target, so ESRCH is expected at the end.
 */
static void hail_at(pid_t tid)
{
	if (tid && tgkill(getpid(), tid, SIGUSR1) < 0 && errno != ESRCH)
		check_fail(__FILE__, __LINE__, check_rules, "tgkill: %s",
			   strerrorname_np(errno));
}

static void *hail(void *arg)
{
	unsigned int i = 0;

	(void)arg;
	while (!hail_stop) {
		hail_at(tid_snd);
		hail_at(tid_rcv);
		hail_at(tid_sel);
		/* Vary the gap, so signals land in every phase of a select. */
		usleep(20 + (i++ % 7) * 30);
	}
	return NULL;
}

static void stream(bool restart)
{
	pthread_t snd, rcv, sig;
	unsigned int n = 0, i;

	STEP(restart ? "stream under SA_RESTART signals: nothing lost"
		     : "stream under signals: exactly the sends that succeeded");
	set_handler(restart);
	memset(sent_ok, 0, sizeof(sent_ok));
	memset(got, 0, sizeof(got));
	eintr_seen = 0;
	tid_snd = tid_rcv = tid_sel = 0;
	hail_stop = false;
	s_ch[0] = CHECK_OK("B3", chan_make(sizeof(uint64_t), 0, 0));
	s_ch[1] = CHECK_OK("B3", chan_make(sizeof(uint64_t), 0, 0));
	rcv = spawn(stream_receiver, NULL);
	snd = spawn(stream_sender, NULL);
	sig = spawn(hail, NULL);
	join(snd);
	join(rcv);
	hail_stop = true;
	join(sig);
	for (i = 0; i < STREAM; i++) {
		CHECK_EQ("B3", got[i], sent_ok[i]);
		n += sent_ok[i];
	}
	printf("select_b3_signals [B3]: %s: %u of %u delivered, %u EINTR\n",
	       restart ? "SA_RESTART" : "no SA_RESTART", n, STREAM, eintr_seen);
	if (restart) {
		CHECK_EQ("B3", eintr_seen, 0);
		CHECK_EQ("B3", n, STREAM);
	}
	close(s_ch[0]);
	close(s_ch[1]);
}

static void timed_under_hail(bool nil_only)
{
	int ch = CHECK_OK("B2", chan_make(sizeof(uint64_t), 0, 0));
	uint64_t v;
	struct chan_case cases[2] = { recv_case(nil_only ? -1 : ch, &v),
				      recv_case(-1, NULL) };
	struct sel_call call = { cases, 2, 100 * MS, 1000 };
	pthread_t t, sig;
	int64_t t0;

	STEP(nil_only ? "SA_RESTART: a nil-only timed select keeps its deadline"
		      : "SA_RESTART: a timed select keeps its deadline (B2)");
	set_handler(true);
	tid_snd = tid_rcv = tid_sel = 0;
	hail_stop = false;
	t0 = now_ns();
	t = spawn(select_thread, &call);
	sig = spawn(hail, NULL);
	/* A deadline restarted as relative would never come under the hail. */
	join(t);
	hail_stop = true;
	join(sig);
	CHECK_EQ("B2", call.ret, -ETIMEDOUT);
	CHECK("B2", now_ns() - t0 >= 100 * MS);
	CHECK_STATE("B2", ch, 0, 0, 0);
	close(ch);
}

int main(void)
{
	test_start("B3 X2 B2", "signals and blocked selects",
		   sel_watchdog(240));
	single(false, 4);
	single(false, NCASES_MAX);
	single(true, 4);
	single(true, NCASES_MAX);
	stream(false);
	stream(true);
	timed_under_hail(false);
	timed_under_hail(true);
	test_pass();
}
