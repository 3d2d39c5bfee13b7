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
#include <linux/pagemap.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/chan.h>

#include "chan_core.h"
#include "chan_file.h"
#include "chan_select.h"

/**
 * struct chan_sel_case - a case of a select, in the kernel
 * @file: the channel fd's file, held for the call; NULL for a nil case
 * @ch: its channel
 * @w: the waiter queued on @ch; @w.elem points into the call's arena
 * @uelem: the user's element
 * @queued: @w went on @ch's queue
 */
struct chan_sel_case {
	struct file *file;
	struct chan *ch;
	struct chan_waiter w;
	void __user *uelem;
	bool queued;
};

/**
 * struct chan_sel_call - one CHAN_IOC_SELECT call
 * @k: the cases
 * @order: the order to visit them in, shuffled for each call (X3)
 * @arena: every case's element, one allocation for the whole call
 * @n: number of cases
 */
struct chan_sel_call {
	struct chan_sel_case *k;
	u32 *order;
	u8 *arena;
	u32 n;
};

static void chan_select_put(struct chan_sel_call *c)
{
	u32 i;

	for (i = 0; c->k && i < c->n; i++)
		if (c->k[i].file)
			fput(c->k[i].file);
	kvfree(c->arena);
	kvfree(c->order);
	kvfree(c->k);
}

/* Elements sit in the arena at 8-byte aligned offsets. */
static size_t chan_sel_slot(const struct chan *ch)
{
	return ALIGN(ch->elem_size, 8);
}

/*
 * Check every case and copy every element in before anything moves: a bad
 * case fails the whole call with no effect (X1, hardening rule 14).
 */
static int chan_select_prepare(struct chan_sel_call *c,
			       const struct chan_select_case *uc,
			       struct chan_sel *sel)
{
	size_t bytes = 0, off = 0;
	u32 i, j;

	for (i = 0; i < c->n; i++) {
		struct chan_sel_case *kc = &c->k[i];
		struct chan *ch;

		if ((uc[i].op != CHAN_SELECT_SEND &&
		     uc[i].op != CHAN_SELECT_RECV) || uc[i].reserved)
			return -EINVAL;
		INIT_LIST_HEAD(&kc->w.node);
		kc->w.task = current;
		kc->w.sel = sel;
		kc->w.idx = i;
		kc->w.send = uc[i].op == CHAN_SELECT_SEND;
		kc->uelem = u64_to_user_ptr(uc[i].elem);
		/* A negative fd is Go's nil channel: never ready (X1). */
		if ((s32)uc[i].fd < 0)
			continue;

		kc->file = fget(uc[i].fd);
		if (!kc->file)
			return -EBADF;
		ch = chan_file_chan(kc->file);
		if (!ch || !(kc->file->f_mode & (kc->w.send ? FMODE_WRITE :
							       FMODE_READ)))
			return -EBADF;
		kc->ch = ch;
		/* At most CHAN_SELECT_MAX * 64 KiB: no overflow. */
		bytes += chan_sel_slot(ch);
	}

	if (bytes) {
		c->arena = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
		if (!c->arena)
			return -ENOMEM;
	}
	for (i = 0; i < c->n; i++) {
		struct chan_sel_case *kc = &c->k[i];

		if (!kc->ch)
			continue;
		kc->w.elem = c->arena + off;
		off += chan_sel_slot(kc->ch);
		if (kc->w.send) {
			if (copy_from_user(kc->w.elem, kc->uelem,
					   kc->ch->elem_size))
				return -EFAULT;
		} else if (fault_in_safe_writeable(kc->uelem,
						   kc->ch->elem_size)) {
			return -EFAULT;
		}
	}

	/* A uniform random order (Fisher-Yates), so ready cases are equal. */
	for (i = 0; i < c->n; i++) {
		j = get_random_u32_below(i + 1);
		c->order[i] = c->order[j];
		c->order[j] = i;
	}
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
	int rc;

	/* 1: a case that is ready now, in random order (X3). */
	for (j = 0; j < n; j++) {
		i = c->order[j];
		if (!k[i].ch)
			continue;
		live++;
		if (chan_case_try(k[i].ch, &k[i].w, false, false) ==
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
	for (j = 0; j < n; j++) {
		i = c->order[j];
		if (!k[i].ch)
			continue;
		rc = chan_case_try(k[i].ch, &k[i].w, queued, true);
		if (rc == CHAN_CASE_NOT_READY || rc == CHAN_CASE_YIELD) {
			k[i].queued = true;
			queued = true;
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
	if (rc < 0)
		return rc;
	return atomic_read(&sel->state);
}

/**
 * chan_ioctl_select() - CHAN_IOC_SELECT, on /dev/chan or a channel fd
 * @uarg: the user's struct chan_select
 *
 * Return: the index of the case that proceeded; -EAGAIN (a zero timeout,
 * nothing ready), -ETIMEDOUT, -ERESTARTSYS, -EBADF (a case's fd is not a
 * channel, or its mode forbids the case), -EINVAL, -EFAULT, -ENOMEM.
 */
long chan_ioctl_select(struct chan_select __user *uarg)
{
	const u32 both = CHAN_XFER_NONBLOCK | CHAN_XFER_DEADLINE;
	struct chan_sel_call c = {};
	struct chan_select_case *uc;
	struct chan_select s;
	struct chan_sel sel;
	struct chan_how how;
	struct chan_take t;
	struct chan_sel_case *kc;
	struct chan_msg *msg;
	long ret;

	if (copy_from_user(&s, uarg, sizeof(s)))
		return -EFAULT;
	if (!s.ncases || s.ncases > CHAN_SELECT_MAX || (s.flags & ~both) ||
	    (s.flags & both) == both || s.reserved)
		return -EINVAL;
	how.nonblock = s.flags & CHAN_XFER_NONBLOCK;
	how.timed = s.flags & CHAN_XFER_DEADLINE;
	how.deadline = ns_to_ktime(min_t(u64, s.deadline_ns, KTIME_MAX));

	uc = vmemdup_user(u64_to_user_ptr(s.cases),
			  array_size(s.ncases, sizeof(*uc)));
	if (IS_ERR(uc))
		return PTR_ERR(uc);
	c.n = s.ncases;
	c.k = kvcalloc(c.n, sizeof(*c.k), GFP_KERNEL_ACCOUNT);
	c.order = kvmalloc_array(c.n, sizeof(*c.order), GFP_KERNEL_ACCOUNT);
	if (!c.k || !c.order) {
		ret = -ENOMEM;
		goto put_cases;
	}
	atomic_set(&sel.state, CHAN_SEL_OPEN);
	sel.status = CHAN_W_WAITING;
	sel.task = current;
	ret = chan_select_prepare(&c, uc, &sel);
	if (ret)
		goto put_cases;
	/* The answer must have somewhere to go before anything moves. */
	if (fault_in_safe_writeable((void __user *)uarg, sizeof(*uarg))) {
		ret = -EFAULT;
		goto put_cases;
	}

	ret = chan_select_run(&c, &how, &sel);
	if (ret < 0)
		goto put_cases;
	kc = &c.k[ret];
	s.index = ret;
	s.ok = sel.status == CHAN_W_DONE;
	if (!kc->w.send && s.ok &&
	    copy_to_user(kc->uelem, kc->w.elem, kc->ch->elem_size)) {
		/*
		 * The element left its channel: it goes back in front (R5).
		 * Its home must not fail to come, or the element is lost.
		 */
		msg = chan_msg_alloc(kc->ch, 1, GFP_KERNEL | __GFP_NOFAIL);
		memcpy(msg->data, kc->w.elem, kc->ch->elem_size);
		INIT_LIST_HEAD(&t.senders);
		t.owned = 1;
		t.admit = false;
		chan_recv_undo(kc->ch, &t, msg);
		ret = -EFAULT;
		goto put_cases;
	}
	if (copy_to_user(uarg, &s, sizeof(s)))
		ret = -EFAULT;

put_cases:
	chan_select_put(&c);
	kvfree(uc);
	return ret;
}
