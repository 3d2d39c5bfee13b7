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
 * the budget owner's kuid (chan_budget_owner()) and holding only owners who
 * hold something now.  Besides channels, a budget pays for what a call holds
 * while it blocks or leaves behind: scratch buffers of read(2), write(2) and
 * large elements, select's cases and elements, and elements a receive put
 * back after its copy-out faulted (L5).
 */

/* The table's own entries: at the memcg limit, ENOMEM, not the OOM killer. */
#define CHAN_LIMITS_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL)
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/cred.h>
#include <linux/user_namespace.h>
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
 * struct chan_user - what one budget owner's channels and calls hold
 * @node: in chan_users; added and removed under chan_users_lock, looked up
 *	under RCU
 * @rcu: frees the entry after lookups that may still see it
 * @uid: the owner (see chan_budget_owner())
 * @bytes: bytes charged; once it drops to zero the entry is dying: only
 *	the slow path, under chan_users_lock, may charge it again
 */
struct chan_user {
	struct hlist_node node;
	struct rcu_head rcu;
	kuid_t uid;
	atomic_long_t bytes;
};

static DEFINE_HASHTABLE(chan_users, 6);
/* Serialises adding and removing chan_users entries. */
static DEFINE_SPINLOCK(chan_users_lock);
static atomic_long_t chan_total_bytes = ATOMIC_LONG_INIT(0);

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

/**
 * chan_limits_check_bytes() - check a buffer's size against the limit
 * @bytes: bytes a channel's buffer takes, with whatever it carries besides
 *	its elements (a ring channel's slot headers)
 *
 * Return: 0, or -EINVAL over the per-channel limit.
 */
int chan_limits_check_bytes(size_t bytes)
{
	return bytes > READ_ONCE(chan_max_buffer_bytes) ? -EINVAL : 0;
}

/**
 * chan_budget_owner() - whose budget the calling task's requests are charged to
 *
 * A task of the initial user namespace is charged as its effective uid.  A
 * task inside a user namespace is charged as the user who created the
 * outermost namespace it lives in, as seen from the initial one: every uid
 * of a rootless container (its subordinate range included) shares the
 * budget of the one person who started it, who cannot multiply the budget
 * by switching between the uids mapped to it (L4).
 *
 * Return: the owner's kuid.
 */
kuid_t chan_budget_owner(void)
{
	const struct user_namespace *ns = current_user_ns();

	if (ns == &init_user_ns)
		return current_euid();
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	return ns->owner;
}
EXPORT_SYMBOL_IF_KUNIT(chan_budget_owner);

static struct chan_user *chan_user_find(kuid_t uid)
{
	struct chan_user *u;

	hash_for_each_possible_rcu(chan_users, u, node, __kuid_val(uid),
				   lockdep_is_held(&chan_users_lock))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/*
 * Add @bytes to @u within the user's budget.  @revive: the caller holds
 * chan_users_lock, so an entry at zero is not being removed and may be
 * charged again.  Returns 0, -EMFILE over the budget, or -EAGAIN for a
 * dying entry (lock-free callers then take the lock).
 */
static int chan_user_add(struct chan_user *u, size_t bytes, bool revive)
{
	long old = atomic_long_read(&u->bytes), new;

	do {
		if (!old && !revive)
			return -EAGAIN;
		if (check_add_overflow(old, (long)bytes, &new) ||
		    new > (long)min_t(unsigned long, LONG_MAX,
				      READ_ONCE(chan_user_budget_bytes)))
			return -EMFILE;
	} while (!atomic_long_try_cmpxchg(&u->bytes, &old, new));
	return 0;
}

static void chan_user_sub(struct chan_user *u, size_t bytes)
{
	if (atomic_long_sub_return(bytes, &u->bytes))
		return;
	/* At zero: remove the entry unless a charge revived it meanwhile. */
	spin_lock(&chan_users_lock);
	if (hash_hashed(&u->node) && !atomic_long_read(&u->bytes)) {
		hash_del_rcu(&u->node);
		kfree_rcu(u, rcu);
	}
	spin_unlock(&chan_users_lock);
}

/* Charge the module's total; undone by chan_total_sub(). */
static int chan_total_add(size_t bytes)
{
	long total = atomic_long_add_return(bytes, &chan_total_bytes);

	if (total < 0 || total > (long)min_t(unsigned long, LONG_MAX,
					     READ_ONCE(chan_total_budget_bytes))) {
		atomic_long_sub(bytes, &chan_total_bytes);
		return -EMFILE;
	}
	return 0;
}

/**
 * chan_limits_charge() - charge kernel memory to a budget owner
 * @uid: the owner (chan_budget_owner() of the task that asks)
 * @bytes: bytes the kernel may hold on the owner's behalf
 *
 * Every allocation a user can make the module hold is charged before it is
 * made: a channel's worst case at creation, and what a call holds while it
 * blocks or leaves behind (L1, L5).  The common case, an owner who holds
 * something already, takes no lock: the channel fast paths charge and
 * uncharge scratch buffers on every call.
 *
 * Return: 0; -EMFILE over the owner's budget or the module's total; -ENOMEM.
 */
int chan_limits_charge(kuid_t uid, size_t bytes)
{
	struct chan_user *fresh = NULL, *u;
	int ret;

	if (bytes > LONG_MAX)
		return -EMFILE;
	ret = chan_total_add(bytes);
	if (ret)
		return ret;

	rcu_read_lock();
	u = chan_user_find(uid);
	ret = u ? chan_user_add(u, bytes, false) : -EAGAIN;
	rcu_read_unlock();
	if (ret != -EAGAIN)
		goto out;

	/* A new or dying entry: allocate before taking the spinlock. */
	fresh = kzalloc(sizeof(*fresh), CHAN_LIMITS_GFP);
	if (!fresh) {
		ret = -ENOMEM;
		goto out;
	}
	spin_lock(&chan_users_lock);
	u = chan_user_find(uid);
	if (!u) {
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		hash_add_rcu(chan_users, &u->node, __kuid_val(uid));
	}
	ret = chan_user_add(u, bytes, true);
	if (ret && !atomic_long_read(&u->bytes)) {
		/* A fresh entry that took nothing goes again. */
		hash_del_rcu(&u->node);
		kfree_rcu(u, rcu);
	}
	spin_unlock(&chan_users_lock);
	kfree(fresh);
out:
	if (ret)
		atomic_long_sub(bytes, &chan_total_bytes);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_limits_charge);

/**
 * chan_limits_uncharge() - give back what chan_limits_charge() took
 * @uid: the owner charged
 * @bytes: the bytes charged
 */
void chan_limits_uncharge(kuid_t uid, size_t bytes)
{
	struct chan_user *u;

	if (!bytes)
		return;
	rcu_read_lock();
	u = chan_user_find(uid);
	if (!WARN_ON_ONCE(!u || atomic_long_read(&u->bytes) < (long)bytes)) {
		atomic_long_sub(bytes, &chan_total_bytes);
		chan_user_sub(u, bytes);
	}
	rcu_read_unlock();
}
EXPORT_SYMBOL_IF_KUNIT(chan_limits_uncharge);

/**
 * chan_charge_take() - charge a call's buffer to the calling task's owner
 * @c: where the charge is recorded, for chan_charge_drop()
 * @bytes: the buffer's size
 *
 * Return: 0, -EMFILE or -ENOMEM, as chan_limits_charge().
 */
int chan_charge_take(struct chan_charge *c, size_t bytes)
{
	int ret;

	c->owner = chan_budget_owner();
	c->bytes = 0;
	ret = chan_limits_charge(c->owner, bytes);
	if (!ret)
		c->bytes = bytes;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_charge_take);

/**
 * chan_charge_drop() - give back a charge taken with chan_charge_take()
 * @c: the charge; empty afterwards, so dropping twice is harmless
 */
void chan_charge_drop(struct chan_charge *c)
{
	chan_limits_uncharge(c->owner, c->bytes);
	c->bytes = 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_charge_drop);

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

	rcu_read_lock();
	u = chan_user_find(uid);
	bytes = u ? atomic_long_read(&u->bytes) : 0;
	rcu_read_unlock();
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

	WARN_ON(atomic_long_read(&chan_total_bytes));
	hash_for_each_safe(chan_users, bkt, tmp, u, node) {
		hash_del(&u->node);
		kfree(u);
	}
	/* Entries removed with kfree_rcu() are freed before the module goes. */
	rcu_barrier();
}
