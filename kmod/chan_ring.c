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
 * chan_ring_push_tail() - append an element
 * @ring: a ring that is not full
 * @elem: @ring->elem_size bytes to copy in
 */
void chan_ring_push_tail(struct chan_ring *ring, const void *elem)
{
	if (WARN_ON_ONCE(chan_ring_full(ring)))
		return;
	if (ring->elem_size)
		memcpy(chan_ring_slot(ring, ring->head + ring->len), elem,
		       ring->elem_size);
	ring->len++;
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
 * @ring: a ring that is not empty
 * @elem: where to copy the element's @ring->elem_size bytes, or NULL to
 *	drop it (the caller copied it from chan_ring_head() already)
 */
void chan_ring_pop_head(struct chan_ring *ring, void *elem)
{
	if (WARN_ON_ONCE(!ring->len))
		return;
	if (ring->elem_size && elem)
		memcpy(elem, chan_ring_slot(ring, ring->head), ring->elem_size);
	ring->head = (ring->head + 1) % ring->cap;
	ring->len--;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_pop_head);
