/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CHAN_SELECT_H
#define _CHAN_SELECT_H

struct chan_select;

void chan_select_init(void);
long chan_ioctl_select(struct chan_select __user *uarg);

#endif /* _CHAN_SELECT_H */
