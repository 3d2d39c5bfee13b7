/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chan_compat.h: the newest kernel's interfaces on every kernel chan builds
 * for, so that the module's files read as if written for one kernel.
 *
 * kmod/Kbuild force-includes this header in every file of the module.  Which
 * interfaces the target kernel has is not inferred from its version: kbuild
 * compiles the probes in kmod/compat/ against the target's headers and
 * chan_compat_gen.h, in the build directory, says which compiled (a distro
 * kernel backports interfaces, and its version would lie).  Each backfill
 * below is for a kernel whose probe failed.  To add one: a probe NAME.c in
 * kmod/compat/, whose first line says what it looks for, and a backfill here
 * under #ifndef CHAN_HAVE_NAME.
 */
#ifndef CHAN_COMPAT_H
#define CHAN_COMPAT_H

#include "chan_compat_gen.h"

#ifndef CHAN_HAVE_FD_FILE
#include <linux/file.h>
/* Before 6.12, struct fd's file was a member. */
#define fd_file(f) ((f).file)
#endif

#ifndef CHAN_HAVE_ITER_IOV
#include <linux/uio.h>
/* Before 6.4, an ITER_IOVEC iterator's iovecs were a public member. */
#define iter_iov(i) ((i)->iov)
#endif

#ifndef CHAN_HAVE_VM_FLAGS_SET
#include <linux/mm.h>
/* Before 6.3, vm_flags was written in place, under the mmap write lock. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

#endif /* CHAN_COMPAT_H */
