// SPDX-License-Identifier: GPL-2.0
/*
 * L4: /dev/chan is usable by unprivileged users (mode 0666), and no user
 * can take more kernel memory than its budget (L1): a child that drops to
 * uid/gid 1000 makes and uses channels, fills its budget up to EMFILE, and
 * root's budget is untouched by it.  The budget comes back when the process
 * exits (C2), so a second unprivileged process fits as many channels.
 */
#include "check.h"


#define UID		1000
#define MAX_CHANNELS	200000

static size_t elem, cap;

/* In an unprivileged child: use a channel, then fill the budget. */
static int unprivileged_child(int report, int go)
{
	uint64_t v = 1, out = 0;
	int fd, r, n = 0;
	char c;

	become_user("L4", UID);
	STEP("unprivileged: make and use a channel");
	chan_query_limits();
	fd = CHECK_OK("L4", chan_make(sizeof(v), 1, 0));
	r = CHECK_OK("L4", chan_dup(fd, CHAN_RECV_ONLY));
	CHECK_EQ("L4", chan_send(fd, &v), 0);
	CHECK_EQ("L4", chan_recv(r, &out), 1);
	CHECK_EQ("L4", out, 1);
	CHECK_EQ("L4", chan_close(fd), 0);
	close(r);
	close(fd);

	STEP("unprivileged: fill the budget");
	for (;;) {
		fd = chan_make(elem, cap, 0);
		if (fd < 0)
			break;
		if (++n > MAX_CHANNELS)
			check_fail(__FILE__, __LINE__, "L4", "no EMFILE after %d", n);
	}
	CHECK_EQ("L4", fd, -EMFILE);
	CHECK_EQ("L4", write(report, &n, sizeof(n)), sizeof(n));
	/* Hold the channels until the parent has tried its own. */
	CHECK_EQ("L4", read(go, &c, 1), 1);
	/* Exit without close(2): exit gives the budget back. */
	return 0;
}

static int run_child(void)
{
	int report[2], go[2], n = -1, fd;
	pid_t pid;

	CHECK_SYS("L4", pipe(report));
	CHECK_SYS("L4", pipe(go));
	pid = fork_child();
	if (pid == 0)
		_exit(unprivileged_child(report[1], go[0]));
	CHECK_EQ("L4", read(report[0], &n, sizeof(n)), sizeof(n));

	STEP("root's budget is its own");
	fd = CHECK_OK("L4", chan_make(elem, cap, 0));
	close(fd);

	CHECK_EQ("L4", write(go[1], "g", 1), 1);
	wait_child_ok("L4", pid);
	close(report[0]);
	close(report[1]);
	close(go[0]);
	close(go[1]);
	return n;
}

int main(void)
{
	struct chan_query q;
	struct stat st;
	int n1, n2;

	test_start("L4", "unprivileged use of /dev/chan, per-user budget", 120);
	CHECK_SYS("L4", stat("/dev/chan", &st));
	CHECK("L4", S_ISCHR(st.st_mode));
	CHECK_EQ("L4", st.st_mode & 07777, 0666);
	raise_nofile(MAX_CHANNELS + 1000);

	/* Channels with the largest buffer allowed, so the budget fills fast. */
	q = chan_query_limits();
	elem = 65536;
	cap = q.max_buffer_bytes / elem;
	if (cap > q.max_cap)
		cap = q.max_cap;
	if (cap == 0) {
		elem = q.max_buffer_bytes;
		cap = 1;
	}

	n1 = run_child();
	n2 = run_child();
	fprintf(stderr, "l4: uid %d fits %d channels of %zu bytes (budget %llu)\n",
		UID, n1, elem * cap, (unsigned long long)q.user_budget_bytes);
	CHECK("L4", (unsigned long long)n1 * elem * cap <= q.user_budget_bytes);
	CHECK_EQ("L4", n2, n1);
	test_pass();
}
