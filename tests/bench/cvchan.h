/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cvchan.h: a channel in user space made of one mutex and two condition
 * variables, the design that C channel libraries such as tylertreat/chan
 * use (written here from scratch).  It is the "what you would write instead
 * of a kernel channel" peer of the benchmarks.
 *
 * Buffered (cap > 0): a ring of cap elements; send waits while it is full,
 * receive while it is empty.  Unbuffered (cap 0): one hand-off slot; a
 * sender waits for the slot to be free, fills it, and then waits until a
 * receiver has taken its element, so that send returns only after the
 * rendezvous, as in Go.  close() wakes everyone; receive drains the buffer
 * and then returns 0.  With pshared the object may live in MAP_SHARED memory
 * and be used by several processes.
 */
#ifndef CHAN_TESTS_BENCH_CVCHAN_H
#define CHAN_TESTS_BENCH_CVCHAN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct cvchan {
	pthread_mutex_t lock;
	pthread_cond_t can_recv;	/* an element or close arrived */
	pthread_cond_t can_send;	/* room, or the hand-off was taken */
	size_t elem_size, cap;
	size_t head, len;		/* ring: cap slots; unbuffered: 1 */
	uint64_t sent, taken;		/* unbuffered: hand-offs made, taken */
	bool closed;
	unsigned char buf[];
};

static inline size_t cvchan_size(size_t elem_size, size_t cap)
{
	return sizeof(struct cvchan) + elem_size * (cap ? cap : 1);
}

/* Set up a cvchan in @mem, of cvchan_size() bytes. */
static inline struct cvchan *cvchan_init(void *mem, size_t elem_size,
					 size_t cap, bool pshared)
{
	struct cvchan *c = mem;
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	int ps = pshared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE;

	memset(c, 0, cvchan_size(elem_size, cap));
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, ps);
	pthread_mutex_init(&c->lock, &ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, ps);
	pthread_cond_init(&c->can_recv, &ca);
	pthread_cond_init(&c->can_send, &ca);
	c->elem_size = elem_size;
	c->cap = cap;
	return c;
}

/* 0, or -1 if the channel is closed. */
static inline int cvchan_send(struct cvchan *c, const void *elem)
{
	uint64_t ticket;

	pthread_mutex_lock(&c->lock);
	if (c->cap) {
		while (c->len == c->cap && !c->closed)
			pthread_cond_wait(&c->can_send, &c->lock);
		if (c->closed)
			goto closed;
		memcpy(c->buf + (c->head + c->len) % c->cap * c->elem_size,
		       elem, c->elem_size);
		c->len++;
		pthread_cond_signal(&c->can_recv);
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	/* Unbuffered: wait for the slot, fill it, wait until it is taken. */
	while (c->len && !c->closed)
		pthread_cond_wait(&c->can_send, &c->lock);
	if (c->closed)
		goto closed;
	memcpy(c->buf, elem, c->elem_size);
	c->len = 1;
	ticket = ++c->sent;
	pthread_cond_signal(&c->can_recv);
	while (c->taken < ticket && !c->closed)
		pthread_cond_wait(&c->can_send, &c->lock);
	pthread_mutex_unlock(&c->lock);
	return 0;
closed:
	pthread_mutex_unlock(&c->lock);
	return -1;
}

/* 1 with an element, 0 once closed and drained. */
static inline int cvchan_recv(struct cvchan *c, void *elem)
{
	pthread_mutex_lock(&c->lock);
	while (!c->len && !c->closed)
		pthread_cond_wait(&c->can_recv, &c->lock);
	if (!c->len) {
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	if (c->cap) {
		memcpy(elem, c->buf + c->head * c->elem_size, c->elem_size);
		c->head = (c->head + 1) % c->cap;
		c->len--;
		pthread_cond_signal(&c->can_send);
	} else {
		memcpy(elem, c->buf, c->elem_size);
		c->len = 0;
		c->taken++;
		/* The sender waits for taken, the next sender for the slot. */
		pthread_cond_broadcast(&c->can_send);
	}
	pthread_mutex_unlock(&c->lock);
	return 1;
}

static inline void cvchan_close(struct cvchan *c)
{
	pthread_mutex_lock(&c->lock);
	c->closed = true;
	pthread_cond_broadcast(&c->can_recv);
	pthread_cond_broadcast(&c->can_send);
	pthread_mutex_unlock(&c->lock);
}

#endif /* CHAN_TESTS_BENCH_CVCHAN_H */
