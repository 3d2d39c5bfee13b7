/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uring.h: helpers the io_uring tests share, on top of tests/select/sel.h
 * (assertions, watchdog) and Debian's liburing.
 */
#ifndef CHAN_TESTS_URING_URING_H
#define CHAN_TESTS_URING_URING_H

#include "../select/sel.h"

#include <dirent.h>
#include <poll.h>
#include <sys/uio.h>

#include <liburing.h>

/*
 * A ring of @entries, or a skip when this kernel has no io_uring (ENOSYS)
 * or does not let this process use it (EPERM: io_uring_disabled).
 */
static inline void uring_init(struct io_uring *ring, unsigned int entries)
{
	int ret = io_uring_queue_init(entries, ring, 0);

	if (ret == -ENOSYS || ret == -EPERM) {
		fprintf(stderr, "%s [%s]: SKIP: io_uring_queue_init: %s\n",
			program_invocation_short_name, check_rules,
			strerrorname_np(-ret));
		exit(EXIT_SKIP);
	}
	if (ret < 0)
		check_fail(__FILE__, __LINE__, check_rules,
			   "io_uring_queue_init: %s", strerrorname_np(-ret));
}

static inline struct io_uring_sqe *uring_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		check_fail(__FILE__, __LINE__, check_rules, "no free SQE");
	return sqe;
}

/* Submit what was prepared; all of it must be taken. */
static inline void uring_submit(struct io_uring *ring, int n)
{
	int ret = io_uring_submit(ring);

	if (ret != n)
		check_fail(__FILE__, __LINE__, check_rules,
			   "io_uring_submit: %d %s, want %d", ret,
			   check_errname(ret), n);
}

/*
 * The next completion: its user_data in *@data and its flags in *@flags
 * (either may be NULL), its result returned.
 */
static inline int uring_wait_flags(struct io_uring *ring, uint64_t *data,
				   unsigned int *flags)
{
	struct io_uring_cqe *cqe;
	int ret, res;

	do
		ret = io_uring_wait_cqe(ring, &cqe);
	while (ret == -EINTR);
	if (ret < 0)
		check_fail(__FILE__, __LINE__, check_rules,
			   "io_uring_wait_cqe: %s", strerrorname_np(-ret));
	res = cqe->res;
	if (data)
		*data = cqe->user_data;
	if (flags)
		*flags = cqe->flags;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static inline int uring_wait(struct io_uring *ring, uint64_t *data)
{
	return uring_wait_flags(ring, data, NULL);
}

/* Whether a completion arrives within @ms (it is left in the ring). */
static inline bool uring_completes_within(struct io_uring *ring,
					  unsigned int ms)
{
	struct __kernel_timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	struct io_uring_cqe *cqe;
	int ret;

	do
		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	while (ret == -EINTR);
	if (ret == -ETIME)
		return false;
	if (ret < 0)
		check_fail(__FILE__, __LINE__, check_rules,
			   "io_uring_wait_cqe_timeout: %s",
			   strerrorname_np(-ret));
	return true;
}

/*
 * io-wq worker threads of this process now: io_uring names them
 * iou-wrk-PID, and they stay a few seconds after their last request.
 */
static inline int uring_workers(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	char path[300], comm[32];
	int n = 0;

	if (!d)
		check_fail(__FILE__, __LINE__, check_rules,
			   "opendir /proc/self/task: %s",
			   strerrorname_np(errno));
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;	/* the thread is gone */
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, "iou-wrk", 7))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/*
 * Wait (bounded by the watchdog) until @n tasks are blocked receiving on
 * @fd (@recv) or sending on it: a blocking peer that the io_uring side
 * must meet.
 */
static inline void uring_wait_blocked(int fd, bool recv, unsigned int n)
{
	for (;;) {
		struct chan_info i = chan_info_of(fd);

		if ((recv ? i.recv_waiters : i.send_waiters) >= n)
			return;
		usleep(200);
	}
}

#endif /* CHAN_TESTS_URING_URING_H */
