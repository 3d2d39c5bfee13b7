// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for chan_core.c: suite chan_core
 *
 * The state changes of send, receive and close, driven through the core's
 * own calls; the userspace tests drive the same through the fds.
 */
#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/kthread.h>

#include "chan_core.h"
#include "chan_limits.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define CHAN_TEST_UID	KUIDT_INIT(4200003)

static const struct chan_how chan_test_nonblock = { .nonblock = true };
static const struct chan_how chan_test_block = {};

static struct chan *chan_test_alloc(struct kunit *test, u32 elem_size,
				    u32 cap)
{
	struct chan *ch = chan_alloc(elem_size, cap, CHAN_TEST_UID);

	KUNIT_ASSERT_FALSE(test, IS_ERR(ch));
	return ch;
}

static void chan_test_send(struct kunit *test, struct chan *ch, u64 v)
{
	KUNIT_ASSERT_EQ(test, chan_send_elems(ch, &v, 1, &chan_test_nonblock),
			1L);
}

/* Receive without waiting, and commit as a successful copy-out does. */
static ssize_t chan_test_recv(struct chan *ch, void *elems, size_t n,
			      const struct chan_how *how)
{
	struct chan_take t;
	ssize_t ret = chan_recv_elems(ch, elems, n, how, &t);

	if (ret > 0)
		chan_recv_commit(ch, &t);
	return ret;
}

static void chan_test_expect_recv(struct kunit *test, struct chan *ch, u64 v)
{
	u64 got = ~v;

	KUNIT_ASSERT_EQ(test, chan_test_recv(ch, &got, 1, &chan_test_nonblock),
			1L);
	KUNIT_EXPECT_EQ(test, got, v);
}

/* R1, B1: a buffered channel takes cap elements, then would block. */
static void chan_core_test_buffered_fifo(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 4);
	u64 v;

	for (v = 0; v < 4; v++)
		chan_test_send(test, ch, v);
	KUNIT_EXPECT_EQ(test, chan_send_elems(ch, &v, 1, &chan_test_nonblock),
			-EAGAIN);
	for (v = 0; v < 4; v++)
		chan_test_expect_recv(test, ch, v);
	KUNIT_EXPECT_EQ(test, chan_test_recv(ch, &v, 1, &chan_test_nonblock),
			-EAGAIN);
	chan_put(ch);
}

/* R2, B1: without a counterpart, nothing moves on an unbuffered channel. */
static void chan_core_test_unbuffered_nonblock(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 0);
	u64 v = 7;

	KUNIT_EXPECT_EQ(test, chan_send_elems(ch, &v, 1, &chan_test_nonblock),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, chan_test_recv(ch, &v, 1, &chan_test_nonblock),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, ch->ring.len + ch->nspill, 0U);
	chan_put(ch);
}

/* K1, K2, K3: close once, sends fail, buffered elements drain, then 0. */
static void chan_core_test_close_drain(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 2);
	u64 v = 1;

	chan_test_send(test, ch, 1);
	chan_test_send(test, ch, 2);
	KUNIT_EXPECT_EQ(test, chan_close(ch), 0);
	KUNIT_EXPECT_EQ(test, chan_close(ch), -EPIPE);
	KUNIT_EXPECT_EQ(test, chan_send_elems(ch, &v, 1, &chan_test_block),
			-EPIPE);
	chan_test_expect_recv(test, ch, 1);
	chan_test_expect_recv(test, ch, 2);
	KUNIT_EXPECT_EQ(test, chan_test_recv(ch, &v, 1, &chan_test_block), 0L);
	KUNIT_EXPECT_EQ(test, chan_test_recv(ch, &v, 1, &chan_test_block), 0L);
	chan_put(ch);
}

/* P2, P3: batches stop where the buffer does. */
static void chan_core_test_batches(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 3);
	u64 in[5] = { 10, 11, 12, 13, 14 }, out[8] = {};

	KUNIT_EXPECT_EQ(test, chan_send_elems(ch, in, 5, &chan_test_nonblock),
			3L);
	KUNIT_EXPECT_EQ(test, chan_test_recv(ch, out, 8, &chan_test_nonblock),
			3L);
	KUNIT_EXPECT_EQ(test, out[0], 10ULL);
	KUNIT_EXPECT_EQ(test, out[2], 12ULL);
	chan_put(ch);
}

/* R5, L2: elements a receive could not deliver come out first, in order. */
static void chan_core_test_undo_order(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 3);
	struct chan_msg *msg;
	struct chan_take t;
	u64 v;

	for (v = 1; v <= 3; v++)
		chan_test_send(test, ch, v);
	msg = chan_msg_alloc(ch, 2);
	KUNIT_ASSERT_FALSE(test, IS_ERR(msg));
	KUNIT_ASSERT_EQ(test, chan_recv_elems(ch, msg->data, 2,
					      &chan_test_nonblock, &t), 2L);
	KUNIT_EXPECT_EQ(test, t.count, 2U);
	chan_recv_undo(ch, &t, msg);
	for (v = 1; v <= 3; v++)
		chan_test_expect_recv(test, ch, v);
	chan_put(ch);
}

/*
 * R1, L5: a receive in flight keeps the slot of what it took, so a send
 * meanwhile finds the buffer full, and the put-back never makes len exceed
 * cap; the element given back is still first in line.
 */
static void chan_core_test_undo_keeps_slot(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 2);
	struct chan_msg *msg;
	struct chan_take t;
	u64 v = 3;

	chan_test_send(test, ch, 1);
	chan_test_send(test, ch, 2);
	msg = chan_msg_alloc(ch, 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(msg));
	KUNIT_ASSERT_EQ(test, chan_recv_elems(ch, msg->data, 1,
					      &chan_test_nonblock, &t), 1L);
	KUNIT_EXPECT_EQ(test, chan_send_elems(ch, &v, 1, &chan_test_nonblock),
			-EAGAIN);
	chan_recv_undo(ch, &t, msg);
	KUNIT_EXPECT_EQ(test, ch->ring.len + ch->nspill, 2U);
	KUNIT_EXPECT_EQ(test, ch->held, 0U);
	chan_test_expect_recv(test, ch, 1);
	chan_test_send(test, ch, 3);
	for (v = 2; v <= 3; v++)
		chan_test_expect_recv(test, ch, v);
	chan_put(ch);
}

/*
 * R1, R5: two receives in flight that both fail put their elements back in
 * the order they were sent, whichever undoes first (finding 4 of the
 * hardening review: each used to go back at the head).
 */
static void chan_core_test_undo_two_in_order(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 4);
	struct chan_msg *m1, *m2;
	struct chan_take t1, t2;
	u64 v;

	for (v = 1; v <= 4; v++)
		chan_test_send(test, ch, v);
	m1 = chan_msg_alloc(ch, 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m1));
	m2 = chan_msg_alloc(ch, 2);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m2));
	KUNIT_ASSERT_EQ(test, chan_recv_elems(ch, m1->data, 1,
					      &chan_test_nonblock, &t1), 1L);
	KUNIT_ASSERT_EQ(test, chan_recv_elems(ch, m2->data, 2,
					      &chan_test_nonblock, &t2), 2L);
	chan_recv_undo(ch, &t2, m2);
	chan_recv_undo(ch, &t1, m1);
	for (v = 1; v <= 4; v++)
		chan_test_expect_recv(test, ch, v);
	chan_put(ch);
}

/*
 * L5: a channel of small elements keeps one spare home.  A receive takes
 * it, a second one in flight gets its own allocation, and a put-back into
 * the spare hands it back to the channel once its element is received;
 * the budget charged at make covers it throughout.
 */
static void chan_core_test_spare_home(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 2);
	size_t charged = chan_limits_charged(CHAN_TEST_UID);
	struct chan_msg *m1, *m2;
	struct chan_take t;

	KUNIT_ASSERT_NOT_NULL(test, ch->spare);
	m1 = chan_recv_home(ch);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m1));
	KUNIT_EXPECT_PTR_EQ(test, m1->spare_of, ch);
	KUNIT_EXPECT_NULL(test, ch->spare);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID), charged);
	m2 = chan_recv_home(ch);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m2));
	KUNIT_EXPECT_NULL(test, m2->spare_of);
	/* Charged to the caller (chan_budget_owner()), not the channel. */
	KUNIT_EXPECT_GT(test, m2->charge.bytes, (size_t)0);
	chan_msg_free(m2);

	/* The copy-out faults: the element lives in the spare... */
	chan_test_send(test, ch, 7);
	KUNIT_ASSERT_EQ(test, chan_recv_elems(ch, m1->data, 1,
					      &chan_test_nonblock, &t), 1L);
	chan_recv_undo(ch, &t, m1);
	KUNIT_EXPECT_NULL(test, ch->spare);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID), charged);
	/* ...until it is received, and the spare is the channel's again. */
	chan_test_expect_recv(test, ch, 7);
	KUNIT_EXPECT_PTR_EQ(test, ch->spare, m1);
	KUNIT_EXPECT_EQ(test, m1->count, 1U);
	chan_put(ch);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID), (size_t)0);
}

struct chan_test_receiver {
	struct chan *ch;
	u64 value;
	ssize_t ret;
};

static int chan_test_receiver_fn(void *data)
{
	struct chan_test_receiver *r = data;

	r->ret = chan_test_recv(r->ch, &r->value, 1, &chan_test_block);
	while (!kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	return 0;
}

static void chan_test_wait_receivers(struct kunit *test, struct chan *ch,
				     u32 n)
{
	int i;

	for (i = 0; i < 5000 && READ_ONCE(ch->nrecvq) != n; i++)
		usleep_range(1000, 2000);
	KUNIT_ASSERT_EQ(test, READ_ONCE(ch->nrecvq), n);
}

struct chan_test_sender {
	struct chan *ch;
	u64 value;
	ssize_t ret;
};

static int chan_test_sender_fn(void *data)
{
	struct chan_test_sender *s = data;

	s->ret = chan_send_elems(s->ch, &s->value, 1, &chan_test_block);
	while (!kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	return 0;
}

/*
 * L7, R5: a receive that takes a blocked sender's element completes the
 * sender at once, whatever its copy-out does later; if that copy fails the
 * element goes back in front of the channel, and the next receive gets it.
 */
static void chan_core_test_undo_sender(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 0);
	struct chan_test_sender s = { .ch = ch, .value = 77, .ret = -1 };
	struct task_struct *task;
	struct chan_msg *msg;
	struct chan_take t;
	int i;

	task = kthread_run(chan_test_sender_fn, &s, "chan_test_send");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	for (i = 0; i < 5000 && READ_ONCE(ch->nsendq) != 1; i++)
		usleep_range(1000, 2000);
	KUNIT_ASSERT_EQ(test, READ_ONCE(ch->nsendq), 1U);

	msg = chan_msg_alloc(ch, 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(msg));
	KUNIT_ASSERT_EQ(test, chan_recv_elems(ch, msg->data, 1,
					      &chan_test_nonblock, &t), 1L);
	KUNIT_EXPECT_EQ(test, *(u64 *)msg->data, 77ULL);
	for (i = 0; i < 5000 && READ_ONCE(s.ret) != 1; i++)
		usleep_range(1000, 2000);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s.ret), 1L);
	chan_recv_undo(ch, &t, msg);
	KUNIT_EXPECT_EQ(test, ch->nsendq, 0U);
	KUNIT_EXPECT_EQ(test, ch->nspill, 1U);

	chan_test_expect_recv(test, ch, 77);
	kthread_stop(task);
	chan_put(ch);
}

/* R2, R3: a send hands its element straight to a blocked receiver. */
static void chan_core_test_handoff(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 0);
	struct chan_test_receiver r = { .ch = ch };
	struct task_struct *task;

	task = kthread_run(chan_test_receiver_fn, &r, "chan_test_recv");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	chan_test_wait_receivers(test, ch, 1);
	chan_test_send(test, ch, 42);
	kthread_stop(task);
	KUNIT_EXPECT_EQ(test, r.ret, 1L);
	KUNIT_EXPECT_EQ(test, r.value, 42ULL);
	KUNIT_EXPECT_EQ(test, ch->nrecvq, 0U);
	chan_put(ch);
}

/* K4, K5: the last sender's fd going away closes the channel. */
static void chan_core_test_last_sender(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 0);
	struct chan_test_receiver r = { .ch = ch };
	struct task_struct *task;

	chan_add_fd(ch, true, false);
	chan_add_fd(ch, false, true);
	task = kthread_run(chan_test_receiver_fn, &r, "chan_test_recv");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	chan_test_wait_receivers(test, ch, 1);
	chan_release_fd(ch, true, false);
	kthread_stop(task);
	KUNIT_EXPECT_EQ(test, r.ret, 0L);
	KUNIT_EXPECT_TRUE(test, ch->closed);
	chan_release_fd(ch, false, true);
	chan_put(ch);
}

/* K5: without receivers, sends fail with EPIPE; the channel is not closed. */
static void chan_core_test_last_receiver(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 4);
	u64 v = 1;

	chan_add_fd(ch, true, false);
	chan_add_fd(ch, false, true);
	chan_test_send(test, ch, 1);
	chan_release_fd(ch, false, true);
	KUNIT_EXPECT_EQ(test, chan_send_elems(ch, &v, 1, &chan_test_block),
			-EPIPE);
	KUNIT_EXPECT_FALSE(test, ch->closed);
	chan_release_fd(ch, true, false);
	chan_put(ch);
}

/* B2: an expired deadline fails with ETIMEDOUT and leaves no trace. */
static void chan_core_test_deadline(struct kunit *test)
{
	struct chan *ch = chan_test_alloc(test, sizeof(u64), 0);
	struct chan_how how = { .timed = true };
	u64 v = 5;

	how.deadline = ktime_add_ms(ktime_get(), 20);
	KUNIT_EXPECT_EQ(test, chan_test_recv(ch, &v, 1, &how), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, ch->nrecvq, 0U);
	how.deadline = ktime_add_ms(ktime_get(), 20);
	KUNIT_EXPECT_EQ(test, chan_send_elems(ch, &v, 1, &how), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, ch->nsendq, 0U);
	KUNIT_EXPECT_EQ(test, chan_test_recv(ch, &v, 1, &chan_test_nonblock),
			-EAGAIN);
	chan_put(ch);
}

/* L1: a channel's memory is charged to its user and given back. */
static void chan_core_test_accounting(struct kunit *test)
{
	struct chan *ch;

	KUNIT_ASSERT_EQ(test, chan_limits_charged(CHAN_TEST_UID), 0UL);
	ch = chan_test_alloc(test, sizeof(u64), 8);
	KUNIT_EXPECT_GE(test, chan_limits_charged(CHAN_TEST_UID),
			sizeof(u64) * 8);
	chan_test_send(test, ch, 1);
	chan_put(ch);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID), 0UL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(chan_alloc(65537, 0, CHAN_TEST_UID)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, chan_limits_charged(CHAN_TEST_UID), 0UL);
}

static struct kunit_case chan_core_test_cases[] = {
	KUNIT_CASE(chan_core_test_buffered_fifo),
	KUNIT_CASE(chan_core_test_unbuffered_nonblock),
	KUNIT_CASE(chan_core_test_close_drain),
	KUNIT_CASE(chan_core_test_batches),
	KUNIT_CASE(chan_core_test_undo_order),
	KUNIT_CASE(chan_core_test_undo_keeps_slot),
	KUNIT_CASE(chan_core_test_undo_two_in_order),
	KUNIT_CASE(chan_core_test_undo_sender),
	KUNIT_CASE(chan_core_test_spare_home),
	KUNIT_CASE(chan_core_test_handoff),
	KUNIT_CASE(chan_core_test_last_sender),
	KUNIT_CASE(chan_core_test_last_receiver),
	KUNIT_CASE(chan_core_test_deadline),
	KUNIT_CASE(chan_core_test_accounting),
	{}
};

static struct kunit_suite chan_core_test_suite = {
	.name = "chan_core",
	.test_cases = chan_core_test_cases,
};

kunit_test_suite(chan_core_test_suite);

MODULE_DESCRIPTION("KUnit tests for chan");
MODULE_LICENSE("GPL");
