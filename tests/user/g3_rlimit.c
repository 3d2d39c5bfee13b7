// SPDX-License-Identifier: GPL-2.0
/*
 * G3: a program that makes thousands of channels needs no setrlimit().
 * With the soft RLIMIT_NOFILE at 1024 (the hard limit higher), a chain of
 * 2,000 goroutines passes a value through 2,000 unbuffered channels, as
 * Go's test/chan/goroutines.go does: libchan raises the soft limit to the
 * hard one when the fd table is full, and the value arrives incremented
 * once per goroutine.  chan_dup() does the same.  With CHAN_NO_RLIMIT_RAISE
 * set, making channels fails with EMFILE at the soft limit, which stays.
 * The budget's EMFILE (L1) is no full fd table: it is returned as it is,
 * and the soft limit stays.
 */
#include "check.h"

#include <sys/resource.h>

#define CHAIN_FULL	2000
#define SOFT_FULL	1024
#define HARD		8192

/* A tenth on the debug kernel (test_count()): still twice the soft limit. */
static int CHAIN, SOFT;
static int chain[CHAIN_FULL + 1];

static void *link_fn(void *arg)
{
	int i = (int)(intptr_t)arg;
	long v;

	CHECK_EQ("G3", chan_recv(chain[i + 1], &v), 1);
	v++;
	CHECK_OK("G3", chan_send(chain[i], &v));
	return NULL;
}

static rlim_t soft_limit(void)
{
	struct rlimit rl;

	CHECK_SYS("G3", getrlimit(RLIMIT_NOFILE, &rl));
	return rl.rlim_cur;
}

static void set_limits(rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { soft, hard };

	CHECK_SYS("G3", setrlimit(RLIMIT_NOFILE, &rl));
}

static void close_all(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		CHECK_SYS("G3", close(fds[i]));
}

int main(void)
{
	static int fds[CHAIN_FULL];
	struct chan_query q;
	long v = 0;
	int i, n, fd = 0;

	test_start("G3", "the soft RLIMIT_NOFILE is raised when channels fill the fd table",
		   300);
	CHAIN = (int)test_count(CHAIN_FULL);
	SOFT = (int)test_count(SOFT_FULL);
	if (geteuid() != 0) {
		fprintf(stderr, "g3_rlimit: SKIP: needs root to set the hard limit\n");
		exit(EXIT_SKIP);
	}
	set_limits(SOFT, HARD);

	/* Off: EMFILE at the soft limit, which stays. */
	STEP("CHAN_NO_RLIMIT_RAISE");
	CHECK_SYS("G3", setenv("CHAN_NO_RLIMIT_RAISE", "1", 1));
	for (n = 0; n < CHAIN; n++) {
		fd = chan_make(0, 0, 0);
		if (fd < 0)
			break;
		fds[n] = fd;
	}
	CHECK_EQ("G3", fd, -EMFILE);
	CHECK("G3", n > SOFT - 32 && n < SOFT);
	CHECK_EQ("G3", soft_limit(), SOFT);
	/* chan_make() needs a second fd for a moment: dup fills the last. */
	while ((fd = chan_dup(fds[0], CHAN_RECV_ONLY)) >= 0 && n < CHAIN)
		fds[n++] = fd;
	CHECK_EQ("G3", fd, -EMFILE);
	CHECK_EQ("G3", soft_limit(), SOFT);
	close_all(fds, n);
	CHECK_SYS("G3", unsetenv("CHAN_NO_RLIMIT_RAISE"));

	/* The budget's EMFILE: 1 MiB buffers until the budget is spent. */
	STEP("budget");
	q = chan_query_limits();
	for (n = 0; n < CHAIN; n++) {
		fd = chan_make(1, q.max_buffer_bytes, 0);
		if (fd < 0)
			break;
		fds[n] = fd;
	}
	CHECK_EQ("G3", fd, -EMFILE);
	CHECK("G3", n < SOFT);
	CHECK_EQ("G3", soft_limit(), SOFT);
	close_all(fds, n);

	/* On: the chain, with no setrlimit() of its own. */
	STEP("chain");
	for (i = 0; i <= CHAIN; i++)
		chain[i] = CHECK_OK("G3", chan_make(sizeof(long), 0, 0));
	CHECK_EQ("G3", soft_limit(), HARD);
	for (i = 0; i < CHAIN; i++)
		CHECK_OK("G3", chan_go(link_fn, (void *)(intptr_t)i));
	CHECK_OK("G3", chan_send(chain[CHAIN], &v));
	CHECK_EQ("G3", chan_recv(chain[0], &v), 1);
	CHECK_EQ("G3", v, CHAIN);
	close_all(chain, CHAIN + 1);

	/* chan_dup() at a full table. */
	STEP("dup");
	set_limits(SOFT, HARD);
	fd = CHECK_OK("G3", chan_make(0, 0, 0));
	for (i = 0; i < CHAIN; i++)
		fds[i] = CHECK_OK("G3", chan_dup(fd, CHAN_RECV_ONLY));
	CHECK_EQ("G3", soft_limit(), HARD);
	close_all(fds, CHAIN);
	CHECK_SYS("G3", close(fd));
	test_pass();
}
