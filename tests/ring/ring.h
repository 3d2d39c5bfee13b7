/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ring.h: what the ring-channel tests share.  A ring channel's shared pages
 * are looked at behind libchan's back through a mapping of the test's own.
 */
#ifndef CHAN_TESTS_RING_H
#define CHAN_TESTS_RING_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdatomic.h>

#include "../user/check.h"

/* The ring channel fd @ch's layout (CHAN_IOC_RING_INFO). */
static inline struct chan_ring_info ring_info_of(int ch)
{
	struct chan_ring_info ri;

	memset(&ri, 0xa5, sizeof(ri));
	if (ioctl(ch, CHAN_IOC_RING_INFO, &ri) < 0)
		check_fail(__FILE__, __LINE__, "M1", "CHAN_IOC_RING_INFO: %s",
			   strerrorname_np(errno));
	return ri;
}

/* A mapping of @ch of the test's own: the private page, then the shared ones. */
static inline uint8_t *ring_map_of(int ch, size_t *len)
{
	struct chan_ring_info ri = ring_info_of(ch);
	void *p = mmap(NULL, ri.map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       ch, 0);

	if (p == MAP_FAILED)
		check_fail(__FILE__, __LINE__, "M1", "mmap of a ring: %s",
			   strerrorname_np(errno));
	*len = ri.map_bytes;
	return p;
}

/* An element that says who sent it and its number in that sender's stream. */
static inline uint64_t ring_elem(uint32_t who, uint32_t seq)
{
	return ((uint64_t)who << 32) | seq;
}

#endif /* CHAN_TESTS_RING_H */
