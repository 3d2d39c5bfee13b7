// SPDX-License-Identifier: GPL-2.0
/*
 * X5 (with K2-K5): a receive case on a closed, drained channel is ready and
 * reports ok=false; a send case on a closed channel is ready and reports
 * ok=false, and nothing is sent.  Buffered elements still come first, in
 * order.  A close wakes a blocked select (K4), and so does the end of the
 * last fd that may send (K5); a send case on a channel whose receivers are
 * all gone is ready with ok=false too.
 */
#include "sel.h"

static void closed_ready(void)
{
	int empty = CHECK_OK("X5", chan_make(sizeof(uint64_t), 0, 0));
	int ch = CHECK_OK("X5", chan_make(sizeof(uint64_t), 4, 0));
	uint64_t v, got = 0, out = 0;
	struct chan_case cases[3];
	int i;

	STEP("buffered elements of a closed channel come first, in order");
	for (v = 1; v <= 3; v++)
		CHECK_EQ("X5", chan_send(ch, &v), 0);
	CHECK_EQ("X5", chan_close(ch), 0);
	cases[0] = recv_case(empty, &out);
	cases[1] = recv_case(ch, &got);
	cases[2] = recv_case(-1, NULL);
	for (v = 1; v <= 3; v++) {
		CHECK_EQ("X5", chan_select(cases, 3, 0), 1);
		CHECK("X5", cases[1].ok);
		CHECK_EQ("X5", got, v);
	}

	STEP("then a receive case is ready at once with ok=false, forever");
	for (i = 0; i < 20; i++) {
		cases[1].ok = true;
		CHECK_EQ("X5", chan_select(cases, 3, i % 2 ? 0 : -1), 1);
		CHECK("X5", !cases[1].ok);
	}
	CHECK_STATE("X5", ch, 0, 0, 0);

	STEP("a send case on a closed channel: ready, ok=false, nothing sent");
	cases[1] = send_case(ch, &v);
	for (i = 0; i < 20; i++) {
		cases[1].ok = true;
		CHECK_EQ("X5", chan_select(cases, 3, i % 2 ? 0 : -1), 1);
		CHECK("X5", !cases[1].ok);
	}
	CHECK_STATE("X5", ch, 0, 0, 0);
	CHECK_EQ("X5", chan_recv(ch, &got), 0);
	close(ch);

	STEP("send case on a closed channel that still holds elements");
	ch = CHECK_OK("X5", chan_make(sizeof(uint64_t), 2, 0));
	v = 8;
	CHECK_EQ("X5", chan_send(ch, &v), 0);
	CHECK_EQ("X5", chan_close(ch), 0);
	cases[1] = send_case(ch, &v);
	CHECK_EQ("X5", chan_select(cases, 3, 0), 1);
	CHECK("X5", !cases[1].ok);
	CHECK_STATE("X5", ch, 1, 0, 0);
	CHECK_EQ("X5", chan_recv(ch, &got), 1);
	CHECK_EQ("X5", got, 8);
	CHECK_EQ("X5", chan_recv(ch, &got), 0);
	close(ch);
	close(empty);
}

/* A select blocked on @ch (and an idle channel) ends when @end runs. */
static void woken(bool send, const char *what, void (*end)(int *fds))
{
	int idle = CHECK_OK("X5", chan_make(sizeof(uint64_t), 0, 0));
	int ch = CHECK_OK("X5", chan_make(sizeof(uint64_t), 1, 0));
	uint64_t v = 66, got = 0;
	struct chan_case cases[2];
	struct sel_wait call = { cases, 2, 1000 };
	int fds[2];
	pthread_t t;

	STEP(what);
	if (send)
		CHECK_EQ("X5", chan_send(ch, &v), 0);	/* full: send blocks */
	/* The select keeps a receive-only fd, so that @end can drop the rest. */
	fds[0] = ch;
	fds[1] = CHECK_OK("X5", chan_dup(ch, send ? CHAN_SEND_ONLY :
						     CHAN_RECV_ONLY));
	cases[0] = recv_case(idle, &got);
	cases[1] = send ? send_case(fds[1], &v) : recv_case(fds[1], &got);
	cases[1].ok = true;
	t = spawn(sel_wait_thread, &call);
	wait_waiters(ch, send, !send);
	end(fds);
	join(t);
	CHECK_EQ("X5", call.ret, 1);
	CHECK("X5", !cases[1].ok);
	CHECK_EQ("X5", got, 0);
	CHECK_EQ("X5", chan_info_of(fds[1]).len, send ? 1 : 0);
	CHECK_STATE("X5", idle, 0, 0, 0);
	close(fds[1]);
	close(idle);
}

static void end_close(int *fds)
{
	CHECK_EQ("K4", chan_close(fds[0]), 0);
	close(fds[0]);
}

static void end_drop(int *fds)
{
	close(fds[0]);
}

int main(void)
{
	test_start("X5 K3 K4 K5", "closed channels are ready with ok=false",
		   sel_watchdog(120));
	closed_ready();
	woken(false, "close wakes a select blocked receiving (K4)", end_close);
	woken(true, "close wakes a select blocked sending (K4)", end_close);
	woken(false, "closing the last send fd wakes a receive case (K5)",
	      end_drop);
	woken(true, "closing the last receive fd wakes a send case (K5)",
	      end_drop);
	test_pass();
}
