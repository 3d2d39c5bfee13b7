// SPDX-License-Identifier: GPL-2.0
/*
 * Exactly once (R5, R1, R4): 8 producers and 8 consumers move 100,000
 * numbered elements (producer << 32 | sequence) through channels, buffered
 * and unbuffered, as threads and as processes: 25,000 in each of the four
 * runs, which takes about 35 s on the debug kernel without KVM.  An argument
 * sets the number per run instead, for longer soaks.  Every send must
 * succeed; the channel is closed once all producers are done, and the
 * consumers drain it.  The checker then proves that every element arrived
 * exactly once, and each consumer checks as it goes that it sees every
 * producer's elements in increasing order (FIFO per sender).
 */
#include "check.h"

#include <sys/mman.h>

#define PRODUCERS	8
#define CONSUMERS	8
#define TOTAL		25000

/* In shared memory, so that consumer processes fill it in too. */
struct ledger {
	uint64_t received[CONSUMERS];
	uint32_t count[];	/* [producer * per + sequence] */
};

static struct ledger *l;
static size_t ledger_size;
static uint64_t per;
static int ch;

static void *producer(void *arg)
{
	uint64_t p = (uintptr_t)arg, seq, v;

	for (seq = 0; seq < per; seq++) {
		v = p << 32 | seq;
		CHECK_EQ("R5", chan_send(ch, &v), 0);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	uintptr_t c = (uintptr_t)arg;
	int64_t last[PRODUCERS];
	uint64_t v, p, seq;
	int r, i;

	for (i = 0; i < PRODUCERS; i++)
		last[i] = -1;
	while ((r = chan_recv(ch, &v)) == 1) {
		p = v >> 32;
		seq = v & 0xffffffff;
		if (p >= PRODUCERS || seq >= per)
			check_fail(__FILE__, __LINE__, "R5",
				   "bogus element %#" PRIx64, v);
		if ((int64_t)seq <= last[p])
			check_fail(__FILE__, __LINE__, "R1",
				   "consumer %d: producer %d element %d after %d",
				   (int)c, (int)p, (int)seq, (int)last[p]);
		last[p] = (int64_t)seq;
		__atomic_add_fetch(&l->count[p * per + seq], 1, __ATOMIC_RELAXED);
		l->received[c]++;
	}
	CHECK_EQ("K3", r, 0);
	return NULL;
}

static void check_ledger(const char *what, size_t cap)
{
	uint64_t total = 0, p, s;
	int c;

	for (p = 0; p < PRODUCERS; p++)
		for (s = 0; s < per; s++)
			if (l->count[p * per + s] != 1)
				check_fail(__FILE__, __LINE__, "R5",
					   "%s cap %zu: producer %d element %d arrived %u times",
					   what, cap, (int)p, (int)s,
					   l->count[p * per + s]);
	for (c = 0; c < CONSUMERS; c++)
		total += l->received[c];
	CHECK_EQ("R5", total, PRODUCERS * per);
}

static int64_t lap;

static void report(const char *what, size_t cap)
{
	int64_t now = now_ns();

	fprintf(stderr, "exactly_once: %s, cap %zu: %" PRIu64 " elements in %lld ms\n",
		what, cap, PRODUCERS * per, (long long)((now - lap) / 1000000));
	lap = now;
}

static void with_threads(size_t cap)
{
	pthread_t prod[PRODUCERS], cons[CONSUMERS];
	uintptr_t i;

	STEP("threads");
	memset(l, 0, ledger_size);
	ch = CHECK_OK("R5", chan_make(sizeof(uint64_t), cap, 0));
	for (i = 0; i < CONSUMERS; i++)
		cons[i] = spawn(consumer, (void *)i);
	for (i = 0; i < PRODUCERS; i++)
		prod[i] = spawn(producer, (void *)i);
	for (i = 0; i < PRODUCERS; i++)
		join(prod[i]);
	CHECK_EQ("K1", chan_close(ch), 0);
	for (i = 0; i < CONSUMERS; i++)
		join(cons[i]);
	close(ch);
	check_ledger("threads", cap);
	report("threads", cap);
}

static void with_processes(size_t cap)
{
	pid_t prod[PRODUCERS], cons[CONSUMERS];
	uintptr_t i;

	STEP("processes");
	memset(l, 0, ledger_size);
	ch = CHECK_OK("R5", chan_make(sizeof(uint64_t), cap, 0));
	for (i = 0; i < CONSUMERS; i++) {
		cons[i] = fork_child();
		if (cons[i] == 0) {
			consumer((void *)i);
			_exit(0);
		}
	}
	for (i = 0; i < PRODUCERS; i++) {
		prod[i] = fork_child();
		if (prod[i] == 0) {
			producer((void *)i);
			_exit(0);
		}
	}
	for (i = 0; i < PRODUCERS; i++)
		wait_child_ok("R5", prod[i]);
	CHECK_EQ("K1", chan_close(ch), 0);
	for (i = 0; i < CONSUMERS; i++)
		wait_child_ok("R5", cons[i]);
	close(ch);
	check_ledger("processes", cap);
	report("processes", cap);
}

int main(int argc, char **argv)
{
	uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 0) : TOTAL;

	test_start("R5 R1", "8 producers, 8 consumers, 100,000 elements, exactly once", 300);
	per = total / PRODUCERS;
	CHECK("R5", per > 0 && per <= UINT32_MAX);
	ledger_size = sizeof(*l) + PRODUCERS * per * sizeof(l->count[0]);
	l = mmap(NULL, ledger_size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("R5", l != MAP_FAILED);

	lap = now_ns();
	with_threads(64);
	with_threads(0);
	with_processes(64);
	with_processes(0);
	test_pass();
}
