// SPDX-License-Identifier: GPL-2.0
/*
 * M4: the kernel never trusts the shared pages.  A scribbler process writes
 * random values (and random well-formed slot states) all over a ring
 * channel's shared pages while other processes use that channel every way
 * (fast path, ioctls, read/write, select, poll, close), with deadlines so
 * that nothing waits for ever.  Every call must give a documented result,
 * the kernel must log nothing (the harness checks, KASAN on the debug
 * kernel), and another ring channel used at the same time by the same
 * processes must keep every rule (R1, R5): garbage stays in its channel.
 */
#include "ring.h"

#include <poll.h>

#define SECONDS		5
#define OTHER_N		20000

static int victim, other;

static void scribble(void)
{
	struct chan_ring_info ri = ring_info_of(victim);
	long page = sysconf(_SC_PAGESIZE);
	size_t len, words, i;
	uint8_t *map = ring_map_of(victim, &len);
	uint32_t *shared = (uint32_t *)(map + page);
	uint64_t *st;
	int64_t end = now_ns() + SECONDS * 1000000000LL;

	words = (len - page) / sizeof(uint32_t);
	srandom(getpid());
	while (now_ns() < end) {
		for (i = 0; i < 64; i++) {
			switch (random() % 4) {
			case 0:
				shared[random() % words] = random();
				break;
			case 1:	/* the header's words */
				shared[random() % (CHAN_RING_SLOTS_OFFSET / 4)] =
					random() % 4 ? random() % 64 : random();
				break;
			default: /* a slot state that looks right, or almost */
				st = (uint64_t *)((uint8_t *)shared +
						  CHAN_RING_SLOTS_OFFSET +
						  (random() % ri.cap) * ri.stride);
				*st = ((uint64_t)(random() % 3 ? 0 :
					(uint32_t)random()) << 32) |
				      (uint32_t)(random() % 64);
			}
		}
		usleep(100);
	}
	_exit(0);
}

/* @ret must be one of the results listed after it. */
#define CHECK_IN(ret, ...)						\
	do {								\
		const int ok_[] = { __VA_ARGS__ };			\
		size_t i_;						\
									\
		for (i_ = 0; i_ < ARRAY_SIZE(ok_); i_++)		\
			if ((ret) == ok_[i_])				\
				break;					\
		if (i_ == ARRAY_SIZE(ok_))				\
			check_fail(__FILE__, __LINE__, "M4",		\
				   "call %d: undocumented result %d %s", \
				   how % 9, (ret), check_errname(ret)); \
	} while (0)

/*
 * One call on the victim, any kind; its result must be a documented one.
 * The victim's fd is O_NONBLOCK, so a timed call may also say EAGAIN.
 */
static void victim_call(int fd, int how)
{
	struct chan_xfer x = { .flags = CHAN_XFER_NONBLOCK };
	struct chan_case c[2];
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	uint8_t v[4 * 16];
	ssize_t r;
	int ret;

	memset(v, how, sizeof(v));
	x.elem = (uintptr_t)v;
	switch (how % 9) {
	case 0:
		ret = chan_send_timeout(fd, v, 1000000);
		CHECK_IN(ret, 0, -EAGAIN, -ETIMEDOUT, -EPIPE);
		break;
	case 1:
		ret = chan_recv_timeout(fd, v, 1000000);
		CHECK_IN(ret, 1, 0, -EAGAIN, -ETIMEDOUT);
		break;
	case 2:
		ret = chan_try_send(fd, v);
		CHECK_IN(ret, 0, -EAGAIN, -EPIPE);
		break;
	case 3:
		ret = chan_try_recv(fd, v);
		CHECK_IN(ret, 1, 0, -EAGAIN);
		break;
	case 4:
		ret = ioctl(fd, CHAN_IOC_SEND, &x) < 0 ? -errno : 0;
		CHECK_IN(ret, 0, -EAGAIN, -EPIPE);
		ret = ioctl(fd, CHAN_IOC_RECV, &x);
		ret = ret < 0 ? -errno : ret;
		CHECK_IN(ret, 1, 0, -EAGAIN);
		break;
	case 5:
		/* The fd is O_NONBLOCK: batches never wait. */
		r = write(fd, v, sizeof(v));
		CHECK_IN(r < 0 ? -errno : (int)r, 16, 32, 48, 64, -EAGAIN, -EPIPE);
		r = read(fd, v, sizeof(v));
		CHECK_IN(r < 0 ? -errno : (int)r, 0, 16, 32, 48, 64, -EAGAIN);
		break;
	case 6:
		c[0] = (struct chan_case){ .ch = fd, .op = CHAN_OP_SEND, .elem = v };
		c[1] = (struct chan_case){ .ch = fd, .op = CHAN_OP_RECV, .elem = v };
		ret = chan_select(c, 2, 1000000);
		CHECK_IN(ret, 0, 1, -ETIMEDOUT);
		break;
	case 7:
		CHECK_SYS("M4", poll(&p, 1, 1));
		ret = chan_len(fd);
		CHECK("M4", ret >= 0 && ret <= 8);
		ioctl(fd, CHAN_IOC_RING_KICK);
		break;
	default:
		ret = chan_close(fd);
		CHECK_IN(ret, 0, -EPIPE);
	}
}

static void *other_producer(void *arg)
{
	uint64_t v;

	(void)arg;
	for (v = 0; v < OTHER_N; v++)
		CHECK_EQ("M4", chan_send(other, &v), 0);
	return NULL;
}

static void *other_consumer(void *arg)
{
	uint64_t v, out;

	(void)arg;
	for (v = 0; v < OTHER_N; v++) {
		CHECK_EQ("M4", chan_recv(other, &out), 1);
		CHECK_EQ("R1", out, v);
	}
	return NULL;
}

static void user(int n)
{
	int64_t end = now_ns() + SECONDS * 1000000000LL;
	pid_t pid = fork_child();
	pthread_t t;

	if (pid)
		return;
	srandom(getpid());
	t = spawn(n ? other_consumer : other_producer, NULL);
	while (now_ns() < end)
		victim_call(victim, random());
	join(t);
	_exit(0);
}

int main(void)
{
	pid_t scribbler;
	int i;

	test_start("M4", "a process scribbles over a ring's shared pages", 300);
	victim = CHECK_OK("M4", chan_make(16, 8, CHAN_RING | CHAN_NONBLOCK));
	other = CHECK_OK("M4", chan_make(sizeof(uint64_t), 8, CHAN_RING));
	scribbler = fork_child();
	if (!scribbler)
		scribble();
	for (i = 0; i < 2; i++)
		user(i);
	wait_child_ok("M4", scribbler);
	for (i = 0; i < 2; i++) {
		int status;

		CHECK("M4", wait(&status) > 0);
		CHECK("M4", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	test_pass();
}
