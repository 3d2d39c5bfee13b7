// SPDX-License-Identifier: GPL-2.0
/* fd_file(): the file of a struct fd, whose members are private (6.12). */
#include <linux/file.h>

struct file *chan_probe(struct fd f);
struct file *chan_probe(struct fd f)
{
	return fd_file(f);
}
