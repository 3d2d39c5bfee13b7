/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CHAN_TIMER_H
#define _CHAN_TIMER_H

struct chan;
struct chan_timer_create;
struct seq_file;

long chan_ioctl_timer(struct chan_timer_create __user *uarg);
void chan_timer_release(struct chan *ch);
void chan_timer_show_fdinfo(struct seq_file *m, struct chan *ch);

#endif /* _CHAN_TIMER_H */
