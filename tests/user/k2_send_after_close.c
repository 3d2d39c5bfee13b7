// SPDX-License-Identifier: GPL-2.0
/*
 * K2: after close every send fails with EPIPE, including sends that were
 * blocked when the channel closed; their elements are not delivered.  No
 * SIGPIPE is raised (write(2) included).
 */
#include "check.h"

#define BLOCKED	3

static int ch;
static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void *blocked_sender(void *arg)
{
	uint64_t v = (uintptr_t)arg;

	CHECK_EQ("K2", chan_send(ch, &v), -EPIPE);
	return NULL;
}

static void blocked_senders_fail(size_t cap)
{
	pthread_t t[BLOCKED];
	uint64_t v, out;
	uintptr_t i;

	STEP("senders blocked at close fail with EPIPE");
	ch = CHECK_OK("K2", chan_make(sizeof(uint64_t), cap, 0));
	for (v = 0; v < cap; v++)
		CHECK_EQ("K2", chan_send(ch, &v), 0);
	for (i = 0; i < BLOCKED; i++)
		t[i] = spawn(blocked_sender, (void *)(1000 + i));
	wait_waiters(ch, BLOCKED, 0);
	CHECK_EQ("K2", chan_close(ch), 0);
	for (i = 0; i < BLOCKED; i++)
		join(t[i]);
	/* Only what was buffered before the close comes out. */
	for (v = 0; v < cap; v++) {
		CHECK_EQ("K2", chan_recv(ch, &out), 1);
		CHECK_EQ("K2", out, v);
	}
	CHECK_EQ("K2", chan_recv(ch, &out), 0);
	close(ch);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };
	uint64_t v = 1, batch[4] = { 1, 2, 3, 4 };
	int fd, s;

	test_start("K2", "sends after close fail with EPIPE, no SIGPIPE", 30);
	CHECK_SYS("K2", sigaction(SIGPIPE, &sa, NULL));

	STEP("every kind of send on a closed channel");
	fd = CHECK_OK("K2", chan_make(sizeof(uint64_t), 4, 0));
	s = CHECK_OK("K2", chan_dup(fd, CHAN_SEND_ONLY));
	CHECK_EQ("K2", chan_send(fd, &v), 0);
	CHECK_EQ("K2", chan_close(fd), 0);
	CHECK_EQ("K2", chan_send(fd, &v), -EPIPE);
	CHECK_EQ("K2", chan_send(s, &v), -EPIPE);
	CHECK_EQ("K2", chan_try_send(fd, &v), -EPIPE);
	CHECK_EQ("K2", chan_send_timeout(fd, &v, 1000000), -EPIPE);
	CHECK_EQ("K2", chan_send_timeout(fd, &v, 0), -EPIPE);
	CHECK_ERRNO("K2", write(fd, batch, sizeof(batch)), EPIPE);
	CHECK_ERRNO("K2", write(s, batch, sizeof(v)), EPIPE);
	/* The one element sent before the close is all there is. */
	CHECK_EQ("K2", chan_len(fd), 1);
	close(s);
	close(fd);

	blocked_senders_fail(0);
	blocked_senders_fail(2);

	CHECK_EQ("K2", sigpipes, 0);
	test_pass();
}
