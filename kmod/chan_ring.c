// SPDX-License-Identifier: GPL-2.0
/*
 * The element buffer of a buffered channel.
 */
#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "chan_ring.h"

/**
 * chan_ring_init() - allocate the slots of a ring
 * @ring: the ring to set up
 * @elem_size: bytes per element
 * @cap: number of slots
 *
 * The caller has checked @elem_size * @cap against the per-channel limit;
 * the slots are charged to the caller's memory cgroup.
 *
 * Return: 0, or -ENOMEM.
 */
int chan_ring_init(struct chan_ring *ring, u32 elem_size, u32 cap)
{
	size_t bytes = array_size(elem_size, cap);

	ring->slots = NULL;
	ring->elem_size = elem_size;
	ring->cap = cap;
	ring->head = 0;
	ring->len = 0;
	ring->sh = NULL;
	if (!bytes)
		return 0;
	/* As CHAN_GFP: ENOMEM at the memory cgroup's limit, not its OOM killer. */
	ring->slots = kvmalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	return ring->slots ? 0 : -ENOMEM;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_init);

/**
 * chan_ring_destroy() - free the slots of a ring
 * @ring: the ring; its elements are dropped
 */
void chan_ring_destroy(struct chan_ring *ring)
{
	chan_shring_destroy(ring->sh);
	ring->sh = NULL;
	kvfree(ring->slots);
	ring->slots = NULL;
	ring->len = 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_destroy);

static u8 *chan_ring_slot(const struct chan_ring *ring, u32 pos)
{
	return ring->slots + (size_t)(pos % ring->cap) * ring->elem_size;
}

/**
 * chan_ring_reserve_tail() - hold the slot the next element goes to
 * @ring: the ring
 * @slot: set to the slot (NULL for elements of size zero)
 *
 * The caller fills the slot and calls chan_ring_commit_tail(), or gives it
 * back with chan_ring_cancel_tail(), in the same hold of its lock.
 *
 * Return: false if the ring is full.
 */
bool chan_ring_reserve_tail(struct chan_ring *ring, void **slot)
{
	if (ring->sh)
		return chan_shring_reserve_tail(ring->sh, slot);
	if (chan_ring_full(ring))
		return false;
	*slot = ring->elem_size ?
		chan_ring_slot(ring, ring->head + ring->len) : NULL;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_reserve_tail);

/**
 * chan_ring_commit_tail() - the held slot now holds the newest element
 * @ring: the ring, with a slot held by chan_ring_reserve_tail()
 */
void chan_ring_commit_tail(struct chan_ring *ring)
{
	if (ring->sh)
		chan_shring_commit_tail(ring->sh);
	else
		ring->len++;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_commit_tail);

/**
 * chan_ring_cancel_tail() - give the held slot back unused
 * @ring: the ring, with a slot held by chan_ring_reserve_tail()
 */
void chan_ring_cancel_tail(struct chan_ring *ring)
{
	if (ring->sh)
		chan_shring_cancel_tail(ring->sh);
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_cancel_tail);

/**
 * chan_ring_reserve_head() - hold the oldest element, so nobody takes it
 * @ring: the ring
 * @slot: set to the element (NULL for elements of size zero)
 *
 * The caller copies it and calls chan_ring_commit_head(), or leaves it
 * with chan_ring_cancel_head(), in the same hold of its lock.
 *
 * Return: false if no element is ready.
 */
bool chan_ring_reserve_head(struct chan_ring *ring, const void **slot)
{
	if (ring->sh)
		return chan_shring_reserve_head(ring->sh, slot);
	if (!ring->len)
		return false;
	*slot = ring->elem_size ? chan_ring_head(ring) : NULL;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_reserve_head);

/**
 * chan_ring_commit_head() - the held element is taken: free its slot
 * @ring: the ring, with an element held by chan_ring_reserve_head()
 */
void chan_ring_commit_head(struct chan_ring *ring)
{
	if (ring->sh)
		chan_shring_commit_head(ring->sh);
	else
		chan_ring_pop_head(ring, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_commit_head);

/**
 * chan_ring_cancel_head() - leave the held element in the ring
 * @ring: the ring, with an element held by chan_ring_reserve_head()
 */
void chan_ring_cancel_head(struct chan_ring *ring)
{
	if (ring->sh)
		chan_shring_cancel_head(ring->sh);
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_cancel_head);

/**
 * chan_ring_push_tail() - append an element
 * @ring: a ring; a private one must not be full
 * @elem: @ring->elem_size bytes to copy in
 *
 * Return: false if a shared ring had no room after all.
 */
bool chan_ring_push_tail(struct chan_ring *ring, const void *elem)
{
	void *slot;

	if (!ring->sh && WARN_ON_ONCE(chan_ring_full(ring)))
		return false;
	if (!chan_ring_reserve_tail(ring, &slot))
		return false;
	if (ring->elem_size)
		memcpy(slot, elem, ring->elem_size);
	chan_ring_commit_tail(ring);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_push_tail);

/**
 * chan_ring_push_head() - put an element back in front of all others
 * @ring: a ring that is not full
 * @elem: @ring->elem_size bytes to copy in
 *
 * Used when a receiver could not copy an element to userspace: the element
 * goes back where it came from, so nothing is lost and order is kept.
 */
void chan_ring_push_head(struct chan_ring *ring, const void *elem)
{
	if (WARN_ON_ONCE(chan_ring_full(ring)))
		return;
	ring->head = (ring->head + ring->cap - 1) % ring->cap;
	if (ring->elem_size)
		memcpy(chan_ring_slot(ring, ring->head), elem, ring->elem_size);
	ring->len++;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_push_head);

/**
 * chan_ring_pop_head() - take the oldest element
 * @ring: a ring; a private one must not be empty
 * @elem: where to copy the element's @ring->elem_size bytes, or NULL to
 *	drop it (the caller copied it from chan_ring_head() already)
 *
 * Return: false if a shared ring had no element ready after all.
 */
bool chan_ring_pop_head(struct chan_ring *ring, void *elem)
{
	const void *slot;

	if (ring->sh) {
		if (!chan_shring_reserve_head(ring->sh, &slot))
			return false;
		if (ring->elem_size && elem)
			memcpy(elem, slot, ring->elem_size);
		chan_shring_commit_head(ring->sh);
		return true;
	}
	if (WARN_ON_ONCE(!ring->len))
		return false;
	if (ring->elem_size && elem)
		memcpy(elem, chan_ring_slot(ring, ring->head), ring->elem_size);
	ring->head = (ring->head + 1) % ring->cap;
	ring->len--;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_pop_head);

/**
 * chan_ring_take_head() - take the oldest element for a receive in flight
 * @ring: the ring
 * @elem: where to copy the element's @ring->elem_size bytes
 * @kept: set to whether a shared ring keeps the element's slot until
 *	chan_ring_release() (see chan_shring_keep_head()); a private ring's
 *	slot is free at once, its owner counts the slot itself
 *
 * Return: false if no element was ready.
 */
bool chan_ring_take_head(struct chan_ring *ring, void *elem, bool *kept)
{
	const void *slot;

	*kept = false;
	if (!ring->sh)
		return chan_ring_pop_head(ring, elem);
	if (!chan_shring_reserve_head(ring->sh, &slot))
		return false;
	if (ring->elem_size)
		memcpy(elem, slot, ring->elem_size);
	*kept = chan_shring_keep_head(ring->sh);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_take_head);

/**
 * chan_ring_release() - free slots kept by chan_ring_take_head()
 * @ring: the ring
 * @n: how many; nothing happens for a private ring
 */
void chan_ring_release(struct chan_ring *ring, u32 n)
{
	if (ring->sh && n)
		chan_shring_release(ring->sh, n);
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_release);
