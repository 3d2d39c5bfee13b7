// SPDX-License-Identifier: GPL-2.0
/*
 * mem_cost: the kernel memory one unbuffered channel costs, from slab use.
 *
 * Makes N unbuffered channels and compares /proc/slabinfo before and after:
 * the growth of every cache, divided by N, is the cost of one channel.
 * Prints the caches that grew; fails if the channel's own objects (all
 * caches but the struct file, its dentry and its LSM blob, which every fd
 * has) take more than 512 bytes a channel (the README's figure).  Needs root, for
 * /proc/slabinfo; skips without it.
 */
#include "check.h"

#define N	20000
#define MAX_CACHES	512

struct cache {
	char name[64];
	long objs;
	long size;
};

static int read_slabinfo(struct cache *c)
{
	char line[512];
	FILE *f = fopen("/proc/slabinfo", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < MAX_CACHES) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %ld %*s %ld", c[n].name, &c[n].objs,
			   &c[n].size) == 3)
			n++;
	}
	fclose(f);
	return n;
}

static long find(const struct cache *c, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(c[i].name, name))
			return c[i].objs;
	return 0;
}

int main(void)
{
	static struct cache before[MAX_CACHES], after[MAX_CACHES];
	static int fds[N];
	struct rlimit rl = { N + 100, N + 100 };
	long own = 0, fd_cost = 0;
	int nb, na, i;

	test_start("C1", "kernel memory of an unbuffered channel", 300);
	/* kmemleak's record of every object would be counted as the channel's. */
	if (getenv("CHAN_KERNEL") && !strncmp(getenv("CHAN_KERNEL"), "debug", 5)) {
		fprintf(stderr, "mem_cost: measured on the stock kernel only: SKIP\n");
		return EXIT_SKIP;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) || access("/proc/slabinfo", R_OK)) {
		fprintf(stderr, "mem_cost: needs root and /proc/slabinfo: SKIP\n");
		return EXIT_SKIP;
	}
	/* One channel first, so one-time allocations are not counted. */
	close(CHECK_OK("C1", chan_make(8, 0, 0)));
	nb = read_slabinfo(before);
	for (i = 0; i < N; i++)
		fds[i] = CHECK_OK("C1", chan_make(8, 0, 0));
	na = read_slabinfo(after);
	CHECK("C1", nb > 0 && na > 0);

	printf("mem_cost: slab growth per unbuffered channel (%d channels)\n", N);
	for (i = 0; i < na; i++) {
		long grown = after[i].objs - find(before, nb, after[i].name);
		long bytes = grown * after[i].size / N;

		/* Caches that grew by less than one object in ten channels are noise. */
		if (grown * 10 < N)
			continue;
		printf("  %-24s %5ld bytes\n", after[i].name, bytes);
		if (!strcmp(after[i].name, "filp") ||
		    !strcmp(after[i].name, "dentry") ||
		    !strcmp(after[i].name, "lsm_file_cache"))
			fd_cost += bytes;
		else
			own += bytes;
	}
	printf("mem_cost: channel %ld bytes, plus %ld bytes of struct file, dentry and LSM blob\n",
	       own, fd_cost);
	for (i = 0; i < N; i++)
		close(fds[i]);
	CHECK("C1", own <= 512);
	test_pass();
}
