// SPDX-License-Identifier: GPL-2.0
/*
 * Select sets: cases registered once and waited on many times, at a cost
 * that grows with the cases that are ready, not the cases registered
 * (S1-S5).
 */
#include <linux/anon_inodes.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <linux/chan.h>

#include "chan_core.h"
#include "chan_file.h"
#include "chan_set.h"
#include "chan_uaccess.h"

/**
 * DOC: select sets
 *
 * A set is an anonymous-inode file whose private_data is a struct chan_set.
 * Each registered case, a struct chan_set_item, holds a reference on its
 * channel until it is removed or the set is released (S1), counts as a
 * file that may do its operation (so a channel whose fds are closed keeps
 * the set's case as a sender or receiver, K5), and sits on its
 * channel's chan.poll_wq with a wait-queue entry of its own, as an epoll
 * item does (fs/eventpoll.c).  Whatever makes a channel ready wakes that
 * queue after dropping chan.lock; the entry's wake function,
 * chan_set_wake(), puts the case on the set's ready list and wakes one
 * waiter of the set.  The channel code knows nothing of sets.
 *
 * Locks.  chan_set.lock, taken with interrupts off, guards the ready list
 * and every item's @ready link and @dead flag.  It nests inside the
 * channel's poll_wq lock (the wake function runs under that) and outside
 * chan_set.wq's lock, and nothing sleeps under it.  It is never held
 * together with a chan.lock: a wait picks a case under it, drops it, and
 * only then takes the channel's lock.  chan_set.mutex serialises add,
 * delete and release: the id table (chan_set.cases) and the entries on
 * the channels' poll queues change only under it.  It is taken with no
 * other lock held and never by a wake-up.
 *
 * The life of a case on the ready list.  The wake function adds it at the
 * tail unless it is there already or dead.  A wait pops it off the head,
 * so no other wait can get it (S5), holds a reference on it, and looks at
 * it: first without a lock (chan_case_maybe_ready()), then under its
 * channel's lock with the single-case machinery of a select that is queued
 * nowhere (chan_case_try()), which is exactly once by construction (S2,
 * X2).  A case found not ready is dropped: it cost this one look (L6), and
 * any wake-up after the pop puts it back, so none is lost.  A case that
 * proceeded goes back at the tail, behind the other ready cases, so ready
 * cases take turns (S4); if it is no longer ready, the next wait pays one
 * look for it.  A removed case is marked dead under chan_set.lock and
 * never goes back on the list; a wait that already popped it may still
 * complete it, as a wait that started a moment earlier would have.
 *
 * So a wait looks only at cases whose channel woke since their last look:
 * its cost grows with the ready cases, not the registered ones (S3).
 */

/* Elements up to this size are sent from the stack. */
#define CHAN_SET_STACK_ELEM	256

/**
 * struct chan_set - a select set
 * @lock: guards @ready and every item's @ready and @dead
 * @ready: items whose channel may be ready, oldest wake-up first
 * @wq: set waiters (exclusive) and pollers of the set fd
 * @mutex: serialises add, delete and release
 * @cases: id -> struct chan_set_item, each holding one reference
 * @charge: what the set costs its maker's budget (L5)
 */
struct chan_set {
	spinlock_t lock;		/* see DOC: select sets */
	struct list_head ready;
	wait_queue_head_t wq;
	struct mutex mutex;		/* see DOC: select sets */
	struct xarray cases;
	struct chan_charge charge;
};

/**
 * struct chan_set_item - a registered case; it counts as a file of
 *	its channel that may do its operation (K5), until its last reference
 * @wait: on @ch's poll_wq while registered
 * @ready: on chan_set.ready, or empty
 * @set: the set
 * @ch: the channel; the item holds a reference
 * @uelem: the user's element
 * @ref: one for the id table, one per wait looking at the item
 * @id: the case's id
 * @send: the case sends (else it receives)
 * @dead: removed: never again on the ready list
 * @charge: what the item costs its registrant's budget (L5)
 */
struct chan_set_item {
	wait_queue_entry_t wait;
	struct list_head ready;
	struct chan_set *set;
	struct chan *ch;
	void __user *uelem;
	refcount_t ref;
	u32 id;
	bool send;
	bool dead;
	struct chan_charge charge;
};

static void chan_set_item_put(struct chan_set_item *c)
{
	if (!refcount_dec_and_test(&c->ref))
		return;
	/* Counted as a file of its mode until now (K5). */
	chan_release_fd(c->ch, c->send, !c->send);
	chan_put(c->ch);
	chan_buf_free(c, &c->charge);
}

/* Put @c at the tail of the ready list; whether it went on. */
static bool chan_set_queue(struct chan_set *set, struct chan_set_item *c)
{
	unsigned long flags;
	bool added = false;

	spin_lock_irqsave(&set->lock, flags);
	if (list_empty(&c->ready) && !c->dead) {
		list_add_tail(&c->ready, &set->ready);
		added = true;
	}
	spin_unlock_irqrestore(&set->lock, flags);
	return added;
}

/*
 * The wake function of an item's entry on its channel's poll_wq, called
 * under that queue's lock: ready list, then one set waiter and every
 * poller of the set.
 */
static int chan_set_wake(wait_queue_entry_t *wait, unsigned int mode,
			 int sync, void *key)
{
	struct chan_set_item *c = container_of(wait, struct chan_set_item,
					       wait);
	__poll_t events = key_to_poll(key);
	__poll_t want = c->send ? EPOLLOUT | EPOLLERR | EPOLLHUP :
				  EPOLLIN | EPOLLHUP;

	/* A wake-up without a key may mean anything. */
	if (events && !(events & want))
		return 0;
	if (chan_set_queue(c->set, c))
		wake_up_poll(&c->set->wq, EPOLLIN | EPOLLRDNORM);
	return 0;
}

/* Take the oldest ready item off the list, with a reference; or NULL. */
static struct chan_set_item *chan_set_pop(struct chan_set *set)
{
	struct chan_set_item *c = NULL;

	spin_lock_irq(&set->lock);
	if (!list_empty(&set->ready)) {
		c = list_first_entry(&set->ready, struct chan_set_item, ready);
		list_del_init(&c->ready);
		refcount_inc(&c->ref);
	}
	spin_unlock_irq(&set->lock);
	return c;
}

/* Remove @c from its channel's poll queue and the ready list, for good. */
static void chan_set_unhook(struct chan_set *set, struct chan_set_item *c)
{
	lockdep_assert_held(&set->mutex);
	/* After this the wake function cannot be running for @c. */
	remove_wait_queue(&c->ch->poll_wq, &c->wait);
	spin_lock_irq(&set->lock);
	c->dead = true;
	list_del_init(&c->ready);
	spin_unlock_irq(&set->lock);
}

/*
 * The answer's two words, written with one store as for CHAN_IOC_SELECT:
 * a fault leaves both as they were.
 */
static int chan_set_answer(struct chan_set_wait __user *uarg, u32 id, u32 ok)
{
	struct {
		u32 id;
		u32 ok;
	} ans = { id, ok };
	u64 word;

	BUILD_BUG_ON(offsetof(struct chan_set_wait, ok) !=
		     offsetof(struct chan_set_wait, id) + sizeof(u32));
	BUILD_BUG_ON(offsetof(struct chan_set_wait, id) % sizeof(u64));
	memcpy(&word, &ans, sizeof(word));
	return put_user(word, (u64 __user *)&uarg->id);
}

/*
 * Let case @c proceed if it is ready, and answer in @uarg.  Everything the
 * case needs (the element to send, the home of the one received) is taken
 * before its channel is touched, and a received element that cannot be
 * stored goes back in front of its channel (R5, L5).
 *
 * Return: 1 if the case proceeded; 0 if it was not ready; -EFAULT,
 * -ENOMEM or -EMFILE with nothing moved.  A send that went through returns
 * 1 even if the answer cannot be written (as CHAN_IOC_SELECT).
 */
static int chan_set_try(struct chan_set_item *c,
			struct chan_set_wait __user *uarg, u8 *stack)
{
	struct chan *ch = c->ch;
	struct chan_sel sel = { .status = CHAN_W_WAITING, .task = current };
	struct chan_waiter w = {
		.task = current,
		.sel = &sel,
		.idx = c->id,
		.send = c->send,
	};
	struct chan_msg *home = NULL;
	struct chan_charge charge;
	struct chan_take t;
	void *buf = NULL;
	bool ok;
	int rc;

	if (!chan_case_maybe_ready(ch, c->send))
		return 0;
	atomic_set(&sel.state, CHAN_SEL_OPEN);
	INIT_LIST_HEAD(&w.node);
	if (c->send) {
		buf = stack;
		if (ch->elem_size > CHAN_SET_STACK_ELEM) {
			buf = chan_buf_alloc(ch->elem_size, &charge);
			if (IS_ERR(buf))
				return PTR_ERR(buf);
		}
		/* What the element address holds now is what is sent (S2). */
		rc = -EFAULT;
		if (copy_from_user(buf, c->uelem, ch->elem_size))
			goto out;
		w.elem = buf;
	} else {
		rc = chan_user_writable(c->uelem, ch->elem_size);
		if (rc)
			return rc;
		home = chan_recv_home(ch);
		if (IS_ERR(home))
			return PTR_ERR(home);
		w.elem = home->data;
	}

	/* Queued nowhere: the result is DONE or NOT_READY. */
	rc = 0;
	if (chan_case_try(ch, &w, false, false) != CHAN_CASE_DONE)
		goto out;
	ok = sel.status == CHAN_W_DONE;
	rc = 1;
	if (!c->send && ok) {
		t = (struct chan_take){
			.seq = w.seq,
			.count = 1,
			.held = w.held,
		};
		/* Checked before anything moved: only a racing munmap fails. */
		if (copy_to_user(c->uelem, home->data, ch->elem_size) ||
		    chan_set_answer(uarg, c->id, 1)) {
			/* The home, charged to the caller, joins the channel. */
			chan_recv_undo(ch, &t, home);
			return -EFAULT;
		}
		chan_recv_commit(ch, &t);
	} else if (chan_set_answer(uarg, c->id, ok) && !(c->send && ok)) {
		rc = -EFAULT;
	}
out:
	if (buf && buf != stack)
		chan_buf_free(buf, &charge);
	chan_msg_free(home);
	return rc;
}

/*
 * A waiter that leaves, or takes a case while others remain ready, passes
 * the exclusive wake-up it may have consumed on to the next waiter.
 */
static void chan_set_pass_on(struct chan_set *set)
{
	/* The barrier in wq_has_sleeper() pairs with prepare_to_wait(). */
	if (!list_empty_careful(&set->ready) && wq_has_sleeper(&set->wq))
		wake_up_poll(&set->wq, EPOLLIN | EPOLLRDNORM);
}

/* Returns the id of the case that proceeded, or a negative errno. */
static long chan_set_run(struct chan_set *set,
			 struct chan_set_wait __user *uarg,
			 const struct chan_how *how)
{
	u8 stack[CHAN_SET_STACK_ELEM] __aligned(8);
	struct chan_set_item *c;
	bool expired = false;
	DEFINE_WAIT(wait);
	long ret;
	int rc;

	for (;;) {
		while ((c = chan_set_pop(set))) {
			rc = chan_set_try(c, uarg, stack);
			/*
			 * Proceeded: it may be ready again, behind the others
			 * (S4).  Failed: it was not looked at under its lock,
			 * so it stays a candidate.
			 */
			if (rc)
				chan_set_queue(set, c);
			ret = rc > 0 ? c->id : rc;
			chan_set_item_put(c);
			if (rc) {
				chan_set_pass_on(set);
				return ret;
			}
		}
		if (how->nonblock)
			return -EAGAIN;

		prepare_to_wait_exclusive(&set->wq, &wait, TASK_INTERRUPTIBLE);
		ret = 0;
		if (!list_empty_careful(&set->ready))
			ret = 1;
		else if (signal_pending(current))
			ret = -ERESTARTSYS;
		else if (expired || (how->timed &&
				     ktime_compare(ktime_get(),
						   how->deadline) >= 0))
			ret = -ETIMEDOUT;
		else
			expired = chan_sleep(how);
		finish_wait(&set->wq, &wait);
		if (ret < 0) {
			chan_set_pass_on(set);
			return ret;
		}
	}
}

static long chan_ioctl_set_add(struct chan_set *set,
			       struct chan_set_case __user *uarg)
{
	struct chan_set_case u;
	struct chan_set_item *c;
	struct chan_charge charge;
	struct chan *ch;
	struct fd f;
	bool send;
	u32 id;
	int err;

	if (copy_from_user(&u, uarg, sizeof(u)))
		return -EFAULT;
	if ((u.op != CHAN_SELECT_SEND && u.op != CHAN_SELECT_RECV) ||
	    u.reserved)
		return -EINVAL;
	send = u.op == CHAN_SELECT_SEND;

	f = fdget(u.fd);
	if (!fd_file(f))
		return -EBADF;
	ch = chan_file_chan(fd_file(f));
	if (!ch || !(fd_file(f)->f_mode & (send ? FMODE_WRITE : FMODE_READ))) {
		fdput(f);
		return -EBADF;
	}
	/* Charged to the registrant for as long as the case lives (L5). */
	c = chan_buf_alloc(sizeof(*c), &charge);
	if (IS_ERR(c)) {
		fdput(f);
		return PTR_ERR(c);
	}
	memset(c, 0, sizeof(*c));
	c->charge = charge;
	init_waitqueue_func_entry(&c->wait, chan_set_wake);
	INIT_LIST_HEAD(&c->ready);
	c->set = set;
	chan_get(ch);
	/*
	 * The case counts as a file that may send or receive: a channel whose
	 * fds are all closed still has the set's case as its receiver or
	 * sender (K5), so closing the fd does not change the case (S1).
	 */
	chan_add_fd(ch, send, !send);
	c->ch = ch;
	c->uelem = u64_to_user_ptr(u.elem);
	c->send = send;
	refcount_set(&c->ref, 1);
	/* From here the case holds the channel, not the fd (S1). */
	fdput(f);

	mutex_lock(&set->mutex);
	err = xa_alloc(&set->cases, &id, c, xa_limit_31b, GFP_KERNEL_ACCOUNT);
	if (err) {
		mutex_unlock(&set->mutex);
		chan_set_item_put(c);
		return err == -EBUSY ? -EMFILE : err;
	}
	c->id = id;
	add_wait_queue(&ch->poll_wq, &c->wait);
	/* Before the first look below: a ring's fast path must kick (P1). */
	chan_watch(ch);
	/*
	 * It may be ready already, with no wake-up to come: the first wait
	 * looks at it once (L6).
	 */
	if (chan_set_queue(set, c))
		wake_up_poll(&set->wq, EPOLLIN | EPOLLRDNORM);
	mutex_unlock(&set->mutex);

	/* Not under the mutex: a fault may take long (L7). */
	u.id = id;
	if (copy_to_user(uarg, &u, sizeof(u))) {
		mutex_lock(&set->mutex);
		c = xa_erase(&set->cases, id);
		if (c)
			chan_set_unhook(set, c);
		mutex_unlock(&set->mutex);
		if (c)
			chan_set_item_put(c);
		return -EFAULT;
	}
	return id;
}

static long chan_ioctl_set_del(struct chan_set *set,
			       struct chan_set_del __user *uarg)
{
	struct chan_set_item *c;
	struct chan_set_del d;

	if (copy_from_user(&d, uarg, sizeof(d)))
		return -EFAULT;
	if (d.reserved)
		return -EINVAL;
	if (d.id > INT_MAX)
		return -ENOENT;
	mutex_lock(&set->mutex);
	c = xa_erase(&set->cases, d.id);
	if (c)
		chan_set_unhook(set, c);
	mutex_unlock(&set->mutex);
	if (!c)
		return -ENOENT;
	chan_set_item_put(c);
	return 0;
}

static long chan_ioctl_set_wait(struct file *file, struct chan_set *set,
				struct chan_set_wait __user *uarg)
{
	const u32 both = CHAN_XFER_NONBLOCK | CHAN_XFER_DEADLINE;
	struct chan_set_wait sw;
	struct chan_how how;

	if (copy_from_user(&sw, uarg, sizeof(sw)))
		return -EFAULT;
	if ((sw.flags & ~both) || (sw.flags & both) == both || sw.reserved)
		return -EINVAL;
	how.nonblock = (sw.flags & CHAN_XFER_NONBLOCK) ||
		       (file->f_flags & O_NONBLOCK);
	how.timed = sw.flags & CHAN_XFER_DEADLINE;
	how.deadline = ns_to_ktime(min_t(u64, sw.deadline_ns, KTIME_MAX));
	/*
	 * The answer must have somewhere to go before anything moves: write
	 * back what was read, which changes nothing the caller can tell.
	 */
	if (chan_set_answer(uarg, sw.id, sw.ok))
		return -EFAULT;
	return chan_set_run(set, uarg, &how);
}

static long chan_set_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct chan_set *set = file->private_data;
	void __user *argp = (void __user *)arg;

	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_SET_ADD) !=
		     sizeof(struct chan_set_case));
	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_SET_DEL) !=
		     sizeof(struct chan_set_del));
	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_SET_WAIT) !=
		     sizeof(struct chan_set_wait));

	switch (cmd) {
	case CHAN_IOC_SET_ADD:
		return chan_ioctl_set_add(set, argp);
	case CHAN_IOC_SET_DEL:
		return chan_ioctl_set_del(set, argp);
	case CHAN_IOC_SET_WAIT:
		return chan_ioctl_set_wait(file, set, argp);
	default:
		return -ENOTTY;
	}
}

/*
 * EPOLLIN while a case may be ready.  Stale items met on the way leave the
 * list (their channel's next wake-up puts them back), so each is looked at
 * once (L6).
 */
static __poll_t chan_set_poll(struct file *file, poll_table *pt)
{
	struct chan_set *set = file->private_data;
	struct chan_set_item *c, *tmp;
	__poll_t mask = 0;

	poll_wait(file, &set->wq, pt);
	spin_lock_irq(&set->lock);
	list_for_each_entry_safe(c, tmp, &set->ready, ready) {
		if (chan_case_maybe_ready(c->ch, c->send)) {
			mask = EPOLLIN | EPOLLRDNORM;
			break;
		}
		list_del_init(&c->ready);
	}
	spin_unlock_irq(&set->lock);
	return mask;
}

static int chan_set_release(struct inode *inode, struct file *file)
{
	struct chan_set *set = file->private_data;
	struct chan_set_item *c;
	unsigned long id;

	/* No wait can be running: each holds the file. */
	mutex_lock(&set->mutex);
	xa_for_each(&set->cases, id, c) {
		chan_set_unhook(set, c);
		chan_set_item_put(c);
		cond_resched();
	}
	mutex_unlock(&set->mutex);
	xa_destroy(&set->cases);
	mutex_destroy(&set->mutex);
	chan_buf_free(set, &set->charge);
	return 0;
}

static void chan_set_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct chan_set *set = file->private_data;
	struct chan_set_item *c;
	unsigned long id, n = 0;

	xa_for_each(&set->cases, id, c)
		n++;
	seq_printf(m, "chan-set-cases:\t%lu\n", n);
}

static const struct file_operations chan_set_fops = {
	.owner		= THIS_MODULE,
	.release	= chan_set_release,
	.poll		= chan_set_poll,
	.unlocked_ioctl	= chan_set_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= chan_set_show_fdinfo,
	.llseek		= noop_llseek,
};

/**
 * chan_ioctl_set_make() - CHAN_IOC_SET_MAKE on /dev/chan: a new, empty set
 * @uarg: the user's struct chan_set_make
 *
 * The set is charged to the caller's budget and memory cgroup (L5), and
 * its fd is close-on-exec unless CHAN_FD_INHERIT; it becomes visible only
 * after the last point of failure.
 *
 * Return: the set fd, or -EFAULT, -EINVAL, -EMFILE, -ENOMEM.
 */
long chan_ioctl_set_make(struct chan_set_make __user *uarg)
{
	struct chan_charge charge;
	struct chan_set_make m;
	struct chan_set *set;
	struct file *file;
	int fd, oflags = O_RDWR;

	if (copy_from_user(&m, uarg, sizeof(m)))
		return -EFAULT;
	if ((m.flags & ~(CHAN_FD_NONBLOCK | CHAN_FD_INHERIT)) || m.reserved)
		return -EINVAL;
	if (m.flags & CHAN_FD_NONBLOCK)
		oflags |= O_NONBLOCK;

	set = chan_buf_alloc(sizeof(*set), &charge);
	if (IS_ERR(set))
		return PTR_ERR(set);
	memset(set, 0, sizeof(*set));
	set->charge = charge;
	spin_lock_init(&set->lock);
	INIT_LIST_HEAD(&set->ready);
	init_waitqueue_head(&set->wq);
	mutex_init(&set->mutex);
	xa_init_flags(&set->cases, XA_FLAGS_ALLOC);

	fd = get_unused_fd_flags((m.flags & CHAN_FD_INHERIT) ? 0 : O_CLOEXEC);
	if (fd < 0)
		goto free_set;
	file = anon_inode_getfile("[chan_set]", &chan_set_fops, set, oflags);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto free_set;
	}
	m.fd = fd;
	if (copy_to_user(uarg, &m, sizeof(m))) {
		put_unused_fd(fd);
		/* The file's release frees the set. */
		fput(file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return fd;

free_set:
	mutex_destroy(&set->mutex);
	chan_buf_free(set, &set->charge);
	return fd;
}
