// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * chanstat --deadlock (O4): the tasks blocked on channels that nothing can
 * ever complete.
 *
 * A task blocked sending on a channel is completed by a receive, a close,
 * or the last receiving fd going away: any holder of the channel could do
 * one of them.  A task blocked receiving is completed by a send or a
 * close, or the last sending fd going away: only a holder that may send.
 * A select is completed by any of its cases.  A process "may run" if one
 * of its threads is not blocked on a channel without a deadline: it could
 * do anything with its fds, exit included.  Starting from those, a blocked
 * task that a running process could complete may run too, and so may its
 * process; what is left when nothing changes is deadlocked.  A timer
 * channel (chan_after(), chan_tick()) has a sender no fd shows: a task
 * that receives from one waits with a deadline.
 *
 * fdinfo is read one fd at a time, so a snapshot is not atomic: a task is
 * taken as blocked only if two snapshots, taken apart, show it blocked in
 * the same wait (the same since-ns).  A deadlocked task is blocked in both.
 *
 * libchan's watchdog (CHAN_DEADLOCK, userlib/watchdog.h) runs this in the
 * process it watches: its own thread, the watcher, counts as blocked, and
 * it wants a report only when every other thread of the process is
 * deadlocked, as Go's "all goroutines are asleep".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/chan.h>

#include "chanstat.h"

#define MAX_CASES 64

struct task {
	pid_t tid, pid;
	long long since_ns, waited_ms;
	size_t ncases;
	size_t chan[MAX_CASES];		/* index into now->chans */
	enum cs_op op[MAX_CASES];
	bool candidate;			/* blocked without deadline, in both */
	bool may_run;
	size_t group;
};

static bool is_send(enum cs_op op)
{
	return op == CS_SEND || op == CS_SELECT_SEND;
}

/* Whether holder @h could complete @op on its channel. */
static bool completes(const struct cs_holder *h, enum cs_op op)
{
	return is_send(op) || (h->mode & CHAN_MODE_SEND);
}

static bool seen_before(const struct cs_snap *before, unsigned long long id,
			const struct cs_waiter *w)
{
	size_t i, j;

	for (i = 0; i < before->nchans; i++) {
		const struct cs_chan *c = &before->chans[i];

		if (c->id != id)
			continue;
		for (j = 0; j < c->nwaiters; j++)
			if (c->waiters[j].tid == w->tid &&
			    c->waiters[j].op == w->op &&
			    c->waiters[j].since_ns == w->since_ns)
				return true;
	}
	return false;
}

static size_t find_root(struct task *t, size_t i)
{
	while (t[i].group != i)
		i = t[i].group = t[t[i].group].group;
	return i;
}

static void print_task(const struct cs_snap *now, const struct task *t,
		       const struct task *tasks, size_t ntasks, FILE *out)
{
	char comm[64];
	size_t k, i, j;

	fprintf(out, "  tid %d (%s) of pid %d, blocked %lld.%03lld s:\n",
		(int)t->tid, cs_comm(now, t->pid, t->tid, comm, sizeof(comm)),
		(int)t->pid, t->waited_ms / 1000, t->waited_ms % 1000);
	for (k = 0; k < t->ncases; k++) {
		const struct cs_chan *c = &now->chans[t->chan[k]];
		bool any = false;

		fprintf(out, "    %s on chan %llu (elem %u, len %u/%u)\n",
			cs_op_name(t->op[k]), c->id, c->elem_size, c->len,
			c->cap);
		for (i = 0; i < c->nholders; i++) {
			const struct cs_holder *h = &c->holders[i];
			const struct cs_proc *p = cs_proc_of(now, h->pid);
			const char *state = "";

			if (!completes(h, t->op[k]))
				continue;
			for (j = 0; j < ntasks; j++)
				if (tasks[j].pid == h->pid &&
				    tasks[j].candidate && !tasks[j].may_run)
					state = ", every thread blocked";
			fprintf(out,
				"      could be completed by pid %d (%s) fd %d %s%s\n",
				(int)h->pid, p ? p->comm : "?", h->fd,
				cs_mode_name(h->mode), state);
			any = true;
		}
		if (!any)
			fprintf(out,
				"      no fd that could complete it is open\n");
	}
}

/**
 * cs_deadlock() - report the deadlocked tasks
 * @before: an earlier snapshot
 * @now: the snapshot to report on
 * @only: report only deadlocks that involve this pid, if not 0
 * @watcher: if not 0, a thread of @only that does not count, and nothing is
 *	reported unless every other thread of @only is deadlocked
 * @out: where the report goes
 *
 * Return: the number of deadlocks reported, or -1 (errno ENOMEM).
 */
int cs_deadlock(const struct cs_snap *before, const struct cs_snap *now,
		pid_t only, pid_t watcher, FILE *out)
{
	const struct cs_proc *mine = only ? cs_proc_of(now, only) : NULL;
	struct task *tasks = NULL, *grown;
	size_t ntasks = 0, i, j, k, h;
	bool *live, changed, unlisted = false;
	int found = 0;

	if (watcher && !mine)
		return 0;

	/* The blocked tasks, each with every channel it waits on. */
	for (i = 0; i < now->nchans; i++) {
		const struct cs_chan *c = &now->chans[i];

		unlisted |= c->unlisted > 0;
		for (j = 0; j < c->nwaiters; j++) {
			const struct cs_waiter *w = &c->waiters[j];
			struct task *t = NULL;

			if (w->tid <= 0)
				continue;
			for (k = 0; k < ntasks; k++)
				if (tasks[k].tid == w->tid)
					t = &tasks[k];
			if (!t) {
				grown = realloc(tasks,
						(ntasks + 1) * sizeof(*tasks));
				if (!grown) {
					free(tasks);
					errno = ENOMEM;
					return -1;
				}
				tasks = grown;
				t = &tasks[ntasks];
				memset(t, 0, sizeof(*t));
				t->tid = w->tid;
				t->pid = w->pid;
				t->since_ns = w->since_ns;
				t->waited_ms = w->waited_ms;
				t->candidate = cs_proc_of(now, w->pid) != NULL;
				t->group = ntasks++;
			}
			if (w->deadline || (c->timer && !is_send(w->op)) ||
			    !seen_before(before, c->id, w) ||
			    t->ncases == MAX_CASES ||
			    (w->op >= CS_SELECT_SEND && unlisted))
				t->candidate = false;
			else {
				t->chan[t->ncases] = i;
				t->op[t->ncases++] = w->op;
			}
		}
	}
	/* A select listed on some channel after "unlisted" was learnt. */
	for (k = 0; k < ntasks && unlisted; k++)
		for (i = 0; i < tasks[k].ncases; i++)
			if (tasks[k].op[i] >= CS_SELECT_SEND)
				tasks[k].candidate = false;

	/* The processes that may run: one thread not blocked for good. */
	live = calloc(now->nprocs + 1, sizeof(*live));
	if (!live) {
		free(tasks);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < now->nprocs; i++) {
		const struct cs_proc *p = &now->procs[i];

		for (j = 0; j < p->ntids && !live[i]; j++) {
			bool blocked = p->tids[j] == watcher;

			for (k = 0; k < ntasks; k++)
				if (tasks[k].tid == p->tids[j] &&
				    tasks[k].candidate)
					blocked = true;
			live[i] = !blocked;
		}
	}
	for (k = 0; k < ntasks; k++)
		tasks[k].may_run = !tasks[k].candidate;

	/* Whoever a running process can complete may run, and so on. */
	do {
		changed = false;
		for (k = 0; k < ntasks; k++) {
			struct task *t = &tasks[k];
			bool can = false;

			if (t->may_run)
				continue;
			for (i = 0; i < t->ncases && !can; i++) {
				const struct cs_chan *c = &now->chans[t->chan[i]];

				for (h = 0; h < c->nholders && !can; h++) {
					const struct cs_holder *hd =
						&c->holders[h];
					const struct cs_proc *p =
						cs_proc_of(now, hd->pid);

					can = p && completes(hd, t->op[i]) &&
					      live[p - now->procs];
				}
			}
			if (can) {
				const struct cs_proc *p = cs_proc_of(now, t->pid);

				t->may_run = true;
				if (p)
					live[p - now->procs] = true;
				changed = true;
			}
		}
	} while (changed);
	if (watcher && live[mine - now->procs])
		goto out;

	/* One deadlock: the dead tasks that hold each other's channels. */
	for (k = 0; k < ntasks; k++) {
		if (tasks[k].may_run)
			continue;
		for (i = 0; i < tasks[k].ncases; i++) {
			const struct cs_chan *c = &now->chans[tasks[k].chan[i]];

			for (h = 0; h < c->nholders; h++)
				for (j = 0; j < ntasks; j++)
					if (!tasks[j].may_run &&
					    tasks[j].pid == c->holders[h].pid)
						tasks[find_root(tasks, j)].group =
							find_root(tasks, k);
		}
	}
	for (k = 0; k < ntasks; k++) {
		size_t n = 0;
		bool mine = !only;

		if (tasks[k].may_run || find_root(tasks, k) != k)
			continue;
		for (j = 0; j < ntasks; j++)
			if (!tasks[j].may_run && find_root(tasks, j) == k) {
				n++;
				mine |= tasks[j].pid == only;
			}
		if (!mine)
			continue;
		found++;
		fprintf(out,
			"deadlock %d: %zu task%s blocked for good (no deadline, and nothing that could complete %s can run)\n",
			found, n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
		for (j = 0; j < ntasks; j++)
			if (!tasks[j].may_run && find_root(tasks, j) == k)
				print_task(now, &tasks[j], tasks, ntasks, out);
	}
out:
	free(live);
	free(tasks);
	return found;
}
