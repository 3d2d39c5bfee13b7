// SPDX-License-Identifier: GPL-2.0
/*
 * K5: when the last fd that may send is released (close(2) or process
 * exit), the channel closes as if by K1; when the last fd that may receive
 * is released, sends fail with EPIPE.  Tasks blocked on a channel that can
 * never progress are woken instead of sleeping forever.
 */
#include "check.h"

static int ch;

static void *blocked_recv_closed(void *arg)
{
	uint64_t v;

	(void)arg;
	CHECK_EQ("K5", chan_recv(ch, &v), 0);
	return NULL;
}

static void *blocked_send_epipe(void *arg)
{
	uint64_t v = 9;

	(void)arg;
	CHECK_EQ("K5", chan_send(ch, &v), -EPIPE);
	return NULL;
}

static void last_sender_closed(void)
{
	uint64_t v = 3, out;
	pthread_t t;
	int fd, r;

	STEP("close(2) of the last send-capable fd closes the channel");
	fd = CHECK_OK("K5", chan_make(sizeof(uint64_t), 2, 0));
	r = CHECK_OK("K5", chan_dup(fd, CHAN_RECV_ONLY));
	CHECK_EQ("K5", chan_send(fd, &v), 0);
	close(fd);
	CHECK_EQ("K5", chan_info_of(r).closed, 1);
	CHECK_EQ("K5", chan_recv(r, &out), 1);
	CHECK_EQ("K5", out, 3);
	CHECK_EQ("K5", chan_recv(r, &out), 0);
	close(r);

	STEP("a blocked receiver wakes when the last sender goes");
	fd = CHECK_OK("K5", chan_make(sizeof(uint64_t), 0, 0));
	ch = CHECK_OK("K5", chan_dup(fd, CHAN_RECV_ONLY));
	t = spawn(blocked_recv_closed, NULL);
	wait_waiters(ch, 0, 1);
	close(fd);
	join(t);
	close(ch);
}

static void last_sender_exits(void)
{
	int fd, s, go[2];
	uint64_t v = 4, out;
	char c = 'g';
	pid_t pid;

	STEP("exit of the process holding the last sender closes the channel");
	fd = CHECK_OK("K5", chan_make(sizeof(uint64_t), 1, 0));
	s = CHECK_OK("K5", chan_dup(fd, CHAN_SEND_ONLY));
	ch = CHECK_OK("K5", chan_dup(fd, CHAN_RECV_ONLY));
	CHECK_SYS("K5", pipe(go));
	pid = fork_child();
	if (pid == 0) {
		close(fd);
		CHECK_EQ("K5", read(go[0], &c, 1), 1);
		CHECK_EQ("K5", chan_send(s, &v), 0);
		/* Exit without close(2): the kernel releases s. */
		_exit(0);
	}
	close(fd);
	close(s);
	CHECK_EQ("K5", chan_info_of(ch).closed, 0);
	CHECK_EQ("K5", write(go[1], &c, 1), 1);
	CHECK_EQ("K5", chan_recv(ch, &out), 1);
	CHECK_EQ("K5", out, 4);
	/* Blocks until the child is gone, then reports closed. */
	CHECK_EQ("K5", chan_recv(ch, &out), 0);
	wait_child_ok("K5", pid);
	CHECK_EQ("K5", chan_info_of(ch).closed, 1);
	close(ch);
	close(go[0]);
	close(go[1]);
}

static void last_receiver_gone(void)
{
	uint64_t v = 5;
	int fd, r, go[2];
	char c = 'g';
	pthread_t t;
	pid_t pid;

	STEP("close(2) of the last receive-capable fd: sends fail with EPIPE");
	fd = CHECK_OK("K5", chan_make(sizeof(uint64_t), 2, 0));
	ch = CHECK_OK("K5", chan_dup(fd, CHAN_SEND_ONLY));
	close(fd);
	/* Room in the buffer, but nobody can ever receive. */
	CHECK_EQ("K5", chan_send(ch, &v), -EPIPE);
	CHECK_EQ("K5", chan_try_send(ch, &v), -EPIPE);
	CHECK_ERRNO("K5", write(ch, &v, sizeof(v)), EPIPE);
	close(ch);

	STEP("a blocked sender wakes when the last receiver is closed");
	fd = CHECK_OK("K5", chan_make(sizeof(uint64_t), 0, 0));
	ch = CHECK_OK("K5", chan_dup(fd, CHAN_SEND_ONLY));
	t = spawn(blocked_send_epipe, NULL);
	wait_waiters(ch, 1, 0);
	close(fd);
	join(t);
	close(ch);

	STEP("a blocked sender wakes when the process with the last receiver exits");
	fd = CHECK_OK("K5", chan_make(sizeof(uint64_t), 0, 0));
	ch = CHECK_OK("K5", chan_dup(fd, CHAN_SEND_ONLY));
	r = CHECK_OK("K5", chan_dup(fd, CHAN_RECV_ONLY));
	close(fd);
	CHECK_SYS("K5", pipe(go));
	pid = fork_child();
	if (pid == 0) {
		close(ch);
		CHECK_EQ("K5", read(go[0], &c, 1), 1);
		_exit(0);
	}
	close(r);
	t = spawn(blocked_send_epipe, NULL);
	wait_waiters(ch, 1, 0);
	CHECK_EQ("K5", write(go[1], &c, 1), 1);
	join(t);
	wait_child_ok("K5", pid);
	close(ch);
	close(go[0]);
	close(go[1]);
}

int main(void)
{
	test_start("K5", "nobody left: last sender or receiver released", 60);
	last_sender_closed();
	last_sender_exits();
	last_receiver_gone();
	test_pass();
}
