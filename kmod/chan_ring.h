/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CHAN_RING_H
#define _CHAN_RING_H

#include <linux/types.h>

#include <linux/chan.h>

#include "chan_shring.h"

/**
 * struct chan_ring - a fixed-size FIFO of fixed-size elements
 * @slots: @cap slots of @elem_size bytes, or NULL when either is zero
 * @elem_size: bytes per element
 * @cap: number of slots
 * @head: index of the oldest element
 * @len: number of elements held
 * @sh: for a ring channel, the shared pages that hold the elements
 *	instead of @slots, @head and @len (chan_shring.c)
 *
 * The ring knows nothing of locking: its owner (struct chan) serialises
 * every call with its own lock.  Elements of size zero are only counted.
 * A shared ring also changes behind the lock (its holders' fast path):
 * the reserve/commit calls and chan_ring_count() work for both kinds, and
 * a reservation can fail where the private ring's could not.
 */
struct chan_ring {
	u8 *slots;
	u32 elem_size;
	u32 cap;
	u32 head;
	u32 len;
	struct chan_shring *sh;
};

int chan_ring_init(struct chan_ring *ring, u32 elem_size, u32 cap);
void chan_ring_destroy(struct chan_ring *ring);
bool chan_ring_push_tail(struct chan_ring *ring, const void *elem);
void chan_ring_push_head(struct chan_ring *ring, const void *elem);
bool chan_ring_pop_head(struct chan_ring *ring, void *elem);
bool chan_ring_reserve_tail(struct chan_ring *ring, void **slot);
void chan_ring_commit_tail(struct chan_ring *ring);
void chan_ring_cancel_tail(struct chan_ring *ring);
bool chan_ring_reserve_head(struct chan_ring *ring, const void **slot);
void chan_ring_commit_head(struct chan_ring *ring);
void chan_ring_cancel_head(struct chan_ring *ring);
bool chan_ring_take_head(struct chan_ring *ring, void *elem, bool *kept);
void chan_ring_release(struct chan_ring *ring, u32 n);

/* Elements held (a shared ring: an estimate, see chan_shring_count()). */
static inline u32 chan_ring_count(const struct chan_ring *ring)
{
	return ring->sh ? chan_shring_count(ring->sh) : ring->len;
}

/* Slots a shared ring keeps for elements not yet delivered; 0 if private. */
static inline u32 chan_ring_kept(const struct chan_ring *ring)
{
	return ring->sh ? chan_shring_kept(ring->sh) : 0;
}

/*
 * Whether a receiver that found no element may be told "closed": a shared
 * ring may have one on its way in, from a send that began before the close
 * (K3); a private ring never has.
 */
static inline bool chan_ring_drained(const struct chan_ring *ring)
{
	return ring->sh ? chan_shring_drained(ring->sh) : true;
}

/* Sends must fail with EPIPE: tell the fast path (see chan_shring.c). */
static inline void chan_ring_set_closed(const struct chan_ring *ring,
					u32 bits)
{
	if (ring->sh)
		chan_shring_set_closed(ring->sh, bits);
}

/* A task may sleep on the ring: tell its fast path (see chan_shring.c). */
static inline void chan_ring_want(const struct chan_ring *ring, u32 bits)
{
	if (ring->sh)
		chan_shring_want(ring->sh, bits);
}

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
