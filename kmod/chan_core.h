/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CHAN_CORE_H
#define _CHAN_CORE_H

#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

struct chan_timer;

#include "chan_limits.h"
#include "chan_ring.h"

/**
 * struct chan - a channel
 * @lock: guards every field below it; never held with another chan's lock
 * @closed: Go's close happened (K1)
 * @no_recv: the last fd that may receive is gone: sends fail (K5)
 * @nsend_fds: open files that may send
 * @nrecv_fds: open files that may receive
 * @ring: the buffer, @cap slots
 * @ring_seq: the sequence number of @ring's head; every element that leaves
 *	the channel's head gets the next number, so put-backs find their place
 * @spill: chan_msg runs given back by receivers that could not copy them
 *	out, in sequence order; older than anything in @ring, taken first
 * @nspill: elements in @spill
 * @nover: elements of @spill without a slot of the buffer: handed straight
 *	from a sender to a receive whose copy-out then faulted
 * @held: slots of elements that receives took and have not yet delivered;
 *	they stay reserved so that a put-back never overfills the buffer (a
 *	ring channel's stay claimed in its shared pages: chan_shring.c)
 * @sendq: chan_waiter of blocked senders, longest waiting first (R4)
 * @recvq: chan_waiter of blocked receivers, longest waiting first (R4)
 * @nsendq: entries in @sendq
 * @nrecvq: entries in @recvq
 * @poll_wq: pollers; woken after @lock is dropped
 * @ref: one per open file, plus one per operation that outlives its file
 * @id: a number unique among the module's channels
 * @elem_size: bytes per element, fixed at creation (C1)
 * @cap: capacity, fixed at creation (C1)
 * @uid: the user charged for the channel
 * @charged: the bytes charged
 * @spare: a home for the element of one receive that waits, made and
 *	charged with the channel when its elements are small
 *	(CHAN_SPARE_ELEM), so that the common blocking receive allocates
 *	nothing; NULL while a receive holds it or a put-back lives in it
 * @timer: the timer that sends to a timer channel, or NULL; set before the
 *	channel's first fd is installed, taken by its last release
 */
struct chan {
	spinlock_t lock;		/* see DOC: channel locking */
	bool closed;
	bool no_recv;
	u32 nsend_fds;
	u32 nrecv_fds;
	struct chan_ring ring;
	u64 ring_seq;
	struct list_head spill;
	u32 nspill;
	u32 nover;
	u32 held;
	u32 nsendq;
	u32 nrecvq;
	struct list_head sendq;
	struct list_head recvq;
	wait_queue_head_t poll_wq;

	refcount_t ref;
	u64 id;
	u32 elem_size;
	u32 cap;
	kuid_t uid;
	size_t charged;
	struct chan_msg *spare;
	struct chan_timer *timer;
};

/* Channels of elements up to this size keep a spare home (chan.spare). */
#define CHAN_SPARE_ELEM	256

/*
 * Slots of the buffer taken: buffered elements that have one, and those
 * that receives in flight hold.  Read under chan.lock, or racily where a
 * stale answer is harmless (chan_case_maybe_ready()).
 */
static inline u32 chan_slots_used(const struct chan *ch)
{
	/*
	 * A ring channel keeps the slots of held and put-back elements in
	 * its shared pages (DOC: ring channel protocol, kept slots); the
	 * count and the kept slots are each at most @cap unless a holder
	 * rewrote the pages.
	 */
	if (ch->ring.sh)
		return min(chan_ring_count(&ch->ring) +
			   chan_ring_kept(&ch->ring), ch->cap);
	return ch->ring.len + ch->nspill - ch->nover + ch->held;
}

/**
 * struct chan_msg - elements a receiver holds outside the channel
 * @node: in chan.spill once put back
 * @charge: what the allocation costs the budget of the task that made it
 * @seq: sequence number of the element at @first
 * @first: index of the first element still held
 * @count: elements held, from @first on
 * @spare_of: the channel whose spare this is (chan.spare), else NULL
 * @data: the elements
 *
 * A receiver takes elements into a chan_msg, allocated and charged before
 * anything moves, and copies them to userspace from there.  If that copy
 * faults the chan_msg goes back into the channel as it is, with its charge,
 * so a fault never loses an element (R5) and what it pins stays on the
 * receiver's budget until the elements are received (L5).
 */
struct chan_msg {
	struct list_head node;
	struct chan_charge charge;
	u64 seq;
	u32 first;
	u32 count;
	struct chan *spare_of;
	u8 data[];
};

/* Results of a wait, in chan_waiter.status and chan_sel.status. */
enum {
	CHAN_W_WAITING,
	CHAN_W_DONE,	/* the element was moved */
	CHAN_W_CLOSED,	/* the channel closed (or lost its receivers) first */
};

/* chan_sel.state, besides the index of the case that won */
#define CHAN_SEL_OPEN		(-1)
#define CHAN_SEL_BUSY		(-2)
#define CHAN_SEL_CANCELLED	(-3)

/**
 * struct chan_sel - a select blocked on many channels at once
 * @state: CHAN_SEL_OPEN while any case may still win; the index of the
 *	case that won, set once by whoever won it (compare-and-exchange);
 *	CHAN_SEL_BUSY while the select itself, holding one channel's lock,
 *	tries to win a counterpart that is also a select; CHAN_SEL_CANCELLED
 *	once it gave up (signal, deadline)
 * @status: CHAN_W_WAITING until the winning case completed; then
 *	CHAN_W_DONE or CHAN_W_CLOSED, written last with release semantics
 * @task: the selecting task
 */
struct chan_sel {
	atomic_t state;
	int status;
	struct task_struct *task;
};

/**
 * struct chan_waiter - a task blocked in a send or a receive
 * @node: in chan.sendq or chan.recvq, or a receiver's chan_take.senders
 * @task: the blocked task
 * @elem: the element to send, or where to store the one received
 * @status: CHAN_W_*; written last, with release semantics, by the completer
 *	(for a plain send or receive; a select's is in @sel)
 * @sel: the select this waiter is a case of, or NULL
 * @seq: for a receive that was handed an element: its sequence number
 * @held: for a receive that was handed an element: it came from a slot of
 *	the buffer, which stays reserved until the receive commits
 * @idx: the case's index in @sel
 * @send: the waiter sends (else it receives)
 * @timed: the wait has a deadline (fdinfo shows it, for chanstat --deadlock)
 * @since: when it blocked, CLOCK_MONOTONIC_COARSE ns, for fdinfo (O2); set
 *	before it is queued.  Coarse: ktime_get() reads the clocksource, an
 *	emulated HPET in a VM, and this is under chan.lock on every block
 */
struct chan_waiter {
	struct list_head node;
	struct task_struct *task;
	void *elem;
	int status;
	struct chan_sel *sel;
	u64 seq;
	bool held;
	u32 idx;
	bool send;
	bool timed;
	u64 since;
};

/*
 * What a task does or waits for: the op of the chan_block, chan_wake and
 * chan_select tracepoints and of fdinfo's chan-waiter lines.
 */
#define CHAN_OP_SEND		0
#define CHAN_OP_RECV		1
#define CHAN_OP_SELECT_SEND	2	/* a send case of a select */
#define CHAN_OP_SELECT_RECV	3	/* a receive case of a select */
#define CHAN_OP_SELECT		4	/* a select as a whole: no case won */

static inline int chan_waiter_op(const struct chan_waiter *w)
{
	if (w->sel)
		return w->send ? CHAN_OP_SELECT_SEND : CHAN_OP_SELECT_RECV;
	return w->send ? CHAN_OP_SEND : CHAN_OP_RECV;
}

/* What chan_case_try() did. */
enum {
	CHAN_CASE_NOT_READY,
	CHAN_CASE_DONE,		/* the case proceeded: see chan_sel.status */
	CHAN_CASE_LOST,		/* another case of the select won meanwhile */
	CHAN_CASE_YIELD,	/* backed off from another select: look again */
};

/**
 * struct chan_take - what a receive took, until it commits or undoes
 * @seq: sequence number of the first element taken; the elements of one
 *	receive are consecutive
 * @count: elements taken
 * @held: how many of them came from slots of the buffer, which stay
 *	reserved until chan_recv_commit() or chan_recv_undo()
 *
 * Senders whose elements a receive took were completed then: the elements
 * are in kernel memory, and nothing the receive does with its user's
 * memory (a fault that never ends, on userfaultfd or FUSE) may hold a
 * sender back (L7).
 */
struct chan_take {
	u64 seq;
	u32 count;
	u32 held;
};

/**
 * struct chan_how - how an operation may wait
 * @nonblock: never wait: -EAGAIN where it would block (B1)
 * @timed: wait until @deadline at most: -ETIMEDOUT (B2)
 * @deadline: absolute CLOCK_MONOTONIC time, when @timed
 */
struct chan_how {
	bool nonblock;
	bool timed;
	ktime_t deadline;
};

/*
 * What a user's request allocates: charged to its memory cgroup (L1), and
 * failing with ENOMEM at the cgroup's limit rather than waking the cgroup's
 * OOM killer, which would kill the caller for asking.
 */
#define CHAN_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL)

void *chan_buf_alloc(size_t bytes, struct chan_charge *c);
void chan_buf_free(void *buf, struct chan_charge *c);

struct chan *chan_alloc(u32 elem_size, u32 cap, kuid_t uid);
struct chan *chan_alloc_ring(u32 elem_size, u32 cap, kuid_t uid);
void chan_kick(struct chan *ch);
void chan_watch(struct chan *ch);
void chan_get(struct chan *ch);
void chan_put(struct chan *ch);

ssize_t chan_send_elems(struct chan *ch, const void *elems, size_t n,
			const struct chan_how *how);
ssize_t chan_recv_elems(struct chan *ch, void *elems, size_t n,
			const struct chan_how *how, struct chan_take *t);
int chan_recv_user(struct chan *ch, void __user *uelem);
void chan_recv_commit(struct chan *ch, struct chan_take *t);
void chan_recv_undo(struct chan *ch, struct chan_take *t,
		    struct chan_msg *msg);
struct chan_msg *chan_msg_alloc(struct chan *ch, size_t n);
struct chan_msg *chan_recv_home(struct chan *ch);
void chan_msg_free(struct chan_msg *msg);
int chan_close(struct chan *ch);

bool chan_sleep(const struct chan_how *how);
bool chan_spin(const int *status);
bool chan_case_maybe_ready(const struct chan *ch, bool send);
int chan_case_try(struct chan *ch, struct chan_waiter *w, bool queued,
		  bool queue);
void chan_case_unqueue(struct chan *ch, struct chan_waiter *w);

void chan_add_fd(struct chan *ch, bool send, bool recv);
void chan_release_fd(struct chan *ch, bool send, bool recv);

int chan_core_init(void);
void chan_core_exit(void);

#endif /* _CHAN_CORE_H */
