// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The channels /proc shows: every fd whose link reads "anon_inode:[chan]"
 * is a channel fd, and its /proc/PID/fdinfo/FD has the channel's state
 * (P4) and its blocked tasks (O2).  Channels are grouped by chan-id.  Only
 * what this user may read is read: /proc/PID/fd of another user's process
 * fails with EACCES, and that process is counted as hidden.
 *
 * libchan's deadlock watchdog (userlib/watchdog.h) builds this file into
 * the library: nothing here may exit or print.  Out of memory, the scan
 * fails with ENOMEM.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/chan.h>

#include "chanstat.h"

/*
 * @p, of @n elements of @size, with room for one more: @p itself, or where
 * realloc() moved it.  NULL, with @p untouched and the snapshot marked
 * failed, when out of memory.
 */
static void *grow_(struct cs_snap *s, void *p, size_t n, size_t size)
{
	/* Powers of two: realloc only when @n reaches one. */
	if (n && (n & (n - 1)))
		return p;
	p = realloc(p, (n ? 2 * n : 1) * size);
	if (!p)
		s->failed = true;
	return p;
}

/* Make room in the array @p of @n elements for one more; false if none. */
#define grow(s, p, n) ({						\
	void *grown_ = grow_(s, p, n, sizeof(*(p)));			\
									\
	if (grown_)							\
		(p) = grown_;						\
	grown_ != NULL;							\
})

const char *cs_op_name(enum cs_op op)
{
	static const char *const names[] = {
		[CS_SEND] = "send",
		[CS_RECV] = "recv",
		[CS_SELECT_SEND] = "select-send",
		[CS_SELECT_RECV] = "select-recv",
	};

	return names[op];
}

const char *cs_mode_name(unsigned int mode)
{
	return mode == CHAN_MODE_BOTH ? "both" :
	       mode == CHAN_MODE_SEND ? "send" : "recv";
}

static int parse_op(const char *s, enum cs_op *op)
{
	enum cs_op o;

	for (o = CS_SEND; o <= CS_SELECT_RECV; o++) {
		if (strcmp(s, cs_op_name(o)) == 0) {
			*op = o;
			return 0;
		}
	}
	return -1;
}

static struct cs_chan *chan_get(struct cs_snap *s, unsigned long long id)
{
	size_t i;

	for (i = 0; i < s->nchans; i++)
		if (s->chans[i].id == id)
			return &s->chans[i];
	if (!grow(s, s->chans, s->nchans))
		return NULL;
	memset(&s->chans[s->nchans], 0, sizeof(*s->chans));
	s->chans[s->nchans].id = id;
	return &s->chans[s->nchans++];
}

/* Add @w unless another fd of the channel listed it already. */
static void add_waiter(struct cs_snap *s, struct cs_chan *c,
		       const struct cs_waiter *w)
{
	size_t i;

	for (i = 0; i < c->nwaiters; i++) {
		const struct cs_waiter *o = &c->waiters[i];

		if (o->tid == w->tid && o->op == w->op &&
		    o->since_ns == w->since_ns)
			return;
	}
	if (grow(s, c->waiters, c->nwaiters))
		c->waiters[c->nwaiters++] = *w;
}

/*
 * Read one channel fd's fdinfo into its channel.  Returns -1 if it is gone
 * (the fd was closed since it was listed) or not what a channel fd shows.
 */
static int read_fdinfo(struct cs_snap *s, int dirfd, pid_t pid, int fd)
{
	unsigned long long id = 0;
	unsigned int elem_size = 0, cap = 0, len = 0, closed = 0, unlisted = 0;
	long long timer = -1;
	struct cs_waiter ws[64];
	char name[32], line[512], mode[16] = "", op[16];
	size_t nws = 0, i;
	bool have_id = false;
	struct cs_chan *c;
	FILE *f;
	int ffd;

	snprintf(name, sizeof(name), "fdinfo/%d", fd);
	ffd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (ffd < 0)
		return -1;
	f = fdopen(ffd, "r");
	if (!f) {
		close(ffd);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct cs_waiter w = { 0 };
		int dl;

		if (sscanf(line, "chan-id:\t%llu", &id) == 1)
			have_id = true;
		else if (sscanf(line, "chan-elem-size:\t%u", &elem_size) == 1 ||
			 sscanf(line, "chan-cap:\t%u", &cap) == 1 ||
			 sscanf(line, "chan-len:\t%u", &len) == 1 ||
			 sscanf(line, "chan-closed:\t%u", &closed) == 1 ||
			 sscanf(line, "chan-mode:\t%15s", mode) == 1 ||
			 sscanf(line, "chan-timer:\t%lld", &timer) == 1 ||
			 sscanf(line, "chan-waiters-unlisted:\t%u",
				&unlisted) == 1)
			continue;
		else if (sscanf(line,
				"chan-waiter:\ttid=%d pid=%d op=%15s since-ns=%lld waited-ms=%lld deadline=%d",
				&w.tid, &w.pid, op, &w.since_ns, &w.waited_ms,
				&dl) == 6 && parse_op(op, &w.op) == 0 &&
			 nws < sizeof(ws) / sizeof(ws[0])) {
			w.deadline = dl;
			ws[nws++] = w;
		}
	}
	fclose(f);
	if (!have_id || !mode[0])
		return -1;

	c = chan_get(s, id);
	if (!c)
		return -1;
	c->timer = timer >= 0;
	c->timer_period_ns = timer;
	c->elem_size = elem_size;
	c->cap = cap;
	c->len = len;
	c->closed = closed;
	if (unlisted > c->unlisted)
		c->unlisted = unlisted;
	if (!grow(s, c->holders, c->nholders))
		return -1;
	c->holders[c->nholders++] = (struct cs_holder){
		.pid = pid,
		.fd = fd,
		.mode = strcmp(mode, "both") == 0 ? CHAN_MODE_BOTH :
			strcmp(mode, "send") == 0 ? CHAN_MODE_SEND :
						     CHAN_MODE_RECV,
	};
	for (i = 0; i < nws; i++)
		add_waiter(s, c, &ws[i]);
	return 0;
}

static void read_comm(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	snprintf(buf, len, "?");
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void read_tids(struct cs_snap *s, int dirfd, struct cs_proc *p)
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (!grow(s, p->tids, p->ntids))
			break;
		p->tids[p->ntids++] = atoi(de->d_name);
	}
	closedir(d);
}

/* PF_KTHREAD, in the flags of /proc/PID/stat (include/linux/sched.h). */
#define CS_PF_KTHREAD	0x00200000u

static bool kthread(int dirfd)
{
	char buf[512], *p;
	unsigned int flags;
	ssize_t n;
	int fd;

	fd = openat(dirfd, "stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* After "pid (comm) ": state ppid pgrp session tty_nr tpgid flags. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %u", &flags) != 1)
		return false;
	return flags & CS_PF_KTHREAD;
}

/* The channel fds of process @pid. */
static void scan_proc(struct cs_snap *s, int procfd, pid_t pid)
{
	char name[32], link[64];
	struct dirent *de;
	bool any = false;
	int dirfd, fdfd;
	DIR *d;

	snprintf(name, sizeof(name), "%d", (int)pid);
	dirfd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	fdfd = openat(dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdfd < 0) {
		/* Another user's process; a kernel thread holds no fds. */
		if ((errno == EACCES || errno == EPERM) && !kthread(dirfd))
			s->hidden++;
		close(dirfd);
		return;
	}
	d = fdopendir(fdfd);
	if (!d) {
		close(fdfd);
		close(dirfd);
		return;
	}
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		n = readlinkat(fdfd, de->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		/* What anon_inode_getfile("[chan]", ...) makes. */
		if (strcmp(link, "anon_inode:[chan]") != 0)
			continue;
		if (read_fdinfo(s, dirfd, pid, atoi(de->d_name)) == 0)
			any = true;
	}
	closedir(d);
	if (any && grow(s, s->procs, s->nprocs)) {
		struct cs_proc *p;

		p = &s->procs[s->nprocs++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
		read_comm(dirfd, "comm", p->comm, sizeof(p->comm));
		read_tids(s, dirfd, p);
	}
	close(dirfd);
}

static int cmp_chan(const void *a, const void *b)
{
	const struct cs_chan *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/**
 * cs_scan() - a snapshot of the channels this user can see in /proc
 * @s: filled in; cs_free() it
 * @only: a pid to look at alone, or 0 for every process
 *
 * Return: 0, or -1 (errno set) if /proc cannot be read or memory is short.
 */
int cs_scan(struct cs_snap *s, pid_t only)
{
	struct dirent *de;
	int procfd;
	DIR *d;

	memset(s, 0, sizeof(*s));
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -1;
	if (only) {
		scan_proc(s, procfd, only);
		close(procfd);
	} else {
		d = fdopendir(procfd);
		if (!d) {
			close(procfd);
			return -1;
		}
		while ((de = readdir(d))) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			scan_proc(s, dirfd(d), atoi(de->d_name));
		}
		closedir(d);
	}
	if (s->failed) {
		cs_free(s);
		errno = ENOMEM;
		return -1;
	}
	if (s->nchans)
		qsort(s->chans, s->nchans, sizeof(*s->chans), cmp_chan);
	return 0;
}

void cs_free(struct cs_snap *s)
{
	size_t i;

	for (i = 0; i < s->nchans; i++) {
		free(s->chans[i].holders);
		free(s->chans[i].waiters);
	}
	for (i = 0; i < s->nprocs; i++)
		free(s->procs[i].tids);
	free(s->chans);
	free(s->procs);
	memset(s, 0, sizeof(*s));
}

const struct cs_proc *cs_proc_of(const struct cs_snap *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

/* The command of thread @tid of @pid: its own name, else its process's. */
const char *cs_comm(const struct cs_snap *s, pid_t pid, pid_t tid, char *buf,
		    size_t len)
{
	const struct cs_proc *p = cs_proc_of(s, pid);
	char name[64];
	int procfd;

	if (tid > 0) {
		procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (procfd >= 0) {
			snprintf(name, sizeof(name), "%d/task/%d/comm",
				 (int)pid, (int)tid);
			read_comm(procfd, name, buf, len);
			close(procfd);
			if (strcmp(buf, "?") != 0)
				return buf;
		}
	}
	snprintf(buf, len, "%s", p ? p->comm : "?");
	return buf;
}
