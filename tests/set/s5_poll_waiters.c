// SPDX-License-Identifier: GPL-2.0
/*
 * S5: a set is pollable, and several threads may wait on it at once: each
 * wait gets a different case or blocks.
 *
 * 1. poll(2): not readable while no case is ready; readable once one is;
 *    not readable again once the wait took it.  epoll, level- and
 *    edge-triggered: the set sits in an epoll loop like any fd.
 * 2. Eight threads wait on a set of eight unbuffered receive cases; four
 *    senders arrive: exactly four waits return, each with a different
 *    case and its sender's value, and four stay blocked; four more
 *    senders release them.
 * 3. A case removed while a thread waits is never chosen by that wait;
 *    a case added then is.
 * 4. The fd a case was added with is closed while a thread waits on the
 *    set: the case still works.
 * 5. A signal ends a blocked wait with EINTR (no SA_RESTART).
 * 6. A child process waits on the set its parent made (inherited fd).
 */
#include "set.h"

#include <signal.h>

static void polling(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	uint64_t v = 3, r;
	int set, ch, ep, eet, id;

	STEP("poll and epoll on a set");
	set = CHECK_OK("S5", chan_set_make());
	ch = CHECK_OK("S5", chan_make(sizeof(v), 2, 0));
	id = set_add(set, ch, CHAN_OP_RECV, &r);
	CHECK("S5", !set_pollin(set));
	ep = CHECK_SYS("S5", epoll_create1(EPOLL_CLOEXEC));
	eet = CHECK_SYS("S5", epoll_create1(EPOLL_CLOEXEC));
	CHECK_SYS("S5", epoll_ctl(ep, EPOLL_CTL_ADD, set, &ev));
	ev.events = EPOLLIN | EPOLLET;
	CHECK_SYS("S5", epoll_ctl(eet, EPOLL_CTL_ADD, set, &ev));
	CHECK_EQ("S5", epoll_wait(ep, &out, 1, 0), 0);
	CHECK_EQ("S5", epoll_wait(eet, &out, 1, 0), 0);

	CHECK_EQ("S5", chan_send(ch, &v), 0);
	CHECK("S5", set_pollin(set));
	CHECK_EQ("S5", epoll_wait(ep, &out, 1, 1000), 1);
	CHECK("S5", out.events & EPOLLIN);
	CHECK_EQ("S5", epoll_wait(eet, &out, 1, 1000), 1);
	/* Edge-triggered: reported once per wake-up. */
	CHECK_EQ("S5", epoll_wait(eet, &out, 1, 0), 0);
	CHECK_EQ("S5", chan_set_wait(set, 0, NULL), id);
	CHECK_EQ("S5", r, 3);
	CHECK("S5", !set_pollin(set));
	CHECK_EQ("S5", epoll_wait(ep, &out, 1, 0), 0);

	/* An edge comes with the next element. */
	CHECK_EQ("S5", chan_send(ch, &v), 0);
	CHECK_EQ("S5", epoll_wait(eet, &out, 1, 1000), 1);
	CHECK_EQ("S5", epoll_wait(ep, &out, 1, 1000), 1);
	CHECK_EQ("S5", chan_set_wait(set, 0, NULL), id);
	close(eet);
	close(ep);
	close(ch);
	close(set);
}

#define NW 8

static void many_waiters(void)
{
	struct set_waiter w[NW];
	struct peer p[NW];
	static uint64_t vals[NW];
	int set, chs[NW], ids[NW], i, k, done;
	bool seen[NW] = { false };

	STEP("8 waiters, 4 then 4 senders");
	set = CHECK_OK("S5", chan_set_make());
	for (i = 0; i < NW; i++) {
		chs[i] = CHECK_OK("S5", chan_make(sizeof(uint64_t), 0, 0));
		ids[i] = set_add(set, chs[i], CHAN_OP_RECV, &vals[i]);
	}
	for (i = 0; i < NW; i++)
		set_waiter_start(&w[i], set);
	sleep_ms(100);
	CHECK_EQ("S5", set_waiters_done(w, NW), 0);
	for (i = 0; i < NW / 2; i++)
		peer_start(&p[i], chs[i], true, 1000 + i);
	set_waiters_wait(w, NW, NW / 2);
	for (i = 0; i < NW / 2; i++) {
		join(p[i].thread);
		CHECK_EQ("S5", p[i].ret, 0);
	}
	sleep_ms(100);
	CHECK_EQ("S5", set_waiters_done(w, NW), NW / 2);
	for (i = NW / 2; i < NW; i++)
		peer_start(&p[i], chs[i], true, 1000 + i);
	set_waiters_wait(w, NW, NW);
	for (i = 0; i < NW; i++) {
		join(w[i].thread);
		if (i >= NW / 2)
			join(p[i].thread);
		CHECK("S5", w[i].ok);
		for (k = 0; k < NW && ids[k] != w[i].ret; k++)
			;
		CHECK("S5", k < NW);
		CHECK("S5", !seen[k]);
		seen[k] = true;
		CHECK_EQ("S5", vals[k], 1000 + k);
	}
	for (done = 0, i = 0; i < NW; i++)
		done += seen[i];
	CHECK_EQ("S5", done, NW);
	for (i = 0; i < NW; i++) {
		CHECK_STATE("S5", chs[i], 0, 0, 0);
		close(chs[i]);
	}
	close(set);
}

static void del_while_waiting(void)
{
	struct set_waiter w;
	uint64_t a = 0, b = 0, v = 9;
	int set, cha, chb, ida, idb;

	STEP("remove a case while a thread waits");
	set = CHECK_OK("S5", chan_set_make());
	cha = CHECK_OK("S5", chan_make(sizeof(v), 1, 0));
	chb = CHECK_OK("S5", chan_make(sizeof(v), 1, 0));
	ida = set_add(set, cha, CHAN_OP_RECV, &a);
	set_waiter_start(&w, set);
	sleep_ms(50);
	CHECK_EQ("S5", chan_set_del(set, ida), 0);
	CHECK_EQ("S5", chan_send(cha, &v), 0);
	sleep_ms(100);
	CHECK("S5", !w.done);
	CHECK_EQ("S5", len_of(cha), 1);
	idb = set_add(set, chb, CHAN_OP_RECV, &b);
	CHECK_EQ("S5", chan_send(chb, &v), 0);
	join(w.thread);
	CHECK_EQ("S5", w.ret, idb);
	CHECK_EQ("S5", b, 9);
	CHECK_EQ("S5", a, 0);
	CHECK_EQ("S5", len_of(cha), 1);
	close(cha);
	close(chb);
	close(set);
}

static void close_fd_while_waiting(void)
{
	struct set_waiter w;
	uint64_t r = 0, v = 21;
	int set, ch, tx, id;

	STEP("close the case's fd while a thread waits");
	set = CHECK_OK("S5", chan_set_make());
	ch = CHECK_OK("S5", chan_make(sizeof(v), 0, 0));
	tx = CHECK_OK("S5", chan_dup(ch, CHAN_SEND_ONLY));
	id = set_add(set, ch, CHAN_OP_RECV, &r);
	set_waiter_start(&w, set);
	sleep_ms(50);
	CHECK_SYS("S5", close(ch));
	sleep_ms(50);
	CHECK("S5", !w.done);
	CHECK_EQ("S5", chan_send(tx, &v), 0);
	join(w.thread);
	CHECK_EQ("S5", w.ret, id);
	CHECK("S5", w.ok);
	CHECK_EQ("S5", r, 21);
	close(tx);
	close(set);
}

static void on_signal(int sig)
{
	(void)sig;
}

static void interrupted(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct set_waiter w;
	uint64_t r;
	int set, ch, i;

	STEP("a signal ends a blocked wait with EINTR");
	CHECK_SYS("S5", sigaction(SIGUSR1, &sa, NULL));
	set = CHECK_OK("S5", chan_set_make());
	ch = CHECK_OK("S5", chan_make(sizeof(r), 0, 0));
	set_add(set, ch, CHAN_OP_RECV, &r);
	set_waiter_start(&w, set);
	/* Until it returns: a signal before the wait began ends nothing. */
	for (i = 0; i < 500 && !w.done; i++) {
		sleep_ms(20);
		CHECK_EQ("S5", pthread_kill(w.thread, SIGUSR1), 0);
	}
	join(w.thread);
	CHECK_EQ("S5", w.ret, -EINTR);
	close(ch);
	close(set);
}

static void child_waits(void)
{
	uint64_t r = 0, v = 55;
	int set, ch, id;
	pid_t pid;
	bool ok;

	STEP("a child process waits on its parent's set");
	set = CHECK_OK("S5", chan_set_make());
	ch = CHECK_OK("S5", chan_make(sizeof(v), 0, 0));
	id = set_add(set, ch, CHAN_OP_RECV, &r);
	pid = fork_child();
	if (!pid) {
		if (chan_set_wait(set, -1, &ok) != id || !ok || r != 55)
			_exit(1);
		_exit(0);
	}
	CHECK_EQ("S5", chan_send(ch, &v), 0);
	wait_child_ok("S5", pid);
	/* The child's address space got it, not ours. */
	CHECK_EQ("S5", r, 0);
	close(ch);
	close(set);
}

int main(void)
{
	test_start("S5", "a set is pollable and shared by many waiters",
		   sel_watchdog(120));
	polling();
	many_waiters();
	del_while_waiting();
	close_fd_while_waiting();
	interrupted();
	child_waits();
	test_pass();
}
