// SPDX-License-Identifier: GPL-2.0
/*
 * B2: a timed operation that expires fails with ETIMEDOUT and changes
 * nothing.  Deadlines are absolute (CLOCK_MONOTONIC) in the kernel, so a call
 * restarted after a signal handler with SA_RESTART does not wait longer than
 * asked in total.
 */
#include "check.h"

#include <sys/syscall.h>

#define MS	1000000LL

static volatile sig_atomic_t handled;
static pid_t main_tid;
static volatile int stop_signals;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void check_expires(int fd, bool send, int64_t timeout)
{
	uint64_t v = 77, out = 55;
	int64_t start = now_ns(), took;

	if (send)
		CHECK_EQ("B2", chan_send_timeout(fd, &v, timeout), -ETIMEDOUT);
	else
		CHECK_EQ("B2", chan_recv_timeout(fd, &out, timeout), -ETIMEDOUT);
	took = now_ns() - start;
	/* Never early; late only by scheduling (generous: the VM is slow). */
	CHECK("B2", took >= timeout);
	CHECK("B2", took < timeout + 2000 * MS);
	CHECK_EQ("B2", out, 55);
}

static void *pester(void *arg)
{
	int i;

	(void)arg;
	/* Interrupt the timed receive every 150 ms, well past half its timeout. */
	for (i = 0; i < 6 && !stop_signals; i++) {
		sleep_ms(150);
		signal_thread(main_tid, SIGUSR1);
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct chan_xfer x;
	uint64_t v, out;
	int64_t start, took;
	pthread_t t;
	int fd;

	test_start("B2", "timeouts: ETIMEDOUT, nothing changes, absolute deadlines", 60);
	main_tid = (pid_t)syscall(SYS_gettid);

	STEP("buffered: full send and empty receive expire");
	fd = CHECK_OK("B2", chan_make(sizeof(uint64_t), 2, 0));
	check_expires(fd, false, 50 * MS);
	for (v = 0; v < 2; v++)
		CHECK_EQ("B2", chan_send(fd, &v), 0);
	check_expires(fd, true, 50 * MS);
	check_expires(fd, true, 1);
	/* The expired send left the buffer as it was. */
	CHECK_EQ("B2", chan_len(fd), 2);
	for (v = 0; v < 2; v++) {
		CHECK_EQ("B2", chan_recv(fd, &out), 1);
		CHECK_EQ("B2", out, v);
	}
	CHECK_EQ("B2", chan_try_recv(fd, &out), -EAGAIN);

	STEP("raw deadline already in the past");
	for (v = 0; v < 2; v++)
		CHECK_EQ("B2", chan_send(fd, &v), 0);
	memset(&x, 0, sizeof(x));
	x.elem = (uintptr_t)&v;
	x.flags = CHAN_XFER_DEADLINE;
	x.deadline_ns = (uint64_t)now_ns() - 1000 * MS;
	CHECK_ERRNO("B2", ioctl(fd, CHAN_IOC_SEND, &x), ETIMEDOUT);
	CHECK_EQ("B2", chan_len(fd), 2);
	close(fd);

	STEP("unbuffered: both directions expire and leave nothing behind");
	fd = CHECK_OK("B2", chan_make(sizeof(uint64_t), 0, 0));
	check_expires(fd, true, 50 * MS);
	check_expires(fd, false, 50 * MS);
	CHECK_EQ("B2", chan_try_recv(fd, &out), -EAGAIN);
	CHECK_EQ("B2", chan_info_of(fd).send_waiters, 0);
	CHECK_EQ("B2", chan_info_of(fd).recv_waiters, 0);

	STEP("SA_RESTART restarts do not extend the deadline");
	CHECK_SYS("B2", sigaction(SIGUSR1, &sa, NULL));
	t = spawn(pester, NULL);
	start = now_ns();
	CHECK_EQ("B2", chan_recv_timeout(fd, &out, 1000 * MS), -ETIMEDOUT);
	took = now_ns() - start;
	stop_signals = 1;
	join(t);
	/*
	 * Signals came at 150..900 ms.  Had a restart started the timeout anew,
	 * the call would have lasted at least 1450 ms past the first handler.
	 */
	CHECK("B2", handled >= 3);
	CHECK("B2", took >= 1000 * MS);
	if (took >= 1400 * MS)
		check_fail(__FILE__, __LINE__, "B2",
			   "1000 ms timeout took %lld ms with %d restarts",
			   (long long)(took / MS), (int)handled);
	close(fd);
	test_pass();
}
