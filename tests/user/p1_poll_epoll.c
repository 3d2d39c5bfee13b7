// SPDX-License-Identifier: GPL-2.0
/*
 * P1: poll/epoll report EPOLLIN when a receive would not block (an element
 * is buffered, a sender is waiting, or the channel is closed), EPOLLOUT when
 * a send would not block (room, a receiver waiting, or closed), EPOLLHUP
 * once closed and drained.  No wake-up is lost, also with EPOLLET: streams
 * driven only by edge-triggered epoll must finish.
 */
#include "check.h"

#include <poll.h>
#include <sys/epoll.h>

#define STREAM		1000
#define WAIT_MS		10000

static int ch;

static short revents(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	CHECK_SYS("P1", poll(&p, 1, 0));
	return p.revents;
}

static uint32_t epoll_now(int ep)
{
	struct epoll_event ev;
	int n = CHECK_SYS("P1", epoll_wait(ep, &ev, 1, 0));

	return n ? ev.events : 0;
}

static int epoll_for(int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	int ep = CHECK_SYS("P1", epoll_create1(EPOLL_CLOEXEC));

	CHECK_SYS("P1", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	return ep;
}

static void *blocked_sender(void *arg)
{
	uint64_t v = (uintptr_t)arg;

	CHECK_EQ("P1", chan_send(ch, &v), 0);
	return NULL;
}

static void *blocked_receiver(void *arg)
{
	uint64_t v;

	(void)arg;
	CHECK_EQ("P1", chan_recv(ch, &v), 1);
	return NULL;
}

static void *poll_waiter(void *arg)
{
	struct pollfd p = { .fd = ch, .events = (short)(uintptr_t)arg };

	CHECK_EQ("P1", poll(&p, 1, WAIT_MS), 1);
	CHECK("P1", p.revents & (short)(uintptr_t)arg);
	return NULL;
}

static void readiness(void)
{
	uint64_t v = 1, out;
	pthread_t t;
	int ep;

	STEP("buffered: empty, partly full, full");
	ch = CHECK_OK("P1", chan_make(sizeof(uint64_t), 2, 0));
	ep = epoll_for(ch, EPOLLIN | EPOLLOUT);
	CHECK_EQ("P1", revents(ch), POLLOUT);
	CHECK_EQ("P1", epoll_now(ep), EPOLLOUT);
	CHECK_EQ("P1", chan_send(ch, &v), 0);
	CHECK_EQ("P1", revents(ch), POLLIN | POLLOUT);
	CHECK_EQ("P1", epoll_now(ep), EPOLLIN | EPOLLOUT);
	CHECK_EQ("P1", chan_send(ch, &v), 0);
	CHECK_EQ("P1", revents(ch), POLLIN);
	CHECK_EQ("P1", epoll_now(ep), EPOLLIN);

	STEP("closed: readable and writable; hung up once drained");
	CHECK_EQ("P1", chan_close(ch), 0);
	CHECK_EQ("P1", revents(ch), POLLIN | POLLOUT);
	CHECK_EQ("P1", chan_recv(ch, &out), 1);
	CHECK_EQ("P1", revents(ch), POLLIN | POLLOUT);
	CHECK_EQ("P1", chan_recv(ch, &out), 1);
	CHECK_EQ("P1", revents(ch), POLLIN | POLLOUT | POLLHUP);
	CHECK_EQ("P1", epoll_now(ep), EPOLLIN | EPOLLOUT | EPOLLHUP);
	close(ep);
	close(ch);

	STEP("unbuffered: ready only with a waiting partner");
	ch = CHECK_OK("P1", chan_make(sizeof(uint64_t), 0, 0));
	CHECK_EQ("P1", revents(ch), 0);
	t = spawn(blocked_sender, (void *)9);
	wait_waiters(ch, 1, 0);
	CHECK_EQ("P1", revents(ch), POLLIN);
	CHECK_EQ("P1", chan_try_recv(ch, &out), 1);
	join(t);
	CHECK_EQ("P1", revents(ch), 0);
	t = spawn(blocked_receiver, NULL);
	wait_waiters(ch, 0, 1);
	CHECK_EQ("P1", revents(ch), POLLOUT);
	CHECK_EQ("P1", chan_try_send(ch, &v), 0);
	join(t);
	CHECK_EQ("P1", revents(ch), 0);
	CHECK_EQ("P1", chan_close(ch), 0);
	CHECK_EQ("P1", revents(ch), POLLIN | POLLOUT | POLLHUP);
	close(ch);
}

static void wakeups(void)
{
	uint64_t v = 1, out;
	pthread_t t, s;

	STEP("a blocked poll wakes on a send");
	ch = CHECK_OK("P1", chan_make(sizeof(uint64_t), 1, 0));
	t = spawn(poll_waiter, (void *)(uintptr_t)POLLIN);
	sleep_ms(50);
	CHECK_EQ("P1", chan_send(ch, &v), 0);
	join(t);

	STEP("a blocked poll wakes on a receive from a full channel");
	t = spawn(poll_waiter, (void *)(uintptr_t)POLLOUT);
	sleep_ms(50);
	CHECK_EQ("P1", chan_recv(ch, &out), 1);
	join(t);
	close(ch);

	STEP("a blocked poll wakes when a sender starts waiting");
	ch = CHECK_OK("P1", chan_make(sizeof(uint64_t), 0, 0));
	t = spawn(poll_waiter, (void *)(uintptr_t)POLLIN);
	sleep_ms(50);
	s = spawn(blocked_sender, (void *)3);
	join(t);
	CHECK_EQ("P1", chan_recv(ch, &out), 1);
	join(s);

	STEP("a blocked poll wakes when a receiver starts waiting");
	t = spawn(poll_waiter, (void *)(uintptr_t)POLLOUT);
	sleep_ms(50);
	s = spawn(blocked_receiver, NULL);
	join(t);
	CHECK_EQ("P1", chan_send(ch, &v), 0);
	join(s);
	close(ch);
}

static void edge_basics(void)
{
	uint64_t v = 1, out;
	int ep;

	STEP("EPOLLET: one event per edge, and an edge after every drain");
	ch = CHECK_OK("P1", chan_make(sizeof(uint64_t), 2, 0));
	ep = epoll_for(ch, EPOLLIN | EPOLLET);
	CHECK_EQ("P1", epoll_now(ep), 0);
	CHECK_EQ("P1", chan_send(ch, &v), 0);
	CHECK("P1", epoll_now(ep) & EPOLLIN);
	CHECK_EQ("P1", epoll_now(ep), 0);
	CHECK_EQ("P1", chan_recv(ch, &out), 1);
	CHECK_EQ("P1", chan_send(ch, &v), 0);
	CHECK("P1", epoll_now(ep) & EPOLLIN);
	CHECK_EQ("P1", chan_close(ch), 0);
	/* Close is an edge too (K4), even with an element still buffered. */
	CHECK("P1", epoll_now(ep) & EPOLLIN);
	close(ep);
	close(ch);
}

/* Send 0..STREAM-1: try_send, and on EAGAIN wait for an EPOLLOUT edge. */
static void *et_producer(void *arg)
{
	struct epoll_event ev;
	int ep = epoll_for(ch, EPOLLOUT | EPOLLET);
	uint64_t v;

	for (v = 0; v < STREAM;) {
		int r = arg ? chan_send(ch, &v) : chan_try_send(ch, &v);

		if (r == 0) {
			v++;
			continue;
		}
		CHECK_EQ("P1", r, -EAGAIN);
		if (epoll_wait(ep, &ev, 1, WAIT_MS) != 1)
			check_fail(__FILE__, __LINE__, "P1",
				   "lost EPOLLOUT wake-up at element %" PRIu64, v);
	}
	close(ep);
	CHECK_EQ("P1", chan_close(ch), 0);
	return NULL;
}

/* Receive until closed: try_recv, and on EAGAIN wait for an EPOLLIN edge. */
static void et_consumer(bool blocking)
{
	struct epoll_event ev;
	int ep = epoll_for(ch, EPOLLIN | EPOLLET);
	uint64_t next = 0, v;

	for (;;) {
		int r = blocking ? chan_recv(ch, &v) : chan_try_recv(ch, &v);

		if (r == 0)
			break;
		if (r == 1) {
			CHECK_EQ("P1", v, next);
			next++;
			continue;
		}
		CHECK_EQ("P1", r, -EAGAIN);
		if (epoll_wait(ep, &ev, 1, WAIT_MS) != 1)
			check_fail(__FILE__, __LINE__, "P1",
				   "lost EPOLLIN wake-up at element %" PRIu64, next);
	}
	CHECK_EQ("P1", next, STREAM);
	close(ep);
}

static void edge_stream(size_t cap, bool blocking_producer, bool blocking_consumer)
{
	pthread_t t;

	STEP("streams driven by EPOLLET");
	ch = CHECK_OK("P1", chan_make(sizeof(uint64_t), cap, 0));
	t = spawn(et_producer, blocking_producer ? (void *)1 : NULL);
	et_consumer(blocking_consumer);
	join(t);
	close(ch);
}

int main(void)
{
	test_start("P1", "poll/epoll readiness and wake-ups, EPOLLET", 120);
	readiness();
	wakeups();
	edge_basics();
	edge_stream(4, false, false);
	edge_stream(1, false, false);
	/* Unbuffered: one side must block, so the other sees it waiting. */
	edge_stream(0, true, false);
	edge_stream(0, false, true);
	test_pass();
}
