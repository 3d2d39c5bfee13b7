// SPDX-License-Identifier: GPL-2.0
/*
 * C2: a channel is a file descriptor.  Every fd that refers to it keeps it
 * alive; channel fds are inherited by fork(2), pass over a unix socket with
 * SCM_RIGHTS, work in select(2), and are close-on-exec unless made with
 * CHAN_INHERIT.  The exec case re-executes /proc/self/exe with the fd numbers
 * on the command line, and the new image checks what it got.
 */
#include "check.h"

#include <sys/select.h>
#include <sys/socket.h>

/* The re-executed image: argv = exec-child <cloexec fd> <inherit fd> <id>. */
static int exec_child(char **argv)
{
	int cloexec_fd = atoi(argv[2]), inherit_fd = atoi(argv[3]);
	uint64_t id = strtoull(argv[4], NULL, 0), v = 0;

	check_rules = "C2";
	/* The default fd did not survive exec ... */
	CHECK_ERRNO("C2", fcntl(cloexec_fd, F_GETFD), EBADF);
	/* ... the CHAN_INHERIT one did, still the same channel with its element. */
	CHECK_EQ("C2", fcntl(inherit_fd, F_GETFD) & FD_CLOEXEC, 0);
	CHECK_EQ("C2", chan_info_of(inherit_fd).id, id);
	CHECK_EQ("C2", chan_recv(inherit_fd, &v), 1);
	CHECK_EQ("C2", v, 42);
	v = 43;
	CHECK_EQ("C2", chan_send(inherit_fd, &v), 0);
	return 0;
}

static void send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHECK_SYS("C2", sendmsg(sock, &msg, 0));
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	CHECK_EQ("C2", recvmsg(sock, &msg, 0), 1);
	c = CMSG_FIRSTHDR(&msg);
	CHECK("C2", c && c->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void test_dup_keeps_alive(void)
{
	uint64_t v = 5, out = 0;
	int a, b, c;

	STEP("dup(2) and chan_dup keep the channel alive");
	a = CHECK_OK("C2", chan_make(sizeof(v), 2, 0));
	b = CHECK_SYS("C2", dup(a));
	c = CHECK_OK("C2", chan_dup(a, CHAN_RECV_ONLY));
	CHECK_EQ("C2", chan_send(a, &v), 0);
	close(a);
	CHECK_EQ("C2", chan_len(b), 1);
	v = 6;
	CHECK_EQ("C2", chan_send(b, &v), 0);
	close(b);
	/* Only the receive-only fd is left: both elements are still there. */
	CHECK_EQ("C2", chan_recv(c, &out), 1);
	CHECK_EQ("C2", out, 5);
	CHECK_EQ("C2", chan_recv(c, &out), 1);
	CHECK_EQ("C2", out, 6);
	close(c);
}

static void test_fork(void)
{
	uint64_t v = 11, out = 0;
	pid_t pid;
	int fd;

	STEP("fork inherits the fd");
	fd = CHECK_OK("C2", chan_make(sizeof(v), 1, 0));
	CHECK_EQ("C2", chan_send(fd, &v), 0);
	pid = fork_child();
	if (pid == 0) {
		CHECK_EQ("C2", chan_recv(fd, &out), 1);
		CHECK_EQ("C2", out, 11);
		out = 12;
		CHECK_EQ("C2", chan_send(fd, &out), 0);
		_exit(0);
	}
	wait_child_ok("C2", pid);
	/* The child's copy is gone with it; the parent's still works. */
	CHECK_EQ("C2", chan_recv(fd, &out), 1);
	CHECK_EQ("C2", out, 12);
	close(fd);
}

static void test_scm_rights(void)
{
	uint64_t v = 21, out = 0, id;
	int sv[2], fd;
	pid_t pid;

	STEP("SCM_RIGHTS, sender closes while the fd is in flight");
	CHECK_SYS("C2", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork_child();
	if (pid == 0) {
		close(sv[0]);
		/* The channel is made after fork: this fd can only come by socket. */
		fd = recv_fd(sv[1]);
		CHECK_EQ("C2", read(sv[1], &id, sizeof(id)), sizeof(id));
		CHECK_EQ("C2", chan_info_of(fd).id, id);
		CHECK_EQ("C2", chan_recv(fd, &out), 1);
		CHECK_EQ("C2", out, 21);
		out = 22;
		CHECK_EQ("C2", chan_send(fd, &out), 0);
		close(fd);
		_exit(0);
	}
	close(sv[1]);
	fd = CHECK_OK("C2", chan_make(sizeof(v), 1, 0));
	CHECK_EQ("C2", chan_send(fd, &v), 0);
	id = chan_info_of(fd).id;
	{
		/* Keep a receive end, pass the full fd, and drop it in flight. */
		int r = CHECK_OK("C2", chan_dup(fd, CHAN_RECV_ONLY));

		send_fd(sv[0], fd);
		close(fd);
		CHECK_EQ("C2", write(sv[0], &id, sizeof(id)), sizeof(id));
		wait_child_ok("C2", pid);
		CHECK_EQ("C2", chan_recv(r, &out), 1);
		CHECK_EQ("C2", out, 22);
		close(r);
	}
	close(sv[0]);
}

static void test_exec(void)
{
	uint64_t v = 42, out = 0;
	char a1[16], a2[16], a3[32];
	int cl, inh;
	pid_t pid;

	STEP("exec: close-on-exec by default, CHAN_INHERIT survives");
	cl = CHECK_OK("C2", chan_make(sizeof(v), 1, 0));
	inh = CHECK_OK("C2", chan_make(sizeof(v), 1, CHAN_INHERIT));
	CHECK("C2", fcntl(cl, F_GETFD) & FD_CLOEXEC);
	CHECK_EQ("C2", fcntl(inh, F_GETFD) & FD_CLOEXEC, 0);
	CHECK_EQ("C2", chan_send(inh, &v), 0);
	snprintf(a1, sizeof(a1), "%d", cl);
	snprintf(a2, sizeof(a2), "%d", inh);
	snprintf(a3, sizeof(a3), "%" PRIu64, (uint64_t)chan_info_of(inh).id);
	pid = fork_child();
	if (pid == 0) {
		char *argv[] = { "c2_fd_lifetime", "exec-child", a1, a2, a3, NULL };

		execv("/proc/self/exe", argv);
		_exit(3);
	}
	wait_child_ok("C2", pid);
	CHECK_EQ("C2", chan_recv(inh, &out), 1);
	CHECK_EQ("C2", out, 43);
	close(cl);
	close(inh);
}

static void test_select(void)
{
	struct timeval tv = { 0, 0 };
	uint64_t v = 1;
	fd_set rd, wr;
	int fd;

	STEP("select(2) on a channel fd");
	fd = CHECK_OK("C2", chan_make(sizeof(v), 1, 0));
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(fd, &rd);
	FD_SET(fd, &wr);
	/* Empty buffered channel: writable, not readable. */
	CHECK_EQ("C2", select(fd + 1, &rd, &wr, NULL, &tv), 1);
	CHECK("C2", !FD_ISSET(fd, &rd) && FD_ISSET(fd, &wr));
	CHECK_EQ("C2", chan_send(fd, &v), 0);
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(fd, &rd);
	FD_SET(fd, &wr);
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	/* Full: readable, not writable. */
	CHECK_EQ("C2", select(fd + 1, &rd, &wr, NULL, &tv), 1);
	CHECK("C2", FD_ISSET(fd, &rd) && !FD_ISSET(fd, &wr));
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "exec-child") == 0)
		return exec_child(argv);

	test_start("C2", "fd lifetime: dup, fork, SCM_RIGHTS, exec, select", 60);
	test_dup_keeps_alive();
	test_fork();
	test_scm_rights();
	test_exec();
	test_select();
	test_pass();
}
