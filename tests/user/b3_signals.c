// SPDX-License-Identifier: GPL-2.0
/*
 * B3: a blocked operation interrupted by a signal has either completed (and
 * reports success) or had no effect (and fails with EINTR, or restarts by
 * itself under SA_RESTART), never both.  First single interruptions of
 * blocked sends and receives, then a stream of numbered elements under a
 * hail of signals: the receiver must see exactly the elements whose send
 * reported success, in order.
 */
#include "check.h"

#include <sys/syscall.h>

#define STREAM	3000

static int ch;
static volatile pid_t tid_a, tid_b;
static volatile int done;
static volatile sig_atomic_t handled;
static unsigned char sent_ok[STREAM], got[STREAM];
static int eintr_count;

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

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void *recv_expect(void *arg)
{
	uint64_t out = 55;

	tid_a = gettid_();
	CHECK_EQ("B3", chan_recv(ch, &out), (intptr_t)arg);
	if ((intptr_t)arg == -EINTR)
		CHECK_EQ("B3", out, 55);
	else
		CHECK_EQ("B3", out, 31);
	return NULL;
}

static void *send_expect(void *arg)
{
	uint64_t v = 99;

	tid_a = gettid_();
	CHECK_EQ("B3", chan_send(ch, &v), (intptr_t)arg);
	return NULL;
}

static void single_interruptions(void)
{
	uint64_t v = 31, out;
	int before;
	pthread_t t;

	STEP("no SA_RESTART: a blocked receive fails with EINTR, takes nothing");
	set_handler(false);
	ch = CHECK_OK("B3", chan_make(sizeof(uint64_t), 1, 0));
	t = spawn(recv_expect, (void *)(intptr_t)-EINTR);
	wait_waiters(ch, 0, 1);
	signal_thread(tid_a, SIGUSR1);
	join(t);
	wait_waiters(ch, 0, 0);
	CHECK_EQ("B3", chan_len(ch), 0);

	STEP("no SA_RESTART: a blocked send fails with EINTR, sends nothing");
	CHECK_EQ("B3", chan_send(ch, &v), 0);
	t = spawn(send_expect, (void *)(intptr_t)-EINTR);
	wait_waiters(ch, 1, 0);
	signal_thread(tid_a, SIGUSR1);
	join(t);
	CHECK_EQ("B3", chan_recv(ch, &out), 1);
	CHECK_EQ("B3", out, 31);
	CHECK_EQ("B3", chan_try_recv(ch, &out), -EAGAIN);
	close(ch);

	STEP("no SA_RESTART: unbuffered send fails with EINTR, nothing handed over");
	ch = CHECK_OK("B3", chan_make(sizeof(uint64_t), 0, 0));
	t = spawn(send_expect, (void *)(intptr_t)-EINTR);
	wait_waiters(ch, 1, 0);
	signal_thread(tid_a, SIGUSR1);
	join(t);
	CHECK_EQ("B3", chan_try_recv(ch, &out), -EAGAIN);

	STEP("SA_RESTART: a blocked receive restarts and then completes");
	set_handler(true);
	before = handled;
	t = spawn(recv_expect, (void *)(intptr_t)1);
	wait_waiters(ch, 0, 1);
	signal_thread(tid_a, SIGUSR1);
	while (handled == before)
		sleep_ms(1);
	/* Back asleep in the kernel after the handler, not returned. */
	wait_waiters(ch, 0, 1);
	CHECK_EQ("B3", chan_send(ch, &v), 0);
	join(t);

	STEP("SA_RESTART: a blocked send restarts and then completes");
	before = handled;
	t = spawn(send_expect, (void *)(intptr_t)0);
	wait_waiters(ch, 1, 0);
	signal_thread(tid_a, SIGUSR1);
	while (handled == before)
		sleep_ms(1);
	wait_waiters(ch, 1, 0);
	CHECK_EQ("B3", chan_recv(ch, &out), 1);
	CHECK_EQ("B3", out, 99);
	join(t);
	close(ch);
}

static void *stream_sender(void *arg)
{
	uint64_t v;

	(void)arg;
	tid_a = gettid_();
	for (v = 0; v < STREAM; v++) {
		int r = chan_send(ch, &v);

		CHECK("B3", r == 0 || r == -EINTR);
		sent_ok[v] = r == 0;
		if (r == -EINTR)
			__atomic_add_fetch(&eintr_count, 1, __ATOMIC_RELAXED);
	}
	CHECK_EQ("B3", chan_close(ch), 0);
	return NULL;
}

static void *stream_receiver(void *arg)
{
	int64_t last = -1;
	uint64_t v;

	(void)arg;
	tid_b = gettid_();
	for (;;) {
		int r = chan_recv(ch, &v);

		if (r == 0)
			break;
		if (r == -EINTR) {
			__atomic_add_fetch(&eintr_count, 1, __ATOMIC_RELAXED);
			continue;
		}
		CHECK_EQ("B3", r, 1);
		CHECK("B3", v < STREAM);
		CHECK("B3", (int64_t)v > last);
		last = (int64_t)v;
		got[v]++;
	}
	done = 1;
	return NULL;
}

static void stream(size_t cap, bool restart)
{
	unsigned int seed = 7;
	pthread_t a, b;
	int v, n_ok = 0, sigs = 0;

	STEP("stream under signals");
	set_handler(restart);
	ch = CHECK_OK("B3", chan_make(sizeof(uint64_t), cap, 0));
	memset(sent_ok, 0, sizeof(sent_ok));
	memset(got, 0, sizeof(got));
	eintr_count = 0;
	tid_a = tid_b = 0;
	done = 0;
	b = spawn(stream_receiver, NULL);
	a = spawn(stream_sender, NULL);
	while (!tid_a || !tid_b)
		sleep_ms(1);
	while (!done) {
		/* Threads have exited once done is set; tgkill may then fail. */
		if (tgkill(getpid(), tid_a, SIGUSR1) == 0)
			sigs++;
		if (tgkill(getpid(), tid_b, SIGUSR1) == 0)
			sigs++;
		usleep(rand_r(&seed) % 300);
	}
	join(a);
	join(b);
	for (v = 0; v < STREAM; v++) {
		if (sent_ok[v] != got[v])
			check_fail(__FILE__, __LINE__, "B3",
				   "element %d: send %s, received %d times (cap %zu, %s)",
				   v, sent_ok[v] ? "succeeded" : "failed", got[v],
				   cap, restart ? "SA_RESTART" : "no SA_RESTART");
		n_ok += sent_ok[v];
	}
	/* Under SA_RESTART blocking calls restart instead of failing. */
	if (restart)
		CHECK_EQ("B3", eintr_count, 0);
	fprintf(stderr, "b3 stream cap %zu %s: %d signals, %d EINTR, %d of %d sent\n",
		cap, restart ? "SA_RESTART" : "no SA_RESTART", sigs, eintr_count,
		n_ok, STREAM);
	close(ch);
}

int main(void)
{
	test_start("B3", "signals: completed or no effect, never both", 120);
	single_interruptions();
	stream(0, false);
	stream(4, false);
	stream(0, true);
	stream(4, true);
	test_pass();
}
