// SPDX-License-Identifier: GPL-2.0
/* Not a probe: what every probe includes, which must compile. */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/uio.h>

int chan_probe(struct file *f);
int chan_probe(struct file *f)
{
	return f->f_mode & FMODE_READ;
}
