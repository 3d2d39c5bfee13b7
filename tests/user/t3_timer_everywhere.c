// SPDX-License-Identifier: GPL-2.0
/*
 * T3: timer channels work wherever channels do: poll and epoll, read(2),
 * a forked child, another process through SCM_RIGHTS; and they fire while
 * their holder sleeps in some other call.
 */
#include "timer.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

static void send_fd(int sock, int fd)
{
	char byte = 0, buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = buf,
			      .msg_controllen = sizeof(buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHECK_SYS("T3", sendmsg(sock, &msg, 0));
}

static int recv_fd(int sock)
{
	char byte, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = buf,
			      .msg_controllen = sizeof(buf) };
	struct cmsghdr *c;
	int fd;

	CHECK_EQ("T3", recvmsg(sock, &msg, 0), 1);
	c = CMSG_FIRSTHDR(&msg);
	CHECK("T3", c && c->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int main(void)
{
	struct pollfd p;
	struct epoll_event ev = { .events = EPOLLIN };
	int64_t t0, v;
	int fd, ep, sv[2];
	pid_t pid;

	test_start("T3", "timer channels in poll, epoll, read, fork, SCM_RIGHTS", 120);

	/* poll: nothing, then EPOLLIN when it fired, EPOLLHUP once drained. */
	fd = CHECK_OK("T3", chan_after(50 * MS));
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK_EQ("T3", poll(&p, 1, 0), 0);
	CHECK_EQ("T3", poll(&p, 1, (int)(LATE_NS / MS)), 1);
	CHECK("T3", p.revents & POLLIN);
	CHECK_EQ("T3", read(fd, &v, sizeof(v)), sizeof(v));
	CHECK_EQ("T3", poll(&p, 1, 0), 1);
	CHECK("T3", p.revents & POLLHUP);
	CHECK_EQ("T3", read(fd, &v, sizeof(v)), 0);
	CHECK_SYS("T3", close(fd));

	/* epoll on a ticker. */
	fd = CHECK_OK("T3", chan_tick(10 * MS));
	ep = CHECK_SYS("T3", epoll_create1(EPOLL_CLOEXEC));
	CHECK_SYS("T3", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	CHECK_EQ("T3", epoll_wait(ep, &ev, 1, (int)(LATE_NS / MS)), 1);
	CHECK_EQ("T3", chan_try_recv(fd, &v), 1);
	CHECK_EQ("T3", epoll_wait(ep, &ev, 1, (int)(LATE_NS / MS)), 1);
	CHECK_SYS("T3", close(ep));

	/* A forked child receives the parent's ticker; the parent lets go. */
	pid = fork_child();
	if (pid == 0) {
		timer_recv("T3", fd);
		timer_recv("T3", fd);
		_exit(0);
	}
	CHECK_SYS("T3", close(fd));
	wait_child_ok("T3", pid);

	/* Another process gets it through SCM_RIGHTS. */
	CHECK_SYS("T3", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork_child();
	if (pid == 0) {
		fd = recv_fd(sv[1]);
		t0 = timer_recv("T3", fd);
		CHECK_EQ("T3", chan_recv_timeout(fd, &v, LATE_NS), 0);
		CHECK("T3", t0 > 0);
		_exit(0);
	}
	fd = CHECK_OK("T3", chan_after(30 * MS));
	send_fd(sv[0], fd);
	CHECK_SYS("T3", close(fd));
	wait_child_ok("T3", pid);
	CHECK_SYS("T3", close(sv[0]));
	CHECK_SYS("T3", close(sv[1]));

	/* It fires while its holder sleeps in nanosleep(). */
	t0 = now_ns();
	fd = CHECK_OK("T3", chan_after(20 * MS));
	sleep_ms(200);
	CHECK_EQ("T3", chan_try_recv(fd, &v), 1);
	CHECK("T3", v >= t0 + 20 * MS && v <= now_ns());
	CHECK_SYS("T3", close(fd));
	test_pass();
}
