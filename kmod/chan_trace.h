/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the chan subsystem (O1): what moves, blocks, wakes,
 * selects and closes, for perf (`perf record -e 'chan:*'`), bpftrace
 * (`tracepoint:chan:chan_wake`) and tracefs (events/chan/).
 *
 * Every event records scalars only: the channel's id (as in fdinfo's
 * chan-id), the acting task's pid (thread group) and tid, and what the
 * event is about.  Never a pointer: a trace outlives the waiters and
 * channels it names, and kernel addresses are not for users.  A
 * tracepoint that is off costs a static branch; the clock chan_wake's
 * waited_ns needs is read only when that event is on: at the block behind
 * trace_chan_wake_enabled(), and at the wake in TP_fast_assign().
 *
 * Defined by kmod/chan_trace.c (CREATE_TRACE_POINTS), included by the
 * files that fire them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM chan

#if !defined(_CHAN_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _CHAN_TRACE_H

#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <linux/types.h>

#include "chan_core.h"

#define chan_show_op(op)						\
	__print_symbolic(op,						\
			 { CHAN_OP_SEND,	"send" },		\
			 { CHAN_OP_RECV,	"recv" },		\
			 { CHAN_OP_SELECT_SEND,	"select-send" },	\
			 { CHAN_OP_SELECT_RECV,	"select-recv" },	\
			 { CHAN_OP_SELECT,	"select" })

/*
 * How a wait ended: chan_waiter.status (CHAN_W_DONE 1, CHAN_W_CLOSED 2) or
 * the errno of a wait that left without effect.
 */
#define chan_show_result(res)						\
	__print_symbolic(res,						\
			 { 1,		"done" },			\
			 { 2,		"closed" },			\
			 { -512,	"signal" },	/* -ERESTARTSYS */	\
			 { -110,	"timeout" })	/* -ETIMEDOUT */

/*
 * chan_send, chan_recv: a send or receive call returned; @n is the number
 * of elements it moved, or the negative errno it failed with (nothing
 * moved).  A select's move is chan_select's.
 */
DECLARE_EVENT_CLASS(chan_xfer,
	TP_PROTO(u64 id, long n),

	TP_ARGS(id, n),

	TP_STRUCT__entry(
		__field(u64, id)
		__field(long, n)
		__field(pid_t, pid)
		__field(pid_t, tid)
	),

	TP_fast_assign(
		__entry->id = id;
		__entry->n = n;
		__entry->pid = current->tgid;
		__entry->tid = current->pid;
	),

	TP_printk("chan=%llu pid=%d tid=%d n=%ld",
		  __entry->id, __entry->pid, __entry->tid, __entry->n)
);

DEFINE_EVENT(chan_xfer, chan_send,
	TP_PROTO(u64 id, long n),
	TP_ARGS(id, n)
);

DEFINE_EVENT(chan_xfer, chan_recv,
	TP_PROTO(u64 id, long n),
	TP_ARGS(id, n)
);

/*
 * chan_block: a task queued itself on a channel and is about to sleep.  A
 * blocked select fires it once for each channel it waits on.  @timed: the
 * wait has a deadline.
 */
TRACE_EVENT(chan_block,
	TP_PROTO(u64 id, int op, bool timed),

	TP_ARGS(id, op, timed),

	TP_STRUCT__entry(
		__field(u64, id)
		__field(pid_t, pid)
		__field(pid_t, tid)
		__field(int, op)
		__field(bool, timed)
	),

	TP_fast_assign(
		__entry->id = id;
		__entry->pid = current->tgid;
		__entry->tid = current->pid;
		__entry->op = op;
		__entry->timed = timed;
	),

	TP_printk("chan=%llu pid=%d tid=%d op=%s timed=%d",
		  __entry->id, __entry->pid, __entry->tid,
		  chan_show_op(__entry->op), __entry->timed)
);

/*
 * chan_wake: a blocked task is running again, @waited_ns after it blocked
 * (@t0: ktime_get_ns() when it blocked, read only if this event was on
 * then; 0 if not, and then @waited_ns is 0).  For a select, @id is the channel of the
 * case that won, 0 if none did (a signal, the deadline).
 */
TRACE_EVENT(chan_wake,
	TP_PROTO(u64 id, int op, u64 t0, int result),

	TP_ARGS(id, op, t0, result),

	TP_STRUCT__entry(
		__field(u64, id)
		__field(u64, waited_ns)
		__field(pid_t, pid)
		__field(pid_t, tid)
		__field(int, op)
		__field(int, result)
	),

	TP_fast_assign(
		__entry->id = id;
		__entry->waited_ns = t0 ? ktime_get_ns() - t0 : 0;
		__entry->pid = current->tgid;
		__entry->tid = current->pid;
		__entry->op = op;
		__entry->result = result;
	),

	TP_printk("chan=%llu pid=%d tid=%d op=%s waited_ns=%llu result=%s",
		  __entry->id, __entry->pid, __entry->tid,
		  chan_show_op(__entry->op), __entry->waited_ns,
		  chan_show_result(__entry->result))
);

/*
 * chan_select: a select returned case @index of its @ncases, on channel
 * @id; @ok is 0 if the case found its channel closed (nothing moved).
 */
TRACE_EVENT(chan_select,
	TP_PROTO(u64 id, u32 ncases, u32 index, int op, bool ok),

	TP_ARGS(id, ncases, index, op, ok),

	TP_STRUCT__entry(
		__field(u64, id)
		__field(pid_t, pid)
		__field(pid_t, tid)
		__field(u32, ncases)
		__field(u32, index)
		__field(int, op)
		__field(bool, ok)
	),

	TP_fast_assign(
		__entry->id = id;
		__entry->pid = current->tgid;
		__entry->tid = current->pid;
		__entry->ncases = ncases;
		__entry->index = index;
		__entry->op = op;
		__entry->ok = ok;
	),

	TP_printk("chan=%llu pid=%d tid=%d ncases=%u index=%u op=%s ok=%d",
		  __entry->id, __entry->pid, __entry->tid, __entry->ncases,
		  __entry->index, chan_show_op(__entry->op), __entry->ok)
);

/* chan_close: CHAN_IOC_CLOSE returned @ret (0, or -EPIPE if closed). */
TRACE_EVENT(chan_close,
	TP_PROTO(u64 id, int ret),

	TP_ARGS(id, ret),

	TP_STRUCT__entry(
		__field(u64, id)
		__field(pid_t, pid)
		__field(pid_t, tid)
		__field(int, ret)
	),

	TP_fast_assign(
		__entry->id = id;
		__entry->pid = current->tgid;
		__entry->tid = current->pid;
		__entry->ret = ret;
	),

	TP_printk("chan=%llu pid=%d tid=%d ret=%d",
		  __entry->id, __entry->pid, __entry->tid, __entry->ret)
);

#endif /* _CHAN_TRACE_H */

/* Out of the kernel tree: define_trace.h finds this file through -I$(src). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE chan_trace
#include <trace/define_trace.h>
