// SPDX-License-Identifier: GPL-2.0
/*
 * Channel file descriptors: ioctl, read, write, poll, fdinfo.
 *
 * A channel fd is an anonymous-inode file whose private_data is the
 * channel; the file holds one reference on it.  The fd's mode (C3) is the
 * file's: FMODE_WRITE may send and close, FMODE_READ may receive, so
 * read(2) and write(2) on the wrong kind of fd fail with EBADF in the VFS,
 * before they reach us.
 *
 * Reads and writes are read_iter and write_iter, so that readv(2),
 * writev(2) and io_uring reach the same code as read(2) and write(2).  They
 * never wait when the caller sets IOCB_NOWAIT, and the file says so
 * (FMODE_NOWAIT): io_uring then tries them in the submitting task, polls
 * the fd if the channel is not ready, and tries again when it is, instead
 * of blocking an io-wq worker thread in them.
 */
#include <linux/anon_inodes.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/pagemap.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include <linux/chan.h>

#include "chan_core.h"
#include "chan_file.h"
#include "chan_select.h"
#include "chan_timer.h"
#include "chan_trace.h"
#include "chan_uaccess.h"

/* Elements up to this size travel through the kernel on the stack. */
#define CHAN_STACK_ELEM	256

/* read(2) and write(2) move at most this many bytes per lock round. */
#define CHAN_RW_CHUNK	(64 * 1024)

static u32 chan_file_mode(const struct file *file)
{
	return ((file->f_mode & FMODE_WRITE) ? CHAN_MODE_SEND : 0) |
	       ((file->f_mode & FMODE_READ) ? CHAN_MODE_RECV : 0);
}

static void chan_snapshot(struct chan *ch, const struct file *file,
			  struct chan_info *info)
{
	memset(info, 0, sizeof(*info));
	info->id = ch->id;
	info->elem_size = ch->elem_size;
	info->cap = ch->cap;
	info->mode = chan_file_mode(file);
	spin_lock(&ch->lock);
	info->len = chan_ring_count(&ch->ring) + ch->nspill;
	info->closed = ch->closed;
	info->send_waiters = ch->nsendq;
	info->recv_waiters = ch->nrecvq;
	spin_unlock(&ch->lock);
}

/*
 * The common start of CHAN_IOC_SEND and CHAN_IOC_RECV: copy the request
 * in, check it, and check that the fd's mode (@need) allows it (C3).
 */
static int chan_xfer_in(struct file *file, struct chan_xfer __user *uarg,
			fmode_t need, struct chan_xfer *x, struct chan_how *how)
{
	const u32 both = CHAN_XFER_NONBLOCK | CHAN_XFER_DEADLINE;

	if (copy_from_user(x, uarg, sizeof(*x)))
		return -EFAULT;
	if ((x->flags & ~both) || (x->flags & both) == both || x->reserved)
		return -EINVAL;
	if (!(file->f_mode & need))
		return -EBADF;
	how->nonblock = (x->flags & CHAN_XFER_NONBLOCK) ||
			(file->f_flags & O_NONBLOCK);
	how->timed = x->flags & CHAN_XFER_DEADLINE;
	how->deadline = ns_to_ktime(min_t(u64, x->deadline_ns, KTIME_MAX));
	return 0;
}

static long chan_ioctl_send(struct file *file, struct chan *ch,
			    struct chan_xfer __user *uarg)
{
	u8 stack[CHAN_STACK_ELEM] __aligned(8);
	struct chan_charge charge;
	struct chan_xfer x;
	struct chan_how how;
	void *elem = stack;
	long ret;

	ret = chan_xfer_in(file, uarg, FMODE_WRITE, &x, &how);
	if (ret)
		return ret;

	/* The element is ours before the channel is touched (R5). */
	if (ch->elem_size > sizeof(stack)) {
		elem = chan_buf_alloc(ch->elem_size, &charge);
		if (IS_ERR(elem))
			return PTR_ERR(elem);
	}
	if (copy_from_user(elem, u64_to_user_ptr(x.elem), ch->elem_size)) {
		ret = -EFAULT;
		goto free_elem;
	}
	ret = chan_send_elems(ch, elem, 1, &how);
	trace_chan_send(ch->id, ret);
	if (ret > 0)
		ret = 0;
free_elem:
	if (elem != stack)
		chan_buf_free(elem, &charge);
	return ret;
}

/*
 * Copy out what a receive took from @msg into @to, then commit it, or put
 * it back if the copy faults (the user's buffer went away while the call
 * slept).  @msg is consumed.  Returns @got, or -EFAULT with nothing
 * received.
 */
static ssize_t chan_recv_deliver(struct chan *ch, struct iov_iter *to,
				 struct chan_msg *msg, ssize_t got,
				 struct chan_take *t)
{
	size_t bytes = got * ch->elem_size;

	if (got <= 0) {
		chan_msg_free(msg);
		return got;
	}
	if (copy_to_iter(msg->data, bytes, to) != bytes) {
		chan_recv_undo(ch, t, msg);
		return -EFAULT;
	}
	chan_recv_commit(ch, t);
	chan_msg_free(msg);
	return got;
}

static long chan_ioctl_recv(struct file *file, struct chan *ch,
			    struct chan_xfer __user *uarg)
{
	struct chan_msg *msg;
	struct iov_iter to;
	struct chan_take t;
	struct chan_xfer x;
	struct chan_how how;
	void __user *uelem;
	long ret;

	ret = chan_xfer_in(file, uarg, FMODE_READ, &x, &how);
	if (ret)
		return ret;

	/* Most receives find an element ready: one lock hold, no check. */
	uelem = u64_to_user_ptr(x.elem);
	if (ch->elem_size <= CHAN_STACK_ELEM) {
		if (chan_recv_user(ch, uelem) == 1) {
			trace_chan_recv(ch->id, 1);
			return 1;
		}
	}

	/*
	 * A destination that cannot take the element fails before anything
	 * moves (L2).  It can still fault later (another thread unmaps it);
	 * then the receive is undone, into the home taken here (L5).
	 */
	ret = chan_user_writable(uelem, ch->elem_size);
	if (ret)
		return ret;
	msg = chan_recv_home(ch);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	ret = chan_recv_elems(ch, msg->data, 1, &how, &t);
	iov_iter_ubuf(&to, ITER_DEST, uelem, ch->elem_size);
	ret = chan_recv_deliver(ch, &to, msg, ret, &t);
	trace_chan_recv(ch->id, ret);
	return ret;
}

static long chan_ioctl_close(struct file *file, struct chan *ch)
{
	int ret;

	/* Closing is the sender's act (K1), as in Go. */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	ret = chan_close(ch);
	trace_chan_close(ch->id, ret);
	return ret;
}

static long chan_ioctl_info(struct file *file, struct chan *ch,
			    struct chan_info __user *uarg)
{
	struct chan_info info;

	chan_snapshot(ch, file, &info);
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long chan_ioctl_dup(struct file *file, struct chan *ch,
			   struct chan_dup __user *uarg)
{
	struct file *dup_file;
	struct chan_dup d;
	int fd;

	if (copy_from_user(&d, uarg, sizeof(d)))
		return -EFAULT;
	if (!d.mode || (d.mode & ~CHAN_MODE_BOTH) ||
	    (d.flags & ~(CHAN_FD_NONBLOCK | CHAN_FD_INHERIT)) || d.reserved)
		return -EINVAL;
	/* An fd can give away its rights, never gain one (C3). */
	if (d.mode & ~chan_file_mode(file))
		return -EBADF;

	fd = chan_file_new(ch, d.mode, d.flags, &dup_file);
	if (fd < 0)
		return fd;
	d.fd = fd;
	if (copy_to_user(uarg, &d, sizeof(d))) {
		chan_file_abandon(fd, dup_file);
		return -EFAULT;
	}
	fd_install(fd, dup_file);
	return fd;
}

static long chan_ioctl_ring_info(struct chan *ch,
				 struct chan_ring_info __user *uarg)
{
	struct chan_ring_info ri;

	if (!ch->ring.sh)
		return -ENODEV;
	memset(&ri, 0, sizeof(ri));
	ri.id = ch->id;
	ri.map_bytes = chan_shring_map_bytes(ch->ring.sh);
	ri.cap = ch->cap;
	ri.elem_size = ch->elem_size;
	ri.stride = ch->ring.sh->stride;
	if (copy_to_user(uarg, &ri, sizeof(ri)))
		return -EFAULT;
	return 0;
}

static long chan_file_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct chan *ch = file->private_data;
	void __user *argp = (void __user *)arg;

	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_DUP) != sizeof(struct chan_dup));
	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_SEND) != sizeof(struct chan_xfer));
	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_RECV) != sizeof(struct chan_xfer));
	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_INFO) != sizeof(struct chan_info));
	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_RING_INFO) !=
		     sizeof(struct chan_ring_info));

	switch (cmd) {
	case CHAN_IOC_SEND:
		return chan_ioctl_send(file, ch, argp);
	case CHAN_IOC_RECV:
		return chan_ioctl_recv(file, ch, argp);
	case CHAN_IOC_CLOSE:
		return chan_ioctl_close(file, ch);
	case CHAN_IOC_INFO:
		return chan_ioctl_info(file, ch, argp);
	case CHAN_IOC_DUP:
		return chan_ioctl_dup(file, ch, argp);
	case CHAN_IOC_SELECT:
		return chan_ioctl_select(argp);
	case CHAN_IOC_RING_INFO:
		return chan_ioctl_ring_info(ch, argp);
	case CHAN_IOC_RING_KICK:
		if (!ch->ring.sh)
			return -ENODEV;
		chan_kick(ch);
		return 0;
	default:
		return -ENOTTY;
	}
}

/* Elements per read(2)/write(2) round: n whole elements of @count bytes. */
static ssize_t chan_rw_elems(const struct chan *ch, size_t count)
{
	if (!ch->elem_size || !count || count % ch->elem_size)
		return -EINVAL;
	return count / ch->elem_size;
}

/*
 * Whether a read or write may not wait (B1): the fd is O_NONBLOCK, or the
 * caller asks for an attempt that does not block (preadv2(RWF_NOWAIT), and
 * io_uring's first try, which then waits for poll to report the fd ready
 * and tries again in the submitter's context, not on a worker thread).
 */
static bool chan_iocb_nowait(const struct kiocb *iocb)
{
	return (iocb->ki_filp->f_flags & O_NONBLOCK) ||
	       (iocb->ki_flags & IOCB_NOWAIT);
}

static ssize_t chan_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct chan *ch = iocb->ki_filp->private_data;
	struct chan_how how = { .nonblock = chan_iocb_nowait(iocb) };
	struct chan_msg *msg;
	struct chan_take t;
	ssize_t n, got;

	n = chan_rw_elems(ch, iov_iter_count(to));
	if (n < 0)
		return n;
	/* The elements and their chan_msg header fit one 64 KiB allocation. */
	n = min_t(size_t, n, max_t(size_t, (CHAN_RW_CHUNK -
					     sizeof(struct chan_msg)) /
					    ch->elem_size, 1));
	/* As for CHAN_IOC_RECV: a bad buffer fails before anything moves. */
	if (chan_iter_writable(to, n * ch->elem_size))
		return -EFAULT;
	msg = n == 1 ? chan_recv_home(ch) : chan_msg_alloc(ch, n);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	got = chan_recv_elems(ch, msg->data, n, &how, &t);
	got = chan_recv_deliver(ch, to, msg, got, &t);
	trace_chan_recv(ch->id, got);
	return got > 0 ? got * ch->elem_size : got;
}

static ssize_t chan_file_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct chan *ch = iocb->ki_filp->private_data;
	struct chan_how how = { .nonblock = chan_iocb_nowait(iocb) };
	size_t esz = ch->elem_size, total, chunk, done = 0;
	struct chan_charge charge;
	ssize_t ret;
	void *elems;

	ret = chan_rw_elems(ch, iov_iter_count(from));
	if (ret < 0)
		return ret;
	total = ret;
	chunk = min_t(size_t, total, max_t(size_t, CHAN_RW_CHUNK / esz, 1));
	elems = chan_buf_alloc(chunk * esz, &charge);
	if (IS_ERR(elems))
		return PTR_ERR(elems);

	while (done < total) {
		size_t n = min(chunk, total - done);

		/* A faulting chunk is not sent at all (L2). */
		if (copy_from_iter(elems, n * esz, from) != n * esz) {
			ret = -EFAULT;
			break;
		}
		ret = chan_send_elems(ch, elems, n, &how);
		if (ret < 0)
			break;
		done += ret;
		if (ret < n)
			break;
	}
	chan_buf_free(elems, &charge);
	trace_chan_send(ch->id, done ? done : ret);
	/* Once anything was sent, report it: it cannot be taken back (P3). */
	return done ? done * esz : ret;
}

static __poll_t chan_file_poll(struct file *file, poll_table *wait)
{
	struct chan *ch = file->private_data;
	u32 len, nsendq, nrecvq;
	bool closed, no_recv, room;
	__poll_t mask = 0;

	poll_wait(file, &ch->poll_wq, wait);

	/*
	 * Every change that makes the channel ready wakes poll_wq after
	 * changing state under the lock, so reading it under the lock after
	 * poll_wait() queued us cannot miss a wake-up.
	 */
	spin_lock(&ch->lock);
	/* A ring's fast path must now kick us after it moves (P1). */
	chan_ring_want(&ch->ring, CHAN_RING_W_POLL);
	len = chan_ring_count(&ch->ring) + ch->nspill;
	room = chan_slots_used(ch) < ch->cap;
	nsendq = ch->nsendq;
	nrecvq = ch->nrecvq;
	closed = ch->closed;
	no_recv = ch->no_recv;
	spin_unlock(&ch->lock);

	if ((file->f_mode & FMODE_READ) && (len || nsendq || closed))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (file->f_mode & FMODE_WRITE) {
		if (closed || no_recv || room || nrecvq)
			mask |= EPOLLOUT | EPOLLWRNORM;
		if (no_recv)
			mask |= EPOLLERR;
	}
	if (closed && !len)
		mask |= EPOLLHUP;
	return mask;
}

/* fdinfo lists at most this many blocked tasks of a channel. */
#define CHAN_FDINFO_WAITERS	256

static const char * const chan_op_names[] = {
	[CHAN_OP_SEND] = "send",
	[CHAN_OP_RECV] = "recv",
	[CHAN_OP_SELECT_SEND] = "select-send",
	[CHAN_OP_SELECT_RECV] = "select-recv",
};

/*
 * One chan-waiter line for each task blocked on @q (O2): its tid and pid
 * in the pid namespace of the /proc that is read (0 if it is not in it),
 * its operation, when it blocked (CLOCK_MONOTONIC_COARSE ns) and for how
 * long (ms), and whether it has a deadline.  A select's case whose select has
 * won elsewhere or given up is about to leave, and is not listed.  Called
 * with chan.lock held, which keeps every listed waiter, and its task, in
 * place.  Returns the number of waiters not listed for lack of @room.
 */
static u32 chan_show_waiters(struct seq_file *m, struct list_head *q,
			     struct pid_namespace *ns, u64 now, u32 *room)
{
	struct chan_waiter *w;
	u32 unlisted = 0;

	list_for_each_entry(w, q, node) {
		if (w->sel) {
			int state = atomic_read(&w->sel->state);

			if (state != CHAN_SEL_OPEN && state != CHAN_SEL_BUSY)
				continue;
		}
		if (!*room) {
			unlisted++;
			continue;
		}
		(*room)--;
		seq_printf(m, "chan-waiter:\ttid=%d pid=%d op=%s since-ns=%llu waited-ms=%llu deadline=%d\n",
			   task_pid_nr_ns(w->task, ns),
			   task_tgid_nr_ns(w->task, ns),
			   chan_op_names[chan_waiter_op(w)], w->since,
			   div_u64(now - min(now, w->since), NSEC_PER_MSEC),
			   w->timed);
	}
	return unlisted;
}

static void chan_file_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct pid_namespace *ns = proc_pid_ns(file_inode(m->file)->i_sb);
	struct chan *ch = file->private_data;
	u32 room = CHAN_FDINFO_WAITERS, unlisted;
	u64 now;
	static const char * const modes[] = {
		[CHAN_MODE_SEND] = "send",
		[CHAN_MODE_RECV] = "recv",
		[CHAN_MODE_BOTH] = "both",
	};
	struct chan_info info;

	chan_snapshot(ch, file, &info);
	seq_printf(m, "chan-id:\t%llu\n", info.id);
	seq_printf(m, "chan-elem-size:\t%u\n", info.elem_size);
	seq_printf(m, "chan-cap:\t%u\n", info.cap);
	seq_printf(m, "chan-len:\t%u\n", info.len);
	seq_printf(m, "chan-closed:\t%u\n", info.closed);
	seq_printf(m, "chan-mode:\t%s\n", modes[info.mode]);
	seq_printf(m, "chan-send-waiters:\t%u\n", info.send_waiters);
	seq_printf(m, "chan-recv-waiters:\t%u\n", info.recv_waiters);
	chan_timer_show_fdinfo(m, ch);

	spin_lock(&ch->lock);
	now = ktime_get_coarse_ns();
	unlisted = chan_show_waiters(m, &ch->sendq, ns, now, &room);
	unlisted += chan_show_waiters(m, &ch->recvq, ns, now, &room);
	spin_unlock(&ch->lock);
	if (unlisted)
		seq_printf(m, "chan-waiters-unlisted:\t%u\n", unlisted);
}

/*
 * mmap(2) of a ring channel (chan_shring.c).  The VFS lets only an fd that
 * may both send and receive map it writable and shared, so send-only and
 * receive-only fds keep to the kernel's paths, where C3 holds.
 */
static int chan_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	return chan_shring_mmap(file->private_data, vma);
}

/* Every close(2) of an fd: a ring's mappings in this process learn of it. */
static int chan_file_flush(struct file *file, fl_owner_t id)
{
	struct chan *ch = file->private_data;

	if (ch->ring.sh)
		chan_shring_fd_closed(ch->ring.sh);
	return 0;
}

static int chan_file_release(struct inode *inode, struct file *file)
{
	struct chan *ch = file->private_data;

	chan_release_fd(ch, file->f_mode & FMODE_WRITE,
			file->f_mode & FMODE_READ);
	chan_timer_release(ch);
	chan_put(ch);
	return 0;
}

static const struct file_operations chan_fops = {
	.owner		= THIS_MODULE,
	.release	= chan_file_release,
	.read_iter	= chan_file_read_iter,
	.write_iter	= chan_file_write_iter,
	.poll		= chan_file_poll,
	.mmap		= chan_file_mmap,
	.flush		= chan_file_flush,
	.unlocked_ioctl	= chan_file_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= chan_file_show_fdinfo,
};

/**
 * chan_file_new() - a new fd for a channel, reserved but not yet installed
 * @ch: the channel; the new file takes its own reference
 * @mode: CHAN_MODE_* bits, not zero
 * @flags: CHAN_FD_* bits
 * @filep: where to store the file
 *
 * The caller copies the fd number out and then calls fd_install(), or
 * chan_file_abandon() if that fails: the fd becomes visible only after
 * the last point of failure (hardening rule 21).  Close-on-exec unless
 * CHAN_FD_INHERIT (C2).
 *
 * Return: the fd number, or a negative errno.
 */
int chan_file_new(struct chan *ch, u32 mode, u32 flags, struct file **filep)
{
	int oflags, fd;
	struct file *file;

	switch (mode) {
	case CHAN_MODE_SEND:
		oflags = O_WRONLY;
		break;
	case CHAN_MODE_RECV:
		oflags = O_RDONLY;
		break;
	default:
		oflags = O_RDWR;
		break;
	}
	if (flags & CHAN_FD_NONBLOCK)
		oflags |= O_NONBLOCK;

	fd = get_unused_fd_flags((flags & CHAN_FD_INHERIT) ? 0 : O_CLOEXEC);
	if (fd < 0)
		return fd;
	chan_get(ch);
	file = anon_inode_getfile("[chan]", &chan_fops, ch, oflags);
	if (IS_ERR(file))
		goto put_chan;
	/* Reads and writes honour IOCB_NOWAIT: io_uring need not punt them. */
	file->f_mode |= FMODE_NOWAIT;
	chan_add_fd(ch, mode & CHAN_MODE_SEND, mode & CHAN_MODE_RECV);
	*filep = file;
	return fd;

put_chan:
	chan_put(ch);
	put_unused_fd(fd);
	return PTR_ERR(file);
}

/**
 * chan_file_chan() - the channel behind a file, if it is a channel fd
 * @file: any file
 *
 * Return: the channel, valid while @file is held; NULL for other files.
 */
struct chan *chan_file_chan(struct file *file)
{
	return file->f_op == &chan_fops ? file->private_data : NULL;
}

/**
 * chan_file_abandon() - undo chan_file_new() when the fd cannot be handed out
 * @fd: the reserved fd number
 * @file: the file; its release drops its counts and reference
 */
void chan_file_abandon(int fd, struct file *file)
{
	put_unused_fd(fd);
	fput(file);
}
