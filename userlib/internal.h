/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * internal.h: what libchan's files share and its users do not see.  The
 * version script (libchan.map) exports only the API of chan.h.
 */
#ifndef CHAN_INTERNAL_H
#define CHAN_INTERNAL_H

#include <stdint.h>
#include <linux/types.h>

__attribute__((visibility("hidden")))
int chan_deadline_after(int64_t timeout_ns, __u64 *deadline);

#endif /* CHAN_INTERNAL_H */
