// SPDX-License-Identifier: GPL-2.0
/*
 * Select: one system call that waits on many channels and lets exactly one
 * case proceed (X1-X7).
 *
 * Go locks every channel of a select at once; a kernel cannot hold 1024
 * spinlocks (lockdep tracks 48) and should not spin on them.  Instead the
 * select visits its channels one lock at a time:
 *
 * 1. In an order shuffled for each call (X3), it takes the first case
 *    that is ready.  It is queued nowhere, so nothing can race with it.
 * 2. Otherwise it queues a waiter on every channel, each under that
 *    channel's lock together with a second look at the case, so a
 *    counterpart that arrives in between is seen either by that look or
 *    finds the waiter (X6).  From the first waiter on, whoever acts on the
 *    select must win its one state first (see DOC: select claims in
 *    chan_core.c), the select itself included, so one case proceeds (X2).
 * 3. It sleeps until a case won, a signal or the deadline, then takes its
 *    waiters off every queue.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/percpu.h>
#include <linux/prandom.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/chan.h>

#include "chan_core.h"
#include "chan_file.h"
#include "chan_select.h"
#include "chan_trace.h"
#include "chan_uaccess.h"

/* Elements up to this size travel inside their case: no arena needed. */
#define CHAN_SEL_INLINE	16

/* Cases copied in from the user at a time, on the stack. */
#define CHAN_SEL_CHUNK	8

/* Most selects have a few cases: these many live on the stack. */
#define CHAN_SEL_STACK	4

/**
 * struct chan_sel_case - a case of a select, in the kernel
 * @f: the channel fd, held for the call; no file for a nil case
 * @ch: its channel
 * @w: the waiter queued on @ch; @w.elem points to @inl or into the arena
 *	for a send, into the call's receive home for a receive
 * @uelem: the user's element
 * @queued: @w went on @ch's queue
 * @inl: the element, when it is small
 */
struct chan_sel_case {
	struct fd f;
	struct chan *ch;
	struct chan_waiter w;
	void __user *uelem;
	bool queued;
	u8 inl[CHAN_SEL_INLINE] __aligned(8);
};

/**
 * struct chan_sel_call - one CHAN_IOC_SELECT call
 * @k: the cases, followed by @order in the same allocation
 * @order: the order to visit them in, shuffled for each call (X3)
 * @arena: the elements of send cases too big for their case, one
 *	allocation for them all
 * @home: where every receive case's element lands: only the case that wins
 *	ever gets one (X2), so one element of the largest size is enough, and
 *	it is the element's home if it must go back (L5)
 * @k_charge: what @k costs the caller's budget, when allocated
 * @arena_charge: what @arena costs the caller's budget
 * @n: number of cases
 * @k_on_stack: @k and @order are the caller's, not allocated
 *
 * Everything the call allocates is charged to the caller's budget and
 * memory cgroup before anything moves (L5).
 */
struct chan_sel_call {
	struct chan_sel_case *k;
	u32 *order;
	u8 *arena;
	struct chan_msg *home;
	struct chan_charge k_charge;
	struct chan_charge arena_charge;
	u32 n;
	bool k_on_stack;
};

/*
 * The shuffle's random numbers.  get_random_u32() for each case would cost
 * more than the rest of a small select; a per-CPU generator seeded from
 * the CRNG is uniform enough for a fair choice and cannot be steered by
 * the user, who never sees its output directly.
 */
static DEFINE_PER_CPU(struct rnd_state, chan_sel_rnd);

/**
 * chan_select_init() - seed the select's random order
 */
void chan_select_init(void)
{
	prandom_seed_full_state(&chan_sel_rnd);
}

static void chan_select_put(struct chan_sel_call *c)
{
	u32 i;

	for (i = 0; c->k && i < c->n; i++)
		fdput(c->k[i].f);
	chan_buf_free(c->arena, &c->arena_charge);
	chan_msg_free(c->home);
	if (!c->k_on_stack)
		chan_buf_free(c->k, &c->k_charge);
}

/* Send elements sit in the arena at 8-byte aligned offsets. */
static size_t chan_sel_slot(const struct chan_sel_case *kc)
{
	return kc->w.send && kc->ch->elem_size > CHAN_SEL_INLINE ?
	       ALIGN(kc->ch->elem_size, 8) : 0;
}

/* A uniform random order (Fisher-Yates), so ready cases are equal (X3). */
static void chan_select_shuffle(struct chan_sel_call *c)
{
	struct rnd_state *rnd = get_cpu_ptr(&chan_sel_rnd);
	u32 i, j;

	for (i = 0; i < c->n; i++) {
		/* Below i + 1; the bias, under 2^-20, cannot be seen. */
		j = ((u64)prandom_u32_state(rnd) * (i + 1)) >> 32;
		c->order[i] = c->order[j];
		c->order[j] = i;
	}
	put_cpu_ptr(&chan_sel_rnd);
}

/* Take the fd of case @i and check it against its operation (X1). */
static int chan_select_case_in(struct chan_sel_case *kc,
			       const struct chan_select_case *uc, u32 i,
			       struct chan_sel *sel)
{
	if ((uc->op != CHAN_SELECT_SEND && uc->op != CHAN_SELECT_RECV) ||
	    uc->reserved)
		return -EINVAL;
	INIT_LIST_HEAD(&kc->w.node);
	kc->w.task = current;
	kc->w.sel = sel;
	kc->w.idx = i;
	kc->w.send = uc->op == CHAN_SELECT_SEND;
	kc->uelem = u64_to_user_ptr(uc->elem);
	/* A negative fd is Go's nil channel: never ready (X1). */
	if ((s32)uc->fd < 0)
		return 0;

	/*
	 * fdget(): a borrowed reference when no other thread shares the fd
	 * table, which then cannot change before the call returns.
	 */
	kc->f = fdget(uc->fd);
	if (!fd_file(kc->f))
		return -EBADF;
	kc->ch = chan_file_chan(fd_file(kc->f));
	if (!kc->ch || !(fd_file(kc->f)->f_mode & (kc->w.send ? FMODE_WRITE :
							      FMODE_READ)))
		return -EBADF;
	return 0;
}

/*
 * Check every case and copy every element in before anything moves: a bad
 * case fails the whole call with no effect (X1, hardening rule 14).
 */
static int chan_select_prepare(struct chan_sel_call *c,
			       const struct chan_select_case __user *ucases,
			       struct chan_sel *sel)
{
	struct chan_user_span span = CHAN_USER_SPAN_EMPTY;
	struct chan_select_case uc[CHAN_SEL_CHUNK];
	struct chan *widest = NULL;
	size_t bytes = 0, off = 0;
	u32 i, m;
	int err;

	for (i = 0; i < c->n; i++) {
		struct chan_sel_case *kc = &c->k[i];

		if (i % CHAN_SEL_CHUNK == 0) {
			m = min_t(u32, c->n - i, CHAN_SEL_CHUNK);
			if (copy_from_user(uc, ucases + i, m * sizeof(*uc)))
				return -EFAULT;
		}
		err = chan_select_case_in(kc, &uc[i % CHAN_SEL_CHUNK], i, sel);
		if (err)
			return err;
		if (!kc->ch)
			continue;
		/* At most CHAN_SELECT_MAX * 64 KiB: no overflow. */
		bytes += chan_sel_slot(kc);
		if (!kc->w.send &&
		    (!widest || kc->ch->elem_size > widest->elem_size))
			widest = kc->ch;
	}

	if (bytes) {
		c->arena = chan_buf_alloc(bytes, &c->arena_charge);
		if (IS_ERR(c->arena)) {
			err = PTR_ERR(c->arena);
			c->arena = NULL;
			return err;
		}
	}
	if (widest) {
		c->home = chan_msg_alloc(widest, 1);
		if (IS_ERR(c->home)) {
			err = PTR_ERR(c->home);
			c->home = NULL;
			return err;
		}
	}
	for (i = 0; i < c->n; i++) {
		struct chan_sel_case *kc = &c->k[i];

		if (!kc->ch)
			continue;
		if (!kc->w.send) {
			kc->w.elem = c->home->data;
			if (chan_user_writable_in(&span, kc->uelem,
						  kc->ch->elem_size))
				return -EFAULT;
			continue;
		}
		kc->w.elem = kc->inl;
		if (chan_sel_slot(kc)) {
			kc->w.elem = c->arena + off;
			off += chan_sel_slot(kc);
		}
		if (copy_from_user(kc->w.elem, kc->uelem, kc->ch->elem_size))
			return -EFAULT;
	}
	chan_select_shuffle(c);
	return 0;
}

/*
 * Sleep until a case won, or give up on a signal or the deadline.  A case
 * that won is seen through, even after a signal: its counterpart has moved
 * the element already, or is about to under its channel's lock (B3).
 */
static int chan_select_wait(struct chan_sel *sel, const struct chan_how *how)
{
	bool expired = false;
	int status;

	chan_spin(&sel->status);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		/* Pairs with smp_store_release() in chan_complete(). */
		status = smp_load_acquire(&sel->status);
		if (status != CHAN_W_WAITING)
			break;
		if (atomic_read(&sel->state) >= 0) {
			set_current_state(TASK_UNINTERRUPTIBLE);
			/*
			 * Won: the winner is about to store the status, and
			 * the select may not give up now (B3).  Pairs with
			 * smp_store_release() in chan_complete().
			 */
			if (smp_load_acquire(&sel->status) == CHAN_W_WAITING)
				schedule();
			continue;
		}
		if (signal_pending(current) || expired) {
			if (atomic_cmpxchg(&sel->state, CHAN_SEL_OPEN,
					   CHAN_SEL_CANCELLED) == CHAN_SEL_OPEN) {
				__set_current_state(TASK_RUNNING);
				return signal_pending(current) ?
					-ERESTARTSYS : -ETIMEDOUT;
			}
			continue;
		}
		expired = chan_sleep(how);
	}
	__set_current_state(TASK_RUNNING);
	return status;
}

/* Without any channel, a select only waits: Go's select {} with nil cases. */
static int chan_select_nothing(const struct chan_how *how)
{
	if (how->nonblock)
		return -EAGAIN;
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (signal_pending(current)) {
			__set_current_state(TASK_RUNNING);
			return -ERESTARTSYS;
		}
		if (chan_sleep(how))
			return -ETIMEDOUT;
	}
}

/* Returns the index of the case that proceeded, or a negative errno. */
static int chan_select_run(struct chan_sel_call *c,
			   const struct chan_how *how, struct chan_sel *sel)
{
	struct chan_sel_case *k = c->k;
	u32 n = c->n, i, j, live = 0;
	bool queued = false, rescan = false;
	u64 since, t0;
	int rc;

	/* 1: a case that is ready now, in random order (X3). */
	for (j = 0; j < n; j++) {
		i = c->order[j];
		if (!k[i].ch)
			continue;
		live++;
		if (chan_case_maybe_ready(k[i].ch, k[i].w.send) &&
		    chan_case_try(k[i].ch, &k[i].w, false, false) ==
		    CHAN_CASE_DONE)
			return i;
	}
	if (!live)
		return chan_select_nothing(how);
	if (how->nonblock)
		return -EAGAIN;
	if (how->timed && ktime_compare(ktime_get(), how->deadline) >= 0)
		return -ETIMEDOUT;

	/* 2: wait on every channel at once (X6). */
	since = ktime_get_coarse_ns();
	t0 = trace_chan_wake_enabled() ? ktime_get_ns() : 0;
	for (j = 0; j < n; j++) {
		i = c->order[j];
		if (!k[i].ch)
			continue;
		/* For fdinfo (O2), before the waiter can be seen. */
		k[i].w.timed = how->timed;
		k[i].w.since = since;
		rc = chan_case_try(k[i].ch, &k[i].w, queued, true);
		if (rc == CHAN_CASE_NOT_READY || rc == CHAN_CASE_YIELD) {
			k[i].queued = true;
			queued = true;
			trace_chan_block(k[i].ch->id, chan_waiter_op(&k[i].w),
					 how->timed);
		}
		if (rc == CHAN_CASE_YIELD)
			rescan = true;
		if (rc == CHAN_CASE_DONE || rc == CHAN_CASE_LOST)
			goto wait;
	}
	/*
	 * A select backed off from another one that it would otherwise
	 * miss: look at every channel again until none says so.
	 */
	while (rescan) {
		rescan = false;
		for (j = 0; j < n; j++) {
			i = c->order[j];
			if (!k[i].queued)
				continue;
			rc = chan_case_try(k[i].ch, &k[i].w, true, false);
			if (rc == CHAN_CASE_YIELD)
				rescan = true;
			if (rc == CHAN_CASE_DONE || rc == CHAN_CASE_LOST)
				goto wait;
		}
	}

wait:
	rc = chan_select_wait(sel, how);
	for (i = 0; i < n; i++)
		if (k[i].queued)
			chan_case_unqueue(k[i].ch, &k[i].w);
	if (rc < 0) {
		trace_chan_wake(0, CHAN_OP_SELECT, t0, rc);
		return rc;
	}
	i = atomic_read(&sel->state);
	trace_chan_wake(k[i].ch->id, chan_waiter_op(&k[i].w), t0, rc);
	return i;
}

/*
 * The answer's two words, written with one store where the uapi puts them
 * side by side in one aligned u64: a fault leaves both as they were.
 */
static int chan_select_answer(struct chan_select __user *uarg, u32 index,
			      u32 ok)
{
	struct {
		u32 index;
		u32 ok;
	} ans = { index, ok };
	u64 word;

	BUILD_BUG_ON(offsetof(struct chan_select, ok) !=
		     offsetof(struct chan_select, index) + sizeof(u32));
	BUILD_BUG_ON(offsetof(struct chan_select, index) % sizeof(u64));
	memcpy(&word, &ans, sizeof(word));
	return put_user(word, (u64 __user *)&uarg->index);
}

/*
 * Deliver what the winning case @kc did: store a received element, then
 * the answer.  A receive that cannot be delivered goes back in front of
 * its channel (R5); a send that went through cannot be taken back (uapi).
 */
static long chan_select_finish(struct chan_sel_call *c,
			       struct chan_select __user *uarg, u32 idx,
			       bool ok)
{
	struct chan_sel_case *kc = &c->k[idx];
	struct chan_take t = {
		.seq = kc->w.seq,
		.count = 1,
		.held = kc->w.held,
	};

	if (kc->w.send || !ok) {
		if (chan_select_answer(uarg, idx, ok) && !(kc->w.send && ok))
			return -EFAULT;
		return idx;
	}
	/*
	 * Both destinations were checked before anything moved; only a
	 * racing munmap (or an injected fault) makes them fail now.
	 */
	if (copy_to_user(kc->uelem, kc->w.elem, kc->ch->elem_size) ||
	    chan_select_answer(uarg, idx, ok)) {
		/* The home, charged to the caller, joins the channel. */
		chan_recv_undo(kc->ch, &t, c->home);
		c->home = NULL;
		return -EFAULT;
	}
	chan_recv_commit(kc->ch, &t);
	return idx;
}

/**
 * chan_ioctl_select() - CHAN_IOC_SELECT, on /dev/chan or a channel fd
 * @uarg: the user's struct chan_select
 *
 * Return: the index of the case that proceeded; -EAGAIN (a zero timeout,
 * nothing ready), -ETIMEDOUT, -ERESTARTSYS, -EBADF (a case's fd is not a
 * channel, or its mode forbids the case), -EINVAL, -EFAULT, -ENOMEM,
 * -EMFILE (what the call must hold is over the caller's budget).  On an
 * error @uarg's index and ok are not written.
 */
long chan_ioctl_select(struct chan_select __user *uarg)
{
	const u32 both = CHAN_XFER_NONBLOCK | CHAN_XFER_DEADLINE;
	struct chan_sel_case stack_k[CHAN_SEL_STACK];
	u32 stack_order[CHAN_SEL_STACK];
	struct chan_sel_call c = {};
	struct chan_select s;
	struct chan_sel sel;
	struct chan_how how;
	long ret;

	if (copy_from_user(&s, uarg, sizeof(s)))
		return -EFAULT;
	if (!s.ncases || s.ncases > CHAN_SELECT_MAX || (s.flags & ~both) ||
	    (s.flags & both) == both || s.reserved)
		return -EINVAL;
	how.nonblock = s.flags & CHAN_XFER_NONBLOCK;
	how.timed = s.flags & CHAN_XFER_DEADLINE;
	how.deadline = ns_to_ktime(min_t(u64, s.deadline_ns, KTIME_MAX));

	/* The cases and their order: on the stack, or one allocation. */
	c.n = s.ncases;
	if (c.n <= CHAN_SEL_STACK) {
		memset(stack_k, 0, c.n * sizeof(*stack_k));
		c.k = stack_k;
		c.order = stack_order;
		c.k_on_stack = true;
	} else {
		c.k = chan_buf_alloc(array_size(c.n, sizeof(*c.k) +
						sizeof(*c.order)),
				     &c.k_charge);
		if (IS_ERR(c.k))
			return PTR_ERR(c.k);
		memset(c.k, 0, array_size(c.n, sizeof(*c.k)));
		c.order = (u32 *)(c.k + c.n);
	}
	atomic_set(&sel.state, CHAN_SEL_OPEN);
	sel.status = CHAN_W_WAITING;
	sel.task = current;
	ret = chan_select_prepare(&c, u64_to_user_ptr(s.cases), &sel);
	if (ret)
		goto put_cases;
	/*
	 * The answer must have somewhere to go before anything moves: write
	 * back now what was read, which changes nothing the caller can tell.
	 */
	if (chan_select_answer(uarg, s.index, s.ok)) {
		ret = -EFAULT;
		goto put_cases;
	}

	ret = chan_select_run(&c, &how, &sel);
	if (ret >= 0) {
		trace_chan_select(c.k[ret].ch->id, c.n, ret,
				  chan_waiter_op(&c.k[ret].w),
				  sel.status == CHAN_W_DONE);
		ret = chan_select_finish(&c, uarg, ret,
					 sel.status == CHAN_W_DONE);
	}

put_cases:
	chan_select_put(&c);
	return ret;
}
