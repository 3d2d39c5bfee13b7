/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * chan: Go's channels as file descriptors.
 *
 * /dev/chan hands out channel objects as file descriptors.  Open it, ask
 * CHAN_IOC_QUERY what the module supports, and make a channel with
 * CHAN_IOC_CREATE; everything else is done on the channel fd: ioctls for
 * single elements, read(2)/write(2) for batches, poll(2)/epoll for readiness.
 *
 * The rules these calls follow are in the chan(4) manual page.  Every struct
 * is naturally aligned, has no implicit padding, and carries reserved fields
 * that must be zero on input; unknown flags fail with EINVAL.
 */
#ifndef _UAPI_LINUX_CHAN_H
#define _UAPI_LINUX_CHAN_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define CHAN_API_VERSION	1

/* Largest element a channel can carry, in bytes (0 is Go's chan struct{}). */
#define CHAN_MAX_ELEM_SIZE	65536

/* Bits of chan_query.features. */
#define CHAN_FEAT_RW		_BITULL(0)	/* read(2)/write(2) of batches */
#define CHAN_FEAT_POLL		_BITULL(1)	/* poll/epoll on channel fds */
#define CHAN_FEAT_MODES		_BITULL(2)	/* send-only/receive-only fds */
#define CHAN_FEAT_SELECT	_BITULL(3)	/* CHAN_IOC_SELECT */
#define CHAN_FEAT_RING		_BITULL(4)	/* CHAN_CREATE_RING channels */
#define CHAN_FEAT_SET		_BITULL(8)	/* select sets: CHAN_IOC_SET_* */
#define CHAN_FEAT_TIMER		_BITULL(12)	/* CHAN_IOC_TIMER */

/**
 * struct chan_query - what the module implements (CHAN_IOC_QUERY)
 * @version: out: CHAN_API_VERSION of the module
 * @max_elem_size: out: CHAN_MAX_ELEM_SIZE
 * @features: out: CHAN_FEAT_* bits
 * @max_cap: out: largest capacity one channel may have
 * @max_buffer_bytes: out: largest buffer (elem_size * cap) of one channel
 * @user_budget_bytes: out: kernel memory one user's channels may hold
 * @reserved: out: zero
 */
struct chan_query {
	__u32 version;
	__u32 max_elem_size;
	__u64 features;
	__u64 max_cap;
	__u64 max_buffer_bytes;
	__u64 user_budget_bytes;
	__u64 reserved[3];
};

/* Flags of chan_create.flags and chan_dup.flags. */
#define CHAN_FD_NONBLOCK	_BITUL(0)	/* the new fd is O_NONBLOCK */
#define CHAN_FD_INHERIT		_BITUL(1)	/* the new fd survives exec */

/*
 * Flag of chan_create.flags only: a ring channel (cap >= 1), whose buffer
 * lives in pages that its holders map (see "Ring channels" below).
 */
#define CHAN_CREATE_RING	_BITUL(8)

/**
 * struct chan_create - make a channel (CHAN_IOC_CREATE on /dev/chan)
 * @elem_size: in: bytes per element, 0 to CHAN_MAX_ELEM_SIZE
 * @cap: in: buffer capacity in elements, 0 for an unbuffered channel
 * @flags: in: CHAN_FD_* bits
 * @fd: out: the new channel fd, which may send and receive; also the
 *	ioctl's return value
 * @reserved: in: zero
 */
struct chan_create {
	__u32 elem_size;
	__u32 cap;
	__u32 flags;
	__u32 fd;
	__u64 reserved[2];
};

/* Modes of chan_dup.mode and chan_info.mode. */
#define CHAN_MODE_SEND		_BITUL(0)
#define CHAN_MODE_RECV		_BITUL(1)
#define CHAN_MODE_BOTH		(CHAN_MODE_SEND | CHAN_MODE_RECV)

/**
 * struct chan_dup - a new fd for the same channel (CHAN_IOC_DUP)
 * @mode: in: CHAN_MODE_* bits, a non-empty subset of the fd's own mode
 * @flags: in: CHAN_FD_* bits for the new fd
 * @fd: out: the new fd; also the ioctl's return value
 * @reserved: in: zero
 */
struct chan_dup {
	__u32 mode;
	__u32 flags;
	__u32 fd;
	__u32 reserved;
};

/* Flags of chan_xfer.flags. */
#define CHAN_XFER_NONBLOCK	_BITUL(0)	/* EAGAIN instead of blocking */
#define CHAN_XFER_DEADLINE	_BITUL(1)	/* ETIMEDOUT at deadline_ns */

/**
 * struct chan_xfer - send or receive one element (CHAN_IOC_SEND/RECV)
 * @elem: in: user address of the element (may be 0 if elem_size is 0)
 * @deadline_ns: in: absolute CLOCK_MONOTONIC time, with CHAN_XFER_DEADLINE
 * @flags: in: CHAN_XFER_* bits; NONBLOCK and DEADLINE exclude each other
 * @reserved: in: zero
 *
 * CHAN_IOC_SEND returns 0.  CHAN_IOC_RECV returns 1 with an element stored
 * at @elem, or 0 once the channel is closed and drained.
 */
struct chan_xfer {
	__u64 elem;
	__u64 deadline_ns;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct chan_info - the state of a channel (CHAN_IOC_INFO)
 * @id: out: a number unique to the channel while the module is loaded
 * @elem_size: out: bytes per element
 * @cap: out: capacity
 * @len: out: elements buffered now
 * @closed: out: 1 once closed, else 0
 * @mode: out: CHAN_MODE_* bits of this fd
 * @send_waiters: out: tasks blocked sending
 * @recv_waiters: out: tasks blocked receiving
 * @reserved: out: zero
 */
struct chan_info {
	__u64 id;
	__u32 elem_size;
	__u32 cap;
	__u32 len;
	__u32 closed;
	__u32 mode;
	__u32 send_waiters;
	__u32 recv_waiters;
	__u32 reserved[3];
};

/* Operations of chan_select_case.op. */
#define CHAN_SELECT_SEND	1
#define CHAN_SELECT_RECV	2

/* Most cases one CHAN_IOC_SELECT takes. */
#define CHAN_SELECT_MAX		4096

/**
 * struct chan_select_case - one case of a select
 * @fd: in: a channel fd; with the top bit set (a negative int) the case is
 *	ignored, as a nil channel is in Go
 * @op: in: CHAN_SELECT_SEND or CHAN_SELECT_RECV
 * @elem: in: user address of the element to send, or where to store the
 *	one received (may be 0 if the element size is 0)
 * @reserved: in: zero
 */
struct chan_select_case {
	__u32 fd;
	__u32 op;
	__u64 elem;
	__u64 reserved;
};

/**
 * struct chan_select - wait on many channels at once (CHAN_IOC_SELECT)
 * @cases: in: user address of @ncases struct chan_select_case
 * @ncases: in: 1 to CHAN_SELECT_MAX
 * @flags: in: CHAN_XFER_NONBLOCK (Go's default) or CHAN_XFER_DEADLINE
 * @deadline_ns: in: absolute CLOCK_MONOTONIC time, with CHAN_XFER_DEADLINE
 * @index: out: the case that proceeded; also the ioctl's return value
 * @ok: out: 1 if it sent or received, 0 if its channel was closed
 * @reserved: in: zero
 *
 * Exactly one case proceeds, chosen at random among those ready.  The
 * ioctl works on /dev/chan and on any channel fd alike.  If this struct
 * cannot be written back (EFAULT), nothing moved: a received element goes
 * back to its channel.  The one exception is a send that went through,
 * which cannot be taken back: the ioctl then still returns its index and
 * leaves @index and @ok as they were, so a caller that sets @ok to 1
 * beforehand always reads the right answer.
 */
struct chan_select {
	__u64 cases;
	__u32 ncases;
	__u32 flags;
	__u64 deadline_ns;
	__u32 index;
	__u32 ok;
	__u64 reserved;
};

/* Shortest period of a ticker: twice the default timer slack. */
#define CHAN_TIMER_MIN_PERIOD_NS	100000

/**
 * struct chan_timer_create - make a timer channel (CHAN_IOC_TIMER)
 * @delay_ns: in: the first element comes this many ns of CLOCK_MONOTONIC
 *	from now; 0 or less: at once
 * @period_ns: in: 0 for one element, after which the channel is closed
 *	(Go's time.After); else one element every @period_ns ns, at least
 *	CHAN_TIMER_MIN_PERIOD_NS (Go's time.Ticker)
 * @flags: in: CHAN_FD_* bits for the new fd
 * @fd: out: the new fd, receive-only; also the ioctl's return value
 * @reserved: in: zero
 *
 * A timer channel carries __s64 elements, the CLOCK_MONOTONIC time in ns
 * at which the timer fired, and buffers one: a tick that finds the last
 * one still unreceived replaces it.  It stops when its last fd is closed.
 */
struct chan_timer_create {
	__s64 delay_ns;
	__u64 period_ns;
	__u32 flags;
	__u32 fd;
	__u64 reserved[2];
};

/**
 * struct chan_set_make - make a select set (CHAN_IOC_SET_MAKE on /dev/chan)
 * @flags: in: CHAN_FD_* bits for the new set fd
 * @fd: out: the new set fd; also the ioctl's return value
 * @reserved: in: zero
 *
 * A select set holds cases registered once (CHAN_IOC_SET_ADD) and lets one
 * ready case proceed per CHAN_IOC_SET_WAIT, at a cost that grows with the
 * ready cases, not the registered ones.  The set fd is pollable: EPOLLIN
 * while a case may be ready.
 */
struct chan_set_make {
	__u32 flags;
	__u32 fd;
	__u64 reserved;
};

/**
 * struct chan_set_case - register a case with a set (CHAN_IOC_SET_ADD)
 * @fd: in: a channel fd whose mode allows @op; the set keeps the channel
 *	until the case is removed or the set is closed, not the fd
 * @op: in: CHAN_SELECT_SEND or CHAN_SELECT_RECV
 * @elem: in: user address of the element to send (read at each wait that
 *	sends it) or where to store the one received (may be 0 if the
 *	element size is 0)
 * @id: out: the case's id, >= 0; also the ioctl's return value
 * @reserved: in: zero
 */
struct chan_set_case {
	__u32 fd;
	__u32 op;
	__u64 elem;
	__u32 id;
	__u32 reserved;
};

/**
 * struct chan_set_del - remove a case from a set (CHAN_IOC_SET_DEL)
 * @id: in: the id CHAN_IOC_SET_ADD returned
 * @reserved: in: zero
 */
struct chan_set_del {
	__u32 id;
	__u32 reserved;
};

/**
 * struct chan_set_wait - let one ready case of a set proceed (CHAN_IOC_SET_WAIT)
 * @deadline_ns: in: absolute CLOCK_MONOTONIC time, with CHAN_XFER_DEADLINE
 * @flags: in: CHAN_XFER_NONBLOCK or CHAN_XFER_DEADLINE, not both
 * @reserved: in: zero
 * @id: out: the case that proceeded; also the ioctl's return value
 * @ok: out: 1 if it sent or received, 0 if its channel was closed
 *
 * As CHAN_IOC_SELECT over the set's cases: exactly one proceeds.  If this
 * struct cannot be written back (EFAULT), a received element goes back to
 * its channel; a send that went through still returns its id.
 */
struct chan_set_wait {
	__u64 deadline_ns;
	__u32 flags;
	__u32 reserved;
	__u32 id;
	__u32 ok;
};

/**
 * DOC: Ring channels
 *
 * A channel made with CHAN_CREATE_RING keeps its buffer in shared pages.
 * mmap(2) of the channel fd (MAP_SHARED, offset 0, exactly
 * chan_ring_info.map_bytes) maps one page private to the mapping, then
 * the shared pages: struct chan_ring_hdr, and at CHAN_RING_SLOTS_OFFSET
 * from it @cap slots of @stride bytes, each a __u64 state word followed by
 * the element.  The mapping is not inherited by fork(2).
 *
 * A slot's state holds a sequence number in its low 32 bits and a tag in
 * its high 32 bits.  For the element at position p (positions count up
 * from 0; slot p % cap; all arithmetic modulo 2^32):
 *	seq 2p,   tag 0				free, for a sender at p
 *	seq 2p,   tag CHAN_RING_TAG_WRITE | own	being written through mapping own
 *	seq 2p+1, tag 0				holds the element of p
 *	seq 2p+1, tag CHAN_RING_TAG_READ | own	being read through mapping own
 *	seq 2p+1, tag CHAN_RING_TAG_SKIP	no element: a sender gave up
 *	seq 2(p+cap), tag 0			free again, for position p+cap
 * own is chan_ring_own.tag of the mapping the claim was made through; 0 is
 * the kernel, which holds a slot only under the channel's lock;
 * no one advances @tail or @head past a slot the kernel holds.  Own
 * CHAN_RING_TAG_OWN (all ones), never a mapping's, marks a slot whose
 * element the kernel took for a receive that has not delivered it yet: to
 * everyone else it is a slot still being read, until the kernel frees it.  A sender
 * claims the free slot at @tail with a compare-and-exchange of its state,
 * then moves @tail on (anyone may move a hint past a slot that is no longer
 * free); a receiver does the same at @head.  The tag is what lets the
 * kernel repair the slots a mapping's claims left half done when the
 * mapping goes (its process died, exec'd or unmapped it); a claim must
 * carry the tag of the mapping it is made through, or it may be repaired
 * while it is still in progress.
 *
 * The private page starts with struct chan_ring_own.
 */
#define CHAN_RING_TAG_OWN	0x3fffffffU	/* the mapping's own tag */
#define CHAN_RING_TAG_WRITE	0x40000000U
#define CHAN_RING_TAG_READ	0x80000000U
#define CHAN_RING_TAG_SKIP	(CHAN_RING_TAG_WRITE | CHAN_RING_TAG_READ)

/* Bits of chan_ring_hdr.waiters: who must be woken through the kernel. */
#define CHAN_RING_W_SEND	_BITUL(0)	/* senders blocked in the kernel */
#define CHAN_RING_W_RECV	_BITUL(1)	/* receivers blocked in the kernel */
#define CHAN_RING_W_POLL	_BITUL(2)	/* pollers or selects wait */
#define CHAN_RING_W_SPILL	_BITUL(3)	/* older elements wait in the kernel */

/* Bits of chan_ring_hdr.closed: sends fail with EPIPE. */
#define CHAN_RING_CLOSED	_BITUL(0)	/* closed (K1) */
#define CHAN_RING_NO_RECV	_BITUL(1)	/* no fd may receive (K5) */

/**
 * struct chan_ring_own - the start of a mapping's private page
 * @closes: incremented by the kernel whenever the mapping's process closes
 *	an fd of the channel: a library that caches mappings by fd number
 *	sees it change and looks again, without a call
 * @tag: what claims made through this mapping carry in the
 *	CHAN_RING_TAG_OWN bits of a slot's tag; never 0 nor
 *	CHAN_RING_TAG_OWN, and no other live mapping of any ring channel has
 *	it; written once by the kernel
 */
struct chan_ring_own {
	__u32 closes;
	__u32 tag;
};

/**
 * struct chan_ring_hdr - the start of a ring channel's shared pages
 * @tail: position senders claim next (a hint: the slots are the truth)
 * @head: position receivers claim next (a hint)
 * @waiters: CHAN_RING_W_* bits, written by the kernel: after a send or a
 *	receive that finds one set, call CHAN_IOC_RING_KICK
 * @closed: CHAN_RING_CLOSED and CHAN_RING_NO_RECV, written by the kernel
 * @cap: the capacity, written once by the kernel
 * @elem_size: the element size, written once by the kernel
 * @stride: bytes per slot, written once by the kernel
 *
 * Every word can be written by every holder; the kernel trusts none of them.
 */
struct chan_ring_hdr {
	__u32 tail;
	__u32 pad0[15];
	__u32 head;
	__u32 pad1[15];
	__u32 waiters;
	__u32 closed;
	__u32 cap;
	__u32 elem_size;
	__u32 stride;
	__u32 pad2[11];
};

#define CHAN_RING_SLOTS_OFFSET	256
/* Bytes per slot for elements of size esz. */
#define CHAN_RING_STRIDE(esz)	(8 + (((esz) + 7) & ~7U))

/**
 * struct chan_ring_info - how to map a ring channel (CHAN_IOC_RING_INFO)
 * @id: out: chan_info.id of the channel
 * @map_bytes: out: the length to mmap(2): the private page and the
 *	shared ones
 * @cap: out: capacity
 * @elem_size: out: bytes per element
 * @stride: out: bytes per slot
 * @reserved: out: zero
 *
 * Fails with ENODEV on a channel that is not a ring.
 */
struct chan_ring_info {
	__u64 id;
	__u64 map_bytes;
	__u32 cap;
	__u32 elem_size;
	__u32 stride;
	__u32 reserved[3];
};

#define CHAN_IOC_MAGIC		0xC6

/* On /dev/chan */
#define CHAN_IOC_QUERY		_IOR(CHAN_IOC_MAGIC, 0x00, struct chan_query)
#define CHAN_IOC_CREATE		_IOWR(CHAN_IOC_MAGIC, 0x01, struct chan_create)

/* On /dev/chan or a channel fd */
#define CHAN_IOC_SELECT		_IOWR(CHAN_IOC_MAGIC, 0x02, struct chan_select)

/* On /dev/chan: make a timer channel */
#define CHAN_IOC_TIMER		_IOWR(CHAN_IOC_MAGIC, 0x40, struct chan_timer_create)

/* On /dev/chan: make a select set */
#define CHAN_IOC_SET_MAKE	_IOWR(CHAN_IOC_MAGIC, 0x30, struct chan_set_make)

/* On a select set fd */
#define CHAN_IOC_SET_ADD	_IOWR(CHAN_IOC_MAGIC, 0x31, struct chan_set_case)
#define CHAN_IOC_SET_DEL	_IOW(CHAN_IOC_MAGIC, 0x32, struct chan_set_del)
#define CHAN_IOC_SET_WAIT	_IOWR(CHAN_IOC_MAGIC, 0x33, struct chan_set_wait)

/* On a channel fd */
#define CHAN_IOC_DUP		_IOWR(CHAN_IOC_MAGIC, 0x10, struct chan_dup)
#define CHAN_IOC_SEND		_IOW(CHAN_IOC_MAGIC, 0x11, struct chan_xfer)
#define CHAN_IOC_RECV		_IOW(CHAN_IOC_MAGIC, 0x12, struct chan_xfer)
#define CHAN_IOC_CLOSE		_IO(CHAN_IOC_MAGIC, 0x13)
#define CHAN_IOC_INFO		_IOR(CHAN_IOC_MAGIC, 0x14, struct chan_info)
/* On a ring channel fd */
#define CHAN_IOC_RING_INFO	_IOR(CHAN_IOC_MAGIC, 0x15, struct chan_ring_info)
/* Hand elements and room to blocked tasks, wake pollers, refresh waiters */
#define CHAN_IOC_RING_KICK	_IO(CHAN_IOC_MAGIC, 0x16)

#endif /* _UAPI_LINUX_CHAN_H */
