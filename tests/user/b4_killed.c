// SPDX-License-Identifier: GPL-2.0
/*
 * B4: a task killed while blocked loses nothing it had not yet taken: a
 * killed sender's element is delivered exactly once or not at all, and a
 * killed receiver takes nothing it did not store.  First single kill -9s of
 * blocked senders and receivers, then processes streaming numbered elements
 * that are killed at random; the ledger lives in shared memory so that it
 * survives the kills.
 */
#include "check.h"

#include <sys/mman.h>

#define SENDERS		2
#define RECEIVERS	2
#define PER_SENDER	200000
#define NONE		UINT64_MAX

struct ledger {
	unsigned char attempted[SENDERS][PER_SENDER];
	unsigned char succeeded[SENDERS][PER_SENDER];
	uint64_t slot[RECEIVERS][SENDERS * PER_SENDER];
};

static void kill_and_reap(pid_t pid)
{
	int status;

	CHECK_SYS("B4", kill(pid, SIGKILL));
	CHECK_EQ("B4", waitpid(pid, &status, 0), pid);
	CHECK("B4", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void killed_blocked_sender(size_t cap)
{
	uint64_t v, out;
	pid_t pid;
	int fd;

	STEP("kill -9 a blocked sender: its element is not delivered");
	fd = CHECK_OK("B4", chan_make(sizeof(uint64_t), cap, 0));
	for (v = 0; v < cap; v++)
		CHECK_EQ("B4", chan_send(fd, &v), 0);
	pid = fork_child();
	if (pid == 0) {
		v = 42;
		chan_send(fd, &v);
		_exit(1);
	}
	wait_waiters(fd, 1, 0);
	kill_and_reap(pid);
	wait_waiters(fd, 0, 0);
	for (v = 0; v < cap; v++) {
		CHECK_EQ("B4", chan_try_recv(fd, &out), 1);
		CHECK_EQ("B4", out, v);
	}
	CHECK_EQ("B4", chan_try_recv(fd, &out), -EAGAIN);
	close(fd);
}

static void killed_blocked_receiver(size_t cap)
{
	uint64_t v = 43, out = 0;
	pid_t pid;
	int fd;

	STEP("kill -9 a blocked receiver: it takes nothing");
	fd = CHECK_OK("B4", chan_make(sizeof(uint64_t), cap, 0));
	pid = fork_child();
	if (pid == 0) {
		chan_recv(fd, &out);
		_exit(1);
	}
	wait_waiters(fd, 0, 1);
	kill_and_reap(pid);
	wait_waiters(fd, 0, 0);
	if (cap == 0) {
		/* Nobody is left to hand over to. */
		CHECK_EQ("B4", chan_try_send(fd, &v), -EAGAIN);
	} else {
		CHECK_EQ("B4", chan_try_send(fd, &v), 0);
		CHECK_EQ("B4", chan_try_recv(fd, &out), 1);
		CHECK_EQ("B4", out, 43);
	}
	close(fd);
}

static void sender_child(struct ledger *l, int fd, int i)
{
	uint64_t seq, v;

	for (seq = 0; seq < PER_SENDER; seq++) {
		v = (uint64_t)i << 32 | seq;
		l->attempted[i][seq] = 1;
		if (chan_send(fd, &v) < 0)
			_exit(1);
		l->succeeded[i][seq] = 1;
	}
	_exit(0);
}

static void receiver_child(struct ledger *l, int fd, int r)
{
	size_t k;

	/* The kernel stores straight into the ledger: a kill cannot lose it. */
	for (k = 0; k < SENDERS * PER_SENDER; k++)
		if (chan_recv(fd, &l->slot[r][k]) <= 0)
			_exit(1);
	_exit(0);
}

static void count(struct ledger *l, unsigned char *seen, uint64_t v)
{
	uint64_t i = v >> 32, seq = v & 0xffffffff;

	if (i >= SENDERS || seq >= PER_SENDER)
		check_fail(__FILE__, __LINE__, "B4", "bogus element %#" PRIx64, v);
	if (!l->attempted[i][seq])
		check_fail(__FILE__, __LINE__, "B4",
			   "element %#" PRIx64 " received but never sent", v);
	if (seen[i * PER_SENDER + seq]++)
		check_fail(__FILE__, __LINE__, "B4",
			   "element %#" PRIx64 " received twice", v);
}

/*
 * Wait until *@flag is set by a child: kills are aimed at points in the
 * stream, not at times, so they land mid-stream however fast it runs.
 */
static void wait_flag(const volatile unsigned char *flag)
{
	int64_t end = now_ns() + test_time_scale() * 60 * 1000000000LL;

	while (!*flag) {
		CHECK("B4", now_ns() < end);
		sleep_ms(1);
	}
}

static void wait_slot(const volatile uint64_t *slot)
{
	int64_t end = now_ns() + test_time_scale() * 60 * 1000000000LL;

	while (*slot == NONE) {
		CHECK("B4", now_ns() < end);
		sleep_ms(1);
	}
}

static void random_kills(struct ledger *l, unsigned int seed)
{
	pid_t senders[SENDERS], receivers[RECEIVERS];
	static unsigned char seen[SENDERS * PER_SENDER];
	/* Where in the stream the kills land: a tenth of it on debug. */
	const long span = test_count(PER_SENDER);
	uint64_t v;
	size_t k;
	int fd, i, n = 0;

	STEP("streaming processes killed at random");
	memset(l, 0, sizeof(*l));
	memset(l->slot, 0xff, sizeof(l->slot));
	memset(seen, 0, sizeof(seen));
	fd = CHECK_OK("B4", chan_make(sizeof(uint64_t), 4, 0));
	for (i = 0; i < SENDERS; i++) {
		senders[i] = fork_child();
		if (senders[i] == 0)
			sender_child(l, fd, i);
	}
	for (i = 0; i < RECEIVERS; i++) {
		receivers[i] = fork_child();
		if (receivers[i] == 0)
			receiver_child(l, fd, i);
	}
	wait_flag(&l->attempted[0][span / 8 + rand_r(&seed) % (span / 4)]);
	kill_and_reap(senders[0]);
	wait_slot(&l->slot[0][rand_r(&seed) % (span / 8)]);
	kill_and_reap(receivers[0]);
	for (i = 1; i < SENDERS; i++) {
		wait_flag(&l->attempted[i][span / 2 + rand_r(&seed) % (span / 4)]);
		kill_and_reap(senders[i]);
	}
	/* With every sender gone, the receivers left are blocked. */
	for (i = 1; i < RECEIVERS; i++)
		kill_and_reap(receivers[i]);

	/* Everything taken by a receiver, then whatever is left buffered. */
	for (i = 0; i < RECEIVERS; i++)
		for (k = 0; k < SENDERS * PER_SENDER && l->slot[i][k] != NONE; k++, n++)
			count(l, seen, l->slot[i][k]);
	while (chan_try_recv(fd, &v) == 1) {
		count(l, seen, v);
		n++;
	}
	CHECK_EQ("B4", chan_try_recv(fd, &v), -EAGAIN);
	for (i = 0; i < SENDERS; i++) {
		for (k = 0; k < PER_SENDER; k++) {
			/*
			 * A send that reported success was delivered; the one
			 * in flight when its sender died may or may not be.
			 */
			if (l->succeeded[i][k] && !seen[i * PER_SENDER + k])
				check_fail(__FILE__, __LINE__, "B4",
					   "sender %d element %zu sent but lost", i, k);
		}
	}
	fprintf(stderr, "b4 random kills: %d elements accounted for\n", n);
	close(fd);
}

int main(void)
{
	struct ledger *l;
	unsigned int round;

	test_start("B4", "kill -9 of blocked senders and receivers: nothing lost or doubled", 300);
	killed_blocked_sender(0);
	killed_blocked_sender(2);
	killed_blocked_receiver(0);
	killed_blocked_receiver(2);

	l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("B4", l != MAP_FAILED);
	for (round = 1; round <= 3; round++)
		random_kills(l, round);
	test_pass();
}
