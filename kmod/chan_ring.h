/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CHAN_RING_H
#define _CHAN_RING_H

#include <linux/types.h>

/**
 * struct chan_ring - a fixed-size FIFO of fixed-size elements
 * @slots: @cap slots of @elem_size bytes, or NULL when either is zero
 * @elem_size: bytes per element
 * @cap: number of slots
 * @head: index of the oldest element
 * @len: number of elements held
 *
 * The ring knows nothing of locking: its owner (struct chan) serialises
 * every call with its own lock.  Elements of size zero are only counted.
 */
struct chan_ring {
	u8 *slots;
	u32 elem_size;
	u32 cap;
	u32 head;
	u32 len;
};

int chan_ring_init(struct chan_ring *ring, u32 elem_size, u32 cap);
void chan_ring_destroy(struct chan_ring *ring);
void chan_ring_push_tail(struct chan_ring *ring, const void *elem);
void chan_ring_push_head(struct chan_ring *ring, const void *elem);
void chan_ring_pop_head(struct chan_ring *ring, void *elem);

static inline bool chan_ring_full(const struct chan_ring *ring)
{
	return ring->len == ring->cap;
}

/* The oldest element's slot, of a ring that is not empty. */
static inline const void *chan_ring_head(const struct chan_ring *ring)
{
	return ring->slots + (size_t)ring->head * ring->elem_size;
}

static inline u32 chan_ring_room(const struct chan_ring *ring)
{
	return ring->cap - ring->len;
}

#endif /* _CHAN_RING_H */
