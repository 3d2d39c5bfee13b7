/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CHAN_SET_H
#define _CHAN_SET_H

struct chan_set_make;

long chan_ioctl_set_make(struct chan_set_make __user *uarg);

#endif /* _CHAN_SET_H */
