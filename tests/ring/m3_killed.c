// SPDX-License-Identifier: GPL-2.0
/*
 * M3 (and B4, R5): a process that dies inside a ring operation loses at
 * most the element it was sending and never stops the channel.
 *
 * First exactly: a child claims a slot for writing (or for reading) by hand
 * through a mapping of its own, as libchan's fast path does, and exits
 * without finishing; when its mapping goes the kernel must have repaired
 * the slot, or the next receive would wait forever behind it (or the ring
 * would be full one slot early).  Then at random: producers sending on the
 * fast path are killed with SIGKILL at random times, new ones take their
 * place, and a consumer checks every element against a shared ledger: an
 * element whose send returned is received exactly once, the one a
 * producer was sending when killed at most once, and nothing else.
 */
#include "ring.h"

#define CAP		16
#define PRODUCERS	4
#define MAXW		512

struct ledger {
	_Atomic long started[MAXW];	/* seq being sent, -1: none yet */
	_Atomic long done[MAXW];	/* last seq whose send returned 0 */
	_Atomic unsigned char got[MAXW][1 << 15];
};

static struct ledger *led;
static int ch;

/* A child that claims the slot at @pos as @kind and dies holding it. */
static void die_holding(uint32_t pos, uint32_t kind, uint32_t seq)
{
	pid_t pid = fork_child();
	size_t len;

	if (!pid) {
		uint8_t *map = ring_map_of(ch, &len);
		_Atomic uint64_t *st = ring_slot_state(ch, map, pos);
		uint64_t s = ((uint64_t)0 << 32) | seq;
		/* The tag of the mapping the claim is made through. */
		uint32_t tag = ((struct chan_ring_own *)map)->tag;
		uint64_t claim = ((uint64_t)(kind | tag) << 32) | seq;

		if (!atomic_compare_exchange_strong(st, &s, claim))
			_exit(3);
		_exit(0);
	}
	wait_child_ok("M3", pid);
}

static void exact(void)
{
	struct chan_ring_hdr *h;
	uint64_t v, out;
	size_t len;
	uint8_t *map;
	int i;

	ch = CHECK_OK("M3", chan_make(sizeof(uint64_t), 4, CHAN_RING));
	map = ring_map_of(ch, &len);
	h = (struct chan_ring_hdr *)(map + sysconf(_SC_PAGESIZE));

	STEP("a sender dies after its claim");
	/* Position 0 is free (seq 0): the child claims it and dies. */
	die_holding(0, CHAN_RING_TAG_WRITE, 0);
	v = 41;
	CHECK_EQ("M3", chan_send(ch, &v), 0);
	CHECK_EQ("M3", chan_recv_timeout(ch, &out, 2000000000), 1);
	CHECK_EQ("M3", out, 41);
	CHECK_EQ("M3", chan_try_recv(ch, &out), -EAGAIN);

	STEP("a receiver dies after its claim");
	v = 42;
	CHECK_EQ("M3", chan_send(ch, &v), 0);	/* position 2: seq 5 when full */
	die_holding(atomic_load((_Atomic uint32_t *)&h->head),
		    CHAN_RING_TAG_READ,
		    2 * atomic_load((_Atomic uint32_t *)&h->head) + 1);
	/* Its element went with it; all four slots are free again. */
	for (i = 0; i < 4; i++) {
		v = 50 + i;
		CHECK_EQ("M3", chan_try_send(ch, &v), 0);
	}
	v = 60;
	CHECK_EQ("M3", chan_try_send(ch, &v), -EAGAIN);
	for (i = 0; i < 4; i++) {
		CHECK_EQ("M3", chan_recv(ch, &out), 1);
		CHECK_EQ("M3", out, 50 + i);
	}
	CHECK_SYS("M3", munmap(map, len));
	CHECK_SYS("M3", close(ch));
}

static pid_t producer(int w)
{
	pid_t pid = fork_child();
	uint64_t v;
	long seq;

	if (pid)
		return pid;
	for (seq = 0; seq < (1 << 15); seq++) {
		atomic_store(&led->started[w], seq);
		v = ring_elem(w, seq);
		if (chan_send(ch, &v))
			_exit(3);
		atomic_store(&led->done[w], seq);
	}
	_exit(0);
}

static void *consumer(void *arg)
{
	long last[MAXW];
	uint64_t v;
	int w;

	(void)arg;
	for (w = 0; w < MAXW; w++)
		last[w] = -1;
	while (chan_recv(ch, &v) == 1) {
		uint32_t seq = (uint32_t)v;

		w = v >> 32;
		CHECK("R5", w < MAXW && seq <= atomic_load(&led->started[w]));
		CHECK("R1", (long)seq > last[w]);
		last[w] = seq;
		CHECK_EQ("R5", atomic_fetch_add(&led->got[w][seq], 1), 0);
	}
	return NULL;
}

int main(void)
{
	pid_t pids[PRODUCERS];
	int rounds, i, w, next = 0, status;
	pthread_t t;
	long seq;

	test_start("M3 B4 R5", "processes that die inside ring operations", 300);
	exact();

	STEP("producers killed at random");
	led = mmap(NULL, sizeof(*led), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("M3", led != MAP_FAILED);
	for (w = 0; w < MAXW; w++) {
		atomic_store(&led->started[w], -1);
		atomic_store(&led->done[w], -1);
	}
	ch = CHECK_OK("M3", chan_make(sizeof(uint64_t), CAP, CHAN_RING));
	t = spawn(consumer, NULL);
	for (i = 0; i < PRODUCERS; i++)
		pids[i] = producer(next++);
	srandom(getpid());
	rounds = test_count(200);
	while (rounds-- > 0 && next < MAXW) {
		sleep_ms(1 + random() % 10);
		i = random() % PRODUCERS;
		kill(pids[i], SIGKILL);
		CHECK_EQ("M3", waitpid(pids[i], &status, 0), pids[i]);
		CHECK("M3", WIFSIGNALED(status) ||
			    (WIFEXITED(status) && !WEXITSTATUS(status)));
		pids[i] = producer(next++);
	}
	for (i = 0; i < PRODUCERS; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], &status, 0);
	}
	/* The channel still works: a dead claim does not block it. */
	CHECK_EQ("M3", chan_close(ch), 0);
	join(t);

	STEP("the ledger");
	for (w = 0; w < next; w++) {
		long done = atomic_load(&led->done[w]);
		long started = atomic_load(&led->started[w]);

		for (seq = 0; seq <= done; seq++)
			if (led->got[w][seq] != 1)
				check_fail(__FILE__, __LINE__, "R5",
					   "producer %d's element %ld, sent, received %d times",
					   w, seq, led->got[w][seq]);
		CHECK("B4", started == done || started == done + 1);
	}
	printf("%d producers, %d killed\n", next, next - PRODUCERS);
	test_pass();
}
