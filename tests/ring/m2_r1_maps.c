// SPDX-License-Identifier: GPL-2.0
/*
 * M2 (R1, R5) and M3 on a ring channel whose holder maps and unmaps it
 * while its other threads are inside fast-path receives.  A process has a
 * mapping per fd it used (libchan maps each fd on first use), and unmaps
 * one when the fd number is reused or when two threads mapped the same fd
 * at once; the kernel repairs what a mapping leaves half done when it
 * goes (M3), and must repair only the claims made through that mapping,
 * never the claims other threads make at that moment through another
 * mapping of the same process.  A claim repaired under a live receiver
 * frees its slot: the sender's next element lands there while the
 * receiver still copies it, so the receiver gets a newer element before
 * older ones (R1) and the same element twice (R5).
 *
 * First exactly: a receive claimed through one mapping, as libchan's fast
 * path claims it, survives the unmapping of another mapping of the same
 * process, and keeps its slot until it finishes.  Then in rounds: a
 * fresh child with THREADS receiving threads that first use the
 * channel at the same moment, one more thread that dups the channel,
 * receives through the dup and closes it, again and again (each dup
 * unmaps the mapping of the one before), and a producer child sending on
 * the fast path.  Checked: each receiving thread sees the producer's
 * elements in order (R1), each element is received exactly once (R5).
 */
#include "ring.h"

#define THREADS		3
#define ROUNDS		8
#define MAXN		2000	/* elements a round */

static int ch;
static long n;
static _Atomic unsigned char *got;	/* shared: [seq] */
static pthread_barrier_t start;

/* Receive until closed and drained; check order and the ledger. */
static void take(int fd, long *last, int once)
{
	uint64_t v;
	int r;

	do {
		v = ~0ULL;
		r = chan_recv(fd, &v);
		if (r == 0)
			return;
		CHECK_EQ("M2", r, 1);
		CHECK("R5", v < (uint64_t)n);
		if ((long)v <= *last)
			check_fail(__FILE__, __LINE__, "R1",
				   "element %llu after %ld (received %d times before)",
				   (unsigned long long)v, *last,
				   atomic_load(&got[v]));
		*last = (long)v;
		CHECK_EQ("R5", atomic_fetch_add(&got[v], 1), 0);
	} while (!once);
}

static void *receiver(void *arg)
{
	long last = -1;

	(void)arg;
	pthread_barrier_wait(&start);
	take(ch, &last, 0);
	return NULL;
}

/* Map a dup, receive one element through it, close it; again. */
static void *remapper(void *arg)
{
	long last = -1;
	struct chan_info ci;

	(void)arg;
	pthread_barrier_wait(&start);
	for (;;) {
		int fd = (int)CHECK_OK("C3", chan_dup(ch, CHAN_MODE_BOTH));
		uint64_t v = ~0ULL;
		int r = chan_try_recv(fd, &v);

		if (r == 1) {
			CHECK("R5", v < (uint64_t)n);
			if ((long)v <= last)
				check_fail(__FILE__, __LINE__, "R1",
					   "element %llu after %ld (dup)",
					   (unsigned long long)v, last);
			last = (long)v;
			CHECK_EQ("R5", atomic_fetch_add(&got[v], 1), 0);
		}
		ci = chan_info_of(fd);
		CHECK_SYS("C3", close(fd));
		if (r == 0 || (ci.closed && !ci.len))
			return NULL;
	}
}

static void exact(void)
{
	size_t alen, blen;
	uint8_t *a, *b;
	_Atomic uint64_t *st;
	uint32_t tag_a, tag_b;
	uint64_t v, s, claim;

	ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 4, CHAN_RING));
	for (v = 0; v < 4; v++)
		CHECK_EQ("M2", chan_send(ch, &v), 0);
	a = ring_map_of(ch, &alen);
	b = ring_map_of(ch, &blen);
	tag_a = ((struct chan_ring_own *)a)->tag;
	tag_b = ((struct chan_ring_own *)b)->tag;
	CHECK("M3", tag_a && tag_b && tag_a != tag_b &&
	      tag_a <= CHAN_RING_TAG_OWN && tag_b <= CHAN_RING_TAG_OWN);

	/* Claim element 0 for reading through a, as ring_recv() does. */
	st = ring_slot_state(ch, a, 0);
	s = 1;	/* seq 2 * 0 + 1, tag 0: holds the element of position 0 */
	claim = ((uint64_t)(CHAN_RING_TAG_READ | tag_a) << 32) | 1;
	CHECK("M2", atomic_compare_exchange_strong(st, &s, claim));
	/* The process lets another mapping go: only its claims are repaired. */
	CHECK_SYS("M3", munmap(b, blen));
	CHECK_EQ("M3", atomic_load(st), claim);
	v = 4;
	CHECK_EQ("R1", chan_try_send(ch, &v), -EAGAIN);
	/* The receive through a ends: it has element 0, the rest follow. */
	CHECK_EQ("R1", *(uint64_t *)(st + 1), 0);
	atomic_store(st, (uint64_t)2 * 4);	/* free for position 4 */
	((struct chan_ring_hdr *)(a + sysconf(_SC_PAGESIZE)))->head = 1;
	CHECK_EQ("R1", chan_try_send(ch, &v), 0);
	for (v = 1; v < 5; v++) {
		uint64_t out = ~0ULL;

		CHECK_EQ("R1", chan_recv(ch, &out), 1);
		CHECK_EQ("R1", out, v);
	}
	CHECK_SYS("M3", munmap(a, alen));
	CHECK_SYS("M2", close(ch));
}

static void consumer(void)
{
	pthread_t t[THREADS + 1];
	int i;

	CHECK_EQ("M2", pthread_barrier_init(&start, NULL, THREADS + 1), 0);
	for (i = 0; i < THREADS; i++)
		t[i] = spawn(receiver, NULL);
	t[THREADS] = spawn(remapper, NULL);
	for (i = 0; i <= THREADS; i++)
		join(t[i]);
	_exit(0);
}

static void producer(void)
{
	uint64_t v;

	for (v = 0; v < (uint64_t)n; v++)
		CHECK_EQ("M2", chan_send(ch, &v), 0);
	_exit(0);
}

int main(void)
{
	long r, seq;
	pid_t cons, prod;

	test_start("M2 M3 R1 R5", "a ring channel mapped and unmapped while it streams", 600);
	n = test_count(MAXN);
	got = mmap(NULL, MAXN, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("M2", got != MAP_FAILED);

	STEP("a claim outlives another mapping of its process");
	exact();

	for (r = 0; r < ROUNDS; r++) {
		STEP("a round");
		memset((void *)got, 0, MAXN);
		ch = CHECK_OK("M2", chan_make(sizeof(uint64_t), 4, CHAN_RING));
		cons = fork_child();
		if (!cons)
			consumer();
		prod = fork_child();
		if (!prod)
			producer();
		wait_child_ok("M2", prod);
		CHECK_EQ("K1", chan_close(ch), 0);
		wait_child_ok("M2", cons);
		for (seq = 0; seq < n; seq++)
			if (got[seq] != 1)
				check_fail(__FILE__, __LINE__, "R5",
					   "round %ld: element %ld received %d times",
					   r, seq, got[seq]);
		CHECK_SYS("M2", close(ch));
	}
	test_pass();
}
