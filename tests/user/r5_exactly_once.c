// SPDX-License-Identifier: GPL-2.0
/*
 * R5: nothing lost, nothing doubled.  Every element whose send succeeded is
 * received exactly once or is still buffered; an element whose send failed
 * (would block, timeout, closed, bad address) is never received.  A receive
 * that fails (bad address) takes nothing.  The last part races timed sends
 * against timed receives and checks the ledger.
 */
#include "check.h"

#define RACE_N	5000

static int ch;
static volatile int sender_done;
static unsigned char sent_ok[RACE_N], got[RACE_N];

static void *blocked_sender(void *arg)
{
	uint64_t v = (uintptr_t)arg;

	CHECK_EQ("R5", chan_send(ch, &v), 0);
	sender_done = 1;
	return NULL;
}

static void failed_sends_on_full(void)
{
	uint64_t v, out;

	STEP("failed sends on a full channel");
	ch = CHECK_OK("R5", chan_make(sizeof(uint64_t), 4, 0));
	/*
	 * A bad address fails even where the element would fit.  Not on a
	 * ring (CHAN_TEST_RING): its fast path copies the element in the
	 * caller, and a bad pointer is the caller's SIGSEGV (M5, chan_make(3)).
	 */
	if (!test_ring_mode()) {
		CHECK_EQ("R5", chan_send(ch, bad_ptr()), -EFAULT);
		CHECK_EQ("R5", chan_len(ch), 0);
	}
	for (v = 0; v < 4; v++)
		CHECK_EQ("R5", chan_send(ch, &v), 0);
	v = 100;
	CHECK_EQ("R5", chan_try_send(ch, &v), -EAGAIN);
	v = 101;
	CHECK_EQ("R5", chan_send_timeout(ch, &v, 1000000), -ETIMEDOUT);
	/* Full: a ring sends it through the kernel, which checks it. */
	CHECK_EQ("R5", chan_send_timeout(ch, bad_ptr(), 1000000), -EFAULT);
	CHECK_EQ("R5", chan_len(ch), 4);

	if (!test_ring_mode()) {
		STEP("a receive into a bad address takes nothing");
		CHECK_EQ("R5", chan_recv(ch, bad_ptr()), -EFAULT);
		CHECK_EQ("R5", chan_try_recv(ch, NULL), -EFAULT);
		CHECK_EQ("R5", chan_len(ch), 4);
	}
	for (v = 0; v < 4; v++) {
		CHECK_EQ("R5", chan_recv(ch, &out), 1);
		CHECK_EQ("R5", out, v);
	}
	CHECK_EQ("R5", chan_try_recv(ch, &out), -EAGAIN);

	STEP("sends after close fail and are never received");
	v = 5;
	CHECK_EQ("R5", chan_send(ch, &v), 0);
	CHECK_EQ("R5", chan_close(ch), 0);
	v = 102;
	CHECK_EQ("R5", chan_send(ch, &v), -EPIPE);
	CHECK_EQ("R5", chan_recv(ch, &out), 1);
	CHECK_EQ("R5", out, 5);
	CHECK_EQ("R5", chan_recv(ch, &out), 0);
	close(ch);
}

static void unbuffered_bad_receiver(void)
{
	uint64_t out = 0;
	pthread_t t;

	/*
	 * Whether the sender stays blocked meanwhile is L2's question
	 * (l2_bad_input); here the element must arrive exactly once.
	 */
	STEP("unbuffered: a faulting receiver loses nothing");
	ch = CHECK_OK("R5", chan_make(sizeof(uint64_t), 0, 0));
	t = spawn(blocked_sender, (void *)(uintptr_t)77);
	wait_waiters(ch, 1, 0);
	CHECK_EQ("R5", chan_try_recv(ch, bad_ptr()), -EFAULT);
	CHECK_EQ("R5", chan_recv_timeout(ch, bad_ptr(), 1000000), -EFAULT);
	CHECK_EQ("R5", chan_recv(ch, &out), 1);
	CHECK_EQ("R5", out, 77);
	join(t);
	CHECK_EQ("R5", sender_done, 1);
	CHECK_EQ("R5", chan_try_recv(ch, &out), -EAGAIN);
	CHECK_EQ("R5", chan_len(ch), 0);
	close(ch);
}

static void *racing_sender(void *arg)
{
	unsigned int seed = 1;
	uint64_t v;

	(void)arg;
	for (v = 0; v < RACE_N; v++) {
		int r;

		switch (rand_r(&seed) % 3) {
		case 0:
			r = chan_try_send(ch, &v);
			break;
		default:
			r = chan_send_timeout(ch, &v, rand_r(&seed) % 200000 + 1);
			break;
		}
		CHECK("R5", r == 0 || r == -EAGAIN || r == -ETIMEDOUT);
		sent_ok[v] = r == 0;
	}
	CHECK_EQ("R5", chan_close(ch), 0);
	return NULL;
}

static void race(size_t cap)
{
	unsigned int seed = 2;
	uint64_t v;
	pthread_t t;
	int r, n_ok = 0, n_got = 0;

	STEP("timed sends racing timed receives");
	ch = CHECK_OK("R5", chan_make(sizeof(uint64_t), cap, 0));
	memset(sent_ok, 0, sizeof(sent_ok));
	memset(got, 0, sizeof(got));
	t = spawn(racing_sender, NULL);
	for (;;) {
		v = UINT64_MAX;
		r = rand_r(&seed) % 2 ? chan_try_recv(ch, &v) :
			chan_recv_timeout(ch, &v, rand_r(&seed) % 200000 + 1);
		if (r == 0)
			break;
		if (r == -EAGAIN || r == -ETIMEDOUT)
			continue;
		CHECK_EQ("R5", r, 1);
		CHECK("R5", v < RACE_N);
		CHECK_EQ("R5", got[v], 0);
		got[v] = 1;
	}
	join(t);
	for (v = 0; v < RACE_N; v++) {
		if (sent_ok[v] != got[v])
			check_fail(__FILE__, __LINE__, "R5",
				   "element %" PRIu64 ": send %s, received %d times (cap %zu)",
				   v, sent_ok[v] ? "succeeded" : "failed", got[v], cap);
		n_ok += sent_ok[v];
		n_got += got[v];
	}
	fprintf(stderr, "r5 race cap %zu: %d of %d sends succeeded, %d received\n",
		cap, n_ok, RACE_N, n_got);
	close(ch);
}

int main(void)
{
	test_start("R5", "nothing lost, nothing doubled", 120);
	failed_sends_on_full();
	unbuffered_bad_receiver();
	race(0);
	race(2);
	test_pass();
}
