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

static u32 chan_len_locked(const struct chan *ch)
{
	return ch->ring.len + ch->nspill;
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
	/* A select's other cases stay queued until it removes them itself. */
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
 * counterpart that loses skips that waiter (its owner removes it) and
 * tries the next one, so exactly one case of a select proceeds (X2).
 *
 * A select that is queued somewhere and finds a case ready must win
 * itself before it acts.  If the counterpart is a select too, it needs
 * both: it marks itself CHAN_SEL_BUSY, tries the other, and then keeps
 * the claim or drops back to OPEN.  Plain tasks that meet a BUSY select
 * spin until it decides, which is short: a BUSY select holds one channel
 * lock and takes no other.  Two BUSY selects that meet would wait for each
 * other, so only the one at the higher address spins; the lower one backs
 * off (CHAN_CLAIM_YIELD) and looks at all its channels again once queued
 * on them, so neither misses the other.
 */

/*
 * Find the longest-waiting waiter on @q that can still be had and win it.
 * @self is the acting select if it is queued on other channels (so it
 * must win itself first, as case @sidx), else NULL.
 */
static int chan_claim(struct list_head *q, struct chan_sel *self, u32 sidx,
		      struct chan_waiter **wp)
{
	struct chan_waiter *w;
	int old;

	list_for_each_entry(w, q, node) {
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
		if (self && atomic_cmpxchg(&self->state, CHAN_SEL_OPEN,
					   CHAN_SEL_BUSY) != CHAN_SEL_OPEN)
			return CHAN_CLAIM_LOST;
		for (;;) {
			old = atomic_cmpxchg(&w->sel->state, CHAN_SEL_OPEN,
					     w->idx);
			if (old == CHAN_SEL_OPEN) {
				if (self)
					atomic_set(&self->state, sidx);
				*wp = w;
				return CHAN_CLAIM_OK;
			}
			if (old != CHAN_SEL_BUSY)
				break;
			if (self && (unsigned long)w->sel < (unsigned long)self) {
				atomic_set(&self->state, CHAN_SEL_OPEN);
				return CHAN_CLAIM_YIELD;
			}
			cpu_relax();
		}
		/* Won by another case or given up: its owner removes it. */
		if (self)
			atomic_set(&self->state, CHAN_SEL_OPEN);
	}
	return CHAN_CLAIM_NONE;
}

/* Whether @q has a waiter that can still be had. */
static bool chan_queue_live(struct list_head *q)
{
	struct chan_waiter *w;

	int state;

	list_for_each_entry(w, q, node) {
		if (!w->sel)
			return true;
		state = atomic_read(&w->sel->state);
		if (state == CHAN_SEL_OPEN || state == CHAN_SEL_BUSY)
			return true;
	}
	return false;
}

/*
 * Take the oldest buffered element into @dst: put-back elements first,
 * they are older than the ring.  Spill batches that empty go on @dead, to
 * be freed after the lock is dropped.
 */
static void chan_pop_buffer(struct chan *ch, void *dst, struct list_head *dead)
{
	struct chan_msg *msg;

	lockdep_assert_held(&ch->lock);
	msg = list_first_entry_or_null(&ch->spill, struct chan_msg, node);
	if (!msg) {
		chan_ring_pop_head(&ch->ring, dst);
		return;
	}
	memcpy(dst, msg->data + (size_t)msg->first * ch->elem_size,
	       ch->elem_size);
	msg->first++;
	ch->nspill--;
	if (!--msg->count)
		list_move(&msg->node, dead);
}

/*
 * Free slots in the buffer go to blocked senders, longest waiting first,
 * so the buffer keeps the order in which senders came (R3).
 */
static void chan_admit_senders(struct chan *ch, struct chan_wake *wk)
{
	struct chan_waiter *w;

	for (;;) {
		chan_wake_reserve(ch, wk, 1);
		if (chan_len_locked(ch) >= ch->cap ||
		    chan_claim(&ch->sendq, NULL, 0, &w) != CHAN_CLAIM_OK)
			return;
		chan_ring_push_tail(&ch->ring, w->elem);
		ch->nsendq--;
		chan_complete(ch, w, CHAN_W_DONE, wk);
	}
}

/*
 * Give blocked receivers what is there for them, longest waiting first:
 * buffered elements, then blocked senders' ones.  Receivers wait only on an
 * empty channel, so this is needed only where elements or senders come
 * back while receivers wait: after an undo.
 */
static void chan_feed_receivers(struct chan *ch, struct chan_wake *wk,
				struct list_head *dead)
{
	struct chan_waiter *r, *s;

	for (;;) {
		chan_wake_reserve(ch, wk, 2);
		/*
		 * Only a plain sender is sure to be had: check for one before
		 * winning a receiver, which cannot be given back.  The senders
		 * an undo restores are plain and at the head.
		 */
		s = list_first_entry_or_null(&ch->sendq, struct chan_waiter,
					     node);
		if (!chan_len_locked(ch) && (!s || s->sel))
			break;
		if (chan_claim(&ch->recvq, NULL, 0, &r) != CHAN_CLAIM_OK)
			break;
		if (chan_len_locked(ch)) {
			chan_pop_buffer(ch, r->elem, dead);
		} else {
			memcpy(r->elem, s->elem, ch->elem_size);
			ch->nsendq--;
			chan_complete(ch, s, CHAN_W_DONE, wk);
		}
		ch->nrecvq--;
		chan_complete(ch, r, CHAN_W_DONE, wk);
	}
	chan_admit_senders(ch, wk);
}

/*
 * Take the oldest element into @dst for a receive that copies it out after
 * dropping the lock: from the buffer, or from the longest-waiting sender,
 * who stays blocked (CHAN_W_BUSY) until the receive commits or undoes.
 * Senders are not admitted into freed slots before the commit either, so a
 * receive that faults can undo without a trace (L2).
 */
static bool chan_take_one(struct chan *ch, void *dst, struct chan_take *t,
			  struct chan_wake *wk, struct list_head *dead)
{
	struct chan_waiter *w;

	lockdep_assert_held(&ch->lock);
	if (chan_len_locked(ch)) {
		t->admit |= !list_empty(&ch->sendq);
		chan_pop_buffer(ch, dst, dead);
		t->owned++;
		return true;
	}
	/*
	 * One sender per receive at most, the last element taken: the
	 * elements the receive owns stay a prefix of what it took.
	 */
	if (!list_empty(&t->senders) ||
	    chan_claim(&ch->sendq, NULL, 0, &w) != CHAN_CLAIM_OK)
		return false;
	memcpy(dst, w->elem, ch->elem_size);
	ch->nsendq--;
	if (w->sel) {
		/* A select cannot be held back: it is done, the element ours. */
		chan_complete(ch, w, CHAN_W_DONE, wk);
		t->owned++;
		return true;
	}
	list_move_tail(&w->node, &t->senders);
	WRITE_ONCE(w->status, CHAN_W_BUSY);
	return true;
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
 * CPU.  The caller's sleep loop reads @status again either way.
 *
 * Return: true if @status is no longer CHAN_W_WAITING or CHAN_W_BUSY.
 */
bool chan_spin(const int *status)
{
	unsigned int ns = READ_ONCE(chan_spin_ns);
	u64 end;
	int st;

	if (!ns || num_online_cpus() < 2)
		return false;
	end = local_clock() + ns;
	for (;;) {
		st = READ_ONCE(*status);
		if (st != CHAN_W_WAITING && st != CHAN_W_BUSY)
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
	bool expired = false;
	int status;

	chan_spin(&w->status);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		/* Completion first: a completed operation reports success. */
		status = smp_load_acquire(&w->status);
		if (status == CHAN_W_BUSY) {
			set_current_state(TASK_UNINTERRUPTIBLE);
			/*
			 * A receiver holds a copy of our element and is
			 * copying it out: neither a signal nor the deadline
			 * may end the wait before it says whether the element
			 * was taken (B3).  That takes a page fault at most.
			 * Pairs with the completer's smp_store_release().
			 */
			if (smp_load_acquire(&w->status) == CHAN_W_BUSY)
				schedule();
			continue;
		}
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
			if (status == CHAN_W_WAITING)
				return signal_pending(current) ?
					-ERESTARTSYS : -ETIMEDOUT;
			continue;
		}
		expired = chan_sleep(how);
	}
	__set_current_state(TASK_RUNNING);
	return status;
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

	wk.n = 0;
	for (;;) {
		struct chan_waiter *r;
		size_t before = sent;

		spin_lock(&ch->lock);
		if (ch->closed || ch->no_recv) {
			err = -EPIPE;
			goto unlock_stop;
		}
		while (sent < n && !chan_wake_full(&wk)) {
			const u8 *elem = src + sent * ch->elem_size;

			if (chan_claim(&ch->recvq, NULL, 0, &r) ==
			    CHAN_CLAIM_OK) {
				memcpy(r->elem, elem, ch->elem_size);
				ch->nrecvq--;
				chan_complete(ch, r, CHAN_W_DONE, &wk);
			} else if (chan_len_locked(ch) < ch->cap &&
				   !chan_queue_live(&ch->sendq)) {
				/* Free slots are owed to queued senders. */
				chan_ring_push_tail(&ch->ring, elem);
			} else {
				break;
			}
			sent++;
		}
		if (sent == n || chan_wake_full(&wk)) {
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
	u8 *dst = elems;
	LIST_HEAD(dead);
	size_t got = 0;
	int status;

	INIT_LIST_HEAD(&t->senders);
	t->owned = 0;
	t->admit = false;
	wk.n = 0;

	spin_lock(&ch->lock);
	while (got < n && !chan_wake_full(&wk) &&
	       chan_take_one(ch, dst + got * ch->elem_size, t, &wk, &dead))
		got++;
	if (got) {
		spin_unlock(&ch->lock);
		chan_wake_flush(&wk);
		chan_free_msgs(&dead);
		if (t->owned)
			chan_poll_wake(ch, EPOLLOUT | EPOLLWRNORM);
		return got;
	}
	if (ch->closed) {
		spin_unlock(&ch->lock);
		return 0;
	}
	if (how->nonblock || chan_deadline_passed(how)) {
		spin_unlock(&ch->lock);
		return how->nonblock ? -EAGAIN : -ETIMEDOUT;
	}

	w.task = current;
	w.elem = dst;
	w.status = CHAN_W_WAITING;
	list_add_tail(&w.node, &ch->recvq);
	ch->nrecvq++;
	spin_unlock(&ch->lock);
	/* A waiting receiver makes a send ready (P1). */
	chan_poll_wake(ch, EPOLLOUT | EPOLLWRNORM);

	status = chan_wait(ch, &w, &ch->nrecvq, how);
	if (status == CHAN_W_DONE) {
		/* Handed over: the sender is gone, the element is ours. */
		t->owned = 1;
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
 * @tmp: a kernel buffer of @ch->elem_size bytes
 *
 * The common receive finds an element buffered, or a plain sender waiting,
 * and a destination that is mapped.  It then copies the element out under
 * chan.lock with page faults disabled: taking and delivering are one step,
 * with nothing to commit or undo and no check of the destination first.
 * If the page is not there, the element goes back where it was within the
 * same lock hold, so nobody saw it gone, and the caller takes the general
 * path, which may fault.  Meant for small elements: the copy holds the lock.
 *
 * Return: 1 if an element was delivered; -EAGAIN if the general path must
 * decide.
 */
int chan_recv_user(struct chan *ch, void __user *uelem, void *tmp)
{
	struct chan_waiter *w;
	struct chan_wake wk;
	int ret = -EAGAIN;

	wk.n = 0;
	spin_lock(&ch->lock);
	if (ch->nspill)
		goto unlock;
	if (ch->ring.len) {
		chan_ring_pop_head(&ch->ring, tmp);
		if (copy_to_user_nofault(uelem, tmp, ch->elem_size)) {
			chan_ring_push_head(&ch->ring, tmp);
			goto unlock;
		}
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
 * Completes the senders whose elements were taken and gives the slots the
 * receive freed to the senders waiting for them.
 */
void chan_recv_commit(struct chan *ch, struct chan_take *t)
{
	struct chan_waiter *w, *tmp;
	struct chan_wake wk;

	if (list_empty(&t->senders) && !t->admit)
		return;
	wk.n = 0;
	spin_lock(&ch->lock);
	list_for_each_entry_safe(w, tmp, &t->senders, node) {
		chan_wake_reserve(ch, &wk, 1);
		chan_complete(ch, w, CHAN_W_DONE, &wk);
	}
	chan_admit_senders(ch, &wk);
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	chan_poll_wake(ch, EPOLLOUT | EPOLLWRNORM);
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv_commit);

/**
 * chan_recv_undo() - the elements of a receive could not be delivered
 * @ch: the channel
 * @t: what chan_recv_elems() took
 * @msg: the first @t->owned elements received, oldest first, or NULL if
 *	there are none; consumed
 *
 * Everything goes back as it was: the elements in front of the buffer,
 * the senders at the head of the send queue, so nothing is lost and the
 * order is kept (R5, hardening rule 10).  If the channel can no longer
 * take sends, those senders fail with EPIPE instead, as they would have
 * (K2, K5).  Never fails: the elements either fit back into the buffer or
 * stay in @msg, which joins the channel.
 */
void chan_recv_undo(struct chan *ch, struct chan_take *t,
		    struct chan_msg *msg)
{
	const size_t esz = ch->elem_size;
	struct chan_waiter *w, *tmp;
	struct chan_wake wk;
	LIST_HEAD(dead);
	u32 i;

	wk.n = 0;
	spin_lock(&ch->lock);
	if (ch->closed || ch->no_recv) {
		list_for_each_entry_safe(w, tmp, &t->senders, node) {
			chan_wake_reserve(ch, &wk, 1);
			chan_complete(ch, w, CHAN_W_CLOSED, &wk);
		}
	} else {
		list_for_each_entry(w, &t->senders, node) {
			ch->nsendq++;
			WRITE_ONCE(w->status, CHAN_W_WAITING);
			/*
			 * It may sleep uninterruptibly with a signal or a
			 * deadline pending: wake it to look again.  It cannot
			 * leave while we hold the lock, so no task reference
			 * is needed; this path runs only on a fault.
			 */
			wake_up_process(w->task);
		}
		list_splice(&t->senders, &ch->sendq);
	}
	INIT_LIST_HEAD(&t->senders);

	if (msg && !ch->nspill && chan_ring_room(&ch->ring) >= msg->count) {
		for (i = msg->count; i-- > 0;)
			chan_ring_push_head(&ch->ring,
					    msg->data + (msg->first + i) * esz);
		list_add(&msg->node, &dead);
	} else if (msg) {
		list_add(&msg->node, &ch->spill);
		ch->nspill += msg->count;
	}
	/* Receivers that came while the elements were out are owed them. */
	chan_feed_receivers(ch, &wk, &dead);
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	chan_free_msgs(&dead);
	chan_poll_wake(ch, EPOLLIN | EPOLLRDNORM);
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv_undo);

/**
 * chan_msg_alloc() - room for elements a receiver holds
 * @ch: the channel the elements come from
 * @n: number of elements
 * @gfp: allocation flags (CHAN_GFP, or with __GFP_NOFAIL for a put-back);
 *	charged to the caller's memory cgroup
 *
 * Return: a chan_msg with @count set to @n, or NULL.
 */
struct chan_msg *chan_msg_alloc(struct chan *ch, size_t n, gfp_t gfp)
{
	struct chan_msg *msg;
	size_t bytes;

	if (check_mul_overflow(n, (size_t)ch->elem_size, &bytes))
		return NULL;
	msg = kvmalloc(struct_size(msg, data, bytes), gfp | __GFP_ACCOUNT);
	if (msg) {
		msg->first = 0;
		msg->count = n;
	}
	return msg;
}
EXPORT_SYMBOL_IF_KUNIT(chan_msg_alloc);

/**
 * chan_msg_free() - free a chan_msg
 * @msg: the message, or NULL
 */
void chan_msg_free(struct chan_msg *msg)
{
	kvfree(msg);
}
EXPORT_SYMBOL_IF_KUNIT(chan_msg_free);

/*
 * Let select case @w proceed if its channel is ready.  @queued: the select
 * is queued on some channel already, so it must win itself first.  On
 * CHAN_CASE_DONE the select's state names the case and its status says
 * whether it moved an element or found the channel closed (X5).
 */
static int chan_case_act(struct chan *ch, struct chan_waiter *w, bool queued,
			 struct chan_wake *wk, struct list_head *dead)
{
	struct chan_sel *self = queued ? w->sel : NULL;
	struct chan_waiter *peer;
	int rc, status;

	lockdep_assert_held(&ch->lock);
	if (w->send) {
		if (ch->closed || ch->no_recv) {
			status = CHAN_W_CLOSED;
			goto win_self;
		}
		rc = chan_claim(&ch->recvq, self, w->idx, &peer);
		if (rc == CHAN_CLAIM_OK) {
			memcpy(peer->elem, w->elem, ch->elem_size);
			ch->nrecvq--;
			chan_complete(ch, peer, CHAN_W_DONE, wk);
			status = CHAN_W_DONE;
			goto won;
		}
		if (rc != CHAN_CLAIM_NONE)
			goto lost;
		if (chan_len_locked(ch) < ch->cap &&
		    !chan_queue_live(&ch->sendq)) {
			if (self && atomic_cmpxchg(&self->state, CHAN_SEL_OPEN,
						   w->idx) != CHAN_SEL_OPEN)
				return CHAN_CASE_LOST;
			chan_ring_push_tail(&ch->ring, w->elem);
			status = CHAN_W_DONE;
			goto won;
		}
		return CHAN_CASE_NOT_READY;
	}

	if (chan_len_locked(ch)) {
		if (self && atomic_cmpxchg(&self->state, CHAN_SEL_OPEN,
					   w->idx) != CHAN_SEL_OPEN)
			return CHAN_CASE_LOST;
		chan_pop_buffer(ch, w->elem, dead);
		chan_admit_senders(ch, wk);
		status = CHAN_W_DONE;
		goto won;
	}
	rc = chan_claim(&ch->sendq, self, w->idx, &peer);
	if (rc == CHAN_CLAIM_OK) {
		memcpy(w->elem, peer->elem, ch->elem_size);
		ch->nsendq--;
		chan_complete(ch, peer, CHAN_W_DONE, wk);
		status = CHAN_W_DONE;
		goto won;
	}
	if (rc != CHAN_CLAIM_NONE)
		goto lost;
	if (!ch->closed)
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
				 ch->ring.len + ch->nspill < ch->cap);
	}
	/* Unlocked on purpose, as above. */
	return data_race(ch->closed || ch->ring.len || ch->nspill ||
			 ch->nsendq);
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
		if (chan_claim(&ch->sendq, NULL, 0, &w) == CHAN_CLAIM_OK) {
			ch->nsendq--;
		} else if (receivers &&
			   chan_claim(&ch->recvq, NULL, 0, &w) == CHAN_CLAIM_OK) {
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
	chan_end_waiters(ch, true);
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
	if (close || orphan)
		chan_end_waiters(ch, close);
	else
		spin_unlock(&ch->lock);
}
EXPORT_SYMBOL_IF_KUNIT(chan_release_fd);

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
	size_t charge = sizeof(struct chan) + (size_t)elem_size * cap;
	struct chan *ch;
	int err;

	err = chan_limits_check(elem_size, cap);
	if (err)
		return ERR_PTR(err);
	err = chan_limits_charge(uid, charge);
	if (err)
		return ERR_PTR(err);

	ch = kmem_cache_zalloc(chan_cachep, CHAN_GFP);
	if (!ch) {
		err = -ENOMEM;
		goto uncharge;
	}
	err = chan_ring_init(&ch->ring, elem_size, cap);
	if (err)
		goto free_chan;

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

free_chan:
	kmem_cache_free(chan_cachep, ch);
uncharge:
	chan_limits_uncharge(uid, charge);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_IF_KUNIT(chan_alloc);

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
	WARN_ON_ONCE(!list_empty(&ch->sendq) || !list_empty(&ch->recvq));
	chan_free_msgs(&ch->spill);
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
