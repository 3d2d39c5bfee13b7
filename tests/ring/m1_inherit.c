// SPDX-License-Identifier: GPL-2.0
/*
 * M1: libchan maps a ring on the first use of any fd of it, also one that
 * arrived by exec with CHAN_INHERIT or by SCM_RIGHTS, and from then on the
 * fast path makes no system call there either (the seccomp filter of
 * ring.h kills the process on any chan call).
 */
#include "ring.h"

#include <sys/socket.h>

#define N	1000

/* Map by first use, then N sends and receives under the filter. */
static void use_fast(int fd, uint64_t last)
{
	uint64_t v = 0, out;

	if (chan_send(fd, &v) != 0 || chan_recv(fd, &out) != 1 || out != 0)
		_exit(3);
	no_chan_calls(fd);
	for (v = 1; v <= N; v++)
		if (chan_send(fd, &v) != 0 || chan_recv(fd, &out) != 1 ||
		    out != v)
			_exit(4);
	if (chan_send(fd, &last) != 0)
		_exit(5);
	_exit(0);
}

static void check_child(pid_t pid, int ch, uint64_t last)
{
	uint64_t out;
	int status;

	CHECK_EQ("M1", waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		check_fail(__FILE__, __LINE__, "M1", "child killed by signal %d",
			   WTERMSIG(status));
	CHECK_EQ("M1", WEXITSTATUS(status), 0);
	CHECK_EQ("M1", chan_recv(ch, &out), 1);
	CHECK_EQ("M1", out, last);
}

int main(int argc, char **argv)
{
	char msgbuf[CMSG_SPACE(sizeof(int))], arg[16];
	struct iovec io = { .iov_base = arg, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &io, .msg_iovlen = 1,
			      .msg_control = msgbuf,
			      .msg_controllen = sizeof(msgbuf) };
	struct cmsghdr *c;
	int ch, sv[2], fd;
	pid_t pid;

	if (argc == 3 && !strcmp(argv[1], "exec"))
		use_fast(atoi(argv[2]), 77);
	test_start("M1", "ring fds from exec and SCM_RIGHTS use the fast path", 120);

	STEP("exec with CHAN_INHERIT");
	ch = CHECK_OK("M1", chan_make(sizeof(uint64_t), 16,
				      CHAN_RING | CHAN_INHERIT));
	pid = fork_child();
	if (!pid) {
		snprintf(arg, sizeof(arg), "%d", ch);
		execl("/proc/self/exe", argv[0], "exec", arg, (char *)NULL);
		_exit(6);
	}
	check_child(pid, ch, 77);

	STEP("SCM_RIGHTS");
	CHECK_SYS("M1", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork_child();
	if (!pid) {
		if (recvmsg(sv[1], &msg, 0) != 1)
			_exit(7);
		c = CMSG_FIRSTHDR(&msg);
		if (!c || c->cmsg_type != SCM_RIGHTS)
			_exit(8);
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		use_fast(fd, 88);
	}
	/* A channel the child has never seen, made after the fork. */
	ch = CHECK_OK("M1", chan_make(sizeof(uint64_t), 16, CHAN_RING));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &ch, sizeof(int));
	CHECK_EQ("M1", sendmsg(sv[0], &msg, 0), 1);
	check_child(pid, ch, 88);
	test_pass();
}
