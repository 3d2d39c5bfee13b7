/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CHAN_SHRING_H
#define _CHAN_SHRING_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/compiler.h>
#include <linux/types.h>

struct chan;
struct chan_ring_hdr;
struct file;
struct page;
struct vm_area_struct;

/**
 * struct chan_shring - the kernel's side of a ring channel's shared pages
 * @pages: @npages pages, mapped by every holder that maps the channel
 * @npages: number of @pages
 * @hdr: the header, through the kernel's own mapping of @pages
 * @slots: the first slot, through the kernel's own mapping
 * @cap: capacity: the kernel's copy, never read back from @hdr
 * @elem_size: bytes per element: the kernel's copy
 * @stride: bytes per slot: the kernel's copy
 * @wpos: the position of the slot the kernel holds for writing, if @wheld
 * @rpos: the position of the slot the kernel holds for reading, if @rheld
 * @wheld: the kernel holds a free slot (under chan.lock only)
 * @rheld: the kernel holds a full slot (under chan.lock only)
 * @kept: @cap entries: a FIFO of the positions of the slots the kernel
 *	keeps for elements that receives took and have not delivered, or
 *	that wait in the spill (under chan.lock)
 * @kept_first: the index in @kept of the oldest position
 * @nkept: the number of positions in @kept
 * @maps_lock: guards @maps
 * @maps: struct chan_shring_map of every mapping of the pages
 *
 * Everything here but @pages' contents is the kernel's: see DOC: ring
 * channel protocol in chan_shring.c.
 */
struct chan_shring {
	struct page **pages;
	unsigned int npages;
	struct chan_ring_hdr *hdr;
	u8 *slots;
	u32 cap;
	u32 elem_size;
	u32 stride;
	u32 wpos;
	u32 rpos;
	bool wheld;
	bool rheld;
	u32 *kept;
	u32 kept_first;
	u32 nkept;
	struct mutex maps_lock;	/* guards @maps */
	struct list_head maps;
};

int chan_shring_check(u32 elem_size, u32 cap, size_t *charge);
struct chan_shring *chan_shring_create(u32 elem_size, u32 cap);
void chan_shring_destroy(struct chan_shring *sh);

bool chan_shring_reserve_tail(struct chan_shring *sh, void **slot);
void chan_shring_commit_tail(struct chan_shring *sh);
void chan_shring_cancel_tail(struct chan_shring *sh);
bool chan_shring_reserve_head(struct chan_shring *sh, const void **slot);
void chan_shring_commit_head(struct chan_shring *sh);
void chan_shring_cancel_head(struct chan_shring *sh);
bool chan_shring_keep_head(struct chan_shring *sh);
void chan_shring_release(struct chan_shring *sh, u32 n);
u32 chan_shring_count(struct chan_shring *sh);
bool chan_shring_drained(struct chan_shring *sh);
void chan_shring_want(struct chan_shring *sh, u32 bits);
void chan_shring_set_waiters(struct chan_shring *sh, u32 bits);
void chan_shring_set_closed(struct chan_shring *sh, u32 bits);

/* Slots the kernel keeps for elements not yet delivered (racy outside chan.lock). */
static inline u32 chan_shring_kept(const struct chan_shring *sh)
{
	return READ_ONCE(sh->nkept);
}

int chan_shring_mmap(struct chan *ch, struct vm_area_struct *vma);
void chan_shring_fd_closed(struct chan_shring *sh);
size_t chan_shring_map_bytes(const struct chan_shring *sh);

#endif /* _CHAN_SHRING_H */
