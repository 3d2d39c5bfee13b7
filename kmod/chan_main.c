// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/chan: the module and the device that makes channels.
 *
 * chan brings Go's channels to Linux as file descriptors.  Anyone may open
 * /dev/chan (L4); CHAN_IOC_CREATE on it returns a new channel fd, on which
 * everything else happens (chan_file.c).  The device fd holds no state.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include <linux/chan.h>

#include "chan_core.h"
#include "chan_file.h"
#include "chan_limits.h"
#include "chan_select.h"
#include "chan_timer.h"
#include "chan_set.h"

static long chan_ioctl_query(struct chan_query __user *uarg)
{
	struct chan_query q;

	memset(&q, 0, sizeof(q));
	q.version = CHAN_API_VERSION;
	q.features = CHAN_FEAT_RW | CHAN_FEAT_POLL | CHAN_FEAT_MODES |
		     CHAN_FEAT_SELECT | CHAN_FEAT_RING | CHAN_FEAT_SET |
		     CHAN_FEAT_TIMER;
	chan_limits_query(&q);
	if (copy_to_user(uarg, &q, sizeof(q)))
		return -EFAULT;
	return 0;
}

static long chan_ioctl_create(struct chan_create __user *uarg)
{
	struct chan_create c;
	struct file *file;
	struct chan *ch;
	int fd;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if ((c.flags & ~(CHAN_FD_NONBLOCK | CHAN_FD_INHERIT |
			 CHAN_CREATE_RING)) ||
	    c.reserved[0] || c.reserved[1])
		return -EINVAL;

	if (c.flags & CHAN_CREATE_RING)
		ch = chan_alloc_ring(c.elem_size, c.cap, chan_budget_owner());
	else
		ch = chan_alloc(c.elem_size, c.cap, chan_budget_owner());
	if (IS_ERR(ch))
		return PTR_ERR(ch);
	fd = chan_file_new(ch, CHAN_MODE_BOTH, c.flags & ~CHAN_CREATE_RING,
			   &file);
	/* From here the file owns the channel, or creation failed. */
	chan_put(ch);
	if (fd < 0)
		return fd;

	c.fd = fd;
	if (copy_to_user(uarg, &c, sizeof(c))) {
		chan_file_abandon(fd, file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return fd;
}

static long chan_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_QUERY) != sizeof(struct chan_query));
	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_CREATE) != sizeof(struct chan_create));
	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_SELECT) != sizeof(struct chan_select));
	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_TIMER) !=
		     sizeof(struct chan_timer_create));
	BUILD_BUG_ON(_IOC_SIZE(CHAN_IOC_SET_MAKE) !=
		     sizeof(struct chan_set_make));

	switch (cmd) {
	case CHAN_IOC_QUERY:
		return chan_ioctl_query(argp);
	case CHAN_IOC_CREATE:
		return chan_ioctl_create(argp);
	case CHAN_IOC_SELECT:
		return chan_ioctl_select(argp);
	case CHAN_IOC_TIMER:
		return chan_ioctl_timer(argp);
	case CHAN_IOC_SET_MAKE:
		return chan_ioctl_set_make(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations chan_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= chan_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice chan_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "chan",
	.fops	= &chan_dev_fops,
	.mode	= 0666,
};

static int __init chan_init(void)
{
	int err;

	err = chan_core_init();
	if (err)
		return err;
	chan_select_init();
	err = misc_register(&chan_dev);
	if (err)
		goto core_exit;
	return 0;

core_exit:
	chan_core_exit();
	return err;
}

static void __exit chan_exit(void)
{
	misc_deregister(&chan_dev);
	chan_core_exit();
	chan_limits_exit();
}

module_init(chan_init);
module_exit(chan_exit);

MODULE_DESCRIPTION("Go's channels as file descriptors");
MODULE_LICENSE("GPL");
