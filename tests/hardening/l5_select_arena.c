// SPDX-License-Identifier: GPL-2.0
/*
 * L5 (with X1, X5, X6): what a blocked select holds is charged to the
 * caller's budget, or bounded: many cases of large elements on one channel
 * cannot pin hundreds of MiB.
 *
 * As uid 1000, user_budget_bytes at 64 MiB, in a memory cgroup of its own:
 *
 * A. A select over CHAN_SELECT_MAX receive cases on ONE unbuffered channel
 *    of 65536-byte elements blocks in a thread.  Receive cases share the
 *    one element that can arrive, so memory.current may grow by less than
 *    4 MiB while it blocks.  One element sent then completes it (X6).
 * B. A select over CHAN_SELECT_MAX send cases of 65536-byte elements on a
 *    channel nobody receives from (256 MiB of elements, over the budget)
 *    either fails at once with EMFILE, having allocated nothing, or blocks
 *    holding at most the budget; closing the channel ends it (X5).
 *
 * Only one such select runs at a time: the VM has 2 GiB.
 */
#include "hard.h"

#define UID		1000
#define BUDGET		(64LL << 20)
#define ESZ		65536
#define NCASES		CHAN_SELECT_MAX

static uint8_t *elem;	/* ESZ bytes, every case's element */
static struct chan_select_case cases[NCASES];
static struct chan_select sel;
static volatile int sel_done;
static int sel_ret, sel_err;

static void *selector(void *arg)
{
	(void)arg;
	sel_ret = ioctl(cases[0].fd, CHAN_IOC_SELECT, &sel);
	sel_err = errno;
	sel_done = 1;
	return NULL;
}

/* Start the select of @op cases on @fd; wait until all are queued or it ended. */
static pthread_t start_select(int fd, uint32_t op, bool send)
{
	pthread_t t;
	uint32_t i;

	for (i = 0; i < NCASES; i++) {
		cases[i].fd = (uint32_t)fd;
		cases[i].op = op;
		cases[i].elem = (uintptr_t)elem;
		cases[i].reserved = 0;
	}
	memset(&sel, 0, sizeof(sel));
	sel.cases = (uintptr_t)cases;
	sel.ncases = NCASES;
	sel.index = 0xdeadbeef;
	sel_done = 0;
	t = spawn(selector, NULL);
	STEP("waiting for the select to queue all its cases");
	for (;;) {
		struct chan_info info = chan_info_of(fd);

		if (sel_done ||
		    (send ? info.send_waiters : info.recv_waiters) == NCASES)
			break;
		usleep(1000);
	}
	return t;
}

static void body(void)
{
	long long m0, m1, grow;
	uint8_t *out;
	pthread_t t;
	int fd;

	hard_set_param("user_budget_bytes", BUDGET);
	become_user("L4", UID);
	elem = mmap(NULL, ESZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	out = malloc(ESZ);
	CHECK("L5", elem != MAP_FAILED && out);
	memset(elem, 0x11, ESZ);

	STEP("A: 4096 receive cases of 64 KiB on one channel");
	fd = CHECK_OK("L5", chan_make(ESZ, 0, 0));
	m0 = hard_mem();
	t = start_select(fd, CHAN_SELECT_RECV, false);
	m1 = hard_mem();
	grow = m1 - m0;
	fprintf(stderr, "l5_select_arena: A: blocked select of %d receive cases of %d bytes: memory.current +%lld KiB%s\n",
		NCASES, ESZ, grow >> 10, sel_done ? " (it returned early)" : "");
	CHECK_EQ("X6", sel_done, 0);
	SOFT("L5", grow < (4LL << 20),
	     "a blocked select of %d receive cases holds %lld KiB, want < 4 MiB",
	     NCASES, grow >> 10);
	STEP("A: one element completes the select");
	memset(out, 0x5a, ESZ);
	CHECK_EQ("X6", chan_send(fd, out), 0);
	join(t);
	CHECK("X6", sel_ret >= 0 && sel_ret < NCASES);
	CHECK_EQ("X6", sel.index, sel_ret);
	CHECK_EQ("X6", sel.ok, 1);
	CHECK("R5", elem[0] == 0x5a && elem[ESZ - 1] == 0x5a);
	close(fd);

	STEP("B: 4096 send cases of 64 KiB that nobody receives");
	memset(elem, 0x22, ESZ);
	fd = CHECK_OK("L5", chan_make(ESZ, 0, 0));
	m0 = hard_mem();
	t = start_select(fd, CHAN_SELECT_SEND, true);
	m1 = hard_mem();
	grow = m1 - m0;
	if (sel_done) {
		fprintf(stderr, "l5_select_arena: B: the select of %d send cases failed at once: %s; memory.current +%lld KiB\n",
			NCASES, strerrorname_np(sel_err), grow >> 10);
		join(t);
		CHECK_EQ("L5", sel_ret, -1);
		CHECK_EQ("L5", sel_err, EMFILE);
		SOFT("L5", grow < (4LL << 20),
		     "a refused select left %lld KiB allocated", grow >> 10);
		CHECK_EQ("L5", chan_info_of(fd).send_waiters, 0);
	} else {
		fprintf(stderr, "l5_select_arena: B: blocked select of %d send cases of %d bytes: memory.current +%lld KiB (budget %lld KiB)\n",
			NCASES, ESZ, grow >> 10, BUDGET >> 10);
		SOFT("L5", grow <= BUDGET + (4LL << 20),
		     "a blocked select of %d send cases holds %lld KiB, over the budget of %lld KiB",
		     NCASES, grow >> 10, BUDGET >> 10);
		CHECK_EQ("K1", chan_close(fd), 0);
		join(t);
		CHECK("X5", sel_ret >= 0 && sel_ret < NCASES);
		CHECK_EQ("X5", sel.ok, 0);
	}
	CHECK_EQ("R5", chan_info_of(fd).len, 0);
	close(fd);
	hard_finish();
}

int main(void)
{
	hard_main("L5 X5 X6", "a blocked select's elements are within the user's budget",
		  120, HARD_CGROUP, body);
}
