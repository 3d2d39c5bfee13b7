// SPDX-License-Identifier: GPL-2.0
/*
 * K4: close wakes every blocked sender, receiver and poller (selecters are
 * the select tests' business).  Blocked receivers return "closed", blocked
 * senders EPIPE, poll and epoll report the channel readable and hung up.
 */
#include "check.h"

#include <poll.h>
#include <sys/epoll.h>

#define RECEIVERS	4
#define SENDERS		4

static int rch, sch;
static volatile int pollers_ready;

static void *receiver(void *arg)
{
	uint64_t v;

	(void)arg;
	CHECK_EQ("K4", chan_recv(rch, &v), 0);
	return NULL;
}

static void *reader(void *arg)
{
	uint64_t v;

	(void)arg;
	CHECK_EQ("K4", read(rch, &v, sizeof(v)), 0);
	return NULL;
}

static void *sender(void *arg)
{
	uint64_t v = 1;

	(void)arg;
	CHECK_EQ("K4", chan_send(sch, &v), -EPIPE);
	return NULL;
}

static void *poller(void *arg)
{
	struct pollfd p = { .fd = rch, .events = POLLIN };

	(void)arg;
	__atomic_add_fetch(&pollers_ready, 1, __ATOMIC_SEQ_CST);
	CHECK_EQ("K4", poll(&p, 1, -1), 1);
	CHECK("K4", p.revents & POLLIN);
	CHECK("K4", p.revents & POLLHUP);
	return NULL;
}

static void *epoller(void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	int ep = CHECK_SYS("K4", epoll_create1(EPOLL_CLOEXEC));

	(void)arg;
	CHECK_SYS("K4", epoll_ctl(ep, EPOLL_CTL_ADD, rch, &ev));
	__atomic_add_fetch(&pollers_ready, 1, __ATOMIC_SEQ_CST);
	CHECK_EQ("K4", epoll_wait(ep, &ev, 1, -1), 1);
	CHECK("K4", ev.events & EPOLLIN);
	close(ep);
	return NULL;
}

int main(void)
{
	pthread_t t[2 * RECEIVERS + SENDERS + 2];
	unsigned int n = 0, i;
	uint64_t v = 0;

	test_start("K4", "close wakes blocked senders, receivers, pollers", 60);
	rch = CHECK_OK("K4", chan_make(sizeof(uint64_t), 2, 0));
	sch = CHECK_OK("K4", chan_make(sizeof(uint64_t), 1, 0));
	CHECK_EQ("K4", chan_send(sch, &v), 0);

	STEP("block receivers, readers, senders and pollers");
	for (i = 0; i < RECEIVERS; i++)
		t[n++] = spawn(receiver, NULL);
	for (i = 0; i < RECEIVERS; i++)
		t[n++] = spawn(reader, NULL);
	for (i = 0; i < SENDERS; i++)
		t[n++] = spawn(sender, NULL);
	t[n++] = spawn(poller, NULL);
	t[n++] = spawn(epoller, NULL);
	wait_waiters(rch, 0, 2 * RECEIVERS);
	wait_waiters(sch, SENDERS, 0);
	/*
	 * Pollers are not counted as waiters; give them time to sleep.  If they
	 * have not, they see the closed channel at once: the test still holds.
	 */
	while (__atomic_load_n(&pollers_ready, __ATOMIC_SEQ_CST) < 2)
		sleep_ms(1);
	sleep_ms(100);

	STEP("one close each wakes them all");
	CHECK_EQ("K4", chan_close(rch), 0);
	CHECK_EQ("K4", chan_close(sch), 0);
	for (i = 0; i < n; i++)
		join(t[i]);
	wait_waiters(rch, 0, 0);
	wait_waiters(sch, 0, 0);
	close(rch);
	close(sch);
	test_pass();
}
