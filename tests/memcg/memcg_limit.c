// SPDX-License-Identifier: GPL-2.0
/*
 * L1, L4 in a memory cgroup: a child moved into a new cgroup v2 group with
 * a small memory.max drops to uid 1000 and makes channels of the largest
 * buffer, filling each, until it is refused; then small channels until it
 * is refused again.  A refusal must be a documented error: ENOMEM (the
 * cgroup's limit: every allocation is charged to it) or EMFILE (the user's
 * budget or the fd limit).  The big channels must be refused so: chan
 * allocates their buffers itself.  A small channel is mostly the VFS's
 * file and fd table, and there the memcg OOM killer may instead kill the
 * child itself, the only task in the group: that is the kernel's answer to
 * a group at its limit and is reported, not failed; it must never reach a
 * task outside the group.  Meanwhile memory.current stays within
 * memory.max, and the parent, outside the group, makes and uses a channel
 * as usual.  Once the child is gone, memory.current falls back to about
 * nothing: everything the channels held was freed and uncharged.
 *
 * Needs root in the VM and cgroup2 with the memory controller; skips
 * otherwise.
 */
#include "../user/check.h"

#include <mntent.h>

#define UID		1000
#define MEM_MAX		(16 << 20)
/* What an empty group may still be charged for once the child is gone. */
#define MEM_LEFT	(1 << 20)
#define MAX_CHANNELS	100000

/* What the child did, in memory it shares with the parent. */
struct report {
	volatile int phase;	/* 1 big channels, 2 small, 3 full, 4 done */
	volatile int big, small;
	volatile int big_err, small_err, refill_err;
	volatile long max_seen;	/* highest memory.current the child saw */
};

static char grp[512];

static void grp_path(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/%s", grp, file);
}

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		check_fail(__FILE__, __LINE__, "L1", "write '%s' to %s: %s",
			   val, path, strerrorname_np(errno));
	close(fd);
}

/* A number from a cgroup file; @key picks a `key value` line (or NULL). */
static long read_num(const char *file, const char *key)
{
	char path[600], buf[4096], *p;
	int fd;
	ssize_t n;

	grp_path(path, sizeof(path), file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK("L1", n > 0);
	buf[n] = '\0';
	if (!key)
		return strtol(buf, NULL, 10);
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, strlen(key)) && p[strlen(key)] == ' ')
			return strtol(p + strlen(key) + 1, NULL, 10);
	return -1;
}

static long mem_current(void)
{
	long cur = read_num("memory.current", NULL);

	CHECK("L1", cur >= 0);
	if (cur > MEM_MAX)
		check_fail(__FILE__, __LINE__, "L1",
			   "memory.current %ld over memory.max %d", cur,
			   MEM_MAX);
	return cur;
}

/* Where cgroup2 is mounted, or NULL. */
static const char *cgroup2_mount(void)
{
	static char dir[256];
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;

	if (!f)
		return NULL;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(dir, sizeof(dir), "%s", m->mnt_dir);
			endmntent(f);
			return dir;
		}
	endmntent(f);
	return NULL;
}

static int fds[MAX_CHANNELS];

/* Fill a channel's buffer with write(2); 0 or -errno. */
static int fill(int fd, size_t esz, size_t cap)
{
	static uint8_t buf[65536];
	ssize_t n;

	memset(buf, 0x5a, sizeof(buf));
	for (size_t i = 0; i < cap; i++) {
		n = write(fd, buf, esz);
		if (n < 0)
			return -errno;
		CHECK_EQ("P3", n, esz);
	}
	return 0;
}

static void note_current(struct report *r)
{
	long cur = mem_current();

	if (cur > r->max_seen)
		r->max_seen = cur;
}

/* The child, in the group: take channels until refused. */
static void child(struct report *r, int tell, int wait)
{
	struct chan_query q;
	size_t esz = 65536, cap;
	int n = 0, fd, err;
	char c = 'x';

	become_user("L4", UID);
	q = chan_query_limits();
	cap = q.max_buffer_bytes / esz;
	if (cap > q.max_cap)
		cap = q.max_cap;

	STEP("child: channels of the largest buffer, filled");
	r->phase = 1;
	for (;;) {
		fd = chan_make(esz, cap, CHAN_NONBLOCK);
		if (fd < 0) {
			r->big_err = fd;
			break;
		}
		fds[n++] = fd;
		r->big = n;
		err = fill(fd, esz, cap);
		note_current(r);
		if (err) {
			r->big_err = err;
			break;
		}
		CHECK("L1", n < MAX_CHANNELS);
	}
	if (r->big_err != -ENOMEM && r->big_err != -EMFILE)
		check_fail(__FILE__, __LINE__, "L1",
			   "after %d big channels: %d %s, want ENOMEM or EMFILE",
			   n, r->big_err, check_errname(r->big_err));
	CHECK("L1", n > 0);

	STEP("child: give one back, and it fits again");
	close(fds[--n]);
	fd = chan_make(esz, cap, 0);
	r->refill_err = fd < 0 ? fd : 0;
	if (fd < 0)
		check_fail(__FILE__, __LINE__, "L1",
			   "a channel freed, yet a new one is refused: %s",
			   check_errname(fd));
	close(fd);

	STEP("child: small channels");
	r->phase = 2;
	for (;;) {
		fd = chan_make(8, 1, 0);
		if (fd < 0) {
			r->small_err = fd;
			break;
		}
		CHECK("L1", n < MAX_CHANNELS);
		fds[n++] = fd;
		r->small++;
		if (r->small % 256 == 0)
			note_current(r);
	}
	note_current(r);
	if (fd != -ENOMEM && fd != -EMFILE)
		check_fail(__FILE__, __LINE__, "L1",
			   "after %d small channels: %d %s, want ENOMEM or EMFILE",
			   r->small, fd, check_errname(fd));

	/* Full: let the parent work beside us, then free everything. */
	r->phase = 3;
	CHECK_EQ("L4", write(tell, &c, 1), 1);
	CHECK_EQ("L4", read(wait, &c, 1), 1);
	while (n > 0)
		close(fds[--n]);
	r->phase = 4;
	_exit(0);
}

/* The parent, outside the group, uses a channel as any user would. */
static void parent_uses_channel(void)
{
	uint64_t v, out;
	int fd = CHECK_OK("L4", chan_make(sizeof(v), 64, 0));

	for (v = 0; v < 64; v++)
		CHECK_EQ("L4", chan_send(fd, &v), 0);
	for (v = 0; v < 64; v++) {
		CHECK_EQ("L4", chan_recv(fd, &out), 1);
		CHECK_EQ("L4", out, v);
	}
	close(fd);
}

int main(void)
{
	char path[600], buf[32];
	int tell[2], go[2], status;
	struct report *r;
	const char *mnt;
	long cur, peak;
	pid_t pid;
	char c;

	test_start("L1 L4", "a memory cgroup's limit bounds an unprivileged user's channels", 120);
	if (geteuid() != 0) {
		fprintf(stderr, "memcg_limit: SKIP: needs root to make a cgroup\n");
		return EXIT_SKIP;
	}
	mnt = cgroup2_mount();
	snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt ? mnt : "");
	if (!mnt || access(path, R_OK) < 0) {
		fprintf(stderr, "memcg_limit: SKIP: no cgroup2 mounted\n");
		return EXIT_SKIP;
	}

	STEP("a child group with memory.max");
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", mnt);
	write_file(path, "+memory");
	snprintf(grp, sizeof(grp), "%s/chan-memcg-%d", mnt, (int)getpid());
	CHECK_SYS("L1", mkdir(grp, 0755));
	grp_path(path, sizeof(path), "memory.max");
	snprintf(buf, sizeof(buf), "%d", MEM_MAX);
	write_file(path, buf);
	grp_path(path, sizeof(path), "memory.swap.max");
	if (access(path, F_OK) == 0)
		write_file(path, "0");

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("L1", r != MAP_FAILED);
	raise_nofile(MAX_CHANNELS + 100);
	CHECK_SYS("L4", pipe(tell));
	CHECK_SYS("L4", pipe(go));

	pid = fork_child();
	if (pid == 0) {
		close(tell[0]);
		close(go[1]);
		grp_path(path, sizeof(path), "cgroup.procs");
		snprintf(buf, sizeof(buf), "%d", (int)getpid());
		write_file(path, buf);
		child(r, tell[1], go[0]);
	}
	close(tell[1]);
	close(go[0]);

	STEP("the parent works while the child fills its group");
	parent_uses_channel();
	if (read(tell[0], &c, 1) == 1) {
		cur = mem_current();
		fprintf(stderr, "memcg_limit: child full: %d big channels (then %s), %d small (then %s), memory.current %ld\n",
			r->big, check_errname(r->big_err), r->small,
			check_errname(r->small_err), cur);
		parent_uses_channel();
		CHECK_EQ("L4", write(go[1], &c, 1), 1);
	}
	CHECK("L4", waitpid(pid, &status, 0) == pid);

	STEP("the outcome");
	fprintf(stderr, "memcg_limit: memory.events: max %ld, oom %ld, oom_kill %ld; memory.peak %ld, child saw at most %ld, memory.max %d\n",
		read_num("memory.events", "max"),
		read_num("memory.events", "oom"),
		read_num("memory.events", "oom_kill"),
		read_num("memory.peak", NULL), r->max_seen, MEM_MAX);
	if (WIFSIGNALED(status)) {
		/* Only the OOM killer of its own group may have done that. */
		CHECK_EQ("L4", WTERMSIG(status), SIGKILL);
		CHECK("L4", read_num("memory.events", "oom_kill") >= 1);
		/*
		 * chan's own allocations fail with ENOMEM at the limit (L1):
		 * the big channels, made of them, must have been refused.
		 * Small ones are mostly the VFS's file and fd table, charged
		 * with flags chan does not choose.
		 */
		CHECK("L1", r->phase >= 2);
		fprintf(stderr, "memcg_limit: the group's OOM killer killed the child (phase %d, %d big, %d small channels)\n",
			r->phase, r->big, r->small);
	} else {
		CHECK_EQ("L1", WEXITSTATUS(status), 0);
		CHECK_EQ("L1", r->phase, 4);
		fprintf(stderr, "memcg_limit: the child was refused and exited by itself\n");
	}
	peak = read_num("memory.peak", NULL);
	CHECK("L1", peak <= MEM_MAX);
	parent_uses_channel();

	STEP("everything freed once the child is gone");
	for (int i = 0; (cur = mem_current()) > MEM_LEFT && i < 100; i++)
		sleep_ms(100);
	fprintf(stderr, "memcg_limit: memory.current after the child: %ld\n",
		cur);
	CHECK("L1", cur <= MEM_LEFT);
	CHECK_SYS("L1", rmdir(grp));
	test_pass();
}
