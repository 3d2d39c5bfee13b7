// SPDX-License-Identifier: GPL-2.0
/*
 * Timer channels (T1-T4): Go's time.After and time.Ticker as channel fds.
 */
#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <linux/chan.h>

#include "chan_core.h"
#include "chan_file.h"
#include "chan_limits.h"
#include "chan_timer.h"

/**
 * DOC: timer channels: contexts, locking and lifetime
 *
 * A timer channel is an ordinary channel of one __s64 slot with a struct
 * chan_timer attached; its fds are receive-only, so the timer is its only
 * sender, and select, poll, dup, fork and SCM_RIGHTS work on it as on any
 * channel (T3).
 *
 * The hrtimer callback runs in hard interrupt context, or on PREEMPT_RT
 * (where the timer is not HRTIMER_MODE_HARD) in the softirq thread.  It
 * takes no lock at all: chan.lock is a spinlock_t taken with interrupts
 * and softirqs enabled, so taking it from either context could deadlock
 * against the task it interrupted, and on PREEMPT_RT it is a sleeping
 * lock.  The callback only stores the time it fired in chan_timer.fired
 * (an atomic, the latest time wins), queues chan_timer.work, and rearms
 * itself for a ticker.  The work item runs in process context, where it
 * may take chan.lock: it sends the time as a nonblocking send would, and
 * when the slot is still full, takes the old element out first (T2: the
 * latest tick, never a backlog).  This is fs/timerfd.c's split, with the
 * wake-up of readers moved out of the interrupt because a channel's
 * waiters are woken under chan.lock.  Ticks that come while the work is
 * pending coalesce into one, as a receiver that falls behind would see.
 *
 * The channel's fds hold it; the channel holds the timer (chan.timer).
 * The release of the last fd takes chan.timer, cancels the hrtimer (which
 * waits for a running callback and stops one that rearms itself) and then
 * the work (waiting for a running one), and frees the timer: a timer
 * nobody holds neither fires nor costs memory.  The work uses the channel
 * without a reference of its own, since the releasing file holds one until
 * the work is cancelled.  The timer's memory is charged to the creator's
 * budget, as the channel's is (T4).
 */

/**
 * struct chan_timer - what sends to a timer channel
 * @timer: fires at the deadline, and every @period after for a ticker
 * @work: delivers the time in process context
 * @fired: CLOCK_MONOTONIC ns at which @timer last fired, not yet delivered;
 *	0 if none
 * @ch: the channel, whose fds keep it alive for as long as the timer is
 * @period: 0 for a one-shot timer (T1), else the ticker's period (T2)
 * @charge: what this struct costs its creator's budget
 */
struct chan_timer {
	struct hrtimer timer;
	struct work_struct work;
	atomic64_t fired;
	struct chan *ch;
	ktime_t period;
	struct chan_charge charge;
};

static enum hrtimer_restart chan_timer_fire(struct hrtimer *timer)
{
	struct chan_timer *tm = container_of(timer, struct chan_timer, timer);

	/* Never 0, which means "nothing to deliver". */
	atomic64_set(&tm->fired, max_t(s64, ktime_get_ns(), 1));
	queue_work(system_highpri_wq, &tm->work);
	if (!tm->period)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, tm->period);
	return HRTIMER_RESTART;
}

static void chan_timer_deliver(struct work_struct *work)
{
	struct chan_timer *tm = container_of(work, struct chan_timer, work);
	const struct chan_how now = { .nonblock = true };
	struct chan *ch = tm->ch;
	struct chan_take t;
	s64 when, old;

	when = atomic64_xchg(&tm->fired, 0);
	if (!when)
		return;
	if (chan_send_elems(ch, &when, 1, &now) == -EAGAIN) {
		/*
		 * The slot holds a tick nobody received: replace it (T2).
		 * Only this work sends, so the slot stays free for the send
		 * after; unless a receive in flight holds it, which then
		 * delivers a tick anyway, and this one is dropped.
		 */
		if (chan_recv_elems(ch, &old, 1, &now, &t) == 1)
			chan_recv_commit(ch, &t);
		chan_send_elems(ch, &when, 1, &now);
	}
	if (!tm->period)
		chan_close(ch);
}

/**
 * chan_timer_release() - stop and free a channel's timer at its last fd
 * @ch: a channel whose fd was released; nothing happens unless it was the
 *	last fd of a timer channel
 *
 * Called in process context from the file's release, which holds @ch.
 */
void chan_timer_release(struct chan *ch)
{
	struct chan_timer *tm;

	/*
	 * A timer channel's fds all receive: no_recv is set under chan.lock
	 * by the last one's release, and stays.  Two releases may both see
	 * it; only one takes the timer.
	 */
	if (!READ_ONCE(ch->timer) || !READ_ONCE(ch->no_recv))
		return;
	tm = xchg(&ch->timer, NULL);
	if (!tm)
		return;
	hrtimer_cancel(&tm->timer);
	cancel_work_sync(&tm->work);
	chan_buf_free(tm, &tm->charge);
}

/**
 * chan_timer_show_fdinfo() - the chan-timer line of a timer channel's fdinfo
 * @m: the fdinfo being shown
 * @ch: the channel of the fd shown; nothing is shown unless it has a timer
 *
 * The timer is a sender no fd shows: without this line a receive from a
 * timer channel would look, to chanstat --deadlock, like one that nothing
 * can complete.  The fd being shown keeps the timer, which only the
 * release of the channel's last fd takes.
 */
void chan_timer_show_fdinfo(struct seq_file *m, struct chan *ch)
{
	struct chan_timer *tm = READ_ONCE(ch->timer);

	if (tm)
		seq_printf(m, "chan-timer:\t%lld\n", ktime_to_ns(tm->period));
}

/**
 * chan_ioctl_timer() - CHAN_IOC_TIMER: make a timer channel
 * @uarg: the request
 *
 * Return: the new fd, or -EFAULT, -EINVAL (flags, reserved fields, a
 * period below CHAN_TIMER_MIN_PERIOD_NS or beyond KTIME_MAX), -EMFILE
 * (budget or fd table), -ENOMEM.
 */
long chan_ioctl_timer(struct chan_timer_create __user *uarg)
{
	struct chan_timer_create c;
	struct chan_charge charge;
	struct chan_timer *tm;
	struct file *file;
	struct chan *ch;
	ktime_t expires;
	int fd;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if ((c.flags & ~(CHAN_FD_NONBLOCK | CHAN_FD_INHERIT)) ||
	    c.reserved[0] || c.reserved[1])
		return -EINVAL;
	if (c.period_ns && (c.period_ns < CHAN_TIMER_MIN_PERIOD_NS ||
			    c.period_ns > KTIME_MAX))
		return -EINVAL;

	ch = chan_alloc(sizeof(s64), 1, chan_budget_owner());
	if (IS_ERR(ch))
		return PTR_ERR(ch);
	tm = chan_buf_alloc(sizeof(*tm), &charge);
	if (IS_ERR(tm)) {
		chan_put(ch);
		return PTR_ERR(tm);
	}
	memset(tm, 0, sizeof(*tm));
	tm->charge = charge;
	tm->ch = ch;
	tm->period = ns_to_ktime(c.period_ns);
	hrtimer_init(&tm->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	tm->timer.function = chan_timer_fire;
	INIT_WORK(&tm->work, chan_timer_deliver);

	fd = chan_file_new(ch, CHAN_MODE_RECV, c.flags, &file);
	/* From here the file owns the channel, or creation failed. */
	chan_put(ch);
	if (fd < 0)
		goto free_timer;
	c.fd = fd;
	if (copy_to_user(uarg, &c, sizeof(c))) {
		/* Its release finds no timer yet. */
		chan_file_abandon(fd, file);
		fd = -EFAULT;
		goto free_timer;
	}

	WRITE_ONCE(ch->timer, tm);
	expires = ktime_add_safe(ktime_get(),
				 c.delay_ns > 0 ? ns_to_ktime(c.delay_ns) : 0);
	hrtimer_start(&tm->timer, expires, HRTIMER_MODE_ABS);
	fd_install(fd, file);
	return fd;

free_timer:
	chan_buf_free(tm, &tm->charge);
	return fd;
}
