/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * chanstat.h: what chanstat's files share: a snapshot of the channels that
 * /proc shows (scan.c) and the deadlock analysis over two of them
 * (deadlock.c).
 *
 * libchan's deadlock watchdog builds scan.c and deadlock.c into the
 * library, where these functions are static: it defines CS_API as static
 * before it includes them.
 */
#ifndef CHANSTAT_H
#define CHANSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#ifndef CS_API
#define CS_API
#endif

/* What a blocked task waits for: the op= of fdinfo's chan-waiter lines. */
enum cs_op {
	CS_SEND,
	CS_RECV,
	CS_SELECT_SEND,
	CS_SELECT_RECV,
};

/* An fd that refers to a channel. */
struct cs_holder {
	pid_t pid;
	int fd;
	unsigned int mode;	/* CHAN_MODE_* */
};

/* A task blocked on a channel, as fdinfo lists it (O2). */
struct cs_waiter {
	pid_t tid;		/* 0: not in this pid namespace */
	pid_t pid;
	enum cs_op op;
	long long since_ns;	/* CLOCK_MONOTONIC */
	long long waited_ms;
	bool deadline;
};

struct cs_chan {
	unsigned long long id;
	unsigned int elem_size, cap, len;
	bool closed;
	unsigned int unlisted;	/* blocked tasks fdinfo had no room for */
	bool timer;		/* chan_after()'s or chan_tick()'s channel */
	long long timer_period_ns;	/* 0 for chan_after() */
	struct cs_holder *holders;
	size_t nholders;
	struct cs_waiter *waiters;
	size_t nwaiters;
};

/* A process that holds a channel fd. */
struct cs_proc {
	pid_t pid;
	char comm[64];
	pid_t *tids;		/* its threads */
	size_t ntids;
};

struct cs_snap {
	struct cs_chan *chans;
	size_t nchans;
	struct cs_proc *procs;
	size_t nprocs;
	size_t hidden;		/* processes whose fds this user may not read */
	bool failed;		/* out of memory during the scan */
};

CS_API int cs_scan(struct cs_snap *s, pid_t only);
CS_API void cs_free(struct cs_snap *s);
CS_API const struct cs_proc *cs_proc_of(const struct cs_snap *s, pid_t pid);
CS_API const char *cs_op_name(enum cs_op op);
CS_API const char *cs_mode_name(unsigned int mode);
CS_API const char *cs_comm(const struct cs_snap *s, pid_t pid, pid_t tid,
			   char *buf, size_t len);
CS_API int cs_deadlock(const struct cs_snap *before,
		       const struct cs_snap *now, pid_t only, pid_t watcher,
		       FILE *out);

#endif /* CHANSTAT_H */
