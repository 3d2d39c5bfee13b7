/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shmq.h: the physical limit beside ring channels in the benchmarks: a bare
 * single-producer, single-consumer queue in shared memory (Lamport's, with
 * each side caching the other's index), as fast as two CPUs can pass
 * elements through memory.  It has none of what a channel gives: one
 * producer and one consumer only, no sleeping (it spins, yielding now and
 * then), no close, no select, nothing the kernel can repair if a side dies.
 * A ring channel's fast path is this plus what those cost.
 */
#ifndef CHAN_TESTS_BENCH_SHMQ_H
#define CHAN_TESTS_BENCH_SHMQ_H

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

struct shmq {
	/* The producer's line: its index and its copy of the consumer's. */
	_Alignas(64) _Atomic uint64_t tail;
	uint64_t head_seen;
	/* The consumer's line. */
	_Alignas(64) _Atomic uint64_t head;
	uint64_t tail_seen;
	_Alignas(64) size_t elem_size, cap;
	unsigned char buf[];
};

static inline size_t shmq_size(size_t elem_size, size_t cap)
{
	return sizeof(struct shmq) + elem_size * cap;
}

static inline struct shmq *shmq_init(void *mem, size_t elem_size, size_t cap)
{
	struct shmq *q = mem;

	memset(q, 0, sizeof(*q));
	q->elem_size = elem_size;
	q->cap = cap;
	return q;
}

/* Waiting: spin a while, then let the other side have the CPU. */
static inline void shmq_pause(unsigned int *spins)
{
	if (++*spins % 256 == 0)
		sched_yield();
#if defined(__x86_64__) || defined(__i386__)
	else
		__builtin_ia32_pause();
#elif defined(__aarch64__)
	else
		__asm__ volatile("yield");
#endif
}

static inline void shmq_send(struct shmq *q, const void *e)
{
	uint64_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	unsigned int spins = 0;

	while (t - q->head_seen == q->cap) {
		q->head_seen = atomic_load_explicit(&q->head,
						    memory_order_acquire);
		if (t - q->head_seen == q->cap)
			shmq_pause(&spins);
	}
	memcpy(q->buf + (t % q->cap) * q->elem_size, e, q->elem_size);
	atomic_store_explicit(&q->tail, t + 1, memory_order_release);
}

static inline void shmq_recv(struct shmq *q, void *e)
{
	uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
	unsigned int spins = 0;

	while (q->tail_seen == h) {
		q->tail_seen = atomic_load_explicit(&q->tail,
						    memory_order_acquire);
		if (q->tail_seen == h)
			shmq_pause(&spins);
	}
	memcpy(e, q->buf + (h % q->cap) * q->elem_size, q->elem_size);
	atomic_store_explicit(&q->head, h + 1, memory_order_release);
}

#endif /* CHAN_TESTS_BENCH_SHMQ_H */
