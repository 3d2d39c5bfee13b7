// SPDX-License-Identifier: GPL-2.0
/*
 * The channel object: send, receive, close.
 */
#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "chan_core.h"
#include "chan_limits.h"
#include "chan_trace.h"

/**
 * DOC: channel locking and lifetime
 *
 * Each channel has one spinlock, chan.lock.  It guards the buffer, the wait
 * lists and the flags, and nothing sleeps, faults or allocates under it:
 * elements are copied from userspace before it is taken and to userspace
 * after it is dropped.  No code holds two channel locks at once, so there
 * is no lock order between channels; chan.lock nests inside nothing of
 * ours and only the scheduler's and the wait queue's locks nest inside it.
 * chan_users_lock (chan_limits.c) is never taken with chan.lock held.
 *
 * A blocked task sits on chan.sendq or chan.recvq in a struct chan_waiter
 * on its own stack.  The task that completes it (the counterpart, or close)
 * does, under chan.lock: unlink the waiter, move the element, take a
 * reference on the waiter's task, and store the result in waiter.status
 * with release semantics as the very last access to the waiter.  From that
 * store on the waiter may return and its stack be reused, so the completer
 * only wakes the task through its own reference, after dropping the lock
 * (the pattern of ipc/mqueue.c's pipelined_send, done by hand because
 * wake_q is not exported to modules).
 *
 * A woken waiter looks at its status before it looks at signals or
 * timeouts, and decides under chan.lock whether it left the queue by itself:
 * so an interrupted operation has either completed or had no effect (B3).
 *
 * Every open file holds a reference (chan.ref), and chan.poll_wq lives in
 * the channel, so pollers never see it freed under them; the last
 * chan_put() frees the channel with everything still in it.
 */

/* Tasks to wake once chan.lock is dropped. */
#define CHAN_WAKE_BATCH 16

struct chan_wake {
	unsigned int n;
	struct task_struct *task[CHAN_WAKE_BATCH];
};

static struct kmem_cache *chan_cachep;

/*
 * A counterpart running on another CPU often completes a waiter within a
 * few microseconds.  Sleeping costs more than that on both sides (the
 * completer pays for the wake-up), and turns a steady stream through a
 * full or empty buffer into a sleep and a wake-up per element.
 */
static unsigned int chan_spin_ns = 10000;
module_param_named(spin_ns, chan_spin_ns, uint, 0644);
MODULE_PARM_DESC(spin_ns,
		 "how long a blocking operation watches for its counterpart before it sleeps, in ns (0: never)");
static atomic64_t chan_next_id = ATOMIC64_INIT(0);

static bool chan_wake_full(const struct chan_wake *wk)
{
	return wk->n == CHAN_WAKE_BATCH;
}

static void chan_wake_flush(struct chan_wake *wk)
{
	unsigned int i;

	for (i = 0; i < wk->n; i++) {
		wake_up_process(wk->task[i]);
		put_task_struct(wk->task[i]);
	}
	wk->n = 0;
}

/*
 * Make room for @need more wake-ups, waking the batch if it is full.  That
 * drops chan.lock for a moment: callers re-read the channel afterwards.
 */
static void chan_wake_reserve(struct chan *ch, struct chan_wake *wk,
			      unsigned int need)
{
	lockdep_assert_held(&ch->lock);
	if (wk->n + need <= CHAN_WAKE_BATCH)
		return;
	spin_unlock(&ch->lock);
	chan_wake_flush(wk);
	spin_lock(&ch->lock);
}

/* Wake pollers; the barrier in wq_has_sleeper() pairs with poll_wait(). */
static void chan_poll_wake(struct chan *ch, __poll_t events)
{
	if (wq_has_sleeper(&ch->poll_wq))
		wake_up_interruptible_poll(&ch->poll_wq, events);
}

/*
 * Slots of the buffer a send may fill now.  Receives in flight keep the
 * slots of what they took (chan.held) until they deliver it, and put-back
 * elements keep theirs, so the buffer never holds more than @cap (R1).
 */
static u32 chan_room(const struct chan *ch)
{
	u32 used = chan_slots_used(ch);

	lockdep_assert_held(&ch->lock);
	return used < ch->cap ? ch->cap - used : 0;
}

/*
 * Reserve a slot for an element a sender hands straight to a receive, until
 * that receive delivers it: if the copy-out faults, the element goes back
 * into the slot rather than beyond the capacity.  Only an unbuffered
 * channel, or one whose every slot receives in flight hold, has none.
 */
static bool chan_hold_slot(struct chan *ch)
{
	/*
	 * A ring channel's slots are its shared pages': room counted here
	 * would be free to its fast path all the same.
	 */
	if (ch->ring.sh || !chan_room(ch))
		return false;
	ch->held++;
	return true;
}

static void chan_free_msgs(struct list_head *msgs)
{
	struct chan_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, msgs, node)
		chan_msg_free(msg);
}

/*
 * Finish a waiter with @status.  After the store the waiter's stack may be
 * gone: nothing touches @w afterwards.
 */
static void chan_complete(struct chan *ch, struct chan_waiter *w, int status,
			  struct chan_wake *wk)
{
	int *statusp = w->sel ? &w->sel->status : &w->status;

	lockdep_assert_held(&ch->lock);
	/* A select's other cases stay queued until it or a counterpart
	 * removes them (chan_claim()).
	 */
	list_del_init(&w->node);
	wk->task[wk->n++] = get_task_struct(w->task);
	/*
	 * Orders the element copy and the unlink before the status: pairs
	 * with smp_load_acquire() in chan_wait() and chan_select_wait(),
	 * after which the waiter owns the element and may free its stack.
	 */
	smp_store_release(statusp, status);
}

/* What chan_claim() found. */
enum {
	CHAN_CLAIM_NONE,
	CHAN_CLAIM_OK,
	CHAN_CLAIM_LOST,
	CHAN_CLAIM_YIELD,
};

/**
 * DOC: select claims
 *
 * A blocked select has a waiter on every channel of its cases, each added
 * under that channel's lock alone, and one chan_sel.state that the first
 * counterpart to reach any of them wins with a compare-and-exchange.  A
 * counterpart that loses unlinks that waiter, which can never be had again
 * (L6), and tries the next one, so exactly one case proceeds (X2).
 *
 * A select that is queued somewhere and finds a case ready must win itself
 * before it acts.  If the counterpart is a select too, it needs both: it
 * marks itself CHAN_SEL_BUSY, tries the other, and then keeps the claim or
 * drops back to OPEN.  The races this settles, with A acting on a channel
 * whose queue holds a waiter of select B:
 *
 * 1. B is OPEN: A wins B's state for that case and then sets its own; a
 *    counterpart meeting A in between sees BUSY and waits (below).
 * 2. B is BUSY (acting elsewhere, holding another channel's lock): if A is
 *    a plain task, it spins until B decides.  If A is a select too, the two
 *    could wait for each other, so only the one at the *lower* address
 *    spins; the one at the higher address drops back to OPEN and returns
 *    CHAN_CLAIM_YIELD, and chan_select_run() looks at all its channels
 *    again once queued on them, so neither misses the other.
 * 3. B is won (by another case) or CANCELLED: its waiter is dead; A unlinks
 *    it and goes on.  Its owner finds it unlinked and skips it.
 *
 * Every BUSY window runs with preemption disabled and takes no lock, so a
 * task that spins on a BUSY select waits for a task running on another CPU
 * for a few instructions, never for one that was preempted, also where
 * spinlock_t sleeps and its holder can be preempted (PREEMPT_RT, V3).
 */

/* Whether select waiter @w can never be had again: its select is decided. */
static bool chan_waiter_dead(const struct chan_waiter *w)
{
	int state;

	if (!w->sel)
		return false;
	state = atomic_read(&w->sel->state);
	return state != CHAN_SEL_OPEN && state != CHAN_SEL_BUSY;
}

/* Unlink a dead waiter: it costs its queue nothing after this look (L6). */
static void chan_unlink_dead(struct chan_waiter *w, u32 *nq)
{
	list_del_init(&w->node);
	(*nq)--;
}

/*
 * Find the longest-waiting waiter on @q that can still be had and win it.
 * @self is the acting select if it is queued on other channels (so it
 * must win itself first, as case @sidx), else NULL.  @nq counts @q.
 */
static int chan_claim(struct list_head *q, u32 *nq, struct chan_sel *self,
		      u32 sidx, struct chan_waiter **wp)
{
	struct chan_waiter *w, *tmp;
	int old, rc;

	list_for_each_entry_safe(w, tmp, q, node) {
		if (!w->sel) {
			if (self && atomic_cmpxchg(&self->state, CHAN_SEL_OPEN,
						   sidx) != CHAN_SEL_OPEN)
				return CHAN_CLAIM_LOST;
			*wp = w;
			return CHAN_CLAIM_OK;
		}
		/* A select never meets itself (X7). */
		if (w->sel == self)
			continue;
		/* The BUSY window: see DOC: select claims. */
		preempt_disable();
		if (self && atomic_cmpxchg(&self->state, CHAN_SEL_OPEN,
					   CHAN_SEL_BUSY) != CHAN_SEL_OPEN) {
			preempt_enable();
			return CHAN_CLAIM_LOST;
		}
		for (;;) {
			old = atomic_cmpxchg(&w->sel->state, CHAN_SEL_OPEN,
					     w->idx);
			if (old != CHAN_SEL_BUSY)
				break;
			if (self && (unsigned long)w->sel < (unsigned long)self)
				break;
			cpu_relax();
		}
		rc = old == CHAN_SEL_OPEN ? CHAN_CLAIM_OK :
		     old == CHAN_SEL_BUSY ? CHAN_CLAIM_YIELD : CHAN_CLAIM_NONE;
		if (self)
			atomic_set(&self->state, rc == CHAN_CLAIM_OK ? sidx :
				   CHAN_SEL_OPEN);
		preempt_enable();
		if (rc == CHAN_CLAIM_OK) {
			*wp = w;
			return rc;
		}
		if (rc == CHAN_CLAIM_YIELD)
			return rc;
		/* Won by another case or given up: never again (L6). */
		chan_unlink_dead(w, nq);
	}
	return CHAN_CLAIM_NONE;
}

/*
 * Whether @q has a waiter that can still be had; dead ones it meets are
 * unlinked, so each is looked at once (L6).
 */
static bool chan_queue_live(struct list_head *q, u32 *nq)
{
	struct chan_waiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, q, node) {
		if (!chan_waiter_dead(w))
			return true;
		chan_unlink_dead(w, nq);
	}
	return false;
}

/*
 * Make sure the oldest buffered element stays there until the caller takes
 * it with chan_take_buffered() or lets it go with chan_unhold_oldest(), in
 * this hold of chan.lock: only the spill of a ring channel cannot change
 * behind the lock, its shared slots can.
 */
static bool chan_hold_oldest(struct chan *ch)
{
	const void *slot;

	lockdep_assert_held(&ch->lock);
	if (ch->nspill)
		return true;
	return chan_ring_reserve_head(&ch->ring, &slot);
}

static void chan_unhold_oldest(struct chan *ch)
{
	if (!ch->nspill)
		chan_ring_cancel_head(&ch->ring);
}

/*
 * Take up to @n buffered elements into @dst, oldest first: one run of
 * consecutive sequence numbers, from the first put-back run or else from
 * the ring.  Their slots stay reserved in chan.held until the receive
 * commits (a put-back without a slot, chan.nover, has none to keep).  Runs
 * that empty go on @dead, to be freed after the lock is dropped.
 *
 * Return: the number of elements taken, 0 if none is buffered.
 */
static u32 chan_take_buffered(struct chan *ch, u8 *dst, u32 n,
			      struct chan_take *t, struct list_head *dead)
{
	const size_t esz = ch->elem_size;
	struct chan_msg *msg;
	u32 k, i, over;

	lockdep_assert_held(&ch->lock);
	msg = list_first_entry_or_null(&ch->spill, struct chan_msg, node);
	if (msg) {
		k = min(n, msg->count);
		memcpy(dst, msg->data + (size_t)msg->first * esz, k * esz);
		t->seq = msg->seq;
		msg->first += k;
		msg->seq += k;
		msg->count -= k;
		ch->nspill -= k;
		over = min(k, ch->nover);
		ch->nover -= over;
		if (!msg->count)
			list_move(&msg->node, dead);
	} else {
		u32 kept = 0;
		bool keep;

		k = min(n, chan_ring_count(&ch->ring));
		for (i = 0; i < k; i++) {
			if (!chan_ring_take_head(&ch->ring, dst + i * esz,
						 &keep))
				break;
			kept += keep;
		}
		k = i;
		t->seq = ch->ring_seq;
		ch->ring_seq += k;
		/* A private ring's slots are counted in chan.held instead. */
		over = ch->ring.sh ? k - kept : 0;
	}
	t->count = k;
	t->held = k - over;
	ch->held += t->held;
	return k;
}

/*
 * Free slots in the buffer go to blocked senders, longest waiting first,
 * so the buffer keeps the order in which senders came (R3).
 */
static void chan_admit_senders(struct chan *ch, struct chan_wake *wk)
{
	struct chan_waiter *w;

	for (;;) {
		void *slot;

		chan_wake_reserve(ch, wk, 1);
		/* The slot first: a sender won must have one (X2). */
		if (!chan_room(ch) || !chan_ring_reserve_tail(&ch->ring, &slot))
			return;
		if (chan_claim(&ch->sendq, &ch->nsendq, NULL, 0, &w) !=
		    CHAN_CLAIM_OK) {
			chan_ring_cancel_tail(&ch->ring);
			return;
		}
		memcpy(slot, w->elem, ch->elem_size);
		chan_ring_commit_tail(&ch->ring);
		ch->nsendq--;
		chan_complete(ch, w, CHAN_W_DONE, wk);
	}
}

/*
 * Give blocked receivers the buffered elements, longest waiting first.
 * Receivers wait only on an empty channel, so this is needed only where
 * elements come back while receivers wait: after an undo.
 */
static void chan_feed_receivers(struct chan *ch, struct chan_wake *wk,
				struct list_head *dead)
{
	struct chan_waiter *r;
	struct chan_take t;

	for (;;) {
		chan_wake_reserve(ch, wk, 1);
		/* The element first: a receiver won must get one (X2). */
		if (!chan_hold_oldest(ch))
			break;
		if (chan_claim(&ch->recvq, &ch->nrecvq, NULL, 0, &r) !=
		    CHAN_CLAIM_OK) {
			chan_unhold_oldest(ch);
			break;
		}
		chan_take_buffered(ch, r->elem, 1, &t, dead);
		r->seq = t.seq;
		r->held = t.held;
		ch->nrecvq--;
		chan_complete(ch, r, CHAN_W_DONE, wk);
	}
}

/*
 * Whether a sender and a receiver may meet past the buffer (R3): only when
 * nothing is in it or on its way into it, or an element would overtake an
 * older one of the same sender (R1).  A private buffer is empty whenever a
 * counterpart waits; a ring's fast path may still be writing its oldest.
 */
static bool chan_may_bypass(struct chan *ch)
{
	return !ch->ring.sh || chan_ring_drained(&ch->ring);
}

/*
 * Take up to @n elements into @dst for a receive that copies them out after
 * dropping the lock: buffered ones, or else one from the longest-waiting
 * sender, who is done at once (L7): the element is in kernel memory now,
 * and if the copy-out faults it goes back in front of the channel.
 */
static u32 chan_take(struct chan *ch, u8 *dst, u32 n, struct chan_take *t,
		     struct chan_wake *wk, struct list_head *dead)
{
	struct chan_waiter *w;

	lockdep_assert_held(&ch->lock);
	if (chan_take_buffered(ch, dst, n, t, dead))
		return t->count;
	/*
	 * One sender per receive at most: what a faulting receive puts back
	 * beyond the buffer's capacity stays one element.
	 */
	if (!chan_may_bypass(ch) ||
	    chan_claim(&ch->sendq, &ch->nsendq, NULL, 0, &w) != CHAN_CLAIM_OK)
		return 0;
	memcpy(dst, w->elem, ch->elem_size);
	ch->nsendq--;
	chan_complete(ch, w, CHAN_W_DONE, wk);
	t->seq = ch->ring_seq++;
	t->count = 1;
	t->held = chan_hold_slot(ch);
	return 1;
}

static bool chan_deadline_passed(const struct chan_how *how)
{
	return how->timed && ktime_compare(ktime_get(), how->deadline) >= 0;
}

/**
 * chan_sleep() - sleep, in the state the caller set, until woken or the
 *	deadline of @how passes
 * @how: whether the wait has a deadline
 *
 * Return: true once the deadline has passed.
 */
bool chan_sleep(const struct chan_how *how)
{
	ktime_t deadline = how->deadline;

	if (!how->timed) {
		schedule();
		return false;
	}
	return !schedule_hrtimeout_range(&deadline, current->timer_slack_ns,
					 HRTIMER_MODE_ABS);
}

/**
 * chan_spin() - watch a waiter's status for a moment before sleeping
 * @status: chan_waiter.status or chan_sel.status, of a queued waiter
 *
 * Gives up when the CPU is wanted, another task could run on it (the
 * counterpart may be waiting for this very CPU), a signal is pending or
 * spin_ns have passed, as KVM's halt polling does; never spins on a single
 * CPU.  So it never waits for a preempted task for longer than spin_ns,
 * and not at all for one preempted on this CPU (V3).  The caller's sleep
 * loop reads @status again either way.
 *
 * Return: true if @status is no longer CHAN_W_WAITING.
 */
bool chan_spin(const int *status)
{
	unsigned int ns = READ_ONCE(chan_spin_ns);
	u64 end;

	if (!ns || num_online_cpus() < 2)
		return false;
	end = local_clock() + ns;
	for (;;) {
		if (READ_ONCE(*status) != CHAN_W_WAITING)
			return true;
		if (need_resched() || !single_task_running() ||
		    signal_pending(current) || local_clock() >= end)
			return false;
		cpu_relax();
	}
}

/*
 * Sleep until @w is completed, a signal arrives or the deadline passes.
 * Called without chan.lock, with @w queued.  Returns the waiter's status,
 * or -ERESTARTSYS / -ETIMEDOUT if the task left the queue without effect.
 */
static int chan_wait(struct chan *ch, struct chan_waiter *w, u32 *nqueued,
		     const struct chan_how *how)
{
	/* The precise clock only for the tracepoint, read only when it is on. */
	u64 t0 = trace_chan_wake_enabled() ? ktime_get_ns() : 0;
	bool expired = false;
	int status;

	trace_chan_block(ch->id, chan_waiter_op(w), w->timed);
	chan_spin(&w->status);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		/*
		 * Completion first: a completed operation reports success.
		 * Pairs with the completer's smp_store_release().
		 */
		status = smp_load_acquire(&w->status);
		if (status != CHAN_W_WAITING)
			break;
		if (signal_pending(current) || expired) {
			/*
			 * Leave without effect, unless a completer got here
			 * first: the status read under the lock decides.
			 */
			__set_current_state(TASK_RUNNING);
			spin_lock(&ch->lock);
			status = w->status;
			if (status == CHAN_W_WAITING) {
				list_del(&w->node);
				(*nqueued)--;
			}
			spin_unlock(&ch->lock);
			if (status == CHAN_W_WAITING) {
				status = signal_pending(current) ?
					 -ERESTARTSYS : -ETIMEDOUT;
				trace_chan_wake(ch->id, chan_waiter_op(w), t0,
						status);
				return status;
			}
			continue;
		}
		expired = chan_sleep(how);
	}
	__set_current_state(TASK_RUNNING);
	trace_chan_wake(ch->id, chan_waiter_op(w), t0, status);
	return status;
}

/*
 * Hand @elem to blocked receiver @r: a send, once it has won @r.  The
 * element never was in the buffer, so it takes the next sequence number.
 */
static void chan_hand_over(struct chan *ch, struct chan_waiter *r,
			   const void *elem, struct chan_wake *wk)
{
	memcpy(r->elem, elem, ch->elem_size);
	r->seq = ch->ring_seq++;
	r->held = chan_hold_slot(ch);
	ch->nrecvq--;
	chan_complete(ch, r, CHAN_W_DONE, wk);
}

/* Who waits in the kernel now, for a ring channel's fast path. */
static u32 chan_ring_waiters_now(struct chan *ch)
{
	lockdep_assert_held(&ch->lock);
	return (chan_queue_live(&ch->sendq, &ch->nsendq) ?
		CHAN_RING_W_SEND : 0) |
	       (chan_queue_live(&ch->recvq, &ch->nrecvq) ?
		CHAN_RING_W_RECV : 0) |
	       (wq_has_sleeper(&ch->poll_wq) ? CHAN_RING_W_POLL : 0) |
	       (ch->nspill ? CHAN_RING_W_SPILL : 0);
}

/*
 * A call that announced itself (chan_ring_want()) and then did not sleep:
 * publish who waits now, without it, or the fast path would keep coming to
 * the kernel for a waiter that is not there.
 */
static void chan_ring_unwant(struct chan *ch)
{
	lockdep_assert_held(&ch->lock);
	if (ch->ring.sh)
		chan_shring_set_waiters(ch->ring.sh, chan_ring_waiters_now(ch));
}

/**
 * chan_send_elems() - send elements in order
 * @ch: the channel
 * @elems: @n elements in kernel memory
 * @n: number of elements, at least one
 * @how: whether and how long to wait
 *
 * Hands each element to the receiver that has waited longest, or buffers
 * it, or waits for room.  Stops early when it may not wait any longer.
 *
 * Return: the number of elements sent (1 to @n), or with none sent
 * -EPIPE once closed or without receivers (K2, K5), -EAGAIN, -ETIMEDOUT or
 * -ERESTARTSYS.
 */
ssize_t chan_send_elems(struct chan *ch, const void *elems, size_t n,
			const struct chan_how *how)
{
	const u8 *src = elems;
	struct chan_waiter w = {};
	struct chan_wake wk;
	size_t sent = 0;
	int err;

	/*
	 * A ring's fast path comes here, instead of kicking first, when tasks
	 * blocked in the kernel are owed before it (R3, R4): serve them.
	 */
	chan_kick(ch);
	wk.n = 0;
	for (;;) {
		struct chan_waiter *r;
		size_t before = sent;

		spin_lock(&ch->lock);
		if (ch->closed || ch->no_recv) {
			err = -EPIPE;
			goto unlock_stop;
		}
		if (!how->nonblock)
			chan_ring_want(&ch->ring, CHAN_RING_W_SEND);
		while (sent < n && !chan_wake_full(&wk)) {
			const u8 *elem = src + sent * ch->elem_size;

			if (chan_may_bypass(ch) &&
			    chan_claim(&ch->recvq, &ch->nrecvq, NULL, 0, &r) ==
			    CHAN_CLAIM_OK) {
				chan_hand_over(ch, r, elem, &wk);
			} else if (chan_room(ch) &&
				   !chan_queue_live(&ch->sendq, &ch->nsendq) &&
				   chan_ring_push_tail(&ch->ring, elem)) {
				/* Free slots are owed to queued senders. */
			} else {
				break;
			}
			sent++;
		}
		if (sent == n || chan_wake_full(&wk)) {
			chan_ring_unwant(ch);
			spin_unlock(&ch->lock);
			chan_wake_flush(&wk);
			if (sent > before)
				chan_poll_wake(ch, EPOLLIN | EPOLLRDNORM);
			if (sent == n)
				return sent;
			continue;
		}
		if (how->nonblock) {
			err = -EAGAIN;
			goto unlock_stop;
		}
		if (chan_deadline_passed(how)) {
			err = -ETIMEDOUT;
			goto unlock_stop;
		}

		w.task = current;
		w.elem = (void *)(src + sent * ch->elem_size);
		w.status = CHAN_W_WAITING;
		w.send = true;
		w.timed = how->timed;
		w.since = ktime_get_coarse_ns();
		list_add_tail(&w.node, &ch->sendq);
		ch->nsendq++;
		spin_unlock(&ch->lock);
		chan_wake_flush(&wk);
		/* A waiting sender makes a receive ready (P1). */
		chan_poll_wake(ch, EPOLLIN | EPOLLRDNORM);

		err = chan_wait(ch, &w, &ch->nsendq, how);
		if (err == CHAN_W_DONE) {
			sent++;
			if (sent == n)
				return sent;
			continue;
		}
		if (err == CHAN_W_CLOSED)
			err = -EPIPE;
		return sent ? sent : err;
	}

unlock_stop:
	chan_ring_unwant(ch);
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	if (sent)
		chan_poll_wake(ch, EPOLLIN | EPOLLRDNORM);
	return sent ? sent : err;
}
EXPORT_SYMBOL_IF_KUNIT(chan_send_elems);

/**
 * chan_recv_elems() - receive elements
 * @ch: the channel
 * @elems: room for @n elements in kernel memory
 * @n: at most this many, at least one
 * @how: whether and how long to wait
 * @t: filled in with what the receive took
 *
 * Takes what is ready now, up to @n; if nothing is, waits for one element.
 * When it returns elements, the caller copies them out and then calls
 * chan_recv_commit(), or chan_recv_undo() if the copy failed.
 *
 * Return: the number of elements received (1 to @n); 0 once the channel is
 * closed and drained (K3); -EAGAIN, -ETIMEDOUT or -ERESTARTSYS.
 */
ssize_t chan_recv_elems(struct chan *ch, void *elems, size_t n,
			const struct chan_how *how, struct chan_take *t)
{
	struct chan_waiter w = {};
	struct chan_wake wk;
	LIST_HEAD(dead);
	int status;
	u32 got;

	t->count = 0;
	t->held = 0;
	wk.n = 0;

	/* As in chan_send_elems(): the tasks owed first go first. */
	chan_kick(ch);
	spin_lock(&ch->lock);
	if (!how->nonblock)
		chan_ring_want(&ch->ring, CHAN_RING_W_RECV);
	got = chan_take(ch, elems, min_t(size_t, n, U32_MAX), t, &wk, &dead);
	if (got) {
		chan_ring_unwant(ch);
		spin_unlock(&ch->lock);
		chan_wake_flush(&wk);
		chan_free_msgs(&dead);
		return got;
	}
	if (ch->closed && chan_ring_drained(&ch->ring)) {
		chan_ring_unwant(ch);
		spin_unlock(&ch->lock);
		return 0;
	}
	if (how->nonblock || chan_deadline_passed(how)) {
		chan_ring_unwant(ch);
		spin_unlock(&ch->lock);
		return how->nonblock ? -EAGAIN : -ETIMEDOUT;
	}

	w.task = current;
	w.elem = elems;
	w.status = CHAN_W_WAITING;
	w.timed = how->timed;
	w.since = ktime_get_coarse_ns();
	list_add_tail(&w.node, &ch->recvq);
	ch->nrecvq++;
	spin_unlock(&ch->lock);
	/* A waiting receiver makes a send ready (P1). */
	chan_poll_wake(ch, EPOLLOUT | EPOLLWRNORM);

	status = chan_wait(ch, &w, &ch->nrecvq, how);
	if (status == CHAN_W_DONE) {
		/* Handed over: the element is ours. */
		t->seq = w.seq;
		t->count = 1;
		t->held = w.held;
		return 1;
	}
	if (status == CHAN_W_CLOSED)
		return 0;
	return status;
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv_elems);

/**
 * chan_recv_user() - receive one element straight to the user, if one is there
 * @ch: the channel
 * @uelem: the user's destination, of @ch->elem_size bytes
 *
 * The common receive finds an element buffered, or a plain sender waiting,
 * and a destination that is mapped.  It then copies the element out under
 * chan.lock with page faults disabled, before the element leaves: taking
 * and delivering are one step, with nothing to commit or undo and no check
 * of the destination first.  If the page is not there, nothing moved and
 * the caller takes the general path, which may fault.  Meant for small
 * elements: the copy holds the lock.
 *
 * Return: 1 if an element was delivered; -EAGAIN if the general path must
 * decide.
 */
int chan_recv_user(struct chan *ch, void __user *uelem)
{
	struct chan_waiter *w;
	struct chan_wake wk;
	int ret = -EAGAIN;

	/* A ring's slots cannot be copied from before they are taken. */
	if (ch->ring.sh)
		return -EAGAIN;
	wk.n = 0;
	spin_lock(&ch->lock);
	if (ch->nspill)
		goto unlock;
	if (ch->ring.len) {
		if (copy_to_user_nofault(uelem, chan_ring_head(&ch->ring),
					 ch->elem_size))
			goto unlock;
		chan_ring_pop_head(&ch->ring, NULL);
		ch->ring_seq++;
		chan_admit_senders(ch, &wk);
		ret = 1;
		goto unlock;
	}
	/* A select sender cannot be given back once won: general path. */
	w = list_first_entry_or_null(&ch->sendq, struct chan_waiter, node);
	if (w && !w->sel) {
		/* @w is queued and waiting: its element cannot go away. */
		if (copy_to_user_nofault(uelem, w->elem, ch->elem_size))
			goto unlock;
		ch->nsendq--;
		ch->ring_seq++;
		chan_complete(ch, w, CHAN_W_DONE, &wk);
		ret = 1;
	}
	/*
	 * Closed and drained is left to the general path too: it checks the
	 * destination first, so a bad pointer gets EFAULT there as well (L2).
	 */
unlock:
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	if (ret == 1)
		chan_poll_wake(ch, EPOLLOUT | EPOLLWRNORM);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv_user);

/**
 * chan_recv_commit() - the elements of a receive were delivered
 * @ch: the channel
 * @t: what chan_recv_elems() took
 *
 * Gives the slots the receive held to the senders waiting for them; a
 * ring channel's are kept in its shared pages until now, and freed there
 * for its fast path too.
 */
void chan_recv_commit(struct chan *ch, struct chan_take *t)
{
	struct chan_wake wk;

	if (!t->held)
		return;
	wk.n = 0;
	spin_lock(&ch->lock);
	ch->held -= t->held;
	chan_ring_release(&ch->ring, t->held);
	t->held = 0;
	chan_admit_senders(ch, &wk);
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	chan_poll_wake(ch, EPOLLOUT | EPOLLWRNORM);
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv_commit);

/* Put @msg back into the spill, in sequence order (R1). */
static void chan_spill_insert(struct chan *ch, struct chan_msg *msg)
{
	struct chan_msg *pos;

	lockdep_assert_held(&ch->lock);
	list_for_each_entry(pos, &ch->spill, node) {
		if (pos->seq > msg->seq) {
			list_add_tail(&msg->node, &pos->node);
			return;
		}
	}
	list_add_tail(&msg->node, &ch->spill);
}

/**
 * chan_recv_undo() - the elements of a receive could not be delivered
 * @ch: the channel
 * @t: what chan_recv_elems() took
 * @msg: the allocation holding the @t->count elements received, from
 *	index 0, made by chan_msg_alloc() before the receive; consumed
 *
 * The elements go back in front of the channel, at the place their
 * sequence numbers give them among other put-backs, so nothing is lost
 * and the order is kept even when several receives fault at once (R1,
 * R5, hardening rule 10).  Never fails and allocates nothing: @msg, with
 * its charge to the receiver's budget, becomes part of the channel until
 * its elements are received (L5).  The slots the elements held stay
 * theirs; an element a sender handed over had none and is counted beyond
 * the capacity (chan.nover).
 */
void chan_recv_undo(struct chan *ch, struct chan_take *t,
		    struct chan_msg *msg)
{
	struct chan_wake wk;
	LIST_HEAD(dead);

	if (!t->count) {
		chan_msg_free(msg);
		return;
	}
	msg->seq = t->seq;
	msg->first = 0;
	msg->count = t->count;
	wk.n = 0;
	spin_lock(&ch->lock);
	chan_spill_insert(ch, msg);
	/* A ring's fast-path receivers must come for these first (R1). */
	chan_ring_want(&ch->ring, CHAN_RING_W_SPILL);
	ch->nspill += t->count;
	ch->nover += t->count - t->held;
	ch->held -= t->held;
	t->count = 0;
	t->held = 0;
	/* Receivers that came while the elements were out are owed them. */
	chan_feed_receivers(ch, &wk, &dead);
	chan_admit_senders(ch, &wk);
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	chan_free_msgs(&dead);
	chan_poll_wake(ch, EPOLLIN | EPOLLRDNORM);
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv_undo);

/**
 * chan_buf_alloc() - a scratch buffer a call holds, charged to its caller
 * @bytes: its size
 * @c: records the charge, for chan_buf_free()
 *
 * What a call holds while it blocks counts against the caller's budget and
 * memory cgroup like a channel's buffer (L5).  The budget pays for what the
 * allocator really hands out: a 64 KiB buffer plus a header is 128 KiB.
 *
 * Return: the buffer, or ERR_PTR(-EMFILE) over the budget, ERR_PTR(-ENOMEM).
 */
void *chan_buf_alloc(size_t bytes, struct chan_charge *c)
{
	void *buf;
	int err;

	/* kvmalloc()'s vmalloc fallback takes no more than this either. */
	err = chan_charge_take(c, kmalloc_size_roundup(bytes));
	if (err)
		return ERR_PTR(err);
	buf = kvmalloc(bytes, CHAN_GFP);
	if (!buf) {
		chan_charge_drop(c);
		return ERR_PTR(-ENOMEM);
	}
	return buf;
}
EXPORT_SYMBOL_IF_KUNIT(chan_buf_alloc);

/**
 * chan_buf_free() - free a buffer from chan_buf_alloc() and its charge
 * @buf: the buffer, or an ERR_PTR or NULL (nothing to free)
 * @c: its charge
 */
void chan_buf_free(void *buf, struct chan_charge *c)
{
	struct chan_charge charge;

	if (IS_ERR_OR_NULL(buf))
		return;
	/* @c may live in @buf (struct chan_msg). */
	charge = *c;
	kvfree(buf);
	chan_charge_drop(&charge);
}
EXPORT_SYMBOL_IF_KUNIT(chan_buf_free);

/**
 * chan_msg_alloc() - room for elements a receiver takes, and their home if
 *	they must go back
 * @ch: the channel the elements come from
 * @n: number of elements
 *
 * Allocated, and charged to the calling task's budget and memory cgroup,
 * before anything moves: a put-back must never need memory (L5).
 *
 * Return: a chan_msg, or ERR_PTR(-EMFILE) over the budget,
 * ERR_PTR(-ENOMEM).
 */
struct chan_msg *chan_msg_alloc(struct chan *ch, size_t n)
{
	struct chan_charge c;
	struct chan_msg *msg;
	size_t bytes;

	if (check_mul_overflow(n, (size_t)ch->elem_size, &bytes) ||
	    n > U32_MAX)
		return ERR_PTR(-EINVAL);
	bytes = struct_size(msg, data, bytes);
	msg = chan_buf_alloc(bytes, &c);
	if (IS_ERR(msg))
		return msg;
	msg->charge = c;
	msg->first = 0;
	msg->count = n;
	msg->seq = 0;
	msg->spare_of = NULL;
	return msg;
}
EXPORT_SYMBOL_IF_KUNIT(chan_msg_alloc);

/**
 * chan_recv_home() - room for the one element a receive takes
 * @ch: the channel the element comes from
 *
 * The channel's spare if it is free, else a chan_msg_alloc() of one
 * element: a receive that waits, the common case of a rendezvous, then
 * allocates and charges nothing, and its put-back still needs no memory
 * (L5): the spare was made, and charged to the channel's maker, with the
 * channel.  Give it back with chan_msg_free().
 *
 * Return: as chan_msg_alloc().
 */
struct chan_msg *chan_recv_home(struct chan *ch)
{
	struct chan_msg *msg = xchg(&ch->spare, NULL);

	return msg ? msg : chan_msg_alloc(ch, 1);
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv_home);

/**
 * chan_msg_free() - free a chan_msg and give its charge back
 * @msg: the message, or NULL
 *
 * A channel's spare goes back to its channel instead: it is freed with the
 * channel.  Only a receive on the channel (which holds a reference) or the
 * channel's spill holds it, so the channel is still there.
 */
void chan_msg_free(struct chan_msg *msg)
{
	if (!msg)
		return;
	if (msg->spare_of) {
		msg->first = 0;
		msg->count = 1;
		msg->seq = 0;
		/* The fields above before the spare can be taken again. */
		smp_store_release(&msg->spare_of->spare, msg);
		return;
	}
	chan_buf_free(msg, &msg->charge);
}
EXPORT_SYMBOL_IF_KUNIT(chan_msg_free);

/*
 * Let select case @w proceed if its channel is ready.  @queued: the select
 * is queued on some channel already, so it must win itself first.  On
 * CHAN_CASE_DONE the select's state names the case and its status says
 * whether it moved an element or found the channel closed (X5); a receive
 * case's element is in @w->elem, with @w->seq and @w->held set.
 */
static int chan_case_act(struct chan *ch, struct chan_waiter *w, bool queued,
			 struct chan_wake *wk, struct list_head *dead)
{
	struct chan_sel *self = queued ? w->sel : NULL;
	struct chan_waiter *peer;
	struct chan_take t;
	int rc, status;
	void *slot;

	lockdep_assert_held(&ch->lock);
	if (w->send) {
		if (ch->closed || ch->no_recv) {
			status = CHAN_W_CLOSED;
			goto win_self;
		}
		rc = chan_may_bypass(ch) ?
		     chan_claim(&ch->recvq, &ch->nrecvq, self, w->idx, &peer) :
		     CHAN_CLAIM_NONE;
		if (rc == CHAN_CLAIM_OK) {
			chan_hand_over(ch, peer, w->elem, wk);
			status = CHAN_W_DONE;
			goto won;
		}
		if (rc != CHAN_CLAIM_NONE)
			goto lost;
		if (chan_room(ch) && !chan_queue_live(&ch->sendq, &ch->nsendq) &&
		    chan_ring_reserve_tail(&ch->ring, &slot)) {
			if (self && atomic_cmpxchg(&self->state, CHAN_SEL_OPEN,
						   w->idx) != CHAN_SEL_OPEN) {
				chan_ring_cancel_tail(&ch->ring);
				return CHAN_CASE_LOST;
			}
			memcpy(slot, w->elem, ch->elem_size);
			chan_ring_commit_tail(&ch->ring);
			status = CHAN_W_DONE;
			goto won;
		}
		return CHAN_CASE_NOT_READY;
	}

	if (chan_hold_oldest(ch)) {
		if (self && atomic_cmpxchg(&self->state, CHAN_SEL_OPEN,
					   w->idx) != CHAN_SEL_OPEN) {
			chan_unhold_oldest(ch);
			return CHAN_CASE_LOST;
		}
		chan_take_buffered(ch, w->elem, 1, &t, dead);
		w->seq = t.seq;
		w->held = t.held;
		status = CHAN_W_DONE;
		goto won;
	}
	rc = chan_may_bypass(ch) ?
	     chan_claim(&ch->sendq, &ch->nsendq, self, w->idx, &peer) :
	     CHAN_CLAIM_NONE;
	if (rc == CHAN_CLAIM_OK) {
		memcpy(w->elem, peer->elem, ch->elem_size);
		w->seq = ch->ring_seq++;
		w->held = chan_hold_slot(ch);
		ch->nsendq--;
		chan_complete(ch, peer, CHAN_W_DONE, wk);
		status = CHAN_W_DONE;
		goto won;
	}
	if (rc != CHAN_CLAIM_NONE)
		goto lost;
	if (!ch->closed || !chan_ring_drained(&ch->ring))
		return CHAN_CASE_NOT_READY;
	status = CHAN_W_CLOSED;

win_self:
	if (self && atomic_cmpxchg(&self->state, CHAN_SEL_OPEN, w->idx) !=
	    CHAN_SEL_OPEN)
		return CHAN_CASE_LOST;
won:
	/* Not queued anywhere yet, nobody else can have won it. */
	if (!self)
		atomic_set(&w->sel->state, w->idx);
	w->sel->status = status;
	return CHAN_CASE_DONE;
lost:
	return rc == CHAN_CLAIM_LOST ? CHAN_CASE_LOST : CHAN_CASE_YIELD;
}

/**
 * chan_case_maybe_ready() - a first look at a select case, without the lock
 * @ch: the case's channel
 * @send: the case sends
 *
 * A select over many channels looks for a ready case first; taking every
 * channel's lock to find most of them idle is its main cost.  The counters
 * read here change under the lock, so the answer may be stale: a case
 * wrongly seen ready costs one lock round in chan_case_try(), and one
 * wrongly seen idle is looked at again, under its lock, before the select
 * sleeps (X6).
 *
 * Return: false if the case was not ready a moment ago.
 */
bool chan_case_maybe_ready(const struct chan *ch, bool send)
{
	if (send) {
		/* Unlocked on purpose: a stale answer is fine, see above. */
		return data_race(ch->closed || ch->no_recv || ch->nrecvq ||
				 chan_slots_used(ch) < ch->cap);
	}
	/* Unlocked on purpose, as above. */
	return data_race(ch->closed || chan_ring_count(&ch->ring) ||
			 ch->nspill || ch->nsendq);
}

/**
 * chan_case_try() - try one case of a select, and queue it if not ready
 * @ch: the case's channel
 * @w: the case: sel, idx, send, elem and task set; node initialised
 * @queued: the select is queued on some channel already
 * @queue: queue @w on @ch if the case is not ready, in the same lock hold
 *	that found it not ready, so no counterpart can slip by (X6)
 *
 * Return: CHAN_CASE_DONE if this case won and proceeded; CHAN_CASE_LOST if
 * another case of the select won meanwhile; CHAN_CASE_YIELD if the select
 * must look at its channels again; CHAN_CASE_NOT_READY.
 */
int chan_case_try(struct chan *ch, struct chan_waiter *w, bool queued,
		  bool queue)
{
	struct chan_wake wk;
	__poll_t events = 0;
	LIST_HEAD(dead);
	int rc;

	wk.n = 0;
	spin_lock(&ch->lock);
	if (queue)
		chan_ring_want(&ch->ring, w->send ? CHAN_RING_W_SEND :
				CHAN_RING_W_RECV);
	rc = chan_case_act(ch, w, queued, &wk, &dead);
	if (queue && (rc == CHAN_CASE_NOT_READY || rc == CHAN_CASE_YIELD)) {
		if (w->send) {
			list_add_tail(&w->node, &ch->sendq);
			ch->nsendq++;
			events = EPOLLIN | EPOLLRDNORM;
		} else {
			list_add_tail(&w->node, &ch->recvq);
			ch->nrecvq++;
			events = EPOLLOUT | EPOLLWRNORM;
		}
	}
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	chan_free_msgs(&dead);
	if (rc == CHAN_CASE_DONE)
		events = EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;
	if (events)
		chan_poll_wake(ch, events);
	return rc;
}

/**
 * chan_case_unqueue() - take a select's case off its channel's queue
 * @ch: the case's channel
 * @w: a case chan_case_try() queued; unless a counterpart took it off when
 *	the case won, it is still on the queue
 */
void chan_case_unqueue(struct chan *ch, struct chan_waiter *w)
{
	spin_lock(&ch->lock);
	if (!list_empty(&w->node)) {
		list_del_init(&w->node);
		if (w->send)
			ch->nsendq--;
		else
			ch->nrecvq--;
	}
	spin_unlock(&ch->lock);
}

/*
 * Complete waiters with CLOSED: every sender, and every receiver too when
 * @receivers.  Called with chan.lock held, which it drops; wake-ups happen
 * in batches outside the lock.  Whoever set the flag that ends them did so
 * under the same lock hold, so no new waiter can join meanwhile.
 */
static void chan_end_waiters(struct chan *ch, bool receivers)
	__releases(&ch->lock)
{
	struct chan_waiter *w;
	struct chan_wake wk;

	lockdep_assert_held(&ch->lock);
	wk.n = 0;
	for (;;) {
		chan_wake_reserve(ch, &wk, 1);
		if (chan_claim(&ch->sendq, &ch->nsendq, NULL, 0, &w) ==
		    CHAN_CLAIM_OK) {
			ch->nsendq--;
		} else if (receivers &&
			   chan_claim(&ch->recvq, &ch->nrecvq, NULL, 0, &w) ==
			   CHAN_CLAIM_OK) {
			ch->nrecvq--;
		} else {
			break;
		}
		chan_complete(ch, w, CHAN_W_CLOSED, &wk);
	}
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	chan_poll_wake(ch, EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM |
			   EPOLLHUP | EPOLLERR);
}

/**
 * chan_watch() - an entry of its own now waits on @ch's poll_wq
 * @ch: the channel
 *
 * A select set's case hooks its wait-queue entry onto the channel without
 * going through chan_file_poll().  A ring channel's fast path wakes the
 * poll_wq only while CHAN_RING_W_POLL is up, so the bit goes up here,
 * before the caller first looks at the channel: a fast-path send or receive
 * that the look misses sees the bit and kicks (P1, M2; otherwise the set's
 * waiter would sleep through it).  chan_kick() keeps the bit while the
 * entry stays (chan_ring_waiters_now()).
 */
void chan_watch(struct chan *ch)
{
	if (!ch->ring.sh)
		return;
	spin_lock(&ch->lock);
	chan_ring_want(&ch->ring, CHAN_RING_W_POLL);
	spin_unlock(&ch->lock);
}

/**
 * chan_kick() - a ring channel's slots changed behind chan.lock
 * @ch: the channel; nothing happens unless it is a ring channel
 *
 * Its fast path sent or received, or the kernel repaired what a dead
 * process left half done: hand buffered elements to blocked receivers and
 * free slots to blocked senders, longest waiting first (R3, R4); end the
 * receivers of a channel now closed and drained (K3); wake pollers (P1);
 * and publish who still waits, so the fast path enters the kernel only
 * while someone does (CHAN_IOC_RING_KICK, M1).
 */
void chan_kick(struct chan *ch)
{
	struct chan_wake wk;
	LIST_HEAD(dead);

	if (!ch->ring.sh)
		return;
	wk.n = 0;
	spin_lock(&ch->lock);
	chan_feed_receivers(ch, &wk, &dead);
	chan_admit_senders(ch, &wk);
	chan_shring_set_waiters(ch->ring.sh, chan_ring_waiters_now(ch));
	if (ch->closed && ch->nrecvq && !ch->nspill &&
	    chan_ring_drained(&ch->ring))
		chan_end_waiters(ch, true);
	else
		spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	chan_free_msgs(&dead);
	chan_poll_wake(ch, EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM);
}
EXPORT_SYMBOL_IF_KUNIT(chan_kick);

/**
 * chan_close() - Go's close (K1)
 * @ch: the channel
 *
 * Marks the channel closed and wakes every waiter and poller (K4): blocked
 * senders fail with EPIPE (K2), blocked receivers see "closed" (K3).  The
 * buffered elements stay to be received.
 *
 * Return: 0, or -EPIPE if it was closed already.
 */
int chan_close(struct chan *ch)
{
	spin_lock(&ch->lock);
	if (ch->closed) {
		spin_unlock(&ch->lock);
		return -EPIPE;
	}
	ch->closed = true;
	chan_ring_set_closed(&ch->ring, CHAN_RING_CLOSED);
	/* A ring's send claimed before the close is still owed (K3). */
	chan_end_waiters(ch, chan_ring_drained(&ch->ring));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_close);

/**
 * chan_add_fd() - count a new file of the channel
 * @ch: the channel
 * @send: the file may send
 * @recv: the file may receive
 */
void chan_add_fd(struct chan *ch, bool send, bool recv)
{
	spin_lock(&ch->lock);
	ch->nsend_fds += send;
	ch->nrecv_fds += recv;
	spin_unlock(&ch->lock);
}
EXPORT_SYMBOL_IF_KUNIT(chan_add_fd);

/**
 * chan_release_fd() - forget a file of the channel (K5)
 * @ch: the channel
 * @send: the file could send
 * @recv: the file could receive
 *
 * When the last file that may send goes, the channel closes as by K1: its
 * receivers would otherwise wait forever.  When the last file that may
 * receive goes, sends fail with EPIPE, as writes to a pipe without readers.
 */
void chan_release_fd(struct chan *ch, bool send, bool recv)
{
	bool close = false, orphan = false;

	spin_lock(&ch->lock);
	ch->nsend_fds -= send;
	ch->nrecv_fds -= recv;
	if (send && !ch->nsend_fds && !ch->closed) {
		ch->closed = true;
		close = true;
	}
	if (recv && !ch->nrecv_fds && !ch->no_recv) {
		ch->no_recv = true;
		orphan = true;
	}
	if (close)
		chan_ring_set_closed(&ch->ring, CHAN_RING_CLOSED);
	if (orphan)
		chan_ring_set_closed(&ch->ring, CHAN_RING_NO_RECV);
	if (close || orphan)
		chan_end_waiters(ch, close && chan_ring_drained(&ch->ring));
	else
		spin_unlock(&ch->lock);
}
EXPORT_SYMBOL_IF_KUNIT(chan_release_fd);

/* chan_alloc() and chan_alloc_ring(); @ring: the buffer is shared pages */
static struct chan *__chan_alloc(u32 elem_size, u32 cap, kuid_t uid,
				 bool ring)
{
	struct chan_shring *sh;
	size_t charge, buf, spare = 0;
	struct chan *ch;
	int err;

	if (ring) {
		err = chan_shring_check(elem_size, cap, &buf);
	} else {
		err = chan_limits_check(elem_size, cap);
		/* What the allocators hand out, as chan_buf_alloc() charges. */
		buf = kmalloc_size_roundup((size_t)elem_size * cap);
	}
	if (err)
		return ERR_PTR(err);
	/* The spare home too, as chan_buf_alloc() charges it. */
	if (elem_size <= CHAN_SPARE_ELEM)
		spare = struct_size_t(struct chan_msg, data, elem_size);
	charge = sizeof(struct chan) + kmalloc_size_roundup(spare) + buf;
	err = chan_limits_charge(uid, charge);
	if (err)
		return ERR_PTR(err);

	ch = kmem_cache_zalloc(chan_cachep, CHAN_GFP);
	if (!ch) {
		err = -ENOMEM;
		goto uncharge;
	}
	if (spare) {
		/* Paid for in @charge: its own charge is none. */
		ch->spare = kzalloc(spare, CHAN_GFP);
		if (!ch->spare) {
			err = -ENOMEM;
			goto free_chan;
		}
		ch->spare->count = 1;
		ch->spare->spare_of = ch;
	}
	if (ring) {
		sh = chan_shring_create(elem_size, cap);
		err = PTR_ERR_OR_ZERO(sh);
		if (!err)
			ch->ring = (struct chan_ring){ .elem_size = elem_size,
						       .cap = cap, .sh = sh };
	} else {
		err = chan_ring_init(&ch->ring, elem_size, cap);
	}
	if (err)
		goto free_spare;

	spin_lock_init(&ch->lock);
	INIT_LIST_HEAD(&ch->spill);
	INIT_LIST_HEAD(&ch->sendq);
	INIT_LIST_HEAD(&ch->recvq);
	init_waitqueue_head(&ch->poll_wq);
	refcount_set(&ch->ref, 1);
	ch->id = atomic64_inc_return(&chan_next_id);
	ch->elem_size = elem_size;
	ch->cap = cap;
	ch->uid = uid;
	ch->charged = charge;
	return ch;

free_spare:
	kfree(ch->spare);
free_chan:
	kmem_cache_free(chan_cachep, ch);
uncharge:
	chan_limits_uncharge(uid, charge);
	return ERR_PTR(err);
}

/**
 * chan_alloc() - make a channel
 * @elem_size: bytes per element, at most CHAN_MAX_ELEM_SIZE
 * @cap: capacity in elements, 0 for unbuffered
 * @uid: the user to charge
 *
 * The channel and its buffer are charged to @uid's budget and to the
 * caller's memory cgroup.  It starts with one reference and no files.
 *
 * Return: the channel, or ERR_PTR(-EINVAL) over the per-channel limits,
 * ERR_PTR(-EMFILE) over the budget, ERR_PTR(-ENOMEM).
 */
struct chan *chan_alloc(u32 elem_size, u32 cap, kuid_t uid)
{
	return __chan_alloc(elem_size, cap, uid, false);
}
EXPORT_SYMBOL_IF_KUNIT(chan_alloc);

/**
 * chan_alloc_ring() - make a ring channel (M1)
 * @elem_size: bytes per element, at most CHAN_MAX_ELEM_SIZE
 * @cap: capacity in elements, at least 1
 * @uid: the user to charge
 *
 * As chan_alloc(), with the buffer in pages its holders may map
 * (chan_shring.c), charged as a buffer is (M6).
 *
 * Return: the channel, or ERR_PTR(-EINVAL) for cap 0 or over the limits,
 * ERR_PTR(-EMFILE) over the budget, ERR_PTR(-ENOMEM).
 */
struct chan *chan_alloc_ring(u32 elem_size, u32 cap, kuid_t uid)
{
	return __chan_alloc(elem_size, cap, uid, true);
}
EXPORT_SYMBOL_IF_KUNIT(chan_alloc_ring);

/**
 * chan_get() - take a reference
 * @ch: the channel, on which the caller holds a reference already
 */
void chan_get(struct chan *ch)
{
	refcount_inc(&ch->ref);
}
EXPORT_SYMBOL_IF_KUNIT(chan_get);

/**
 * chan_put() - drop a reference; the last one frees the channel
 * @ch: the channel
 *
 * Frees the buffered elements with it and gives the charge back.  No task
 * can be waiting: waiters hold a file, and files hold references.
 */
void chan_put(struct chan *ch)
{
	if (!refcount_dec_and_test(&ch->ref))
		return;
	WARN_ON_ONCE(!list_empty(&ch->sendq) || !list_empty(&ch->recvq) ||
		     ch->held);
	/* A put-back living in the spare gives it back to ch->spare here. */
	chan_free_msgs(&ch->spill);
	WARN_ON_ONCE(ch->elem_size <= CHAN_SPARE_ELEM && !ch->spare);
	kfree(ch->spare);
	chan_ring_destroy(&ch->ring);
	chan_limits_uncharge(ch->uid, ch->charged);
	kmem_cache_free(chan_cachep, ch);
}
EXPORT_SYMBOL_IF_KUNIT(chan_put);

/**
 * chan_core_init() - set up the channel cache at module load
 *
 * Return: 0, or -ENOMEM.
 */
int chan_core_init(void)
{
	chan_cachep = KMEM_CACHE(chan, SLAB_ACCOUNT);
	return chan_cachep ? 0 : -ENOMEM;
}

/**
 * chan_core_exit() - tear down the channel cache at module unload
 */
void chan_core_exit(void)
{
	kmem_cache_destroy(chan_cachep);
}
