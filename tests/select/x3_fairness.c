// SPDX-License-Identifier: GPL-2.0
/*
 * X3: when several cases are ready, each is chosen with equal probability.
 *
 * 1. Four ready cases (two receives from channels holding an element, two
 *    sends into channels with room), 40,000 selects, each followed by
 *    putting the chosen channel back as it was.  Pearson's chi-square on
 *    the four counts, 3 degrees of freedom: it exceeds 16.266 with
 *    probability 0.001 if the choice is uniform.
 * 2. Fairness must not depend on where the ready cases sit: two ready
 *    cases next to each other among eight, 10,000 selects, chi-square with
 *    1 degree of freedom against 10.828 (p = 0.001).  A select that scans
 *    from a random start in a fixed order picks the first of the two 7
 *    times in 8 here.
 */
#include "sel.h"

#define SELECTS		test_count(40000)
#define SELECTS_SPARSE	test_count(10000)
#define NSPARSE		8

static void four_ready(void)
{
	struct chan_case cases[4];
	unsigned int count[4] = { 0 };
	uint64_t vals[4] = { 0, 0, 2, 3 }, v = 9;
	int chs[4], i, n, idx;
	double x;

	STEP("4 ready cases, 40000 selects (a tenth on the debug kernel)");
	for (i = 0; i < 4; i++) {
		chs[i] = CHECK_OK("X3", chan_make(sizeof(uint64_t), 1, 0));
		if (i < 2) {
			CHECK_EQ("X3", chan_send(chs[i], &v), 0);
			cases[i] = recv_case(chs[i], &vals[i]);
		} else {
			cases[i] = send_case(chs[i], &vals[i]);
		}
	}
	for (n = 0; n < SELECTS; n++) {
		idx = CHECK_OK("X3", chan_select(cases, 4, 0));
		count[idx]++;
		/* Make every case ready again for the next select. */
		if (idx < 2)
			CHECK_EQ("X3", chan_send(chs[idx], &v), 0);
		else
			CHECK_EQ("X3", chan_recv(chs[idx], &v), 1);
	}
	x = chi_square(count, 4, SELECTS);
	printf("x3_fairness [X3]: 4 ready cases: %u %u %u %u, chi-square %.2f (critical 16.266)\n",
	       count[0], count[1], count[2], count[3], x);
	CHECK("X3", x < 16.266);
	for (i = 0; i < 4; i++)
		close(chs[i]);
}

static void adjacent_ready(void)
{
	struct chan_case cases[NSPARSE];
	uint64_t vals[NSPARSE], v = 5;
	unsigned int count[2] = { 0 };
	int chs[NSPARSE], i, n, idx;
	double x;

	STEP("2 adjacent ready cases among 8, 10000 selects");
	for (i = 0; i < NSPARSE; i++) {
		chs[i] = CHECK_OK("X3", chan_make(sizeof(uint64_t), 1, 0));
		if (i < 2)
			CHECK_EQ("X3", chan_send(chs[i], &v), 0);
		cases[i] = recv_case(chs[i], &vals[i]);
	}
	for (n = 0; n < SELECTS_SPARSE; n++) {
		idx = CHECK_OK("X3", chan_select(cases, NSPARSE, 0));
		CHECK("X3", idx < 2);
		count[idx]++;
		CHECK_EQ("X3", chan_send(chs[idx], &v), 0);
	}
	x = chi_square(count, 2, SELECTS_SPARSE);
	printf("x3_fairness [X3]: 2 adjacent ready of 8: %u %u, chi-square %.2f (critical 10.828)\n",
	       count[0], count[1], x);
	CHECK("X3", x < 10.828);
	for (i = 0; i < NSPARSE; i++)
		close(chs[i]);
}

int main(void)
{
	int64_t t0;

	test_start("X3", "ready cases are chosen uniformly (chi-square, p = 0.001)",
		   sel_watchdog(240));
	t0 = now_ns();
	four_ready();
	printf("x3_fairness [X3]: %ld selects + refills in %.1f s\n", SELECTS,
	       (now_ns() - t0) / 1e9);
	adjacent_ready();
	test_pass();
}
