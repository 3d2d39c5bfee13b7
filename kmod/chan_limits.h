/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CHAN_LIMITS_H
#define _CHAN_LIMITS_H

#include <linux/types.h>
#include <linux/uidgid.h>

struct chan_query;

/**
 * struct chan_charge - what one buffer charged to a budget
 * @owner: the budget owner charged
 * @bytes: bytes charged, 0 for none
 */
struct chan_charge {
	kuid_t owner;
	size_t bytes;
};

int chan_limits_check(u32 elem_size, u32 cap);
int chan_limits_check_bytes(size_t bytes);
kuid_t chan_budget_owner(void);
int chan_charge_take(struct chan_charge *c, size_t bytes);
void chan_charge_drop(struct chan_charge *c);
int chan_limits_charge(kuid_t uid, size_t bytes);
void chan_limits_uncharge(kuid_t uid, size_t bytes);
size_t chan_limits_charged(kuid_t uid);
void chan_limits_query(struct chan_query *q);
void chan_limits_exit(void);

#endif /* _CHAN_LIMITS_H */
