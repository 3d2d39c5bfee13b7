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

#include "chan_ring.h"

/**
 * struct chan - a channel
 * @lock: guards every field below it; never held with another chan's lock
 * @closed: Go's close happened (K1)
 * @no_recv: the last fd that may receive is gone: sends fail (K5)
 * @nsend_fds: open files that may send
 * @nrecv_fds: open files that may receive
 * @ring: the buffer, @cap slots
 * @spill: chan_msg batches given back by receivers that could not copy
 *	them out; they are older than anything in @ring and are taken first
 * @nspill: elements in @spill
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
 */
struct chan {
	spinlock_t lock;		/* see DOC: channel locking */
	bool closed;
	bool no_recv;
	u32 nsend_fds;
	u32 nrecv_fds;
	struct chan_ring ring;
	struct list_head spill;
	u32 nspill;
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
};

/**
 * struct chan_msg - elements a receiver holds outside the channel
 * @node: in chan.spill once put back
 * @first: index of the first element still held
 * @count: elements held, from @first on
 * @data: the elements
 *
 * A receiver takes elements into a chan_msg before it copies them to
 * userspace.  If that copy faults the chan_msg goes back into the channel
 * without a new allocation, so a fault never loses an element (R5).
 */
struct chan_msg {
	struct list_head node;
	u32 first;
	u32 count;
	u8 data[];
};

/* Results of a wait, in chan_waiter.status and chan_sel.status. */
enum {
	CHAN_W_WAITING,
	CHAN_W_BUSY,	/* a receiver is copying the element out */
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
 * @idx: the case's index in @sel
 * @send: the case sends (else it receives)
 */
struct chan_waiter {
	struct list_head node;
	struct task_struct *task;
	void *elem;
	int status;
	struct chan_sel *sel;
	u32 idx;
	bool send;
};

/* What chan_case_try() did. */
enum {
	CHAN_CASE_NOT_READY,
	CHAN_CASE_DONE,		/* the case proceeded: see chan_sel.status */
	CHAN_CASE_LOST,		/* another case of the select won meanwhile */
	CHAN_CASE_YIELD,	/* backed off from another select: look again */
};

/**
 * struct chan_take - what a receive took, until it commits or undoes
 * @senders: blocked senders whose elements were taken; they stay blocked
 *	until chan_recv_commit() or chan_recv_undo() says how it went
 * @owned: how many of the elements received, from the first on, left the
 *	channel itself (the buffer, or a hand-off to the waiting receiver);
 *	the rest are still @senders' own
 * @admit: senders were queued when elements left the buffer: the commit
 *	gives them the freed slots
 */
struct chan_take {
	struct list_head senders;
	u32 owned;
	bool admit;
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

struct chan *chan_alloc(u32 elem_size, u32 cap, kuid_t uid);
void chan_get(struct chan *ch);
void chan_put(struct chan *ch);

ssize_t chan_send_elems(struct chan *ch, const void *elems, size_t n,
			const struct chan_how *how);
ssize_t chan_recv_elems(struct chan *ch, void *elems, size_t n,
			const struct chan_how *how, struct chan_take *t);
int chan_recv_user(struct chan *ch, void __user *uelem, void *tmp);
void chan_recv_commit(struct chan *ch, struct chan_take *t);
void chan_recv_undo(struct chan *ch, struct chan_take *t,
		    struct chan_msg *msg);
struct chan_msg *chan_msg_alloc(struct chan *ch, size_t n, gfp_t gfp);
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
