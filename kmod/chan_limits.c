// SPDX-License-Identifier: GPL-2.0
/*
 * Per-channel limits and per-user budgets.
 *
 * Any user may open /dev/chan, so every byte a user can make the module hold
 * is checked twice: against the per-channel limits (EINVAL, L1) and against
 * the user's budget and the module's total (EMFILE, L1/L4), before anything
 * is allocated.  Memory is also charged to the caller's memory cgroup
 * (GFP_KERNEL_ACCOUNT); the budget is what bounds users who share a cgroup.
 *
 * The ucounts helpers the kernel uses for the same job (mqueue, inotify) are
 * not exported to modules, so budgets live in a table of our own, keyed by
 * kuid and holding only users who own channels now.
 */
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <kunit/visibility.h>

#include <linux/chan.h>

#include "chan_limits.h"

static unsigned int chan_max_cap = 1U << 20;
module_param_named(max_cap, chan_max_cap, uint, 0644);
MODULE_PARM_DESC(max_cap, "Largest capacity of one channel, in elements (default 1048576)");

static unsigned long chan_max_buffer_bytes = 1UL << 20;
module_param_named(max_buffer_bytes, chan_max_buffer_bytes, ulong, 0644);
MODULE_PARM_DESC(max_buffer_bytes, "Largest buffer of one channel, elem_size * cap, in bytes (default 1 MiB)");

static unsigned long chan_user_budget_bytes = 64UL << 20;
module_param_named(user_budget_bytes, chan_user_budget_bytes, ulong, 0644);
MODULE_PARM_DESC(user_budget_bytes, "Kernel memory the channels of one user may hold, in bytes (default 64 MiB)");

static unsigned long chan_total_budget_bytes = 1UL << 30;
module_param_named(total_budget_bytes, chan_total_budget_bytes, ulong, 0644);
MODULE_PARM_DESC(total_budget_bytes, "Kernel memory all channels together may hold, in bytes (default 1 GiB)");

/**
 * struct chan_user - what one user's channels hold
 * @node: in chan_users, under chan_users_lock
 * @uid: the user
 * @bytes: bytes charged; the entry goes when it drops to zero
 */
struct chan_user {
	struct hlist_node node;
	kuid_t uid;
	size_t bytes;
};

static DEFINE_HASHTABLE(chan_users, 6);
/* Guards chan_users, every chan_user.bytes and chan_total_bytes. */
static DEFINE_SPINLOCK(chan_users_lock);
static size_t chan_total_bytes;

/**
 * chan_limits_check() - check a new channel's shape against the limits
 * @elem_size: bytes per element
 * @cap: capacity in elements
 *
 * Return: 0, or -EINVAL if the element or the buffer is too large.
 */
int chan_limits_check(u32 elem_size, u32 cap)
{
	size_t bytes;

	if (elem_size > CHAN_MAX_ELEM_SIZE)
		return -EINVAL;
	if (cap > READ_ONCE(chan_max_cap))
		return -EINVAL;
	if (check_mul_overflow((size_t)elem_size, (size_t)cap, &bytes) ||
	    bytes > READ_ONCE(chan_max_buffer_bytes))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_limits_check);

static struct chan_user *chan_user_find(kuid_t uid)
{
	struct chan_user *u;

	lockdep_assert_held(&chan_users_lock);
	hash_for_each_possible(chan_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/**
 * chan_limits_charge() - charge a channel's memory to its user
 * @uid: the user who creates the channel
 * @bytes: kernel memory the channel may hold at most
 *
 * The worst case is charged up front, so a channel never fails later for
 * want of budget.
 *
 * Return: 0; -EMFILE over the user's budget or the module's total; -ENOMEM.
 */
int chan_limits_charge(kuid_t uid, size_t bytes)
{
	struct chan_user *fresh, *u;
	size_t user_total, total;
	int ret = 0;

	/* Allocate before locking: the table lock is a spinlock. */
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return -ENOMEM;

	spin_lock(&chan_users_lock);
	u = chan_user_find(uid);
	if (check_add_overflow(u ? u->bytes : 0, bytes, &user_total) ||
	    check_add_overflow(chan_total_bytes, bytes, &total) ||
	    user_total > READ_ONCE(chan_user_budget_bytes) ||
	    total > READ_ONCE(chan_total_budget_bytes)) {
		ret = -EMFILE;
		goto unlock;
	}
	if (!u) {
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		hash_add(chan_users, &u->node, __kuid_val(uid));
	}
	u->bytes = user_total;
	chan_total_bytes = total;
unlock:
	spin_unlock(&chan_users_lock);
	kfree(fresh);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_limits_charge);

/**
 * chan_limits_uncharge() - give back what chan_limits_charge() took
 * @uid: the user charged
 * @bytes: the bytes charged
 */
void chan_limits_uncharge(kuid_t uid, size_t bytes)
{
	struct chan_user *u;

	spin_lock(&chan_users_lock);
	u = chan_user_find(uid);
	if (WARN_ON_ONCE(!u || u->bytes < bytes)) {
		spin_unlock(&chan_users_lock);
		return;
	}
	u->bytes -= bytes;
	chan_total_bytes -= bytes;
	if (u->bytes)
		u = NULL;
	else
		hash_del(&u->node);
	spin_unlock(&chan_users_lock);
	kfree(u);
}
EXPORT_SYMBOL_IF_KUNIT(chan_limits_uncharge);

/**
 * chan_limits_charged() - the bytes charged to a user now
 * @uid: the user
 *
 * Return: the bytes, 0 for a user who owns no channel.
 */
size_t chan_limits_charged(kuid_t uid)
{
	struct chan_user *u;
	size_t bytes;

	spin_lock(&chan_users_lock);
	u = chan_user_find(uid);
	bytes = u ? u->bytes : 0;
	spin_unlock(&chan_users_lock);
	return bytes;
}
EXPORT_SYMBOL_IF_KUNIT(chan_limits_charged);

/**
 * chan_limits_query() - fill in the limits part of CHAN_IOC_QUERY's answer
 * @q: the answer, already zeroed
 */
void chan_limits_query(struct chan_query *q)
{
	q->max_elem_size = CHAN_MAX_ELEM_SIZE;
	q->max_cap = READ_ONCE(chan_max_cap);
	q->max_buffer_bytes = READ_ONCE(chan_max_buffer_bytes);
	q->user_budget_bytes = READ_ONCE(chan_user_budget_bytes);
}
EXPORT_SYMBOL_IF_KUNIT(chan_limits_query);

/**
 * chan_limits_exit() - check at unload that every charge was given back
 *
 * Every channel holds a module reference through its files, so by now all
 * are gone; a leftover entry is an accounting bug, reported and freed.
 */
void chan_limits_exit(void)
{
	struct chan_user *u;
	struct hlist_node *tmp;
	int bkt;

	WARN_ON(chan_total_bytes);
	hash_for_each_safe(chan_users, bkt, tmp, u, node) {
		hash_del(&u->node);
		kfree(u);
	}
}
