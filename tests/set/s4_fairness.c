// SPDX-License-Identifier: GPL-2.0
/*
 * S4: among ready cases each is chosen with equal probability (X3's test).
 *
 * 1. Four ready cases (two receives from channels holding an element, two
 *    sends into channels with room), 40,000 waits, each followed by making
 *    the chosen case ready again.  Pearson's chi-square on the four counts,
 *    3 degrees of freedom, against 16.266 (p = 0.001 if uniform).
 * 2. Two ready cases registered next to each other among 8: 10,000 waits,
 *    1 degree of freedom, against 10.828.
 * 3. Never starved: with one case always ready (a channel with a deep
 *    buffer) and one refilled after each wait, both keep being chosen.
 */
#include "set.h"

#define WAITS		test_count(40000)
#define WAITS_SPARSE	test_count(10000)
#define NSPARSE		8

static void four_ready(void)
{
	unsigned int count[4] = { 0 };
	uint64_t vals[4] = { 0, 0, 2, 3 }, v = 9;
	int set, chs[4], ids[4], i, n, id;
	double x;

	STEP("4 ready cases, 40000 waits (a tenth on the debug kernel)");
	set = CHECK_OK("S4", chan_set_make());
	for (i = 0; i < 4; i++) {
		chs[i] = CHECK_OK("S4", chan_make(sizeof(uint64_t), 1, 0));
		if (i < 2)
			CHECK_EQ("S4", chan_send(chs[i], &v), 0);
		ids[i] = set_add(set, chs[i], i < 2 ? CHAN_OP_RECV : CHAN_OP_SEND,
				 &vals[i]);
	}
	for (n = 0; n < WAITS; n++) {
		id = CHECK_OK("S4", chan_set_wait(set, 0, NULL));
		for (i = 0; i < 4 && ids[i] != id; i++)
			;
		CHECK("S4", i < 4);
		count[i]++;
		if (i < 2)
			CHECK_EQ("S4", chan_send(chs[i], &v), 0);
		else
			CHECK_EQ("S4", chan_recv(chs[i], &v), 1);
	}
	x = chi_square(count, 4, WAITS);
	printf("s4_fairness [S4]: 4 ready cases: %u %u %u %u, chi-square %.2f (critical 16.266)\n",
	       count[0], count[1], count[2], count[3], x);
	CHECK("S4", x < 16.266);
	for (i = 0; i < 4; i++)
		close(chs[i]);
	close(set);
}

static void adjacent_ready(void)
{
	uint64_t vals[NSPARSE], v = 5;
	unsigned int count[2] = { 0 };
	int set, chs[NSPARSE], ids[NSPARSE], i, n, id;
	double x;

	STEP("2 adjacent ready cases among 8, 10000 waits");
	set = CHECK_OK("S4", chan_set_make());
	for (i = 0; i < NSPARSE; i++) {
		chs[i] = CHECK_OK("S4", chan_make(sizeof(uint64_t), 1, 0));
		if (i < 2)
			CHECK_EQ("S4", chan_send(chs[i], &v), 0);
		ids[i] = set_add(set, chs[i], CHAN_OP_RECV, &vals[i]);
	}
	for (n = 0; n < WAITS_SPARSE; n++) {
		id = CHECK_OK("S4", chan_set_wait(set, 0, NULL));
		CHECK("S4", id == ids[0] || id == ids[1]);
		i = id == ids[1];
		count[i]++;
		CHECK_EQ("S4", chan_send(chs[i], &v), 0);
	}
	x = chi_square(count, 2, WAITS_SPARSE);
	printf("s4_fairness [S4]: 2 adjacent ready of 8: %u %u, chi-square %.2f (critical 10.828)\n",
	       count[0], count[1], x);
	CHECK("S4", x < 10.828);
	for (i = 0; i < NSPARSE; i++)
		close(chs[i]);
	close(set);
}

static void never_starved(void)
{
	uint64_t v = 1, a, b;
	unsigned int count[2] = { 0 };
	int set, deep, shallow, ida, n, id;

	STEP("a case that stays ready does not starve one that is refilled");
	set = CHECK_OK("S4", chan_set_make());
	deep = CHECK_OK("S4", chan_make(sizeof(v), 4096, 0));
	shallow = CHECK_OK("S4", chan_make(sizeof(v), 1, 0));
	for (n = 0; n < 4096; n++)
		CHECK_EQ("S4", chan_send(deep, &v), 0);
	CHECK_EQ("S4", chan_send(shallow, &v), 0);
	ida = set_add(set, deep, CHAN_OP_RECV, &a);
	set_add(set, shallow, CHAN_OP_RECV, &b);
	for (n = 0; n < 2000; n++) {
		id = CHECK_OK("S4", chan_set_wait(set, 0, NULL));
		count[id != ida]++;
		if (id != ida)
			CHECK_EQ("S4", chan_send(shallow, &v), 0);
	}
	printf("s4_fairness [S4]: always ready vs refilled: %u %u\n",
	       count[0], count[1]);
	CHECK("S4", count[0] >= 800 && count[1] >= 800);
	close(deep);
	close(shallow);
	close(set);
}

int main(void)
{
	test_start("S4", "ready cases of a set are chosen uniformly (chi-square, p = 0.001)",
		   sel_watchdog(240));
	four_ready();
	adjacent_ready();
	never_starved();
	test_pass();
}
