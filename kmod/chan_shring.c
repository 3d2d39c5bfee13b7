// SPDX-License-Identifier: GPL-2.0
/*
 * Ring channels: a buffered channel whose buffer is shared with its holders.
 */
#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <kunit/visibility.h>

#include <linux/chan.h>

#include "chan_core.h"
#include "chan_shring.h"

/**
 * DOC: ring channel protocol
 *
 * A ring channel's buffer is @cap slots in pages that the kernel allocates
 * (charged like any buffer, M6) and that every holder may map; libchan
 * (userlib/ring.h) sends and receives there without a system call (M1).
 * The layout and the slot states are in uapi/linux/chan.h ("Ring
 * channels"): each slot has a 64-bit state word, a sequence number and a
 * tag, changed only by compare-and-exchange when claimed and by a release
 * store when handed on.  The queue is Vyukov's bounded MPMC queue, with the
 * claim moved from the index to the slot, so that the claimer's mapping
 * is written in the same atomic step and a dead claimer can be found (M3).
 *
 * Who writes what:
 *	slot state	senders and receivers (claim: cmpxchg; hand on: release)
 *	slot element	the slot's writer, between its claim and its release
 *	hdr.tail, .head	anyone, by cmpxchg, one step past a claimed slot
 *	hdr.waiters	the kernel, under chan.lock
 *	hdr.closed	the kernel, under chan.lock
 *
 * The kernel's own operations (ioctls, read/write, select, poll, close,
 * put-back) use the same slots under chan.lock, with tag 0 in the state, so
 * any mix of paths is one queue (M2).  Elements are only ever in the slots
 * or in the kernel's spill of put-backs (chan.spill), never in a second
 * buffer; while the spill holds any, CHAN_RING_W_SPILL sends receivers to
 * the kernel, which takes the spill first (R1).  The kernel holds at most
 * one slot per side with tag 0, and only while it holds chan.lock: it
 * reserves a slot before it wins a waiter or a select, and gives it back
 * untouched if it wins none, so a select is never won without its element
 * (X2).  Nobody moves a hint past a slot the kernel holds, so a slot given
 * back is found again where it was.
 *
 * Kept slots.  A receive in the kernel copies its elements out after it
 * drops chan.lock, and that copy may fault; the elements then go to the
 * spill, and must find the buffer as they left it: no fuller than @cap,
 * and no blocked sender let in by their absence (L2, R1).  So a slot the
 * kernel takes an element from stays claimed until the element is
 * delivered: chan_shring_keep_head() marks it read by CHAN_SHRING_TAG_KEPT,
 * an owner tag no mapping gets, and records its position in @kept.  To
 * every holder it is a slot still being read: hints pass it, and no
 * sender can claim it for the next lap.  chan_shring_release() frees the
 * oldest kept slots when receives deliver (chan_recv_commit()); a put-back
 * keeps them, and so the spill's elements keep their room, until they are
 * received and delivered in turn.  At most @cap slots can be kept, one per
 * slot, unless a holder rewrote the pages; a slot that cannot be kept is
 * freed as before and its element counted beyond the capacity (chan.nover).
 *
 * Memory-order pairs (the futex protocol, both sides' barriers full):
 * 1. Sleeping.  A task about to block in the kernel sets its bit in
 *    hdr.waiters, smp_mb(), then looks at the slots (chan_shring_want()
 *    runs before the lock hold that decides to sleep).  A fast-path sender
 *    publishes its element (release), fences, then reads hdr.waiters, and
 *    enters the kernel (CHAN_IOC_RING_KICK) if a bit is set; so either the
 *    sleeper sees the element or the sender sees the bit.  Receivers and
 *    blocked senders are the mirror image.  Pollers set CHAN_RING_W_POLL
 *    after poll_wait() queued them.
 * 2. Closing.  Close sets hdr.closed, smp_mb(), then looks at the slots;
 *    a fast-path sender claims (cmpxchg), fences, then reads hdr.closed and
 *    gives its slot up as SKIP with EPIPE if set.  Either the sender sees
 *    the close or close sees the claimed slot and does not yet tell
 *    receivers "closed" (K3): the claimer's publication or the kernel's
 *    repair kicks them later.
 * 3. Elements.  A writer stores the element, then the state with release;
 *    a reader claims the state with cmpxchg (a full barrier) before it
 *    reads the element, and releases the slot only after it has read it.
 *
 * What the kernel re-checks (M4): every holder can write every shared
 * word, so the kernel keeps @cap, @elem_size, @stride and the slot it holds
 * to itself, reads each shared word once (READ_ONCE) into a local, reduces
 * every position modulo its own @cap before it touches a slot, and gives
 * up after CHAN_SHRING_TRIES attempts, reporting "full" or "empty".  The
 * worst a holder can do is garble the channel's elements, or make its
 * calls block or fail with EAGAIN; a blocked call still ends by signal or
 * deadline, and only holders of the channel can block on it.  The kernel
 * never copies an element anywhere but between a slot and the caller's
 * own buffer, and never reads or writes outside the pages.
 *
 * Locks: chan.lock serialises the kernel's own claims (chan_shring.wheld,
 * .rheld) and its writes of hdr.waiters and hdr.closed.  chan_shring.maps_lock,
 * a mutex, guards the list of mappings; it nests inside the mm's mmap lock
 * (mmap(2) and munmap call us with it held) and is never taken with
 * chan.lock held, nor chan.lock with it.  The repair and chan_shring_tidy()
 * need no lock: each of their steps is one cmpxchg.
 *
 * Repair (M3): every mapping has a tag of its own (chan_shring_map.tag,
 * from chan_shring_tags, told to its holder in the private page, struct
 * chan_ring_own), and the claims made through a mapping carry it.  A
 * process that dies between a claim and its release leaves a slot with
 * its mapping's tag.  When that mapping goes (exit, exec, munmap),
 * chan_shring_vm_close() turns the slots claimed through it for writing
 * into SKIP (the element was not sent) and those claimed for reading into
 * free ones (the element went with the receiver, as if its receive had
 * returned), then kicks the channel.  The tag is the mapping's, not the
 * process's: a process maps a channel once per fd it uses, and unmaps one
 * of them while its other threads are inside claims made through another
 * (libchan does, when an fd number is reused or two threads map an fd at
 * once); a repair by process would free those slots under them, and a
 * receiver would copy the sender's next element, newer than the ones
 * still queued (R1), and then see it again (R5).  Mappings are not
 * inherited by fork(2) (VM_DONTCOPY), so only the tasks of the process
 * that made a mapping can claim through it.  A slot the kernel holds with
 * tag 0 is never left behind: it is taken and given back within one hold
 * of chan.lock.  A kept slot belongs to no mapping and needs no repair: it
 * is released when its element is delivered, by the receive or by
 * whoever later receives it from the spill.
 */

/* Attempts at a claim before the kernel reports full or empty (M4). */
#define CHAN_SHRING_TRIES	64

/* The owner of kept slots (DOC: ring channel protocol); no mapping's tag. */
#define CHAN_SHRING_TAG_KEPT	CHAN_RING_TAG_OWN

/* The tags of the live mappings of every ring channel: below ..._TAG_KEPT. */
static DEFINE_IDA(chan_shring_tags);

/**
 * struct chan_shring_map - one mapping of a ring channel's pages
 * @node: in chan_shring.maps
 * @mm: the address space it is in, compared only
 * @tag: what the claims made through it carry, never 0 (the kernel's)
 *	nor CHAN_SHRING_TAG_KEPT
 * @page: the page private to the mapping, struct chan_ring_own: the fds
 *	of the channel that the mapping's process closed, and @tag
 * @charge: what the page and this struct cost the budget of the mapper
 */
struct chan_shring_map {
	struct list_head node;
	struct mm_struct *mm;
	u32 tag;
	struct page *page;
	struct chan_charge charge;
};

static inline u64 chan_st(u32 tag, u32 seq)
{
	return ((u64)tag << 32) | seq;
}

static inline u32 chan_st_tag(u64 s)
{
	return s >> 32;
}

static inline u32 chan_st_seq(u64 s)
{
	return (u32)s;
}

/* The state word of the slot at position @pos, bounded by the kernel's cap. */
static u64 *chan_shring_state(const struct chan_shring *sh, u32 pos)
{
	return (u64 *)(sh->slots + (size_t)(pos % sh->cap) * sh->stride);
}

static void *chan_shring_data(const struct chan_shring *sh, u32 pos)
{
	return (u8 *)chan_shring_state(sh, pos) + sizeof(u64);
}

/* A user's claim (not the kernel's, not SKIP): a hint may pass it. */
static bool chan_user_claim(u32 tag, u32 kind)
{
	return (tag & ~CHAN_RING_TAG_OWN) == kind && (tag & CHAN_RING_TAG_OWN);
}

/* Move hint @hint from @pos to @pos + 1, unless someone did already. */
static void chan_hint_step(u32 *hint, u32 pos)
{
	cmpxchg(hint, pos, pos + 1);
}

/**
 * chan_shring_check() - check a ring channel's shape
 * @elem_size: bytes per element
 * @cap: capacity
 * @charge: set to the bytes the shared pages and their bookkeeping cost
 *
 * Return: 0, or -EINVAL for cap 0 or pages over the per-channel limit.
 */
int chan_shring_check(u32 elem_size, u32 cap, size_t *charge)
{
	size_t bytes, npages;
	int err;

	if (!cap)
		return -EINVAL;
	err = chan_limits_check(elem_size, cap);
	if (err)
		return err;
	bytes = size_add(array_size(CHAN_RING_STRIDE((size_t)elem_size), cap),
			 CHAN_RING_SLOTS_OFFSET);
	err = chan_limits_check_bytes(bytes);
	if (err)
		return err;
	npages = DIV_ROUND_UP(bytes, PAGE_SIZE);
	*charge = npages * PAGE_SIZE +
		  kmalloc_size_roundup(npages * sizeof(struct page *)) +
		  kmalloc_size_roundup(array_size(cap, sizeof(u32))) +
		  kmalloc_size_roundup(sizeof(struct chan_shring));
	return 0;
}

/* Free the pages and arrays of @sh, as far as chan_shring_create() got. */
static void chan_shring_free_pages(struct chan_shring *sh)
{
	unsigned int i;

	for (i = 0; sh->pages && i < sh->npages; i++)
		if (sh->pages[i])
			put_page(sh->pages[i]);
	kvfree(sh->pages);
	kvfree(sh->kept);
}

/**
 * chan_shring_create() - allocate a ring channel's shared pages
 * @elem_size: bytes per element
 * @cap: capacity, checked by chan_shring_check()
 *
 * The pages are charged to the caller's memory cgroup; the caller charged
 * the budget.  Every slot starts free for its first position.
 *
 * Return: the ring, or ERR_PTR(-ENOMEM).
 */
struct chan_shring *chan_shring_create(u32 elem_size, u32 cap)
{
	size_t bytes = CHAN_RING_SLOTS_OFFSET +
		       (size_t)CHAN_RING_STRIDE(elem_size) * cap;
	struct chan_shring *sh;
	unsigned int i;
	void *base;

	sh = kzalloc(sizeof(*sh), CHAN_GFP);
	if (!sh)
		return ERR_PTR(-ENOMEM);
	sh->npages = DIV_ROUND_UP(bytes, PAGE_SIZE);
	sh->pages = kvcalloc(sh->npages, sizeof(*sh->pages), CHAN_GFP);
	sh->kept = kvcalloc(cap, sizeof(*sh->kept), CHAN_GFP);
	if (!sh->pages || !sh->kept)
		goto free_pages;
	for (i = 0; i < sh->npages; i++) {
		sh->pages[i] = alloc_page(CHAN_GFP | __GFP_ZERO);
		if (!sh->pages[i])
			goto free_pages;
	}
	base = vmap(sh->pages, sh->npages, VM_MAP, PAGE_KERNEL);
	if (!base)
		goto free_pages;
	sh->hdr = base;
	sh->slots = (u8 *)base + CHAN_RING_SLOTS_OFFSET;
	sh->cap = cap;
	sh->elem_size = elem_size;
	sh->stride = CHAN_RING_STRIDE(elem_size);
	mutex_init(&sh->maps_lock);
	INIT_LIST_HEAD(&sh->maps);
	sh->hdr->cap = cap;
	sh->hdr->elem_size = elem_size;
	sh->hdr->stride = sh->stride;
	/* Slot i is free for position i: seq 2i, tag 0. */
	for (i = 0; i < cap; i++)
		*chan_shring_state(sh, i) = chan_st(0, 2 * i);
	return sh;

free_pages:
	chan_shring_free_pages(sh);
	kfree(sh);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_IF_KUNIT(chan_shring_create);

/**
 * chan_shring_destroy() - free the pages of a ring nobody maps any more
 * @sh: the ring, or NULL
 */
void chan_shring_destroy(struct chan_shring *sh)
{
	if (!sh)
		return;
	WARN_ON_ONCE(!list_empty(&sh->maps));
	vunmap(sh->hdr);
	chan_shring_free_pages(sh);
	kfree(sh);
}

/*
 * Move the hints past slots that are no longer where they point: claimed
 * by a user (tail), read or being read by a user, or SKIP (head, which
 * frees SKIP slots on the way).  Bounded, and safe without chan.lock: every
 * step is a cmpxchg that only ever moves a hint by one.
 */
static void chan_shring_tidy(struct chan_shring *sh)
{
	u32 *tailp = &sh->hdr->tail, *headp = &sh->hdr->head;
	int i;

	for (i = 0; i < CHAN_SHRING_TRIES; i++) {
		u32 t = READ_ONCE(*tailp);
		u64 s = READ_ONCE(*chan_shring_state(sh, t));
		s32 d = (s32)(chan_st_seq(s) - 2 * t);

		if (d < 0 || (!d && !chan_user_claim(chan_st_tag(s),
						     CHAN_RING_TAG_WRITE)))
			break;
		chan_hint_step(tailp, t);
	}
	for (i = 0; i < CHAN_SHRING_TRIES; i++) {
		u32 h = READ_ONCE(*headp);
		u64 *st = chan_shring_state(sh, h);
		u64 s = READ_ONCE(*st);
		u32 tag = chan_st_tag(s);
		s32 d = (s32)(chan_st_seq(s) - (2 * h + 1));

		if (d < 0)
			break;
		if (!d && tag == CHAN_RING_TAG_SKIP) {
			if (cmpxchg64(st, s, chan_st(0, 2 * (h + sh->cap))) != s)
				continue;
		} else if (!d && !chan_user_claim(tag, CHAN_RING_TAG_READ)) {
			break;
		}
		chan_hint_step(headp, h);
	}
}

/**
 * chan_shring_reserve_tail() - hold the next free slot for an element
 * @sh: the ring; chan.lock held
 * @slot: set to where the element goes
 *
 * Holding it again before chan_shring_commit_tail() or
 * chan_shring_cancel_tail() returns the same slot.
 *
 * Return: false if the ring is full (or the shared state makes no sense).
 */
bool chan_shring_reserve_tail(struct chan_shring *sh, void **slot)
{
	u32 *tailp = &sh->hdr->tail;
	int i;

	if (sh->wheld)
		goto held;
	for (i = 0; i < CHAN_SHRING_TRIES; i++) {
		u32 t = READ_ONCE(*tailp);
		u64 *st = chan_shring_state(sh, t);
		u64 s = READ_ONCE(*st);
		u32 tag = chan_st_tag(s);
		s32 d = (s32)(chan_st_seq(s) - 2 * t);

		if (d < 0)
			return false;
		if (d > 0 || chan_user_claim(tag, CHAN_RING_TAG_WRITE)) {
			chan_hint_step(tailp, t);
			continue;
		}
		if (tag)
			return false;
		if (cmpxchg64(st, s, chan_st(CHAN_RING_TAG_WRITE, 2 * t)) != s)
			continue;
		sh->wpos = t;
		sh->wheld = true;
		goto held;
	}
	return false;
held:
	*slot = chan_shring_data(sh, sh->wpos);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(chan_shring_reserve_tail);

/**
 * chan_shring_commit_tail() - publish the element written to the held slot
 * @sh: the ring; chan.lock held, a slot held for writing
 */
void chan_shring_commit_tail(struct chan_shring *sh)
{
	u32 pos = sh->wpos;

	sh->wheld = false;
	/* Pairs with the reader's claim: the element before the state. */
	smp_store_release(chan_shring_state(sh, pos),
			  chan_st(0, 2 * pos + 1));
	chan_hint_step(&sh->hdr->tail, pos);
}
EXPORT_SYMBOL_IF_KUNIT(chan_shring_commit_tail);

/**
 * chan_shring_cancel_tail() - give the held free slot back untouched
 * @sh: the ring; chan.lock held, a slot held for writing
 */
void chan_shring_cancel_tail(struct chan_shring *sh)
{
	sh->wheld = false;
	/* Pairs with a claimer's cmpxchg: free again, as it was. */
	smp_store_release(chan_shring_state(sh, sh->wpos),
			  chan_st(0, 2 * sh->wpos));
}
EXPORT_SYMBOL_IF_KUNIT(chan_shring_cancel_tail);

/**
 * chan_shring_reserve_head() - hold the oldest element so nobody else takes it
 * @sh: the ring; chan.lock held
 * @slot: set to the element
 *
 * Return: false if no element is ready (empty, or the oldest one is still
 * being written).
 */
bool chan_shring_reserve_head(struct chan_shring *sh, const void **slot)
{
	u32 *headp = &sh->hdr->head;
	int i;

	if (sh->rheld)
		goto held;
	for (i = 0; i < CHAN_SHRING_TRIES; i++) {
		u32 h = READ_ONCE(*headp);
		u64 *st = chan_shring_state(sh, h);
		u64 s = READ_ONCE(*st);
		u32 tag = chan_st_tag(s);
		s32 d = (s32)(chan_st_seq(s) - (2 * h + 1));

		if (d < 0)
			return false;
		if (!d && tag == CHAN_RING_TAG_SKIP) {
			if (cmpxchg64(st, s, chan_st(0, 2 * (h + sh->cap))) == s)
				chan_hint_step(headp, h);
			continue;
		}
		if (d > 0 || chan_user_claim(tag, CHAN_RING_TAG_READ)) {
			chan_hint_step(headp, h);
			continue;
		}
		if (tag)
			return false;
		if (cmpxchg64(st, s, chan_st(CHAN_RING_TAG_READ, 2 * h + 1)) != s)
			continue;
		sh->rpos = h;
		sh->rheld = true;
		goto held;
	}
	return false;
held:
	*slot = chan_shring_data(sh, sh->rpos);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(chan_shring_reserve_head);

/**
 * chan_shring_commit_head() - free the held slot, its element taken
 * @sh: the ring; chan.lock held, a slot held for reading
 */
void chan_shring_commit_head(struct chan_shring *sh)
{
	u32 pos = sh->rpos;

	sh->rheld = false;
	chan_hint_step(&sh->hdr->head, pos);
	/* The element was copied before the slot can be written again. */
	smp_store_release(chan_shring_state(sh, pos),
			  chan_st(0, 2 * (pos + sh->cap)));
}
EXPORT_SYMBOL_IF_KUNIT(chan_shring_commit_head);

/**
 * chan_shring_cancel_head() - leave the held element where it is
 * @sh: the ring; chan.lock held, a slot held for reading
 */
void chan_shring_cancel_head(struct chan_shring *sh)
{
	sh->rheld = false;
	/* Pairs with a claimer's cmpxchg: full again, element untouched. */
	smp_store_release(chan_shring_state(sh, sh->rpos),
			  chan_st(0, 2 * sh->rpos + 1));
}
EXPORT_SYMBOL_IF_KUNIT(chan_shring_cancel_head);

/**
 * chan_shring_keep_head() - take the held element, keeping its slot
 * @sh: the ring; chan.lock held, a slot held for reading
 *
 * For a receive that delivers the element after dropping chan.lock: the
 * slot stays claimed, by CHAN_SHRING_TAG_KEPT, until chan_shring_release()
 * (see DOC: ring channel protocol, kept slots).
 *
 * Return: true if the slot is kept; false if it was freed at once, as
 * chan_shring_commit_head() does, because @cap slots are kept already
 * (only a holder rewriting kept slots makes that happen).
 */
bool chan_shring_keep_head(struct chan_shring *sh)
{
	u32 pos = sh->rpos;

	if (sh->nkept == sh->cap) {
		chan_shring_commit_head(sh);
		return false;
	}
	sh->rheld = false;
	sh->kept[(sh->kept_first + sh->nkept) % sh->cap] = pos;
	WRITE_ONCE(sh->nkept, sh->nkept + 1);
	chan_hint_step(&sh->hdr->head, pos);
	/* Still being read, to everyone else: senders wait for its release. */
	WRITE_ONCE(*chan_shring_state(sh, pos),
		   chan_st(CHAN_RING_TAG_READ | CHAN_SHRING_TAG_KEPT,
			   2 * pos + 1));
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(chan_shring_keep_head);

/**
 * chan_shring_release() - free kept slots: their elements were delivered
 * @sh: the ring; chan.lock held
 * @n: how many, the oldest first
 *
 * Which slots is immaterial to the elements (they are out of the ring);
 * the oldest first frees them in the order senders will reach them.
 */
void chan_shring_release(struct chan_shring *sh, u32 n)
{
	n = min(n, sh->nkept);
	while (n--) {
		u32 pos = sh->kept[sh->kept_first];

		sh->kept_first = (sh->kept_first + 1) % sh->cap;
		WRITE_ONCE(sh->nkept, sh->nkept - 1);
		/*
		 * Pairs with a sender's claim of the next lap.  Only if it is
		 * still kept: a holder that rewrote it owns the result (M4).
		 */
		cmpxchg64(chan_shring_state(sh, pos),
			  chan_st(CHAN_RING_TAG_READ | CHAN_SHRING_TAG_KEPT,
				  2 * pos + 1),
			  chan_st(0, 2 * (pos + sh->cap)));
	}
}
EXPORT_SYMBOL_IF_KUNIT(chan_shring_release);

/**
 * chan_shring_count() - elements in the ring, claimed slots included
 * @sh: the ring
 *
 * An estimate from the hints, after moving them on: exact while nobody
 * else touches the ring, and between 0 and the capacity whatever the pages
 * hold.  Safe without chan.lock.
 *
 * Return: the number of slots between head and tail.
 */
u32 chan_shring_count(struct chan_shring *sh)
{
	s32 d;

	chan_shring_tidy(sh);
	d = (s32)(READ_ONCE(sh->hdr->tail) - READ_ONCE(sh->hdr->head));
	return clamp_t(s32, d, 0, sh->cap);
}
EXPORT_SYMBOL_IF_KUNIT(chan_shring_count);

/**
 * chan_shring_drained() - whether no element is in the ring or on its way
 * @sh: the ring; chan.lock held
 *
 * A slot being written means a send that started before a close is not
 * done yet: until it is, the channel is not drained (K3).  A slot at the
 * head still being read for the previous lap, by a holder or for a
 * receive in the kernel (kept), has no element for anyone else, and no
 * sender can claim it until it is free: drained too, or a receiver would
 * wait for a release that need not kick it.
 *
 * Return: true if the slot at the head holds no element and nobody is
 * writing it.
 */
bool chan_shring_drained(struct chan_shring *sh)
{
	u32 h;
	u64 s;

	chan_shring_tidy(sh);
	h = READ_ONCE(sh->hdr->head);
	s = READ_ONCE(*chan_shring_state(sh, h));
	if (s == chan_st(0, 2 * h))
		return true;
	return (chan_st_tag(s) & ~CHAN_RING_TAG_OWN) == CHAN_RING_TAG_READ &&
	       chan_st_seq(s) == 2 * (h - sh->cap) + 1;
}
EXPORT_SYMBOL_IF_KUNIT(chan_shring_drained);

/**
 * chan_shring_want() - announce a task that may sleep, before looking
 * @sh: the ring; chan.lock held
 * @bits: CHAN_RING_W_* bits to add
 *
 * See DOC: ring channel protocol, pair 1: the barrier orders the bit
 * before the caller's look at the slots.
 */
void chan_shring_want(struct chan_shring *sh, u32 bits)
{
	u32 w = READ_ONCE(sh->hdr->waiters);

	if ((w & bits) != bits)
		WRITE_ONCE(sh->hdr->waiters, w | bits);
	/* Pair 1: the bit before the look; the fast path fences after its move. */
	smp_mb();
}

/**
 * chan_shring_set_waiters() - publish who waits now
 * @sh: the ring; chan.lock held
 * @bits: CHAN_RING_W_* bits
 */
void chan_shring_set_waiters(struct chan_shring *sh, u32 bits)
{
	if (READ_ONCE(sh->hdr->waiters) != bits)
		WRITE_ONCE(sh->hdr->waiters, bits);
	/* Pair 1, as in chan_shring_want(). */
	smp_mb();
}

/**
 * chan_shring_set_closed() - tell fast-path senders to fail with EPIPE
 * @sh: the ring; chan.lock held
 * @bits: CHAN_RING_CLOSED and/or CHAN_RING_NO_RECV to add
 *
 * See DOC: ring channel protocol, pair 2.
 */
void chan_shring_set_closed(struct chan_shring *sh, u32 bits)
{
	WRITE_ONCE(sh->hdr->closed, READ_ONCE(sh->hdr->closed) | bits);
	/* Pair 2: closed before the look at the slots (drained?). */
	smp_mb();
}

/*
 * Undo what the claims of the mapping with tag @tag left half done (M3):
 * a slot being written through it becomes SKIP, one being read becomes
 * free.  Without chan.lock (a cmpxchg per slot; the kernel's own claims
 * carry tag 0, which no mapping has).
 */
static void chan_shring_repair(struct chan_shring *sh, u32 tag)
{
	u32 i;

	if (!tag || tag >= CHAN_SHRING_TAG_KEPT)
		return;
	for (i = 0; i < sh->cap; i++) {
		u64 *st = chan_shring_state(sh, i);
		u64 s = READ_ONCE(*st);
		u32 seq = chan_st_seq(s);

		if (chan_st_tag(s) == (CHAN_RING_TAG_WRITE | tag))
			cmpxchg64(st, s, chan_st(CHAN_RING_TAG_SKIP, seq + 1));
		else if (chan_st_tag(s) == (CHAN_RING_TAG_READ | tag))
			cmpxchg64(st, s, chan_st(0, seq - 1 + 2 * sh->cap));
		if (!(i % 4096))
			cond_resched();
	}
	chan_shring_tidy(sh);
}

/**
 * chan_shring_map_bytes() - the length of a mapping of the ring
 * @sh: the ring
 *
 * Return: the private page and the shared pages, in bytes.
 */
size_t chan_shring_map_bytes(const struct chan_shring *sh)
{
	return (size_t)(sh->npages + 1) << PAGE_SHIFT;
}

/**
 * chan_shring_fd_closed() - an fd of the channel was closed by current
 * @sh: the ring
 *
 * Counts it in the private page of current's mappings, so that a library
 * caching mappings by fd number notices that the number may now be
 * another file's.
 */
void chan_shring_fd_closed(struct chan_shring *sh)
{
	struct chan_shring_map *map;

	if (!current->mm)
		return;
	mutex_lock(&sh->maps_lock);
	list_for_each_entry(map, &sh->maps, node) {
		struct chan_ring_own *own = page_address(map->page);

		if (map->mm == current->mm)
			WRITE_ONCE(own->closes, READ_ONCE(own->closes) + 1);
	}
	mutex_unlock(&sh->maps_lock);
}

static int chan_shring_file_release(struct inode *inode, struct file *file)
{
	chan_put(file->private_data);
	return 0;
}

/*
 * The file a mapping holds.  Not the channel's own file: a mapping must not
 * keep an fd's rights alive, or the channel would never see its last
 * sender or receiver go (K5).  It holds the channel, and so its pages.
 */
static const struct file_operations chan_shring_fops = {
	.owner		= THIS_MODULE,
	.release	= chan_shring_file_release,
};

static void chan_shring_vm_close(struct vm_area_struct *vma)
{
	struct chan_shring_map *map = vma->vm_private_data;
	struct chan *ch = vma->vm_file->private_data;
	struct chan_shring *sh = ch->ring.sh;

	mutex_lock(&sh->maps_lock);
	list_del(&map->node);
	mutex_unlock(&sh->maps_lock);
	chan_shring_repair(sh, map->tag);
	/* Only now: a new mapping with this tag must find no claim of it. */
	ida_free(&chan_shring_tags, map->tag);
	chan_kick(ch);
	put_page(map->page);
	chan_charge_drop(&map->charge);
	kfree(map);
}

/* One mapping, one tag: no partial unmap, no move. */
static int chan_shring_vm_may_split(struct vm_area_struct *vma,
				    unsigned long addr)
{
	return -EINVAL;
}

static int chan_shring_vm_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

/* Every page is inserted at mmap(2); a fault is outside them. */
static vm_fault_t chan_shring_vm_fault(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

static const struct vm_operations_struct chan_shring_vm_ops = {
	.close		= chan_shring_vm_close,
	.may_split	= chan_shring_vm_may_split,
	.mremap		= chan_shring_vm_mremap,
	.fault		= chan_shring_vm_fault,
};

/**
 * chan_shring_mmap() - map a ring channel's pages (mmap(2) of its fd)
 * @ch: the channel
 * @vma: the new mapping: shared, offset 0, chan_shring_map_bytes() long
 *
 * Return: 0; -ENODEV if @ch is not a ring; -EINVAL for another shape;
 * -EMFILE over the budget; -ENOMEM.
 */
int chan_shring_mmap(struct chan *ch, struct vm_area_struct *vma)
{
	struct chan_shring *sh = ch->ring.sh;
	struct chan_shring_map *map;
	struct chan_ring_own *own;
	struct file *file;
	unsigned int i;
	int err;

	if (!sh)
		return -ENODEV;
	if (!(vma->vm_flags & VM_SHARED) || vma->vm_pgoff ||
	    vma->vm_end - vma->vm_start != chan_shring_map_bytes(sh))
		return -EINVAL;

	map = kzalloc(sizeof(*map), CHAN_GFP);
	if (!map)
		return -ENOMEM;
	err = chan_charge_take(&map->charge, PAGE_SIZE +
			       kmalloc_size_roundup(sizeof(*map)));
	if (err)
		goto free_map;
	err = -ENOMEM;
	map->page = alloc_page(CHAN_GFP | __GFP_ZERO);
	if (!map->page)
		goto uncharge;
	err = ida_alloc_range(&chan_shring_tags, 1, CHAN_SHRING_TAG_KEPT - 1,
			      CHAN_GFP);
	if (err < 0) {
		err = -ENOMEM;
		goto free_page;
	}
	map->tag = err;
	own = page_address(map->page);
	own->tag = map->tag;
	chan_get(ch);
	file = anon_inode_getfile("[chan-ring]", &chan_shring_fops, ch, O_RDWR);
	if (IS_ERR(file)) {
		chan_put(ch);
		err = PTR_ERR(file);
		goto free_tag;
	}

	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY |
		     VM_MIXEDMAP);
	err = vm_insert_page(vma, vma->vm_start, map->page);
	for (i = 0; !err && i < sh->npages; i++)
		err = vm_insert_page(vma, vma->vm_start + (i + 1) * PAGE_SIZE,
				     sh->pages[i]);
	if (err) {
		/* mmap_region() unmaps what was inserted. */
		fput(file);
		goto free_tag;
	}

	map->mm = vma->vm_mm;
	vma->vm_private_data = map;
	vma->vm_ops = &chan_shring_vm_ops;
	vma_set_file(vma, file);
	fput(file);
	mutex_lock(&sh->maps_lock);
	list_add(&map->node, &sh->maps);
	mutex_unlock(&sh->maps_lock);
	return 0;

free_tag:
	ida_free(&chan_shring_tags, map->tag);
free_page:
	put_page(map->page);
uncharge:
	chan_charge_drop(&map->charge);
free_map:
	kfree(map);
	return err;
}
