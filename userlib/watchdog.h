/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * watchdog.h: CHAN_DEADLOCK, the opt-in deadlock watchdog (O4).  Go stops a
 * program whose goroutines are all asleep with "fatal error: all
 * goroutines are asleep - deadlock!"; with CHAN_DEADLOCK=abort in its
 * environment a chan program does the same, with chanstat --deadlock's
 * report of who waits on what, and with CHAN_DEADLOCK=warn it prints the
 * same and goes on.
 *
 * Off, the default, it costs one getenv() when libchan is loaded: no
 * thread, and nothing on any channel call's path.  On, a thread of its own
 * looks every WD_PERIOD_MS.  First, cheaply, whether every other thread of
 * the process sits in ioctl(2), where each blocking chan call waits
 * (/proc/self/task/TID/syscall); only then it takes chanstat's two
 * snapshots of every channel in /proc, WD_SETTLE_MS apart, and runs
 * chanstat's deadlock analysis with itself as the watcher: a report comes
 * only when every other thread of the process is blocked, with no
 * deadline, on channels that no process able to run could complete.  A
 * deadlock is reported once, however long it lasts.  A thread parked in
 * chan_go()'s pool is not blocked on a channel, so a deadlock shows once
 * the idle parked threads have exited (GO_IDLE_SEC), within seconds.
 *
 * Only chan.c includes this file: chanstat's scan.c and deadlock.c are
 * built into it with their functions static (CS_API), as everything here
 * is, so that libchan still defines no symbol but its API (internal.h),
 * and a static program that makes channels links the constructor with
 * chan.o.  fork() restarts the thread in the child, which would have none.
 */
#ifndef CHAN_WATCHDOG_H
#define CHAN_WATCHDOG_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CS_API static
#include "chanstat/scan.c"
#include "chanstat/deadlock.c"

/* How often the watchdog looks, and how far apart its two snapshots are. */
#define WD_PERIOD_MS	1000
#define WD_SETTLE_MS	200
#define WD_STACK	(256 * 1024)

enum wd_mode {
	WD_OFF,
	WD_WARN,
	WD_ABORT,
};

/* Set once, by the constructor, before the thread starts. */
static enum wd_mode wd_mode;

static void wd_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Whether every thread but @self is in ioctl(2).  A thread whose syscall
 * file cannot be read (it exited, or the kernel has none) is left to the
 * snapshots to judge.
 */
static bool wd_all_in_ioctl(pid_t self)
{
	struct dirent *de;
	bool all = true;
	DIR *d;

	d = opendir("/proc/self/task");
	if (!d)
		return true;
	while (all && (de = readdir(d))) {
		char path[64], buf[64];
		ssize_t n;
		pid_t tid;
		long nr;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		tid = atoi(de->d_name);
		if (tid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall",
			 (int)tid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* "running", or the call's number and its arguments. */
		all = sscanf(buf, "%ld", &nr) == 1 && nr == SYS_ioctl;
	}
	closedir(d);
	return all;
}

/*
 * The report if every thread but @self is deadlocked, in a malloc()ed
 * string; NULL if not, or if it could not be told.
 */
static char *wd_report(pid_t self)
{
	struct cs_snap before, now;
	char *text = NULL;
	size_t len = 0;
	int found = -1;
	FILE *f;

	if (cs_scan(&before, 0) < 0)
		return NULL;
	wd_sleep_ms(WD_SETTLE_MS);
	if (cs_scan(&now, 0) < 0) {
		cs_free(&before);
		return NULL;
	}
	f = open_memstream(&text, &len);
	if (f) {
		fprintf(f, "%s: all goroutines are asleep - deadlock!\n\n",
			wd_mode == WD_ABORT ? "fatal error" : "warning");
		found = cs_deadlock(&before, &now, getpid(), self, f);
		if (found > 0 && wd_mode == WD_WARN)
			fprintf(f, "(CHAN_DEADLOCK=warn: the program goes on)\n");
		if (fclose(f))
			found = -1;
	}
	cs_free(&before);
	cs_free(&now);
	if (found <= 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void *wd_main(void *unused)
{
	pid_t self = (pid_t)syscall(SYS_gettid);
	bool told = false;

	(void)unused;
	pthread_setname_np(pthread_self(), "chan-deadlock");
	for (;;) {
		char *text;
		size_t len, off;
		ssize_t n;

		wd_sleep_ms(WD_PERIOD_MS);
		if (!wd_all_in_ioctl(self)) {
			told = false;
			continue;
		}
		text = wd_report(self);
		if (!text || told) {
			told = text != NULL;
			free(text);
			continue;
		}
		len = strlen(text);
		for (off = 0; off < len; off += n) {
			n = write(STDERR_FILENO, text + off, len - off);
			if (n <= 0)
				break;
		}
		free(text);
		if (wd_mode == WD_ABORT)
			abort();
		told = true;
	}
	return NULL;
}

/* Start the watchdog's thread, with every signal blocked in it. */
static void wd_start(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	err = pthread_attr_init(&attr);
	if (err)
		goto fail;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, WD_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&thread, &attr, wd_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (!err)
		return;
fail:
	dprintf(STDERR_FILENO,
		"libchan: CHAN_DEADLOCK: no watchdog thread: %s\n",
		strerror(err));
}

__attribute__((constructor)) static void wd_init(void)
{
	const char *v = getenv("CHAN_DEADLOCK");

	if (!v || !*v || strcmp(v, "off") == 0)
		return;
	if (strcmp(v, "abort") == 0) {
		wd_mode = WD_ABORT;
	} else if (strcmp(v, "warn") == 0) {
		wd_mode = WD_WARN;
	} else {
		dprintf(STDERR_FILENO,
			"libchan: CHAN_DEADLOCK=%s is none of abort, warn, off: no deadlock watchdog\n",
			v);
		return;
	}
	/* Without it a forked child goes unwatched; the parent still is. */
	pthread_atfork(NULL, NULL, wd_start);
	wd_start();
}

#endif /* CHAN_WATCHDOG_H */
