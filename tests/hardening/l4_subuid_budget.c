// SPDX-License-Identifier: GPL-2.0
/*
 * L4: a budget's owner is the user, as seen from the initial user
 * namespace, who created the outermost user namespace the caller is in; a
 * user with a range of subordinate uids (a rootless container) has one
 * budget, not one per uid.
 *
 * With user_budget_bytes at 1 MiB: a child becomes uid 1000 and makes a
 * user namespace whose uids 0-999 map to 200000-200999 (the mapping root
 * writes for it, as newuidmap would).  In it, processes as uids 0..7 each
 * make channels with a 64 KiB buffer until refused, all holding theirs at
 * once.  Together they must hold at most one budget, and be refused with
 * EMFILE.  Another user (uid 1001) can still make channels meanwhile.
 */
#include "hard.h"

#define UID		1000
#define OTHER_UID	1001
#define BUDGET		(1LL << 20)
#define NS_UIDS		8
#define ESZ		1024
#define CAP		64
#define MAX_PER_UID	1000

/* In the namespace, as ns-uid @u: channels until refused; report, hold. */
static void ns_user(unsigned int u, int report, int hold)
{
	int n = 0, fd, res[2];
	char c;

	CHECK_SYS("L4", setresgid(u, u, u));
	CHECK_SYS("L4", setresuid(u, u, u));
	for (;;) {
		fd = chan_make(ESZ, CAP, 0);
		if (fd < 0 || ++n > MAX_PER_UID)
			break;
	}
	res[0] = n;
	res[1] = fd;
	CHECK_EQ("L4", write(report, res, sizeof(res)), sizeof(res));
	/* Hold them until every uid has made its channels. */
	if (read(hold, &c, 1) < 0)
		_exit(1);
	_exit(0);
}

/* Write "@what" to /proc/@pid/@file. */
static void proc_write(pid_t pid, const char *file, const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	hard_write(path, what);
}

static void body(void)
{
	int go[2], report[2], hold[2], i, res[2], total = 0, err = 0;
	long long bytes;
	pid_t pid, users[NS_UIDS];
	char c = 'g';

	hard_set_param("user_budget_bytes", BUDGET);
	raise_nofile(MAX_PER_UID * NS_UIDS + 100);
	CHECK_SYS("L4", pipe(go));
	CHECK_SYS("L4", pipe(report));
	CHECK_SYS("L4", pipe(hold));

	STEP("uid 1000 makes a user namespace");
	pid = fork_child();
	if (pid == 0) {
		close(hold[1]);
		become_user("L4", UID);
		if (unshare(CLONE_NEWUSER) < 0) {
			fprintf(stderr, "l4_subuid_budget: SKIP: unshare(CLONE_NEWUSER): %s\n",
				strerrorname_np(errno));
			_exit(EXIT_SKIP);
		}
		CHECK_EQ("L4", write(report[1], &c, 1), 1);
		/* Wait for the uid and gid maps. */
		CHECK_EQ("L4", read(go[0], &c, 1), 1);
		for (i = 0; i < NS_UIDS; i++) {
			users[i] = fork_child();
			if (users[i] == 0)
				ns_user((unsigned int)i, report[1], hold[0]);
		}
		close(hold[0]);
		for (i = 0; i < NS_UIDS; i++)
			wait_child_ok("L4", users[i]);
		_exit(0);
	}
	if (read(report[0], &c, 1) != 1) {
		int status = hard_wait_for(pid, 5000);

		if (status != -1 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == EXIT_SKIP)
			_exit(EXIT_SKIP);
		check_fail(__FILE__, __LINE__, "L4", "the namespace child failed");
	}
	proc_write(pid, "setgroups", "deny");
	proc_write(pid, "uid_map", "0 200000 1000");
	proc_write(pid, "gid_map", "0 200000 1000");
	CHECK_EQ("L4", write(go[1], &c, 1), 1);

	STEP("ns-uids 0..7 make channels until refused");
	for (i = 0; i < NS_UIDS; i++) {
		CHECK_EQ("L4", read(report[0], res, sizeof(res)), sizeof(res));
		total += res[0];
		if (res[1] != -EMFILE)
			err = res[1];
	}
	bytes = (long long)total * ESZ * CAP;
	fprintf(stderr, "l4_subuid_budget: %d uids of one user's namespace hold %d channels, %lld KiB of buffers (budget %lld KiB)\n",
		NS_UIDS, total, bytes >> 10, BUDGET >> 10);
	SOFT("L4", bytes <= BUDGET,
	     "the uids of uid %d's namespace hold %lld KiB of channel buffers, over its budget of %lld KiB",
	     UID, bytes >> 10, BUDGET >> 10);
	CHECK_EQ("L4", err, 0);

	STEP("another user still makes channels");
	{
		pid_t other = fork_child();

		if (other == 0) {
			int fd;

			become_user("L4", OTHER_UID);
			fd = chan_make(ESZ, CAP, 0);
			if (fd < 0) {
				fprintf(stderr, "l4_subuid_budget: uid %d: chan_make: %s\n",
					OTHER_UID, check_errname(fd));
				_exit(1);
			}
			_exit(0);
		}
		wait_child_ok("L4", other);
	}
	close(hold[1]);
	wait_child_ok("L4", pid);
	hard_finish();
}

int main(void)
{
	hard_main("L4", "one budget for all the uids of a user's namespace",
		  60, 0, body);
}
