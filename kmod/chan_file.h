/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CHAN_FILE_H
#define _CHAN_FILE_H

#include <linux/types.h>

struct chan;
struct file;

int chan_file_new(struct chan *ch, u32 mode, u32 flags, struct file **filep);
void chan_file_abandon(int fd, struct file *file);
struct chan *chan_file_chan(struct file *file);

#endif /* _CHAN_FILE_H */
